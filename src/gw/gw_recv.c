#include "gw/gw_recv.h"

#include <errno.h>
#include <stddef.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gw/gw_gate.h"
#include "gw/gw_filter.h"
#include "gw/gw_state.h"
#include "lib/journal.h"
#include "lib/statefile.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "lib/util.h"
#include "mon/json.h"
#include "net/sock.h"
#include "auth/auth.h"

/* Messages kept for the two-step timestamp that a later one carries. */
#define HELD 32
/* Expected messages the loss percentage is taken over. */
#define LOSS_SPAN 100
/* The replay state is written about this often while messages come (and
 * at every new boot, and at exit), not at every message: flash wears. What
 * is accepted between two writes is covered by a reservation: the file
 * says numbers up to top + 2 * this period's worth are replays, so that
 * after a crash nothing accepted before it can be accepted again (at the
 * price of refusing up to that many genuine messages after a quick
 * restart). doc/gateway.md, "Replay state". */
#define STATE_PERIOD (30 * GT_NS_PER_S)

struct held {
	uint64_t seq;
	gt_ns rx_real;		/* kernel receive time, CLOCK_REALTIME */
	gt_ns send;		/* sender clock at sending, correction removed */
	gt_ns corr;
	bool used;
};

struct gw_receiver {
	struct gw_recv_cfg cfg;
	const struct auth_keys *keys;
	struct journal *journal;
	struct loop *loop;
	struct clk *clock;
	struct sync *sync;
	int fd;
	struct gw_seq *seq;
	uint32_t accepted[GW_MAX_RECV_KEYS * 4];
	size_t n_accepted;
	struct held held[HELD];
	struct gw_delay_window win;
	uint8_t loss_ring[LOSS_SPAN];	/* 1 received, 0 lost */
	int loss_n, loss_next;
	gt_ns last_valid_mono;		/* 0: never */
	gt_ns interval;			/* the sender's, ns */
	struct loop_timer *watch;
	struct gw_gate gate;		/* checks and commit (gw_gate: pure) */
	uint64_t reserved;		/* the floor the file says */
	bool have_reserved;
	char state_name[64];
	/* Journal records of rejected messages: at most REJECT_BUDGET per
	 * REJECT_PERIOD, the rest summed into one record, so that a flood
	 * cannot crowd everything else out of the journal. */
	gt_ns reject_period_start;
	unsigned reject_count, reject_suppressed;
	struct gw_recv_stats st;
};

#define REJECT_BUDGET 20
#define REJECT_PERIOD (10 * GT_NS_PER_S)

static void journal_reject(struct gw_receiver *r, const struct net_addr *from, const char *why,
			   const char *detail, uint64_t seq)
{
	gt_ns now = gt_now(CLOCK_MONOTONIC);
	struct journal_fields f;
	char a[NET_ADDR_STRLEN];

	if (!r->journal)
		return;
	if (now - r->reject_period_start > REJECT_PERIOD) {
		if (r->reject_suppressed)
			journal_event(r->journal, JOURNAL_WARNING, "GW_REJECT_SUPPRESSED", NULL,
				      "%u more rejected messages not journalled", r->reject_suppressed);
		r->reject_period_start = now;
		r->reject_count = r->reject_suppressed = 0;
	}
	if (r->reject_count >= REJECT_BUDGET) {
		r->reject_suppressed++;
		return;
	}
	r->reject_count++;
	journal_fields_init(&f);
	journal_field_str(&f, "from", net_addr_str(from, a, sizeof(a)));
	journal_field_str(&f, "reason", why);
	if (detail)
		journal_field_str(&f, "detail", detail);
	if (seq)
		journal_field_u64(&f, "seq", seq);
	journal_event(r->journal, JOURNAL_WARNING, "GW_REJECT", &f, "gateway message rejected");
}

static bool synced(const struct gw_receiver *r)
{
	struct sync_state st;

	sync_get_state(r->sync, &st);
	return st.synced;
}

static void loss_push(struct gw_receiver *r, uint8_t got)
{
	r->loss_ring[r->loss_next] = got;
	r->loss_next = (r->loss_next + 1) % LOSS_SPAN;
	if (r->loss_n < LOSS_SPAN)
		r->loss_n++;
}

/* A late message fills the most recent hole. */
static void loss_fill(struct gw_receiver *r)
{
	int i, k;

	for (i = 1; i <= r->loss_n; i++) {
		k = (r->loss_next - i + LOSS_SPAN) % LOSS_SPAN;
		if (!r->loss_ring[k]) {
			r->loss_ring[k] = 1;
			return;
		}
	}
}

static void update_loss(struct gw_receiver *r)
{
	int i, lost = 0;

	for (i = 0; i < r->loss_n; i++)
		lost += !r->loss_ring[i];
	r->st.loss_percent = r->loss_n ? 100.0 * lost / r->loss_n : 0;
	if (!r->st.loss_alarm && r->loss_n >= 20 && r->st.loss_percent > r->cfg.maxloss) {
		r->st.loss_alarm = true;
		r->st.loss_alarms++;
		LOG_WARN("gateway-receive: loss %.0f%% over the last %d messages (above %.1f%%)",
			 r->st.loss_percent, r->loss_n, r->cfg.maxloss);
		journal_event(r->journal, JOURNAL_WARNING, "GW_LOSS_ALARM", NULL,
			      "loss %.0f%% over the last %d messages (above %.1f%%)",
			      r->st.loss_percent, r->loss_n, r->cfg.maxloss);
	} else if (r->st.loss_alarm && r->st.loss_percent <= r->cfg.maxloss / 2) {
		r->st.loss_alarm = false;
		LOG_INFO("gateway-receive: loss back to %.0f%%", r->st.loss_percent);
		journal_event(r->journal, JOURNAL_NOTICE, "GW_LOSS_OK", NULL, "loss back to %.0f%%",
			      r->st.loss_percent);
	}
}

static void reset_sender_state(struct gw_receiver *r)
{
	memset(r->held, 0, sizeof(r->held));
	gw_window_reset(&r->win);
}

/* Each sample is taken from the window on the clock as it is when it
 * arrives (make_sample): a step needs nothing undone here. */
static bool describe(void *arg, int src, const struct sync_src_info *si, gt_ns now,
		     struct json_out *j);
static bool poll_reach(void *arg, int src, int *poll, unsigned *reach);

static const struct sync_source_ops receiver_ops = {
	.kind = "gateway",
	.describe = describe,
	.poll_reach = poll_reach,
};

/* One sample from the delay window, on the clock as it is now. */
static void make_sample(struct gw_receiver *r, const struct gw_msg *m, const struct net_addr *from)
{
	double offset, stat, jitter;
	struct clk_map map;
	struct sync_sample smp;
	char name[80], a[NET_ADDR_STRLEN];
	int p;

	r->clock->ops->get_map(r->clock, &map);
	if (!gw_window_sample(&r->win, &r->cfg.filter, &map, m, net_addr_refid(from), &smp,
			      &offset, &stat, &jitter))
		return;
	r->st.jitter = jitter;
	if (r->st.src < 0) {
		snprintf(name, sizeof(name), "gateway %s", net_addr_str(from, a, sizeof(a)));
		r->st.src = sync_add_source(r->sync, &receiver_ops, r, name, net_addr_refid(from), 0);
		if (r->st.src < 0)
			return;
	}
	r->st.samples++;
	r->st.last_offset = offset;
	r->st.last_delay = stat;
	/* A sample every window of messages. */
	p = gw_poll_exponent(r->interval * r->cfg.filter.window);
	sync_set_interval(r->sync, r->st.src, p);
	sync_add_sample(r->sync, r->st.src, &smp, gt_now(CLOCK_MONOTONIC));
}

/* CLOCK_MONOTONIC of the kernel's receive time (CLOCK_REALTIME): the
 * agreement compares label advances with it. */
static gt_ns rx_mono_of(gt_ns rx_real)
{
	gt_ns mono = gt_now(CLOCK_MONOTONIC), ago = gt_now(CLOCK_REALTIME) - rx_real;

	return ago > 0 && ago < GT_NS_PER_S ? mono - ago : mono;
}

static void state_event(struct gw_receiver *r, enum journal_sev lvl, const char *code,
			const char *what, int err)
{
	struct journal_fields f;

	journal_fields_init(&f);
	journal_field_str(&f, "dir", r->cfg.statedir);
	journal_field_str(&f, "file", r->state_name);
	if (err)
		journal_field_str(&f, "error", strerror(-err));
	journal_event(r->journal, lvl, code, &f, "%s", what);
}

/* Write the replay state: the floor is top itself at exit (exact), else
 * top plus a reservation of two STATE_PERIODs of messages. */
static void save_state(struct gw_receiver *r, bool exact)
{
	struct gw_rx_state st = { 0 };
	char buf[GW_STATE_MAX_LEN];
	uint64_t top, block;
	gt_ns iv = r->interval > 0 ? r->interval : GT_NS_PER_S;
	int n, rc;

	if (!r->cfg.statedir || !gw_seq_current(r->seq, &st.boot_id, &top))
		return;
	block = (uint64_t)(2 * STATE_PERIOD / iv) + 16;
	st.sender_id = r->st.sender_id;
	st.floor = exact ? top : top + block;
	st.label = r->gate.have_label ? r->gate.label_max : 0;
	st.n_old = gw_seq_old_boots(r->seq, st.old_boots, GW_SEQ_BOOT_HISTORY);
	n = gw_rx_state_format(&st, buf, sizeof(buf));
	rc = n < 0 ? n : statefile_write(r->cfg.statedir, r->state_name, buf, (size_t)n);
	if (rc) {
		if (!r->st.state_errors++ || !(r->st.state_errors & 63)) {
			LOG_ERR("gateway-receive: cannot write the replay state %s/%s: %s",
				r->cfg.statedir, r->state_name, strerror(-rc));
			state_event(r, JOURNAL_ERR, "GW_STATE_ERROR", "cannot write the replay state",
				    rc);
		}
		return;
	}
	r->st.state_writes++;
	r->reserved = st.floor;
	r->have_reserved = true;
}

/* After a commit: write when the boot changed or top is past half of the
 * reservation. */
static void maybe_save_state(struct gw_receiver *r, bool boot_changed)
{
	uint64_t top, block;
	gt_ns iv = r->interval > 0 ? r->interval : GT_NS_PER_S;

	if (!r->cfg.statedir || !gw_seq_current(r->seq, NULL, &top))
		return;
	block = (uint64_t)(2 * STATE_PERIOD / iv) + 16;
	if (boot_changed || !r->have_reserved || (int64_t)(top - (r->reserved - block / 2)) >= 0)
		save_state(r, false);
}

static void load_state(struct gw_receiver *r)
{
	char buf[GW_STATE_MAX_LEN + 1];
	struct gw_rx_state st;
	size_t len;
	int rc;

	r->st.state = "none";
	if (!r->cfg.statedir)
		return;
	if (r->cfg.sender_id)
		snprintf(r->state_name, sizeof(r->state_name), "gw-recv-%llu.state",
			 (unsigned long long)r->cfg.sender_id);
	else
		snprintf(r->state_name, sizeof(r->state_name), "gw-recv-any.state");
	rc = statefile_read(r->cfg.statedir, r->state_name, buf, sizeof(buf), &len);
	if (rc == -ENOENT) {
		/* The first start (commissioning): nothing to hold replays
		 * against but the agreement. */
		r->st.state = "missing";
		LOG_WARN("gateway-receive: no replay state %s/%s: first commissioning; the first "
			 "sample waits for %d agreeing messages", r->cfg.statedir, r->state_name,
			 r->cfg.agree);
		state_event(r, JOURNAL_WARNING, "GW_STATE_MISSING",
			    "no replay state: first commissioning", 0);
		return;
	}
	if (!rc) {
		rc = gw_rx_state_parse(buf, len, &st);
		if (!rc && r->cfg.sender_id && st.sender_id != r->cfg.sender_id)
			rc = -EINVAL;
	}
	if (rc) {
		/* Not trusted at all: it starts like a first commissioning, and
		 * the file is kept aside for the operator. */
		r->st.state = "corrupt";
		if (rc == -EINVAL || rc == -EFBIG)
			statefile_set_aside(r->cfg.statedir, r->state_name);
		LOG_ERR("gateway-receive: the replay state %s/%s is unusable (%s): ignored%s; the "
			"first sample waits for %d agreeing messages", r->cfg.statedir, r->state_name,
			rc == -EINVAL ? "corrupt" : strerror(-rc),
			rc == -EINVAL || rc == -EFBIG ? " and set aside as .corrupt" : "",
			r->cfg.agree);
		state_event(r, JOURNAL_ERR, "GW_STATE_CORRUPT", "replay state unusable: ignored", rc);
		return;
	}
	gw_seq_restore(r->seq, st.boot_id, st.floor, st.old_boots, st.n_old);
	gw_gate_restore_label(&r->gate, st.label);
	r->reserved = st.floor;
	r->have_reserved = true;
	r->st.state = "loaded";
	r->st.sender_id = st.sender_id;
	LOG_INFO("gateway-receive: replay state loaded: boot %016llx up to %llu, %u earlier boot(s)",
		 (unsigned long long)st.boot_id, (unsigned long long)st.floor, st.n_old);
}

/* Count, log and journal a message the gate refused. */
static void refused(struct gw_receiver *r, const struct gw_msg *m, const struct net_addr *from,
		    const struct gw_gate_out *o)
{
	const char *why = o->v == GW_GATE_SEQ ? gw_seq_verdict_name(o->sv) : gw_gate_verdict_name(o->v);

	switch (o->v) {
	case GW_GATE_SEQ:
		r->st.seq_verdict[o->sv]++;
		r->st.seq = *gw_seq_counters(r->seq);
		break;
	case GW_GATE_STALE: r->st.stale++; break;
	case GW_GATE_FUTURE: r->st.future++; break;
	case GW_GATE_BEFORE_FLOOR: r->st.before_floor++; break;
	default: return;
	}
	LOG_RL(LOG_LVL_WARN, "gateway-receive: message %llu of boot %016llx: %s",
	       (unsigned long long)m->seq, (unsigned long long)m->boot_id, why);
	journal_reject(r, from, why, NULL, m->seq);
}

static void handle(struct gw_receiver *r, const uint8_t *buf, size_t len,
		   const struct net_addr *from, gt_ns rx_real)
{
	struct gw_msg m;
	enum gw_msg_verdict v;
	enum gw_seq_verdict sv;
	struct gw_gate_in in;
	struct gw_gate_out o;
	uint64_t lost = 0;
	char a[NET_ADDR_STRLEN];
	bool pushed = false, restarted = false;
	int i;

	r->st.received++;
	if (r->cfg.has_from && memcmp(from, &r->cfg.from, sizeof(*from))) {
		r->st.wrong_source++;
		LOG_RL(LOG_LVL_WARN, "gateway-receive: message from %s, not from the configured "
		       "sender: dropped", net_addr_str(from, a, sizeof(a)));
		journal_reject(r, from, "wrong_source", NULL, 0);
		return;
	}
	v = gw_msg_decode(buf, len, r->keys, r->accepted, r->n_accepted, r->cfg.noauth, &m);
	r->st.verdict[v]++;
	if (v != GW_MSG_OK) {
		LOG_RL(LOG_LVL_WARN, "gateway-receive: message from %s rejected: %s%s%s",
		       net_addr_str(from, a, sizeof(a)), gw_msg_verdict_name(v),
		       v == GW_MSG_BAD_FIELD && m.bad_field ? " " : "",
		       v == GW_MSG_BAD_FIELD && m.bad_field ? m.bad_field : "");
		journal_reject(r, from, gw_msg_verdict_name(v),
			       v == GW_MSG_BAD_FIELD ? m.bad_field : NULL, 0);
		return;
	}
	if (r->cfg.sender_id && m.sender_id != r->cfg.sender_id) {
		r->st.wrong_sender++;
		LOG_RL(LOG_LVL_WARN, "gateway-receive: message of sender id %llu, not %llu: dropped",
		       (unsigned long long)m.sender_id, (unsigned long long)r->cfg.sender_id);
		journal_reject(r, from, "wrong_sender", NULL, m.seq);
		return;
	}
	/* Every check first, without side effects; the commit after all have
	 * passed. A message refused here changes nothing but its counter:
	 * one replayed message must not make an old boot current. */
	in = (struct gw_gate_in){ m.boot_id, m.seq, m.tx_time, rx_mono_of(rx_real), synced(r), 0,
				  (gt_ns)m.interval_ms * GT_NS_PER_MS };
	if (in.synced)
		in.clock_now = clk_from_real(r->clock, rx_real);
	gw_gate_judge(&r->gate, &in, &o);
	r->st.agreed = r->gate.agreed;
	if (o.v == GW_GATE_PENDING) {
		r->st.agree_pending++;
		if (o.conflict) {
			/* Two live boots of one sender: one is played back. */
			r->st.boot_conflicts++;
			LOG_RL(LOG_LVL_WARN, "gateway-receive: boot %016llx agrees while the current "
			       "boot is alive: not followed (a replay, or two senders with one id)",
			       (unsigned long long)m.boot_id);
			journal_reject(r, from, "boot_conflict", NULL, m.seq);
		}
		return;
	}
	if (o.v != GW_GATE_ACCEPT) {
		refused(r, &m, from, &o);
		return;
	}
	if (o.agreed_now) {
		r->st.agreements++;
		LOG_INFO("gateway-receive: %u consistent messages from %s (boot %016llx): agreed",
			 o.chain, net_addr_str(from, a, sizeof(a)), (unsigned long long)m.boot_id);
		journal_event_kv(r->journal, JOURNAL_NOTICE, "GW_AGREED",
				 "consistent messages: the receiver takes samples", "from", a, NULL);
	}
	sv = o.sv;
	lost = o.lost;
	restarted = o.restarted;
	r->st.seq_verdict[sv]++;
	r->st.seq = *gw_seq_counters(r->seq);
	r->interval = (gt_ns)m.interval_ms * GT_NS_PER_MS;
	r->st.sender_id = m.sender_id;
	maybe_save_state(r, restarted);
	if (restarted) {
		if (r->st.boot_id) {
			char b[20];

			LOG_WARN("gateway-receive: the sender restarted (boot %016llx, sequence %llu)",
				 (unsigned long long)m.boot_id, (unsigned long long)m.seq);
			snprintf(b, sizeof(b), "%016llx", (unsigned long long)m.boot_id);
			journal_event_kv(r->journal, JOURNAL_WARNING, "GW_RESTART", "the sender restarted",
					 "boot", b, NULL);
		}
		reset_sender_state(r);
	}
	switch (sv) {
	case GW_SEQ_GAP:
		LOG_RL(LOG_LVL_WARN, "gateway-receive: %llu message(s) lost before %llu",
		       (unsigned long long)lost, (unsigned long long)m.seq);
		{
			struct journal_fields f;

			journal_fields_init(&f);
			journal_field_u64(&f, "seq", m.seq);
			journal_field_u64(&f, "lost", lost);
			journal_field_u64(&f, "lost_total", r->st.seq.lost);
			journal_event(r->journal, JOURNAL_WARNING, "GW_GAP", &f, "messages lost");
		}
		for (uint64_t k = 0; k < lost && k < LOSS_SPAN; k++)
			loss_push(r, 0);
		loss_push(r, 1);
		break;
	case GW_SEQ_REORDERED:
		loss_fill(r);
		break;
	default:
		loss_push(r, 1);
		break;
	}
	update_loss(r);
	if (r->st.silent) {
		r->st.silent = false;
		LOG_INFO("gateway-receive: messages again from %s (gateway no longer silent)",
			 net_addr_str(from, a, sizeof(a)));
		journal_event_kv(r->journal, JOURNAL_NOTICE, "GW_RECOVERED",
				 "messages again: gateway no longer silent", "from", a, NULL);
	}
	r->last_valid_mono = gt_now(CLOCK_MONOTONIC);
	r->st.interval = m.interval_ms / 1000.0;
	r->st.boot_id = m.boot_id;
	r->st.last_seq = m.seq;
	r->st.sender_health = m.health;
	r->st.sender_flags = m.flags;
	r->st.sender_stratum = m.stratum;
	r->st.last_key = m.key_id;
	if (sv == GW_SEQ_REORDERED)
		return;		/* its delay would enter the window out of order */
	/* Two-step: this message carries the precise transmit time of an
	 * earlier one, which becomes the sample; without it, its own label.
	 * When the earlier one was lost nothing new enters the window, and
	 * no sample is made: the last one again would count twice. */
	if (m.flags & GW_FLAG_PREV_TX) {
		for (i = 0; i < HELD; i++) {
			struct held *h = &r->held[i];

			if (h->seq == m.prev_seq && h->rx_real && !h->used) {
				h->used = true;
				gw_window_push(&r->win, h->rx_real, m.prev_tx_time, h->corr);
				r->st.two_step++;
				pushed = true;
				break;
			}
		}
	} else {
		gw_window_push(&r->win, rx_real, m.tx_time - m.correction, m.correction);
		r->st.one_step++;
		pushed = true;
	}
	r->held[m.seq % HELD] = (struct held){ m.seq, rx_real, m.tx_time - m.correction,
						m.correction, false };
	if (!(m.flags & GW_FLAG_SYNC)) {
		r->st.sender_unsync++;
		return;
	}
	/* One sample per window of new delays: consecutive windows would
	 * share all but one delay, and the discipline would take their
	 * common error for wander (doc/gateway.md). */
	if (pushed && gw_window_due(&r->win, &r->cfg.filter, r->interval))
		make_sample(r, &m, from);
}

static void on_datagram(void *arg, const uint8_t *buf, size_t len, bool truncated,
			const struct net_addr *from, const struct sock_rx_info *rx)
{
	struct gw_receiver *r = arg;

	if (truncated) {
		r->st.received++;
		r->st.verdict[GW_MSG_BAD_LENGTH]++;
		return;
	}
	handle(r, buf, len, from, rx->rx_real);
}

static void on_readable(int fd, short revents, void *arg)
{
	uint8_t buf[GW_MSG_MAX_LEN + 64];

	(void)revents;
	sock_drain(fd, buf, sizeof(buf), 32, on_datagram, arg);
}

/* The silent alarm: no valid message for `silent` of the sender's
 * intervals (1 s until one has been heard). */
static void on_watch(struct loop_timer *t, void *arg)
{
	struct gw_receiver *r = arg;
	gt_ns now = gt_now(CLOCK_MONOTONIC), interval = r->interval ? r->interval : GT_NS_PER_S;
	gt_ns since = r->last_valid_mono ? now - r->last_valid_mono : 0;

	(void)t;
	r->st.since_last = r->last_valid_mono ? gt_to_sec(since) : -1;
	if (!r->st.silent && r->last_valid_mono && since > r->cfg.silent * interval) {
		r->st.silent = true;
		r->st.silent_alarms++;
		LOG_WARN("gateway-receive: gateway silent: no valid message for %.1f s (%d intervals)",
			 gt_to_sec(since), r->cfg.silent);
		journal_event(r->journal, JOURNAL_ERR, "GW_SILENT", NULL,
			      "gateway silent: no valid message for %.1f s (%d intervals)",
			      gt_to_sec(since), r->cfg.silent);
	}
}

void gw_receiver_keys_reloaded(struct gw_receiver *r)
{
	size_t n;

	if (r->cfg.n_keys || !r->keys)
		return;
	n = auth_key_ids(r->keys, AUTH_SHA256, r->accepted, ARRAY_LEN(r->accepted));
	r->n_accepted = n < ARRAY_LEN(r->accepted) ? n : ARRAY_LEN(r->accepted);
}

struct gw_receiver *gw_receiver_open(const struct gw_recv_cfg *cfg,
				     const struct auth_keys *keys, struct journal *journal,
				     int *err)
{
	struct gw_receiver *r = xcalloc(1, sizeof(*r));
	int rc;

	r->cfg = *cfg;
	r->keys = keys;
	r->journal = journal;
	r->st.src = -1;
	r->st.since_last = -1;
	r->fd = -1;
	if (cfg->n_keys) {
		memcpy(r->accepted, cfg->keys, sizeof(cfg->keys[0]) * (size_t)cfg->n_keys);
		r->n_accepted = (size_t)cfg->n_keys;
	} else if (keys) {
		/* Any SHA256 key of the key file. */
		r->n_accepted = auth_key_ids(keys, AUTH_SHA256, r->accepted,
						 ARRAY_LEN(r->accepted));
		if (r->n_accepted > ARRAY_LEN(r->accepted))
			r->n_accepted = ARRAY_LEN(r->accepted);
	}
	if (!r->n_accepted && !cfg->noauth) {
		rc = -ENOKEY;
		goto fail;
	}
	r->seq = gw_seq_create(GW_SEQ_DEFAULT_WINDOW);
	gw_gate_init(&r->gate, r->seq, (unsigned)cfg->agree, gt_from_sec(cfg->agreetol),
		     gt_from_sec(cfg->maxage));
	load_state(r);
	r->fd = sock_udp_open(&cfg->on, cfg->port, SOCK_RX_TIMESTAMP);
	if (r->fd < 0) {
		rc = r->fd;
		goto fail;
	}
	return r;
fail:
	*err = rc;
	gw_receiver_destroy(r);
	return NULL;
}

int gw_receiver_start(struct gw_receiver *r, struct loop *loop, struct clk *clock,
		      struct sync *sync)
{
	int rc;

	r->loop = loop;
	r->clock = clock;
	r->sync = sync;
	rc = loop_add_fd(loop, r->fd, POLLIN, on_readable, r);
	if (rc)
		return rc;
	r->watch = loop_timer_add(loop, GT_NS_PER_S / 4, GT_NS_PER_S / 4, on_watch, r);
	return r->watch ? 0 : -ENOMEM;
}

void gw_receiver_destroy(struct gw_receiver *r)
{
	if (!r)
		return;
	if (r->loop) {
		if (r->watch)
			loop_timer_cancel(r->loop, r->watch);
		loop_del_fd(r->loop, r->fd);
	}
	if (r->fd >= 0)
		close(r->fd);
	/* At exit the floor is exact: nothing above top was accepted. Only
	 * after messages were committed in this run (a state loaded and not
	 * added to is already on disk). */
	if (r->seq && r->st.seq.received)
		save_state(r, true);
	gw_seq_destroy(r->seq);
	free(r);
}

void gw_receiver_get_stats(const struct gw_receiver *r, struct gw_recv_stats *out)
{
	*out = r->st;
	if (r->last_valid_mono)
		out->since_last = gt_to_sec(gt_now(CLOCK_MONOTONIC) - r->last_valid_mono);
}

const struct gw_recv_cfg *gw_receiver_config(const struct gw_receiver *r)
{
	return &r->cfg;
}

/* Metric readers: key = offset in struct gw_recv_stats << 2 | type. */
enum { M_U64, M_DOUBLE, M_BOOL, M_PERCENT };

static double read_metric(const void *ctx, uintptr_t key)
{
	struct gw_recv_stats st;
	const char *p;

	gw_receiver_get_stats(ctx, &st);
	p = (const char *)&st + (key >> 2);
	switch (key & 3) {
	case M_U64: return (double)*(const uint64_t *)(const void *)p;
	case M_DOUBLE: return *(const double *)(const void *)p;
	case M_PERCENT: return *(const double *)(const void *)p / 100;	/* a ratio */
	default: return *(const bool *)(const void *)p ? 1 : 0;
	}
}

#define KEY(field, type) ((uintptr_t)offsetof(struct gw_recv_stats, field) << 2 | (type))

int gw_receiver_register_metrics(const struct gw_receiver *r, struct met_registry *reg)
{
	static const struct { const char *name, *help; uintptr_t key; enum met_kind kind; } m[] = {
		{ "received_total", "gateway datagrams received", KEY(received, M_U64), MET_COUNTER },
		{ "wrong_source_total", "messages not from the configured address",
		  KEY(wrong_source, M_U64), MET_COUNTER },
		{ "wrong_sender_total", "messages of another sender id", KEY(wrong_sender, M_U64),
		  MET_COUNTER },
		{ "stale_total", "messages older than maxage", KEY(stale, M_U64), MET_COUNTER },
		{ "future_total", "messages from further ahead than maxage", KEY(future, M_U64),
		  MET_COUNTER },
		{ "in_order_total", "messages in sequence", KEY(seq.in_order, M_U64), MET_COUNTER },
		{ "gaps_total", "gaps in the sequence", KEY(seq.gaps, M_U64), MET_COUNTER },
		{ "lost_total", "messages lost (net of late arrivals)", KEY(seq.lost, M_U64),
		  MET_COUNTER },
		{ "reordered_total", "messages that came late", KEY(seq.reordered, M_U64),
		  MET_COUNTER },
		{ "duplicates_total", "messages seen twice", KEY(seq.duplicates, M_U64), MET_COUNTER },
		{ "replays_total", "messages older than the replay window or of an old boot",
		  KEY(seq.replays, M_U64), MET_COUNTER },
		{ "restarts_total", "sender restarts (new boot id)", KEY(seq.restarts, M_U64),
		  MET_COUNTER },
		{ "samples_total", "samples handed to the discipline", KEY(samples, M_U64),
		  MET_COUNTER },
		{ "two_step_total", "delays from two-step transmit timestamps", KEY(two_step, M_U64),
		  MET_COUNTER },
		{ "sender_unsync_total", "messages of an unsynchronised sender",
		  KEY(sender_unsync, M_U64), MET_COUNTER },
		{ "silent_alarms_total", "gateway silent alarms raised", KEY(silent_alarms, M_U64),
		  MET_COUNTER },
		{ "loss_alarms_total", "loss alarms raised", KEY(loss_alarms, M_U64), MET_COUNTER },
		{ "silent", "1 while the gateway is silent", KEY(silent, M_BOOL), MET_GAUGE },
		{ "loss_alarm", "1 while loss is above maxloss", KEY(loss_alarm, M_BOOL), MET_GAUGE },
		{ "loss_ratio", "loss over the last 100 expected messages (0..1)",
		  KEY(loss_percent, M_PERCENT), MET_GAUGE },
		{ "offset_seconds", "last offset handed to the discipline", KEY(last_offset, M_DOUBLE),
		  MET_GAUGE },
		{ "delay_seconds", "the filter's last one-way delay statistic",
		  KEY(last_delay, M_DOUBLE), MET_GAUGE },
		{ "jitter_seconds", "spread of the window's delays", KEY(jitter, M_DOUBLE), MET_GAUGE },
		{ "since_last_seconds", "time since the last valid message", KEY(since_last, M_DOUBLE),
		  MET_GAUGE },
	};
	char name[64];
	size_t i;
	int v, rc = 0;

	for (i = 0; i < ARRAY_LEN(m); i++) {
		snprintf(name, sizeof(name), "gnomon_gateway_rx_%s", m[i].name);
		rc |= met_register(reg, name, m[i].help, m[i].kind, read_metric, r, m[i].key);
	}
	for (v = 1; v < GW_MSG_VERDICT_COUNT; v++) {
		snprintf(name, sizeof(name), "gnomon_gateway_rx_rejected_%s_total",
			 gw_msg_verdict_name(v));
		rc |= met_register(reg, name, "gateway messages rejected by reason", MET_COUNTER,
				   read_metric, r, KEY(verdict, M_U64) + ((uintptr_t)v * 8 << 2));
	}
	return rc;
}

/* No polls to count: the register is all ones while messages come. */
static bool poll_reach(void *arg, int src, int *poll, unsigned *reach)
{
	struct gw_receiver *r = arg;
	struct gw_recv_stats gs;

	gw_receiver_get_stats(r, &gs);
	if (gs.src != src)
		return false;
	*poll = gw_poll_exponent(gt_from_sec(gs.interval));
	*reach = gs.silent ? 0 : 0377;
	return true;
}

static bool describe(void *arg, int src, const struct sync_src_info *si, gt_ns now,
		     struct json_out *j)
{
	struct gw_receiver *r = arg;
	struct gw_recv_stats gs;

	(void)si;
	(void)now;
	gw_receiver_get_stats(r, &gs);
	if (gs.src != src)
		return false;
	json_str(j, "mode", "gateway");
	json_i64(j, "poll", gw_poll_exponent(gt_from_sec(gs.interval)));
	/* No polls to count: all ones while messages come. */
	json_u64(j, "reach", gs.silent ? 0 : 0377);
	json_double(j, "last_rx_ago", gs.since_last);
	json_u64(j, "accepted", gs.verdict[GW_MSG_OK]);
	return true;
}
