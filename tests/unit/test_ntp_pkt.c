/* Unit tests for ntp/ntp_pkt: the RFC 5905 §7.3 header codec and the
 * structural checks of RFC 7822 extension fields and MACs. Every malformed
 * input is decoded from a heap buffer of exactly its length so ASan
 * catches any read past the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lib/bytes.h"
#include "ntp/ntp_pkt.h"

/* Header with a distinct value in every field. */
static const struct ntp_pkt sample = {
	.leap = 2, .version = 3, .mode = 5, .stratum = 0xa5,
	.poll = -6, .precision = -23,
	.root_delay = 0x01020304, .root_disp = 0x05060708,
	.refid = 0x47505300,	/* "GPS\0" */
	.ref = UINT64_C(0x1112131415161718), .org = UINT64_C(0x2122232425262728),
	.rec = UINT64_C(0x3132333435363738), .xmt = UINT64_C(0x4142434445464748),
};

static const uint8_t sample_wire[NTP_HEADER_LEN] = {
	0x9d, 0xa5, 0xfa, 0xe9,		/* LI 2, VN 3, mode 5; stratum; poll; precision */
	0x01, 0x02, 0x03, 0x04,		/* root delay */
	0x05, 0x06, 0x07, 0x08,		/* root dispersion */
	'G', 'P', 'S', 0,		/* reference id */
	0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,	/* reference */
	0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,	/* origin */
	0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38,	/* receive */
	0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,	/* transmit */
};

static void assert_pkt_equal(const struct ntp_pkt *a, const struct ntp_pkt *b)
{
	assert_int_equal(a->leap, b->leap);
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->mode, b->mode);
	assert_int_equal(a->stratum, b->stratum);
	assert_int_equal(a->poll, b->poll);
	assert_int_equal(a->precision, b->precision);
	assert_int_equal(a->root_delay, b->root_delay);
	assert_int_equal(a->root_disp, b->root_disp);
	assert_int_equal(a->refid, b->refid);
	assert_int_equal(a->ref, b->ref);
	assert_int_equal(a->org, b->org);
	assert_int_equal(a->rec, b->rec);
	assert_int_equal(a->xmt, b->xmt);
}

/* Decode len bytes of src from an exactly sized heap copy. */
static enum ntp_pkt_status decode_exact(const uint8_t *src, size_t len, struct ntp_pkt *p)
{
	uint8_t *b = malloc(len ? len : 1);
	enum ntp_pkt_status st;

	assert_non_null(b);
	if (len)
		memcpy(b, src, len);
	st = ntp_pkt_decode(b, len, p);
	free(b);
	return st;
}

/* A buffer of len bytes holding a valid header of the given version and
 * mode; the trailer is zero. */
static uint8_t *make_packet(size_t len, unsigned version, unsigned mode)
{
	uint8_t *b = calloc(1, len < NTP_HEADER_LEN ? NTP_HEADER_LEN : len);
	struct ntp_pkt p = sample;

	assert_non_null(b);
	p.version = (uint8_t)version;
	p.mode = (uint8_t)mode;
	ntp_pkt_encode(&p, b);
	return b;
}

/* RFC 7822 extension field header: type and total length. */
static void put_ef(uint8_t *b, uint16_t type, uint16_t len)
{
	b[0] = (uint8_t)(type >> 8);
	b[1] = (uint8_t)type;
	b[2] = (uint8_t)(len >> 8);
	b[3] = (uint8_t)len;
}

static enum ntp_pkt_status decode_buf(const uint8_t *b, size_t len)
{
	struct ntp_pkt p;

	return decode_exact(b, len, &p);
}

static void test_encode_wire_layout(void **state)
{
	uint8_t buf[NTP_HEADER_LEN + 4];

	(void)state;
	memset(buf, 0xee, sizeof(buf));
	ntp_pkt_encode(&sample, buf);
	assert_memory_equal(buf, sample_wire, NTP_HEADER_LEN);
	/* Exactly 48 bytes are written. */
	assert_int_equal(buf[NTP_HEADER_LEN], 0xee);
	assert_int_equal(buf[NTP_HEADER_LEN + 3], 0xee);
}

static void test_decode_wire_layout(void **state)
{
	struct ntp_pkt p;

	(void)state;
	assert_int_equal(decode_exact(sample_wire, sizeof(sample_wire), &p), NTP_PKT_OK);
	assert_pkt_equal(&p, &sample);
}

/* One field at a time: the field lands at its RFC 5905 offset and
 * nowhere else, and decodes back. */
struct field_case {
	const char *name;
	size_t off, len;
	void (*set)(struct ntp_pkt *p);
	uint8_t expect[8];
};

static void set_leap(struct ntp_pkt *p) { p->leap = 3; }
static void set_version(struct ntp_pkt *p) { p->version = 1; }
static void set_mode(struct ntp_pkt *p) { p->mode = 6; }
static void set_stratum(struct ntp_pkt *p) { p->stratum = 0xfe; }
static void set_poll(struct ntp_pkt *p) { p->poll = -7; }
static void set_precision(struct ntp_pkt *p) { p->precision = 127; }
static void set_root_delay(struct ntp_pkt *p) { p->root_delay = 0x00018000; }
static void set_root_disp(struct ntp_pkt *p) { p->root_disp = 0xfedcba98; }
static void set_refid(struct ntp_pkt *p) { p->refid = 0x52415445; }
static void set_ref(struct ntp_pkt *p) { p->ref = UINT64_C(0xe9ab12cd80000001); }
static void set_org(struct ntp_pkt *p) { p->org = UINT64_C(0x0123456789abcdef); }
static void set_rec(struct ntp_pkt *p) { p->rec = UINT64_C(0xfedcba9876543210); }
static void set_xmt(struct ntp_pkt *p) { p->xmt = UINT64_C(0x8000000000000001); }

static void test_each_field_at_its_offset(void **state)
{
	/* Base: version 4, mode 3, everything else zero: byte 0 = 0x23. */
	static const struct field_case cases[] = {
		{ "leap", 0, 1, set_leap, { 0xe3 } },
		{ "version", 0, 1, set_version, { 0x0b } },
		{ "mode", 0, 1, set_mode, { 0x26 } },
		{ "stratum", 1, 1, set_stratum, { 0xfe } },
		{ "poll", 2, 1, set_poll, { 0xf9 } },
		{ "precision", 3, 1, set_precision, { 0x7f } },
		{ "root delay", 4, 4, set_root_delay, { 0x00, 0x01, 0x80, 0x00 } },
		{ "root dispersion", 8, 4, set_root_disp, { 0xfe, 0xdc, 0xba, 0x98 } },
		{ "refid", 12, 4, set_refid, { 'R', 'A', 'T', 'E' } },
		{ "reference", 16, 8, set_ref, { 0xe9, 0xab, 0x12, 0xcd, 0x80, 0, 0, 1 } },
		{ "origin", 24, 8, set_org, { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef } },
		{ "receive", 32, 8, set_rec, { 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10 } },
		{ "transmit", 40, 8, set_xmt, { 0x80, 0, 0, 0, 0, 0, 0, 1 } },
	};
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct field_case *c = &cases[i];
		struct ntp_pkt p, back;
		uint8_t buf[NTP_HEADER_LEN];

		memset(&p, 0, sizeof(p));
		p.version = 4;
		p.mode = 3;
		c->set(&p);
		ntp_pkt_encode(&p, buf);
		for (k = 0; k < NTP_HEADER_LEN; k++) {
			uint8_t want = k >= c->off && k < c->off + c->len ? c->expect[k - c->off]
								 : k == 0 ? 0x23 : 0;

			if (buf[k] != want)
				fail_msg("%s: byte %zu is 0x%02x, expected 0x%02x", c->name, k,
					 buf[k], want);
		}
		memset(&back, 0x55, sizeof(back));
		assert_int_equal(ntp_pkt_decode(buf, sizeof(buf), &back), NTP_PKT_OK);
		assert_pkt_equal(&back, &p);
	}
}

/* Signed poll and precision survive the byte. */
static void test_signed_fields(void **state)
{
	int v;

	(void)state;
	for (v = -128; v <= 127; v++) {
		struct ntp_pkt p = sample, back;
		uint8_t buf[NTP_HEADER_LEN];

		p.version = 4;
		p.mode = 3;
		p.poll = (int8_t)v;
		p.precision = (int8_t)-v;
		if (v == -128)
			p.precision = 0;
		ntp_pkt_encode(&p, buf);
		assert_int_equal(ntp_pkt_decode(buf, sizeof(buf), &back), NTP_PKT_OK);
		assert_true(back.poll == v);
		assert_true(back.precision == p.precision);
	}
}

/* Every LI/VN/mode combination round trips through byte 0. */
static void test_round_trip_first_byte(void **state)
{
	unsigned b0;

	(void)state;
	for (b0 = 0; b0 < 256; b0++) {
		uint8_t buf[NTP_HEADER_LEN] = { (uint8_t)b0 }, out[NTP_HEADER_LEN];
		struct ntp_pkt p;
		enum ntp_pkt_status st = ntp_pkt_decode(buf, sizeof(buf), &p);
		unsigned vn = (b0 >> 3) & 7;

		assert_int_equal(st, vn >= 1 && vn <= 4 ? NTP_PKT_OK : NTP_PKT_BAD_VERSION);
		if (st != NTP_PKT_OK)
			continue;
		assert_int_equal(p.leap, b0 >> 6);
		assert_int_equal(p.version, vn);
		assert_int_equal(p.mode, b0 & 7);
		ntp_pkt_encode(&p, out);
		assert_memory_equal(out, buf, NTP_HEADER_LEN);
	}
}

static void test_round_trip_random(void **state)
{
	uint64_t x = UINT64_C(88172645463325252);
	int i;

	(void)state;
	for (i = 0; i < 10000; i++) {
		uint8_t buf[NTP_HEADER_LEN], again[NTP_HEADER_LEN];
		struct ntp_pkt p;
		size_t k;

		for (k = 0; k < sizeof(buf); k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[k] = (uint8_t)x;
		}
		buf[0] = (uint8_t)((buf[0] & 0xc7) | (1 + i % 4) << 3);	/* valid version */
		assert_int_equal(ntp_pkt_decode(buf, sizeof(buf), &p), NTP_PKT_OK);
		ntp_pkt_encode(&p, again);
		assert_memory_equal(again, buf, sizeof(buf));
	}
}

static void test_every_short_length(void **state)
{
	size_t len;

	(void)state;
	for (len = 0; len < NTP_HEADER_LEN; len++) {
		struct ntp_pkt p;

		if (decode_exact(sample_wire, len, &p) != NTP_PKT_SHORT)
			fail_msg("length %zu is not SHORT", len);
	}
}

static void test_versions(void **state)
{
	static const unsigned bad[] = { 0, 5, 6, 7 };
	unsigned v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t *b = make_packet(NTP_HEADER_LEN, bad[i], 3);

		assert_int_equal(decode_buf(b, NTP_HEADER_LEN), NTP_PKT_BAD_VERSION);
		free(b);
		/* Modes 6 and 7 get no exemption from the version check. */
		b = make_packet(NTP_HEADER_LEN, bad[i], 6);
		assert_int_equal(decode_buf(b, NTP_HEADER_LEN), NTP_PKT_BAD_VERSION);
		free(b);
	}
	for (v = 1; v <= 4; v++) {
		uint8_t *b = make_packet(NTP_HEADER_LEN, v, 3);
		struct ntp_pkt p;

		assert_int_equal(decode_exact(b, NTP_HEADER_LEN, &p), NTP_PKT_OK);
		assert_int_equal(p.version, v);
		free(b);
	}
}

static void test_length_not_multiple_of_4(void **state)
{
	static const size_t lens[] = { 49, 50, 51, 53, 54, 55, 66, 70, 71, 1023 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uint8_t *b = make_packet(lens[i], 4, 3);

		if (decode_buf(b, lens[i]) != NTP_PKT_BAD_LENGTH)
			fail_msg("length %zu accepted", lens[i]);
		free(b);
	}
}

/* RFC 5905 §7.3 and RFC 8573: a MAC is a 4-byte key id plus a 16-byte
 * (MD5, AES-CMAC) or 20-byte (SHA1) digest; a bare key id is a crypto-NAK. */
static void test_mac_sizes(void **state)
{
	static const size_t ok[] = { 4, 20, 24 };
	static const size_t bad[] = { 8, 12, 16 };
	unsigned v;
	size_t i;

	(void)state;
	for (v = 1; v <= 4; v++) {
		for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
			uint8_t *b = make_packet(NTP_HEADER_LEN + ok[i], v, 3);

			/* A key id that looks like no extension field. */
			b[NTP_HEADER_LEN + 3] = 1;
			if (decode_buf(b, NTP_HEADER_LEN + ok[i]) != NTP_PKT_OK)
				fail_msg("v%u: MAC of %zu bytes rejected", v, ok[i]);
			free(b);
		}
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			uint8_t *b = make_packet(NTP_HEADER_LEN + bad[i], v, 3);

			if (decode_buf(b, NTP_HEADER_LEN + bad[i]) != NTP_PKT_BAD_LENGTH)
				fail_msg("v%u: trailer of %zu bytes accepted", v, bad[i]);
			free(b);
		}
	}
}

static void test_extension_fields_valid(void **state)
{
	uint8_t *b;

	(void)state;
	/* One minimal 16-byte field. */
	b = make_packet(64, 4, 3);
	put_ef(b + 48, 0x0104, 16);
	assert_int_equal(decode_buf(b, 64), NTP_PKT_OK);
	free(b);
	/* Two fields (16 + 32) and a 24-byte MAC after them. */
	b = make_packet(48 + 16 + 32 + 24, 4, 3);
	put_ef(b + 48, 0x0104, 16);
	put_ef(b + 64, 0x0204, 32);
	assert_int_equal(decode_buf(b, 48 + 16 + 32 + 24), NTP_PKT_OK);
	free(b);
	/* A field followed by a 4-byte crypto-NAK. */
	b = make_packet(48 + 28 + 4, 4, 3);
	put_ef(b + 48, 0x0104, 28);
	assert_int_equal(decode_buf(b, 48 + 28 + 4), NTP_PKT_OK);
	free(b);
	/* A field that fills the packet up to NTP_MAX_LEN. */
	b = make_packet(NTP_MAX_LEN, 4, 3);
	put_ef(b + 48, 0x0104, NTP_MAX_LEN - 48);
	assert_int_equal(decode_buf(b, NTP_MAX_LEN), NTP_PKT_OK);
	free(b);
}

/* Trailer lengths here are chosen not to be MAC lengths, so a bad field
 * cannot be mistaken for a MAC. */
static void test_extension_fields_invalid(void **state)
{
	static const struct { size_t trailer; uint16_t ef_len; const char *why; } cases[] = {
		{ 16, 0, "length 0" },
		{ 16, 12, "length < 16" },
		{ 16, 4, "length < 16" },
		{ 80, 12, "length < 16 (long trailer)" },
		{ 80, 18, "not a multiple of 4" },
		{ 80, 30, "not a multiple of 4" },
		{ 16, 20, "longer than the packet" },
		{ 80, 84, "longer than the packet" },
		{ 80, 0xfffc, "longer than the packet" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = NTP_HEADER_LEN + cases[i].trailer;
		uint8_t *b = make_packet(len, 4, 3);

		put_ef(b + 48, 0x0104, cases[i].ef_len);
		if (decode_buf(b, len) != NTP_PKT_BAD_LENGTH)
			fail_msg("extension field %s (len field %u, trailer %zu) accepted",
				 cases[i].why, cases[i].ef_len, cases[i].trailer);
		free(b);
	}
}

/* A valid field followed by a broken one, or by bytes that are neither a
 * field nor a MAC. */
static void test_extension_field_chain_invalid(void **state)
{
	uint8_t *b;

	(void)state;
	b = make_packet(48 + 16 + 16, 4, 3);
	put_ef(b + 48, 0x0104, 16);
	put_ef(b + 64, 0x0104, 18);
	assert_int_equal(decode_buf(b, 48 + 32), NTP_PKT_BAD_LENGTH);
	free(b);
	/* A field and 8 more bytes. (A field of 16 and 8 bytes, 24 in all, is
	 * a 24-byte MAC instead: see test_mac_offset.) */
	b = make_packet(48 + 28 + 8, 4, 3);
	put_ef(b + 48, 0x0104, 28);
	assert_int_equal(decode_buf(b, 48 + 36), NTP_PKT_BAD_LENGTH);
	free(b);
	b = make_packet(48 + 16 + 12, 4, 3);
	put_ef(b + 48, 0x0104, 16);
	assert_int_equal(decode_buf(b, 48 + 28), NTP_PKT_BAD_LENGTH);
	free(b);
}

/* Extension fields exist only in NTPv4 (RFC 7822): the same bytes that
 * make a valid v4 packet are rejected in v3. */
static void test_v3_extension_field_rejected(void **state)
{
	static const size_t ef_lens[] = { 16, 72, 200 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ef_lens) / sizeof(ef_lens[0]); i++) {
		size_t len = NTP_HEADER_LEN + ef_lens[i];
		uint8_t *b = make_packet(len, 4, 3);

		put_ef(b + 48, 0x0104, (uint16_t)ef_lens[i]);
		assert_int_equal(decode_buf(b, len), NTP_PKT_OK);
		b[0] = (uint8_t)((b[0] & 0xc7) | 3 << 3);
		if (decode_buf(b, len) != NTP_PKT_BAD_LENGTH)
			fail_msg("v3 with a %zu-byte extension field accepted", ef_lens[i]);
		free(b);
	}
}

static void test_oversized(void **state)
{
	static const size_t lens[] = { NTP_MAX_LEN + 1, NTP_MAX_LEN + 4, 2048, 65507 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uint8_t *b = make_packet(lens[i], 4, 3);

		assert_int_equal(decode_buf(b, lens[i]), NTP_PKT_OVERSIZED);
		/* Oversized wins over every other complaint. */
		b[0] = 0;
		assert_int_equal(decode_buf(b, lens[i]), NTP_PKT_OVERSIZED);
		b[0] = 0x26;	/* v4 mode 6 */
		assert_int_equal(decode_buf(b, lens[i]), NTP_PKT_OVERSIZED);
		free(b);
	}
}

/* Modes 6 and 7 have their own formats: the header decodes, the trailer
 * is not judged as extension fields or a MAC. */
static void test_control_and_private_modes(void **state)
{
	static const size_t lens[] = { 48, 49, 51, 56, 60, 100, 468 };
	unsigned mode, v;
	size_t i;

	(void)state;
	for (mode = 6; mode <= 7; mode++) {
		for (v = 1; v <= 4; v++) {
			for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
				uint8_t *b = make_packet(lens[i], v, mode);
				struct ntp_pkt p;

				if (decode_exact(b, lens[i], &p) != NTP_PKT_OK)
					fail_msg("v%u mode %u length %zu not OK", v, mode, lens[i]);
				assert_int_equal(p.mode, mode);
				assert_int_equal(p.version, v);
				free(b);
			}
		}
	}
}

/* Where the MAC starts (RFC 5905 §7.3, RFC 7822 §7.5). */
static void test_mac_offset(void **state)
{
	static const struct { unsigned version; size_t ef, trailer; uint32_t key_id; size_t want; } cases[] = {
		{ 4, 0, 0, 0, 48 },		/* no trailer: len */
		{ 4, 0, 20, 1, 48 },		/* MD5 / CMAC */
		{ 4, 0, 24, 1, 48 },		/* SHA1 */
		/* Key ids whose low 16 bits read as a field length: 20 or 24
		 * remaining bytes are a MAC all the same. */
		{ 4, 0, 20, 16, 48 },
		{ 4, 0, 20, 20, 48 },
		{ 4, 0, 24, 16, 48 },
		{ 4, 0, 24, 24, 48 },
		{ 4, 16, 20, 7, 64 },		/* a field, then a MAC */
		{ 4, 32, 24, 7, 80 },
		{ 4, 28, 4, 0, 76 },		/* a field, then a crypto-NAK */
		{ 4, 0, 4, 0, 48 },		/* a bare crypto-NAK */
		{ 4, 32, 0, 0, 80 },		/* a field, no MAC: len */
		{ 3, 0, 20, 16, 48 },		/* no fields before v4 */
		{ 3, 0, 24, 1, 48 },
		{ 2, 0, 20, 1, 48 },
		{ 1, 0, 20, 1, 48 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = NTP_HEADER_LEN + cases[i].ef + cases[i].trailer;
		uint8_t *b = make_packet(len, cases[i].version, 3);

		if (cases[i].ef)
			put_ef(b + 48, 0x0104, (uint16_t)cases[i].ef);
		if (cases[i].trailer)
			put_be32(b + 48 + cases[i].ef, cases[i].key_id);
		assert_int_equal(decode_buf(b, len), NTP_PKT_OK);
		if (ntp_pkt_mac_offset(b, len) != cases[i].want)
			fail_msg("case %zu: MAC at %zu, expected %zu", i, ntp_pkt_mac_offset(b, len),
				 cases[i].want);
		free(b);
	}
}

/* Packets without a structurally valid trailer have no MAC. */
static void test_mac_offset_malformed(void **state)
{
	uint8_t *b;
	size_t len;

	(void)state;
	assert_int_equal(ntp_pkt_mac_offset(sample_wire, 0), 0);
	assert_int_equal(ntp_pkt_mac_offset(sample_wire, 20), 20);
	/* Length not a multiple of 4; trailer of 8 bytes; bad version. */
	for (len = 49; len <= 56; len++) {
		b = make_packet(len, 4, 3);
		if (len != 52)
			assert_int_equal(ntp_pkt_mac_offset(b, len), len);
		free(b);
	}
	b = make_packet(68, 0, 3);
	assert_int_equal(ntp_pkt_mac_offset(b, 68), 68);
	free(b);
	b = make_packet(68, 5, 3);
	assert_int_equal(ntp_pkt_mac_offset(b, 68), 68);
	free(b);
	/* Modes 6 and 7 have formats of their own. */
	b = make_packet(68, 4, 6);
	assert_int_equal(ntp_pkt_mac_offset(b, 68), 68);
	free(b);
	b = make_packet(68, 2, 7);
	assert_int_equal(ntp_pkt_mac_offset(b, 68), 68);
	free(b);
	/* Oversized. */
	b = make_packet(NTP_MAX_LEN + 4, 4, 3);
	assert_int_equal(ntp_pkt_mac_offset(b, NTP_MAX_LEN + 4), NTP_MAX_LEN + 4);
	free(b);
}

static void test_status_names(void **state)
{
	(void)state;
	assert_string_equal(ntp_pkt_status_str(NTP_PKT_OK), "ok");
	assert_string_equal(ntp_pkt_status_str(NTP_PKT_SHORT), "short");
	assert_string_equal(ntp_pkt_status_str(NTP_PKT_BAD_VERSION), "bad_version");
	assert_string_equal(ntp_pkt_status_str(NTP_PKT_BAD_LENGTH), "bad_length");
	assert_string_equal(ntp_pkt_status_str(NTP_PKT_OVERSIZED), "oversized");
	assert_string_equal(ntp_pkt_status_str((enum ntp_pkt_status)99), "unknown");
}

static void test_byte_order_helpers(void **state)
{
	uint8_t b[8];

	(void)state;
	put_be32(b, 0x01020304);
	assert_int_equal(b[0], 1);
	assert_int_equal(b[3], 4);
	assert_int_equal(get_be32(b), 0x01020304);
	put_be64(b, UINT64_C(0xf1f2f3f4f5f6f7f8));
	assert_int_equal(b[0], 0xf1);
	assert_int_equal(b[7], 0xf8);
	assert_int_equal(get_be64(b), UINT64_C(0xf1f2f3f4f5f6f7f8));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_wire_layout),
		cmocka_unit_test(test_decode_wire_layout),
		cmocka_unit_test(test_each_field_at_its_offset),
		cmocka_unit_test(test_signed_fields),
		cmocka_unit_test(test_round_trip_first_byte),
		cmocka_unit_test(test_round_trip_random),
		cmocka_unit_test(test_every_short_length),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_length_not_multiple_of_4),
		cmocka_unit_test(test_mac_sizes),
		cmocka_unit_test(test_extension_fields_valid),
		cmocka_unit_test(test_extension_fields_invalid),
		cmocka_unit_test(test_extension_field_chain_invalid),
		cmocka_unit_test(test_v3_extension_field_rejected),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_control_and_private_modes),
		cmocka_unit_test(test_mac_offset),
		cmocka_unit_test(test_mac_offset_malformed),
		cmocka_unit_test(test_status_names),
		cmocka_unit_test(test_byte_order_helpers),
	};

	return cmocka_run_group_tests_name("ntp_pkt", tests, NULL, NULL);
}
