#include "ntp/ntp_srv.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/qsbr.h"
#include "lib/bytes.h"
#include "lib/util.h"
#include "net/sock.h"
#include "ntp/ntp_rl.h"
#include "ntp/ntp_xtab.h"

#define BATCH 64
/* Receive buffer: larger than NTP_MAX_LEN so oversized requests are seen
 * as such; MSG_TRUNC catches anything larger still. */
#define RX_BUF 2048
/* Transmit timestamps awaited per socket (interleaved replies in flight
 * between a send and the read of its error queue). */
#define TXPEND 64
/* A kernel transmit timestamp belongs to the send it is matched with only
 * when it follows the time written in the reply by at most this much. */
#define TXTS_MAX_LAG (50 * GT_NS_PER_MS)

/* An interleaved reply whose kernel transmit timestamp is awaited. */
struct txpend {
	bool used;
	uint32_t key;		/* OPT_ID of the send */
	struct net_addr addr;
	ntp_ts rx;		/* its receive timestamp, the table's key */
	gt_ns raw;		/* CLOCK_REALTIME read for its transmit field */
};

struct worker {
	struct ntp_srv *srv;
	pthread_t thread;
	bool started;
	int fds[NTP_SRV_MAX_BIND];
	int n_fds;
	int qsbr_slot;		/* this worker's reader slot (lib/qsbr.h) */
	struct ntp_clog *clog;	/* this thread's client log; NULL: none */
	struct ntp_xtab *xtab;	/* this thread's interleaved-mode table */
	uint32_t txkey[NTP_SRV_MAX_BIND];	/* timestamped sends per socket */
	struct txpend txp[NTP_SRV_MAX_BIND][TXPEND];
	int tx_outstanding;
	struct ntp_srv_stats stats;
};

struct ntp_srv {
	struct ntp_srv_config cfg;
	const struct clk_published *clock;
	struct ntp_rl *rl;
	struct loop *loop;
	int n_workers;		/* 0: one pseudo-worker served by the main loop */
	struct worker *w;	/* max(n_workers, 1) entries */
	atomic_bool stop;
	int port;
	unsigned mark_bits;	/* thread bits in our receive timestamps */
};

/* Counters are written by one thread and read by the main thread; relaxed
 * atomic stores keep that well defined without a locked instruction. */
#define STAT_ADD(field, n) \
	__atomic_store_n(&(field), (field) + (n), __ATOMIC_RELAXED)

/* A reply decided by handle_request, finished just before sending. */
struct pending {
	bool stamp;		/* needs the transmit timestamp */
	bool xsave;		/* remember it for interleaved mode */
	bool interleaved;	/* its transmit field is the previous response's */
	struct ntp_req_auth auth;	/* how to seal it */
	ntp_ts rx;		/* xsave: its (marked) receive timestamp */
	gt_ns raw_tx;		/* xsave: CLOCK_REALTIME of its transmit stamp */
	ntp_ts tx_ntp;		/* xsave: that time as a transmit timestamp */
	struct net_addr addr;	/* xsave: the client */
};

/* Buffers for one batch. Kept per call on the worker's stack (~150 KiB). */
struct batch {
	struct mmsghdr rx[BATCH], tx[BATCH];
	struct iovec rx_iov[BATCH], tx_iov[BATCH];
	struct sockaddr_storage from[BATCH];
	uint8_t rx_buf[BATCH][RX_BUF];
	uint8_t rx_ctl[BATCH][SOCK_CMSG_SPACE];
	uint8_t tx_buf[BATCH][NTP_REPLY_MAX_LEN];
	uint8_t tx_ctl[BATCH][64];
	struct pending pend[BATCH];
	int src[BATCH];		/* rx index each reply answers */
	size_t ctl_len[BATCH];
};

/* Interleaved mode (RFC 9769 §2) for a built reply: mark its receive
 * timestamp; for a request that may be interleaved, find the transmit
 * timestamp of the response its origin names (in the table of the thread
 * that sent it) and answer with it, and remember this response. Basic
 * requests cost the mark and one test of the origin's low bit. */
static void xleave_check(struct ntp_srv *s, struct worker *w, const uint8_t *req, size_t len,
			 const struct net_addr *addr, uint8_t *out, struct pending *p)
{
	ntp_ts rx = ntp_reply_mark_rx(get_be64(out + 32), (unsigned)(w - s->w), s->mark_bits);
	ntp_ts org, prev_tx;
	unsigned t;

	put_be64(out + 32, rx);
	if (!ntp_reply_xleave_request(req, len))
		return;
	org = get_be64(req + 24);
	t = ntp_reply_rx_thread(org, s->mark_bits);
	if (t < (unsigned)(s->n_workers > 0 ? s->n_workers : 1) && s->w[t].xtab &&
	    ntp_xtab_lookup(s->w[t].xtab, addr, org, &prev_tx)) {
		ntp_reply_make_interleaved(out, req, prev_tx);
		p->interleaved = true;
		STAT_ADD(w->stats.interleaved, 1);
		/* Used: the client's next request names this reply. An entry
		 * in another thread's table (the client's port changed) is
		 * left to age out there: only its owner writes it. */
		if (&s->w[t] == w)
			ntp_xtab_drop(w->xtab, org);
	}
	p->xsave = true;
	p->rx = rx;
	p->addr = *addr;
}

/* The kernel transmit timestamps waiting in fd's error queue: each
 * replaces, in the table, the transmit time written in its reply. */
static void read_txts(struct ntp_srv *s, struct worker *w, int fdi)
{
	struct clk_snapshot snap;
	struct txpend *tp;
	uint32_t key;
	gt_ns ts;
	int k, r;
	bool have_snap = false;

	for (k = 0; k < 4 * TXPEND && (r = sock_read_txts(w->fds[fdi], &key, &ts)) >= 0; k++) {
		if (!r)
			continue;
		tp = &w->txp[fdi][key % TXPEND];
		if (!tp->used || tp->key != key)
			continue;
		tp->used = false;
		w->tx_outstanding--;
		/* A timestamp of another send (keys out of step after a
		 * failed send) would not follow this one's stamp closely. */
		if (ts < tp->raw || ts - tp->raw > TXTS_MAX_LAG)
			continue;
		if (!have_snap) {
			clk_read_snapshot(s->clock, &snap);
			have_snap = true;
		}
		if (ntp_xtab_set_tx(w->xtab, &tp->addr, tp->rx,
				    ntp_ts_from_ns(clk_map_apply(&snap.map, ts) +
						   s->cfg.reply.serve_offset) & ~(ntp_ts)1))
			STAT_ADD(w->stats.txts, 1);
	}
}

static void read_all_txts(struct ntp_srv *s, struct worker *w)
{
	int i;

	for (i = 0; i < w->n_fds && w->tx_outstanding > 0; i++)
		read_txts(s, w, i);
}

/* The error queue is drained up to TXPEND; beyond, a lost timestamp
 * would hold a slot for ever: forget them all (their clients get the
 * transmit time written in the reply). */
static void txts_expire(struct worker *w)
{
	if (w->tx_outstanding < TXPEND)
		return;
	memset(w->txp, 0, sizeof(w->txp));
	w->tx_outstanding = 0;
}

/* After an interleaved reply is saved, its send asks for a transmit
 * timestamp; ctl holds ctl_len bytes. Returns the new control length. */
static size_t xleave_saved(struct ntp_srv *s, struct worker *w, const struct pending *p,
			   const uint8_t *out, gt_ns mono, uint8_t *ctl, size_t ctl_len,
			   size_t ctl_cap)
{
	(void)s;
	(void)out;
	ntp_xtab_save(w->xtab, &p->addr, p->rx, p->tx_ntp, mono);
	return sock_build_txts(ctl, ctl_len, ctl_cap);
}

/* A send that asked for a transmit timestamp went out of socket fdi:
 * the kernel numbered it; note what it is for. */
static void txts_sent(struct worker *w, int fdi, const struct pending *p)
{
	struct txpend *tp;

	txts_expire(w);
	tp = &w->txp[fdi][w->txkey[fdi] % TXPEND];
	if (!tp->used)
		w->tx_outstanding++;
	*tp = (struct txpend){ true, w->txkey[fdi], p->addr, p->rx, p->raw_tx };
	w->txkey[fdi]++;
}

/* A send that asked for a timestamp failed: whether the kernel counted
 * it is unknown. Turning OPT_ID off and on restarts its count at 0. */
static void txts_resync(struct worker *w, int fdi)
{
	int i;

	sock_txts_restart(w->fds[fdi], SOCK_TX_TIMESTAMP_ON_REQUEST);
	for (i = 0; i < TXPEND; i++)
		w->tx_outstanding -= w->txp[fdi][i].used;
	memset(w->txp[fdi], 0, sizeof(w->txp[fdi]));
	w->txkey[fdi] = 0;
}

/* Decide about one received datagram; fill out (NTP_REPLY_MAX_LEN bytes)
 * and *p, and return true when a reply is to be sent. */
static bool handle_request(struct ntp_srv *s, struct worker *w,
			   const struct clk_snapshot *snap, const uint8_t *buf, size_t len,
			   bool truncated, const struct sockaddr *from,
			   const struct sock_rx_info *rx, gt_ns mono_now,
			   uint8_t *out, struct pending *p)
{
	struct ntp_srv_stats *st = &w->stats;
	enum ntp_verdict v;
	struct net_addr addr;
	int version = 0;
	bool limited = false;
	gt_ns rx_real;

	STAT_ADD(st->received, 1);
	if (net_addr_from_sockaddr(from, &addr, NULL) || !acl_check(s->cfg.acl, &addr)) {
		STAT_ADD(st->verdict[NTP_V_DROP_DENIED], 1);
		return false;
	}
	v = truncated ? NTP_V_DROP_OVERSIZED : ntp_reply_classify(buf, len, &version);
	if (version >= 1 && version <= 4)
		STAT_ADD(st->version[version], 1);
	if (v != NTP_V_REPLY) {
		STAT_ADD(st->verdict[v], 1);
		return false;
	}
	if (w->clog)
		ntp_clog_note(w->clog, &addr, mono_now, NTP_CLOG_REQUEST);
	if (s->rl) {
		enum ntp_rl_verdict rv = ntp_rl_check(s->rl, &addr, mono_now);

		if (rv != NTP_RL_PASS) {
			STAT_ADD(st->ratelimited, 1);
			/* Dropped before its MAC costs any CPU time. */
			if (rv == NTP_RL_DROP) {
				STAT_ADD(st->verdict[NTP_V_DROP_RATE], 1);
				if (w->clog)
					ntp_clog_note(w->clog, &addr, mono_now, NTP_CLOG_DROP);
				return false;
			}
			STAT_ADD(st->rl_leaked, 1);
			/* A leaked request gets a KoD RATE only when drawn
			 * for one; otherwise a normal answer (chrony's leak). */
			limited = rv == NTP_RL_LEAK_KOD;
		}
	}
	ntp_reply_check_auth(&s->cfg.reply, buf, len, &p->auth);
	if (p->auth.state == NTP_REQ_AUTH_OK) {
		STAT_ADD(st->auth_ok, 1);
	} else if (p->auth.state == NTP_REQ_AUTH_FAIL) {
		STAT_ADD(st->auth_fail, 1);
		if (log_max_level >= LOG_LVL_DEBUG) {
			char a[NET_ADDR_STRLEN];

			LOG_RL(LOG_LVL_DEBUG, "ntp server: request from %s: key %u %s",
			       net_addr_str(&addr, a, sizeof(a)), p->auth.key_id,
			       p->auth.why == AUTH_UNKNOWN_KEY ? "unknown" : "wrong MAC");
		}
	}
	rx_real = rx->rx_real ? rx->rx_real : gt_now(CLOCK_REALTIME);
	v = ntp_reply_build_auth(&s->cfg.reply, snap, buf, clk_map_apply(&snap->map, rx_real),
				 limited, &p->auth, out);
	STAT_ADD(st->verdict[v], 1);
	if (v == NTP_V_KOD && w->clog)
		ntp_clog_note(w->clog, &addr, mono_now, NTP_CLOG_KOD);
	p->xsave = p->interleaved = false;
	if (v == NTP_V_REPLY && w->xtab)
		xleave_check(s, w, buf, len, &addr, out, p);
	p->stamp = v == NTP_V_REPLY || v == NTP_V_CRYPTO_NAK;
	return p->stamp || v == NTP_V_KOD;
}

/* Stamp and seal a reply; its length, 0 when it is not to be sent.
 * tx_raw: the CLOCK_REALTIME reading tx_clock was mapped from. */
static size_t finish_reply(struct ntp_srv *s, struct worker *w, struct pending *p,
			   uint8_t *out, gt_ns tx_clock, gt_ns tx_raw)
{
	size_t n;

	/* The MAC is computed after the transmit timestamp it covers: count
	 * its time in, as chrony does. */
	if (p->stamp && !p->interleaved) {
		ntp_reply_stamp(out, tx_clock + (p->auth.state == NTP_REQ_AUTH_OK ?
					auth_mac_delay(s->cfg.reply.keys, p->auth.key_id) : 0),
				&s->cfg.reply);
		/* Our transmit timestamps have the low bit clear (ntp_reply.h). */
		if (w->xtab)
			out[47] &= 0xfe;
	}
	if (p->xsave) {
		p->raw_tx = tx_raw;
		/* What the next interleaved answer gives when the kernel's
		 * timestamp does not come: the time this reply was stamped. */
		p->tx_ntp = ntp_ts_from_ns(tx_clock + s->cfg.reply.serve_offset) & ~(ntp_ts)1;
	}
	n = ntp_reply_seal(&s->cfg.reply, &p->auth, out);
	if (!n) {
		p->xsave = false;
		STAT_ADD(w->stats.send_errors, 1);
		LOG_RL(LOG_LVL_WARN, "ntp server: cannot compute the MAC of a reply (key %u)",
		       p->auth.key_id);
	}
	return n;
}

/* Receive one batch (blocking for the first datagram when wait is set),
 * answer it, send the replies. Returns the number received. */
static int serve_batch(struct ntp_srv *s, struct worker *w, int fdi, struct batch *b, bool wait)
{
	struct clk_snapshot snap;
	struct sock_rx_info rx;
	int i, n, m = 0, k = 0, sent, fd = w->fds[fdi];
	gt_ns mono, tx, tx_raw;
	bool txts = false;

	for (i = 0; i < BATCH; i++) {
		b->rx_iov[i] = (struct iovec){ b->rx_buf[i], RX_BUF };
		b->rx[i].msg_hdr = (struct msghdr){
			.msg_name = &b->from[i], .msg_namelen = sizeof(b->from[i]),
			.msg_iov = &b->rx_iov[i], .msg_iovlen = 1,
			.msg_control = b->rx_ctl[i], .msg_controllen = SOCK_CMSG_SPACE,
		};
	}
	n = recvmmsg(fd, b->rx, BATCH, wait ? MSG_WAITFORONE : MSG_DONTWAIT, NULL);
	if (w->tx_outstanding > 0)
		read_all_txts(s, w);
	if (n <= 0)
		return 0;
	clk_read_snapshot(s->clock, &snap);
	mono = gt_now(CLOCK_MONOTONIC);
	for (i = 0; i < n; i++) {
		struct msghdr *h = &b->rx[i].msg_hdr;

		sock_parse_cmsg(h, &rx);
		if (!handle_request(s, w, &snap, b->rx_buf[i], b->rx[i].msg_len,
				    (h->msg_flags & MSG_TRUNC) != 0,
				    (struct sockaddr *)&b->from[i], &rx, mono,
				    b->tx_buf[m], &b->pend[m]))
			continue;
		b->ctl_len[m] = sock_build_pktinfo(&rx, b->tx_ctl[m], sizeof(b->tx_ctl[m]));
		b->src[m++] = i;
	}
	if (!m)
		return n;
	/* Transmit timestamp as late as possible: one clock reading right
	 * before the batch leaves. A MAC is computed after it, as it covers
	 * the timestamp. */
	tx_raw = gt_now(CLOCK_REALTIME);
	tx = clk_map_apply(&snap.map, tx_raw);
	for (i = 0; i < m; i++) {
		int r = b->src[i];
		size_t len = finish_reply(s, w, &b->pend[i], b->tx_buf[i], tx, tx_raw);

		if (!len)
			continue;
		if (b->pend[i].xsave) {
			b->ctl_len[i] = xleave_saved(s, w, &b->pend[i], b->tx_buf[i], mono,
						     b->tx_ctl[i], b->ctl_len[i],
						     sizeof(b->tx_ctl[i]));
			txts = true;
		}
		b->src[k] = i;	/* from here: the pending each message is */
		b->tx_iov[k] = (struct iovec){ b->tx_buf[i], len };
		b->tx[k].msg_hdr = (struct msghdr){
			.msg_name = &b->from[r], .msg_namelen = b->rx[r].msg_hdr.msg_namelen,
			.msg_iov = &b->tx_iov[k], .msg_iovlen = 1,
			.msg_control = b->ctl_len[i] ? b->tx_ctl[i] : NULL,
			.msg_controllen = b->ctl_len[i],
		};
		k++;
	}
	for (i = 0; i < k; i += sent) {
		int j;

		sent = sendmmsg(fd, b->tx + i, (unsigned)(k - i), 0);
		if (txts)
			for (j = i; j < i + (sent > 0 ? sent : 0); j++)
				if (b->pend[b->src[j]].xsave)
					txts_sent(w, fdi, &b->pend[b->src[j]]);
		if (sent <= 0) {
			/* Skip the message that failed and go on with the rest. */
			STAT_ADD(w->stats.send_errors, 1);
			LOG_RL(LOG_LVL_WARN, "ntp server: send failed: %s", strerror(errno));
			if (b->pend[b->src[i]].xsave)
				txts_resync(w, fdi);
			sent = 1;
		}
	}
	if (txts)
		read_txts(s, w, fdi);
	return n;
}

/* Receive coalescing, like a NIC's interrupt moderation: when wake-ups
 * come close together but each brings only one or two datagrams, the
 * server is busy enough that a short wait lets the next wake-up answer a
 * batch, for fewer system calls and context switches per reply. A quiet
 * server never waits. Accuracy is unaffected: the receive timestamp is the
 * kernel's, the transmit timestamp is taken just before sending, and
 * clients subtract the time a request spent in the server (RFC 5905 §8
 * delay = (T4 - T1) - (T3 - T2)). */
#define COALESCE_SMALL_BATCH 2
#define COALESCE_BUSY_GAP (500 * GT_NS_PER_US)

static void coalesce(struct worker *w, int n, gt_ns *last_wake)
{
	gt_ns now = gt_now(CLOCK_MONOTONIC), us = w->srv->cfg.coalesce_us;
	struct timespec ts = { 0, (long)(us * GT_NS_PER_US) };

	if (us > 0 && n > 0 && n <= COALESCE_SMALL_BATCH && now - *last_wake < COALESCE_BUSY_GAP) {
		nanosleep(&ts, NULL);
		now = gt_now(CLOCK_MONOTONIC);
	}
	*last_wake = now;
}

/* A worker with one socket blocks in recvmmsg itself: one system call
 * fewer per wake-up than poll + recvmmsg. The receive timeout bounds how
 * long a stop request waits. */
static void worker_single_socket(struct ntp_srv *s, struct worker *w, struct batch *b)
{
	struct timeval tv = { 0, 200000 };
	int fd = w->fds[0], rc = fd_set_nonblock(fd, false);
	gt_ns last_wake = 0;

	if (!rc && setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		rc = -errno;
	if (rc) {
		LOG_ERR("ntp server worker: cannot make the socket blocking: %s", strerror(-rc));
		return;
	}
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		qsbr_quiescent(w->qsbr_slot);
		coalesce(w, serve_batch(s, w, 0, b, true), &last_wake);
	}
}

static void worker_poll_sockets(struct ntp_srv *s, struct worker *w, struct batch *b)
{
	struct pollfd pfd[NTP_SRV_MAX_BIND];
	gt_ns last_wake = 0;
	int i, total;

	for (i = 0; i < w->n_fds; i++)
		pfd[i] = (struct pollfd){ w->fds[i], POLLIN, 0 };
	/* POLLERR (a transmit timestamp waiting) is read by serve_batch. */
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		qsbr_quiescent(w->qsbr_slot);
		/* The timeout only bounds how long a stop request waits. */
		if (poll(pfd, (nfds_t)w->n_fds, 200) <= 0)
			continue;
		for (i = 0, total = 0; i < w->n_fds; i++) {
			int k, n = BATCH;

			if (pfd[i].revents & POLLERR)
				read_txts(s, w, i);
			if (!(pfd[i].revents & POLLIN))
				continue;
			/* Bounded drain so one busy socket cannot starve another. */
			for (k = 0; k < 16 && n == BATCH; k++) {
				n = serve_batch(s, w, i, b, false);
				total += n;
			}
		}
		coalesce(w, total, &last_wake);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct batch *b = xmalloc(sizeof(*b));

	/* The keys and the access list can be replaced under us (reload):
	 * each pass of the loop is a quiescent point (lib/qsbr.h). */
	w->qsbr_slot = qsbr_register();
	if (w->qsbr_slot < 0)
		LOG_WARN("ntp server worker: no reader slot: tables replaced by reloads are kept "
			 "until exit");
	if (w->n_fds == 1)
		worker_single_socket(w->srv, w, b);
	else
		worker_poll_sockets(w->srv, w, b);
	qsbr_unregister(w->qsbr_slot);
	free(b);
	return NULL;
}

/* workers == 0: answer on the main loop, one datagram at a time. */
static void main_loop_readable(int fd, short revents, void *arg)
{
	struct ntp_srv *s = arg;
	struct worker *w = &s->w[0];
	struct clk_snapshot snap;
	struct sockaddr_storage from;
	struct sock_rx_info rx;
	uint8_t buf[RX_BUF], ctl[SOCK_CMSG_SPACE], out[NTP_REPLY_MAX_LEN], txctl[64];
	int k, fdi;

	for (fdi = 0; fdi < w->n_fds - 1 && w->fds[fdi] != fd; fdi++)
		;
	/* POLLERR: a transmit timestamp waits (it would keep poll awake). */
	if ((revents & POLLERR) || w->tx_outstanding > 0)
		read_txts(s, w, fdi);
	for (k = 0; k < 256; k++) {
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr h = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl, .msg_controllen = sizeof(ctl),
		};
		ssize_t n = recvmsg(fd, &h, MSG_DONTWAIT);
		struct pending p;
		size_t ctl_len, len;
		gt_ns mono, tx_raw;

		if (n < 0)
			return;
		clk_read_snapshot(s->clock, &snap);
		sock_parse_cmsg(&h, &rx);
		mono = gt_now(CLOCK_MONOTONIC);
		if (!handle_request(s, w, &snap, buf, (size_t)n,
				    (h.msg_flags & MSG_TRUNC) != 0, (struct sockaddr *)&from,
				    &rx, mono, out, &p))
			continue;
		ctl_len = sock_build_pktinfo(&rx, txctl, sizeof(txctl));
		h.msg_flags = 0;
		tx_raw = gt_now(CLOCK_REALTIME);
		len = finish_reply(s, w, &p, out, clk_map_apply(&snap.map, tx_raw), tx_raw);
		if (!len)
			continue;
		if (p.xsave)
			ctl_len = xleave_saved(s, w, &p, out, mono, txctl, ctl_len, sizeof(txctl));
		h.msg_control = ctl_len ? txctl : NULL;
		h.msg_controllen = ctl_len;
		iov = (struct iovec){ out, len };
		if (sendmsg(fd, &h, 0) < 0) {
			STAT_ADD(w->stats.send_errors, 1);
			LOG_RL(LOG_LVL_WARN, "ntp server: send failed: %s", strerror(errno));
			if (p.xsave)
				txts_resync(w, fdi);
		} else if (p.xsave) {
			txts_sent(w, fdi, &p);
			read_txts(s, w, fdi);
		}
	}
}

static int open_sockets(struct ntp_srv *s, struct worker *w, unsigned flags)
{
	char buf[NET_ADDR_STRLEN];
	int i, fd;

	for (i = 0; i < s->cfg.n_bind; i++) {
		/* Port 0 (tests): every worker must share the first one's port. */
		fd = sock_udp_open(&s->cfg.bind[i], (uint16_t)(s->port > 0 ? s->port : s->cfg.port),
				   flags);
		if (fd < 0) {
			LOG_ERR("ntp server: cannot bind %s port %d: %s",
				net_addr_str(&s->cfg.bind[i], buf, sizeof(buf)),
				s->port > 0 ? s->port : s->cfg.port, strerror(-fd));
			return fd;
		}
		w->fds[w->n_fds++] = fd;
		if (s->port <= 0)
			s->port = sock_bound_port(fd);
	}
	return 0;
}

struct ntp_srv *ntp_srv_create(const struct ntp_srv_config *cfg,
			       const struct clk_published *clock, int *err)
{
	struct ntp_srv *s = xcalloc(1, sizeof(*s));
	unsigned flags = SOCK_RX_TIMESTAMP | SOCK_BIG_RCVBUF | SOCK_TX_TIMESTAMP_ON_REQUEST;
	uint64_t key = 0;
	int i, rc;

	s->cfg = *cfg;
	s->clock = clock;
	s->n_workers = cfg->workers;
	s->port = -1;
	s->mark_bits = ntp_reply_mark_bits((unsigned)(cfg->workers > 0 ? cfg->workers : 1));
	if (cfg->n_bind > 1 && cfg->port == 0) {
		rc = -EINVAL;	/* one ephemeral port cannot span addresses */
		goto fail;
	}
	if (cfg->rl_enabled) {
		struct ntp_rl_config rlc = cfg->rl;

		rlc.kod = cfg->reply.kod;
		if (getrandom(&key, sizeof(key), 0) != sizeof(key))
			key = (uint64_t)gt_now(CLOCK_MONOTONIC) * UINT64_C(0x9e3779b97f4a7c15);
		s->rl = ntp_rl_create(&rlc, key);
		if (!s->rl) {
			rc = -EINVAL;
			goto fail;
		}
	}
	if (s->n_workers > 0)
		flags |= SOCK_REUSEPORT;
	if (cfg->reuseaddr)
		flags |= SOCK_REUSEADDR;
	s->w = xcalloc((size_t)(s->n_workers > 0 ? s->n_workers : 1), sizeof(*s->w));
	if (getrandom(&key, sizeof(key), 0) != sizeof(key))
		key = (uint64_t)gt_now(CLOCK_MONOTONIC) * UINT64_C(0x2545f4914f6cdd1d);
	for (i = 0; i < (s->n_workers > 0 ? s->n_workers : 1); i++) {
		s->w[i].srv = s;
		/* The total shared by the threads; each keeps its own. */
		if (cfg->clientlog)
			s->w[i].clog = ntp_clog_create(cfg->clientlog / (unsigned)(s->n_workers > 0 ?
								      s->n_workers : 1), key);
		/* Interleaved mode, as chrony serves it to any client. */
		s->w[i].xtab = ntp_xtab_create(NTP_XTAB_DEFAULT_ENTRIES /
					       (unsigned)(s->n_workers > 0 ? s->n_workers : 1),
					       key ^ UINT64_C(0x5851f42d4c957f2d));
		rc = open_sockets(s, &s->w[i], flags);
		if (rc)
			goto fail;
	}
	return s;
fail:
	*err = rc;
	ntp_srv_destroy(s);
	return NULL;
}

int ntp_srv_start(struct ntp_srv *s, struct loop *loop)
{
	int i, rc;

	s->loop = loop;
	if (s->n_workers == 0) {
		for (i = 0; i < s->w[0].n_fds; i++) {
			rc = loop_add_fd(loop, s->w[0].fds[i], POLLIN, main_loop_readable, s);
			if (rc)
				return rc;
		}
		return 0;
	}
	for (i = 0; i < s->n_workers; i++) {
		rc = pthread_create(&s->w[i].thread, NULL, worker_main, &s->w[i]);
		if (rc)
			return -rc;
		s->w[i].started = true;
	}
	return 0;
}

void ntp_srv_destroy(struct ntp_srv *s)
{
	int i, j, n;

	if (!s)
		return;
	atomic_store(&s->stop, true);
	n = s->n_workers > 0 ? s->n_workers : 1;
	for (i = 0; s->w && i < n; i++) {
		if (s->w[i].started)
			pthread_join(s->w[i].thread, NULL);
		for (j = 0; j < s->w[i].n_fds; j++) {
			if (s->loop && s->n_workers == 0)
				loop_del_fd(s->loop, s->w[i].fds[j]);
			close(s->w[i].fds[j]);
		}
		ntp_clog_destroy(s->w[i].clog);
		ntp_xtab_destroy(s->w[i].xtab);
	}
	free(s->w);
	ntp_rl_destroy(s->rl);
	free(s);
}

static int service_start(void *obj, struct loop *loop)
{
	return ntp_srv_start(obj, loop);
}

static void service_destroy(void *obj)
{
	ntp_srv_destroy(obj);
}

const struct service_ops ntp_srv_service = {
	.name = "ntp-server",
	.start = service_start,
	.destroy = service_destroy,
};

void ntp_srv_get_stats(const struct ntp_srv *s, struct ntp_srv_stats *sum)
{
	const uint64_t *src;
	uint64_t *dst = (uint64_t *)(void *)sum;
	size_t k, nwords = offsetof(struct ntp_srv_stats, send_errors) / sizeof(uint64_t) + 1;
	int i, n = s->n_workers > 0 ? s->n_workers : 1;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < n; i++) {
		src = (const uint64_t *)(const void *)&s->w[i].stats;
		for (k = 0; k < nwords; k++)
			dst[k] += __atomic_load_n(&src[k], __ATOMIC_RELAXED);
	}
}

int ntp_srv_port(const struct ntp_srv *s)
{
	return s->port;
}

static double read_stat(const void *ctx, uintptr_t off)
{
	struct ntp_srv_stats sum;

	ntp_srv_get_stats(ctx, &sum);
	return (double)*(const uint64_t *)(const void *)((const char *)&sum + off);
}

static double read_clients(const void *ctx, uintptr_t key)
{
	const struct ntp_srv *s = ctx;
	size_t n = 0;
	int i;

	(void)key;
	for (i = 0; i < (s->n_workers > 0 ? s->n_workers : 1); i++)
		if (s->w[i].clog)
			n += ntp_clog_count(s->w[i].clog);
	return (double)n;
}

int ntp_srv_register_metrics(const struct ntp_srv *s, struct met_registry *r)
{
	char name[64];
	int v, rc = 0;

	rc |= met_register(r, "gnomon_ntp_server_clients",
			   "NTP clients in the client log (clientlog; one served by two worker "
			   "threads counts twice)", MET_GAUGE, read_clients, s, 0);
	rc |= met_register(r, "gnomon_ntp_server_received_total", "NTP packets received",
			   MET_COUNTER, read_stat, s, offsetof(struct ntp_srv_stats, received));
	rc |= met_register(r, "gnomon_ntp_server_ratelimited_total",
			   "NTP requests over the rate limit", MET_COUNTER, read_stat, s,
			   offsetof(struct ntp_srv_stats, ratelimited));
	rc |= met_register(r, "gnomon_ntp_server_ratelimit_leaked_total",
			   "NTP requests over the rate limit answered anyway (the leak)",
			   MET_COUNTER, read_stat, s, offsetof(struct ntp_srv_stats, rl_leaked));
	rc |= met_register(r, "gnomon_ntp_server_auth_ok_total",
			   "NTP requests with a verified MAC", MET_COUNTER, read_stat, s,
			   offsetof(struct ntp_srv_stats, auth_ok));
	rc |= met_register(r, "gnomon_ntp_server_auth_fail_total",
			   "NTP requests with a MAC not verified (unknown key or wrong digest)",
			   MET_COUNTER, read_stat, s, offsetof(struct ntp_srv_stats, auth_fail));
	rc |= met_register(r, "gnomon_ntp_server_interleaved_total",
			   "NTP replies sent in interleaved mode (RFC 9769)", MET_COUNTER, read_stat, s,
			   offsetof(struct ntp_srv_stats, interleaved));
	rc |= met_register(r, "gnomon_ntp_server_tx_timestamps_total",
			   "Kernel transmit timestamps of replies kept for the next interleaved one",
			   MET_COUNTER, read_stat, s, offsetof(struct ntp_srv_stats, txts));
	rc |= met_register(r, "gnomon_ntp_server_send_errors_total", "NTP replies not sent",
			   MET_COUNTER, read_stat, s, offsetof(struct ntp_srv_stats, send_errors));
	for (v = 0; v < NTP_V_COUNT; v++) {
		snprintf(name, sizeof(name), "gnomon_ntp_server_%s%s_total",
			 v >= NTP_V_DROP_SHORT ? "dropped_" : "", ntp_verdict_name(v));
		rc |= met_register(r, name, "NTP requests by outcome", MET_COUNTER, read_stat, s,
				   offsetof(struct ntp_srv_stats, verdict) +
				   (size_t)v * sizeof(uint64_t));
	}
	for (v = 1; v <= 4; v++) {
		snprintf(name, sizeof(name), "gnomon_ntp_server_version%d_total", v);
		rc |= met_register(r, name, "NTP requests by version", MET_COUNTER, read_stat, s,
				   offsetof(struct ntp_srv_stats, version) +
				   (size_t)v * sizeof(uint64_t));
	}
	return rc ? -EINVAL : 0;
}

size_t ntp_srv_clients(const struct ntp_srv *s, struct ntp_clog_client *out, size_t max,
		       size_t *total)
{
	struct ntp_clog *logs[NTP_SRV_MAX_WORKERS];
	int i, n = 0;

	for (i = 0; i < (s->n_workers > 0 ? s->n_workers : 1); i++)
		if (s->w[i].clog)
			logs[n++] = s->w[i].clog;
	if (total)
		*total = 0;
	return n ? ntp_clog_collect(logs, n, out, max, total) : 0;
}
