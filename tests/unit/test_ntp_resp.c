/* Unit tests for ntp_resp (src/ntp/ntp_resp.c): the NTP client's RFC 5905
 * §8 packet tests and its offset/delay/dispersion arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <string.h>

#include "clock/clk.h"
#include "ntp/ntp_resp.h"

#define S(x) ((gt_ns)(x) * GT_NS_PER_S)
#define US(x) ((gt_ns)(x) * GT_NS_PER_US)
#define COOKIE UINT64_C(0x0123456789abcdef)
#define T1 (S(1700000000) + 250000000)
#define ERA1 S(INT64_C(2085978496))	/* 2036-02-07T06:28:16Z, NTP era 1 second 0 */

#define assert_ns(a, b) do { \
	int64_t a_ = (a), b_ = (b); \
	if (a_ != b_) fail_msg("%s = %" PRId64 ", expected %" PRId64, #a, a_, b_); \
} while (0)
#define assert_ns_near(a, b, tol) do { \
	int64_t a_ = (a), b_ = (b); \
	if (a_ - b_ > (tol) || b_ - a_ > (tol)) \
		fail_msg("%s = %" PRId64 ", expected %" PRId64 " +/- %d", #a, a_, b_, (int)(tol)); \
} while (0)

static struct ntp_resp_ctx ctx_at(gt_ns t1)
{
	struct ntp_resp_ctx c = { .sent_xmt = COOKIE, .t1 = t1, .last_rx_xmt = 0,
				  .local_precision = -24, .waiting = true };
	return c;
}

/* A server's reply: receive at t2, transmit at t3 (server clock). */
static void reply(uint8_t *b, gt_ns t2, gt_ns t3)
{
	struct ntp_pkt p;

	memset(&p, 0, sizeof(p));
	p.version = 4;
	p.mode = NTP_MODE_SERVER;
	p.stratum = 3;
	p.poll = 6;
	p.precision = -24;
	p.root_delay = 0x00010000;	/* 1 s */
	p.root_disp = 0x00008000;	/* 0.5 s */
	p.refid = 0xc6120001;
	p.ref = ntp_ts_from_ns(t2 - S(10));
	p.org = COOKIE;
	p.rec = ntp_ts_from_ns(t2);
	p.xmt = ntp_ts_from_ns(t3);
	ntp_pkt_encode(&p, b);
}

static void test_offset_delay(void **state)
{
	struct ntp_resp_ctx c = ctx_at(T1);
	struct ntp_sample s;
	struct ntp_pkt p;
	uint8_t b[48];
	/* Server 3.5 s ahead, 40 us each way, 20 us inside the server. */
	gt_ns t2 = T1 + US(40) + S(3) + 500000000, t3 = t2 + US(20), t4 = T1 + US(100);

	(void)state;
	reply(b, t2, t3);
	assert_int_equal(ntp_resp_process(&c, b, sizeof(b), t4, &p, &s), NTP_RESP_OK);
	assert_ns_near(s.offset, S(3) + 500000000, 2);
	assert_ns_near(s.delay, US(80), 2);
	assert_ns(s.time, t4);
	assert_ns_near(s.root_delay, S(1), 1);
	assert_ns_near(s.root_disp, 500000000, 1);
	assert_int_equal(s.stratum, 3);
	assert_int_equal(s.refid, 0xc6120001);
	/* Dispersion: both precisions (2^-24 s each, ~60 ns) + 15 ppm of 100 us. */
	assert_ns_near(s.disp, 119 + 2, 3);
}

static void test_negative_offset_and_era(void **state)
{
	/* Client just before the 2036 rollover, server 1000.25 s behind. */
	gt_ns t1 = ERA1 - US(30);
	struct ntp_resp_ctx c = ctx_at(t1);
	gt_ns t2 = t1 + US(50) - S(1000) - 250000000, t3 = t2 + US(10), t4 = t1 + US(110);
	struct ntp_sample s;
	struct ntp_pkt p;
	uint8_t b[48];

	(void)state;
	reply(b, t2, t3);
	assert_int_equal(ntp_resp_process(&c, b, sizeof(b), t4, &p, &s), NTP_RESP_OK);
	assert_ns_near(s.offset, -S(1000) - 250000000, 2);
	assert_ns_near(s.delay, US(100), 2);
	/* And a server just past it while we are before: still 1.5 s ahead. */
	c = ctx_at(ERA1 - S(1));
	reply(b, ERA1 + 500000000, ERA1 + 500000000);
	assert_int_equal(ntp_resp_process(&c, b, sizeof(b), ERA1 - S(1), &p, &s), NTP_RESP_OK);
	assert_ns_near(s.offset, S(1) + 500000000, 2);
}

static void test_packet_tests(void **state)
{
	struct ntp_resp_ctx c = ctx_at(T1);
	struct ntp_sample s;
	struct ntp_pkt p;
	uint8_t b[48], m[48];
	size_t len;

	(void)state;
	reply(b, T1 + US(40), T1 + US(50));
	/* Malformed: short, bad version. */
	for (len = 0; len < 48; len++)
		assert_int_equal(ntp_resp_process(&c, b, len, T1 + US(90), &p, &s), NTP_RESP_MALFORMED);
	memcpy(m, b, 48);
	m[0] = (uint8_t)((m[0] & ~0x38) | (5 << 3));
	assert_int_equal(ntp_resp_process(&c, m, 48, T1, &p, &s), NTP_RESP_MALFORMED);
	/* Not mode 4. */
	memcpy(m, b, 48);
	m[0] = (uint8_t)((m[0] & ~7) | 5);
	assert_int_equal(ntp_resp_process(&c, m, 48, T1, &p, &s), NTP_RESP_MODE);
	/* Test 2: origin is not our cookie, or nothing outstanding. */
	memcpy(m, b, 48);
	m[31] ^= 1;
	assert_int_equal(ntp_resp_process(&c, m, 48, T1, &p, &s), NTP_RESP_BOGUS);
	c.waiting = false;
	assert_int_equal(ntp_resp_process(&c, b, 48, T1, &p, &s), NTP_RESP_BOGUS);
	c.waiting = true;
	/* Test 1: the same transmit timestamp as the last accepted reply. */
	c.last_rx_xmt = ntp_ts_from_ns(T1 + US(50));
	assert_int_equal(ntp_resp_process(&c, b, 48, T1, &p, &s), NTP_RESP_DUPLICATE);
	c.last_rx_xmt = 0;
	/* Test 3: zero receive or transmit timestamp. */
	memcpy(m, b, 48);
	memset(m + 32, 0, 8);
	assert_int_equal(ntp_resp_process(&c, m, 48, T1, &p, &s), NTP_RESP_ZERO_TS);
	memcpy(m, b, 48);
	memset(m + 40, 0, 8);
	assert_int_equal(ntp_resp_process(&c, m, 48, T1, &p, &s), NTP_RESP_ZERO_TS);
	/* Tests 6/7: unsynchronised server. */
	memcpy(m, b, 48);
	m[0] |= 0xc0;
	assert_int_equal(ntp_resp_process(&c, m, 48, T1 + US(90), &p, &s), NTP_RESP_UNSYNC);
	memcpy(m, b, 48);
	m[1] = 16;
	assert_int_equal(ntp_resp_process(&c, m, 48, T1 + US(90), &p, &s), NTP_RESP_UNSYNC);
	/* Timestamps implying a negative round trip. */
	assert_int_equal(ntp_resp_process(&c, b, 48, T1 - US(100), &p, &s), NTP_RESP_BAD_DELAY);
	/* The unmodified reply passes. */
	assert_int_equal(ntp_resp_process(&c, b, 48, T1 + US(90), &p, &s), NTP_RESP_OK);
}

static void test_kiss_codes(void **state)
{
	static const struct { const char *code; enum ntp_resp_verdict v; } k[] = {
		{ "RATE", NTP_RESP_KOD_RATE }, { "DENY", NTP_RESP_KOD_DENY },
		{ "RSTR", NTP_RESP_KOD_DENY }, { "INIT", NTP_RESP_KOD_OTHER },
	};
	struct ntp_resp_ctx c = ctx_at(T1);
	struct ntp_sample s;
	struct ntp_pkt p;
	uint8_t b[48];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		reply(b, T1, T1);
		b[1] = 0;
		memcpy(b + 12, k[i].code, 4);
		assert_int_equal(ntp_resp_process(&c, b, 48, T1 + US(90), &p, &s), k[i].v);
		/* A forged kiss (wrong origin) is bogus, not obeyed. */
		b[31] ^= 1;
		assert_int_equal(ntp_resp_process(&c, b, 48, T1 + US(90), &p, &s), NTP_RESP_BOGUS);
	}
	assert_string_equal(ntp_resp_verdict_name(NTP_RESP_KOD_RATE), "kod_rate");
	assert_string_equal(ntp_resp_verdict_name(NTP_RESP_COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offset_delay),
		cmocka_unit_test(test_negative_offset_and_era),
		cmocka_unit_test(test_packet_tests),
		cmocka_unit_test(test_kiss_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
