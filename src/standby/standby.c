#include "standby/standby.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "auth/auth.h"
#include "clock/clk.h"
#include "lib/conf.h"
#include "lib/journal.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "lib/util.h"
#include "mon/alarm.h"
#include "mon/alarm_feed.h"
#include "mon/ctl.h"
#include "net/sock.h"
#include "standby/health.h"
#include "standby/sb_msg.h"
#include "standby/sb_peer.h"

/* Heartbeats missed before the partner counts as lost, and the least
 * silence that is: three intervals, as VRRP's master-down interval. */
#define SB_LOST_MISSES 3
#define SB_MIN_LOST (2 * GT_NS_PER_S)
/* A round trip this far below zero is a broken exchange, not noise. */
#define SB_MAX_NEG_DELAY (1 * GT_NS_PER_MS)

enum { RES_SENT_ERR = SB_MSG_VERDICT_COUNT, RES_WRONG_SOURCE, RES_OWN, RES_REPLAY, RES_UNPROVEN,
       RES_TRUNCATED, RES_COUNT };

struct standby {
	struct sb_cfg cfg;
	const struct auth_keys *keys;
	const struct clk_published *pub;
	struct health *health;
	struct journal *journal;
	struct loop *loop;
	struct loop_timer *timer;
	int fd;
	struct sockaddr_storage dst;
	socklen_t dst_len;
	uint64_t node_id, seq;
	struct sb_peer peer;
	uint64_t sent, results[RES_COUNT];
	enum sb_role role;
	gt_ns role_since;		/* CLOCK_REALTIME */
	uint64_t role_changes;
	bool was_lost;
};

static const char *result_name(int r)
{
	static const char *const extra[] = { "send_error", "wrong_source", "own", "replay",
					     "unproven", "truncated" };

	return r < SB_MSG_VERDICT_COUNT ? sb_msg_verdict_name((enum sb_msg_verdict)r) :
	       extra[r - SB_MSG_VERDICT_COUNT];
}

static const char *role_name(enum sb_role r)
{
	static const char *const names[] = { "unknown", "master", "backup", "fault" };

	return (unsigned)r <= SB_ROLE_MAX ? names[r] : "?";
}

/* ---- configuration ---- */

int sb_conf_parse(struct conf_ctx *ctx, int argc, char **argv, struct sb_cfg *out)
{
	struct sb_cfg c;
	bool have_key = false;
	long v;
	int i;

	memset(&c, 0, sizeof(c));
	c.port = SB_DEFAULT_PORT;
	c.priority = SB_DEFAULT_PRIORITY;
	c.interval = 1;
	if (argc < 2 || strcmp(argv[0], "partner"))
		return conf_error(ctx, "standby: expected: standby partner ADDR [port N] key ID "
				  "[priority P] [interval S] [bind ADDR]");
	if (net_addr_parse(argv[1], &c.partner) || net_addr_is_any(&c.partner))
		return conf_error(ctx, "standby partner: '%s' is not an IPv4 or IPv6 address",
				  argv[1]);
	for (i = 2; i < argc; i++) {
		const char *opt = argv[i];

		if (i + 1 >= argc)
			return conf_error(ctx, "standby: '%s' needs a value (allowed: port N, key ID, "
					  "priority P, interval S, bind ADDR)", opt);
		if (!strcmp(opt, "port")) {
			if (conf_arg_int(ctx, "standby port", argv[++i], 1, 65535, &v))
				return -EINVAL;
			c.port = (uint16_t)v;
		} else if (!strcmp(opt, "key")) {
			if (conf_arg_int(ctx, "standby key", argv[++i], 1, 4294967295L, &v))
				return -EINVAL;
			c.key = (uint32_t)v;
			have_key = true;
		} else if (!strcmp(opt, "priority")) {
			if (conf_arg_int(ctx, "standby priority", argv[++i], 0, 255, &v))
				return -EINVAL;
			c.priority = (int)v;
		} else if (!strcmp(opt, "interval")) {
			if (conf_arg_double(ctx, "standby interval", argv[++i], 0.1, 60, &c.interval))
				return -EINVAL;
		} else if (!strcmp(opt, "bind")) {
			if (net_addr_parse(argv[++i], &c.bind))
				return conf_error(ctx, "standby bind: '%s' is not an IPv4 or IPv6 "
						  "address", argv[i]);
			c.have_bind = true;
		} else {
			return conf_error(ctx, "standby: unknown option '%s' (allowed: port N, key ID, "
					  "priority P, interval S, bind ADDR)", opt);
		}
	}
	if (!have_key)
		return conf_error(ctx, "standby: `key ID` is required (a SHA256 key of the "
				  "keyfile): the heartbeat is always authenticated");
	if (c.have_bind && c.bind.family != c.partner.family)
		return conf_error(ctx, "standby: bind and partner are not of one address family");
	c.enabled = true;
	*out = c;
	return 0;
}

/* ---- time ---- */

/* The served clock's time at CLOCK_REALTIME real. */
static gt_ns clock_at(const struct standby *s, gt_ns real, struct clk_snapshot *snap)
{
	clk_read_snapshot(s->pub, snap);
	return clk_map_apply(&snap->map, real);
}

/* Whether the partner counts as lost at monotonic time mono. */
static bool partner_lost(const struct standby *s, gt_ns mono)
{
	return sb_peer_lost(&s->peer, mono, SB_LOST_MISSES, SB_MIN_LOST);
}

/* ---- sending ---- */

static void send_heartbeat(struct standby *s)
{
	struct health_result hr;
	struct clk_snapshot snap;
	struct sb_msg m;
	uint8_t buf[SB_MSG_LEN];
	int len;

	memset(&m, 0, sizeof(m));
	if (s->health)
		health_now(s->health, &hr);
	else
		hr.state = HEALTH_SYNCED;
	m.health = (uint8_t)hr.state;
	m.role = (uint8_t)s->role;
	m.node_id = s->node_id;
	m.seq = ++s->seq;
	m.priority = (uint8_t)s->cfg.priority;
	m.interval_ms = (uint32_t)lround(s->cfg.interval * 1000);
	if (s->peer.echo_xmt > 0) {
		m.flags |= SB_FLAG_ECHO;
		m.org = s->peer.echo_xmt;
		m.rec = s->peer.echo_rx;
	}
	/* The transmit time last: what the MAC takes (some µs) is on the
	 * path, as in any exchange; it is the same on both sides. */
	m.xmt = clock_at(s, gt_now(CLOCK_REALTIME), &snap);
	m.stratum = snap.q.stratum ? snap.q.stratum : 16;
	if (m.stratum > 16)
		m.stratum = 16;
	m.leap = snap.q.leap & 3;
	m.root_delay = snap.q.root_delay > 0 ? snap.q.root_delay : 0;
	m.root_disp = clk_root_disp_at(&snap.q, m.xmt);
	if (m.root_disp < 0)
		m.root_disp = 0;
	len = sb_msg_encode(&m, s->keys, s->cfg.key, buf, sizeof(buf));
	if (len < 0) {
		LOG_RL(LOG_LVL_WARN, "standby: cannot encode a heartbeat: %s", strerror(-len));
		s->results[RES_SENT_ERR]++;
		return;
	}
	if (sendto(s->fd, buf, (size_t)len, 0, (struct sockaddr *)&s->dst, s->dst_len) < 0) {
		s->results[RES_SENT_ERR]++;
		return;
	}
	sb_peer_sent(&s->peer, m.xmt);
	s->sent++;
}

static void journal_partner(struct standby *s, bool lost)
{
	char a[NET_ADDR_STRLEN];
	struct journal_fields f;

	net_addr_str(&s->cfg.partner, a, sizeof(a));
	if (lost)
		LOG_WARN("standby: partner %s lost", a);
	else
		LOG_INFO("standby: partner %s heard", a);
	if (!s->journal)
		return;
	journal_fields_init(&f);
	journal_field_str(&f, "partner", a);
	journal_event(s->journal, lost ? JOURNAL_WARNING : JOURNAL_NOTICE,
		      lost ? "STANDBY_PARTNER_LOST" : "STANDBY_PARTNER_UP", &f,
		      lost ? "the standby partner is not heard" : "the standby partner is heard");
}

static void on_timer(struct loop_timer *t, void *arg)
{
	struct standby *s = arg;
	bool lost;

	(void)t;
	send_heartbeat(s);
	lost = partner_lost(s, gt_now(CLOCK_MONOTONIC));
	if (lost != s->was_lost && (s->peer.heard || lost))
		journal_partner(s, lost);
	s->was_lost = lost;
}

/* ---- receiving ---- */

static void on_datagram(void *arg, const uint8_t *buf, size_t len, bool truncated,
			const struct net_addr *from, const struct sock_rx_info *rx)
{
	struct standby *s = arg;
	struct clk_snapshot snap;
	struct sb_sample smp;
	enum sb_msg_verdict v;
	enum sb_accept acc;
	struct sb_msg m;
	gt_ns t4, mono;

	if (truncated) {
		s->results[RES_TRUNCATED]++;
		return;
	}
	/* Only the partner's address is listened to; the MAC decides the rest. */
	if (from->family != s->cfg.partner.family ||
	    memcmp(from->a, s->cfg.partner.a, net_addr_len(from))) {
		s->results[RES_WRONG_SOURCE]++;
		return;
	}
	t4 = clock_at(s, rx->rx_real ? rx->rx_real : gt_now(CLOCK_REALTIME), &snap);
	v = sb_msg_decode(buf, len, s->keys, s->cfg.key, &m);
	if (v != SB_MSG_OK) {
		s->results[v]++;
		LOG_RL(LOG_LVL_DEBUG, "standby: heartbeat refused: %s%s%s", sb_msg_verdict_name(v),
			     m.bad_field ? " " : "", m.bad_field ? m.bad_field : "");
		return;
	}
	mono = gt_now(CLOCK_MONOTONIC);
	acc = sb_peer_accept(&s->peer, &m, s->node_id, t4, mono,
			     partner_lost(s, mono));
	switch (acc) {
	case SB_ACC_OK: break;
	case SB_ACC_OWN: s->results[RES_OWN]++; return;
	case SB_ACC_REPLAY: s->results[RES_REPLAY]++; return;
	case SB_ACC_UNPROVEN: s->results[RES_UNPROVEN]++; return;
	}
	s->results[SB_MSG_OK]++;
	sb_peer_exchange(&s->peer, &m, t4, SB_MAX_NEG_DELAY, &smp);
}

static void on_readable(int fd, short revents, void *arg)
{
	uint8_t buf[SB_MSG_LEN + 64];

	(void)revents;
	sock_drain(fd, buf, sizeof(buf), 32, on_datagram, arg);
}

/* ---- life ---- */

struct standby *standby_create(const struct sb_cfg *cfg, const struct auth_keys *keys,
			       const struct clk_published *pub, struct health *health,
			       struct journal *journal, int *err)
{
	struct standby *s;
	struct net_addr any;
	enum auth_type type;

	if (!auth_key_info(keys, cfg->key, &type, NULL) || type != AUTH_SHA256) {
		*err = -ENOKEY;
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->cfg = *cfg;
	s->keys = keys;
	s->pub = pub;
	s->health = health;
	s->journal = journal;
	sb_peer_init(&s->peer);
	s->was_lost = true;
	if (!cfg->have_bind)
		net_addr_parse(cfg->partner.family == AF_INET6 ? "::" : "0.0.0.0", &any);
	s->fd = sock_udp_open(cfg->have_bind ? &cfg->bind : &any, cfg->port, SOCK_RX_TIMESTAMP);
	if (s->fd < 0) {
		*err = s->fd;
		free(s);
		return NULL;
	}
	s->dst_len = net_addr_to_sockaddr(&cfg->partner, cfg->port, &s->dst);
	if (getrandom(&s->node_id, sizeof(s->node_id), 0) != sizeof(s->node_id))
		s->node_id = (uint64_t)gt_now(CLOCK_MONOTONIC) * UINT64_C(0x9e3779b97f4a7c15) ^
			     (uint64_t)getpid();
	if (!s->node_id)
		s->node_id = 1;
	s->role_since = gt_now(CLOCK_REALTIME);
	return s;
}

static int sb_start(void *obj, struct loop *loop)
{
	struct standby *s = obj;
	gt_ns iv = gt_from_sec(s->cfg.interval);
	int rc;

	s->loop = loop;
	rc = loop_add_fd(loop, s->fd, POLLIN, on_readable, s);
	if (rc)
		return rc;
	s->timer = loop_timer_add(loop, GT_NS_PER_MS, iv, on_timer, s);
	return s->timer ? 0 : -ENOMEM;
}

static void sb_destroy(void *obj)
{
	struct standby *s = obj;

	if (s->loop) {
		if (s->timer)
			loop_timer_cancel(s->loop, s->timer);
		loop_del_fd(s->loop, s->fd);
	}
	close(s->fd);
	free(s);
}

/* ---- control ---- */

static void json_partner(struct standby *s, struct json_out *j)
{
	const struct sb_peer *p = &s->peer;
	const struct sb_msg *m = &p->last;
	gt_ns mono = gt_now(CLOCK_MONOTONIC);
	struct sb_sample smp;
	char a[NET_ADDR_STRLEN];

	json_obj_begin(j, "partner");
	json_str(j, "address", net_addr_str(&s->cfg.partner, a, sizeof(a)));
	json_u64(j, "port", s->cfg.port);
	json_bool(j, "up", !partner_lost(s, mono));
	json_bool(j, "heard", p->heard);
	if (p->heard) {
		char id[20];

		snprintf(id, sizeof(id), "%016llx", (unsigned long long)p->node_id);
		json_str(j, "node_id", id);
		json_double(j, "last_heard", gt_to_sec(mono - p->last_heard_mono));
		json_str(j, "health", health_state_name((enum health_state)m->health));
		json_str(j, "role", role_name((enum sb_role)m->role));
		json_u64(j, "stratum", m->stratum);
		json_u64(j, "leap", m->leap);
		json_double(j, "root_delay", gt_to_sec(m->root_delay));
		json_double(j, "root_dispersion", gt_to_sec(m->root_disp));
		json_double(j, "root_distance", gt_to_sec(m->root_delay) / 2 +
			    gt_to_sec(m->root_disp));
		json_u64(j, "priority", m->priority);
		json_double(j, "interval", m->interval_ms / 1000.0);
		json_u64(j, "seq", p->seq);
		json_u64(j, "restarts", p->restarts);
	}
	if (sb_peer_offset(p, &smp)) {
		json_double(j, "offset", gt_to_sec(smp.offset));
		json_double(j, "delay", gt_to_sec(smp.delay));
		json_double(j, "last_offset", gt_to_sec(p->latest.offset));
		json_double(j, "last_delay", gt_to_sec(p->latest.delay));
	}
	json_u64(j, "exchanges", p->exchanges);
	json_obj_end(j);
}

static int cmd_notify(struct standby *s, int argc, char **argv, struct json_out *j);

/* `standby`: our side and the partner's; `standby notify ROLE`: from
 * keepalived's notify hooks (doc/standby.md). */
static int cmd_standby(void *arg, int argc, char **argv, struct json_out *j)
{
	struct standby *s = arg;
	struct health_result hr;
	char id[20];
	int i;

	if (argc >= 2 && !strcmp(argv[1], "notify"))
		return cmd_notify(s, argc - 1, argv + 1, j);
	if (argc > 1) {
		json_str(j, "error", "expected: standby, or standby notify master|backup|fault");
		return 0;
	}
	if (s->health) {
		health_now(s->health, &hr);
		json_str(j, "health", health_state_name(hr.state));
	}
	snprintf(id, sizeof(id), "%016llx", (unsigned long long)s->node_id);
	json_str(j, "node_id", id);
	json_str(j, "role", role_name(s->role));
	json_double(j, "role_since", gt_to_sec(s->role_since));
	json_u64(j, "role_changes", s->role_changes);
	json_u64(j, "priority", (uint64_t)s->cfg.priority);
	json_double(j, "interval", s->cfg.interval);
	json_partner(s, j);
	json_obj_begin(j, "heartbeats");
	json_u64(j, "sent", s->sent);
	for (i = 0; i < RES_COUNT; i++)
		json_u64(j, result_name(i), s->results[i]);
	json_obj_end(j);
	return 0;
}

/* `notify ROLE [INSTANCE...]` (argv[0] is "notify"). */
static int cmd_notify(struct standby *s, int argc, char **argv, struct json_out *j)
{
	enum sb_role r, was = s->role;
	struct journal_fields f;

	for (r = SB_ROLE_MASTER; r <= SB_ROLE_MAX; r++)
		if (argc >= 2 && !strcmp(argv[1], role_name(r)))
			break;
	if (r > SB_ROLE_MAX) {
		json_str(j, "error", "expected: standby notify master|backup|fault");
		return 0;
	}
	s->role = r;
	if (r != was) {
		s->role_changes++;
		s->role_since = gt_now(CLOCK_REALTIME);
	}
	LOG_INFO("standby: keepalived says %s (was %s)", role_name(r), role_name(was));
	if (s->journal) {
		journal_fields_init(&f);
		journal_field_str(&f, "role", role_name(r));
		journal_field_str(&f, "prev", role_name(was));
		journal_event(s->journal, r == SB_ROLE_FAULT ? JOURNAL_WARNING : JOURNAL_NOTICE,
			      "STANDBY_ROLE", &f, "keepalived: %s", role_name(r));
	}
	/* Tell the partner at once rather than at the next interval. */
	send_heartbeat(s);
	json_str(j, "role", role_name(r));
	json_str(j, "previous", role_name(was));
	return 0;
}

static void sb_register_ctl(void *obj, struct ctl *ctl)
{
	ctl_register(ctl, "standby", cmd_standby, obj);
}

const struct service_ops standby_service = {
	.name = "standby",
	.start = sb_start,
	.register_ctl = sb_register_ctl,
	.destroy = sb_destroy,
};

/* ---- metrics and alarms ---- */

enum { M_UP, M_STRATUM, M_RDIST, M_OFFSET, M_DELAY, M_PRIO, M_HEALTH, M_AGE, M_SENT,
       M_ROLE_CHANGES, M_SEND_ERRORS };

static double read_metric(const void *ctx, uintptr_t key)
{
	struct standby *s = (struct standby *)(uintptr_t)ctx;
	const struct sb_peer *p = &s->peer;
	gt_ns mono = gt_now(CLOCK_MONOTONIC);
	struct sb_sample smp;
	bool have = sb_peer_offset(p, &smp);

	switch (key) {
	case M_UP: return !partner_lost(s, mono);
	case M_STRATUM: return p->heard ? p->last.stratum : NAN;
	case M_RDIST: return p->heard ? gt_to_sec(p->last.root_delay) / 2 +
					 gt_to_sec(p->last.root_disp) : NAN;
	case M_OFFSET: return have ? gt_to_sec(smp.offset) : NAN;
	case M_DELAY: return have ? gt_to_sec(smp.delay) : NAN;
	case M_PRIO: return p->heard ? p->last.priority : NAN;
	case M_HEALTH: return p->heard ? p->last.health : NAN;
	case M_AGE: return p->heard ? gt_to_sec(mono - p->last_heard_mono) : NAN;
	case M_SENT: return (double)s->sent;
	case M_ROLE_CHANGES: return (double)s->role_changes;
	case M_SEND_ERRORS: return (double)s->results[RES_SENT_ERR];
	}
	return NAN;
}

static void fam_results(const void *ctx, struct met_emit *em)
{
	const struct standby *s = ctx;
	int i;

	for (i = 0; i < RES_COUNT; i++)
		if (i != RES_SENT_ERR)
			met_emit(em, (double)s->results[i], "result", result_name(i), NULL);
}

static void fam_role(const void *ctx, struct met_emit *em)
{
	const struct standby *s = ctx;
	enum sb_role r;

	for (r = SB_ROLE_UNKNOWN; r <= SB_ROLE_MAX; r++)
		met_emit(em, s->role == r, "role", role_name(r), NULL);
}

static void fill_alarms(void *arg, struct alarm_inputs *in)
{
	struct standby *s = arg;
	struct sb_sample smp;
	bool lost = partner_lost(s, gt_now(CLOCK_MONOTONIC));

	in->partner_lost = (struct alarm_flag){ true, lost };
	/* Only a partner heard now, and synchronised, can disagree. */
	if (!lost && sb_peer_offset(&s->peer, &smp) && s->peer.last.leap != 3)
		in->partner_offset = (struct alarm_val){ true, gt_to_sec(smp.offset) };
}

void standby_register(struct standby *s, struct met_registry *reg, struct alarm_feed *feed)
{
	static const struct {
		const char *name, *help;
		enum met_kind kind;
		int key;
	} g[] = {
		{ "gnomon_standby_partner_up", "1 while the hot-standby partner's heartbeats "
		  "are heard", MET_GAUGE, M_UP },
		{ "gnomon_standby_partner_stratum", "the partner's stratum (16: unsynchronised)",
		  MET_GAUGE, M_STRATUM },
		{ "gnomon_standby_partner_root_distance_seconds", "the partner's root delay / 2 + "
		  "root dispersion", MET_GAUGE, M_RDIST },
		{ "gnomon_standby_partner_offset_seconds", "the partner's clock minus ours "
		  "(least-delay heartbeat exchange of the last 8)", MET_GAUGE, M_OFFSET },
		{ "gnomon_standby_partner_delay_seconds", "round trip of that exchange",
		  MET_GAUGE, M_DELAY },
		{ "gnomon_standby_partner_priority", "the partner's configured priority",
		  MET_GAUGE, M_PRIO },
		{ "gnomon_standby_partner_health", "the partner's health (0 synchronised, "
		  "1 degraded, 2 unsynchronised)", MET_GAUGE, M_HEALTH },
		{ "gnomon_standby_partner_last_heard_seconds", "time since the partner's last "
		  "accepted heartbeat", MET_GAUGE, M_AGE },
		{ "gnomon_standby_heartbeats_sent_total", "heartbeats sent", MET_COUNTER, M_SENT },
		{ "gnomon_standby_role_changes_total", "role changes keepalived notified",
		  MET_COUNTER, M_ROLE_CHANGES },
		{ "gnomon_standby_send_errors_total", "heartbeats that could not be sent",
		  MET_COUNTER, M_SEND_ERRORS },
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(g); i++)
		met_register(reg, g[i].name, g[i].help, g[i].kind, read_metric, s,
			     (uintptr_t)g[i].key);
	met_register_family(reg, "gnomon_standby_heartbeats_total", "heartbeats received, "
			    "by result (ok, or why refused)", MET_COUNTER, fam_results, s);
	met_register_family(reg, "gnomon_standby_role", "1 for the VRRP role keepalived "
			    "last notified (unknown, master, backup, fault)", MET_GAUGE, fam_role, s);
	if (feed)
		alarm_feed_add_input(feed, fill_alarms, s);
}
