/* Unit tests for the alarm engine (src/mon/alarm*.c): thresholds and
 * levels, hysteresis, the minimum age against flapping (a value crossing
 * the threshold faster than minage never raises, and never clears a raised
 * alarm), unknown inputs, the transient stratum change, counter rules over
 * their window, the journal sink (a real journal file read back), the
 * JSON writer (parsed back with jansson) and the metrics list. Time is
 * simulated: the engine never reads a clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/journal.h"
#include "lib/metrics.h"
#include "mon/alarm.h"
#include "mon/json.h"

#define S(x) ((gt_ns)((x) * 1e9))

/* ---- a recording sink ---- */

#define MAX_EV 256

struct rec {
	int n;
	struct {
		enum alarm_id id;
		enum alarm_ev_kind kind;
		enum alarm_sev sev, prev;
		double value, threshold;
		gt_ns t;
		char msg[ALARM_MSG_MAX];
	} ev[MAX_EV];
};

static void rec_cb(void *ctx, const struct alarm_event *ev)
{
	struct rec *r = ctx;

	if (r->n >= MAX_EV) {	/* counted, not kept */
		r->n++;
		return;
	}
	r->ev[r->n].id = ev->id;
	r->ev[r->n].kind = ev->kind;
	r->ev[r->n].sev = ev->sev;
	r->ev[r->n].prev = ev->prev_sev;
	r->ev[r->n].value = ev->value;
	r->ev[r->n].threshold = ev->threshold;
	r->ev[r->n].t = ev->t_mono;
	snprintf(r->ev[r->n].msg, sizeof(r->ev[0].msg), "%s", ev->msg);
	assert_string_equal(ev->name, alarm_name(ev->id));
	r->n++;
}

static const struct alarm_sink_ops rec_ops = { "rec", rec_cb, rec_cb };

struct fix {
	struct alarm_cfg cfg;
	struct alarm_engine *e;
	struct rec rec;
	struct alarm_inputs in;
	gt_ns now;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	alarm_cfg_defaults(&f->cfg);
	f->now = S(1000);	/* monotonic times need not start at 0 */
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	alarm_destroy(f->e);
	free(f);
	return 0;
}

static void start(struct fix *f)
{
	alarm_destroy(f->e);
	f->e = alarm_create(&f->cfg);
	assert_non_null(f->e);
	assert_int_equal(alarm_add_sink(f->e, &rec_ops, &f->rec), 0);
	f->rec.n = 0;
}

/* Evaluate once a second for secs seconds (the first at now + 1 s). */
static void run(struct fix *f, double secs)
{
	int i;

	for (i = 0; i < (int)lround(secs); i++) {
		f->now += S(1);
		alarm_eval(f->e, f->now, &f->in);
	}
}

static void expect_ev(const struct fix *f, int i, enum alarm_id id, enum alarm_ev_kind kind,
		      enum alarm_sev sev)
{
	if (i >= f->rec.n || i >= MAX_EV)
		fail_msg("no event %d (only %d kept)", i, f->rec.n);
	assert_int_equal(f->rec.ev[i].id, id);
	assert_int_equal(f->rec.ev[i].kind, kind);
	assert_int_equal(f->rec.ev[i].sev, sev);
}

static enum alarm_sev sev_of(const struct fix *f, enum alarm_id id)
{
	struct alarm_status st;

	alarm_get_status(f->e, id, &st);
	return st.sev;
}

static void set_offset(struct fix *f, double v)
{
	f->in.offset.known = true;
	f->in.offset.v = v;
}

/* ---- tests ---- */

static void test_names_defaults(void **state)
{
	struct fix *f = *state;
	unsigned i;

	for (i = 0; i < ALARM_COUNT; i++)
		assert_int_equal(alarm_id_from_name(alarm_name((enum alarm_id)i)), i);
	assert_int_equal(alarm_id_from_name("nope"), ALARM_COUNT);
	assert_string_equal(alarm_name(ALARM_NO_SELECTABLE), "no_selectable_source");
	assert_string_equal(alarm_sev_name(ALARM_SEV_CRITICAL), "critical");
	assert_string_equal(alarm_state_name(ALARM_CLEARED), "cleared");
	assert_true(f->cfg.rule[ALARM_OFFSET].thr[1] == 1e-3);
	assert_true(f->cfg.rule[ALARM_OFFSET].thr[2] == 10e-3);
	assert_true(isnan(f->cfg.rule[ALARM_OFFSET].thr[0]));
	assert_true(alarm_rule_clear(ALARM_OFFSET, &f->cfg.rule[ALARM_OFFSET]) == 0.5e-3);
	assert_true(f->cfg.rule[ALARM_OFFSET].minage == 10);
	assert_int_equal(f->cfg.syslog_facility, 12 << 3);
	assert_string_equal(alarm_facility_name(12 << 3), "ntp");
}

/* Levels and the minimum age before raising, to the second. */
static void test_thresholds_minage(void **state)
{
	struct fix *f = *state;
	struct alarm_status st;

	start(f);
	set_offset(f, 0.9e-3);		/* under warn */
	run(f, 100);
	assert_int_equal(f->rec.n, 0);
	alarm_get_status(f->e, ALARM_OFFSET, &st);
	assert_int_equal(st.state, ALARM_UNSET);
	assert_true(st.known && st.value == 0.9e-3);

	set_offset(f, -2e-3);		/* |offset| over warn */
	run(f, 10);			/* seen at +1 .. +10: met for 9 s */
	assert_int_equal(f->rec.n, 0);
	run(f, 1);			/* met for 10 s */
	assert_int_equal(f->rec.n, 1);
	expect_ev(f, 0, ALARM_OFFSET, ALARM_EV_RAISED, ALARM_SEV_WARNING);
	assert_int_equal(f->rec.ev[0].prev, ALARM_SEV_NONE);
	assert_true(f->rec.ev[0].value == 2e-3 && f->rec.ev[0].threshold == 1e-3);
	assert_non_null(strstr(f->rec.ev[0].msg, "system offset 2.000 ms reached 1.000 ms"));

	set_offset(f, 20e-3);		/* escalates after its own minage */
	run(f, 10);
	assert_int_equal(f->rec.n, 1);
	run(f, 1);
	assert_int_equal(f->rec.n, 2);
	expect_ev(f, 1, ALARM_OFFSET, ALARM_EV_RAISED, ALARM_SEV_CRITICAL);
	assert_int_equal(f->rec.ev[1].prev, ALARM_SEV_WARNING);
	alarm_get_status(f->e, ALARM_OFFSET, &st);
	assert_int_equal(st.state, ALARM_RAISED);
	assert_int_equal(st.raises, 2);
	assert_true(st.threshold == 10e-3);
	assert_int_equal(alarm_active_count(f->e), 1);

	/* A value over crit from the start raises critical at once, not
	 * warning first. */
	start(f);
	set_offset(f, 0.5);
	run(f, 11);
	assert_int_equal(f->rec.n, 1);
	expect_ev(f, 0, ALARM_OFFSET, ALARM_EV_RAISED, ALARM_SEV_CRITICAL);
}

/* Clearing needs the value under the clear threshold, not just under the
 * raise threshold; a higher level holds down to its threshold x ratio. */
static void test_hysteresis(void **state)
{
	struct fix *f = *state;
	struct alarm_status st;

	start(f);
	set_offset(f, 30e-3);
	run(f, 11);
	assert_int_equal(sev_of(f, ALARM_OFFSET), ALARM_SEV_CRITICAL);
	set_offset(f, 6e-3);		/* under crit 10 ms, over its hold 5 ms */
	run(f, 300);
	assert_int_equal(f->rec.n, 1);
	set_offset(f, 4e-3);		/* under the hold: back to warning */
	run(f, 10);
	assert_int_equal(f->rec.n, 1);
	run(f, 1);
	assert_int_equal(f->rec.n, 2);
	expect_ev(f, 1, ALARM_OFFSET, ALARM_EV_RAISED, ALARM_SEV_WARNING);
	assert_int_equal(f->rec.ev[1].prev, ALARM_SEV_CRITICAL);
	assert_string_equal(f->rec.ev[1].msg,
			    "system offset 4.000 ms under 5.000 ms for 10 s: back to warning");
	set_offset(f, 0.7e-3);		/* under warn 1 ms, over clear 0.5 ms */
	run(f, 300);
	assert_int_equal(f->rec.n, 2);
	set_offset(f, 0.3e-3);
	run(f, 10);
	assert_int_equal(f->rec.n, 2);
	run(f, 1);
	assert_int_equal(f->rec.n, 3);
	expect_ev(f, 2, ALARM_OFFSET, ALARM_EV_CLEARED, ALARM_SEV_WARNING);
	assert_true(f->rec.ev[2].threshold == 0.5e-3);
	alarm_get_status(f->e, ALARM_OFFSET, &st);
	assert_int_equal(st.state, ALARM_CLEARED);
	assert_int_equal(st.clears, 1);
	assert_int_equal(st.sev, ALARM_SEV_NONE);
	assert_true(st.last_cleared == f->now);

	/* An explicit clear threshold; the crit hold follows its ratio. */
	f->cfg.rule[ALARM_OFFSET].clear = 0.9e-3;
	start(f);
	set_offset(f, 2e-3);
	run(f, 11);
	set_offset(f, 0.95e-3);
	run(f, 100);
	assert_int_equal(f->rec.n, 1);
	set_offset(f, 0.85e-3);
	run(f, 11);
	assert_int_equal(f->rec.n, 2);
	expect_ev(f, 1, ALARM_OFFSET, ALARM_EV_CLEARED, ALARM_SEV_WARNING);
}

/* A value crossing the threshold faster than minage never raises; once
 * raised, dips under the clear threshold shorter than minage never clear. */
static void test_flapping(void **state)
{
	struct fix *f = *state;
	int i;

	start(f);
	for (i = 0; i < 500; i++) {
		set_offset(f, i % 2 ? 50e-3 : 0);
		run(f, 9);		/* 9 s over, 9 s under: minage is 10 s */
	}
	assert_int_equal(f->rec.n, 0);
	/* The same with the crossing every evaluation. */
	for (i = 0; i < 2000; i++) {
		set_offset(f, i % 2 ? 50e-3 : 0);
		run(f, 1);
	}
	assert_int_equal(f->rec.n, 0);

	set_offset(f, 2e-3);
	run(f, 11);
	assert_int_equal(f->rec.n, 1);
	for (i = 0; i < 500; i++) {
		set_offset(f, i % 2 ? 2e-3 : 0);
		run(f, 9);
	}
	assert_int_equal(f->rec.n, 1);
	assert_int_equal(sev_of(f, ALARM_OFFSET), ALARM_SEV_WARNING);

	/* minage 0: every evaluation counts. */
	f->cfg.rule[ALARM_OFFSET].minage = 0;
	start(f);
	set_offset(f, 2e-3);
	run(f, 1);
	set_offset(f, 0);
	run(f, 1);
	assert_int_equal(f->rec.n, 2);
	expect_ev(f, 1, ALARM_OFFSET, ALARM_EV_CLEARED, ALARM_SEV_WARNING);
}

/* A deterministic normal deviate (LCG + Box-Muller): the test's noise. */
static double noise(uint64_t *st)
{
	double u1, u2;

	*st = *st * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
	u1 = ((double)(*st >> 11) + 1) / 9007199254740993.0;
	*st = *st * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
	u2 = (double)(*st >> 11) / 9007199254740992.0;
	return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

/* One simulated day of an offset hovering under the warning threshold
 * (0.8 ms mean, 0.3 ms standard deviation, a quarter of the samples over
 * 1 ms): without hysteresis and minimum age the alarm flaps thousands of
 * times; with the defaults it stays quiet. */
static int day_of_noise(struct fix *f)
{
	uint64_t st = 42;
	int i;

	start(f);
	for (i = 0; i < 86400; i++) {
		set_offset(f, 0.8e-3 + 0.3e-3 * noise(&st));
		run(f, 1);
	}
	return f->rec.n;
}

static void test_noise_day(void **state)
{
	struct fix *f = *state;
	int bare, hyst_only, minage_only, guarded;

	f->cfg.rule[ALARM_OFFSET].minage = 0;
	f->cfg.rule[ALARM_OFFSET].clear = 1e-3;
	bare = day_of_noise(f);
	f->cfg.rule[ALARM_OFFSET].clear = NAN;
	hyst_only = day_of_noise(f);
	f->cfg.rule[ALARM_OFFSET].clear = 1e-3;
	f->cfg.rule[ALARM_OFFSET].minage = 10;
	minage_only = day_of_noise(f);
	f->cfg.rule[ALARM_OFFSET].clear = NAN;
	guarded = day_of_noise(f);
	print_message("offset 0.8 +- 0.3 ms for a day, events: %d bare, %d with hysteresis "
		      "only, %d with minage only, %d with both (the defaults)\n", bare, hyst_only,
		      minage_only, guarded);
	assert_true(bare > 10000);
	assert_true(guarded <= 2);
}

/* Unknown inputs never raise, whatever value they carry; a raised alarm
 * whose input becomes unknown clears after minage. */
static void test_unknown_inputs(void **state)
{
	struct fix *f = *state;
	uint64_t n = 0;
	int i;

	start(f);
	f->in = (struct alarm_inputs){
		.offset = { false, 100 }, .jitter = { false, 100 }, .selectable = { false, 0 },
		.synced = { false, false }, .stratum = { false, 3 },
		.leap_pending = { false, true }, .gw_silent = { false, true },
		.gw_loss = { false, 1 },
	};
	for (i = 0; i < 3000; i++) {
		n += 1000000;
		f->in.auth_failures = (struct alarm_ctr){ false, n };
		f->in.replays = (struct alarm_ctr){ false, n };
		f->in.journal_lost = (struct alarm_ctr){ false, n };
		f->in.ratelimit_drops = (struct alarm_ctr){ false, n };
		f->in.stratum.v = 1 + i % 15;
		run(f, 1);
	}
	assert_int_equal(f->rec.n, 0);
	assert_int_equal(alarm_active_count(f->e), 0);

	/* Offset and jitter of a clock known to be unsynchronised: ignored. */
	f->in.synced = (struct alarm_flag){ true, false };
	set_offset(f, 1);
	run(f, 100);
	assert_int_equal(f->rec.n, 1);
	expect_ev(f, 0, ALARM_UNSYNC, ALARM_EV_RAISED, ALARM_SEV_CRITICAL);
	assert_int_equal(f->rec.ev[0].t, f->now - S(100) + S(61));	/* met from +1 s, minage 60 s */

	f->in.synced.on = true;
	run(f, 11);
	expect_ev(f, 1, ALARM_OFFSET, ALARM_EV_RAISED, ALARM_SEV_CRITICAL);
	f->in.offset.known = false;	/* e.g. the discipline restarted */
	run(f, 60);
	/* unsynchronised clears (minage 60) and so does offset (minage 10). */
	assert_int_equal(f->rec.n, 4);
	expect_ev(f, 2, ALARM_OFFSET, ALARM_EV_CLEARED, ALARM_SEV_CRITICAL);
	assert_true(isnan(f->rec.ev[2].value));
	expect_ev(f, 3, ALARM_UNSYNC, ALARM_EV_CLEARED, ALARM_SEV_CRITICAL);
}

static void test_disabled(void **state)
{
	struct fix *f = *state;
	struct alarm_metric m[64];
	size_t n, i;

	f->cfg.rule[ALARM_OFFSET].enabled = false;
	start(f);
	set_offset(f, 10);
	run(f, 100);
	assert_int_equal(f->rec.n, 0);
	n = alarm_metrics(f->e, m, 64);
	for (i = 0; i < n; i++)
		assert_string_not_equal(m[i].alarm, "offset");
}

static void test_flags(void **state)
{
	struct fix *f = *state;

	start(f);
	f->in.selectable = (struct alarm_val){ true, 2 };
	f->in.leap_pending = (struct alarm_flag){ true, false };
	f->in.gw_silent = (struct alarm_flag){ true, false };
	run(f, 100);
	assert_int_equal(f->rec.n, 0);
	f->in.selectable.v = 0;
	f->in.leap_pending.on = true;
	f->in.gw_silent.on = true;
	run(f, 61);
	assert_int_equal(f->rec.n, 3);
	/* Rules are evaluated in table order within one evaluation. */
	expect_ev(f, 0, ALARM_LEAP_PENDING, ALARM_EV_RAISED, ALARM_SEV_INFO);
	expect_ev(f, 1, ALARM_GW_SILENT, ALARM_EV_RAISED, ALARM_SEV_CRITICAL);
	expect_ev(f, 2, ALARM_NO_SELECTABLE, ALARM_EV_RAISED, ALARM_SEV_WARNING);
	assert_string_equal(f->rec.ev[1].msg, "the gateway receiver hears no valid message");
	f->in.gw_silent.on = false;
	run(f, 11);
	expect_ev(f, 3, ALARM_GW_SILENT, ALARM_EV_CLEARED, ALARM_SEV_CRITICAL);
	assert_string_equal(f->rec.ev[3].msg, "the gateway receiver hears valid messages again");
}

/* Gateway loss: a ratio. */
static void test_gateway_loss(void **state)
{
	struct fix *f = *state;

	start(f);
	f->in.gw_loss = (struct alarm_val){ true, 0.09 };
	run(f, 100);
	assert_int_equal(f->rec.n, 0);
	f->in.gw_loss.v = 0.12;
	run(f, 31);
	expect_ev(f, 0, ALARM_GW_LOSS, ALARM_EV_RAISED, ALARM_SEV_WARNING);
	assert_non_null(strstr(f->rec.ev[0].msg, "gateway loss 12.0 % reached 10.0 %"));
	f->in.gw_loss.v = 0.06;
	run(f, 100);
	assert_int_equal(f->rec.n, 1);
	f->in.gw_loss.v = 0.04;
	run(f, 31);
	expect_ev(f, 1, ALARM_GW_LOSS, ALARM_EV_CLEARED, ALARM_SEV_WARNING);
}

/* The transient: raised at once on a change, cleared minage later; a
 * further change raises it again; unsynchronised strata are skipped. */
static void test_stratum_change(void **state)
{
	struct fix *f = *state;
	struct alarm_status st;

	start(f);
	f->in.stratum = (struct alarm_val){ true, 2 };
	run(f, 50);
	assert_int_equal(f->rec.n, 0);	/* the first stratum is no change */
	f->in.stratum.v = 3;
	run(f, 1);
	assert_int_equal(f->rec.n, 1);
	expect_ev(f, 0, ALARM_STRATUM_CHANGE, ALARM_EV_RAISED, ALARM_SEV_INFO);
	assert_true(f->rec.ev[0].value == 1);
	assert_string_equal(f->rec.ev[0].msg, "stratum changed by 1 (stratum 2 -> 3)");
	run(f, 299);
	assert_int_equal(f->rec.n, 1);
	run(f, 1);			/* 300 s after the raise */
	assert_int_equal(f->rec.n, 2);
	expect_ev(f, 1, ALARM_STRATUM_CHANGE, ALARM_EV_CLEARED, ALARM_SEV_INFO);
	assert_string_equal(f->rec.ev[1].msg, "no stratum change for 300 s");

	/* 3 -> 16 (unsynchronised) -> 3: no change; -> 5 while raised again. */
	f->in.stratum.v = 16;
	run(f, 10);
	f->in.stratum.v = 3;
	run(f, 10);
	assert_int_equal(f->rec.n, 2);
	f->in.stratum.v = 4;
	run(f, 100);
	f->in.stratum.v = 5;
	run(f, 1);
	assert_int_equal(f->rec.n, 4);
	expect_ev(f, 3, ALARM_STRATUM_CHANGE, ALARM_EV_RAISED, ALARM_SEV_INFO);
	assert_int_equal(f->rec.ev[3].prev, ALARM_SEV_INFO);
	run(f, 299);
	assert_int_equal(f->rec.n, 4);	/* the clear waits from the last change */
	run(f, 1);
	assert_int_equal(f->rec.n, 5);
	alarm_get_status(f->e, ALARM_STRATUM_CHANGE, &st);
	assert_int_equal(st.raises, 3);
	assert_int_equal(st.clears, 2);

	/* Levels by the size of the change. */
	f->cfg.rule[ALARM_STRATUM_CHANGE].thr[0] = NAN;
	f->cfg.rule[ALARM_STRATUM_CHANGE].thr[1] = 2;
	start(f);
	f->in.stratum.v = 5;
	run(f, 5);
	f->in.stratum.v = 6;
	run(f, 5);
	assert_int_equal(f->rec.n, 0);
	f->in.stratum.v = 8;
	run(f, 1);
	expect_ev(f, 0, ALARM_STRATUM_CHANGE, ALARM_EV_RAISED, ALARM_SEV_WARNING);
}

/* Counters: events in the last window, raise and clear by count. */
static void test_counters(void **state)
{
	struct fix *f = *state;
	uint64_t n = 1000;	/* counters need not start at 0 */
	int i, first = -1;

	start(f);
	f->in.auth_failures = (struct alarm_ctr){ true, n };
	run(f, 100);
	/* A burst of 4 (under warn 5) never raises. */
	f->in.auth_failures.n = n += 4;
	run(f, 200);
	assert_int_equal(f->rec.n, 0);
	/* 1 a second: 5 in the window after 5 s, raised 10 s later. */
	for (i = 0; i < 120 && f->rec.n == 0; i++) {
		f->in.auth_failures.n = ++n;
		run(f, 1);
	}
	assert_int_equal(f->rec.n, 1);
	assert_in_range(i, 14, 16);
	expect_ev(f, 0, ALARM_AUTH_FAILURES, ALARM_EV_RAISED, ALARM_SEV_WARNING);
	assert_string_equal(f->rec.ev[0].msg, "15 authentication failures in 60 s, threshold 5");
	/* 3 a second: over 100 in the window: critical. */
	for (i = 0; i < 120; i++) {
		n += 3;
		f->in.auth_failures.n = n;
		run(f, 1);
	}
	assert_int_equal(f->rec.n, 2);
	expect_ev(f, 1, ALARM_AUTH_FAILURES, ALARM_EV_RAISED, ALARM_SEV_CRITICAL);
	assert_in_range((long)f->rec.ev[1].value, 100, 200);
	/* Stop: the window empties after 60 s (+ a sample step of 60/16 s),
	 * critical holds down to 50, clear is 2.5. */
	for (i = 0; i < 200; i++) {
		run(f, 1);
		if (f->rec.n == 4 && first < 0)
			first = i;
	}
	assert_int_equal(f->rec.n, 4);
	expect_ev(f, 2, ALARM_AUTH_FAILURES, ALARM_EV_RAISED, ALARM_SEV_WARNING);
	expect_ev(f, 3, ALARM_AUTH_FAILURES, ALARM_EV_CLEARED, ALARM_SEV_WARNING);
	assert_string_equal(f->rec.ev[3].msg,
			    "0 authentication failures in 60 s, under 2.5 for 10 s");
	assert_in_range(first, 60 + 10 - 1, 60 + 4 + 10 + 1);

	/* A counter that goes back (restart of its owner) is a new start,
	 * not 2^64 events. */
	f->in.auth_failures.n = 3;
	run(f, 100);
	assert_int_equal(f->rec.n, 4);

	/* Rate-limit storm: 200 drops/s (12,000 a minute) warns; 20,000/s
	 * (1.2 M a minute) is critical. */
	start(f);
	n = 0;
	f->in.ratelimit_drops = (struct alarm_ctr){ true, 0 };
	for (i = 0; i < 120; i++) {
		f->in.ratelimit_drops.n = n += 200;
		run(f, 1);
	}
	assert_int_equal(f->rec.n, 1);
	expect_ev(f, 0, ALARM_RATELIMIT_STORM, ALARM_EV_RAISED, ALARM_SEV_WARNING);
	for (i = 0; i < 120; i++) {
		f->in.ratelimit_drops.n = n += 20000;
		run(f, 1);
	}
	assert_int_equal(f->rec.n, 2);
	expect_ev(f, 1, ALARM_RATELIMIT_STORM, ALARM_EV_RAISED, ALARM_SEV_CRITICAL);

	/* One lost journal record warns; a replay too. */
	start(f);
	f->in.journal_lost = (struct alarm_ctr){ true, 7 };
	f->in.replays = (struct alarm_ctr){ true, 0 };
	run(f, 30);
	f->in.journal_lost.n = 8;
	f->in.replays.n = 1;
	run(f, 11);
	assert_int_equal(f->rec.n, 2);
	expect_ev(f, 0, ALARM_REPLAYS, ALARM_EV_RAISED, ALARM_SEV_WARNING);
	expect_ev(f, 1, ALARM_JOURNAL_LOSS, ALARM_EV_RAISED, ALARM_SEV_WARNING);
}

/* A short window: the count is over [window, window + window/16]. */
static void test_counter_window(void **state)
{
	struct fix *f = *state;
	int i;

	f->cfg.rule[ALARM_REPLAYS].window = 16;
	f->cfg.rule[ALARM_REPLAYS].minage = 0;
	start(f);
	f->in.replays = (struct alarm_ctr){ true, 0 };
	run(f, 40);
	f->in.replays.n = 1;
	run(f, 1);
	assert_int_equal(f->rec.n, 1);
	for (i = 0; i < 40 && f->rec.n == 1; i++)
		run(f, 1);
	expect_ev(f, 1, ALARM_REPLAYS, ALARM_EV_CLEARED, ALARM_SEV_WARNING);
	assert_in_range(i, 16, 17);
}

static void test_metrics(void **state)
{
	struct fix *f = *state;
	struct alarm_metric m[ALARM_COUNT * 3];
	size_t n, i, found = 0;

	start(f);
	set_offset(f, 5e-3);
	run(f, 11);
	n = alarm_metrics(f->e, m, ALARM_COUNT * 3);
	/* Two levels each for offset, jitter, gateway_loss, partner_disagree
	 * and the four counters; one for the five flags and the transient. */
	assert_int_equal(n, 8 * 2 + 6);
	for (i = 0; i < n; i++) {
		if (!strcmp(m[i].alarm, "offset")) {
			found++;
			assert_int_equal(m[i].active, !strcmp(m[i].severity, "warning"));
		} else {
			assert_int_equal(m[i].active, 0);
		}
	}
	assert_int_equal(found, 2);
	assert_int_equal(alarm_metrics(f->e, m, 3), 3);
}

/* A met_emit that keeps "name{l=v,...} value" lines. */
struct collect {
	struct met_emit em;
	char out[4096];
	size_t len;
};

static void collect_sample(struct met_emit *em, double value, const char *const *labels,
			   size_t n)
{
	struct collect *c = (struct collect *)(void *)em;
	size_t i;

	for (i = 0; i < n; i++)
		c->len += (size_t)snprintf(c->out + c->len, sizeof(c->out) - c->len, "%s%s=%s",
					   i ? "," : "{", labels[2 * i], labels[2 * i + 1]);
	c->len += (size_t)snprintf(c->out + c->len, sizeof(c->out) - c->len, "} %g\n", value);
}

static const char *family_text(const struct met_registry *r, const char *name,
			       struct collect *c)
{
	size_t i;

	c->em.sample = collect_sample;
	c->len = 0;
	c->out[0] = '\0';
	for (i = 0; i < met_family_count(r); i++)
		if (!strcmp(met_family_name(met_family_get(r, i)), name))
			met_family_read(met_family_get(r, i), &c->em);
	return c->out;
}

static void test_met_register(void **state)
{
	struct fix *f = *state;
	struct met_registry *r = met_create();
	static struct collect c;
	const char *t;

	f->cfg.rule[ALARM_JITTER].enabled = false;
	start(f);
	assert_int_equal(alarm_met_register(f->e, r), 0);
	assert_int_equal(alarm_met_register(f->e, r), -EEXIST);
	assert_int_equal(met_family_count(r), 3);
	set_offset(f, 5e-3);
	f->in.gw_silent = (struct alarm_flag){ true, true };
	run(f, 11);
	set_offset(f, 0);
	run(f, 11);
	t = family_text(r, "gnomon_alarm_active", &c);
	assert_non_null(strstr(t, "{alarm=offset,severity=warning} 0\n"));
	assert_non_null(strstr(t, "{alarm=offset,severity=critical} 0\n"));
	assert_non_null(strstr(t, "{alarm=gateway_silent,severity=critical} 1\n"));
	assert_null(strstr(t, "jitter"));	/* disabled: no series */
	t = family_text(r, "gnomon_alarm_raises_total", &c);
	assert_non_null(strstr(t, "{alarm=offset} 1\n"));
	assert_non_null(strstr(t, "{alarm=gateway_silent} 1\n"));
	assert_non_null(strstr(t, "{alarm=replays} 0\n"));
	t = family_text(r, "gnomon_alarm_clears_total", &c);
	assert_non_null(strstr(t, "{alarm=offset} 1\n"));
	assert_non_null(strstr(t, "{alarm=gateway_silent} 0\n"));
	met_destroy(r);
}

static void test_json(void **state)
{
	struct fix *f = *state;
	static char buf[32768];
	struct json_out j;
	json_error_t err;
	json_t *root, *a, *r, *rules, *off;
	size_t i;

	start(f);
	set_offset(f, 20e-3);
	run(f, 11);
	set_offset(f, 0);
	run(f, 11);
	f->in.gw_silent = (struct alarm_flag){ true, true };
	run(f, 15);
	json_init(&j, buf, sizeof(buf));
	alarm_json(f->e, &j, NULL, f->now, S(1.8e9));
	assert_non_null(json_result(&j));
	root = json_loads(buf, 0, &err);
	if (!root)
		fail_msg("bad JSON %s: %s", err.text, buf);
	a = json_object_get(root, "active");
	assert_int_equal(json_array_size(a), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "name")),
			    "gateway_silent");
	assert_true(json_number_value(json_object_get(json_array_get(a, 0), "age")) == 4);
	assert_true(json_number_value(json_object_get(json_array_get(a, 0), "since")) == 1.8e9 - 4);
	r = json_object_get(root, "recent");
	assert_int_equal(json_array_size(r), 3);	/* newest first */
	assert_string_equal(json_string_value(json_object_get(json_array_get(r, 0), "event")),
			    "raised");
	assert_string_equal(json_string_value(json_object_get(json_array_get(r, 1), "event")),
			    "cleared");
	assert_string_equal(json_string_value(json_object_get(json_array_get(r, 2), "severity")),
			    "critical");
	rules = json_object_get(root, "rules");
	assert_int_equal(json_array_size(rules), ALARM_COUNT);
	for (i = 0, off = NULL; i < json_array_size(rules); i++)
		if (!strcmp(json_string_value(json_object_get(json_array_get(rules, i), "name")),
			    "offset"))
			off = json_array_get(rules, i);
	assert_non_null(off);
	assert_string_equal(json_string_value(json_object_get(off, "state")), "cleared");
	assert_true(json_number_value(json_object_get(json_object_get(off, "thresholds"),
						    "critical")) == 0.01);
	assert_null(json_object_get(json_object_get(off, "thresholds"), "info"));
	assert_int_equal(json_integer_value(json_object_get(off, "raises")), 1);
	assert_int_equal(json_integer_value(json_object_get(off, "clears")), 1);
	json_decref(root);

	/* A buffer too small overflows instead of giving truncated JSON. */
	json_init(&j, buf, 100);
	alarm_json(f->e, &j, NULL, f->now, S(1.8e9));
	assert_null(json_result(&j));
}

/* The recent list keeps the newest ALARM_RECENT events. */
static void test_recent_bounded(void **state)
{
	struct fix *f = *state;
	static char buf[65536];
	struct json_out j;
	json_t *root;
	int i;

	f->cfg.rule[ALARM_OFFSET].minage = 0;
	start(f);
	for (i = 0; i < 100; i++) {
		set_offset(f, i % 2 ? 0 : 1);
		run(f, 1);
	}
	assert_int_equal(f->rec.n, 100);
	json_init(&j, buf, sizeof(buf));
	alarm_json(f->e, &j, NULL, f->now, S(1.8e9));
	root = json_loads(buf, 0, NULL);
	assert_non_null(root);
	assert_int_equal(json_array_size(json_object_get(root, "recent")), ALARM_RECENT);
	json_decref(root);
}

/* Random inputs, hostile values included (NaN, infinities, negative,
 * known flags flipping, counters jumping and going back): the event
 * stream stays consistent with the states, and the JSON stays valid and
 * bounded. */
static double wild(uint64_t *st)
{
	static const double specials[] = { NAN, INFINITY, -INFINITY, -1, 0, 1e300, 5e-324 };
	double u;

	*st = *st * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
	u = (double)(*st >> 11) / 9007199254740992.0;
	if (u < 0.05)
		return specials[(*st >> 3) % (sizeof(specials) / sizeof(specials[0]))];
	return u < 0.5 ? u * 0.02 : u * 20;
}

static void test_random_invariants(void **state)
{
	struct fix *f = *state;
	static char buf[65536];
	enum alarm_sev cur[ALARM_COUNT] = { 0 };
	uint64_t st = 7, ctr[4] = { 0 };
	struct alarm_status s;
	size_t max_json = 0;
	int step, seen = 0, i;

	for (i = 0; i < ALARM_COUNT; i++)
		f->cfg.rule[i].minage = i % 3 ? 2 : 0;
	f->cfg.rule[ALARM_AUTH_FAILURES].window = 8;
	start(f);
	for (step = 0; step < 200000; step++) {
		struct alarm_inputs *in = &f->in;
		struct json_out j;

		in->offset = (struct alarm_val){ wild(&st) < 9, wild(&st) - 0.01 };
		in->jitter = (struct alarm_val){ wild(&st) < 9, wild(&st) };
		in->selectable = (struct alarm_val){ wild(&st) < 9, floor(wild(&st) / 4) };
		in->synced = (struct alarm_flag){ wild(&st) < 15, wild(&st) < 5 };
		in->stratum = (struct alarm_val){ wild(&st) < 15, floor(wild(&st)) };
		in->leap_pending = (struct alarm_flag){ true, wild(&st) < 2 };
		in->gw_silent = (struct alarm_flag){ wild(&st) < 15, wild(&st) < 2 };
		in->gw_loss = (struct alarm_val){ true, wild(&st) / 20 };
		for (i = 0; i < 4; i++) {
			double w = wild(&st);

			if (w > 19.9)
				ctr[i] = 0;	/* the owner restarted */
			else if (w == w && w > 0 && w < 20)
				ctr[i] += (uint64_t)(w * (i == 3 ? 1000 : 2));
		}
		in->auth_failures = (struct alarm_ctr){ true, ctr[0] };
		in->replays = (struct alarm_ctr){ wild(&st) < 15, ctr[1] };
		in->journal_lost = (struct alarm_ctr){ true, ctr[2] };
		in->ratelimit_drops = (struct alarm_ctr){ true, ctr[3] };
		f->rec.n = 0;
		run(f, 1);
		for (i = 0; i < f->rec.n && i < MAX_EV; i++) {
			enum alarm_id id = f->rec.ev[i].id;

			if (f->rec.ev[i].kind == ALARM_EV_CLEARED) {
				assert_int_not_equal(cur[id], ALARM_SEV_NONE);
				assert_int_equal(f->rec.ev[i].sev, cur[id]);
				cur[id] = ALARM_SEV_NONE;
			} else {
				assert_int_equal(f->rec.ev[i].prev, cur[id]);
				assert_in_range(f->rec.ev[i].sev, ALARM_SEV_INFO, ALARM_SEV_CRITICAL);
				/* Only the transient re-raises at the same severity. */
				if (id != ALARM_STRATUM_CHANGE)
					assert_int_not_equal(f->rec.ev[i].sev, cur[id]);
				cur[id] = f->rec.ev[i].sev;
			}
			seen++;
		}
		for (i = 0; i < ALARM_COUNT; i++) {
			alarm_get_status(f->e, (enum alarm_id)i, &s);
			assert_int_equal(s.sev, cur[i]);
			assert_int_equal(s.state == ALARM_RAISED, s.sev != ALARM_SEV_NONE);
			assert_true(s.raises >= s.clears);
		}
		if (step % 1000 == 0) {
			json_init(&j, buf, sizeof(buf));
			alarm_json(f->e, &j, NULL, f->now, S(1.8e9));
			assert_non_null(json_result(&j));
			json_t *root = json_loads(buf, 0, NULL);

			assert_non_null(root);
			json_decref(root);
			if (j.len > max_json)
				max_json = j.len;
		}
	}
	print_message("200000 random evaluations: %d events, JSON at most %zu bytes\n", seen,
		      max_json);
	assert_true(seen > 1000);
}

static void test_sinks_limit(void **state)
{
	struct fix *f = *state;
	int i;

	start(f);
	for (i = 1; i < ALARM_MAX_SINKS; i++)
		assert_int_equal(alarm_add_sink(f->e, &rec_ops, &f->rec), 0);
	assert_int_equal(alarm_add_sink(f->e, &rec_ops, &f->rec), -ENOSPC);
	set_offset(f, 1);
	run(f, 11);
	assert_int_equal(f->rec.n, ALARM_MAX_SINKS);	/* every sink heard it */
}

/* The journal sink writes ALARM_RAISED / ALARM_CLEARED records with their
 * fields into a real journal file. */
static void test_journal_sink(void **state)
{
	struct fix *f = *state;
	char dir[] = "/tmp/test_alarm.XXXXXX", path[64], line[1024];
	struct journal_cfg jc = { 0 };
	struct journal *jr;
	int err, n = 0;
	FILE *fp;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/journal", dir);
	jc.path = path;
	jc.sync = true;
	jr = journal_open(&jc, &err);
	assert_non_null(jr);
	start(f);
	assert_int_equal(alarm_add_sink(f->e, &alarm_journal_sink, jr), 0);
	set_offset(f, 0.02);
	run(f, 11);
	set_offset(f, 0);
	run(f, 11);
	journal_close(jr);
	fp = fopen(path, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		if (n == 0)
			assert_non_null(strstr(line, " crit ALARM_RAISED alarm=offset "
						     "severity=critical value=0.02 threshold=0.01 "
						     "\"system offset 20.000 ms reached 10.000 ms\""));
		else
			assert_non_null(strstr(line, " notice ALARM_CLEARED alarm=offset "
						     "severity=critical value=0 threshold=0.0005 "
						     "\"system offset 0.000 ms below 0.500 ms for 10 s\""));
		n++;
	}
	fclose(fp);
	assert_int_equal(n, 2);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_names_defaults),
		T(test_thresholds_minage),
		T(test_hysteresis),
		T(test_flapping),
		T(test_noise_day),
		T(test_unknown_inputs),
		T(test_disabled),
		T(test_flags),
		T(test_gateway_loss),
		T(test_stratum_change),
		T(test_counters),
		T(test_counter_window),
		T(test_metrics),
		T(test_met_register),
		T(test_json),
		T(test_recent_bounded),
		T(test_random_invariants),
		T(test_sinks_limit),
		T(test_journal_sink),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
