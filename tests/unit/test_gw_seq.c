/* Unit tests for gw/gw_seq: sequence accounting and the replay window.
 * Each scenario states every verdict and ends on exact counters; a seeded
 * random channel (loss, duplication, reordering) is checked against the
 * definition: lost = numbers between the boot's first and newest message
 * that were never accepted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "gw/gw_seq.h"

#define A UINT64_C(0xa11ce)
#define B UINT64_C(0xb0b)
#define C UINT64_C(0xc0ffee)

struct step {
	uint64_t boot, seq;
	enum gw_seq_verdict want;
	uint64_t lost;		/* reported by a GAP */
};

static void run(struct gw_seq *s, const struct step *steps, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t lost = 99;
		enum gw_seq_verdict v = gw_seq_update(s, steps[i].boot, steps[i].seq, &lost);

		if (v != steps[i].want || lost != steps[i].lost)
			fail_msg("step %zu (boot %llx seq %llu): %s lost %llu, expected %s lost %llu",
				 i, (unsigned long long)steps[i].boot,
				 (unsigned long long)steps[i].seq, gw_seq_verdict_name(v),
				 (unsigned long long)lost, gw_seq_verdict_name(steps[i].want),
				 (unsigned long long)steps[i].lost);
	}
}

static void check_counters(const struct gw_seq *s, uint64_t received, uint64_t in_order,
			   uint64_t gaps, uint64_t lost, uint64_t reordered,
			   uint64_t duplicates, uint64_t replays, uint64_t restarts)
{
	const struct gw_seq_counters *c = gw_seq_counters(s);

	assert_true(c->received == received);
	assert_true(c->in_order == in_order);
	assert_true(c->gaps == gaps);
	assert_true(c->lost == lost);
	assert_true(c->reordered == reordered);
	assert_true(c->duplicates == duplicates);
	assert_true(c->replays == replays);
	assert_true(c->restarts == restarts);
	/* Every message lands in exactly one class. */
	assert_true(c->received == c->in_order + c->gaps + c->reordered + c->duplicates +
				   c->replays + c->restarts);
}

static void test_in_order(void **state)
{
	struct gw_seq *s = gw_seq_create(64);
	uint64_t i, boot, top;

	(void)state;
	assert_false(gw_seq_current(s, &boot, &top));
	for (i = 1000; i < 1010; i++)
		assert_int_equal(gw_seq_update(s, A, i, NULL), GW_SEQ_NEW);
	check_counters(s, 10, 10, 0, 0, 0, 0, 0, 0);
	assert_true(gw_seq_current(s, &boot, &top));
	assert_true(boot == A && top == 1009);
	gw_seq_destroy(s);
	gw_seq_destroy(NULL);
}

static void test_gaps_and_reorders(void **state)
{
	static const struct step steps[] = {
		{ A, 0, GW_SEQ_NEW, 0 },
		{ A, 1, GW_SEQ_NEW, 0 },
		{ A, 5, GW_SEQ_GAP, 3 },	/* 2, 3, 4 lost */
		{ A, 6, GW_SEQ_NEW, 0 },
		{ A, 3, GW_SEQ_REORDERED, 0 },	/* 2, 4 lost */
		{ A, 3, GW_SEQ_DUPLICATE, 0 },
		{ A, 10, GW_SEQ_GAP, 3 },	/* 2, 4, 7, 8, 9 lost */
		{ A, 2, GW_SEQ_REORDERED, 0 },
		{ A, 9, GW_SEQ_REORDERED, 0 },
		{ A, 10, GW_SEQ_DUPLICATE, 0 },
		{ A, 6, GW_SEQ_DUPLICATE, 0 },
		{ A, 0, GW_SEQ_DUPLICATE, 0 },	/* the first, still in the window */
		{ A, 11, GW_SEQ_NEW, 0 },	/* 4, 7, 8 lost */
	};
	struct gw_seq *s = gw_seq_create(64);

	(void)state;
	run(s, steps, sizeof(steps) / sizeof(steps[0]));
	check_counters(s, 13, 4, 2, 3, 3, 4, 0, 0);
	gw_seq_destroy(s);
}

/* Window of 8: the newest and 7 before it. */
static void test_window_edges(void **state)
{
	static const struct step steps[] = {
		{ A, 0, GW_SEQ_NEW, 0 },
		{ A, 20, GW_SEQ_GAP, 19 },
		{ A, 12, GW_SEQ_REPLAY, 0 },	/* 8 back: outside */
		{ A, 13, GW_SEQ_REORDERED, 0 },	/* 7 back: inside */
		{ A, 13, GW_SEQ_DUPLICATE, 0 },
		{ A, 0, GW_SEQ_REPLAY, 0 },	/* seen, but out of the window */
		{ A, 19, GW_SEQ_REORDERED, 0 },
		{ A, 30, GW_SEQ_GAP, 9 },	/* 21..29 */
		{ A, 19, GW_SEQ_REPLAY, 0 },
		{ A, 23, GW_SEQ_REORDERED, 0 },
		{ A, 22, GW_SEQ_REPLAY, 0 },	/* 8 back */
	};
	struct gw_seq *s = gw_seq_create(8);

	(void)state;
	run(s, steps, sizeof(steps) / sizeof(steps[0]));
	/* lost: 19 - 2 (13, 19) + 9 - 1 (23) = 25 */
	check_counters(s, 11, 1, 2, 25, 3, 1, 4, 0);
	gw_seq_destroy(s);
}

/* A jump larger than the bitmap clears it; the numbers skipped inside the
 * window may still come. */
static void test_big_jump(void **state)
{
	static const struct step steps[] = {
		{ A, 5, GW_SEQ_NEW, 0 },
		{ A, 6, GW_SEQ_NEW, 0 },
		{ A, 5 + 100000, GW_SEQ_GAP, 99998 },
		{ A, 5 + 100000 - 63, GW_SEQ_REORDERED, 0 },
		{ A, 5 + 100000 - 64, GW_SEQ_REPLAY, 0 },
		{ A, 5 + 100000 - 1, GW_SEQ_REORDERED, 0 },
		/* The bitmap's slot of 6 is reused by 6 + 64 * k: not "seen". */
		{ A, 6 + 64 * 1562, GW_SEQ_REORDERED, 0 },
	};
	struct gw_seq *s = gw_seq_create(64);

	(void)state;
	assert_true(6 + 64 * 1562 > 5 + 100000 - 63);
	run(s, steps, sizeof(steps) / sizeof(steps[0]));
	check_counters(s, 7, 2, 1, 99995, 3, 0, 1, 0);
	gw_seq_destroy(s);
}

/* Nothing before a boot's first message counts: it is not lost, and a
 * message older than the first is a replay, not a reorder. */
static void test_before_first(void **state)
{
	static const struct step steps[] = {
		{ A, 100, GW_SEQ_NEW, 0 },
		{ A, 99, GW_SEQ_REPLAY, 0 },
		{ A, 102, GW_SEQ_GAP, 1 },
		{ A, 99, GW_SEQ_REPLAY, 0 },
		{ A, 101, GW_SEQ_REORDERED, 0 },
		{ A, 100, GW_SEQ_DUPLICATE, 0 },
	};
	struct gw_seq *s = gw_seq_create(64);

	(void)state;
	run(s, steps, sizeof(steps) / sizeof(steps[0]));
	check_counters(s, 6, 1, 1, 0, 1, 1, 2, 0);
	gw_seq_destroy(s);
}

static void test_wrap(void **state)
{
	static const struct step steps[] = {
		{ A, UINT64_MAX - 2, GW_SEQ_NEW, 0 },
		{ A, UINT64_MAX - 1, GW_SEQ_NEW, 0 },
		{ A, 1, GW_SEQ_GAP, 2 },		/* 2^64-1 and 0 */
		{ A, 0, GW_SEQ_REORDERED, 0 },
		{ A, UINT64_MAX, GW_SEQ_REORDERED, 0 },
		{ A, UINT64_MAX, GW_SEQ_DUPLICATE, 0 },
		{ A, UINT64_MAX - 2, GW_SEQ_DUPLICATE, 0 },
		{ A, UINT64_MAX - 3, GW_SEQ_REPLAY, 0 },	/* before the first */
		{ A, 2, GW_SEQ_NEW, 0 },
		/* Serial order: 2^63 - 1 ahead is newer, 2^63 ahead is older. */
		{ A, 2 + (UINT64_C(1) << 63), GW_SEQ_REPLAY, 0 },
		{ A, 1 + (UINT64_C(1) << 63), GW_SEQ_GAP, (UINT64_C(1) << 63) - 2 },
	};
	struct gw_seq *s = gw_seq_create(64);

	(void)state;
	run(s, steps, sizeof(steps) / sizeof(steps[0]));
	check_counters(s, 11, 3, 2, (UINT64_C(1) << 63) - 2, 2, 2, 2, 0);
	gw_seq_destroy(s);
}

static void test_restart(void **state)
{
	static const struct step steps[] = {
		{ A, 0, GW_SEQ_NEW, 0 },
		{ A, 1, GW_SEQ_NEW, 0 },
		{ A, 3, GW_SEQ_GAP, 1 },
		{ B, 0, GW_SEQ_RESTART, 0 },	/* sender restarted */
		{ A, 2, GW_SEQ_REPLAY, 0 },	/* the old boot: never again */
		{ A, 4, GW_SEQ_REPLAY, 0 },
		{ B, 1, GW_SEQ_NEW, 0 },
		{ B, 0, GW_SEQ_DUPLICATE, 0 },
		{ B, 5, GW_SEQ_GAP, 3 },
		{ C, 7, GW_SEQ_RESTART, 0 },
		{ B, 6, GW_SEQ_REPLAY, 0 },
		{ A, 5, GW_SEQ_REPLAY, 0 },
		{ C, 6, GW_SEQ_REPLAY, 0 },	/* before C's first */
		{ C, 8, GW_SEQ_NEW, 0 },
		{ B, 2, GW_SEQ_REPLAY, 0 },	/* a gap of B can no longer close */
	};
	struct gw_seq *s = gw_seq_create(64);

	(void)state;
	run(s, steps, sizeof(steps) / sizeof(steps[0]));
	check_counters(s, 15, 4, 2, 4, 0, 1, 6, 2);
	gw_seq_destroy(s);
}

/* Boot ids older than the history are not recognised: a documented limit,
 * covered by the age check of the time label. */
static void test_boot_history_limit(void **state)
{
	struct gw_seq *s = gw_seq_create(64);
	uint64_t b;

	(void)state;
	for (b = 1; b <= GW_SEQ_BOOT_HISTORY + 2; b++)
		assert_int_equal(gw_seq_update(s, b, 0, NULL), b == 1 ? GW_SEQ_NEW : GW_SEQ_RESTART);
	/* Boot 18 is current, 2..17 are remembered (16), 1 has dropped out. */
	for (b = 2; b <= GW_SEQ_BOOT_HISTORY + 1; b++)
		assert_int_equal(gw_seq_update(s, b, 1, NULL), GW_SEQ_REPLAY);
	assert_int_equal(gw_seq_update(s, 1, 1, NULL), GW_SEQ_RESTART);
	assert_int_equal(gw_seq_update(s, GW_SEQ_BOOT_HISTORY + 2, 1, NULL), GW_SEQ_REPLAY);
	assert_int_equal(gw_seq_counters(s)->restarts, GW_SEQ_BOOT_HISTORY + 2);
	gw_seq_destroy(s);
}

static void test_window_one_and_bounds(void **state)
{
	static const struct step steps[] = {
		{ A, 0, GW_SEQ_NEW, 0 },
		{ A, 2, GW_SEQ_GAP, 1 },
		{ A, 1, GW_SEQ_REPLAY, 0 },
		{ A, 2, GW_SEQ_DUPLICATE, 0 },
		{ A, 3, GW_SEQ_NEW, 0 },
	};
	struct gw_seq *s = gw_seq_create(1);

	(void)state;
	run(s, steps, sizeof(steps) / sizeof(steps[0]));
	check_counters(s, 5, 2, 1, 1, 0, 1, 1, 0);
	gw_seq_destroy(s);
	assert_null(gw_seq_create(0));
	assert_null(gw_seq_create(GW_SEQ_MAX_WINDOW + 1));
	s = gw_seq_create(GW_SEQ_MAX_WINDOW);
	assert_non_null(s);
	assert_int_equal(gw_seq_update(s, A, 10, NULL), GW_SEQ_NEW);
	assert_int_equal(gw_seq_update(s, A, 10 + GW_SEQ_MAX_WINDOW, NULL), GW_SEQ_GAP);
	assert_int_equal(gw_seq_update(s, A, 11, NULL), GW_SEQ_REORDERED);
	assert_int_equal(gw_seq_update(s, A, 10, NULL), GW_SEQ_REPLAY);
	gw_seq_destroy(s);
}

/* A seeded channel that loses, duplicates and reorders: each copy is
 * delayed by up to `spread` places (sorted by index + a random delay), so
 * none arrives more than `spread` behind the newest; the first message
 * arrives first. Checked against the definition of every counter. */
struct arrival {
	uint64_t key, k;
};

static int cmp_arrival(const void *a, const void *b)
{
	const struct arrival *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->k < y->k ? -1 : x->k > y->k;
}

static void random_channel(unsigned window, unsigned spread, uint64_t start, uint32_t seed)
{
	enum { N = 20000 };
	struct arrival *order = malloc(2 * N * sizeof(*order));
	uint8_t *accepted = calloc(N, 1);
	struct gw_seq *s = gw_seq_create(window);
	uint64_t top = 0, dup = 0, n = 0, i, missing = 0;
	uint32_t x = seed;

	assert_non_null(order);
	assert_non_null(accepted);
	for (i = 0; i < N; i++) {
		int copies = 1, c;

		x = x * 1664525 + 1013904223;
		if (i != 0 && (x >> 24) < 13)	/* 5 % lost (never the first) */
			continue;
		if (((x >> 16) & 0xff) < 8)	/* 3 % duplicated */
			copies = 2;
		for (c = 0; c < copies; c++) {
			x = x * 1664525 + 1013904223;
			order[n].k = i;
			order[n].key = 2 * (i + (spread ? (x >> 8) % (spread + 1) : 0)) + 1;
			if (i == 0 && c == 0)
				order[n].key = 0;
			n++;
		}
	}
	qsort(order, n, sizeof(*order), cmp_arrival);
	for (i = 0; i < n; i++) {
		uint64_t k = order[i].k;
		enum gw_seq_verdict v = gw_seq_update(s, A, start + k, NULL);

		if (gw_seq_usable(v)) {
			if (accepted[k])
				fail_msg("message %llu accepted twice", (unsigned long long)k);
			accepted[k] = 1;
		} else if (v == GW_SEQ_DUPLICATE) {
			dup++;
		}
		if (k > top)
			top = k;
	}
	for (i = 0; i <= top; i++)
		missing += !accepted[i];
	assert_true(gw_seq_counters(s)->lost == missing);
	if (window > spread) {	/* nothing fell out of the window */
		assert_int_equal(gw_seq_counters(s)->replays, 0);
		assert_true(dup == n - (top + 1 - missing));
	}
	check_counters(s, n, gw_seq_counters(s)->in_order, gw_seq_counters(s)->gaps, missing,
		       gw_seq_counters(s)->reordered, gw_seq_counters(s)->duplicates,
		       gw_seq_counters(s)->replays, 0);
	gw_seq_destroy(s);
	free(order);
	free(accepted);
}

static void test_random_channels(void **state)
{
	(void)state;
	random_channel(256, 0, 0, 1);
	random_channel(256, 10, 0, 2);
	random_channel(256, 100, 5, 3);
	random_channel(101, 100, 5, 3);		/* just wide enough */
	random_channel(16, 40, 7, 4);		/* late messages fall out */
	random_channel(64, 10, UINT64_MAX - 10000, 5);	/* across the wrap */
	random_channel(1, 3, 0, 6);
}

static void test_age(void **state)
{
	const gt_ns now = INT64_C(1735689600) * GT_NS_PER_S, s = GT_NS_PER_S;

	(void)state;
	assert_int_equal(gw_age_check(now, now, 0, 0), GW_AGE_OK);
	assert_int_equal(gw_age_check(now - 10 * s, now, 10 * s, 0), GW_AGE_OK);
	assert_int_equal(gw_age_check(now - 10 * s - 1, now, 10 * s, 0), GW_AGE_STALE);
	assert_int_equal(gw_age_check(now + s, now, 10 * s, s), GW_AGE_OK);
	assert_int_equal(gw_age_check(now + s + 1, now, 10 * s, s), GW_AGE_FUTURE);
	assert_int_equal(gw_age_check(now + 1, now, 10 * s, 0), GW_AGE_FUTURE);
	/* Negative limits count as 0. */
	assert_int_equal(gw_age_check(now - 1, now, -5, -5), GW_AGE_STALE);
	assert_int_equal(gw_age_check(now + 1, now, -5, -5), GW_AGE_FUTURE);
	/* Extremes, where now - tx_time overflows. */
	assert_int_equal(gw_age_check(INT64_MIN, INT64_MAX, INT64_MAX, INT64_MAX), GW_AGE_STALE);
	assert_int_equal(gw_age_check(INT64_MAX, INT64_MIN, INT64_MAX, INT64_MAX), GW_AGE_FUTURE);
	assert_int_equal(gw_age_check(0, INT64_MAX, INT64_MAX, 0), GW_AGE_OK);
	assert_int_equal(gw_age_check(INT64_MAX, -1, 0, INT64_MAX), GW_AGE_FUTURE);
	assert_int_equal(gw_age_check(INT64_MAX, 0, 0, INT64_MAX), GW_AGE_OK);
	assert_string_equal(gw_age_name(GW_AGE_STALE), "stale");
	assert_string_equal(gw_age_name(GW_AGE_FUTURE), "future");
	assert_string_equal(gw_age_name(GW_AGE_OK), "ok");
}

static void test_names(void **state)
{
	int i, j;

	(void)state;
	for (i = 0; i < GW_SEQ_VERDICT_COUNT; i++) {
		assert_string_not_equal(gw_seq_verdict_name((enum gw_seq_verdict)i), "unknown");
		for (j = 0; j < i; j++)
			assert_string_not_equal(gw_seq_verdict_name((enum gw_seq_verdict)i),
						gw_seq_verdict_name((enum gw_seq_verdict)j));
	}
	assert_true(gw_seq_usable(GW_SEQ_NEW) && gw_seq_usable(GW_SEQ_GAP) &&
		    gw_seq_usable(GW_SEQ_REORDERED) && gw_seq_usable(GW_SEQ_RESTART));
	assert_false(gw_seq_usable(GW_SEQ_DUPLICATE) || gw_seq_usable(GW_SEQ_REPLAY));
}

/* The receiver's order: check, then commit only when every other check
 * passed. A check alone changes nothing: one replayed message of an
 * earlier boot must not make it current (issue 8). */
static void test_check_has_no_effect(void **state)
{
	struct gw_seq *s = gw_seq_create(64);
	uint64_t boot, top, lost = 99;
	const struct gw_seq_counters *c;

	(void)state;
	assert_int_equal(gw_seq_commit(s, A, 100), GW_SEQ_NEW);
	assert_int_equal(gw_seq_commit(s, A, 101), GW_SEQ_NEW);
	/* A boot never seen: would be a RESTART; checked, then refused by
	 * the age check, so never committed. */
	assert_int_equal(gw_seq_check(s, B, 5, &lost), GW_SEQ_RESTART);
	assert_int_equal(lost, 0);
	assert_int_equal(gw_seq_check(s, A, 105, &lost), GW_SEQ_GAP);
	assert_int_equal(lost, 3);
	assert_true(gw_seq_current(s, &boot, &top));
	assert_int_equal(boot, A);
	assert_int_equal(top, 101);
	c = gw_seq_counters(s);
	assert_int_equal(c->received, 2);
	assert_int_equal(c->restarts + c->gaps + c->replays, 0);
	/* The genuine sender goes on. */
	assert_int_equal(gw_seq_commit(s, A, 102), GW_SEQ_NEW);
	/* A refused verdict counts under its own name only. */
	assert_int_equal(gw_seq_commit(s, A, 101), GW_SEQ_DUPLICATE);
	assert_int_equal(gw_seq_commit(s, A, 10), GW_SEQ_REPLAY);
	assert_true(gw_seq_current(s, &boot, &top));
	assert_int_equal(top, 102);
	assert_int_equal(c->duplicates, 1);
	assert_int_equal(c->replays, 1);
	assert_int_equal(c->received, 5);
	gw_seq_destroy(s);
}

/* A restored state: the floor and below are replays, the boots remembered
 * are replays, the first newer number is NEW (not a gap), a new boot is a
 * RESTART, and the export gives the boots back oldest first. */
static void test_restore(void **state)
{
	struct gw_seq *s = gw_seq_create(64);
	uint64_t old[] = { C, B }, out[GW_SEQ_BOOT_HISTORY];
	const struct gw_seq_counters *c = gw_seq_counters(s);
	uint64_t top;

	(void)state;
	gw_seq_restore(s, A, 1000, old, 2);
	assert_int_equal(gw_seq_check(s, A, 1000, NULL), GW_SEQ_REPLAY);
	assert_int_equal(gw_seq_check(s, A, 999, NULL), GW_SEQ_REPLAY);
	assert_int_equal(gw_seq_check(s, A, 1, NULL), GW_SEQ_REPLAY);
	assert_int_equal(gw_seq_check(s, B, 5000, NULL), GW_SEQ_REPLAY);
	assert_int_equal(gw_seq_check(s, C, 5000, NULL), GW_SEQ_REPLAY);
	assert_int_equal(gw_seq_commit(s, A, 1050), GW_SEQ_NEW);
	assert_int_equal(c->lost, 0);
	assert_int_equal(gw_seq_commit(s, A, 1052), GW_SEQ_GAP);
	assert_int_equal(gw_seq_commit(s, A, 1051), GW_SEQ_REORDERED);
	assert_int_equal(gw_seq_commit(s, A, 1049), GW_SEQ_REPLAY);
	assert_int_equal(gw_seq_old_boots(s, out, GW_SEQ_BOOT_HISTORY), 2);
	assert_true(out[0] == C && out[1] == B);
	assert_int_equal(gw_seq_commit(s, 0xd00d, 7), GW_SEQ_RESTART);
	assert_int_equal(gw_seq_old_boots(s, out, GW_SEQ_BOOT_HISTORY), 3);
	assert_true(out[0] == C && out[1] == B && out[2] == A);
	assert_int_equal(gw_seq_check(s, A, 2000, NULL), GW_SEQ_REPLAY);
	assert_true(gw_seq_current(s, NULL, &top));
	assert_int_equal(top, 7);
	/* A history of its current boot is not kept as an old one. */
	gw_seq_restore(s, A, 5, (uint64_t[]){ A, B }, 2);
	assert_int_equal(gw_seq_old_boots(s, out, GW_SEQ_BOOT_HISTORY), 1);
	assert_int_equal(gw_seq_check(s, A, 6, NULL), GW_SEQ_NEW);
	gw_seq_destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_gaps_and_reorders),
		cmocka_unit_test(test_window_edges),
		cmocka_unit_test(test_big_jump),
		cmocka_unit_test(test_before_first),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_boot_history_limit),
		cmocka_unit_test(test_window_one_and_bounds),
		cmocka_unit_test(test_random_channels),
		cmocka_unit_test(test_age),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_check_has_no_effect),
		cmocka_unit_test(test_restore),
	};

	return cmocka_run_group_tests_name("gw_seq", tests, NULL, NULL);
}
