/* Unit tests for the discipline: clock/kalman (convergence, steps, the
 * bank's choice of wander, the outlier gate and restart), clock/disc (the
 * makestep rule, maxchange, slews and their end, drivers that refuse a
 * large frequency, leap seconds) and clock/drift (the drift file, good and
 * malformed). The clock is a fake driver that records what it is told. */
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

#include "clock/disc.h"
#include "clock/drift.h"
#include "clock/kalman.h"
#include "lib/log.h"
#include "lib/util.h"

#define S(x) ((gt_ns)((x) * 1e9))
#define NEAR(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

/* ---- a recording clock driver ---- */

struct fake_clock {
	struct clk base;
	double freq_ppm;
	double max_ppm;		/* set_freq refuses beyond this */
	gt_ns stepped;
	int steps, freq_calls;
};

static struct fake_clock *fake(struct clk *c)
{
	return container_of(c, struct fake_clock, base);
}

static int fk_get_map(struct clk *c, struct clk_map *m)
{
	(void)c;
	memset(m, 0, sizeof(*m));
	return 0;
}

static int fk_step(struct clk *c, gt_ns d)
{
	fake(c)->stepped += d;
	fake(c)->steps++;
	return 0;
}

static int fk_set_freq(struct clk *c, double ppm)
{
	if (fabs(ppm) > fake(c)->max_ppm)
		return -ERANGE;
	fake(c)->freq_ppm = ppm;
	fake(c)->freq_calls++;
	return 0;
}

static int fk_get_freq(struct clk *c, double *ppm)
{
	*ppm = fake(c)->freq_ppm;
	return 0;
}

static void fk_destroy(struct clk *c)
{
	(void)c;
}

static const struct clk_ops fake_ops = {
	.name = "fake", .get_map = fk_get_map, .step = fk_step, .set_freq = fk_set_freq,
	.get_freq = fk_get_freq, .destroy = fk_destroy,
};

static void fake_init(struct fake_clock *f, double ppm)
{
	memset(f, 0, sizeof(*f));
	f->base.ops = &fake_ops;
	f->freq_ppm = ppm;
	f->max_ppm = 1e6;
}

static struct disc_config config(void)
{
	return (struct disc_config){ .makestep_threshold = 0.1, .makestep_limit = 3,
				     .maxslew = 83333e-6 };
}

/* ---- kalman ---- */

/* Noise-free offsets of a clock 50 ppm slow: the filter learns both. */
static void test_kalman_converges(void **state)
{
	struct kalman k;
	int i;

	(void)state;
	kalman_init(&k, 1e-18, 0, 0.001, 1e-6, 0, 1e-6);
	for (i = 1; i <= 50; i++) {
		kalman_predict(&k, S(i * 16), 0);
		kalman_update(&k, 0.001 + 50e-6 * i * 16, 1e-12);
	}
	NEAR(k.rate, 50e-6, 1e-9);
	NEAR(k.theta, 0.001 + 50e-6 * 800, 1e-8);
	assert_true(k.p00 > 0 && k.p11 > 0);
	/* The correction u is subtracted from the offset's growth. */
	kalman_predict(&k, S(816), 50e-6);
	NEAR(k.theta, 0.001 + 50e-6 * 800, 1e-8);
	kalman_step(&k, 0.0405);
	NEAR(k.theta, 0.0005, 1e-8);
	/* Time never runs backwards. */
	kalman_predict(&k, S(10), 0);
	assert_true(k.t == S(816));
}

/* The steady-state error grows with the poll interval and the wander. */
static void test_kalman_steady(void **state)
{
	double a = kalman_steady_sd(1e-18, 1e-10, 64);
	double b = kalman_steady_sd(1e-18, 1e-10, 1024);
	double c = kalman_steady_sd(1e-14, 1e-10, 64);

	(void)state;
	assert_true(a > 0 && b > a && c > a);
	assert_true(a < 1e-4);
}

/* A bank fed a clock whose frequency wanders fast ends up believing the
 * high-wander models; fed a steady clock, the low ones. */
static void test_bank_chooses_wander(void **state)
{
	struct kalman_bank b;
	double freq = 0, phase = 0;
	uint64_t x = 12345;
	int i;

	(void)state;
	kalman_bank_clear(&b);
	for (i = 0; i < 400; i++) {
		double n;

		/* A cheap deterministic normal-ish variate. */
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		n = ((double)(x >> 11) / 9007199254740992.0 - 0.5) * 3.4;
		freq += 1e-6 * n;	/* random walk of 1e-6 per 16 s step */
		phase += freq * 16;
		kalman_bank_measure(&b, S(i * 16), 0, phase, 1e-12, 5, 4, 0, 1e-8);
	}
	assert_true(kalman_bank_best(&b)->q >= 1e-15);
	kalman_bank_clear(&b);
	for (i = 0; i < 400; i++)
		kalman_bank_measure(&b, S(i * 16), 0, 1e-5 * i, 1e-12, 5, 4, 0, 1e-8);
	assert_true(kalman_bank_best(&b)->q <= 1e-18);
}

/* The gate rejects a lone outlier; after reset_after in a row the offset
 * restarts where the measurements now are. */
static void test_bank_gate_and_reset(void **state)
{
	struct kalman_bank b;
	int i;

	(void)state;
	kalman_bank_clear(&b);
	assert_int_equal(kalman_bank_measure(&b, S(0), 0, 0, 1e-10, 5, 4, 0, 1e-10), KALMAN_INIT);
	for (i = 1; i < 20; i++)
		assert_int_equal(kalman_bank_measure(&b, S(i), 0, 0, 1e-10, 5, 4, 0, 1e-10),
				 KALMAN_ACCEPTED);
	assert_int_equal(kalman_bank_measure(&b, S(20), 0, 0.01, 1e-10, 5, 4, 0, 1e-10),
			 KALMAN_REJECTED);
	assert_int_equal(kalman_bank_measure(&b, S(21), 0, 0, 1e-10, 5, 4, 0, 1e-10),
			 KALMAN_ACCEPTED);
	for (i = 22; i < 25; i++)
		assert_int_equal(kalman_bank_measure(&b, S(i), 0, 0.01, 1e-10, 5, 4, 0, 1e-10),
				 KALMAN_REJECTED);
	assert_int_equal(kalman_bank_measure(&b, S(25), 0, 0.01, 1e-10, 5, 4, 0, 1e-10),
			 KALMAN_RESET);
	NEAR(kalman_bank_best(&b)->theta, 0.01, 1e-12);
	/* The rate may have been the cause: its variance has grown. */
	assert_true(kalman_bank_best(&b)->p11 > 1e-6);
}

/* ---- disc ---- */

static void feed(struct disc *d, double t, double offset)
{
	disc_measure(d, S(t), offset, 1e-10);
}

/* makestep 0.1 3: a large offset in the first three updates is stepped,
 * later only slewed; limit -1 always steps, 0 never. */
static void test_makestep(void **state)
{
	struct fake_clock fc;
	struct disc_config cfg = config();
	struct disc *d;

	(void)state;
	fake_init(&fc, 0);
	d = disc_create(&fc.base, &cfg, NULL, 0);
	feed(d, 1, 0.5);
	assert_int_equal(disc_correct(d, S(1), 2), DISC_STEPPED);
	assert_int_equal(fc.steps, 1);
	NEAR((double)fc.stepped, 0.5e9, 1e3);
	/* After the step the offset is gone. */
	feed(d, 2, 0.0);
	assert_int_equal(disc_correct(d, S(2), 2), DISC_SLEWED);
	feed(d, 3, 0.0);
	disc_correct(d, S(3), 2);
	/* Fourth update: beyond the limit, a big offset is slewed. */
	for (int i = 4; i < 10; i++)
		feed(d, i, 0.3);
	assert_int_equal(disc_correct(d, S(10), 2), DISC_SLEWED);
	assert_int_equal(fc.steps, 1);
	disc_destroy(d);

	fake_init(&fc, 0);
	cfg.makestep_limit = 0;
	d = disc_create(&fc.base, &cfg, NULL, 0);
	feed(d, 1, 5.0);
	assert_int_equal(disc_correct(d, S(1), 2), DISC_SLEWED);
	assert_int_equal(fc.steps, 0);
	disc_destroy(d);

	fake_init(&fc, 0);
	cfg.makestep_limit = -1;
	d = disc_create(&fc.base, &cfg, NULL, 0);
	for (int i = 1; i < 20; i++) {
		feed(d, i, 0);
		disc_correct(d, S(i), 1);
	}
	for (int i = 20; i < 30; i++)
		feed(d, i, 0.2);
	assert_int_equal(disc_correct(d, S(30), 2), DISC_STEPPED);
	disc_destroy(d);
}

/* A slew sets the frequency to the drift plus offset / duration, ends at
 * disc_next_event(), and the phase U records exactly what was done. */
static void test_slew(void **state)
{
	struct fake_clock fc;
	struct disc_config cfg = config();
	struct disc_status st;
	struct disc *d;
	double p100;
	gt_ns end;

	(void)state;
	fake_init(&fc, 20);	/* the clock is set 20 ppm fast already */
	cfg.makestep_limit = 0;
	d = disc_create(&fc.base, &cfg, NULL, 0);
	/* An offset of two standard deviations: an ordinary correction,
	 * over the update interval. */
	disc_measure(d, S(100), 0.004, 4e-6);
	assert_int_equal(disc_correct(d, S(100), 8), DISC_SLEWED);
	/* Prior drift: the clock's own setting, 20 ppm; slew 4 ms over 8 s. */
	NEAR(fc.freq_ppm, 20 + 500, 1e-6);
	p100 = disc_phase(d, S(100));
	end = disc_next_event(d);
	assert_true(end == S(108));
	disc_tick(d, S(104));
	NEAR(fc.freq_ppm, 520, 1e-6);
	disc_tick(d, end);
	NEAR(fc.freq_ppm, 20, 1e-6);
	assert_true(disc_next_event(d) == INT64_MAX);
	/* U grew by the slew: 500 ppm for 8 s on top of 20 ppm. */
	NEAR(disc_phase(d, S(108)) - p100, 520e-6 * 8, 1e-12);
	disc_get_status(d, S(108), &st);
	assert_true(st.init);
	NEAR(st.offset, 0.004, 1e-9);
	NEAR(st.freq_ppm, 20, 1e-6);
	assert_int_equal(st.n_updates, 1);
	disc_destroy(d);
}

/* An offset far beyond its uncertainty is slewed out faster than over the
 * interval (in proportion, down to DISC_MIN_SLEW_TIME); a slew that ends
 * late leaves a residual that is slewed out at once, and destroying the
 * discipline ends a slew. */
static void test_fast_slew(void **state)
{
	struct fake_clock fc;
	struct disc_config cfg = config();
	struct disc *d;
	double rate;
	gt_ns end;

	(void)state;
	fake_init(&fc, 20);
	cfg.makestep_limit = 0;
	d = disc_create(&fc.base, &cfg, NULL, 0);
	feed(d, 100, 0.004);	/* sd 10 us: 400 sigmas */
	assert_int_equal(disc_correct(d, S(100), 8), DISC_SLEWED);
	/* 8 s * 3 sigmas / 400 sigmas is under a second: 4 ms in 1 s. */
	NEAR(fc.freq_ppm, 20 + 4000, 1e-6);
	end = disc_next_event(d);
	assert_true(end == S(101));
	/* The main loop wakes 1 ms late: 4 us too much was slewed. */
	disc_tick(d, end + S(0.001));
	NEAR(fc.freq_ppm, 20 - 4e-6 / 8 * 1e6, 1e-3);
	assert_true(disc_next_event(d) == end + S(0.001) + S(8));
	NEAR(disc_phase(d, S(101.001)), (20e-6 * 1.001 + 0.004 + 4e-6), 1e-12);
	/* That small residual ends on time; nothing is left. */
	disc_tick(d, disc_next_event(d));
	NEAR(fc.freq_ppm, 20, 1e-6);
	assert_true(disc_next_event(d) == INT64_MAX);
	/* A slew in progress is ended by destroy: the clock is left at the
	 * drift correction. */
	feed(d, 200, 0.05);
	disc_correct(d, S(200), 8);
	rate = disc_rate(d) * 1e6;
	assert_true(fc.freq_ppm - rate > 1000);
	disc_destroy(d);
	NEAR(fc.freq_ppm, rate, 1e-6);
}

/* The driver's range bounds drift + slew together: the slew gets what the
 * drift leaves, not a request the driver refuses and the discipline halves. */
static void test_driver_range(void **state)
{
	static const struct clk_ops ranged_ops = {
		.name = "ranged", .get_map = fk_get_map, .step = fk_step, .set_freq = fk_set_freq,
		.get_freq = fk_get_freq, .destroy = fk_destroy, .max_freq_ppm = 1000,
	};
	struct fake_clock fc;
	struct disc_config cfg = config();
	struct disc *d;

	(void)state;
	fake_init(&fc, -300);
	fc.base.ops = &ranged_ops;
	fc.max_ppm = 1000;
	cfg.makestep_limit = 0;
	d = disc_create(&fc.base, &cfg, NULL, 0);
	feed(d, 1, -0.1);
	disc_correct(d, S(1), 2);
	NEAR(fc.freq_ppm, -1000, 1e-6);
	NEAR((double)(disc_next_event(d) - S(1)) * 1e-9, 0.1 / 700e-6, 1e-6);
	disc_destroy(d);
}

/* A driver whose frequency moves the monotonic clock too (Linux's
 * system clock): a monotonic second of a slew at s lasts 1 / (1 + s) true
 * seconds, so U grows by u / (1 + s) per monotonic second, the slew's end
 * is 1 + s times further in monotonic time, and the estimators' time base
 * (disc_free_time) leaves the slew's stretch out. */
static void test_mono_slewed(void **state)
{
	static const struct clk_ops slewed_ops = {
		.name = "slewed", .get_map = fk_get_map, .step = fk_step, .set_freq = fk_set_freq,
		.get_freq = fk_get_freq, .destroy = fk_destroy, .mono_slewed = true,
	};
	struct fake_clock fc;
	struct disc_config cfg = config();
	struct disc *d;
	double s = -0.08, dur;
	gt_ns end;

	(void)state;
	fake_init(&fc, 0);
	fc.base.ops = &slewed_ops;
	cfg.makestep_limit = 0;
	d = disc_create(&fc.base, &cfg, NULL, 0);
	feed(d, 1, -0.08);	/* slew -80000 ppm for 1 true second */
	disc_correct(d, S(1), 2);
	NEAR(fc.freq_ppm, -80000, 1e-6);
	dur = 0.08 / 0.08;
	end = disc_next_event(d);
	/* 1 true second at 0.92: 0.92 monotonic seconds. */
	NEAR((double)(end - S(1)) * 1e-9, dur * (1 + s), 1e-9);
	/* U at the end: the whole -0.08 s, not -0.08 * 0.92. */
	NEAR(disc_phase(d, end) - disc_phase(d, S(1)), -0.08, 1e-9);
	/* The free-running time base: 1 s passed, not 0.92 s. */
	NEAR((double)(disc_free_time(d, end) - disc_free_time(d, S(1))) * 1e-9, 1.0, 1e-9);
	disc_tick(d, end);
	NEAR(fc.freq_ppm, 0, 1e-6);
	assert_true(disc_next_event(d) == INT64_MAX);
	/* Without a slew a monotonic second is a true one again. */
	NEAR((double)(disc_free_time(d, end + S(10)) - disc_free_time(d, end)) * 1e-9, 10, 1e-9);
	disc_destroy(d);
}

/* maxslew bounds the rate: 0.1 s at 83333 ppm takes 1.2 s at least. */
static void test_maxslew(void **state)
{
	struct fake_clock fc;
	struct disc_config cfg = config();
	struct disc *d;

	(void)state;
	fake_init(&fc, 0);
	cfg.makestep_limit = 0;
	d = disc_create(&fc.base, &cfg, NULL, 0);
	feed(d, 1, 0.1);
	disc_correct(d, S(1), 1);
	NEAR(fc.freq_ppm, 83333, 1e-3);
	assert_true(disc_next_event(d) >= S(1) + S(1.2));
	disc_destroy(d);
}

/* A driver that refuses more than 500 ppm gets a slew it takes, and the
 * slew lasts longer to remove the same offset. */
static void test_refusing_driver(void **state)
{
	struct fake_clock fc;
	struct disc_config cfg = config();
	struct disc *d;
	gt_ns end;

	(void)state;
	fake_init(&fc, 0);
	fc.max_ppm = 500;
	cfg.makestep_limit = 0;
	d = disc_create(&fc.base, &cfg, NULL, 0);
	log_set_level(LOG_LVL_ERR);
	feed(d, 1, 0.01);
	disc_correct(d, S(1), 2);
	assert_true(fabs(fc.freq_ppm) <= 500 && fc.freq_ppm > 100);
	end = disc_next_event(d);
	/* offset / rate actually set. */
	NEAR((double)(end - S(1)) * 1e-9, 0.01 / (fc.freq_ppm * 1e-6), 1e-6);
	disc_destroy(d);
}

/* maxchange 0.01 1 2: past the first update, offsets above 10 ms are
 * ignored; the third one asks the daemon to exit. */
static void test_maxchange(void **state)
{
	struct fake_clock fc;
	struct disc_config cfg = config();
	struct disc_status st;
	struct disc *d;
	int i;

	(void)state;
	fake_init(&fc, 0);
	cfg.makestep_limit = 0;
	cfg.maxchange_offset = 0.01;
	cfg.maxchange_start = 1;
	cfg.maxchange_ignore = 2;
	d = disc_create(&fc.base, &cfg, NULL, 0);
	feed(d, 1, 0.05);
	assert_int_equal(disc_correct(d, S(1), 1), DISC_SLEWED);	/* first: allowed */
	disc_tick(d, S(100));
	for (i = 0; i < 3; i++) {
		/* A reference 50 ms off again, after the first was corrected. */
		feed(d, 101 + i * 10, 0.05);
		feed(d, 102 + i * 10, 0.05);
		feed(d, 103 + i * 10, 0.05);
		feed(d, 104 + i * 10, 0.05);
		assert_int_equal(disc_correct(d, S(104 + i * 10), 1), DISC_IGNORED);
		disc_get_status(d, S(104 + i * 10), &st);
		assert_int_equal(st.n_ignored, i + 1);
		assert_true(st.maxchange_exit == (i == 2));
	}
	disc_destroy(d);
}

/* A drift file value is set on the clock at once and is the prior. */
static void test_drift_prior(void **state)
{
	struct fake_clock fc;
	struct disc_config cfg = config();
	struct disc_status st;
	struct disc *d;
	double ppm = -12.5;

	(void)state;
	fake_init(&fc, 3);
	d = disc_create(&fc.base, &cfg, &ppm, 0.2);
	NEAR(fc.freq_ppm, -12.5, 1e-9);
	NEAR(disc_rate(d), -12.5e-6, 1e-15);
	disc_get_status(d, 0, &st);
	assert_false(st.init);
	NEAR(st.skew_ppm, 0.2, 1e-9);
	disc_destroy(d);
}

/* Leap second by step: the clock jumps, the estimate does not; by slew:
 * the clock does not jump, the offset grows by the second and is never
 * stepped, even with makestep always. */
static void test_leap(void **state)
{
	struct fake_clock fc;
	struct disc_config cfg = config();
	struct disc *d;

	(void)state;
	fake_init(&fc, 0);
	cfg.makestep_limit = -1;
	d = disc_create(&fc.base, &cfg, NULL, 0);
	feed(d, 1, 0);
	disc_correct(d, S(1), 1);
	assert_int_equal(disc_leap(d, S(2), -1.0, true), 0);
	assert_int_equal(fc.steps, 1);
	assert_true(fc.stepped == -GT_NS_PER_S);
	feed(d, 3, 0);
	assert_int_equal(disc_correct(d, S(3), 1), DISC_SLEWED);
	disc_destroy(d);

	fake_init(&fc, 0);
	d = disc_create(&fc.base, &cfg, NULL, 0);
	feed(d, 1, 0);
	disc_correct(d, S(1), 1);
	assert_int_equal(disc_leap(d, S(2), -1.0, false), 0);
	/* Offsets measured after the leap are 1 s less, and consistent. */
	feed(d, 3, -1.0);
	assert_int_equal(disc_correct(d, S(3), 1), DISC_SLEWED);
	assert_int_equal(fc.steps, 0);
	NEAR(fc.freq_ppm, -83333, 1e-3);
	disc_destroy(d);
}

/* ---- drift file ---- */

static void test_drift_parse(void **state)
{
	double f = 0, s = 0;

	(void)state;
	assert_int_equal(drift_parse("12.5", 4, &f, &s), 0);
	NEAR(f, 12.5, 1e-12);
	NEAR(s, DRIFT_DEFAULT_SKEW_PPM, 1e-12);
	assert_int_equal(drift_parse(" -3.25 0.125\n", 13, &f, &s), 0);
	NEAR(f, -3.25, 1e-12);
	NEAR(s, 0.125, 1e-12);
	assert_int_equal(drift_parse("7 1\r\nrest is ignored", 20, &f, &s), 0);
	NEAR(f, 7, 1e-12);
	/* Malformed: the outputs are left alone. */
	f = s = 99;
	assert_int_equal(drift_parse("", 0, &f, &s), -EINVAL);
	assert_int_equal(drift_parse("\n", 1, &f, &s), -EINVAL);
	assert_int_equal(drift_parse("abc", 3, &f, &s), -EINVAL);
	assert_int_equal(drift_parse("12.5x", 5, &f, &s), -EINVAL);
	assert_int_equal(drift_parse("1 2 3", 5, &f, &s), -EINVAL);
	assert_int_equal(drift_parse("1 -2", 4, &f, &s), -EINVAL);
	assert_int_equal(drift_parse("nan", 3, &f, &s), -EINVAL);
	assert_int_equal(drift_parse("inf 1", 5, &f, &s), -EINVAL);
	assert_int_equal(drift_parse("1e300", 5, &f, &s), -EINVAL);
	assert_int_equal(drift_parse("20000", 5, &f, &s), -EINVAL);
	assert_int_equal(drift_parse("1\0002", 3, &f, &s), -EINVAL);
	assert_true(f == 99 && s == 99);
	{
		char big[300];

		memset(big, '1', sizeof(big));
		assert_int_equal(drift_parse(big, sizeof(big), &f, &s), -EINVAL);
	}
}

static void test_drift_file(void **state)
{
	char dir[] = "/tmp/gnomon-drift-XXXXXX", path[128], bad[128];
	double f = 0, s = 0;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/drift", dir);
	assert_int_equal(drift_read(path, &f, &s), -ENOENT);
	assert_int_equal(drift_write(path, -41.123456, 0.25), 0);
	assert_int_equal(drift_read(path, &f, &s), 0);
	NEAR(f, -41.123456, 1e-9);
	NEAR(s, 0.25, 1e-9);
	/* Rewritten in place, no temporary left behind. */
	assert_int_equal(drift_write(path, 3, 1), 0);
	assert_int_equal(drift_read(path, &f, &s), 0);
	NEAR(f, 3, 1e-9);
	snprintf(bad, sizeof(bad), "%s/drift.tmp", dir);
	assert_int_equal(access(bad, F_OK), -1);
	/* A corrupt file reads as malformed. */
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("garbage\n", fp);
	fclose(fp);
	assert_int_equal(drift_read(path, &f, &s), -EINVAL);
	assert_int_equal(drift_write(path, NAN, 1), -EINVAL);
	/* No such directory. */
	snprintf(bad, sizeof(bad), "%s/none/drift", dir);
	assert_true(drift_write(bad, 1, 1) < 0);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kalman_converges),
		cmocka_unit_test(test_kalman_steady),
		cmocka_unit_test(test_bank_chooses_wander),
		cmocka_unit_test(test_bank_gate_and_reset),
		cmocka_unit_test(test_makestep),
		cmocka_unit_test(test_slew),
		cmocka_unit_test(test_fast_slew),
		cmocka_unit_test(test_driver_range),
		cmocka_unit_test(test_mono_slewed),
		cmocka_unit_test(test_maxslew),
		cmocka_unit_test(test_refusing_driver),
		cmocka_unit_test(test_maxchange),
		cmocka_unit_test(test_drift_prior),
		cmocka_unit_test(test_leap),
		cmocka_unit_test(test_drift_parse),
		cmocka_unit_test(test_drift_file),
	};

	log_set_level(LOG_LVL_ERR);
	return cmocka_run_group_tests_name("disc", tests, NULL, NULL);
}
