/* Unit tests for ntp/ntp_rl: the lock-free per-client rate limiter.
 * Time is passed in, so every test runs on made-up monotonic times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "ntp/ntp_rl.h"

#define S(x) ((gt_ns)(x) * GT_NS_PER_S)
#define BASE S(1000)		/* an arbitrary monotonic time */
#define KEY UINT64_C(0x243f6a8885a308d3)

/* A limiter with the daemon's defaults for what a test does not set:
 * leak 2, no KoD, clients /32 and /64. */
static struct ntp_rl *mk(unsigned bits, int interval_log2, unsigned burst, uint64_t key)
{
	struct ntp_rl_config c = { bits, interval_log2, burst, 2, false, 32, 64 };

	return ntp_rl_create(&c, key);
}

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
	assert_null(mk(7, 0, 8, KEY));
	assert_null(mk(25, 0, 8, KEY));
	assert_null(mk(0, 0, 8, KEY));
	assert_null(mk(16, -5, 8, KEY));
	assert_null(mk(16, 13, 8, KEY));
	assert_null(mk(16, 0, 0, KEY));
	assert_null(mk(16, 0, 257, KEY));
	/* The extremes of every range are accepted. */
	rl = mk(8, -4, 1, KEY);
	assert_non_null(rl);
	assert_int_equal(ntp_rl_interval_log2(rl), -4);
	ntp_rl_destroy(rl);
	rl = mk(24, 12, 256, 0);
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
		struct ntp_rl *rl = mk(16, 3, bursts[i], KEY);
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
	struct ntp_rl *rl = mk(16, 1, 4, KEY);
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
	struct ntp_rl *rl = mk(16, -4, 2, KEY);
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
			struct ntp_rl *rl = mk(16, 3, bursts[i], KEY);
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
	struct ntp_rl *rl = mk(16, 0, 3, KEY);
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
	struct ntp_rl *rl = mk(16, 4, 5, KEY);
	struct net_addr a = addr("192.0.2.1"), b = addr("192.0.2.2");
	struct net_addr c = addr("2001:db8::1"), d = addr("::ffff:192.0.2.1");
	int i;

	(void)state;
	assert_int_equal(allowed_burst(rl, &a, BASE, 100), 5);
	assert_true(ntp_rl_limited(rl, &a, BASE));
	/* Others are untouched by a's burst, and a stays limited. */
	assert_int_equal(allowed_burst(rl, &b, BASE, 100), 5);
	assert_int_equal(allowed_burst(rl, &c, BASE, 100), 5);
	/* An IPv4-mapped address is its IPv4 client, already limited. */
	assert_true(ntp_rl_limited(rl, &d, BASE));
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
	struct ntp_rl *rl = mk(20, 0, RL_BURST, KEY);
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
	struct ntp_rl *rl = mk(16, 2, 32, KEY);
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
		struct ntp_rl *rl = mk(16, -4, ADV_BURST, KEY + (uint64_t)round);
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

static struct ntp_rl *mk_cfg(unsigned leak, bool kod, unsigned v4, unsigned v6)
{
	struct ntp_rl_config c = { 16, 3, 4, leak, kod, v4, v6 };

	return ntp_rl_create(&c, KEY);
}

static void test_bad_leak_and_prefix(void **state)
{
	(void)state;
	assert_null(mk_cfg(0, false, 32, 64));
	assert_null(mk_cfg(NTP_RL_LEAK_MAX + 1, false, 32, 64));
	assert_null(mk_cfg(2, false, 7, 64));
	assert_null(mk_cfg(2, false, 33, 64));
	assert_null(mk_cfg(2, false, 32, 7));
	assert_null(mk_cfg(2, false, 32, 129));
	ntp_rl_destroy(mk_cfg(NTP_RL_LEAK_MIN, true, 8, 8));
	ntp_rl_destroy(mk_cfg(NTP_RL_LEAK_MAX, false, 32, 128));
}

static void expect_key(unsigned v4, unsigned v6, const char *in, const char *want)
{
	struct ntp_rl *rl = mk_cfg(2, false, v4, v6);
	struct net_addr a = addr(in), k, w = addr(want);
	char got[NET_ADDR_STRLEN];

	ntp_rl_client_key(rl, &a, &k);
	if (k.family != w.family || memcmp(k.a, w.a, net_addr_len(&w)) ||
	    (k.family == AF_INET && memcmp(k.a + 4, "\0\0\0\0\0\0\0\0\0\0\0\0", 12)))
		fail_msg("/%u /%u: %s keyed as %s, expected %s", v4, v6, in,
			 net_addr_str(&k, got, sizeof(got)), want);
	/* The limiter's own hash, computed without the key, agrees: the
	 * burst of want is the burst of in. */
	assert_int_equal(allowed_burst(rl, &w, BASE, 100), 4);
	if (!ntp_rl_limited(rl, &a, BASE))
		fail_msg("/%u /%u: %s not limited after the burst of %s", v4, v6, in, want);
	ntp_rl_destroy(rl);
}

static void test_client_key(void **state)
{
	struct net_addr m;

	(void)state;
	expect_key(32, 64, "192.0.2.77", "192.0.2.77");
	expect_key(24, 64, "192.0.2.77", "192.0.2.0");
	expect_key(20, 64, "198.18.255.1", "198.18.240.0");
	expect_key(8, 64, "198.18.255.1", "198.0.0.0");
	expect_key(32, 64, "2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::");
	expect_key(32, 128, "2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2:aaaa:bbbb:cccc:dddd");
	expect_key(32, 56, "2001:db8:1:2ff:1::1", "2001:db8:1:200::");
	expect_key(32, 60, "2001:db8:1:2ff:1::1", "2001:db8:1:2f0::");
	expect_key(32, 127, "2001:db8::3", "2001:db8::2");
	expect_key(32, 8, "2001:db8::3", "2000::");
	expect_key(32, 64, "::1", "::");
	/* IPv4-mapped: the IPv4 client, under the IPv4 prefix (RFC 4291 §2.5.5.2). */
	expect_key(32, 64, "::ffff:192.0.2.77", "192.0.2.77");
	expect_key(24, 128, "::ffff:192.0.2.77", "192.0.2.0");
	/* Not mapped: ::ffff:0:a.b.c.d (SIIT) and ::a.b.c.d stay IPv6. */
	expect_key(32, 128, "::ffff:0:192.0.2.77", "::ffff:0:192.0.2.77");
	expect_key(32, 128, "::192.0.2.77", "::192.0.2.77");
	/* Whatever net_addr_parse does with a mapped literal, a mapped
	 * net_addr built by hand is IPv4 too. */
	memset(&m, 0, sizeof(m));
	m.family = AF_INET6;
	m.a[10] = m.a[11] = 0xff;
	m.a[12] = 198;
	m.a[13] = 18;
	m.a[14] = 0;
	m.a[15] = 9;
	{
		struct ntp_rl *rl = mk_cfg(2, false, 32, 64);
		struct net_addr k;

		ntp_rl_client_key(rl, &m, &k);
		assert_int_equal(k.family, AF_INET);
		assert_memory_equal(k.a, "\xc6\x12\x00\x09", 4);
		ntp_rl_destroy(rl);
	}
}

/* One host rotating addresses in its /64 (RFC 8981) is one client; the
 * next /64 is another. With ipv6prefix 128 each address is a client. */
static void test_prefix_shares_limit(void **state)
{
	struct ntp_rl *rl = mk_cfg(2, false, 32, 64);
	struct ntp_rl *each = mk_cfg(2, false, 32, 128);
	struct ntp_rl *v4 = mk_cfg(2, false, 24, 64);
	struct net_addr a = addr("2001:db8:1:2::1"), n = addr("2001:db8:1:3::1");
	struct net_addr x = addr("192.0.2.1"), y = addr("192.0.2.200"), z = addr("192.0.3.1");
	struct net_addr mapped = addr("::ffff:192.0.2.9");
	char s[64];
	int i, allowed = 0;

	(void)state;
	for (i = 0; i < 1000; i++) {
		struct net_addr r;

		snprintf(s, sizeof(s), "2001:db8:1:2:%x:%x::%x", i * 7919 & 0xffff, i, i + 1);
		r = addr(s);
		allowed += !ntp_rl_limited(rl, &r, BASE + i * GT_NS_PER_US);
		assert_false(ntp_rl_limited(each, &r, BASE));
	}
	assert_int_equal(allowed, 4);
	assert_true(ntp_rl_limited(rl, &a, BASE));
	assert_int_equal(allowed_burst(rl, &n, BASE, 100), 4);
	/* ipv4prefix 24: the /24 is one client, a mapped address in it too. */
	assert_false(ntp_rl_limited(v4, &x, BASE));
	assert_false(ntp_rl_limited(v4, &x, BASE));
	assert_false(ntp_rl_limited(v4, &mapped, BASE));
	assert_false(ntp_rl_limited(v4, &y, BASE));
	assert_true(ntp_rl_limited(v4, &y, BASE));
	assert_true(ntp_rl_limited(v4, &mapped, BASE));
	assert_true(ntp_rl_limited(v4, &x, BASE));
	assert_int_equal(allowed_burst(v4, &z, BASE, 100), 4);
	ntp_rl_destroy(rl);
	ntp_rl_destroy(each);
	ntp_rl_destroy(v4);
}

/* The decision itself, over every value of the bits it reads: exactly
 * one in 2^L leaks, half of those as KoD with kod. */
static void test_leak_decide(void **state)
{
	unsigned L;
	uint64_t r;

	(void)state;
	for (L = NTP_RL_LEAK_MIN; L <= NTP_RL_LEAK_MAX; L++) {
		int drop = 0, leak = 0, kod = 0, plain = 0;

		for (r = 0; r < (UINT64_C(1) << (L + 1)); r++) {
			/* High bits, which the decision must not read, set at random. */
			uint64_t hi = (r * UINT64_C(0x9e3779b97f4a7c15)) << (L + 1);

			switch (ntp_rl_leak_decide(L, true, r | hi)) {
			case NTP_RL_DROP: drop++; break;
			case NTP_RL_LEAK: leak++; break;
			case NTP_RL_LEAK_KOD: kod++; break;
			default: fail_msg("PASS from the leak decision");
			}
			plain += ntp_rl_leak_decide(L, false, r | hi) == NTP_RL_LEAK;
			assert_true(ntp_rl_leak_decide(L, false, r | hi) != NTP_RL_LEAK_KOD);
		}
		assert_int_equal(leak, 1);
		assert_int_equal(kod, 1);
		assert_int_equal(plain, 2);
		assert_int_equal(drop, (1 << (L + 1)) - 2);
	}
}

/* |k - n p| within 6 standard deviations of a binomial (n, p): a false
 * failure about once in 10^9 runs. */
static void assert_binomial(const char *what, long k, long n, double p)
{
	double sd = sqrt((double)n * p * (1 - p));

	if (fabs((double)k - (double)n * p) > 6 * sd)
		fail_msg("%s: %ld of %ld, expected %.0f +- %.0f (6 sd)", what, k, n,
			 (double)n * p, 6 * sd);
}

/* Over the limit, ntp_rl_check answers a binomial share 2^-L of the
 * requests, at no fixed period, and a leaked request is not charged:
 * the client is served again one interval after its burst, however many
 * of its over-limit requests leaked. */
static void test_check_leaks(void **state)
{
	static const unsigned leaks[] = { 1, 2, 4 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(leaks) / sizeof(leaks[0]); i++) {
		for (int kod = 0; kod <= 1; kod++) {
			struct ntp_rl *rl = mk_cfg(leaks[i], kod, 32, 64);
			struct net_addr a = addr("198.18.0.1");
			long n = 100000, k, nleak = 0, nkod = 0, last = -1, gaps[64] = { 0 };
			int distinct = 0;
			char what[64];

			assert_int_equal(allowed_burst(rl, &a, BASE, 100), 4);
			for (k = 0; k < n; k++) {
				enum ntp_rl_verdict v = ntp_rl_check(rl, &a, BASE + k * GT_NS_PER_US);

				assert_true(v != NTP_RL_PASS);
				if (v == NTP_RL_DROP)
					continue;
				if (v == NTP_RL_LEAK_KOD)
					nkod++;
				else
					nleak++;
				if (last >= 0)
					gaps[k - last < 63 ? k - last : 63]++;
				last = k;
			}
			snprintf(what, sizeof(what), "leak %u kod %d: answered", leaks[i], kod);
			assert_binomial(what, nleak + nkod, n, ldexp(1, -(int)leaks[i]));
			if (kod) {
				snprintf(what, sizeof(what), "leak %u: KoD among answered", leaks[i]);
				assert_binomial(what, nkod, nleak + nkod, 0.5);
			} else {
				assert_int_equal(nkod, 0);
			}
			/* A counter would give one gap; random leaks give many. */
			for (k = 0; k < 64; k++)
				distinct += gaps[k] > 0;
			if (distinct < 8)
				fail_msg("leak %u: only %d distinct gaps between answers", leaks[i],
					 distinct);
			/* interval 2^3 s after the burst: served again. */
			assert_int_equal(ntp_rl_check(rl, &a, BASE + S(8)), NTP_RL_PASS);
			ntp_rl_destroy(rl);
		}
	}
}

/* Two threads draw the leak for the same over-limit client: the per-thread
 * random pools are independent and both answer their share. */
struct leaker {
	struct ntp_rl *rl;
	long answered;
	uint64_t pattern;	/* the first 64 decisions as bits */
};

static void *leak_thread(void *arg)
{
	struct leaker *l = arg;
	struct net_addr a = addr("198.18.0.2");
	long k;

	for (k = 0; k < 40000; k++) {
		bool ans = ntp_rl_check(l->rl, &a, BASE) != NTP_RL_DROP;

		l->answered += ans;
		if (k < 64 && ans)
			l->pattern |= UINT64_C(1) << k;
	}
	return NULL;
}

static void test_check_leaks_threads(void **state)
{
	struct ntp_rl *rl = mk_cfg(2, false, 32, 64);
	struct net_addr a = addr("198.18.0.2");
	struct leaker l[2] = { { rl, 0, 0 }, { rl, 0, 0 } };
	pthread_t th[2];
	int i;

	(void)state;
	assert_int_equal(allowed_burst(rl, &a, BASE, 100), 4);
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, leak_thread, &l[i]), 0);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 2; i++)
		assert_binomial("thread answered", l[i].answered, 40000, 0.25);
	/* Equal patterns: one chance in 2^64 for independent draws. */
	assert_true(l[0].pattern != l[1].pattern);
	ntp_rl_destroy(rl);
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
		cmocka_unit_test(test_bad_leak_and_prefix),
		cmocka_unit_test(test_client_key),
		cmocka_unit_test(test_prefix_shares_limit),
		cmocka_unit_test(test_leak_decide),
		cmocka_unit_test(test_check_leaks),
		cmocka_unit_test(test_check_leaks_threads),
	};

	return cmocka_run_group_tests_name("ntp_rl", tests, NULL, NULL);
}
