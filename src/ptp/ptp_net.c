/* ptp_net: PTP transports with kernel timestamps (ptp_net.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/util.h"
#include "ptp/ptp_net.h"

#define ETH_P_1588 0x88F7

/* Annex E: the primary and the peer delay multicast MACs. */
static const uint8_t mac_primary[6] = { 0x01, 0x1B, 0x19, 0x00, 0x00, 0x00 };
static const uint8_t mac_pdelay[6] = { 0x01, 0x80, 0xC2, 0x00, 0x00, 0x0E };

struct ptp_net {
	struct ptp_net_config cfg;
	char ifname[IF_NAMESIZE];
	int ifindex;
	int fd[2];			/* event, general; L2: fd[1] == -1 */
	uint8_t mac[6];
	bool have_mac, hw;
	int phc;
	struct sockaddr_storage dst[2];	/* primary, pdelay (UDP: port set per channel) */
	socklen_t dst_len;
	struct ptp_net_stats st;
};

const char *ptp_transport_name(enum ptp_transport t)
{
	return t == PTP_TR_UDP6 ? "udp6" : t == PTP_TR_L2 ? "l2" : "udp4";
}

static int fail(char *err, size_t len, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t len, int rc, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	n = strlen(err);
	if (rc && n < len)
		snprintf(err + n, len - n, ": %s", strerror(-rc));
	return rc ? rc : -EINVAL;
}

/* The interface's PHC index from ethtool (-1: none or unknown). */
static int phc_index(int fd, const char *ifname)
{
	struct ethtool_ts_info info = { .cmd = ETHTOOL_GET_TS_INFO };
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (char *)&info;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		return -1;
	return info.phc_index;
}

/* SIOCSHWTSTAMP: transmit timestamps on, and receive timestamps of PTP
 * version 2 event messages of this transport, or of every packet when
 * the interface offers nothing narrower. */
static int enable_hw(int fd, const char *ifname, enum ptp_transport tr)
{
	int filters[2] = {
		tr == PTP_TR_L2 ? HWTSTAMP_FILTER_PTP_V2_L2_EVENT : HWTSTAMP_FILTER_PTP_V2_L4_EVENT,
		HWTSTAMP_FILTER_ALL,
	};
	struct hwtstamp_config hc;
	struct ifreq ifr;
	int i;

	for (i = 0; i < 3; i++) {
		memset(&ifr, 0, sizeof(ifr));
		memset(&hc, 0, sizeof(hc));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
		hc.tx_type = HWTSTAMP_TX_ON;
		hc.rx_filter = i == 0 ? HWTSTAMP_FILTER_PTP_V2_EVENT : filters[i - 1];
		ifr.ifr_data = (char *)&hc;
		if (ioctl(fd, SIOCSHWTSTAMP, &ifr) == 0)
			return 0;
	}
	return -errno;
}

static int enable_timestamps(int fd, bool hw)
{
	unsigned flags = hw ? SOF_TIMESTAMPING_TX_HARDWARE | SOF_TIMESTAMPING_RX_HARDWARE |
			      SOF_TIMESTAMPING_RAW_HARDWARE :
			      SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_RX_SOFTWARE |
			      SOF_TIMESTAMPING_SOFTWARE;

	/* OPT_TSONLY: the error queue carries the timestamp, not a copy of
	 * the packet; kernels without it refuse the flag, so try without. */
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &(unsigned){ flags | SOF_TIMESTAMPING_OPT_TSONLY },
		       sizeof(unsigned)) == 0)
		return 0;
	return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof(flags)) < 0 ? -errno : 0;
}

/* fd with timestamps on, or closed and why in err. */
static int timestamped(struct ptp_net *n, int fd, char *err, size_t len)
{
	int rc = enable_timestamps(fd, n->hw);

	if (!rc)
		return fd;
	close(fd);
	return fail(err, len, rc, "ptp-port %s: SO_TIMESTAMPING", n->ifname);
}

static int open_udp(struct ptp_net *n, bool v6, uint16_t port, char *err, size_t len)
{
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
	int one = 1, zero = 0, ttl = n->cfg.ttl ? n->cfg.ttl : 1, rc;

	if (fd < 0)
		return fail(err, len, -errno, "ptp-port %s: socket", n->ifname);
	if (fd_nonblock_cloexec(fd) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, n->ifname, (socklen_t)strlen(n->ifname)) < 0)
		goto err;
	if (v6) {
		struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port),
					  .sin6_addr = IN6ADDR_ANY_INIT };
		struct ipv6_mreq mr = { .ipv6mr_interface = (unsigned)n->ifindex };
		unsigned ifi = (unsigned)n->ifindex;
		int i;

		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
		    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
			goto err;
		for (i = 0; i < 2; i++) {
			mr.ipv6mr_multiaddr = ((struct sockaddr_in6 *)&n->dst[i])->sin6_addr;
			if (setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
				goto err;
		}
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifi, sizeof(ifi)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &zero, sizeof(zero)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl, sizeof(ttl)) < 0)
			goto err;
	} else {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
					 .sin_addr.s_addr = htonl(INADDR_ANY) };
		struct ip_mreqn mr = { .imr_ifindex = n->ifindex };
		int i;

		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
			goto err;
		for (i = 0; i < 2; i++) {
			mr.imr_multiaddr = ((struct sockaddr_in *)&n->dst[i])->sin_addr;
			if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
				goto err;
		}
		mr.imr_multiaddr.s_addr = htonl(INADDR_ANY);
		if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)) < 0 ||
		    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero, sizeof(zero)) < 0 ||
		    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) < 0)
			goto err;
	}
	return timestamped(n, fd, err, len);
err:
	rc = -errno;
	close(fd);
	return fail(err, len, rc, "ptp-port %s: UDP%s port %u", n->ifname, v6 ? "v6" : "v4", port);
}

static int open_l2(struct ptp_net *n, char *err, size_t len)
{
	int fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_1588)), rc, i;
	struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_1588),
				 .sll_ifindex = n->ifindex };

	if (fd < 0)
		return fail(err, len, -errno, "ptp-port %s: packet socket", n->ifname);
	if (fd_nonblock_cloexec(fd) || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		goto err;
	for (i = 0; i < 2; i++) {
		struct packet_mreq mr = { .mr_ifindex = n->ifindex, .mr_type = PACKET_MR_MULTICAST,
					  .mr_alen = 6 };

		memcpy(mr.mr_address, i ? mac_pdelay : mac_primary, 6);
		if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
			goto err;
	}
	return timestamped(n, fd, err, len);
err:
	rc = -errno;
	close(fd);
	return fail(err, len, rc, "ptp-port %s: Ethernet (type 0x88F7)", n->ifname);
}

/* The destinations of this transport (Annex C, D, E). */
static void set_destinations(struct ptp_net *n)
{
	int i;

	memset(n->dst, 0, sizeof(n->dst));
	for (i = 0; i < 2; i++) {
		if (n->cfg.transport == PTP_TR_UDP4) {
			struct sockaddr_in *a = (struct sockaddr_in *)&n->dst[i];

			a->sin_family = AF_INET;
			inet_pton(AF_INET, i ? "224.0.0.107" : "224.0.1.129", &a->sin_addr);
			n->dst_len = sizeof(*a);
		} else if (n->cfg.transport == PTP_TR_UDP6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&n->dst[i];
			unsigned scope = n->cfg.udp6_scope ? n->cfg.udp6_scope : 0xE;

			a->sin6_family = AF_INET6;
			inet_pton(AF_INET6, i ? "ff02::6b" : "ff0e::181", &a->sin6_addr);
			if (!i)		/* FF0X::181: X is the scope (Annex D.3) */
				a->sin6_addr.s6_addr[1] = (uint8_t)(scope & 0x0F);
			a->sin6_scope_id = (uint32_t)n->ifindex;
			n->dst_len = sizeof(*a);
		} else {
			struct sockaddr_ll *a = (struct sockaddr_ll *)&n->dst[i];

			a->sll_family = AF_PACKET;
			a->sll_protocol = htons(ETH_P_1588);
			a->sll_ifindex = n->ifindex;
			a->sll_halen = 6;
			memcpy(a->sll_addr, i ? mac_pdelay : mac_primary, 6);
			n->dst_len = sizeof(*a);
		}
	}
}

static void read_mac(struct ptp_net *n, int fd)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", n->ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == 0) {
		memcpy(n->mac, ifr.ifr_hwaddr.sa_data, 6);
		n->have_mac = true;
	}
}

int ptp_net_open(struct ptp_net **out, const struct ptp_net_config *cfg, char *err,
		 size_t errlen)
{
	struct ptp_net *n = xcalloc(1, sizeof(*n));
	int probe, rc;

	*out = NULL;
	n->cfg = *cfg;
	n->fd[0] = n->fd[1] = -1;
	n->phc = -1;
	snprintf(n->ifname, sizeof(n->ifname), "%s", cfg->ifname);
	n->ifindex = (int)if_nametoindex(cfg->ifname);
	if (!n->ifindex) {
		rc = fail(err, errlen, -errno, "ptp-port %s: no such interface", cfg->ifname);
		free(n);
		return rc;
	}
	set_destinations(n);
	probe = socket(AF_INET, SOCK_DGRAM, 0);
	if (probe >= 0) {
		read_mac(n, probe);
		n->phc = phc_index(probe, n->ifname);
		if (cfg->tsmode == PTP_TSM_HARDWARE) {
			rc = n->phc < 0 ? -EOPNOTSUPP : enable_hw(probe, n->ifname, cfg->transport);
			if (rc) {
				close(probe);
				free(n);
				return fail(err, errlen, rc, "ptp-port %s: interface has no hardware "
					    "timestamping (ethtool -T %s)", cfg->ifname, cfg->ifname);
			}
			n->hw = true;
		}
		close(probe);
	}
	if (cfg->transport == PTP_TR_L2) {
		n->fd[0] = open_l2(n, err, errlen);
	} else {
		bool v6 = cfg->transport == PTP_TR_UDP6;

		n->fd[0] = open_udp(n, v6, cfg->event_port ? cfg->event_port : PTP_EVENT_PORT, err,
				    errlen);
		if (n->fd[0] >= 0)
			n->fd[1] = open_udp(n, v6, cfg->general_port ? cfg->general_port :
					    PTP_GENERAL_PORT, err, errlen);
	}
	if (n->fd[0] < 0 || (cfg->transport != PTP_TR_L2 && n->fd[1] < 0)) {
		rc = n->fd[0] < 0 ? n->fd[0] : n->fd[1];
		ptp_net_close(n);
		return rc;
	}
	*out = n;
	return 0;
}

void ptp_net_close(struct ptp_net *n)
{
	if (!n)
		return;
	if (n->fd[0] >= 0)
		close(n->fd[0]);
	if (n->fd[1] >= 0)
		close(n->fd[1]);
	free(n);
}

int ptp_net_fds(const struct ptp_net *n, int fds[2], enum ptp_chan chans[2])
{
	if (!n)
		return 0;
	fds[0] = n->fd[0];
	chans[0] = PTP_CH_EVENT;
	if (n->fd[1] < 0)
		return 1;
	fds[1] = n->fd[1];
	chans[1] = PTP_CH_GENERAL;
	return 2;
}

int ptp_net_mac(const struct ptp_net *n, uint8_t mac[6])
{
	if (!n->have_mac)
		return -ENODEV;
	memcpy(mac, n->mac, 6);
	return 0;
}

int ptp_net_phc_index(const struct ptp_net *n)
{
	return n->phc;
}

bool ptp_net_hw(const struct ptp_net *n)
{
	return n && n->hw;
}

static int chan_fd(const struct ptp_net *n, enum ptp_chan ch)
{
	return ch == PTP_CH_GENERAL && n->fd[1] >= 0 ? n->fd[1] : n->fd[0];
}

/* The timestamp of a message's control data (hardware or software as
 * the port was opened); 0 when there is none. */
static gt_ns cmsg_timestamp(const struct ptp_net *n, struct msghdr *h)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPING) {
			struct timespec t[3];

			memcpy(t, CMSG_DATA(c), sizeof(t));
			if (n->hw)
				return t[2].tv_sec || t[2].tv_nsec ? gt_from_timespec(&t[2]) : 0;
			return t[0].tv_sec || t[0].tv_nsec ? gt_from_timespec(&t[0]) : 0;
		}
	}
	return 0;
}

ssize_t ptp_net_recv(struct ptp_net *n, enum ptp_chan ch, uint8_t *buf, size_t cap,
		     struct ptp_addr *from, gt_ns *rx_ts)
{
	union {
		char b[512];
		struct cmsghdr align;
	} ctl;
	struct ptp_addr tmp;
	struct ptp_addr *a = from ? from : &tmp;
	struct iovec iov = { buf, cap };
	struct msghdr h = { .msg_name = &a->ss, .msg_namelen = sizeof(a->ss), .msg_iov = &iov,
			    .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b) };
	ssize_t r = recvmsg(chan_fd(n, ch), &h, MSG_DONTWAIT);

	*rx_ts = 0;
	if (r < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	a->len = h.msg_namelen;
	n->st.rx++;
	if (h.msg_flags & MSG_TRUNC) {
		n->st.rx_trunc++;
		return -EMSGSIZE;
	}
	*rx_ts = cmsg_timestamp(n, &h);
	if (!*rx_ts)
		n->st.rx_no_ts++;
	return r;
}

/* Drop transmit timestamps of earlier sends that nobody waited for. */
static void flush_errqueue(int fd)
{
	char data[64], ctl[256];
	int k;

	for (k = 0; k < 64; k++) {
		struct iovec iov = { data, sizeof(data) };
		struct msghdr h = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
				    .msg_controllen = sizeof(ctl) };

		if (recvmsg(fd, &h, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return;
	}
}

/* The transmit timestamp of the send just made: the error queue is read
 * as soon as poll says it holds something, up to the timeout (as ptp4l's
 * tx_timestamp_timeout). Sends are one at a time, so the first timestamp
 * after the flush is this send's. */
static int wait_tx_timestamp(struct ptp_net *n, int fd, gt_ns *ts)
{
	gt_ns deadline = gt_now(CLOCK_MONOTONIC) +
		(gt_ns)(n->cfg.tx_timeout_ms ? n->cfg.tx_timeout_ms : 10) * GT_NS_PER_MS;

	for (;;) {
		union {
			char b[512];
			struct cmsghdr align;
		} ctl;
		char data[256];
		struct iovec iov = { data, sizeof(data) };
		struct msghdr h = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
				    .msg_controllen = sizeof(ctl.b) };
		struct pollfd p = { .fd = fd, .events = POLLPRI };
		gt_ns left = deadline - gt_now(CLOCK_MONOTONIC);

		if (left <= 0)
			return -ETIME;
		if (poll(&p, 1, (int)((left + GT_NS_PER_MS - 1) / GT_NS_PER_MS)) < 0 && errno != EINTR)
			return -errno;
		if (recvmsg(fd, &h, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			continue;
		*ts = cmsg_timestamp(n, &h);
		if (*ts)
			return 0;
	}
}

int ptp_net_send(struct ptp_net *n, enum ptp_chan ch, enum ptp_dest dest,
		 const struct ptp_addr *to, const uint8_t *buf, size_t len, gt_ns *tx_ts)
{
	int fd = chan_fd(n, ch), rc;
	struct sockaddr_storage ss;
	socklen_t sl;

	if (dest == PTP_DST_UNICAST) {
		if (!to)
			return -EINVAL;
		ss = to->ss;
		sl = to->len;
	} else {
		ss = n->dst[dest == PTP_DST_PDELAY];
		sl = n->dst_len;
	}
	if (n->cfg.transport != PTP_TR_L2 && dest != PTP_DST_UNICAST) {
		uint16_t port = ch == PTP_CH_EVENT ?
			(n->cfg.event_port ? n->cfg.event_port : PTP_EVENT_PORT) :
			(n->cfg.general_port ? n->cfg.general_port : PTP_GENERAL_PORT);

		if (ss.ss_family == AF_INET)
			((struct sockaddr_in *)&ss)->sin_port = htons(port);
		else
			((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
	}
	if (tx_ts) {
		*tx_ts = 0;
		flush_errqueue(fd);
	}
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&ss, sl) != (ssize_t)len) {
		n->st.tx_err++;
		return -errno;
	}
	n->st.tx++;
	if (!tx_ts)
		return 0;
	rc = wait_tx_timestamp(n, fd, tx_ts);
	if (rc)
		n->st.tx_no_ts++;
	return rc;
}

bool ptp_net_dead(int err)
{
	return err == -ENODEV || err == -ENETDOWN || err == -ENXIO;
}

/* Only calls the sandbox allows (recvmsg, getsockopt): no ioctl, so the
 * interface's presence is judged from the socket's error. */
int ptp_net_check_error(struct ptp_net *n, enum ptp_chan ch)
{
	int fd = chan_fd(n, ch), e = 0;
	socklen_t l = sizeof(e);

	flush_errqueue(fd);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0)
		return -errno;
	return ptp_net_dead(-e) ? -e : 0;
}

void ptp_net_get_stats(const struct ptp_net *n, struct ptp_net_stats *st)
{
	*st = n->st;
}
