/* ptp_port: one port of the PTP clock (IEEE 1588-2019 §9): its state,
 * its timers, and the messages it sends and takes. The BMCA and the state
 * machine are pure functions (ptp_bmc); the clock (ptp.c) runs the state
 * decision over all ports and turns measurements into samples. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "lib/util.h"
#include "ptp/ptp_int.h"

#define DRAIN_MAX 64
/* A Follow_Up, Delay_Resp or Pdelay response later than this after its
 * Sync or request belongs to an exchange we have given up. */
#define LATE_NS (2 * GT_NS_PER_S)
/* logMessageInterval of messages that carry none (§13.3.2.14 Table 42). */
#define LOG_NONE 0x7F

gt_ns ptp_interval_ns(int log)
{
	return log >= 0 ? GT_NS_PER_S << log : GT_NS_PER_S >> -log;
}

static gt_ns mono_now(void)
{
	return gt_now(CLOCK_MONOTONIC);
}

/* xorshift64*: the Delay_Req spacing only needs to differ between slaves. */
static uint64_t port_random(struct ptp_port *pt)
{
	static uint64_t state;

	if (!state)
		state = (uint64_t)gt_now(CLOCK_REALTIME) ^ ((uint64_t)pt->id.clock.id[7] << 32) ^
			(uint64_t)pt->number;
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return state * UINT64_C(2685821657736338717);
}

/* §9.5.11.2: the next Delay_Req after a random time uniform in
 * [0, 2^(logMinDelayReqInterval + 1)] s. */
static void schedule_dreq(struct ptp_port *pt, gt_ns mono, int log)
{
	gt_ns span = 2 * ptp_interval_ns(log);

	pt->next_dreq = mono + (gt_ns)(port_random(pt) % (uint64_t)(span + 1));
}

static bool is_slave(enum ptp_port_state s)
{
	return s == PTP_PS_SLAVE || s == PTP_PS_UNCALIBRATED;
}

/* The port takes part in the protocol (§9.2.5: not INITIALIZING,
 * FAULTY or DISABLED). */
static bool is_active(enum ptp_port_state s)
{
	return s != PTP_PS_INITIALIZING && s != PTP_PS_FAULTY && s != PTP_PS_DISABLED;
}

/* A timestamp of this port's transport on the local clock. */
static gt_ns to_clock(const struct ptp_port *pt, gt_ns ts)
{
	return ptp_net_hw(pt->net) ? ts : clk_from_real(pt->clk->clock, ts);
}

/* The parent's timescale to ours: a master on the PTP timescale sends TAI
 * (§7.2.1), which is UTC + currentUtcOffset; one on an ARB timescale
 * (ptp4l with software timestamps) sends the system's UTC as it is. */
static gt_ns master_to_clock(const struct ptp_port *pt, gt_ns t)
{
	const struct ptp_time_props_ds *tp = &pt->clk->tprops;

	if (!tp->ptp_timescale)
		return t;
	return t - (gt_ns)tp->utc_offset * GT_NS_PER_S;
}

static void reset_slave(struct ptp_port *pt)
{
	memset(&pt->sync_wait, 0, sizeof(pt->sync_wait));
	memset(&pt->sync, 0, sizeof(pt->sync));
	memset(&pt->dreq, 0, sizeof(pt->dreq));
	pt->next_dreq = 0;
	pt->have_measure = false;
	pt->unselected_run = 0;
}

void ptp_port_clock_stepped(struct ptp_port *pt)
{
	reset_slave(pt);
	memset(&pt->pd, 0, sizeof(pt->pd));
}

static void port_fault(struct ptp_port *pt, int err);

int ptp_port_send(struct ptp_port *pt, struct ptp_msg *m, enum ptp_dest dest,
		  const struct ptp_addr *to, gt_ns *tx_ts)
{
	uint8_t buf[PTP_MAX_MSG];
	size_t len;
	int rc;

	m->h.version = PTP_VERSION;
	m->h.domain = pt->clk->cfg.domain;
	m->h.source = pt->id;
	len = ptp_msg_encode(buf, sizeof(buf), m);
	if (!len) {
		pt->tx_errors++;
		return -EINVAL;
	}
	rc = ptp_net_send(pt->net, ptp_is_event(m->h.type) ? PTP_CH_EVENT : PTP_CH_GENERAL, dest,
			  to, buf, len, tx_ts);
	if (rc == -ETIME) {
		pt->tx_no_ts++;
		pt->tx[m->h.type & 15]++;
		return rc;
	}
	if (rc) {
		pt->tx_errors++;
		LOG_RL(LOG_LVL_WARN, "ptp-port %s: cannot send %s: %s", pt->cfg.ifname,
		       ptp_msgtype_name(m->h.type), strerror(-rc));
		if (ptp_net_dead(rc))
			port_fault(pt, rc);
		return rc;
	}
	pt->tx[m->h.type & 15]++;
	return 0;
}

static void msg_init(struct ptp_msg *m, unsigned type, int8_t log_interval)
{
	memset(m, 0, sizeof(*m));
	m->h.type = (uint8_t)type;
	m->h.log_interval = log_interval;
}

/* ---- master side ---- */

static void send_announce(struct ptp_port *pt)
{
	struct ptp *p = pt->clk;
	const struct ptp_time_props_ds *tp = &p->tprops;
	struct ptp_msg m;

	ptp_clock_refresh(p);
	msg_init(&m, PTP_ANNOUNCE, pt->cfg.log_announce);
	m.h.seq = pt->seq_announce++;
	m.h.flags = (uint16_t)((tp->leap61 ? PTP_FLAG_LEAP61 : 0) | (tp->leap59 ? PTP_FLAG_LEAP59 : 0) |
			       (tp->utc_offset_valid ? PTP_FLAG_UTC_VALID : 0) |
			       (tp->ptp_timescale ? PTP_FLAG_TIMESCALE : 0) |
			       (tp->time_traceable ? PTP_FLAG_TIME_TRACEABLE : 0) |
			       (tp->freq_traceable ? PTP_FLAG_FREQ_TRACEABLE : 0));
	m.u.announce.origin = ptp_ts_from_ns(ptp_clock_ptp_time(p, gt_now(CLOCK_REALTIME), false));
	m.u.announce.utc_offset = tp->utc_offset;
	/* §13.5.2: the grandmaster's data as this clock knows it (the parent
	 * data set) and stepsRemoved as in the current data set. */
	m.u.announce.gm_priority1 = p->parent.gm_priority1;
	m.u.announce.gm_priority2 = p->parent.gm_priority2;
	m.u.announce.gm_quality = p->parent.gm_quality;
	m.u.announce.gm_identity = p->parent.gm_identity;
	m.u.announce.steps_removed = p->steps_removed;
	m.u.announce.time_source = tp->time_source;
	ptp_port_send(pt, &m, PTP_DST_PRIMARY, NULL, NULL);
}

/* A two-step Sync (§11.3.2, §9.5.9): the Follow_Up carries the time the
 * Sync left, read from the kernel's transmit timestamp. */
static void send_sync(struct ptp_port *pt)
{
	struct ptp *p = pt->clk;
	struct ptp_msg m;
	gt_ns tx = 0;
	uint16_t seq = pt->seq_sync++;

	msg_init(&m, PTP_SYNC, pt->cfg.log_sync);
	m.h.seq = seq;
	m.h.flags = PTP_FLAG_TWO_STEP;
	m.u.origin = ptp_ts_from_ns(ptp_clock_ptp_time(p, gt_now(CLOCK_REALTIME), false));
	if (ptp_port_send(pt, &m, PTP_DST_PRIMARY, NULL, &tx) || !tx)
		return;
	msg_init(&m, PTP_FOLLOW_UP, pt->cfg.log_sync);
	m.h.seq = seq;
	m.u.origin = ptp_ts_from_ns(ptp_clock_ptp_time(p, tx, ptp_net_hw(pt->net)));
	ptp_port_send(pt, &m, PTP_DST_PRIMARY, NULL, NULL);
}

/* §11.3.2 c): the receive time of a Delay_Req, its correctionField
 * carried back so that the slave can take out the residence times of
 * transparent clocks on the way. */
static void answer_delay_req(struct ptp_port *pt, const struct ptp_msg *req, gt_ns rx,
			     const struct ptp_addr *from)
{
	struct ptp *p = pt->clk;
	bool unicast = req->h.flags & PTP_FLAG_UNICAST;
	struct ptp_msg m;

	msg_init(&m, PTP_DELAY_RESP, pt->cfg.log_delayreq);
	m.h.seq = req->h.seq;
	m.h.correction = req->h.correction;
	m.h.flags = unicast ? PTP_FLAG_UNICAST : 0;
	m.u.resp.ts = ptp_ts_from_ns(ptp_clock_ptp_time(p, rx, ptp_net_hw(pt->net)));
	m.u.resp.requesting = req->h.source;
	ptp_port_send(pt, &m, unicast ? PTP_DST_UNICAST : PTP_DST_PRIMARY, unicast ? from : NULL,
		      NULL);
}

/* §11.4.2 c) 4) ii: two-step responder; the Pdelay_Resp gives t2, the
 * Pdelay_Resp_Follow_Up t3 from the transmit timestamp. */
static void answer_pdelay_req(struct ptp_port *pt, const struct ptp_msg *req, gt_ns rx)
{
	struct ptp *p = pt->clk;
	bool hw = ptp_net_hw(pt->net);
	struct ptp_msg m;
	gt_ns tx = 0;

	msg_init(&m, PTP_PDELAY_RESP, LOG_NONE);
	m.h.seq = req->h.seq;
	m.h.flags = PTP_FLAG_TWO_STEP;
	m.u.resp.ts = ptp_ts_from_ns(ptp_clock_ptp_time(p, rx, hw));
	m.u.resp.requesting = req->h.source;
	if (ptp_port_send(pt, &m, PTP_DST_PDELAY, NULL, &tx) || !tx)
		return;
	msg_init(&m, PTP_PDELAY_RESP_FUP, LOG_NONE);
	m.h.seq = req->h.seq;
	m.h.correction = req->h.correction;
	m.u.resp.ts = ptp_ts_from_ns(ptp_clock_ptp_time(p, tx, hw));
	m.u.resp.requesting = req->h.source;
	ptp_port_send(pt, &m, PTP_DST_PDELAY, NULL, NULL);
}

/* ---- slave side ---- */

/* Each Sync's offset takes the path delay as it is: a single noisy
 * measurement would pass its noise to every Sync until the next. A moving
 * median, as ptp4l's delay filter, keeps an outlier out. */
static void delay_filter_add(struct ptp_port *pt, gt_ns d)
{
	gt_ns sorted[PTP_PD_FILTER];
	int i, k;

	if (d < 0)
		d = 0;
	pt->pd_hist[pt->pd_at] = d;
	pt->pd_at = (pt->pd_at + 1) % PTP_PD_FILTER;
	if (pt->pd_n < PTP_PD_FILTER)
		pt->pd_n++;
	for (i = 0; i < pt->pd_n; i++) {
		gt_ns v = pt->pd_hist[i];

		for (k = i; k > 0 && sorted[k - 1] > v; k--)
			sorted[k] = sorted[k - 1];
		sorted[k] = v;
	}
	pt->path_delay = pt->pd_n % 2 ? sorted[pt->pd_n / 2] :
		(sorted[pt->pd_n / 2 - 1] + sorted[pt->pd_n / 2]) / 2;
	pt->have_path_delay = true;
}

static void send_delay_req(struct ptp_port *pt, gt_ns mono)
{
	struct ptp *p = pt->clk;
	struct ptp_msg m;
	gt_ns tx = 0;

	msg_init(&m, PTP_DELAY_REQ, LOG_NONE);
	m.h.seq = ++pt->seq_dreq;
	/* §11.3.2 a): originTimestamp need only be close; t3 is the transmit
	 * timestamp. */
	m.u.origin = ptp_ts_from_ns(ptp_clock_ptp_time(p, gt_now(CLOCK_REALTIME), false));
	pt->dreq.pending = false;
	if (ptp_port_send(pt, &m, PTP_DST_PRIMARY, NULL, &tx) || !tx)
		return;
	pt->dreq.pending = true;
	pt->dreq.seq = m.h.seq;
	pt->dreq.t1 = pt->sync.t1;
	pt->dreq.t2 = pt->sync.t2;
	pt->dreq.t3 = to_clock(pt, tx);
	pt->dreq.mono = mono;
}

/* A Sync is complete (t1 known): with P2P it is a measurement by itself
 * (the path delay is the link's, measured by the peer delay exchange);
 * with E2E the Delay_Req goes right after it, so that the Sync and the
 * Delay_Req a sample pairs are microseconds apart and a frequency error
 * of the clock cannot bias the offset. */
static void sync_complete(struct ptp_port *pt, gt_ns t1_master, gt_ns t2, gt_ns mono)
{
	gt_ns t1 = master_to_clock(pt, t1_master);

	pt->sync.valid = true;
	pt->sync.t1 = t1;
	pt->sync.t2 = t2;
	pt->sync.mono = mono;
	if (pt->clk->cfg.servo == PTP_SERVO_PI) {
		ptp_clock_pi_sync(pt->clk, pt, t1, t2);
		if (!pt->sync.valid)
			return;	/* it stepped the clock: this Sync's t2 is void */
	}
	if (pt->cfg.delay == PTP_DELAY_P2P) {
		if (pt->have_path_delay && pt->clk->cfg.servo == PTP_SERVO_CORE)
			ptp_clock_sample(pt->clk, pt, t1, t2, t2, t1 + 2 * pt->path_delay);
		return;
	}
	if (mono >= pt->next_dreq) {
		send_delay_req(pt, mono);
		schedule_dreq(pt, mono, pt->cfg.log_delayreq);
	}
}

static void rx_sync(struct ptp_port *pt, const struct ptp_msg *m, gt_ns rx, gt_ns mono)
{
	gt_ns t2 = to_clock(pt, rx);

	if (m->h.log_interval >= -7 && m->h.log_interval <= 7)
		pt->master_log_sync = m->h.log_interval;
	if (m->h.flags & PTP_FLAG_TWO_STEP) {
		pt->sync_wait.waiting = true;
		pt->sync_wait.seq = m->h.seq;
		pt->sync_wait.t2 = t2;
		pt->sync_wait.corr = ptp_corr_to_ns(m->h.correction);
		pt->sync_wait.at = mono;
		return;
	}
	pt->sync_wait.waiting = false;
	sync_complete(pt, ptp_ts_to_ns(&m->u.origin) + ptp_corr_to_ns(m->h.correction), t2, mono);
}

static void rx_follow_up(struct ptp_port *pt, const struct ptp_msg *m, gt_ns mono)
{
	if (!pt->sync_wait.waiting || m->h.seq != pt->sync_wait.seq) {
		pt->drop[PTP_DROP_SEQUENCE]++;
		return;
	}
	pt->sync_wait.waiting = false;
	if (mono - pt->sync_wait.at > LATE_NS) {
		pt->drop[PTP_DROP_TOO_OLD]++;
		return;
	}
	/* §11.3.2: t1 = preciseOriginTimestamp + the corrections of the Sync
	 * and of the Follow_Up. */
	sync_complete(pt, ptp_ts_to_ns(&m->u.origin) + pt->sync_wait.corr +
		      ptp_corr_to_ns(m->h.correction), pt->sync_wait.t2, mono);
}

static void rx_delay_resp(struct ptp_port *pt, const struct ptp_msg *m, gt_ns mono)
{
	gt_ns t4;

	if (!ptp_port_id_eq(&m->u.resp.requesting, &pt->id))
		return;		/* another slave's answer: not ours to count */
	if (!pt->dreq.pending || m->h.seq != pt->dreq.seq) {
		pt->drop[PTP_DROP_SEQUENCE]++;
		return;
	}
	pt->dreq.pending = false;
	if (mono - pt->dreq.mono > LATE_NS) {
		pt->drop[PTP_DROP_TOO_OLD]++;
		return;
	}
	/* §11.3.2 d): the master's receive time less the residence times the
	 * Delay_Req gathered on its way. */
	t4 = master_to_clock(pt, ptp_ts_to_ns(&m->u.resp.ts) - ptp_corr_to_ns(m->h.correction));
	/* §9.5.11.2: the master's logMinDelayReqInterval rules the slave's. */
	if (m->h.log_interval >= -7 && m->h.log_interval <= 7)
		pt->cfg.log_delayreq = m->h.log_interval;
	if (pt->clk->cfg.servo == PTP_SERVO_PI) {
		/* ptp4l's way: the mean path delay filtered, for the Syncs */
		delay_filter_add(pt, ((pt->dreq.t2 - pt->dreq.t1) + (t4 - pt->dreq.t3)) / 2);
		pt->last_delay = pt->path_delay;
		return;
	}
	ptp_clock_sample(pt->clk, pt, pt->dreq.t1, pt->dreq.t2, pt->dreq.t3, t4);
}

/* ---- peer delay (§11.4) ---- */

static void send_pdelay_req(struct ptp_port *pt)
{
	struct ptp_msg m;
	gt_ns tx = 0;

	msg_init(&m, PTP_PDELAY_REQ, LOG_NONE);
	m.h.seq = ++pt->seq_pdelay;
	memset(&pt->pd, 0, sizeof(pt->pd));
	if (ptp_port_send(pt, &m, PTP_DST_PDELAY, NULL, &tx) || !tx)
		return;
	pt->pd.pending = true;
	pt->pd.seq = m.h.seq;
	pt->pd.t1 = to_clock(pt, tx);
	pt->pd.mono = mono_now();
}

static void pdelay_done(struct ptp_port *pt)
{
	/* §11.4.3: [(t4 - t1) - (t3 - t2) - corrections] / 2; the
	 * responder's times are on its own clock, only their difference
	 * counts. */
	gt_ns d = ((pt->pd.t4 - pt->pd.t1) - (pt->pd.t3 - pt->pd.t2) - pt->pd.corr) / 2;

	pt->pd.pending = false;
	LOG_DEBUG("ptp-port %s: peer delay %lld ns (t4-t1 %lld, t3-t2 %lld, corrections %lld)",
		  pt->cfg.ifname, (long long)d, (long long)(pt->pd.t4 - pt->pd.t1),
		  (long long)(pt->pd.t3 - pt->pd.t2), (long long)pt->pd.corr);
	delay_filter_add(pt, d);
}

static void rx_pdelay_resp(struct ptp_port *pt, const struct ptp_msg *m, gt_ns rx, gt_ns mono)
{
	if (!ptp_port_id_eq(&m->u.resp.requesting, &pt->id))
		return;
	if (!pt->pd.pending || m->h.seq != pt->pd.seq || pt->pd.have_resp) {
		pt->drop[PTP_DROP_SEQUENCE]++;
		return;
	}
	if (mono - pt->pd.mono > LATE_NS) {
		pt->drop[PTP_DROP_TOO_OLD]++;
		pt->pd.pending = false;
		return;
	}
	pt->pd.have_resp = true;
	pt->pd.responder = m->h.source;
	pt->pd.t4 = to_clock(pt, rx);
	pt->pd.corr = ptp_corr_to_ns(m->h.correction);
	if (m->h.flags & PTP_FLAG_TWO_STEP) {
		pt->pd.t2 = ptp_ts_to_ns(&m->u.resp.ts);
		return;
	}
	/* One-step responder: the turnaround is in the correction. */
	pt->pd.t2 = pt->pd.t3 = 0;
	pdelay_done(pt);
}

static void rx_pdelay_fup(struct ptp_port *pt, const struct ptp_msg *m)
{
	if (!ptp_port_id_eq(&m->u.resp.requesting, &pt->id))
		return;
	if (!pt->pd.pending || !pt->pd.have_resp || m->h.seq != pt->pd.seq ||
	    !ptp_port_id_eq(&m->h.source, &pt->pd.responder)) {
		pt->drop[PTP_DROP_SEQUENCE]++;
		return;
	}
	pt->pd.t3 = ptp_ts_to_ns(&m->u.resp.ts);
	pt->pd.corr += ptp_corr_to_ns(m->h.correction);
	pdelay_done(pt);
}

/* ---- input ---- */

static bool from_parent(const struct ptp_port *pt, const struct ptp_msg *m)
{
	return is_slave(pt->state) && pt->have_parent && ptp_port_id_eq(&m->h.source, &pt->parent);
}

static void handle(struct ptp_port *pt, const uint8_t *buf, size_t len,
		   const struct ptp_addr *from, gt_ns rx)
{
	struct ptp *p = pt->clk;
	struct ptp_msg m;
	gt_ns mono = mono_now();
	int rc = ptp_msg_parse(buf, len, &m);

	if (rc) {
		pt->drop[PTP_DROP_MALFORMED]++;
		if (-rc < (int)ARRAY_LEN(pt->parse_err))
			pt->parse_err[-rc]++;
		LOG_RL(LOG_LVL_DEBUG, "ptp-port %s: dropped a malformed message (%s)",
		       pt->cfg.ifname, ptp_parse_err_name(rc));
		return;
	}
	pt->rx[m.h.type & 15]++;
	if (ptp_clock_id_eq(&m.h.source.clock, &p->dds.identity)) {
		pt->drop[PTP_DROP_OWN]++;
		return;
	}
	if (m.h.domain != p->cfg.domain) {
		pt->drop[PTP_DROP_DOMAIN]++;
		return;
	}
	if (!is_active(pt->state)) {
		pt->drop[PTP_DROP_STATE]++;
		return;
	}
	if (ptp_is_event(m.h.type) && !rx) {
		pt->drop[PTP_DROP_NO_TIMESTAMP]++;
		return;
	}
	switch (m.h.type) {
	case PTP_ANNOUNCE:
		pt->last_announce = mono;
		if (ptp_foreign_add(&pt->foreign, &m, mono, ptp_interval_ns(pt->cfg.log_announce)))
			pt->decision_due = true;
		if (pt->have_parent && ptp_port_id_eq(&m.h.source, &pt->parent)) {
			pt->last_parent_announce = mono;
			pt->decision_due = true;	/* its data may have changed */
		}
		break;
	case PTP_SYNC:
		if (!from_parent(pt, &m))
			pt->drop[is_slave(pt->state) ? PTP_DROP_NOT_PARENT : PTP_DROP_STATE]++;
		else
			rx_sync(pt, &m, rx, mono);
		break;
	case PTP_FOLLOW_UP:
		if (!from_parent(pt, &m))
			pt->drop[is_slave(pt->state) ? PTP_DROP_NOT_PARENT : PTP_DROP_STATE]++;
		else
			rx_follow_up(pt, &m, mono);
		break;
	case PTP_DELAY_REQ:
		if (pt->state != PTP_PS_MASTER || pt->cfg.delay != PTP_DELAY_E2E)
			pt->drop[PTP_DROP_STATE]++;
		else
			answer_delay_req(pt, &m, rx, from);
		break;
	case PTP_DELAY_RESP:
		if (!from_parent(pt, &m) || pt->cfg.delay != PTP_DELAY_E2E)
			pt->drop[is_slave(pt->state) ? PTP_DROP_NOT_PARENT : PTP_DROP_STATE]++;
		else
			rx_delay_resp(pt, &m, mono);
		break;
	case PTP_PDELAY_REQ:
		if (pt->cfg.delay != PTP_DELAY_P2P)
			pt->drop[PTP_DROP_STATE]++;
		else
			answer_pdelay_req(pt, &m, rx);
		break;
	case PTP_PDELAY_RESP:
		if (pt->cfg.delay != PTP_DELAY_P2P)
			pt->drop[PTP_DROP_STATE]++;
		else
			rx_pdelay_resp(pt, &m, rx, mono);
		break;
	case PTP_PDELAY_RESP_FUP:
		if (pt->cfg.delay != PTP_DELAY_P2P)
			pt->drop[PTP_DROP_STATE]++;
		else
			rx_pdelay_fup(pt, &m);
		break;
	case PTP_MANAGEMENT:
		ptp_mgmt_handle(p, pt, &m, from);
		break;
	default:	/* Signaling: nothing we negotiate (§16.1 unicast) */
		break;
	}
}

static void drain(struct ptp_port *pt, enum ptp_chan ch)
{
	uint8_t buf[PTP_MAX_MSG];
	int k;

	for (k = 0; k < DRAIN_MAX; k++) {
		struct ptp_addr from;
		gt_ns rx = 0;
		ssize_t n = ptp_net_recv(pt->net, ch, buf, sizeof(buf), &from, &rx);

		if (n == -EMSGSIZE) {
			pt->drop[PTP_DROP_TRUNCATED]++;
			continue;
		}
		if (n < 0)
			return;
		handle(pt, buf, (size_t)n, &from, rx);
	}
}

/* The port's sockets failed for good (its interface was removed or went
 * down): FAULTY (§9.2.5), its sockets no longer watched, or poll would
 * report the error forever and the loop would spin. A restart of gnomond
 * opens the port again. */
static void port_fault(struct ptp_port *pt, int err)
{
	int fds[2], n, i;
	enum ptp_chan ch[2];

	if (pt->faulty)
		return;
	pt->faulty = true;
	LOG_ERR("ptp-port %s: %s: the port is FAULTY until gnomond is restarted", pt->cfg.ifname,
		strerror(-err));
	n = ptp_net_fds(pt->net, fds, ch);
	for (i = 0; i < n; i++)
		loop_del_fd(pt->clk->loop, fds[i]);
	ptp_port_event(pt, PTP_EV_FAULT_DETECTED, false);
}

static void on_fd(struct ptp_port *pt, enum ptp_chan ch, short revents)
{
	int rc;

	if (revents & (POLLERR | POLLNVAL)) {
		rc = revents & POLLNVAL ? -EBADF : ptp_net_check_error(pt->net, ch);
		if (rc) {
			port_fault(pt, rc);
			return;
		}
	}
	if (revents & POLLIN)
		drain(pt, ch);
}

static void on_event_fd(int fd, short revents, void *arg)
{
	(void)fd;
	on_fd(arg, PTP_CH_EVENT, revents);
}

static void on_general_fd(int fd, short revents, void *arg)
{
	(void)fd;
	on_fd(arg, PTP_CH_GENERAL, revents);
}

/* ---- states and timers ---- */

void ptp_port_event(struct ptp_port *pt, enum ptp_fsm_event ev, bool new_master)
{
	bool slave_only = pt->cfg.role == PTP_ROLE_SLAVE;
	enum ptp_port_state old = pt->state;
	enum ptp_port_state st = ptp_fsm_next(old, ev, new_master, slave_only);
	gt_ns mono = mono_now();

	if (st == old && !(new_master && is_slave(st)))
		return;
	pt->state = st;
	pt->entered = mono;
	if (!is_slave(st) || new_master) {
		reset_slave(pt);
		if (!is_slave(st))
			pt->have_parent = false;
		if (pt->clk->cfg.servo == PTP_SERVO_PI && pt->cfg.delay == PTP_DELAY_E2E) {
			pt->pd_n = pt->pd_at = 0;	/* another master, another path */
			pt->have_path_delay = false;
		}
	}
	if (is_slave(st) && (new_master || !is_slave(old)) && pt->clk->cfg.servo == PTP_SERVO_PI)
		ptp_clock_pi_reset(pt->clk);
	if (is_slave(st))
		pt->last_parent_announce = mono;
	if (st == PTP_PS_PRE_MASTER)	/* §9.2.6.11: (stepsRemoved + 1) intervals */
		pt->pre_master_until = mono + (gt_ns)(pt->clk->steps_removed + 1) *
			ptp_interval_ns(pt->cfg.log_announce);
	if (st == PTP_PS_FAULTY || st == PTP_PS_DISABLED)
		ptp_foreign_clear(&pt->foreign);
	if (st != old)
		ptp_clock_port_state(pt->clk, pt, old);
}

static void on_announce_timer(struct loop_timer *t, void *arg)
{
	struct ptp_port *pt = arg;

	(void)t;
	if (pt->state == PTP_PS_MASTER)
		send_announce(pt);
}

static void on_sync_timer(struct loop_timer *t, void *arg)
{
	struct ptp_port *pt = arg;

	(void)t;
	if (pt->state == PTP_PS_MASTER)
		send_sync(pt);
}

static void on_pdelay_timer(struct loop_timer *t, void *arg)
{
	struct ptp_port *pt = arg;

	(void)t;
	if (is_active(pt->state))
		send_pdelay_req(pt);
}

const struct ptp_foreign_parent *ptp_port_parent(const struct ptp_port *pt,
						 struct ptp_foreign_parent *buf)
{
	if (!is_slave(pt->state) || !pt->have_parent)
		return NULL;
	buf->id = &pt->parent;
	buf->window = ptp_foreign_parent_window(pt->cfg.announce_timeout);
	return buf;
}

/* Four times per announce interval: the receipt and qualification
 * timeouts, stale foreign records, and the state decision when an
 * Announce changed something (at least once per interval, §9.2.6.8). */
static void on_house_timer(struct loop_timer *t, void *arg)
{
	struct ptp_port *pt = arg;
	struct ptp *p = pt->clk;
	gt_ns mono = mono_now(), iv = ptp_interval_ns(pt->cfg.log_announce);
	struct ptp_foreign_parent parent;
	static const unsigned every = 4;

	(void)t;
	if (pt->faulty)
		return;
	if (ptp_foreign_expire(&pt->foreign, mono, iv, ptp_port_parent(pt, &parent)))
		pt->decision_due = true;
	if (pt->state == PTP_PS_LISTENING || is_slave(pt->state) || pt->state == PTP_PS_PASSIVE) {
		/* The receipt timer restarts with each Announce of the master
		 * (SLAVE, UNCALIBRATED) or of the better one that keeps the
		 * port PASSIVE (§9.2.6.12); in LISTENING it runs from entry. */
		gt_ns heard = pt->state == PTP_PS_PASSIVE ? pt->last_announce :
			pt->last_parent_announce;
		gt_ns ref = pt->state == PTP_PS_LISTENING || heard < pt->entered ? pt->entered : heard;

		if (mono - ref > (gt_ns)pt->cfg.announce_timeout * iv) {
			/* §9.2.6.12: the master is gone; its records with it,
			 * or the next decision would elect it again. */
			ptp_foreign_clear(&pt->foreign);
			ptp_port_event(pt, PTP_EV_ANNOUNCE_RECEIPT_TIMEOUT, false);
			pt->entered = mono;
			pt->decision_due = true;
		}
	}
	if (pt->state == PTP_PS_PRE_MASTER && mono >= pt->pre_master_until)
		ptp_port_event(pt, PTP_EV_QUALIFICATION_TIMEOUT, false);
	if (pt->sync_wait.waiting && mono - pt->sync_wait.at > LATE_NS)
		pt->sync_wait.waiting = false;
	if (++pt->ticks % every == 0)
		pt->decision_due = true;
	if (pt->decision_due)
		ptp_clock_decide(p, mono);
}

int ptp_port_open(struct ptp_port *pt, struct ptp *p, int number, const struct ptp_port_cfg *c,
		  char *err, size_t len)
{
	struct ptp_net_config nc = {
		.ifname = c->ifname,
		.transport = c->transport,
		.tsmode = c->tsmode,
		.event_port = c->event_port,
		.general_port = c->general_port,
	};

	memset(pt, 0, sizeof(*pt));
	pt->clk = p;
	pt->number = number;
	pt->cfg = *c;
	pt->src = -1;
	pt->state = PTP_PS_INITIALIZING;
	ptp_foreign_init(&pt->foreign);
	return ptp_net_open(&pt->net, &nc, err, len);
}

int ptp_port_start(struct ptp_port *pt, struct loop *loop)
{
	int fds[2], n, i, rc;
	enum ptp_chan chans[2];
	gt_ns ann = ptp_interval_ns(pt->cfg.log_announce);

	n = ptp_net_fds(pt->net, fds, chans);
	for (i = 0; i < n; i++) {
		rc = loop_add_fd(loop, fds[i], POLLIN, chans[i] == PTP_CH_EVENT ? on_event_fd :
				 on_general_fd, pt);
		if (rc)
			return rc;
	}
	pt->t_announce = loop_timer_add(loop, ann, ann, on_announce_timer, pt);
	pt->t_sync = loop_timer_add(loop, ptp_interval_ns(pt->cfg.log_sync),
				    ptp_interval_ns(pt->cfg.log_sync), on_sync_timer, pt);
	pt->t_house = loop_timer_add(loop, ann / 4, ann / 4, on_house_timer, pt);
	if (pt->cfg.delay == PTP_DELAY_P2P)
		pt->t_pdelay = loop_timer_add(loop, ptp_interval_ns(pt->cfg.log_pdelay),
					      ptp_interval_ns(pt->cfg.log_pdelay), on_pdelay_timer, pt);
	if (!pt->t_announce || !pt->t_sync || !pt->t_house ||
	    (pt->cfg.delay == PTP_DELAY_P2P && !pt->t_pdelay))
		return -ENOMEM;
	/* §9.2.5: INITIALIZING ends in LISTENING once the port is ready. */
	pt->state = PTP_PS_LISTENING;
	pt->entered = mono_now();
	ptp_clock_port_state(pt->clk, pt, PTP_PS_INITIALIZING);
	return 0;
}

void ptp_port_close(struct ptp_port *pt)
{
	ptp_net_close(pt->net);
	pt->net = NULL;
}
