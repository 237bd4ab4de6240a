/* addr: IP addresses as plain values (family + 16 bytes), parsing, printing
 * and conversion to and from sockaddr. An IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) is normalised to IPv4, so a dual-stack socket and an
 * IPv4 socket see the same client. */
#ifndef GNOMON_ADDR_H
#define GNOMON_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct net_addr {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t a[16];		/* IPv4 in a[0..3] */
};

#define NET_ADDR_STRLEN 46

/* Parse an IPv4 or IPv6 literal. 0 or -EINVAL. */
int net_addr_parse(const char *s, struct net_addr *out);
const char *net_addr_str(const struct net_addr *a, char *buf, size_t len);
/* From a sockaddr (normalising v4-mapped); port may be NULL. 0 or -EAFNOSUPPORT. */
int net_addr_from_sockaddr(const struct sockaddr *sa, struct net_addr *out, uint16_t *port);
/* Build a sockaddr for a and port; returns its length. */
socklen_t net_addr_to_sockaddr(const struct net_addr *a, uint16_t port,
			       struct sockaddr_storage *ss);
bool net_addr_is_any(const struct net_addr *a);
size_t net_addr_len(const struct net_addr *a);	/* 4 or 16 */
/* The refid naming address a as a system peer (RFC 5905 §7.3): the IPv4
 * address, or the first 4 bytes of the MD5 of the IPv6 address. */
uint32_t net_addr_refid(const struct net_addr *a);
/* Resolve a name or address literal (getaddrinfo) into up to cap
 * addresses, in the resolver's order. Returns how many, or -1 with *err
 * saying why (the resolver's words). Blocks: at start-up only. */
int net_resolve(const char *host, struct net_addr *out, int cap, const char **err);

#endif
