/* Unit tests for the audit's reply parsers (src/audit/audit_parse.c):
 * NTP mode 4 (RFC 5905), RFC 868 TIME, HTTP Date (RFC 9110 §5.6.7) and
 * ICMP timestamp replies (RFC 792), well-formed and malformed; plus the
 * shared names (audit.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit_probe.h"
#include "lib/bytes.h"

#define S(x) ((gt_ns)(x) * GT_NS_PER_S)
#define COOKIE UINT64_C(0x0123456789abcdef)
/* 1994-11-06 08:49:37 UTC, RFC 9110's example date. */
#define RFC_DATE S(784111777)

static void ntp_reply(uint8_t *b, int li, int vn, int mode, int stratum, uint64_t origin,
		      gt_ns rx, gt_ns tx)
{
	memset(b, 0, 48);
	b[0] = (uint8_t)(li << 6 | vn << 3 | mode);
	b[1] = (uint8_t)stratum;
	put_be32(b + 12, 0x47505300);	/* "GPS" */
	put_be64(b + 24, origin);
	put_be64(b + 32, rx ? ntp_ts_from_ns(rx) : 0);
	put_be64(b + 40, tx ? ntp_ts_from_ns(tx) : 0);
}

static void test_ntp_good(void **state)
{
	uint8_t b[68];
	struct audit_ntp_reply r;
	gt_ns t = S(1700000000) + 250000000;

	(void)state;
	ntp_reply(b, 0, 4, 4, 2, COOKIE, t, t + 1000);
	assert_int_equal(audit_parse_ntp(b, 48, COOKIE, &r), 0);
	assert_false(r.kod);
	assert_int_equal(r.stratum, 2);
	assert_int_equal(r.leap, 0);
	assert_int_equal(r.mode, 4);
	assert_int_equal(r.refid, 0x47505300);
	assert_true(llabs(r.t2 - t) <= 1);
	assert_true(llabs(r.t3 - (t + 1000)) <= 1);
	/* A MAC or extension after the header is not our business. */
	assert_int_equal(audit_parse_ntp(b, sizeof(b), COOKIE, &r), 0);
	/* Version 3 servers still answer. */
	ntp_reply(b, 0, 3, 4, 2, COOKIE, t, t);
	assert_int_equal(audit_parse_ntp(b, 48, COOKIE, &r), 0);
	/* An unsynchronised server's reply parses; the engine judges it. */
	ntp_reply(b, 3, 4, 4, 16, COOKIE, t, t);
	assert_int_equal(audit_parse_ntp(b, 48, COOKIE, &r), 0);
	assert_int_equal(r.leap, 3);
	assert_int_equal(r.stratum, 16);
}

static void test_ntp_kod(void **state)
{
	uint8_t b[48];
	struct audit_ntp_reply r;

	(void)state;
	ntp_reply(b, 3, 4, 4, 0, COOKIE, 0, 0);
	memcpy(b + 12, "RATE", 4);
	assert_int_equal(audit_parse_ntp(b, 48, COOKIE, &r), 0);
	assert_true(r.kod);
	assert_int_equal(r.refid, 0x52415445);
}

static void test_ntp_malformed(void **state)
{
	uint8_t b[48];
	struct audit_ntp_reply r;
	gt_ns t = S(1700000000);

	(void)state;
	ntp_reply(b, 0, 4, 4, 2, COOKIE, t, t);
	assert_int_equal(audit_parse_ntp(NULL, 48, COOKIE, &r), -EINVAL);
	assert_int_equal(audit_parse_ntp(b, 0, COOKIE, &r), -EINVAL);
	assert_int_equal(audit_parse_ntp(b, 47, COOKIE, &r), -EINVAL);
	/* The origin must echo our cookie (RFC 5905 §8 test 2). */
	assert_int_equal(audit_parse_ntp(b, 48, COOKIE + 1, &r), -EPROTO);
	/* A request (mode 3) reflected back, a broadcast, a symmetric peer. */
	ntp_reply(b, 0, 4, 3, 2, COOKIE, t, t);
	assert_int_equal(audit_parse_ntp(b, 48, COOKIE, &r), -EPROTO);
	ntp_reply(b, 0, 4, 5, 2, COOKIE, t, t);
	assert_int_equal(audit_parse_ntp(b, 48, COOKIE, &r), -EPROTO);
	ntp_reply(b, 0, 4, 1, 2, COOKIE, t, t);
	assert_int_equal(audit_parse_ntp(b, 48, COOKIE, &r), -EPROTO);
	/* Versions 0 and 5..7. */
	ntp_reply(b, 0, 0, 4, 2, COOKIE, t, t);
	assert_int_equal(audit_parse_ntp(b, 48, COOKIE, &r), -EPROTO);
	ntp_reply(b, 0, 5, 4, 2, COOKIE, t, t);
	assert_int_equal(audit_parse_ntp(b, 48, COOKIE, &r), -EPROTO);
	/* Zero receive or transmit timestamp (RFC 5905 §8 test 3). */
	ntp_reply(b, 0, 4, 4, 2, COOKIE, 0, t);
	assert_int_equal(audit_parse_ntp(b, 48, COOKIE, &r), -EPROTO);
	ntp_reply(b, 0, 4, 4, 2, COOKIE, t, 0);
	assert_int_equal(audit_parse_ntp(b, 48, COOKIE, &r), -EPROTO);
	/* Text on the NTP port. */
	memset(b, 'A', sizeof(b));
	assert_int_equal(audit_parse_ntp(b, 48, COOKIE, &r), -EPROTO);
}

static void test_time(void **state)
{
	uint8_t b[8];
	gt_ns now = S(1700000000), out = 0;

	(void)state;
	put_be32(b, (uint32_t)(1700000000 + GT_NTP_UNIX_OFFSET + 3));
	assert_int_equal(audit_parse_time(b, 4, now, &out), 0);
	assert_int_equal(out, now + S(3));
	/* After 2036 the 32-bit count wraps: the era nearest now is taken. */
	put_be32(b, 100);
	assert_int_equal(audit_parse_time(b, 4, S(2085978496) + S(50), &out), 0);
	assert_int_equal(out, S(2085978496) + S(100));
	/* Short, long (another protocol on port 37), empty. */
	assert_int_equal(audit_parse_time(b, 3, now, &out), -EPROTO);
	assert_int_equal(audit_parse_time(b, 5, now, &out), -EPROTO);
	assert_int_equal(audit_parse_time(b, 0, now, &out), -EINVAL);
	assert_int_equal(audit_parse_time(NULL, 4, now, &out), -EINVAL);
}

static int http(const char *s, gt_ns *out)
{
	return audit_parse_http_date(s, strlen(s), out);
}

static void test_http_forms(void **state)
{
	gt_ns t = 0;

	(void)state;
	/* The three forms of RFC 9110 §5.6.7, same instant. */
	assert_int_equal(http("HTTP/1.1 200 OK\r\nServer: x\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n", &t), 0);
	assert_int_equal(t, RFC_DATE);
	t = 0;
	assert_int_equal(http("HTTP/1.0 404 Not Found\r\ndate:Sunday, 06-Nov-94 08:49:37 GMT\r\n\r\n", &t), 0);
	assert_int_equal(t, RFC_DATE);
	t = 0;
	assert_int_equal(http("HTTP/1.1 301 Moved\nDATE:   Sun Nov  6 08:49:37 1994  \n\n", &t), 0);
	assert_int_equal(t, RFC_DATE);
	/* A two-digit day in asctime; a leap day; a leap second. */
	assert_int_equal(http("HTTP/1.1 200 OK\r\nDate: Thu Feb 29 00:00:00 2024\r\n\r\n", &t), 0);
	assert_int_equal(t, S(1709164800));
	assert_int_equal(http("HTTP/1.1 200 OK\r\nDate: Sat, 31 Dec 2016 23:59:60 GMT\r\n", &t), 0);
	assert_int_equal(t, S(1483228800));
	/* RFC 850 years 00..69 are 20xx. */
	assert_int_equal(http("HTTP/1.1 200 OK\r\nDate: Tuesday, 14-Nov-23 22:13:20 GMT\r\n\r\n", &t), 0);
	assert_int_equal(t, S(1700000000));
}

static void test_http_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"HTTP/1.1 200 OK\r\n\r\n",					/* no Date */
		"HTTP/1.1 200 OK\r\nServer: x\r\n\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n", /* in body */
		"HTTP/2 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n",
		"HTTP/1.1 2x0 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n",
		"SSH-2.0-OpenSSH_9.2\r\n",
		"HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT",	/* line cut */
		"HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 UTC\r\n\r\n",
		"HTTP/1.1 200 OK\r\nDate: Sun, 31 Nov 1994 08:49:37 GMT\r\n\r\n",
		"HTTP/1.1 200 OK\r\nDate: Sun, 29 Feb 2023 08:49:37 GMT\r\n\r\n",
		"HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 24:49:37 GMT\r\n\r\n",
		"HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:60:37 GMT\r\n\r\n",
		"HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:61 GMT\r\n\r\n",
		"HTTP/1.1 200 OK\r\nDate: Sun, 00 Nov 1994 08:49:37 GMT\r\n\r\n",
		"HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1899 08:49:37 GMT\r\n\r\n",
		"HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 9999 08:49:37 GMT\r\n\r\n",
		"HTTP/1.1 200 OK\r\nDate: Sun, 6 Nov 1994 08:49:37 GMT\r\n\r\n",
		"HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT trailing\r\n\r\n",
		"HTTP/1.1 200 OK\r\nDate: Xyz, 06 Nov 1994 08:49:37 GMT\r\n\r\n",
		"HTTP/1.1 200 OK\r\nDate: Sun, 06 Foo 1994 08:49:37 GMT\r\n\r\n",
		"HTTP/1.1 200 OK\r\nDate: Sun Nov 6 08:49:37 1994\r\n\r\n",
		"HTTP/1.1 200 OK\r\nDate:\r\n\r\n",
		"HTTP/1.1 200 OK\r\nDate: 1700000000\r\n\r\n",
		"HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:4",
	};
	size_t k;
	gt_ns t;

	(void)state;
	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		int rc = http(bad[k], &t);

		if (rc != -EPROTO && rc != -EINVAL)
			fail_msg("accepted: %s", bad[k]);
	}
	/* An embedded NUL, and a NULL buffer. */
	assert_int_equal(audit_parse_http_date("HTTP/1.1 200 OK\r\n\0Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n", 56, &t), -EINVAL);
	assert_int_equal(audit_parse_http_date(NULL, 10, &t), -EINVAL);
}

static uint16_t csum(const uint8_t *b, size_t len)
{
	uint32_t s = 0;
	size_t k;

	for (k = 0; k + 1 < len; k += 2)
		s += get_be16(b + k);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void icmp_ts(uint8_t *b, int type, uint16_t id, uint16_t seq, uint32_t o, uint32_t r,
		    uint32_t x)
{
	memset(b, 0, 20);
	b[0] = (uint8_t)type;
	put_be16(b + 4, id);
	put_be16(b + 6, seq);
	put_be32(b + 8, o);
	put_be32(b + 12, r);
	put_be32(b + 16, x);
	put_be16(b + 2, csum(b, 20));
}

static void test_icmp(void **state)
{
	uint8_t b[20];
	uint32_t o, r, x;

	(void)state;
	icmp_ts(b, 14, 0x1234, 7, 1000, 1001, 1002);
	assert_int_equal(audit_parse_icmp_ts(b, 20, 0x1234, 7, &o, &r, &x), 0);
	assert_int_equal(o, 1000);
	assert_int_equal(r, 1001);
	assert_int_equal(x, 1002);
	assert_int_equal(audit_parse_icmp_ts(b, 19, 0x1234, 7, &o, &r, &x), -EINVAL);
	assert_int_equal(audit_parse_icmp_ts(NULL, 20, 0x1234, 7, &o, &r, &x), -EINVAL);
	/* Another identifier or sequence: someone else's reply. */
	assert_int_equal(audit_parse_icmp_ts(b, 20, 0x1235, 7, &o, &r, &x), -EPROTO);
	assert_int_equal(audit_parse_icmp_ts(b, 20, 0x1234, 8, &o, &r, &x), -EPROTO);
	/* A bad checksum. */
	b[17] ^= 1;
	assert_int_equal(audit_parse_icmp_ts(b, 20, 0x1234, 7, &o, &r, &x), -EPROTO);
	/* A request (13), an echo reply (0). */
	icmp_ts(b, 13, 0x1234, 7, 1000, 1001, 1002);
	assert_int_equal(audit_parse_icmp_ts(b, 20, 0x1234, 7, &o, &r, &x), -EPROTO);
	icmp_ts(b, 0, 0x1234, 7, 1000, 1001, 1002);
	assert_int_equal(audit_parse_icmp_ts(b, 20, 0x1234, 7, &o, &r, &x), -EPROTO);
	/* The high bit: not a standard time (RFC 792); a time past a day. */
	icmp_ts(b, 14, 0x1234, 7, 1000, 0x80000001, 1002);
	assert_int_equal(audit_parse_icmp_ts(b, 20, 0x1234, 7, &o, &r, &x), -EPROTO);
	icmp_ts(b, 14, 0x1234, 7, 1000, 1001, 86400000);
	assert_int_equal(audit_parse_icmp_ts(b, 20, 0x1234, 7, &o, &r, &x), -EPROTO);
	icmp_ts(b, 14, 0x1234, 7, 1000, 1001, 86399999);
	assert_int_equal(audit_parse_icmp_ts(b, 20, 0x1234, 7, &o, &r, &x), 0);
}

static void test_names(void **state)
{
	enum audit_method m;
	unsigned k;

	(void)state;
	for (k = 0; k < AUDIT_METHOD_COUNT; k++) {
		assert_int_equal(audit_method_parse(audit_method_name((enum audit_method)k), &m), 0);
		assert_int_equal(m, k);
	}
	assert_int_equal(audit_method_parse("NTP", &m), -EINVAL);
	assert_int_equal(audit_method_parse("", &m), -EINVAL);
	assert_int_equal(audit_method_parse(NULL, &m), -EINVAL);
	assert_string_equal(audit_status_name(AUDIT_OK), "ok");
	assert_string_equal(audit_status_name(AUDIT_OFF), "off");
	assert_string_equal(audit_status_name(AUDIT_UNREACHABLE), "unreachable");
	assert_int_equal(audit_method_default_port(AUDIT_NTP), 123);
	assert_int_equal(audit_method_default_port(AUDIT_TIME), 37);
	assert_int_equal(audit_method_default_port(AUDIT_HTTP), 80);
	assert_int_equal(audit_method_default_port(AUDIT_ICMP), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ntp_good),
		cmocka_unit_test(test_ntp_kod),
		cmocka_unit_test(test_ntp_malformed),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_http_forms),
		cmocka_unit_test(test_http_malformed),
		cmocka_unit_test(test_icmp),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
