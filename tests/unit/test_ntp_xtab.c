/* Unit tests for ntp/ntp_xtab, the server's interleaved-mode table: a
 * lookup succeeds only for a saved receive timestamp from its own client, the
 * kernel's transmit timestamp replaces the daemon's only for the response
 * it belongs to, clients sharing an address keep their own exchanges, the
 * memory stays within the stated bound whatever the number of clients,
 * and a new entry evicts the one saved longest ago in its bucket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "net/addr.h"
#include "ntp/ntp_xtab.h"

static struct net_addr addr(const char *s)
{
	struct net_addr a;

	assert_int_equal(net_addr_parse(s, &a), 0);
	return a;
}

static struct net_addr nth(unsigned i)
{
	char s[32];

	snprintf(s, sizeof(s), "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
	return addr(s);
}

static void test_lookup_and_tx_update(void **state)
{
	struct ntp_xtab *t = ntp_xtab_create(256, 7);
	struct net_addr a = addr("192.0.2.1"), b = addr("2001:db8::1");
	ntp_ts tx = 0;

	(void)state;
	assert_false(ntp_xtab_lookup(t, &a, 0x1001, &tx));
	ntp_xtab_save(t, &a, 0x1001, 0x2000, 1);
	ntp_xtab_save(t, &b, 0x3001, 0x4000, 2);
	assert_true(ntp_xtab_lookup(t, &a, 0x1001, &tx));
	assert_true(tx == 0x2000);
	/* Another receive timestamp, or the same one from another client
	 * (which learns nothing of a's exchange). */
	assert_false(ntp_xtab_lookup(t, &a, 0x3001, &tx));
	assert_false(ntp_xtab_lookup(t, &b, 0x1001, &tx));
	/* The kernel's timestamp replaces the daemon's, for a's entry only. */
	assert_false(ntp_xtab_set_tx(t, &b, 0x1001, 0x2222));
	assert_true(ntp_xtab_set_tx(t, &a, 0x1001, 0x2222));
	assert_true(ntp_xtab_lookup(t, &a, 0x1001, &tx));
	assert_true(tx == 0x2222);
	/* Dropped once used: a late timestamp finds nothing. */
	ntp_xtab_drop(t, 0x1001);
	assert_false(ntp_xtab_lookup(t, &a, 0x1001, &tx));
	assert_false(ntp_xtab_set_tx(t, &a, 0x1001, 0x7777));
	assert_int_equal(ntp_xtab_count(t), 1);
	ntp_xtab_drop(t, 0x9999);	/* nothing there: no effect */
	assert_int_equal(ntp_xtab_count(t), 1);
	ntp_xtab_destroy(t);
}

/* Clients behind one address (a NAT, a relay) each keep their exchange. */
static void test_shared_address(void **state)
{
	struct ntp_xtab *t = ntp_xtab_create(256, 7);
	struct net_addr nat = addr("198.51.100.7");
	ntp_ts tx = 0;
	unsigned i;

	(void)state;
	for (i = 0; i < 6; i++)
		ntp_xtab_save(t, &nat, 0x10001 + 2 * i, 0x20000 + 2 * i, i);
	for (i = 0; i < 6; i++) {
		assert_true(ntp_xtab_lookup(t, &nat, 0x10001 + 2 * i, &tx));
		assert_true(tx == 0x20000 + 2 * i);
	}
	ntp_xtab_destroy(t);
}

static void test_bound(void **state)
{
	struct ntp_xtab *t;
	unsigned i;

	(void)state;
	/* Sizes round to powers of two within [MIN, MAX]. */
	t = ntp_xtab_create(1, 1);
	assert_int_equal(ntp_xtab_capacity(t), NTP_XTAB_MIN_ENTRIES);
	ntp_xtab_destroy(t);
	t = ntp_xtab_create(UINT32_MAX, 1);
	assert_int_equal(ntp_xtab_capacity(t), NTP_XTAB_MAX_ENTRIES);
	ntp_xtab_destroy(t);
	/* The stated bound: 48 bytes an entry, 768 KiB for the default. */
	t = ntp_xtab_create(NTP_XTAB_DEFAULT_ENTRIES, 1);
	assert_true(ntp_xtab_bytes(t) <= 48u * NTP_XTAB_DEFAULT_ENTRIES + 64);
	/* Ten times as many clients as entries: never more entries. */
	for (i = 0; i < 10 * NTP_XTAB_DEFAULT_ENTRIES; i++)
		ntp_xtab_save(t, (const struct net_addr[]){ nth(i) }, 2 * i + 1, 2 * i, i);
	assert_int_equal(ntp_xtab_capacity(t), NTP_XTAB_DEFAULT_ENTRIES);
	assert_true(ntp_xtab_count(t) <= NTP_XTAB_DEFAULT_ENTRIES);
	assert_true(ntp_xtab_count(t) > NTP_XTAB_DEFAULT_ENTRIES * 9 / 10);
	ntp_xtab_destroy(t);
}

static void test_eviction_order(void **state)
{
	struct ntp_xtab *t = ntp_xtab_create(NTP_XTAB_MIN_ENTRIES, 99);
	struct net_addr keep = nth(0);
	ntp_ts tx, rx = 1;
	unsigned i, lost = 0, n = 20 * NTP_XTAB_MIN_ENTRIES;

	(void)state;
	/* One client polling all along (its used entry dropped, a new one
	 * saved) amid many one-shot clients: the one-shot entries saved
	 * longest ago give way first; the polling client always finds its
	 * last exchange, which was saved most recently in its bucket. */
	ntp_xtab_save(t, &keep, rx, 2, 0);
	for (i = 1; i < n; i++) {
		ntp_xtab_save(t, (const struct net_addr[]){ nth(i) }, 4 * i + 3, 4 * i, i);
		assert_true(ntp_xtab_lookup(t, &keep, rx, &tx));
		ntp_xtab_drop(t, rx);
		rx = 4 * i + 1;
		ntp_xtab_save(t, &keep, rx, 4 * i, i);
	}
	assert_true(ntp_xtab_count(t) <= ntp_xtab_capacity(t));
	/* The oldest one-shot entries are gone, the newest is there. */
	for (i = 1; i < 64; i++)
		lost += !ntp_xtab_lookup(t, (const struct net_addr[]){ nth(i) }, 4 * i + 3, &tx);
	assert_int_equal(lost, 63);
	i = n - 1;
	assert_true(ntp_xtab_lookup(t, (const struct net_addr[]){ nth(i) }, 4 * i + 3, &tx));
	ntp_xtab_destroy(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_and_tx_update),
		cmocka_unit_test(test_shared_address),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_eviction_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
