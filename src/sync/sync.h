/* sync: the synchronisation core: per-source clock filters, source
 * selection (intersection, clustering, combining) and the clock discipline.
 * Sources feed samples; sync_update() selects and disciplines the clock
 * through the clock driver (struct clk) only; services read the outcome
 * through sync_get_state(). Pure with respect to time: every call is given
 * "now" (monotonic ns and the clock's own time), so the same code runs in
 * the daemon and, deterministically and fast, in the simulator (tests/sim).
 *
 * Design and reasoning: doc/discipline.md. The pieces: sync/sync_filter
 * (RFC 5905 §10 per source), sync/sync_select (§11.2), clock/disc (the
 * discipline, with the estimator clock/kalman), clock/drift, clock/leap.
 *
 * Calling contract: sync_add_sample() as each sample arrives, then
 * sync_update(); and sync_update() again at sync_next_update(), which is
 * when a slew ends, a leap second falls or holdover expires. A caller
 * that never honours sync_next_update() leaves slews running too long. */
#ifndef GNOMON_SYNC_H
#define GNOMON_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "clock/clk.h"
#include "sync/sync_sample.h"

#define SYNC_MAX_SOURCES 64
#define SYNC_MAX_SUMMARIES 4

enum sync_leapmode {
	SYNC_LEAP_SYSTEM = 0,	/* the clock driver applies it (set_leap), else as step */
	SYNC_LEAP_STEP,		/* the discipline steps the clock at the leap */
	SYNC_LEAP_SLEW,		/* the clock is slewed by the second, never stepped */
	SYNC_LEAP_IGNORE,	/* no correction: the second becomes an ordinary offset */
};

/* Zero in a field means its default, so a zeroed struct is a valid
 * configuration: no steps, no maxchange, no drift file. */
struct sync_config {
	double makestep_threshold;	/* s; step if |offset| above ... */
	int makestep_limit;		/* ... in the first N updates (-1: always; 0: never) */
	double maxchange_offset;	/* s; 0: off */
	int maxchange_start, maxchange_ignore;
	double maxdistance;		/* s; root distance limit for selection (default 3) */
	int minsources;			/* default 1 */
	double holdover;		/* s without a selectable source before unsync (default 3600) */
	const char *driftfile;		/* NULL: none */
	double maxslewrate;		/* ppm beyond the drift correction (default 83333,
					 * and no more than the driver takes) */
	enum sync_leapmode leapsecmode;	/* default SYNC_LEAP_SYSTEM */
};

#define SYNC_DEFAULT_MAXDISTANCE 3.0
#define SYNC_DEFAULT_HOLDOVER 3600.0
#define SYNC_DEFAULT_MAXSLEWRATE 83333.0
/* The drift file is rewritten this often while synchronised (s), and by
 * sync_destroy(). */
#define SYNC_DRIFT_INTERVAL 3600

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
	gt_ns offset_sd;		/* standard deviation of offset */
	gt_ns root_dist;		/* half-width of its correctness interval */
	unsigned resets;		/* times its estimate restarted (source moved) */
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
	int n_steps;			/* clock steps, leap steps included */
	gt_ns offset_sd;		/* estimated standard error of the clock now */
	int n_survivors;		/* sources combined at the last selection */
	bool maxchange_exit;		/* maxchange ignored too often: exit (chrony does) */
};

struct sync;
struct json_out;

/* What every source (NTP client or peer, broadcast client, gateway
 * receiver, PTP slave) is to the core: a kind for displays and what the
 * core tells it. A source measures and hands samples to sync_add_sample();
 * it never touches the clock, and it learns of a step from the core
 * instead of watching a counter. Callbacks may be NULL. */
struct sync_source_ops {
	const char *kind;		/* "ntp", "broadcast", "gateway", "ptp" */
	/* The clock was stepped by delta s (a leap second included): a
	 * measurement that spans the step is meaningless. Called from within
	 * sync_update(); the source must not call back into the core. */
	void (*clock_stepped)(void *arg, double delta);
	/* `gnomonctl sources`: the source's own members (address, port, mode,
	 * poll, reach, its counters) into the open JSON object, after the
	 * core's view si; clock_now: the clock's time. Returns false when
	 * the source is gone (a broadcast sender whose slot was taken), which
	 * is then not listed. */
	bool (*describe)(void *arg, int src, const struct sync_src_info *si, gt_ns clock_now,
			 struct json_out *j);
	/* Its poll exponent (2^poll s between requests or messages) and its
	 * reachability register (RFC 5905 §13: one bit per poll, newest
	 * lowest), for the metrics; false when the source is gone, as above.
	 * NULL: a source without polls. */
	bool (*poll_reach)(void *arg, int src, int *poll, unsigned *reach);
};

/* The counters of a whole module beyond its sources' (the broadcast
 * client's): a member of the reply's top object after the list. */
typedef void (*sync_summary_fn)(void *arg, struct json_out *j);

/* Called by sync_add_sample() once the sample is in: whoever runs the
 * core (sync_run on the event loop) updates it then. */
typedef void (*sync_update_hook)(void *arg);

/* Reads the drift file and sets the clock's frequency from it. The
 * clock must outlive the sync. NULL on allocation failure. */
struct sync *sync_create(struct clk *clock, const struct sync_config *cfg);
/* Writes the drift file (when synchronised) and frees. */
void sync_destroy(struct sync *s);
/* Register a source; returns its id or -ENOSPC. refid: the id this source
 * has when it is the system peer (IPv4 address or hash of IPv6). ops and
 * arg may be NULL (tests, the simulator). */
int sync_add_source(struct sync *s, const struct sync_source_ops *ops, void *arg,
		    const char *name, uint32_t refid, unsigned flags);
/* The kind its ops name ("" without ops). */
const char *sync_source_kind(const struct sync *s, int src);
/* The ops and arg a source was registered with (NULL for an unknown id). */
const struct sync_source_ops *sync_source_ops_of(const struct sync *s, int src, void **arg);
/* How many sources have been registered (ids 0..n-1). */
int sync_source_count(const struct sync *s);
/* Register a module's summary for `gnomonctl sources` (at most
 * SYNC_MAX_SUMMARIES); 0 or -ENOSPC. */
int sync_add_summary(struct sync *s, sync_summary_fn fn, void *arg);
void sync_write_summaries(const struct sync *s, struct json_out *j);
/* The one function run after each sample (NULL: none). */
void sync_set_update_hook(struct sync *s, sync_update_hook fn, void *arg);
/* Feed a sample; mono_now: CLOCK_MONOTONIC ns at the time of the call. */
void sync_add_sample(struct sync *s, int src, const struct sync_sample *smp, gt_ns mono_now);
/* Select, combine and discipline; call after new samples and periodically. */
void sync_update(struct sync *s, gt_ns mono_now);
void sync_get_state(const struct sync *s, struct sync_state *out);
int sync_get_source(const struct sync *s, int src, struct sync_src_info *out);
/* Suggested poll exponent for a source that chooses its own rate (an NTP
 * client), within [minpoll, maxpoll]. Rises by at most one per call. */
int sync_poll_hint(struct sync *s, int src, int minpoll, int maxpoll);
/* The interval (s) to wait for the poll the last hint gave: 2^poll, a
 * little less at the cap of a path whose jitter leans (sync.c). */
double sync_poll_interval(const struct sync *s, int src, int poll);
/* The interval of a source whose rate is set by its sender (broadcast,
 * gateway, PTP): 2^poll s. */
void sync_set_interval(struct sync *s, int src, int poll);
/* Monotonic ns at which sync_update() must run next; INT64_MAX if none. */
gt_ns sync_next_update(const struct sync *s);
/* The state as the NTP server publishes it (precision left 0). */
void sync_get_quality(const struct sync *s, struct clk_quality *q);

#endif
