/* Unit tests for net/acl (allow/deny prefix lists) and the parts of
 * net/addr the ACL depends on (parsing, v4-mapped normalisation). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "net/acl.h"
#include "net/addr.h"

static int setup(void **state)
{
	*state = acl_create();
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	acl_destroy(*state);
	return 0;
}

static struct net_addr addr(const char *s)
{
	struct net_addr a;

	if (net_addr_parse(s, &a))
		fail_msg("test address '%s' does not parse", s);
	return a;
}

static bool allowed(const struct acl *acl, const char *s)
{
	struct net_addr a = addr(s);

	return acl_check(acl, &a);
}

static void add_ok(struct acl *acl, const char *spec, bool allow)
{
	const char *why = "unset";

	if (acl_add(acl, spec, allow, &why) != 0)
		fail_msg("acl_add('%s') failed: %s", spec, why ? why : "(no reason)");
	assert_null(why);
}

#define assert_allowed(acl, s) do { \
	if (!allowed((acl), (s))) fail_msg("%s denied, expected allowed", (s)); } while (0)
#define assert_denied(acl, s) do { \
	if (allowed((acl), (s))) fail_msg("%s allowed, expected denied", (s)); } while (0)

static void test_default_deny(void **state)
{
	struct acl *acl = *state;

	assert_int_equal(acl_count(acl), 0);
	assert_denied(acl, "127.0.0.1");
	assert_denied(acl, "0.0.0.0");
	assert_denied(acl, "::1");
	assert_denied(acl, "2001:db8::1");
	/* Rules of one family never decide for the other. */
	add_ok(acl, "10.0.0.0/8", true);
	assert_denied(acl, "11.0.0.1");
	assert_denied(acl, "::a00:1");
	assert_denied(acl, "2001:db8::1");
}

static void test_v4_prefixes(void **state)
{
	struct acl *acl = *state;

	add_ok(acl, "10.0.0.0/8", true);
	add_ok(acl, "192.0.2.1", true);		/* a host: /32 */
	add_ok(acl, "198.18.0.0/15", true);
	add_ok(acl, "172.16.0.0/12", true);
	assert_int_equal(acl_count(acl), 4);
	assert_allowed(acl, "10.0.0.0");
	assert_allowed(acl, "10.255.255.255");
	assert_denied(acl, "9.255.255.255");
	assert_denied(acl, "11.0.0.0");
	assert_allowed(acl, "192.0.2.1");
	assert_denied(acl, "192.0.2.2");
	assert_denied(acl, "192.0.2.0");
	/* /15 and /12 are not byte-aligned. */
	assert_allowed(acl, "198.18.0.1");
	assert_allowed(acl, "198.19.255.255");
	assert_denied(acl, "198.20.0.0");
	assert_denied(acl, "198.17.255.255");
	assert_allowed(acl, "172.31.255.255");
	assert_denied(acl, "172.32.0.0");
	assert_denied(acl, "172.15.255.255");
}

static void test_v6_prefixes(void **state)
{
	struct acl *acl = *state;

	add_ok(acl, "2001:db8::/32", true);
	add_ok(acl, "2001:db8:1::/48", false);
	add_ok(acl, "::1", true);
	add_ok(acl, "fd00::/7", true);	/* not byte-aligned: fc00::/7 */
	assert_allowed(acl, "2001:db8::1");
	assert_allowed(acl, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
	assert_denied(acl, "2001:db8:1::5");
	assert_allowed(acl, "2001:db8:2::5");
	assert_denied(acl, "2001:db9::1");
	assert_allowed(acl, "::1");
	assert_denied(acl, "::2");
	assert_allowed(acl, "fc00::1");
	assert_allowed(acl, "fdff::1");
	assert_denied(acl, "fe00::1");
	/* v4 is unaffected by v6 rules. */
	assert_denied(acl, "127.0.0.1");
}

static void test_most_specific_wins(void **state)
{
	struct acl *a = *state, *b = acl_create();
	static const char *const probes[] = {
		"10.1.2.3", "10.1.3.4", "10.2.0.0", "10.1.2.200", "10.1.2.128", "11.0.0.0",
	};
	size_t i;

	/* The same rules in two orders decide the same way. */
	add_ok(a, "10.0.0.0/8", true);
	add_ok(a, "10.1.0.0/16", false);
	add_ok(a, "10.1.2.0/24", true);
	add_ok(a, "10.1.2.128/25", false);
	add_ok(b, "10.1.2.128/25", false);
	add_ok(b, "10.1.2.0/24", true);
	add_ok(b, "10.1.0.0/16", false);
	add_ok(b, "10.0.0.0/8", true);
	assert_allowed(a, "10.1.2.3");
	assert_denied(a, "10.1.3.4");
	assert_allowed(a, "10.2.0.0");
	assert_denied(a, "10.1.2.200");
	assert_denied(a, "10.1.2.128");
	assert_allowed(a, "10.1.2.127");
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		assert_int_equal(allowed(a, probes[i]), allowed(b, probes[i]));
	acl_destroy(b);
}

static void test_equal_prefix_last_wins(void **state)
{
	struct acl *acl = *state;

	add_ok(acl, "192.0.2.0/24", true);
	assert_allowed(acl, "192.0.2.9");
	add_ok(acl, "192.0.2.0/24", false);
	assert_denied(acl, "192.0.2.9");
	/* Another spelling of the same network (host bits set). */
	add_ok(acl, "192.0.2.99/24", true);
	assert_allowed(acl, "192.0.2.9");
	add_ok(acl, "2001:db8::/64", true);
	add_ok(acl, "2001:db8::1:2:3:4/64", false);
	assert_denied(acl, "2001:db8::77");
	assert_allowed(acl, "192.0.2.9");
	/* A later, less specific rule does not override. */
	add_ok(acl, "192.0.0.0/16", false);
	assert_allowed(acl, "192.0.2.9");
	assert_denied(acl, "192.0.3.9");
}

static void test_all(void **state)
{
	struct acl *acl = *state;

	add_ok(acl, "all", true);
	assert_int_equal(acl_count(acl), 2);	/* 0.0.0.0/0 and ::/0 */
	assert_allowed(acl, "1.2.3.4");
	assert_allowed(acl, "255.255.255.255");
	assert_allowed(acl, "0.0.0.0");
	assert_allowed(acl, "::");
	assert_allowed(acl, "2001:db8::1");
	add_ok(acl, "10.0.0.0/8", false);
	assert_denied(acl, "10.9.9.9");
	assert_allowed(acl, "11.9.9.9");
	add_ok(acl, "all", false);		/* equal prefix 0, later: wins */
	assert_denied(acl, "11.9.9.9");
	assert_denied(acl, "2001:db8::1");
	add_ok(acl, "0.0.0.0/0", true);
	assert_allowed(acl, "11.9.9.9");
	assert_denied(acl, "10.9.9.9");
	assert_denied(acl, "2001:db8::1");
	add_ok(acl, "::/0", true);
	assert_allowed(acl, "2001:db8::1");
}

static void test_host_bits_cleared(void **state)
{
	struct acl *acl = *state;

	add_ok(acl, "10.255.255.255/8", true);
	add_ok(acl, "192.0.2.77/25", true);
	add_ok(acl, "2001:db8:ffff:ffff::1/32", true);
	add_ok(acl, "198.51.100.255/31", true);
	assert_allowed(acl, "10.0.0.1");
	assert_allowed(acl, "192.0.2.0");
	assert_allowed(acl, "192.0.2.127");
	assert_denied(acl, "192.0.2.128");
	assert_allowed(acl, "2001:db8::1");
	assert_allowed(acl, "198.51.100.254");
	assert_denied(acl, "198.51.100.253");
}

static void test_prefix_extremes(void **state)
{
	struct acl *acl = *state;

	add_ok(acl, "203.0.113.7/32", true);
	add_ok(acl, "2001:db8::7/128", true);
	add_ok(acl, "0.0.0.0/0", false);
	add_ok(acl, "1.0.0.0/1", true);	/* host bits cleared: 0.0.0.0/1 */
	assert_allowed(acl, "203.0.113.7");
	assert_denied(acl, "203.0.113.6");
	assert_allowed(acl, "2001:db8::7");
	assert_denied(acl, "2001:db8::6");
	assert_allowed(acl, "100.0.0.0");	/* 1.0.0.0/1 cleared to 0.0.0.0/1 */
	assert_denied(acl, "128.0.0.0");
}

static void test_bad_specs(void **state)
{
	static const char *const bad[] = {
		"", "garbage", "10.0.0.0/33", "10.0.0.0/99", "::/129", "2001:db8::/200",
		"10.0.0.0/", "10.0.0.0/abc", "10.0.0.0/8x", "10.0.0.0/-1", "10.0.0.0/8/8",
		"1.2.3.4.5", "256.0.0.1", "1.2.3", "10.0.0.0 /8", "/8", "all/0", "2001:db8:::1",
		"localhost", "10.0.0.0/999999999999999999999", "10.0.0.0/+8", "10.0.0.0/-0",
		"10.0.0.0/ 8",
		"1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc:dddd:eeee:ffff",
	};
	struct acl *acl = *state;
	size_t i;

	add_ok(acl, "10.0.0.0/8", false);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = NULL;

		if (acl_add(acl, bad[i], true, &why) != -EINVAL)
			fail_msg("spec '%s' accepted", bad[i]);
		if (!why || !*why)
			fail_msg("spec '%s' rejected without a reason", bad[i]);
	}
	assert_int_equal(acl_count(acl), 1);
	assert_denied(acl, "10.0.0.1");
	/* The reason says what is allowed. */
	{
		const char *why = NULL;

		acl_add(acl, "10.0.0.0/33", true, &why);
		assert_non_null(strstr(why, "0..32"));
		acl_add(acl, "::/129", true, &why);
		assert_non_null(strstr(why, "0..128"));
	}
}

static void test_many_rules(void **state)
{
	struct acl *acl = *state;
	char spec[32], ip[32];
	int i;

	for (i = 0; i < 200; i++) {
		snprintf(spec, sizeof(spec), "10.%d.0.0/16", i);
		add_ok(acl, spec, i % 2 == 0);
	}
	assert_int_equal(acl_count(acl), 200);
	for (i = 0; i < 200; i++) {
		snprintf(ip, sizeof(ip), "10.%d.1.1", i);
		assert_int_equal(allowed(acl, ip), i % 2 == 0);
	}
	assert_denied(acl, "10.201.1.1");
}

/* A dual-stack socket reports an IPv4 client as ::ffff:a.b.c.d; it must
 * match IPv4 rules exactly as an IPv4 socket's client does. */
static void test_v4_mapped_from_sockaddr(void **state)
{
	struct acl *acl = *state;
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	struct net_addr a;
	uint16_t port = 0;
	char buf[NET_ADDR_STRLEN];

	add_ok(acl, "1.2.3.0/24", true);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(4123);
	assert_int_equal(inet_pton(AF_INET6, "::ffff:1.2.3.4", &sin6.sin6_addr), 1);
	assert_int_equal(net_addr_from_sockaddr((struct sockaddr *)&sin6, &a, &port), 0);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(port, 4123);
	assert_int_equal(net_addr_len(&a), 4);
	assert_string_equal(net_addr_str(&a, buf, sizeof(buf)), "1.2.3.4");
	assert_true(acl_check(acl, &a));
	/* The same client through an IPv4 socket. */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(123);
	assert_int_equal(inet_pton(AF_INET, "1.2.3.4", &sin.sin_addr), 1);
	assert_int_equal(net_addr_from_sockaddr((struct sockaddr *)&sin, &a, NULL), 0);
	assert_int_equal(a.family, AF_INET);
	assert_true(acl_check(acl, &a));
	/* Outside the v4 rule: denied by default. */
	assert_int_equal(inet_pton(AF_INET6, "::ffff:1.2.4.4", &sin6.sin6_addr), 1);
	net_addr_from_sockaddr((struct sockaddr *)&sin6, &a, NULL);
	assert_int_equal(a.family, AF_INET);
	assert_false(acl_check(acl, &a));
	/* A real IPv6 address stays IPv6 and does not match v4 rules. */
	assert_int_equal(inet_pton(AF_INET6, "::1.2.3.4", &sin6.sin6_addr), 1);
	net_addr_from_sockaddr((struct sockaddr *)&sin6, &a, NULL);
	assert_int_equal(a.family, AF_INET6);
	assert_false(acl_check(acl, &a));
	assert_int_equal(inet_pton(AF_INET6, "::fffe:1.2.3.4", &sin6.sin6_addr), 1);
	net_addr_from_sockaddr((struct sockaddr *)&sin6, &a, NULL);
	assert_int_equal(a.family, AF_INET6);
}

/* A rule written as a v4-mapped IPv6 prefix is the IPv4 rule it maps to,
 * since clients are matched in their IPv4 form. */
static void test_v4_mapped_rule(void **state)
{
	struct acl *acl = *state;

	add_ok(acl, "::ffff:192.0.2.0/120", true);
	add_ok(acl, "::ffff:198.18.0.7", true);
	assert_allowed(acl, "192.0.2.5");
	assert_allowed(acl, "198.18.0.7");
	assert_denied(acl, "192.0.3.1");
	assert_denied(acl, "198.18.0.8");
	/* Shorter than /96 it is a real IPv6 rule, and matches no IPv4 client. */
	add_ok(acl, "::ffff:0:0/80", true);
	assert_denied(acl, "192.0.3.1");
}

static void test_addr_basics(void **state)
{
	struct net_addr a, b;
	struct sockaddr_storage ss;
	char buf[NET_ADDR_STRLEN];
	uint16_t port;
	socklen_t sl;

	(void)state;
	assert_int_equal(net_addr_parse("192.0.2.1", &a), 0);
	assert_int_equal(a.family, AF_INET);
	assert_memory_equal(a.a, "\xc0\x00\x02\x01", 4);
	assert_int_equal(net_addr_parse("2001:db8::1", &a), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(a.a[15], 1);
	assert_string_equal(net_addr_str(&a, buf, sizeof(buf)), "2001:db8::1");
	assert_int_equal(net_addr_parse("example.org", &a), -EINVAL);
	assert_int_equal(net_addr_parse("", &a), -EINVAL);
	assert_int_equal(net_addr_parse("1.2.3.4 ", &a), -EINVAL);
	/* sockaddr round trip, both families. */
	net_addr_parse("198.18.0.9", &a);
	sl = net_addr_to_sockaddr(&a, 12345, &ss);
	assert_int_equal(sl, sizeof(struct sockaddr_in));
	assert_int_equal(net_addr_from_sockaddr((struct sockaddr *)&ss, &b, &port), 0);
	assert_int_equal(port, 12345);
	assert_int_equal(b.family, AF_INET);
	assert_memory_equal(a.a, b.a, 4);
	net_addr_parse("fe80::1:2", &a);
	sl = net_addr_to_sockaddr(&a, 7, &ss);
	assert_int_equal(sl, sizeof(struct sockaddr_in6));
	assert_int_equal(net_addr_from_sockaddr((struct sockaddr *)&ss, &b, &port), 0);
	assert_int_equal(port, 7);
	assert_memory_equal(a.a, b.a, 16);
	/* Unsupported family. */
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	assert_int_equal(net_addr_from_sockaddr((struct sockaddr *)&ss, &b, &port), -EAFNOSUPPORT);
	/* Wildcards. */
	net_addr_parse("0.0.0.0", &a);
	assert_true(net_addr_is_any(&a));
	net_addr_parse("::", &a);
	assert_true(net_addr_is_any(&a));
	net_addr_parse("::1", &a);
	assert_false(net_addr_is_any(&a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_default_deny, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v4_prefixes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v6_prefixes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_most_specific_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_equal_prefix_last_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_bits_cleared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prefix_extremes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_specs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v4_mapped_from_sockaddr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v4_mapped_rule, setup, teardown),
		cmocka_unit_test(test_addr_basics),
	};

	return cmocka_run_group_tests_name("acl", tests, NULL, NULL);
}
