#include "net/sock.h"

#include <errno.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"

static int ts_flags(unsigned sflags)
{
	int flags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;

	/* OPT_ID numbers the transmit timestamps so that each can be matched
	 * with its send; OPT_TSONLY returns them without the packet (no copy
	 * of our own data, and allowed without privileges). */
	if (sflags & (SOCK_TX_TIMESTAMP | SOCK_TX_TIMESTAMP_ON_REQUEST))
		flags |= SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
	if (sflags & SOCK_TX_TIMESTAMP)
		flags |= SOF_TIMESTAMPING_TX_SOFTWARE;
	return flags;
}

static int enable_rx_timestamps(int fd, unsigned sflags)
{
	int flags = ts_flags(sflags);
	int on = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof(flags)) == 0)
		return 0;
	/* Older kernels or restricted sandboxes: nanosecond timestamps. */
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) == 0)
		return 0;
	return -errno;
}

int sock_udp_open(const struct net_addr *a, uint16_t port, unsigned flags)
{
	struct sockaddr_storage ss;
	socklen_t sl = net_addr_to_sockaddr(a, port, &ss);
	int fd, on = 1, rc;

	fd = socket(a->family, SOCK_DGRAM, 0);
	if (fd < 0)
		return -errno;
	rc = fd_nonblock_cloexec(fd);
	if (rc)
		goto fail;
	if (a->family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0)
		goto fail_errno;
	if ((flags & SOCK_REUSEADDR) &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0)
		goto fail_errno;
	if ((flags & SOCK_REUSEPORT) &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) < 0)
		goto fail_errno;
	if (flags & SOCK_BIG_RCVBUF) {
		int size = SOCK_SERVER_RCVBUF;

		/* FORCE passes net.core.rmem_max when we still have CAP_NET_ADMIN
		 * (sockets are opened before privileges are dropped); otherwise
		 * the kernel caps the plain request. Either way is not fatal. */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
			(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	}
	if (flags & (SOCK_RX_TIMESTAMP | SOCK_TX_TIMESTAMP | SOCK_TX_TIMESTAMP_ON_REQUEST)) {
		rc = enable_rx_timestamps(fd, flags);
		if (rc)
			goto fail;
	}
	if (net_addr_is_any(a)) {
		/* A wildcard socket must answer from the address it was asked. */
		if (a->family == AF_INET &&
		    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) < 0)
			goto fail_errno;
		if (a->family == AF_INET6 &&
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) < 0)
			goto fail_errno;
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
		goto fail_errno;
	return fd;

fail_errno:
	rc = -errno;
fail:
	close(fd);
	return rc;
}

int sock_bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	uint16_t port;
	struct net_addr a;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return -errno;
	if (net_addr_from_sockaddr((struct sockaddr *)&ss, &a, &port))
		return -EAFNOSUPPORT;
	return port;
}

ssize_t sock_recv_one(int fd, void *buf, size_t len, struct net_addr *from,
		      struct sock_rx_info *rx, bool *trunc)
{
	uint8_t ctl[SOCK_CMSG_SPACE];
	struct sockaddr_storage ss;
	struct iovec iov = { buf, len };
	struct msghdr h = { .msg_name = &ss, .msg_namelen = sizeof(ss),
			    .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	ssize_t n = recvmsg(fd, &h, MSG_DONTWAIT);

	*trunc = false;
	if (n < 0)
		return -1;
	sock_parse_cmsg(&h, rx);
	if (!rx->rx_real)
		rx->rx_real = gt_now(CLOCK_REALTIME);
	if (net_addr_from_sockaddr((struct sockaddr *)&ss, from, &rx->src_port))
		return -2;
	if (h.msg_flags & MSG_TRUNC) {
		*trunc = true;
		return -2;
	}
	return n;
}

void sock_parse_cmsg(const struct msghdr *msg, struct sock_rx_info *info)
{
	struct cmsghdr *c;

	memset(info, 0, sizeof(*info));
	for (c = CMSG_FIRSTHDR((struct msghdr *)msg); c; c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPING) {
			struct timespec ts[3];

			memcpy(ts, CMSG_DATA(c), sizeof(ts));
			if (ts[0].tv_sec || ts[0].tv_nsec)
				info->rx_real = gt_from_timespec(&ts[0]);
		} else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			info->rx_real = gt_from_timespec(&ts);
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			info->have_dst = true;
			info->dst.family = AF_INET;
			memcpy(info->dst.a, &pi.ipi_addr, 4);
			info->ifindex = pi.ipi_ifindex;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			info->have_dst = true;
			info->dst.family = AF_INET6;
			memcpy(info->dst.a, &pi.ipi6_addr, 16);
			info->ifindex = (int)pi.ipi6_ifindex;
		}
	}
}

size_t sock_build_pktinfo(const struct sock_rx_info *info, void *buf, size_t len)
{
	struct msghdr msg = { .msg_control = buf, .msg_controllen = len };
	struct cmsghdr *c;

	if (!info->have_dst)
		return 0;
	memset(buf, 0, len);
	c = CMSG_FIRSTHDR(&msg);
	if (info->dst.family == AF_INET) {
		struct in_pktinfo pi = { 0 };

		if (len < CMSG_SPACE(sizeof(pi)))
			return 0;
		memcpy(&pi.ipi_spec_dst, info->dst.a, 4);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	} else {
		struct in6_pktinfo pi = { 0 };

		if (len < CMSG_SPACE(sizeof(pi)))
			return 0;
		memcpy(&pi.ipi6_addr, info->dst.a, 16);
		pi.ipi6_ifindex = (unsigned)info->ifindex;
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	}
}

int sock_drain(int fd, uint8_t *buf, size_t cap, int max, sock_datagram_fn fn, void *arg)
{
	struct sock_rx_info rx;
	struct net_addr from;
	bool trunc;
	ssize_t n;
	int k, got = 0;

	/* -1: nothing waiting, or an error (ICMP errors reported on a
	 * connected socket among them). -2: skipped, unless truncated. */
	for (k = 0; k < max && (n = sock_recv_one(fd, buf, cap, &from, &rx, &trunc)) != -1; k++) {
		if (n < 0 && !trunc)
			continue;
		fn(arg, buf, n < 0 ? 0 : (size_t)n, trunc, &from, &rx);
		got++;
	}
	return got;
}

size_t sock_build_txts(void *buf, size_t used, size_t cap)
{
	struct cmsghdr *c = (struct cmsghdr *)(void *)((uint8_t *)buf + used);
	uint32_t flags = SOF_TIMESTAMPING_TX_SOFTWARE;

	/* Linux >= 4.13 takes the recording flags per send (SO_TIMESTAMPING
	 * control message); the socket's OPT_ID/OPT_TSONLY apply to it. */
	if (cap - used < CMSG_SPACE(sizeof(flags)))
		return used;
	memset(c, 0, CMSG_SPACE(sizeof(flags)));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SO_TIMESTAMPING;
	c->cmsg_len = CMSG_LEN(sizeof(flags));
	memcpy(CMSG_DATA(c), &flags, sizeof(flags));
	return used + CMSG_SPACE(sizeof(flags));
}

int sock_read_txts(int fd, uint32_t *key, gt_ns *ts)
{
	uint8_t ctl[256], data[16];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr h = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c;
	bool have_key = false;

	*ts = 0;
	if (recvmsg(fd, &h, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
		return -1;
	for (c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPING) {
			struct timespec t[3];

			memcpy(t, CMSG_DATA(c), sizeof(t));
			if (t[0].tv_sec || t[0].tv_nsec)
				*ts = gt_from_timespec(&t[0]);
		} else if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
			   (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
			struct sock_extended_err ee;

			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
			if (ee.ee_origin == SO_EE_ORIGIN_TIMESTAMPING) {
				*key = ee.ee_data;
				have_key = true;
			}
		}
	}
	return have_key && *ts ? 1 : 0;
}

void sock_txts_restart(int fd, unsigned sflags)
{
	int off = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
	int on = ts_flags(sflags);

	/* The kernel zeroes the count when OPT_ID is turned on. */
	(void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &off, sizeof(off));
	(void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &on, sizeof(on));
}
