/* Unit tests for the gateway sender's path check (src/gw/gw_health.c):
 * route and neighbour parsing, and the whole check against a fake root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gw/gw_health.h"

/* 198.18.9.0/24 on veth0, default via 192.0.2.1 on eth0, 198.18.0.0/15
 * via 198.18.9.254 on veth0 (as the kernel prints them). */
static const char route_text[] =
	"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
	"eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
	"veth0\t000912C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
	"veth0\t000012C6\tFE0912C6\t0003\t0\t0\t0\t0000FEFF\t0\t0\t0\n"
	"down0\t000A12C6\t00000000\t0000\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
	"garbage line\n";

static const char arp_text[] =
	"IP address       HW type     Flags       HW address            Mask     Device\n"
	"198.18.9.2       0x1         0x6         02:aa:bb:cc:dd:02     *        veth0\n"
	"198.18.9.3       0x1         0x2         02:aa:bb:cc:dd:03     *        veth0\n"
	"198.18.9.254     0x1         0x4         00:00:00:00:00:00     *        veth0\n"
	"192.0.2.1        0x1         0x6         02:fc:00:00:00:05     *        eth0\n";

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

static void test_route(void **state)
{
	struct gw_route r;

	(void)state;
	assert_true(gw_health_route(route_text, IP(198, 18, 9, 2), "", &r));
	assert_string_equal(r.iface, "veth0");
	assert_int_equal(r.prefix, 24);
	assert_int_equal(r.gateway, 0);
	assert_true(gw_health_route(route_text, IP(198, 19, 1, 1), "", &r));
	assert_int_equal(r.prefix, 15);
	assert_int_equal(r.gateway, IP(198, 18, 9, 254));
	assert_true(gw_health_route(route_text, IP(8, 8, 8, 8), "", &r));
	assert_string_equal(r.iface, "eth0");
	assert_int_equal(r.prefix, 0);
	/* Only through the named interface; a route that is not up is none. */
	assert_false(gw_health_route(route_text, IP(8, 8, 8, 8), "veth0", &r));
	assert_true(gw_health_route(route_text, IP(198, 18, 10, 1), "", &r));
	assert_string_equal(r.iface, "veth0");	/* down0's /24 is not up */
	assert_false(gw_health_route("", IP(1, 2, 3, 4), "", &r));
	assert_false(gw_health_route("Iface\tDestination\n", IP(1, 2, 3, 4), "", &r));
}

static void test_neigh(void **state)
{
	(void)state;
	assert_true(gw_health_neigh_static(arp_text, IP(198, 18, 9, 2), "veth0"));
	assert_true(gw_health_neigh_static(arp_text, IP(198, 18, 9, 2), ""));
	assert_false(gw_health_neigh_static(arp_text, IP(198, 18, 9, 2), "eth0"));
	assert_false(gw_health_neigh_static(arp_text, IP(198, 18, 9, 3), "veth0"));	/* learnt */
	assert_false(gw_health_neigh_static(arp_text, IP(198, 18, 9, 254), "veth0"));	/* no MAC */
	assert_false(gw_health_neigh_static(arp_text, IP(198, 18, 9, 9), "veth0"));
	assert_false(gw_health_neigh_static("", IP(198, 18, 9, 2), ""));
}

static void put(const char *root, const char *path, const char *text)
{
	char full[512], dir[512], *slash;
	FILE *f;

	snprintf(full, sizeof(full), "%s%s", root, path);
	snprintf(dir, sizeof(dir), "%s", full);
	for (slash = strchr(dir + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(dir, 0700);
		*slash = '/';
	}
	f = fopen(full, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_check(void **state)
{
	char root[] = "/tmp/gw-health-XXXXXX", cmd[600];
	struct gw_health_input in = { .iface = "", .sends = 10, .txts = 10 };
	struct gw_health_result r;

	(void)state;
	assert_non_null(mkdtemp(root));
	in.root = root;
	net_addr_parse("198.18.9.2", &in.dst);
	put(root, "/proc/net/route", route_text);
	put(root, "/proc/net/arp", arp_text);
	put(root, "/sys/class/net/veth0/operstate", "up\n");
	put(root, "/sys/class/net/veth0/carrier", "1\n");
	gw_health_check(&in, &r);
	assert_int_equal(r.bits, GW_HEALTH_GOOD);
	assert_string_equal(r.iface, "veth0");
	assert_string_equal(r.problem, "");
	/* No carrier; then the interface down. */
	put(root, "/sys/class/net/veth0/carrier", "0\n");
	gw_health_check(&in, &r);
	assert_int_equal(r.bits, GW_HEALTH_GOOD & ~GW_HEALTH_CARRIER);
	assert_non_null(strstr(r.problem, "no carrier"));
	put(root, "/sys/class/net/veth0/operstate", "down\n");
	gw_health_check(&in, &r);
	assert_false(r.bits & GW_HEALTH_IF_UP);
	assert_non_null(strstr(r.problem, "not up"));
	put(root, "/sys/class/net/veth0/operstate", "up\n");
	put(root, "/sys/class/net/veth0/carrier", "1\n");
	/* A learnt (not static) neighbour: the diode will not answer ARP. */
	net_addr_parse("198.18.9.3", &in.dst);
	gw_health_check(&in, &r);
	assert_int_equal(r.bits, GW_HEALTH_GOOD & ~GW_HEALTH_NEIGH);
	assert_non_null(strstr(r.problem, "static neighbour"));
	/* Via a gateway whose entry has no MAC. */
	net_addr_parse("198.19.0.7", &in.dst);
	gw_health_check(&in, &r);
	assert_false(r.bits & GW_HEALTH_NEIGH);
	assert_non_null(strstr(r.problem, "198.18.9.254"));
	/* No route through the bound interface. */
	net_addr_parse("8.8.8.8", &in.dst);
	in.iface = "veth0";
	gw_health_check(&in, &r);
	assert_false(r.bits & GW_HEALTH_ROUTE);
	assert_non_null(strstr(r.problem, "no route"));
	/* Send errors and missing timestamps. */
	in.iface = "";
	net_addr_parse("198.18.9.2", &in.dst);
	in.send_errors = 3;
	in.txts = 7;
	gw_health_check(&in, &r);
	assert_int_equal(r.bits, (GW_HEALTH_GOOD & ~GW_HEALTH_TXTS_OK) | GW_HEALTH_SEND_ERR |
			 GW_HEALTH_TXTS_MISSED);
	assert_non_null(strstr(r.problem, "3 of 10 sends failed"));
	/* Nothing readable at all. */
	in.root = "/nonexistent-root";
	gw_health_check(&in, &r);
	assert_false(r.bits & (GW_HEALTH_ROUTE | GW_HEALTH_IF_UP | GW_HEALTH_CARRIER));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_neigh),
		cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
