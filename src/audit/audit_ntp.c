/* audit_ntp: NTP mode 3 probes (RFC 5905) for the audit engine. One
 * unbound-port UDP socket per address family carries every request; the
 * transmit timestamp of a request is a random 64-bit cookie (as chrony
 * does, RFC 5905 §8 leaves its content to the client), which the server
 * echoes as its origin timestamp, so a reply is matched by its cookie and
 * then by its source address and port. */
#include "audit/audit_probe_int.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "lib/bytes.h"
#include "lib/loop.h"
#include "net/sock.h"

#define NTP_LEN 48
#define NTP_DRAIN_MAX 256

static void ntp_rx(int fd, short revents, void *arg);

static int open_family(struct audit_probe *p, int family, int slot)
{
	struct net_addr any = { .family = family };
	int fd, rc;

	/* Deep buffer: 10,000 devices answer within a few ms of each other;
	 * kernel receive timestamps: the loop's wake-up is not in T4. */
	fd = sock_udp_open(&any, 0, SOCK_BIG_RCVBUF | SOCK_RX_TIMESTAMP);
	if (fd < 0)
		return fd;
	rc = loop_add_fd(p->loop, fd, POLLIN, ntp_rx, p);
	if (rc) {
		close(fd);
		return rc;
	}
	p->udp_fd[slot] = fd;
	return 0;
}

int ap_ntp_open(struct audit_probe *p)
{
	size_t i;
	bool v4 = false, v6 = false;
	int rc;

	for (i = 0; i < p->n; i++) {
		if (p->d[i].method != AUDIT_NTP || p->d[i].fail)
			continue;
		if (p->d[i].addr.family == AF_INET)
			v4 = true;
		else
			v6 = true;
	}
	if (v4 && (rc = open_family(p, AF_INET, 0)) < 0)
		return rc;
	/* A host without IPv6 fails only its IPv6 devices (at send time). */
	if (v6)
		(void)open_family(p, AF_INET6, 1);
	return 0;
}

void ap_ntp_close(struct audit_probe *p)
{
	int k;

	for (k = 0; k < 2; k++) {
		if (p->udp_fd[k] >= 0) {
			loop_del_fd(p->loop, p->udp_fd[k]);
			close(p->udp_fd[k]);
			p->udp_fd[k] = -1;
		}
	}
}

void ap_ntp_send(struct audit_probe *p, uint32_t i)
{
	struct ap_dev *d = &p->d[i];
	struct sockaddr_storage ss;
	socklen_t sl = net_addr_to_sockaddr(&d->addr, d->port, &ss);
	int fd = p->udp_fd[d->addr.family == AF_INET6];
	uint8_t pkt[NTP_LEN] = { 0 };
	uint64_t cookie = ap_random64(p);

	/* LI 0, version 4, mode 3 (client); everything else zero but the
	 * transmit timestamp (RFC 5905 §7.3, as ntpdate -q sends). */
	pkt[0] = 0 << 6 | 4 << 3 | 3;
	put_be64(pkt + 40, cookie);
	d->t1_mono = gt_now(CLOCK_MONOTONIC);
	d->t1_real = gt_now(CLOCK_REALTIME);
	if (fd < 0 || sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&ss, sl) < 0) {
		ap_send_failed(p, i, AP_FAIL_NET, fd < 0 ? EAFNOSUPPORT : errno);
		return;
	}
	d->key = cookie;
	ap_keymap_put(&p->ntp_keys, cookie, i);
	ap_sent(p, i);
}

void ap_ntp_timeout(struct audit_probe *p, uint32_t i)
{
	ap_keymap_drop(&p->ntp_keys, p->d[i].key, i);
	ap_failed(p, i, AP_FAIL_TIMEOUT, 0);
}

static bool same_peer(const struct ap_dev *d, const struct net_addr *a, uint16_t port)
{
	return d->port == port && d->addr.family == a->family &&
	       memcmp(d->addr.a, a->a, net_addr_len(a)) == 0;
}

static void ntp_reply(struct audit_probe *p, const uint8_t *buf, size_t len,
		      const struct net_addr *from, uint16_t port, gt_ns t4)
{
	struct audit_ntp_reply r;
	uint64_t cookie = len >= NTP_LEN ? get_be64(buf + 24) : 0;
	struct ap_dev *d;
	uint32_t i;
	gt_ns t1;

	/* Not our cookie, or our cookie from somewhere else: not taken. A
	 * non-reply from a probed device's address is blamed on it, so the
	 * report can say "malformed" rather than "timeout"; a well-formed
	 * reply with an unknown cookie is only late (its request timed out)
	 * or forged, and says nothing about the device. */
	if (!cookie || !ap_keymap_take(&p->ntp_keys, cookie, &i)) {
		i = ap_ntp_first_at(p, from, port);
		if (i == UINT32_MAX || audit_parse_ntp(buf, len, cookie, &r) == 0) {
			p->st.unmatched++;
			return;
		}
		p->st.malformed++;
		if (p->d[i].fail < AP_FAIL_MALFORMED)
			p->d[i].fail = AP_FAIL_MALFORMED;
		return;
	}
	d = &p->d[i];
	if (!same_peer(d, from, port)) {
		/* Put it back: the true reply may still come. */
		ap_keymap_put(&p->ntp_keys, cookie, i);
		p->st.unmatched++;
		return;
	}
	if (audit_parse_ntp(buf, len, cookie, &r) < 0) {
		p->st.malformed++;
		ap_failed(p, i, AP_FAIL_MALFORMED, 0);
		return;
	}
	d->rx_stratum = r.stratum;
	d->rx_leap = r.leap;
	if (r.kod) {
		p->st.kod++;
		d->kod_code = r.refid;
		ap_failed(p, i, AP_FAIL_KOD, 0);
		return;
	}
	/* RFC 5905 §7.3: leap 3 is "clock unsynchronised", stratum 16 (and
	 * the reserved 17..255) likewise; such a time is never a good one. */
	if (r.leap == 3 || r.stratum >= 16) {
		p->st.unsync++;
		ap_failed(p, i, AP_FAIL_UNSYNC, 0);
		return;
	}
	t1 = d->t1_real;
	/* RFC 5905 §8: offset ((T2-T1) + (T3-T4)) / 2, delay (T4-T1) - (T3-T2). */
	ap_sample(p, i, ((double)(r.t2 - t1) + (double)(r.t3 - t4)) / 2e9,
		  ((double)(t4 - t1) - (double)(r.t3 - r.t2)) / 1e9);
}

static void ntp_datagram(void *arg, const uint8_t *buf, size_t len, bool truncated,
			 const struct net_addr *from, const struct sock_rx_info *rx)
{
	/* A truncated datagram is no NTP reply: malformed (length 0). */
	ntp_reply(arg, buf, truncated ? 0 : len, from, rx->src_port, rx->rx_real);
}

static void ntp_drain(struct audit_probe *p, int fd, int max)
{
	uint8_t buf[512];

	sock_drain(fd, buf, sizeof(buf), max, ntp_datagram, p);
}

static void ntp_rx(int fd, short revents, void *arg)
{
	struct audit_probe *p = arg;

	(void)revents;
	ntp_drain(p, fd, NTP_DRAIN_MAX);
	ap_arm(p);
}

void ap_ntp_pending(struct audit_probe *p)
{
	int k;

	/* Everything queued: the receive buffer bounds it. */
	for (k = 0; k < 2; k++)
		if (p->udp_fd[k] >= 0)
			ntp_drain(p, p->udp_fd[k], INT32_MAX);
}
