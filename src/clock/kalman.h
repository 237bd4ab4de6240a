/* kalman: the clock-error estimator of the discipline: a two-state Kalman
 * filter (offset, frequency) and a bank of them that differ only in how
 * fast they believe the oscillator wanders, the best of which is chosen by
 * likelihood (multiple-model estimation). doc/discipline.md says why.
 *
 * Model, in the reference's time t (seconds), for a clock L that the
 * discipline runs u faster than nature (u = set_freq ppm * 1e-6):
 *   theta = reference - L        d theta/dt = rate - u + white FM noise
 *   rate  = the correction that would null the clock's own frequency
 *           error; it does a random walk of variance q per second.
 * A measurement z of theta (an NTP offset) has variance r, which the
 * caller derives from the sample's delay (see sync_filter_variance()).
 *
 * Values are doubles in seconds: these are statistics, not wire fields.
 * The structs are public so that they embed without allocation; their
 * fields are read by the discipline and the tests, written only here. */
#ifndef GNOMON_KALMAN_H
#define GNOMON_KALMAN_H

#include <stdbool.h>

#include "lib/gtime.h"

struct kalman {
	double theta;		/* s: reference - clock at time t */
	double rate;		/* s/s: drift correction (theta' = rate - u) */
	double p00, p01, p11;	/* covariance of (theta, rate) */
	double q;		/* frequency random walk, 1/s (sigma_y^2 per s) */
	double loglik;		/* exponentially forgotten log-likelihood (bank) */
	gt_ns t;		/* time of the state (monotonic ns) */
};

/* Phase random walk (white FM) every model carries, s^2 per s: about a
 * 1e-10 Allan deviation at 1 s, below any real oscillator's floor, so that
 * the covariance never collapses to zero. */
#define KALMAN_WHITE_FM 1e-20

void kalman_init(struct kalman *k, double q, gt_ns t, double theta, double var_theta,
		 double rate, double var_rate);
/* Advance the state to time t (not backwards), the clock having run with
 * the correction u (s/s) all the while. */
void kalman_predict(struct kalman *k, gt_ns t, double u);
/* Innovation y = z - theta and its variance s for a measurement (z, r). */
double kalman_innovation(const struct kalman *k, double z, double r, double *s);
/* Measurement update with z (s) of variance r (s^2). */
void kalman_update(struct kalman *k, double z, double r);
/* The clock was stepped: clock += delta (s), so theta -= delta. */
void kalman_step(struct kalman *k, double delta);
/* Restart the offset at z (variance r) after the reference moved. The
 * innovation y since the last accepted measurement, dt seconds ago, may
 * as well have been a frequency error: the rate's variance grows by
 * (y / dt)^2 so that it can be learnt again. */
void kalman_restart(struct kalman *k, double z, double r, double y, double dt);

/* Frequency random walks the bank spans: 1e-26 .. 1e-12 per s, a decade
 * apart (oscillator wander 1e-13 .. 1e-6 per root second). The lowest
 * ones are for a quiet path and a still oscillator at long polls: with a
 * floor of 1e-22 the filter kept forgetting what 1024 s polls had taught
 * it (issue 12 item 6: 0.40 us RMS at poll 10 and 1 us jitter where
 * chronyd has 0.12 us under clknetsim; 0.10 us with 1e-26). */
#define KALMAN_BANK_N 15
#define KALMAN_BANK_Q0 1e-26		/* the first model's q */
#define KALMAN_BANK_START 9		/* the model a cleared bank starts from: 1e-17 */
/* Updates after which a model's old likelihood weighs 1/e. */
#define KALMAN_BANK_MEMORY 48.0
/* Prior probability that a measurement is an outlier, and the span (s)
 * over which outliers are taken to spread, for the models' likelihoods. */
#define KALMAN_OUTLIER_P 0.02
#define KALMAN_OUTLIER_SPAN 1.0

struct kalman_bank {
	struct kalman m[KALMAN_BANK_N];
	int best;		/* index of the most likely model */
	bool init;
	unsigned n_updates;	/* accepted measurements */
	unsigned rejected_run;	/* consecutive measurements rejected by the gate */
	gt_ns t_accepted;	/* time of the last accepted measurement */
	/* On a restart, take the rate prior given to kalman_bank_measure()
	 * instead of widening the own rate's variance: right when another
	 * estimator knows the rate better (a source's offsets drift with the
	 * local clock, which the discipline has learnt from all sources). */
	bool restart_with_prior;
	double info_avg;	/* running mean of 1/r of accepted measurements */
	double var_avg;		/* running mean of r: a measurement's mean square noise */
};

enum kalman_verdict { KALMAN_ACCEPTED, KALMAN_INIT, KALMAN_REJECTED, KALMAN_RESET };

/* Start empty; the first measurement initialises every model. */
void kalman_bank_clear(struct kalman_bank *b);
/* Give every model a prior for the rate (drift file or current setting). */
void kalman_bank_init(struct kalman_bank *b, gt_ns t, double theta, double var_theta,
		      double rate, double var_rate);
void kalman_bank_predict(struct kalman_bank *b, gt_ns t, double u);
/* Measurement (z, r) at time t (>= the bank's time) with correction u
 * since the last call. gate: reject an innovation beyond gate standard
 * deviations, unless reset_after rejections in a row say the reference has
 * moved: then the offset is re-learnt from z (KALMAN_RESET). With no
 * initialised state the measurement initialises it with the rate prior
 * (rate0, var_rate) (KALMAN_INIT). */
enum kalman_verdict kalman_bank_measure(struct kalman_bank *b, gt_ns t, double u, double z,
					double r, double gate, unsigned reset_after,
					double rate0, double var_rate);
/* The largest q among the models whose log-likelihood is within margin
 * of the best's: the wander the evidence does not yet rule out. */
double kalman_bank_q_plausible(const struct kalman_bank *b, double margin);
void kalman_bank_step(struct kalman_bank *b, double delta);
/* Shift the offset only (the reference moved by delta, e.g. a leap second
 * the clock does not follow): theta += delta. */
void kalman_bank_shift(struct kalman_bank *b, double delta);
static inline const struct kalman *kalman_bank_best(const struct kalman_bank *b)
{
	return &b->m[b->best];
}

/* Steady-state standard deviation of theta just before a measurement, for
 * a model of wander q, measurements of variance r every tau seconds. */
double kalman_steady_sd(double q, double r, double tau);

#endif
