#include "clock/disc.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "lib/log.h"
#include "lib/util.h"

struct disc {
	struct clk *clk;
	struct disc_config cfg;
	struct kalman_bank bank;
	double prior_rate, prior_var;	/* drift prior for the first measurement */
	double u;			/* correction set on the clock, s/s */
	double u_mono;			/* U's growth per monotonic second */
	double phase0;			/* U at t_phase */
	gt_ns t_phase;
	bool anchored;			/* t_phase set by the first event */
	gt_ns free0;			/* free-running time at t_phase */
	double free_per_mono;		/* its seconds per monotonic second */
	bool slewing;
	gt_ns slew_end;
	double slew_interval;		/* the update interval it was planned for */
	gt_ns no_step_until;		/* a leap being slewed must not be stepped */
	double last_offset;
	unsigned n_updates, n_steps, n_ignored, n_rejected;
	bool maxchange_exit;
};

double disc_phase(const struct disc *d, gt_ns mono)
{
	if (!d->anchored)
		return d->phase0;
	return d->phase0 + d->u_mono * (double)(mono - d->t_phase) * 1e-9;
}

gt_ns disc_free_time(const struct disc *d, gt_ns mono)
{
	if (!d->anchored)
		return mono;
	return d->free0 + (gt_ns)llround((double)(mono - d->t_phase) * d->free_per_mono);
}

/* U is anchored at the first measurement or correction, so the
 * discipline needs no "now" before its first event. */
static void fold_phase(struct disc *d, gt_ns mono)
{
	d->free0 = disc_free_time(d, mono);
	d->phase0 = disc_phase(d, mono);
	d->t_phase = mono;
	d->anchored = true;
}

/* The correction in force is u. U grows at u per true second; when the
 * driver's frequency moves the monotonic clock as well (clk_ops
 * mono_slewed), a monotonic second lasts 1 / (1 + f + u) true seconds, f
 * the clock's own error, which the drift estimate cancels: 1 / (1 + slew).
 * The filters count time in those seconds too (disc_free_time()): the
 * drift accrues per second of the oscillator, not of a slewed clock (a
 * 0.1 s slew would otherwise misplace 100 ppm of drift by 10 us). */
static void set_u(struct disc *d, double u)
{
	double k = d->clk->ops->mono_slewed ? 1 / (1 + u - disc_rate(d)) : 1;

	d->u = u;
	d->u_mono = u * k;
	d->free_per_mono = k;
}

/* Set the clock's frequency correction to u. A driver may refuse a large
 * slew (the kernel's ADJ_FREQUENCY stops at 500 ppm): halve the part
 * beyond fallback (the drift correction) until it is accepted. Returns the
 * correction in force. */
static double set_correction(struct disc *d, gt_ns mono, double u, double fallback)
{
	int rc, tries;

	if (d->anchored)
		fold_phase(d, mono);
	rc = d->clk->ops->set_freq(d->clk, u * 1e6);
	/* -ENOTSUP: a measure-only clock (null); nothing to retry or report. */
	for (tries = 0; rc < 0 && rc != -ENOTSUP && tries < 16 && u != fallback; tries++) {
		u = tries == 15 ? fallback : fallback + (u - fallback) / 2;
		rc = d->clk->ops->set_freq(d->clk, u * 1e6);
	}
	if (rc == 0) {
		double got;

		/* What the driver set, to its resolution (ADJ_FREQUENCY's
		 * 2^-16 ppm): the phase accrues at that, not at u. */
		if (d->clk->ops->get_freq(d->clk, &got) == 0 && fabs(got * 1e-6 - u) < 1e-9)
			u = got * 1e-6;
		set_u(d, u);
	} else if (rc != -ENOTSUP)
		LOG_RL(LOG_LVL_WARN, "clock %s refused a frequency of %.3f ppm: %d",
		       clk_name(d->clk), u * 1e6, rc);
	return d->u;
}

struct disc *disc_create(struct clk *clock, const struct disc_config *cfg,
			 const double *drift_ppm, double drift_skew_ppm)
{
	struct disc *d = xcalloc(1, sizeof(*d));
	double ppm = 0;

	d->clk = clock;
	d->cfg = *cfg;
	d->no_step_until = INT64_MIN;
	kalman_bank_clear(&d->bank);
	clock->ops->get_freq(clock, &ppm);
	d->u = d->u_mono = ppm * 1e-6;
	d->free_per_mono = 1;
	if (drift_ppm) {
		d->prior_rate = *drift_ppm * 1e-6;
		/* A drift file is hours old at best: never trust it below
		 * 0.1 ppm, the temperature drift of a day. */
		d->prior_var = pow(fmax(drift_skew_ppm, 0.1) * 1e-6, 2);
		set_correction(d, 0, d->prior_rate, d->u);
	} else {
		d->prior_rate = d->u;
		d->prior_var = DISC_UNKNOWN_DRIFT * DISC_UNKNOWN_DRIFT;
	}
	return d;
}

void disc_destroy(struct disc *d)
{
	if (!d)
		return;
	/* A slew left running would carry the clock away at up to 83333 ppm
	 * (5 s a minute) after we are gone. */
	if (d->slewing)
		set_correction(d, d->t_phase, disc_rate(d), d->u);
	free(d);
}

double disc_rate(const struct disc *d)
{
	return d->bank.init ? kalman_bank_best(&d->bank)->rate : d->prior_rate;
}

double disc_rate_var(const struct disc *d)
{
	return d->bank.init ? kalman_bank_best(&d->bank)->p11 : d->prior_var;
}

double disc_slew(const struct disc *d)
{
	return d->u - disc_rate(d);
}

enum kalman_verdict disc_measure(struct disc *d, gt_ns mono, double offset, double var)
{
	enum kalman_verdict v;

	if (!d->anchored)
		fold_phase(d, mono);
	/* Raw offset: what the source would show against the free-running
	 * clock. Its filter then needs no knowledge of our corrections. */
	v = kalman_bank_measure(&d->bank, disc_free_time(d, mono), 0, offset + disc_phase(d, mono),
				var, DISC_GATE,
				DISC_RESET_AFTER, d->prior_rate, d->prior_var);
	if (v == KALMAN_REJECTED)
		d->n_rejected++;
	return v;
}

/* The estimate of reference - clock now, and the drift, from the best model. */
static double offset_now(const struct disc *d, gt_ns mono, double *rate, double *var)
{
	struct kalman k = *kalman_bank_best(&d->bank);

	kalman_predict(&k, disc_free_time(d, mono), 0);
	if (rate)
		*rate = k.rate;
	if (var)
		*var = k.p00;
	return k.theta - disc_phase(d, mono);
}

static bool step_allowed(const struct disc *d, gt_ns mono)
{
	if (mono < d->no_step_until || d->cfg.makestep_limit == 0)
		return false;
	return d->cfg.makestep_limit < 0 || d->n_updates <= (unsigned)d->cfg.makestep_limit;
}

static int do_step(struct disc *d, gt_ns mono, double delta)
{
	gt_ns ns = gt_from_sec(delta);
	int rc = d->clk->ops->step(d->clk, ns);

	if (rc < 0)
		return rc;
	fold_phase(d, mono);
	d->phase0 += (double)ns * 1e-9;
	d->n_steps++;
	return 0;
}

/* How long to take over removing theta (s) estimated with standard
 * deviation sd, the next update due in about interval s: the interval, or
 * shorter in proportion as theta stands out of its noise (DISC_FAST_SIGMAS),
 * never under DISC_MIN_SLEW_TIME nor faster than max_rate (s/s). */
static double slew_time(double theta, double sd, double interval, double max_rate)
{
	double dur = interval * DISC_CORR_RATIO;

	if (fabs(theta) > DISC_FAST_SIGMAS * sd)
		dur *= DISC_FAST_SIGMAS * sd / fabs(theta);
	dur = fmax(dur, DISC_MIN_SLEW_TIME);
	if (fabs(theta) / dur > max_rate)
		dur = fabs(theta) / max_rate;
	return dur;
}

/* Slew theta (s) out over slew_time() on top of the drift correction rate. */
static void start_slew(struct disc *d, gt_ns mono, double theta, double rate, double sd,
		       double interval)
{
	double max_rate = d->cfg.maxslew, max_freq = d->clk->ops->max_freq_ppm * 1e-6;
	double dur, slew, u;

	/* The driver takes drift + slew together: the slew gets what its
	 * range leaves beyond the drift, so that no request is refused (and
	 * halved) for being a drift's worth too large. */
	if (max_freq > 0)
		max_rate = fmin(max_rate, fmax(max_freq - fabs(rate), 1e-6));
	dur = slew_time(theta, sd, interval, max_rate);
	u = rate + theta / dur;
	if (max_freq > 0)
		u = fmax(-max_freq, fmin(max_freq, u));	/* rounding */
	slew = set_correction(d, mono, u, rate) - rate;
	/* A driver that took less than asked slews longer. */
	if (slew * theta > 0 && fabs(theta / slew) > dur)
		dur = theta / slew;
	d->slewing = true;
	/* dur true seconds, as the monotonic clock counts them. */
	if (d->clk->ops->mono_slewed)
		dur *= 1 + slew;
	d->slew_end = mono + (gt_ns)(dur * 1e9);
	d->slew_interval = interval;
}

enum disc_result disc_correct(struct disc *d, gt_ns mono_now, double interval)
{
	double theta, rate, var;

	if (!d->bank.init)
		return DISC_NONE;
	theta = offset_now(d, mono_now, &rate, &var);
	d->n_updates++;
	d->last_offset = theta;

	if (fabs(theta) > d->cfg.makestep_threshold && step_allowed(d, mono_now)) {
		int rc = do_step(d, mono_now, theta);

		if (rc == 0) {
			LOG_INFO("clock stepped by %+.6f s", theta);
			d->slewing = false;
			set_correction(d, mono_now, rate, d->u);
			return DISC_STEPPED;
		}
		LOG_RL(LOG_LVL_WARN, "clock %s cannot step: %d; slewing", clk_name(d->clk), rc);
	}
	/* maxchange: an offset this large after start-up is more likely a
	 * broken reference than a broken clock; refuse it a number of times. */
	if (d->cfg.maxchange_offset > 0 && d->n_updates > (unsigned)d->cfg.maxchange_start &&
	    fabs(theta) > d->cfg.maxchange_offset) {
		d->n_ignored++;
		if (d->n_ignored > (unsigned)d->cfg.maxchange_ignore)
			d->maxchange_exit = true;
		LOG_RL(LOG_LVL_WARN, "offset %+.6f s beyond maxchange %.6f s: ignored (%u)", theta,
		       d->cfg.maxchange_offset, d->n_ignored);
		d->slewing = false;
		set_correction(d, mono_now, rate, d->u);
		return DISC_IGNORED;
	}
	start_slew(d, mono_now, theta, rate, sqrt(var), interval);
	return DISC_SLEWED;
}

void disc_tick(struct disc *d, gt_ns mono_now)
{
	double rate, var, rest, sd;

	if (!d->slewing || mono_now < d->slew_end)
		return;
	d->slewing = false;
	if (!d->bank.init) {
		set_correction(d, mono_now, disc_rate(d), d->u);
		return;
	}
	/* What the slew did not remove, or removed twice: it ran from its
	 * start to now, not to slew_end, and U knows it. */
	rest = offset_now(d, mono_now, &rate, &var);
	set_correction(d, mono_now, rate, d->u);
	sd = sqrt(var);
	if (fabs(rest) > DISC_RESIDUAL)
		start_slew(d, mono_now, rest, rate, sd, d->slew_interval);
}

gt_ns disc_next_event(const struct disc *d)
{
	return d->slewing ? d->slew_end : INT64_MAX;
}

int disc_leap(struct disc *d, gt_ns mono_now, double delta, bool step)
{
	int rc;

	if (step) {
		/* Clock and reference jump together: the offset stays, and so
		 * does U, which measures the clock against the reference. */
		rc = d->clk->ops->step(d->clk, gt_from_sec(delta));
		if (rc == 0)
			d->n_steps++;
		return rc;
	}
	/* Only the reference jumped: reference - clock grows by delta, which
	 * lowering U by delta expresses for every stored raw offset. */
	fold_phase(d, mono_now);
	d->phase0 -= delta;
	d->no_step_until = mono_now + (gt_ns)((fabs(delta) / d->cfg.maxslew + 600) * 1e9);
	return 0;
}

void disc_get_status(const struct disc *d, gt_ns mono_now, struct disc_status *st)
{
	double rate = d->prior_rate, var = 0;

	st->init = d->bank.init;
	st->offset = d->last_offset;
	st->offset_sd = 0;
	st->wander = 0;
	st->skew_ppm = sqrt(d->prior_var) * 1e6;
	if (d->bank.init) {
		const struct kalman *k = kalman_bank_best(&d->bank);

		offset_now(d, mono_now, &rate, &var);
		st->offset_sd = sqrt(var);
		st->skew_ppm = sqrt(k->p11) * 1e6;
		st->wander = k->q;
	}
	st->freq_ppm = rate * 1e6;
	st->slew_ppm = (d->u - disc_rate(d)) * 1e6;
	st->info = d->bank.info_avg;
	st->n_updates = d->n_updates;
	st->n_steps = d->n_steps;
	st->n_ignored = d->n_ignored;
	st->n_rejected = d->n_rejected;
	st->maxchange_exit = d->maxchange_exit;
}

double disc_predict_sd(const struct disc *d, gt_ns mono_now, double dt)
{
	struct kalman k;

	if (!d->bank.init)
		return INFINITY;
	k = *kalman_bank_best(&d->bank);
	kalman_predict(&k, disc_free_time(d, mono_now) + (gt_ns)(dt * 1e9), 0);
	return sqrt(k.p00);
}

const struct kalman_bank *disc_bank(const struct disc *d)
{
	return &d->bank;
}
