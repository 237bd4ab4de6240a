/* sync: the synchronisation core: per-source clock filters, source
 * selection (intersection, clustering, combining) and the clock discipline.
 * Sources feed samples; sync_update() selects and disciplines the clock
 * through the clock driver (struct clk) only; services read the outcome
 * through sync_get_state(). Pure with respect to time: every call is given
 * "now" (monotonic ns and the clock's own time), so the same code runs in
 * the daemon and, deterministically and fast, in the simulator (tests/sim).
 *
 * Status: interface fixed by the lead; implementation in progress. */
#ifndef GNOMON_SYNC_H
#define GNOMON_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "clock/clk.h"
#include "ntp/ntp_sample.h"

#define SYNC_MAX_SOURCES 64

struct sync_config {
	double makestep_threshold;	/* s; step if |offset| above ... */
	int makestep_limit;		/* ... in the first N updates (-1: always; 0: never) */
	double maxchange_offset;	/* s; 0: off */
	int maxchange_start, maxchange_ignore;
	double maxdistance;		/* s; root distance limit for selection (default 3) */
	int minsources;			/* default 1 */
	double holdover;		/* s without a selectable source before unsync */
	const char *driftfile;		/* NULL: none */
};

enum sync_src_flags { SYNC_SRC_PREFER = 1u, SYNC_SRC_NOSELECT = 2u };

/* Per-source state as gnomonctl sources/sourcestats shows it. */
enum sync_src_state {
	SYNC_SRC_NONE,		/* no usable samples yet */
	SYNC_SRC_SYSPEER,	/* '*' selected */
	SYNC_SRC_COMBINED,	/* '+' combined */
	SYNC_SRC_CANDIDATE,	/* '-' survived intersection, not combined */
	SYNC_SRC_FALSETICKER,	/* 'x' */
	SYNC_SRC_JITTERY,	/* '~' too variable / outlier in clustering */
	SYNC_SRC_UNSELECTABLE,	/* '?' noselect, too distant, stratum, loop */
};

struct sync_src_info {
	char name[64];
	enum sync_src_state state;
	int n_samples;
	gt_ns last_offset, last_delay, last_time;
	gt_ns offset, jitter, delay, disp;	/* filtered estimate */
	double freq_ppm, skew_ppm;		/* per-source regression, if any */
	uint8_t stratum;
	uint32_t refid;
};

/* What services publish (NTP server fields, gnomonctl tracking). */
struct sync_state {
	bool synced;
	uint8_t leap, stratum;		/* stratum = sys peer's + 1; 16 unsynced */
	uint32_t refid;			/* sys peer's refid as RFC 5905 wants */
	gt_ns root_delay, root_disp, ref_time;
	gt_ns last_offset, rms_offset;	/* of the local clock vs. the combined estimate */
	double freq_ppm, skew_ppm, residual_freq_ppm;
	int sys_peer;			/* source id or -1 */
	int n_steps;
};

struct sync;

struct sync *sync_create(struct clk *clock, const struct sync_config *cfg);
void sync_destroy(struct sync *s);
/* Register a source; returns its id or -ENOSPC. refid: the id this source
 * has when it is the system peer (IPv4 address or hash of IPv6). */
int sync_add_source(struct sync *s, const char *name, uint32_t refid, unsigned flags);
/* Feed a sample; mono_now: CLOCK_MONOTONIC ns at the time of the call. */
void sync_add_sample(struct sync *s, int src, const struct ntp_sample *smp, gt_ns mono_now);
/* Select, combine and discipline; call after new samples and periodically. */
void sync_update(struct sync *s, gt_ns mono_now);
void sync_get_state(const struct sync *s, struct sync_state *out);
int sync_get_source(const struct sync *s, int src, struct sync_src_info *out);
/* Suggested poll exponent for a source within [minpoll, maxpoll]. */
int sync_poll_hint(const struct sync *s, int src, int minpoll, int maxpoll);

#endif
