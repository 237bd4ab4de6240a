/* Unit tests for the hot-standby parts in src/standby/:
 *
 * sb_msg: round trips of every field at its extremes; the byte layout of
 * one heartbeat checked by hand, its MAC against OpenSSL's HMAC; every
 * malformed form (each truncation, trailing bytes, wrong magic, version,
 * type and length, wrong, unknown and non-SHA256 keys, each MAC bit, each
 * field out of range in a heartbeat re-signed with the right key so that
 * the field check is what refuses it). Every malformed buffer is decoded
 * from a heap copy of exactly its length, so ASan sees any overread.
 *
 * sb_peer: acceptance (own id, replay, an unproven new run, a capture of
 * an earlier run replayed after our restart, restarts), the RFC 5905 §8
 * offset and delay on known timestamps, the least-delay filter, loss.
 *
 * health: health_eval's rules, boundaries and precedence; the `health` and
 * `standby` directives through gnomond's configuration parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth/auth.h"
#include "lib/bytes.h"
#include "lib/conf.h"
#include "mon/alarm.h"
#include "prog/daemon_conf.h"
#include "standby/health.h"
#include "standby/sb_msg.h"
#include "standby/sb_peer.h"
#include "standby/standby.h"

#include "../fuzz/sb_example.h"

#define LEN SB_MSG_LEN
#define BODY SB_MSG_BODY_LEN

static struct auth_keys *keys;

static int setup(void **state)
{
	struct conf_errors errs;

	(void)state;
	keys = auth_keys_parse(sb_example_keys, sizeof(sb_example_keys) - 1, "keys", &errs);
	return keys ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	auth_keys_destroy(keys);
	return 0;
}

/* ---- sb_msg ---- */

/* Decode from a heap buffer of exactly len bytes. */
static enum sb_msg_verdict decode_exact(const uint8_t *buf, size_t len, uint32_t key_id,
					struct sb_msg *out)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum sb_msg_verdict v;

	assert_non_null(copy);
	memcpy(copy, buf, len);
	v = sb_msg_decode(copy, len, keys, key_id, out);
	free(copy);
	return v;
}

static void encode_ok(const struct sb_msg *m, uint32_t key_id, uint8_t buf[LEN])
{
	int n = sb_msg_encode(m, keys, key_id, buf, LEN);

	if (n != LEN)
		fail_msg("encode: %d (bad field %s)", n, sb_msg_check_fields(m));
}

/* Sign buf's body again with key_id (after a field was changed by hand). */
static void resign(uint8_t buf[LEN], uint32_t key_id)
{
	assert_int_equal(auth_hmac_sha256(keys, key_id, buf, BODY, buf + BODY), 0);
}

static void assert_same(const struct sb_msg *a, const struct sb_msg *b)
{
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->health, b->health);
	assert_int_equal(a->role, b->role);
	assert_true(a->node_id == b->node_id);
	assert_true(a->seq == b->seq);
	assert_true(a->xmt == b->xmt);
	assert_true(a->org == b->org);
	assert_true(a->rec == b->rec);
	assert_true(a->root_delay == b->root_delay);
	assert_true(a->root_disp == b->root_disp);
	assert_int_equal(a->stratum, b->stratum);
	assert_int_equal(a->leap, b->leap);
	assert_int_equal(a->priority, b->priority);
	assert_int_equal(a->interval_ms, b->interval_ms);
}

/* Encode, decode, compare, encode again: the same bytes. */
static void round_trip(const struct sb_msg *m, uint32_t key_id)
{
	uint8_t buf[LEN], again[LEN];
	struct sb_msg out;

	encode_ok(m, key_id, buf);
	assert_int_equal(decode_exact(buf, LEN, key_id, &out), SB_MSG_OK);
	assert_same(m, &out);
	assert_int_equal(out.key_id, key_id);
	assert_null(out.bad_field);
	encode_ok(&out, out.key_id, again);
	assert_memory_equal(buf, again, LEN);
}

static void test_msg_round_trip_extremes(void **state)
{
	struct sb_msg m;
	unsigned i;

	(void)state;
	sb_example_msg(&m);
	round_trip(&m, SB_EXAMPLE_KEY);
	round_trip(&m, SB_EXAMPLE_OTHER_KEY);

	/* Lowest values; no echo. */
	m = (struct sb_msg){ .node_id = 1, .xmt = 1, .stratum = 1, .interval_ms = 1 };
	round_trip(&m, SB_EXAMPLE_KEY);
	/* Highest values. */
	m = (struct sb_msg){
		.flags = SB_FLAGS_KNOWN, .health = 2, .role = SB_ROLE_MAX, .node_id = UINT64_MAX,
		.seq = UINT64_MAX, .xmt = INT64_MAX, .org = INT64_MAX, .rec = INT64_MAX,
		.root_delay = INT64_MAX, .root_disp = INT64_MAX, .stratum = 16, .leap = 3,
		.priority = 255, .interval_ms = SB_MSG_MAX_INTERVAL_MS,
	};
	round_trip(&m, SB_EXAMPLE_KEY);
	/* The lowest echo; the top bit of each 64-bit id. */
	m.org = 1;
	m.rec = 1;
	m.node_id = UINT64_C(1) << 63;
	m.seq = UINT64_C(1) << 63;
	round_trip(&m, SB_EXAMPLE_KEY);
	/* Every value of the small fields. */
	for (i = 0; i <= 2; i++) {
		m.health = (uint8_t)i;
		round_trip(&m, SB_EXAMPLE_KEY);
	}
	for (i = 0; i <= SB_ROLE_MAX; i++) {
		m.role = (uint8_t)i;
		round_trip(&m, SB_EXAMPLE_KEY);
	}
	for (i = 1; i <= 16; i++) {
		m.stratum = (uint8_t)i;
		round_trip(&m, SB_EXAMPLE_KEY);
	}
	for (i = 0; i <= 3; i++) {
		m.leap = (uint8_t)i;
		round_trip(&m, SB_EXAMPLE_KEY);
	}
	for (i = 0; i <= 255; i += 51) {
		m.priority = (uint8_t)i;
		round_trip(&m, SB_EXAMPLE_KEY);
	}
}

static void expect_be(const uint8_t *p, uint64_t v, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (p[i] != (uint8_t)(v >> (8 * (n - 1 - i))))
			fail_msg("byte %u of a %u-byte field: %02x, expected %02x", i, n, p[i],
				 (uint8_t)(v >> (8 * (n - 1 - i))));
}

/* The layout of doc/standby.md, byte by byte, on the example heartbeat;
 * the MAC recomputed with OpenSSL from the key's bytes. */
static void test_msg_layout(void **state)
{
	static const uint8_t head[12] = { 'G', 'N', 'S', 'B', 1, 1, 0, 112, 0, 1, 0, 1 };
	uint8_t buf[LEN], key[32], mac[EVP_MAX_MD_SIZE];
	unsigned mac_len = 0, i;
	struct sb_msg m;

	(void)state;
	sb_example_msg(&m);
	encode_ok(&m, SB_EXAMPLE_KEY, buf);
	assert_memory_equal(buf, head, sizeof(head));	/* magic .. role */
	expect_be(buf + 12, SB_EXAMPLE_KEY, 4);
	expect_be(buf + 16, UINT64_C(0x5b5b5b5b01020304), 8);
	expect_be(buf + 24, 7, 8);
	expect_be(buf + 32, (uint64_t)(SB_EXAMPLE_T0 + 500000000), 8);
	expect_be(buf + 40, (uint64_t)SB_EXAMPLE_T0, 8);
	expect_be(buf + 48, (uint64_t)(SB_EXAMPLE_T0 + 400000000), 8);
	expect_be(buf + 56, 1500000, 8);
	expect_be(buf + 64, 2500000, 8);
	assert_int_equal(buf[72], 2);		/* stratum */
	assert_int_equal(buf[73], 0);		/* leap */
	assert_int_equal(buf[74], 150);		/* priority */
	assert_int_equal(buf[75], 0);		/* reserved */
	expect_be(buf + 76, 1000, 4);		/* interval, ms */
	/* HMAC-SHA256 (RFC 2104) of the 80-byte body, key 1 = 0x20..0x3f. */
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0x20 + i);
	assert_non_null(HMAC(EVP_sha256(), key, sizeof(key), buf, BODY, mac, &mac_len));
	assert_int_equal(mac_len, 32);
	assert_memory_equal(buf + BODY, mac, 32);
	/* A negative number is two's complement: xmt of INT64_MIN would be
	 * 0x80..., refused on decode (test_msg_bad_fields). */
}

static void test_msg_encode_errors(void **state)
{
	uint8_t buf[LEN + 8];
	struct sb_msg m;

	(void)state;
	sb_example_msg(&m);
	assert_int_equal(sb_msg_encode(&m, keys, SB_EXAMPLE_KEY, buf, LEN - 1), -ENOSPC);
	assert_int_equal(sb_msg_encode(&m, keys, SB_EXAMPLE_KEY, buf, 0), -ENOSPC);
	assert_int_equal(sb_msg_encode(&m, keys, SB_EXAMPLE_KEY, buf, sizeof(buf)), LEN);
	assert_int_equal(sb_msg_encode(&m, keys, 99, buf, sizeof(buf)), -ENOKEY);
	assert_int_equal(sb_msg_encode(&m, keys, SB_EXAMPLE_MD5_KEY, buf, sizeof(buf)),
			 -EKEYREJECTED);
	assert_int_equal(sb_msg_encode(&m, NULL, SB_EXAMPLE_KEY, buf, sizeof(buf)), -ENOKEY);
	m.stratum = 0;
	assert_int_equal(sb_msg_encode(&m, keys, SB_EXAMPLE_KEY, buf, sizeof(buf)), -EINVAL);
}

static void test_msg_truncated_and_trailing(void **state)
{
	uint8_t buf[LEN + 64];
	struct sb_msg m, out;
	size_t len;

	(void)state;
	sb_example_msg(&m);
	memset(buf, 0, sizeof(buf));
	encode_ok(&m, SB_EXAMPLE_KEY, buf);
	for (len = 0; len < LEN; len++) {
		memset(&out, 0xa5, sizeof(out));
		if (decode_exact(buf, len, SB_EXAMPLE_KEY, &out) != SB_MSG_SHORT)
			fail_msg("%zu bytes not short", len);
		/* out is zeroed on every verdict. */
		assert_true(out.node_id == 0 && out.key_id == 0 && out.bad_field == NULL);
	}
	assert_int_equal(decode_exact(buf, LEN, SB_EXAMPLE_KEY, &out), SB_MSG_OK);
	/* Bytes after a whole, authentic heartbeat. */
	for (len = LEN + 1; len <= sizeof(buf); len += 7)
		if (decode_exact(buf, len, SB_EXAMPLE_KEY, &out) != SB_MSG_BAD_LENGTH)
			fail_msg("%zu bytes not bad_length", len);
}

static void test_msg_bad_header(void **state)
{
	static const struct { unsigned off; uint8_t val; enum sb_msg_verdict v; } cases[] = {
		{ 0, 'g', SB_MSG_BAD_MAGIC }, { 1, 'n', SB_MSG_BAD_MAGIC },
		{ 2, 'T', SB_MSG_BAD_MAGIC }, { 3, 0, SB_MSG_BAD_MAGIC },
		{ 4, 0, SB_MSG_BAD_VERSION }, { 4, 2, SB_MSG_BAD_VERSION },
		{ 4, 255, SB_MSG_BAD_VERSION },
		{ 5, 0, SB_MSG_BAD_TYPE }, { 5, 2, SB_MSG_BAD_TYPE }, { 5, 255, SB_MSG_BAD_TYPE },
		{ 7, 111, SB_MSG_BAD_LENGTH }, { 7, 113, SB_MSG_BAD_LENGTH },
		{ 7, 0, SB_MSG_BAD_LENGTH }, { 6, 1, SB_MSG_BAD_LENGTH },
	};
	uint8_t good[LEN], buf[LEN];
	struct sb_msg m, out;
	size_t i;

	(void)state;
	sb_example_msg(&m);
	encode_ok(&m, SB_EXAMPLE_KEY, good);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(buf, good, LEN);
		buf[cases[i].off] = cases[i].val;
		resign(buf, SB_EXAMPLE_KEY);	/* the header check refuses, not the MAC */
		if (decode_exact(buf, LEN, SB_EXAMPLE_KEY, &out) != cases[i].v)
			fail_msg("byte %u = %u: not %s", cases[i].off, cases[i].val,
				 sb_msg_verdict_name(cases[i].v));
	}
}

static void test_msg_keys(void **state)
{
	uint8_t buf[LEN];
	struct sb_msg m, out;

	(void)state;
	sb_example_msg(&m);
	/* Signed with key 1, our key is 3: another pair's. */
	encode_ok(&m, SB_EXAMPLE_KEY, buf);
	assert_int_equal(decode_exact(buf, LEN, SB_EXAMPLE_OTHER_KEY, &out), SB_MSG_WRONG_KEY);
	assert_int_equal(out.key_id, SB_EXAMPLE_KEY);
	/* Key 3's MAC under key id 1: the id names a key, the MAC is not its. */
	encode_ok(&m, SB_EXAMPLE_OTHER_KEY, buf);
	put_be32(buf + 12, SB_EXAMPLE_KEY);
	assert_int_equal(decode_exact(buf, LEN, SB_EXAMPLE_KEY, &out), SB_MSG_BAD_MAC);
	/* A key id that the key file does not have, configured and sent. */
	put_be32(buf + 12, 99);
	assert_int_equal(decode_exact(buf, LEN, 99, &out), SB_MSG_UNKNOWN_KEY);
	/* An MD5 key: never a heartbeat key, whatever the MAC. */
	put_be32(buf + 12, SB_EXAMPLE_MD5_KEY);
	assert_int_equal(decode_exact(buf, LEN, SB_EXAMPLE_MD5_KEY, &out), SB_MSG_UNKNOWN_KEY);
	/* No key file at all. */
	encode_ok(&m, SB_EXAMPLE_KEY, buf);
	assert_int_equal(sb_msg_decode(buf, LEN, NULL, SB_EXAMPLE_KEY, &out), SB_MSG_UNKNOWN_KEY);
	/* Key id 0 (unsigned in NTP terms) is just another id not configured. */
	put_be32(buf + 12, 0);
	assert_int_equal(decode_exact(buf, LEN, SB_EXAMPLE_KEY, &out), SB_MSG_WRONG_KEY);
}

static void test_msg_bit_flips(void **state)
{
	uint8_t good[LEN], buf[LEN];
	struct sb_msg m, out;
	unsigned bit;

	(void)state;
	sb_example_msg(&m);
	encode_ok(&m, SB_EXAMPLE_KEY, good);
	/* Each bit of the MAC. */
	for (bit = BODY * 8; bit < LEN * 8; bit++) {
		memcpy(buf, good, LEN);
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (decode_exact(buf, LEN, SB_EXAMPLE_KEY, &out) != SB_MSG_BAD_MAC)
			fail_msg("MAC bit %u flipped: not bad_mac", bit - BODY * 8);
	}
	/* Each bit of the body: never OK; past the header and the key id,
	 * always the MAC that refuses it. */
	for (bit = 0; bit < BODY * 8; bit++) {
		enum sb_msg_verdict v;

		memcpy(buf, good, LEN);
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		v = decode_exact(buf, LEN, SB_EXAMPLE_KEY, &out);
		if (v == SB_MSG_OK || (bit >= 16 * 8 && v != SB_MSG_BAD_MAC))
			fail_msg("body bit %u flipped: %s", bit, sb_msg_verdict_name(v));
	}
}

/* Set an n-byte big-endian field at off of the example, re-sign with key
 * 1 and expect the field check to name `field`. */
static void expect_bad_field(unsigned off, unsigned n, uint64_t v, const char *field,
			     bool echo)
{
	uint8_t buf[LEN];
	struct sb_msg m, out;
	unsigned i;

	sb_example_msg(&m);
	if (!echo) {
		m.flags = 0;
		m.org = m.rec = 0;
	}
	encode_ok(&m, SB_EXAMPLE_KEY, buf);
	for (i = 0; i < n; i++)
		buf[off + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	resign(buf, SB_EXAMPLE_KEY);
	if (decode_exact(buf, LEN, SB_EXAMPLE_KEY, &out) != SB_MSG_BAD_FIELD)
		fail_msg("offset %u = %llx: not bad_field", off, (unsigned long long)v);
	assert_non_null(out.bad_field);
	if (strcmp(out.bad_field, field))
		fail_msg("offset %u = %llx: bad field '%s', expected '%s'", off,
			 (unsigned long long)v, out.bad_field, field);
	/* The same value in a struct: the encoder refuses it too (but the
	 * reserved byte, which has no field). */
	if (strcmp(field, "reserved")) {
		uint8_t again[LEN];

		assert_string_equal(sb_msg_check_fields(&out), field);
		assert_int_equal(sb_msg_encode(&out, keys, SB_EXAMPLE_KEY, again, LEN), -EINVAL);
	}
}

static void test_msg_bad_fields(void **state)
{
	const uint64_t neg1 = UINT64_MAX, min = UINT64_C(1) << 63;

	(void)state;
	expect_bad_field(8, 2, 0x0003, "flags", true);
	expect_bad_field(8, 2, 0x0002, "flags", false);
	expect_bad_field(8, 2, 0x8000, "flags", false);
	expect_bad_field(8, 2, 0xffff, "flags", true);
	expect_bad_field(10, 1, 3, "health", true);
	expect_bad_field(10, 1, 255, "health", true);
	expect_bad_field(11, 1, SB_ROLE_MAX + 1, "role", true);
	expect_bad_field(11, 1, 255, "role", true);
	expect_bad_field(16, 8, 0, "node_id", true);
	expect_bad_field(32, 8, 0, "xmt", true);
	expect_bad_field(32, 8, neg1, "xmt", true);
	expect_bad_field(32, 8, min, "xmt", true);
	/* With the echo flag, org and rec must be > 0; without it, 0. */
	expect_bad_field(40, 8, 0, "org", true);
	expect_bad_field(40, 8, neg1, "org", true);
	expect_bad_field(40, 8, min, "org", true);
	expect_bad_field(40, 8, 1, "org", false);
	expect_bad_field(40, 8, neg1, "org", false);
	expect_bad_field(48, 8, 0, "rec", true);
	expect_bad_field(48, 8, neg1, "rec", true);
	expect_bad_field(48, 8, 1, "rec", false);
	expect_bad_field(48, 8, min, "rec", false);
	expect_bad_field(56, 8, neg1, "root_delay", true);
	expect_bad_field(56, 8, min, "root_delay", true);
	expect_bad_field(64, 8, neg1, "root_dispersion", true);
	expect_bad_field(64, 8, min, "root_dispersion", true);
	expect_bad_field(72, 1, 0, "stratum", true);
	expect_bad_field(72, 1, 17, "stratum", true);
	expect_bad_field(72, 1, 255, "stratum", true);
	expect_bad_field(73, 1, 4, "leap", true);
	expect_bad_field(73, 1, 255, "leap", true);
	expect_bad_field(76, 4, 0, "interval", true);
	expect_bad_field(76, 4, SB_MSG_MAX_INTERVAL_MS + 1, "interval", true);
	expect_bad_field(76, 4, UINT32_MAX, "interval", true);
	expect_bad_field(75, 1, 1, "reserved", true);
	expect_bad_field(75, 1, 0x80, "reserved", false);
}

static void test_msg_names(void **state)
{
	int v, w;

	(void)state;
	for (v = 0; v < SB_MSG_VERDICT_COUNT; v++) {
		assert_string_not_equal(sb_msg_verdict_name((enum sb_msg_verdict)v), "?");
		for (w = 0; w < v; w++)
			assert_string_not_equal(sb_msg_verdict_name((enum sb_msg_verdict)v),
						sb_msg_verdict_name((enum sb_msg_verdict)w));
	}
	assert_string_equal(sb_msg_verdict_name(SB_MSG_OK), "ok");
	assert_string_equal(sb_msg_verdict_name(SB_MSG_BAD_FIELD), "bad_field");
	assert_string_equal(sb_msg_verdict_name(SB_MSG_VERDICT_COUNT), "?");
	assert_string_equal(sb_msg_verdict_name((enum sb_msg_verdict)-1), "?");
	assert_string_equal(sb_accept_name(SB_ACC_OK), "ok");
	assert_string_equal(sb_accept_name(SB_ACC_OWN), "own");
	assert_string_equal(sb_accept_name(SB_ACC_REPLAY), "replay");
	assert_string_equal(sb_accept_name(SB_ACC_UNPROVEN), "unproven");
	assert_string_equal(sb_accept_name((enum sb_accept)9), "?");
}

/* ---- sb_peer ---- */

#define OWN UINT64_C(0x1111)
#define A UINT64_C(0xaaaa)
#define B UINT64_C(0xbbbb)
#define C UINT64_C(0xcccc)
#define S GT_NS_PER_S
#define MS GT_NS_PER_MS
#define T0 SB_EXAMPLE_T0
#define MONO0 (1000 * S)

/* A heartbeat of node `node`, number seq, sent at xmt; org > 0: it echoes
 * org, received at rec. */
static struct sb_msg hb(uint64_t node, uint64_t seq, gt_ns xmt, gt_ns org, gt_ns rec)
{
	struct sb_msg m = {
		.node_id = node, .seq = seq, .xmt = xmt, .stratum = 2, .interval_ms = 1000,
	};

	if (org > 0) {
		m.flags = SB_FLAG_ECHO;
		m.org = org;
		m.rec = rec;
	}
	assert_null(sb_msg_check_fields(&m));
	return m;
}

static enum sb_accept acc(struct sb_peer *p, const struct sb_msg *m, gt_ns rx, bool lost)
{
	return sb_peer_accept(p, m, OWN, rx, MONO0 + (rx - T0), lost);
}

/* Partner A heard and proven: we sent T0, it echoes it in seq 1. */
static void peer_with_a(struct sb_peer *p)
{
	struct sb_msg m = hb(A, 1, T0 + 100 * MS, T0, T0 + 50 * MS);

	sb_peer_init(p);
	sb_peer_sent(p, T0);
	assert_int_equal(acc(p, &m, T0 + 150 * MS, true), SB_ACC_OK);
	assert_true(p->heard);
}

static void test_peer_own(void **state)
{
	struct sb_peer p;
	struct sb_msg m = hb(OWN, 1, T0, 0, 0);

	(void)state;
	sb_peer_init(&p);
	sb_peer_sent(&p, T0);
	assert_int_equal(acc(&p, &m, T0, true), SB_ACC_OWN);
	/* Even echoing our own transmit time (a loop back to us). */
	m = hb(OWN, 2, T0 + S, T0, T0);
	assert_int_equal(acc(&p, &m, T0 + S, true), SB_ACC_OWN);
	assert_false(p.heard);
	assert_true(p.echo_xmt == 0);
}

/* The first contact: the partner's first heartbeat echoes nothing of ours;
 * ours echoes it; its next echoes ours and is believed. */
static void test_peer_first_contact(void **state)
{
	struct sb_peer p;
	struct sb_msg m;
	struct sb_sample smp;

	(void)state;
	sb_peer_init(&p);
	assert_false(sb_peer_offset(&p, &smp));
	sb_peer_sent(&p, T0);			/* not heard by A */
	m = hb(A, 1, T0 + 300 * MS, 0, 0);
	assert_int_equal(acc(&p, &m, T0 + 310 * MS, true), SB_ACC_UNPROVEN);
	assert_false(p.heard);
	assert_true(p.echo_xmt == T0 + 300 * MS);	/* our next echoes it */
	assert_true(p.echo_rx == T0 + 310 * MS);
	assert_false(sb_peer_exchange(&p, &m, T0 + 310 * MS, MS, &smp));
	/* An echo of a time we never sent proves nothing either. */
	m = hb(A, 2, T0 + 1300 * MS, T0 + 7, T0 + 1200 * MS);
	assert_int_equal(acc(&p, &m, T0 + 1310 * MS, true), SB_ACC_UNPROVEN);
	assert_true(p.echo_xmt == T0 + 1300 * MS);
	assert_false(sb_peer_exchange(&p, &m, T0 + 1310 * MS, MS, &smp));
	/* We send at T0 + 1 s; A echoes it. */
	sb_peer_sent(&p, T0 + S);
	m = hb(A, 3, T0 + 2300 * MS, T0 + S, T0 + S + 10 * MS);
	assert_int_equal(acc(&p, &m, T0 + 2310 * MS, true), SB_ACC_OK);
	assert_true(p.heard);
	assert_true(p.node_id == A);
	assert_true(p.seq == 3);
	assert_true(p.last_xmt == T0 + 2300 * MS);
	assert_true(p.last_rx == T0 + 2310 * MS);
	assert_true(p.echo_xmt == T0 + 2300 * MS);
	assert_true(p.echo_rx == T0 + 2310 * MS);
	assert_true(p.last_heard_mono == MONO0 + 2310 * MS);
	assert_true(p.last.seq == 3);
	assert_true(p.restarts == 0);
	assert_true(sb_peer_exchange(&p, &m, T0 + 2310 * MS, MS, &smp));
	assert_true(p.exchanges == 1);
	assert_true(sb_peer_offset(&p, &smp));
}

static void test_peer_replay_same_node(void **state)
{
	struct sb_peer p;
	struct sb_msg m;

	(void)state;
	peer_with_a(&p);
	/* The same seq again, and an older one: both seen. */
	m = hb(A, 1, T0 + 100 * MS, T0, T0 + 50 * MS);
	assert_int_equal(acc(&p, &m, T0 + 2 * S, false), SB_ACC_REPLAY);
	m = hb(A, 0, T0 + 5 * S, 0, 0);
	assert_int_equal(acc(&p, &m, T0 + 2 * S, false), SB_ACC_REPLAY);
	/* Nothing of a refused one is taken. */
	assert_true(p.seq == 1);
	assert_true(p.last_xmt == T0 + 100 * MS);
	assert_true(p.last_heard_mono == MONO0 + 150 * MS);
	/* Of the node believed, a later seq is taken without an echo. */
	m = hb(A, 2, T0 + 1100 * MS, 0, 0);
	assert_int_equal(acc(&p, &m, T0 + 1150 * MS, false), SB_ACC_OK);
	assert_true(p.seq == 2);
	m = hb(A, UINT64_MAX, T0 + 2100 * MS, 0, 0);
	assert_int_equal(acc(&p, &m, T0 + 2150 * MS, false), SB_ACC_OK);
	/* seq does not wrap: after UINT64_MAX nothing of this node is new. */
	m = hb(A, 0, T0 + 3100 * MS, 0, 0);
	assert_int_equal(acc(&p, &m, T0 + 3150 * MS, false), SB_ACC_REPLAY);
}

/* A new node id while the partner believed is alive is not echoed (it may
 * be an intruder's replay); once the partner is lost it is. */
static void test_peer_new_node(void **state)
{
	struct sb_peer p;
	struct sb_msg m;
	struct sb_sample smp;

	(void)state;
	peer_with_a(&p);
	m = hb(A, 1, T0 + 100 * MS, T0, T0 + 50 * MS);
	assert_true(sb_peer_exchange(&p, &m, T0 + 150 * MS, MS, &smp));
	assert_true(sb_peer_offset(&p, &smp));
	m = hb(B, 1, T0 + 5 * S, 0, 0);
	assert_int_equal(acc(&p, &m, T0 + 5 * S, false), SB_ACC_UNPROVEN);
	assert_true(p.echo_xmt == T0 + 100 * MS);	/* still A's */
	assert_int_equal(acc(&p, &m, T0 + 5 * S, true), SB_ACC_UNPROVEN);
	assert_true(p.echo_xmt == T0 + 5 * S);		/* B's now */
	assert_true(p.echo_rx == T0 + 5 * S);
	assert_true(p.node_id == A);
	/* B echoes our next heartbeat: believed, a restart. */
	sb_peer_sent(&p, T0 + 5500 * MS);
	m = hb(B, 2, T0 + 6 * S, T0 + 5500 * MS, T0 + 5510 * MS);
	assert_int_equal(acc(&p, &m, T0 + 6010 * MS, true), SB_ACC_OK);
	assert_true(p.node_id == B);
	assert_true(p.seq == 2);
	assert_true(p.restarts == 1);
	/* The filter starts again: the new run's clock may differ. */
	assert_false(sb_peer_offset(&p, &smp));
	assert_true(sb_peer_exchange(&p, &m, T0 + 6010 * MS, MS, &smp));
	assert_true(sb_peer_offset(&p, &smp));
	/* B's seq 1 (a lower one) after B is believed: a replay. */
	m = hb(B, 1, T0 + 5 * S, 0, 0);
	assert_int_equal(acc(&p, &m, T0 + 6100 * MS, false), SB_ACC_REPLAY);
}

/* We restarted (a fresh sb_peer); an intruder replays what the partner
 * sent in our earlier run, again and again: its echoes name transmit
 * times of that run, so it stays unproven however long it goes on. */
static void test_peer_capture_after_our_restart(void **state)
{
	struct sb_msg capture[16];
	struct sb_peer p;
	gt_ns now = T0 + 3600 * S;
	int i, round;

	(void)state;
	/* The capture: partner A of the earlier run, echoing our T0 + i s. */
	for (i = 0; i < 16; i++)
		capture[i] = hb(A, (uint64_t)i + 1, T0 + i * S + 500 * MS, T0 + i * S,
				T0 + i * S + 400 * MS);
	capture[0] = hb(A, 1, T0 + 500 * MS, 0, 0);
	sb_peer_init(&p);
	for (round = 0; round < 20; round++) {
		for (i = 0; i < 16; i++) {
			sb_peer_sent(&p, now);	/* our new run keeps sending */
			now += S;
			assert_int_equal(acc(&p, &capture[i], now, round % 2), SB_ACC_UNPROVEN);
			/* It is the candidate we echo, which does not help it. */
			assert_true(p.echo_xmt == capture[i].xmt);
		}
	}
	assert_false(p.heard);
	assert_true(p.restarts == 0);
	assert_true(sb_peer_lost(&p, MONO0 + 7200 * S, 3, 2 * S));
}

/* The partner restarted (B believed); A's heartbeats of its earlier run,
 * replayed, are older than the last one accepted: refused, even those
 * echoing transmit times of ours still in the ring. */
static void test_peer_old_run_after_partner_restart(void **state)
{
	struct sb_msg a_old[4], m;
	struct sb_peer p;
	int i;

	(void)state;
	sb_peer_init(&p);
	for (i = 0; i < 4; i++) {
		sb_peer_sent(&p, T0 + i * S);
		a_old[i] = hb(A, (uint64_t)i + 1, T0 + i * S + 500 * MS, T0 + i * S,
			      T0 + i * S + 400 * MS);
		assert_int_equal(acc(&p, &a_old[i], T0 + i * S + 510 * MS, false), SB_ACC_OK);
	}
	/* A stops; B (its restart) echoes our next one. */
	sb_peer_sent(&p, T0 + 10 * S);
	m = hb(B, 1, T0 + 10 * S + 500 * MS, T0 + 10 * S, T0 + 10 * S + 400 * MS);
	assert_int_equal(acc(&p, &m, T0 + 10 * S + 510 * MS, true), SB_ACC_OK);
	assert_true(p.restarts == 1);
	for (i = 0; i < 4; i++) {
		assert_int_equal(acc(&p, &a_old[i], T0 + 11 * S, false), SB_ACC_REPLAY);
		assert_int_equal(acc(&p, &a_old[i], T0 + 11 * S, true), SB_ACC_REPLAY);
	}
	assert_true(p.node_id == B);
	assert_true(p.echo_xmt == T0 + 10 * S + 500 * MS);	/* not moved by a replay */
	/* Restarts are counted: C, then A again (a node id is random, but
	 * one that reappears with a fresh echo and a later xmt is a run). */
	sb_peer_sent(&p, T0 + 20 * S);
	m = hb(C, 1, T0 + 20 * S + 500 * MS, T0 + 20 * S, T0 + 20 * S + 400 * MS);
	assert_int_equal(acc(&p, &m, T0 + 20 * S + 510 * MS, true), SB_ACC_OK);
	sb_peer_sent(&p, T0 + 30 * S);
	m = hb(A, 1, T0 + 30 * S + 500 * MS, T0 + 30 * S, T0 + 30 * S + 400 * MS);
	assert_int_equal(acc(&p, &m, T0 + 30 * S + 510 * MS, true), SB_ACC_OK);
	assert_true(p.restarts == 3);
	/* A restart whose clock is behind the last accepted xmt: refused as
	 * a replay (documented: it cannot be told from one). */
	sb_peer_sent(&p, T0 + 40 * S);
	m = hb(B + 1, 1, T0 + 30 * S, T0 + 40 * S, T0 + 29 * S);
	assert_int_equal(acc(&p, &m, T0 + 40 * S + 510 * MS, true), SB_ACC_REPLAY);
}

/* One exchange on known t1..t4 (RFC 5905 §8). */
static struct sb_sample exchange_ok(struct sb_peer *p, gt_ns t1, gt_ns t2, gt_ns t3, gt_ns t4)
{
	struct sb_msg m = hb(A, 1, t3, t1, t2);
	struct sb_sample smp;

	sb_peer_sent(p, t1);
	if (!sb_peer_exchange(p, &m, t4, MS, &smp))
		fail_msg("exchange refused");
	assert_true(p->latest.offset == smp.offset && p->latest.delay == smp.delay);
	return smp;
}

static void test_peer_exchange_formula(void **state)
{
	struct sb_peer p;
	struct sb_sample s;
	struct sb_msg m;
	uint64_t n;

	(void)state;
	sb_peer_init(&p);
	/* In step, 10 ms each way, held 20 ms: offset 0, delay 20 ms. */
	s = exchange_ok(&p, T0, T0 + 10 * MS, T0 + 30 * MS, T0 + 40 * MS);
	assert_true(s.offset == 0);
	assert_true(s.delay == 20 * MS);
	/* The partner's clock 5 s ahead: offset 5 s exactly, delay unchanged. */
	s = exchange_ok(&p, T0 + S, T0 + S + 5 * S + 10 * MS, T0 + S + 5 * S + 30 * MS,
			T0 + S + 40 * MS);
	assert_true(s.offset == 5 * S);
	assert_true(s.delay == 20 * MS);
	/* 5 s behind, to the nanosecond. */
	s = exchange_ok(&p, T0 + 2 * S, T0 + 2 * S - 5 * S + 10 * MS + 1,
			T0 + 2 * S - 5 * S + 30 * MS + 1, T0 + 2 * S + 40 * MS);
	assert_true(s.offset == -5 * S + 1);
	assert_true(s.delay == 20 * MS);
	/* An asymmetric path (30 ms out, 10 ms back), clocks in step: half
	 * the asymmetry is the offset's error (RFC 5905 §8). */
	s = exchange_ok(&p, T0 + 3 * S, T0 + 3 * S + 30 * MS, T0 + 3 * S + 30 * MS,
			T0 + 3 * S + 40 * MS);
	assert_true(s.offset == 10 * MS);
	assert_true(s.delay == 40 * MS);
	n = p.exchanges;
	assert_true(n == 4);

	/* Without an echo, or echoing what we did not send: no exchange. */
	m = hb(A, 9, T0 + 9 * S, 0, 0);
	assert_false(sb_peer_exchange(&p, &m, T0 + 9 * S, MS, &s));
	m = hb(A, 9, T0 + 9 * S, T0 + 8 * S, T0 + 9 * S);
	assert_false(sb_peer_exchange(&p, &m, T0 + 9 * S, MS, &s));
	assert_true(p.exchanges == n);
}

static void test_peer_negative_delay(void **state)
{
	struct sb_peer p;
	struct sb_sample s;
	struct sb_msg m;

	(void)state;
	sb_peer_init(&p);
	/* Round trip -2 ms (held 3 ms within 1 ms): beyond max_neg 1 ms. */
	sb_peer_sent(&p, T0);
	m = hb(A, 1, T0 + 3 * MS, T0, T0);
	assert_false(sb_peer_exchange(&p, &m, T0 + MS, MS, &s));
	assert_true(p.exchanges == 0);
	assert_false(sb_peer_offset(&p, &s));
	/* -1 ms - 1 ns: just beyond. */
	m = hb(A, 1, T0 + 2 * MS + 1, T0, T0);
	assert_false(sb_peer_exchange(&p, &m, T0 + MS, MS, &s));
	/* Exactly -max_neg is noise, kept; so is -0.5 ms. */
	m = hb(A, 1, T0 + 2 * MS, T0, T0);
	assert_true(sb_peer_exchange(&p, &m, T0 + MS, MS, &s));
	assert_true(s.delay == -MS);
	m = hb(A, 1, T0 + 1500 * GT_NS_PER_US, T0, T0);
	assert_true(sb_peer_exchange(&p, &m, T0 + MS, MS, &s));
	assert_true(s.delay == -MS / 2);
	/* With max_neg 0 no negative round trip is kept. */
	assert_false(sb_peer_exchange(&p, &m, T0 + MS, 0, &s));
	assert_true(p.exchanges == 2);
}

/* A partner (it has the key) whose timestamps are absurd: the sums of
 * RFC 5905 §8 overflow 64 bits. No exchange, and no wrapped figure in the
 * filter (found by this test: the sums were unchecked). */
static void test_peer_exchange_overflow(void **state)
{
	struct sb_peer p;
	struct sb_sample s;
	struct sb_msg m;

	(void)state;
	sb_peer_init(&p);
	sb_peer_sent(&p, T0);
	m = hb(A, 1, INT64_MAX, T0, INT64_MAX);
	assert_false(sb_peer_exchange(&p, &m, T0 + MS, MS, &s));
	/* t3 - t2 near -2^63 makes the round trip overflow. */
	m = hb(A, 1, 1, T0, INT64_MAX);
	assert_false(sb_peer_exchange(&p, &m, T0 + MS, INT64_MAX, &s));
	/* Our receive time far back (a served clock in disorder). */
	m = hb(A, 1, INT64_MAX, T0, T0);
	assert_false(sb_peer_exchange(&p, &m, INT64_MIN + 1, MS, &s));
	assert_true(p.exchanges == 0);
	assert_false(sb_peer_offset(&p, &s));
	/* Large but representable: exact. */
	m = hb(A, 1, INT64_MAX / 2 + T0, T0, INT64_MAX / 2 + T0);
	assert_true(sb_peer_exchange(&p, &m, T0, MS, &s));
	assert_true(s.offset == INT64_MAX / 2 && s.delay == 0);
}

static void test_peer_filter(void **state)
{
	/* Round trips in ms; each sample's offset is its index + 1 in µs. */
	static const int delays[] = { 1, 10, 9, 8, 7, 6, 5, 4, 3, 12, 11, 13, 14, 15, 16, 17, 18 };
	struct sb_peer p;
	struct sb_sample s;
	struct sb_msg m;
	size_t i, j;

	(void)state;
	sb_peer_init(&p);
	assert_false(sb_peer_offset(&p, &s));
	for (i = 0; i < sizeof(delays) / sizeof(delays[0]); i++) {
		gt_ns t1 = T0 + (gt_ns)i * S, d = delays[i] * MS, off = ((gt_ns)i + 1) * 1000;
		size_t best = i;

		exchange_ok(&p, t1, t1 + off + d / 2, t1 + off + d / 2, t1 + d);
		for (j = i >= SB_FILTER ? i - SB_FILTER + 1 : 0; j <= i; j++)
			if (delays[j] < delays[best])
				best = j;
		assert_true(sb_peer_offset(&p, &s));
		if (s.delay != delays[best] * MS || s.offset != ((gt_ns)best + 1) * 1000)
			fail_msg("after %zu: delay %lld offset %lld, expected sample %zu", i + 1,
				 (long long)s.delay, (long long)s.offset, best);
	}
	assert_int_equal(p.n_filt, SB_FILTER);
	/* The latest is the last exchange, not the filtered one. */
	assert_true(p.latest.delay == 18 * MS);
	/* A new run of the partner empties the filter (test_peer_new_node). */
	sb_peer_sent(&p, T0 + 100 * S);
	m = hb(B, 1, T0 + 100 * S + 5, T0 + 100 * S, T0 + 100 * S + 5);
	assert_int_equal(acc(&p, &m, T0 + 100 * S + 10, true), SB_ACC_OK);
	assert_false(sb_peer_offset(&p, &s));
}

static void test_peer_lost(void **state)
{
	struct sb_peer p;
	struct sb_msg m;
	gt_ns heard;

	(void)state;
	sb_peer_init(&p);
	assert_true(sb_peer_lost(&p, 0, 3, 2 * S));	/* never heard */
	assert_true(sb_peer_lost(&p, MONO0, 3, 0));
	peer_with_a(&p);
	heard = p.last_heard_mono;
	/* Interval 1 s, 3 misses: lost after more than 3 s. */
	assert_false(sb_peer_lost(&p, heard, 3, 2 * S));
	assert_false(sb_peer_lost(&p, heard + 3 * S, 3, 2 * S));
	assert_true(sb_peer_lost(&p, heard + 3 * S + 1, 3, 2 * S));
	/* min_lost above misses x interval: it rules. */
	assert_false(sb_peer_lost(&p, heard + 5 * S, 3, 5 * S));
	assert_true(sb_peer_lost(&p, heard + 5 * S + 1, 3, 5 * S));
	assert_false(sb_peer_lost(&p, heard + 2 * S, 0, 2 * S));
	assert_true(sb_peer_lost(&p, heard + 2 * S + 1, 0, 2 * S));
	/* The partner's own interval counts: 100 ms x 3 < 2 s; an hour x 3. */
	m = hb(A, 2, T0 + 2 * S, 0, 0);
	m.interval_ms = 100;
	assert_int_equal(acc(&p, &m, T0 + 2 * S, false), SB_ACC_OK);
	heard = p.last_heard_mono;
	assert_false(sb_peer_lost(&p, heard + 2 * S, 3, 2 * S));
	assert_true(sb_peer_lost(&p, heard + 2 * S + 1, 3, 2 * S));
	m = hb(A, 3, T0 + 3 * S, 0, 0);
	m.interval_ms = SB_MSG_MAX_INTERVAL_MS;
	assert_int_equal(acc(&p, &m, T0 + 3 * S, false), SB_ACC_OK);
	heard = p.last_heard_mono;
	assert_false(sb_peer_lost(&p, heard + 3 * 3600 * S, 3, 2 * S));
	assert_true(sb_peer_lost(&p, heard + 3 * 3600 * S + 1, 3, 2 * S));
}

/* ---- health_eval ---- */

static struct health_result eval(const struct health_cfg *cfg, double rd, double age,
				 int alarm)
{
	struct health_in in = {
		.stratum = 2, .root_distance = rd, .age = age, .worst_alarm = alarm,
		.worst_alarm_name = alarm ? "offset" : NULL,
	};
	struct health_result r;

	health_eval(cfg, &in, &r);
	return r;
}

#define expect_health(r, st, frag) do {						\
	struct health_result r_ = (r);						\
	if (r_.state != (st) || !strstr(r_.reason, (frag)))			\
		fail_msg("%s: '%s', expected %s: '%s'",				\
			 health_state_name(r_.state), r_.reason,		\
			 health_state_name(st), (frag));			\
} while (0)

static void test_health_defaults_and_names(void **state)
{
	struct health_cfg c;

	(void)state;
	health_cfg_defaults(&c);
	assert_true(c.maxdistance == 1.0 && c.degraded == 0.1);
	assert_true(c.maxage == 0 && c.degradedage == 0);
	assert_int_equal(c.alarm_sev, ALARM_SEV_CRITICAL);
	assert_string_equal(health_state_name(HEALTH_SYNCED), "synchronised");
	assert_string_equal(health_state_name(HEALTH_DEGRADED), "degraded");
	assert_string_equal(health_state_name(HEALTH_UNSYNCED), "unsynchronised");
	assert_string_equal(health_state_name((enum health_state)3), "?");
}

static void test_health_root_distance(void **state)
{
	struct health_cfg c;

	(void)state;
	health_cfg_defaults(&c);
	expect_health(eval(&c, 0.05, 10, 0), HEALTH_SYNCED, "stratum 2, root distance 0.050000 s");
	expect_health(eval(&c, 0, 10, 0), HEALTH_SYNCED, "root distance 0.000000 s");
	/* degraded: above 0.1 s (0.1 itself is not). */
	expect_health(eval(&c, 0.1, 10, 0), HEALTH_SYNCED, "stratum 2");
	expect_health(eval(&c, nextafter(0.1, 1), 10, 0), HEALTH_DEGRADED,
		      "over degraded 0.1 s");
	expect_health(eval(&c, 0.5, 10, 0), HEALTH_DEGRADED,
		      "root distance 0.500000 s over degraded 0.1 s");
	/* unsynchronised: above 1 s; 1 s itself is degraded. */
	expect_health(eval(&c, 1.0, 10, 0), HEALTH_DEGRADED, "over degraded");
	expect_health(eval(&c, nextafter(1.0, 2), 10, 0), HEALTH_UNSYNCED,
		      "over maxdistance 1 s");
	expect_health(eval(&c, 9.3e9, 10, 0), HEALTH_UNSYNCED, "over maxdistance");
	expect_health(eval(&c, INFINITY, 10, 0), HEALTH_UNSYNCED, "over maxdistance");
	/* Unknown (NaN) is not within any limit. */
	expect_health(eval(&c, NAN, 10, 0), HEALTH_UNSYNCED, "over maxdistance");
	/* maxdistance 0: only a zero distance is synchronised. */
	c.maxdistance = 0;
	c.degraded = 0;
	expect_health(eval(&c, 0, 10, 0), HEALTH_SYNCED, "stratum 2");
	expect_health(eval(&c, 1e-9, 10, 0), HEALTH_UNSYNCED, "over maxdistance 0 s");
}

static void test_health_unsynced_clock(void **state)
{
	struct health_cfg c;
	struct health_in in = { .unsynced = true, .stratum = 16, .root_distance = 0 };
	struct health_result r;

	(void)state;
	health_cfg_defaults(&c);
	health_eval(&c, &in, &r);
	expect_health(r, HEALTH_UNSYNCED, "the clock is not synchronised (stratum 16)");
	/* It is the reason even when other rules hold too. */
	in.root_distance = 5;
	in.worst_alarm = ALARM_SEV_CRITICAL;
	health_eval(&c, &in, &r);
	expect_health(r, HEALTH_UNSYNCED, "not synchronised (stratum 16)");
}

static void test_health_age(void **state)
{
	struct health_cfg c;

	(void)state;
	health_cfg_defaults(&c);
	/* Off by default: any age is fine. */
	expect_health(eval(&c, 0.01, 1e9, 0), HEALTH_SYNCED, "stratum 2");
	c.maxage = 600;
	c.degradedage = 120;
	expect_health(eval(&c, 0.01, 120, 0), HEALTH_SYNCED, "stratum 2");
	expect_health(eval(&c, 0.01, 120.5, 0), HEALTH_DEGRADED,
		      "no correction for 120.5 s (degradedage 120 s)");
	expect_health(eval(&c, 0.01, 600, 0), HEALTH_DEGRADED, "degradedage");
	expect_health(eval(&c, 0.01, 600.5, 0), HEALTH_UNSYNCED,
		      "no correction for 600.5 s (maxage 600 s): the sources are lost");
	/* age < 0: `local stratum`, its own reference, never too old. */
	expect_health(eval(&c, 0.01, -1, 0), HEALTH_SYNCED, "stratum 2");
	expect_health(eval(&c, 0.01, -1e9, 0), HEALTH_SYNCED, "stratum 2");
	/* maxage alone. */
	c.degradedage = 0;
	expect_health(eval(&c, 0.01, 599, 0), HEALTH_SYNCED, "stratum 2");
	expect_health(eval(&c, 0.01, 601, 0), HEALTH_UNSYNCED, "maxage 600 s");
}

static void test_health_alarms(void **state)
{
	struct health_cfg c;

	(void)state;
	health_cfg_defaults(&c);
	/* Default: only a critical alarm degrades. */
	expect_health(eval(&c, 0.01, 1, ALARM_SEV_WARNING), HEALTH_SYNCED, "stratum 2");
	expect_health(eval(&c, 0.01, 1, ALARM_SEV_CRITICAL), HEALTH_DEGRADED,
		      "alarm offset is active (critical)");
	c.alarm_sev = ALARM_SEV_INFO;
	expect_health(eval(&c, 0.01, 1, ALARM_SEV_NONE), HEALTH_SYNCED, "stratum 2");
	expect_health(eval(&c, 0.01, 1, ALARM_SEV_INFO), HEALTH_DEGRADED, "(info)");
	expect_health(eval(&c, 0.01, 1, ALARM_SEV_WARNING), HEALTH_DEGRADED, "(warning)");
	c.alarm_sev = ALARM_SEV_WARNING;
	expect_health(eval(&c, 0.01, 1, ALARM_SEV_INFO), HEALTH_SYNCED, "stratum 2");
	expect_health(eval(&c, 0.01, 1, ALARM_SEV_WARNING), HEALTH_DEGRADED, "(warning)");
	/* off: no alarm degrades. */
	c.alarm_sev = 0;
	expect_health(eval(&c, 0.01, 1, ALARM_SEV_CRITICAL), HEALTH_SYNCED, "stratum 2");
	/* An alarm without a name. */
	{
		struct health_in in = { .stratum = 2, .root_distance = 0.01,
					.worst_alarm = ALARM_SEV_CRITICAL };
		struct health_result r;

		c.alarm_sev = ALARM_SEV_CRITICAL;
		health_eval(&c, &in, &r);
		expect_health(r, HEALTH_DEGRADED, "alarm ? is active (critical)");
	}
}

/* The worst state wins; of that state, the first rule's reason is kept
 * (order: maxdistance, maxage, degraded, degradedage, alarms). */
static void test_health_precedence(void **state)
{
	struct health_cfg c;

	(void)state;
	health_cfg_defaults(&c);
	c.maxage = 600;
	c.degradedage = 120;
	c.alarm_sev = ALARM_SEV_WARNING;
	/* Everything holds: maxdistance's reason. */
	expect_health(eval(&c, 2, 700, ALARM_SEV_CRITICAL), HEALTH_UNSYNCED,
		      "root distance 2.000000 s over maxdistance 1 s");
	/* Distance only degraded, age over maxage: unsynchronised by age. */
	expect_health(eval(&c, 0.5, 700, ALARM_SEV_CRITICAL), HEALTH_UNSYNCED, "maxage 600 s");
	/* All three degraded rules: the distance's reason. */
	expect_health(eval(&c, 0.5, 200, ALARM_SEV_CRITICAL), HEALTH_DEGRADED,
		      "over degraded 0.1 s");
	/* Age and alarm: the age's. */
	expect_health(eval(&c, 0.05, 200, ALARM_SEV_CRITICAL), HEALTH_DEGRADED,
		      "degradedage 120 s");
	/* An alarm and a distance over maxdistance: unsynchronised wins. */
	expect_health(eval(&c, 1.5, 1, ALARM_SEV_CRITICAL), HEALTH_UNSYNCED, "maxdistance");
	/* The reason names one rule only. */
	{
		struct health_result r = eval(&c, 0.5, 200, ALARM_SEV_CRITICAL);

		assert_null(strstr(r.reason, "alarm"));
		assert_null(strstr(r.reason, "correction"));
	}
}

/* ---- the directives, through gnomond's parser ---- */

static struct conf_errors errs;

static int dsetup(void **state)
{
	struct dconf *c = calloc(1, sizeof(*c));

	if (!c)
		return -1;
	dconf_init(c);
	*state = c;
	return 0;
}

static int dteardown(void **state)
{
	dconf_fini(*state);
	free(*state);
	return 0;
}

static int dparse(struct dconf *c, const char *text)
{
	memset(&errs, 0, sizeof(errs));
	return dconf_parse_buffer(c, "gnomond.conf", text, strlen(text), &errs);
}

/* text has one error, on line 1, holding both fragments (NULL: any). */
static void expect_conf_error(struct dconf *c, const char *text, const char *f1,
			      const char *f2)
{
	if (dparse(c, text) == 0 || errs.count != 1)
		fail_msg("'%s': %d errors", text, errs.count);
	if (strncmp(errs.msg[0], "gnomond.conf:1: ", 16))
		fail_msg("'%s': '%s' does not name the file and line", text, errs.msg[0]);
	if ((f1 && !strstr(errs.msg[0], f1)) || (f2 && !strstr(errs.msg[0], f2)))
		fail_msg("'%s': '%s' lacks '%s' / '%s'", text, errs.msg[0], f1, f2 ? f2 : "");
}

static void test_conf_health(void **state)
{
	struct dconf *c = *state;
	struct health_cfg before;

	assert_int_equal(dparse(c, "health\n"), 0);	/* the defaults */
	assert_true(c->health.maxdistance == 1.0 && c->health.degraded == 0.1);
	assert_int_equal(c->health.alarm_sev, ALARM_SEV_CRITICAL);
	assert_int_equal(dparse(c, "health maxdistance 2.5 degraded 0.25 maxage 900 degradedage "
				"300 alarms warning\n"), 0);
	assert_int_equal(errs.count, 0);
	assert_true(c->health.maxdistance == 2.5);
	assert_true(c->health.degraded == 0.25);
	assert_true(c->health.maxage == 900);
	assert_true(c->health.degradedage == 300);
	assert_int_equal(c->health.alarm_sev, ALARM_SEV_WARNING);
	assert_int_equal(dparse(c, "health alarms off\n"), 0);
	assert_int_equal(c->health.alarm_sev, 0);
	assert_int_equal(dparse(c, "health alarms info\n"), 0);
	assert_int_equal(c->health.alarm_sev, ALARM_SEV_INFO);
	assert_int_equal(dparse(c, "health alarms critical\n"), 0);
	assert_int_equal(c->health.alarm_sev, ALARM_SEV_CRITICAL);
	/* The range ends; degraded equal to maxdistance. */
	assert_int_equal(dparse(c, "health maxdistance 0 degraded 0 maxage 0 degradedage 0\n"), 0);
	assert_int_equal(dparse(c, "health maxdistance 1e6 degraded 1e6 maxage 1e6\n"), 0);
	assert_true(c->health.maxdistance == 1e6 && c->health.degraded == 1e6);
	/* Later options override earlier ones within the line. */
	assert_int_equal(dparse(c, "health degraded 0.1 maxdistance 3 maxdistance 4\n"), 0);
	assert_true(c->health.maxdistance == 4);

	before = c->health;
	expect_conf_error(c, "health frobnicate 1\n", "unknown option 'frobnicate'",
			  "allowed: maxdistance, degraded, maxage, degradedage, alarms");
	expect_conf_error(c, "health maxdistance\n", "'maxdistance' needs a value",
			  "[alarms critical|warning|info|off]");
	expect_conf_error(c, "health alarms\n", "'alarms' needs a value", "maxdistance S");
	expect_conf_error(c, "health frobnicate\n", "needs a value", NULL);
	expect_conf_error(c, "health maxdistance -1\n", "maxdistance: -1 is out of range",
			  "allowed: 0..1e+06");
	expect_conf_error(c, "health maxage 2e6\n", "maxage: 2e6 is out of range",
			  "allowed: 0..1e+06");
	expect_conf_error(c, "health degradedage -0.5\n", "out of range", "allowed: 0..1e+06");
	expect_conf_error(c, "health degraded abc\n", "'abc' is not a number", "allowed: 0..");
	expect_conf_error(c, "health maxdistance nan\n", "'nan' is not a number", NULL);
	expect_conf_error(c, "health maxdistance inf\n", "'inf' is not a number", NULL);
	expect_conf_error(c, "health alarms loud\n", "health alarms: 'loud'",
			  "allowed: critical, warning, info, off");
	expect_conf_error(c, "health alarms CRITICAL\n", "'CRITICAL'", "allowed: critical");
	expect_conf_error(c, "health maxdistance 1 degraded 2\n",
			  "degraded 2 s is over maxdistance 1 s", NULL);
	/* A maxdistance alone below the default degraded limit keeps the
	 * defaults' ratio. */
	{
		struct dconf d;

		dconf_init(&d);
		assert_int_equal(dparse(&d, "health maxdistance 0.05\n"), 0);
		assert_true(d.health.maxdistance == 0.05);
		assert_true(fabs(d.health.degraded - 0.005) < 1e-12);
		dconf_fini(&d);
	}
	/* A refused line changes nothing, even its valid options. */
	expect_conf_error(c, "health maxdistance 7 alarms loud\n", "loud", NULL);
	assert_memory_equal(&c->health, &before, sizeof(before));
}

static void test_conf_standby(void **state)
{
	struct dconf *c = *state;
	struct net_addr a;

	assert_false(c->standby.enabled);
	assert_int_equal(dparse(c, "standby partner 198.18.0.2 key 1\n"), 0);
	assert_true(c->standby.enabled);
	assert_int_equal(net_addr_parse("198.18.0.2", &a), 0);
	assert_int_equal(c->standby.partner.family, a.family);
	assert_memory_equal(c->standby.partner.a, a.a, 4);
	assert_int_equal(c->standby.port, SB_DEFAULT_PORT);
	assert_int_equal(c->standby.key, 1);
	assert_int_equal(c->standby.priority, SB_DEFAULT_PRIORITY);
	assert_true(c->standby.interval == 1);
	assert_false(c->standby.have_bind);

	assert_int_equal(dparse(c, "standby partner fd00::2 key 4294967295 port 65535 priority 0 "
				"interval 0.1 bind fd00::1\n"), 0);
	assert_int_equal(c->standby.partner.family, AF_INET6);
	assert_true(c->standby.key == UINT32_MAX);
	assert_int_equal(c->standby.port, 65535);
	assert_int_equal(c->standby.priority, 0);
	assert_true(c->standby.interval == 0.1);
	assert_true(c->standby.have_bind);
	assert_int_equal(c->standby.bind.family, AF_INET6);
	/* Options in any order after the partner; key last; the ends. */
	assert_int_equal(dparse(c, "standby partner 127.0.0.1 port 1 priority 255 interval 60 "
				"bind 127.0.0.2 key 9\n"), 0);
	assert_int_equal(c->standby.port, 1);
	assert_int_equal(c->standby.priority, 255);
	assert_true(c->standby.interval == 60);
	assert_int_equal(c->standby.key, 9);
	/* The wildcard as bind is allowed (it is the default). */
	assert_int_equal(dparse(c, "standby partner 127.0.0.1 key 9 bind 0.0.0.0\n"), 0);
	assert_true(c->standby.have_bind);
	assert_true(c->standby.interval == 1);	/* each line starts from the defaults */

	expect_conf_error(c, "standby\n", "expected: standby partner ADDR", "key ID");
	expect_conf_error(c, "standby partner\n", "expected: standby partner ADDR", NULL);
	expect_conf_error(c, "standby peer 127.0.0.1 key 1\n", "expected: standby partner ADDR",
			  "[bind ADDR]");
	expect_conf_error(c, "standby partner gnomon.example key 1\n",
			  "standby partner: 'gnomon.example' is not an IPv4 or IPv6 address", NULL);
	expect_conf_error(c, "standby partner 0.0.0.0 key 1\n", "'0.0.0.0' is not an IPv4 or "
			  "IPv6 address", NULL);
	expect_conf_error(c, "standby partner :: key 1\n", "'::' is not", NULL);
	expect_conf_error(c, "standby partner 127.0.0.1\n", "`key ID` is required", "SHA256");
	expect_conf_error(c, "standby partner 127.0.0.1 port 5000\n", "`key ID` is required",
			  NULL);
	expect_conf_error(c, "standby partner 127.0.0.1 key\n", "'key' needs a value",
			  "allowed: port N, key ID, priority P, interval S, bind ADDR");
	expect_conf_error(c, "standby partner 127.0.0.1 key 1 port\n", "'port' needs a value",
			  NULL);
	expect_conf_error(c, "standby partner 127.0.0.1 key 0\n", "standby key: 0 is out of "
			  "range", "allowed: 1..4294967295");
	expect_conf_error(c, "standby partner 127.0.0.1 key 4294967296\n", "standby key",
			  "allowed: 1..4294967295");
	expect_conf_error(c, "standby partner 127.0.0.1 key one\n", "'one' is not an integer",
			  "allowed: 1..4294967295");
	expect_conf_error(c, "standby partner 127.0.0.1 key 1 port 0\n", "standby port: 0",
			  "allowed: 1..65535");
	expect_conf_error(c, "standby partner 127.0.0.1 key 1 port 65536\n", "standby port",
			  "allowed: 1..65535");
	expect_conf_error(c, "standby partner 127.0.0.1 key 1 priority 256\n", "standby priority",
			  "allowed: 0..255");
	expect_conf_error(c, "standby partner 127.0.0.1 key 1 priority -1\n", "standby priority",
			  "allowed: 0..255");
	expect_conf_error(c, "standby partner 127.0.0.1 key 1 interval 0.05\n",
			  "standby interval: 0.05 is out of range", "allowed: 0.1..60");
	expect_conf_error(c, "standby partner 127.0.0.1 key 1 interval 61\n", "standby interval",
			  "allowed: 0.1..60");
	expect_conf_error(c, "standby partner 127.0.0.1 key 1 interval soon\n",
			  "'soon' is not a number", "allowed: 0.1..60");
	expect_conf_error(c, "standby partner 127.0.0.1 key 1 bind nowhere\n",
			  "standby bind: 'nowhere' is not an IPv4 or IPv6 address", NULL);
	expect_conf_error(c, "standby partner 127.0.0.1 key 1 bind ::1\n",
			  "bind and partner are not of one address family", NULL);
	expect_conf_error(c, "standby partner ::1 key 1 bind 127.0.0.1\n",
			  "not of one address family", NULL);
	expect_conf_error(c, "standby partner 127.0.0.1 key 1 weight 3\n",
			  "standby: unknown option 'weight'",
			  "allowed: port N, key ID, priority P, interval S, bind ADDR");
	/* A refused line leaves the configuration as it was. */
	assert_int_equal(c->standby.key, 9);
	assert_true(c->standby.have_bind);
	assert_true(c->standby.enabled);
}

/* A refused first line leaves the standby off. */
static void test_conf_standby_refused_stays_off(void **state)
{
	struct dconf *c = *state;

	expect_conf_error(c, "standby partner 127.0.0.1 key 1 port 0\n", "standby port", NULL);
	assert_false(c->standby.enabled);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msg_round_trip_extremes),
		cmocka_unit_test(test_msg_layout),
		cmocka_unit_test(test_msg_encode_errors),
		cmocka_unit_test(test_msg_truncated_and_trailing),
		cmocka_unit_test(test_msg_bad_header),
		cmocka_unit_test(test_msg_keys),
		cmocka_unit_test(test_msg_bit_flips),
		cmocka_unit_test(test_msg_bad_fields),
		cmocka_unit_test(test_msg_names),
		cmocka_unit_test(test_peer_own),
		cmocka_unit_test(test_peer_first_contact),
		cmocka_unit_test(test_peer_replay_same_node),
		cmocka_unit_test(test_peer_new_node),
		cmocka_unit_test(test_peer_capture_after_our_restart),
		cmocka_unit_test(test_peer_old_run_after_partner_restart),
		cmocka_unit_test(test_peer_exchange_formula),
		cmocka_unit_test(test_peer_negative_delay),
		cmocka_unit_test(test_peer_exchange_overflow),
		cmocka_unit_test(test_peer_filter),
		cmocka_unit_test(test_peer_lost),
		cmocka_unit_test(test_health_defaults_and_names),
		cmocka_unit_test(test_health_root_distance),
		cmocka_unit_test(test_health_unsynced_clock),
		cmocka_unit_test(test_health_age),
		cmocka_unit_test(test_health_alarms),
		cmocka_unit_test(test_health_precedence),
		cmocka_unit_test_setup_teardown(test_conf_health, dsetup, dteardown),
		cmocka_unit_test_setup_teardown(test_conf_standby, dsetup, dteardown),
		cmocka_unit_test_setup_teardown(test_conf_standby_refused_stays_off, dsetup,
						dteardown),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
