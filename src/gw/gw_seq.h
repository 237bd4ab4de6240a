/* gw_seq: sequence accounting and the replay window for one gateway sender
 * (doc/gateway-protocol.md, "Sequence numbers and boot ids").
 *
 * Fed the (boot id, sequence number) of each *authenticated* message in
 * arrival order, it says whether the message is new, after a gap, late,
 * seen before, too old, or the first of a new sender boot, and keeps the
 * counts. The window is a bitmap of the last `window` sequence numbers, as
 * in IPsec's anti-replay check (RFC 4303 §3.4.3). Sequence numbers are
 * compared in serial-number arithmetic (RFC 1982) modulo 2^64, so wrapping
 * from 2^64-1 to 0 is in order.
 *
 * Pure state, no clock, no I/O: one object per sender, owned by the
 * receiver, used from one thread. */
#ifndef GNOMON_GW_SEQ_H
#define GNOMON_GW_SEQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/gtime.h"

#define GW_SEQ_MIN_WINDOW 1
#define GW_SEQ_MAX_WINDOW 4096
#define GW_SEQ_DEFAULT_WINDOW 256
/* Boot ids remembered after a restart: messages of these are replays. */
#define GW_SEQ_BOOT_HISTORY 16

enum gw_seq_verdict {
	GW_SEQ_NEW = 0,		/* the next one (or the very first message) */
	GW_SEQ_GAP,		/* newer, with `lost` messages skipped */
	GW_SEQ_REORDERED,	/* older than the newest, inside the window, not
				 * seen before: one fewer lost */
	GW_SEQ_RESTART,		/* first message of a new boot id */
	GW_SEQ_DUPLICATE,	/* seen before (inside the window) */
	GW_SEQ_REPLAY,		/* older than the window or than the first message
				 * of this boot, or of an earlier boot id */
	GW_SEQ_VERDICT_COUNT
};

struct gw_seq_counters {
	uint64_t received;	/* every message classified */
	uint64_t in_order;	/* NEW */
	uint64_t gaps;		/* GAP events */
	uint64_t lost;		/* skipped, less those that came late: exact */
	uint64_t reordered;
	uint64_t duplicates;
	uint64_t replays;
	uint64_t restarts;
};

struct gw_seq;

/* A tracker with a window of `window` sequence numbers (GW_SEQ_MIN_WINDOW
 * .. GW_SEQ_MAX_WINDOW); NULL when out of range. */
struct gw_seq *gw_seq_create(unsigned window);
void gw_seq_destroy(struct gw_seq *s);

/* The verdict on the message (boot_id, seq), without changing anything:
 * the receiver checks everything else before it commits. *lost (may be
 * NULL) gets how many messages a GAP would skip, else 0. */
enum gw_seq_verdict gw_seq_check(const struct gw_seq *s, uint64_t boot_id, uint64_t seq,
				 uint64_t *lost);
/* Take the message into the state (window, boot, counters) and return its
 * verdict; a verdict that is not usable changes nothing but its counter. */
enum gw_seq_verdict gw_seq_commit(struct gw_seq *s, uint64_t boot_id, uint64_t seq);
/* Count a refused message under its verdict (DUPLICATE, REPLAY); nothing
 * else changes. */
void gw_seq_refused(struct gw_seq *s, enum gw_seq_verdict v);
/* Check, then commit when usable or count when not: for a caller with no
 * other check in between. */
enum gw_seq_verdict gw_seq_update(struct gw_seq *s, uint64_t boot_id, uint64_t seq,
				  uint64_t *lost);
/* Start from a persisted state (gw_state): boot_id current with every
 * number up to floor seen (at or below it: REPLAY), old_boots[0..n_old)
 * (oldest first) replays. The first newer number of boot_id is NEW, not a
 * gap: the numbers sent while the receiver was down are not losses. */
void gw_seq_restore(struct gw_seq *s, uint64_t boot_id, uint64_t floor,
		    const uint64_t *old_boots, unsigned n_old);
/* The remembered earlier boots, oldest first, into out[0..cap); the count. */
unsigned gw_seq_old_boots(const struct gw_seq *s, uint64_t *out, unsigned cap);
/* A copy (tests: the state before a step), and whether two trackers hold
 * the same state (window, boot, history; not the counters). */
struct gw_seq *gw_seq_clone(const struct gw_seq *s);
bool gw_seq_same_state(const struct gw_seq *a, const struct gw_seq *b);
/* May the message's time be used? (NEW, GAP, REORDERED, RESTART.) */
bool gw_seq_usable(enum gw_seq_verdict v);

const struct gw_seq_counters *gw_seq_counters(const struct gw_seq *s);
/* Current boot id and newest sequence number; false before any message. */
bool gw_seq_current(const struct gw_seq *s, uint64_t *boot_id, uint64_t *top);

const char *gw_seq_verdict_name(enum gw_seq_verdict v);

enum gw_age {
	GW_AGE_OK = 0,
	GW_AGE_STALE,		/* older than max_age by the receiver's clock */
	GW_AGE_FUTURE,		/* later than max_ahead */
};

/* Age check of a message's time label: tx_time against the receiver's
 * clock now (Unix ns). Stale when now - tx_time > max_age, from the future
 * when tx_time - now > max_ahead (both >= 0). Free of overflow for any
 * inputs. Pure: the receiver decides when its clock is good enough to
 * judge (not before its first synchronisation). */
enum gw_age gw_age_check(gt_ns tx_time, gt_ns now, gt_ns max_age, gt_ns max_ahead);
const char *gw_age_name(enum gw_age a);

#endif
