/* The simulation test: every scenario over many seeds, a table of figures,
 * and the bounds they must meet (exit 1 if one is missed).
 *
 *   sim                 run everything (the meson test)
 *   sim -s NAME [-n N]  one scenario, N seeds, every seed printed
 *   sim -v              every seed of every scenario printed
 *
 * The reference scenario is the one chrony's simulation tests use under
 * clknetsim (test/simulation/test.common): the client starts 0.1 s and
 * 100 ppm off, its frequency does a random walk of 1e-9 per second,
 * 10,000 s are simulated, each way of the network takes 100 us plus an
 * exponential delay of mean 100 us, and the error is measured every
 * second from 210 s on (clknetsim's statistics reset at max_sync_time).
 * Then the gateway (sim_gw.h) and PTP (sim_ptp.h: a slave's servo, the
 * core against linuxptp's PI, and the BMCA) scenarios. */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "lib/util.h"
#include "sim_world.h"

#define MAX_SEEDS 64

struct stats {
	double med_rms, max_rms, med_max, max_max, med_freq, med_conv, max_conv;
	double med_mean, med_poll, max_near_leap;
	double min_mean, max_mean, med_corr;	/* gateway runs */
	double med_settle, max_settle, max_near_wild, max_late;
	unsigned max_resets, aged;
	int max_steps, min_steps, max_steps_after;
	unsigned liar_selected;
	int synced_end, ever_synced;
	int seeds;
};

struct check {
	const char *what;
	bool ok;
	char detail[160];
};

struct scenario_def {
	struct sim_scenario sc;
	int seeds;
	const char *target;	/* what the table shows as the bound */
	/* Judge the figures; returns the number of failed checks. */
	int (*judge)(const struct stats *st, const struct sim_result *r, struct check *c, int *n);
};

/* A PTP servo scenario's bounds (judge_ptp), and the scenario whose
 * median RMS its own must not exceed times vs_ratio (main). */
struct ptp_bounds {
	const char *name;
	double rms_bound, max_bound, conv_bound, mean_expect, mean_tol;
	const char *vs;
	double vs_ratio;
};
static struct ptp_bounds ptp_bounds[16];
static int n_ptp_bounds;

/* The scenario being judged. */
static const struct scenario_def *judging;

static const struct ptp_bounds *ptp_bounds_of(const char *name)
{
	int i;

	for (i = 0; i < n_ptp_bounds; i++)
		if (!strcmp(ptp_bounds[i].name, name))
			return &ptp_bounds[i];
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double vmax(const double *v, int n)
{
	double m = v[0];
	int i;

	for (i = 1; i < n; i++)
		m = fmax(m, v[i]);
	return m;
}

static void summarise(const struct sim_result *r, int n, struct stats *st)
{
	double rms[MAX_SEEDS], mx[MAX_SEEDS], fr[MAX_SEEDS], cv[MAX_SEEDS], mean[MAX_SEEDS];
	double poll[MAX_SEEDS], corr[MAX_SEEDS], settle[MAX_SEEDS];
	int i;

	memset(st, 0, sizeof(*st));
	st->seeds = n;
	st->min_steps = 1 << 30;
	st->min_mean = INFINITY;
	st->max_mean = -INFINITY;
	for (i = 0; i < n; i++) {
		corr[i] = r[i].gw_corr;
		settle[i] = r[i].t_settle;
		st->max_near_wild = fmax(st->max_near_wild, r[i].max_near_wild);
		st->max_late = fmax(st->max_late, r[i].max_late);
		st->min_mean = fmin(st->min_mean, r[i].mean);
		st->max_mean = fmax(st->max_mean, r[i].mean);
		if (r[i].gw_resets > st->max_resets)
			st->max_resets = r[i].gw_resets;
		st->aged += r[i].gw_aged;
		rms[i] = r[i].rms;
		mx[i] = r[i].max;
		fr[i] = r[i].rms_freq;
		cv[i] = r[i].t_conv;
		mean[i] = r[i].mean;
		poll[i] = r[i].mean_poll;
		st->max_near_leap = fmax(st->max_near_leap, r[i].max_near_leap);
		if (r[i].steps > st->max_steps)
			st->max_steps = r[i].steps;
		if (r[i].steps < st->min_steps)
			st->min_steps = r[i].steps;
		if (r[i].steps_after_stats > st->max_steps_after)
			st->max_steps_after = r[i].steps_after_stats;
		st->liar_selected += r[i].liar_selected;
		st->synced_end += r[i].synced_at_end;
		st->ever_synced += r[i].ever_synced;
	}
	st->max_rms = vmax(rms, n);
	st->max_max = vmax(mx, n);
	st->max_conv = vmax(cv, n);
	st->med_rms = median(rms, n);
	st->med_max = median(mx, n);
	st->med_freq = median(fr, n);
	st->med_conv = median(cv, n);
	st->med_mean = median(mean, n);
	st->med_poll = median(poll, n);
	st->med_corr = median(corr, n);
	st->max_settle = vmax(settle, n);
	st->med_settle = median(settle, n);
}

__attribute__((format(printf, 5, 6)))
static void add_check(struct check *c, int *n, const char *what, bool ok, const char *fmt, ...)
{
	va_list ap;

	c[*n].what = what;
	c[*n].ok = ok;
	va_start(ap, fmt);
	vsnprintf(c[*n].detail, sizeof(c[*n].detail), fmt, ap);
	va_end(ap);
	(*n)++;
}

#define US(x) ((x) * 1e6)

/* Median RMS bound (us) of the scenarios at default polling (6..10).
 * Issue 12 item 6: the default poll climbs as a stable clock allows, so
 * that a client costs its server no more requests than chronyd's would;
 * the reference's mean poll went from 88 to 405 s (4.6 times fewer
 * requests) and its median RMS from 18 to 49 us (33% loss: 26 -> 61 us at
 * 83 -> 303 s; jitter asymmetry: 41 -> 60 us at 93 -> 325 s). It was
 * 52 us. Still below chrony's 75 us in the reference; the comparison at
 * equal requests is bench/clknetsim-bench.sh's. */
#define DEFAULT_POLL_RMS 70.0

/* Bounds every converging scenario shares: converged by stats_from
 * (chrony's max_sync_time, 210 s), no step after it. */
static void judge_common(const struct stats *st, double max_conv, struct check *c, int *n)
{
	add_check(c, n, "converged", st->max_conv <= max_conv,
		  "worst time to converge %.0f s (bound %.0f s)", st->max_conv, max_conv);
	add_check(c, n, "no late step", st->max_steps_after == 0,
		  "steps after the statistics start: %d", st->max_steps_after);
}

static int judge_ref_default(const struct stats *st, const struct sim_result *r,
			     struct check *c, int *n)
{
	(void)r;
	judge_common(st, 210, c, n);
	add_check(c, n, "median RMS", US(st->med_rms) <= DEFAULT_POLL_RMS,
		  "median RMS %.1f us (target <= %.0f us; chrony 75 us)", US(st->med_rms),
		  DEFAULT_POLL_RMS);
	add_check(c, n, "max error", US(st->max_max) <= 1000,
		  "worst max |error| %.1f us (bound 1000 us, chrony's test limit)",
		  US(st->max_max));
	return 0;
}

static int judge_ref_1s(const struct stats *st, const struct sim_result *r, struct check *c,
			int *n)
{
	(void)r;
	judge_common(st, 210, c, n);
	add_check(c, n, "median RMS", US(st->med_rms) <= 7,
		  "median RMS %.2f us (target <= 7 us; chrony 10 us)", US(st->med_rms));
	add_check(c, n, "max error", US(st->max_max) <= 100,
		  "worst max |error| %.1f us (bound 100 us)", US(st->max_max));
	return 0;
}

static int judge_3f_1s(const struct stats *st, const struct sim_result *r, struct check *c,
		       int *n)
{
	(void)r;
	judge_common(st, 210, c, n);
	add_check(c, n, "median RMS", US(st->med_rms) <= 4,
		  "median RMS %.2f us (target <= 4 us; chrony 5.7 us)", US(st->med_rms));
	add_check(c, n, "falseticker", st->liar_selected == 0,
		  "falseticker combined at %u updates", st->liar_selected);
	return 0;
}

static int judge_falseticker(const struct stats *st, const struct sim_result *r,
			     struct check *c, int *n)
{
	(void)r;
	judge_common(st, 210, c, n);
	add_check(c, n, "never selected", st->liar_selected == 0,
		  "falseticker combined at %u updates", st->liar_selected);
	add_check(c, n, "median RMS", US(st->med_rms) <= 52,
		  "median RMS %.1f us (bound 52 us)", US(st->med_rms));
	return 0;
}

static int judge_liars_later(const struct stats *st, const struct sim_result *r,
			     struct check *c, int *n)
{
	(void)r;
	add_check(c, n, "no majority", st->liar_selected == 0,
		  "liars combined at %u updates", st->liar_selected);
	add_check(c, n, "no wrong step", st->max_steps_after == 0,
		  "steps after the lie began: %d", st->max_steps_after);
	/* Free-running on the learnt frequency: the wander alone moves it. */
	add_check(c, n, "holdover error", US(st->max_max) <= 5000,
		  "worst max |error| %.0f us while the liars lie (bound 5000 us; they lie by 50000)",
		  US(st->max_max));
	add_check(c, n, "unsynchronised", st->synced_end == 0,
		  "synchronised at the end in %d runs (holdover 3600 s)", st->synced_end);
	return 0;
}

static int judge_liars_start(const struct stats *st, const struct sim_result *r,
			     struct check *c, int *n)
{
	(void)r;
	add_check(c, n, "no majority", st->liar_selected == 0,
		  "liars combined at %u updates", st->liar_selected);
	add_check(c, n, "never synced", st->ever_synced == 0,
		  "runs that claimed synchronisation: %d", st->ever_synced);
	add_check(c, n, "no step", st->max_steps == 0, "steps: %d", st->max_steps);
	return 0;
}

static int judge_loss(const struct stats *st, const struct sim_result *r, struct check *c,
		      int *n)
{
	(void)r;
	judge_common(st, 210, c, n);
	add_check(c, n, "median RMS", US(st->med_rms) <= DEFAULT_POLL_RMS,
		  "median RMS %.1f us (bound %.0f us)", US(st->med_rms), DEFAULT_POLL_RMS);
	return 0;
}

static int judge_asym(const struct stats *st, const struct sim_result *r, struct check *c,
		      int *n)
{
	/* Forward 100 us, back 300 us: the measured offset is the true one
	 * + (100 - 300) / 2 us, so the clock settles 100 us behind. */
	(void)r;
	add_check(c, n, "bias = asymmetry/2", fabs(US(st->med_mean) + 100) <= 5,
		  "median mean error %+.1f us (expected -100 us +- 5)", US(st->med_mean));
	add_check(c, n, "no worse", US(st->max_max) <= 100 + 50,
		  "worst max |error| %.1f us (bound 150 us)", US(st->max_max));
	return 0;
}

static int judge_wander(const struct stats *st, const struct sim_result *r, struct check *c,
			int *n)
{
	(void)r;
	judge_common(st, 210, c, n);
	/* chrony's own large-wander test (007-largewander) allows 1 ms RMS
	 * and 5 ms max; we ask for ten times better. */
	add_check(c, n, "median RMS", US(st->med_rms) <= 100,
		  "median RMS %.1f us (bound 100 us)", US(st->med_rms));
	add_check(c, n, "max error", US(st->max_max) <= 500,
		  "worst max |error| %.1f us (bound 500 us)", US(st->max_max));
	return 0;
}

static int judge_era(const struct stats *st, const struct sim_result *r, struct check *c, int *n)
{
	(void)r;
	judge_common(st, 210, c, n);
	add_check(c, n, "median RMS", US(st->med_rms) <= 7,
		  "median RMS %.2f us across 2036-02-07 (bound 7 us)", US(st->med_rms));
	add_check(c, n, "max error", US(st->max_max) <= 100,
		  "worst max |error| %.1f us (bound 100 us)", US(st->max_max));
	return 0;
}

static int judge_leap(const struct stats *st, const struct sim_result *r, struct check *c,
		      int *n)
{
	(void)r;
	add_check(c, n, "one leap step", st->min_steps == 1 && st->max_steps == 1,
		  "steps %d..%d (exactly the leap expected)", st->min_steps, st->max_steps);
	add_check(c, n, "max error", US(st->max_max) <= 100,
		  "worst max |error| outside the leap second %.1f us (bound 100 us)",
		  US(st->max_max));
	add_check(c, n, "at the leap", US(st->max_near_leap) <= 100,
		  "worst |error| in the 3 s after the leap %.1f us (bound 100 us)",
		  US(st->max_near_leap));
	return 0;
}

static int judge_makestep(const struct stats *st, const struct sim_result *r, struct check *c,
			  int *n)
{
	(void)r;
	judge_common(st, 210, c, n);
	add_check(c, n, "one step", st->min_steps == 1 && st->max_steps == 1,
		  "steps %d..%d (the initial 2 s, once)", st->min_steps, st->max_steps);
	add_check(c, n, "median RMS", US(st->med_rms) <= 52,
		  "median RMS %.1f us (bound 52 us)", US(st->med_rms));
	return 0;
}

/* 0.1 s and 100 ppm off, no makestep, no iburst, one server at a fixed
 * poll (issue 12): the first sample (at 0.1 s) makes the first update,
 * which slews the 0.1 s out at maxslewrate (83333 ppm, 1.2 s) through the
 * system driver's tick; the clock is within 1 ms by 2 s. It stays there
 * once the second sample, one poll later, has given the frequency: the
 * 100 ppm error moves it 1 ms in 10 s before that. Figures (10 seeds):
 * within 1 ms first at 2 s; converged for good by 16 / 18 s (median /
 * worst) at poll 4 (18 / 20 s before issue 12, when an offset was always
 * slewed over the update interval), by 1004 / 1143 s at poll 10
 * (1252 / 1426 s). chronyd needs 3 samples for its first update
 * (34 s and 2071 s under clknetsim, bench/README.md). */
static void judge_conv(const struct stats *st, double first, double conv, struct check *c,
		       int *n)
{
	add_check(c, n, "0.1 s slewed out", st->max_settle <= first,
		  "worst time to within 1 ms first %.0f s (bound %.0f s)", st->max_settle, first);
	judge_common(st, conv, c, n);
	add_check(c, n, "no step", st->max_steps == 0, "steps: %d", st->max_steps);
}

static int judge_conv_p4(const struct stats *st, const struct sim_result *r, struct check *c,
			 int *n)
{
	(void)r;
	judge_conv(st, 4, 25, c, n);
	add_check(c, n, "median RMS", US(st->med_rms) <= 12,
		  "median RMS %.2f us (bound 12 us)", US(st->med_rms));
	return 0;
}

static int judge_conv_p10(const struct stats *st, const struct sim_result *r, struct check *c,
			  int *n)
{
	(void)r;
	judge_conv(st, 4, 1250, c, n);
	add_check(c, n, "median RMS", US(st->med_rms) <= 100,
		  "median RMS %.1f us (bound 100 us)", US(st->med_rms));
	return 0;
}

static int judge_restart(const struct stats *st, const struct sim_result *r, struct check *c,
			 int *n)
{
	(void)r;
	judge_common(st, 210, c, n);
	add_check(c, n, "median RMS", US(st->med_rms) <= 10,
		  "median RMS %.2f us (bound 10 us)", US(st->med_rms));
	add_check(c, n, "max error", US(st->max_max) <= 100,
		  "worst max |error| %.1f us (bound 100 us)", US(st->max_max));
	return 0;
}

/* Queueing heavier one way than the other, fixed delays equal: the
 * minimum-delay point has no bias, but the offsets of samples with a large
 * delay excess lean towards the busier direction (with exponential
 * queueing of 100 and 300 us, by -47 us at 300 us excess, -160 us at
 * 600 us). The estimator weighs low-excess samples most, yet without the
 * jitter-asymmetry correction (sync/sync_asym.h) it settled 11 to 12 us
 * off at 1 s polling (median of the seeds' mean error: -11.9 us, +11.3 us
 * the other way; median RMS 15.0 and 14.5 us); with it, -3.8 and +3.5 us
 * (RMS 6.2 us both ways). */
static int judge_jitter_asym_1s(const struct stats *st, const struct sim_result *r,
				struct check *c, int *n)
{
	(void)r;
	judge_common(st, 210, c, n);
	add_check(c, n, "no bias", fabs(US(st->med_mean)) <= 6,
		  "median mean error %+.1f us (bound +-6 us; 11 to 12 us uncorrected)",
		  US(st->med_mean));
	add_check(c, n, "median RMS", US(st->med_rms) <= 9,
		  "median RMS %.2f us (bound 9 us; 14.5 to 15 us uncorrected)", US(st->med_rms));
	return 0;
}

/* The same at default polling: some 30 samples in 10,000 s are too few
 * for the correction to count for much, so this only guards against
 * harm: the reference bound. */
static int judge_jitter_asym_default(const struct stats *st, const struct sim_result *r,
				     struct check *c, int *n)
{
	(void)r;
	judge_common(st, 210, c, n);
	add_check(c, n, "median RMS", US(st->med_rms) <= DEFAULT_POLL_RMS,
		  "median RMS %.1f us (bound %.0f us)", US(st->med_rms), DEFAULT_POLL_RMS);
	return 0;
}

/* The one-way gateway (doc/gateway.md, "Simulation"): a receiver 1.7 s
 * and 80 ppm off, wander 1e-9, no makestep (it slews the 1.7 s at the
 * default 83333 ppm, some 20 s), disciplined by gw_recv's samples alone.
 * Bounds every such scenario shares: converged to within conv_threshold
 * by max_conv, never stepped, mean error within tol of bias (what a
 * correction off by -bias must give: the physics of a one-way path), and
 * RMS and max error after stats_from. */
static void judge_gw_common(const struct stats *st, double max_conv, double bias, double tol,
			    double rms, double max, struct check *c, int *n)
{
	add_check(c, n, "max from 180 s", true, "worst max |error| from 180 s %.1f us",
		  US(st->max_late));
	add_check(c, n, "converged", st->max_conv <= max_conv,
		  "worst time to converge %.0f s (bound %.0f s)", st->max_conv, max_conv);
	add_check(c, n, "no step", st->max_steps == 0, "steps: %d", st->max_steps);
	add_check(c, n, "bias", st->min_mean >= bias - tol && st->max_mean <= bias + tol,
		  "mean error %+.1f..%+.1f us over the seeds (expected %+.0f us +- %.0f)",
		  US(st->min_mean), US(st->max_mean), US(bias), US(tol));
	add_check(c, n, "median RMS", st->med_rms <= rms,
		  "median RMS %.2f us (bound %.0f us)", US(st->med_rms), US(rms));
	add_check(c, n, "max error", st->max_max <= max,
		  "worst max |error| %.1f us (bound %.0f us)", US(st->max_max), US(max));
}

/* Bounds below are the figures of 20 seeds with some 25 % to spare
 * (doc/gateway.md, "Simulation", has the table they came from). The
 * seeds' mean errors spread by the commissioning's own error: each seed
 * calibrates on 600 s of its path. */

/* The receiver takes one sample per window (gw_window_due): 8 new
 * delays, or 8 intervals when messages were lost. Figures in parentheses
 * are those of a sample per message, each window sharing seven delays
 * with the one before (before issue 12).
 *
 * 500 +- 100 us uniform, min over 8, 1 s: median RMS 6.4 us (15.9), worst
 * max 70 us (142), 37 us from 180 s on, 0.41 ppm (4.5); within 50 us by
 * 32 / 52 s median / worst (24 / 30), within 500 us for good by 28 s
 * (22); the seeds' means -5..+5 us (-9..0: a lean of -5 us, when the
 * window's own spread weighed each sample). The targets: RMS <=
 * 8 us, |error| <= 40 us once converged. */
static int judge_gw_uniform_1s(const struct stats *st, const struct sim_result *r,
			       struct check *c, int *n)
{
	(void)r;
	add_check(c, n, "within 50 us", st->max_settle <= 65,
		  "worst time to within 50 us %.0f s (bound 65 s)", st->max_settle);
	add_check(c, n, "converged max", st->max_late <= 40e-6,
		  "worst max |error| from 180 s %.1f us (bound 40 us)", US(st->max_late));
	judge_gw_common(st, 60, 0, 12e-6, 8e-6, 90e-6, c, n);
	return 0;
}

/* Four messages a second: median RMS 4.6 us (12.7), worst max 46 us
 * (114), within 50 us by 55 s at worst (29). */
static int judge_gw_uniform_quarter(const struct stats *st, const struct sim_result *r,
				    struct check *c, int *n)
{
	(void)r;
	add_check(c, n, "within 50 us", st->max_settle <= 70,
		  "worst time to within 50 us %.0f s (bound 70 s)", st->max_settle);
	judge_gw_common(st, 60, 0, 12e-6, 6e-6, 60e-6, c, n);
	return 0;
}

/* 10 % loss: median RMS 7.6 us (16.5), worst max 105 us (217), within
 * 50 us by 53 s at worst (45). (19.8 us and 234 us when a lost
 * predecessor repeated the last sample.) */
static int judge_gw_loss10(const struct stats *st, const struct sim_result *r, struct check *c,
			   int *n)
{
	(void)r;
	add_check(c, n, "within 50 us", st->max_settle <= 70,
		  "worst time to within 50 us %.0f s (bound 70 s)", st->max_settle);
	judge_gw_common(st, 60, 0, 12e-6, 10e-6, 135e-6, c, n);
	return 0;
}

/* 33 % loss: a message's delay enters the window only when the next one
 * arrives too (two-step), 45 % of them, and only a new delay makes a
 * sample; a sample every 8 intervals then shares some delays with the one
 * before (8 new ones would take 18 s on average, and the first approach
 * far longer). Median RMS 9.7 us (24.8), worst RMS 19 us (38), 89 us from
 * 180 s on, worst max 223 us (399) with the fast slew of large offsets
 * (556 us without it), within 50 us by 82 s at worst (75), within 1 ms
 * for good by 55 s (44). (When a lost predecessor repeated the last sample
 * instead, as gw_recv once did: 39.6 us RMS, 638 us worst max.) */
static int judge_gw_loss33(const struct stats *st, const struct sim_result *r, struct check *c,
			   int *n)
{
	(void)r;
	add_check(c, n, "within 50 us", st->max_settle <= 105,
		  "worst time to within 50 us %.0f s (bound 105 s)", st->max_settle);
	judge_gw_common(st, 70, 0, 14e-6, 13e-6, 500e-6, c, n);
	return 0;
}

/* Exponential queueing of mean 100 us, each filter with its own
 * calibration: min 5.4 us RMS (5.4), worst max 62 us (72), 0.19 ppm
 * (0.79); percentile 10 6.1 us (6.9), 70 us (105); band 10 40 7.4 us
 * (10.0), 82 us (127); median 11.1 us (23.9), 177 us (174), its lean of
 * +8 us gone (it came from the window's own spread, correlated with its
 * median, weighing each sample). */
static int judge_gw_exp_min(const struct stats *st, const struct sim_result *r,
			    struct check *c, int *n)
{
	(void)r;
	judge_gw_common(st, 60, 0, 6e-6, 6.8e-6, 80e-6, c, n);
	return 0;
}

static int judge_gw_exp_median(const struct stats *st, const struct sim_result *r,
			       struct check *c, int *n)
{
	(void)r;
	judge_gw_common(st, 60, 0, 12e-6, 14e-6, 220e-6, c, n);
	return 0;
}

static int judge_gw_exp_p10(const struct stats *st, const struct sim_result *r,
			    struct check *c, int *n)
{
	(void)r;
	judge_gw_common(st, 60, 0, 7e-6, 7.7e-6, 90e-6, c, n);
	return 0;
}

static int judge_gw_exp_band(const struct stats *st, const struct sim_result *r,
			     struct check *c, int *n)
{
	(void)r;
	judge_gw_common(st, 60, 0, 11e-6, 9.2e-6, 105e-6, c, n);
	return 0;
}

/* A correction 200 us too long: the receiver believes the messages took
 * 200 us longer than they did and sets its clock 200 us ahead (error =
 * clock - truth = +200 us; the offset it measures, truth - clock, is
 * -200 us). No one-way method can see this: only calibration can. The
 * mean error is +200.0 us (+195 us while the right correction leant -5 us). */
static int judge_gw_wrong(const struct stats *st, const struct sim_result *r, struct check *c,
			  int *n)
{
	(void)r;
	judge_gw_common(st, 60, 200e-6, 12e-6, 210e-6, 340e-6, c, n);
	return 0;
}

/* Five authentic labels 1 s ahead: with min over 8 they own the
 * statistic of the one or two windows they fall in (a sample each per
 * window of 8 messages; 12 samples when each message made one), +1 s;
 * but such a window's spread (some 0.4 s) is that sample's dispersion,
 * so it weighs nothing, and the clock holds: its error in the 60 s from
 * the burst on is no worse than elsewhere (worst 15 us here; 37 us from
 * 180 s on, as without burst). */
static int judge_gw_wild(const struct stats *st, const struct sim_result *r, struct check *c,
			 int *n)
{
	(void)r;
	judge_gw_common(st, 60, 0, 12e-6, 8e-6, 90e-6, c, n);
	add_check(c, n, "burst", st->max_near_wild <= 100e-6,
		  "worst |error| in the 60 s from the burst %.1f us (bound 100 us)",
		  US(st->max_near_wild));
	add_check(c, n, "not moved", st->max_resets == 0,
		  "source estimate restarted %u times", st->max_resets);
	return 0;
}

/* A PTP slave's servo (sim_ptp.h): the bounds of the scenario; the
 * comparison with the other servo is main()'s. */
static int judge_ptp(const struct stats *st, const struct sim_result *r, struct check *c, int *n)
{
	const struct ptp_bounds *d = ptp_bounds_of(judging->sc.name);

	(void)r;
	if (!d) {
		add_check(c, n, "bounds", false, "no bounds for %s", judging->sc.name);
		return 0;
	}
	add_check(c, n, "converged", st->max_conv <= d->conv_bound,
		  "worst time to converge %.0f s (bound %.0f s)", st->max_conv, d->conv_bound);
	add_check(c, n, "at most one step", st->max_steps <= 1 && st->max_steps_after == 0,
		  "steps %d, after the statistics start %d", st->max_steps, st->max_steps_after);
	add_check(c, n, "median RMS", US(st->med_rms) <= d->rms_bound,
		  "median RMS %.2f us (bound %.1f us)", US(st->med_rms), d->rms_bound);
	add_check(c, n, "max error", US(st->max_max) <= d->max_bound,
		  "worst max |error| %.1f us (bound %.0f us)", US(st->max_max), d->max_bound);
	add_check(c, n, "mean", fabs(US(st->med_mean) - d->mean_expect) <= d->mean_tol,
		  "median mean error %+.2f us (expected %+.1f +- %.1f us)", US(st->med_mean),
		  d->mean_expect, d->mean_tol);
	return 0;
}

static struct sim_server_cfg good_server(void)
{
	return (struct sim_server_cfg){ .delay_fwd = 100e-6, .delay_back = 100e-6,
					.jitter = 100e-6 };
}

static struct sim_scenario reference(const char *name)
{
	struct sim_scenario sc;

	memset(&sc, 0, sizeof(sc));
	sc.name = name;
	sc.n_servers = 1;
	sc.srv[0] = good_server();
	sc.minpoll = 6;
	sc.maxpoll = 10;
	sc.iburst = true;
	sc.duration = 10000;
	sc.stats_from = 210;
	sc.time_offset = 0.1;
	sc.freq_offset = 100e-6;
	sc.wander = 1e-9;
	sc.start_unix = 1780000000;	/* 2026-05-28 */
	sc.conv_threshold = 1e-3;	/* chrony's time_max_limit */
	return sc;
}

/* A gateway sending every interval s over 500 us +- 100 us (uniform),
 * filter min over 8, corrected by its calibration. */
static struct sim_scenario gateway(const char *name, double interval)
{
	struct sim_scenario sc;

	memset(&sc, 0, sizeof(sc));
	sc.name = name;
	sc.duration = 3600;
	sc.stats_from = 60;
	sc.late_from = 180;
	sc.time_offset = 1.7;
	sc.freq_offset = 80e-6;
	sc.wander = 1e-9;
	sc.start_unix = 1780000000;
	sc.conv_threshold = 500e-6;
	sc.settle_threshold = 50e-6;
	sc.gw.on = true;
	sc.gw.interval = interval;
	sc.gw.delay = 500e-6;
	sc.gw.jitter = 100e-6;
	sc.gw.dist = SIM_GW_UNIFORM;
	gw_filter_default(&sc.gw.filter);
	return sc;
}

static int build_gw_scenarios(struct scenario_def *d, int n)
{
	static const struct {
		const char *name, *target;
		int kind;
		double p, lo, hi;
		int (*judge)(const struct stats *, const struct sim_result *, struct check *, int *);
	} filt[] = {
		{ "gw 500 us + exp 100 us, min 8, 1 s", "RMS <= 6.8 us", GW_FILTER_MIN, 0, 0, 0,
		  judge_gw_exp_min },
		{ "gw 500 us + exp 100 us, median 8, 1 s", "RMS <= 14 us", GW_FILTER_MEDIAN, 0, 0, 0,
		  judge_gw_exp_median },
		{ "gw 500 us + exp 100 us, percentile 10, 1 s", "RMS <= 7.7 us", GW_FILTER_PERCENTILE,
		  10, 0, 0, judge_gw_exp_p10 },
		{ "gw 500 us + exp 100 us, band 10 40, 1 s", "RMS <= 9.2 us", GW_FILTER_BAND, 0, 10,
		  40, judge_gw_exp_band },
	};
	size_t i;

	d[n] = (struct scenario_def){ gateway("gw 500+-100 us, min 8, 1 s", 1), 20,
				      "RMS <= 8 us, max <= 40 us from 180 s", judge_gw_uniform_1s };
	n++;
	d[n] = (struct scenario_def){ gateway("gw 500+-100 us, min 8, 0.25 s", 0.25), 20,
				      "50 us in 70 s, RMS <= 6 us", judge_gw_uniform_quarter };
	n++;
	d[n] = (struct scenario_def){ gateway("gw 500+-100 us, min 8, 1 s, 10% loss", 1), 20,
				      "50 us in 70 s, RMS <= 10 us", judge_gw_loss10 };
	d[n].sc.gw.loss = 0.10;
	n++;
	d[n] = (struct scenario_def){ gateway("gw 500+-100 us, min 8, 1 s, 33% loss", 1), 20,
				      "50 us in 105 s, RMS <= 13 us", judge_gw_loss33 };
	d[n].sc.gw.loss = 0.33;
	d[n].sc.conv_threshold = 1e-3;
	n++;
	for (i = 0; i < ARRAY_LEN(filt); i++) {
		d[n] = (struct scenario_def){ gateway(filt[i].name, 1), 20, filt[i].target,
					      filt[i].judge };
		d[n].sc.gw.dist = SIM_GW_EXP;
		d[n].sc.gw.filter.kind = (enum gw_filter_kind)filt[i].kind;
		d[n].sc.gw.filter.p = filt[i].p;
		d[n].sc.gw.filter.lo = filt[i].lo;
		d[n].sc.gw.filter.hi = filt[i].hi;
		n++;
	}
	d[n] = (struct scenario_def){ gateway("gw correction 200 us too long", 1), 20,
				      "error +200 +- 12 us", judge_gw_wrong };
	d[n].sc.gw.corr_error = 200e-6;
	d[n].sc.conv_threshold = 300e-6;
	n++;
	d[n] = (struct scenario_def){ gateway("gw 5 wild labels +1 s at 1000 s", 1), 20,
				      "no step, burst <= 100 us", judge_gw_wild };
	d[n].sc.gw.wild_at = 1000;
	d[n].sc.gw.wild_n = 5;
	d[n].sc.gw.wild_jump = 1;
	n++;
	return n;
}

/* A PTP master 100 us away each way (+ exponential jitter), a Sync and a
 * Delay_Req a second, the slave's clock 0.1 s and 100 ppm off as in the
 * reference; the core with `makestep 0.01 3`, as ptp4l steps once. */
static struct sim_scenario ptp_scenario(const char *name, enum sim_ptp_servo servo,
					double jitter)
{
	struct sim_scenario sc = reference(name);

	sc.n_servers = 0;
	sc.duration = 3600;
	sc.stats_from = 600;
	sc.conv_threshold = 100e-6;
	sc.cfg.makestep_threshold = 0.01;
	sc.cfg.makestep_limit = 3;
	sc.ptp.on = true;
	sc.ptp.servo = servo;
	sc.ptp.delay_ms = sc.ptp.delay_sm = 100e-6;
	sc.ptp.jitter = jitter;
	return sc;
}

/* Each path twice, the same seeds: linuxptp's PI servo, then the core,
 * whose median RMS must be at most `ratio` times the PI servo's (none
 * for the asymmetric path, where both carry the same unobservable bias).
 * Bounds: the figures measured (doc/ptp.md) with a margin of 1.5-2. */
static int build_ptp_scenarios(struct scenario_def *d, int n)
{
	static const struct {
		const char *core, *pi;
		double jitter, asym, loss;
		int log_sync;
		double conv_threshold;			/* s */
		double rms_core, max_core, rms_pi, max_pi;	/* us */
		double conv_core, conv_pi;		/* s */
		double ratio;
	} p[] = {
		{ "ptp core, 100 us + exp 10 us, 1 s", "ptp pi, 100 us + exp 10 us, 1 s",
		  10e-6, 0, 0, 0, 20e-6, 1, 8, 4, 25, 30, 120, 0.5 },
		{ "ptp core, 100 us + exp 100 us, 1 s", "ptp pi, 100 us + exp 100 us, 1 s",
		  100e-6, 0, 0, 0, 200e-6, 5, 75, 40, 250, 30, 600, 0.5 },
		{ "ptp core, 100/120 us + exp 10 us, 1 s", "ptp pi, 100/120 us + exp 10 us, 1 s",
		  10e-6, 20e-6, 0, 0, 30e-6, 11, 20, 12, 30, 30, 120, 0 },
		{ "ptp core, exp 100 us, 20% loss, 1 s", "ptp pi, exp 100 us, 20% loss, 1 s",
		  100e-6, 0, 0.2, 0, 300e-6, 6, 80, 50, 400, 30, 600, 0.5 },
		{ "ptp core, 100 us + exp 100 us, 1/8 s", "ptp pi, 100 us + exp 100 us, 1/8 s",
		  100e-6, 0, 0, -3, 200e-6, 4, 35, 25, 100, 30, 120, 0.5 },
	};
	static char target[2 * ARRAY_LEN(p)][80];
	size_t i;

	for (i = 0; i < ARRAY_LEN(p); i++) {
		int k;

		for (k = 1; k >= 0; k--) {	/* pi first: the core's row compares */
			struct scenario_def *y = &d[n++];
			struct ptp_bounds *x = &ptp_bounds[n_ptp_bounds++];
			char *t = target[2 * i + (size_t)k];

			*y = (struct scenario_def){ ptp_scenario(k ? p[i].pi : p[i].core,
								 k ? SIM_PTP_PI : SIM_PTP_CORE,
								 p[i].jitter), 10, t, judge_ptp };
			y->sc.ptp.delay_sm += p[i].asym;
			y->sc.ptp.loss = p[i].loss;
			y->sc.ptp.log_sync = p[i].log_sync;
			y->sc.conv_threshold = p[i].conv_threshold;
			x->name = y->sc.name;
			x->rms_bound = k ? p[i].rms_pi : p[i].rms_core;
			x->max_bound = k ? p[i].max_pi : p[i].max_core;
			x->conv_bound = k ? p[i].conv_pi : p[i].conv_core;
			/* The clock settles half the asymmetry ahead. The PI
			 * servo's offsets take the median path delay, below
			 * the mean with exponential jitter: its mean error
			 * is off by up to a sixth of the jitter. */
			x->mean_expect = US(p[i].asym / 2);
			x->mean_tol = k ? 1.5 + US(p[i].jitter) / 5 : 1.5;
			snprintf(t, sizeof(target[0]), "RMS <= %.0f us, max <= %.0f us",
				 x->rms_bound, x->max_bound);
			if (!k && p[i].ratio > 0) {
				x->vs = p[i].pi;
				x->vs_ratio = p[i].ratio;
				snprintf(t, sizeof(target[0]), "RMS <= %.0f us and <= %.1f x pi's",
					 x->rms_bound, x->vs_ratio);
			}
		}
	}
	return n;
}

static int build_scenarios(struct scenario_def *d)
{
	int n = 0, i;

	d[n] = (struct scenario_def){ reference("reference, default polling (6..10)"), 20,
				      "RMS <= 70 us", judge_ref_default };
	n++;
	d[n] = (struct scenario_def){ reference("reference, default polling, no iburst"), 20,
				      "RMS <= 70 us", judge_ref_default };
	d[n].sc.iburst = false;
	n++;
	d[n] = (struct scenario_def){ reference("reference, 1 s polling"), 20, "RMS <= 7 us",
				      judge_ref_1s };
	d[n].sc.minpoll = d[n].sc.maxpoll = 0;
	n++;
	d[n] = (struct scenario_def){ reference("3 servers + falseticker (1 s off), 1 s polling"),
				      20, "RMS <= 4 us", judge_3f_1s };
	d[n].sc.minpoll = d[n].sc.maxpoll = 0;
	d[n].sc.n_servers = 4;
	for (i = 0; i < 4; i++)
		d[n].sc.srv[i] = good_server();
	d[n].sc.srv[3].offset = 1.0;
	n++;
	d[n] = (struct scenario_def){ reference("3 good + falseticker 50 ms off"), 10,
				      "never selected", judge_falseticker };
	d[n].sc.n_servers = 4;
	for (i = 0; i < 4; i++)
		d[n].sc.srv[i] = good_server();
	d[n].sc.srv[0].offset = 0.05;	/* first, so it answers first */
	n++;
	d[n] = (struct scenario_def){ reference("4 servers, 2 lie +50 ms from 2000 s"), 10,
				      "no majority, no step", judge_liars_later };
	d[n].sc.n_servers = 4;
	for (i = 0; i < 4; i++)
		d[n].sc.srv[i] = good_server();
	d[n].sc.srv[0].offset = d[n].sc.srv[1].offset = 0.05;
	d[n].sc.srv[0].lie_from = d[n].sc.srv[1].lie_from = 2000;
	d[n].sc.stats_from = 2000;
	d[n].sc.cfg.makestep_threshold = 0.01;
	d[n].sc.cfg.makestep_limit = -1;
	n++;
	d[n] = (struct scenario_def){ reference("4 servers, 2 lie +50 ms from start"), 10,
				      "never synced", judge_liars_start };
	d[n].sc.n_servers = 4;
	for (i = 0; i < 4; i++)
		d[n].sc.srv[i] = good_server();
	d[n].sc.srv[0].offset = d[n].sc.srv[1].offset = 0.05;
	d[n].sc.cfg.makestep_threshold = 0.01;
	d[n].sc.cfg.makestep_limit = -1;
	d[n].sc.duration = 3000;
	n++;
	d[n] = (struct scenario_def){ reference("33% loss, default polling"), 10, "RMS <= 70 us",
				      judge_loss };
	d[n].sc.srv[0].loss = 0.33;
	n++;
	d[n] = (struct scenario_def){ reference("asymmetry 100/300 us, 1 s polling"), 10,
				      "bias = -100 us", judge_asym };
	d[n].sc.minpoll = d[n].sc.maxpoll = 0;
	d[n].sc.srv[0].delay_back = 300e-6;
	n++;
	d[n] = (struct scenario_def){ reference("jitter asymmetry 100/300 us, 1 s polling"), 10,
				      "\\|mean\\| <= 6 us, RMS <= 9 us", judge_jitter_asym_1s };
	d[n].sc.minpoll = d[n].sc.maxpoll = 0;
	d[n].sc.srv[0].jitter_back = 300e-6;
	n++;
	d[n] = (struct scenario_def){ reference("jitter asymmetry 300/100 us, 1 s polling"), 10,
				      "\\|mean\\| <= 6 us, RMS <= 9 us", judge_jitter_asym_1s };
	d[n].sc.minpoll = d[n].sc.maxpoll = 0;
	d[n].sc.srv[0].jitter = 300e-6;
	d[n].sc.srv[0].jitter_back = 100e-6;
	n++;
	d[n] = (struct scenario_def){ reference("jitter asymmetry 100/300 us, default polling"),
				      10, "RMS <= 70 us", judge_jitter_asym_default };
	d[n].sc.srv[0].jitter_back = 300e-6;
	n++;
	d[n] = (struct scenario_def){ reference("large wander 1e-7, default polling"), 10,
				      "RMS <= 100 us", judge_wander };
	d[n].sc.wander = 1e-7;
	n++;
	d[n] = (struct scenario_def){ reference("2036 era crossing, 1 s polling"), 10,
				      "RMS <= 7 us", judge_era };
	d[n].sc.minpoll = d[n].sc.maxpoll = 0;
	d[n].sc.start_unix = 2085978496.0 - 5000;	/* 2036-02-07 06:28:16 at 5000 s */
	n++;
	d[n] = (struct scenario_def){ reference("leap second insert, 3 servers, 1 s polling"), 10,
				      "1 step, |err| <= 100 us", judge_leap };
	d[n].sc.minpoll = d[n].sc.maxpoll = 0;
	d[n].sc.n_servers = 3;
	for (i = 0; i < 3; i++)
		d[n].sc.srv[i] = good_server();
	d[n].sc.start_unix = 1483228800.0 - 5000;	/* 2016-12-31 23:59:60 at 5000 s */
	d[n].sc.time_offset = 0;
	d[n].sc.leap = 1;
	d[n].sc.stats_from = 1000;
	n++;
	d[n] = d[n - 1];
	d[n].sc.name = "leap second delete, 3 servers, 1 s polling";
	d[n].sc.start_unix = 1498867200.0 - 5000;	/* end of 2017-06 */
	d[n].sc.leap = 2;
	n++;
	d[n] = (struct scenario_def){ reference("0.1 s off, no makestep, poll 4, no iburst"), 10,
				      "1 ms in 4 s, converged in 25 s", judge_conv_p4 };
	d[n].sc.minpoll = d[n].sc.maxpoll = 4;
	d[n].sc.iburst = false;
	d[n].sc.settle_threshold = 1e-3;
	d[n].sc.mono_slewed = true;
	n++;
	d[n] = (struct scenario_def){ reference("0.1 s off, no makestep, poll 10, no iburst"), 10,
				      "1 ms in 4 s, converged in 1250 s", judge_conv_p10 };
	d[n].sc.minpoll = d[n].sc.maxpoll = 10;
	d[n].sc.iburst = false;
	d[n].sc.settle_threshold = 1e-3;
	d[n].sc.mono_slewed = true;
	d[n].sc.duration = 20000;
	d[n].sc.stats_from = 5000;
	n++;
	d[n] = (struct scenario_def){ reference("2 s off, makestep 1 3"), 10, "one step",
				      judge_makestep };
	d[n].sc.time_offset = 2.0;
	d[n].sc.cfg.makestep_threshold = 1;
	d[n].sc.cfg.makestep_limit = 3;
	n++;
	d[n] = (struct scenario_def){ reference("3 servers restart (down, LI=3, 2 ms off)"), 10,
				      "RMS <= 10 us", judge_restart };
	d[n].sc.minpoll = d[n].sc.maxpoll = 0;
	d[n].sc.n_servers = 3;
	for (i = 0; i < 3; i++) {
		d[n].sc.srv[i] = good_server();
		d[n].sc.srv[i].restart_at = 2000 + 2500 * i;
		d[n].sc.srv[i].restart_down = 300;
		d[n].sc.srv[i].restart_unsync = 120;
		d[n].sc.srv[i].restart_err = 2e-3;
		d[n].sc.srv[i].restart_decay = 200;
	}
	n++;
	n = build_gw_scenarios(d, n);
	return build_ptp_scenarios(d, n);
}

/* The BMCA (sim_ptp.h): three clocks of priority1 110, 100, 120 on one
 * segment, an Announce a second each while master, lost at random; the
 * best is killed at 1000 s and restored at 1500 s. The bounds (s) are
 * the measured figures with a margin; flaps for another reason than a
 * receipt timeout after lost Announces must be none. */
struct bmca_def {
	const char *name;
	double loss;
	int announce_timeout;
	int seeds;
	double elect, takeover, agree, back;
};

static const struct bmca_def bmca_defs[] = {
	{ "bmca 3 clocks, no loss", 0.0, 3, 20, 7, 3.5, 7, 5 },
	{ "bmca 3 clocks, 10% announce loss", 0.10, 3, 20, 9, 3.5, 9, 7 },
	{ "bmca 3 clocks, 30% announce loss", 0.30, 3, 20, 15, 3.5, 14, 15 },
	/* The advice for a lossy segment: a longer receipt timeout. The
	 * parent's record must last until it fires (it used to leave the
	 * 4-interval window first: "other" flaps). */
	{ "bmca 3 clocks, 30% loss, announce-timeout 6", 0.30, 6, 20, 20, 6.5, 14, 15 },
};

#define BMCA_HEADER "\n| BMCA scenario | seeds | Announces lost | all follow the best, " \
	"median / worst | after the kill: second best MASTER | all follow it | after the " \
	"restore: all follow the best | flaps: receipt timeout after lost Announces / other " \
	"| target | result |\n|---|---|---|---|---|---|---|---|---|---|\n"

static double never(double x)
{
	return x < 0 ? 1e9 : x;		/* never: the bound's failure shows it */
}

static int run_bmca(const struct bmca_def *d, bool verbose)
{
	struct sim_bmca_cfg cfg = {
		.n = 3, .priority1 = { 110, 100, 120 }, .loss = d->loss, .log_announce = 0,
		.announce_timeout = d->announce_timeout, .duration = 2000, .kill_at = 1000, .restore_at = 1500,
	};
	struct sim_bmca_result r[MAX_SEEDS];
	double el[MAX_SEEDS], to[MAX_SEEDS], ag[MAX_SEEDS], bk[MAX_SEEDS];
	struct check c[8];
	unsigned fl_to = 0, fl_other = 0, ann = 0, lost = 0;
	int i, nc = 0, bad = 0, seeds = d->seeds;

	for (i = 0; i < seeds; i++) {
		if (sim_bmca_run(&cfg, (uint64_t)i + 1, &r[i]) < 0)
			return -1;
		el[i] = never(r[i].elected_after);
		to[i] = never(r[i].takeover_after);
		ag[i] = never(r[i].agree_after);
		bk[i] = never(r[i].back_after);
		fl_to += r[i].flaps_timeout;
		fl_other += r[i].flaps_other;
		ann += r[i].announces;
		lost += r[i].lost;
		if (verbose)
			printf("  %-48.48s seed %2d: elected %.2f s, takeover %.2f s, all %.2f s, "
			       "back %.2f s, flaps %u + %u, changes %u\n", d->name, i + 1, el[i],
			       to[i], ag[i], bk[i], r[i].flaps_timeout, r[i].flaps_other,
			       r[i].changes);
	}
	add_check(c, &nc, "elected", vmax(el, seeds) <= d->elect,
		  "worst %.2f s until all follow the best (bound %.1f s)", vmax(el, seeds), d->elect);
	add_check(c, &nc, "takeover", vmax(to, seeds) <= d->takeover,
		  "worst %.2f s after the kill until the second best is MASTER (bound %.1f s: "
		  "the receipt timeout %d x 1 s after the last Announce heard, one interval "
		  "PRE_MASTER)", vmax(to, seeds), d->takeover, d->announce_timeout);
	add_check(c, &nc, "all follow", vmax(ag, seeds) <= d->agree,
		  "worst %.2f s after the kill until all follow it (bound %.1f s)", vmax(ag, seeds),
		  d->agree);
	add_check(c, &nc, "back", vmax(bk, seeds) <= d->back,
		  "worst %.2f s after the restore until all follow the best (bound %.1f s)",
		  vmax(bk, seeds), d->back);
	add_check(c, &nc, "no other flap", fl_other == 0,
		  "%u agreements lost for another reason than a receipt timeout after lost "
		  "Announces (%u such timeouts)", fl_other, fl_to);
	for (i = 0; i < nc; i++)
		bad += !c[i].ok;
	printf("| %s | %d | %.1f %% | %.2f / %.2f s | %.2f / %.2f s | %.2f / %.2f s "
	       "| %.2f / %.2f s | %u / %u | elected <= %.0f s, MASTER <= %.1f s, no other flap "
	       "| %s |\n", d->name, seeds, ann ? 100.0 * lost / ann : 0, median(el, seeds),
	       vmax(el, seeds), median(to, seeds), vmax(to, seeds), median(ag, seeds),
	       vmax(ag, seeds), median(bk, seeds), vmax(bk, seeds), fl_to, fl_other, d->elect,
	       d->takeover, bad ? "FAIL" : "pass");
	for (i = 0; i < nc; i++)
		if (!c[i].ok || verbose)
			printf("    %s %s: %s\n", c[i].ok ? "ok  " : "FAIL", c[i].what, c[i].detail);
	return bad;
}

static void print_seed(const struct sim_scenario *sc, uint64_t seed, const struct sim_result *r)
{
	printf("  %-48.48s seed %2llu: rms %8.2f us max %8.1f us mean %+7.1f us freq %6.3f ppm "
	       "conv %5.0f s poll %6.1f s steps %d liar %u samples %u\n",
	       sc->name, (unsigned long long)seed, US(r->rms), US(r->max), US(r->mean),
	       US(r->rms_freq), r->t_conv, r->mean_poll, r->steps, r->liar_selected, r->samples);
}

#define HEADER "| scenario | seeds | median RMS | worst RMS | median max | worst max | " \
	"median RMS freq | median / worst conv | mean poll | target | result |\n" \
	"|---|---|---|---|---|---|---|---|---|---|---|\n"
#define GW_HEADER "\n| gateway scenario | seeds | correction | median mean | median RMS " \
	"| worst RMS | median max | worst max | median RMS freq | within 50 us, median / worst " \
	"| converged, median / worst | worst max from 180 s | steps | target | result |\n" \
	"|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"

int main(int argc, char **argv)
{
	static struct scenario_def defs[48];
	static struct stats all[48];
	const struct ptp_bounds *pb;
	struct sim_result res[MAX_SEEDS];
	const char *only = NULL;
	int nd = build_scenarios(defs), i, k, seeds_override = 0, failed = 0, trace_seed = 0;
	int header = 0;
	bool verbose = false;
	clock_t c0 = clock();

	/* The core logs steps and leaps; thousands of runs need no diary. */
	log_set_level(LOG_LVL_ERR);

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v"))
			verbose = true;
		else if (!strcmp(argv[i], "-s") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			seeds_override = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-t") && i + 1 < argc)
			trace_seed = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: %s [-v] [-s SCENARIO-PREFIX] [-n SEEDS] [-t TRACE-SEED]\n", argv[0]);
			return 2;
		}
	}
	for (k = 0; k < nd; k++) {
		struct scenario_def *d = &defs[k];
		struct check checks[16];
		struct stats st;
		int seeds = seeds_override > 0 ? seeds_override : d->seeds, nc = 0, bad = 0;

		if (only && strncmp(d->sc.name, only, strlen(only)))
			continue;
		if (seeds > MAX_SEEDS)
			seeds = MAX_SEEDS;
		for (i = 0; i < seeds; i++) {
			sim_trace = trace_seed == i + 1;
			if (sim_run(&d->sc, (uint64_t)i + 1, &res[i]) < 0) {
				printf("%s: setup failed\n", d->sc.name);
				return 1;
			}
			if (verbose || only)
				print_seed(&d->sc, (uint64_t)i + 1, &res[i]);
		}
		summarise(res, seeds, &st);
		judging = d;
		pb = ptp_bounds_of(d->sc.name);
		d->judge(&st, res, checks, &nc);
		all[k] = st;
		for (i = 0; pb && pb->vs && i < k; i++) {
			if (strcmp(defs[i].sc.name, pb->vs) || all[i].seeds != st.seeds)
				continue;
			add_check(checks, &nc, "vs", st.med_rms <= pb->vs_ratio * all[i].med_rms,
				  "median RMS %.2f us, %.2f x %s's %.2f us (bound %.2f x)",
				  US(st.med_rms), st.med_rms / all[i].med_rms, pb->vs,
				  US(all[i].med_rms), pb->vs_ratio);
		}
		for (i = 0; i < nc; i++)
			bad += !checks[i].ok;
		if (header != (d->sc.gw.on ? 2 : 1)) {
			header = d->sc.gw.on ? 2 : 1;
			printf(d->sc.gw.on ? GW_HEADER : HEADER);
		}
		if (d->sc.gw.on)
			printf("| %s | %d | %.1f us | %+.1f us | %.2f us | %.2f us | %.1f us | %.1f us "
			       "| %.3f ppm | %.0f / %.0f s | %.0f / %.0f s | %.1f us | %d | %s | %s |\n",
			       d->sc.name, seeds, US(st.med_corr), US(st.med_mean), US(st.med_rms),
			       US(st.max_rms), US(st.med_max), US(st.max_max), US(st.med_freq),
			       st.med_settle, st.max_settle, st.med_conv, st.max_conv, US(st.max_late),
			       st.max_steps,
			       d->target, bad ? "FAIL" : "pass");
		else
			printf("| %s | %d | %.2f us | %.2f us | %.1f us | %.1f us | %.4f ppm "
			       "| %.0f / %.0f s | %.0f s | %s | %s |\n",
			       d->sc.name, seeds, US(st.med_rms), US(st.max_rms), US(st.med_max),
			       US(st.max_max), US(st.med_freq), st.med_conv, st.max_conv,
			       st.med_poll, d->target, bad ? "FAIL" : "pass");
		for (i = 0; i < nc; i++)
			if (!checks[i].ok || verbose)
				printf("    %s %s: %s\n", checks[i].ok ? "ok  " : "FAIL", checks[i].what,
				       checks[i].detail);
		failed += bad;
	}
	header = 0;
	for (k = 0; k < (int)ARRAY_LEN(bmca_defs); k++) {
		int bad;

		if (only && strncmp(bmca_defs[k].name, only, strlen(only)))
			continue;
		if (!header++)
			printf(BMCA_HEADER);
		bad = run_bmca(&bmca_defs[k], verbose || only);
		if (bad < 0) {
			printf("%s: setup failed\n", bmca_defs[k].name);
			return 1;
		}
		failed += bad;
	}
	printf("simulated in %.2f s of CPU; %s\n", (double)(clock() - c0) / CLOCKS_PER_SEC,
	       failed ? "FAILED" : "all bounds met");
	return failed ? 1 : 0;
}
