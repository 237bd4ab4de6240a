/* ptp_bmc: the best master clock algorithm (IEEE 1588-2019 §9.3) and the
 * port state machine (§9.2.5) as pure functions, and the foreign master
 * records a port keeps (§9.3.2.4.4–9.3.2.5). Nothing here reads a clock
 * or a socket: every call is given "now" (monotonic ns). */
#ifndef GNOMON_PTP_BMC_H
#define GNOMON_PTP_BMC_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/gtime.h"
#include "ptp/ptp_ds.h"
#include "ptp/ptp_msg.h"

/* What the data set comparison needs of a master: an Announce's fields
 * (§9.3.4 Table 30), or the local clock's D0 built from its default data
 * set (steps_removed 0, sender = receiver = the local port identity). */
struct ptp_bmc_ds {
	uint8_t priority1, priority2;
	struct ptp_clock_id gm_identity;
	struct ptp_clock_quality quality;
	uint16_t steps_removed;
	struct ptp_port_id sender;	/* sourcePortIdentity of the Announce */
	struct ptp_port_id receiver;	/* the port that received it */
};

/* The result of comparing A with B, §9.3.4 Figures 34 and 35. */
enum ptp_bmc_cmp {
	PTP_B_BETTER_TOPO = -2,	/* B better by topology (steps removed, identities) */
	PTP_B_BETTER = -1,
	PTP_BMC_SAME = 0,	/* the same Announce: equal in every field compared */
	PTP_A_BETTER = 1,
	PTP_A_BETTER_TOPO = 2,
};
int ptp_bmc_compare(const struct ptp_bmc_ds *a, const struct ptp_bmc_ds *b);
/* D0 of the local clock for port `port` of the clock (identity from dds). */
void ptp_bmc_d0(const struct ptp_default_ds *dds, uint16_t port, struct ptp_bmc_ds *out);

/* The recommended state, §9.3.3 Figure 33 (M1, M2, M3, S1, P1, P2), plus
 * LISTENING: no qualified Announce on this port and the port is still
 * listening (the announce receipt timeout has not yet expired). */
enum ptp_rs {
	PTP_RS_LISTENING,
	PTP_RS_GRAND_MASTER,	/* M1, M2: the local clock is the best */
	PTP_RS_MASTER,		/* M3: a better master is reached through another port */
	PTP_RS_SLAVE,		/* S1 */
	PTP_RS_PASSIVE,		/* P1, P2 */
};
/* d0: the local clock; erbest: the best qualified Announce on this port
 * (NULL: none); ebest: the best over all the clock's ports (NULL: none);
 * slave_only: the clock never becomes master (§9.2.2.2, clockClass 255);
 * listening: the port is in LISTENING (or INITIALIZING). */
enum ptp_rs ptp_bmc_decide(const struct ptp_bmc_ds *d0, const struct ptp_bmc_ds *erbest,
			   const struct ptp_bmc_ds *ebest, bool slave_only, bool listening);
const char *ptp_rs_name(enum ptp_rs rs);

/* Port state machine events, §9.2.6. */
enum ptp_fsm_event {
	PTP_EV_NONE,
	PTP_EV_POWERUP,
	PTP_EV_INITIALIZE,
	PTP_EV_DESIGNATED_ENABLED,
	PTP_EV_DESIGNATED_DISABLED,
	PTP_EV_FAULT_CLEARED,
	PTP_EV_FAULT_DETECTED,
	PTP_EV_STATE_DECISION,
	PTP_EV_QUALIFICATION_TIMEOUT,
	PTP_EV_ANNOUNCE_RECEIPT_TIMEOUT,
	PTP_EV_SYNCHRONIZATION_FAULT,
	PTP_EV_MASTER_CLOCK_SELECTED,	/* UNCALIBRATED -> SLAVE: the servo locked */
	PTP_EV_RS_MASTER,
	PTP_EV_RS_GRAND_MASTER,
	PTP_EV_RS_SLAVE,
	PTP_EV_RS_PASSIVE,
};
const char *ptp_fsm_event_name(enum ptp_fsm_event ev);
/* The event a recommended state raises (LISTENING: PTP_EV_NONE). */
enum ptp_fsm_event ptp_rs_event(enum ptp_rs rs);

/* The next state of a port, §9.2.5 Figure 30 (the full machine); with
 * slave_only Figure 31 (the slave-only machine: never MASTER, PRE_MASTER
 * or PASSIVE; RS_MASTER/RS_GRAND_MASTER/RS_PASSIVE lead to LISTENING).
 * new_master: for RS_SLAVE in UNCALIBRATED or SLAVE, the parent changed
 * (the port goes (back) to UNCALIBRATED). The state unchanged when the event
 * does not apply. */
enum ptp_port_state ptp_fsm_next(enum ptp_port_state st, enum ptp_fsm_event ev, bool new_master,
				 bool slave_only);

/* Foreign master records of one port, §9.3.2.4.4: a record per sender
 * port identity, at most PTP_FOREIGN_MAX (a new sender replaces the
 * record heard longest ago, an unqualified one before a qualified one),
 * qualified once PTP_FOREIGN_THRESHOLD Announces arrived within
 * PTP_FOREIGN_WINDOW announce intervals (§9.3.2.4.5: 2 within 4). */
#define PTP_FOREIGN_MAX 8
#define PTP_FOREIGN_THRESHOLD 2
#define PTP_FOREIGN_WINDOW 4

struct ptp_foreign {
	bool used;
	struct ptp_port_id sender;
	struct ptp_announce announce;	/* the newest one */
	uint16_t seq;			/* its sequenceId: a duplicate is not counted */
	uint16_t flags;			/* its header's flagField (time properties) */
	int8_t log_interval;		/* its header's logMessageInterval */
	gt_ns heard[PTP_FOREIGN_THRESHOLD];	/* mono ns of the newest Announces */
	int n_heard;
};

struct ptp_foreign_table {
	struct ptp_foreign r[PTP_FOREIGN_MAX];
};

void ptp_foreign_init(struct ptp_foreign_table *t);
/* An Announce m arrived at mono_now on a port whose announce interval is
 * interval_ns. Announces whose stepsRemoved is 255 or more are ignored
 * (§9.3.2.5 d) and return false. Returns true when the sender's data set
 * (what the comparison or the time properties use) changed or the record
 * became qualified: the caller then runs the state decision. */
bool ptp_foreign_add(struct ptp_foreign_table *t, const struct ptp_msg *m, gt_ns mono_now,
		     gt_ns interval_ns);
/* The port's current parent, whose record is judged apart from the
 * foreign masters' (§9.3.2.5 d): it counts with one Announce, and that
 * Announce is kept for `window` announce intervals (the receipt timeout
 * and one more, at least PTP_FOREIGN_WINDOW), so that only the receipt
 * timeout ends it. id NULL: no parent (not a slave). */
struct ptp_foreign_parent {
	const struct ptp_port_id *id;
	int window;
};

/* The parent record's window for a receipt timeout of `timeout` intervals. */
int ptp_foreign_parent_window(int timeout);

/* Forget the Announces that left the window (WINDOW intervals before
 * mono_now; the parent's: its own window) and drop the records left with
 * none; true if a record lost its qualification (it held THRESHOLD
 * Announces, now fewer). A record heard once is kept until its Announce
 * ages out, so that the second can qualify it. parent may be NULL. */
bool ptp_foreign_expire(struct ptp_foreign_table *t, gt_ns mono_now, gt_ns interval_ns,
			const struct ptp_foreign_parent *parent);
/* The best qualified record at mono_now, as Erbest (receiver: port_id),
 * into *out; NULL when none. The record is returned for its Announce. A
 * record of the port's current parent counts with one Announce in its
 * window (§9.3.2.5 d): the threshold qualifies new foreign masters only.
 * parent may be NULL. */
const struct ptp_foreign *ptp_foreign_best(const struct ptp_foreign_table *t, gt_ns mono_now,
					   gt_ns interval_ns, const struct ptp_port_id *port_id,
					   const struct ptp_foreign_parent *parent,
					   struct ptp_bmc_ds *out);
/* The comparison data set of a record as received on port_id. */
void ptp_foreign_ds(const struct ptp_foreign *f, const struct ptp_port_id *port_id,
		    struct ptp_bmc_ds *out);
/* Forget every record (the port went to FAULTY or DISABLED). */
void ptp_foreign_clear(struct ptp_foreign_table *t);

#endif
