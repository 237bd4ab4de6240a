/* sim_ptp: the BMCA part (sim_ptp.h); the servo part is in sim_world.c.
 *
 * Each clock has one port on a shared segment. What a port does with an
 * Announce, its house-keeping tick (four per announce interval: receipt
 * timeout, record expiry, the state decision when due and at least once
 * an interval) and the state decision over its records are ptp_port.c's
 * and ptp.c's, with the same pure functions; only the sockets and timers
 * are the simulator's. A port that goes UNCALIBRATED is taken as
 * calibrated at once (the servo is not simulated here). */
#include "sim_ptp.h"

#include <math.h>
#include <string.h>

#include "lib/gtime.h"
#include "ptp/ptp_bmc.h"
#include "ptp/ptp_ds.h"
#include "ptp/ptp_msg.h"
#include "sim_rng.h"

#define TICKS_PER_INTERVAL 4	/* ptp_port.c on_house_timer */
#define DELIVERY (50 * GT_NS_PER_US)	/* an Announce's way across the segment */
#define MAX_FLY 64

struct node {
	bool alive;
	struct ptp_default_ds dds;
	struct ptp_parent_ds parent;
	uint16_t steps_removed;
	bool has_slave;			/* its port is slave (ptp.c slave_port >= 0) */
	/* the port */
	struct ptp_port_id id;
	enum ptp_port_state state;
	gt_ns entered, last_announce, last_parent_announce, pre_master_until;
	bool have_parent, decision_due;
	struct ptp_port_id parent_port;
	struct ptp_foreign_table foreign;
	unsigned ticks;
	uint16_t seq;
	gt_ns next_tick, next_announce;
	/* what the run observes */
	unsigned lost_run[SIM_BMCA_MAX];	/* Announces lost in a row from each clock */
	bool timed_out_by_loss;			/* in this instant */
};

struct fly {
	gt_ns at;
	int to;
	struct ptp_msg m;
};

struct bmca {
	const struct sim_bmca_cfg *cfg;
	struct node n[SIM_BMCA_MAX];
	struct fly fly[MAX_FLY];
	int n_fly;
	gt_ns iv;
	struct sim_rng rng;
	struct sim_bmca_result *r;
};

static bool is_slave(enum ptp_port_state s)
{
	return s == PTP_PS_SLAVE || s == PTP_PS_UNCALIBRATED;
}

/* ptp.c ptp_clock_refresh(): with no slave port the clock is its own
 * parent and grandmaster. */
static void refresh(struct node *c)
{
	if (c->has_slave)
		return;
	ptp_parent_self(&c->parent, &c->dds);
	c->steps_removed = 0;
}

/* ptp_port.c ptp_port_event() */
static void port_event(struct bmca *b, struct node *c, enum ptp_fsm_event ev, bool new_master,
		       gt_ns now)
{
	enum ptp_port_state old = c->state, st = ptp_fsm_next(old, ev, new_master, false);

	if (st == old && !(new_master && is_slave(st)))
		return;
	c->state = st;
	c->entered = now;
	if (!is_slave(st) || new_master) {
		if (!is_slave(st))
			c->have_parent = false;
	}
	if (is_slave(st))
		c->last_parent_announce = now;
	if (st == PTP_PS_PRE_MASTER)
		c->pre_master_until = now + (gt_ns)(c->steps_removed + 1) * b->iv;
	if (st == PTP_PS_MASTER && old != PTP_PS_MASTER)
		c->next_announce = now;
	/* the servo is not simulated: calibrated at once */
	if (st == PTP_PS_UNCALIBRATED)
		port_event(b, c, PTP_EV_MASTER_CLOCK_SELECTED, false, now);
}

/* ptp_port.c ptp_port_parent() */
static const struct ptp_foreign_parent *node_parent(const struct bmca *b, const struct node *c,
						    struct ptp_foreign_parent *buf)
{
	if (!is_slave(c->state) || !c->have_parent)
		return NULL;
	buf->id = &c->parent_port;
	buf->window = ptp_foreign_parent_window(b->cfg->announce_timeout);
	return buf;
}

/* ptp.c ptp_clock_decide() for a clock of one port. */
static void decide(struct bmca *b, struct node *c, gt_ns now)
{
	struct ptp_bmc_ds erbest, d0;
	struct ptp_foreign_parent parent;
	const struct ptp_foreign *rec;
	enum ptp_rs rs;
	bool new_master = false;

	refresh(c);
	c->decision_due = false;
	rec = ptp_foreign_best(&c->foreign, now, b->iv, &c->id, node_parent(b, c, &parent),
			       &erbest);
	ptp_bmc_d0(&c->dds, 1, &d0);
	rs = ptp_bmc_decide(&d0, rec ? &erbest : NULL, rec ? &erbest : NULL, false,
			    c->state == PTP_PS_LISTENING);
	c->has_slave = false;
	if (rs == PTP_RS_SLAVE) {
		const struct ptp_announce *a = &rec->announce;

		new_master = !c->have_parent || !ptp_port_id_eq(&c->parent_port, &rec->sender);
		if (new_master) {
			c->parent_port = rec->sender;
			c->have_parent = true;
		}
		c->has_slave = true;
		ptp_parent_from_announce(&c->parent, &rec->sender, a);
		c->steps_removed = (uint16_t)(a->steps_removed + 1);
	}
	if (rs != PTP_RS_LISTENING)
		port_event(b, c, ptp_rs_event(rs), new_master, now);
	if (!c->has_slave)
		refresh(c);
}

/* ptp_port.c send_announce(): to every other clock, each copy lost on
 * its own. */
static void send_announce(struct bmca *b, int from, gt_ns now)
{
	struct node *c = &b->n[from];
	struct ptp_msg m;
	int i;

	memset(&m, 0, sizeof(m));
	m.h.type = PTP_ANNOUNCE;
	m.h.version = 2;
	m.h.domain = c->dds.domain;
	m.h.source = c->id;
	m.h.seq = c->seq++;
	m.h.log_interval = (int8_t)b->cfg->log_announce;
	m.h.flags = PTP_FLAG_TIMESCALE;
	m.u.announce.utc_offset = 37;
	m.u.announce.gm_priority1 = c->parent.gm_priority1;
	m.u.announce.gm_priority2 = c->parent.gm_priority2;
	m.u.announce.gm_quality = c->parent.gm_quality;
	m.u.announce.gm_identity = c->parent.gm_identity;
	m.u.announce.steps_removed = c->steps_removed;
	for (i = 0; i < b->cfg->n; i++) {
		if (i == from)
			continue;
		b->r->announces++;
		if (sim_rng_uniform(&b->rng) < b->cfg->loss) {
			b->r->lost++;
			b->n[i].lost_run[from]++;
			continue;
		}
		b->n[i].lost_run[from] = 0;
		if (b->n_fly < MAX_FLY)
			b->fly[b->n_fly++] = (struct fly){ now + DELIVERY, i, m };
	}
}

static void receive(struct bmca *b, struct node *c, const struct ptp_msg *m, gt_ns now)
{
	if (!c->alive || c->state == PTP_PS_INITIALIZING)
		return;
	c->last_announce = now;
	if (ptp_foreign_add(&c->foreign, m, now, b->iv))
		c->decision_due = true;
	if (c->have_parent && ptp_port_id_eq(&m->h.source, &c->parent_port)) {
		c->last_parent_announce = now;
		c->decision_due = true;
	}
}

/* ptp_port.c on_house_timer() */
static void tick(struct bmca *b, struct node *c, gt_ns now)
{
	struct ptp_foreign_parent parent;

	if (ptp_foreign_expire(&c->foreign, now, b->iv, node_parent(b, c, &parent)))
		c->decision_due = true;
	if (c->state == PTP_PS_LISTENING || is_slave(c->state) || c->state == PTP_PS_PASSIVE) {
		gt_ns heard = c->state == PTP_PS_PASSIVE ? c->last_announce : c->last_parent_announce;
		gt_ns ref = c->state == PTP_PS_LISTENING || heard < c->entered ? c->entered : heard;

		if (now - ref > (gt_ns)b->cfg->announce_timeout * b->iv) {
			/* its parent alive, the Announces of the timeout's
			 * span lost (two or three, by the phase) */
			int k = (int)(c->parent_port.clock.id[7]) - 1;

			if (is_slave(c->state) && k >= 0 && k < b->cfg->n && b->n[k].alive &&
			    c->lost_run[k] >= (unsigned)b->cfg->announce_timeout - 1)
				c->timed_out_by_loss = true;
			ptp_foreign_clear(&c->foreign);
			port_event(b, c, PTP_EV_ANNOUNCE_RECEIPT_TIMEOUT, false, now);
			c->entered = now;
			c->decision_due = true;
		}
	}
	if (c->state == PTP_PS_PRE_MASTER && now >= c->pre_master_until)
		port_event(b, c, PTP_EV_QUALIFICATION_TIMEOUT, false, now);
	if (++c->ticks % TICKS_PER_INTERVAL == 0)
		c->decision_due = true;
	if (c->decision_due)
		decide(b, c, now);
}

static void start(struct bmca *b, struct node *c, gt_ns now)
{
	ptp_foreign_init(&c->foreign);
	c->alive = true;
	c->has_slave = c->have_parent = false;
	c->steps_removed = 0;
	c->state = PTP_PS_LISTENING;
	c->entered = c->last_announce = c->last_parent_announce = now;
	c->ticks = 0;
	/* each clock's timers run at their own phase */
	c->next_tick = now + (gt_ns)(sim_rng_uniform(&b->rng) * (double)b->iv / TICKS_PER_INTERVAL);
	c->next_announce = INT64_MAX;
	refresh(c);
}

/* The grandmaster a clock follows now: itself when its port is MASTER,
 * the parent's grandmaster when slave; none otherwise. */
static bool gm_of(const struct node *c, struct ptp_clock_id *gm)
{
	if (!c->alive)
		return false;
	if (c->state == PTP_PS_MASTER || c->state == PTP_PS_PRE_MASTER) {
		*gm = c->dds.identity;
		return true;
	}
	if (is_slave(c->state)) {
		*gm = c->parent.gm_identity;
		return true;
	}
	return false;
}

/* Whether every living clock follows want. */
static bool all_follow(const struct bmca *b, int want)
{
	struct ptp_clock_id gm;
	int i;

	for (i = 0; i < b->cfg->n; i++) {
		if (!b->n[i].alive)
			continue;
		if (!gm_of(&b->n[i], &gm) || !ptp_clock_id_eq(&gm, &b->n[want].dds.identity))
			return false;
	}
	return true;
}

int sim_bmca_run(const struct sim_bmca_cfg *cfg, uint64_t seed, struct sim_bmca_result *r)
{
	static struct bmca b;	/* foreign tables: not on the stack */
	gt_ns t = 0, end = (gt_ns)(cfg->duration * 1e9);
	gt_ns kill = (gt_ns)(cfg->kill_at * 1e9), restore = (gt_ns)(cfg->restore_at * 1e9);
	int i, best = 0, second = -1, phase = 0;
	double agree_since = -1;
	bool killed = false, restored = false;

	if (cfg->n < 2 || cfg->n > SIM_BMCA_MAX)
		return -1;
	memset(&b, 0, sizeof(b));
	memset(r, 0, sizeof(*r));
	r->elected_after = r->takeover_after = r->agree_after = r->back_after = -1;
	b.cfg = cfg;
	b.r = r;
	b.iv = (gt_ns)ldexp(1e9, cfg->log_announce);
	sim_rng_seed(&b.rng, seed, 300);
	for (i = 0; i < cfg->n; i++) {
		struct node *c = &b.n[i];

		c->dds.two_step = true;
		c->dds.num_ports = 1;
		c->dds.priority1 = cfg->priority1[i];
		c->dds.priority2 = 128;
		c->dds.quality = (struct ptp_clock_quality){ 248, 0xFE, 0xFFFF };
		c->dds.identity = (struct ptp_clock_id){ { 0x02, 0, 0, 0xFF, 0xFE, 0, 0,
							   (uint8_t)(i + 1) } };
		c->id.clock = c->dds.identity;
		c->id.port = 1;
		if (cfg->priority1[i] < cfg->priority1[best])
			best = i;
	}
	for (i = 0; i < cfg->n; i++)
		if (i != best && (second < 0 || cfg->priority1[i] < cfg->priority1[second]))
			second = i;
	for (i = 0; i < cfg->n; i++)
		start(&b, &b.n[i], t + (gt_ns)(sim_rng_uniform(&b.rng) * 1e9));
	while (t < end) {
		gt_ns next = end;
		int want, k;

		for (i = 0; i < cfg->n; i++) {
			if (!b.n[i].alive)
				continue;
			if (b.n[i].next_tick < next)
				next = b.n[i].next_tick;
			if (b.n[i].next_announce < next)
				next = b.n[i].next_announce;
		}
		for (k = 0; k < b.n_fly; k++)
			if (b.fly[k].at < next)
				next = b.fly[k].at;
		if (!killed && kill > 0 && kill < next)
			next = kill;
		if (killed && !restored && restore > 0 && restore < next)
			next = restore;
		/* observe once a simulated 100 ms at least */
		if (next > t + 100 * GT_NS_PER_MS)
			next = t + 100 * GT_NS_PER_MS;
		t = next;
		if (!killed && kill > 0 && t == kill) {
			b.n[best].alive = false;
			killed = true;
			phase = 1;
			agree_since = -1;
		}
		if (killed && !restored && restore > 0 && t == restore) {
			start(&b, &b.n[best], t);
			restored = true;
			phase = 2;
			agree_since = -1;
		}
		for (k = 0; k < b.n_fly;) {
			if (b.fly[k].at == t) {
				struct fly f = b.fly[k];

				b.fly[k] = b.fly[--b.n_fly];
				receive(&b, &b.n[f.to], &f.m, t);
			} else {
				k++;
			}
		}
		for (i = 0; i < cfg->n; i++)
			b.n[i].timed_out_by_loss = false;
		for (i = 0; i < cfg->n; i++) {
			struct node *c = &b.n[i];
			struct ptp_clock_id before, after;
			bool had = gm_of(c, &before), has;

			if (!c->alive)
				continue;
			if (c->next_announce == t) {
				if (c->state == PTP_PS_MASTER)
					send_announce(&b, i, t);
				c->next_announce = c->state == PTP_PS_MASTER ? t + b.iv : INT64_MAX;
			}
			if (c->next_tick == t) {
				tick(&b, c, t);
				c->next_tick = t + b.iv / TICKS_PER_INTERVAL;
			}
			has = gm_of(c, &after);
			if (has && (!had || !ptp_clock_id_eq(&before, &after)))
				r->changes++;
		}
		want = phase == 1 ? second : best;
		if (phase == 1 && r->takeover_after < 0 && b.n[second].state == PTP_PS_MASTER)
			r->takeover_after = (double)t * 1e-9 - cfg->kill_at;
		if (all_follow(&b, want)) {
			if (agree_since < 0) {
				agree_since = (double)t * 1e-9;
				if (phase == 0 && r->elected_after < 0)
					r->elected_after = agree_since;
				if (phase == 1 && r->agree_after < 0)
					r->agree_after = agree_since - cfg->kill_at;
				if (phase == 2 && r->back_after < 0)
					r->back_after = agree_since - cfg->restore_at;
			}
		} else if (agree_since >= 0) {
			/* agreement lost without a kill or restore */
			bool by_loss = false;

			for (i = 0; i < cfg->n; i++)
				by_loss |= b.n[i].timed_out_by_loss;
			if (by_loss)
				r->flaps_timeout++;
			else
				r->flaps_other++;
			agree_since = -1;
		}
	}
	return 0;
}
