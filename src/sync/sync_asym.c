#include "sync/sync_asym.h"

#include <math.h>
#include <string.h>

/* Floor of the innovations' variance (s^2): timestamps are never better
 * than about a nanosecond, and identical innovations must not look
 * infinitely certain. */
#define VAR_FLOOR 1e-18

void sync_asym_init(struct sync_asym *a)
{
	memset(a, 0, sizeof(*a));
}

/* E[forward queueing | sum x] - x / 2 for exponential queueing with
 * 1/forward mean - 1/return mean = l. */
static double shape(double l, double x)
{
	double lx = l * x;

	if (fabs(lx) < 1e-6)
		return -lx * x / 12;	/* the series' first term: flat at 0 */
	if (lx > 700)
		return 1 / l - x / 2;
	return 1 / l - x / expm1(lx) - x / 2;
}

/* The model of least squared error, each with the best common constant,
 * and its gain over the symmetric model (index 0, g = 0). */
static void refit(struct sync_asym *a)
{
	double sse0, best, var;
	int j, bj = 0;

	a->fit_l = 0;
	a->fit_gain = 0;
	a->fit_gain_v = 0;
	a->raw_l = 0;
	a->raw_z2 = 0;
	if (a->n < SYNC_ASYM_MIN_SAMPLES || a->w <= 2)
		return;
	sse0 = a->syy - a->sy * a->sy / a->w;
	best = sse0;
	for (j = 1; j < SYNC_ASYM_MODELS; j++) {
		const struct sync_asym_model *m = &a->m[j];
		/* sum w (y - g - c)^2, minimised over c */
		double sr = a->sy - m->sg;
		double sse = a->syy - 2 * m->sgy + m->sgg - sr * sr / a->w;

		if (sse < best) {
			best = sse;
			bj = j;
		}
	}
	if (bj == 0)
		return;
	var = fmax(best / (a->w - 2), VAR_FLOOR);
	a->raw_l = a->m[bj].l;
	a->raw_z2 = (sse0 - best) / var;
	if (sse0 - best <= SYNC_ASYM_Z * SYNC_ASYM_Z * var)
		return;
	a->fit_l = a->m[bj].l;
	a->fit_gain = 1 - SYNC_ASYM_Z * SYNC_ASYM_Z * var / (sse0 - best);
	a->fit_gain_v = fmax(0, 1 - SYNC_ASYM_Z_VAR * SYNC_ASYM_Z_VAR * var / (sse0 - best));
}

/* |l| of grid place k for mean excess m: |l| m = 2^(k/2 - 2). */
static double grid_l(int k, double m)
{
	return ldexp(pow(2, (k % 2) * 0.5), k / 2 - 2) / m;
}

/* Slide the grid by d half octaves of |l| m (d > 0: m grew, so each l
 * sits d places higher on the new grid). */
static void slide(struct sync_asym *a, int d)
{
	struct sync_asym_model old[SYNC_ASYM_MODELS];
	double scale = a->scale * pow(2, d * 0.5);
	int k, from;

	memcpy(old, a->m, sizeof(old));
	for (k = 0; k < SYNC_ASYM_GRID; k++) {
		from = k - d;
		if (from >= 0 && from < SYNC_ASYM_GRID) {
			a->m[1 + 2 * k] = old[1 + 2 * from];
			a->m[2 + 2 * k] = old[2 + 2 * from];
		} else {
			a->m[1 + 2 * k] = (struct sync_asym_model){ .l = grid_l(k, scale) };
			a->m[2 + 2 * k] = (struct sync_asym_model){ .l = -grid_l(k, scale) };
		}
	}
	a->scale = scale;
}

void sync_asym_learn(struct sync_asym *a, double excess, double scale, double innov)
{
	const double keep = 1 - 1 / SYNC_ASYM_MEMORY;
	double m;
	int j, k;

	if (!isfinite(excess) || !isfinite(scale) || !isfinite(innov) || excess < 0 ||
	    scale < 0)
		return;
	/* Queueing moves an offset by at most half its excess: an innovation
	 * far beyond that (and beyond the usual excess) is the estimate's own
	 * error (a clock still converging), which would weigh in the squared
	 * errors for a thousand samples. */
	if (fabs(innov) > excess + 2 * scale + SYNC_ASYM_SLACK)
		return;
	/* The grid follows the mean excess m: |l| m from 1/4 to 128 in half
	 * octaves. When m has moved by more than a factor 2 from the one the
	 * grid was built for (the first samples' m is poor, and at long polls
	 * it may take hours to settle), the grid slides by whole half
	 * octaves: a model's sums depend on its l alone, not on m, so the
	 * models both grids share keep them, and only those that enter at
	 * the far end start empty. (Restarting the sums instead threw away
	 * hours of learning: clknetsim `asym`, seed 8, the lean lost 11500 s
	 * in and the clock 330 us off before it was learnt again.) */
	m = fmax(scale, 1e-9);
	if (a->n > 0 && !(m <= 2 * a->scale && m >= a->scale / 2)) {
		double d = lround(2 * log2(m / a->scale));

		/* A move past the whole grid shares no model: start over. */
		if (fabs(d) >= SYNC_ASYM_GRID)
			sync_asym_init(a);
		else
			slide(a, (int)d);
	}
	if (a->n == 0) {
		sync_asym_init(a);
		a->scale = m;
		for (k = 0; k < SYNC_ASYM_GRID; k++) {
			a->m[1 + 2 * k].l = grid_l(k, m);
			a->m[2 + 2 * k].l = -grid_l(k, m);
		}
	}
	a->w = a->w * keep + 1;
	a->sy = a->sy * keep + innov;
	a->syy = a->syy * keep + innov * innov;
	for (j = 1; j < SYNC_ASYM_MODELS; j++) {
		struct sync_asym_model *md = &a->m[j];
		double g = shape(md->l, excess);

		md->sg = md->sg * keep + g;
		md->sgg = md->sgg * keep + g * g;
		md->sgy = md->sgy * keep + g * innov;
	}
	a->n++;
	refit(a);
}

double sync_asym_suspected(const struct sync_asym *a, double excess, double z)
{
	double d;

	if (a->raw_z2 <= z * z || !isfinite(excess) || excess <= 0)
		return 0;
	d = shape(a->raw_l, fmin(excess, SYNC_ASYM_HOLD * a->scale));
	if (fabs(d) > excess / 2)
		d = copysign(excess / 2, d);
	return d;
}

double sync_asym_correction(const struct sync_asym *a, double excess)
{
	double d;

	if (a->fit_gain <= 0 || !isfinite(excess) || excess <= 0)
		return 0;
	/* Beyond SYNC_ASYM_HOLD mean excesses, held: a rare huge excess gets
	 * no larger correction than the samples the fit rests on support. */
	d = a->fit_gain * shape(a->fit_l, fmin(excess, SYNC_ASYM_HOLD * a->scale));
	if (fabs(d) > excess / 2)
		d = copysign(excess / 2, d);
	return d;
}

double sync_asym_var_factor(const struct sync_asym *a, double excess)
{
	double u, h, r, g;

	if (a->fit_gain_v <= 0 || !isfinite(excess) || excess <= 0 ||
	    excess > SYNC_ASYM_HOLD * a->scale)
		return 1;
	u = fabs(a->fit_l) * excess;
	if (u < 1e-3)
		return 1;
	/* 12 (1/u^2 - 1/(4 sinh^2(u/2))): the truncated exponential's
	 * variance over the uniform's */
	h = sinh(u / 2);
	r = 12 * (1 / (u * u) - 1 / (4 * h * h));
	/* and the bias the garrote leaves, over the uniform variance */
	g = (1 - a->fit_gain) * shape(a->fit_l, excess);
	r += g * g * 12 / (excess * excess);
	r = 1 - a->fit_gain_v + a->fit_gain_v * r;
	return fmin(fmax(r, SYNC_ASYM_VAR_MIN), 1);
}
