/* Unit tests for sync/sync_select: RFC 5905 §11.2.1 intersection (with
 * falsetickers, without a majority), §11.2.2 clustering, the consistency
 * test of combining, the system peer and the combined offset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "sync/sync_select.h"

#define NEAR(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

static struct sync_select_cand cand(double offset, double dist)
{
	struct sync_select_cand c;

	memset(&c, 0, sizeof(c));
	c.offset = offset;
	c.dist = dist;
	c.jitter = dist / 10;
	c.sd = dist / 10;
	c.stratum = 1;
	return c;
}

static void test_all_agree(void **state)
{
	struct sync_select_cand c[3] = { cand(0.001, 0.002), cand(0.0015, 0.002),
					cand(-0.0005, 0.002) };
	double lo, hi;

	(void)state;
	assert_int_equal(sync_select_intersect(c, 3, &lo, &hi), 3);
	assert_true(c[0].truechimer && c[1].truechimer && c[2].truechimer);
	/* The intersection of all three: [-0.0005, 0.0015] +- 0.002. */
	NEAR(lo, 0.0015 - 0.002, 1e-12);
	NEAR(hi, -0.0005 + 0.002, 1e-12);
}

/* Three good servers and one 50 ms away: the falseticker is out. */
static void test_one_falseticker(void **state)
{
	struct sync_select_cand c[4] = { cand(0.050, 0.0003), cand(0.0001, 0.0003),
					cand(-0.0001, 0.0003), cand(0.00005, 0.0003) };
	double lo, hi;

	(void)state;
	assert_int_equal(sync_select_intersect(c, 4, &lo, &hi), 3);
	assert_false(c[0].truechimer);
	assert_true(c[1].truechimer && c[2].truechimer && c[3].truechimer);
	assert_true(lo <= 0 && hi >= 0);
}

/* Two against two: no majority, nothing is selected (RFC 5905 §11.2.1
 * requires the truechimers to be more than half). */
static void test_no_majority(void **state)
{
	struct sync_select_cand c[4] = { cand(0.050, 0.0003), cand(0.0501, 0.0003),
					cand(0.0, 0.0003), cand(0.0001, 0.0003) };
	double lo = 0, hi = 0;

	(void)state;
	assert_int_equal(sync_select_intersect(c, 4, &lo, &hi), 0);
	/* Two sources that disagree: no majority either. */
	assert_int_equal(sync_select_intersect(c + 1, 2, &lo, &hi), 0);
}

static void test_single_source(void **state)
{
	struct sync_select_cand c[1] = { cand(0.3, 0.001) };
	double lo, hi;

	(void)state;
	assert_int_equal(sync_select_intersect(c, 1, &lo, &hi), 1);
	NEAR(lo, 0.299, 1e-12);
	NEAR(hi, 0.301, 1e-12);
	assert_int_equal(sync_select_intersect(c, 0, &lo, &hi), 0);
}

/* Five sources, one an outlier whose wide interval still meets the rest:
 * intersection keeps it, clustering drops it, down to no fewer than NMIN. */
static void test_cluster(void **state)
{
	struct sync_select_cand c[5] = { cand(0.0, 0.01), cand(0.0001, 0.01), cand(-0.0001, 0.01),
					cand(0.00005, 0.01), cand(0.008, 0.01) };
	double lo, hi;
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		c[i].jitter = 0.0002;
	assert_int_equal(sync_select_intersect(c, 5, &lo, &hi), 5);
	assert_int_equal(sync_select_cluster(c, 5, SYNC_SELECT_NMIN), 4);
	assert_false(c[4].survivor);
	/* With a large peer jitter, the spread is noise: nothing goes. */
	for (i = 0; i < 5; i++)
		c[i].jitter = 0.01;
	assert_int_equal(sync_select_cluster(c, 5, SYNC_SELECT_NMIN), 5);
	/* Never below nmin. */
	for (i = 0; i < 5; i++) {
		c[i].jitter = 0;
		c[i].offset = i * 0.001;
	}
	assert_int_equal(sync_select_cluster(c, 5, SYNC_SELECT_NMIN), SYNC_SELECT_NMIN);
}

/* A survivor biased far beyond its noise is not combined, even with three
 * survivors, where clustering may not drop it. */
static void test_consistent(void **state)
{
	struct sync_select_cand c[3] = { cand(0.0, 0.001), cand(2e-6, 0.001),
					cand(150e-6, 0.001) };
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		c[i].truechimer = c[i].survivor = true;
		c[i].sd = 3e-6;
	}
	assert_int_equal(sync_select_consistent(c, 3, 4.0, -1), 2);
	assert_true(c[0].combined && c[1].combined);
	assert_false(c[2].combined);
	/* Equal groups: the previous system peer's wins the tie. */
	c[1].offset = 150e-6;
	c[2].offset = 300e-6;
	assert_int_equal(sync_select_consistent(c, 3, 4.0, 2), 1);
	assert_true(c[2].combined);
	assert_false(c[0].combined || c[1].combined);
}

static void test_peer_and_combine(void **state)
{
	struct sync_select_cand c[3] = { cand(0.001, 0.004), cand(0.002, 0.002),
					cand(0.004, 0.001) };
	double off, jit;
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		c[i].truechimer = c[i].survivor = c[i].combined = true;
	c[2].stratum = 3;	/* lower merit despite the shortest distance */
	assert_int_equal(sync_select_peer(c, 3, -1), 1);
	/* The previous peer stays while combined. */
	assert_int_equal(sync_select_peer(c, 3, 0), 0);
	c[0].combined = false;
	assert_int_equal(sync_select_peer(c, 3, 0), 1);
	/* prefer wins over merit. */
	c[2].prefer = true;
	assert_int_equal(sync_select_peer(c, 3, -1), 2);
	/* §11.2.3: weights 1/dist: (0.002/0.002 + 0.004/0.001) / (500 + 1000). */
	sync_select_combine(c, 3, 1, &off, &jit);
	NEAR(off, (0.002 * 500 + 0.004 * 1000) / 1500, 1e-12);
	NEAR(jit, sqrt(1000 * 0.002 * 0.002 / 1500), 1e-12);
	/* None combined: nothing to select. */
	for (i = 0; i < 3; i++)
		c[i].combined = false;
	assert_int_equal(sync_select_peer(c, 3, -1), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_agree),
		cmocka_unit_test(test_one_falseticker),
		cmocka_unit_test(test_no_majority),
		cmocka_unit_test(test_single_source),
		cmocka_unit_test(test_cluster),
		cmocka_unit_test(test_consistent),
		cmocka_unit_test(test_peer_and_combine),
	};

	return cmocka_run_group_tests_name("sync_select", tests, NULL, NULL);
}
