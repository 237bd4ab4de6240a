/* Unit tests for clock/clk: the linear clock map, the drivers (virtual,
 * system, null; none of them may touch the machine's clock here) and the
 * seqlock that publishes the clock state to worker threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/capability.h>
#include <sys/prctl.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock/clk.h"

#define S(x) ((gt_ns)(x) * GT_NS_PER_S)
#define MS(x) ((gt_ns)(x) * GT_NS_PER_MS)

static void test_map_apply(void **state)
{
	struct clk_map m = { .base_real = S(1000), .offset = S(5), .rate = 0 };

	(void)state;
	assert_true(clk_map_apply(&m, S(1000)) == S(1005));
	assert_true(clk_map_apply(&m, S(2000)) == S(2005));
	/* 1000 ppm: 1 s of real time is 1.001 s of clock time. */
	m.rate = 1e-3;
	assert_true(clk_map_apply(&m, S(1001)) == S(1006) + MS(1));
	assert_true(clk_map_apply(&m, S(999)) == S(1004) - MS(1));
	m.rate = -50e-6;
	m.offset = 0;
	assert_true(clk_map_apply(&m, S(1000) + S(100)) == S(1100) - MS(5));
}

static void test_virtual_offset_and_freq(void **state)
{
	struct clk *c = clk_create(CLK_KIND_VIRTUAL, -2.5, 100);
	struct clk_map m;
	double ppm = 0;
	gt_ns real, diff;

	(void)state;
	assert_non_null(c);
	assert_string_equal(clk_name(c), "virtual");
	assert_int_equal(c->ops->get_map(c, &m), 0);
	assert_true(m.offset == -S(2) - MS(500));
	assert_true(fabs(m.rate - 100e-6) < 1e-15);
	/* The 100 ppm is the clock's intrinsic error, not a correction. */
	assert_int_equal(c->ops->get_freq(c, &ppm), 0);
	assert_true(ppm == 0);
	/* clk_now follows the map (within scheduling noise). */
	real = gt_now(CLOCK_REALTIME);
	diff = clk_now(c) - real;
	assert_true(diff > -S(2) - MS(600) && diff < -S(2) - MS(400));
	clk_destroy(c);
}

static void test_virtual_step(void **state)
{
	struct clk *c = clk_create(CLK_KIND_VIRTUAL, 0, 0);
	struct clk_map m0, m1;

	(void)state;
	c->ops->get_map(c, &m0);
	assert_int_equal(c->ops->step(c, S(1)), 0);
	assert_int_equal(c->ops->step(c, -MS(250)), 0);
	c->ops->get_map(c, &m1);
	assert_true(m1.offset - m0.offset == MS(750));
	assert_true(m1.base_real == m0.base_real);
	assert_true(clk_map_apply(&m1, S(1700000000)) - clk_map_apply(&m0, S(1700000000)) == MS(750));
	clk_destroy(c);
}

/* Changing the frequency never steps the clock: the old and new maps
 * agree at the moment of change, and the new rate applies after it. */
static void test_virtual_set_freq_continuous(void **state)
{
	/* 10% fast: in 20 ms the old rate accumulates a 2 ms error, which a
	 * change without rebasing the map would turn into a step. */
	struct clk *c = clk_create(CLK_KIND_VIRTUAL, 3.0, 100000);
	struct clk_map m0, m1, m2;
	double ppm;
	gt_ns at;

	(void)state;
	usleep(20000);
	c->ops->get_map(c, &m0);
	assert_int_equal(c->ops->set_freq(c, 250), 0);
	c->ops->get_map(c, &m1);
	at = m1.base_real;
	if (llabs(clk_map_apply(&m1, at) - clk_map_apply(&m0, at)) > 1)
		fail_msg("clock stepped by %" PRId64 " ns at a frequency change",
			 clk_map_apply(&m1, at) - clk_map_apply(&m0, at));
	/* The correction adds to the intrinsic 10% error. */
	assert_true(fabs(m1.rate - (0.1 + 250e-6)) < 1e-15);
	assert_int_equal(c->ops->get_freq(c, &ppm), 0);
	assert_true(fabs(ppm - 250) < 1e-9);
	/* 10 s after the change the clock has gained 1 s + 2.5 ms. */
	assert_true(llabs(clk_map_apply(&m1, at + S(10)) - (clk_map_apply(&m1, at) + S(10) + S(1) +
							   MS(2) + 500 * GT_NS_PER_US)) <= 1);
	/* Back to zero: still continuous. */
	assert_int_equal(c->ops->set_freq(c, 0), 0);
	c->ops->get_map(c, &m2);
	assert_true(llabs(clk_map_apply(&m2, m2.base_real) - clk_map_apply(&m1, m2.base_real)) <= 1);
	/* Out of range or not a number: refused, map untouched. */
	assert_int_equal(c->ops->set_freq(c, 600000), -EINVAL);
	assert_int_equal(c->ops->set_freq(c, -600000), -EINVAL);
	assert_int_equal(c->ops->set_freq(c, NAN), -EINVAL);
	assert_int_equal(c->ops->set_freq(c, INFINITY), -EINVAL);
	c->ops->get_map(c, &m1);
	assert_memory_equal(&m1, &m2, sizeof(m1));
	clk_destroy(c);
}

static void test_null_refuses(void **state)
{
	struct clk *c = clk_create(CLK_KIND_NULL, 5.0, 10.0);	/* ignored */
	struct clk_map m;
	double ppm = 99;
	gt_ns real, now;

	(void)state;
	assert_non_null(c);
	assert_string_equal(clk_name(c), "null");
	assert_int_equal(c->ops->get_map(c, &m), 0);
	assert_true(m.offset == 0 && m.rate == 0);
	assert_int_equal(c->ops->step(c, S(1)), -ENOTSUP);
	assert_int_equal(c->ops->set_freq(c, 1.0), -ENOTSUP);
	assert_int_equal(c->ops->get_freq(c, &ppm), 0);
	assert_true(ppm == 0);
	real = gt_now(CLOCK_REALTIME);
	now = clk_now(c);
	assert_true(now >= real && now - real < MS(100));
	clk_destroy(c);
	clk_destroy(NULL);
}

/* Drop CAP_SYS_TIME for good (bounding, permitted, effective, inheritable)
 * and confirm it is gone; only then may the system driver be exercised. */
static bool sys_time_dropped(void)
{
	cap_value_t v[] = { CAP_SYS_TIME };
	cap_flag_value_t eff = CAP_SET, prm = CAP_SET;
	cap_t caps;

	prctl(PR_CAPBSET_DROP, CAP_SYS_TIME, 0, 0, 0);
	caps = cap_get_proc();
	if (!caps)
		return false;
	cap_set_flag(caps, CAP_EFFECTIVE, 1, v, CAP_CLEAR);
	cap_set_flag(caps, CAP_PERMITTED, 1, v, CAP_CLEAR);
	cap_set_flag(caps, CAP_INHERITABLE, 1, v, CAP_CLEAR);
	cap_set_proc(caps);
	cap_free(caps);
	caps = cap_get_proc();
	if (!caps)
		return false;
	cap_get_flag(caps, CAP_SYS_TIME, CAP_EFFECTIVE, &eff);
	cap_get_flag(caps, CAP_SYS_TIME, CAP_PERMITTED, &prm);
	cap_free(caps);
	return eff == CAP_CLEAR && prm == CAP_CLEAR;
}

/* The system driver adjusts CLOCK_REALTIME. The machine's clock must never
 * move in a test, so this runs only after CAP_SYS_TIME is gone, and checks
 * that every adjustment is refused by the kernel (EPERM) or by the driver's
 * own range check, and that the clock did not move. */
static void test_system_without_cap_sys_time(void **state)
{
	struct clk *c;
	struct clk_map m;
	double ppm = 12345;
	gt_ns gap_before, gap_after;

	(void)state;
	if (!sys_time_dropped())
		fail_msg("could not drop CAP_SYS_TIME: refusing to exercise the system driver");
	c = clk_create(CLK_KIND_SYSTEM, 5.0, 10.0);
	assert_non_null(c);
	assert_string_equal(clk_name(c), "system");
	assert_int_equal(c->ops->get_map(c, &m), 0);
	assert_true(m.offset == 0 && m.rate == 0);
	gap_before = gt_now(CLOCK_REALTIME) - gt_now(CLOCK_MONOTONIC);
	assert_int_equal(c->ops->step(c, S(1)), -EPERM);
	assert_int_equal(c->ops->set_freq(c, 1.0), -EPERM);
	/* Beyond the driver's range (chrony's maxslewrate): refused before
	 * any system call. */
	assert_int_equal(c->ops->set_freq(c, 90000.0), -ERANGE);
	assert_int_equal(c->ops->set_freq(c, -1e6), -ERANGE);
	assert_true(fabs(c->ops->max_freq_ppm - 83333.333) < 1e-3);
	assert_int_equal(c->ops->set_freq(c, NAN), -ERANGE);
	/* leapsecmode system: the kernel's STA_INS/STA_DEL, refused here. */
	assert_non_null(c->ops->set_leap);
	assert_int_equal(c->ops->set_leap(c, CLK_LEAP_INS), -EPERM);
	assert_int_equal(c->ops->set_leap(c, CLK_LEAP_NONE), -EPERM);
	assert_int_equal(c->ops->set_leap(c, 7), -EINVAL);
	assert_int_equal(c->ops->get_freq(c, &ppm), 0);	/* reading needs no privilege */
	/* tick and freq together: at most the tick's +-10 % and 500 ppm. */
	assert_true(ppm > -100500 && ppm < 100500);
	gap_after = gt_now(CLOCK_REALTIME) - gt_now(CLOCK_MONOTONIC);
	assert_true(gap_after - gap_before < MS(10) && gap_before - gap_after < MS(10));
	clk_destroy(c);
}

/* The split of a frequency into the kernel's tick and freq (pure; no
 * clock is touched). USER_HZ 100: tick 10000 us nominal, 1 us = 100 ppm. */
static void test_tick_split(void **state)
{
	static const double cases[] = { 0, 1.5, -499.9, 500, -500, 500.5, 550, -551, 12345.678,
					-12345.678, 83333.333, -83333.333, 99999, -99999 };
	long tick = 0, freq = 0;
	size_t i;

	(void)state;
	/* Within ADJ_FREQUENCY's range the tick stays nominal. */
	assert_int_equal(clk_tick_split(123.5, 100, &tick, &freq), 0);
	assert_int_equal(tick, 10000);
	assert_int_equal(freq, lround(123.5 * 65536));
	assert_int_equal(clk_tick_split(-500, 100, &tick, &freq), 0);
	assert_int_equal(tick, 10000);
	/* Beyond it: the nearest whole tick, the rest in freq. */
	assert_int_equal(clk_tick_split(83333.333, 100, &tick, &freq), 0);
	assert_int_equal(tick, 10833);
	assert_true(fabs((double)freq / 65536 - 33.333) < 1e-4);
	assert_int_equal(clk_tick_split(-650, 100, &tick, &freq), 0);
	assert_int_equal(tick, 9993);	/* round(-6.5) = -7 */
	assert_true(fabs((double)freq / 65536 - 50) < 1e-4);
	/* Every case joins back to itself within the 2^-16 ppm of freq, and
	 * stays in the kernel's ranges. */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(clk_tick_split(cases[i], 100, &tick, &freq), 0);
		assert_true(tick >= 9000 && tick <= 11000);
		assert_true(labs(freq) <= 500 * 65536);
		assert_true(fabs(clk_tick_join(tick, freq, 100) - cases[i]) <= 1.0 / 65536);
	}
	/* Another USER_HZ: 1024 ticks of 977 us; 1 us of tick is 1024 ppm. */
	assert_int_equal(clk_tick_split(5000, 1024, &tick, &freq), 0);
	assert_int_equal(tick, 977 + 5);
	assert_true(fabs(clk_tick_join(tick, freq, 1024) - 5000) <= 1.0 / 65536);
	/* Out of range or nonsense. */
	assert_int_equal(clk_tick_split(100600, 100, &tick, &freq), -ERANGE);
	assert_int_equal(clk_tick_split(-150000, 100, &tick, &freq), -ERANGE);
	assert_int_equal(clk_tick_split(1e9, 100, &tick, &freq), -ERANGE);
	assert_int_equal(clk_tick_split(NAN, 100, &tick, &freq), -EINVAL);
	assert_int_equal(clk_tick_split(INFINITY, 100, &tick, &freq), -EINVAL);
	assert_int_equal(clk_tick_split(10, 0, &tick, &freq), -EINVAL);
	/* Reading back what a kernel holds. */
	assert_true(clk_tick_join(10000, 0, 100) == 0);
	assert_true(clk_tick_join(10001, -65536 * 20, 100) == 80);
	assert_true(clk_tick_join(9000, 0, 100) == -100000);
}

static void test_measure_precision(void **state)
{
	int8_t p = clk_measure_precision();

	(void)state;
	/* A clock read resolves better than a millisecond, never finer than
	 * the function's floor of 2^-30 s. */
	assert_true(p >= -30);
	assert_true(p <= -10);
}

static struct clk_snapshot snapshot_k(uint32_t k)
{
	struct clk_snapshot s;

	memset(&s, 0, sizeof(s));
	s.map.base_real = (gt_ns)k * 3;
	s.map.offset = -(gt_ns)k;
	s.map.rate = (double)k * 1e-9;
	s.q.leap = (uint8_t)(k & 3);
	s.q.stratum = (uint8_t)(k % 16);
	s.q.precision = (int8_t)(k & 0x7f);
	s.q.refid = k;
	s.q.root_delay = (gt_ns)k * 5;
	s.q.root_disp = (gt_ns)k * 7;
	s.q.ref_time = (gt_ns)k * 11;
	return s;
}

static bool snapshot_is_k(const struct clk_snapshot *s, uint32_t k)
{
	struct clk_snapshot want = snapshot_k(k);

	return !memcmp(s, &want, sizeof(want));
}

static void test_publish_read(void **state)
{
	struct clk_published p;
	struct clk_snapshot s, out;
	unsigned seq0;

	(void)state;
	memset(&p, 0, sizeof(p));
	s = snapshot_k(42);
	seq0 = atomic_load(&p.seq);
	clk_publish(&p, &s);
	assert_int_equal(atomic_load(&p.seq), seq0 + 2);	/* even: not mid-write */
	clk_read_snapshot(&p, &out);
	assert_true(snapshot_is_k(&out, 42));
	s = snapshot_k(43);
	clk_publish(&p, &s);
	clk_read_snapshot(&p, &out);
	assert_true(snapshot_is_k(&out, 43));
}

/* One writer publishes snapshots whose every field derives from a counter;
 * readers must never see a mixture of two snapshots, nor go backwards. */
#define PUBLISHES 200000

struct seq_test {
	struct clk_published pub;
	atomic_bool started, done;
	long reads, torn, backwards;
};

static void *writer(void *arg)
{
	struct seq_test *t = arg;
	uint32_t k;

	/* On a loaded machine the reader may not have run yet: a race with
	 * no reader proves nothing. */
	while (!atomic_load(&t->started))
		sched_yield();
	for (k = 1; k <= PUBLISHES; k++) {
		struct clk_snapshot s = snapshot_k(k);

		clk_publish(&t->pub, &s);
	}
	atomic_store(&t->done, true);
	return NULL;
}

static void *reader(void *arg)
{
	struct seq_test *t = arg;
	uint32_t last = 0;

	atomic_store(&t->started, true);
	do {
		struct clk_snapshot s;

		clk_read_snapshot(&t->pub, &s);
		t->reads++;
		if (!snapshot_is_k(&s, s.q.refid))
			t->torn++;
		if (s.q.refid < last)
			t->backwards++;
		last = s.q.refid;
	} while (!atomic_load(&t->done));
	return NULL;
}

static void test_seqlock_concurrent(void **state)
{
	static struct seq_test t;
	struct clk_snapshot s0 = snapshot_k(0);
	pthread_t w, r;

	(void)state;
	memset(&t, 0, sizeof(t));
	clk_publish(&t.pub, &s0);
	assert_int_equal(pthread_create(&r, NULL, reader, &t), 0);
	assert_int_equal(pthread_create(&w, NULL, writer, &t), 0);
	pthread_join(w, NULL);
	pthread_join(r, NULL);
	assert_true(t.reads > 0);
	if (t.torn || t.backwards)
		fail_msg("%ld torn and %ld backward reads of %ld", t.torn, t.backwards, t.reads);
	{
		struct clk_snapshot last;

		clk_read_snapshot(&t.pub, &last);
		assert_true(snapshot_is_k(&last, PUBLISHES));
	}
}

/* clock phc: a missing device and a device that is no PHC are refused
 * with the path and the reason (no PHC exists on the test machines). */
static void test_phc_refused(void **state)
{
	char err[256];

	(void)state;
	assert_null(clk_create_phc("/dev/ptp-none", err, sizeof(err)));
	assert_non_null(strstr(err, "/dev/ptp-none"));
	assert_non_null(strstr(err, "No such file"));
	assert_null(clk_create_phc("/dev/null", err, sizeof(err)));
	assert_non_null(strstr(err, "not a PTP hardware clock"));
	/* the kernel's dynamic clock id: ~fd << 3 | 3 */
	assert_int_equal(clk_phc_clockid(3), (clockid_t)((~3u << 3) | 3));
	assert_null(clk_create(CLK_KIND_PHC, 0, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_phc_refused),
		cmocka_unit_test(test_map_apply),
		cmocka_unit_test(test_virtual_offset_and_freq),
		cmocka_unit_test(test_virtual_step),
		cmocka_unit_test(test_virtual_set_freq_continuous),
		cmocka_unit_test(test_null_refuses),
		cmocka_unit_test(test_system_without_cap_sys_time),
		cmocka_unit_test(test_tick_split),
		cmocka_unit_test(test_measure_precision),
		cmocka_unit_test(test_publish_read),
		cmocka_unit_test(test_seqlock_concurrent),
	};

	return cmocka_run_group_tests_name("clk", tests, NULL, NULL);
}
