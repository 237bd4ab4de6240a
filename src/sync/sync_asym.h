/* sync_asym: per-source estimate of the jitter asymmetry of the path, and
 * the correction it implies for each sample's offset.
 *
 * An NTP offset is off by (forward queueing - return queueing) / 2 plus
 * half the fixed asymmetry. The fixed part is invisible to any two-way
 * method. The queueing part is not: when one direction queues more than
 * the other, the offsets of samples with a large delay excess lean towards
 * that direction, and the mean offset as a function of the excess shows
 * it. What the discipline wants is the offset at zero excess (the
 * minimum-delay point, where both queues are empty), so a sample with
 * excess x is corrected by E[offset | x] - E[offset | 0].
 *
 * That conditional mean is not a straight line: with independent queues
 * whose densities are positive at zero, a small excess is split about
 * evenly whatever the asymmetry (slope 0 at the origin), and only a large
 * one leans towards the busier direction (slope up to 1/2); a line fitted
 * over all samples has its intercept away from the minimum-delay point.
 * Nor is a table of classes of excess enough: the lowest class leans
 * itself (by about a quarter of its width when one direction is quiet)
 * and needs many samples to fill, which long polls do not give.
 *
 * This module fits the shape that queueing of exponential delays gives,
 * g(x) = 1/l - x / (e^(l x) - 1) - x / 2 (the mean of the forward
 * queueing given the sum x, minus half of x; l = 1/forward mean -
 * 1/return mean): one parameter, 0 at zero excess and flat there, slope
 * -1/2 or +1/2 far out, 0 everywhere for a symmetric path. The fit is over
 * a grid of l (SYNC_ASYM_GRID values of l times the source's mean excess,
 * of either sign, and 0), each with its own running sums, plus a common
 * constant (the estimator's own bias, common to every innovation); the
 * model of least squared error is taken. Its gain over "no lean" is
 * weighed against the noise: the correction is scaled by
 * max(0, 1 - SYNC_ASYM_Z^2 sigma^2 / gain) (a garrote), so a symmetric path
 * stays uncorrected and a clear lean is corrected in full, continuously
 * between. Nothing is corrected before SYNC_ASYM_MIN_SAMPLES samples. A
 * correction never exceeds half the excess (g cannot).
 *
 * Values are doubles in seconds. The struct is public to embed without
 * allocation; only this module writes it. */
#ifndef GNOMON_SYNC_ASYM_H
#define GNOMON_SYNC_ASYM_H

#include <stdbool.h>

#define SYNC_ASYM_GRID 19		/* |l| m = 2^(k/2), k = -4..14, each sign */
#define SYNC_ASYM_MODELS (2 * SYNC_ASYM_GRID + 1)	/* and l = 0 (index 0) */
#define SYNC_ASYM_MEMORY 1024.0		/* samples after which one weighs 1/e */
#define SYNC_ASYM_MIN_SAMPLES 16		/* learnt before any correction */
#define SYNC_ASYM_SLACK 10e-6		/* s: innovations beyond excess + 2 m + this not learnt */
#define SYNC_ASYM_HOLD 8.0		/* correction held beyond this many mean excesses */
#define SYNC_ASYM_Z 2.0			/* garrote threshold, standard errors */
/* The variance of a corrected sample shrinks (sync_asym_var_factor()) only
 * for a lean this clear (a garrote of its own, at 4 standard errors: a
 * lean found by chance on a symmetric path would make its large-excess
 * samples look precise), and never below this fraction (the queueing is
 * not exactly exponential; its tail is longer than a Gaussian's). */
#define SYNC_ASYM_Z_VAR 4.0
#define SYNC_ASYM_VAR_MIN 0.25

struct sync_asym_model {
	double l;		/* 1/s, fixed when the model is first fed */
	double sg, sgg, sgy;	/* weighted sums of g(x), g^2, g * innovation */
};

struct sync_asym {
	struct sync_asym_model m[SYNC_ASYM_MODELS];
	double w, sy, syy;	/* weighted sums of 1, innovation, innovation^2 */
	double scale;		/* the mean excess the grid is for (within 2^(1/4)) */
	unsigned n;		/* samples learnt (since a restart) */
	/* The fit, recomputed after each sample: l of the chosen model and
	 * the garrote's factor (0: no correction), and the factor of the
	 * stricter garrote for the variance (SYNC_ASYM_Z_VAR). */
	double fit_l, fit_gain, fit_gain_v;
	/* The best model whatever its gain, and that gain in units of the
	 * residual variance (0: the symmetric model is best, or too few
	 * samples). */
	double raw_l, raw_z2;
};

void sync_asym_init(struct sync_asym *a);
/* Learn from an accepted sample: its delay excess over the source's
 * minimum delay (s, >= 0), the source's mean excess (s, the scale of the
 * grid of l) and its innovation (s: the uncorrected offset minus the
 * source estimator's prediction for it). Non-finite or negative input is
 * ignored. */
void sync_asym_learn(struct sync_asym *a, double excess, double scale, double innov);
/* Whether a lean has been found (the correction is not zero). */
static inline bool sync_asym_leans(const struct sync_asym *a)
{
	return a->fit_gain > 0;
}
/* The best model's correction at this excess (s) without the garrote,
 * when its gain exceeds z^2 residual variances (z standard errors), else
 * 0: a lean that is likely but not yet clear. */
double sync_asym_suspected(const struct sync_asym *a, double excess, double z);
/* Correction (s) to subtract from the offset of a sample with this excess
 * (s); 0 until enough has been learnt, and for non-finite input. */
double sync_asym_correction(const struct sync_asym *a, double excess);

/* The factor [SYNC_ASYM_VAR_MIN, 1] by which the variance of a sample
 * with this excess (s) shrinks once its lean is corrected. Given the sum x
 * of exponential queueings, the forward part is not uniform on [0, x]
 * (variance x^2 / 12, the estimators' model of a sample's error) but
 * leans to one end, with a variance that tends to 1 / l^2 for large l x:
 * after the correction, a large-excess sample of a leaning path carries
 * more than its excess suggests. Added: the bias the correction's garrote
 * leaves. Blended by the variance garrote's factor; 1 without a clear
 * lean and beyond the held range. */
double sync_asym_var_factor(const struct sync_asym *a, double excess);

#endif
