/* gw_gate: the receiver's decision on one authentic message, as a pure
 * function of its state (gw_seq, gw_agree, the newest label) and of what
 * the caller read (arrival on CLOCK_MONOTONIC, the receiver's clock and
 * whether it is synchronised). gw_recv does the I/O, the counters, the
 * journal and the samples around it; the stateful fuzz target
 * (tests/fuzz/fuzz_gw_gate.c) drives it with message sequences.
 *
 * Order: sequence check, age check, agreement (before the first sample,
 * and for every new boot), and only then the commit. A new boot replaces
 * the current one only once it has agreed AND the current boot has been
 * silent for two of its intervals: a sender that restarts stops its old
 * boot, so two live boots of one sender mean that one of them is played
 * back; the current one is kept (`conflict`) rather than cut off. A
 * message refused at any step changes nothing but gw_seq's counter of a
 * DUPLICATE or REPLAY verdict; a PENDING one changes only the agreement
 * chains. */
#ifndef GNOMON_GW_GATE_H
#define GNOMON_GW_GATE_H

#include <stdbool.h>
#include <stdint.h>

#include "gw/gw_agree.h"
#include "gw/gw_seq.h"
#include "lib/gtime.h"

struct gw_gate {
	struct gw_seq *seq;		/* owned by the caller */
	struct gw_agree agree;
	gt_ns maxage;			/* ns */
	bool agreed;			/* samples may be taken */
	bool have_label;
	gt_ns label_max;		/* newest label accepted (persisted) */
	gt_ns label_mono;		/* its arrival; 0: before this run */
	gt_ns last_mono;		/* arrival of the last message committed; 0: none */
	gt_ns interval;			/* the current boot's interval, ns */
};

struct gw_gate_in {
	uint64_t boot_id, seq;
	gt_ns label;			/* the message's tx_time */
	gt_ns rx_mono;			/* arrival, CLOCK_MONOTONIC */
	bool synced;			/* the receiver's clock can judge labels */
	gt_ns clock_now;		/* the receiver's clock at arrival (when synced) */
	gt_ns interval;			/* the message's send interval, ns */
};

enum gw_gate_verdict {
	GW_GATE_ACCEPT = 0,		/* committed: out.sv says how */
	GW_GATE_SEQ,			/* refused by the sequence: out.sv */
	GW_GATE_STALE,
	GW_GATE_FUTURE,
	GW_GATE_BEFORE_FLOOR,		/* label at or before the persisted one */
	GW_GATE_PENDING,		/* waiting for agreement */
};

struct gw_gate_out {
	enum gw_gate_verdict v;
	enum gw_seq_verdict sv;
	uint64_t lost;			/* of a GAP */
	bool agreed_now;		/* this message completed an agreement ... */
	unsigned chain;			/* ... of this many messages */
	bool restarted;			/* the commit began a new boot */
	bool conflict;			/* PENDING: a new boot agreed while the
					 * current one is still alive */
};

/* seq: the caller's tracker; need/tol: agreement (gw_agree_init). */
void gw_gate_init(struct gw_gate *g, struct gw_seq *seq, unsigned need, gt_ns tol, gt_ns maxage);
/* A persisted state: the floor of labels (the seq state is restored by
 * the caller with gw_seq_restore). */
void gw_gate_restore_label(struct gw_gate *g, gt_ns label);
/* Judge the message and, when it passes, commit it; out says what happened. */
void gw_gate_judge(struct gw_gate *g, const struct gw_gate_in *in, struct gw_gate_out *out);
const char *gw_gate_verdict_name(enum gw_gate_verdict v);

#endif
