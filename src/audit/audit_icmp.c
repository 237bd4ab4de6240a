/* audit_icmp: ICMP timestamp probes (RFC 792 types 13/14) for devices
 * without a time service; most IP stacks answer them (Linux does unless
 * net.ipv4.icmp_... filters it). A raw socket needs CAP_NET_RAW: gnomond
 * opens it while privileged and passes it in (opts.icmp_fd); without one
 * the engine tries itself and, refused, reports each ICMP device
 * unreachable saying so. IPv4 only: ICMPv6 has no timestamp message. */
#include "audit/audit_probe_int.h"

#include <errno.h>
#include <poll.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/bytes.h"
#include "lib/loop.h"
#include "lib/util.h"
#include "net/sock.h"

#define ICMP_TS_REQ 13
#define ICMP_TS_LEN 20
#define MS_PER_DAY INT64_C(86400000)
#define NS_PER_DAY (MS_PER_DAY * GT_NS_PER_MS)

static void icmp_rx(int fd, short revents, void *arg);

int ap_icmp_open(struct audit_probe *p)
{
	int fd = p->o.icmp_fd, on = 1, rc;

	p->icmp_id = (uint16_t)ap_random64(p);
	p->icmp_seq = (uint16_t)ap_random64(p);
	if (fd < 0) {
		fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
		if (fd < 0) {
			p->icmp_errno = errno;
			return -errno;
		}
		p->icmp_own = true;
		(void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
	} else {
		(void)fd_set_nonblock(fd, true);
	}
	rc = loop_add_fd(p->loop, fd, POLLIN, icmp_rx, p);
	if (rc) {
		if (p->icmp_own)
			close(fd);
		p->icmp_own = false;
		p->icmp_errno = -rc;
		return rc;
	}
	p->icmp_fd = fd;
	return 0;
}

void ap_icmp_close(struct audit_probe *p)
{
	if (p->icmp_fd < 0)
		return;
	loop_del_fd(p->loop, p->icmp_fd);
	if (p->icmp_own)
		close(p->icmp_fd);
	p->icmp_fd = -1;
}

static uint16_t checksum(const uint8_t *b, size_t len)
{
	uint32_t sum = 0;
	size_t k;

	for (k = 0; k + 1 < len; k += 2)
		sum += get_be16(b + k);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint64_t icmp_key(uint16_t id, uint16_t seq)
{
	return UINT64_C(1) << 32 | (uint64_t)id << 16 | seq;
}

void ap_icmp_send(struct audit_probe *p, uint32_t i)
{
	struct ap_dev *d = &p->d[i];
	struct sockaddr_storage ss;
	socklen_t sl;
	uint8_t pkt[ICMP_TS_LEN] = { 0 };
	uint16_t seq;
	gt_ns t1;

	if (p->icmp_fd < 0 || d->addr.family != AF_INET) {
		struct audit_result *r = &p->res[i];

		if (d->addr.family != AF_INET)
			snprintf(r->error, sizeof(r->error), "ICMP timestamp is IPv4 only");
		else if (p->icmp_errno == EPERM || p->icmp_errno == EACCES)
			snprintf(r->error, sizeof(r->error), "ICMP timestamp needs CAP_NET_RAW");
		else
			snprintf(r->error, sizeof(r->error), "no ICMP socket: %s",
				 strerror(p->icmp_errno));
		d->fail = AP_FAIL_SETUP;
		ap_send_failed(p, i, AP_FAIL_SETUP, 0);
		return;
	}
	sl = net_addr_to_sockaddr(&d->addr, 0, &ss);
	/* The sequence number names the request; it wraps only after 65,536
	 * requests, long after the first of them timed out. */
	seq = p->icmp_seq++;
	d->t1_mono = gt_now(CLOCK_MONOTONIC);
	d->t1_real = t1 = gt_now(CLOCK_REALTIME);
	pkt[0] = ICMP_TS_REQ;
	put_be16(pkt + 4, p->icmp_id);
	put_be16(pkt + 6, seq);
	/* Originate: ms since midnight UT (RFC 792). */
	put_be32(pkt + 8, (uint32_t)((t1 % NS_PER_DAY) / GT_NS_PER_MS));
	put_be16(pkt + 2, checksum(pkt, sizeof(pkt)));
	if (sendto(p->icmp_fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&ss, sl) < 0) {
		ap_send_failed(p, i, AP_FAIL_NET, errno);
		return;
	}
	d->key = icmp_key(p->icmp_id, seq);
	ap_keymap_put(&p->icmp_keys, d->key, i);
	ap_sent(p, i);
}

void ap_icmp_timeout(struct audit_probe *p, uint32_t i)
{
	ap_keymap_drop(&p->icmp_keys, p->d[i].key, i);
	ap_failed(p, i, AP_FAIL_TIMEOUT, 0);
}

/* a - b for two times of day, taken the short way round midnight. */
static gt_ns day_diff(gt_ns a, gt_ns b)
{
	gt_ns x = (a - b) % NS_PER_DAY;

	if (x > NS_PER_DAY / 2)
		x -= NS_PER_DAY;
	if (x < -NS_PER_DAY / 2)
		x += NS_PER_DAY;
	return x;
}

static void icmp_reply(struct audit_probe *p, const uint8_t *pkt, size_t len,
		       const struct net_addr *from, gt_ns t4)
{
	uint32_t orig, rx, tx, i;
	size_t ihl;
	struct ap_dev *d;
	gt_ns t1, r_ns, x_ns;

	/* A raw socket hands over the IP header too (RFC 791: IHL words). */
	if (len < 20 || pkt[0] >> 4 != 4)
		return;
	ihl = (size_t)(pkt[0] & 15) * 4;
	if (ihl < 20 || len < ihl + 8)
		return;
	pkt += ihl;
	len -= ihl;
	/* Every ICMP message reaches a raw socket: only timestamp replies
	 * with our identifier are ours. */
	if (pkt[0] != 14 || get_be16(pkt + 4) != p->icmp_id)
		return;
	if (!ap_keymap_take(&p->icmp_keys, icmp_key(p->icmp_id, get_be16(pkt + 6)), &i)) {
		p->st.unmatched++;
		return;
	}
	d = &p->d[i];
	if (d->addr.family != from->family || memcmp(d->addr.a, from->a, 4) != 0) {
		ap_keymap_put(&p->icmp_keys, icmp_key(p->icmp_id, get_be16(pkt + 6)), i);
		p->st.unmatched++;
		return;
	}
	if (audit_parse_icmp_ts(pkt, len, p->icmp_id, get_be16(pkt + 6), &orig, &rx, &tx) < 0) {
		p->st.malformed++;
		ap_failed(p, i, AP_FAIL_MALFORMED, 0);
		return;
	}
	t1 = d->t1_real;
	/* The device's readings are whole ms: take the middle of each. */
	r_ns = (gt_ns)rx * GT_NS_PER_MS + GT_NS_PER_MS / 2;
	x_ns = (gt_ns)tx * GT_NS_PER_MS + GT_NS_PER_MS / 2;
	/* RFC 5905's four-timestamp arithmetic on times of day. */
	ap_sample(p, i, ((double)day_diff(r_ns, t1 % NS_PER_DAY) +
			 (double)day_diff(x_ns, t4 % NS_PER_DAY)) / 2e9,
		  ((double)(t4 - t1) - (double)(x_ns - r_ns)) / 1e9);
}

static void icmp_datagram(void *arg, const uint8_t *buf, size_t len, bool truncated,
			  const struct net_addr *from, const struct sock_rx_info *rx)
{
	/* No timestamp reply fills 1500 bytes: a truncated one is not ours. */
	if (!truncated)
		icmp_reply(arg, buf, len, from, rx->rx_real);
}

static void icmp_drain(struct audit_probe *p, int fd, int max)
{
	uint8_t buf[1500];

	sock_drain(fd, buf, sizeof(buf), max, icmp_datagram, p);
}

static void icmp_rx(int fd, short revents, void *arg)
{
	struct audit_probe *p = arg;

	(void)revents;
	icmp_drain(p, fd, 256);
	ap_arm(p);
}

void ap_icmp_pending(struct audit_probe *p)
{
	if (p->icmp_fd >= 0)
		icmp_drain(p, p->icmp_fd, INT32_MAX);
}
