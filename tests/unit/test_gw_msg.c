/* Unit tests for gw/gw_msg: the gateway wire format, version 1.
 *
 * Round trips of every field at its extremes; the byte layout against the
 * worked example of doc/gateway-protocol.md (read from the document, so the
 * two cannot drift apart); every malformed form: each truncation, trailing
 * bytes, wrong magic/version/type/length, each field out of range (in
 * messages with a correct MAC, so the field check is what refuses them),
 * each MAC bit flipped, wrong, unknown, non-SHA256 and unaccepted keys,
 * unsigned messages with and without permission. Every malformed buffer is
 * decoded from a heap copy of exactly its length, so ASan sees any read
 * past the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "gw/gw_msg.h"
#include "lib/bytes.h"

#include "../fuzz/gw_example.h"

#define BODY GW_MSG_BODY_LEN
#define AUTH GW_MSG_AUTH_LEN
#define MAX_NS (INT64_C(9223372035) * GT_NS_PER_S + 999999999)

static struct auth_keys *keys;
static const uint32_t accept_1[] = { 1 }, accept_12[] = { 1, 2 }, accept_3[] = { 3 };

static int setup(void **state)
{
	struct conf_errors errs;

	(void)state;
	keys = auth_keys_parse(gw_example_keys, sizeof(gw_example_keys) - 1, "keys", &errs);
	return keys ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	auth_keys_destroy(keys);
	return 0;
}

/* Decode from a heap buffer of exactly len bytes. */
static enum gw_msg_verdict decode_exact(const uint8_t *buf, size_t len, const uint32_t *acc,
					size_t n, bool allow_unauth, struct gw_msg *out)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum gw_msg_verdict v;

	assert_non_null(copy);
	memcpy(copy, buf, len);
	v = gw_msg_decode(copy, len, keys, acc, n, allow_unauth, out);
	free(copy);
	return v;
}

static void assert_same(const struct gw_msg *a, const struct gw_msg *b)
{
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->health, b->health);
	assert_true(a->seq == b->seq);
	assert_true(a->boot_id == b->boot_id);
	assert_true(a->sender_id == b->sender_id);
	assert_true(a->tx_time == b->tx_time);
	assert_int_equal(a->stratum, b->stratum);
	assert_int_equal(a->leap, b->leap);
	assert_int_equal(a->precision, b->precision);
	assert_int_equal(a->method, b->method);
	assert_true(a->root_delay == b->root_delay);
	assert_true(a->root_disp == b->root_disp);
	assert_true(a->correction == b->correction);
	assert_int_equal(a->interval_ms, b->interval_ms);
	assert_true(a->prev_seq == b->prev_seq);
	assert_true(a->prev_tx_time == b->prev_tx_time);
}

/* Encode with key_id, decode, compare, re-encode: the same bytes. */
static void round_trip(const struct gw_msg *m, uint32_t key_id)
{
	uint8_t buf[GW_MSG_MAX_LEN], again[GW_MSG_MAX_LEN];
	struct gw_msg out;
	int len = gw_msg_encode(m, keys, key_id, buf, sizeof(buf));

	if (len != (key_id ? GW_MSG_AUTH_LEN : GW_MSG_BODY_LEN))
		fail_msg("encode: %d (bad field %s)", len, gw_msg_check_fields(m));
	assert_int_equal(decode_exact(buf, (size_t)len, accept_12, 2, key_id == 0, &out), GW_MSG_OK);
	assert_same(m, &out);
	assert_int_equal(out.key_id, key_id);
	assert_null(out.bad_field);
	assert_int_equal(gw_msg_encode(&out, keys, out.key_id, again, sizeof(again)), len);
	assert_memory_equal(buf, again, (size_t)len);
}

static void test_round_trip_extremes(void **state)
{
	struct gw_msg m;
	uint8_t stratum, leap, method;
	int i;

	(void)state;
	gw_example_msg(&m);
	round_trip(&m, 1);
	round_trip(&m, 2);
	round_trip(&m, 0);

	/* Lowest values. */
	m = (struct gw_msg){ .type = GW_MSG_TIME, .boot_id = 1, .stratum = 1, .precision = -32,
			     .interval_ms = 1 };
	round_trip(&m, 1);
	/* Highest values. */
	m = (struct gw_msg){
		.type = GW_MSG_TIME, .flags = GW_FLAGS_KNOWN, .health = 0xffff,
		.seq = UINT64_MAX, .boot_id = UINT64_MAX, .sender_id = UINT64_MAX, .tx_time = MAX_NS, .stratum = 15,
		.leap = 2, .precision = 0, .method = GW_METHOD_CALIBRATED,
		.root_delay = INT64_MAX, .root_disp = INT64_MAX, .correction = INT64_MAX,
		.interval_ms = GW_MSG_MAX_INTERVAL_MS, .prev_seq = UINT64_MAX - 1,
		.prev_tx_time = MAX_NS,
	};
	round_trip(&m, 2);
	m.correction = INT64_MIN;
	round_trip(&m, 1);
	/* prev_seq across the wrap, and as far back as serial order allows. */
	m.seq = 0;
	m.prev_seq = UINT64_MAX;
	round_trip(&m, 1);
	m.seq = UINT64_C(1) << 63;
	m.prev_seq = 1;
	round_trip(&m, 1);
	m.seq = (UINT64_C(1) << 63) - 2;
	m.prev_seq = UINT64_MAX;		/* 2^63 - 1 back, across the wrap */
	round_trip(&m, 1);
	/* Every stratum, leap and method value allowed. */
	gw_example_msg(&m);
	for (stratum = 1; stratum <= 16; stratum++) {
		m.stratum = stratum;
		m.flags = stratum == 16 ? GW_FLAG_PREV_TX : GW_FLAG_SYNC | GW_FLAG_PREV_TX;
		round_trip(&m, 1);
	}
	for (leap = 0; leap <= 2; leap++) {
		m.leap = leap;
		round_trip(&m, 1);
	}
	for (method = 0; method <= 3; method++) {
		m.method = method;
		m.correction = method ? -123456789 : 0;
		round_trip(&m, 1);
	}
	/* Each health bit alone. */
	for (i = 0; i < 16; i++) {
		m.health = (uint16_t)(1u << i);
		round_trip(&m, 2);
	}
}

/* Field offsets as the document gives them. */
static void test_layout(void **state)
{
	uint8_t buf[GW_MSG_MAX_LEN];
	struct gw_msg m;

	(void)state;
	gw_example_msg(&m);
	assert_int_equal(gw_msg_encode(&m, keys, 1, buf, sizeof(buf)), AUTH);
	assert_memory_equal(buf, "GNMG\x01\x01\x00\x88", 8);
	assert_int_equal(get_be32(buf + 8), (uint32_t)(0x0003 << 16 | 0x001f));
	assert_int_equal(get_be32(buf + 12), 1);
	assert_true(get_be64(buf + 16) == 42);
	assert_true(get_be64(buf + 24) == UINT64_C(0x0123456789abcdef));
	assert_true(get_be64(buf + 32) == 1735689600);
	assert_int_equal(get_be32(buf + 40), 123456789);
	assert_memory_equal(buf + 44, "\x02\x00\xec\x01", 4);
	assert_true(get_be64(buf + 48) == 1500000);
	assert_true(get_be64(buf + 56) == 2000000);
	assert_true(get_be64(buf + 64) == 250000);
	assert_true(get_be64(buf + 72) == 41);
	assert_true(get_be64(buf + 80) == 1735689599);
	assert_int_equal(get_be32(buf + 88), 123213500);
	assert_int_equal(get_be32(buf + 92), 1000);
	assert_true(get_be64(buf + 96) == 7);
	/* Unsigned: the body alone, key id 0. */
	assert_int_equal(gw_msg_encode(&m, keys, 0, buf, sizeof(buf)), BODY);
	assert_int_equal(buf[7], BODY);
	assert_int_equal(get_be32(buf + 12), 0);
}

/* The hex dump between the markers in doc/gateway-protocol.md is exactly
 * what the encoder makes of the example message. On a mismatch the dump
 * to paste is printed. */
static void test_document_example(void **state)
{
	uint8_t buf[GW_MSG_MAX_LEN], doc[2 * GW_MSG_MAX_LEN];
	char line[256];
	size_t n = 0, i;
	bool in = false;
	struct gw_msg m;
	FILE *f;

	(void)state;
	gw_example_msg(&m);
	assert_int_equal(gw_msg_encode(&m, keys, GW_EXAMPLE_KEY, buf, sizeof(buf)), AUTH);
	f = fopen(GW_DOC_PATH, "r");
	if (!f)
		fail_msg("cannot open %s", GW_DOC_PATH);
	while (fgets(line, sizeof(line), f)) {
		char *p = line;
		unsigned v;
		int used;

		if (strstr(line, "<!-- gw-example-begin -->")) {
			in = true;
			continue;
		}
		if (strstr(line, "<!-- gw-example-end -->"))
			break;
		if (!in || line[0] == '`')
			continue;
		p += strspn(p, " ");
		p += strcspn(p, " ");		/* the offset column */
		while (n < sizeof(doc) && sscanf(p, " %2x%n", &v, &used) == 1) {
			doc[n++] = (uint8_t)v;
			p += used;
		}
	}
	fclose(f);
	if (n != sizeof(buf) || memcmp(doc, buf, sizeof(buf))) {
		for (i = 0; i < sizeof(buf); i++)
			printf("%s%02x%s", i % 16 ? "" : (i ? "\n" : ""), buf[i],
			       i % 16 == 15 ? "" : " ");
		printf("\n");
		fail_msg("the document's example (%zu bytes) is not what the encoder makes", n);
	}
}

static void test_truncated_and_trailing(void **state)
{
	uint8_t buf[GW_MSG_MAX_LEN + 16];
	struct gw_msg m, out;
	size_t len;

	(void)state;
	gw_example_msg(&m);
	assert_int_equal(gw_msg_encode(&m, keys, 1, buf, sizeof(buf)), AUTH);
	for (len = 0; len < AUTH; len++)
		if (decode_exact(buf, len, accept_1, 1, true, &out) != GW_MSG_SHORT)
			fail_msg("%zu bytes of %d not SHORT", len, AUTH);
	for (len = AUTH + 1; len <= sizeof(buf); len++)
		assert_int_equal(decode_exact(buf, len, accept_1, 1, true, &out), GW_MSG_BAD_LENGTH);
	assert_int_equal(gw_msg_encode(&m, keys, 0, buf, sizeof(buf)), BODY);
	for (len = 0; len < BODY; len++)
		if (decode_exact(buf, len, accept_1, 1, true, &out) != GW_MSG_SHORT)
			fail_msg("%zu bytes of %d not SHORT", len, BODY);
	/* An unsigned message followed by 32 bytes is not a signed one. */
	for (len = BODY + 1; len <= sizeof(buf); len++)
		assert_int_equal(decode_exact(buf, len, accept_1, 1, true, &out), GW_MSG_BAD_LENGTH);
	/* Not enough room to encode. */
	assert_int_equal(gw_msg_encode(&m, keys, 1, buf, AUTH - 1), -ENOSPC);
	assert_int_equal(gw_msg_encode(&m, keys, 0, buf, BODY - 1), -ENOSPC);
	assert_int_equal(gw_msg_encode(&m, keys, 0, buf, BODY), BODY);
}

static void test_header_errors(void **state)
{
	static const uint16_t bad_lengths[] = { 0, 8, 96, 103, 105, 128, 135, 137, 0xffff };
	uint8_t good[GW_MSG_MAX_LEN], buf[GW_MSG_MAX_LEN];
	struct gw_msg m, out;
	size_t i;
	int b;

	(void)state;
	gw_example_msg(&m);
	assert_int_equal(gw_msg_encode(&m, keys, 1, good, sizeof(good)), AUTH);
	for (i = 0; i < 32; i++) {		/* every single-bit error in the magic */
		memcpy(buf, good, sizeof(buf));
		buf[i / 8] ^= (uint8_t)(1 << (i % 8));
		assert_int_equal(decode_exact(buf, AUTH, accept_1, 1, true, &out), GW_MSG_BAD_MAGIC);
	}
	for (b = 0; b < 256; b++) {
		memcpy(buf, good, sizeof(buf));
		buf[4] = (uint8_t)b;
		assert_int_equal(decode_exact(buf, AUTH, accept_1, 1, true, &out),
				 b == 1 ? GW_MSG_OK : GW_MSG_BAD_VERSION);
		memcpy(buf, good, sizeof(buf));
		buf[5] = (uint8_t)b;
		assert_int_equal(decode_exact(buf, AUTH, accept_1, 1, true, &out),
				 b == 1 ? GW_MSG_OK : GW_MSG_BAD_TYPE);
	}
	/* A later version is BAD_VERSION at any length, even 8 bytes. */
	buf[4] = 2;
	buf[5] = 1;
	assert_int_equal(decode_exact(buf, 8, accept_1, 1, true, &out), GW_MSG_BAD_VERSION);
	for (i = 0; i < sizeof(bad_lengths) / sizeof(bad_lengths[0]); i++) {
		memcpy(buf, good, sizeof(buf));
		buf[6] = (uint8_t)(bad_lengths[i] >> 8);
		buf[7] = (uint8_t)bad_lengths[i];
		assert_int_equal(decode_exact(buf, AUTH, accept_1, 1, true, &out), GW_MSG_BAD_LENGTH);
	}
	/* The body's length on a signed datagram: trailing bytes. */
	memcpy(buf, good, sizeof(buf));
	buf[7] = BODY;
	assert_int_equal(decode_exact(buf, AUTH, accept_1, 1, true, &out), GW_MSG_BAD_LENGTH);
	/* ... and as the body alone it claims key 1 without a MAC. */
	assert_int_equal(decode_exact(buf, BODY, accept_1, 1, true, &out), GW_MSG_BAD_LENGTH);
	/* Key id 0 with a MAC. */
	memcpy(buf, good, sizeof(buf));
	put_be32(buf + 12, 0);
	assert_int_equal(decode_exact(buf, AUTH, accept_1, 1, true, &out), GW_MSG_BAD_LENGTH);
}

/* Patch a valid message and sign it again with key 1: only the field
 * check can refuse it. */
struct field_case {
	const char *field;
	size_t off;
	unsigned width;		/* 1, 2, 4 or 8 bytes */
	uint64_t value;
	uint16_t flags;		/* replaces the flags when not 0 */
};

static void put_n(uint8_t *b, unsigned width, uint64_t v)
{
	unsigned i;

	for (i = 0; i < width; i++)
		b[i] = (uint8_t)(v >> (8 * (width - 1 - i)));
}

static void test_fields_out_of_range(void **state)
{
	static const struct field_case cases[] = {
		{ "tx_time", 40, 4, 1000000000, 0 },
		{ "tx_time", 40, 4, 0xffffffff, 0 },
		{ "tx_time", 32, 8, UINT64_C(9223372036), 0 },
		{ "tx_time", 32, 8, UINT64_MAX, 0 },
		{ "prev_tx_time", 88, 4, 1000000000, 0 },
		{ "prev_tx_time", 80, 8, UINT64_C(9223372036), 0 },
		{ "prev_tx_time", 80, 8, UINT64_C(1) << 63, 0 },
		{ "stratum", 44, 1, 0, 0 },
		{ "stratum", 44, 1, 17, 0 },
		{ "stratum", 44, 1, 255, 0 },
		{ "stratum", 44, 1, 16, 0 },	/* with SYNC */
		{ "leap", 45, 1, 3, 0 },
		{ "leap", 45, 1, 255, 0 },
		{ "precision", 46, 1, 1, 0 },
		{ "precision", 46, 1, 0x7f, 0 },
		{ "precision", 46, 1, (uint8_t)-33, 0 },
		{ "precision", 46, 1, 0x80, 0 },
		{ "method", 47, 1, 4, 0 },
		{ "method", 47, 1, 255, 0 },
		{ "correction", 47, 1, 0, 0 },	/* method none, correction 250 us */
		{ "root_delay", 48, 8, UINT64_C(1) << 63, 0 },
		{ "root_delay", 48, 8, UINT64_MAX, 0 },
		{ "root_dispersion", 56, 8, UINT64_C(1) << 63, 0 },
		{ "interval", 92, 4, 0, 0 },
		{ "interval", 92, 4, 86400001, 0 },
		{ "interval", 92, 4, UINT32_MAX, 0 },
		{ "boot_id", 24, 8, 0, 0 },
		{ "prev_seq", 72, 8, 42, 0 },	/* itself */
		{ "prev_seq", 72, 8, 43, 0 },	/* later */
		{ "prev_seq", 72, 8, 42 + (UINT64_C(1) << 63), 0 },	/* 2^63 back */
		{ "flags", 8, 2, GW_FLAG_SYNC | GW_FLAG_PREV_HW, 0 },	/* HW without PREV_TX */
		/* Without PREV_TX every prev field is 0. */
		{ "prev_seq", 8, 2, GW_FLAG_SYNC, 0 },
		{ "prev_tx_time", 72, 8, 0, GW_FLAG_SYNC },
	};
	uint8_t good[GW_MSG_MAX_LEN], buf[GW_MSG_MAX_LEN];
	struct gw_msg m, out;
	size_t i;
	unsigned bit;

	(void)state;
	gw_example_msg(&m);
	assert_int_equal(gw_msg_encode(&m, keys, 1, good, sizeof(good)), AUTH);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(buf, good, sizeof(buf));
		put_n(buf + cases[i].off, cases[i].width, cases[i].value);
		if (cases[i].flags)
			put_n(buf + 8, 2, cases[i].flags);
		assert_int_equal(auth_hmac_sha256(keys, 1, buf, BODY, buf + BODY), 0);
		if (decode_exact(buf, AUTH, accept_1, 1, false, &out) != GW_MSG_BAD_FIELD ||
		    strcmp(out.bad_field, cases[i].field))
			fail_msg("case %zu: not BAD_FIELD %s (got %s)", i, cases[i].field,
				 out.bad_field ? out.bad_field : "-");
	}
	/* Every undefined flag bit. */
	for (bit = 3; bit < 16; bit++) {
		memcpy(buf, good, sizeof(buf));
		put_n(buf + 8, 2, GW_FLAG_SYNC | GW_FLAG_PREV_TX | (1u << bit));
		assert_int_equal(auth_hmac_sha256(keys, 1, buf, BODY, buf + BODY), 0);
		assert_int_equal(decode_exact(buf, AUTH, accept_1, 1, false, &out), GW_MSG_BAD_FIELD);
		assert_string_equal(out.bad_field, "flags");
	}
}

/* What decode refuses, encode refuses too (-EINVAL), writing nothing. */
static void test_encode_refuses_bad_fields(void **state)
{
	uint8_t buf[GW_MSG_MAX_LEN];
	struct gw_msg m;
	size_t i;
	static const char *const names[] = {
		"type", "flags", "boot_id", "tx_time", "tx_time", "stratum", "stratum", "leap",
		"precision", "method", "correction", "root_delay", "root_dispersion", "interval",
		"interval", "prev_seq", "prev_tx_time", "prev_seq", "prev_tx_time",
	};

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		gw_example_msg(&m);
		switch (i) {
		case 0: m.type = 2; break;
		case 1: m.flags |= 0x8000; break;
		case 2: m.boot_id = 0; break;
		case 3: m.tx_time = -1; break;
		case 4: m.tx_time = MAX_NS + 1; break;
		case 5: m.stratum = 0; break;
		case 6: m.stratum = 16; break;		/* with SYNC */
		case 7: m.leap = 3; break;
		case 8: m.precision = -33; break;
		case 9: m.method = 4; break;
		case 10: m.method = GW_METHOD_NONE; break;
		case 11: m.root_delay = -1; break;
		case 12: m.root_disp = INT64_MIN; break;
		case 13: m.interval_ms = 0; break;
		case 14: m.interval_ms = GW_MSG_MAX_INTERVAL_MS + 1; break;
		case 15: m.prev_seq = m.seq; break;
		case 16: m.prev_tx_time = -5; break;
		case 17: m.flags = GW_FLAG_SYNC; m.prev_tx_time = 0; break;
		case 18: m.flags = GW_FLAG_SYNC; m.prev_seq = 0; break;
		}
		if (!gw_msg_check_fields(&m) || strcmp(gw_msg_check_fields(&m), names[i]))
			fail_msg("case %zu: %s, expected %s", i, gw_msg_check_fields(&m), names[i]);
		memset(buf, 0xa5, sizeof(buf));
		assert_int_equal(gw_msg_encode(&m, keys, 1, buf, sizeof(buf)), -EINVAL);
		assert_int_equal(buf[0], 0xa5);
	}
}

static void test_mac_errors(void **state)
{
	uint8_t good[GW_MSG_MAX_LEN], buf[GW_MSG_MAX_LEN];
	struct gw_msg m, out;
	size_t bit;

	(void)state;
	gw_example_msg(&m);
	assert_int_equal(gw_msg_encode(&m, keys, 1, good, sizeof(good)), AUTH);
	/* Each bit of the tag. */
	for (bit = 0; bit < 256; bit++) {
		memcpy(buf, good, sizeof(buf));
		buf[BODY + bit / 8] ^= (uint8_t)(1 << (bit % 8));
		if (decode_exact(buf, AUTH, accept_1, 1, true, &out) != GW_MSG_BAD_MAC)
			fail_msg("tag bit %zu flipped: not BAD_MAC", bit);
	}
	/* Each bit of the body: never accepted; past the header and key id,
	 * always BAD_MAC (the MAC is checked before the fields). */
	for (bit = 0; bit < BODY * 8; bit++) {
		enum gw_msg_verdict v;

		memcpy(buf, good, sizeof(buf));
		buf[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		v = decode_exact(buf, AUTH, accept_12, 2, true, &out);
		if (v == GW_MSG_OK || (bit >= 16 * 8 && v != GW_MSG_BAD_MAC))
			fail_msg("body bit %zu flipped: %s", bit, gw_msg_verdict_name(v));
	}
	/* Signed with key 2, claiming key 1 (the key id is covered). */
	assert_int_equal(gw_msg_encode(&m, keys, 2, buf, sizeof(buf)), AUTH);
	put_be32(buf + 12, 1);
	assert_int_equal(decode_exact(buf, AUTH, accept_12, 2, true, &out), GW_MSG_BAD_MAC);
	/* The tag of key 2 over a body saying key 1. */
	memcpy(buf, good, sizeof(buf));
	assert_int_equal(auth_hmac_sha256(keys, 2, buf, BODY, buf + BODY), 0);
	assert_int_equal(decode_exact(buf, AUTH, accept_12, 2, true, &out), GW_MSG_BAD_MAC);
	/* An all-zero tag. */
	memcpy(buf, good, sizeof(buf));
	memset(buf + BODY, 0, 32);
	assert_int_equal(decode_exact(buf, AUTH, accept_1, 1, true, &out), GW_MSG_BAD_MAC);
}

static void test_key_rules(void **state)
{
	uint8_t buf[GW_MSG_MAX_LEN];
	struct gw_msg m, out;
	struct conf_errors errs;
	struct auth_keys *other;
	static const char other_text[] = "1 SHA256 not-the-same-key\n";

	(void)state;
	gw_example_msg(&m);
	/* Rotation: both listed keys accepted, an unlisted one refused. */
	assert_int_equal(gw_msg_encode(&m, keys, 2, buf, sizeof(buf)), AUTH);
	assert_int_equal(decode_exact(buf, AUTH, accept_12, 2, false, &out), GW_MSG_OK);
	assert_int_equal(out.key_id, 2);
	assert_int_equal(decode_exact(buf, AUTH, accept_1, 1, false, &out), GW_MSG_KEY_NOT_ACCEPTED);
	assert_int_equal(decode_exact(buf, AUTH, accept_1, 0, false, &out), GW_MSG_KEY_NOT_ACCEPTED);
	assert_int_equal(decode_exact(buf, AUTH, NULL, 0, true, &out), GW_MSG_KEY_NOT_ACCEPTED);
	/* Unknown key id; no key store at all. */
	assert_int_equal(gw_msg_encode(&m, keys, 1, buf, sizeof(buf)), AUTH);
	put_be32(buf + 12, 99);
	assert_int_equal(decode_exact(buf, AUTH, accept_1, 1, false, &out), GW_MSG_UNKNOWN_KEY);
	assert_int_equal(gw_msg_encode(&m, keys, 1, buf, sizeof(buf)), AUTH);
	assert_int_equal(gw_msg_decode(buf, AUTH, NULL, accept_1, 1, true, &out), GW_MSG_UNKNOWN_KEY);
	/* A SHA1 key never authenticates the gateway, even when listed. */
	put_be32(buf + 12, 3);
	assert_int_equal(decode_exact(buf, AUTH, accept_3, 1, false, &out), GW_MSG_BAD_KEY_TYPE);
	assert_int_equal(gw_msg_encode(&m, keys, 3, buf, sizeof(buf)), -EKEYREJECTED);
	assert_int_equal(gw_msg_encode(&m, keys, 99, buf, sizeof(buf)), -ENOKEY);
	assert_int_equal(gw_msg_encode(&m, NULL, 1, buf, sizeof(buf)), -ENOKEY);
	/* The same key id holding another key: BAD_MAC. */
	other = auth_keys_parse(other_text, sizeof(other_text) - 1, "other", &errs);
	assert_non_null(other);
	assert_int_equal(gw_msg_encode(&m, other, 1, buf, sizeof(buf)), AUTH);
	assert_int_equal(decode_exact(buf, AUTH, accept_1, 1, false, &out), GW_MSG_BAD_MAC);
	auth_keys_destroy(other);
}

static void test_unauthenticated(void **state)
{
	uint8_t buf[GW_MSG_MAX_LEN];
	struct gw_msg m, out;

	(void)state;
	gw_example_msg(&m);
	assert_int_equal(gw_msg_encode(&m, NULL, 0, buf, sizeof(buf)), BODY);
	assert_int_equal(decode_exact(buf, BODY, accept_1, 1, false, &out), GW_MSG_UNAUTHENTICATED);
	assert_int_equal(decode_exact(buf, BODY, NULL, 0, false, &out), GW_MSG_UNAUTHENTICATED);
	assert_int_equal(decode_exact(buf, BODY, accept_1, 1, true, &out), GW_MSG_OK);
	assert_int_equal(out.key_id, 0);
	assert_int_equal(gw_msg_decode(buf, BODY, NULL, NULL, 0, true, &out), GW_MSG_OK);
	/* Permission for unsigned messages does not excuse a bad signature. */
	assert_int_equal(gw_msg_encode(&m, keys, 1, buf, sizeof(buf)), AUTH);
	buf[100] ^= 1;
	assert_int_equal(decode_exact(buf, AUTH, accept_1, 1, true, &out), GW_MSG_BAD_MAC);
	/* Unauthenticated fields are checked too. */
	assert_int_equal(gw_msg_encode(&m, NULL, 0, buf, sizeof(buf)), BODY);
	buf[44] = 0;
	assert_int_equal(decode_exact(buf, BODY, NULL, 0, true, &out), GW_MSG_BAD_FIELD);
	assert_string_equal(out.bad_field, "stratum");
}

/* Garbage of every length up to 200 bytes, and garbage behind a valid
 * header: never OK, never out of bounds. */
static void test_garbage(void **state)
{
	uint8_t buf[200];
	struct gw_msg out;
	uint32_t x = 12345;
	size_t len, i;

	(void)state;
	for (len = 0; len <= sizeof(buf); len++) {
		for (i = 0; i < len; i++) {
			x = x * 1103515245 + 12345;
			buf[i] = (uint8_t)(x >> 16);
		}
		if (len >= 8 && len % 2)
			memcpy(buf, "GNMG\x01\x01\x00\x88", 8);
		assert_int_not_equal(decode_exact(buf, len, accept_12, 2, true, &out), GW_MSG_OK);
	}
}

static void test_names(void **state)
{
	int i, j;

	(void)state;
	for (i = 0; i < GW_MSG_VERDICT_COUNT; i++) {
		assert_string_not_equal(gw_msg_verdict_name((enum gw_msg_verdict)i), "unknown");
		for (j = 0; j < i; j++)
			assert_string_not_equal(gw_msg_verdict_name((enum gw_msg_verdict)i),
						gw_msg_verdict_name((enum gw_msg_verdict)j));
	}
	assert_string_equal(gw_msg_verdict_name(GW_MSG_BAD_MAC), "bad_mac");
	assert_string_equal(gw_msg_verdict_name(GW_MSG_VERDICT_COUNT), "unknown");
	assert_string_equal(gw_msg_method_name(GW_METHOD_NONE), "none");
	assert_string_equal(gw_msg_method_name(GW_METHOD_FIXED), "fixed");
	assert_string_equal(gw_msg_method_name(GW_METHOD_FORMULA), "formula");
	assert_string_equal(gw_msg_method_name(GW_METHOD_CALIBRATED), "calibrated");
	assert_string_equal(gw_msg_method_name((enum gw_msg_method)9), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_extremes),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_document_example),
		cmocka_unit_test(test_truncated_and_trailing),
		cmocka_unit_test(test_header_errors),
		cmocka_unit_test(test_fields_out_of_range),
		cmocka_unit_test(test_encode_refuses_bad_fields),
		cmocka_unit_test(test_mac_errors),
		cmocka_unit_test(test_key_rules),
		cmocka_unit_test(test_unauthenticated),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests_name("gw_msg", tests, setup, teardown);
}
