/* fleet_audit: run the audit engine over N devices of the simulated fleet
 * (fleet.h, served by `fleet`) and check every device's classification
 * against the fleet's truth. Prints the figures of the benchmark
 * (bench/audit-bench.sh) and, with -j, one JSON object.
 *
 *     fleet_audit [-n N] [-p PORT] [-s SAMPLES] [-S SPACING] [-t TIMEOUT]
 *                 [-r RATE] [-j]
 *     fleet_audit -T [-n N]     print the truth: address, status, offset, kind
 *
 * Exit status 0 when every device is classified exactly (status and, for
 * an unreachable one, the reason; measured offsets within delay/2 + 1 ms
 * of the truth), 1 otherwise, 2 on a usage or engine error. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "audit/audit_probe.h"
#include "fleet.h"
#include "lib/loop.h"

struct run {
	size_t n;
	struct audit_device *devs;
	struct audit_result *res;
	gt_ns last_progress;
};

/* Peak resident memory of this program (VmHWM): ru_maxrss would also
 * count the `ip netns exec` that exec'd us. kB, or -1. */
static long peak_rss_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static gt_ns last_result;

static void on_result(void *arg, size_t index, const struct audit_result *r)
{
	(void)arg;
	(void)index;
	(void)r;
	last_result = gt_now(CLOCK_MONOTONIC);
}

static void on_done(void *arg)
{
	loop_stop(arg);
}

static enum audit_status expected_status(uint32_t k)
{
	switch (fleet_kind(k)) {
	case FLEET_GOOD:
	case FLEET_LOSSY:
		return AUDIT_OK;
	case FLEET_OFF:
		return AUDIT_OFF;
	default:
		return AUDIT_UNREACHABLE;
	}
}

static const char *expected_error(uint32_t k)
{
	switch (fleet_kind(k)) {
	case FLEET_SILENT:
		return "timeout";
	case FLEET_GARBAGE:
	case FLEET_WRONG:
		return "malformed reply";
	case FLEET_KOD:
		return "KoD RATE";
	case FLEET_UNSYNC:
		return "unsynchronised";
	default:
		return "";
	}
}

static bool exact(uint32_t k, const struct audit_result *r, bool *offset_ok)
{
	*offset_ok = true;
	if (r->status != expected_status(k))
		return false;
	if (r->status == AUDIT_UNREACHABLE)
		return strncmp(r->error, expected_error(k), strlen(expected_error(k))) == 0;
	*offset_ok = fabs(r->offset - fleet_offset(k)) <= r->delay / 2 + 0.001;
	return *offset_ok;
}

int main(int argc, char **argv)
{
	struct audit_probe_opts o;
	struct run run = { .n = 10000 };
	struct rusage ru;
	struct audit_probe_stats st;
	struct audit_probe *p;
	struct loop *l;
	double cpu;
	bool json = false, truth = false;
	size_t i, good = 0, off_bad = 0, shown = 0;
	size_t by_status[AUDIT_STATUS_COUNT] = { 0 };
	gt_ns t0, wall;
	uint16_t port = 123;
	int opt, rc;
	double secs;

	audit_probe_opts_default(&o);
	while ((opt = getopt(argc, argv, "n:p:s:S:t:r:jT")) != -1) {
		switch (opt) {
		case 'n':
			run.n = strtoul(optarg, NULL, 10);
			break;
		case 'p':
			port = (uint16_t)atoi(optarg);
			break;
		case 's':
			o.samples = atoi(optarg);
			break;
		case 'S':
			o.spacing = atof(optarg);
			break;
		case 't':
			o.timeout = atof(optarg);
			break;
		case 'r':
			o.rate = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'j':
			json = true;
			break;
		case 'T':
			truth = true;
			break;
		default:
			fprintf(stderr, "usage: fleet_audit [-n N] [-p PORT] [-s SAMPLES] "
					"[-S SPACING] [-t TIMEOUT] [-r RATE] [-j] [-T]\n");
			return 2;
		}
	}
	if (run.n < 1 || run.n > FLEET_MAX) {
		fprintf(stderr, "fleet_audit: -n must be 1..%u\n", FLEET_MAX);
		return 2;
	}
	if (truth) {
		for (i = 1; i <= run.n; i++) {
			uint32_t a = FLEET_BASE + (uint32_t)i;

			printf("%u.%u.%u.%u %s %+.4f %s\n", a >> 24, (a >> 16) & 255, (a >> 8) & 255,
			       a & 255, audit_status_name(expected_status((uint32_t)i)),
			       fleet_offset((uint32_t)i), fleet_kind_name(fleet_kind((uint32_t)i)));
		}
		return 0;
	}
	run.devs = calloc(run.n, sizeof(*run.devs));
	run.res = calloc(run.n, sizeof(*run.res));
	if (!run.devs || !run.res)
		return 2;
	for (i = 0; i < run.n; i++) {
		uint32_t a = FLEET_BASE + (uint32_t)i + 1;
		struct audit_device *d = &run.devs[i];

		snprintf(d->name, sizeof(d->name), "dev%zu", i + 1);
		snprintf(d->address, sizeof(d->address), "%u.%u.%u.%u", a >> 24, (a >> 16) & 255,
			 (a >> 8) & 255, a & 255);
		d->port = port;
		d->method = AUDIT_NTP;
		d->tolerance = FLEET_TOLERANCE;
		d->enabled = true;
	}
	l = loop_create();
	o.on_done = on_done;
	o.on_result = on_result;
	o.arg = l;
	t0 = gt_now(CLOCK_MONOTONIC);
	p = audit_probe_start(l, run.devs, run.res, run.n, &o, &rc);
	if (!p) {
		fprintf(stderr, "fleet_audit: engine: %s\n", strerror(-rc));
		return 2;
	}
	rc = loop_run(l);
	wall = gt_now(CLOCK_MONOTONIC) - t0;
	audit_probe_stats(p, &st);
	audit_probe_destroy(p);
	loop_destroy(l);
	if (rc) {
		fprintf(stderr, "fleet_audit: loop: %s\n", strerror(-rc));
		return 2;
	}
	for (i = 0; i < run.n; i++) {
		uint32_t k = (uint32_t)i + 1;
		bool offset_ok;
		const struct audit_result *r = &run.res[i];

		by_status[r->status]++;
		if (exact(k, r, &offset_ok)) {
			good++;
			continue;
		}
		if (!offset_ok)
			off_bad++;
		if (shown++ < 10)
			fprintf(stderr, "mismatch %s (%s, truth %+.4f s): %s offset %+.6f delay %.6f %s\n",
				run.devs[i].address, fleet_kind_name(fleet_kind(k)), fleet_offset(k),
				audit_status_name(r->status), r->offset, r->delay, r->error);
	}
	getrusage(RUSAGE_SELF, &ru);
	secs = (double)wall / 1e9;
	cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	      (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	if (json) {
		printf("{\"devices\": %zu, \"wall_s\": %.3f, \"cpu_s\": %.3f, "
		       "\"requests\": %llu, \"replies\": %llu, \"requests_per_s\": %.0f, "
		       "\"exact\": %zu, \"offset_wrong\": %zu, \"ok\": %zu, \"off\": %zu, "
		       "\"unreachable\": %zu, \"unmatched\": %llu, \"malformed\": %llu, "
		       "\"kod\": %llu, \"unsync\": %llu, \"timeouts\": %llu, "
		       "\"peak_rss_kb\": %ld, \"samples\": %d, \"spacing\": %g, \"rate\": %u}\n",
		       run.n, secs, cpu, (unsigned long long)st.requests,
		       (unsigned long long)st.replies, (double)st.requests / secs, good, off_bad,
		       by_status[AUDIT_OK], by_status[AUDIT_OFF], by_status[AUDIT_UNREACHABLE],
		       (unsigned long long)st.unmatched, (unsigned long long)st.malformed,
		       (unsigned long long)st.kod, (unsigned long long)st.unsync,
		       (unsigned long long)st.timeouts, peak_rss_kb(), o.samples, o.spacing, o.rate);
	} else {
		printf("devices             %zu (samples %d, spacing %g s, timeout %g s, rate %u/s)\n",
		       run.n, o.samples, o.spacing, o.timeout, o.rate);
		printf("wall time           %.3f s (cpu %.3f s; last result at %.3f s)\n", secs, cpu,
		       (double)(last_result - t0) / 1e9);
		printf("requests            %llu (%.0f/s), replies taken %llu, timeouts %llu, "
		       "malformed %llu, unmatched %llu, KoD %llu, unsync %llu\n",
		       (unsigned long long)st.requests, (double)st.requests / secs,
		       (unsigned long long)st.replies, (unsigned long long)st.timeouts,
		       (unsigned long long)st.malformed, (unsigned long long)st.unmatched,
		       (unsigned long long)st.kod, (unsigned long long)st.unsync);
		printf("exact               %zu / %zu (ok %zu, off %zu, unreachable %zu)\n", good,
		       run.n, by_status[AUDIT_OK], by_status[AUDIT_OFF],
		       by_status[AUDIT_UNREACHABLE]);
		printf("peak RSS            %ld kB\n", peak_rss_kb());
	}
	free(run.devs);
	free(run.res);
	return good == run.n ? 0 : 1;
}
