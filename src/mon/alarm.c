/* alarm: the rule table, the defaults and the engine (see mon/alarm.h;
 * the configuration parser is alarm_conf.c, the sinks alarm_sink.c, the
 * JSON and metrics writers alarm_out.c). doc/alarms.md justifies every
 * default below. */
#include "mon/alarm.h"
#include "mon/alarm_int.h"
#include "mon/alarm_rules.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

#define NONE_T INT64_MIN	/* "no time" in the engine's monotonic fields */
/* Counter rules keep a sample every window / CTR_STEP; CTR_STEP + 2 slots
 * always hold one at least `window` old once the history is that long. */
#define CTR_STEP 16
#define CTR_SLOTS (CTR_STEP + 2)

const struct alarm_rule_def alarm_rules[ALARM_COUNT] = {
	[ALARM_OFFSET] = { "offset", AK_LEVEL, AU_SECONDS, { NAN, 1e-3, 10e-3 }, 0.5, 10, 0, 1e6,
			   "system offset", NULL, NULL },
	[ALARM_JITTER] = { "jitter", AK_LEVEL, AU_SECONDS, { NAN, 5e-3, 50e-3 }, 0.5, 30, 0, 1e6,
			   "system jitter", NULL, NULL },
	[ALARM_NO_SELECTABLE] = { "no_selectable_source", AK_FLAG, AU_NONE, { NAN, 1, NAN }, 0.5,
				  60, 0, 1, "no selectable source", "no source is selectable",
				  "a source is selectable again" },
	[ALARM_UNSYNC] = { "unsynchronised", AK_FLAG, AU_NONE, { NAN, NAN, 1 }, 0.5, 60, 0, 1,
			   "unsynchronised", "the clock is not synchronised",
			   "the clock is synchronised again" },
	[ALARM_STRATUM_CHANGE] = { "stratum_change", AK_TRANSIENT, AU_COUNT, { 1, NAN, NAN }, 0.5,
				   300, 0, 15, "stratum change", NULL, NULL },
	[ALARM_LEAP_PENDING] = { "leap_pending", AK_FLAG, AU_NONE, { 1, NAN, NAN }, 0.5, 10, 0, 1,
				 "leap second pending", "a leap second is announced",
				 "no leap second is announced" },
	[ALARM_GW_SILENT] = { "gateway_silent", AK_FLAG, AU_NONE, { NAN, NAN, 1 }, 0.5, 10, 0, 1,
			      "gateway silent", "the gateway receiver hears no valid message",
			      "the gateway receiver hears valid messages again" },
	[ALARM_GW_LOSS] = { "gateway_loss", AK_LEVEL, AU_RATIO, { NAN, 0.1, 0.5 }, 0.5, 30, 0, 1,
			    "gateway loss", NULL, NULL },
	[ALARM_AUTH_FAILURES] = { "auth_failures", AK_COUNTER, AU_COUNT, { NAN, 5, 100 }, 0.5, 10,
				  60, 1e12, "authentication failures", NULL, NULL },
	[ALARM_REPLAYS] = { "replays", AK_COUNTER, AU_COUNT, { NAN, 1, 60 }, 0.5, 10, 60, 1e12,
			    "replayed messages", NULL, NULL },
	[ALARM_JOURNAL_LOSS] = { "journal_loss", AK_COUNTER, AU_COUNT, { NAN, 1, 100 }, 0.5, 10,
				 60, 1e12, "journal records lost", NULL, NULL },
	[ALARM_RATELIMIT_STORM] = { "ratelimit_storm", AK_COUNTER, AU_COUNT, { NAN, 6000, 600000 },
				    0.5, 10, 60, 1e12, "rate-limited requests", NULL, NULL },
	[ALARM_PARTNER_LOST] = { "partner_lost", AK_FLAG, AU_NONE, { NAN, 1, NAN }, 0.5, 5, 0, 1,
				 "standby partner lost", "the hot-standby partner is not heard",
				 "the hot-standby partner is heard again" },
	[ALARM_PARTNER_DISAGREE] = { "partner_disagree", AK_LEVEL, AU_SECONDS, { NAN, 1e-3, 10e-3 },
				     0.5, 10, 0, 1e6, "offset from the standby partner", NULL,
				     NULL },
};

const char *alarm_name(enum alarm_id id)
{
	return (unsigned)id < ALARM_COUNT ? alarm_rules[id].name : "?";
}

const char *alarm_sev_name(enum alarm_sev sev)
{
	static const char *const names[] = { "none", "info", "warning", "critical" };

	return (unsigned)sev < ARRAY_LEN(names) ? names[sev] : "?";
}

const char *alarm_state_name(enum alarm_state st)
{
	static const char *const names[] = { "unset", "raised", "cleared" };

	return (unsigned)st < ARRAY_LEN(names) ? names[st] : "?";
}

enum alarm_id alarm_id_from_name(const char *name)
{
	unsigned i;

	for (i = 0; i < ALARM_COUNT; i++)
		if (!strcmp(name, alarm_rules[i].name))
			return (enum alarm_id)i;
	return ALARM_COUNT;
}

void alarm_cfg_defaults(struct alarm_cfg *cfg)
{
	unsigned i;
	int l;

	for (i = 0; i < ALARM_COUNT; i++) {
		struct alarm_rule_cfg *rc = &cfg->rule[i];

		rc->enabled = true;
		for (l = 0; l < ALARM_LEVELS; l++)
			rc->thr[l] = alarm_rules[i].thr[l];
		rc->clear = NAN;
		rc->minage = alarm_rules[i].minage;
		rc->window = alarm_rules[i].window;
	}
	cfg->syslog_facility = 12 << 3;	/* "ntp" (RFC 5424 §6.2.1); glibc has no LOG_NTP */
}

static int lowest_level(const struct alarm_rule_cfg *rc)
{
	int l;

	for (l = 0; l < ALARM_LEVELS; l++)
		if (!isnan(rc->thr[l]))
			return l;
	return -1;
}

double alarm_rule_clear(enum alarm_id id, const struct alarm_rule_cfg *rc)
{
	int lo = lowest_level(rc);

	if (lo < 0)
		return NAN;
	if (!isnan(rc->clear))
		return rc->clear;
	return rc->thr[lo] * alarm_rules[id].clear_ratio;
}

/* ---- the engine ---- */

struct ctr_sample { gt_ns t; uint64_t n; };

struct rule_state {
	enum alarm_state state;
	enum alarm_sev sev;
	gt_ns above_since[ALARM_LEVELS];	/* value met level l continuously since */
	gt_ns below_since[ALARM_LEVELS];	/* value under level l's hold since */
	gt_ns raised_at;			/* when it became active (not escalations) */
	gt_ns last_raised, last_cleared;
	uint64_t raises, clears;
	bool known;
	double value, threshold;
	char msg[ALARM_MSG_MAX];
	/* AK_COUNTER */
	struct ctr_sample hist[CTR_SLOTS];
	unsigned h_head, h_len;			/* newest at h_head - 1 */
	/* AK_TRANSIENT */
	bool have_prev;
	double prev;
};

struct recent_ev {
	gt_ns t;
	enum alarm_id id;
	enum alarm_ev_kind kind;
	enum alarm_sev sev, prev;
	double value, threshold;
	char msg[ALARM_MSG_MAX];
};

struct sink { const struct alarm_sink_ops *ops; void *ctx; };

struct alarm_engine {
	struct alarm_cfg cfg;
	double hold_ratio[ALARM_COUNT];		/* hold = threshold x this */
	struct rule_state st[ALARM_COUNT];
	struct sink sinks[ALARM_MAX_SINKS];
	unsigned n_sinks;
	struct recent_ev recent[ALARM_RECENT];
	unsigned r_head, r_len;
};

struct alarm_engine *alarm_create(const struct alarm_cfg *cfg)
{
	struct alarm_engine *e = xcalloc(1, sizeof(*e));
	unsigned i;
	int l;

	e->cfg = *cfg;
	for (i = 0; i < ALARM_COUNT; i++) {
		const struct alarm_rule_cfg *rc = &cfg->rule[i];
		int lo = lowest_level(rc);

		e->hold_ratio[i] = lo < 0 || rc->thr[lo] <= 0 ? 1 :
			alarm_rule_clear((enum alarm_id)i, rc) / rc->thr[lo];
		for (l = 0; l < ALARM_LEVELS; l++) {
			e->st[i].above_since[l] = NONE_T;
			e->st[i].below_since[l] = NONE_T;
		}
		e->st[i].value = NAN;
		e->st[i].threshold = NAN;
	}
	return e;
}

void alarm_destroy(struct alarm_engine *e)
{
	free(e);
}

int alarm_add_sink(struct alarm_engine *e, const struct alarm_sink_ops *ops, void *ctx)
{
	if (e->n_sinks == ALARM_MAX_SINKS)
		return -ENOSPC;
	e->sinks[e->n_sinks].ops = ops;
	e->sinks[e->n_sinks].ctx = ctx;
	e->n_sinks++;
	return 0;
}

/* A value with its unit, for messages. */
static void fmt_value(char *out, size_t n, enum alarm_unit u, double v)
{
	switch (u) {
	case AU_SECONDS:
		snprintf(out, n, "%.3f ms", v * 1e3);
		break;
	case AU_RATIO:
		snprintf(out, n, "%.1f %%", v * 100);
		break;
	default:
		snprintf(out, n, "%.6g", v);
		break;
	}
}

static void make_msg(const struct alarm_engine *e, enum alarm_id id, struct rule_state *rs,
		     enum alarm_ev_kind kind, double value, double thr, const char *extra)
{
	const struct alarm_rule_def *d = &alarm_rules[id];
	char v[32], t[32];

	if (d->kind == AK_FLAG) {
		snprintf(rs->msg, sizeof(rs->msg), "%s", kind == ALARM_EV_RAISED ? d->on : d->off);
		return;
	}
	if (d->kind == AK_TRANSIENT) {
		if (kind == ALARM_EV_RAISED)
			snprintf(rs->msg, sizeof(rs->msg), "stratum changed by %.0f%s", value,
				 extra ? extra : "");
		else
			snprintf(rs->msg, sizeof(rs->msg), "no stratum change for %.0f s",
				 e->cfg.rule[id].minage);
		return;
	}
	if (extra) {	/* a fall back a level: eval_levels wrote it all */
		snprintf(rs->msg, sizeof(rs->msg), "%s", extra);
		return;
	}
	fmt_value(v, sizeof(v), d->unit, value);
	fmt_value(t, sizeof(t), d->unit, thr);
	if (d->kind == AK_COUNTER && kind == ALARM_EV_RAISED)
		snprintf(rs->msg, sizeof(rs->msg), "%s %s in %.0f s, threshold %s", v, d->what,
			 e->cfg.rule[id].window, t);
	else if (d->kind == AK_COUNTER)
		snprintf(rs->msg, sizeof(rs->msg), "%s %s in %.0f s, under %s for %.0f s", v,
			 d->what, e->cfg.rule[id].window, t, e->cfg.rule[id].minage);
	else if (kind == ALARM_EV_RAISED)
		snprintf(rs->msg, sizeof(rs->msg), "%s %s reached %s", d->what, v, t);
	else
		snprintf(rs->msg, sizeof(rs->msg), "%s %s below %s for %.0f s", d->what, v, t,
			 e->cfg.rule[id].minage);
}

static void emit(struct alarm_engine *e, enum alarm_id id, gt_ns now, enum alarm_ev_kind kind,
		 enum alarm_sev sev, double value, double thr, const char *extra)
{
	struct rule_state *rs = &e->st[id];
	struct alarm_event ev;
	struct recent_ev *r;
	enum alarm_sev prev = rs->sev;
	unsigned i;

	make_msg(e, id, rs, kind, value, thr, extra);
	if (kind == ALARM_EV_RAISED) {
		if (rs->sev == ALARM_SEV_NONE)
			rs->raised_at = now;
		rs->sev = sev;
		rs->state = ALARM_RAISED;
		rs->threshold = thr;
		rs->last_raised = now;
		rs->raises++;
	} else {
		sev = prev;
		rs->sev = ALARM_SEV_NONE;
		rs->state = ALARM_CLEARED;
		rs->threshold = NAN;
		rs->last_cleared = now;
		rs->clears++;
	}
	ev = (struct alarm_event){ .id = id, .name = alarm_rules[id].name, .kind = kind,
				   .sev = sev, .prev_sev = prev, .value = value,
				   .threshold = thr, .t_mono = now, .msg = rs->msg };
	r = &e->recent[e->r_head];
	*r = (struct recent_ev){ .t = now, .id = id, .kind = kind, .sev = sev, .prev = prev,
				 .value = value, .threshold = thr };
	memcpy(r->msg, rs->msg, sizeof(r->msg));
	e->r_head = (e->r_head + 1) % ALARM_RECENT;
	if (e->r_len < ALARM_RECENT)
		e->r_len++;
	for (i = 0; i < e->n_sinks; i++) {
		const struct alarm_sink_ops *ops = e->sinks[i].ops;

		if (kind == ALARM_EV_RAISED && ops->raised)
			ops->raised(e->sinks[i].ctx, &ev);
		else if (kind == ALARM_EV_CLEARED && ops->cleared)
			ops->cleared(e->sinks[i].ctx, &ev);
	}
}

static double hold_of(const struct alarm_engine *e, enum alarm_id id, int level)
{
	const struct alarm_rule_cfg *rc = &e->cfg.rule[id];

	if (level == lowest_level(rc))
		return alarm_rule_clear(id, rc);
	return rc->thr[level] * e->hold_ratio[id];
}

static gt_ns s_to_ns(double s)
{
	return gt_from_sec(s);
}

/* The threshold/hysteresis/min-age machine of AK_LEVEL, AK_FLAG and
 * AK_COUNTER rules. Per level: since when the value has met its threshold
 * (raising) and since when it has been under its hold threshold (falling
 * back); both must have lasted minage. known = false counts as under
 * every hold threshold and over none. */
static int eval_levels(struct alarm_engine *e, enum alarm_id id, gt_ns now, bool known,
		       double v)
{
	const struct alarm_rule_cfg *rc = &e->cfg.rule[id];
	struct rule_state *rs = &e->st[id];
	gt_ns minage = s_to_ns(rc->minage);
	int l, target = -1, cur = (int)rs->sev - 1;

	for (l = 0; l < ALARM_LEVELS; l++) {
		if (isnan(rc->thr[l]))
			continue;
		if (known && v >= rc->thr[l]) {
			if (rs->above_since[l] == NONE_T)
				rs->above_since[l] = now;
			if (now - rs->above_since[l] >= minage)
				target = l;
		} else {
			rs->above_since[l] = NONE_T;
		}
		if (known && v >= hold_of(e, id, l))
			rs->below_since[l] = NONE_T;
		else if (rs->below_since[l] == NONE_T)
			rs->below_since[l] = now;
	}
	if (target > cur) {
		emit(e, id, now, ALARM_EV_RAISED, (enum alarm_sev)(target + 1), v, rc->thr[target],
		     NULL);
		return 1;
	}
	if (cur < 0 || rs->below_since[cur] == NONE_T || now - rs->below_since[cur] < minage)
		return 0;
	/* Fall back to the highest lower level the value has not left for
	 * minage (the levels below it are then held too). */
	for (l = cur - 1; l >= 0; l--)
		if (!isnan(rc->thr[l]) &&
		    (rs->below_since[l] == NONE_T || now - rs->below_since[l] < minage))
			break;
	if (l >= 0) {
		char vs[32], hs[32], back[ALARM_MSG_MAX];
		const struct alarm_rule_def *d = &alarm_rules[id];

		fmt_value(vs, sizeof(vs), d->unit, v);
		fmt_value(hs, sizeof(hs), d->unit, hold_of(e, id, cur));
		snprintf(back, sizeof(back), "%s %s under %s for %.0f s: back to %s", d->what,
			 known ? vs : "unknown", hs, rc->minage,
			 alarm_sev_name((enum alarm_sev)(l + 1)));
		emit(e, id, now, ALARM_EV_RAISED, (enum alarm_sev)(l + 1), v, rc->thr[l], back);
	} else
		emit(e, id, now, ALARM_EV_CLEARED, ALARM_SEV_NONE, known ? v : NAN,
		     alarm_rule_clear(id, rc), NULL);
	return 1;
}

/* Events of a counter over the last window: the counter now minus the
 * newest sample at least window old (or the oldest kept, while the
 * history is shorter: an under-estimate, never an over-estimate). */
static bool counter_value(struct alarm_engine *e, enum alarm_id id, gt_ns now,
			  const struct alarm_ctr *c, double *out)
{
	struct rule_state *rs = &e->st[id];
	gt_ns window = s_to_ns(e->cfg.rule[id].window), step = window / CTR_STEP;
	const struct ctr_sample *ref = NULL, *newest;
	unsigned i;

	if (!c->known) {
		rs->h_len = 0;
		return false;
	}
	newest = rs->h_len ? &rs->hist[(rs->h_head + CTR_SLOTS - 1) % CTR_SLOTS] : NULL;
	if (newest && (c->n < newest->n || now < newest->t)) {
		rs->h_len = 0;		/* the counter restarted, or time went back */
		newest = NULL;
	}
	if (!newest || now - newest->t >= step) {
		rs->hist[rs->h_head] = (struct ctr_sample){ now, c->n };
		rs->h_head = (rs->h_head + 1) % CTR_SLOTS;
		if (rs->h_len < CTR_SLOTS)
			rs->h_len++;
	}
	for (i = 0; i < rs->h_len; i++) {
		const struct ctr_sample *s = &rs->hist[(rs->h_head + CTR_SLOTS - 1 - i) % CTR_SLOTS];

		ref = s;
		if (now - s->t >= window)
			break;
	}
	*out = (double)(c->n - ref->n);
	return true;
}

/* Raised at once when the stratum changes by at least a level's threshold
 * (comparing with the last stratum seen while synchronised, 1..15);
 * cleared minage later, or raised again by a further change. */
static int eval_stratum(struct alarm_engine *e, gt_ns now, const struct alarm_val *s)
{
	const enum alarm_id id = ALARM_STRATUM_CHANGE;
	const struct alarm_rule_cfg *rc = &e->cfg.rule[id];
	struct rule_state *rs = &e->st[id];
	int l, n = 0;

	rs->known = s->known;
	rs->value = NAN;
	if (s->known && s->v >= 1 && s->v <= 15) {
		double delta = rs->have_prev ? fabs(s->v - rs->prev) : 0;
		char extra[48];

		rs->value = delta;
		for (l = ALARM_LEVELS - 1; l >= 0 && delta > 0; l--) {
			if (isnan(rc->thr[l]) || delta < rc->thr[l])
				continue;
			snprintf(extra, sizeof(extra), " (stratum %.0f -> %.0f)", rs->prev, s->v);
			emit(e, id, now, ALARM_EV_RAISED, (enum alarm_sev)(l + 1), delta, rc->thr[l],
			     extra);
			n = 1;
			break;
		}
		rs->prev = s->v;
		rs->have_prev = true;
	}
	if (!n && rs->sev != ALARM_SEV_NONE && now - rs->last_raised >= s_to_ns(rc->minage)) {
		emit(e, id, now, ALARM_EV_CLEARED, ALARM_SEV_NONE, 0, NAN, NULL);
		n = 1;
	}
	return n;
}

static bool input_of(struct alarm_engine *e, enum alarm_id id, gt_ns now,
		     const struct alarm_inputs *in, double *v)
{
	/* Offset and jitter of a clock that is known to be unsynchronised mean
	 * nothing: the unsynchronised alarm speaks for it. */
	bool unsynced = in->synced.known && !in->synced.on;

	switch (id) {
	case ALARM_OFFSET:
		*v = fabs(in->offset.v);
		return in->offset.known && !unsynced;
	case ALARM_JITTER:
		*v = in->jitter.v;
		return in->jitter.known && !unsynced;
	case ALARM_NO_SELECTABLE:
		*v = in->selectable.v < 1;
		return in->selectable.known;
	case ALARM_UNSYNC:
		*v = !in->synced.on;
		return in->synced.known;
	case ALARM_LEAP_PENDING:
		*v = in->leap_pending.on;
		return in->leap_pending.known;
	case ALARM_GW_SILENT:
		*v = in->gw_silent.on;
		return in->gw_silent.known;
	case ALARM_GW_LOSS:
		*v = in->gw_loss.v;
		return in->gw_loss.known;
	case ALARM_AUTH_FAILURES:
		return counter_value(e, id, now, &in->auth_failures, v);
	case ALARM_REPLAYS:
		return counter_value(e, id, now, &in->replays, v);
	case ALARM_JOURNAL_LOSS:
		return counter_value(e, id, now, &in->journal_lost, v);
	case ALARM_RATELIMIT_STORM:
		return counter_value(e, id, now, &in->ratelimit_drops, v);
	case ALARM_PARTNER_LOST:
		*v = in->partner_lost.on;
		return in->partner_lost.known;
	case ALARM_PARTNER_DISAGREE:
		*v = fabs(in->partner_offset.v);
		return in->partner_offset.known;
	default:
		return false;
	}
}

int alarm_eval(struct alarm_engine *e, gt_ns now, const struct alarm_inputs *in)
{
	int n = 0;
	unsigned i;

	for (i = 0; i < ALARM_COUNT; i++) {
		enum alarm_id id = (enum alarm_id)i;
		struct rule_state *rs = &e->st[i];
		double v = NAN;
		bool known;

		if (!e->cfg.rule[i].enabled)
			continue;
		if (id == ALARM_STRATUM_CHANGE) {
			n += eval_stratum(e, now, &in->stratum);
			continue;
		}
		known = input_of(e, id, now, in, &v);
		rs->known = known;
		rs->value = known ? v : NAN;
		n += eval_levels(e, id, now, known, v);
	}
	return n;
}

void alarm_get_status(const struct alarm_engine *e, enum alarm_id id, struct alarm_status *out)
{
	const struct rule_state *rs = &e->st[id];

	memset(out, 0, sizeof(*out));
	out->name = alarm_rules[id].name;
	out->enabled = e->cfg.rule[id].enabled;
	out->state = rs->state;
	out->sev = rs->sev;
	out->known = rs->known;
	out->value = rs->value;
	out->threshold = rs->threshold;
	out->raises = rs->raises;
	out->clears = rs->clears;
	out->last_raised = rs->state == ALARM_UNSET ? 0 : rs->last_raised;
	out->last_cleared = rs->clears ? rs->last_cleared : 0;
	memcpy(out->msg, rs->msg, sizeof(out->msg));
}

unsigned alarm_active_count(const struct alarm_engine *e)
{
	unsigned i, n = 0;

	for (i = 0; i < ALARM_COUNT; i++)
		n += e->st[i].sev != ALARM_SEV_NONE;
	return n;
}

size_t alarm_metrics(const struct alarm_engine *e, struct alarm_metric *out, size_t max)
{
	size_t n = 0;
	unsigned i;
	int l;

	for (i = 0; i < ALARM_COUNT; i++) {
		if (!e->cfg.rule[i].enabled)
			continue;
		for (l = 0; l < ALARM_LEVELS && n < max; l++) {
			if (isnan(e->cfg.rule[i].thr[l]))
				continue;
			out[n].alarm = alarm_rules[i].name;
			out[n].severity = alarm_sev_name((enum alarm_sev)(l + 1));
			out[n].active = (int)e->st[i].sev == l + 1;
			n++;
		}
	}
	return n;
}

/* For alarm_out.c: read-only views of the engine's state. */
const struct alarm_cfg *alarm_int_cfg(const struct alarm_engine *e)
{
	return &e->cfg;
}

gt_ns alarm_int_raised_at(const struct alarm_engine *e, enum alarm_id id)
{
	return e->st[id].raised_at;
}

bool alarm_int_recent(const struct alarm_engine *e, unsigned i, struct alarm_event *ev)
{
	const struct recent_ev *r;

	if (i >= e->r_len)
		return false;
	r = &e->recent[(e->r_head + ALARM_RECENT - 1 - i) % ALARM_RECENT];
	*ev = (struct alarm_event){ .id = r->id, .name = alarm_rules[r->id].name, .kind = r->kind,
				    .sev = r->sev, .prev_sev = r->prev, .value = r->value,
				    .threshold = r->threshold, .t_mono = r->t, .msg = r->msg };
	return true;
}
