#include "ntp/ntp_bcast.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <math.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "lib/bytes.h"
#include "lib/log.h"
#include "lib/util.h"
#include "mon/json.h"
#include "net/sock.h"
#include "ntp/ntp_btab.h"
#include "ntp/ntp_mac.h"
#include "sync/sync_jitter2.h"

/* Jitter assumed until three offsets have come: a LAN's worst case. */
#define JITTER_PRIOR 1e-3

struct sender {
	struct net_addr addr;
	int src;
	/* delay calibration */
	enum ntp_bcast_cal cal;
	gt_ns delay;			/* one-way delay in use */
	gt_ns cal_best;			/* least round trip so far; 0: none */
	gt_ns cal_start;		/* monotonic */
	int cal_sent, cal_replies;
	int cal_steps;			/* clock steps when the request left */
	struct ntp_resp_ctx rctx;
	int poll;
	uint8_t reach;
	uint32_t key;
	gt_ns last_mono;
	int steps;		/* clock steps seen at the last sample */
	struct sync_jitter2 jit;
	uint64_t accepted, loops;
	int admitted;		/* packets accepted since it took its slot */
	gt_ns first_mono;	/* monotonic time of the first of them */
	bool trusted;		/* past its probation: its samples count */
};

struct ntp_bcast_client {
	struct ntp_bcast_client_cfg cfg;
	struct loop *loop;
	struct clk *clock;
	struct sync *sync;
	int steps;			/* clock steps the core told of */
	int fds[NTP_BCAST_MAX_SOCKETS];
	int n_fds;
	int cal_fd[2];			/* client sockets for calibration: IPv4, IPv6 */
	struct loop_timer *cal_timer;
	/* Who may be a sender (keyed by the signing key); snd[i] is the
	 * sender of tab.slot[i]. */
	struct ntp_btab tab;
	struct sender snd[NTP_BCAST_MAX_SENDERS];
	int n_snd;
	int8_t precision;
	struct ntp_bcast_client_stats stats;
};

static int open_listener(struct ntp_bcast_client *c, const struct net_addr *a)
{
	char buf[NET_ADDR_STRLEN];
	int fd;

	if (c->n_fds == NTP_BCAST_MAX_SOCKETS)
		return 0;
	fd = sock_udp_open(a, c->cfg.port, SOCK_RX_TIMESTAMP | SOCK_REUSEADDR);
	if (fd < 0) {
		LOG_ERR("broadcastclient: cannot bind %s port %u: %s",
			net_addr_str(a, buf, sizeof(buf)), c->cfg.port, strerror(-fd));
		return fd;
	}
	c->fds[c->n_fds++] = fd;
	LOG_INFO("broadcastclient: listening on %s port %u", net_addr_str(a, buf, sizeof(buf)),
		 c->cfg.port);
	return 0;
}

static int join_group(int fd, const struct net_addr *g)
{
	if (g->family == AF_INET) {
		struct ip_mreqn m;

		memset(&m, 0, sizeof(m));
		memcpy(&m.imr_multiaddr, g->a, 4);
		return setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m)) < 0 ? -errno : 0;
	} else {
		struct ipv6_mreq m;

		memset(&m, 0, sizeof(m));
		memcpy(&m.ipv6mr_multiaddr, g->a, 16);
		return setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof(m)) < 0 ? -errno : 0;
	}
}

struct ntp_bcast_client *ntp_bcast_client_open(const struct ntp_bcast_client_cfg *cfg,
					       int *err)
{
	struct ntp_bcast_client *c = xcalloc(1, sizeof(*c));
	struct ifaddrs *ifs = NULL, *i;
	struct net_addr seen[NTP_BCAST_MAX_SOCKETS];
	int n_seen = 0, rc = 0, k;

	c->cfg = *cfg;
	ntp_btab_init(&c->tab, cfg->maxsenders ? cfg->maxsenders : 1);
	for (k = 0; k < NTP_BCAST_MAX_SOCKETS; k++)
		c->fds[k] = -1;
	c->cal_fd[0] = c->cal_fd[1] = -1;
	if (getifaddrs(&ifs) < 0) {
		rc = -errno;
		goto fail;
	}
	/* One socket per distinct broadcast address: a socket bound to it
	 * receives the broadcasts of that subnet and nothing else. */
	for (i = ifs; i && !rc; i = i->ifa_next) {
		struct net_addr a;

		if (!i->ifa_broadaddr || !(i->ifa_flags & IFF_UP) ||
		    !(i->ifa_flags & IFF_BROADCAST) || i->ifa_broadaddr->sa_family != AF_INET ||
		    net_addr_from_sockaddr(i->ifa_broadaddr, &a, NULL))
			continue;
		for (k = 0; k < n_seen && memcmp(&seen[k], &a, sizeof(a)); k++)
			;
		if (k < n_seen || n_seen == NTP_BCAST_MAX_SOCKETS)
			continue;
		seen[n_seen++] = a;
		rc = open_listener(c, &a);
	}
	freeifaddrs(ifs);
	for (k = 0; k < cfg->n_groups && !rc; k++) {
		char buf[NET_ADDR_STRLEN];

		rc = open_listener(c, &cfg->group[k]);
		if (!rc && (rc = join_group(c->fds[c->n_fds - 1], &cfg->group[k])))
			LOG_ERR("broadcastclient: cannot join group %s: %s",
				net_addr_str(&cfg->group[k], buf, sizeof(buf)), strerror(-rc));
	}
	if (!rc && !c->n_fds)
		rc = -ENODEV;
	if (rc)
		goto fail;
	if (!cfg->delay_set) {
		struct net_addr any4, any6;

		net_addr_parse("0.0.0.0", &any4);
		net_addr_parse("::", &any6);
		c->cal_fd[0] = sock_udp_open(&any4, 0, SOCK_RX_TIMESTAMP);
		c->cal_fd[1] = sock_udp_open(&any6, 0, SOCK_RX_TIMESTAMP);
	}
	c->precision = clk_measure_precision();
	return c;
fail:
	*err = rc;
	ntp_bcast_client_destroy(c);
	return NULL;
}

static struct sender *find_sender(struct ntp_bcast_client *c, const struct net_addr *a)
{
	int i;

	for (i = 0; i < c->n_snd; i++)
		if (!memcmp(&c->snd[i].addr, a, sizeof(*a)))
			return &c->snd[i];
	return NULL;
}

/* The sender of this address and key, if any: only to choose the delay
 * and jitter the checks use; the table decides who the sender is. */
static struct sender *find_sender_key(struct ntp_bcast_client *c, const struct net_addr *a,
				      const uint8_t *buf, size_t len)
{
	size_t off = ntp_pkt_mac_offset(buf, len);
	uint32_t key = off < len && len - off >= 4 ? get_be32(buf + off) : 0;
	int i;

	for (i = 0; i < c->n_snd; i++)
		if (c->tab.slot[i].key == key && !memcmp(&c->snd[i].addr, a, sizeof(*a)))
			return &c->snd[i];
	return NULL;
}

static bool own_refid(const struct ntp_bcast_client_cfg *cfg, uint32_t refid)
{
	int i;

	for (i = 0; i < cfg->n_own_refids; i++)
		if (cfg->own_refids[i] == refid)
			return true;
	return false;
}

static int clock_steps(const struct ntp_bcast_client *c)
{
	return c->steps;
}

static void clock_stepped(void *arg, double delta)
{
	struct ntp_bcast_client *c = arg;

	(void)delta;
	c->steps++;
}

static bool describe(void *arg, int src, const struct sync_src_info *si, gt_ns now,
		     struct json_out *j);
static bool poll_reach(void *arg, int src, int *poll, unsigned *reach);
static void summary(void *arg, struct json_out *j);

static const struct sync_source_ops sender_ops = {
	.kind = "broadcast",
	.clock_stepped = clock_stepped,
	.describe = describe,
	.poll_reach = poll_reach,
};

static const char *const cal_names[] = {
	[NTP_BCAST_CAL_CONFIGURED] = "configured", [NTP_BCAST_CAL_RUNNING] = "running",
	[NTP_BCAST_CAL_DONE] = "measured", [NTP_BCAST_CAL_FAILED] = "failed",
};

const char *ntp_bcast_cal_name(enum ntp_bcast_cal c)
{
	return (unsigned)c < ARRAY_LEN(cal_names) ? cal_names[c] : "unknown";
}

static int clock_steps(const struct ntp_bcast_client *c);

static void cal_finish(struct ntp_bcast_client *c, struct sender *s)
{
	char a[NET_ADDR_STRLEN];

	net_addr_str(&s->addr, a, sizeof(a));
	s->rctx.waiting = false;
	if (s->cal_replies) {
		s->cal = NTP_BCAST_CAL_DONE;
		s->delay = s->cal_best / 2;
		LOG_INFO("broadcastclient: delay to %s measured: %.1f us one way (%d exchanges)", a,
			 gt_to_sec(s->delay) * 1e6, s->cal_replies);
	} else {
		s->cal = NTP_BCAST_CAL_FAILED;
		s->delay = 0;
		LOG_WARN("broadcastclient: %s did not answer the delay calibration: delay 0 "
			 "(set `delay` if it has no NTP server)", a);
	}
}

static void cal_send(struct ntp_bcast_client *c, struct sender *s)
{
	uint8_t req[NTP_HEADER_LEN + NTP_MAC_MAX];
	struct sockaddr_storage ss;
	socklen_t sl = net_addr_to_sockaddr(&s->addr, c->cfg.port, &ss);
	int fd = c->cal_fd[s->addr.family == AF_INET6];
	struct ntp_pkt p;
	size_t len = NTP_HEADER_LEN;
	ntp_ts cookie;

	if (fd < 0)
		return;
	memset(&p, 0, sizeof(p));
	p.version = 4;
	p.mode = NTP_MODE_CLIENT;
	p.precision = c->precision;
	if (getrandom(&cookie, sizeof(cookie), 0) != sizeof(cookie))
		cookie = (ntp_ts)gt_now(CLOCK_MONOTONIC) * UINT64_C(0x9e3779b97f4a7c15);
	p.xmt = cookie;
	ntp_pkt_encode(&p, req);
	if (c->cfg.key) {
		len = ntp_mac_append(c->cfg.keys, c->cfg.key, req, len, sizeof(req));
		if (!len)
			return;
	}
	s->rctx.sent_xmt = cookie;
	s->rctx.local_precision = c->precision;
	s->cal_steps = clock_steps(c);
	s->rctx.t1 = clk_from_real(c->clock, gt_now(CLOCK_REALTIME));
	s->rctx.waiting = sendto(fd, req, len, 0, (struct sockaddr *)&ss, sl) == (ssize_t)len;
	s->cal_sent++;
}

/* Once a second: the next exchange of each sender being calibrated. */
static void on_cal_timer(struct loop_timer *t, void *arg)
{
	struct ntp_bcast_client *c = arg;
	gt_ns now = gt_now(CLOCK_MONOTONIC);
	int i;

	(void)t;
	for (i = 0; i < c->n_snd; i++) {
		struct sender *s = &c->snd[i];

		if (s->cal != NTP_BCAST_CAL_RUNNING)
			continue;
		if (s->cal_replies >= NTP_BCAST_CAL_EXCHANGES ||
		    now - s->cal_start > NTP_BCAST_CAL_TIMEOUT)
			cal_finish(c, s);
		else
			cal_send(c, s);
	}
}

static struct sender *find_sender(struct ntp_bcast_client *c, const struct net_addr *a);

static void on_cal_readable(int fd, short revents, void *arg)
{
	struct ntp_bcast_client *c = arg;
	uint8_t buf[NTP_MAX_LEN + 4];
	struct sock_rx_info rx;
	struct net_addr a;
	struct sync_sample smp;
	struct ntp_pkt pkt;
	struct sender *s;
	bool trunc;
	ssize_t n;
	size_t off;
	int k;

	(void)revents;
	for (k = 0; k < 16 && (n = sock_recv_one(fd, buf, sizeof(buf), &a, &rx, &trunc)) != -1;
	     k++) {
		if (n < 0 || !(s = find_sender(c, &a)) || s->cal != NTP_BCAST_CAL_RUNNING)
			continue;
		/* With a key, only a reply signed with it counts. */
		off = ntp_pkt_mac_offset(buf, (size_t)n);
		if (c->cfg.key && (off >= (size_t)n || (size_t)n - off < 4 + 16 ||
				   get_be32(buf + off) != c->cfg.key ||
				   auth_verify(c->cfg.keys, c->cfg.key, buf, off, buf + off + 4,
						   (size_t)n - off - 4) != AUTH_OK))
			continue;
		if (ntp_resp_process(&s->rctx, buf, (size_t)n, clk_from_real(c->clock, rx.rx_real),
				     &pkt, &smp) != NTP_RESP_OK || clock_steps(c) != s->cal_steps)
			continue;
		s->rctx.waiting = false;
		s->rctx.last_rx_xmt = pkt.xmt;
		if (!s->cal_best || smp.delay < s->cal_best)
			s->cal_best = smp.delay;
		if (++s->cal_replies >= NTP_BCAST_CAL_EXCHANGES)
			cal_finish(c, s);
	}
}

/* While the clock is synchronised, a new sender's first packets must
 * agree with it: see NTP_BCAST_ADMIT_MAX_OFFSET. */
static bool admit_offset_ok(const struct ntp_bcast_client *c, const struct sender *s,
			    const struct sync_sample *smp)
{
	struct sync_state st;

	if (s && s->trusted)
		return true;
	sync_get_state(c->sync, &st);
	return !st.synced || llabs(smp->offset) <= NTP_BCAST_ADMIT_MAX_OFFSET;
}

static enum ntp_resp_verdict table_verdict(struct ntp_bcast_client *c,
					   enum ntp_btab_verdict tv, const char *name,
					   uint32_t key)
{
	switch (tv) {
	case NTP_BTAB_DUPLICATE:
		return NTP_RESP_DUPLICATE;
	case NTP_BTAB_STALE:
		return NTP_RESP_STALE;
	case NTP_BTAB_KEY_FULL:
		c->stats.key_senders_full++;
		LOG_RL(LOG_LVL_WARN, "broadcastclient: %s refused: key %u has its %d sender(s), "
		       "heard (maxsenders)", name, key, c->tab.max_per_key);
		return NTP_RESP_COUNT;
	case NTP_BTAB_FULL:
		c->stats.too_many_senders++;
		LOG_RL(LOG_LVL_WARN, "broadcastclient: more than %d senders: %s ignored",
		       NTP_BCAST_MAX_SENDERS, name);
		return NTP_RESP_COUNT;
	default:
		return NTP_RESP_OK;
	}
}

/* A new sender in slot i (free, or taken over from a silent one). */
static struct sender *new_sender(struct ntp_bcast_client *c, int i, const struct net_addr *from,
				 const char *name, uint32_t key, enum ntp_btab_verdict tv)
{
	struct sender fresh;

	memset(&fresh, 0, sizeof(fresh));
	fresh.addr = *from;
	fresh.src = sync_add_source(c->sync, &sender_ops, c, name, net_addr_refid(from), 0);
	if (fresh.src < 0)
		return NULL;
	fresh.steps = clock_steps(c);
	if (c->cfg.delay_set) {
		fresh.cal = NTP_BCAST_CAL_CONFIGURED;
		fresh.delay = gt_from_sec(c->cfg.delay);
	} else {
		fresh.cal = NTP_BCAST_CAL_RUNNING;
		fresh.cal_start = gt_now(CLOCK_MONOTONIC);
	}
	if (tv == NTP_BTAB_TAKEOVER || tv == NTP_BTAB_DISPLACE) {
		char old[NET_ADDR_STRLEN];

		net_addr_str(&c->snd[i].addr, old, sizeof(old));
		if (tv == NTP_BTAB_TAKEOVER)
			LOG_WARN("broadcastclient: %s takes over the slot of %s (key %u, silent)",
				 name, old, key);
		else
			LOG_WARN("broadcastclient: %s sends newer packets of key %u than %s, "
				 "which is replaying them: %s replaced", name, key, old, old);
	} else {
		c->n_snd++;
	}
	c->snd[i] = fresh;
	LOG_INFO("broadcastclient: new sender %s (key %u)", name, key);
	if (fresh.cal == NTP_BCAST_CAL_RUNNING)
		cal_send(c, &c->snd[i]);
	return &c->snd[i];
}

static void handle_packet(struct ntp_bcast_client *c, const uint8_t *buf, size_t len,
			  const struct net_addr *from, gt_ns rx_real)
{
	struct sender *s = find_sender_key(c, from, buf, len);
	struct ntp_bcast_ctx ctx = {
		.keys = c->cfg.keys, .key = c->cfg.key, .noauth = c->cfg.noauth,
		.local_precision = c->precision,
	};
	struct sync_sample smp;
	struct ntp_pkt pkt;
	struct clk_map m;
	enum ntp_resp_verdict v;
	enum ntp_btab_verdict tv = NTP_BTAB_FULL;
	gt_ns mono = gt_now(CLOCK_MONOTONIC), period;
	uint32_t key;
	char name[NET_ADDR_STRLEN];
	int missed, steps, slot = -1;

	c->stats.received++;
	/* Freshness is the table's (per key, whatever the address), so the
	 * packet checks run without a last transmit time. */
	if (s) {
		ctx.jitter = gt_from_sec(sync_jitter2_get(&s->jit, JITTER_PRIOR));
		ctx.delay = s->delay;
	} else {
		ctx.jitter = gt_from_sec(JITTER_PRIOR);
	}
	c->clock->ops->get_map(c->clock, &m);
	v = ntp_resp_broadcast(&ctx, buf, len, clk_map_apply(&m, rx_real), &pkt, &smp, &key);
	net_addr_str(from, name, sizeof(name));
	if (v == NTP_RESP_OK) {
		tv = ntp_btab_check(&c->tab, from, key, pkt.xmt, mono, &slot);
		v = table_verdict(c, tv, name, key);
	}
	if (v == NTP_RESP_OK && !admit_offset_ok(c, tv == NTP_BTAB_KNOWN ? &c->snd[slot] : NULL,
						 &smp)) {
		c->stats.new_sender_offset++;
		LOG_RL(LOG_LVL_WARN, "broadcastclient: new sender %s (key %u) refused: %+.3f s off "
		       "the synchronised clock (on probation)", name, key, gt_to_sec(smp.offset));
		v = NTP_RESP_COUNT;
	}
	if (v != NTP_RESP_OK) {
		if (v < NTP_RESP_COUNT)
			c->stats.verdict[v]++;
		LOG_RL(LOG_LVL_DEBUG, "broadcastclient: packet from %s rejected: %s", name,
		       v < NTP_RESP_COUNT ? ntp_resp_verdict_name(v) : ntp_btab_verdict_name(tv));
		return;
	}
	/* Only a packet that passed every check may claim a source slot,
	 * and only then is a displacement counted. */
	if (tv != NTP_BTAB_KNOWN && !new_sender(c, slot, from, name, key, tv))
		return;
	if (tv == NTP_BTAB_DISPLACE)
		c->stats.key_conflicts++;
	c->stats.verdict[NTP_RESP_OK]++;
	s = &c->snd[slot];
	if (!s->admitted++)
		s->first_mono = mono;
	ntp_btab_commit(&c->tab, slot, from, key, pkt.xmt, mono,
			(gt_ns)ldexp((double)GT_NS_PER_S, pkt.poll < 0 ? 0 : pkt.poll > 17 ? 17
								       : pkt.poll));
	s->key = key;
	s->poll = pkt.poll < 0 ? 0 : pkt.poll > 17 ? 17 : pkt.poll;
	/* The reach register shifts once per advertised interval. */
	period = (gt_ns)ldexp((double)GT_NS_PER_S, s->poll);
	missed = s->last_mono ? (int)((mono - s->last_mono + period / 2) / period) - 1 : 0;
	s->reach = (uint8_t)(missed >= 7 ? 1 : (s->reach << (missed + 1)) | 1);
	s->last_mono = mono;
	if (smp.stratum > 1 && own_refid(&c->cfg, smp.refid)) {
		s->loops++;
		c->stats.loops++;
		return;
	}
	/* Probation: several packets over several of its intervals before
	 * its samples count. A recording played from another address before
	 * the live sender is heard is displaced by the live sender's first
	 * packet (ntp_btab) before it has moved the clock. */
	if (!s->trusted) {
		if (s->admitted < NTP_BCAST_PROBATION ||
		    mono - s->first_mono < (NTP_BCAST_PROBATION - 1) * period - period / 4)
			return;
		s->trusted = true;
		ntp_btab_trust(&c->tab, slot);
		LOG_INFO("broadcastclient: sender %s (key %u) trusted after %d packets", name,
			 key, s->admitted);
	}
	/* Until the delay is known, an offset would be off by it. */
	if (s->cal == NTP_BCAST_CAL_RUNNING)
		return;
	/* A step moves every later offset: the differences start again. */
	steps = clock_steps(c);
	if (steps != s->steps)
		sync_jitter2_reset(&s->jit);
	s->steps = steps;
	sync_jitter2_add(&s->jit, gt_to_sec(smp.offset));
	s->accepted++;
	if (c->cfg.measurements)
		statlog_write(c->cfg.measurements, smp.time,
			      "%-25s %u %2u %08x %3d %+.9f %.9f %.9f %.9f %.9f", name, smp.leap,
			      smp.stratum, smp.refid, s->poll, gt_to_sec(smp.offset),
			      gt_to_sec(smp.delay), gt_to_sec(smp.disp), gt_to_sec(smp.root_delay),
			      gt_to_sec(smp.root_disp));
	/* The sync core judges reachability by the poll interval. */
	sync_set_interval(c->sync, s->src, s->poll);
	sync_add_sample(c->sync, s->src, &smp, mono);
}

static void on_datagram(void *arg, const uint8_t *buf, size_t len, bool truncated,
			const struct net_addr *from, const struct sock_rx_info *rx)
{
	struct ntp_bcast_client *c = arg;

	if (truncated) {
		c->stats.received++;
		c->stats.verdict[NTP_RESP_MALFORMED]++;
		return;
	}
	handle_packet(c, buf, len, from, rx->rx_real);
}

static void on_readable(int fd, short revents, void *arg)
{
	uint8_t buf[NTP_MAX_LEN + 4];

	(void)revents;
	sock_drain(fd, buf, sizeof(buf), 16, on_datagram, arg);
}

int ntp_bcast_client_start(struct ntp_bcast_client *c, struct loop *loop, struct clk *clock,
			   struct sync *sync, struct statlog *measurements)
{
	int i, rc;

	c->cfg.measurements = measurements;
	c->loop = loop;
	c->clock = clock;
	c->sync = sync;
	rc = sync_add_summary(sync, summary, c);
	if (rc)
		return rc;
	for (i = 0; i < c->n_fds; i++) {
		rc = loop_add_fd(loop, c->fds[i], POLLIN, on_readable, c);
		if (rc)
			return rc;
	}
	for (i = 0; i < 2; i++) {
		if (c->cal_fd[i] < 0)
			continue;
		rc = loop_add_fd(loop, c->cal_fd[i], POLLIN, on_cal_readable, c);
		if (rc)
			return rc;
	}
	if (!c->cfg.delay_set)
		c->cal_timer = loop_timer_add(loop, GT_NS_PER_S, GT_NS_PER_S, on_cal_timer, c);
	return 0;
}

void ntp_bcast_client_destroy(struct ntp_bcast_client *c)
{
	int i;

	if (!c)
		return;
	for (i = 0; i < NTP_BCAST_MAX_SOCKETS; i++) {
		if (c->fds[i] < 0)
			continue;
		if (c->loop)
			loop_del_fd(c->loop, c->fds[i]);
		close(c->fds[i]);
	}
	for (i = 0; i < 2; i++) {
		if (c->cal_fd[i] < 0)
			continue;
		if (c->loop)
			loop_del_fd(c->loop, c->cal_fd[i]);
		close(c->cal_fd[i]);
	}
	if (c->loop && c->cal_timer)
		loop_timer_cancel(c->loop, c->cal_timer);
	free(c);
}

int ntp_bcast_client_n_sockets(const struct ntp_bcast_client *c)
{
	return c->n_fds;
}

void ntp_bcast_client_get_stats(const struct ntp_bcast_client *c,
				struct ntp_bcast_client_stats *out)
{
	*out = c->stats;
}

bool ntp_bcast_client_sender(const struct ntp_bcast_client *c, int i,
			     struct ntp_bcast_sender_info *out)
{
	const struct sender *s;

	if (i < 0 || i >= c->n_snd)
		return false;
	s = &c->snd[i];
	out->addr = s->addr;
	out->src = s->src;
	out->poll = s->poll;
	out->reach = s->reach;
	out->key = s->key;
	out->accepted = s->accepted;
	out->loops = s->loops;
	out->jitter = sync_jitter2_get(&s->jit, JITTER_PRIOR);
	out->delay = gt_to_sec(s->delay);
	out->cal = s->cal;
	out->cal_replies = s->cal_replies;
	out->trusted = s->trusted;
	return true;
}

/* A sender's poll and reach, while it is in the table. */
static bool poll_reach(void *arg, int src, int *poll, unsigned *reach)
{
	struct ntp_bcast_client *c = arg;
	struct ntp_bcast_sender_info bi;
	int i;

	for (i = 0; ntp_bcast_client_sender(c, i, &bi) && bi.src != src; i++)
		;
	if (i >= c->n_snd)
		return false;
	*poll = bi.poll;
	*reach = bi.reach;
	return true;
}

/* A sender's source stays in the core when its slot is taken over; only
 * the senders in the table now are listed. */
static bool describe(void *arg, int src, const struct sync_src_info *si, gt_ns now,
		     struct json_out *j)
{
	struct ntp_bcast_client *c = arg;
	struct ntp_bcast_sender_info bi;
	char addr[NET_ADDR_STRLEN];
	int i, v;

	for (i = 0; ntp_bcast_client_sender(c, i, &bi) && bi.src != src; i++)
		;
	if (i >= c->n_snd)
		return false;
	net_addr_str(&bi.addr, addr, sizeof(addr));
	json_str(j, "address", addr);
	json_u64(j, "port", c->cfg.port);
	json_str(j, "mode", "broadcast");
	json_i64(j, "poll", bi.poll);
	json_u64(j, "reach", bi.reach);
	json_u64(j, "key", bi.key);
	json_double(j, "last_rx_ago", si->last_time ? gt_to_sec(now - si->last_time) : -1);
	json_double(j, "oneway_jitter", bi.jitter);
	json_double(j, "oneway_delay", bi.delay);
	json_str(j, "delay_calibration", ntp_bcast_cal_name(bi.cal));
	json_u64(j, "calibration_exchanges", (uint64_t)bi.cal_replies);
	json_bool(j, "trusted", bi.trusted);
	json_u64(j, "accepted", bi.accepted);
	json_u64(j, "loops", bi.loops);
	/* The client's counters are for all senders together: a rejected
	 * packet may not be from any sender we know. */
	json_obj_begin(j, "client");
	json_u64(j, "received", c->stats.received);
	json_u64(j, "too_many_senders", c->stats.too_many_senders);
	for (v = 1; v < NTP_RESP_COUNT; v++)
		json_u64(j, ntp_resp_verdict_name(v), c->stats.verdict[v]);
	json_obj_end(j);
	return true;
}

static void summary(void *arg, struct json_out *j)
{
	struct ntp_bcast_client *c = arg;
	int v;

	json_obj_begin(j, "broadcastclient");
	json_u64(j, "sockets", (uint64_t)c->n_fds);
	json_u64(j, "received", c->stats.received);
	json_u64(j, "accepted", c->stats.verdict[NTP_RESP_OK]);
	json_u64(j, "loops", c->stats.loops);
	json_u64(j, "too_many_senders", c->stats.too_many_senders);
	json_u64(j, "key_senders_full", c->stats.key_senders_full);
	json_u64(j, "new_sender_offset", c->stats.new_sender_offset);
	json_u64(j, "key_conflicts", c->stats.key_conflicts);
	json_obj_begin(j, "rejected");
	for (v = 1; v < NTP_RESP_COUNT; v++)
		json_u64(j, ntp_resp_verdict_name(v), c->stats.verdict[v]);
	json_obj_end(j);
	json_obj_end(j);
}
