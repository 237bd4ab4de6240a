/* fleet: one UDP socket answering NTP for a whole /16 of simulated
 * devices, each with its own behaviour and clock offset (fleet.h), for the
 * audit benchmark and its integration test. Run it in a network namespace
 * where every address of 198.18.0.0/16 is local (AnyIP):
 *
 *     ip route add local 198.18.0.0/16 dev lo
 *     fleet [-p PORT] [-d SECONDS]
 *
 * It learns which address a request was sent to from IP_PKTINFO and
 * answers from that address. Prints "fleet: ready" (flushed) once bound;
 * on SIGTERM/SIGINT, or after -d seconds, prints its counters and exits.
 * It reads clocks only. */
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fleet.h"
#include "lib/bytes.h"
#include "lib/gtime.h"

#define BATCH 64
#define NTP_LEN 48

static volatile sig_atomic_t stop;
static unsigned char lossy_seen[FLEET_MAX + 1];

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct counters {
	unsigned long rx, tx, foreign, short_req;
	unsigned long by_kind[FLEET_KIND_COUNT];
};

static gt_ns rx_time(struct msghdr *h)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			return gt_from_timespec(&ts);
		}
	}
	return gt_now(CLOCK_REALTIME);
}

static bool dst_addr(struct msghdr *h, struct in_addr *dst)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			*dst = pi.ipi_addr;
			return true;
		}
	}
	return false;
}

/* Build device k's answer to req in out; 0 for no answer. */
static size_t answer(uint32_t k, const uint8_t *req, gt_ns rx, uint8_t *out)
{
	enum fleet_kind kind = fleet_kind(k);
	gt_ns off = gt_from_sec(fleet_offset(k));
	static const char wrong[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
	uint64_t h;
	int i;

	memset(out, 0, NTP_LEN);
	switch (kind) {
	case FLEET_SILENT:
		return 0;
	case FLEET_LOSSY:
		if (lossy_seen[k]++ % 2 == 0)
			return 0;
		/* fall through */
	case FLEET_GOOD:
	case FLEET_OFF:
	case FLEET_UNSYNC:
		out[0] = kind == FLEET_UNSYNC ? (3 << 6 | 4 << 3 | 4) : (0 << 6 | 4 << 3 | 4);
		out[1] = kind == FLEET_UNSYNC ? 16 : 2;
		out[2] = req[2];
		out[3] = (uint8_t)-20;
		put_be32(out + 12, kind == FLEET_UNSYNC ? 0 : 0x474e4d4e);	/* "GNMN" */
		put_be64(out + 16, ntp_ts_from_ns(rx + off - 16 * GT_NS_PER_S));
		memcpy(out + 24, req + 40, 8);
		put_be64(out + 32, ntp_ts_from_ns(rx + off));
		put_be64(out + 40, ntp_ts_from_ns(gt_now(CLOCK_REALTIME) + off));
		return NTP_LEN;
	case FLEET_KOD:
		out[0] = 3 << 6 | 4 << 3 | 4;
		memcpy(out + 12, "RATE", 4);
		memcpy(out + 24, req + 40, 8);
		return NTP_LEN;
	case FLEET_GARBAGE:
		/* Bytes that are no NTP reply: a mode 7 header and noise. */
		h = fleet_mix(k ^ (uint64_t)rx);
		for (i = 0; i < NTP_LEN; i++, h = fleet_mix(h))
			out[i] = (uint8_t)h;
		out[0] = (uint8_t)((out[0] & 0xf8) | 7);
		return NTP_LEN;
	case FLEET_WRONG:
		memcpy(out, wrong, sizeof(wrong) - 1);
		return sizeof(wrong) - 1;
	case FLEET_KIND_COUNT:
		break;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(123) };
	struct counters ct = { 0 };
	double duration = 0;
	int fd, on = 1, opt, size = 8 << 20;
	gt_ns end = 0;

	while ((opt = getopt(argc, argv, "p:d:")) != -1) {
		switch (opt) {
		case 'p':
			sa.sin_port = htons((uint16_t)atoi(optarg));
			break;
		case 'd':
			duration = atof(optarg);
			break;
		default:
			fprintf(stderr, "usage: fleet [-p PORT] [-d SECONDS]\n");
			return 2;
		}
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) < 0) {
		perror("fleet: socket");
		return 1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("fleet: bind");
		return 1;
	}
	if (duration > 0)
		end = gt_now(CLOCK_MONOTONIC) + gt_from_sec(duration);
	printf("fleet: ready on port %u\n", ntohs(sa.sin_port));
	fflush(stdout);

	while (!stop && (!end || gt_now(CLOCK_MONOTONIC) < end)) {
		static uint8_t in[BATCH][128], out[BATCH][128];
		static uint8_t ctl[BATCH][256], octl[BATCH][CMSG_SPACE(sizeof(struct in_pktinfo))];
		static struct sockaddr_in from[BATCH];
		struct mmsghdr msgs[BATCH], reps[BATCH];
		struct iovec iov[BATCH], oiov[BATCH];
		struct pollfd pf = { fd, POLLIN, 0 };
		int n, i, nrep = 0;

		if (poll(&pf, 1, 100) <= 0)
			continue;
		for (i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ in[i], sizeof(in[i]) };
			msgs[i].msg_hdr = (struct msghdr){ .msg_name = &from[i],
				.msg_namelen = sizeof(from[i]), .msg_iov = &iov[i], .msg_iovlen = 1,
				.msg_control = ctl[i], .msg_controllen = sizeof(ctl[i]) };
		}
		n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			continue;
		for (i = 0; i < n; i++) {
			struct msghdr *h = &msgs[i].msg_hdr;
			struct in_addr dst;
			uint32_t a, k;
			gt_ns rx = rx_time(h);
			size_t len;
			struct cmsghdr *c;
			struct in_pktinfo pi = { 0 };

			ct.rx++;
			if (!dst_addr(h, &dst)) {
				ct.foreign++;
				continue;
			}
			a = ntohl(dst.s_addr);
			k = a - FLEET_BASE;
			if ((a & 0xffff0000u) != FLEET_BASE || k == 0 || k > FLEET_MAX) {
				ct.foreign++;
				continue;
			}
			if (msgs[i].msg_len < NTP_LEN) {
				ct.short_req++;
				continue;
			}
			ct.by_kind[fleet_kind(k)]++;
			len = answer(k, in[i], rx, out[nrep]);
			if (!len)
				continue;
			/* Answer from the address asked (IP_PKTINFO spec_dst). */
			oiov[nrep] = (struct iovec){ out[nrep], len };
			reps[nrep].msg_hdr = (struct msghdr){ .msg_name = &from[i],
				.msg_namelen = sizeof(from[i]), .msg_iov = &oiov[nrep], .msg_iovlen = 1,
				.msg_control = octl[nrep], .msg_controllen = sizeof(octl[nrep]) };
			c = CMSG_FIRSTHDR(&reps[nrep].msg_hdr);
			c->cmsg_level = IPPROTO_IP;
			c->cmsg_type = IP_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			pi.ipi_spec_dst = dst;
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
			nrep++;
		}
		for (i = 0; i < nrep;) {
			int s = sendmmsg(fd, reps + i, (unsigned)(nrep - i), 0);

			if (s <= 0) {
				if (s < 0 && errno != EINTR && errno != EAGAIN)
					perror("fleet: sendmmsg");
				break;
			}
			i += s;
			ct.tx += (unsigned long)s;
		}
	}
	fprintf(stderr, "fleet: rx %lu tx %lu foreign %lu short %lu;", ct.rx, ct.tx, ct.foreign,
		ct.short_req);
	for (opt = 0; opt < FLEET_KIND_COUNT; opt++)
		fprintf(stderr, " %s %lu", fleet_kind_name((enum fleet_kind)opt), ct.by_kind[opt]);
	fprintf(stderr, "\n");
	close(fd);
	return 0;
}
