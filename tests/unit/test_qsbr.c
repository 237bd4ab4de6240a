/* Unit tests for lib/qsbr (reclaiming tables replaced under worker
 * threads), and for the two tables replaced that way: acl_replace and
 * auth_keys_replace. The stress test runs reader threads against a main
 * thread that replaces the table thousands of times: under ASan any read
 * of a freed table is reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "lib/conf.h"
#include "lib/qsbr.h"
#include "net/acl.h"
#include "net/addr.h"
#include "ntp/ntp_mac.h"

static int freed;

static void count_free(void *p)
{
	freed++;
	free(p);
}

static void test_no_reader_frees_at_once(void **state)
{
	(void)state;
	freed = 0;
	qsbr_retire(malloc(8), count_free);
	assert_int_equal(freed, 1);
	assert_int_equal(qsbr_reclaim(), 0);
}

static void test_waits_for_each_reader(void **state)
{
	int a = qsbr_register(), b = qsbr_register();

	(void)state;
	assert_true(a >= 0 && b >= 0 && a != b);
	freed = 0;
	qsbr_retire(malloc(8), count_free);
	assert_int_equal(freed, 0);
	qsbr_quiescent(a);
	assert_int_equal(qsbr_reclaim(), 1);
	assert_int_equal(freed, 0);
	qsbr_quiescent(b);
	assert_int_equal(qsbr_reclaim(), 0);
	assert_int_equal(freed, 1);
	/* A quiescent point before a retirement does not count for it. */
	qsbr_retire(malloc(8), count_free);
	qsbr_quiescent(a);
	assert_int_equal(qsbr_reclaim(), 1);
	/* A reader that leaves holds nothing any more. */
	qsbr_unregister(b);
	assert_int_equal(qsbr_reclaim(), 0);
	assert_int_equal(freed, 2);
	qsbr_unregister(a);
}

static void test_slot_exhaustion_keeps_everything(void **state)
{
	int slots[QSBR_MAX_READERS], extra, i;

	(void)state;
	for (i = 0; i < QSBR_MAX_READERS; i++)
		assert_true((slots[i] = qsbr_register()) >= 0);
	extra = qsbr_register();
	assert_true(extra < 0);
	for (i = 0; i < QSBR_MAX_READERS; i++)
		qsbr_quiescent(slots[i]);
	freed = 0;
	qsbr_retire(malloc(8), count_free);
	for (i = 0; i < QSBR_MAX_READERS; i++)
		qsbr_quiescent(slots[i]);
	/* A reader without a slot may still read it. */
	assert_int_equal(qsbr_reclaim(), 1);
	qsbr_unregister(extra);
	assert_int_equal(qsbr_reclaim(), 0);
	assert_int_equal(freed, 1);
	for (i = 0; i < QSBR_MAX_READERS; i++)
		qsbr_unregister(slots[i]);
}

/* Stress: readers check a table's canary while the main thread swaps. */
struct table {
	uint64_t canary;
	uint64_t words[15];
};

#define CANARY UINT64_C(0x5eed5eed5eed5eed)
static _Atomic(struct table *) current;
static _Atomic bool stop;
static _Atomic long bad_reads, reads;

static void poison_free(void *p)
{
	struct table *t = p;

	t->canary = 0;
	free(t);
}

static void *reader(void *arg)
{
	int slot = qsbr_register();

	(void)arg;
	while (!atomic_load(&stop)) {
		qsbr_quiescent(slot);
		for (int k = 0; k < 64; k++) {
			struct table *t = atomic_load(&current);

			if (t->canary != CANARY || t->words[14] != t->words[0])
				atomic_fetch_add(&bad_reads, 1);
			atomic_fetch_add(&reads, 1);
		}
	}
	qsbr_unregister(slot);
	return NULL;
}

static struct table *new_table(uint64_t v)
{
	struct table *t = malloc(sizeof(*t));

	t->canary = CANARY;
	for (int i = 0; i < 15; i++)
		t->words[i] = v;
	return t;
}

static void test_stress_readers_never_see_freed(void **state)
{
	pthread_t th[3];
	int i;

	(void)state;
	atomic_store(&current, new_table(0));
	for (i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&th[i], NULL, reader, NULL), 0);
	/* On a loaded machine the readers may not have run yet: the
	 * replacements go on until they have read a good many times too. */
	for (i = 1; i <= 20000 || atomic_load(&reads) < 3000; i++) {
		struct table *old = atomic_exchange(&current, new_table((uint64_t)i));

		if (i > 20000)
			sched_yield();

		qsbr_retire(old, poison_free);
		if (i % 16 == 0)
			qsbr_reclaim();
	}
	atomic_store(&stop, true);
	for (i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(qsbr_reclaim(), 0);
	poison_free(atomic_load(&current));
	assert_int_equal(atomic_load(&bad_reads), 0);
	assert_true(atomic_load(&reads) > 0);
}

static struct net_addr addr(const char *s)
{
	struct net_addr a;

	assert_int_equal(net_addr_parse(s, &a), 0);
	return a;
}

static void test_acl_replace(void **state)
{
	struct acl *live = acl_create(), *fresh = acl_create();
	struct net_addr a = addr("192.0.2.7"), b = addr("2001:db8::1");
	const char *why;

	(void)state;
	assert_int_equal(acl_add(live, "192.0.2.0/24", true, &why), 0);
	assert_true(acl_check(live, &a));
	assert_false(acl_check(live, &b));
	assert_int_equal(acl_add(fresh, "2001:db8::/32", true, &why), 0);
	assert_int_equal(acl_add(fresh, "192.0.2.7", false, &why), 0);
	acl_replace(live, fresh);
	assert_false(acl_check(live, &a));
	assert_true(acl_check(live, &b));
	assert_int_equal(acl_count(live), 2);
	acl_destroy(live);
}

static void test_auth_replace(void **state)
{
	static const char one[] = "1 SHA1 HEX:0102030405060708090a0b0c0d0e0f1011121314\n";
	static const char two[] = "1 SHA1 HEX:1112131415161718191a1b1c1d1e1f2021222324\n"
				  "2 MD5 ASCIIKEY\n";
	struct conf_errors errs;
	struct auth_keys *live = auth_keys_parse(one, sizeof(one) - 1, "one", &errs);
	struct auth_keys *fresh = auth_keys_parse(two, sizeof(two) - 1, "two", &errs);
	uint8_t pkt[48 + 4 + 20] = { 0x23 }, before[20];
	size_t n;

	(void)state;
	assert_non_null(live);
	assert_non_null(fresh);
	n = ntp_mac_append(live, 1, pkt, 48, sizeof(pkt));
	assert_int_equal(n, 72);
	memcpy(before, pkt + 52, 20);
	assert_int_equal(auth_verify(live, 1, pkt, 48, pkt + 52, 20), AUTH_OK);
	auth_keys_replace(live, fresh);
	/* Same id, new secret: the old MAC no longer verifies. */
	assert_int_equal(auth_verify(live, 1, pkt, 48, before, 20), AUTH_BAD_MAC);
	assert_int_equal(auth_keys_count(live), 2);
	assert_true(auth_key_info(live, 2, NULL, NULL));
	auth_keys_destroy(live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_reader_frees_at_once),
		cmocka_unit_test(test_waits_for_each_reader),
		cmocka_unit_test(test_slot_exhaustion_keeps_everything),
		cmocka_unit_test(test_stress_readers_never_see_freed),
		cmocka_unit_test(test_acl_replace),
		cmocka_unit_test(test_auth_replace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
