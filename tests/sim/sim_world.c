#include "sim_world.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "clock/leap.h"
#include "gw/gw_filter.h"
#include "gw/gw_msg.h"
#include "gw/gw_seq.h"
#include "ntp/ntp_pkt.h"
#include "ntp/ntp_resp.h"
#include "ptp/ptp_pi.h"
#include "ptp/ptp_sample.h"
#include "sim_clock.h"
#include "sim_rng.h"

/* gnomond's NTP client (src/ntp/ntp_client.c): iburst is 4 polls, the next
 * one 2 s after each reply, a lost one retried after 4 s. */
#define IBURST_COUNT 4
#define IBURST_INTERVAL (2 * GT_NS_PER_S)
#define IBURST_RETRY (4 * GT_NS_PER_S)
/* The servers' processing time between T2 and T3. */
#define SERVER_RESIDENCE (5 * GT_NS_PER_US)
#define PRECISION (-24)
/* Monotonic time of the simulated host at the start. */
#define MONO0 (1000 * GT_NS_PER_S)
/* A leap second is announced this long before it happens. */
#define LEAP_NOTICE (12 * 3600 * GT_NS_PER_S)

/* Gateway messages in flight at once (delays far below the interval). */
#define GW_FLY 16
/* The receiver's default age limit (gw_conf.h: maxage 10 s). */
#define GW_MAXAGE 10.0

int sim_trace;

struct gw_fly {
	uint64_t seq, prev_seq;
	gt_ns arrive;		/* true time */
	gt_ns label;		/* tx_time: the sender's clock + correction */
	gt_ns prev_tx;		/* precise transmit time of prev_seq (two-step) */
	bool has_prev;
};

/* The gateway: the sender, the path, and gw_recv's state for the one
 * sender (its held message for two-step, its delay window). */
struct sim_gwsrc {
	struct sim_gw_cfg cfg;
	int id;
	gt_ns corr;			/* the correction the sender applies */
	gt_ns next_send;
	uint64_t seq;
	gt_ns last_tx;			/* sender: its previous message's transmit time */
	struct gw_fly fly[GW_FLY];
	int n_fly;
	bool held_valid;		/* receiver: the last message, for two-step */
	uint64_t held_seq;
	gt_ns held_rx, held_corr;
	bool held_used;
	uint64_t last_seq;
	bool got_any;
	struct gw_delay_window win;
	struct gw_msg quality;		/* the fields the sample takes from a message */
	struct sim_rng rng;
};

/* The slave's processing between the Sync's arrival and its Delay_Req's
 * departure (gnomond sends it from the Sync's handler). */
#define PTP_DREQ_AFTER (20 * GT_NS_PER_US)
#define PTP_DELAY_FILTER 9	/* ptp_int.h PTP_PD_FILTER: `ptp-servo pi`'s median */

/* One Sync, Delay_Req, Delay_Resp exchange at a time (the delays are far
 * below the interval). */
enum ptp_stage { PTP_IDLE, PTP_SYNC_FLY, PTP_DREQ_FLY, PTP_RESP_FLY };

struct sim_ptpsrc {
	struct sim_ptp_cfg cfg;
	int id;
	gt_ns next_sync;
	enum ptp_stage stage;
	gt_ns arrive;			/* true time the message in flight arrives */
	gt_ns t1, t2, t3, t4;
	gt_ns d_sm, d_resp;		/* the Delay_Req's and Delay_Resp's delays, drawn with the Sync's */
	bool lost_dreq, lost_resp;
	/* `ptp-servo pi` */
	struct ptp_pi pi;
	gt_ns hist[PTP_DELAY_FILTER], median;
	int n_hist, at_hist;
	int steps;
	struct sim_rng rng;
};

struct sim_src {
	struct sim_server_cfg cfg;
	int id;
	gt_ns next_poll;
	int burst_left;
	bool in_flight;
	gt_ns arrive;
	uint8_t reply[NTP_HEADER_LEN];
	struct ntp_resp_ctx ctx;
	int steps_at_send;
	bool lied;		/* the last sample delivered carried a lie */
	int poll;
	gt_ns last_poll;
	double poll_sum;
	unsigned poll_n;
	struct sim_rng rng;
};

struct world {
	const struct sim_scenario *sc;
	gt_ns t0;			/* true time at start */
	gt_ns leap_t;			/* true time of the leap; 0: none */
	struct sim_clock clock;
	struct sync *sync;
	struct sim_src src[SIM_MAX_SERVERS];
	struct sim_gwsrc gw;
	struct sim_ptpsrc ptp;
	struct sim_rng rng;
};

static gt_ns secs(double s)
{
	return (gt_ns)llround(s * 1e9);
}

/* The host's monotonic clock at true time t (the clock's state must be
 * at t): true time, or with mono_slewed the clock's rate, as in Linux. */
static gt_ns mono_of(const struct world *w, gt_ns t)
{
	if (w->sc->mono_slewed)
		return sim_clock_mono(&w->clock, MONO0);
	return t - w->t0 + MONO0;
}

/* The true time at which the monotonic clock reads mono, from the state
 * at t on (the rate holds until the next event; the wander's steps of
 * 1e-9 move it by nanoseconds). */
static gt_ns true_of_mono(const struct world *w, gt_ns t, gt_ns mono)
{
	double rate = 1 + sim_clock_freq_error(&w->clock);

	if (!w->sc->mono_slewed)
		return mono - MONO0 + w->t0;
	return t + (gt_ns)ceil((double)(mono - mono_of(w, t)) / rate);
}

/* UTC as the servers keep it: the true scale minus the leap. */
static gt_ns utc_of(const struct world *w, gt_ns t)
{
	if (!w->leap_t || t < w->leap_t)
		return t;
	return t + (w->sc->leap == CLK_LEAP_INS ? -GT_NS_PER_S : GT_NS_PER_S);
}

static double server_error(const struct world *w, const struct sim_src *s, gt_ns t)
{
	double at = (double)(t - w->t0) * 1e-9, err = 0;
	const struct sim_server_cfg *c = &s->cfg;

	if (at >= c->lie_from)
		err += c->offset;
	if (c->restart_down > 0 && at >= c->restart_at + c->restart_down + c->restart_unsync)
		err += c->restart_err *
		       exp(-(at - c->restart_at - c->restart_down - c->restart_unsync) /
			   (c->restart_decay > 0 ? c->restart_decay : 1));
	return err;
}

static gt_ns server_clock(const struct world *w, const struct sim_src *s, gt_ns t)
{
	return utc_of(w, t) + secs(server_error(w, s, t));
}

static bool server_down(const struct sim_src *s, double at)
{
	return s->cfg.restart_down > 0 && at >= s->cfg.restart_at &&
	       at < s->cfg.restart_at + s->cfg.restart_down;
}

static bool server_unsync(const struct sim_src *s, double at)
{
	double from = s->cfg.restart_at + s->cfg.restart_down;

	return s->cfg.restart_down > 0 && at >= from && at < from + s->cfg.restart_unsync;
}

static void send_request(struct world *w, struct sim_src *s, gt_ns t)
{
	struct sync_state st;
	struct ntp_pkt p;
	gt_ns ta, tx;
	double at = (double)(t - w->t0) * 1e-9;

	sync_get_state(w->sync, &st);
	s->steps_at_send = st.n_steps;
	s->ctx.sent_xmt = sim_rng_next(&s->rng);
	s->ctx.t1 = sim_clock_read(&w->clock);
	s->ctx.waiting = true;
	s->in_flight = false;
	if (sim_rng_uniform(&s->rng) < s->cfg.loss || server_down(s, at))
		return;
	ta = t + secs(s->cfg.delay_fwd + s->cfg.jitter * sim_rng_exp(&s->rng));
	tx = ta + SERVER_RESIDENCE;
	memset(&p, 0, sizeof(p));
	p.version = 4;
	p.mode = NTP_MODE_SERVER;
	p.poll = (int8_t)s->poll;
	p.precision = PRECISION;
	if (server_unsync(s, at)) {
		p.leap = CLK_LEAP_UNSYNC;
		p.stratum = 16;
	} else {
		p.stratum = 1;
		p.refid = 0x47505300u;	/* "GPS" */
		if (w->leap_t && ta < w->leap_t && ta >= w->leap_t - LEAP_NOTICE)
			p.leap = (uint8_t)w->sc->leap;
	}
	p.org = s->ctx.sent_xmt;
	p.rec = ntp_ts_from_ns(server_clock(w, s, ta));
	p.ref = p.rec;
	p.xmt = ntp_ts_from_ns(server_clock(w, s, tx));
	ntp_pkt_encode(&p, s->reply);
	s->in_flight = true;
	s->arrive = tx + secs(s->cfg.delay_back +
			      (s->cfg.jitter_back ? s->cfg.jitter_back : s->cfg.jitter) *
			      sim_rng_exp(&s->rng));
}

static bool lying(const struct world *w, const struct sim_src *s, gt_ns t)
{
	return fabs(server_error(w, s, t)) > 1e-3;
}

static void count_liars(struct world *w, gt_ns t, struct sim_result *res)
{
	struct sync_src_info info;
	int i;

	/* Until a server's lie reaches the client in a sample, the client
	 * cannot know; it is judged from the first lying sample on. */
	(void)t;
	for (i = 0; i < w->sc->n_servers; i++) {
		if (!w->src[i].lied)
			continue;
		sync_get_source(w->sync, w->src[i].id, &info);
		if (info.state == SYNC_SRC_SYSPEER || info.state == SYNC_SRC_COMBINED)
			res->liar_selected++;
	}
}

static void trace_update(struct world *w, gt_ns t, const char *why)
{
	struct sync_state st;
	struct sync_src_info info;
	double err = (double)(sim_clock_read(&w->clock) - utc_of(w, t)) * 1e-9;
	int i;

	sync_get_state(w->sync, &st);
	printf("%9.3f %-6s err %+11.3f us est %+11.3f us sd %8.3f us freq %+10.4f ppm (true %+10.4f) "
	       "slew %+9.3f ppm st %d peer %d:",
	       (double)(t - w->t0) * 1e-9, why, err * 1e6, (double)st.last_offset * 1e-3,
	       (double)st.offset_sd * 1e-3, st.freq_ppm, -w->clock.freq_err * 1e6,
	       st.residual_freq_ppm, st.stratum, st.sys_peer);
	for (i = 0; i < w->sc->n_servers; i++) {
		sync_get_source(w->sync, w->src[i].id, &info);
		printf(" %c%+.1f(%.1f)", "?*+-x~?"[info.state], (double)info.offset * 1e-3,
		       (double)info.offset_sd * 1e-3);
	}
	printf("\n");
}

static void update(struct world *w, gt_ns t, struct sim_result *res, const char *why)
{
	sync_update(w->sync, mono_of(w, t));
	count_liars(w, t, res);
	if (sim_trace)
		trace_update(w, t, why);
}

static void receive_reply(struct world *w, struct sim_src *s, gt_ns t, struct sim_result *res)
{
	struct sync_sample smp;
	struct ntp_pkt pkt;
	struct sync_state st;
	enum ntp_resp_verdict v;

	s->in_flight = false;
	v = ntp_resp_process(&s->ctx, s->reply, sizeof(s->reply), sim_clock_read(&w->clock),
			     &pkt, &smp);
	s->ctx.waiting = false;
	if (v != NTP_RESP_OK)
		return;
	s->ctx.last_rx_xmt = pkt.xmt;
	/* As the client does: a step between T1 and T4 spoils the sample. */
	sync_get_state(w->sync, &st);
	if (st.n_steps != s->steps_at_send)
		return;
	s->lied = lying(w, s, t);
	sync_add_sample(w->sync, s->id, &smp, mono_of(w, t));
	res->samples++;
	if (sim_trace)
		printf("%9.3f sample src %d offset %+.3f us delay %.3f us\n", (double)(t - w->t0) * 1e-9,
		       s->id, (double)smp.offset * 1e-3, (double)smp.delay * 1e-3);
	update(w, t, res, "sample");
	if (s->burst_left > 0)
		s->next_poll = t + IBURST_INTERVAL;
}

static void poll_due(struct world *w, struct sim_src *s, gt_ns t)
{
	double at = (double)(t - w->t0) * 1e-9;

	if (s->last_poll && at >= w->sc->stats_from) {
		s->poll_sum += (double)(t - s->last_poll) * 1e-9;
		s->poll_n++;
	}
	s->last_poll = t;
	send_request(w, s, t);
	if (s->burst_left > 0) {
		s->burst_left--;
		s->next_poll = t + IBURST_RETRY;
		return;
	}
	s->poll = sync_poll_hint(w->sync, s->id, w->sc->minpoll, w->sc->maxpoll);
	/* The client spreads its polls by +-1/8 so sources do not lock step. */
	s->next_poll = t + (gt_ns)(ldexp(1e9, s->poll) * (1.0 + 0.0625 * sim_rng_uniform(&s->rng)));
}

/* The sender at true time t: its clock is the truth (plus the wild jump
 * while that lasts); the label is its clock + the correction, the precise
 * transmit time goes out with the next message, as gw_send does. */
static void gw_send(struct world *w, gt_ns t)
{
	struct sim_gwsrc *g = &w->gw;
	double at = (double)(t - w->t0) * 1e-9, delay;
	gt_ns sender = t;
	struct gw_fly f;

	if (g->cfg.wild_n > 0 && at >= g->cfg.wild_at &&
	    at < g->cfg.wild_at + g->cfg.wild_n * g->cfg.interval - 1e-9)
		sender += secs(g->cfg.wild_jump);
	f.seq = ++g->seq;
	f.label = sender + g->corr;
	f.has_prev = g->seq > 1;
	f.prev_seq = g->seq - 1;
	f.prev_tx = g->last_tx;
	g->last_tx = sender;
	g->next_send = t + secs(g->cfg.interval);
	delay = sim_gw_draw_delay(&g->cfg, &g->rng);
	if (sim_gw_lost(&g->cfg, &g->rng) || g->n_fly == GW_FLY)
		return;
	f.arrive = t + secs(delay);
	g->fly[g->n_fly++] = f;
}

/* gw_recv's handle() and make_sample() for a decoded, authentic message
 * received at true time t (the raw clock: sim_clock maps true time to
 * the clock as CLOCK_REALTIME is mapped to the disciplined clock). */
static void gw_receive(struct world *w, const struct gw_fly *f, gt_ns t, struct sim_result *res)
{
	struct sim_gwsrc *g = &w->gw;
	struct sync_state st;
	struct sync_sample smp;
	struct clk_map map;
	gt_ns tol = secs(g->cfg.maxage > 0 ? g->cfg.maxage : GW_MAXAGE);
	bool pushed = false;
	int p;

	if (g->got_any && f->seq <= g->last_seq)
		return;		/* reordered: its delay would enter the window out of order */
	sync_get_state(w->sync, &st);
	if (st.synced && gw_age_check(f->label, sim_clock_read(&w->clock), tol, tol) != GW_AGE_OK) {
		res->gw_aged++;
		return;
	}
	g->got_any = true;
	g->last_seq = f->seq;
	if (f->has_prev) {
		if (g->held_valid && g->held_seq == f->prev_seq && !g->held_used) {
			g->held_used = true;
			gw_window_push(&g->win, g->held_rx, f->prev_tx, g->held_corr);
			pushed = true;
		}
	} else {
		gw_window_push(&g->win, t, f->label - g->corr, g->corr);
		pushed = true;
	}
	g->held_valid = true;
	g->held_seq = f->seq;
	g->held_rx = t;
	g->held_corr = g->corr;
	g->held_used = false;
	/* make_sample(): the sender is synchronised; only a new delay makes
	 * a sample. */
	if (!pushed || !gw_window_due(&g->win, &g->cfg.filter, secs(g->cfg.interval)))
		return;
	w->clock.base.ops->get_map(&w->clock.base, &map);
	if (!gw_window_sample(&g->win, &g->cfg.filter, &map, &g->quality, 0xc6120100u, &smp,
			      NULL, NULL, NULL))
		return;
	p = gw_poll_exponent(secs(g->cfg.interval * g->cfg.filter.window));
	sync_set_interval(w->sync, g->id, p);
	sync_add_sample(w->sync, g->id, &smp, mono_of(w, t));
	res->samples++;
	if (sim_trace)
		printf("%9.3f sample gw offset %+.3f us disp %.3f us age %.3f s\n",
		       (double)(t - w->t0) * 1e-9, (double)smp.offset * 1e-3,
		       (double)smp.disp * 1e-3,
		       (double)(sim_clock_read(&w->clock) - smp.time) * 1e-9);
	update(w, t, res, "sample");
}

/* The earliest message in flight, or -1. */
static int gw_next_arrival(const struct sim_gwsrc *g)
{
	int i, k = -1;

	for (i = 0; i < g->n_fly; i++)
		if (k < 0 || g->fly[i].arrive < g->fly[k].arrive)
			k = i;
	return k;
}

static void gw_deliver(struct world *w, gt_ns t, struct sim_result *res)
{
	struct sim_gwsrc *g = &w->gw;
	struct gw_fly f;
	int k;

	while ((k = gw_next_arrival(g)) >= 0 && g->fly[k].arrive == t) {
		f = g->fly[k];
		g->fly[k] = g->fly[--g->n_fly];
		gw_receive(w, &f, t, res);
	}
}

static int gw_setup(struct world *w, uint64_t seed, struct sim_result *res)
{
	struct sim_gwsrc *g = &w->gw;
	struct sim_rng cal;
	double c;

	g->cfg = w->sc->gw;
	/* Commissioning: its own run of the path, from its own stream. */
	sim_rng_seed(&cal, seed, 100);
	c = sim_gw_calibrate(&g->cfg, &cal);
	if (!isfinite(c))
		return -1;
	res->gw_corr = c + g->cfg.corr_error;
	g->corr = secs(res->gw_corr);
	g->id = sync_add_source(w->sync, NULL, NULL, "gateway", 0xc6120100u, 0);
	if (g->id < 0)
		return -1;
	gw_window_reset(&g->win);
	g->quality.stratum = 1;
	g->quality.precision = PRECISION;
	g->quality.root_disp = 10 * GT_NS_PER_US;
	g->next_send = w->t0 + 100 * GT_NS_PER_MS;
	sim_rng_seed(&g->rng, seed, 101);
	return 0;
}

/* ---- PTP (sim_ptp.h) ---- */

static gt_ns ptp_draw(struct sim_ptpsrc *p, double base)
{
	return secs(base + p->cfg.jitter * sim_rng_exp(&p->rng));
}

static bool ptp_lost(struct sim_ptpsrc *p)
{
	/* drawn whatever the loss, so that both servos see the same delays */
	return sim_rng_uniform(&p->rng) < p->cfg.loss;
}

/* The master's Sync at true time t (its clock is the truth), and the
 * fates of the whole exchange, drawn at once. */
static void ptp_send_sync(struct world *w, gt_ns t)
{
	struct sim_ptpsrc *p = &w->ptp;
	gt_ns d_ms = ptp_draw(p, p->cfg.delay_ms), d_sm = ptp_draw(p, p->cfg.delay_sm);
	bool lost_sync = ptp_lost(p);

	p->d_sm = d_sm;
	p->d_resp = ptp_draw(p, p->cfg.delay_ms);
	p->lost_dreq = ptp_lost(p);
	p->lost_resp = ptp_lost(p);
	p->next_sync = t + (gt_ns)ldexp(1e9, p->cfg.log_sync);
	p->t1 = utc_of(w, t);
	p->stage = lost_sync ? PTP_IDLE : PTP_SYNC_FLY;
	p->arrive = t + d_ms;
}

/* The moving median of the last path delays (ptp_port.c's delay filter). */
static void ptp_delay_add(struct sim_ptpsrc *p, gt_ns d)
{
	gt_ns sorted[PTP_DELAY_FILTER];
	int i, k;

	p->hist[p->at_hist] = d < 0 ? 0 : d;
	p->at_hist = (p->at_hist + 1) % PTP_DELAY_FILTER;
	if (p->n_hist < PTP_DELAY_FILTER)
		p->n_hist++;
	for (i = 0; i < p->n_hist; i++) {
		for (k = i; k > 0 && sorted[k - 1] > p->hist[i]; k--)
			sorted[k] = sorted[k - 1];
		sorted[k] = p->hist[i];
	}
	p->median = p->n_hist % 2 ? sorted[p->n_hist / 2] :
		(sorted[p->n_hist / 2 - 1] + sorted[p->n_hist / 2]) / 2;
}

/* ptp.c's ptp_clock_pi_sync(): true if it stepped the clock. */
static bool ptp_pi_sync(struct world *w, struct sim_result *res)
{
	struct sim_ptpsrc *p = &w->ptp;
	struct clk *c = &w->clock.base;
	struct ptp_pi_out out;

	if (!p->n_hist)
		return false;
	ptp_pi_sample(&p->pi, p->t2 - p->t1 - p->median, p->t2, 1.0, &out);
	res->samples++;
	if (out.step_ns && c->ops->step(c, out.step_ns) == 0)
		p->steps++;
	c->ops->set_freq(c, out.freq_ppb / 1e3);
	if (sim_trace)
		printf("%9.3f pi offset %+.3f us state %s freq %+.3f ppm\n",
		       (double)(sim_clock_read(&w->clock) - w->t0) * 1e-9,
		       (double)(p->t2 - p->t1 - p->median) * 1e-3, ptp_pi_state_name(out.state),
		       out.freq_ppb / 1e3);
	return out.step_ns != 0;
}

static void ptp_arrive(struct world *w, gt_ns t, struct sim_result *res)
{
	struct sim_ptpsrc *p = &w->ptp;
	struct ptp_gm_info gm = { .clock_class = 6, .accuracy = 0x21, .leap = CLK_LEAP_NONE };
	struct sync_sample smp;

	switch (p->stage) {
	case PTP_SYNC_FLY:
		p->t2 = sim_clock_read(&w->clock);
		if (p->cfg.servo == SIM_PTP_PI && ptp_pi_sync(w, res)) {
			p->stage = PTP_IDLE;	/* this Sync's t2 is void */
			return;
		}
		/* the Delay_Req leaves PTP_DREQ_AFTER later; its transmit
		 * time on the clock, that much later (a few ns of its
		 * frequency error left out) */
		p->t3 = p->t2 + PTP_DREQ_AFTER;
		p->arrive = t + PTP_DREQ_AFTER + p->d_sm;
		p->stage = p->lost_dreq ? PTP_IDLE : PTP_DREQ_FLY;
		return;
	case PTP_DREQ_FLY:
		p->t4 = utc_of(w, t);
		p->arrive = t + p->d_resp;
		p->stage = p->lost_resp ? PTP_IDLE : PTP_RESP_FLY;
		return;
	case PTP_RESP_FLY:
		p->stage = PTP_IDLE;
		if (p->cfg.servo == SIM_PTP_PI) {
			ptp_delay_add(p, ((p->t2 - p->t1) + (p->t4 - p->t3)) / 2);
			return;
		}
		ptp_sample_make(p->t1, p->t2, p->t3, p->t4, &gm, &smp);
		sync_set_interval(w->sync, p->id, p->cfg.log_sync);
		sync_add_sample(w->sync, p->id, &smp, mono_of(w, t));
		res->samples++;
		update(w, t, res, "sample");
		return;
	case PTP_IDLE:
		return;
	}
}

static int ptp_setup(struct world *w, uint64_t seed)
{
	struct sim_ptpsrc *p = &w->ptp;
	struct ptp_pi_config pc;
	struct clk *c = &w->clock.base;

	p->cfg = w->sc->ptp;
	sim_rng_seed(&p->rng, seed, 200);
	p->next_sync = w->t0 + 100 * GT_NS_PER_MS;
	if (p->cfg.servo == SIM_PTP_PI) {
		/* as ptp_create() with software timestamps */
		ptp_pi_config_default(&pc, true);
		if (c->ops->max_freq_ppm > 0 && c->ops->max_freq_ppm * 1e3 < pc.max_freq_ppb)
			pc.max_freq_ppb = c->ops->max_freq_ppm * 1e3;
		ptp_pi_init(&p->pi, &pc, 0);
		ptp_pi_set_interval(&p->pi, ldexp(1.0, p->cfg.log_sync));
		p->id = -1;
		return 0;
	}
	p->id = sync_add_source(w->sync, NULL, NULL, "ptp", PTP_REFID, 0);
	return p->id < 0 ? -1 : 0;
}

static int setup(struct world *w, const struct sim_scenario *sc, uint64_t seed)
{
	int i;

	memset(w, 0, sizeof(*w));
	w->sc = sc;
	w->t0 = secs(sc->start_unix);
	sim_rng_seed(&w->rng, seed, 0);
	sim_clock_init(&w->clock, w->t0, sc->time_offset, sc->freq_offset, sc->wander,
		       sim_rng_next(&w->rng));
	if (sc->mono_slewed)
		sim_clock_slew_mono(&w->clock);
	if (sc->leap) {
		w->leap_t = leap_month_end(w->t0);
		if (sc->leap == CLK_LEAP_DEL)
			w->leap_t -= GT_NS_PER_S;
	}
	w->sync = sync_create(&w->clock.base, &sc->cfg);
	if (!w->sync)
		return -1;
	for (i = 0; i < sc->n_servers; i++) {
		struct sim_src *s = &w->src[i];
		char name[16];

		snprintf(name, sizeof(name), "srv%d", i);
		s->cfg = sc->srv[i];
		s->id = sync_add_source(w->sync, NULL, NULL, name, 0xc6120001u + (uint32_t)i, 0);
		if (s->id < 0)
			return -1;
		s->burst_left = sc->iburst ? IBURST_COUNT - 1 : 0;
		s->poll = sc->minpoll;
		s->next_poll = w->t0 + 100 * GT_NS_PER_MS + i * 50 * GT_NS_PER_MS;
		s->ctx.local_precision = PRECISION;
		sim_rng_seed(&s->rng, seed, 10 + (uint64_t)i);
	}
	return 0;
}

static void measure(struct world *w, gt_ns t, struct sim_result *res, double *sum2,
		    double *sumf2, double *sum, unsigned *n)
{
	double at = (double)(t - w->t0) * 1e-9;
	double err = (double)(sim_clock_read(&w->clock) - utc_of(w, t)) * 1e-9;
	double ferr = sim_clock_freq_error(&w->clock);

	/* At the very instant of a leap the servers have stepped and the
	 * clock steps when it reads that instant itself, its own error
	 * later: that instant is no error of the clock's. */
	if (w->leap_t && t == w->leap_t)
		return;
	if (fabs(err) > w->sc->conv_threshold)
		res->t_conv = at;
	if (w->sc->settle_threshold > 0 && res->t_settle < 0 &&
	    fabs(err) <= w->sc->settle_threshold)
		res->t_settle = at;
	if (w->sc->gw.wild_n > 0 && at >= w->sc->gw.wild_at && at < w->sc->gw.wild_at + 60)
		res->max_near_wild = fmax(res->max_near_wild, fabs(err));
	if (w->leap_t && t >= w->leap_t && t < w->leap_t + 3 * GT_NS_PER_S)
		res->max_near_leap = fmax(res->max_near_leap, fabs(err));
	if (w->sc->late_from > 0 && at >= w->sc->late_from)
		res->max_late = fmax(res->max_late, fabs(err));
	if (at < w->sc->stats_from)
		return;
	/* The second of a leap itself is judged apart (max_near_leap). */
	if (w->leap_t && t >= w->leap_t && t < w->leap_t + 3 * GT_NS_PER_S)
		return;
	*sum2 += err * err;
	*sum += err;
	*sumf2 += ferr * ferr;
	(*n)++;
	res->max = fmax(res->max, fabs(err));
}

int sim_run(const struct sim_scenario *sc, uint64_t seed, struct sim_result *res)
{
	struct sync_src_info info;
	struct world w;
	struct sync_state st;
	gt_ns t, end, tick;
	double sum2 = 0, sumf2 = 0, sum = 0;
	unsigned n = 0;
	int i, steps_before = -1;

	memset(res, 0, sizeof(*res));
	res->t_settle = -1;
	if (setup(&w, sc, seed) < 0 || (sc->gw.on && gw_setup(&w, seed, res) < 0) ||
	    (sc->ptp.on && ptp_setup(&w, seed) < 0)) {
		if (w.sync)
			sync_destroy(w.sync);
		return -1;
	}
	end = w.t0 + secs(sc->duration);
	tick = w.t0 + GT_NS_PER_S;
	t = w.t0;
	while (t < end) {
		gt_ns next = tick, due = sync_next_update(w.sync);

		if (due != INT64_MAX) {
			due = true_of_mono(&w, t, due);
			if (due <= t)
				due = t + 1;
			if (due < next)
				next = due;
		}
		for (i = 0; i < sc->n_servers; i++) {
			if (w.src[i].next_poll < next)
				next = w.src[i].next_poll;
			if (w.src[i].in_flight && w.src[i].arrive < next)
				next = w.src[i].arrive;
		}
		if (sc->gw.on) {
			int k = gw_next_arrival(&w.gw);

			if (w.gw.next_send < next)
				next = w.gw.next_send;
			if (k >= 0 && w.gw.fly[k].arrive < next)
				next = w.gw.fly[k].arrive;
		}
		if (sc->ptp.on) {
			if (w.ptp.next_sync < next)
				next = w.ptp.next_sync;
			if (w.ptp.stage != PTP_IDLE && w.ptp.arrive < next)
				next = w.ptp.arrive;
		}
		t = next;
		sim_clock_advance(&w.clock, t);
		for (i = 0; i < sc->n_servers; i++) {
			if (w.src[i].in_flight && w.src[i].arrive == t)
				receive_reply(&w, &w.src[i], t, res);
			if (w.src[i].next_poll == t)
				poll_due(&w, &w.src[i], t);
		}
		if (sc->gw.on) {
			gw_deliver(&w, t, res);
			if (w.gw.next_send == t)
				gw_send(&w, t);
		}
		if (sc->ptp.on) {
			if (w.ptp.stage != PTP_IDLE && w.ptp.arrive == t)
				ptp_arrive(&w, t, res);
			if (w.ptp.next_sync == t && w.ptp.stage == PTP_IDLE)
				ptp_send_sync(&w, t);
			else if (w.ptp.next_sync == t)	/* an exchange still open: skip */
				w.ptp.next_sync += (gt_ns)ldexp(1e9, sc->ptp.log_sync);
		}
		if (t == due)
			update(&w, t, res, "timer");
		if (t == tick) {
			measure(&w, t, res, &sum2, &sumf2, &sum, &n);
			tick += GT_NS_PER_S;
			sync_get_state(w.sync, &st);
			res->ever_synced |= st.synced;
			if (steps_before < 0 && (double)(t - w.t0) * 1e-9 >= sc->stats_from)
				steps_before = st.n_steps;
		}
	}
	sync_get_state(w.sync, &st);
	if (res->t_settle < 0)
		res->t_settle = sc->duration;
	res->steps = st.n_steps + w.ptp.steps;
	res->steps_after_stats = steps_before < 0 ? 0 : st.n_steps - steps_before;
	res->synced_at_end = st.synced;
	if (n) {
		res->rms = sqrt(sum2 / n);
		res->mean = sum / n;
		res->rms_freq = sqrt(sumf2 / n);
	}
	res->mean_poll = w.src[0].poll_n ? w.src[0].poll_sum / w.src[0].poll_n : 0;
	if (sc->gw.on) {
		res->mean_poll = sc->gw.interval;
		if (sync_get_source(w.sync, w.gw.id, &info) == 0)
			res->gw_resets = info.resets;
	}
	if (sc->ptp.on)
		res->mean_poll = ldexp(1.0, sc->ptp.log_sync);
	res->leap_at = w.leap_t ? (double)(w.leap_t - w.t0) * 1e-9 : 0;
	sync_destroy(w.sync);
	return 0;
}
