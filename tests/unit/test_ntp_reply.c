/* Unit tests for ntp/ntp_reply: request classification and the reply
 * (RFC 5905 §9.2 fast_xmit, §7.3 fields, §7.4 Kiss-o'-Death). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bytes.h"
#include "ntp/ntp_mac.h"
#include "ntp/ntp_reply.h"

#define S(x) ((gt_ns)(x) * GT_NS_PER_S)
/* Reference time of the test snapshot: 2023-11-14, with a fraction. */
#define T0 (S(1700000000) + 123456789)
#define REQ_XMT UINT64_C(0xdeadbeef12345678)

static void make_req(uint8_t *b, unsigned version, unsigned mode, int poll, ntp_ts xmt)
{
	struct ntp_pkt p;

	memset(&p, 0, sizeof(p));
	p.version = (uint8_t)version;
	p.mode = (uint8_t)mode;
	p.poll = (int8_t)poll;
	p.precision = -6;
	p.stratum = 0;
	p.xmt = xmt;
	p.rec = UINT64_C(0x1111111111111111);	/* junk a client may leave */
	p.org = UINT64_C(0x2222222222222222);
	ntp_pkt_encode(&p, b);
}

static struct clk_snapshot synced_snapshot(void)
{
	struct clk_snapshot s;

	memset(&s, 0, sizeof(s));
	s.q.leap = CLK_LEAP_NONE;
	s.q.stratum = 2;
	s.q.precision = -20;
	s.q.refid = 0xc0000201;			/* 192.0.2.1 */
	s.q.root_delay = 1500 * GT_NS_PER_US;	/* 98.3 units -> 99 */
	s.q.root_disp = 2 * GT_NS_PER_MS;
	s.q.ref_time = T0;
	return s;
}

static struct ntp_pkt decode_reply(const uint8_t *out)
{
	struct ntp_pkt r;

	assert_int_equal(ntp_pkt_decode(out, NTP_HEADER_LEN, &r), NTP_PKT_OK);
	return r;
}

static void test_classify_every_mode(void **state)
{
	unsigned v, mode;

	(void)state;
	for (v = 1; v <= 4; v++) {
		for (mode = 0; mode <= 7; mode++) {
			uint8_t req[NTP_HEADER_LEN];
			enum ntp_verdict want;
			int version = -1;

			switch (mode) {
			case 3: want = NTP_V_REPLY; break;
			/* Symmetric active: answered passively (auth decides later). */
			case 1: want = NTP_V_REPLY; break;
			/* NTPv1 has no mode: mode 0 is a client request there. */
			case 0: want = v == 1 ? NTP_V_REPLY : NTP_V_DROP_MODE; break;
			case 6: want = NTP_V_DROP_CONTROL; break;
			case 7: want = NTP_V_DROP_PRIVATE; break;
			default: want = NTP_V_DROP_MODE; break;
			}
			make_req(req, v, mode, 6, REQ_XMT);
			if (ntp_reply_classify(req, sizeof(req), &version) != want)
				fail_msg("v%u mode %u: got %s, expected %s", v, mode,
					 ntp_verdict_name(ntp_reply_classify(req, sizeof(req), &version)),
					 ntp_verdict_name(want));
			assert_int_equal(version, v);
		}
	}
}

static void test_classify_malformed(void **state)
{
	uint8_t *big = calloc(1, 2048);
	uint8_t req[NTP_HEADER_LEN + 8];
	int version;

	(void)state;
	assert_non_null(big);
	make_req(req, 4, 3, 6, REQ_XMT);
	version = -1;
	assert_int_equal(ntp_reply_classify(req, 47, &version), NTP_V_DROP_SHORT);
	assert_int_equal(version, 0);
	version = -1;
	assert_int_equal(ntp_reply_classify(req, 0, &version), NTP_V_DROP_SHORT);
	assert_int_equal(version, 0);
	/* Length 50 is not a multiple of 4: the version is still known. */
	version = -1;
	assert_int_equal(ntp_reply_classify(req, 50, &version), NTP_V_DROP_LENGTH);
	assert_int_equal(version, 4);
	version = -1;
	assert_int_equal(ntp_reply_classify(req, 56, &version), NTP_V_DROP_LENGTH);
	assert_int_equal(version, 4);
	make_req(big, 4, 3, 6, REQ_XMT);
	version = -1;
	assert_int_equal(ntp_reply_classify(big, 2048, &version), NTP_V_DROP_OVERSIZED);
	assert_int_equal(version, 0);
	make_req(req, 5, 3, 6, REQ_XMT);
	version = -1;
	assert_int_equal(ntp_reply_classify(req, 48, &version), NTP_V_DROP_VERSION);
	assert_int_equal(version, 0);
	make_req(req, 0, 3, 6, REQ_XMT);
	assert_int_equal(ntp_reply_classify(req, 48, &version), NTP_V_DROP_VERSION);
	make_req(req, 7, 3, 6, REQ_XMT);
	assert_int_equal(ntp_reply_classify(req, 48, &version), NTP_V_DROP_VERSION);
	/* A client request with a MAC is answered. */
	make_req(req, 4, 3, 6, REQ_XMT);
	memset(req + 48, 0, 8);
	assert_int_equal(ntp_reply_classify(req, 52, &version), NTP_V_REPLY);
	free(big);
}

/* Mode 6 (RFC 9327) and mode 7 headers are 12 and 8 bytes: short packets
 * in those modes are counted as control/private, not as short NTP. */
static void test_classify_short_control_private(void **state)
{
	uint8_t req[NTP_HEADER_LEN];
	size_t len;
	int version;

	(void)state;
	for (len = 1; len < NTP_HEADER_LEN; len++) {
		make_req(req, 2, 6, 0, 0);
		version = -1;
		assert_int_equal(ntp_reply_classify(req, len, &version), NTP_V_DROP_CONTROL);
		assert_int_equal(version, 2);
		make_req(req, 3, 7, 0, 0);
		version = -1;
		assert_int_equal(ntp_reply_classify(req, len, &version), NTP_V_DROP_PRIVATE);
		assert_int_equal(version, 3);
		/* A short client request is still short. */
		make_req(req, 4, 3, 0, 0);
		assert_int_equal(ntp_reply_classify(req, len, &version), NTP_V_DROP_SHORT);
	}
	/* Not a valid version: a bad packet, whatever its mode. */
	make_req(req, 0, 6, 0, 0);
	assert_int_equal(ntp_reply_classify(req, 12, &version), NTP_V_DROP_SHORT);
	assert_int_equal(ntp_reply_classify(req, 48, &version), NTP_V_DROP_VERSION);
	make_req(req, 6, 7, 0, 0);
	assert_int_equal(ntp_reply_classify(req, 48, &version), NTP_V_DROP_VERSION);
}

static void test_verdict_names(void **state)
{
	int i, k;

	(void)state;
	for (i = 0; i < NTP_V_COUNT; i++) {
		const char *n = ntp_verdict_name((enum ntp_verdict)i);

		assert_non_null(n);
		assert_true(strlen(n) > 0);
		assert_string_not_equal(n, "unknown");
		for (k = 0; k < i; k++)
			assert_string_not_equal(n, ntp_verdict_name((enum ntp_verdict)k));
	}
	assert_string_equal(ntp_verdict_name(NTP_V_REPLY), "answered");
	assert_string_equal(ntp_verdict_name(NTP_V_COUNT), "unknown");
}

static void test_build_synced(void **state)
{
	const struct ntp_reply_params par = { .serve_offset = 0, .kod = true, .kod_poll = 6 };
	struct clk_snapshot snap = synced_snapshot();
	uint8_t req[NTP_HEADER_LEN], out[NTP_HEADER_LEN];
	gt_ns rx = T0 + S(1000) + 250, tx = rx + 30 * GT_NS_PER_US;
	struct ntp_pkt r;

	(void)state;
	make_req(req, 4, 3, 10, REQ_XMT);
	memset(out, 0xaa, sizeof(out));
	assert_int_equal(ntp_reply_build(&par, &snap, req, rx, false, out), NTP_V_REPLY);
	r = decode_reply(out);
	assert_int_equal(r.leap, 0);
	assert_int_equal(r.version, 4);
	assert_int_equal(r.mode, NTP_MODE_SERVER);
	assert_int_equal(r.stratum, 2);
	assert_int_equal(r.poll, 10);		/* echoed */
	assert_int_equal(r.precision, -20);
	assert_int_equal(r.refid, 0xc0000201);
	assert_int_equal(r.root_delay, 99);
	assert_int_equal(r.root_delay, ntp_short_from_ns(1500 * GT_NS_PER_US));
	/* RFC 5905 §7.3: 2 ms + 15 ppm * 1000 s = 17 ms = 1114.1 units -> 1115. */
	assert_int_equal(r.root_disp, ntp_short_from_ns(17 * GT_NS_PER_MS));
	assert_int_equal(r.root_disp, 1115);
	assert_int_equal(r.ref, ntp_ts_from_ns(T0));
	assert_int_equal(r.org, REQ_XMT);	/* origin = request transmit */
	assert_int_equal(r.rec, ntp_ts_from_ns(rx));
	assert_int_equal(r.xmt, 0);		/* written by ntp_reply_stamp */
	ntp_reply_stamp(out, tx, &par);
	r = decode_reply(out);
	assert_int_equal(r.xmt, ntp_ts_from_ns(tx));
	assert_int_equal(r.rec, ntp_ts_from_ns(rx));
	assert_int_equal(r.org, REQ_XMT);
}

static void test_build_echoes_version_and_poll(void **state)
{
	const struct ntp_reply_params par = { .kod = true, .kod_poll = 6 };
	struct clk_snapshot snap = synced_snapshot();
	static const int polls[] = { -3, 0, 4, 6, 10, 17, 127 };
	unsigned v;
	size_t i;

	(void)state;
	for (v = 1; v <= 4; v++) {
		for (i = 0; i < sizeof(polls) / sizeof(polls[0]); i++) {
			uint8_t req[NTP_HEADER_LEN], out[NTP_HEADER_LEN];
			struct ntp_pkt r;

			make_req(req, v, v == 1 ? 0 : 3, polls[i], REQ_XMT + v);
			assert_int_equal(ntp_reply_build(&par, &snap, req, T0 + S(1), false, out),
					 NTP_V_REPLY);
			r = decode_reply(out);
			assert_int_equal(r.version, v);
			assert_int_equal(r.mode, NTP_MODE_SERVER);
			assert_true(r.poll == polls[i]);
			assert_int_equal(r.org, REQ_XMT + v);
		}
	}
}

static void test_build_leap_from_snapshot(void **state)
{
	const struct ntp_reply_params par = { .kod = true, .kod_poll = 6 };
	struct clk_snapshot snap = synced_snapshot();
	uint8_t req[NTP_HEADER_LEN], out[NTP_HEADER_LEN];
	unsigned leap;

	(void)state;
	make_req(req, 4, 3, 6, REQ_XMT);
	for (leap = CLK_LEAP_NONE; leap <= CLK_LEAP_DEL; leap++) {
		snap.q.leap = (uint8_t)leap;
		snap.q.stratum = (uint8_t)(1 + leap);
		assert_int_equal(ntp_reply_build(&par, &snap, req, T0, false, out), NTP_V_REPLY);
		assert_int_equal(decode_reply(out).leap, leap);
		assert_int_equal(decode_reply(out).stratum, 1 + leap);
	}
}

static void test_build_dispersion(void **state)
{
	const struct ntp_reply_params par = { .kod = true, .kod_poll = 6 };
	struct clk_snapshot snap = synced_snapshot();
	uint8_t req[NTP_HEADER_LEN], out[NTP_HEADER_LEN];

	(void)state;
	make_req(req, 4, 3, 6, REQ_XMT);
	/* At the reference time: no growth. */
	ntp_reply_build(&par, &snap, req, T0, false, out);
	assert_int_equal(decode_reply(out).root_disp, ntp_short_from_ns(2 * GT_NS_PER_MS));
	/* A receive time before the reference time never shrinks it. */
	ntp_reply_build(&par, &snap, req, T0 - S(100), false, out);
	assert_int_equal(decode_reply(out).root_disp, ntp_short_from_ns(2 * GT_NS_PER_MS));
	/* A day later: 2 ms + 86400 s * 15e-6 = 1.298 s. */
	ntp_reply_build(&par, &snap, req, T0 + S(86400), false, out);
	assert_int_equal(decode_reply(out).root_disp, ntp_short_from_ns(1298 * GT_NS_PER_MS));
	/* Saturates in the short format rather than wrapping. */
	snap.q.root_disp = S(65535);
	ntp_reply_build(&par, &snap, req, T0 + S(86400), false, out);
	assert_int_equal(decode_reply(out).root_disp, 0xffffffff);
}

static void test_build_unsynchronised(void **state)
{
	const struct ntp_reply_params par = { .kod = true, .kod_poll = 6 };
	uint8_t req[NTP_HEADER_LEN], out[NTP_HEADER_LEN];
	gt_ns rx = T0 + S(5);
	int variant;

	(void)state;
	make_req(req, 4, 3, 6, REQ_XMT);
	for (variant = 0; variant < 3; variant++) {
		struct clk_snapshot snap = synced_snapshot();
		struct ntp_pkt r;

		if (variant == 0)
			snap.q.leap = CLK_LEAP_UNSYNC;
		else if (variant == 1)
			snap.q.stratum = 16;
		else
			snap.q.stratum = 0;
		assert_int_equal(ntp_reply_build(&par, &snap, req, rx, false, out), NTP_V_REPLY);
		r = decode_reply(out);
		assert_int_equal(r.leap, 3);
		assert_int_equal(r.stratum, 16);
		assert_int_equal(r.refid, 0);
		assert_int_equal(r.ref, 0);
		assert_int_equal(r.mode, NTP_MODE_SERVER);
		assert_int_equal(r.org, REQ_XMT);
		assert_int_equal(r.rec, ntp_ts_from_ns(rx));
	}
}

/* serve-offset shifts every timestamp the server produces (receive,
 * transmit, reference) and never the origin, which is the client's own. */
static void test_build_serve_offset(void **state)
{
	const struct ntp_reply_params par = { .serve_offset = -S(1000) - 250000000,
					      .kod = true, .kod_poll = 6 };
	struct clk_snapshot snap = synced_snapshot();
	uint8_t req[NTP_HEADER_LEN], out[NTP_HEADER_LEN];
	gt_ns rx = T0 + S(10) + 777, tx = rx + 12345;
	struct ntp_pkt r;

	(void)state;
	make_req(req, 4, 3, 6, REQ_XMT);
	assert_int_equal(ntp_reply_build(&par, &snap, req, rx, false, out), NTP_V_REPLY);
	ntp_reply_stamp(out, tx, &par);
	r = decode_reply(out);
	assert_int_equal(r.org, REQ_XMT);
	assert_int_equal(r.rec, ntp_ts_from_ns(rx - S(1000) - 250000000));
	assert_int_equal(r.xmt, ntp_ts_from_ns(tx - S(1000) - 250000000));
	assert_int_equal(r.ref, ntp_ts_from_ns(T0 - S(1000) - 250000000));
	/* Dispersion grows with the unshifted age of the reference: 10 s. */
	assert_int_equal(r.root_disp, ntp_short_from_ns(2 * GT_NS_PER_MS + 150 * GT_NS_PER_US));
	/* Interval between receive and transmit is preserved. */
	assert_true(ntp_ts_diff(r.xmt, r.rec) == 12345);
}

static void test_build_across_2036(void **state)
{
	const struct ntp_reply_params par = { .serve_offset = S(2), .kod = true, .kod_poll = 6 };
	struct clk_snapshot snap = synced_snapshot();
	uint8_t req[NTP_HEADER_LEN], out[NTP_HEADER_LEN];
	const gt_ns era1 = S(INT64_C(2085978496));
	struct ntp_pkt r;

	(void)state;
	snap.q.ref_time = era1 - S(10);
	make_req(req, 4, 3, 6, REQ_XMT);
	/* Received 1 s before the rollover, served 2 s ahead: era 1. */
	ntp_reply_build(&par, &snap, req, era1 - S(1), false, out);
	ntp_reply_stamp(out, era1 - S(1) + 500000000, &par);
	r = decode_reply(out);
	assert_int_equal(r.rec, UINT64_C(1) << 32);
	assert_int_equal(r.xmt, UINT64_C(0x0000000180000000));
	assert_int_equal(r.ref, (uint64_t)0xfffffff8 << 32);	/* era1 - 10 s + 2 s */
}

static void test_kod(void **state)
{
	const struct ntp_reply_params par = { .serve_offset = S(7), .kod = true, .kod_poll = 8 };
	struct clk_snapshot snap = synced_snapshot();
	uint8_t req[NTP_HEADER_LEN], out[NTP_HEADER_LEN];
	gt_ns rx = T0 + S(3);
	struct ntp_pkt r;

	(void)state;
	make_req(req, 3, 3, 4, REQ_XMT);
	assert_int_equal(ntp_reply_build(&par, &snap, req, rx, true, out), NTP_V_KOD);
	r = decode_reply(out);
	assert_int_equal(r.leap, 3);
	assert_int_equal(r.stratum, 0);
	assert_int_equal(r.refid, NTP_KISS_RATE);
	assert_memory_equal(out + 12, "RATE", 4);
	assert_int_equal(r.mode, NTP_MODE_SERVER);
	assert_int_equal(r.version, 3);
	assert_int_equal(r.poll, 8);		/* raised to kod_poll */
	assert_int_equal(r.org, REQ_XMT);
	/* No usable time in a KoD. */
	assert_int_not_equal(r.rec, ntp_ts_from_ns(rx + S(7)));
	assert_int_not_equal(r.xmt, ntp_ts_from_ns(rx + S(7)));
	assert_int_equal(r.rec, REQ_XMT);
	assert_int_equal(r.xmt, REQ_XMT);
	assert_int_equal(r.ref, 0);
	/* A poll already above kod_poll is kept. */
	make_req(req, 4, 3, 12, REQ_XMT);
	assert_int_equal(ntp_reply_build(&par, &snap, req, rx, true, out), NTP_V_KOD);
	assert_int_equal(decode_reply(out).poll, 12);
	/* KoD also when the clock is unsynchronised. */
	snap.q.leap = CLK_LEAP_UNSYNC;
	assert_int_equal(ntp_reply_build(&par, &snap, req, rx, true, out), NTP_V_KOD);
	assert_int_equal(decode_reply(out).stratum, 0);
}

static void test_rate_limited_silent_drop(void **state)
{
	const struct ntp_reply_params par = { .kod = false, .kod_poll = 8 };
	struct clk_snapshot snap = synced_snapshot();
	uint8_t req[NTP_HEADER_LEN], out[NTP_HEADER_LEN], untouched[NTP_HEADER_LEN];

	(void)state;
	make_req(req, 4, 3, 4, REQ_XMT);
	memset(out, 0xaa, sizeof(out));
	memset(untouched, 0xaa, sizeof(untouched));
	assert_int_equal(ntp_reply_build(&par, &snap, req, T0, true, out), NTP_V_DROP_RATE);
	assert_memory_equal(out, untouched, sizeof(out));
	/* Not limited: an ordinary reply even with kod off. */
	assert_int_equal(ntp_reply_build(&par, &snap, req, T0, false, out), NTP_V_REPLY);
	assert_int_equal(decode_reply(out).stratum, 2);
}

/* ------------------------------------------------------------------ */
/* symmetric-key authentication (RFC 5905 §7.3, §9.2; RFC 8573) */

/* Key ids 16 and 20 have low 16 bits that read as an extension field
 * length: their MACs must still be found (RFC 7822 §7.5). */
static const char auth_keys_text[] =
	"10 MD5 md5-secret\n"
	"11 SHA1 HEX:0102030405060708090a0b0c0d0e0f1011121314\n"
	"12 AES128 HEX:000102030405060708090a0b0c0d0e0f\n"
	"13 AES256 HEX:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
	"16 SHA1 sixteen\n"
	"20 MD5 twenty\n"
	"21 SHA256 HEX:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";

static struct auth_keys *auth_keys(void)
{
	struct conf_errors errs;
	struct auth_keys *k = auth_keys_parse(auth_keys_text, sizeof(auth_keys_text) - 1,
						 "test", &errs);

	assert_non_null(k);
	return k;
}

/* A client request of the given version with ef_len bytes of extension
 * field, signed with key id; returns its length. */
static size_t make_auth_req(uint8_t *b, size_t cap, const struct auth_keys *k,
			    unsigned version, size_t ef_len, uint32_t id)
{
	size_t len;

	make_req(b, version, 3, 6, REQ_XMT);
	memset(b + NTP_HEADER_LEN, 0xcd, ef_len);
	if (ef_len) {
		b[NTP_HEADER_LEN] = 0x01;	/* type 0x0104, length ef_len */
		b[NTP_HEADER_LEN + 1] = 0x04;
		b[NTP_HEADER_LEN + 2] = (uint8_t)(ef_len >> 8);
		b[NTP_HEADER_LEN + 3] = (uint8_t)ef_len;
	}
	len = ntp_mac_append(k, id, b, NTP_HEADER_LEN + ef_len, cap);
	assert_true(len > 0);
	return len;
}

static void test_auth_reply_same_key(void **state)
{
	static const struct { unsigned version; size_t ef; uint32_t id; } cases[] = {
		{ 4, 0, 10 }, { 4, 0, 11 }, { 4, 0, 12 }, { 4, 0, 13 }, { 4, 0, 16 }, { 4, 0, 20 },
		{ 3, 0, 10 }, { 3, 0, 11 }, { 3, 0, 12 }, { 3, 0, 13 }, { 3, 0, 16 }, { 2, 0, 11 },
		{ 4, 16, 10 }, { 4, 16, 11 }, { 4, 32, 13 }, { 4, 28, 16 }, { 4, 100, 20 },
	};
	struct auth_keys *k = auth_keys();
	struct ntp_reply_params par = { .kod = true, .kod_poll = 6, .keys = k };
	struct clk_snapshot snap = synced_snapshot();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t req[NTP_MAX_LEN], out[NTP_REPLY_MAX_LEN];
		size_t len = make_auth_req(req, sizeof(req), k, cases[i].version, cases[i].ef,
					   cases[i].id), rlen, dlen;
		struct ntp_req_auth a;
		int version;

		assert_int_equal(ntp_reply_classify(req, len, &version), NTP_V_REPLY);
		ntp_reply_check_auth(&par, req, len, &a);
		if (a.state != NTP_REQ_AUTH_OK || a.key_id != cases[i].id)
			fail_msg("case %zu: state %d key %u", i, a.state, a.key_id);
		assert_int_equal(ntp_reply_build_auth(&par, &snap, req, T0 + S(5), false, &a, out),
				 NTP_V_REPLY);
		ntp_reply_stamp(out, T0 + S(5) + 1000, &par);
		rlen = ntp_reply_seal(&par, &a, out);
		assert_true(auth_key_info(k, cases[i].id, NULL, &dlen));
		/* Header + key id + digest of the same key; never longer than
		 * the request (equal without extension fields). */
		assert_int_equal(rlen, NTP_HEADER_LEN + 4 + dlen);
		assert_true(rlen <= len);
		if (!cases[i].ef)
			assert_int_equal(rlen, len);
		assert_int_equal(get_be32(out + NTP_HEADER_LEN), cases[i].id);
		assert_int_equal(auth_verify(k, cases[i].id, out, NTP_HEADER_LEN,
						 out + NTP_HEADER_LEN + 4, dlen), AUTH_OK);
		assert_int_equal(decode_reply(out).org, REQ_XMT);
		assert_int_equal(decode_reply(out).version, cases[i].version);
	}
	auth_keys_destroy(k);
}

/* Unknown key, wrong digest, a MAC over the header without the field,
 * a bare key id, no key store: all fail, and by default nothing is sent. */
static void test_auth_failures_dropped(void **state)
{
	struct auth_keys *k = auth_keys();
	struct ntp_reply_params par = { .kod = true, .kod_poll = 6, .keys = k };
	struct clk_snapshot snap = synced_snapshot();
	uint8_t req[NTP_MAX_LEN], out[NTP_REPLY_MAX_LEN], untouched[NTP_REPLY_MAX_LEN];
	struct ntp_req_auth a;
	size_t len;

	(void)state;
	memset(untouched, 0xaa, sizeof(untouched));
	/* Unknown key id. */
	len = make_auth_req(req, sizeof(req), k, 4, 0, 10);
	put_be32(req + NTP_HEADER_LEN, 99);
	ntp_reply_check_auth(&par, req, len, &a);
	assert_int_equal(a.state, NTP_REQ_AUTH_FAIL);
	assert_int_equal(a.why, AUTH_UNKNOWN_KEY);
	assert_int_equal(a.key_id, 99);
	memset(out, 0xaa, sizeof(out));
	assert_int_equal(ntp_reply_build_auth(&par, &snap, req, T0, false, &a, out),
			 NTP_V_DROP_AUTH);
	assert_memory_equal(out, untouched, sizeof(out));
	/* Wrong digest: last byte, and a changed header byte. */
	len = make_auth_req(req, sizeof(req), k, 4, 0, 11);
	req[len - 1] ^= 0x80;
	ntp_reply_check_auth(&par, req, len, &a);
	assert_int_equal(a.state, NTP_REQ_AUTH_FAIL);
	assert_int_equal(a.why, AUTH_BAD_MAC);
	len = make_auth_req(req, sizeof(req), k, 4, 0, 12);
	req[2] ^= 1;
	ntp_reply_check_auth(&par, req, len, &a);
	assert_int_equal(a.why, AUTH_BAD_MAC);
	/* The MAC covers the extension fields too (RFC 7822 §7.5). */
	len = make_auth_req(req, sizeof(req), k, 4, 32, 13);
	req[NTP_HEADER_LEN + 20] ^= 1;
	ntp_reply_check_auth(&par, req, len, &a);
	assert_int_equal(a.why, AUTH_BAD_MAC);
	/* A bare key id, zero (a crypto-NAK) or not, proves nothing. */
	make_req(req, 4, 3, 6, REQ_XMT);
	put_be32(req + NTP_HEADER_LEN, 0);
	ntp_reply_check_auth(&par, req, NTP_HEADER_LEN + 4, &a);
	assert_int_equal(a.state, NTP_REQ_AUTH_FAIL);
	put_be32(req + NTP_HEADER_LEN, 10);
	ntp_reply_check_auth(&par, req, NTP_HEADER_LEN + 4, &a);
	assert_int_equal(a.state, NTP_REQ_AUTH_FAIL);
	/* No keys configured: any MAC is from an unknown key. */
	len = make_auth_req(req, sizeof(req), k, 4, 0, 10);
	par.keys = NULL;
	ntp_reply_check_auth(&par, req, len, &a);
	assert_int_equal(a.state, NTP_REQ_AUTH_FAIL);
	assert_int_equal(a.why, AUTH_UNKNOWN_KEY);
	auth_keys_destroy(k);
}

static void test_auth_crypto_nak(void **state)
{
	struct auth_keys *k = auth_keys();
	struct ntp_reply_params par = { .kod = true, .kod_poll = 6, .keys = k, .crypto_nak = true };
	struct clk_snapshot snap = synced_snapshot();
	uint8_t req[NTP_MAX_LEN], out[NTP_REPLY_MAX_LEN];
	struct ntp_req_auth a;
	struct ntp_pkt r;
	size_t len;

	(void)state;
	len = make_auth_req(req, sizeof(req), k, 4, 0, 10);
	req[len - 5] ^= 1;
	ntp_reply_check_auth(&par, req, len, &a);
	assert_int_equal(a.state, NTP_REQ_AUTH_FAIL);
	assert_int_equal(ntp_reply_build_auth(&par, &snap, req, T0 + S(1), false, &a, out),
			 NTP_V_CRYPTO_NAK);
	ntp_reply_stamp(out, T0 + S(1) + 500, &par);
	/* RFC 5905 §9.2: the reply, then a zero key id and no digest. */
	assert_int_equal(ntp_reply_seal(&par, &a, out), NTP_HEADER_LEN + 4);
	assert_int_equal(get_be32(out + NTP_HEADER_LEN), 0);
	r = decode_reply(out);
	assert_int_equal(r.mode, NTP_MODE_SERVER);
	assert_int_equal(r.stratum, 2);
	assert_int_equal(r.org, REQ_XMT);
	assert_int_equal(r.xmt, ntp_ts_from_ns(T0 + S(1) + 500));
	/* Over the rate limit: no NAK, not even a KoD. */
	assert_int_equal(ntp_reply_build_auth(&par, &snap, req, T0, true, &a, out),
			 NTP_V_DROP_AUTH);
	auth_keys_destroy(k);
}

/* A KoD to an authenticated client carries its MAC, so the client can
 * trust it; requests without a MAC get none. */
static void test_auth_kod_and_none(void **state)
{
	struct auth_keys *k = auth_keys();
	struct ntp_reply_params par = { .kod = true, .kod_poll = 8, .keys = k };
	struct clk_snapshot snap = synced_snapshot();
	uint8_t req[NTP_MAX_LEN], out[NTP_REPLY_MAX_LEN];
	struct ntp_req_auth a;
	size_t len;

	(void)state;
	len = make_auth_req(req, sizeof(req), k, 4, 0, 11);
	ntp_reply_check_auth(&par, req, len, &a);
	assert_int_equal(a.state, NTP_REQ_AUTH_OK);
	assert_int_equal(ntp_reply_build_auth(&par, &snap, req, T0, true, &a, out), NTP_V_KOD);
	assert_int_equal(ntp_reply_seal(&par, &a, out), NTP_HEADER_LEN + 24);
	assert_int_equal(auth_verify(k, 11, out, 48, out + 52, 20), AUTH_OK);
	assert_int_equal(decode_reply(out).refid, NTP_KISS_RATE);
	/* No MAC, or only extension fields: no authentication, 48 bytes. */
	make_req(req, 4, 3, 6, REQ_XMT);
	ntp_reply_check_auth(&par, req, NTP_HEADER_LEN, &a);
	assert_int_equal(a.state, NTP_REQ_AUTH_NONE);
	memset(req + NTP_HEADER_LEN, 0, 32);
	req[NTP_HEADER_LEN + 3] = 32;
	ntp_reply_check_auth(&par, req, NTP_HEADER_LEN + 32, &a);
	assert_int_equal(a.state, NTP_REQ_AUTH_NONE);
	assert_int_equal(ntp_reply_build_auth(&par, &snap, req, T0, false, &a, out), NTP_V_REPLY);
	assert_int_equal(ntp_reply_seal(&par, &a, out), NTP_HEADER_LEN);
	auth_keys_destroy(k);
}

/* Symmetric active (mode 1): answered in mode 2 with the same MAC when
 * authenticated; dropped without a MAC; a bad MAC is an auth failure. */
static void test_symmetric_passive(void **state)
{
	struct auth_keys *k = auth_keys();
	struct ntp_reply_params par = { .kod = true, .kod_poll = 6, .keys = k };
	struct clk_snapshot snap = synced_snapshot();
	uint8_t req[NTP_MAX_LEN], out[NTP_REPLY_MAX_LEN];
	struct ntp_req_auth a;
	struct ntp_pkt r;
	size_t len;
	int version;

	(void)state;
	make_req(req, 4, 1, 6, REQ_XMT);
	len = ntp_mac_append(k, 12, req, NTP_HEADER_LEN, sizeof(req));
	assert_int_equal(ntp_reply_classify(req, len, &version), NTP_V_REPLY);
	ntp_reply_check_auth(&par, req, len, &a);
	assert_int_equal(a.state, NTP_REQ_AUTH_OK);
	assert_int_equal(ntp_reply_build_auth(&par, &snap, req, T0, false, &a, out), NTP_V_REPLY);
	ntp_reply_stamp(out, T0 + 1000, &par);
	assert_int_equal(ntp_reply_seal(&par, &a, out), NTP_HEADER_LEN + 4 + 16);
	r = decode_reply(out);
	assert_int_equal(r.mode, NTP_MODE_SYM_PASSIVE);
	assert_int_equal(r.org, REQ_XMT);
	assert_int_equal(r.stratum, 2);
	assert_int_equal(auth_verify(k, 12, out, NTP_HEADER_LEN, out + NTP_HEADER_LEN + 4, 16),
			 AUTH_OK);
	/* Over the limit: a KoD like any client's. */
	assert_int_equal(ntp_reply_build_auth(&par, &snap, req, T0, true, &a, out), NTP_V_KOD);
	/* No MAC: not answered at all, whatever the rate. */
	make_req(req, 4, 1, 6, REQ_XMT);
	ntp_reply_check_auth(&par, req, NTP_HEADER_LEN, &a);
	assert_int_equal(a.state, NTP_REQ_AUTH_NONE);
	memset(out, 0xaa, sizeof(out));
	assert_int_equal(ntp_reply_build_auth(&par, &snap, req, T0, false, &a, out),
			 NTP_V_DROP_PEER);
	assert_int_equal(out[0], 0xaa);
	assert_string_equal(ntp_verdict_name(NTP_V_DROP_PEER), "peer_unauthenticated");
	/* Wrong digest: the authentication rules (silent drop by default). */
	len = ntp_mac_append(k, 12, req, NTP_HEADER_LEN, sizeof(req));
	req[len - 1] ^= 1;
	ntp_reply_check_auth(&par, req, len, &a);
	assert_int_equal(a.state, NTP_REQ_AUTH_FAIL);
	assert_int_equal(ntp_reply_build_auth(&par, &snap, req, T0, false, &a, out),
			 NTP_V_DROP_AUTH);
	/* A client request is still answered in mode 4. */
	make_req(req, 4, 3, 6, REQ_XMT);
	ntp_reply_check_auth(&par, req, NTP_HEADER_LEN, &a);
	assert_int_equal(ntp_reply_build_auth(&par, &snap, req, T0, false, &a, out), NTP_V_REPLY);
	assert_int_equal(decode_reply(out).mode, NTP_MODE_SERVER);
	auth_keys_destroy(k);
}

/* A SHA256 key: the reply's MAC has the request's length, 20 bytes (NTPv4,
 * truncated) or 32 (the whole digest, as chrony's NTPv3 requests carry). */
static void test_auth_sha256_lengths(void **state)
{
	struct auth_keys *k = auth_keys();
	struct ntp_reply_params par = { .kod = true, .kod_poll = 6, .keys = k };
	struct clk_snapshot snap = synced_snapshot();
	size_t dl[] = { 20, 32 }, i, len;

	(void)state;
	for (i = 0; i < 2; i++) {
		uint8_t req[NTP_MAX_LEN], out[NTP_REPLY_MAX_LEN];
		struct ntp_req_auth a;

		make_req(req, i ? 3 : 4, 3, 6, REQ_XMT);
		len = ntp_mac_append_len(k, 21, req, NTP_HEADER_LEN, sizeof(req), dl[i]);
		assert_int_equal(len, NTP_HEADER_LEN + 4 + dl[i]);
		ntp_reply_check_auth(&par, req, len, &a);
		assert_int_equal(a.state, NTP_REQ_AUTH_OK);
		assert_int_equal(a.digest_len, dl[i]);
		assert_int_equal(ntp_reply_build_auth(&par, &snap, req, T0, false, &a, out),
				 NTP_V_REPLY);
		ntp_reply_stamp(out, T0 + 1000, &par);
		assert_int_equal(ntp_reply_seal(&par, &a, out), len);
		assert_int_equal(auth_verify(k, 21, out, NTP_HEADER_LEN, out + NTP_HEADER_LEN + 4,
						 dl[i]), AUTH_OK);
	}
	/* Other lengths are refused by the MAC writer: nothing is sent. */
	{
		uint8_t pkt[NTP_MAX_LEN] = { 0 };

		assert_int_equal(ntp_mac_append_len(k, 21, pkt, 48, sizeof(pkt), 16), 0);
		assert_int_equal(ntp_mac_append_len(k, 11, pkt, 48, sizeof(pkt), 32), 0);
		assert_int_equal(ntp_mac_append_len(k, 21, pkt, 48, 48 + 4 + 31, 32), 0);
	}
	auth_keys_destroy(k);
}

/* RFC 9769 on the server: which requests may be interleaved, the marks
 * in our receive timestamps, and the interleaved answer's fields. */
static void test_xleave_request(void **state)
{
	uint8_t b[48], out[48];
	ntp_ts rx;
	unsigned t;

	(void)state;
	/* Marks: the low bit set and the thread in the bits above, within
	 * 2^(bits + 1) units of the timestamp. */
	assert_int_equal(ntp_reply_mark_bits(1), 0);
	assert_int_equal(ntp_reply_mark_bits(2), 1);
	assert_int_equal(ntp_reply_mark_bits(3), 2);
	assert_int_equal(ntp_reply_mark_bits(64), 6);
	for (t = 0; t < 64; t++) {
		rx = ntp_reply_mark_rx(UINT64_C(0x1234567890abcdef), t, 6);
		assert_true(rx & 1);
		assert_int_equal(ntp_reply_rx_thread(rx, 6), t);
		assert_true(rx >> 7 == UINT64_C(0x1234567890abcdef) >> 7);
	}
	rx = ntp_reply_mark_rx(UINT64_C(0x1234567890abcdee), 0, 0);
	assert_true(rx == UINT64_C(0x1234567890abcdef));

	/* An NTPv4 client request whose origin is marked and whose receive
	 * field differs from its transmit field. */
	make_req(b, 4, NTP_MODE_CLIENT, 6, REQ_XMT);
	put_be64(b + 24, rx);
	assert_true(ntp_reply_xleave_request(b, sizeof(b)));
	assert_false(ntp_reply_xleave_request(b, 47));
	put_be64(b + 32, REQ_XMT);	/* receive = transmit: basic (RFC 9769) */
	assert_false(ntp_reply_xleave_request(b, sizeof(b)));
	put_be64(b + 32, 7);
	put_be64(b + 24, rx & ~(ntp_ts)1);	/* one of our transmit times (ntpd) */
	assert_false(ntp_reply_xleave_request(b, sizeof(b)));
	put_be64(b + 24, 0);	/* chrony's and gnomon's basic requests */
	assert_false(ntp_reply_xleave_request(b, sizeof(b)));
	make_req(b, 3, NTP_MODE_CLIENT, 6, REQ_XMT);
	put_be64(b + 24, rx);
	assert_false(ntp_reply_xleave_request(b, sizeof(b)));
	make_req(b, 4, NTP_MODE_SYM_ACTIVE, 6, REQ_XMT);
	put_be64(b + 24, rx);
	assert_false(ntp_reply_xleave_request(b, sizeof(b)));

	/* The answer: origin = the request's receive field, transmit = the
	 * previous response's transmit time; the rest as built. */
	make_req(b, 4, NTP_MODE_CLIENT, 6, REQ_XMT);
	memset(out, 0x77, sizeof(out));
	ntp_reply_make_interleaved(out, b, UINT64_C(0xabcdef0012345670));
	assert_true(get_be64(out + 24) == UINT64_C(0x1111111111111111));
	assert_true(get_be64(out + 40) == UINT64_C(0xabcdef0012345670));
	assert_true(get_be64(out + 32) == UINT64_C(0x7777777777777777));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xleave_request),
		cmocka_unit_test(test_classify_every_mode),
		cmocka_unit_test(test_classify_malformed),
		cmocka_unit_test(test_classify_short_control_private),
		cmocka_unit_test(test_verdict_names),
		cmocka_unit_test(test_build_synced),
		cmocka_unit_test(test_build_echoes_version_and_poll),
		cmocka_unit_test(test_build_leap_from_snapshot),
		cmocka_unit_test(test_build_dispersion),
		cmocka_unit_test(test_build_unsynchronised),
		cmocka_unit_test(test_build_serve_offset),
		cmocka_unit_test(test_build_across_2036),
		cmocka_unit_test(test_kod),
		cmocka_unit_test(test_rate_limited_silent_drop),
		cmocka_unit_test(test_auth_reply_same_key),
		cmocka_unit_test(test_auth_failures_dropped),
		cmocka_unit_test(test_auth_crypto_nak),
		cmocka_unit_test(test_auth_kod_and_none),
		cmocka_unit_test(test_symmetric_passive),
		cmocka_unit_test(test_auth_sha256_lengths),
	};

	return cmocka_run_group_tests_name("ntp_reply", tests, NULL, NULL);
}
