/* gw_agree: agreement before a gateway receiver trusts its first message
 * (doc/gateway.md, "Replay state and agreement").
 *
 * After a start, and after a new sender boot while the receiver's clock is
 * not synchronised, nothing can judge a time label: not the receiver's clock
 * (it has not been set) and not the sequence (a boot never seen is new to
 * it). So the receiver waits for `need` authentic messages of one boot, in
 * increasing sequence, whose labels advance like its own CLOCK_MONOTONIC
 * does between their arrivals (within tol plus 1000 ppm of the interval:
 * both clocks' frequency errors), and none of whose labels is at or before
 * the newest label it accepted before it stopped (the persisted floor). A
 * burst of recorded messages played back at once, labels that jump, and
 * anything older than what was accepted before all fail; messages recorded
 * and played back at their own pace, newer than the floor, do not (a limit
 * documented in doc/gateway.md).
 *
 * Several candidate chains are followed at once (GW_AGREE_CHAINS), so that
 * a message injected between genuine ones does not restart the genuine
 * chain; a message that fits no chain starts one in a free slot, else in
 * place of the shortest chain (the least recently extended of those).
 *
 * Pure state: no clock, no I/O; mono is the arrival time the caller read. */
#ifndef GNOMON_GW_AGREE_H
#define GNOMON_GW_AGREE_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/gtime.h"

#define GW_AGREE_MAX 16		/* largest `agree` count */
#define GW_AGREE_CHAINS 4
#define GW_AGREE_DEFAULT 4
#define GW_AGREE_DEFAULT_TOL (20 * GT_NS_PER_MS)

struct gw_agree_chain {
	bool used;
	uint64_t boot;
	uint64_t seq[GW_AGREE_MAX];	/* in arrival order, increasing */
	unsigned n;
	gt_ns label, mono;		/* of the newest */
};

struct gw_agree {
	unsigned need;			/* 1..GW_AGREE_MAX */
	gt_ns tol;			/* ns, >= 0 */
	bool have_floor;
	gt_ns floor;			/* labels at or before it are refused */
	struct gw_agree_chain ch[GW_AGREE_CHAINS];
	int reached;			/* index of the chain that agreed, -1 */
};

enum gw_agree_verdict {
	GW_AGREE_BEFORE_FLOOR,		/* label at or before the floor: refused */
	GW_AGREE_PENDING,		/* taken into a chain, not enough yet */
	GW_AGREE_REACHED,		/* this message completes a chain */
};

/* need is clamped to 1..GW_AGREE_MAX, tol to >= 0. */
void gw_agree_init(struct gw_agree *a, unsigned need, gt_ns tol);
/* The floor: the newest label accepted before (persisted). */
void gw_agree_set_floor(struct gw_agree *a, gt_ns floor);
/* Forget every chain (keep need, tol and floor). */
void gw_agree_reset(struct gw_agree *a);
/* The verdict a message would get, without changing anything. */
enum gw_agree_verdict gw_agree_check(const struct gw_agree *a, uint64_t boot, uint64_t seq,
				     gt_ns label, gt_ns mono);
/* Take the message: BEFORE_FLOOR changes nothing; PENDING extends or
 * starts a chain; REACHED too, and gw_agree_chain() then gives it. */
enum gw_agree_verdict gw_agree_add(struct gw_agree *a, uint64_t boot, uint64_t seq,
				   gt_ns label, gt_ns mono);
/* The chain that agreed (its last seq is the message that completed it),
 * or NULL. */
const struct gw_agree_chain *gw_agree_chain(const struct gw_agree *a);
const char *gw_agree_verdict_name(enum gw_agree_verdict v);

#endif
