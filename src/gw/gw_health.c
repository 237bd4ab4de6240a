#include "gw/gw_health.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ATF_PERM_FLAG 0x04	/* <net/if_arp.h> ATF_PERM: a static entry */

static int prefix_len(uint32_t mask)
{
	int n = 0;

	while (mask & 0x80000000u) {
		n++;
		mask <<= 1;
	}
	return n;
}

/* /proc/net/route prints addresses as the hex of the 32-bit value in
 * network byte order read as a native (little-endian here) integer. */
static uint32_t proc_addr(unsigned long v)
{
	return ntohl((uint32_t)v);
}

/* Copy the line at p (cut to cap - 1 bytes) into line; the next line's
 * start, or NULL after the last. */
static const char *next_line(const char *p, char *line, size_t cap)
{
	const char *nl = strchr(p, '\n');
	size_t len = nl ? (size_t)(nl - p) : strlen(p);

	if (len >= cap)
		len = cap - 1;
	memcpy(line, p, len);
	line[len] = '\0';
	return nl ? nl + 1 : NULL;
}

bool gw_health_route(const char *text, uint32_t dst, const char *iface, struct gw_route *out)
{
	const char *p = text;
	bool found = false;

	out->prefix = -1;
	while (p && *p) {
		char name[IF_NAMESIZE], line[512];
		unsigned long d, g, flags, m;

		p = next_line(p, line, sizeof(line));
		/* Iface Destination Gateway Flags RefCnt Use Metric Mask ... */
		if (sscanf(line, "%15s %lx %lx %lx %*d %*d %*d %lx", name, &d, &g, &flags, &m) != 5)
			continue;	/* the header, or garbage */
		if (!(flags & 1) || (iface && *iface && strcmp(name, iface)))
			continue;	/* RTF_UP */
		if ((dst & proc_addr(m)) != proc_addr(d))
			continue;
		if (prefix_len(proc_addr(m)) <= out->prefix)
			continue;
		found = true;
		out->prefix = prefix_len(proc_addr(m));
		snprintf(out->iface, sizeof(out->iface), "%s", name);
		out->gateway = (flags & 2) ? proc_addr(g) : 0;	/* RTF_GATEWAY */
	}
	return found;
}

bool gw_health_neigh_static(const char *text, uint32_t ip, const char *iface)
{
	const char *p = text;

	while (p && *p) {
		char addr[64], hw[64], dev[IF_NAMESIZE + 8], line[512];
		unsigned int type, flags;
		struct in_addr a;

		p = next_line(p, line, sizeof(line));
		/* IP address, HW type, Flags, HW address, Mask, Device */
		if (sscanf(line, "%63s %x %x %63s %*s %15s", addr, &type, &flags, hw, dev) != 5)
			continue;
		if (inet_pton(AF_INET, addr, &a) != 1 || ntohl(a.s_addr) != ip)
			continue;
		if (iface && *iface && strcmp(dev, iface))
			continue;
		if ((flags & ATF_PERM_FLAG) && strcmp(hw, "00:00:00:00:00:00"))
			return true;
	}
	return false;
}

/* Read a small file under root into buf; "" when it cannot be read. */
static void read_small(const char *root, const char *path, char *buf, size_t cap)
{
	char full[512];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	snprintf(full, sizeof(full), "%s%s", root, path);
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, cap - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
}

void gw_health_check(const struct gw_health_input *in, struct gw_health_result *out)
{
	static char text[65536];	/* main loop only */
	char path[128], small[64];
	struct gw_route r;
	uint32_t dst, hop;

	memset(out, 0, sizeof(*out));
	if (in->send_errors) {
		out->bits |= GW_HEALTH_SEND_ERR;
		snprintf(out->problem, sizeof(out->problem), "%llu of %llu sends failed",
			 (unsigned long long)in->send_errors, (unsigned long long)in->sends);
	}
	if (in->sends > 0 && in->txts >= in->sends) {
		out->bits |= GW_HEALTH_TXTS_OK;
	} else if (in->sends > 0) {
		out->bits |= GW_HEALTH_TXTS_MISSED;
		if (!out->problem[0])
			snprintf(out->problem, sizeof(out->problem),
				 "%llu transmit timestamps for %llu sends",
				 (unsigned long long)in->txts, (unsigned long long)in->sends);
	}
	if (in->dst.family != AF_INET) {
		/* IPv6: only the interface, when one is named. */
		snprintf(out->iface, sizeof(out->iface), "%s", in->iface ? in->iface : "");
		out->bits |= GW_HEALTH_ROUTE | GW_HEALTH_NEIGH;
	} else {
		memcpy(&dst, in->dst.a, 4);
		dst = ntohl(dst);
		read_small(in->root, "/proc/net/route", text, sizeof(text));
		if (gw_health_route(text, dst, in->iface, &r)) {
			out->bits |= GW_HEALTH_ROUTE;
			snprintf(out->iface, sizeof(out->iface), "%s", r.iface);
			hop = r.gateway ? r.gateway : dst;
			read_small(in->root, "/proc/net/arp", text, sizeof(text));
			if (gw_health_neigh_static(text, hop, r.iface))
				out->bits |= GW_HEALTH_NEIGH;
			else if (!out->problem[0])
				snprintf(out->problem, sizeof(out->problem),
					 "no static neighbour entry for the next hop %u.%u.%u.%u on %s "
					 "(a diode cannot answer ARP)", hop >> 24, (hop >> 16) & 255,
					 (hop >> 8) & 255, hop & 255, r.iface);
		} else if (!out->problem[0]) {
			snprintf(out->problem, sizeof(out->problem), "no route to the receiver");
		}
	}
	if (!out->iface[0])
		return;
	snprintf(path, sizeof(path), "/sys/class/net/%s/operstate", out->iface);
	read_small(in->root, path, small, sizeof(small));
	if (!strncmp(small, "up", 2) || !strncmp(small, "unknown", 7))
		out->bits |= GW_HEALTH_IF_UP;
	else if (!out->problem[0])
		snprintf(out->problem, sizeof(out->problem), "interface %s is not up", out->iface);
	snprintf(path, sizeof(path), "/sys/class/net/%s/carrier", out->iface);
	read_small(in->root, path, small, sizeof(small));
	if (small[0] == '1')
		out->bits |= GW_HEALTH_CARRIER;
	else if (!out->problem[0])
		snprintf(out->problem, sizeof(out->problem), "interface %s has no carrier",
			 out->iface);
}
