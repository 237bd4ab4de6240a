/* gw_health: the gateway sender's periodic check of its path through the
 * diode. A data diode answers nothing, not even ARP, so a path that works
 * needs: the interface up with carrier, a route to the receiver, and a
 * static (permanent) neighbour entry for the next hop; then sends must
 * succeed and their transmit timestamps must come back from the kernel.
 *
 * IPv4 only for the route and neighbour checks (/proc/net/route and
 * /proc/net/arp); the parsers are pure functions over the files' text so
 * that they are unit-tested, and the reader takes a root directory so
 * that tests can point it at a fake /proc and /sys. */
#ifndef GNOMON_GW_HEALTH_H
#define GNOMON_GW_HEALTH_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw/gw_msg.h"
#include "net/addr.h"

/* The result is in the wire's health bits (gw_msg.h GW_HEALTH_*): IF_UP
 * (operstate up, or unknown as loopback reports), CARRIER, ROUTE, NEIGH (a
 * permanent entry), TXTS_OK (a transmit timestamp for every send);
 * SEND_ERR and TXTS_MISSED say what went wrong. All well: GW_HEALTH_GOOD. */
#define GW_HEALTH_GOOD (GW_HEALTH_IF_UP | GW_HEALTH_CARRIER | GW_HEALTH_ROUTE | \
			GW_HEALTH_NEIGH | GW_HEALTH_TXTS_OK)

struct gw_route {
	char iface[IF_NAMESIZE];
	uint32_t gateway;	/* host order; 0: on-link */
	int prefix;
};

/* Longest-prefix match of dst (IPv4, host order) in /proc/net/route text;
 * if iface is non-empty only routes through it count. false: no route. */
bool gw_health_route(const char *text, uint32_t dst, const char *iface, struct gw_route *out);
/* Does /proc/net/arp text have a permanent (static) entry for ip (host
 * order) on iface with a hardware address? */
bool gw_health_neigh_static(const char *text, uint32_t ip, const char *iface);

struct gw_health_input {
	const char *root;		/* "" for the real system; a test's fake root */
	struct net_addr dst;
	const char *iface;		/* bind interface, or "" */
	uint64_t sends, send_errors;	/* since the last check */
	uint64_t txts;			/* transmit timestamps received since the last check */
};

struct gw_health_result {
	unsigned bits;
	char iface[IF_NAMESIZE];	/* the interface the route uses */
	char problem[160];		/* first failed check, in words; "" when all pass */
};

void gw_health_check(const struct gw_health_input *in, struct gw_health_result *out);

#endif
