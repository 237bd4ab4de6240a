#include "prog/query.h"

#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "mon/json.h"
#include "net/sock.h"
#include "ntp/ntp_reply.h"

void query_evaluate(const uint8_t *buf, size_t len, ntp_ts sent_xmt, gt_ns t1, gt_ns t4,
		    struct query_sample *out)
{
	struct ntp_pkt *r = &out->reply;
	gt_ns t2, t3;

	memset(out, 0, sizeof(*out));
	if (ntp_pkt_decode(buf, len, r) != NTP_PKT_OK) {
		snprintf(out->error, sizeof(out->error), "malformed reply");
		return;
	}
	if (r->mode != NTP_MODE_SERVER) {
		snprintf(out->error, sizeof(out->error), "reply mode %d, not 4", r->mode);
		return;
	}
	/* RFC 5905 §8 test 2 (bogus): the reply must answer our request. */
	if (r->org != sent_xmt) {
		snprintf(out->error, sizeof(out->error), "origin timestamp does not match");
		return;
	}
	if (r->stratum == 0) {
		char code[5];

		memcpy(code, (char[4]){ (char)(r->refid >> 24), (char)(r->refid >> 16),
					(char)(r->refid >> 8), (char)r->refid }, 4);
		code[4] = '\0';
		out->kod = true;
		snprintf(out->error, sizeof(out->error), "kiss code %s", code);
		return;
	}
	if (!r->rec || !r->xmt) {
		snprintf(out->error, sizeof(out->error), "zero timestamp in reply");
		return;
	}
	/* Era-safe: server times are read against our own clock as pivot. */
	t2 = ntp_ts_to_ns(r->rec, t1);
	t3 = ntp_ts_to_ns(r->xmt, t4);
	out->offset = ((t2 - t1) + (t3 - t4)) / 2;
	out->delay = (t4 - t1) - (t3 - t2);
	if (out->delay < 0)
		out->delay = 0;
	out->valid = true;
}

static int resolve(const char *host, const char *port, struct sockaddr_storage *ss,
		   socklen_t *sl)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res;
	int rc = getaddrinfo(host, port, &hints, &res);

	if (rc) {
		fprintf(stderr, "gnomonctl: %s: %s\n", host, gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sl = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int query_once(int fd, const struct sockaddr_storage *ss, socklen_t sl,
		      struct query_sample *out, int timeout_ms)
{
	uint8_t req[NTP_HEADER_LEN] = { 0 }, buf[NTP_MAX_LEN], ctl[SOCK_CMSG_SPACE];
	struct sockaddr_storage from;
	struct ntp_pkt p;
	struct sock_rx_info rx;
	ntp_ts xmt;
	gt_ns t1, deadline;

	memset(out, 0, sizeof(*out));
	memset(&p, 0, sizeof(p));
	p.version = 4;
	p.mode = NTP_MODE_CLIENT;
	p.poll = 6;
	/* RFC 9109 style: a random transmit timestamp carries no information
	 * about our clock and cannot be guessed by an off-path attacker. */
	if (getrandom(&xmt, sizeof(xmt), 0) != sizeof(xmt))
		xmt = (ntp_ts)gt_now(CLOCK_MONOTONIC);
	p.xmt = xmt;
	ntp_pkt_encode(&p, req);
	t1 = gt_now(CLOCK_REALTIME);
	if (sendto(fd, req, sizeof(req), 0, (const struct sockaddr *)ss, sl) < 0) {
		snprintf(out->error, sizeof(out->error), "send: %s", strerror(errno));
		return -1;
	}
	deadline = gt_now(CLOCK_MONOTONIC) + (gt_ns)timeout_ms * GT_NS_PER_MS;
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		gt_ns left = deadline - gt_now(CLOCK_MONOTONIC);
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr h = { .msg_name = &from, .msg_namelen = sizeof(from),
				    .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = ctl, .msg_controllen = sizeof(ctl) };
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)(left / GT_NS_PER_MS) + 1) <= 0) {
			memset(out, 0, sizeof(*out));
			snprintf(out->error, sizeof(out->error), "no reply");
			return -1;
		}
		n = recvmsg(fd, &h, MSG_DONTWAIT);
		if (n < 0)
			continue;
		sock_parse_cmsg(&h, &rx);
		query_evaluate(buf, (size_t)n, xmt, t1, rx.rx_real ? rx.rx_real : gt_now(CLOCK_REALTIME),
			       out);
		if (out->valid || out->kod)
			return out->valid ? 0 : -1;
		/* A stray or forged packet: keep waiting for the real reply. */
	}
}

static void refid_str(const struct ntp_pkt *r, char *buf, size_t len)
{
	uint32_t id = r->refid;

	if (r->stratum <= 1 || r->stratum >= 16) {
		int i, k = 0;

		for (i = 24; i >= 0 && k < (int)len - 1; i -= 8) {
			char c = (char)(id >> i);

			if (c >= 0x20 && c < 0x7f)
				buf[k++] = c;
		}
		buf[k] = '\0';
	} else {
		snprintf(buf, len, "%u.%u.%u.%u", id >> 24, (id >> 16) & 255, (id >> 8) & 255,
			 id & 255);
	}
}

static void sample_json(struct json_out *j, const struct query_sample *s)
{
	char refid[20];

	refid_str(&s->reply, refid, sizeof(refid));
	json_double(j, "offset", gt_to_sec(s->offset));
	json_double(j, "delay", gt_to_sec(s->delay));
	json_u64(j, "stratum", s->reply.stratum);
	json_u64(j, "leap", s->reply.leap);
	json_str(j, "refid", refid);
	json_u64(j, "version", s->reply.version);
}

int query_main(int argc, char **argv, bool json)
{
	const char *host = NULL, *port = "123";
	struct query_sample samples[64];
	struct sockaddr_storage ss;
	socklen_t sl;
	struct net_addr bind_any;
	int count = 1, opt, i, best = -1, fd, n_valid = 0;
	char out[16384];
	struct json_out j;

	optind = 0;	/* glibc: 0 fully re-initialises getopt */
	while ((opt = getopt(argc, argv, "p:n:")) != -1) {
		switch (opt) {
		case 'p': port = optarg; break;
		case 'n':
			count = atoi(optarg);
			if (count < 1 || count > 64) {
				fprintf(stderr, "gnomonctl query: -n takes 1..64\n");
				return 2;
			}
			break;
		default:
			fprintf(stderr, "usage: gnomonctl query HOST [-p PORT] [-n COUNT]\n");
			return 2;
		}
	}
	if (optind < argc)
		host = argv[optind++];
	if (!host || optind < argc) {
		fprintf(stderr, "usage: gnomonctl query HOST [-p PORT] [-n COUNT]\n");
		return 2;
	}
	if (resolve(host, port, &ss, &sl))
		return 1;
	net_addr_parse(ss.ss_family == AF_INET6 ? "::" : "0.0.0.0", &bind_any);
	fd = sock_udp_open(&bind_any, 0, SOCK_RX_TIMESTAMP);
	if (fd < 0) {
		fprintf(stderr, "gnomonctl: socket: %s\n", strerror(-fd));
		return 1;
	}
	for (i = 0; i < count; i++) {
		if (i)
			usleep(500000);
		if (query_once(fd, &ss, sl, &samples[i], 2000) == 0) {
			n_valid++;
			if (best < 0 || samples[i].delay < samples[best].delay)
				best = i;
		}
		if (!json && samples[i].valid)
			printf("server %s, stratum %u, offset %+.6f, delay %.6f\n", host,
			       samples[i].reply.stratum, gt_to_sec(samples[i].offset),
			       gt_to_sec(samples[i].delay));
		else if (!json)
			printf("server %s: %s\n", host, samples[i].error);
	}
	close(fd);
	if (json) {
		json_init(&j, out, sizeof(out));
		json_obj_begin(&j, NULL);
		json_str(&j, "server", host);
		json_u64(&j, "port", (uint64_t)atoi(port));
		json_arr_begin(&j, "samples");
		for (i = 0; i < count; i++) {
			json_obj_begin(&j, NULL);
			if (samples[i].valid)
				sample_json(&j, &samples[i]);
			else
				json_str(&j, "error", samples[i].error);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		if (best >= 0) {
			sample_json(&j, &samples[best]);
			json_double(&j, "root_delay",
				    gt_to_sec(ntp_short_to_ns(samples[best].reply.root_delay)));
			json_double(&j, "root_dispersion",
				    gt_to_sec(ntp_short_to_ns(samples[best].reply.root_disp)));
		}
		json_obj_end(&j);
		printf("%s\n", json_result(&j) ? json_result(&j) : "{\"error\":\"overflow\"}");
	} else if (best >= 0) {
		char refid[20];
		const struct query_sample *s = &samples[best];

		refid_str(&s->reply, refid, sizeof(refid));
		printf("offset %+.6f s, delay %.6f s, stratum %u, refid %s, leap %u, "
		       "root delay %.6f s, root dispersion %.6f s\n",
		       gt_to_sec(s->offset), gt_to_sec(s->delay), s->reply.stratum, refid,
		       s->reply.leap, gt_to_sec(ntp_short_to_ns(s->reply.root_delay)),
		       gt_to_sec(ntp_short_to_ns(s->reply.root_disp)));
	}
	return n_valid ? 0 : 1;
}
