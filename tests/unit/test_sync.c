/* Unit tests for sync/sync (the synchronisation core as services see it:
 * unsynchronised until the first update, stratum / refid / root delay
 * propagation, minsources, noselect, holdover, the drift file, the poll
 * hint, the leap announcement) and clock/leap. The clock is the
 * simulator's (tests/sim/sim_clock.c): no real clock is read or changed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock/drift.h"
#include "clock/leap.h"
#include "sync/sync.h"
#include "lib/log.h"
#include "../sim/sim_clock.h"

#define S(x) ((gt_ns)((x) * 1e9))
#define US(x) ((gt_ns)((x) * 1e3))
#define NEAR(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

/* 2016-12-31 12:00 UTC: a leap second was inserted at its end. */
#define T0 S(1483185600)
#define MONO0 S(1000)

static void test_leap_month_end(void **state)
{
	(void)state;
	assert_true(leap_month_end(S(1483228799.5)) == S(1483228800));	/* 2017-01-01 */
	assert_true(leap_month_end(S(1483228800)) == S(1485907200));	/* 2017-02-01 */
	assert_true(leap_month_end(S(1435708799)) == S(1435708800));	/* 2015-07-01 */
	/* February of a leap year, and of 2100 (not one). */
	assert_true(leap_month_end(S(951782400)) == S(951868800));	/* 2000-02-29 -> 03-01 */
	assert_true(leap_month_end(S(4107369600)) == S(4107542400));	/* 2100-02-27 -> 03-01 */
	/* Before 1970 and across 2036. */
	assert_true(leap_month_end(S(-1)) == S(0));
	assert_true(leap_month_end(S(2085978496)) == S(2087942400));	/* 2036-02-07 -> 03-01 */
}

static void test_leap_vote(void **state)
{
	uint8_t a[] = { CLK_LEAP_INS, CLK_LEAP_INS, CLK_LEAP_NONE };
	uint8_t b[] = { CLK_LEAP_INS, CLK_LEAP_DEL, CLK_LEAP_NONE, CLK_LEAP_NONE };
	uint8_t c[] = { CLK_LEAP_DEL, CLK_LEAP_DEL };

	(void)state;
	assert_int_equal(leap_vote(a, 3), CLK_LEAP_INS);
	assert_int_equal(leap_vote(b, 4), CLK_LEAP_NONE);
	assert_int_equal(leap_vote(a, 4 - 1 - 1), CLK_LEAP_INS);
	assert_int_equal(leap_vote(c, 2), CLK_LEAP_DEL);
	assert_int_equal(leap_vote(b, 2), CLK_LEAP_NONE);	/* one of two is no majority */
	assert_int_equal(leap_vote(a, 0), CLK_LEAP_NONE);
}

/* ---- a tiny world: the simulated clock and perfect servers ---- */

struct world {
	struct sim_clock clock;
	struct sync *sync;
	gt_ns t;		/* true time */
};

static gt_ns mono(const struct world *w)
{
	return w->t - T0 + MONO0;
}

static void world_init(struct world *w, const struct sync_config *cfg, double offset)
{
	memset(w, 0, sizeof(*w));
	w->t = T0;
	sim_clock_init(&w->clock, T0, offset, 0, 0, 1);
	w->sync = sync_create(&w->clock.base, cfg);
	assert_non_null(w->sync);
}

/* A sample as a server with this error, stratum and root delay would give
 * over a symmetric 200 us round trip, taken at the current time. */
static void sample(struct world *w, int src, double server_err, int stratum, uint8_t leap)
{
	struct sync_sample s;
	gt_ns local = sim_clock_read(&w->clock);

	memset(&s, 0, sizeof(s));
	s.time = local;
	s.offset = (w->t + S(server_err)) - local;
	s.delay = US(200);
	s.disp = 100;
	s.root_delay = US(1000);
	s.root_disp = US(500);
	s.stratum = (uint8_t)stratum;
	s.leap = leap;
	s.refid = 0x0a000001;
	sync_add_sample(w->sync, src, &s, mono(w));
	sync_update(w->sync, mono(w));
}

static void advance(struct world *w, double secs)
{
	gt_ns end = w->t + S(secs);

	while (w->t < end) {
		gt_ns next = sync_next_update(w->sync);

		next = next == INT64_MAX ? end : next - MONO0 + T0;
		if (next <= w->t)
			next = w->t + 1;
		if (next > end)
			next = end;
		w->t = next;
		sim_clock_advance(&w->clock, w->t);
		sync_update(w->sync, mono(w));
	}
}

/* Poll every source every interval s for n rounds. */
static void run(struct world *w, int nsrc, const double *err, int rounds, double interval)
{
	int r, i;

	for (r = 0; r < rounds; r++) {
		for (i = 0; i < nsrc; i++)
			sample(w, i, err ? err[i] : 0, 2, CLK_LEAP_NONE);
		advance(w, interval);
	}
}

static double clock_error(const struct world *w)
{
	return (double)(sim_clock_read(&w->clock) - w->t) * 1e-9;
}

static void test_unsynchronised_at_start(void **state)
{
	struct sync_config cfg = { 0 };
	struct sync_state st;
	struct clk_quality q;
	struct world w;

	(void)state;
	world_init(&w, &cfg, 0.01);
	sync_get_state(w.sync, &st);
	assert_false(st.synced);
	assert_int_equal(st.stratum, 16);
	assert_int_equal(st.leap, CLK_LEAP_UNSYNC);
	assert_int_equal(st.sys_peer, -1);
	sync_get_quality(w.sync, &q);
	assert_int_equal(q.stratum, 16);
	assert_int_equal(q.leap, CLK_LEAP_UNSYNC);
	assert_true(q.ref_time == 0);
	sync_destroy(w.sync);
}

/* One stratum-2 source: we become stratum 3 with its refid, root delay
 * = its root delay + delay, and the clock's 10 ms error is slewed out. */
static void test_sync_one_source(void **state)
{
	struct sync_config cfg = { 0 };
	struct sync_state st;
	struct sync_src_info info;
	struct world w;
	int id;

	(void)state;
	world_init(&w, &cfg, 0.01);
	id = sync_add_source(w.sync, NULL, NULL, "a", 0xc0000201u, 0);
	assert_int_equal(id, 0);
	run(&w, 1, NULL, 20, 4);
	sync_get_state(w.sync, &st);
	assert_true(st.synced);
	assert_int_equal(st.stratum, 3);
	assert_true(st.refid == 0xc0000201u);
	assert_int_equal(st.sys_peer, 0);
	assert_int_equal(st.leap, CLK_LEAP_NONE);
	NEAR(st.root_delay, US(1200), 1000);
	assert_true(st.root_disp >= US(500));
	assert_int_equal(st.n_steps, 0);
	assert_true(fabs(clock_error(&w)) < 5e-6);
	assert_int_equal(sync_get_source(w.sync, id, &info), 0);
	assert_string_equal(info.name, "a");
	assert_int_equal(info.state, SYNC_SRC_SYSPEER);
	assert_int_equal(info.n_samples, 20);
	assert_int_equal(info.stratum, 2);
	assert_int_equal(sync_get_source(w.sync, 5, &info), -ENOENT);
	sync_destroy(w.sync);
}

/* makestep 0.1 3: a 2 s error is stepped once. */
static void test_makestep(void **state)
{
	struct sync_config cfg = { .makestep_threshold = 0.1, .makestep_limit = 3 };
	struct sync_state st;
	struct world w;

	(void)state;
	world_init(&w, &cfg, -2.0);
	sync_add_source(w.sync, NULL, NULL, "a", 1, 0);
	run(&w, 1, NULL, 10, 2);
	sync_get_state(w.sync, &st);
	assert_int_equal(st.n_steps, 1);
	assert_true(fabs(clock_error(&w)) < 1e-5);
	sync_destroy(w.sync);
}

/* minsources 2 with one source: never synchronised, clock untouched. */
static void test_minsources(void **state)
{
	struct sync_config cfg = { .minsources = 2 };
	struct sync_state st;
	struct world w;

	(void)state;
	world_init(&w, &cfg, 0.01);
	sync_add_source(w.sync, NULL, NULL, "a", 1, 0);
	run(&w, 1, NULL, 10, 2);
	sync_get_state(w.sync, &st);
	assert_false(st.synced);
	NEAR(clock_error(&w), 0.01, 1e-9);
	sync_destroy(w.sync);
}

/* A noselect source is measured but never selected; a prefer source is
 * the system peer among equals. */
static void test_noselect_prefer(void **state)
{
	struct sync_config cfg = { 0 };
	struct sync_state st;
	struct sync_src_info info;
	struct world w;

	(void)state;
	world_init(&w, &cfg, 0.001);
	sync_add_source(w.sync, NULL, NULL, "quiet", 1, SYNC_SRC_NOSELECT);
	sync_add_source(w.sync, NULL, NULL, "plain", 2, 0);
	sync_add_source(w.sync, NULL, NULL, "pref", 3, SYNC_SRC_PREFER);
	run(&w, 3, NULL, 10, 2);
	sync_get_state(w.sync, &st);
	assert_int_equal(st.sys_peer, 2);
	sync_get_source(w.sync, 0, &info);
	assert_int_equal(info.state, SYNC_SRC_UNSELECTABLE);
	assert_int_equal(info.n_samples, 10);
	sync_destroy(w.sync);
}

/* Three good sources and a falseticker 50 ms off: 'x', never combined. */
static void test_falseticker(void **state)
{
	struct sync_config cfg = { 0 };
	struct sync_src_info info;
	struct world w;
	double err[4] = { 0.05, 0, 0, 0 };
	int i;

	(void)state;
	world_init(&w, &cfg, 0.001);
	for (i = 0; i < 4; i++)
		sync_add_source(w.sync, NULL, NULL, "s", (uint32_t)i, 0);
	run(&w, 4, err, 10, 2);
	sync_get_source(w.sync, 0, &info);
	assert_int_equal(info.state, SYNC_SRC_FALSETICKER);
	assert_true(fabs(clock_error(&w)) < 1e-5);
	sync_destroy(w.sync);
}

/* Sources lost: after the holdover the state is unsynchronised again
 * (LI=3, stratum 16); sync_next_update() wakes the caller for it. */
static void test_holdover(void **state)
{
	struct sync_config cfg = { .holdover = 100 };
	struct sync_state st;
	struct world w;

	(void)state;
	world_init(&w, &cfg, 0.001);
	sync_add_source(w.sync, NULL, NULL, "a", 1, 0);
	run(&w, 1, NULL, 10, 2);
	sync_get_state(w.sync, &st);
	assert_true(st.synced);
	advance(&w, 50);
	sync_get_state(w.sync, &st);
	assert_true(st.synced);
	advance(&w, 60);
	sync_get_state(w.sync, &st);
	assert_false(st.synced);
	assert_int_equal(st.stratum, 16);
	assert_int_equal(st.leap, CLK_LEAP_UNSYNC);
	sync_destroy(w.sync);
}

/* The drift file: read at creation (the clock's frequency is set from
 * it), written at destruction when synchronised; a malformed one is
 * ignored. */
static void test_driftfile(void **state)
{
	char dir[] = "/tmp/gnomon-sync-XXXXXX", path[128];
	struct sync_config cfg = { 0 };
	struct world w;
	double f, s, ppm;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/drift", dir);
	cfg.driftfile = path;
	assert_int_equal(drift_write(path, 25.5, 0.5), 0);
	world_init(&w, &cfg, 0.001);
	w.clock.base.ops->get_freq(&w.clock.base, &ppm);
	NEAR(ppm, 25.5, 1e-9);
	sync_destroy(w.sync);

	/* The clock runs 30 ppm slow: the file ends up near +30 ppm. */
	world_init(&w, &cfg, 0.001);
	w.clock.freq_err = -30e-6;
	sync_add_source(w.sync, NULL, NULL, "a", 1, 0);
	run(&w, 1, NULL, 40, 16);
	sync_destroy(w.sync);
	assert_int_equal(drift_read(path, &f, &s), 0);
	NEAR(f, 30, 0.5);
	assert_true(s > 0 && s < 1);

	fp = fopen(path, "w");
	fputs("30 ppm\n", fp);
	fclose(fp);
	world_init(&w, &cfg, 0.001);
	w.clock.base.ops->get_freq(&w.clock.base, &ppm);
	NEAR(ppm, 0, 1e-12);
	sync_destroy(w.sync);
	unlink(path);
	rmdir(dir);
}

/* The poll hint stays within [minpoll, maxpoll], starts at minpoll and
 * rises by at most one per call. */
static void test_poll_hint(void **state)
{
	struct sync_config cfg = { 0 };
	struct world w;
	int i, p, prev = 4;

	(void)state;
	world_init(&w, &cfg, 0.0001);
	sync_add_source(w.sync, NULL, NULL, "a", 1, 0);
	assert_int_equal(sync_poll_hint(w.sync, 0, 4, 10), 4);
	assert_int_equal(sync_poll_hint(w.sync, 7, 4, 10), 4);
	for (i = 0; i < 60; i++) {
		run(&w, 1, NULL, 1, 16);
		p = sync_poll_hint(w.sync, 0, 4, 10);
		assert_true(p >= 4 && p <= 10 && p <= prev + 1);
		prev = p;
	}
	/* A noise-free source and a still clock: no need to poll fast. */
	assert_true(prev > 4);
	assert_int_equal(sync_poll_hint(w.sync, 0, 6, 6), 6);
	sync_destroy(w.sync);
}

/* Polled at the hinted interval, a still clock and a clean source climb
 * to maxpoll (issue 12 item 6: the poll climbs as a stable clock allows),
 * one step at a time and each only after the longer poll has fitted twice
 * in a row (POLL_RISE_AFTER), not on one look. */
static void test_poll_hint_climbs(void **state)
{
	struct sync_config cfg = { 0 };
	struct world w;
	int i, p = 6, prev = 6, same = 0;

	(void)state;
	world_init(&w, &cfg, 0.0001);
	sync_add_source(w.sync, NULL, NULL, "a", 1, 0);
	for (i = 0; i < 80; i++) {
		run(&w, 1, NULL, 1, ldexp(1, p));
		p = sync_poll_hint(w.sync, 0, 6, 10);
		assert_true(p >= 6 && p <= 10 && p <= prev + 1);
		if (p > prev)
			assert_true(same >= 1);
		same = p == prev ? same + 1 : 0;
		prev = p;
	}
	assert_int_equal(p, 10);
	sync_destroy(w.sync);
}

/* Exponential queueing (mean m s) from a fixed-seed generator. */
static double queue_exp(uint64_t *x, double m)
{
	*x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
	return -m * log(((double)(*x >> 11) + 0.5) / 9007199254740992.0);
}

/* Polled at the hinted interval through a path whose forward queue has
 * mean fwd and return queue back (s): the poll reached after `rounds`
 * samples, and its interval. */
static int poll_through(double fwd, double back, int rounds, double *interval)
{
	struct sync_config cfg = { 0 };
	struct world w;
	uint64_t x = 12345;
	int i, p = 6;

	world_init(&w, &cfg, 0.0001);
	sync_add_source(w.sync, NULL, NULL, "a", 1, 0);
	for (i = 0; i < rounds; i++) {
		struct sync_sample s;
		gt_ns local = sim_clock_read(&w.clock);
		double qf = queue_exp(&x, fwd), qb = queue_exp(&x, back);

		memset(&s, 0, sizeof(s));
		s.time = local;
		/* t2 late by the forward queue, t4 by the return one */
		s.offset = (w.t - local) + S((qf - qb) / 2);
		s.delay = US(200) + S(qf + qb);
		s.disp = 100;
		s.root_delay = US(1000);
		s.root_disp = US(500);
		s.stratum = 2;
		s.refid = 0x0a000001;
		sync_add_sample(w.sync, 0, &s, mono(&w));
		sync_update(w.sync, mono(&w));
		p = sync_poll_hint(w.sync, 0, 6, 10);
		*interval = sync_poll_interval(w.sync, 0, p);
		advance(&w, *interval);
	}
	sync_destroy(w.sync);
	return p;
}

/* A path whose jitter leans (sync_asym.h) keeps the poll within minpoll
 * + 2.75 steps: at the cap (minpoll + 3) the interval is 2^-0.25 of
 * 2^poll (issue 12 item 6, sync.c POLL_LEAN_HALF). A symmetric path of
 * the same jitter is not held: no lean, the usual climb. */
static void test_poll_leaning_path_capped(void **state)
{
	double iv = 0;
	int p;

	(void)state;
	p = poll_through(300e-6, 5e-6, 300, &iv);
	assert_int_equal(p, 9);
	NEAR(iv, ldexp(1, 9) * pow(2, -0.25), 1e-9);
	p = poll_through(150e-6, 150e-6, 300, &iv);
	assert_true(p >= 9);
	NEAR(iv, ldexp(1, p), 1e-9);
}

/* The sources announce a leap second: the state carries it, and at the
 * end of the month the clock is stepped back by one second. */
static void test_leap_insert(void **state)
{
	struct sync_config cfg = { .leapsecmode = SYNC_LEAP_STEP, .holdover = 86400 };
	struct sync_state st;
	struct world w;
	int i;

	(void)state;
	world_init(&w, &cfg, 0.0001);
	sync_add_source(w.sync, NULL, NULL, "a", 1, 0);
	for (i = 0; i < 10; i++) {
		sample(&w, 0, 0, 1, CLK_LEAP_INS);
		advance(&w, 2);
	}
	sync_get_state(w.sync, &st);
	assert_int_equal(st.leap, CLK_LEAP_INS);
	/* 12 hours to the end of 2016; stop just after it. */
	advance(&w, (double)(S(1483228800) - w.t) * 1e-9 + 0.5);
	sync_get_state(w.sync, &st);
	assert_int_equal(st.n_steps, 1);
	assert_int_equal(st.leap, CLK_LEAP_NONE);
	/* The clock now reads UTC: true time minus the inserted second. */
	NEAR(clock_error(&w), -1.0, 1e-4);
	assert_int_equal(sync_add_source(w.sync, NULL, NULL, "b", 2, 0), 1);
	sync_destroy(w.sync);
}

static void test_too_many_sources(void **state)
{
	struct sync_config cfg = { 0 };
	struct world w;
	int i;

	(void)state;
	world_init(&w, &cfg, 0);
	for (i = 0; i < SYNC_MAX_SOURCES; i++)
		assert_int_equal(sync_add_source(w.sync, NULL, NULL, "s", (uint32_t)i, 0), i);
	assert_int_equal(sync_add_source(w.sync, NULL, NULL, "s", 99, 0), -ENOSPC);
	/* Samples for unknown sources are ignored. */
	sample(&w, -1, 0, 1, 0);
	sample(&w, SYNC_MAX_SOURCES, 0, 1, 0);
	sync_destroy(w.sync);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leap_month_end),
		cmocka_unit_test(test_leap_vote),
		cmocka_unit_test(test_unsynchronised_at_start),
		cmocka_unit_test(test_sync_one_source),
		cmocka_unit_test(test_makestep),
		cmocka_unit_test(test_minsources),
		cmocka_unit_test(test_noselect_prefer),
		cmocka_unit_test(test_falseticker),
		cmocka_unit_test(test_holdover),
		cmocka_unit_test(test_driftfile),
		cmocka_unit_test(test_poll_hint),
		cmocka_unit_test(test_poll_hint_climbs),
		cmocka_unit_test(test_poll_leaning_path_capped),
		cmocka_unit_test(test_leap_insert),
		cmocka_unit_test(test_too_many_sources),
	};

	log_set_level(LOG_LVL_ERR);
	return cmocka_run_group_tests_name("sync", tests, NULL, NULL);
}
