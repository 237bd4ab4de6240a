#include "gw/gw_send.h"

#include <errno.h>
#include <stddef.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gw/gw_health.h"
#include "gw/gw_msg.h"
#include "gw/gw_state.h"
#include "lib/journal.h"
#include "lib/statefile.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "lib/util.h"
#include "net/sock.h"
#include "auth/auth.h"

/* Sends whose transmit timestamp may still come (a ring by tskey). */
#define PENDING 32
/* Sequence numbers reserved at a time in the state file: the file says
 * numbers up to `reserved` may have been sent, and is rewritten (before
 * the send) only when the sequence reaches it; a restart begins above it,
 * whatever the clock says. 65536 messages: 4.5 hours at 0.25 s. */
#define SEQ_BLOCK 65536

struct pending_tx {
	uint32_t tskey;
	uint64_t seq;
	bool used;
};

struct gw_sender {
	struct gw_send_cfg cfg;
	const struct auth_keys *keys;
	const struct clk_published *clock;
	struct journal *journal;
	struct loop *loop;
	struct loop_timer *timer, *health_timer;
	struct sockaddr_storage dst;
	socklen_t dst_len;
	int fd;
	uint32_t tskey_next;		/* the kernel numbers this socket's sends 0, 1, ... */
	struct pending_tx pend[PENDING];
	bool have_prev;
	uint64_t prev_seq;
	gt_ns prev_tx_real;		/* CLOCK_REALTIME of prev_seq's transmission */
	bool prev_hw;
	int steps_seen;
	uint64_t reserved;		/* sequence numbers reserved in the state file */
	bool persist_failed;
	char state_name[64];
	/* counters since the last health check */
	uint64_t h_sends, h_errors, h_txts;
	struct gw_send_stats st;
};

static void on_health(struct loop_timer *t, void *arg);

/* Reserve SEQ_BLOCK numbers from seq on in the state file, durably, before
 * any of them is sent. A failure is reported and sending goes on: the
 * numbers still start from the time in ms at the next start, monotonic
 * unless the clock also went back. */
static int reserve_seq(struct gw_sender *s, uint64_t seq)
{
	struct gw_tx_state st = { s->cfg.id, s->st.boot_id, seq + SEQ_BLOCK };
	char buf[GW_STATE_MAX_LEN];
	int n, rc;

	n = gw_tx_state_format(&st, buf, sizeof(buf));
	rc = n < 0 ? n : statefile_write(s->cfg.statedir, s->state_name, buf, (size_t)n);
	if (rc) {
		/* Retried at every send; reported once per run of failures. */
		if (!s->persist_failed) {
			LOG_ERR("gateway-send: cannot write the sequence reservation %s/%s: %s",
				s->cfg.statedir, s->state_name, strerror(-rc));
			journal_event_kv(s->journal, JOURNAL_ERR, "GW_STATE_ERROR",
					 "cannot write the sequence reservation", "error",
					 strerror(-rc), NULL);
		}
		s->persist_failed = true;
		return rc;
	}
	s->persist_failed = false;
	s->reserved = st.reserved;
	return 0;
}

/* Where the sequence starts: above the time in ms (as without a state)
 * and above everything reserved before, and a boot id different from the
 * last run's. */
static void load_seq_state(struct gw_sender *s)
{
	char buf[GW_STATE_MAX_LEN + 1];
	struct gw_tx_state st;
	size_t len;
	int rc;

	snprintf(s->state_name, sizeof(s->state_name), "gw-send-%llu.state",
		 (unsigned long long)s->cfg.id);
	rc = statefile_read(s->cfg.statedir, s->state_name, buf, sizeof(buf), &len);
	if (!rc) {
		rc = gw_tx_state_parse(buf, len, &st);
		if (!rc && st.sender_id != s->cfg.id)
			rc = -EINVAL;
	}
	if (rc == -ENOENT) {
		LOG_INFO("gateway-send: no sequence state %s/%s yet (first start)", s->cfg.statedir,
			 s->state_name);
	} else if (rc) {
		if (rc == -EINVAL || rc == -EFBIG)
			statefile_set_aside(s->cfg.statedir, s->state_name);
		LOG_ERR("gateway-send: the sequence state %s/%s is unusable (%s): the sequence "
			"starts from the clock", s->cfg.statedir, s->state_name,
			rc == -EINVAL ? "corrupt" : strerror(-rc));
		journal_event_kv(s->journal, JOURNAL_ERR, "GW_STATE_CORRUPT",
				 "sequence state unusable: starting from the clock", "file",
				 s->state_name, NULL);
	} else {
		if (st.reserved >= s->st.seq) {
			if (s->st.seq + 1000 < st.reserved - SEQ_BLOCK)
				LOG_WARN("gateway-send: the clock is behind the last run's sequence: "
					 "continuing above it (%llu)", (unsigned long long)st.reserved);
			s->st.seq = st.reserved;
		}
		while (s->st.boot_id == st.boot_id || !s->st.boot_id)
			s->st.boot_id = s->st.boot_id * UINT64_C(6364136223846793005) + 1442695040888963407u;
	}
	reserve_seq(s, s->st.seq + 1);
}

static int enable_tx_timestamps(int fd)
{
	unsigned flags = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE |
			 SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;

	return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof(flags)) < 0 ? -errno : 0;
}

/* Read every transmit timestamp waiting on the error queue and keep the
 * newest one that belongs to a send we remember. */
static void read_tx_timestamps(struct gw_sender *s)
{
	int k;

	for (k = 0; k < 64; k++) {
		uint8_t ctl[512], data[64];
		struct iovec iov = { data, sizeof(data) };
		struct msghdr h = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = ctl, .msg_controllen = sizeof(ctl) };
		struct cmsghdr *c;
		gt_ns ts = 0;
		bool have_key = false;
		uint32_t key = 0;
		int i;

		if (recvmsg(s->fd, &h, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return;
		for (c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPING) {
				struct timespec t[3];

				memcpy(t, CMSG_DATA(c), sizeof(t));
				/* [0] software, [2] raw hardware. */
				if (t[2].tv_sec || t[2].tv_nsec) {
					ts = gt_from_timespec(&t[2]);
					s->prev_hw = true;
				} else if (t[0].tv_sec || t[0].tv_nsec) {
					ts = gt_from_timespec(&t[0]);
					s->prev_hw = false;
				}
			} else if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
				   (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
				struct sock_extended_err ee;

				memcpy(&ee, CMSG_DATA(c), sizeof(ee));
				if (ee.ee_origin == SO_EE_ORIGIN_TIMESTAMPING) {
					key = ee.ee_data;
					have_key = true;
				}
			}
		}
		if (!ts || !have_key)
			continue;
		LOG_DEBUG("gateway-send: transmit timestamp of send %u", key);
		for (i = 0; i < PENDING; i++) {
			if (s->pend[i].used && s->pend[i].tskey == key) {
				s->pend[i].used = false;
				s->st.txts++;
				s->h_txts++;
				if (!s->have_prev || (int64_t)(s->pend[i].seq - s->prev_seq) > 0) {
					s->have_prev = true;
					s->prev_seq = s->pend[i].seq;
					s->prev_tx_real = ts;
				}
				break;
			}
		}
		if (i == PENDING)
			s->st.txts_unmatched++;
	}
}

static unsigned wire_health(const struct gw_sender *s)
{
	unsigned h = s->st.health & GW_HEALTH_GOOD;

	if (s->h_errors)
		h |= GW_HEALTH_SEND_ERR;
	return h;
}

static void on_send(struct loop_timer *t, void *arg)
{
	struct gw_sender *s = arg;
	uint8_t buf[GW_MSG_MAX_LEN];
	struct clk_snapshot snap;
	struct gw_msg m;
	double corr;
	int len, slot;
	bool v6 = s->cfg.to.family == AF_INET6;

	(void)t;
	read_tx_timestamps(s);
	clk_read_snapshot(s->clock, &snap);
	memset(&m, 0, sizeof(m));
	m.type = GW_MSG_TIME;
	m.seq = s->st.seq + 1;
	if (s->cfg.statedir && m.seq >= s->reserved)
		reserve_seq(s, m.seq);
	m.boot_id = s->st.boot_id;
	if (snap.q.leap != CLK_LEAP_UNSYNC && snap.q.stratum >= 1 && snap.q.stratum <= 15) {
		m.flags |= GW_FLAG_SYNC;
		m.stratum = snap.q.stratum;
		m.leap = snap.q.leap;
	} else {
		m.stratum = 16;
	}
	m.precision = snap.q.precision < -32 ? -32 : snap.q.precision > 0 ? 0 : snap.q.precision;
	m.root_delay = snap.q.root_delay > 0 ? snap.q.root_delay : 0;
	m.root_disp = snap.q.root_disp > 0 ? snap.q.root_disp : 0;
	m.method = (uint8_t)s->cfg.corr.method;
	corr = gw_corr_delay(&s->cfg.corr, s->cfg.key ? GW_MSG_AUTH_LEN : GW_MSG_BODY_LEN, v6);
	m.correction = gt_from_sec(corr);
	m.interval_ms = (uint32_t)(s->cfg.interval * 1000 + 0.5);
	m.sender_id = s->cfg.id;
	if (s->have_prev) {
		m.flags |= GW_FLAG_PREV_TX | (s->prev_hw ? GW_FLAG_PREV_HW : 0);
		m.prev_seq = s->prev_seq;
		m.prev_tx_time = clk_map_apply(&snap.map, s->prev_tx_real);
	}
	m.health = (uint16_t)wire_health(s);
	/* The label: as late as possible. The MAC comes after it; its few
	 * microseconds are in the two-step timestamp, not in the label. */
	m.tx_time = clk_map_apply(&snap.map, gt_now(CLOCK_REALTIME)) + m.correction;
	len = gw_msg_encode(&m, s->keys, s->cfg.key, buf, sizeof(buf));
	if (len < 0) {
		s->st.send_errors++;
		s->h_errors++;
		LOG_RL(LOG_LVL_ERR, "gateway-send: cannot encode: %s", strerror(-len));
		return;
	}
	s->h_sends++;
	if (sendto(s->fd, buf, (size_t)len, 0, (struct sockaddr *)&s->dst, s->dst_len) < 0) {
		s->st.send_errors++;
		s->h_errors++;
		int e = errno;

		LOG_RL(LOG_LVL_WARN, "gateway-send: send of %llu failed: %s",
		       (unsigned long long)m.seq, strerror(e));
		/* One record per run of failures: the health check reports how many. */
		if (s->h_errors == 1)
			journal_event_kv(s->journal, JOURNAL_ERR, "GW_SEND_ERROR", "send failed",
					 "error", strerror(e), NULL);
		return;
	}
	s->st.seq = m.seq;
	s->st.sent++;
	s->st.correction = corr;
	slot = (int)(s->tskey_next % PENDING);
	s->pend[slot] = (struct pending_tx){ s->tskey_next, m.seq, true };
	s->tskey_next++;
}

static void on_health(struct loop_timer *t, void *arg)
{
	struct gw_sender *s = arg;
	struct gw_health_input in = { .root = "", .dst = s->cfg.to, .iface = s->cfg.bind_if };
	struct gw_health_result r;
	char a[NET_ADDR_STRLEN];

	(void)t;
	read_tx_timestamps(s);
	in.sends = s->h_sends;
	in.send_errors = s->h_errors;
	in.txts = s->h_txts;
	gw_health_check(&in, &r);
	if (r.bits != s->st.health || strcmp(r.problem, s->st.problem)) {
		struct journal_fields f;

		net_addr_str(&s->cfg.to, a, sizeof(a));
		journal_fields_init(&f);
		journal_field_str(&f, "to", a);
		journal_field_str(&f, "iface", r.iface);
		journal_field_fmt(&f, "health", "0x%02x", r.bits);
		if (r.problem[0]) {
			LOG_WARN("gateway-send %s: path check: %s", a, r.problem);
			journal_event(s->journal, JOURNAL_WARNING, "GW_HEALTH", &f, "path check: %s",
				      r.problem);
		} else {
			LOG_INFO("gateway-send %s: path check passes (%s)", a, r.iface);
			journal_event(s->journal, JOURNAL_NOTICE, "GW_HEALTH", &f, "path check passes");
		}
	}
	s->st.health = r.bits;
	snprintf(s->st.problem, sizeof(s->st.problem), "%s", r.problem);
	s->h_sends = s->h_errors = s->h_txts = 0;
}

struct gw_sender *gw_sender_create(const struct gw_send_cfg *cfg,
				   const struct auth_keys *keys,
				   const struct clk_published *clock, struct journal *journal,
				   int *err)
{
	struct gw_sender *s;
	struct net_addr any;
	gt_ns now;
	int rc;

	if (cfg->key && !auth_key_info(keys, cfg->key, NULL, NULL)) {
		*err = -ENOKEY;
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->cfg = *cfg;
	s->keys = keys;
	s->clock = clock;
	s->journal = journal;
	net_addr_parse(cfg->to.family == AF_INET ? "0.0.0.0" : "::", &any);
	s->fd = sock_udp_open(cfg->bind_is_addr ? &cfg->bind_addr : &any, 0, 0);
	if (s->fd < 0) {
		rc = s->fd;
		goto fail;
	}
	if (cfg->bind_if[0] &&
	    setsockopt(s->fd, SOL_SOCKET, SO_BINDTODEVICE, cfg->bind_if,
		       (socklen_t)strlen(cfg->bind_if) + 1) < 0) {
		rc = -errno;
		goto fail;
	}
	rc = enable_tx_timestamps(s->fd);
	if (rc)
		goto fail;
	s->dst_len = net_addr_to_sockaddr(&cfg->to, cfg->port, &s->dst);
	/* A new boot id for every start; the sequence starts at the time in
	 * milliseconds, above anything an earlier run (at most one message
	 * per 10 ms) can have reached unless the clock went back, and, with a
	 * statedir, above the block the last run reserved (load_seq_state):
	 * monotonic even then. */
	if (getrandom(&s->st.boot_id, sizeof(s->st.boot_id), 0) != sizeof(s->st.boot_id))
		s->st.boot_id = (uint64_t)gt_now(CLOCK_MONOTONIC) * UINT64_C(0x9e3779b97f4a7c15);
	if (!s->st.boot_id)
		s->st.boot_id = 1;
	now = gt_now(CLOCK_REALTIME);
	s->st.seq = now > 0 ? (uint64_t)(now / GT_NS_PER_MS) : 0;
	if (cfg->statedir)
		load_seq_state(s);
	return s;
fail:
	*err = rc;
	if (s->fd >= 0)
		close(s->fd);
	free(s);
	return NULL;
}

int gw_sender_start(struct gw_sender *s, struct loop *loop)
{
	gt_ns period = (gt_ns)(s->cfg.interval * GT_NS_PER_S);

	s->loop = loop;
	s->timer = loop_timer_add(loop, GT_NS_PER_S / 10, period, on_send, s);
	s->health_timer = loop_timer_add(loop, GT_NS_PER_S + period, GW_SEND_HEALTH_EVERY,
					 on_health, s);
	return s->timer && s->health_timer ? 0 : -ENOMEM;
}

void gw_sender_destroy(struct gw_sender *s)
{
	if (!s)
		return;
	if (s->loop) {
		if (s->timer)
			loop_timer_cancel(s->loop, s->timer);
		if (s->health_timer)
			loop_timer_cancel(s->loop, s->health_timer);
	}
	close(s->fd);
	free(s);
}

static int service_start(void *obj, struct loop *loop)
{
	return gw_sender_start(obj, loop);
}

static void service_destroy(void *obj)
{
	gw_sender_destroy(obj);
}

const struct service_ops gw_sender_service = {
	.name = "gateway-send",
	.start = service_start,
	.destroy = service_destroy,
};

void gw_sender_get_stats(const struct gw_sender *s, struct gw_send_stats *out)
{
	*out = s->st;
}

const struct gw_send_cfg *gw_sender_config(const struct gw_sender *s)
{
	return &s->cfg;
}

static double read_metric(const void *ctx, uintptr_t key)
{
	struct gw_send_stats st;
	const char *p;

	gw_sender_get_stats(ctx, &st);
	p = (const char *)&st + (key >> 2);
	switch (key & 3) {
	case 0: return (double)*(const uint64_t *)(const void *)p;
	case 1: return *(const double *)(const void *)p;
	default: return (double)*(const unsigned *)(const void *)p;
	}
}

#define KEY(field, type) ((uintptr_t)offsetof(struct gw_send_stats, field) << 2 | (type))

int gw_sender_register_metrics(const struct gw_sender *s, int index, struct met_registry *reg)
{
	static const struct { const char *name, *help; uintptr_t key; enum met_kind kind; } m[] = {
		{ "sent_total", "gateway messages sent", KEY(sent, 0), MET_COUNTER },
		{ "send_errors_total", "gateway sends that failed", KEY(send_errors, 0), MET_COUNTER },
		{ "tx_timestamps_total", "transmit timestamps read", KEY(txts, 0), MET_COUNTER },
		{ "tx_timestamps_unmatched_total", "transmit timestamps of no known send",
		  KEY(txts_unmatched, 0), MET_COUNTER },
		{ "seq", "last sequence number sent", KEY(seq, 0), MET_GAUGE },
		{ "correction_seconds", "correction applied to the last message",
		  KEY(correction, 1), MET_GAUGE },
		{ "health", "health bits of the last path check (doc/gateway-protocol.md)",
		  KEY(health, 2), MET_GAUGE },
	};
	char name[64];
	size_t i;
	int rc = 0;

	for (i = 0; i < ARRAY_LEN(m); i++) {
		snprintf(name, sizeof(name), "gnomon_gateway_tx%d_%s", index, m[i].name);
		rc |= met_register(reg, name, m[i].help, m[i].kind, read_metric, s, m[i].key);
	}
	return rc;
}
