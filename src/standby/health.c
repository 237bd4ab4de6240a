#include "standby/health.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock/clk.h"
#include "lib/conf.h"
#include "lib/metrics.h"
#include "lib/util.h"
#include "mon/alarm.h"
#include "mon/alarm_feed.h"
#include "mon/ctl.h"
#include "sync/sync_run.h"

void health_cfg_defaults(struct health_cfg *cfg)
{
	/* 1 s is chrony's and ntpd's default `maxdistance` halved: past it no
	 * careful client selects us. 0.1 s is ten times what an Internet
	 * stratum-2 server usually shows. The age limits are off by default:
	 * a poll of 1024 s makes any tight one fire in normal operation. */
	cfg->maxdistance = 1.0;
	cfg->degraded = 0.1;
	cfg->maxage = 0;
	cfg->degradedage = 0;
	cfg->alarm_sev = ALARM_SEV_CRITICAL;
}

const char *health_state_name(enum health_state st)
{
	switch (st) {
	case HEALTH_SYNCED: return "synchronised";
	case HEALTH_DEGRADED: return "degraded";
	case HEALTH_UNSYNCED: return "unsynchronised";
	}
	return "?";
}

static void verdict(struct health_result *out, enum health_state st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The worst state wins; the first reason given for it is kept. */
static void verdict(struct health_result *out, enum health_state st, const char *fmt, ...)
{
	va_list ap;

	if (st <= out->state && out->reason[0])
		return;
	out->state = st;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

void health_eval(const struct health_cfg *cfg, const struct health_in *in,
		 struct health_result *out)
{
	memset(out, 0, sizeof(*out));
	out->state = HEALTH_SYNCED;
	if (in->unsynced) {
		verdict(out, HEALTH_UNSYNCED, "the clock is not synchronised (stratum %u)",
			in->stratum);
		return;
	}
	if (!(in->root_distance <= cfg->maxdistance))
		verdict(out, HEALTH_UNSYNCED, "root distance %.6f s over maxdistance %g s",
			in->root_distance, cfg->maxdistance);
	if (cfg->maxage > 0 && in->age > cfg->maxage)
		verdict(out, HEALTH_UNSYNCED, "no correction for %.1f s (maxage %g s): the "
			"sources are lost", in->age, cfg->maxage);
	if (in->root_distance > cfg->degraded)
		verdict(out, HEALTH_DEGRADED, "root distance %.6f s over degraded %g s",
			in->root_distance, cfg->degraded);
	if (cfg->degradedage > 0 && in->age > cfg->degradedage)
		verdict(out, HEALTH_DEGRADED, "no correction for %.1f s (degradedage %g s)",
			in->age, cfg->degradedage);
	if (cfg->alarm_sev > 0 && in->worst_alarm >= cfg->alarm_sev)
		verdict(out, HEALTH_DEGRADED, "alarm %s is active (%s)",
			in->worst_alarm_name ? in->worst_alarm_name : "?",
			alarm_sev_name((enum alarm_sev)in->worst_alarm));
	if (out->state == HEALTH_SYNCED)
		snprintf(out->reason, sizeof(out->reason), "stratum %u, root distance %.6f s",
			 in->stratum, in->root_distance);
}

int health_conf_parse(struct conf_ctx *ctx, int argc, char **argv, struct health_cfg *cfg)
{
	static const char *const sevs[] = { "off", "info", "warning", "critical" };
	struct health_cfg c = *cfg;
	bool have_degraded = false;
	char name[32];
	int i;

	for (i = 0; i < argc; i++) {
		const char *opt = argv[i];
		double *d = NULL;
		size_t k;

		if (i + 1 >= argc)
			return conf_error(ctx, "health: '%s' needs a value (expected: health "
					  "[maxdistance S] [degraded S] [maxage S] [degradedage S] "
					  "[alarms critical|warning|info|off])", opt);
		if (!strcmp(opt, "maxdistance"))
			d = &c.maxdistance;
		else if (!strcmp(opt, "degraded"))
			d = &c.degraded;
		else if (!strcmp(opt, "maxage"))
			d = &c.maxage;
		else if (!strcmp(opt, "degradedage"))
			d = &c.degradedage;
		if (d) {
			snprintf(name, sizeof(name), "health %s", opt);
			if (conf_arg_double(ctx, name, argv[++i], 0, 1e6, d))
				return -EINVAL;
			have_degraded |= d == &c.degraded;
			continue;
		}
		if (strcmp(opt, "alarms"))
			return conf_error(ctx, "health: unknown option '%s' (allowed: maxdistance, "
					  "degraded, maxage, degradedage, alarms)", opt);
		i++;
		for (k = 0; k < ARRAY_LEN(sevs) && strcmp(argv[i], sevs[k]); k++)
			;
		if (k == ARRAY_LEN(sevs))
			return conf_error(ctx, "health alarms: '%s' (allowed: critical, warning, "
					  "info, off)", argv[i]);
		c.alarm_sev = (int)k;
	}
	/* A maxdistance alone, below the default degraded limit, keeps the
	 * defaults' ratio rather than refusing the line. */
	if (!have_degraded && c.degraded > c.maxdistance)
		c.degraded = c.maxdistance / 10;
	if (c.degraded > c.maxdistance)
		return conf_error(ctx, "health: degraded %g s is over maxdistance %g s",
				  c.degraded, c.maxdistance);
	*cfg = c;
	return 0;
}

/* ---- the service ---- */

struct health {
	struct health_cfg cfg;
	struct sync_run *run;
	struct alarm_feed *feed;
};

struct health *health_create(const struct health_cfg *cfg, struct sync_run *run,
			     struct alarm_feed *feed)
{
	struct health *h = xcalloc(1, sizeof(*h));

	h->cfg = *cfg;
	h->run = run;
	h->feed = feed;
	return h;
}

/* The pair's own alarms say nothing of this server's time: a lost
 * partner must not make the survivor give up the address. */
static bool counts_for_health(enum alarm_id id)
{
	return id != ALARM_PARTNER_LOST && id != ALARM_PARTNER_DISAGREE;
}

void health_now(struct health *h, struct health_result *out)
{
	struct clk_snapshot snap;
	struct health_in in;
	gt_ns real = gt_now(CLOCK_REALTIME), now;
	const struct clk_quality *q = &snap.q;

	memset(&in, 0, sizeof(in));
	clk_read_snapshot(sync_run_published(h->run), &snap);
	now = clk_map_apply(&snap.map, real);
	in.stratum = q->stratum;
	in.unsynced = q->leap == CLK_LEAP_UNSYNC || q->stratum >= 16 || q->stratum == 0;
	in.root_distance = gt_to_sec(q->root_delay) / 2 + gt_to_sec(clk_root_disp_at(q, now));
	/* `local stratum` is its own reference: it never grows old. */
	in.age = q->refid == CLK_REFID_LOCAL || q->ref_time <= 0 ? -1 :
		 gt_to_sec(now - q->ref_time);
	if (h->feed) {
		const struct alarm_engine *e = alarm_feed_engine(h->feed);
		unsigned i;

		for (i = 0; i < ALARM_COUNT; i++) {
			struct alarm_status st;

			if (!counts_for_health((enum alarm_id)i))
				continue;
			alarm_get_status(e, (enum alarm_id)i, &st);
			if ((int)st.sev > in.worst_alarm) {
				in.worst_alarm = (int)st.sev;
				in.worst_alarm_name = alarm_name((enum alarm_id)i);
			}
		}
	}
	health_eval(&h->cfg, &in, out);
}

static int cmd_health(void *arg, int argc, char **argv, struct json_out *j)
{
	struct health *h = arg;
	struct health_result r;

	(void)argc;
	(void)argv;
	health_now(h, &r);
	json_str(j, "state", health_state_name(r.state));
	json_u64(j, "code", (uint64_t)r.state);
	json_str(j, "reason", r.reason);
	json_double(j, "maxdistance", h->cfg.maxdistance);
	json_double(j, "degraded", h->cfg.degraded);
	json_double(j, "maxage", h->cfg.maxage);
	return 0;
}

static double read_health(const void *ctx, uintptr_t key)
{
	struct health_result r;

	(void)key;
	health_now((struct health *)(uintptr_t)ctx, &r);
	return (double)r.state;
}

void health_register_metrics(struct health *h, struct met_registry *reg)
{
	met_register(reg, "gnomon_health", "what `gnomonctl health` says: 0 synchronised, "
		     "1 degraded, 2 unsynchronised", MET_GAUGE, read_health, h, 0);
}

static void register_ctl(void *obj, struct ctl *ctl)
{
	ctl_register(ctl, "health", cmd_health, obj);
}

static void health_destroy(void *obj)
{
	free(obj);
}

const struct service_ops health_service = {
	.name = "health",
	.register_ctl = register_ctl,
	.destroy = health_destroy,
};
