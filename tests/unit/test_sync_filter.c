/* Unit tests for sync/sync_filter: the RFC 5905 §10 register (lowest-delay
 * output, peer dispersion with empty stages, jitter, popcorn spikes), the
 * correction of stored offsets for the discipline's phase and drift, and
 * the minimum-delay tracker behind the sample variance. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "clock/clk.h"
#include "sync/sync_filter.h"

#define S(x) ((gt_ns)(x) * GT_NS_PER_S)
#define NEAR(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

static struct sync_filter_stage stage(double t, double offset, double delay)
{
	return (struct sync_filter_stage){ .mono = (gt_ns)(t * 1e9), .offset = offset,
					  .delay = delay, .disp = 1e-6, .phase = 0 };
}

static struct sync_filter_now at(double t)
{
	return (struct sync_filter_now){ (gt_ns)(t * 1e9), 0, 0 };
}

static void test_empty(void **state)
{
	struct sync_filter f;
	struct sync_filter_out o;
	struct sync_filter_now now = at(0);

	(void)state;
	sync_filter_init(&f);
	assert_false(sync_filter_get(&f, &now, &o));
	assert_true(sync_filter_min_delay(&f) == 0);
}

/* The output is the lowest-delay stage's offset, not the newest. */
static void test_lowest_delay_wins(void **state)
{
	struct sync_filter f;
	struct sync_filter_out o;
	struct sync_filter_now now = at(10);
	struct sync_filter_stage s;

	(void)state;
	sync_filter_init(&f);
	s = stage(1, 0.001, 0.004);
	sync_filter_add(&f, &s, 0);
	s = stage(2, 0.0002, 0.001);
	sync_filter_add(&f, &s, 0);
	s = stage(3, 0.0015, 0.005);
	sync_filter_add(&f, &s, 0);
	assert_true(sync_filter_get(&f, &now, &o));
	NEAR(o.offset, 0.0002, 1e-12);
	NEAR(o.delay, 0.001, 1e-12);
	assert_true(o.mono == S(2));
	NEAR(sync_filter_min_delay(&f), 0.001, 1e-12);
}

/* RFC 5905 §10: the peer dispersion weighs stages 1/2, 1/4, ... in delay
 * order, empty stages at MAXDISP (16 s), so a new source looks far away. */
static void test_dispersion_empty_stages(void **state)
{
	struct sync_filter f;
	struct sync_filter_out o;
	struct sync_filter_now now = at(1);
	struct sync_filter_stage s = stage(1, 0, 0.001);
	double expect = 1e-6 / 2;
	int i;

	(void)state;
	sync_filter_init(&f);
	sync_filter_add(&f, &s, 0);
	sync_filter_get(&f, &now, &o);
	for (i = 2; i <= 8; i++)
		expect += 16.0 / (1 << i);
	NEAR(o.disp, expect, 1e-9);
	/* It grows at PHI with the age of the stage. */
	now = at(1001);
	sync_filter_get(&f, &now, &o);
	NEAR(o.disp, expect + CLK_PHI * 1000 / 2, 1e-9);
}

static void test_jitter(void **state)
{
	struct sync_filter f;
	struct sync_filter_out o;
	struct sync_filter_now now = at(5);
	struct sync_filter_stage s;

	(void)state;
	sync_filter_init(&f);
	s = stage(1, 0.0, 0.001);
	sync_filter_add(&f, &s, 0);
	s = stage(2, 0.0003, 0.002);
	sync_filter_add(&f, &s, 0);
	s = stage(3, -0.0004, 0.003);
	sync_filter_add(&f, &s, 0);
	sync_filter_get(&f, &now, &o);
	/* RMS of the differences from the lowest-delay stage. */
	NEAR(o.jitter, sqrt((0.0003 * 0.0003 + 0.0004 * 0.0004) / 2), 1e-12);
}

/* A lone offset far from the output, with a larger delay, is a popcorn
 * spike; a second one in a row is a real change and is used. */
static void test_popcorn_spike(void **state)
{
	struct sync_filter f;
	struct sync_filter_stage s;
	int i;

	(void)state;
	sync_filter_init(&f);
	for (i = 0; i < 6; i++) {
		s = stage(i, (i % 2 ? 1 : -1) * 10e-6, 0.001 + i * 1e-6);
		assert_int_equal(sync_filter_add(&f, &s, 0), SYNC_FILTER_USE);
	}
	s = stage(10, 0.005, 0.002);
	assert_int_equal(sync_filter_add(&f, &s, 0), SYNC_FILTER_SPIKE);
	assert_int_equal(f.spikes, 1);
	s = stage(11, 0.005, 0.002);
	assert_int_equal(sync_filter_add(&f, &s, 0), SYNC_FILTER_USE);
	/* A far offset with the lowest delay yet is no spike: it is the
	 * best measurement there is. */
	s = stage(12, -0.004, 0.0005);
	assert_int_equal(sync_filter_add(&f, &s, 0), SYNC_FILTER_USE);
}

/* Stored offsets follow the discipline: a slew or step since (phase U)
 * and the drift over the stage's age. */
static void test_phase_and_rate_correction(void **state)
{
	struct sync_filter f;
	struct sync_filter_out o;
	struct sync_filter_stage s = stage(100, 0.010, 0.001);
	struct sync_filter_now now = { S(200), 0.004, 2e-6 };

	(void)state;
	sync_filter_init(&f);
	s.phase = 0.001;
	sync_filter_add(&f, &s, 0);
	sync_filter_get(&f, &now, &o);
	/* 0.010 - (0.004 - 0.001) + 2e-6 * 100 s */
	NEAR(o.offset, 0.0072, 1e-12);
}

/* Only eight stages: the ninth sample pushes out the oldest. */
static void test_eight_stages(void **state)
{
	struct sync_filter f;
	struct sync_filter_out o;
	struct sync_filter_now now = at(20);
	struct sync_filter_stage s = stage(0, 0.003, 0.0001);
	int i;

	(void)state;
	sync_filter_init(&f);
	sync_filter_add(&f, &s, 0);
	for (i = 1; i <= 8; i++) {
		s = stage(i, 0, 0.001);
		sync_filter_add(&f, &s, 0);
	}
	assert_int_equal(f.n, SYNC_FILTER_STAGES);
	sync_filter_get(&f, &now, &o);
	NEAR(o.offset, 0, 1e-12);
	/* The minimum-delay history is longer than the register. */
	NEAR(sync_filter_min_delay(&f), 0.0001, 1e-12);
}

/* The variance grows with the delay excess; one sample alone counts as
 * possibly half queueing; more samples pin the minimum down. */
static void test_variance(void **state)
{
	struct sync_filter f;
	struct sync_filter_stage s = stage(0, 0, 0.000300);
	double v1, v_lo, v_hi;
	int i;

	(void)state;
	sync_filter_init(&f);
	sync_filter_add(&f, &s, 0);
	v1 = sync_filter_variance(&f, 0.000300, 0);
	NEAR(v1, 0.000150 * 0.000150 / 12, 1e-18);
	for (i = 1; i < 200; i++) {
		s = stage(i, 0, 0.000200 + 1e-6 * (i % 50));
		sync_filter_add(&f, &s, 0);
	}
	NEAR(sync_filter_min_delay(&f), 0.000200, 1e-12);
	v_lo = sync_filter_variance(&f, 0.000200, 0);
	v_hi = sync_filter_variance(&f, 0.000600, 0);
	assert_true(v_lo < v1);
	assert_true(v_hi > v_lo);
	/* 400 us of excess: at least (400 us)^2 / 12. */
	assert_true(v_hi >= 0.000400 * 0.000400 / 12);
	/* The floor adds in quadrature. */
	NEAR(sync_filter_variance(&f, 0.000200, 1e-6) - v_lo, 1e-12, 1e-18);
}

/* The minimum follows the window: once the smallest delay has left the
 * history, the next smallest takes over. */
static void test_min_delay_window(void **state)
{
	struct sync_filter f;
	struct sync_filter_stage s = stage(0, 0, 0.0001);
	int i;

	(void)state;
	sync_filter_init(&f);
	sync_filter_add(&f, &s, 0);
	for (i = 1; i < SYNC_FILTER_DELAY_WINDOW; i++) {
		s = stage(i, 0, 0.0005 + 1e-7 * i);
		sync_filter_add(&f, &s, 0);
	}
	NEAR(sync_filter_min_delay(&f), 0.0001, 1e-12);
	s = stage(SYNC_FILTER_DELAY_WINDOW, 0, 0.0009);
	sync_filter_add(&f, &s, 0);
	NEAR(sync_filter_min_delay(&f), 0.0005 + 1e-7, 1e-12);
	/* And a sample older than a day no longer counts. */
	s = stage(SYNC_FILTER_DELAY_WINDOW + 90000, 0, 0.002);
	sync_filter_add(&f, &s, 0);
	NEAR(sync_filter_min_delay(&f), 0.002, 1e-12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_lowest_delay_wins),
		cmocka_unit_test(test_dispersion_empty_stages),
		cmocka_unit_test(test_jitter),
		cmocka_unit_test(test_popcorn_spike),
		cmocka_unit_test(test_phase_and_rate_correction),
		cmocka_unit_test(test_eight_stages),
		cmocka_unit_test(test_variance),
		cmocka_unit_test(test_min_delay_window),
	};

	return cmocka_run_group_tests_name("sync_filter", tests, NULL, NULL);
}
