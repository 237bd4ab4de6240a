#include "sync/sync_asym.h"

#include <math.h>
#include <string.h>

/* Floor of a class's innovation variance (s^2): timestamps are never
 * better than about a nanosecond, and a class of identical innovations
 * must not look infinitely certain. */
#define VAR_FLOOR 1e-18

void sync_asym_init(struct sync_asym *a)
{
	memset(a, 0, sizeof(*a));
}

/* Class of an excess: octaves of the mean excess, the lowest below a
 * quarter of it. Scaling by the source's own mean excess makes the
 * classes fit any path, fast or slow, without a configured width. */
static int excess_class(double excess, double scale)
{
	double bound = scale / SYNC_ASYM_FIRST;
	int k = 0;

	while (k < SYNC_ASYM_CLASSES - 1 && excess >= bound) {
		k++;
		bound *= 2;
	}
	return k;
}

static void class_stats(const struct sync_asym_class *c, double *mean, double *var_of_mean)
{
	double m = c->sy / c->w, v = c->syy / c->w - m * m;

	/* Unbiased for the weight seen (w counts samples, discounted). */
	if (c->w > 1)
		v *= c->w / (c->w - 1);
	*mean = m;
	*var_of_mean = fmax(v, VAR_FLOOR) / c->w;
}

/* Rebuild the correction curve from the classes. The lowest class is the
 * reference: its samples have both queues nearly empty, so their offsets
 * are what the discipline should aim at, and the differences from it of
 * the other classes are what queueing adds on average. The estimator's
 * own bias, common to every innovation, cancels in those differences. */
static void rebuild(struct sync_asym *a)
{
	const struct sync_asym_class *c0;
	double m0, v0;
	int k, k0;

	a->nk = 0;
	if (a->n < SYNC_ASYM_MIN_SAMPLES)
		return;
	/* The reference is the lowest class with enough weight: the nearer
	 * its samples are to zero excess, the less of the queueing's lean
	 * it carries itself (with one direction quiet, a class of excess up
	 * to x leans by about x / 4), so the finer classes take over as
	 * they fill. */
	for (k0 = 0; k0 < SYNC_ASYM_CLASSES && a->c[k0].w < SYNC_ASYM_MIN_CLASS; k0++)
		;
	if (k0 >= SYNC_ASYM_CLASSES - 1 || k0 > SYNC_ASYM_REF_MAX)
		return;
	c0 = &a->c[k0];
	class_stats(c0, &m0, &v0);
	a->kx[0] = c0->sx / c0->w;
	a->kd[0] = 0;
	a->nk = 1;
	for (k = k0 + 1; k < SYNC_ASYM_CLASSES; k++) {
		const struct sync_asym_class *c = &a->c[k];
		double m, v, x, d, t, shrunk;

		if (c->w < SYNC_ASYM_MIN_CLASS)
			continue;
		class_stats(c, &m, &v);
		x = c->sx / c->w;
		/* Classes follow the mean excess, which moves: keep the knots
		 * ascending whatever happened to the boundaries. */
		if (x <= a->kx[a->nk - 1])
			continue;
		d = m - m0;
		/* Soft threshold: a difference within SYNC_ASYM_Z standard
		 * errors of zero is no evidence of asymmetry, and beyond that
		 * only the excess counts, so the correction grows smoothly
		 * from zero as the evidence does. */
		t = SYNC_ASYM_Z * sqrt(v + v0);
		shrunk = fabs(d) > t ? fabs(d) - t * t / fabs(d) : 0;
		/* Queueing can shift an offset by at most half the excess. */
		if (shrunk > x / 2)
			shrunk = x / 2;
		a->kx[a->nk] = x;
		a->kd[a->nk] = copysign(shrunk, d);
		a->nk++;
	}
	if (a->nk < 2)
		a->nk = 0;
}

void sync_asym_learn(struct sync_asym *a, double excess, double scale, double innov)
{
	const double keep = 1 - 1 / SYNC_ASYM_MEMORY;
	struct sync_asym_class *c;
	int k;

	if (!isfinite(excess) || !isfinite(scale) || !isfinite(innov) || excess < 0 ||
	    scale < 0)
		return;
	/* Forget all classes alike, so that a class's weight says how much of
	 * the recent traffic fell into it. */
	for (k = 0; k < SYNC_ASYM_CLASSES; k++) {
		c = &a->c[k];
		c->w *= keep;
		c->sx *= keep;
		c->sy *= keep;
		c->syy *= keep;
	}
	c = &a->c[excess_class(excess, scale)];
	c->w += 1;
	c->sx += excess;
	c->sy += innov;
	c->syy += innov * innov;
	a->n++;
	rebuild(a);
}

double sync_asym_correction(const struct sync_asym *a, double excess)
{
	double d;
	int k;

	if (a->nk < 2 || !isfinite(excess) || excess <= a->kx[0])
		return 0;
	/* Linear between knots; beyond the last one, held. Holding (rather
	 * than extrapolating) keeps a rare huge excess from a large
	 * correction built on no samples of its size. */
	d = a->kd[a->nk - 1];
	for (k = 1; k < a->nk; k++) {
		if (excess < a->kx[k]) {
			double f = (excess - a->kx[k - 1]) / (a->kx[k] - a->kx[k - 1]);

			d = a->kd[k - 1] + f * (a->kd[k] - a->kd[k - 1]);
			break;
		}
	}
	if (fabs(d) > excess / 2)
		d = copysign(excess / 2, d);
	return d;
}
