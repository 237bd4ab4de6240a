/* Unit tests for ptp/ptp_pi, the linuxptp-like PI servo: its gains from
 * the sync interval (scale, exponent, norm_max, constants), the wait of
 * the frequency estimate, the first step, step_threshold, the frequency
 * clamp, LOCKED_STABLE, and convergence on a simulated clock 100 ppm off. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>

#include "ptp/ptp_pi.h"

#define NEAR(a, b, tol) do { \
	double a_ = (a), b_ = (b); \
	if (fabs(a_ - b_) > (tol)) \
		fail_msg("%s = %.9g, want %.9g +- %g", #a, a_, b_, (double)(tol)); \
} while (0)

static struct ptp_pi make(bool sw, double interval)
{
	struct ptp_pi_config c;
	struct ptp_pi s;

	ptp_pi_config_default(&c, sw);
	ptp_pi_init(&s, &c, 0);
	ptp_pi_set_interval(&s, interval);
	return s;
}

/* ptp4l's gains: kp = scale * T^-0.3 and ki = scale * T^0.4, each at most
 * norm_max / T (0.7, 0.3). */
static void test_gains(void **state)
{
	struct ptp_pi s;
	struct ptp_pi_config c;

	(void)state;
	s = make(false, 1.0);
	NEAR(s.kp, 0.7, 1e-12);
	NEAR(s.ki, 0.3, 1e-12);
	s = make(true, 1.0);
	NEAR(s.kp, 0.1, 1e-12);
	NEAR(s.ki, 0.001, 1e-12);
	s = make(false, 0.125);
	NEAR(s.kp, 0.7 * pow(0.125, -0.3), 1e-12);
	NEAR(s.ki, 0.3 * pow(0.125, 0.4), 1e-12);
	/* A long interval: both at their norm_max. */
	s = make(false, 4.0);
	NEAR(s.kp, 0.7 / 4, 1e-12);
	NEAR(s.ki, 0.3 / 4, 1e-12);
	s = make(true, 4.0);
	NEAR(s.kp, 0.1 * pow(4, -0.3), 1e-12);
	NEAR(s.ki, 0.001 * pow(4, 0.4), 1e-12);
	/* Constants: used as given, up to 1.0 / T and 2.0 / T. */
	ptp_pi_config_default(&c, true);
	c.kp_const = 0.5;
	c.ki_const = 0.05;
	ptp_pi_init(&s, &c, 0);
	ptp_pi_set_interval(&s, 0.5);
	NEAR(s.kp, 0.5, 1e-12);
	NEAR(s.ki, 0.05, 1e-12);
	c.kp_const = 3.0;
	c.ki_const = 3.0;
	ptp_pi_init(&s, &c, 0);
	NEAR(s.kp, 1.0, 1e-12);
	NEAR(s.ki, 2.0, 1e-12);
	/* A configured scale replaces the default one. */
	ptp_pi_config_default(&c, true);
	c.kp_scale = 0.2;
	ptp_pi_init(&s, &c, 0);
	NEAR(s.kp, 0.2, 1e-12);
}

/* With software timestamps at 1 s the estimate waits 0.016 / 0.001 = 16 s:
 * UNLOCKED for 16 samples, the 17th (16 s after the first) decides. */
static void test_estimate_wait(void **state)
{
	struct ptp_pi s = make(true, 1.0);
	struct ptp_pi_out o;
	int i;

	(void)state;
	for (i = 0; i < 16; i++) {
		assert_int_equal(ptp_pi_sample(&s, 1000 + 100 * i, (gt_ns)i * GT_NS_PER_S, 1.0, &o),
				 PTP_PI_UNLOCKED);
		assert_true(o.step_ns == 0);
		NEAR(o.freq_ppb, 0, 0);
	}
	/* 100 ns per second: the clock is 100 ppb fast, slow it down. */
	assert_int_equal(ptp_pi_sample(&s, 1000 + 1600, 16 * GT_NS_PER_S, 1.0, &o), PTP_PI_LOCKED);
	NEAR(o.freq_ppb, -100, 1e-6);
	/* The span gets a margin of 0.1 %: 15.99 s is long enough. */
	s = make(true, 1.0);
	ptp_pi_sample(&s, 0, 0, 1.0, &o);
	assert_int_equal(ptp_pi_sample(&s, 0, 15990 * GT_NS_PER_MS, 1.0, &o), PTP_PI_LOCKED);
	/* Hardware timestamps wait 0.016 / 0.3 s: the second sample. */
	s = make(false, 1.0);
	assert_int_equal(ptp_pi_sample(&s, 0, 0, 1.0, &o), PTP_PI_UNLOCKED);
	assert_int_equal(ptp_pi_sample(&s, 100, GT_NS_PER_S, 1.0, &o), PTP_PI_LOCKED);
	NEAR(o.freq_ppb, -100, 1e-6);
}

/* The estimate adds to the adjustment the clock already has: the phase
 * ran at the error left over, scaled by (1 + the adjustment). */
static void test_estimate_on_adjusted_clock(void **state)
{
	struct ptp_pi_config c;
	struct ptp_pi s;
	struct ptp_pi_out o;

	(void)state;
	ptp_pi_config_default(&c, false);
	ptp_pi_init(&s, &c, -50000);
	ptp_pi_sample(&s, 0, 0, 1.0, &o);
	NEAR(o.freq_ppb, -50000, 1e-9);
	assert_int_equal(ptp_pi_sample(&s, 100, GT_NS_PER_S, 1.0, &o), PTP_PI_LOCKED);
	NEAR(o.freq_ppb, -(50000 + (1e9 - 50000) * 100e-9), 1e-6);
}

/* A first offset over first_step_threshold (20 us): JUMP with the step
 * and the estimated frequency, then LOCKED. */
static void test_first_step(void **state)
{
	struct ptp_pi s = make(false, 1.0);
	struct ptp_pi_out o;

	(void)state;
	ptp_pi_sample(&s, 100000000, 0, 1.0, &o);
	assert_int_equal(ptp_pi_sample(&s, 100100000, GT_NS_PER_S, 1.0, &o), PTP_PI_JUMP);
	assert_true(o.step_ns == -100100000);
	NEAR(o.freq_ppb, -100000, 1e-3);
	/* After the step the offset is small: PI control. */
	assert_int_equal(ptp_pi_sample(&s, 50, 2 * GT_NS_PER_S, 1.0, &o), PTP_PI_LOCKED);
	assert_true(o.step_ns == 0);
	/* kp * 50 + ki * 50 on top of the drift, as corrections. */
	NEAR(o.freq_ppb, -100000 - 0.7 * 50 - 0.3 * 50, 1e-6);
	/* Under the threshold: no step. */
	s = make(false, 1.0);
	ptp_pi_sample(&s, 15000, 0, 1.0, &o);
	assert_int_equal(ptp_pi_sample(&s, 15000, GT_NS_PER_S, 1.0, &o), PTP_PI_LOCKED);
}

/* first_step_threshold applies to the first update only: after a reset
 * with step_threshold 0 a large offset is slewed (linuxptp). */
static void test_first_step_only_once(void **state)
{
	struct ptp_pi s = make(false, 1.0);
	struct ptp_pi_out o;

	(void)state;
	ptp_pi_sample(&s, 0, 0, 1.0, &o);
	assert_int_equal(ptp_pi_sample(&s, 0, GT_NS_PER_S, 1.0, &o), PTP_PI_LOCKED);
	ptp_pi_reset(&s);
	ptp_pi_sample(&s, 5000000, 2 * GT_NS_PER_S, 1.0, &o);
	assert_int_equal(ptp_pi_sample(&s, 5000000, 3 * GT_NS_PER_S, 1.0, &o), PTP_PI_LOCKED);
	assert_true(o.step_ns == 0);
}

/* step_threshold: a locked servo seeing a larger offset starts over
 * (UNLOCKED), estimates again and steps. */
static void test_step_threshold(void **state)
{
	struct ptp_pi_config c;
	struct ptp_pi s;
	struct ptp_pi_out o;

	(void)state;
	ptp_pi_config_default(&c, false);
	c.step_threshold = GT_NS_PER_MS;
	ptp_pi_init(&s, &c, 0);
	ptp_pi_sample(&s, 0, 0, 1.0, &o);
	assert_int_equal(ptp_pi_sample(&s, 0, GT_NS_PER_S, 1.0, &o), PTP_PI_LOCKED);
	assert_int_equal(ptp_pi_sample(&s, 500000, 2 * GT_NS_PER_S, 1.0, &o), PTP_PI_LOCKED);
	assert_int_equal(ptp_pi_sample(&s, 3000000, 3 * GT_NS_PER_S, 1.0, &o), PTP_PI_UNLOCKED);
	assert_int_equal(ptp_pi_sample(&s, 3000000, 4 * GT_NS_PER_S, 1.0, &o), PTP_PI_UNLOCKED);
	assert_int_equal(ptp_pi_sample(&s, 3000000, 5 * GT_NS_PER_S, 1.0, &o), PTP_PI_JUMP);
	assert_true(o.step_ns == -3000000);
}

/* Samples out of order restart the estimate. */
static void test_out_of_order(void **state)
{
	struct ptp_pi s = make(false, 1.0);
	struct ptp_pi_out o;

	(void)state;
	ptp_pi_sample(&s, 0, 5 * GT_NS_PER_S, 1.0, &o);
	assert_int_equal(ptp_pi_sample(&s, 0, 4 * GT_NS_PER_S, 1.0, &o), PTP_PI_UNLOCKED);
	assert_int_equal(s.count, 0);
}

/* The frequency never leaves +-max_freq_ppb: the estimate is clamped, and
 * a clamped PI output does not wind the integral up. */
static void test_clamp(void **state)
{
	struct ptp_pi_config c;
	struct ptp_pi s;
	struct ptp_pi_out o;
	double drift;
	int i;

	(void)state;
	ptp_pi_config_default(&c, false);
	c.max_freq_ppb = 1000;
	ptp_pi_init(&s, &c, 0);
	ptp_pi_sample(&s, 0, 0, 1.0, &o);
	/* 100 ppm fast */
	assert_int_equal(ptp_pi_sample(&s, 100000, GT_NS_PER_S, 1.0, &o), PTP_PI_JUMP);
	NEAR(o.freq_ppb, -1000, 0);
	drift = s.drift;
	for (i = 0; i < 10; i++) {
		ptp_pi_sample(&s, 100000 * (i + 1), (gt_ns)(i + 2) * GT_NS_PER_S, 1.0, &o);
		NEAR(o.freq_ppb, -1000, 0);
		NEAR(s.drift, drift, 0);
	}
	/* Negative side, from the PI term alone. */
	ptp_pi_init(&s, &c, 0);
	ptp_pi_sample(&s, 0, 0, 1.0, &o);
	ptp_pi_sample(&s, 0, GT_NS_PER_S, 1.0, &o);
	ptp_pi_sample(&s, -19000, 2 * GT_NS_PER_S, 1.0, &o);
	NEAR(o.freq_ppb, 1000, 0);
	/* The initial adjustment is where the servo starts. */
	ptp_pi_init(&s, &c, 123.0);
	ptp_pi_sample(&s, 0, 0, 1.0, &o);
	NEAR(o.freq_ppb, 123.0, 1e-9);
}

static void test_locked_stable(void **state)
{
	struct ptp_pi_config c;
	struct ptp_pi s;
	struct ptp_pi_out o;

	(void)state;
	ptp_pi_config_default(&c, false);
	c.offset_threshold = 100;
	c.num_offset_values = 3;
	ptp_pi_init(&s, &c, 0);
	ptp_pi_sample(&s, 0, 0, 1.0, &o);
	assert_int_equal(ptp_pi_sample(&s, 10, 1 * GT_NS_PER_S, 1.0, &o), PTP_PI_LOCKED);
	assert_int_equal(ptp_pi_sample(&s, 10, 2 * GT_NS_PER_S, 1.0, &o), PTP_PI_LOCKED);
	assert_int_equal(ptp_pi_sample(&s, 10, 3 * GT_NS_PER_S, 1.0, &o), PTP_PI_LOCKED_STABLE);
	assert_int_equal(ptp_pi_sample(&s, 500, 4 * GT_NS_PER_S, 1.0, &o), PTP_PI_LOCKED);
	assert_string_equal(ptp_pi_state_name(PTP_PI_LOCKED_STABLE), "locked_stable");
	assert_string_equal(ptp_pi_state_name(PTP_PI_JUMP), "jump");
}

/* ---- a simulated clock ---- */

/* A clock whose oscillator runs `skew` fast (100e-6: 100 ppm) and whose
 * kernel adjustment scales it by (1 + adj): the frequency that makes it
 * right is (1 / (1 + skew) - 1). */
struct sim {
	double err;		/* local - true, ns */
	double adj_ppb;		/* the adjustment set by the servo */
	double skew;
	uint64_t rng;
};

/* Deterministic gaussian noise (Box-Muller over a 64-bit LCG). */
static double noise(struct sim *m, double sigma)
{
	double u1, u2;

	m->rng = m->rng * 6364136223846793005ULL + 1442695040888963407ULL;
	u1 = ((double)(m->rng >> 11) + 1.0) / 9007199254740993.0;
	m->rng = m->rng * 6364136223846793005ULL + 1442695040888963407ULL;
	u2 = (double)(m->rng >> 11) / 9007199254740992.0;
	return sigma * sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

struct run_result {
	int first_locked;	/* sample index */
	int jumps;
	double rms_last;	/* ns, true error over the last 100 samples */
	double max_last;
	double freq_err;	/* ppb, the adjustment against the right one */
};

/* n samples every `interval` seconds. */
static struct run_result run_at(bool sw, double interval, double start_err, double sigma, int n)
{
	/* 100 ppm fast: 100 us more error every second. */
	struct ptp_pi s = make(sw, interval);
	struct ptp_pi_out o;
	struct sim m = { start_err, 0, 100e-6, 42 };
	struct run_result r = { -1, 0, 0, 0, 0 };
	double sum2 = 0, truth = (1.0 / (1.0 + m.skew) - 1.0) * 1e9;
	int i;

	for (i = 0; i < n; i++) {
		double t = i * interval;	/* true seconds */
		gt_ns local = (gt_ns)(t * 1e9 + m.err);
		gt_ns offset = (gt_ns)llround(m.err + noise(&m, sigma));

		ptp_pi_sample(&s, offset, local, 1.0, &o);
		if (o.state == PTP_PI_JUMP) {
			r.jumps++;
			m.err += (double)o.step_ns;
		}
		if ((o.state == PTP_PI_LOCKED || o.state == PTP_PI_LOCKED_STABLE) &&
		    r.first_locked < 0)
			r.first_locked = i;
		m.adj_ppb = o.freq_ppb;
		/* One interval of the clock at its new frequency. */
		m.err += ((1 + m.skew) * (1 + m.adj_ppb * 1e-9) - 1) * 1e9 * interval;
		if (i >= n - 100) {
			sum2 += m.err * m.err;
			if (fabs(m.err) > r.max_last)
				r.max_last = fabs(m.err);
		}
	}
	r.rms_last = sqrt(sum2 / 100);
	r.freq_err = m.adj_ppb - truth;
	return r;
}

static struct run_result run(bool sw, double start_err, double sigma, int n)
{
	return run_at(sw, 1.0, start_err, sigma, n);
}

/* Started 0.1 s and 100 ppm off, samples every second: the servo steps
 * once, locks, and holds the clock within 100 ns at the right frequency
 * (0.1 ppm), with software and with hardware timestamp gains. */
static void test_converges(void **state)
{
	struct run_result r;

	(void)state;
	r = run(true, 1e8, 20, 600);
	printf("# sw: locked at %d, jumps %d, rms %.1f ns, max %.1f ns, freq err %.2f ppb\n",
	       r.first_locked, r.jumps, r.rms_last, r.max_last, r.freq_err);
	assert_int_equal(r.jumps, 1);
	assert_int_equal(r.first_locked, 17);
	assert_true(r.max_last < 100);
	assert_true(fabs(r.freq_err) < 100);
	r = run(false, 1e8, 20, 300);
	printf("# hw: locked at %d, jumps %d, rms %.1f ns, max %.1f ns, freq err %.2f ppb\n",
	       r.first_locked, r.jumps, r.rms_last, r.max_last, r.freq_err);
	assert_int_equal(r.jumps, 1);
	assert_int_equal(r.first_locked, 2);
	assert_true(r.max_last < 100);
	assert_true(fabs(r.freq_err) < 100);
}

/* An offset under the step threshold (15 us) when the estimate is made is
 * slewed out by the PI loop: no step, the offset shrinks below 100 ns.
 * The clock is 100 ppm fast, so it starts 16 s (software timestamps'
 * wait) or 1 s (hardware) of that error behind. */
static void test_slews_small_offset(void **state)
{
	struct run_result r;

	(void)state;
	r = run(true, 15000 - 16 * 100000, 0, 900);
	printf("# sw slew: locked at %d, jumps %d, rms %.1f ns, max %.1f ns, freq err %.2f ppb\n",
	       r.first_locked, r.jumps, r.rms_last, r.max_last, r.freq_err);
	assert_int_equal(r.jumps, 0);
	assert_true(r.max_last < 100);
	assert_true(fabs(r.freq_err) < 100);
	r = run(false, 15000 - 100000, 0, 200);
	assert_int_equal(r.jumps, 0);
	assert_true(r.max_last < 100);
}

/* The gains follow the sync interval: at 8 Sync/s (log -3) and one per
 * 4 s (log 2, both gains at their norm_max) the loop still locks and
 * holds the clock. */
static void test_converges_other_intervals(void **state)
{
	struct run_result r;

	(void)state;
	r = run_at(true, 0.125, 1e8, 20, 8 * 600);
	printf("# sw 1/8 s: locked at %d, jumps %d, rms %.1f ns, max %.1f ns, freq err %.2f ppb\n",
	       r.first_locked, r.jumps, r.rms_last, r.max_last, r.freq_err);
	assert_int_equal(r.jumps, 1);
	assert_true(r.max_last < 100);
	assert_true(fabs(r.freq_err) < 100);
	r = run_at(false, 4.0, 1e8, 20, 300);
	printf("# hw 4 s: locked at %d, jumps %d, rms %.1f ns, max %.1f ns, freq err %.2f ppb\n",
	       r.first_locked, r.jumps, r.rms_last, r.max_last, r.freq_err);
	assert_int_equal(r.jumps, 1);
	assert_true(r.max_last < 100);
	assert_true(fabs(r.freq_err) < 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gains),
		cmocka_unit_test(test_estimate_wait),
		cmocka_unit_test(test_estimate_on_adjusted_clock),
		cmocka_unit_test(test_first_step),
		cmocka_unit_test(test_first_step_only_once),
		cmocka_unit_test(test_step_threshold),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_clamp),
		cmocka_unit_test(test_locked_stable),
		cmocka_unit_test(test_converges),
		cmocka_unit_test(test_converges_other_intervals),
		cmocka_unit_test(test_slews_small_offset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
