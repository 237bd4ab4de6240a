/* Unit tests for ntp/ntp_rl: the lock-free per-client rate limiter.
 * Time is passed in, so every test runs on made-up monotonic times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "ntp/ntp_rl.h"

#define S(x) ((gt_ns)(x) * GT_NS_PER_S)
#define BASE S(1000)		/* an arbitrary monotonic time */
#define KEY UINT64_C(0x243f6a8885a308d3)

static struct net_addr addr(const char *s)
{
	struct net_addr a;

	if (net_addr_parse(s, &a))
		fail_msg("bad test address %s", s);
	return a;
}

static struct net_addr v4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	struct net_addr n;

	memset(&n, 0, sizeof(n));
	n.family = AF_INET;
	n.a[0] = (uint8_t)a;
	n.a[1] = (uint8_t)b;
	n.a[2] = (uint8_t)c;
	n.a[3] = (uint8_t)d;
	return n;
}

/* Requests from a at time t until the first limited one; returns how
 * many were allowed (at most max). */
static int allowed_burst(struct ntp_rl *rl, const struct net_addr *a, gt_ns t, int max)
{
	int n = 0;

	while (n < max && !ntp_rl_limited(rl, a, t))
		n++;
	return n;
}

static void test_bad_arguments(void **state)
{
	struct ntp_rl *rl;

	(void)state;
	assert_null(ntp_rl_create(7, 0, 8, KEY));
	assert_null(ntp_rl_create(25, 0, 8, KEY));
	assert_null(ntp_rl_create(0, 0, 8, KEY));
	assert_null(ntp_rl_create(16, -5, 8, KEY));
	assert_null(ntp_rl_create(16, 13, 8, KEY));
	assert_null(ntp_rl_create(16, 0, 0, KEY));
	assert_null(ntp_rl_create(16, 0, 257, KEY));
	/* The extremes of every range are accepted. */
	rl = ntp_rl_create(8, -4, 1, KEY);
	assert_non_null(rl);
	assert_int_equal(ntp_rl_interval_log2(rl), -4);
	ntp_rl_destroy(rl);
	rl = ntp_rl_create(24, 12, 256, 0);
	assert_non_null(rl);
	assert_int_equal(ntp_rl_interval_log2(rl), 12);
	ntp_rl_destroy(rl);
	ntp_rl_destroy(NULL);
}

static void test_burst_then_limited(void **state)
{
	static const unsigned bursts[] = { 1, 2, 8, 256 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bursts) / sizeof(bursts[0]); i++) {
		struct ntp_rl *rl = ntp_rl_create(16, 3, bursts[i], KEY);
		struct net_addr a = addr("192.0.2.1");
		int k;

		assert_non_null(rl);
		assert_int_equal(allowed_burst(rl, &a, BASE, 1000), bursts[i]);
		/* Stays limited at the same instant. */
		for (k = 0; k < 10; k++)
			assert_true(ntp_rl_limited(rl, &a, BASE));
		ntp_rl_destroy(rl);
	}
}

static void test_recovers_after_interval(void **state)
{
	/* interval 2^1 = 2 s, burst 4 */
	struct ntp_rl *rl = ntp_rl_create(16, 1, 4, KEY);
	struct net_addr a = addr("192.0.2.1");

	(void)state;
	assert_int_equal(allowed_burst(rl, &a, BASE, 100), 4);
	/* Not yet one interval later (see test_back_to_back_burst). */
	assert_true(ntp_rl_limited(rl, &a, BASE + S(1)));
	assert_true(ntp_rl_limited(rl, &a, BASE + S(2) - 2 * GT_NS_PER_US));
	/* One interval: exactly one more. */
	assert_false(ntp_rl_limited(rl, &a, BASE + S(2)));
	assert_true(ntp_rl_limited(rl, &a, BASE + S(2)));
	/* Steady one request per interval is never limited. */
	for (int k = 2; k < 50; k++)
		assert_false(ntp_rl_limited(rl, &a, BASE + S(2 * k)));
	/* A long pause refills the whole burst, no more. */
	assert_int_equal(allowed_burst(rl, &a, BASE + S(1000), 100), 4);
	ntp_rl_destroy(rl);
}

static void test_sub_second_interval(void **state)
{
	/* interval 2^-4 s = 62.5 ms, burst 2 */
	struct ntp_rl *rl = ntp_rl_create(16, -4, 2, KEY);
	struct net_addr a = addr("2001:db8::1");

	(void)state;
	assert_int_equal(allowed_burst(rl, &a, BASE, 100), 2);
	assert_true(ntp_rl_limited(rl, &a, BASE + 62 * GT_NS_PER_MS));
	assert_false(ntp_rl_limited(rl, &a, BASE + 62500 * GT_NS_PER_US));
	assert_true(ntp_rl_limited(rl, &a, BASE + 62500 * GT_NS_PER_US));
	ntp_rl_destroy(rl);
}

/* "burst: requests allowed back to back": real requests are never at the
 * same nanosecond. A client sending every millisecond (or microsecond)
 * gets exactly burst answers, then waits an interval (GCRA: a request at t
 * conforms iff t >= TAT - (burst - 1) * interval). */
static void test_back_to_back_burst(void **state)
{
	static const unsigned bursts[] = { 1, 4, 8 };
	static const gt_ns spacings[] = { GT_NS_PER_US, GT_NS_PER_MS, 100 * GT_NS_PER_MS };
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(bursts) / sizeof(bursts[0]); i++) {
		for (j = 0; j < sizeof(spacings) / sizeof(spacings[0]); j++) {
			struct ntp_rl *rl = ntp_rl_create(16, 3, bursts[i], KEY);
			struct net_addr a = addr("192.0.2.1");
			int k, n = 0;

			for (k = 0; k < 20; k++)
				if (!ntp_rl_limited(rl, &a, BASE + k * spacings[j]))
					n++;
			if (n != (int)bursts[i])
				fail_msg("burst %u, requests %lld ns apart: %d answered, expected %u",
					 bursts[i], (long long)spacings[j], n, bursts[i]);
			ntp_rl_destroy(rl);
		}
	}
}

/* A limited request is not charged: however many a client sends while
 * limited, it is served again after one interval. */
static void test_limited_not_charged(void **state)
{
	struct ntp_rl *rl = ntp_rl_create(16, 0, 3, KEY);
	struct net_addr a = addr("198.18.0.1");
	int k;

	(void)state;
	assert_int_equal(allowed_burst(rl, &a, BASE, 100), 3);
	for (k = 0; k < 10000; k++)
		assert_true(ntp_rl_limited(rl, &a, BASE));
	assert_false(ntp_rl_limited(rl, &a, BASE + S(1)));
	assert_true(ntp_rl_limited(rl, &a, BASE + S(1)));
	ntp_rl_destroy(rl);
}

static void test_independent_clients(void **state)
{
	struct ntp_rl *rl = ntp_rl_create(16, 4, 5, KEY);
	struct net_addr a = addr("192.0.2.1"), b = addr("192.0.2.2");
	struct net_addr c = addr("2001:db8::1"), d = addr("::ffff:192.0.2.1");
	int i;

	(void)state;
	assert_int_equal(allowed_burst(rl, &a, BASE, 100), 5);
	assert_true(ntp_rl_limited(rl, &a, BASE));
	/* Others are untouched by a's burst, and a stays limited. */
	assert_int_equal(allowed_burst(rl, &b, BASE, 100), 5);
	assert_int_equal(allowed_burst(rl, &c, BASE, 100), 5);
	assert_int_equal(allowed_burst(rl, &d, BASE, 100), 5);
	assert_true(ntp_rl_limited(rl, &a, BASE));
	/* Many clients, each with its own full burst. */
	for (i = 0; i < 200; i++) {
		struct net_addr x = v4(10, 0, (unsigned)i, 1);

		assert_int_equal(allowed_burst(rl, &x, BASE, 100), 5);
	}
	assert_true(ntp_rl_limited(rl, &a, BASE));
	assert_true(ntp_rl_limited(rl, &b, BASE));
	ntp_rl_destroy(rl);
}

/* Two threads hammer disjoint sets of clients at the same made-up times.
 * Each client gets its burst at t0 and one request per later interval. */
#define RL_CLIENTS 64
#define RL_ROUNDS 40
#define RL_BURST 4
#define RL_PER_ROUND (RL_BURST + 2)

struct hammer {
	struct ntp_rl *rl;
	unsigned id;
	int allowed[RL_CLIENTS];
};

static void *hammer_thread(void *arg)
{
	struct hammer *h = arg;
	int r, k, c;

	for (r = 0; r < RL_ROUNDS; r++) {
		gt_ns t = BASE + S(r);	/* interval 2^0 s */

		for (k = 0; k < RL_PER_ROUND; k++) {
			for (c = 0; c < RL_CLIENTS; c++) {
				struct net_addr a = v4(198, 18 + h->id, (unsigned)c, 7);

				if (!ntp_rl_limited(h->rl, &a, t))
					h->allowed[c]++;
			}
		}
	}
	return NULL;
}

static void test_threads_distinct_clients(void **state)
{
	struct ntp_rl *rl = ntp_rl_create(20, 0, RL_BURST, KEY);
	struct hammer h[2];
	pthread_t th[2];
	struct net_addr prime = addr("203.0.113.1");
	int i, c;

	(void)state;
	/* The first request sets the limiter's time origin; make it before
	 * the threads start. */
	assert_false(ntp_rl_limited(rl, &prime, BASE));
	for (i = 0; i < 2; i++) {
		memset(&h[i], 0, sizeof(h[i]));
		h[i].rl = rl;
		h[i].id = (unsigned)i;
		assert_int_equal(pthread_create(&th[i], NULL, hammer_thread, &h[i]), 0);
	}
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	for (i = 0; i < 2; i++)
		for (c = 0; c < RL_CLIENTS; c++)
			if (h[i].allowed[c] != RL_BURST + RL_ROUNDS - 1)
				fail_msg("thread %d client %d: %d allowed, expected %d", i, c,
					 h[i].allowed[c], RL_BURST + RL_ROUNDS - 1);
	ntp_rl_destroy(rl);
}

/* Two threads hammer the same client at one instant: the compare-and-swap
 * must hand out exactly the burst, not one per thread. */
struct contend {
	struct ntp_rl *rl;
	struct net_addr a;
	int allowed;
	pthread_barrier_t *start;
};

static void *contend_thread(void *arg)
{
	struct contend *c = arg;
	int k;

	pthread_barrier_wait(c->start);
	for (k = 0; k < 50000; k++)
		if (!ntp_rl_limited(c->rl, &c->a, BASE + S(5)))
			c->allowed++;
	return NULL;
}

static void test_threads_same_client(void **state)
{
	struct ntp_rl *rl = ntp_rl_create(16, 2, 32, KEY);
	struct net_addr prime = addr("203.0.113.1");
	pthread_barrier_t start;
	struct contend c[2];
	pthread_t th[2];
	int i;

	(void)state;
	assert_false(ntp_rl_limited(rl, &prime, BASE));
	pthread_barrier_init(&start, NULL, 2);
	for (i = 0; i < 2; i++) {
		c[i] = (struct contend){ rl, addr("192.0.2.99"), 0, &start };
		assert_int_equal(pthread_create(&th[i], NULL, contend_thread, &c[i]), 0);
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);
	assert_int_equal(c[0].allowed + c[1].allowed, 32);
	ntp_rl_destroy(rl);
}

/* Two threads send for one client at advancing times, so nearly every
 * request is answered and writes the slot. Whatever the interleaving,
 * GCRA never answers more than burst + (t_last - t_first) / interval; a
 * lost update (a read-modify-write that is not one compare-and-swap)
 * answers up to twice that. */
#define ADV_REQUESTS 100000
#define ADV_BURST 4
#define ADV_INTERVAL (62500 * GT_NS_PER_US)	/* 2^-4 s */

static atomic_int adv_ready;

static void *advancing_thread(void *arg)
{
	struct contend *c = arg;
	int k;

	/* Spin rather than sleep in a barrier so both threads are on a CPU
	 * when the requests start. */
	atomic_fetch_add(&adv_ready, 1);
	while (atomic_load(&adv_ready) < 2)
		;
	for (k = 0; k < ADV_REQUESTS; k++)
		if (!ntp_rl_limited(c->rl, &c->a, BASE + k * ADV_INTERVAL))
			c->allowed++;
	return NULL;
}

static void test_threads_same_client_advancing(void **state)
{
	struct net_addr prime = addr("203.0.113.1");
	int round;

	(void)state;
	/* Several rounds: the threads may not overlap in every one. */
	for (round = 0; round < 5; round++) {
		struct ntp_rl *rl = ntp_rl_create(16, -4, ADV_BURST, KEY + (uint64_t)round);
		struct contend c[2];
		pthread_t th[2];
		int i, total;

		assert_false(ntp_rl_limited(rl, &prime, BASE));
		atomic_store(&adv_ready, 0);
		for (i = 0; i < 2; i++) {
			c[i] = (struct contend){ rl, addr("192.0.2.77"), 0, NULL };
			assert_int_equal(pthread_create(&th[i], NULL, advancing_thread, &c[i]), 0);
		}
		for (i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		ntp_rl_destroy(rl);
		total = c[0].allowed + c[1].allowed;
		if (total > ADV_BURST + ADV_REQUESTS - 1 || total < ADV_REQUESTS / 2)
			fail_msg("round %d: %d + %d answered, expected at most %d", round,
				 c[0].allowed, c[1].allowed, ADV_BURST + ADV_REQUESTS - 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_burst_then_limited),
		cmocka_unit_test(test_recovers_after_interval),
		cmocka_unit_test(test_sub_second_interval),
		cmocka_unit_test(test_back_to_back_burst),
		cmocka_unit_test(test_limited_not_charged),
		cmocka_unit_test(test_independent_clients),
		cmocka_unit_test(test_threads_distinct_clients),
		cmocka_unit_test(test_threads_same_client),
		cmocka_unit_test(test_threads_same_client_advancing),
	};

	return cmocka_run_group_tests_name("ntp_rl", tests, NULL, NULL);
}
