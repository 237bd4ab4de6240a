/* disc: the clock discipline. It estimates the clock's offset and
 * frequency error from the selected sources' measurements (a bank of
 * Kalman filters, clock/kalman.h) and corrects the clock only through its
 * driver (struct clk_ops): the frequency is set to the drift estimate plus
 * a temporary slew that removes the estimated offset over about one update
 * interval; the clock is stepped only under the makestep rule.
 * doc/discipline.md gives the reasoning.
 *
 * Phase bookkeeping: U(t) is the clock's cumulative deviation, in seconds,
 * from what it would have read had it run free from the start: the
 * integral of the frequency correction plus every step. The filters work
 * on raw offsets (measured offset + U at its time), which no correction
 * disturbs; the offset of the clock now is the raw estimate - U(now). */
#ifndef GNOMON_DISC_H
#define GNOMON_DISC_H

#include <stdbool.h>

#include "clock/clk.h"
#include "clock/kalman.h"
#include "lib/gtime.h"

struct disc_config {
	double makestep_threshold;	/* s */
	int makestep_limit;		/* step only in the first N updates; -1 always, 0 never */
	double maxchange_offset;	/* s; 0: no limit */
	int maxchange_start;		/* updates before the limit applies */
	int maxchange_ignore;		/* offsets ignored before giving up */
	double maxslew;			/* s/s: fastest slew beyond the drift correction */
};

/* Drift of a clock nobody told us about: the prior's standard deviation.
 * 500 ppm is the tolerance the kernel allows for a system clock. */
#define DISC_UNKNOWN_DRIFT 500e-6
/* A slew removes an offset over this many update intervals ... */
#define DISC_CORR_RATIO 1.0
/* ... unless the offset exceeds this many standard deviations of its
 * estimate: then over a time shorter in proportion (a real error is
 * removed fast, noise slowly; chronyd's correction time is inversely
 * proportional to the offset as well), down to DISC_MIN_SLEW_TIME, and
 * never faster than maxslew allows. */
#define DISC_FAST_SIGMAS 3.0
/* Never slew faster than over this time (s). */
#define DISC_MIN_SLEW_TIME 1.0
/* A slew that ended late (the main loop wakes in whole milliseconds; at
 * 83333 ppm one ms is 83 us) leaves a residual: beyond this (s) it is
 * slewed out at once rather than at the next update. */
#define DISC_RESIDUAL 1e-6
/* Innovation gate (standard deviations) and the rejections in a row after
 * which the reference is taken to have moved. */
#define DISC_GATE 5.0
#define DISC_RESET_AFTER 4

enum disc_result { DISC_NONE, DISC_SLEWED, DISC_STEPPED, DISC_IGNORED };

struct disc_status {
	bool init;		/* at least one measurement */
	double offset;		/* s: estimated reference - clock at the last update */
	double offset_sd;	/* s: its standard deviation now */
	double freq_ppm;	/* drift correction estimate */
	double skew_ppm;	/* its standard deviation */
	double slew_ppm;	/* slew now in force beyond the drift correction */
	double wander;		/* wander of the chosen model, 1/s (q) */
	double info;		/* mean 1/variance of accepted measurements, 1/s^2 */
	unsigned n_updates, n_steps, n_ignored, n_rejected;
	bool maxchange_exit;	/* maxchange ignored more than its limit */
};

struct disc;

/* Create the discipline of clock. drift_ppm (NULL: unknown) is the
 * frequency correction to start from, with its uncertainty; it is set on
 * the clock at once. NULL on allocation failure. */
struct disc *disc_create(struct clk *clock, const struct disc_config *cfg,
			 const double *drift_ppm, double drift_skew_ppm);
/* Ends any slew in progress first: the clock is left at the drift
 * correction, never racing at a slew rate. */
void disc_destroy(struct disc *d);

/* The phase U at mono (s), see above. */
double disc_phase(const struct disc *d, gt_ns mono);
/* mono on the discipline's time base: monotonic time with what the
 * discipline's slews added to it taken out (the clock driver's mono_slewed),
 * i.e. seconds of the free-running oscillator. Estimators of the clock's
 * drift count time in these. */
gt_ns disc_free_time(const struct disc *d, gt_ns mono);
/* The drift correction estimate (s/s): the prior before any measurement. */
double disc_rate(const struct disc *d);
/* Its variance ((s/s)^2). */
double disc_rate_var(const struct disc *d);
/* The slew now in force beyond the drift correction (s/s). */
double disc_slew(const struct disc *d);
/* One measurement: offset (s, reference - clock) at mono of variance var.
 * Returns what the estimator did with it. */
enum kalman_verdict disc_measure(struct disc *d, gt_ns mono, double offset, double var);
/* Correct the clock from the estimate; interval: the expected time to the
 * next update (s), over which the offset is slewed out. */
enum disc_result disc_correct(struct disc *d, gt_ns mono_now, double interval);
/* Housekeeping between updates: end a slew whose time is up (and slew
 * out what it over- or undershot). */
void disc_tick(struct disc *d, gt_ns mono_now);
/* When disc_tick() must run next (end of the slew); INT64_MAX if never. */
gt_ns disc_next_event(const struct disc *d);
/* The reference jumped by delta (s; -1 for an inserted leap second). With
 * step, the clock jumps with it (an offset-neutral step); otherwise the
 * jump becomes an offset that is slewed out, never stepped. 0 or -errno
 * from the driver. */
int disc_leap(struct disc *d, gt_ns mono_now, double delta, bool step);
void disc_get_status(const struct disc *d, gt_ns mono_now, struct disc_status *st);
/* Standard deviation (s) the offset estimate will have dt seconds after
 * mono_now without a measurement; +inf before the first one. */
double disc_predict_sd(const struct disc *d, gt_ns mono_now, double dt);
const struct kalman_bank *disc_bank(const struct disc *d);

#endif
