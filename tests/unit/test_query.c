/* Unit tests for query_evaluate (src/prog/query.c): the SNTP client's
 * judgement of a reply and its offset/delay arithmetic (RFC 5905 §8,
 * RFC 4330 §5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ntp/ntp_reply.h"
#include "prog/query.h"

#define assert_i64_equal(a, b) do { \
	int64_t a_ = (int64_t)(a), b_ = (int64_t)(b); \
	if (a_ != b_) \
		fail_msg("%s == %" PRId64 ", expected %" PRId64, #a, a_, b_); \
} while (0)

#define S(x) ((gt_ns)(x) * GT_NS_PER_S)
#define US(x) ((gt_ns)(x) * GT_NS_PER_US)
#define SENT_XMT UINT64_C(0x5a5a5a5a12345678)	/* random, as query_once sends */
#define ERA1 S(INT64_C(2085978496))		/* 2036-02-07T06:28:16Z */

/* A server reply to our request: t2, t3 on the server's clock. */
static void make_reply(uint8_t *b, gt_ns t2, gt_ns t3)
{
	struct ntp_pkt p;

	memset(&p, 0, sizeof(p));
	p.leap = 0;
	p.version = 4;
	p.mode = NTP_MODE_SERVER;
	p.stratum = 2;
	p.poll = 6;
	p.precision = -20;
	p.root_delay = 0x00000100;
	p.root_disp = 0x00000200;
	p.refid = 0xc0000201;
	p.ref = ntp_ts_from_ns(t2 - S(30));
	p.org = SENT_XMT;
	p.rec = ntp_ts_from_ns(t2);
	p.xmt = ntp_ts_from_ns(t3);
	ntp_pkt_encode(&p, b);
}

/* Evaluate an exchange: client sends at t1 and receives at t4 (client
 * clock); the server clock runs `offset` ahead; the path takes `out_ns`
 * and `back_ns`; the server holds the request `hold_ns`. */
static struct query_sample exchange(gt_ns t1, gt_ns offset, gt_ns out_ns, gt_ns hold_ns,
				    gt_ns back_ns)
{
	uint8_t b[NTP_HEADER_LEN];
	struct query_sample s;
	gt_ns t2 = t1 + out_ns + offset, t3 = t2 + hold_ns, t4 = t1 + out_ns + hold_ns + back_ns;

	make_reply(b, t2, t3);
	memset(&s, 0x77, sizeof(s));
	query_evaluate(b, sizeof(b), SENT_XMT, t1, t4, &s);
	return s;
}

static void test_offset_and_delay(void **state)
{
	const gt_ns t1 = S(1700000000) + 123456789;
	struct query_sample s;

	(void)state;
	/* 3.5 s ahead, 50 us each way, 10 us in the server: delay 100 us. */
	s = exchange(t1, S(3) + 500000000, US(50), US(10), US(50));
	assert_true(s.valid);
	assert_false(s.kod);
	assert_i64_equal(s.offset, S(3) + 500000000);
	assert_i64_equal(s.delay, US(100));
	assert_int_equal(s.reply.stratum, 2);
	assert_int_equal(s.reply.mode, NTP_MODE_SERVER);
	assert_int_equal(s.reply.refid, 0xc0000201);
	assert_int_equal(s.reply.org, SENT_XMT);
	/* Behind by 0.25 s. */
	s = exchange(t1, -250000000, US(200), US(1), US(200));
	assert_true(s.valid);
	assert_i64_equal(s.offset, -250000000);
	assert_i64_equal(s.delay, US(400));
	/* Asymmetric path: half the asymmetry shows in the offset. */
	s = exchange(t1, 0, US(300), 0, US(100));
	assert_true(s.valid);
	assert_i64_equal(s.offset, US(100));
	assert_i64_equal(s.delay, US(400));
	/* A large offset (a day) keeps ns precision. */
	s = exchange(t1, S(86400) + 1, US(20), US(5), US(20));
	assert_true(s.valid);
	assert_i64_equal(s.offset, S(86400) + 1);
	assert_i64_equal(s.delay, US(40));
}

static void test_negative_delay_clamped(void **state)
{
	uint8_t b[NTP_HEADER_LEN];
	struct query_sample s;
	gt_ns t1 = S(1700000000);

	(void)state;
	/* Server claims to have held the request longer than the round trip. */
	make_reply(b, t1 + US(10), t1 + US(500));
	query_evaluate(b, sizeof(b), SENT_XMT, t1, t1 + US(100), &s);
	assert_true(s.valid);
	assert_i64_equal(s.delay, 0);
}

/* RFC 5905 §8 test 2: a reply whose origin is not our transmit timestamp
 * answers some other request (or is forged). */
static void test_origin_mismatch(void **state)
{
	uint8_t b[NTP_HEADER_LEN];
	struct query_sample s;
	gt_ns t1 = S(1700000000);

	(void)state;
	make_reply(b, t1 + US(10), t1 + US(20));
	query_evaluate(b, sizeof(b), SENT_XMT + 1, t1, t1 + US(30), &s);
	assert_false(s.valid);
	assert_false(s.kod);
	assert_non_null(strstr(s.error, "origin"));
	query_evaluate(b, sizeof(b), 0, t1, t1 + US(30), &s);
	assert_false(s.valid);
	/* Origin zero in the reply. */
	memset(b + 24, 0, 8);
	query_evaluate(b, sizeof(b), SENT_XMT, t1, t1 + US(30), &s);
	assert_false(s.valid);
}

static void test_kod(void **state)
{
	uint8_t b[NTP_HEADER_LEN];
	struct query_sample s;
	struct ntp_pkt p;
	gt_ns t1 = S(1700000000);

	(void)state;
	make_reply(b, t1 + US(10), t1 + US(20));
	assert_int_equal(ntp_pkt_decode(b, sizeof(b), &p), NTP_PKT_OK);
	p.stratum = 0;
	p.leap = 3;
	p.refid = NTP_KISS_RATE;
	ntp_pkt_encode(&p, b);
	query_evaluate(b, sizeof(b), SENT_XMT, t1, t1 + US(30), &s);
	assert_false(s.valid);
	assert_true(s.kod);
	assert_non_null(strstr(s.error, "RATE"));
	/* A KoD for someone else's request is not believed. */
	query_evaluate(b, sizeof(b), SENT_XMT ^ 1, t1, t1 + US(30), &s);
	assert_false(s.valid);
	assert_false(s.kod);
	/* The KoD our server sends is recognised. */
	{
		const struct ntp_reply_params par = { .kod = true, .kod_poll = 8 };
		struct clk_snapshot snap;
		uint8_t req[NTP_HEADER_LEN];

		memset(&snap, 0, sizeof(snap));
		snap.q.stratum = 3;
		memset(&p, 0, sizeof(p));
		p.version = 4;
		p.mode = NTP_MODE_CLIENT;
		p.xmt = SENT_XMT;
		ntp_pkt_encode(&p, req);
		assert_int_equal(ntp_reply_build(&par, &snap, req, t1, true, b), NTP_V_KOD);
		query_evaluate(b, sizeof(b), SENT_XMT, t1, t1 + US(30), &s);
		assert_true(s.kod);
		assert_false(s.valid);
		assert_non_null(strstr(s.error, "RATE"));
	}
}

static void test_zero_timestamps(void **state)
{
	uint8_t b[NTP_HEADER_LEN];
	struct query_sample s;
	gt_ns t1 = S(1700000000);

	(void)state;
	make_reply(b, t1 + US(10), t1 + US(20));
	memset(b + 32, 0, 8);	/* receive */
	query_evaluate(b, sizeof(b), SENT_XMT, t1, t1 + US(30), &s);
	assert_false(s.valid);
	assert_non_null(strstr(s.error, "zero"));
	make_reply(b, t1 + US(10), t1 + US(20));
	memset(b + 40, 0, 8);	/* transmit */
	query_evaluate(b, sizeof(b), SENT_XMT, t1, t1 + US(30), &s);
	assert_false(s.valid);
	assert_non_null(strstr(s.error, "zero"));
}

static void test_wrong_mode(void **state)
{
	static const unsigned modes[] = { 0, 1, 2, 3, 5, 6, 7 };
	uint8_t b[NTP_HEADER_LEN];
	struct query_sample s;
	gt_ns t1 = S(1700000000);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		make_reply(b, t1 + US(10), t1 + US(20));
		b[0] = (uint8_t)((b[0] & 0xf8) | modes[i]);
		query_evaluate(b, sizeof(b), SENT_XMT, t1, t1 + US(30), &s);
		if (s.valid || s.kod)
			fail_msg("reply in mode %u accepted", modes[i]);
		assert_true(strlen(s.error) > 0);
	}
}

static void test_malformed(void **state)
{
	uint8_t b[NTP_HEADER_LEN + 4];
	struct query_sample s;
	gt_ns t1 = S(1700000000);
	size_t len;

	(void)state;
	make_reply(b, t1 + US(10), t1 + US(20));
	for (len = 0; len < NTP_HEADER_LEN; len++) {
		query_evaluate(b, len, SENT_XMT, t1, t1 + US(30), &s);
		assert_false(s.valid);
	}
	query_evaluate(b, NTP_HEADER_LEN + 2, SENT_XMT, t1, t1 + US(30), &s);
	assert_false(s.valid);
	b[0] = (uint8_t)((b[0] & 0xc7) | 0 << 3);	/* version 0 */
	query_evaluate(b, NTP_HEADER_LEN, SENT_XMT, t1, t1 + US(30), &s);
	assert_false(s.valid);
	assert_true(strlen(s.error) > 0);
}

/* The 2036 rollover between t1 and t2 (or t3 and t4) must not matter. */
static void test_across_2036(void **state)
{
	struct query_sample s;

	(void)state;
	/* Client just before, server 3.5 s ahead: t2 and t3 in era 1. */
	s = exchange(ERA1 - S(1), S(3) + 500000000, US(50), US(10), US(50));
	assert_true(s.valid);
	assert_i64_equal(s.offset, S(3) + 500000000);
	assert_i64_equal(s.delay, US(100));
	/* Client just after, server 3.5 s behind: t2 and t3 in era 0. */
	s = exchange(ERA1 + S(1), -S(3) - 500000000, US(50), US(10), US(50));
	assert_true(s.valid);
	assert_i64_equal(s.offset, -S(3) - 500000000);
	assert_i64_equal(s.delay, US(100));
	/* The rollover between the server's receive and transmit. */
	s = exchange(ERA1 - US(30), 0, US(25), US(10), US(25));
	assert_true(s.valid);
	assert_i64_equal(s.offset, 0);
	assert_i64_equal(s.delay, US(50));
	/* Both sides well into era 1, a year apart. */
	s = exchange(ERA1 + S(86400), S(365 * 86400), US(5), US(5), US(5));
	assert_true(s.valid);
	assert_i64_equal(s.offset, S(365 * 86400));
	assert_i64_equal(s.delay, US(10));
}

/* Server times are read with the client's own clock as the era pivot, so
 * the result is right outside the RFC 4330 1968..2104 window too. */
static void test_outside_split_window(void **state)
{
	static const gt_ns clients[] = {
		S(INT64_C(4260211200)),		/* 2105-01-01 */
		S(INT64_C(6000000000)),		/* 2160 */
		-S(INT64_C(100000000)),		/* 1966 */
		-S(INT64_C(2208988800)) + S(5),	/* 1900, era 0 second 5 */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(clients) / sizeof(clients[0]); i++) {
		struct query_sample s = exchange(clients[i], -S(7) - 250000000, US(30), US(2), US(30));

		assert_true(s.valid);
		assert_i64_equal(s.offset, -S(7) - 250000000);
		assert_i64_equal(s.delay, US(60));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offset_and_delay),
		cmocka_unit_test(test_negative_delay_clamped),
		cmocka_unit_test(test_origin_mismatch),
		cmocka_unit_test(test_kod),
		cmocka_unit_test(test_zero_timestamps),
		cmocka_unit_test(test_wrong_mode),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_across_2036),
		cmocka_unit_test(test_outside_split_window),
	};

	return cmocka_run_group_tests_name("query", tests, NULL, NULL);
}
