/* ptp_bmc: the data set comparison and state decision of the best master
 * clock algorithm (IEEE 1588-2019 §9.3), the port state machines of
 * §9.2.5, and the foreign master records of §9.3.2.4.4-9.3.2.5.
 *
 * Learnt from linuxptp's bmc.c, fsm.c and port.c (the foreign master
 * list); where linuxptp departs from the standard, the standard is
 * followed and the comment says so. */
#include "ptp/ptp_bmc.h"

#include <string.h>

#include "lib/util.h"

/* ---- identities ----
 * File-local comparisons, so that this file needs only the types of
 * ptp_msg.h (and links without ptp_msg.c). ClockIdentity is an octet
 * array compared as an unsigned number, first octet most significant
 * (§7.5.2.2.1); a PortIdentity compares its clockIdentity first, then
 * portNumber (§7.5.2.4, §9.3.4 "identities"). */

static int clock_id_cmp(const struct ptp_clock_id *a, const struct ptp_clock_id *b)
{
	return memcmp(a->id, b->id, sizeof(a->id));
}

static int port_id_cmp(const struct ptp_port_id *a, const struct ptp_port_id *b)
{
	int d = clock_id_cmp(&a->clock, &b->clock);

	if (d)
		return d;
	return (a->port > b->port) - (a->port < b->port);
}

#define CMP(x, y) ((x) < (y) ? PTP_A_BETTER : (x) > (y) ? PTP_B_BETTER : 0)

/* ---- data set comparison, §9.3.4 ---- */

/* Figure 35: A and B describe the same grandmaster; the one nearer to it,
 * or by the identities of senders and receivers, is better "by topology"
 * (it matters for P2 of Figure 33) or plainly better. */
static int compare_topology(const struct ptp_bmc_ds *a, const struct ptp_bmc_ds *b)
{
	unsigned sa = a->steps_removed, sb = b->steps_removed;
	int d;

	/* More than one step apart: the nearer one is better. */
	if (sa > sb + 1)
		return PTP_B_BETTER;
	if (sa + 1 < sb)
		return PTP_A_BETTER;
	/* One step apart: the farther one may be our own time coming back
	 * (sent by a clock that is downstream of the receiver). Compare
	 * the farther one's receiver with its sender. Equal identities
	 * ("error-1") mean the Announce came back to the port that sent
	 * it: nothing to choose, reported as SAME. linuxptp returns 0 too. */
	if (sa > sb) {
		d = port_id_cmp(&a->receiver, &a->sender);
		if (d < 0)
			return PTP_B_BETTER;
		return d > 0 ? PTP_B_BETTER_TOPO : PTP_BMC_SAME;
	}
	if (sa < sb) {
		d = port_id_cmp(&b->receiver, &b->sender);
		if (d < 0)
			return PTP_A_BETTER;
		return d > 0 ? PTP_A_BETTER_TOPO : PTP_BMC_SAME;
	}
	/* Equal steps: the lower sender identity, then (the same Announce
	 * heard on two ports of this clock) the lower receiving port
	 * number. Equal in both ("error-2"): the same Announce on the same
	 * port, SAME. */
	d = port_id_cmp(&a->sender, &b->sender);
	if (d)
		return d < 0 ? PTP_A_BETTER_TOPO : PTP_B_BETTER_TOPO;
	if (a->receiver.port != b->receiver.port)
		return a->receiver.port < b->receiver.port ? PTP_A_BETTER_TOPO :
			PTP_B_BETTER_TOPO;
	return PTP_BMC_SAME;
}

int ptp_bmc_compare(const struct ptp_bmc_ds *a, const struct ptp_bmc_ds *b)
{
	int d;

	/* An absent data set loses to any present one (Figure 33 compares
	 * D0 with an Erbest or Ebest that may not exist). */
	if (!a || !b)
		return a ? PTP_A_BETTER : b ? PTP_B_BETTER : PTP_BMC_SAME;
	/* Figure 34: the same grandmaster is decided by topology. */
	d = clock_id_cmp(&a->gm_identity, &b->gm_identity);
	if (!d)
		return compare_topology(a, b);
	/* Otherwise the grandmasters' attributes in this order, lower is
	 * better at each step, the identity breaking the last tie. */
	if (a->priority1 != b->priority1)
		return CMP(a->priority1, b->priority1);
	if (a->quality.clock_class != b->quality.clock_class)
		return CMP(a->quality.clock_class, b->quality.clock_class);
	if (a->quality.accuracy != b->quality.accuracy)
		return CMP(a->quality.accuracy, b->quality.accuracy);
	if (a->quality.variance != b->quality.variance)
		return CMP(a->quality.variance, b->quality.variance);
	if (a->priority2 != b->priority2)
		return CMP(a->priority2, b->priority2);
	return d < 0 ? PTP_A_BETTER : PTP_B_BETTER;
}

void ptp_bmc_d0(const struct ptp_default_ds *dds, uint16_t port, struct ptp_bmc_ds *out)
{
	/* §9.3.4 Table 30, D0: the default data set as if announced by this
	 * port to itself, zero steps from the grandmaster it is. */
	memset(out, 0, sizeof(*out));
	out->priority1 = dds->priority1;
	out->priority2 = dds->priority2;
	out->gm_identity = dds->identity;
	out->quality = dds->quality;
	out->steps_removed = 0;
	out->sender.clock = dds->identity;
	out->sender.port = port;
	out->receiver = out->sender;
}

/* ---- state decision, §9.3.3 Figure 33 ---- */

enum ptp_rs ptp_bmc_decide(const struct ptp_bmc_ds *d0, const struct ptp_bmc_ds *erbest,
			   const struct ptp_bmc_ds *ebest, bool slave_only, bool listening)
{
	/* No qualified Announce on this port yet: keep listening until the
	 * announce receipt timeout says otherwise. */
	if (!erbest && listening)
		return PTP_RS_LISTENING;
	/* A slave-only clock's D0 must never win. The standard gives it
	 * clockClass 255 (§7.6.2), the worst, but Figure 34 looks at
	 * priority1 before the class, so a configured priority1 could
	 * still make D0 better than a master: the comparison with D0 is
	 * skipped instead. Figure 31 turns the master decisions that
	 * remain into LISTENING. */
	if (!slave_only && d0->quality.clock_class <= 127) {
		/* Classes 1..127 (0 is reserved) never follow another
		 * clock: M1 against this port's best, else P1. */
		return ptp_bmc_compare(d0, erbest) > 0 ? PTP_RS_GRAND_MASTER : PTP_RS_PASSIVE;
	}
	if (!ebest || (!slave_only && ptp_bmc_compare(d0, ebest) > 0))
		return PTP_RS_GRAND_MASTER;	/* M2 */
	/* S1: Ebest was received on this port. Erbest and Ebest carry the
	 * receiving port's identity. */
	if (erbest && port_id_cmp(&ebest->receiver, &erbest->receiver) == 0)
		return PTP_RS_SLAVE;
	/* P2 when Ebest is better than this port's best only by topology
	 * (the same grandmaster, heard better elsewhere), else M3. */
	if (ptp_bmc_compare(ebest, erbest) == PTP_A_BETTER_TOPO)
		return PTP_RS_PASSIVE;
	return PTP_RS_MASTER;
}

const char *ptp_rs_name(enum ptp_rs rs)
{
	switch (rs) {
	case PTP_RS_LISTENING:
		return "LISTENING";
	case PTP_RS_GRAND_MASTER:
		return "GRAND_MASTER";
	case PTP_RS_MASTER:
		return "MASTER";
	case PTP_RS_SLAVE:
		return "SLAVE";
	case PTP_RS_PASSIVE:
		return "PASSIVE";
	}
	return "?";
}

/* ---- port state machine, §9.2.5 ---- */

const char *ptp_fsm_event_name(enum ptp_fsm_event ev)
{
	static const char *const names[] = {
		[PTP_EV_NONE] = "NONE",
		[PTP_EV_POWERUP] = "POWERUP",
		[PTP_EV_INITIALIZE] = "INITIALIZE",
		[PTP_EV_DESIGNATED_ENABLED] = "DESIGNATED_ENABLED",
		[PTP_EV_DESIGNATED_DISABLED] = "DESIGNATED_DISABLED",
		[PTP_EV_FAULT_CLEARED] = "FAULT_CLEARED",
		[PTP_EV_FAULT_DETECTED] = "FAULT_DETECTED",
		[PTP_EV_STATE_DECISION] = "STATE_DECISION_EVENT",
		[PTP_EV_QUALIFICATION_TIMEOUT] = "QUALIFICATION_TIMEOUT_EXPIRES",
		[PTP_EV_ANNOUNCE_RECEIPT_TIMEOUT] = "ANNOUNCE_RECEIPT_TIMEOUT_EXPIRES",
		[PTP_EV_SYNCHRONIZATION_FAULT] = "SYNCHRONIZATION_FAULT",
		[PTP_EV_MASTER_CLOCK_SELECTED] = "MASTER_CLOCK_SELECTED",
		[PTP_EV_RS_MASTER] = "RS_MASTER",
		[PTP_EV_RS_GRAND_MASTER] = "RS_GRAND_MASTER",
		[PTP_EV_RS_SLAVE] = "RS_SLAVE",
		[PTP_EV_RS_PASSIVE] = "RS_PASSIVE",
	};

	if ((unsigned)ev < ARRAY_LEN(names) && names[ev])
		return names[ev];
	return "?";
}

enum ptp_fsm_event ptp_rs_event(enum ptp_rs rs)
{
	switch (rs) {
	case PTP_RS_GRAND_MASTER:
		return PTP_EV_RS_GRAND_MASTER;
	case PTP_RS_MASTER:
		return PTP_EV_RS_MASTER;
	case PTP_RS_SLAVE:
		return PTP_EV_RS_SLAVE;
	case PTP_RS_PASSIVE:
		return PTP_EV_RS_PASSIVE;
	case PTP_RS_LISTENING:
		break;
	}
	return PTP_EV_NONE;
}

/* The transitions every state shares (Figures 30 and 31): POWERUP and
 * INITIALIZE restart the port, DESIGNATED_DISABLED disables it, and a
 * fault makes it FAULTY. A DISABLED port runs nothing, so no fault is
 * detected there. Returns -1 when ev is not one of them.
 * linuxptp ignores DESIGNATED_DISABLED in INITIALIZING; the figures
 * take it from every state. */
static int common_next(enum ptp_port_state st, enum ptp_fsm_event ev)
{
	switch (ev) {
	case PTP_EV_POWERUP:
	case PTP_EV_INITIALIZE:
		return PTP_PS_INITIALIZING;
	case PTP_EV_DESIGNATED_DISABLED:
		return PTP_PS_DISABLED;
	case PTP_EV_FAULT_DETECTED:
		return st == PTP_PS_DISABLED ? PTP_PS_DISABLED : PTP_PS_FAULTY;
	case PTP_EV_DESIGNATED_ENABLED:
		return st == PTP_PS_DISABLED ? PTP_PS_INITIALIZING : (int)st;
	case PTP_EV_FAULT_CLEARED:
		return st == PTP_PS_FAULTY ? PTP_PS_INITIALIZING : (int)st;
	default:
		return -1;
	}
}

/* UNCALIBRATED and SLAVE on RS_SLAVE: a new parent means calibrating
 * again; the same parent keeps the state. */
static enum ptp_port_state on_rs_slave(enum ptp_port_state st, bool new_master)
{
	if (st == PTP_PS_SLAVE && !new_master)
		return PTP_PS_SLAVE;
	return PTP_PS_UNCALIBRATED;
}

/* Figure 30, the full machine. INITIALIZING leaves for LISTENING when
 * initialisation completes, which is no event of §9.2.6: the port does
 * that itself. */
static enum ptp_port_state full_next(enum ptp_port_state st, enum ptp_fsm_event ev,
				     bool new_master)
{
	bool receiving = st == PTP_PS_LISTENING || st == PTP_PS_UNCALIBRATED ||
		st == PTP_PS_SLAVE || st == PTP_PS_PASSIVE;
	bool decided = receiving || st == PTP_PS_PRE_MASTER || st == PTP_PS_MASTER;

	if (!decided)
		return st;	/* INITIALIZING, FAULTY, DISABLED: no decision applies */
	switch (ev) {
	case PTP_EV_ANNOUNCE_RECEIPT_TIMEOUT:
		/* §9.2.6: no master heard; the port becomes master.
		 * Only in the states that listen for one. */
		return receiving ? PTP_PS_MASTER : st;
	case PTP_EV_QUALIFICATION_TIMEOUT:
		return st == PTP_PS_PRE_MASTER ? PTP_PS_MASTER : st;
	case PTP_EV_MASTER_CLOCK_SELECTED:
		return st == PTP_PS_UNCALIBRATED ? PTP_PS_SLAVE : st;
	case PTP_EV_SYNCHRONIZATION_FAULT:
		return st == PTP_PS_SLAVE ? PTP_PS_UNCALIBRATED : st;
	case PTP_EV_RS_MASTER:
		/* M3: through PRE_MASTER (the qualification timeout,
		 * §9.2.6); a master already stays master. */
		return st == PTP_PS_MASTER || st == PTP_PS_PRE_MASTER ? st : PTP_PS_PRE_MASTER;
	case PTP_EV_RS_GRAND_MASTER:
		/* M1, M2: this clock is the grandmaster, nothing to qualify:
		 * straight to MASTER. A port already in PRE_MASTER still
		 * waits for its qualification timeout, as linuxptp reads
		 * Figure 30 (the port sets that timeout, §9.2.6). */
		return st == PTP_PS_PRE_MASTER ? st : PTP_PS_MASTER;
	case PTP_EV_RS_SLAVE:
		return on_rs_slave(st, new_master);
	case PTP_EV_RS_PASSIVE:
		return PTP_PS_PASSIVE;
	default:
		return st;	/* NONE, STATE_DECISION (its result comes as RS_*) */
	}
}

/* Figure 31, the slave-only machine: no PRE_MASTER, MASTER or PASSIVE;
 * whatever would lead there leads back to LISTENING. A port found in one
 * of those states (the role changed under it) leaves it the same way. */
static enum ptp_port_state slave_only_next(enum ptp_port_state st, enum ptp_fsm_event ev,
					   bool new_master)
{
	if (st == PTP_PS_INITIALIZING || st == PTP_PS_FAULTY || st == PTP_PS_DISABLED)
		return st;
	switch (ev) {
	case PTP_EV_ANNOUNCE_RECEIPT_TIMEOUT:
	case PTP_EV_RS_MASTER:
	case PTP_EV_RS_GRAND_MASTER:
	case PTP_EV_RS_PASSIVE:
		return PTP_PS_LISTENING;
	case PTP_EV_MASTER_CLOCK_SELECTED:
		return st == PTP_PS_UNCALIBRATED ? PTP_PS_SLAVE : st;
	case PTP_EV_SYNCHRONIZATION_FAULT:
		return st == PTP_PS_SLAVE ? PTP_PS_UNCALIBRATED : st;
	case PTP_EV_RS_SLAVE:
		return on_rs_slave(st, new_master);
	default:
		return st;
	}
}

enum ptp_port_state ptp_fsm_next(enum ptp_port_state st, enum ptp_fsm_event ev, bool new_master,
				 bool slave_only)
{
	int common = common_next(st, ev);

	if (common >= 0)
		return (enum ptp_port_state)common;
	return slave_only ? slave_only_next(st, ev, new_master) : full_next(st, ev, new_master);
}

/* ---- foreign master records, §9.3.2.4.4, §9.3.2.5 ---- */

void ptp_foreign_init(struct ptp_foreign_table *t)
{
	memset(t, 0, sizeof(*t));
}

void ptp_foreign_clear(struct ptp_foreign_table *t)
{
	ptp_foreign_init(t);
}

/* The Announces still inside the window of `intervals` announce
 * intervals ending at now (§9.3.2.4.5: FOREIGN_MASTER_TIME_WINDOW);
 * heard[0] is the newest. */
static int recent_in(const struct ptp_foreign *f, gt_ns now, gt_ns interval_ns, int intervals)
{
	gt_ns window = intervals * interval_ns;
	int i;

	for (i = 0; i < f->n_heard; i++)
		if (now - f->heard[i] > window)
			break;
	return i;
}

static int recent(const struct ptp_foreign *f, gt_ns now, gt_ns interval_ns)
{
	return recent_in(f, now, interval_ns, PTP_FOREIGN_WINDOW);
}

static bool is_parent(const struct ptp_foreign *f, const struct ptp_foreign_parent *parent)
{
	return parent && parent->id && f->used && ptp_port_id_eq(&f->sender, parent->id);
}

int ptp_foreign_parent_window(int timeout)
{
	return timeout + 1 > PTP_FOREIGN_WINDOW ? timeout + 1 : PTP_FOREIGN_WINDOW;
}

static bool qualified(const struct ptp_foreign *f, gt_ns now, gt_ns interval_ns)
{
	return f->used && recent(f, now, interval_ns) >= PTP_FOREIGN_THRESHOLD;
}

/* The time-property bits of flagField (§13.3.2.8 octet 1) that the parent
 * and time properties data sets take from the Announce. */
#define PROPERTY_FLAGS (PTP_FLAG_LEAP61 | PTP_FLAG_LEAP59 | PTP_FLAG_UTC_VALID | \
			PTP_FLAG_TIMESCALE | PTP_FLAG_TIME_TRACEABLE | PTP_FLAG_FREQ_TRACEABLE)

/* Whether what the decision or the adopted data sets use changed
 * (§9.3.5 Table 33 takes all of these from Erbest). */
static bool announce_changed(const struct ptp_foreign *f, const struct ptp_msg *m)
{
	const struct ptp_announce *o = &f->announce, *n = &m->u.announce;

	return o->gm_priority1 != n->gm_priority1 || o->gm_priority2 != n->gm_priority2 ||
		o->gm_quality.clock_class != n->gm_quality.clock_class ||
		o->gm_quality.accuracy != n->gm_quality.accuracy ||
		o->gm_quality.variance != n->gm_quality.variance ||
		clock_id_cmp(&o->gm_identity, &n->gm_identity) != 0 ||
		o->steps_removed != n->steps_removed || o->utc_offset != n->utc_offset ||
		o->time_source != n->time_source ||
		(f->flags & PROPERTY_FLAGS) != (m->h.flags & PROPERTY_FLAGS);
}

/* The record of m's sender, or a free one, or the one heard longest ago
 * (the table is bounded; §9.3.2.4.4 asks for at least 5 records).
 * Unqualified records go first: a burst of senders heard once (or forged
 * ones) must not push out the qualified master the port follows. */
static struct ptp_foreign *slot_for(struct ptp_foreign_table *t, const struct ptp_port_id *src,
				    gt_ns now, gt_ns interval_ns, bool *fresh)
{
	struct ptp_foreign *free_rec = NULL, *oldest = NULL;
	bool oldest_q = true;
	int i;

	for (i = 0; i < PTP_FOREIGN_MAX; i++) {
		struct ptp_foreign *f = &t->r[i];
		bool q;

		if (!f->used) {
			if (!free_rec)
				free_rec = f;
			continue;
		}
		if (port_id_cmp(&f->sender, src) == 0) {
			*fresh = false;
			return f;
		}
		q = qualified(f, now, interval_ns);
		if (!oldest || (!q && oldest_q) ||
		    (q == oldest_q && f->heard[0] < oldest->heard[0])) {
			oldest = f;
			oldest_q = q;
		}
	}
	*fresh = true;
	return free_rec ? free_rec : oldest;
}

bool ptp_foreign_add(struct ptp_foreign_table *t, const struct ptp_msg *m, gt_ns mono_now,
		     gt_ns interval_ns)
{
	struct ptp_foreign *f;
	bool fresh, was_qualified, changed;
	int i;

	/* §9.3.2.5 d): an Announce 255 or more steps from its grandmaster
	 * is not qualified, and must not make a record either. */
	if (m->u.announce.steps_removed >= 255)
		return false;
	f = slot_for(t, &m->h.source, mono_now, interval_ns, &fresh);
	if (fresh) {
		memset(f, 0, sizeof(*f));
		f->used = true;
		f->sender = m->h.source;
		was_qualified = false;
		changed = false;
	} else {
		/* §9.3.2.4.5 counts distinct Announces: a duplicate of the
		 * newest one (the same sequenceId) is not a second one. */
		if (f->n_heard > 0 && f->seq == m->h.seq)
			return false;
		was_qualified = qualified(f, mono_now, interval_ns);
		changed = announce_changed(f, m);
	}
	/* Keep the newest THRESHOLD arrival times, newest first. linuxptp
	 * does not count a sender's first Announce (it needs three); the
	 * standard counts every distinct one. */
	for (i = PTP_FOREIGN_THRESHOLD - 1; i > 0; i--)
		f->heard[i] = f->heard[i - 1];
	f->heard[0] = mono_now;
	if (f->n_heard < PTP_FOREIGN_THRESHOLD)
		f->n_heard++;
	f->seq = m->h.seq;
	f->announce = m->u.announce;
	f->flags = m->h.flags;
	f->log_interval = m->h.log_interval;
	if (!qualified(f, mono_now, interval_ns))
		return false;
	return !was_qualified || changed;
}

bool ptp_foreign_expire(struct ptp_foreign_table *t, gt_ns mono_now, gt_ns interval_ns,
			const struct ptp_foreign_parent *parent)
{
	bool lost = false;
	int i;

	for (i = 0; i < PTP_FOREIGN_MAX; i++) {
		struct ptp_foreign *f = &t->r[i];
		int keep;

		if (!f->used)
			continue;
		keep = recent(f, mono_now, interval_ns);
		/* The parent's newest Announce stays for its own window. */
		if (keep == 0 && is_parent(f, parent) &&
		    recent_in(f, mono_now, interval_ns, parent->window) > 0)
			keep = 1;
		if (keep == f->n_heard)
			continue;
		/* Announces that left the window count no more; a record
		 * with none left is dropped. A record that held THRESHOLD
		 * Announces and now holds fewer lost its qualification:
		 * the decision must run again. */
		if (f->n_heard >= PTP_FOREIGN_THRESHOLD && keep < PTP_FOREIGN_THRESHOLD)
			lost = true;
		f->n_heard = keep;
		if (keep == 0)
			memset(f, 0, sizeof(*f));
	}
	return lost;
}

void ptp_foreign_ds(const struct ptp_foreign *f, const struct ptp_port_id *port_id,
		    struct ptp_bmc_ds *out)
{
	const struct ptp_announce *a = &f->announce;

	/* §9.3.4 Table 30: the Announce's grandmaster fields, its
	 * stepsRemoved as sent, its sender and the receiving port. */
	memset(out, 0, sizeof(*out));
	out->priority1 = a->gm_priority1;
	out->priority2 = a->gm_priority2;
	out->gm_identity = a->gm_identity;
	out->quality = a->gm_quality;
	out->steps_removed = a->steps_removed;
	out->sender = f->sender;
	out->receiver = *port_id;
}

const struct ptp_foreign *ptp_foreign_best(const struct ptp_foreign_table *t, gt_ns mono_now,
					   gt_ns interval_ns, const struct ptp_port_id *port_id,
					   const struct ptp_foreign_parent *parent,
					   struct ptp_bmc_ds *out)
{
	const struct ptp_foreign *best = NULL;
	struct ptp_bmc_ds ds;
	int i;

	for (i = 0; i < PTP_FOREIGN_MAX; i++) {
		const struct ptp_foreign *f = &t->r[i];
		/* §9.3.2.5 d): the threshold is for foreign masters; the
		 * current parent's Announces stay qualified (its loss is the
		 * receipt timeout's to judge), or two Announces lost of four
		 * would make a slave its own master for a while, and a
		 * receipt timeout over 4 intervals would never be reached. */
		bool parent_ok = is_parent(f, parent) &&
				 recent_in(f, mono_now, interval_ns, parent->window) >= 1;

		if (!parent_ok && !qualified(f, mono_now, interval_ns))
			continue;
		ptp_foreign_ds(f, port_id, &ds);
		if (!best || ptp_bmc_compare(&ds, out) > 0) {
			best = f;
			*out = ds;
		}
	}
	return best;
}
