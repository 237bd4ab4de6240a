/*
 * relay_stats: release-error histograms and the relay's final report (see
 * relay.h).  The report is printed once, after both threads have stopped.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "relay.h"

/* ------------------------------------------------------------------------ */
/* release-error histogram */

static size_t hist_index(int64_t v)
{
	if (v < 0)
		v = 0;
	if (v < 64)
		return (size_t)v;
	int e = 63 - __builtin_clzll((unsigned long long)v);   /* e >= 6 */
	size_t sub = (size_t)((unsigned long long)v >> (e - 5)) & (HIST_SUB - 1);
	return 64 + (size_t)(e - 6) * HIST_SUB + sub;
}

/* upper bound of a bucket */
static int64_t hist_value(size_t i)
{
	if (i < 64)
		return (int64_t)i;
	int e = (int)((i - 64) / HIST_SUB) + 6;
	int64_t sub = (int64_t)((i - 64) % HIST_SUB);
	return ((HIST_SUB + sub + 1) << (e - 5)) - 1;
}

void relay_hist_add(struct err_hist *h, int64_t v)
{
	if (v < 0)
		v = 0;
	h->count++;
	h->sum += (double)v;
	if (v > h->max)
		h->max = v;
	h->bins[hist_index(v)]++;
}

static int64_t hist_quantile(const struct err_hist *h, double q)
{
	if (h->count == 0)
		return 0;
	uint64_t want = (uint64_t)ceil(q * (double)h->count), seen = 0;
	for (size_t i = 0; i < HIST_BINS; i++) {
		seen += h->bins[i];
		if (seen >= want)
			return hist_value(i) < h->max ? hist_value(i) : h->max;
	}
	return h->max;
}

/* ------------------------------------------------------------------------ */
/* report */

static void print_hist(FILE *out, const char *name, const struct err_hist *h,
		       bool json)
{
	double mean = h->count ? h->sum / (double)h->count : 0.0;
	int64_t p50 = hist_quantile(h, 0.50), p99 = hist_quantile(h, 0.99);
	int64_t p999 = hist_quantile(h, 0.999);

	if (json)
		fprintf(out, "\"%s\": {\"count\": %" PRIu64 ", \"mean\": %.1f"
			", \"p50\": %" PRId64 ", \"p99\": %" PRId64
			", \"p999\": %" PRId64 ", \"max\": %" PRId64 "}",
			name, h->count, mean, p50, p99, p999, h->max);
	else
		fprintf(out, "%s ns: mean %.0f p50 %" PRId64 " p99 %" PRId64
			" p99.9 %" PRId64 " max %" PRId64 " (%" PRIu64 " packets)\n",
			name, mean, p50, p99, p999, h->max, h->count);
}

/* The counters of one direction as "name": value pairs or as text. */
static void print_counters(FILE *out, const struct dir_stats *st, bool json)
{
	const struct { const char *name; uint64_t v; } c[] = {
		{ "received", st->received }, { "forwarded", st->forwarded },
		{ "dropped", st->dropped }, { "duplicated", st->duplicated },
		{ "reordered", st->reordered }, { "send_errors", st->send_errors },
		{ "overflow", st->overflow }, { "no_flow", st->no_flow },
		{ "pending_at_exit", st->pending_at_exit },
		{ "late_on_arrival", st->late_on_arrival },
		{ "kernel_drops", st->kernel_drops },
		{ "kernel_timestamps", st->kernel_ts },
		{ "fallback_timestamps", st->fallback_ts },
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if (json)   /* the histograms follow: a comma after each */
			fprintf(out, "\"%s\": %" PRIu64 ", ", c[i].name, c[i].v);
		else
			fprintf(out, "%s%s %" PRIu64, i ? " " : "", c[i].name, c[i].v);
	}
}

static void print_spec(FILE *out, const struct impair_spec *s, bool json)
{
	fprintf(out, json ? "\"spec\": {\"delay_ns\": %" PRId64 ", \"jitter_ns\": %"
		PRId64 ", \"dist\": \"%s\", \"loss\": %.17g, \"dup\": %.17g, "
		"\"reorder\": %.17g, \"reorder_delay_ns\": %" PRId64 "}"
		: "delay %" PRId64 " ns jitter %" PRId64 " ns %s loss %g dup %g "
		"reorder %g (+%" PRId64 " ns)",
		s->delay_ns, s->jitter_ns, relay_dist_name[s->dist], s->loss, s->dup,
		s->reorder, s->reorder_delay_ns);
}

/* Final statistics: human-readable (stderr) or JSON (--stats-file). */
void relay_print_summary(const struct relay_summary *s, FILE *out, bool json)
{
	if (json)
		fprintf(out, "{\n  \"seed\": %" PRIu64 ", \"elapsed_s\": %.6f, "
			"\"clients\": %zu,\n  \"sched\": \"%s\", "
			"\"spin_ns\": %" PRId64 ", \"spin_adaptive\": %s, "
			"\"timed_wakeups\": %" PRIu64 ", \"late_wakeups\": %" PRIu64
			", \"warm_ns\": %" PRId64 ", \"warmups\": %" PRIu64,
			s->opt->seed, s->elapsed_s, s->clients, s->sched, s->spin_ns,
			s->spin_adaptive ? "true" : "false", s->timed_wakeups,
			s->late_wakeups, s->opt->warm_ns, s->warmups);
	else
		fprintf(out, "relay: %.3f s, %zu client(s), seed %" PRIu64
			", sched %s, spin %" PRId64 " ns%s, %" PRIu64 "/%"
			PRIu64 " timed wake-ups later than the spin\n",
			s->elapsed_s, s->clients, s->opt->seed, s->sched, s->spin_ns,
			s->spin_adaptive ? " (adaptive)" : "", s->late_wakeups,
			s->timed_wakeups);
	if (!json && s->opt->warm_ns)
		fprintf(out, "relay: %" PRIu64 " warm-up datagrams, %" PRId64
			" ns before their releases\n", s->warmups, s->opt->warm_ns);
	for (int d = 0; d < DIR_COUNT; d++) {
		const struct dir_stats *st = &s->st[d];
		const char *name = relay_dir_name[d];

		if (json) {
			fprintf(out, ",\n  \"%s\": {\n    ", name);
			print_spec(out, &s->opt->spec[d], true);
			fprintf(out, ",\n    ");
			print_counters(out, st, true);
			fprintf(out, "\n    ");
			print_hist(out, "release_error_ns", &st->err, true);
			fprintf(out, ",\n    ");
			print_hist(out, "rx_latency_ns", &st->rx_lat, true);
			fprintf(out, ",\n    \"applied_delay_ns\": [");
			for (size_t i = 0; i < st->n_applied; i++)
				fprintf(out, "%s%" PRId64, i ? ", " : "", st->applied[i]);
			fprintf(out, "]\n  }");
			continue;
		}
		fprintf(out, "relay: %s: ", name);
		print_spec(out, &s->opt->spec[d], false);
		fprintf(out, "\nrelay: %s: ", name);
		print_counters(out, st, false);
		fprintf(out, "\nrelay: %s: ", name);
		print_hist(out, "release error", &st->err, false);
		fprintf(out, "relay: %s: ", name);
		print_hist(out, "rx latency", &st->rx_lat, false);
	}
	if (json)
		fprintf(out, "\n}\n");
}

/* Written to PATH.tmp and renamed, so a reader never sees half a file. */
int relay_write_summary(const struct relay_summary *s, const char *path)
{
	size_t len = strlen(path) + 5;
	char *tmp = malloc(len);
	FILE *f;

	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, len, "%s.tmp", path);
	if (!(f = fopen(tmp, "w"))) {
		int e = -errno;
		free(tmp);
		return e;
	}
	relay_print_summary(s, f, true);
	int rc = fclose(f) == 0 && rename(tmp, path) == 0 ? 0 : -errno;
	free(tmp);
	return rc;
}
