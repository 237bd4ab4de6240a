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
 * excess x is corrected by E[offset | x] - E[offset | x near 0].
 *
 * That conditional mean is not a straight line: with independent queues
 * whose densities are positive at zero, a small excess is split about
 * evenly whatever the asymmetry (slope 0 at the origin), and only a large
 * one leans towards the busier direction (slope up to 1/2). A line fitted
 * over all samples therefore has an intercept away from the minimum-delay
 * point, and correcting by its slope moves the estimate past that point
 * (doc/discipline.md, "Jitter asymmetry"). This module makes no shape
 * assumption instead: it keeps the mean innovation of the source's samples
 * in classes of delay excess (octaves of the source's mean excess), and the
 * correction is the difference from the lowest class, interpolated between
 * the classes' mean excesses.
 *
 * Each class difference is shrunk towards zero by SYNC_ASYM_Z standard
 * errors (soft thresholding): with symmetric queueing the correction stays
 * zero, and as evidence grows it comes in continuously, so there is no
 * on/off switch to flap. No class counts before it has SYNC_ASYM_MIN_CLASS
 * samples' weight, and nothing is corrected before SYNC_ASYM_MIN_SAMPLES
 * samples. A correction never exceeds half the excess: that is the most
 * queueing can shift an offset.
 *
 * Values are doubles in seconds. The struct is public to embed without
 * allocation; only this module writes it. */
#ifndef GNOMON_SYNC_ASYM_H
#define GNOMON_SYNC_ASYM_H

#define SYNC_ASYM_CLASSES 8		/* excess < m/32, < m/16 ... < 4m, >= 4m */
#define SYNC_ASYM_FIRST 32.0		/* the lowest class: excess below m / this */
#define SYNC_ASYM_REF_MAX 3		/* the reference class is at most < m/4 */
#define SYNC_ASYM_MEMORY 1024.0		/* samples after which one weighs 1/e */
#define SYNC_ASYM_MIN_SAMPLES 24		/* learnt before any correction */
#define SYNC_ASYM_MIN_CLASS 6.0		/* weight a class needs to count */
#define SYNC_ASYM_Z 2.0			/* soft threshold, standard errors */

struct sync_asym_class {
	double w;		/* sum of (forgotten) sample weights */
	double sx, sy, syy;	/* weighted sums of excess, innovation, innovation^2 */
};

struct sync_asym {
	struct sync_asym_class c[SYNC_ASYM_CLASSES];
	unsigned n;		/* samples learnt */
	/* The correction curve, recomputed after each sample: knots at the
	 * classes' mean excess (ascending), the first one the reference
	 * (correction 0). nk < 2: no correction. */
	int nk;
	double kx[SYNC_ASYM_CLASSES], kd[SYNC_ASYM_CLASSES];
};

void sync_asym_init(struct sync_asym *a);
/* Learn from an accepted sample: its delay excess over the source's
 * minimum delay (s, >= 0), the source's mean excess (s, the scale of the
 * classes) and its innovation (s: the uncorrected offset minus the
 * source estimator's prediction for it). Non-finite or negative input is
 * ignored. */
void sync_asym_learn(struct sync_asym *a, double excess, double scale, double innov);
/* Correction (s) to subtract from the offset of a sample with this excess
 * (s); 0 until enough has been learnt, and for non-finite input. */
double sync_asym_correction(const struct sync_asym *a, double excess);

#endif
