/* alarm_out: the alarm state as JSON, for `gnomonctl alarms` and /status
 * (format in doc/alarms.md). Times are given twice: Unix seconds (from
 * the caller's CLOCK_REALTIME reading taken with now_mono) and an age in
 * seconds, which a clock step cannot falsify. */
#include "mon/alarm.h"
#include "mon/alarm_int.h"
#include "mon/alarm_rules.h"

#include <math.h>

#include "lib/metrics.h"
#include "mon/ctl.h"
#include "mon/json.h"

static void put_time(struct json_out *j, const char *tkey, const char *akey, gt_ns t,
		     gt_ns now_mono, gt_ns now_real)
{
	json_double(j, tkey, gt_to_sec(now_real - (now_mono - t)));
	json_double(j, akey, gt_to_sec(now_mono - t));
}

static void put_active(const struct alarm_engine *e, struct json_out *j, gt_ns now_mono,
		       gt_ns now_real)
{
	struct alarm_status st;
	unsigned i;

	json_arr_begin(j, "active");
	for (i = 0; i < ALARM_COUNT; i++) {
		alarm_get_status(e, (enum alarm_id)i, &st);
		if (st.sev == ALARM_SEV_NONE)
			continue;
		json_obj_begin(j, NULL);
		json_str(j, "name", st.name);
		json_str(j, "severity", alarm_sev_name(st.sev));
		json_double(j, "value", st.value);
		json_double(j, "threshold", st.threshold);
		put_time(j, "since", "age", alarm_int_raised_at(e, (enum alarm_id)i), now_mono,
			 now_real);
		json_str(j, "message", st.msg);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void put_recent(const struct alarm_engine *e, struct json_out *j, gt_ns now_mono,
		       gt_ns now_real)
{
	struct alarm_event ev;
	unsigned i;

	json_arr_begin(j, "recent");
	for (i = 0; alarm_int_recent(e, i, &ev); i++) {
		json_obj_begin(j, NULL);
		put_time(j, "time", "age", ev.t_mono, now_mono, now_real);
		json_str(j, "name", ev.name);
		json_str(j, "event", ev.kind == ALARM_EV_RAISED ? "raised" : "cleared");
		json_str(j, "severity", alarm_sev_name(ev.sev));
		if (ev.kind == ALARM_EV_RAISED)
			json_str(j, "prev", alarm_sev_name(ev.prev_sev));
		json_double(j, "value", ev.value);
		json_double(j, "threshold", ev.threshold);
		json_str(j, "message", ev.msg);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void put_rules(const struct alarm_engine *e, struct json_out *j, gt_ns now_mono,
		      gt_ns now_real)
{
	static const char *const level_keys[ALARM_LEVELS] = { "info", "warning", "critical" };
	const struct alarm_cfg *cfg = alarm_int_cfg(e);
	struct alarm_status st;
	unsigned i;
	int l;

	json_arr_begin(j, "rules");
	for (i = 0; i < ALARM_COUNT; i++) {
		const struct alarm_rule_cfg *rc = &cfg->rule[i];

		alarm_get_status(e, (enum alarm_id)i, &st);
		json_obj_begin(j, NULL);
		json_str(j, "name", st.name);
		json_bool(j, "enabled", st.enabled);
		json_str(j, "state", alarm_state_name(st.state));
		json_str(j, "severity", alarm_sev_name(st.sev));
		json_bool(j, "known", st.known);
		json_double(j, "value", st.value);
		json_obj_begin(j, "thresholds");
		for (l = 0; l < ALARM_LEVELS; l++)
			if (!isnan(rc->thr[l]))
				json_double(j, level_keys[l], rc->thr[l]);
		json_obj_end(j);
		json_double(j, "clear", alarm_rule_clear((enum alarm_id)i, rc));
		json_double(j, "minage", rc->minage);
		if (alarm_rules[i].kind == AK_COUNTER)
			json_double(j, "window", rc->window);
		json_u64(j, "raises", st.raises);
		json_u64(j, "clears", st.clears);
		if (st.state != ALARM_UNSET)
			put_time(j, "last_raised", "last_raised_age", st.last_raised, now_mono,
				 now_real);
		if (st.clears)
			put_time(j, "last_cleared", "last_cleared_age", st.last_cleared, now_mono,
				 now_real);
		json_obj_end(j);
	}
	json_arr_end(j);
}

void alarm_json_members(const struct alarm_engine *e, struct json_out *j, gt_ns now_mono,
			gt_ns now_real)
{
	put_active(e, j, now_mono, now_real);
	put_recent(e, j, now_mono, now_real);
	put_rules(e, j, now_mono, now_real);
}

void alarm_json(const struct alarm_engine *e, struct json_out *j, const char *key,
		gt_ns now_mono, gt_ns now_real)
{
	json_obj_begin(j, key);
	alarm_json_members(e, j, now_mono, now_real);
	json_obj_end(j);
}

/* `alarms`: the adapter that reads the clocks the engine never reads. */
static int cmd_alarms(void *arg, int argc, char **argv, struct json_out *j)
{
	(void)argc;
	(void)argv;
	alarm_json_members(arg, j, gt_now(CLOCK_MONOTONIC), gt_now(CLOCK_REALTIME));
	return 0;
}

int alarm_ctl_register(struct ctl *c, struct alarm_engine *e)
{
	return ctl_register(c, "alarms", cmd_alarms, e);
}

/* gnomon_alarm_active{alarm,severity}: every level of every enabled rule. */
static void family_active(const void *ctx, struct met_emit *em)
{
	struct alarm_metric m[ALARM_COUNT * ALARM_LEVELS];
	size_t n = alarm_metrics(ctx, m, ALARM_COUNT * ALARM_LEVELS), i;

	for (i = 0; i < n; i++)
		met_emit(em, m[i].active, "alarm", m[i].alarm, "severity", m[i].severity, NULL);
}

static void family_counts(const void *ctx, struct met_emit *em, bool raises)
{
	const struct alarm_cfg *cfg = alarm_int_cfg(ctx);
	struct alarm_status st;
	unsigned i;

	for (i = 0; i < ALARM_COUNT; i++) {
		if (!cfg->rule[i].enabled)
			continue;
		alarm_get_status(ctx, (enum alarm_id)i, &st);
		met_emit(em, (double)(raises ? st.raises : st.clears), "alarm", st.name, NULL);
	}
}

static void family_raises(const void *ctx, struct met_emit *em)
{
	family_counts(ctx, em, true);
}

static void family_clears(const void *ctx, struct met_emit *em)
{
	family_counts(ctx, em, false);
}

int alarm_met_register(const struct alarm_engine *e, struct met_registry *r)
{
	int rc;

	rc = met_register_family(r, "gnomon_alarm_active",
				 "1 when the alarm is raised at this severity, else 0", MET_GAUGE,
				 family_active, e);
	if (!rc)
		rc = met_register_family(r, "gnomon_alarm_raises_total",
					 "alarm raises, severity changes included", MET_COUNTER,
					 family_raises, e);
	if (!rc)
		rc = met_register_family(r, "gnomon_alarm_clears_total", "alarm clears",
					 MET_COUNTER, family_clears, e);
	return rc;
}
