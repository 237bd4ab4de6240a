#include "ntp/ntp_client.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "lib/bytes.h"
#include "lib/log.h"
#include "lib/util.h"
#include "mon/json.h"
#include "net/sock.h"
#include "ntp/ntp_mac.h"

/* RFC 5905 §13 / chrony iburst: a few quick polls to converge at start. */
#define IBURST_COUNT 4
#define IBURST_INTERVAL (2 * GT_NS_PER_S)
/* How long to wait for a reply before the poll counts as lost. */
#define REPLY_TIMEOUT (2 * GT_NS_PER_S)
/* Interleaved requests name the previous exchange only while fewer than
 * this many requests in a row went unanswered: a later reply would bring
 * a transmit time from long ago (chrony has the same limit). */
#define XLEAVE_MAX_UNANSWERED 4
/* A kernel transmit timestamp belongs to our request only if it follows
 * the time read before sending by at most this much. */
#define TXTS_MAX_LAG (50 * GT_NS_PER_MS)

struct ntp_client {
	struct ntp_client_cfg cfg;
	struct loop *loop;
	struct clk *clock;
	struct sync *sync;
	int src;
	int fd;
	int poll;
	int kod_min_poll;	/* poll floor raised by KoD RATE */
	int burst_left;
	uint8_t reach;
	bool stopped;
	bool got_reply_this_poll;
	unsigned steps;		/* clock steps the core told of */
	unsigned steps_at_send;
	struct ntp_resp_ctx rctx;
	/* Interleaved mode: the OPT_ID of the next and of the last send, the
	 * CLOCK_REALTIME read before it, requests unanswered in a row. */
	uint32_t txkey_next, txkey_cur;
	gt_ns t1_raw;
	int unanswered;
	bool interleaved;
	struct loop_timer *timer;
	struct ntp_client_stats stats;
};

static void schedule(struct ntp_client *c, gt_ns delay);

static void clock_stepped(void *arg, double delta)
{
	struct ntp_client *c = arg;

	(void)delta;
	c->steps++;
	/* Its local times are on the scale before the step. */
	c->rctx.prev.valid = false;
}

static bool describe(void *arg, int src, const struct sync_src_info *si, gt_ns now,
		     struct json_out *j)
{
	struct ntp_client *c = arg;
	char addr[NET_ADDR_STRLEN];
	int v;

	(void)src;
	json_str(j, "address", net_addr_str(&c->cfg.addr, addr, sizeof(addr)));
	json_u64(j, "port", c->cfg.port);
	json_str(j, "mode", c->cfg.peer ? "peer" : "server");
	json_bool(j, "xleave", c->cfg.xleave);
	json_bool(j, "interleaved", c->interleaved);
	json_u64(j, "interleaved_replies", c->stats.interleaved);
	json_u64(j, "tx_timestamps", c->stats.txts);
	json_i64(j, "poll", c->poll);
	json_u64(j, "reach", c->reach);
	json_bool(j, "kod_stopped", c->stopped);
	json_double(j, "last_rx_ago", si->last_time ? gt_to_sec(now - si->last_time) : -1);
	json_u64(j, "sent", c->stats.sent);
	json_u64(j, "received", c->stats.received);
	json_u64(j, "accepted", c->stats.verdict[NTP_RESP_OK]);
	json_u64(j, "timeouts", c->stats.timeouts);
	json_u64(j, "loops", c->stats.loops);
	json_u64(j, "auth_fail", c->stats.auth_fail);
	json_obj_begin(j, "rejected");
	for (v = 1; v < NTP_RESP_COUNT; v++)
		json_u64(j, ntp_resp_verdict_name(v), c->stats.verdict[v]);
	json_obj_end(j);
	return true;
}

static bool poll_reach(void *arg, int src, int *poll, unsigned *reach)
{
	const struct ntp_client *c = arg;

	(void)src;
	*poll = c->poll;
	*reach = c->reach;
	return true;
}

static const struct sync_source_ops client_ops = {
	.kind = "ntp",
	.clock_stepped = clock_stepped,
	.describe = describe,
	.poll_reach = poll_reach,
};

static void send_request(struct ntp_client *c)
{
	uint8_t req[NTP_HEADER_LEN + NTP_MAC_MAX];
	size_t len = NTP_HEADER_LEN;
	struct ntp_pkt p;
	ntp_ts cookie;

	memset(&p, 0, sizeof(p));
	p.version = (uint8_t)c->cfg.version;
	p.mode = c->cfg.peer ? NTP_MODE_SYM_ACTIVE : NTP_MODE_CLIENT;
	p.poll = (int8_t)c->poll;
	p.precision = c->rctx.local_precision;
	/* RFC 9109 §4: a random transmit timestamp tells an observer nothing
	 * about our clock, and an off-path attacker cannot guess it (test 2). */
	if (getrandom(&cookie, sizeof(cookie), 0) != sizeof(cookie))
		cookie = (ntp_ts)gt_now(CLOCK_MONOTONIC) * UINT64_C(0x9e3779b97f4a7c15);
	p.xmt = cookie;
	c->rctx.sent_rec = 0;
	if (c->cfg.xleave && c->unanswered >= XLEAVE_MAX_UNANSWERED)
		c->rctx.prev.valid = false;
	if (c->cfg.xleave && c->rctx.prev.valid) {
		ntp_ts nonce = 0;

		/* RFC 9769 §2: the origin names the server's receive time of
		 * the last reply; the receive field, which the interleaved
		 * reply echoes as its origin, is a random nonce (RFC 9109: no
		 * clock reading leaves; test 2 keeps its full strength). It
		 * must differ from the transmit field for the server to see an
		 * interleaved request. */
		while (!nonce || nonce == cookie || nonce == c->rctx.prev.t2)
			if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce))
				nonce = cookie * UINT64_C(0x9e3779b97f4a7c15) + 1;
		p.org = c->rctx.prev.t2;
		p.rec = nonce;
		c->rctx.sent_rec = nonce;
	}
	ntp_pkt_encode(&p, req);
	/* RFC 5905 §7.3: key id and MAC after the header. The cookie is not
	 * a time, so the MAC can be made before T1 is read. */
	if (c->cfg.key) {
		len = ntp_mac_append(c->cfg.keys, c->cfg.key, req, len, sizeof(req));
		if (!len) {
			c->stats.send_errors++;
			LOG_RL(LOG_LVL_ERR, "source %s: cannot sign with key %u", c->cfg.name,
			       c->cfg.key);
			return;
		}
	}

	c->steps_at_send = c->steps;
	c->rctx.sent_xmt = cookie;
	c->t1_raw = gt_now(CLOCK_REALTIME);
	c->rctx.t1 = clk_from_real(c->clock, c->t1_raw);
	if (send(c->fd, req, len, 0) < 0) {
		c->stats.send_errors++;
		c->rctx.waiting = false;
		LOG_RL(LOG_LVL_WARN, "source %s: send failed: %s", c->cfg.name, strerror(errno));
		if (c->cfg.xleave) {
			/* Counted by the kernel or not: restart the count. */
			sock_txts_restart(c->fd, SOCK_RX_TIMESTAMP | SOCK_TX_TIMESTAMP);
			c->txkey_next = 0;
		}
		return;
	}
	c->txkey_cur = c->txkey_next++;
	c->unanswered++;
	c->stats.sent++;
	c->rctx.waiting = true;
}

static bool is_own_refid(const struct ntp_client_cfg *cfg, uint32_t refid)
{
	int i;

	for (i = 0; i < cfg->n_own_refids; i++)
		if (cfg->own_refids[i] == refid)
			return true;
	return false;
}

/* With a key, a reply counts only if it carries a MAC of that same key that
 * verifies over everything before it. A crypto-NAK (bare zero key id) or
 * an unsigned reply is what an attacker could send: rejected. */
static bool reply_authentic(const struct ntp_client *c, const uint8_t *buf, size_t len)
{
	size_t off = ntp_pkt_mac_offset(buf, len);

	if (off >= len || len - off < 4 + 16 || get_be32(buf + off) != c->cfg.key)
		return false;
	return auth_verify(c->cfg.keys, c->cfg.key, buf, off, buf + off + 4,
			       len - off - 4) == AUTH_OK;
}

/* The exchange just answered becomes the one the next interleaved reply
 * completes. basic_sample: it gave a sample already. */
static void xleave_update(struct ntp_client *c, const struct ntp_pkt *pkt, gt_ns t4,
			  bool basic_sample)
{
	c->rctx.prev = (struct ntp_resp_prev){
		.valid = c->steps == c->steps_at_send,
		.used = basic_sample,
		.t1 = c->rctx.t1,
		.t4 = t4,
		.t2 = pkt->rec,
	};
}

/* The kernel's transmit times of our requests: the one of the request in
 * flight replaces the time read before sending it. */
static void read_txts(struct ntp_client *c)
{
	uint32_t key;
	gt_ns ts;
	int k, r;

	for (k = 0; k < 16 && (r = sock_read_txts(c->fd, &key, &ts)) >= 0; k++) {
		if (r != 1 || key != c->txkey_cur || !c->rctx.waiting)
			continue;
		if (ts < c->t1_raw || ts - c->t1_raw > TXTS_MAX_LAG)
			continue;
		c->rctx.t1 = clk_from_real(c->clock, ts);
		c->stats.txts++;
	}
}

static void handle_reply(struct ntp_client *c, const uint8_t *buf, size_t len, gt_ns rx_real)
{
	struct sync_sample smp;
	struct ntp_pkt pkt;
	enum ntp_resp_verdict v;
	gt_ns t4 = clk_from_real(c->clock, rx_real);

	c->stats.received++;
	if (c->cfg.key && !reply_authentic(c, buf, len)) {
		c->stats.auth_fail++;
		LOG_RL(LOG_LVL_WARN, "source %s: reply without a valid MAC of key %u: ignored",
		       c->cfg.name, c->cfg.key);
		return;
	}
	v = ntp_resp_process(&c->rctx, buf, len, t4, &pkt, &smp);
	c->stats.verdict[v]++;
	switch (v) {
	case NTP_RESP_OK:
		break;
	case NTP_RESP_KOD_RATE:
		/* RFC 5905 §7.4: RATE asks us to poll less often. */
		c->rctx.waiting = false;
		c->burst_left = 0;
		c->kod_min_poll = c->poll + 1 > c->cfg.maxpoll ? c->cfg.maxpoll : c->poll + 1;
		LOG_RL(LOG_LVL_WARN, "source %s: KoD RATE, poll raised to %d", c->cfg.name,
		       c->kod_min_poll);
		return;
	case NTP_RESP_XLEAVE_UNPAIRED:
		/* Valid: it starts the chain of interleaved samples. */
		c->rctx.waiting = false;
		c->got_reply_this_poll = true;
		c->unanswered = 0;
		c->interleaved = true;
		c->stats.interleaved++;
		xleave_update(c, &pkt, t4, false);
		c->rctx.last_rx_xmt = pkt.xmt;
		if (c->burst_left > 0)
			schedule(c, IBURST_INTERVAL);
		return;
	case NTP_RESP_KOD_DENY:
		c->rctx.waiting = false;
		c->stopped = true;
		LOG_WARN("source %s: KoD %s: no longer polled", c->cfg.name,
			 pkt.refid == 0x44454e59u ? "DENY" : "RSTR");
		return;
	default:
		LOG_RL(LOG_LVL_DEBUG, "source %s: reply rejected: %s", c->cfg.name,
		       ntp_resp_verdict_name(v));
		if (v != NTP_RESP_BOGUS && v != NTP_RESP_MALFORMED && v != NTP_RESP_MODE)
			c->rctx.waiting = false;
		return;
	}
	c->rctx.waiting = false;
	c->rctx.last_rx_xmt = pkt.xmt;
	c->got_reply_this_poll = true;
	c->unanswered = 0;
	c->interleaved = ntp_resp_is_interleaved(&c->rctx, &pkt);
	if (c->interleaved)
		c->stats.interleaved++;
	if (c->cfg.xleave)
		xleave_update(c, &pkt, t4, !c->interleaved);
	/* RFC 5905 §11.2 loop test: a server whose reference is one of our
	 * own addresses takes its time from us. Reachable, but not a sample. */
	if (smp.stratum > 1 && is_own_refid(&c->cfg, smp.refid)) {
		c->stats.loops++;
		LOG_RL(LOG_LVL_WARN, "source %s is synchronised to us (refid loop): ignored",
		       c->cfg.name);
		return;
	}
	/* A step between T1 and T4 would make the sample meaningless. */
	if (c->steps != c->steps_at_send)
		return;
	if (c->cfg.measurements)
		statlog_write(c->cfg.measurements, smp.time,
			      "%-25s %u %2u %08x %3d %+.9f %.9f %.9f %.9f %.9f", c->cfg.name,
			      smp.leap, smp.stratum, smp.refid, c->poll, gt_to_sec(smp.offset),
			      gt_to_sec(smp.delay), gt_to_sec(smp.disp),
			      gt_to_sec(smp.root_delay), gt_to_sec(smp.root_disp));
	sync_add_sample(c->sync, c->src, &smp, gt_now(CLOCK_MONOTONIC));
	if (c->burst_left > 0)
		schedule(c, IBURST_INTERVAL);
}

static void on_datagram(void *arg, const uint8_t *buf, size_t len, bool truncated,
			const struct net_addr *from, const struct sock_rx_info *rx)
{
	struct ntp_client *c = arg;

	(void)from;	/* the socket is connected to the server */
	if (truncated) {
		c->stats.received++;
		c->stats.verdict[NTP_RESP_MALFORMED]++;
		return;
	}
	handle_reply(c, buf, len, rx->rx_real);
}

static void on_readable(int fd, short revents, void *arg)
{
	struct ntp_client *c = arg;
	uint8_t buf[NTP_MAX_LEN + 4];

	/* The transmit timestamp first: a reply may come with it (POLLERR). */
	if (c->cfg.xleave)
		read_txts(c);
	(void)revents;
	sock_drain(fd, buf, sizeof(buf), 16, on_datagram, arg);
}

static void on_poll(struct loop_timer *t, void *arg)
{
	struct ntp_client *c = arg;
	gt_ns next;
	uint32_t r = 0;

	(void)t;
	c->timer = NULL;
	if (c->stopped)
		return;
	/* RFC 5905 §13: shift the reach register once per poll. */
	c->reach = (uint8_t)(c->reach << 1 | (c->got_reply_this_poll ? 1 : 0));
	if (c->rctx.waiting)
		c->stats.timeouts++;
	c->got_reply_this_poll = false;
	send_request(c);
	if (c->burst_left > 0) {
		c->burst_left--;
		/* The next burst poll follows the reply; this one covers a loss. */
		next = IBURST_INTERVAL + REPLY_TIMEOUT;
	} else {
		c->poll = sync_poll_hint(c->sync, c->src, c->cfg.minpoll, c->cfg.maxpoll);
		if (c->poll < c->kod_min_poll)
			c->poll = c->kod_min_poll;
		/* A random 0..1/16 on top keeps many clients from polling in
		 * step, and never polls sooner than 2^poll: a spread around
		 * the nominal interval would send more requests than the poll
		 * says (chronyd's intervals are 2^poll plus a little too). */
		getrandom(&r, sizeof(r), 0);
		next = (gt_ns)(sync_poll_interval(c->sync, c->src, c->poll) * GT_NS_PER_S *
			       (1.0 + 0.0625 * (r / 4294967296.0)));
	}
	schedule(c, next);
}

static void schedule(struct ntp_client *c, gt_ns delay)
{
	if (c->timer)
		loop_timer_cancel(c->loop, c->timer);
	c->timer = loop_timer_add(c->loop, delay, 0, on_poll, c);
}

struct ntp_client *ntp_client_create(const struct ntp_client_cfg *cfg, struct loop *loop,
				     struct clk *clock, struct sync *sync, int *err)
{
	struct ntp_client *c = xcalloc(1, sizeof(*c));
	struct sockaddr_storage ss;
	struct net_addr any;
	socklen_t sl;
	int rc;

	c->cfg = *cfg;
	c->loop = loop;
	c->clock = clock;
	c->sync = sync;
	c->fd = -1;
	c->poll = cfg->minpoll;
	c->kod_min_poll = cfg->minpoll;
	c->burst_left = cfg->iburst ? IBURST_COUNT - 1 : 0;
	c->rctx.local_precision = clk_measure_precision();
	c->rctx.symmetric = cfg->peer;
	if (cfg->key && !auth_key_info(cfg->keys, cfg->key, NULL, NULL)) {
		rc = -ENOKEY;
		goto fail;
	}
	c->src = sync_add_source(sync, &client_ops, c, cfg->name, net_addr_refid(&cfg->addr),
				 cfg->flags);
	if (c->src < 0) {
		rc = c->src;
		goto fail;
	}
	net_addr_parse(cfg->addr.family == AF_INET ? "0.0.0.0" : "::", &any);
	c->fd = sock_udp_open(&any, 0, SOCK_RX_TIMESTAMP | (cfg->xleave ? SOCK_TX_TIMESTAMP : 0));
	if (c->fd < 0) {
		rc = c->fd;
		goto fail;
	}
	sl = net_addr_to_sockaddr(&cfg->addr, cfg->port, &ss);
	if (connect(c->fd, (struct sockaddr *)&ss, sl) < 0) {
		rc = -errno;
		goto fail;
	}
	rc = loop_add_fd(loop, c->fd, POLLIN, on_readable, c);
	if (rc)
		goto fail;
	/* A short random delay spreads the first requests of many sources. */
	schedule(c, GT_NS_PER_MS * (gt_ns)(100 + (c->src % 16) * 50));
	return c;
fail:
	*err = rc;
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	return NULL;
}

void ntp_client_destroy(struct ntp_client *c)
{
	if (!c)
		return;
	if (c->timer)
		loop_timer_cancel(c->loop, c->timer);
	loop_del_fd(c->loop, c->fd);
	close(c->fd);
	free(c);
}

int ntp_client_source_id(const struct ntp_client *c)
{
	return c->src;
}

const struct ntp_client_cfg *ntp_client_config(const struct ntp_client *c)
{
	return &c->cfg;
}

void ntp_client_get_info(const struct ntp_client *c, struct ntp_client_info *out)
{
	out->poll = c->poll;
	out->reach = c->reach;
	out->stopped = c->stopped;
	out->interleaved = c->interleaved;
	out->stats = c->stats;
}
