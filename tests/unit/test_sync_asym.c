/* Unit tests for sync/sync_asym: the per-source jitter-asymmetry estimate.
 * Samples are drawn as the path makes them: forward and return queueing
 * delays jf, jr (exponential, seeded), delay excess jf + jr and offset
 * error (jf - jr) / 2, plus a little estimator noise in the innovation.
 * The expected correction under exponential queueing of means a (forward)
 * and b (return) is the conditional mean of that error given the excess,
 * 1/l - x / (exp(l x) - 1) - x/2 with l = 1/a - 1/b: flat at zero excess,
 * leaning at slope 1/2 for a large one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "sync/sync_asym.h"
#include "../sim/sim_rng.h"

#define US 1e-6

/* Feed n samples with exponential queueing of means fwd and back (s),
 * telling the estimator the mean excess is scale. */
static void feed_at(struct sync_asym *a, struct sim_rng *r, int n, double fwd, double back,
		    double scale)
{
	int i;

	for (i = 0; i < n; i++) {
		double jf = fwd * sim_rng_exp(r), jr = back * sim_rng_exp(r);

		sync_asym_learn(a, jf + jr, scale, (jf - jr) / 2 + 2 * US * sim_rng_normal(r));
	}
}

/* ... with the scale the true mean excess, as the filter's tracker gives
 * it. */
static void feed(struct sync_asym *a, struct sim_rng *r, int n, double fwd, double back)
{
	feed_at(a, r, n, fwd, back, fwd + back);
}

/* E[(jf - jr) / 2 | jf + jr = x] for exponential queueing. */
static double cond_mean(double x, double fwd, double back)
{
	double l = 1 / fwd - 1 / back;

	if (fabs(l * x) < 1e-9)
		return 0;
	return 1 / l - x / expm1(l * x) - x / 2;
}

/* Strongly one-sided queueing (the forward direction nearly idle, as in
 * chrony's test-suite scenario of 500 us jitter at 0.47 asymmetry): the
 * lean is corrected in full, not short by a shrinkage of a few standard
 * errors, and the reference is near zero excess, not at a class whose own
 * samples lean (the mean error at equal polls was -17..-40 us under
 * clknetsim before). */
static void test_strong_lean_full(void **state)
{
	struct sync_asym a;
	struct sim_rng r;
	double x, want, got;

	(void)state;
	sync_asym_init(&a);
	sim_rng_seed(&r, 11, 0);
	feed(&a, &r, 3000, 30 * US, 970 * US);
	for (x = 200 * US; x <= 2000 * US; x += 100 * US) {
		want = cond_mean(x, 30 * US, 970 * US);
		got = sync_asym_correction(&a, x);
		assert_true(fabs(got - want) <= 0.1 * fabs(want) + 10 * US);
	}
}

/* Symmetric queueing: nothing to correct, at any excess. */
static void test_symmetric_zero(void **state)
{
	struct sync_asym a;
	struct sim_rng r;
	double x;

	(void)state;
	sync_asym_init(&a);
	sim_rng_seed(&r, 1, 0);
	feed(&a, &r, 5000, 100 * US, 100 * US);
	for (x = 0; x <= 2000 * US; x += 25 * US)
		assert_true(fabs(sync_asym_correction(&a, x)) <= 0.02 * x + 1 * US);
	/* Wider queues, other seed: the same. */
	sync_asym_init(&a);
	sim_rng_seed(&r, 7, 0);
	feed(&a, &r, 5000, 300 * US, 300 * US);
	for (x = 0; x <= 4000 * US; x += 50 * US)
		assert_true(fabs(sync_asym_correction(&a, x)) <= 0.02 * x + 1 * US);
}

/* The return direction queues three times as long: offsets with a large
 * excess lean negative, so the correction (subtracted) is negative, of
 * the conditional mean's size, and the mirror image gives the mirror. */
static void test_one_sided(void **state)
{
	static const double xs[] = { 300 * US, 600 * US, 1000 * US };
	struct sync_asym a, b;
	struct sim_rng r;
	double want;
	unsigned i;

	(void)state;
	sync_asym_init(&a);
	sync_asym_init(&b);
	sim_rng_seed(&r, 2, 0);
	feed(&a, &r, 20000, 100 * US, 300 * US);
	feed(&b, &r, 20000, 300 * US, 100 * US);
	for (i = 0; i < sizeof(xs) / sizeof(xs[0]); i++) {
		double ca = sync_asym_correction(&a, xs[i]), cb = sync_asym_correction(&b, xs[i]);

		want = cond_mean(xs[i], 100 * US, 300 * US);
		assert_true(ca < 0);
		assert_true(cb > 0);
		/* Within 25% (+ 5 us): the classes are octaves wide, each
		 * difference is shrunk by SYNC_ASYM_Z standard errors, and the
		 * reference class is a little off zero excess itself. */
		assert_true(fabs(ca - want) <= 0.25 * fabs(want) + 5 * US);
		assert_true(fabs(cb + want) <= 0.25 * fabs(want) + 5 * US);
	}
	/* Near zero excess the lean is small (about 10 us at 150 us, most
	 * of it shrunk away as not yet significant), and the correction
	 * never has the wrong sign. */
	want = cond_mean(150 * US, 100 * US, 300 * US);
	assert_true(sync_asym_correction(&a, 150 * US) <= 0);
	assert_true(sync_asym_correction(&b, 150 * US) >= 0);
	assert_true(fabs(sync_asym_correction(&a, 150 * US) - want) <= 12 * US);
	assert_true(fabs(sync_asym_correction(&a, 20 * US)) <= 2 * US);
}

/* A correction never exceeds half the excess, however the innovations
 * lean, and beyond the largest class it is held, not extrapolated. */
static void test_clamp(void **state)
{
	struct sync_asym a;
	struct sim_rng r;
	double x, far;
	int i;

	(void)state;
	sync_asym_init(&a);
	sim_rng_seed(&r, 3, 0);
	/* Unphysical: the innovation is minus the whole excess. */
	for (i = 0; i < 5000; i++) {
		double e = 200 * US * sim_rng_exp(&r);

		sync_asym_learn(&a, e, 200 * US, -e);
	}
	for (x = 0; x <= 3000 * US; x += 10 * US) {
		double c = sync_asym_correction(&a, x);

		assert_true(c <= 0);
		assert_true(c >= -x / 2 - 1e-12);
	}
	/* At a class's own excess the clamp is what is left. */
	assert_true(fabs(sync_asym_correction(&a, 400 * US) + 200 * US) <= 40 * US);
	far = sync_asym_correction(&a, 1.0);
	assert_true(far < 0 && far > -0.01);
}

/* Nothing is corrected before SYNC_ASYM_MIN_SAMPLES, however strong the
 * lean. */
static void test_min_samples(void **state)
{
	struct sync_asym a;
	struct sim_rng r;

	(void)state;
	sync_asym_init(&a);
	sim_rng_seed(&r, 4, 0);
	/* All return queueing: the offset error is exactly -excess / 2. */
	feed(&a, &r, SYNC_ASYM_MIN_SAMPLES - 1, 1e-9, 300 * US);
	assert_true(sync_asym_correction(&a, 300 * US) == 0);
	assert_true(sync_asym_correction(&a, 900 * US) == 0);
	feed(&a, &r, 200, 1e-9, 300 * US);
	assert_true(sync_asym_correction(&a, 300 * US) < -50 * US);
}

/* Degenerate and malformed input: equal delays give no classes to
 * compare; NaN, infinities and negative excess are not learnt; a NaN
 * excess gets no correction. */
static void test_degenerate(void **state)
{
	struct sync_asym a;
	unsigned n;
	int i;

	(void)state;
	sync_asym_init(&a);
	for (i = 0; i < 1000; i++)
		sync_asym_learn(&a, 0, 0, (i % 2 ? 5 : -5) * US);
	assert_int_equal(a.n, 1000);
	assert_true(sync_asym_correction(&a, 0) == 0);
	assert_true(sync_asym_correction(&a, 100 * US) == 0);

	n = a.n;
	sync_asym_learn(&a, NAN, 100 * US, 0);
	sync_asym_learn(&a, 100 * US, NAN, 0);
	sync_asym_learn(&a, 100 * US, 100 * US, NAN);
	sync_asym_learn(&a, INFINITY, 100 * US, 0);
	sync_asym_learn(&a, 100 * US, 100 * US, -INFINITY);
	sync_asym_learn(&a, -1 * US, 100 * US, 0);
	sync_asym_learn(&a, 100 * US, -1 * US, 0);
	assert_int_equal(a.n, n);
	assert_false(isnan(a.sy) || isnan(a.syy) || isnan(a.w));
	for (i = 0; i < SYNC_ASYM_MODELS; i++)
		assert_false(isnan(a.m[i].sg) || isnan(a.m[i].sgg) || isnan(a.m[i].sgy));

	/* A trained estimator: NaN or infinite excess is not corrected. */
	{
		struct sim_rng r;

		sync_asym_init(&a);
		sim_rng_seed(&r, 5, 0);
		feed(&a, &r, 3000, 100 * US, 300 * US);
		assert_true(sync_asym_correction(&a, 300 * US) < 0);
		assert_true(sync_asym_correction(&a, NAN) == 0);
		assert_true(sync_asym_correction(&a, INFINITY) == 0);
		assert_true(sync_asym_correction(&a, -1 * US) == 0);
	}
}

/* The estimator forgets: when the path's lean reverses, so does the
 * correction, within a few memories. */
static void test_forgets(void **state)
{
	struct sync_asym a;
	struct sim_rng r;

	(void)state;
	sync_asym_init(&a);
	sim_rng_seed(&r, 6, 0);
	feed(&a, &r, 5000, 100 * US, 300 * US);
	assert_true(sync_asym_correction(&a, 400 * US) < 0);
	feed(&a, &r, (int)(5 * SYNC_ASYM_MEMORY), 300 * US, 100 * US);
	assert_true(sync_asym_correction(&a, 400 * US) > 0);
}

/* The grid follows the source's mean excess: when it moves by more than a
 * factor 2 (at long polls the first samples' estimate takes hours to
 * settle), the grid slides, and the models both grids share keep what
 * they learnt; the correction does not fall back to zero for another
 * SYNC_ASYM_MIN_SAMPLES. A move past the whole grid starts over. */
static void test_grid_slides(void **state)
{
	struct sync_asym a;
	struct sim_rng r;
	double before, m0;
	int i;

	(void)state;
	sync_asym_init(&a);
	sim_rng_seed(&r, 8, 0);
	/* Learnt with a poor mean excess: a third of the true one. */
	feed_at(&a, &r, 300, 30 * US, 970 * US, 1000 * US / 3);
	m0 = a.scale;
	before = sync_asym_correction(&a, 600 * US);
	assert_true(before < -100 * US);
	/* The true mean excess arrives: the grid slides by two half octaves
	 * or more, and the lean is still known. */
	feed(&a, &r, 1, 30 * US, 970 * US);
	assert_int_equal(a.n, 301);
	assert_true(a.scale > 2 * m0 && fabs(log2(a.scale / (1000 * US))) <= 0.25 + 1e-9);
	assert_true(sync_asym_correction(&a, 600 * US) < -100 * US);
	assert_true(fabs(sync_asym_correction(&a, 600 * US) - before) < 0.2 * fabs(before));
	/* and it goes on learning on the new grid, down as well as up */
	feed(&a, &r, 2000, 30 * US, 970 * US);
	assert_true(fabs(sync_asym_correction(&a, 600 * US) - cond_mean(600 * US, 30 * US, 970 * US)) <
		    0.1 * fabs(cond_mean(600 * US, 30 * US, 970 * US)) + 10 * US);
	feed(&a, &r, 1, 10 * US, 323 * US);
	assert_int_equal(a.n, 2302);
	assert_true(a.scale < 500 * US);
	assert_true(sync_asym_correction(&a, 300 * US) < -50 * US);
	for (i = 0; i < SYNC_ASYM_MODELS; i++)
		assert_false(isnan(a.m[i].sg) || isnan(a.m[i].sgg) || isnan(a.m[i].sgy) ||
			     isnan(a.m[i].l));
	/* A mean excess a million times larger shares no model: restart. */
	feed(&a, &r, 1, 30, 970);
	assert_int_equal(a.n, 1);
	assert_true(sync_asym_correction(&a, 600) == 0);
}

/* What the poll policy asks before the lean is clear: the best model's
 * correction without the garrote, once its gain passes z standard errors;
 * zero before SYNC_ASYM_MIN_SAMPLES, for a symmetric path at a high z, and
 * for bad input. */
static void test_suspected(void **state)
{
	struct sync_asym a;
	struct sim_rng r;
	double c, sus;

	(void)state;
	sync_asym_init(&a);
	sim_rng_seed(&r, 9, 0);
	feed(&a, &r, SYNC_ASYM_MIN_SAMPLES - 1, 1e-9, 300 * US);
	assert_true(sync_asym_suspected(&a, 300 * US, 0) == 0);
	feed(&a, &r, 500, 1e-9, 300 * US);
	c = sync_asym_correction(&a, 300 * US);
	sus = sync_asym_suspected(&a, 300 * US, 1);
	assert_true(c < -50 * US);
	/* the same model, not shrunk */
	assert_true(sus <= c && sus >= c / a.fit_gain - 1e-12);
	assert_true(sync_asym_suspected(&a, NAN, 1) == 0);
	assert_true(sync_asym_suspected(&a, -1 * US, 1) == 0);
	assert_true(sync_asym_suspected(&a, 300 * US, 1e6) == 0);

	sync_asym_init(&a);
	sim_rng_seed(&r, 10, 0);
	feed(&a, &r, 3000, 200 * US, 200 * US);
	assert_true(sync_asym_suspected(&a, 400 * US, 3) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symmetric_zero),
		cmocka_unit_test(test_one_sided),
		cmocka_unit_test(test_strong_lean_full),
		cmocka_unit_test(test_clamp),
		cmocka_unit_test(test_min_samples),
		cmocka_unit_test(test_degenerate),
		cmocka_unit_test(test_forgets),
		cmocka_unit_test(test_grid_slides),
		cmocka_unit_test(test_suspected),
	};

	return cmocka_run_group_tests_name("sync_asym", tests, NULL, NULL);
}
