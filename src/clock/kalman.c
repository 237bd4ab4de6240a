#include "clock/kalman.h"

#include <math.h>
#include <string.h>

void kalman_init(struct kalman *k, double q, gt_ns t, double theta, double var_theta,
		 double rate, double var_rate)
{
	memset(k, 0, sizeof(*k));
	k->q = q;
	k->t = t;
	k->theta = theta;
	k->p00 = var_theta;
	k->rate = rate;
	k->p11 = var_rate;
}

void kalman_predict(struct kalman *k, gt_ns t, double u)
{
	double dt;

	if (t <= k->t)
		return;
	dt = (double)(t - k->t) * 1e-9;
	k->t = t;
	k->theta += (k->rate - u) * dt;
	/* P = F P F' + Q with F = [1 dt; 0 1] and the integrated random walk
	 * of frequency: Q = q [dt^3/3 dt^2/2; dt^2/2 dt] plus white FM. */
	k->p00 += dt * (2 * k->p01 + dt * k->p11) + k->q * dt * dt * dt / 3 + KALMAN_WHITE_FM * dt;
	k->p01 += dt * k->p11 + k->q * dt * dt / 2;
	k->p11 += k->q * dt;
}

double kalman_innovation(const struct kalman *k, double z, double r, double *s)
{
	*s = k->p00 + r;
	return z - k->theta;
}

void kalman_update(struct kalman *k, double z, double r)
{
	double s, y = kalman_innovation(k, z, r, &s);
	double k0 = k->p00 / s, k1 = k->p01 / s;

	k->theta += k0 * y;
	k->rate += k1 * y;
	/* (I - K H) P written so that each term stays non-negative. */
	k->p11 -= k1 * k->p01;
	k->p00 *= r / s;
	k->p01 *= r / s;
	if (k->p11 < 0)
		k->p11 = 0;
}

void kalman_step(struct kalman *k, double delta)
{
	k->theta -= delta;
}

void kalman_restart(struct kalman *k, double z, double r, double y, double dt)
{
	k->theta = z;
	k->p00 = r;
	k->p01 = 0;
	if (dt > 0)
		k->p11 += (y / dt) * (y / dt);
}

static double bank_q(int i)
{
	return KALMAN_BANK_Q0 * pow(10.0, i);
}

void kalman_bank_clear(struct kalman_bank *b)
{
	memset(b, 0, sizeof(*b));
	b->best = KALMAN_BANK_START;
}

void kalman_bank_init(struct kalman_bank *b, gt_ns t, double theta, double var_theta,
		      double rate, double var_rate)
{
	int i;

	for (i = 0; i < KALMAN_BANK_N; i++) {
		kalman_init(&b->m[i], bank_q(i), t, theta, var_theta, rate, var_rate);
		/* A faint prior for moderate wander (1e-9 per root s, a
		 * temperature-stable quartz) decides until data speaks. */
		b->m[i].loglik = -1e-3 * fabs(i - 4.0);
	}
	b->best = 4;
	b->init = true;
	b->rejected_run = 0;
}

void kalman_bank_predict(struct kalman_bank *b, gt_ns t, double u)
{
	int i;

	if (!b->init)
		return;
	for (i = 0; i < KALMAN_BANK_N; i++)
		kalman_predict(&b->m[i], t, u);
}

static void bank_choose(struct kalman_bank *b)
{
	int i, best = b->best;

	for (i = 0; i < KALMAN_BANK_N; i++)
		if (b->m[i].loglik > b->m[best].loglik)
			best = i;
	b->best = best;
}

double kalman_bank_q_plausible(const struct kalman_bank *b, double margin)
{
	double q = b->m[b->best].q;
	int i;

	for (i = 0; i < KALMAN_BANK_N; i++)
		if (b->m[i].loglik >= b->m[b->best].loglik - margin && b->m[i].q > q)
			q = b->m[i].q;
	return q;
}

/* Log-likelihood of innovation y of variance s under a model that also
 * allows, with probability KALMAN_OUTLIER_P, an outlier spread evenly over
 * KALMAN_OUTLIER_SPAN: an outlier then costs every model alike instead of
 * condemning the models that did not foresee it, while a real change of
 * the clock's frequency still favours the models that allow for it. */
static double mixture_loglik(double y, double s)
{
	double a = log1p(-KALMAN_OUTLIER_P) - 0.5 * (y * y / s + log(2 * M_PI * s));
	double b = log(KALMAN_OUTLIER_P / KALMAN_OUTLIER_SPAN);

	/* log(e^a + e^b), without the libm calls when one term dwarfs the
	 * other (as it almost always does): this runs for every model on
	 * every sample. */
	if (a - b > 20)
		return a;
	if (b - a > 20)
		return b;
	return a > b ? a + log1p(exp(b - a)) : b + log1p(exp(a - b));
}

enum kalman_verdict kalman_bank_measure(struct kalman_bank *b, gt_ns t, double u, double z,
					double r, double gate, unsigned reset_after,
					double rate0, double var_rate)
{
	const double forget = exp(-1.0 / KALMAN_BANK_MEMORY);
	double s, y, n;
	int i;

	if (!b->init) {
		kalman_bank_init(b, t, z, r, rate0, var_rate);
		b->t_accepted = t;
		b->info_avg = 1 / r;
		b->var_avg = r;
		b->n_updates = 1;
		return KALMAN_INIT;
	}
	kalman_bank_predict(b, t, u);
	/* Every model scores the measurement first, so that the gate below
	 * is applied by the model the evidence now favours: when the clock's
	 * wander grows, the models expecting more wander take over and stop
	 * rejecting what is no outlier for them. */
	for (i = 0; i < KALMAN_BANK_N; i++) {
		y = kalman_innovation(&b->m[i], z, r, &s);
		b->m[i].loglik = b->m[i].loglik * forget + mixture_loglik(y, s);
	}
	bank_choose(b);
	y = kalman_innovation(&b->m[b->best], z, r, &s);
	if (y * y > gate * gate * s) {
		if (++b->rejected_run < reset_after)
			return KALMAN_REJECTED;
		/* The reference (or our clock) has moved for good: learn the
		 * offset anew, and the frequency too if it was that. */
		for (i = 0; i < KALMAN_BANK_N; i++) {
			kalman_restart(&b->m[i], z, r, y, (double)(t - b->t_accepted) * 1e-9);
			if (b->restart_with_prior) {
				b->m[i].rate = rate0;
				b->m[i].p11 = var_rate;
			}
		}
		b->rejected_run = 0;
		b->t_accepted = t;
		return KALMAN_RESET;
	}
	b->rejected_run = 0;
	b->t_accepted = t;
	for (i = 0; i < KALMAN_BANK_N; i++)
		kalman_update(&b->m[i], z, r);
	b->n_updates++;
	/* The mean information and variance of a measurement, for the poll
	 * hint: over all of them, then over about the last 64. */
	n = b->n_updates < 64 ? b->n_updates : 64;
	b->info_avg += (1 / r - b->info_avg) / n;
	b->var_avg += (r - b->var_avg) / n;
	return KALMAN_ACCEPTED;
}

void kalman_bank_step(struct kalman_bank *b, double delta)
{
	int i;

	for (i = 0; i < KALMAN_BANK_N; i++)
		kalman_step(&b->m[i], delta);
}

void kalman_bank_shift(struct kalman_bank *b, double delta)
{
	kalman_bank_step(b, -delta);
}

double kalman_steady_sd(double q, double r, double tau)
{
	struct kalman k;
	int i;

	/* Iterate the Riccati recursion from a loose start; it settles in a
	 * few dozen steps for every (q, r, tau) of practical interest. */
	kalman_init(&k, q, 0, 0, r * 100, 0, 1e-10);
	for (i = 0; i < 200; i++) {
		kalman_predict(&k, k.t + (gt_ns)(tau * 1e9), 0);
		if (i == 199)
			break;
		kalman_update(&k, 0, r);
	}
	return sqrt(k.p00);
}
