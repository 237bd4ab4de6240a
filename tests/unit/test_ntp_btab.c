/* Unit tests for ntp_btab (src/ntp/ntp_btab.c): the broadcast client's
 * sender table keyed by the signing key, its freshness rule and its
 * admission and take-over policy (issue 8 §2, CVE-2015-7973). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdbool.h>
#include <string.h>

#include "ntp/ntp_btab.h"

#define S(x) ((gt_ns)(x) * GT_NS_PER_S)
/* NTP timestamps one second apart (32.32 fixed point). */
#define TS(sec) ((ntp_ts)(UINT64_C(3900000000) + (sec)) << 32)

static struct net_addr ip(const char *s)
{
	struct net_addr a;

	assert_int_equal(net_addr_parse(s, &a), 0);
	return a;
}

/* check() and, if admitted, commit() (and trust, if trust): the verdict. */
static enum ntp_btab_verdict feed_as(struct ntp_btab *t, const char *from, uint32_t key,
				     ntp_ts xmt, gt_ns mono, bool trust)
{
	struct net_addr a = ip(from);
	int slot;
	enum ntp_btab_verdict v = ntp_btab_check(t, &a, key, xmt, mono, &slot);

	if (v <= NTP_BTAB_DISPLACE) {
		assert_true(slot >= 0 && slot < NTP_BTAB_MAX);
		ntp_btab_commit(t, slot, &a, key, xmt, mono, S(1));
		if (trust)
			ntp_btab_trust(t, slot);
	} else {
		assert_int_equal(slot, -1);
	}
	return v;
}

/* Senders past their probation. */
static enum ntp_btab_verdict feed(struct ntp_btab *t, const char *from, uint32_t key,
				  ntp_ts xmt, gt_ns mono)
{
	return feed_as(t, from, key, xmt, mono, true);
}

/* The attack of the review: packets of the genuine sender sent again
 * from other addresses. Stale whatever the address; and nothing changes. */
static void test_replay_from_new_address_is_stale(void **state)
{
	struct ntp_btab t, copy;

	(void)state;
	ntp_btab_init(&t, 1);
	assert_int_equal(feed(&t, "198.18.7.1", 7, TS(100), S(10)), NTP_BTAB_NEW);
	assert_int_equal(feed(&t, "198.18.7.1", 7, TS(101), S(11)), NTP_BTAB_KNOWN);
	memcpy(&copy, &t, sizeof(t));
	assert_int_equal(feed(&t, "198.18.7.10", 7, TS(67), S(12)), NTP_BTAB_STALE);
	assert_int_equal(feed(&t, "198.18.7.11", 7, TS(101), S(12)), NTP_BTAB_DUPLICATE);
	assert_int_equal(feed(&t, "198.18.7.1", 7, TS(100), S(12)), NTP_BTAB_STALE);
	assert_memory_equal(&copy, &t, sizeof(t));
	assert_int_equal(t.n, 1);
}

/* Fresh packets of the key from a new address (a relay that beat the
 * genuine copy, or a second sender of the key): one sender per key by
 * default, and the one heard keeps its slot. */
static void test_key_full_refused(void **state)
{
	struct ntp_btab t;
	char a[32];
	int i;

	(void)state;
	ntp_btab_init(&t, 1);
	assert_int_equal(feed(&t, "198.18.7.1", 7, TS(100), S(10)), NTP_BTAB_NEW);
	for (i = 0; i < 10; i++) {
		snprintf(a, sizeof(a), "198.18.7.%d", 10 + i);
		assert_int_equal(feed(&t, a, 7, TS(100) + (ntp_ts)(i + 1), S(10) + i),
				 NTP_BTAB_KEY_FULL);
	}
	assert_int_equal(t.n, 1);
	/* Still silent for less than the bound: refused. */
	assert_int_equal(feed(&t, "198.18.7.10", 7, TS(150), S(10) + NTP_BTAB_MIN_SILENCE - 1),
			 NTP_BTAB_KEY_FULL);
	assert_int_equal(feed(&t, "198.18.7.1", 7, TS(151), S(70)), NTP_BTAB_KNOWN);
	/* Another key is another identity. */
	assert_int_equal(feed(&t, "198.18.7.10", 8, TS(152), S(71)), NTP_BTAB_NEW);
	assert_int_equal(t.n, 2);
}

/* maxsenders 2: the second address takes the second slot; a third is
 * refused; the freshness stays the key's, across both addresses. */
static void test_two_per_key(void **state)
{
	struct ntp_btab t;

	(void)state;
	ntp_btab_init(&t, 2);
	assert_int_equal(feed(&t, "198.18.7.1", 7, TS(100), S(10)), NTP_BTAB_NEW);
	assert_int_equal(feed(&t, "198.18.7.3", 7, TS(100) + 5, S(10)), NTP_BTAB_NEW);
	assert_int_equal(feed(&t, "198.18.7.4", 7, TS(101), S(11)), NTP_BTAB_KEY_FULL);
	/* .3's packet of 100 replayed as .1's, after .3's newer one: stale. */
	assert_int_equal(feed(&t, "198.18.7.3", 7, TS(102), S(12)), NTP_BTAB_KNOWN);
	assert_int_equal(feed(&t, "198.18.7.1", 7, TS(101), S(12)), NTP_BTAB_STALE);
	assert_int_equal(feed(&t, "198.18.7.1", 7, TS(103), S(13)), NTP_BTAB_KNOWN);
}

/* A sender silent for 8 of its intervals and at least the minimum loses
 * its slot to a new address with fresh packets of the same key; the
 * longest silent one goes first; a replay still does not get in. */
static void test_takeover_after_silence(void **state)
{
	struct ntp_btab t;
	struct net_addr a = ip("198.18.7.20");
	gt_ns later = S(10) + NTP_BTAB_MIN_SILENCE;
	int slot;

	(void)state;
	ntp_btab_init(&t, 2);
	assert_int_equal(feed(&t, "198.18.7.1", 7, TS(100), S(10)), NTP_BTAB_NEW);
	assert_int_equal(feed(&t, "198.18.7.2", 7, TS(101), S(11)), NTP_BTAB_NEW);
	assert_int_equal(ntp_btab_check(&t, &a, 7, TS(50), later + S(5), &slot), NTP_BTAB_STALE);
	assert_int_equal(ntp_btab_check(&t, &a, 7, TS(200), later - 1, &slot), NTP_BTAB_KEY_FULL);
	assert_int_equal(ntp_btab_check(&t, &a, 7, TS(200), later, &slot), NTP_BTAB_TAKEOVER);
	assert_int_equal(slot, 0);
	assert_int_equal(feed(&t, "198.18.7.20", 7, TS(200), later), NTP_BTAB_TAKEOVER);
	assert_int_equal(t.n, 2);
	assert_memory_equal(&t.slot[0].addr, &a, sizeof(a));
	assert_int_equal(feed(&t, "198.18.7.1", 7, TS(201), later + S(1)), NTP_BTAB_TAKEOVER);
	assert_int_equal(t.slot[1].addr.a[3], 1);
	/* A long interval lengthens the silence: 8 x 64 s. */
	t.slot[0].interval = t.slot[1].interval = S(64);
	assert_true(ntp_btab_silence(&t.slot[0]) == S(512));
	assert_int_equal(ntp_btab_check(&t, &a, 7, TS(300), later + S(100), &slot),
			 NTP_BTAB_KNOWN);
	a = ip("198.18.7.21");
	assert_int_equal(ntp_btab_check(&t, &a, 7, TS(300), later + S(100), &slot),
			 NTP_BTAB_KEY_FULL);
}

/* A client started while a recording is played to it from another
 * address: the recording takes the key's slot first, on probation; the
 * live sender's packets are newer than anything recorded and displace
 * it; the recording is then stale. A trusted sender is not displaced. */
static void test_live_sender_displaces_recording(void **state)
{
	struct ntp_btab t;

	(void)state;
	ntp_btab_init(&t, 1);
	assert_int_equal(feed_as(&t, "198.18.7.10", 7, TS(67), S(10), false), NTP_BTAB_NEW);
	assert_int_equal(feed_as(&t, "198.18.7.10", 7, TS(68), S(11), false), NTP_BTAB_KNOWN);
	assert_false(t.slot[0].trusted);
	assert_int_equal(feed_as(&t, "198.18.7.1", 7, TS(100), S(11), false), NTP_BTAB_DISPLACE);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.slot[0].addr.a[3], 1);
	assert_false(t.slot[0].trusted);
	assert_int_equal(feed_as(&t, "198.18.7.10", 7, TS(69), S(12), false), NTP_BTAB_STALE);
	/* Trust is the caller's, and survives the sender's next packets. */
	ntp_btab_trust(&t, 0);
	assert_int_equal(feed_as(&t, "198.18.7.1", 7, TS(101), S(12), false), NTP_BTAB_KNOWN);
	assert_true(t.slot[0].trusted);
	assert_int_equal(feed_as(&t, "198.18.7.11", 7, TS(102), S(12), false), NTP_BTAB_KEY_FULL);
	/* Unsigned senders have no key to be displaced by. */
	assert_int_equal(feed_as(&t, "198.18.7.20", 0, TS(1), S(12), false), NTP_BTAB_NEW);
	assert_int_equal(feed_as(&t, "198.18.7.21", 0, TS(200), S(12), false), NTP_BTAB_NEW);
	ntp_btab_trust(&t, 99);
	assert_int_equal(t.n, 3);
}

/* Unsigned (noauth): the address is the identity; a replay from another
 * address is not caught (documented), a replay from the same one is. */
static void test_unsigned_by_address(void **state)
{
	struct ntp_btab t;
	char a[32];
	int i;

	(void)state;
	ntp_btab_init(&t, 1);
	assert_int_equal(feed(&t, "198.18.7.1", 0, TS(100), S(10)), NTP_BTAB_NEW);
	assert_int_equal(feed(&t, "198.18.7.1", 0, TS(99), S(11)), NTP_BTAB_STALE);
	assert_int_equal(feed(&t, "198.18.7.2", 0, TS(99), S(11)), NTP_BTAB_NEW);
	for (i = 0; i < 6; i++) {
		snprintf(a, sizeof(a), "198.18.7.%d", 10 + i);
		assert_int_equal(feed(&t, a, 0, TS(100), S(12)), NTP_BTAB_NEW);
	}
	assert_int_equal(t.n, NTP_BTAB_MAX);
	assert_int_equal(feed(&t, "198.18.7.30", 0, TS(100), S(13)), NTP_BTAB_FULL);
	/* A full table of heard signed senders is never evicted by a key. */
	assert_int_equal(feed(&t, "198.18.7.30", 7, TS(100), S(13)), NTP_BTAB_FULL);
	/* Silent unsigned senders make room for an unsigned newcomer. */
	assert_int_equal(feed(&t, "198.18.7.1", 0, TS(101), S(12) + NTP_BTAB_MIN_SILENCE),
			 NTP_BTAB_KNOWN);
	assert_int_equal(feed(&t, "198.18.7.31", 0, TS(101), S(12) + NTP_BTAB_MIN_SILENCE),
			 NTP_BTAB_TAKEOVER);
	assert_int_equal(t.n, NTP_BTAB_MAX);
}

/* Timestamps compare modulo 2^64: across the 2036 era change. */
static void test_era_wrap(void **state)
{
	struct ntp_btab t;

	(void)state;
	ntp_btab_init(&t, 0);
	assert_int_equal(t.max_per_key, 1);
	assert_int_equal(feed(&t, "198.18.7.1", 7, UINT64_MAX - (UINT64_C(1) << 32), S(1)),
			 NTP_BTAB_NEW);
	assert_int_equal(feed(&t, "198.18.7.1", 7, UINT64_C(5) << 32, S(2)), NTP_BTAB_KNOWN);
	assert_int_equal(feed(&t, "198.18.7.1", 7, UINT64_MAX, S(3)), NTP_BTAB_STALE);
	ntp_btab_init(&t, 100);
	assert_int_equal(t.max_per_key, NTP_BTAB_MAX_PER_KEY);
	assert_string_equal(ntp_btab_verdict_name(NTP_BTAB_KEY_FULL), "key_full");
	assert_string_equal(ntp_btab_verdict_name((enum ntp_btab_verdict)99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_from_new_address_is_stale),
		cmocka_unit_test(test_key_full_refused),
		cmocka_unit_test(test_two_per_key),
		cmocka_unit_test(test_takeover_after_silence),
		cmocka_unit_test(test_live_sender_displaces_recording),
		cmocka_unit_test(test_unsigned_by_address),
		cmocka_unit_test(test_era_wrap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
