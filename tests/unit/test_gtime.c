/* Unit tests for lib/gtime: the time type, NTP timestamps and their eras
 * (RFC 5905 §6, RFC 4330 §3) and the NTP short format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <math.h>

#include "lib/gtime.h"

#define assert_i64_equal(a, b) do { \
	int64_t a_ = (int64_t)(a), b_ = (int64_t)(b); \
	if (a_ != b_) \
		fail_msg("%s == %" PRId64 ", expected %" PRId64, #a, a_, b_); \
} while (0)

#define S(x) ((gt_ns)(x) * GT_NS_PER_S)
/* 2036-02-07T06:28:16Z: NTP seconds 2^32, era 1 second 0. */
#define ERA1_UNIX_S INT64_C(2085978496)
/* 1968-01-20T03:14:08Z: NTP second 2^31, the RFC 4330 era split. */
#define SPLIT_UNIX_S INT64_C(-61505152)
/* 1900-01-01T00:00:00Z: era 0 second 0. */
#define ERA0_UNIX_S (-GT_NTP_UNIX_OFFSET)
#define NTP(sec, frac) (((uint64_t)(uint32_t)(sec) << 32) | (uint32_t)(frac))

/* Deterministic pseudo-random numbers (xorshift64*) for property tests. */
static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(0x2545f4914f6cdd1d);
}

/* Uniform-ish in [lo, hi]. */
static int64_t rng_range(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rng() % (uint64_t)(hi - lo + 1));
}

static void test_timespec_conversions(void **state)
{
	struct timespec ts = { 12, 345678901 }, back;

	(void)state;
	assert_i64_equal(gt_from_timespec(&ts), INT64_C(12345678901));
	back = gt_to_timespec(INT64_C(12345678901));
	assert_i64_equal(back.tv_sec, 12);
	assert_i64_equal(back.tv_nsec, 345678901);
	/* Negative times keep tv_nsec in [0, 1e9). */
	back = gt_to_timespec(-1);
	assert_i64_equal(back.tv_sec, -1);
	assert_i64_equal(back.tv_nsec, 999999999);
	back = gt_to_timespec(-S(2) - 500000000);
	assert_i64_equal(back.tv_sec, -3);
	assert_i64_equal(back.tv_nsec, 500000000);
	assert_i64_equal(gt_from_timespec(&back), -S(2) - 500000000);
	back = gt_to_timespec(-S(5));
	assert_i64_equal(back.tv_sec, -5);
	assert_i64_equal(back.tv_nsec, 0);
}

static void test_seconds_conversions(void **state)
{
	(void)state;
	assert_i64_equal(gt_from_sec(1.5), INT64_C(1500000000));
	assert_i64_equal(gt_from_sec(-0.25), -INT64_C(250000000));
	assert_i64_equal(gt_from_sec(-1000.25), -INT64_C(1000250000000));
	assert_i64_equal(gt_from_sec(1e-9), 1);
	assert_i64_equal(gt_from_sec(0.6e-9), 1);	/* to nearest, not truncated */
	assert_i64_equal(gt_from_sec(-0.6e-9), -1);
	assert_i64_equal(gt_from_sec(0.4e-9), 0);
	assert_i64_equal(gt_from_sec(1e10), INT64_MAX);
	assert_i64_equal(gt_from_sec(-1e10), INT64_MIN);
	assert_i64_equal(gt_from_sec(INFINITY), INT64_MAX);
	assert_i64_equal(gt_from_sec(-INFINITY), INT64_MIN);
	assert_i64_equal(gt_from_sec(NAN), 0);
	assert_true(gt_to_sec(INT64_C(1500000000)) == 1.5);
	assert_true(gt_to_sec(-INT64_C(250000000)) == -0.25);
}

static void test_now_monotonic(void **state)
{
	gt_ns a, b, r;

	(void)state;
	a = gt_now(CLOCK_MONOTONIC);
	b = gt_now(CLOCK_MONOTONIC);
	assert_true(b >= a);
	r = gt_now(CLOCK_REALTIME);
	assert_true(r > S(1500000000));	/* after 2017 */
}

static void test_ntp_from_ns_exact(void **state)
{
	(void)state;
	/* Unix epoch = NTP 2208988800 = 0x83aa7e80. */
	assert_int_equal(ntp_ts_from_ns(0), NTP(0x83aa7e80, 0));
	assert_int_equal(ntp_ts_from_ns(S(1)), NTP(0x83aa7e81, 0));
	assert_int_equal(ntp_ts_from_ns(500000000), NTP(0x83aa7e80, 0x80000000));
	assert_int_equal(ntp_ts_from_ns(250000000), NTP(0x83aa7e80, 0x40000000));
	assert_int_equal(ntp_ts_from_ns(750000000), NTP(0x83aa7e80, 0xc0000000));
	/* 1900 is era 0 second 0. */
	assert_int_equal(ntp_ts_from_ns(S(ERA0_UNIX_S)), NTP(0, 0));
}

static void test_ntp_from_ns_rounding(void **state)
{
	(void)state;
	/* 1 ns = 4.29 units -> 4; 2 ns = 8.59 units -> 9 (nearest, not
	 * truncated); 3 ns = 12.88 -> 13. */
	assert_int_equal((uint32_t)ntp_ts_from_ns(1), 4);
	assert_int_equal((uint32_t)ntp_ts_from_ns(2), 9);
	assert_int_equal((uint32_t)ntp_ts_from_ns(3), 13);
	/* 999999999 ns = 4294967291.7 units -> 0xfffffffc, same second. */
	assert_int_equal(ntp_ts_from_ns(999999999), NTP(0x83aa7e80, 0xfffffffc));
	/* 1 us = 4294.967 units -> 4295. */
	assert_int_equal((uint32_t)ntp_ts_from_ns(1000), 4295);
}

static void test_ntp_from_ns_negative(void **state)
{
	(void)state;
	/* Before 1970: the fraction stays positive, the second borrows. */
	assert_int_equal(ntp_ts_from_ns(-1), NTP(0x83aa7e7f, 0xfffffffc));
	assert_int_equal(ntp_ts_from_ns(-500000000), NTP(0x83aa7e7f, 0x80000000));
	assert_int_equal(ntp_ts_from_ns(-S(1)), NTP(0x83aa7e7f, 0));
	assert_int_equal(ntp_ts_from_ns(-S(1) - 250000000), NTP(0x83aa7e7e, 0xc0000000));
	/* The 1968 split point is NTP second 2^31. */
	assert_int_equal(ntp_ts_from_ns(S(SPLIT_UNIX_S)), NTP(0x80000000, 0));
	/* Before 1900: era -1 wraps modulo 2^32. */
	assert_int_equal(ntp_ts_from_ns(S(ERA0_UNIX_S) - 1), NTP(0xffffffff, 0xfffffffc));
	assert_int_equal(ntp_ts_from_ns(S(ERA0_UNIX_S - 1)), NTP(0xffffffff, 0));
}

static void test_ntp_from_ns_2036(void **state)
{
	(void)state;
	assert_int_equal(ntp_ts_from_ns(S(ERA1_UNIX_S)), NTP(0, 0));
	assert_int_equal(ntp_ts_from_ns(S(ERA1_UNIX_S) - 500000000), NTP(0xffffffff, 0x80000000));
	assert_int_equal(ntp_ts_from_ns(S(ERA1_UNIX_S - 1)), NTP(0xffffffff, 0));
	assert_int_equal(ntp_ts_from_ns(S(ERA1_UNIX_S + 1) + 250000000), NTP(1, 0x40000000));
	/* Era 2 (2172) wraps again. */
	assert_int_equal(ntp_ts_from_ns(S(ERA1_UNIX_S + (INT64_C(1) << 32))), NTP(0, 0));
}

static void test_ntp_to_ns_exact(void **state)
{
	gt_ns pivot = S(1700000000);	/* 2023 */

	(void)state;
	assert_i64_equal(ntp_ts_to_ns(NTP(0x83aa7e80, 0), pivot), 0);
	assert_i64_equal(ntp_ts_to_ns(NTP(0x83aa7e80, 0x80000000), pivot), 500000000);
	assert_i64_equal(ntp_ts_to_ns(NTP(0x83aa7e80, 0x40000000), pivot), 250000000);
	/* Fraction to ns rounds to nearest: 9 units = 2.095 ns -> 2. */
	assert_i64_equal(ntp_ts_to_ns(NTP(0x83aa7e80, 9), pivot), 2);
	assert_i64_equal(ntp_ts_to_ns(NTP(0x83aa7e80, 0xfffffffc), pivot), 999999999);
	assert_i64_equal(ntp_ts_to_ns(NTP(0x83aa7e7f, 0x80000000), pivot), -500000000);
}

/* Timestamps just before and after the 2036 rollover, decoded with pivots
 * on both sides of it, must come out as the same Unix times. */
static void test_ntp_to_ns_pivots_around_2036(void **state)
{
	const gt_ns times[] = {
		S(ERA1_UNIX_S - 1), S(ERA1_UNIX_S) - 250000000, S(ERA1_UNIX_S) - 1,
		S(ERA1_UNIX_S), S(ERA1_UNIX_S) + 1, S(ERA1_UNIX_S + 1) + 750000000,
		S(ERA1_UNIX_S + 86400),
	};
	const gt_ns pivots[] = {
		S(ERA1_UNIX_S - 86400), S(ERA1_UNIX_S - 1), S(ERA1_UNIX_S),
		S(ERA1_UNIX_S + 1), S(ERA1_UNIX_S + 86400),
		S(ERA1_UNIX_S - INT64_C(60) * 365 * 86400),	/* 1976 */
		S(ERA1_UNIX_S + INT64_C(60) * 365 * 86400),	/* 2096 */
		S(1700000000),
	};
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++)
		for (k = 0; k < sizeof(pivots) / sizeof(pivots[0]); k++)
			assert_i64_equal(ntp_ts_to_ns(ntp_ts_from_ns(times[i]), pivots[k]), times[i]);
	/* Era 1 second 0 is 2036 for a pivot now, 1900 for a pivot in 1910. */
	assert_i64_equal(ntp_ts_to_ns(NTP(0, 0), S(1700000000)), S(ERA1_UNIX_S));
	assert_i64_equal(ntp_ts_to_ns(NTP(1, 0), S(ERA0_UNIX_S + 10 * 31557600)),
			 S(ERA0_UNIX_S + 1));
	assert_i64_equal(ntp_ts_to_ns(NTP(0xffffffff, 0x80000000), S(ERA1_UNIX_S + 3600)),
			 S(ERA1_UNIX_S) - 500000000);
}

static void check_grid(const gt_ns *times, size_t nt, const gt_ns *pivots, size_t np)
{
	size_t i, k;

	for (i = 0; i < nt; i++)
		for (k = 0; k < np; k++)
			if (ntp_ts_to_ns(ntp_ts_from_ns(times[i]), pivots[k]) != times[i])
				fail_msg("t=%" PRId64 " pivot=%" PRId64 ": got %" PRId64,
					 times[i], pivots[k],
					 ntp_ts_to_ns(ntp_ts_from_ns(times[i]), pivots[k]));
}

/* Negative (pre-1970) times and pivots, around the 1968 split and around
 * 1900 where era 0 begins. */
static void test_ntp_to_ns_pivots_before_1970(void **state)
{
	const gt_ns times_1968[] = {
		S(SPLIT_UNIX_S - 1), S(SPLIT_UNIX_S), S(SPLIT_UNIX_S) + 500000000,
		S(SPLIT_UNIX_S) - 1, -1, 0, -S(86400) - 250000000,
	};
	const gt_ns pivots_1968[] = {
		S(SPLIT_UNIX_S - 86400), S(SPLIT_UNIX_S), S(SPLIT_UNIX_S + 86400), 0,
		-S(1) - 500000000, S(1700000000),
	};
	const gt_ns times_1900[] = {
		S(ERA0_UNIX_S), S(ERA0_UNIX_S) - 1, S(ERA0_UNIX_S) + 1,
		S(ERA0_UNIX_S - 3600) + 750000000,
	};
	const gt_ns pivots_1900[] = {
		S(ERA0_UNIX_S - 86400), S(ERA0_UNIX_S), S(ERA0_UNIX_S + 86400),
		S(ERA0_UNIX_S + INT64_C(50) * 365 * 86400),
	};

	(void)state;
	check_grid(times_1968, sizeof(times_1968) / sizeof(times_1968[0]),
		   pivots_1968, sizeof(pivots_1968) / sizeof(pivots_1968[0]));
	check_grid(times_1900, sizeof(times_1900) / sizeof(times_1900[0]),
		   pivots_1900, sizeof(pivots_1900) / sizeof(pivots_1900[0]));
}

/* The window is pivot ± 2^31 s. */
static void test_ntp_to_ns_window_edges(void **state)
{
	const gt_ns pivot = S(1700000000);
	const gt_ns half = INT64_C(1) << 31;

	(void)state;
	assert_i64_equal(ntp_ts_to_ns(ntp_ts_from_ns(pivot + S(half - 1)), pivot), pivot + S(half - 1));
	assert_i64_equal(ntp_ts_to_ns(ntp_ts_from_ns(pivot - S(half - 1)), pivot), pivot - S(half - 1));
	/* One era further is out of the window: it aliases to this era. */
	assert_i64_equal(ntp_ts_to_ns(ntp_ts_from_ns(pivot + S(half + 5)), pivot),
			 pivot + S(half + 5) - S(INT64_C(1) << 32));
}

/* Property: from/to round trips exactly (32-bit fractions resolve 0.23 ns)
 * for any time 1900..2100 and any pivot within 68 years of it. */
static void test_ntp_round_trip_random(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 200000; i++) {
		gt_ns t = S(rng_range(ERA0_UNIX_S, INT64_C(4102444800))) +
			  rng_range(0, GT_NS_PER_S - 1);
		gt_ns pivot = t + S(rng_range(-(INT64_C(1) << 31) + 2, (INT64_C(1) << 31) - 2));

		if (ntp_ts_to_ns(ntp_ts_from_ns(t), pivot) != t)
			fail_msg("t=%" PRId64 " pivot=%" PRId64 ": got %" PRId64, t, pivot,
				 ntp_ts_to_ns(ntp_ts_from_ns(t), pivot));
	}
}

static void test_ntp_split(void **state)
{
	(void)state;
	/* MSB set: era 0, 1968..2036. */
	assert_i64_equal(ntp_ts_to_ns_split(NTP(0x80000000, 0)), S(SPLIT_UNIX_S));
	assert_i64_equal(ntp_ts_to_ns_split(NTP(0x83aa7e80, 0x80000000)), 500000000);
	assert_i64_equal(ntp_ts_to_ns_split(NTP(0xffffffff, 0)), S(ERA1_UNIX_S - 1));
	assert_i64_equal(ntp_ts_to_ns_split(NTP(0xffffffff, 0x80000000)), S(ERA1_UNIX_S) - 500000000);
	/* MSB clear: era 1, 2036..2104. */
	assert_i64_equal(ntp_ts_to_ns_split(NTP(0, 0)), S(ERA1_UNIX_S));
	assert_i64_equal(ntp_ts_to_ns_split(NTP(1, 0x40000000)), S(ERA1_UNIX_S + 1) + 250000000);
	assert_i64_equal(ntp_ts_to_ns_split(NTP(0x7fffffff, 0)),
			 S(ERA1_UNIX_S + INT64_C(0x7fffffff)));
	/* One second either side of the 1968 split lands 136 years apart. */
	assert_i64_equal(ntp_ts_to_ns_split(ntp_ts_from_ns(S(SPLIT_UNIX_S - 1))),
			 S(SPLIT_UNIX_S - 1 + (INT64_C(1) << 32)));
	/* Round trip for times in the split window. */
	assert_i64_equal(ntp_ts_to_ns_split(ntp_ts_from_ns(S(1700000000) + 123456789)),
			 S(1700000000) + 123456789);
	assert_i64_equal(ntp_ts_to_ns_split(ntp_ts_from_ns(S(ERA1_UNIX_S + 1000) + 987654321)),
			 S(ERA1_UNIX_S + 1000) + 987654321);
	assert_i64_equal(ntp_ts_to_ns_split(ntp_ts_from_ns(-S(1000))), -S(1000));
}

static void test_ntp_diff(void **state)
{
	(void)state;
	assert_i64_equal(ntp_ts_diff(NTP(10, 0), NTP(7, 0)), S(3));
	assert_i64_equal(ntp_ts_diff(NTP(7, 0), NTP(10, 0)), -S(3));
	assert_i64_equal(ntp_ts_diff(NTP(7, 0x80000000), NTP(7, 0)), 500000000);
	assert_i64_equal(ntp_ts_diff(NTP(7, 0), NTP(7, 0x80000000)), -500000000);
	assert_i64_equal(ntp_ts_diff(NTP(7, 0), NTP(6, 0xc0000000)), 250000000);
	assert_i64_equal(ntp_ts_diff(NTP(6, 0xc0000000), NTP(7, 0)), -250000000);
	/* Across the 2036 boundary: era 1 second 1.25 minus era 0 last
	 * second .75 is 1.5 s. */
	assert_i64_equal(ntp_ts_diff(NTP(1, 0x40000000), NTP(0xffffffff, 0xc0000000)), 1500000000);
	assert_i64_equal(ntp_ts_diff(NTP(0xffffffff, 0xc0000000), NTP(1, 0x40000000)), -1500000000);
	assert_i64_equal(ntp_ts_diff(ntp_ts_from_ns(S(ERA1_UNIX_S + 3600)),
				     ntp_ts_from_ns(S(ERA1_UNIX_S - 3600))), S(7200));
	/* Across the 1968 split (MSB flip) nothing special happens. */
	assert_i64_equal(ntp_ts_diff(NTP(0x80000000, 0), NTP(0x7fffffff, 0)), S(1));
	/* Largest differences: just under ±68 years. */
	assert_i64_equal(ntp_ts_diff(NTP(0x7fffffff, 0), NTP(0, 0)), S(0x7fffffff));
	assert_i64_equal(ntp_ts_diff(NTP(0, 0), NTP(0x7fffffff, 0)), -S(0x7fffffff));
	assert_i64_equal(ntp_ts_diff(NTP(5, 0), NTP(5, 0)), 0);
}

/* Property: differences of timestamps are exact to the ns whenever the
 * two times are less than 68 years apart, across any era boundary. */
static void test_ntp_diff_random(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 200000; i++) {
		gt_ns a = S(rng_range(ERA1_UNIX_S - 86400, ERA1_UNIX_S + 86400)) +
			  rng_range(0, GT_NS_PER_S - 1);
		gt_ns b = a + rng_range(-S(INT64_C(1) << 31) + GT_NS_PER_S,
					S(INT64_C(1) << 31) - GT_NS_PER_S);

		if (ntp_ts_diff(ntp_ts_from_ns(a), ntp_ts_from_ns(b)) != a - b)
			fail_msg("a=%" PRId64 " b=%" PRId64 ": diff %" PRId64, a, b,
				 ntp_ts_diff(ntp_ts_from_ns(a), ntp_ts_from_ns(b)));
	}
}

static void test_short_from_ns(void **state)
{
	(void)state;
	assert_int_equal(ntp_short_from_ns(0), 0);
	assert_int_equal(ntp_short_from_ns(-1), 0);
	assert_int_equal(ntp_short_from_ns(-S(100)), 0);
	assert_int_equal(ntp_short_from_ns(INT64_MIN), 0);
	assert_int_equal(ntp_short_from_ns(S(1)), 0x00010000);
	assert_int_equal(ntp_short_from_ns(500000000), 0x00008000);
	assert_int_equal(ntp_short_from_ns(S(3) + 250000000), 0x00034000);
	/* Rounds up so a bound is never under-stated: 1 ns -> 1 unit
	 * (15.26 us); 15258 ns (0.99999 units) -> 1; 15259 ns -> 2. */
	assert_int_equal(ntp_short_from_ns(1), 1);
	assert_int_equal(ntp_short_from_ns(15258), 1);
	assert_int_equal(ntp_short_from_ns(15259), 2);
	assert_int_equal(ntp_short_from_ns(S(1) + 1), 0x00010001);
	/* Saturation at 65535.99998 s (0xffffffff). */
	assert_int_equal(ntp_short_from_ns(INT64_C(65535999984741)), 0xffffffff);
	assert_int_equal(ntp_short_from_ns(INT64_C(65535999984742)), 0xffffffff);
	assert_int_equal(ntp_short_from_ns(INT64_C(65535999984740) - 15258), 0xfffffffe);
	assert_int_equal(ntp_short_from_ns(S(65536)), 0xffffffff);
	assert_int_equal(ntp_short_from_ns(S(100000)), 0xffffffff);
	assert_int_equal(ntp_short_from_ns(INT64_MAX), 0xffffffff);
}

static void test_short_to_ns(void **state)
{
	uint32_t s;
	int i;

	(void)state;
	assert_i64_equal(ntp_short_to_ns(0), 0);
	assert_i64_equal(ntp_short_to_ns(0x00010000), S(1));
	assert_i64_equal(ntp_short_to_ns(0x00008000), 500000000);
	assert_i64_equal(ntp_short_to_ns(1), 15259);	/* 15258.79 -> nearest */
	assert_i64_equal(ntp_short_to_ns(0xffffffff), INT64_C(65535999984741));
	/* short -> ns is to the nearest ns: |ns * 65536 - s * 1e9| <= 32768. */
	for (i = 0; i < 100000; i++) {
		int64_t err;

		s = (uint32_t)rng();
		err = (int64_t)((__int128)ntp_short_to_ns(s) * 65536 - (__int128)s * GT_NS_PER_S);
		if (err > 32768 || err < -32768)
			fail_msg("short 0x%08x -> %" PRId64 " ns is not the nearest ns", s,
				 ntp_short_to_ns(s));
	}
}

/* Property: short_to_ns(short_from_ns(t)) >= t (never under-stated) and
 * exceeds t by less than one unit. */
static void test_short_never_understates(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 200000; i++) {
		gt_ns t = rng_range(1, S(65535));
		gt_ns back = ntp_short_to_ns(ntp_short_from_ns(t));

		if (back < t || back - t > 15259)
			fail_msg("t=%" PRId64 " -> %" PRId64, t, back);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timespec_conversions),
		cmocka_unit_test(test_seconds_conversions),
		cmocka_unit_test(test_now_monotonic),
		cmocka_unit_test(test_ntp_from_ns_exact),
		cmocka_unit_test(test_ntp_from_ns_rounding),
		cmocka_unit_test(test_ntp_from_ns_negative),
		cmocka_unit_test(test_ntp_from_ns_2036),
		cmocka_unit_test(test_ntp_to_ns_exact),
		cmocka_unit_test(test_ntp_to_ns_pivots_around_2036),
		cmocka_unit_test(test_ntp_to_ns_pivots_before_1970),
		cmocka_unit_test(test_ntp_to_ns_window_edges),
		cmocka_unit_test(test_ntp_round_trip_random),
		cmocka_unit_test(test_ntp_split),
		cmocka_unit_test(test_ntp_diff),
		cmocka_unit_test(test_ntp_diff_random),
		cmocka_unit_test(test_short_from_ns),
		cmocka_unit_test(test_short_to_ns),
		cmocka_unit_test(test_short_never_understates),
	};

	return cmocka_run_group_tests_name("gtime", tests, NULL, NULL);
}
