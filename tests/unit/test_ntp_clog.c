/* Unit tests for ntp/ntp_clog, the NTP server's client log: counting,
 * merging the logs of several threads, the bounded table giving way to
 * the least recently heard client, and a reader that never sees an entry
 * half written while a writer thread goes on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/addr.h"
#include "ntp/ntp_clog.h"

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

static void test_counts_and_order(void **state)
{
	struct ntp_clog *c = ntp_clog_create(256, 42);
	struct ntp_clog_client out[4];
	struct net_addr a = addr("192.0.2.1"), b = addr("2001:db8::1");
	size_t n, total;
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		ntp_clog_note(c, &a, 1000 + i * 100, NTP_CLOG_REQUEST);
	ntp_clog_note(c, &a, 1500, NTP_CLOG_DROP);
	ntp_clog_note(c, &a, 1600, NTP_CLOG_KOD);
	for (i = 0; i < 9; i++)
		ntp_clog_note(c, &b, 2000 + i, NTP_CLOG_REQUEST);
	n = ntp_clog_collect(&c, 1, out, 4, &total);
	assert_int_equal(n, 2);
	assert_int_equal(total, 2);
	/* Most requests first. */
	assert_memory_equal(out[0].addr.a, b.a, 16);
	assert_int_equal(out[0].requests, 9);
	assert_int_equal(out[0].first, 2000);
	assert_int_equal(out[0].last, 2008);
	assert_int_equal(out[1].addr.family, a.family);
	assert_int_equal(out[1].requests, 5);
	assert_int_equal(out[1].drops, 1);
	assert_int_equal(out[1].kods, 1);
	assert_int_equal(out[1].first, 1000);
	assert_int_equal(out[1].last, 1600);
	assert_int_equal(ntp_clog_count(c), 2);
	/* max limits the rows, not the total. */
	n = ntp_clog_collect(&c, 1, out, 1, &total);
	assert_int_equal(n, 1);
	assert_int_equal(total, 2);
	ntp_clog_destroy(c);
}

static void test_threads_merge(void **state)
{
	struct ntp_clog *l[2] = { ntp_clog_create(256, 7), ntp_clog_create(256, 7) };
	struct ntp_clog_client out[4];
	struct net_addr a = addr("198.51.100.7");
	size_t n;

	(void)state;
	ntp_clog_note(l[0], &a, 500, NTP_CLOG_REQUEST);
	ntp_clog_note(l[1], &a, 300, NTP_CLOG_REQUEST);
	ntp_clog_note(l[1], &a, 900, NTP_CLOG_DROP);
	n = ntp_clog_collect(l, 2, out, 4, NULL);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].requests, 2);
	assert_int_equal(out[0].drops, 1);
	assert_int_equal(out[0].first, 300);
	assert_int_equal(out[0].last, 900);
	ntp_clog_destroy(l[0]);
	ntp_clog_destroy(l[1]);
}

/* More clients than entries: memory stays bounded, the table is full,
 * and the most recently heard clients are the ones kept. */
static void test_bounded_keeps_recent(void **state)
{
	struct ntp_clog *c = ntp_clog_create(1, 99);	/* rounded up to the minimum */
	size_t cap = ntp_clog_capacity(c), n, total, i, recent = 0;
	struct ntp_clog_client *out;
	unsigned k;

	(void)state;
	assert_int_equal(cap, NTP_CLOG_MIN_ENTRIES);
	out = calloc(cap, sizeof(*out));
	for (k = 0; k < 20 * cap; k++) {
		struct net_addr a = nth(k);

		ntp_clog_note(c, &a, (gt_ns)k + 1, NTP_CLOG_REQUEST);
	}
	n = ntp_clog_collect(&c, 1, out, cap, &total);
	assert_true(total <= cap);
	/* Most buckets are full: at least three quarters of the table used. */
	assert_true(total >= cap * 3 / 4);
	for (i = 0; i < n; i++)
		recent += out[i].last > (gt_ns)(18 * cap);
	/* A kept client is one of the last ones heard, nearly always. */
	assert_true(recent >= n * 9 / 10);
	free(out);
	ntp_clog_destroy(c);
}

static atomic_bool stop;

static void *writer(void *arg)
{
	struct ntp_clog *c = arg;
	gt_ns t = 1;

	while (!atomic_load(&stop)) {
		for (unsigned k = 0; k < 4096; k++) {
			struct net_addr a = nth(k);

			/* requests and last move together: a torn read shows. */
			ntp_clog_note(c, &a, t++, NTP_CLOG_REQUEST);
		}
	}
	return NULL;
}

static void test_reader_never_sees_torn_entries(void **state)
{
	struct ntp_clog *c = ntp_clog_create(512, 5);
	struct ntp_clog_client *out = calloc(512, sizeof(*out));
	pthread_t th;
	size_t n, i;
	int round, seen = 0;

	(void)state;
	assert_int_equal(pthread_create(&th, NULL, writer, c), 0);
	/* The writer may not have run yet on a loaded machine. */
	while (ntp_clog_count(c) == 0)
		sched_yield();
	for (round = 0; round < 300; round++) {
		n = ntp_clog_collect(&c, 1, out, 512, NULL);
		for (i = 0; i < n; i++) {
			/* An entry is made at its first request and each note
			 * adds one request and moves last: last - first grows
			 * with requests, never below it. */
			assert_true(out[i].requests >= 1);
			assert_true(out[i].last >= out[i].first);
			assert_true(out[i].addr.family == nth(0).family);
			assert_int_equal(out[i].addr.a[0], 10);
			seen++;
		}
	}
	atomic_store(&stop, true);
	pthread_join(th, NULL);
	assert_true(seen > 0);
	free(out);
	ntp_clog_destroy(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_and_order),
		cmocka_unit_test(test_threads_merge),
		cmocka_unit_test(test_bounded_keeps_recent),
		cmocka_unit_test(test_reader_never_sees_torn_entries),
	};

	return cmocka_run_group_tests_name("ntp_clog", tests, NULL, NULL);
}
