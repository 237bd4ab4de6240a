/* alarm_demo: drive the alarm engine (src/mon/alarm.c) with a sequence of
 * system offsets and report through the real syslog sink, so that a test
 * can check what reaches a syslog daemon's socket (/dev/log):
 *
 *   alarm_demo [-F FACILITY] [-i IDENT] [-m MINAGE] [-p] [-P FILE] [-S SOCKET]
 *              [OFFSET...]
 *
 * One evaluation per OFFSET (seconds), one simulated second apart, the last
 * at the current CLOCK_MONOTONIC
 * (default: 0.02 then 0: raised critical, then cleared); the offset rule's
 * minage is MINAGE (default 0). Each event is also printed on stdout as
 * "raised|cleared NAME SEVERITY PRIORITY", PRIORITY being the RFC 3164
 * PRI the syslog line must carry (facility * 8 + severity). -p: first a
 * plain syslog(LOG_INFO, "plain message") naming no facility, as
 * lib/log.c writes, which must keep the process default (daemon). -P:
 * at the end, write the metrics registry with the alarm families to FILE
 * in the Prometheus text format (for promtool). -S: then serve the
 * control socket's `alarms` and `status` commands at SOCKET (for
 * gnomonctl), printing "ready" once listening, until SIGTERM or 60 s.
 * Exit 0, 1 on a failure, or 2 on a usage error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <signal.h>

#include "lib/loop.h"
#include "lib/metrics.h"
#include "lib/sbuf.h"
#include "mon/alarm.h"
#include "mon/ctl.h"
#include "mon/prom.h"

static int facility_from_name(const char *name)
{
	int f;

	if (!strcmp(name, "off"))
		return ALARM_FACILITY_OFF;
	for (f = 0; f < 24; f++) {
		const char *n = alarm_facility_name(f << 3);

		if (n && !strcmp(n, name))
			return f << 3;
	}
	return -2;
}

static void print_cb(void *ctx, const struct alarm_event *ev)
{
	const struct alarm_syslog *s = ctx;
	int sev = ev->kind == ALARM_EV_CLEARED ? LOG_NOTICE :
		  ev->sev == ALARM_SEV_CRITICAL ? LOG_CRIT :
		  ev->sev == ALARM_SEV_WARNING ? LOG_WARNING : LOG_NOTICE;

	char pri[16] = "-";	/* no syslog */

	if (s->facility != ALARM_FACILITY_OFF)
		snprintf(pri, sizeof(pri), "%d", s->facility + sev);
	printf("%s %s %s %s\n", ev->kind == ALARM_EV_RAISED ? "raised" : "cleared", ev->name,
	       alarm_sev_name(ev->sev), pri);
	fflush(stdout);
}

static int write_prom(const struct alarm_engine *e, const char *path)
{
	struct met_registry *r = met_create();
	struct prom_out p;
	struct sbuf b;
	FILE *f;
	int rc;

	sbuf_init(&b, 1 << 20);
	prom_init(&p, &b);
	rc = alarm_met_register(e, r) || prom_render_registry(&p, r) || p.errors;
	f = fopen(path, "w");
	if (!rc && (!f || fwrite(b.p, 1, b.len, f) != b.len))
		rc = 1;
	if (f && fclose(f))
		rc = 1;
	prom_fini(&p);
	sbuf_free(&b);
	met_destroy(r);
	return rc;
}

static void on_stop(int sig, void *arg)
{
	(void)sig;
	loop_stop(arg);
}

static void on_timeout(struct loop_timer *t, void *arg)
{
	(void)t;
	loop_stop(arg);
}

static int serve(struct alarm_engine *e, const char *path)
{
	struct loop *l = loop_create();
	struct ctl *c;
	int err = 0;

	c = ctl_create(path, l, &err);
	if (!c || alarm_ctl_register(c, e) || ctl_register_status(c)) {
		fprintf(stderr, "alarm_demo: control socket %s: error %d\n", path, err);
		return 1;
	}
	loop_on_signal(l, SIGTERM, on_stop, l);
	loop_timer_add(l, 60 * GT_NS_PER_S, 0, on_timeout, l);
	printf("ready\n");
	fflush(stdout);
	loop_run(l);
	ctl_destroy(c);
	loop_destroy(l);
	return 0;
}

static const struct alarm_sink_ops print_ops = { "print", print_cb, print_cb };

int main(int argc, char **argv)
{
	static char *const def_values[] = { "0.02", "0" };
	const char *ident = "alarm_demo";
	struct alarm_syslog sl;
	struct alarm_inputs in = { 0 };
	struct alarm_engine *e;
	struct alarm_cfg cfg;
	char *const *values = def_values;
	int n_values = 2, facility, opt, i;
	double minage = 0;
	gt_ns t0;
	int plain = 0;
	const char *prom_file = NULL, *sock = NULL;

	alarm_cfg_defaults(&cfg);
	facility = cfg.syslog_facility;
	while ((opt = getopt(argc, argv, "F:i:m:pP:S:")) != -1) {
		switch (opt) {
		case 'F':
			facility = facility_from_name(optarg);
			if (facility == -2) {
				fprintf(stderr, "alarm_demo: unknown facility '%s'\n", optarg);
				return 2;
			}
			break;
		case 'i':
			ident = optarg;
			break;
		case 'm':
			minage = atof(optarg);
			break;
		case 'p':
			plain = 1;
			break;
		case 'P':
			prom_file = optarg;
			break;
		case 'S':
			sock = optarg;
			break;
		default:
			fprintf(stderr, "usage: alarm_demo [-F FACILITY] [-i IDENT] [-m MINAGE] "
				"[-p] [-P FILE] [-S SOCKET] [OFFSET...]\n");
			return 2;
		}
	}
	if (optind < argc) {
		values = argv + optind;
		n_values = argc - optind;
	}
	cfg.rule[ALARM_OFFSET].minage = minage;
	e = alarm_create(&cfg);
	if (!e)
		return 1;
	alarm_syslog_init(&sl, facility, ident);
	if (plain)
		syslog(LOG_INFO, "plain message");
	alarm_add_sink(e, &alarm_syslog_sink, &sl);
	alarm_add_sink(e, &print_ops, &sl);
	in.synced = (struct alarm_flag){ true, true };
	in.offset.known = true;
	/* Simulated seconds ending now, so that the ages -S reports (from the
	 * real CLOCK_MONOTONIC) are small and true to the sequence. */
	t0 = gt_now(CLOCK_MONOTONIC) - (gt_ns)(n_values - 1) * GT_NS_PER_S;
	for (i = 0; i < n_values; i++) {
		in.offset.v = atof(values[i]);
		alarm_eval(e, t0 + (gt_ns)i * GT_NS_PER_S, &in);
	}
	if (prom_file && write_prom(e, prom_file))
		return 1;
	if (sock && serve(e, sock))
		return 1;
	alarm_destroy(e);
	closelog();
	return 0;
}
