/* Unit tests for gw/gw_agree: the agreement a receiver waits for before
 * its first sample. Messages arrive every 250 ms of the receiver's
 * monotonic clock; labels are the sender's time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "gw/gw_agree.h"

#define MS GT_NS_PER_MS
#define T0 ((gt_ns)1700000000 * GT_NS_PER_S)
#define G UINT64_C(0x9e9e)	/* the genuine boot */
#define W UINT64_C(0x7777)	/* a wild one */

/* The genuine sender's k-th message: label T0 + k * 250 ms (+ jitter),
 * arriving at mono 1000 s + k * 250 ms. */
static enum gw_agree_verdict genuine(struct gw_agree *a, unsigned k, gt_ns jitter)
{
	return gw_agree_add(a, G, 500 + k, T0 + (gt_ns)k * 250 * MS + jitter,
			    (gt_ns)1000 * GT_NS_PER_S + (gt_ns)k * 250 * MS);
}

static void test_consistent(void **state)
{
	struct gw_agree a;
	const struct gw_agree_chain *c;

	(void)state;
	gw_agree_init(&a, 4, GW_AGREE_DEFAULT_TOL);
	assert_int_equal(genuine(&a, 0, 0), GW_AGREE_PENDING);
	assert_int_equal(genuine(&a, 1, 5 * MS), GW_AGREE_PENDING);
	assert_null(gw_agree_chain(&a));
	/* A lost message (2) is no break: labels still move with the clock. */
	assert_int_equal(genuine(&a, 3, -5 * MS), GW_AGREE_PENDING);
	assert_int_equal(gw_agree_check(&a, G, 504, T0 + 1000 * MS, 1001 * GT_NS_PER_S),
			 GW_AGREE_REACHED);
	assert_int_equal(genuine(&a, 4, 0), GW_AGREE_REACHED);
	c = gw_agree_chain(&a);
	assert_non_null(c);
	assert_int_equal(c->n, 4);
	assert_int_equal(c->boot, G);
	assert_int_equal(c->seq[0], 500);
	assert_int_equal(c->seq[2], 503);
	assert_int_equal(c->seq[3], 504);
	gw_agree_reset(&a);
	assert_null(gw_agree_chain(&a));
	/* need 1: the first message agrees (the floor still applies). */
	gw_agree_init(&a, 1, 0);
	assert_int_equal(genuine(&a, 0, 0), GW_AGREE_REACHED);
	gw_agree_init(&a, 0, -5);
	assert_int_equal(a.need, 1);
	assert_int_equal(a.tol, 0);
	gw_agree_init(&a, 100, 0);
	assert_int_equal(a.need, GW_AGREE_MAX);
}

/* A burst of recorded messages played back at once: the labels advance by
 * 250 ms each, the arrivals by microseconds: never an agreement. */
static void test_burst(void **state)
{
	struct gw_agree a;
	unsigned k;

	(void)state;
	gw_agree_init(&a, 4, GW_AGREE_DEFAULT_TOL);
	for (k = 0; k < 16; k++)
		assert_int_equal(gw_agree_add(&a, W, 100 + k, T0 - 35 * GT_NS_PER_S +
					      (gt_ns)k * 250 * MS, 5 * GT_NS_PER_S + k * 20000),
				 GW_AGREE_PENDING);
	assert_null(gw_agree_chain(&a));
}

/* Labels that jump, sequence numbers that go back, a boot that changes,
 * arrivals out of order: each starts a new chain. */
static void test_breaks(void **state)
{
	struct gw_agree a;
	gt_ns m = 10 * GT_NS_PER_S;

	(void)state;
	gw_agree_init(&a, 3, GW_AGREE_DEFAULT_TOL);
	assert_int_equal(gw_agree_add(&a, G, 10, T0, m), GW_AGREE_PENDING);
	/* the label moved 1 s in 250 ms */
	assert_int_equal(gw_agree_add(&a, G, 11, T0 + GT_NS_PER_S, m + 250 * MS), GW_AGREE_PENDING);
	/* sequence back */
	assert_int_equal(gw_agree_add(&a, G, 9, T0 + 500 * MS, m + 500 * MS), GW_AGREE_PENDING);
	/* same sequence */
	assert_int_equal(gw_agree_add(&a, G, 10, T0 + 500 * MS, m + 500 * MS), GW_AGREE_PENDING);
	/* another boot */
	assert_int_equal(gw_agree_add(&a, W, 12, T0 + 500 * MS, m + 500 * MS), GW_AGREE_PENDING);
	assert_null(gw_agree_chain(&a));
	/* Just inside the tolerance: 20 ms + 1000 ppm of 250 ms. */
	gw_agree_init(&a, 2, GW_AGREE_DEFAULT_TOL);
	assert_int_equal(gw_agree_add(&a, G, 1, T0, m), GW_AGREE_PENDING);
	assert_int_equal(gw_agree_check(&a, G, 2, T0 + 250 * MS + 20250 * 1000, m + 250 * MS),
			 GW_AGREE_REACHED);
	assert_int_equal(gw_agree_check(&a, G, 2, T0 + 250 * MS + 20251 * 1000, m + 250 * MS),
			 GW_AGREE_PENDING);
	assert_int_equal(gw_agree_check(&a, G, 2, T0 + 250 * MS - 20250 * 1000, m + 250 * MS),
			 GW_AGREE_REACHED);
	/* Arrival not later (mono equal): no. Extreme values: no overflow. */
	assert_int_equal(gw_agree_check(&a, G, 2, T0, m), GW_AGREE_PENDING);
	assert_int_equal(gw_agree_check(&a, G, 2, INT64_MAX, INT64_MIN), GW_AGREE_PENDING);
	assert_int_equal(gw_agree_check(&a, G, 2, INT64_MIN, INT64_MAX), GW_AGREE_PENDING);
	assert_int_equal(gw_agree_check(&a, G, 1 + (UINT64_C(1) << 63), T0 + 250 * MS,
					m + 250 * MS), GW_AGREE_PENDING);
}

/* The genuine chain survives one injected message between each of its own:
 * the injections start other chains. */
static void test_interleaved(void **state)
{
	struct gw_agree a;
	unsigned k;

	(void)state;
	gw_agree_init(&a, 4, GW_AGREE_DEFAULT_TOL);
	for (k = 0; k < 3; k++) {
		assert_int_equal(genuine(&a, k, 0), GW_AGREE_PENDING);
		assert_int_equal(gw_agree_add(&a, W, 7000 + k * 3, T0 + 40 * GT_NS_PER_S * k,
					      (gt_ns)1000 * GT_NS_PER_S + (gt_ns)k * 250 * MS +
					      100 * MS), GW_AGREE_PENDING);
	}
	assert_int_equal(genuine(&a, 3, 0), GW_AGREE_REACHED);
	assert_int_equal(gw_agree_chain(&a)->boot, G);
	/* A burst of 16 that fit nothing between two genuine messages does
	 * not evict the genuine chain. */
	gw_agree_init(&a, 4, GW_AGREE_DEFAULT_TOL);
	assert_int_equal(genuine(&a, 0, 0), GW_AGREE_PENDING);
	assert_int_equal(genuine(&a, 1, 0), GW_AGREE_PENDING);
	for (k = 0; k < 16; k++)
		assert_int_equal(gw_agree_add(&a, W, 100 + k, T0 + 35 * GT_NS_PER_S +
					      (gt_ns)k * 250 * MS, (gt_ns)1000 * GT_NS_PER_S +
					      300 * MS + k * 1000), GW_AGREE_PENDING);
	assert_int_equal(genuine(&a, 2, 0), GW_AGREE_PENDING);
	assert_int_equal(genuine(&a, 3, 0), GW_AGREE_REACHED);
}

/* Nothing at or before the persisted label; the refusal changes nothing. */
static void test_floor(void **state)
{
	struct gw_agree a, before;

	(void)state;
	gw_agree_init(&a, 2, GW_AGREE_DEFAULT_TOL);
	gw_agree_set_floor(&a, T0 + 250 * MS);
	assert_int_equal(genuine(&a, 0, 0), GW_AGREE_BEFORE_FLOOR);
	assert_int_equal(genuine(&a, 1, 0), GW_AGREE_BEFORE_FLOOR);
	assert_int_equal(genuine(&a, 2, 0), GW_AGREE_PENDING);
	memcpy(&before, &a, sizeof(a));
	assert_int_equal(gw_agree_add(&a, W, 1, T0, GT_NS_PER_S), GW_AGREE_BEFORE_FLOOR);
	assert_memory_equal(&before, &a, sizeof(a));
	assert_int_equal(genuine(&a, 3, 0), GW_AGREE_REACHED);
	gw_agree_reset(&a);
	assert_true(a.have_floor);	/* the floor stays */
	assert_string_equal(gw_agree_verdict_name(GW_AGREE_BEFORE_FLOOR), "before_floor");
	assert_string_equal(gw_agree_verdict_name(GW_AGREE_PENDING), "pending");
	assert_string_equal(gw_agree_verdict_name(GW_AGREE_REACHED), "reached");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_consistent),
		cmocka_unit_test(test_burst),
		cmocka_unit_test(test_breaks),
		cmocka_unit_test(test_interleaved),
		cmocka_unit_test(test_floor),
	};

	return cmocka_run_group_tests_name("gw_agree", tests, NULL, NULL);
}
