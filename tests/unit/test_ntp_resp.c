/* Unit tests for ntp_resp (src/ntp/ntp_resp.c): the NTP client's RFC 5905
 * §8 packet tests and its offset/delay/dispersion arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "auth/auth.h"
#include "clock/clk.h"
#include "lib/conf.h"
#include "ntp/ntp_mac.h"
#include "ntp/ntp_bcast.h"
#include "ntp/ntp_resp.h"
#include "sync/sync_jitter2.h"

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
	struct sync_sample s;
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
	struct sync_sample s;
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
	struct sync_sample s;
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
	struct sync_sample s;
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

/* Symmetric active: the answer must be mode 2 or 1, never 4; and a
 * client never takes a mode 2 answer. */
static void test_symmetric_modes(void **state)
{
	uint8_t b[NTP_HEADER_LEN];
	struct ntp_resp_ctx c = ctx_at(T1);
	struct sync_sample smp;
	struct ntp_pkt pkt;
	int mode;

	(void)state;
	for (mode = 0; mode <= 7; mode++) {
		reply(b, T1 + US(500), T1 + US(520));
		b[0] = (uint8_t)((b[0] & 0xf8) | mode);
		c.symmetric = true;
		assert_int_equal(ntp_resp_process(&c, b, sizeof(b), T1 + US(1000), &pkt, &smp),
				 mode == 1 || mode == 2 ? NTP_RESP_OK : NTP_RESP_MODE);
		c.symmetric = false;
		assert_int_equal(ntp_resp_process(&c, b, sizeof(b), T1 + US(1000), &pkt, &smp),
				 mode == 4 ? NTP_RESP_OK : NTP_RESP_MODE);
	}
}

/* ---- broadcast (mode 5) ---- */

static const char bkeys_text[] = "7 MD5 seven\n8 SHA1 eight\n";

static struct auth_keys *bkeys(void)
{
	struct conf_errors errs;
	struct auth_keys *k = auth_keys_parse(bkeys_text, sizeof(bkeys_text) - 1, "t", &errs);

	assert_non_null(k);
	return k;
}

/* A broadcast sent at t3 (sender clock), signed with key (0: unsigned). */
static size_t bcast(uint8_t *b, size_t cap, const struct auth_keys *k, uint32_t key,
		    gt_ns t3)
{
	struct ntp_pkt p;

	memset(&p, 0, sizeof(p));
	p.version = 4;
	p.mode = NTP_MODE_BROADCAST;
	p.stratum = 2;
	p.poll = 4;
	p.precision = -24;
	p.root_delay = 0x00000800;
	p.root_disp = 0x00000400;
	p.refid = 0xc6120001;
	p.xmt = ntp_ts_from_ns(t3);
	ntp_pkt_encode(&p, b);
	return key ? ntp_mac_append(k, key, b, NTP_HEADER_LEN, cap) : NTP_HEADER_LEN;
}

static void test_broadcast_sample(void **state)
{
	struct auth_keys *k = bkeys();
	struct ntp_bcast_ctx c = { .keys = k, .key = 7, .delay = US(40), .jitter = US(25),
				   .local_precision = -24 };
	uint8_t b[NTP_MAX_LEN];
	struct sync_sample smp;
	struct ntp_pkt pkt;
	uint32_t key;
	size_t len;

	(void)state;
	/* Sent at T1 by the sender's clock, received 100 us later by a local
	 * clock 2 ms behind: offset = T3 + delay - T4 = 2 ms - 60 us. */
	len = bcast(b, sizeof(b), k, 7, T1);
	assert_int_equal(ntp_resp_broadcast(&c, b, len, T1 + US(100) - US(2000), &pkt, &smp, &key),
			 NTP_RESP_OK);
	assert_int_equal(key, 7);
	assert_ns_near(smp.offset, US(2000) - US(60), 2);
	assert_ns(smp.delay, US(80));
	assert_true(smp.disp >= US(50) && smp.disp < US(51));
	assert_int_equal(smp.stratum, 2);
	assert_ns_near(smp.root_delay, ntp_short_to_ns(0x800), 1);
	/* Across the 2036 era boundary the sender's time is placed right. */
	len = bcast(b, sizeof(b), k, 7, ERA1 + US(10));
	assert_int_equal(ntp_resp_broadcast(&c, b, len, ERA1 - US(30), &pkt, &smp, &key),
			 NTP_RESP_OK);
	assert_ns_near(smp.offset, US(80), 2);
	auth_keys_destroy(k);
}

static void test_broadcast_checks(void **state)
{
	struct auth_keys *k = bkeys();
	struct ntp_bcast_ctx c = { .keys = k, .key = 7, .local_precision = -24 };
	uint8_t b[NTP_MAX_LEN];
	struct sync_sample smp;
	struct ntp_pkt pkt;
	uint32_t key;
	size_t len;

	(void)state;
	/* Unsigned: refused unless noauth. */
	len = bcast(b, sizeof(b), k, 0, T1);
	assert_int_equal(ntp_resp_broadcast(&c, b, len, T1, &pkt, &smp, &key), NTP_RESP_AUTH);
	c.noauth = true;
	c.key = 0;
	assert_int_equal(ntp_resp_broadcast(&c, b, len, T1, &pkt, &smp, &key), NTP_RESP_OK);
	assert_int_equal(key, 0);
	/* A bad MAC is never accepted, noauth or not. */
	len = bcast(b, sizeof(b), k, 7, T1);
	b[len - 1] ^= 0x40;
	assert_int_equal(ntp_resp_broadcast(&c, b, len, T1, &pkt, &smp, &key), NTP_RESP_AUTH);
	c.noauth = false;
	/* Key 8 is in the file: taken when any key is, refused when 7 is required. */
	len = bcast(b, sizeof(b), k, 8, T1);
	assert_int_equal(ntp_resp_broadcast(&c, b, len, T1, &pkt, &smp, &key), NTP_RESP_OK);
	assert_int_equal(key, 8);
	c.key = 7;
	assert_int_equal(ntp_resp_broadcast(&c, b, len, T1, &pkt, &smp, &key), NTP_RESP_AUTH);
	/* No key store at all. */
	c.keys = NULL;
	len = bcast(b, sizeof(b), k, 7, T1);
	assert_int_equal(ntp_resp_broadcast(&c, b, len, T1, &pkt, &smp, &key), NTP_RESP_AUTH);
	c.keys = k;
	/* A trailer too short to be a MAC, and a truncated header. */
	assert_int_equal(ntp_resp_broadcast(&c, b, NTP_HEADER_LEN + 8, T1, &pkt, &smp, &key),
			 NTP_RESP_MALFORMED);
	assert_int_equal(ntp_resp_broadcast(&c, b, 47, T1, &pkt, &smp, &key), NTP_RESP_MALFORMED);
	/* Replays and reordering: the transmit time must grow. */
	c.last_xmt = ntp_ts_from_ns(T1);
	assert_int_equal(ntp_resp_broadcast(&c, b, len, T1, &pkt, &smp, &key), NTP_RESP_DUPLICATE);
	len = bcast(b, sizeof(b), k, 7, T1 - S(1));
	assert_int_equal(ntp_resp_broadcast(&c, b, len, T1, &pkt, &smp, &key), NTP_RESP_STALE);
	len = bcast(b, sizeof(b), k, 7, T1 + S(1));
	assert_int_equal(ntp_resp_broadcast(&c, b, len, T1, &pkt, &smp, &key), NTP_RESP_OK);
	/* Wrong mode, unsynchronised sender, zero transmit time, kiss. */
	len = bcast(b, sizeof(b), k, 0, T1 + S(2));
	c.noauth = true;
	b[0] = (uint8_t)((b[0] & 0xf8) | NTP_MODE_SERVER);
	assert_int_equal(ntp_resp_broadcast(&c, b, len, T1, &pkt, &smp, &key), NTP_RESP_MODE);
	len = bcast(b, sizeof(b), k, 0, T1 + S(2));
	b[0] |= 0xc0;
	assert_int_equal(ntp_resp_broadcast(&c, b, len, T1, &pkt, &smp, &key), NTP_RESP_UNSYNC);
	len = bcast(b, sizeof(b), k, 0, T1 + S(2));
	b[1] = 0;
	assert_int_equal(ntp_resp_broadcast(&c, b, len, T1, &pkt, &smp, &key), NTP_RESP_KOD_OTHER);
	len = bcast(b, sizeof(b), k, 0, T1 + S(2));
	memset(b + 40, 0, 8);
	c.last_xmt = 0;
	assert_int_equal(ntp_resp_broadcast(&c, b, len, T1, &pkt, &smp, &key), NTP_RESP_ZERO_TS);
	assert_string_equal(ntp_resp_verdict_name(NTP_RESP_STALE), "stale");
	auth_keys_destroy(k);
}

/* The one-way jitter estimate: a steady drift alone gives zero; white
 * noise of sigma gives about sigma; a prior until three offsets. */
static void test_jitter2(void **state)
{
	struct sync_jitter2 j;
	unsigned x = 12345;
	double sum = 0;
	int i;

	(void)state;
	memset(&j, 0, sizeof(j));
	assert_true(sync_jitter2_get(&j, 1e-3) == 1e-3);
	sync_jitter2_add(&j, 0.5);
	sync_jitter2_add(&j, 0.5 + 20e-6);
	assert_true(sync_jitter2_get(&j, 1e-3) == 1e-3);
	for (i = 2; i < 50; i++)
		sync_jitter2_add(&j, 0.5 + i * 20e-6);	/* 20 ppm drift at 1 s */
	assert_true(sync_jitter2_get(&j, 1e-3) < 1e-12);
	sync_jitter2_add(&j, NAN);			/* ignored */
	assert_true(sync_jitter2_get(&j, 1e-3) < 1e-12);
	/* Uniform noise of +-100 us: sigma = 57.7 us. Averaged over runs. */
	for (i = 0; i < 4000; i++) {
		x = x * 1103515245u + 12345u;
		sync_jitter2_add(&j, 0.5 + i * 20e-6 + ((x >> 8) / 16777216.0 - 0.5) * 200e-6);
		if (i >= 100)
			sum += sync_jitter2_get(&j, 0);
	}
	sum /= 3900;
	if (sum < 45e-6 || sum > 70e-6)
		fail_msg("jitter %.1f us, expected about 57.7", sum * 1e6);
	/* After a reset the prior is back until three more offsets. */
	sync_jitter2_reset(&j);
	sync_jitter2_add(&j, 0.1);
	assert_true(sync_jitter2_get(&j, 1e-3) > 0);
}

/* RFC 9769 interleaved replies: the sample is the previous exchange's,
 * with the server's precise T3 of that exchange; a forged origin is
 * rejected as in basic mode; an exchange already sampled in basic mode is
 * not used twice. */
#define NONCE UINT64_C(0x5555aaaa12345678)
static void test_interleaved(void **state)
{
	struct ntp_resp_ctx c = ctx_at(T1 + S(2));
	struct sync_sample s;
	struct ntp_pkt p;
	uint8_t b[48];
	/* The previous exchange: left at T1, server received at T1 + 40 us
	 * + 1 s (the server is 1 s ahead), reply back at T1 + 100 us. Its
	 * precise transmit time, brought now: T2 + 5 us. */
	gt_ns t2p = T1 + US(40) + S(1), t3p = t2p + US(5), t4p = T1 + US(85);
	/* This exchange's own times: irrelevant to the sample. */
	gt_ns t2 = T1 + S(3) + US(40);

	(void)state;
	c.sent_rec = NONCE;
	c.prev = (struct ntp_resp_prev){ .valid = true, .used = false, .t1 = T1, .t4 = t4p,
					 .t2 = ntp_ts_from_ns(t2p) };
	reply(b, t2, t3p);
	p.org = NONCE;
	ntp_pkt_decode(b, sizeof(b), &p);
	p.org = NONCE;
	ntp_pkt_encode(&p, b);
	assert_int_equal(ntp_resp_process(&c, b, sizeof(b), T1 + S(2) + US(100), &p, &s),
			 NTP_RESP_OK);
	assert_true(ntp_resp_is_interleaved(&c, &p));
	/* offset = ((T2 - T1) + (T3 - T4)) / 2: 1 s, the paths symmetric. */
	assert_ns_near(s.offset, S(1), 2);
	assert_ns_near(s.delay, US(85 - 5), 2);
	assert_ns(s.time, t4p);
	/* Already sampled in basic mode: the pair is not used a second time. */
	c.prev.used = true;
	assert_int_equal(ntp_resp_process(&c, b, sizeof(b), T1 + S(2) + US(100), &p, &s),
			 NTP_RESP_XLEAVE_UNPAIRED);
	c.prev.used = false;
	c.prev.valid = false;
	assert_int_equal(ntp_resp_process(&c, b, sizeof(b), T1 + S(2) + US(100), &p, &s),
			 NTP_RESP_XLEAVE_UNPAIRED);
	/* A transmit time before the receive time it pairs with: not the
	 * reply to that request. */
	c.prev.valid = true;
	c.prev.t2 = ntp_ts_from_ns(t3p + US(1));
	assert_int_equal(ntp_resp_process(&c, b, sizeof(b), T1 + S(2) + US(100), &p, &s),
			 NTP_RESP_XLEAVE_UNPAIRED);
	c.prev.t2 = ntp_ts_from_ns(t2p);
	/* A basic request (no nonce sent): an origin equal to anything else
	 * than the cookie is forged, whatever its value. */
	c.sent_rec = 0;
	assert_int_equal(ntp_resp_process(&c, b, sizeof(b), T1 + S(2) + US(100), &p, &s),
			 NTP_RESP_BOGUS);
	/* The origin check is what stops an off-path forger in both modes. */
	c.sent_rec = NONCE + 1;
	assert_int_equal(ntp_resp_process(&c, b, sizeof(b), T1 + S(2) + US(100), &p, &s),
			 NTP_RESP_BOGUS);
	/* A basic reply to an interleaved request (a server without the
	 * mode): its own four timestamps, as before. */
	c.sent_rec = NONCE;
	reply(b, T1 + S(2) + US(40) + S(1), T1 + S(2) + US(45) + S(1));
	assert_int_equal(ntp_resp_process(&c, b, sizeof(b), T1 + S(2) + US(100), &p, &s),
			 NTP_RESP_OK);
	assert_false(ntp_resp_is_interleaved(&c, &p));
	assert_ns_near(s.offset, S(1) - 7500, 2);
	assert_ns(s.time, T1 + S(2) + US(100));
	/* Not waiting (a second reply to one request): bogus in both modes. */
	c.waiting = false;
	assert_int_equal(ntp_resp_process(&c, b, sizeof(b), T1 + S(2) + US(100), &p, &s),
			 NTP_RESP_BOGUS);
}

/* An interleaved reply may repeat the last reply's transmit field (the
 * server had only its own estimate): not a duplicate; a basic one is. */
static void test_interleaved_same_xmt(void **state)
{
	struct ntp_resp_ctx c = ctx_at(T1 + S(2));
	struct sync_sample s;
	struct ntp_pkt p;
	uint8_t b[48];
	gt_ns t2p = T1 + US(40), t3p = t2p + US(5);

	(void)state;
	c.sent_rec = NONCE;
	c.prev = (struct ntp_resp_prev){ .valid = true, .t1 = T1, .t4 = T1 + US(85),
					 .t2 = ntp_ts_from_ns(t2p) };
	c.last_rx_xmt = ntp_ts_from_ns(t3p);
	reply(b, T1 + S(2) + US(40), t3p);
	ntp_pkt_decode(b, sizeof(b), &p);
	p.org = NONCE;
	ntp_pkt_encode(&p, b);
	assert_int_equal(ntp_resp_process(&c, b, sizeof(b), T1 + S(2) + US(100), &p, &s),
			 NTP_RESP_OK);
	reply(b, T1 + S(2) + US(40), t3p);
	assert_int_equal(ntp_resp_process(&c, b, sizeof(b), T1 + S(2) + US(100), &p, &s),
			 NTP_RESP_DUPLICATE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offset_delay),
		cmocka_unit_test(test_negative_offset_and_era),
		cmocka_unit_test(test_packet_tests),
		cmocka_unit_test(test_kiss_codes),
		cmocka_unit_test(test_symmetric_modes),
		cmocka_unit_test(test_broadcast_sample),
		cmocka_unit_test(test_broadcast_checks),
		cmocka_unit_test(test_jitter2),
		cmocka_unit_test(test_interleaved),
		cmocka_unit_test(test_interleaved_same_xmt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
