/* Unit tests for auth (auth_keys, auth_mac) and ntp/ntp_mac: the key file
 * parser (every malformed line named by file:line, never echoing a key), MAC known answers computed
 * independently, verification, and the constant-time comparison.
 *
 * Known answers: MD5/SHA1 of "abc" (FIPS 180 / RFC 1321 test strings, as
 * key "abc" and no data); AES-CMAC from RFC 4493 §4 (AES-128) and NIST SP
 * 800-38B appendix D (AES-256); and digests of a 48-byte packet (bytes
 * 0..47) computed with the openssl command line and Python's hashlib:
 *   printf 'gnomon-md5-key' | cat - pkt48.bin | openssl dgst -md5
 *   openssl mac -cipher AES-128-CBC -macopt hexkey:2b7e...4f3c -in pkt48.bin CMAC */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/auth.h"
#include "lib/bytes.h"
#include "ntp/ntp_mac.h"
#include "ntp/ntp_pkt.h"
#include "prog/daemon_conf.h"

static const char good_file[] =
	"# gnomon test keys\n"
	"\n"
	"   # an indented comment\n"
	"1 MD5 gnomon-md5-key\n"
	"2 SHA1 HEX:00112233445566778899aabbccddeeff0123456789\n"
	"3 AES128 HEX:2b7e151628aed2a6abf7158809cf4f3c\n"
	"4 AES256 HEX:603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4\n"
	"5 abc\n"				/* chrony: no type is MD5 */
	"6 M abc\n"				/* ntpd's letter */
	"7 sha1 ASCII:abc\n"			/* case-insensitive, ASCII: prefix */
	"8 AES-128-CMAC HEX:2B7E151628AED2A6ABF7158809CF4F3C\r\n"
	"9 aes128cmac 0123456789abcdef  # a trailing comment, of several words\n"
	"10 AES-256-CMAC 0123456789abcdef0123456789abcdef\n"
	"11 AES256CMAC hex:603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4\n"
	"\t12\tMD5\t#starts-with-hash\n"	/* a key may start with '#' */
	"4294967295 SHA1 max-id\n";

static struct auth_keys *parse_ok(const char *text)
{
	struct conf_errors errs;
	struct auth_keys *k = auth_keys_parse(text, strlen(text), "keys", &errs);

	if (!k || errs.count)
		fail_msg("rejected (%d errors): %s", errs.count, errs.count ? errs.msg[0] : "");
	return k;
}

static void unhex(const char *hex, uint8_t *out, size_t *len)
{
	size_t i, n = strlen(hex) / 2;

	for (i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	*len = n;
}

static void test_parse_good(void **state)
{
	static const struct { uint32_t id; enum auth_type type; size_t dlen; } want[] = {
		{ 1, AUTH_MD5, 16 }, { 2, AUTH_SHA1, 20 }, { 3, AUTH_AES128, 16 },
		{ 4, AUTH_AES256, 16 }, { 5, AUTH_MD5, 16 }, { 6, AUTH_MD5, 16 },
		{ 7, AUTH_SHA1, 20 }, { 8, AUTH_AES128, 16 }, { 9, AUTH_AES128, 16 },
		{ 10, AUTH_AES256, 16 }, { 11, AUTH_AES256, 16 }, { 12, AUTH_MD5, 16 },
		{ 4294967295u, AUTH_SHA1, 20 },
	};
	struct auth_keys *k = parse_ok(good_file);
	enum auth_type t;
	size_t i, dlen;

	(void)state;
	assert_int_equal(auth_keys_count(k), sizeof(want) / sizeof(want[0]));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (!auth_key_info(k, want[i].id, &t, &dlen))
			fail_msg("key %u missing", want[i].id);
		assert_int_equal(t, want[i].type);
		assert_int_equal(dlen, want[i].dlen);
	}
	assert_false(auth_key_info(k, 13, &t, &dlen));
	assert_false(auth_key_info(k, 0, NULL, NULL));
	assert_false(auth_key_info(NULL, 1, NULL, NULL));
	assert_int_equal(auth_keys_count(NULL), 0);
	auth_keys_destroy(k);
	auth_keys_destroy(NULL);
}

static void test_empty_file(void **state)
{
	static const char *const texts[] = { "", "\n\n", "# only comments\n  # here\n", "\r\n" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct auth_keys *k = parse_ok(texts[i]);

		assert_int_equal(auth_keys_count(k), 0);
		auth_keys_destroy(k);
	}
}

/* Digest of data with key id, compared with the expected hex. */
static void check_digest(const struct auth_keys *k, uint32_t id, const uint8_t *data,
			 size_t len, const char *hex)
{
	uint8_t want[AUTH_MAX_DIGEST], got[AUTH_MAX_DIGEST];
	size_t wlen;
	int n;

	unhex(hex, want, &wlen);
	n = auth_digest(k, id, data, len, got);
	if (n != (int)wlen || memcmp(got, want, wlen))
		fail_msg("key %u, %zu bytes of data: wrong digest (length %d)", id, len, n);
	/* and it verifies, in place */
	assert_int_equal(auth_verify(k, id, data, len, want, wlen), AUTH_OK);
}

static void test_known_answers(void **state)
{
	static const uint8_t rfc4493_m16[16] = {
		0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96,
		0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a,
	};
	struct auth_keys *k = parse_ok(good_file);
	uint8_t pkt[48];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)i;
	/* MD5(key || data), SHA1(key || data): key "abc" with no data. */
	check_digest(k, 5, pkt, 0, "900150983cd24fb0d6963f7d28e17f72");
	check_digest(k, 6, pkt, 0, "900150983cd24fb0d6963f7d28e17f72");
	check_digest(k, 7, pkt, 0, "a9993e364706816aba3e25717850c26c9cd0d89d");
	/* The key, then the packet. */
	check_digest(k, 1, pkt, 48, "182902e76806a68cdd5d0fc7c2b19a18");
	check_digest(k, 2, pkt, 48, "fe21f608d42aaf0fb20637d37065a9e53b5f761a");
	/* RFC 4493 §4 AES-128-CMAC examples 1 and 2, and our packet. */
	check_digest(k, 3, pkt, 0, "bb1d6929e95937287fa37d129b756746");
	check_digest(k, 3, rfc4493_m16, 16, "070a16b46b4d4144f79bdd9dd04a287c");
	check_digest(k, 3, pkt, 48, "b46dd8856c4fee713a9243e917f1fdb7");
	check_digest(k, 8, pkt, 48, "b46dd8856c4fee713a9243e917f1fdb7");
	/* NIST SP 800-38B D.3 AES-256-CMAC examples 1 and 2, and our packet. */
	check_digest(k, 4, pkt, 0, "028962f61b7bf89efc6b551f4667d983");
	check_digest(k, 4, rfc4493_m16, 16, "28a7023f452e8f82bd4bf28d8c37c35c");
	check_digest(k, 4, pkt, 48, "0c00787f59088fb8343d8597f6650bc5");
	check_digest(k, 11, pkt, 48, "0c00787f59088fb8343d8597f6650bc5");
	assert_int_equal(auth_digest(k, 99, pkt, 48, pkt), -ENOKEY);
	assert_int_equal(auth_digest(NULL, 1, pkt, 48, pkt), -ENOKEY);
	auth_keys_destroy(k);
}

/* One changed bit anywhere, a digest of the wrong length, an unknown key:
 * none verifies. */
static void test_verify_rejects(void **state)
{
	struct auth_keys *k = parse_ok(good_file);
	static const uint32_t ids[] = { 1, 2, 3, 4 };
	uint8_t pkt[64], d[AUTH_MAX_DIGEST + 4];
	size_t i, b;

	(void)state;
	for (i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 7);
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		int n = auth_digest(k, ids[i], pkt, 48, d);

		assert_true(n == 16 || n == 20);
		assert_int_equal(auth_verify(k, ids[i], pkt, 48, d, (size_t)n), AUTH_OK);
		for (b = 0; b < (size_t)n * 8; b++) {
			d[b / 8] ^= (uint8_t)(1 << (b % 8));
			if (auth_verify(k, ids[i], pkt, 48, d, (size_t)n) != AUTH_BAD_MAC)
				fail_msg("key %u: digest with bit %zu flipped accepted", ids[i], b);
			d[b / 8] ^= (uint8_t)(1 << (b % 8));
		}
		for (b = 0; b < 48 * 8; b += 13) {
			pkt[b / 8] ^= (uint8_t)(1 << (b % 8));
			if (auth_verify(k, ids[i], pkt, 48, d, (size_t)n) != AUTH_BAD_MAC)
				fail_msg("key %u: packet with bit %zu flipped accepted", ids[i], b);
			pkt[b / 8] ^= (uint8_t)(1 << (b % 8));
		}
		/* Truncated or extended digests are not accepted. */
		assert_int_equal(auth_verify(k, ids[i], pkt, 48, d, (size_t)n - 4),
				 AUTH_BAD_MAC);
		assert_int_equal(auth_verify(k, ids[i], pkt, 48, d, (size_t)n + 4),
				 AUTH_BAD_MAC);
		assert_int_equal(auth_verify(k, ids[i], pkt, 48, d, 0), AUTH_BAD_MAC);
		/* The same digest under another key id. */
		assert_int_equal(auth_verify(k, ids[i] + 100, pkt, 48, d, (size_t)n),
				 AUTH_UNKNOWN_KEY);
	}
	/* Same key text, different types: different MACs. */
	{
		uint8_t d5[AUTH_MAX_DIGEST];

		assert_int_equal(auth_digest(k, 5, pkt, 48, d5), 16);
		assert_int_equal(auth_verify(k, 7, pkt, 48, d5, 16), AUTH_BAD_MAC);
	}
	assert_int_equal(auth_verify(NULL, 1, pkt, 48, d, 16), AUTH_UNKNOWN_KEY);
	auth_keys_destroy(k);
}

/* append_mac then verify from the wire layout, for every type. */
static void test_append_round_trip(void **state)
{
	static const uint32_t ids[] = { 1, 2, 3, 4, 4294967295u };
	struct auth_keys *k = parse_ok(good_file);
	uint8_t pkt[NTP_HEADER_LEN + NTP_MAC_MAX];
	size_t i, len, dlen;

	(void)state;
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		memset(pkt, 0x5a, sizeof(pkt));
		pkt[0] = 0x23;
		assert_true(auth_key_info(k, ids[i], NULL, &dlen));
		len = ntp_mac_append(k, ids[i], pkt, NTP_HEADER_LEN, sizeof(pkt));
		assert_int_equal(len, NTP_HEADER_LEN + 4 + dlen);
		assert_int_equal(get_be32(pkt + NTP_HEADER_LEN), ids[i]);
		assert_int_equal(ntp_pkt_mac_offset(pkt, len), NTP_HEADER_LEN);
		assert_int_equal(auth_verify(k, get_be32(pkt + 48), pkt, 48, pkt + 52, len - 52),
				 AUTH_OK);
		/* No room: nothing written, 0. */
		assert_int_equal(ntp_mac_append(k, ids[i], pkt, NTP_HEADER_LEN,
						     NTP_HEADER_LEN + 3 + dlen), 0);
		assert_int_equal(ntp_mac_append(k, ids[i], pkt, NTP_HEADER_LEN, 10), 0);
	}
	assert_int_equal(ntp_mac_append(k, 77, pkt, NTP_HEADER_LEN, sizeof(pkt)), 0);
	assert_int_equal(ntp_mac_append(NULL, 1, pkt, NTP_HEADER_LEN, sizeof(pkt)), 0);
	auth_keys_destroy(k);
}

static void test_constant_time_equal(void **state)
{
	uint8_t a[64], b[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(a); i++)
		a[i] = b[i] = (uint8_t)(i * 31 + 1);
	assert_true(auth_equal(a, b, sizeof(a)));
	assert_true(auth_equal(a, b, 0));
	/* A difference in any single byte or bit is found: the loop does not
	 * stop early, so a difference at the end counts like one at the start. */
	for (i = 0; i < sizeof(a) * 8; i++) {
		b[i / 8] ^= (uint8_t)(1 << (i % 8));
		if (auth_equal(a, b, sizeof(a)))
			fail_msg("bit %zu difference not found", i);
		b[i / 8] ^= (uint8_t)(1 << (i % 8));
	}
	/* Differences past n do not count. */
	b[63] ^= 1;
	assert_true(auth_equal(a, b, 63));
	assert_false(auth_equal(a, b, 64));
}

/* Each bad text gives exactly one error at the expected line, and the
 * message says what is allowed. */
static void test_parse_errors(void **state)
{
	static const struct { const char *text; int line; const char *says; } cases[] = {
		{ "0 MD5 abc\n", 1, "out of range (allowed: 1..4294967295" },
		{ "4294967296 MD5 abc\n", 1, "out of range" },
		{ "12345678901 MD5 abc\n", 1, "decimal number" },
		{ "-1 MD5 abc\n", 1, "decimal number" },
		{ "+1 MD5 abc\n", 1, "decimal number" },
		{ "1x MD5 abc\n", 1, "decimal number" },
		{ "0x10 MD5 abc\n", 1, "decimal number" },
		{ "# c\n1\n", 2, "no key" },
		{ "1 SHA384 abc\n", 1, "type SHA384 is not supported (allowed: MD5, M, SHA1, SHA256" },
		{ "1 sha512 abc\n", 1, "type SHA512 is not supported" },
		{ "1 FOO abc\n", 1, "unknown key type" },
		{ "1 MD5 HEX:abc\n", 1, "even, non-zero number of hexadecimal digits (got 3)" },
		{ "1 MD5 HEX:\n", 1, "even, non-zero" },
		{ "1 MD5 HEX:0g\n", 1, "character 2 is not a hexadecimal digit" },
		{ "1 MD5 HEX:g0\n", 1, "character 1 is not a hexadecimal digit" },
		{ "1 MD5 ASCII:\n", 1, "empty key" },
		{ "1 AES128 HEX:00\n", 1, "AES128 needs a key of exactly 16 bytes, not 1" },
		{ "1 AES128 HEX:2b7e151628aed2a6abf7158809cf4f3c00\n", 1, "exactly 16 bytes, not 17" },
		{ "1 AES256 HEX:2b7e151628aed2a6abf7158809cf4f3c\n", 1, "exactly 32 bytes, not 16" },
		{ "1 AES256 0123456789abcdef\n", 1, "AES256 needs a key of exactly 32" },
		{ "1 AES128 0123456789abcdef0\n", 1, "exactly 16 bytes, not 17" },
		{ "1 MD5 0123456789012345678901234567890123456789012345678901234567890123x\n", 1,
		  "too long (allowed: 1..64 bytes)" },
		{ "1 MD5 HEX:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
		  "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40\n", 1,
		  "65 bytes is too long" },
		{ "1 MD5 abc def\n", 1, "too many words" },
		{ "1 abc # comment\n", 1, "too many words" },
		{ "1 MD5 a b c d e f g h i j\n", 1, "too many words" },
		{ "1 MD5 abc\n2 MD5 abc\n1 SHA1 abc\n", 3, "key 1 defined again (first on line 1" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conf_errors errs;
		char prefix[32];
		struct auth_keys *k = auth_keys_parse(cases[i].text, strlen(cases[i].text),
							 "keys.txt", &errs);

		if (k || errs.count != 1)
			fail_msg("case %zu (%s): %d errors, store %p", i, cases[i].text, errs.count,
				 (void *)k);
		snprintf(prefix, sizeof(prefix), "keys.txt:%d: ", cases[i].line);
		if (strncmp(errs.msg[0], prefix, strlen(prefix)) || !strstr(errs.msg[0], cases[i].says))
			fail_msg("case %zu: got \"%s\", expected \"%s...%s\"", i, errs.msg[0], prefix,
				 cases[i].says);
	}
}

/* Lines too long, NUL bytes, several errors at once; no error stops the
 * parse of the lines after it. */
static void test_parse_errors_structural(void **state)
{
	struct conf_errors errs;
	char *big = malloc(3000);
	static const char nul[] = "1 MD5 abc\n2 MD5 a\0c\n3 MD5 abc\n";
	static const char several[] = "0 MD5 a\n1 MD5 a\n2 FOO a\n3 AES128 a\n3 MD5 a\n";
	struct auth_keys *k;

	(void)state;
	assert_non_null(big);
	memset(big, 'a', 2999);
	memcpy(big, "1 MD5 ", 6);
	big[2999] = '\0';
	k = auth_keys_parse(big, strlen(big), "k", &errs);
	assert_null(k);
	assert_int_equal(errs.count, 1);
	assert_string_equal(errs.msg[0], "k:1: line longer than 1024 characters");
	free(big);

	k = auth_keys_parse(nul, sizeof(nul) - 1, "k", &errs);
	assert_null(k);
	assert_int_equal(errs.count, 1);
	assert_string_equal(errs.msg[0], "k:2: line contains a NUL byte");

	k = auth_keys_parse(several, strlen(several), "k", &errs);
	assert_null(k);
	/* Line 4 failed, so key 3 on line 5 is not a duplicate. */
	assert_int_equal(errs.count, 3);
	assert_non_null(strstr(errs.msg[0], "k:1: "));
	assert_non_null(strstr(errs.msg[1], "k:3: "));
	assert_non_null(strstr(errs.msg[2], "k:4: "));
	/* Not NUL-terminated: the length is the limit. */
	k = auth_keys_parse("1 MD5 abcXYZ", 9, "k", &errs);
	assert_non_null(k);
	assert_int_equal(errs.count, 0);
	auth_keys_destroy(k);
}

/* No error message may contain key material, whatever is wrong with the
 * line it is on. */
static void test_errors_never_show_keys(void **state)
{
	static const char *const lines[] = {
		"1 s3cr3tKEY extra\n",		/* the key in the type position */
		"1 s3cr3tKEY a b\n",
		"x s3cr3tKEY\n",
		"s3cr3tKEY\n",
		"1 AES128 s3cr3tKEY\n",
		"1 AES256 ASCII:s3cr3tKEY\n",
		"1 MD5 HEX:s3cr3tKEY\n",
		"1 MD5 HEX:5e3c3e7b5e3c3e7bs3cr3tKEY0\n",
		"1 MD5 s3cr3tKEY\n1 MD5 s3cr3tKEY\n",
		"1 MD5 s3cr3tKEYs3cr3tKEYs3cr3tKEYs3cr3tKEYs3cr3tKEYs3cr3tKEYs3cr3tKEYs3cr3tKEY\n",
	};
	size_t i;
	int e;

	(void)state;
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct conf_errors errs;
		struct auth_keys *k = auth_keys_parse(lines[i], strlen(lines[i]), "k", &errs);

		if (k || errs.count < 1)
			fail_msg("line %zu accepted", i);
		for (e = 0; e < errs.count && e < CONF_MAX_ERRORS; e++)
			if (strstr(errs.msg[e], "s3cr3t") || strstr(errs.msg[e], "5e3c3e7b"))
				fail_msg("error shows key material: %s", errs.msg[e]);
	}
}

static void test_load_file(void **state)
{
	char dir[] = "/tmp/gnomon-test-keys.XXXXXX", path[64], fifo[64];
	struct conf_errors errs;
	struct auth_keys *k;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/keys", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(good_file, f);
	fclose(f);
	k = auth_keys_load(path, &errs);
	assert_non_null(k);
	assert_int_equal(errs.count, 0);
	assert_int_equal(auth_keys_count(k), 13);
	auth_keys_destroy(k);
	/* A bad line is reported with the file's own path. */
	f = fopen(path, "a");
	assert_non_null(f);
	fputs("7 MD5 again\n", f);
	fclose(f);
	assert_null(auth_keys_load(path, &errs));
	assert_int_equal(errs.count, 1);
	assert_int_equal(strncmp(errs.msg[0], path, strlen(path)), 0);
	assert_non_null(strstr(errs.msg[0], ":17: key 7 defined again (first on line 10"));
	unlink(path);
	/* Missing file, a directory, a FIFO (must not block). */
	assert_null(auth_keys_load(path, &errs));
	assert_int_equal(errs.count, 1);
	assert_non_null(strstr(errs.msg[0], "cannot open the key file: No such file"));
	assert_null(auth_keys_load(dir, &errs));
	assert_non_null(strstr(errs.msg[0], "not a regular file"));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_null(auth_keys_load(fifo, &errs));
	assert_non_null(strstr(errs.msg[0], "not a regular file"));
	unlink(fifo);
	rmdir(dir);
}

/* Measured at parse time: positive and small for every key. */
static void test_mac_delay(void **state)
{
	struct auth_keys *k = parse_ok(good_file);
	uint32_t id;

	(void)state;
	for (id = 1; id <= 12; id++) {
		gt_ns d = auth_mac_delay(k, id);

		if (d <= 0 || d > 10 * GT_NS_PER_MS)
			fail_msg("key %u: MAC delay %lld ns", id, (long long)d);
	}
	assert_int_equal(auth_mac_delay(k, 13), 0);
	assert_int_equal(auth_mac_delay(NULL, 1), 0);
	auth_keys_destroy(k);
}

/* gnomond's `keyfile` directive loads the store at parse time and reports
 * the key file's errors as KEYFILE:LINE after a line naming its own. */
static void test_keyfile_directive(void **state)
{
	char dir[] = "/tmp/gnomon-test-kd.XXXXXX", keys[64], conf[160];
	struct conf_errors errs;
	struct dconf cfg;
	FILE *f;
	int n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(keys, sizeof(keys), "%s/keys", dir);
	f = fopen(keys, "w");
	assert_non_null(f);
	fputs("1 MD5 abcdefghijkl\n2 AES128 HEX:00\n", f);
	fclose(f);
	dconf_init(&cfg);
	snprintf(conf, sizeof(conf), "port 0\nkeyfile %s\n", keys);
	n = dconf_parse_buffer(&cfg, "g.conf", conf, strlen(conf), &errs);
	assert_int_equal(n, 2);
	assert_non_null(strstr(errs.msg[0], "g.conf:2: keyfile "));
	assert_non_null(strstr(errs.msg[0], "1 error in the key file"));
	assert_int_equal(strncmp(errs.msg[1], keys, strlen(keys)), 0);
	assert_non_null(strstr(errs.msg[1], ":2: key 2: AES128 needs a key of exactly 16 bytes"));
	assert_null(cfg.keys);
	dconf_fini(&cfg);

	f = fopen(keys, "w");
	assert_non_null(f);
	fputs("1 MD5 abcdefghijkl\n2 AES128 HEX:000102030405060708090a0b0c0d0e0f\n", f);
	fclose(f);
	dconf_init(&cfg);
	assert_false(cfg.crypto_nak);
	snprintf(conf, sizeof(conf), "keyfile %s\ncrypto-nak on\n", keys);
	assert_int_equal(dconf_parse_buffer(&cfg, "g.conf", conf, strlen(conf), &errs), 0);
	assert_int_equal(auth_keys_count(cfg.keys), 2);
	assert_true(cfg.crypto_nak);
	assert_string_equal(cfg.keyfile, keys);
	dconf_fini(&cfg);
	assert_null(cfg.keys);

	/* Twice is an error, and a missing file names the path. */
	dconf_init(&cfg);
	snprintf(conf, sizeof(conf), "keyfile %s\nkeyfile %s\nkeyfile\n", keys, keys);
	assert_int_equal(dconf_parse_buffer(&cfg, "g.conf", conf, strlen(conf), &errs), 2);
	assert_non_null(strstr(errs.msg[0], "g.conf:2: keyfile given more than once"));
	assert_non_null(strstr(errs.msg[1], "g.conf:3: "));
	dconf_fini(&cfg);
	unlink(keys);
	dconf_init(&cfg);
	assert_int_equal(dconf_parse_buffer(&cfg, "g.conf", conf, strlen(conf), &errs) >= 2, 1);
	assert_non_null(strstr(errs.msg[1], "cannot open the key file"));
	dconf_fini(&cfg);
	rmdir(dir);
}

static void test_type_names(void **state)
{
	(void)state;
	assert_string_equal(auth_type_name(AUTH_MD5), "MD5");
	assert_string_equal(auth_type_name(AUTH_SHA1), "SHA1");
	assert_string_equal(auth_type_name(AUTH_AES128), "AES128");
	assert_string_equal(auth_type_name(AUTH_AES256), "AES256");
	assert_string_equal(auth_type_name(AUTH_SHA256), "SHA256");
	assert_string_equal(auth_type_name((enum auth_type)42), "unknown");
}

/* SHA256 keys. RFC 4231 §4.2-4.6 test cases 1-5 (cases 6 and 7 use
 * 131-byte keys, longer than a key file allows); the NTP digest of
 * key || packet cut to 20 bytes (Python: hashlib.sha256(key + pkt)). */
static const char sha256_file[] =
	"1 SHA256 HEX:0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b\n"
	"2 sha256 Jefe\n"
	"3 SHA256 HEX:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
	"4 SHA256 HEX:0102030405060708090a0b0c0d0e0f10111213141516171819\n"
	"5 SHA256 HEX:0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c\n"
	"6 SHA256 abc\n"
	"7 SHA256 ASCII:gnomon-sha256-key\n"
	"8 SHA1 abc\n"
	"9 MD5 abc\n"
	"10 AES128 HEX:2b7e151628aed2a6abf7158809cf4f3c\n";

static void check_hmac(const struct auth_keys *k, uint32_t id, const uint8_t *data,
		       size_t len, const char *hex)
{
	uint8_t want[AUTH_SHA256_LEN], got[AUTH_SHA256_LEN];
	size_t wlen;

	unhex(hex, want, &wlen);
	assert_int_equal(auth_hmac_sha256(k, id, data, len, got), 0);
	/* Case 5 gives only the first 128 bits (RFC 4231 §4.6). */
	if (memcmp(got, want, wlen))
		fail_msg("key %u: wrong HMAC-SHA256", id);
}

static void test_hmac_sha256_rfc4231(void **state)
{
	struct auth_keys *k = parse_ok(sha256_file);
	uint8_t dd[50], cd[50], out[AUTH_SHA256_LEN];

	(void)state;
	memset(dd, 0xdd, sizeof(dd));
	memset(cd, 0xcd, sizeof(cd));
	check_hmac(k, 1, (const uint8_t *)"Hi There", 8,
		   "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	check_hmac(k, 2, (const uint8_t *)"what do ya want for nothing?", 28,
		   "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	check_hmac(k, 3, dd, sizeof(dd),
		   "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
	check_hmac(k, 4, cd, sizeof(cd),
		   "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
	check_hmac(k, 5, (const uint8_t *)"Test With Truncation", 20,
		   "a3b6167473100ee06e0c796c2955552b");
	/* Unknown key, no store, keys of other types. */
	assert_int_equal(auth_hmac_sha256(k, 99, dd, 8, out), -ENOKEY);
	assert_int_equal(auth_hmac_sha256(NULL, 1, dd, 8, out), -ENOKEY);
	assert_int_equal(auth_hmac_sha256(k, 8, dd, 8, out), -EKEYREJECTED);
	assert_int_equal(auth_hmac_sha256(k, 9, dd, 8, out), -EKEYREJECTED);
	assert_int_equal(auth_hmac_sha256(k, 10, dd, 8, out), -EKEYREJECTED);
	auth_keys_destroy(k);
}

/* NTP MACs with a SHA256 key: SHA256(key || packet), 20 bytes in an NTPv4
 * MAC as chrony sends it; a whole digest (chrony's NTPv3) verifies too. */
static void test_sha256_ntp_mac(void **state)
{
	struct auth_keys *k = parse_ok(sha256_file);
	uint8_t pkt[NTP_HEADER_LEN + NTP_MAC_MAX], full[AUTH_SHA256_LEN];
	enum auth_type t;
	size_t i, dlen, wlen, len;

	(void)state;
	assert_true(auth_key_info(k, 7, &t, &dlen));
	assert_int_equal(t, AUTH_SHA256);
	assert_int_equal(dlen, 20);
	for (i = 0; i < NTP_HEADER_LEN; i++)
		pkt[i] = (uint8_t)i;
	check_digest(k, 6, pkt, 0, "ba7816bf8f01cfea414140de5dae2223b00361a3");
	check_digest(k, 7, pkt, 48, "6e0128028222f513ef921be30e717fff45d66bb6");
	unhex("6e0128028222f513ef921be30e717fff45d66bb64f298bf0bbac9814838f1d2d", full, &wlen);
	assert_int_equal(auth_verify(k, 7, pkt, 48, full, 32), AUTH_OK);
	for (i = 0; i < 32 * 8; i++) {
		full[i / 8] ^= (uint8_t)(1 << (i % 8));
		if (auth_verify(k, 7, pkt, 48, full, 32) != AUTH_BAD_MAC)
			fail_msg("whole digest with bit %zu flipped accepted", i);
		full[i / 8] ^= (uint8_t)(1 << (i % 8));
	}
	/* Only 20 or 32 bytes, never something between or a prefix. */
	for (i = 0; i <= 36; i++)
		if (i != 20 && i != 32 &&
		    auth_verify(k, 7, pkt, 48, full, i) != AUTH_BAD_MAC)
			fail_msg("a %zu-byte digest accepted", i);
	len = ntp_mac_append(k, 7, pkt, NTP_HEADER_LEN, sizeof(pkt));
	assert_int_equal(len, NTP_HEADER_LEN + 24);
	assert_int_equal(get_be32(pkt + NTP_HEADER_LEN), 7);
	assert_memory_equal(pkt + 52, full, 20);
	/* As an NTPv4 client request: the 24-byte MAC is found and verifies. */
	pkt[0] = 0x23;
	len = ntp_mac_append(k, 7, pkt, NTP_HEADER_LEN, sizeof(pkt));
	assert_int_equal(ntp_pkt_mac_offset(pkt, len), NTP_HEADER_LEN);
	assert_int_equal(auth_verify(k, 7, pkt, 48, pkt + 52, len - 52), AUTH_OK);
	assert_true(auth_mac_delay(k, 7) > 0);
	auth_keys_destroy(k);
}

static void test_key_ids_by_type(void **state)
{
	struct auth_keys *k = parse_ok(sha256_file);
	uint32_t ids[16];

	(void)state;
	assert_int_equal(auth_key_ids(k, AUTH_SHA256, ids, 16), 7);
	assert_int_equal(ids[0], 1);
	assert_int_equal(ids[6], 7);
	/* Counted in full even when fewer fit. */
	memset(ids, 0, sizeof(ids));
	assert_int_equal(auth_key_ids(k, AUTH_SHA256, ids, 2), 7);
	assert_int_equal(ids[1], 2);
	assert_int_equal(ids[2], 0);
	assert_int_equal(auth_key_ids(k, AUTH_SHA256, NULL, 0), 7);
	assert_int_equal(auth_key_ids(k, AUTH_SHA1, ids, 16), 1);
	assert_int_equal(ids[0], 8);
	assert_int_equal(auth_key_ids(k, AUTH_AES256, ids, 16), 0);
	assert_int_equal(auth_key_ids(NULL, AUTH_SHA256, ids, 16), 0);
	auth_keys_destroy(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_verify_rejects),
		cmocka_unit_test(test_append_round_trip),
		cmocka_unit_test(test_constant_time_equal),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_errors_structural),
		cmocka_unit_test(test_errors_never_show_keys),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_mac_delay),
		cmocka_unit_test(test_keyfile_directive),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_hmac_sha256_rfc4231),
		cmocka_unit_test(test_sha256_ntp_mac),
		cmocka_unit_test(test_key_ids_by_type),
	};

	return cmocka_run_group_tests_name("auth", tests, NULL, NULL);
}
