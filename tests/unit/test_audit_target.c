/* Unit tests for audit/audit_target: the target of /probe (ADDR[:PORT]),
 * outside input from any allowed HTTP client. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "audit/audit_target.h"

static void ok(const char *s, const char *host, uint16_t port)
{
	char h[256];
	uint16_t p = 7;
	const char *why = NULL;

	assert_int_equal(audit_target_parse(s, h, sizeof(h), &p, &why), 0);
	assert_string_equal(h, host);
	assert_int_equal(p, port);
}

static void bad(const char *s, const char *why_part)
{
	char h[256];
	uint16_t p;
	const char *why = NULL;

	assert_int_equal(audit_target_parse(s, h, sizeof(h), &p, &why), -EINVAL);
	assert_non_null(why);
	if (why_part && !strstr(why, why_part))
		fail_msg("'%s': '%s' does not say '%s'", s, why, why_part);
}

static void test_addresses(void **state)
{
	(void)state;
	ok("198.18.0.1", "198.18.0.1", 0);
	ok("198.18.0.1:123", "198.18.0.1", 123);
	ok("127.0.0.1:65535", "127.0.0.1", 65535);
	ok("::1", "::1", 0);
	ok("2001:db8::1", "2001:db8::1", 0);
	ok("[::1]", "::1", 0);
	ok("[::1]:11123", "::1", 11123);
	ok("[::ffff:198.18.0.1]:37", "::ffff:198.18.0.1", 37);
	ok("ntp.example.org", "ntp.example.org", 0);
	ok("ntp.example.org.:80", "ntp.example.org.", 80);
	ok("a-b.c1", "a-b.c1", 0);
	ok("localhost:123", "localhost", 123);
}

static void test_malformed(void **state)
{
	char h[8];
	uint16_t p;
	const char *why;

	(void)state;
	bad("", "no target");
	bad("198.18.0.1:", "port");
	bad("198.18.0.1:0", "port");
	bad("198.18.0.1:65536", "port");
	bad("198.18.0.1:+123", "port");
	bad("198.18.0.1:12a", "port");
	bad("198.18.0.1:000123", "port");
	bad("198.18.0.999", "IPv4");
	bad("1.2.3", "IPv4");
	bad("[::1", "']'");
	bad("[::1]x", "after ']'");
	bad("[198.18.0.1]:123", "IPv6");
	bad("[]:123", "IPv6");
	bad(":::1:2:3:4:5:6:7:8:9", "IPv6");
	bad("fe80::1%eth0", "IPv6");
	bad("-host", NULL);
	bad("host-", NULL);
	bad("ho..st", NULL);
	bad(".host", NULL);
	bad("ho st", NULL);
	bad("host/x", NULL);
	bad("host_name", NULL);
	bad("h\xc3\xa9", NULL);
	bad("x:1:", "IPv6");
	bad("a123456789012345678901234567890123456789012345678901234567890123.org", NULL);
	/* Longer than the caller's buffer: refused, never cut. */
	assert_int_equal(audit_target_parse("abcdefgh", h, sizeof(h), &p, &why), -EINVAL);
	assert_int_equal(audit_target_parse("abcdefg", h, sizeof(h), &p, &why), 0);
	assert_int_equal(audit_target_parse(NULL, h, sizeof(h), &p, &why), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
