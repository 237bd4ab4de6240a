/* sync_filter: the per-source clock filter (RFC 5905 §10) and the source's
 * minimum-delay tracker.
 *
 * The §10 register keeps the last eight samples; its output (offset and
 * delay of the lowest-delay sample, peer dispersion, peer jitter) feeds
 * source selection (RFC 5905 §11.2) and gnomonctl. Popcorn spikes are
 * suppressed as in RFC 5905 Appendix A.5.2.
 *
 * The discipline does not use only the lowest-delay sample of eight: it
 * weighs every sample by its delay excess over the source's minimum delay.
 * The offset error of an NTP exchange is (forward queueing - return
 * queueing) / 2, so it is bounded by half the excess and, for independent
 * queueing delays, spread evenly over that bound; sync_filter_variance()
 * turns a sample's excess into the variance the estimator weighs it by.
 *
 * Offsets are stored with the discipline's phase U at their time (the
 * clock's cumulative deviation from free running, disc_phase()), so that
 * a stored offset read later is corrected for every slew and step made
 * since and for the estimated drift. Times are monotonic ns;
 * values are doubles in seconds. The struct is public to embed without
 * allocation; only this module writes it. */
#ifndef GNOMON_SYNC_FILTER_H
#define GNOMON_SYNC_FILTER_H

#include <stdbool.h>

#include "lib/gtime.h"

#define SYNC_FILTER_STAGES 8		/* RFC 5905 §10 NSTAGE */
#define SYNC_FILTER_SGATE 3.0		/* RFC 5905 A.5.2 popcorn spike gate */
#define SYNC_FILTER_DELAY_WINDOW 256	/* samples behind the minimum delay */
#define SYNC_FILTER_DELAY_MAX_AGE (86400 * GT_NS_PER_S)

struct sync_filter_stage {
	gt_ns mono;		/* epoch of the measurement (monotonic ns) */
	double offset;		/* s, source - local clock */
	double delay;		/* s, round trip */
	double disp;		/* s, sample dispersion at mono */
	double phase;		/* discipline phase U at mono, s */
};

struct sync_filter {
	struct sync_filter_stage st[SYNC_FILTER_STAGES];	/* st[0] newest */
	int n;
	int order[SYNC_FILTER_STAGES];	/* stage indices by increasing delay */
	double jitter;		/* RFC 5905 §10 psi, s */
	gt_ns last_used;	/* epoch of the last sample the output used */
	bool last_spike;	/* the previous sample was a popcorn spike */
	unsigned spikes;	/* popcorn spikes suppressed, total */
	/* Delay history for the minimum: ring of the last samples. */
	double dwin[SYNC_FILTER_DELAY_WINDOW];
	gt_ns dwin_t[SYNC_FILTER_DELAY_WINDOW];
	int dn, dnext;
	int low_idx[4];			/* ring indices of the four smallest */
	int adds_since_scan;
	double sum_delay;
	double min_delay;		/* smallest recent delay */
	double low[4];			/* the four smallest, ascending */
	double mean_delay;
	int n_delays;			/* recent enough to count */
};

struct sync_filter_out {
	double offset;		/* s, corrected to now */
	double delay;		/* s */
	double disp;		/* s, peer dispersion at the time given (§10 epsilon) */
	double jitter;		/* s, peer jitter (§10 psi) */
	gt_ns mono;		/* epoch of the sample the offset comes from */
};

enum sync_filter_verdict {
	SYNC_FILTER_USE,		/* a sample to estimate with */
	SYNC_FILTER_SPIKE,	/* popcorn spike: kept in the register, not used */
};

void sync_filter_init(struct sync_filter *f);
/* Shift a sample into the register (samples must come in time order);
 * rate: the drift estimate, for comparing it with older stages. */
enum sync_filter_verdict sync_filter_add(struct sync_filter *f, const struct sync_filter_stage *s,
				       double rate);
/* Correction of a stored offset to now: offsets move by the drift rate
 * (s/s) and against the discipline's phase changes since. */
struct sync_filter_now {
	gt_ns mono;		/* now, monotonic ns */
	double phase;		/* discipline phase U now, s */
	double rate;		/* drift estimate, s/s (kalman rate) */
};

/* The §10 output now; false while the register is empty. */
bool sync_filter_get(const struct sync_filter *f, const struct sync_filter_now *now,
		    struct sync_filter_out *out);
/* Smallest delay in the recent history (s); 0 when empty. */
double sync_filter_min_delay(const struct sync_filter *f);
/* Mean excess of the recent delays over the smallest (s); 0 when empty. */
double sync_filter_mean_excess(const struct sync_filter *f);
/* Variance (s^2) of the offset error of a sample with this round-trip
 * delay: (excess + uncertainty of the minimum)^2 / 12 + floor^2. The
 * smallest of n delays lies above the true minimum by an amount the
 * queueing's distribution decides: about the mean spacing of the smallest
 * few delays when it has an exponential tail, nearer (mean excess) /
 * sqrt(n) when the two directions' queues add up. The larger is taken,
 * since an overstated uncertainty only flattens the weights while an
 * understated one trusts a sample beyond its worth; while n is below
 * SYNC_FILTER_STAGES a prior of (smallest delay) / 2n bounds it too: one
 * sample alone may be half queueing. */
double sync_filter_variance(const struct sync_filter *f, double delay, double floor);

#endif
