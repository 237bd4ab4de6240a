#include "gw/gw_filter.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A window whose spread is beyond this many times the usual is an
 * outlier (a burst of wild labels, a clock slewing across it): its own
 * spread is its sample's dispersion. */
#define SPREAD_OUTLIER 3.0
/* Samples over which the usual spread is averaged. */
#define SPREAD_MEMORY 16.0
/* Full windows whose least spread starts the average: the first ones
 * may span the start or the end of a slew, or a frequency error not yet
 * learnt, all of which tilt their delays (80 ppm over 8 s is 640 us); an
 * average started there weighs later samples as nothing for hundreds of
 * them (in the simulation, learnt from the first one or two windows:
 * some 300 s instead of 50 to come within 50 us). */
#define SPREAD_LEARN 8

void gw_filter_default(struct gw_filter_spec *f)
{
	memset(f, 0, sizeof(*f));
	f->kind = GW_FILTER_MIN;
	f->window = GW_FILTER_DEFAULT_WINDOW;
}

int gw_filter_parse(struct conf_ctx *ctx, int argc, char **argv, struct gw_filter_spec *f)
{
	if (argc < 1)
		goto bad;
	if (!strcmp(argv[0], "min")) {
		f->kind = GW_FILTER_MIN;
		return 1;
	}
	if (!strcmp(argv[0], "median")) {
		f->kind = GW_FILTER_MEDIAN;
		return 1;
	}
	if (!strcmp(argv[0], "percentile") && argc >= 2) {
		if (conf_arg_double(ctx, "filter percentile", argv[1], 0, 100, &f->p))
			return -1;
		f->kind = GW_FILTER_PERCENTILE;
		return 2;
	}
	if (!strcmp(argv[0], "band") && argc >= 3) {
		if (conf_arg_double(ctx, "filter band LO", argv[1], 0, 100, &f->lo) ||
		    conf_arg_double(ctx, "filter band HI", argv[2], 0, 100, &f->hi))
			return -1;
		if (f->hi <= f->lo) {
			conf_error(ctx, "filter band: HI %g must be above LO %g", f->hi, f->lo);
			return -1;
		}
		f->kind = GW_FILTER_BAND;
		return 3;
	}
bad:
	conf_error(ctx, "filter: expected min, median, percentile P or band LO HI%s%s",
		   argc ? ", not " : "", argc ? argv[0] : "");
	return -1;
}

void gw_filter_describe(const struct gw_filter_spec *f, char *buf, size_t len)
{
	switch (f->kind) {
	case GW_FILTER_MIN: snprintf(buf, len, "min"); break;
	case GW_FILTER_MEDIAN: snprintf(buf, len, "median"); break;
	case GW_FILTER_PERCENTILE: snprintf(buf, len, "percentile %g", f->p); break;
	case GW_FILTER_BAND: snprintf(buf, len, "band %g %g", f->lo, f->hi); break;
	}
}

/* A delay and the time of its message, sorted together so that the
 * statistic can say which messages it was taken from. */
struct pair {
	double v, t;
};

static int cmp_pair(const void *a, const void *b)
{
	double x = ((const struct pair *)a)->v, y = ((const struct pair *)b)->v;

	return x < y ? -1 : x > y;
}

/* The p-th percentile of sorted s[0..n), interpolated between ranks; *t
 * the time interpolated the same way. */
static double percentile(const struct pair *s, size_t n, double p, double *t)
{
	double r = p / 100 * (double)(n - 1), f;
	size_t i = (size_t)floor(r);

	if (i + 1 >= n) {
		*t = s[n - 1].t;
		return s[n - 1].v;
	}
	f = r - (double)i;
	*t = s[i].t + f * (s[i + 1].t - s[i].t);
	return s[i].v + f * (s[i + 1].v - s[i].v);
}

/* The statistic of v[0..n) (1 <= n <= GW_FILTER_MAX_WINDOW) and, in *t,
 * the time of the messages it stands for: the chosen one's for min, the
 * interpolated ranks' for a percentile, the mean of the band's. tv may be
 * NULL (times then 0). */
static double apply_pairs(const struct gw_filter_spec *f, const double *v, const double *tv,
			  size_t n, double *t)
{
	struct pair s[GW_FILTER_MAX_WINDOW];
	double lo, hi, tlo, thi, sum = 0, tsum = 0;
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		s[i] = (struct pair){ v[i], tv ? tv[i] : 0 };
	qsort(s, n, sizeof(*s), cmp_pair);
	switch (f->kind) {
	case GW_FILTER_MIN:
		*t = s[0].t;
		return s[0].v;
	case GW_FILTER_MEDIAN:
		return percentile(s, n, 50, t);
	case GW_FILTER_PERCENTILE:
		return percentile(s, n, f->p, t);
	case GW_FILTER_BAND:
		lo = percentile(s, n, f->lo, &tlo);
		hi = percentile(s, n, f->hi, &thi);
		for (i = 0; i < n; i++) {
			if (s[i].v >= lo && s[i].v <= hi) {
				sum += s[i].v;
				tsum += s[i].t;
				k++;
			}
		}
		/* A band between two ranks may hold no value: its edge then. */
		*t = k ? tsum / (double)k : tlo;
		return k ? sum / (double)k : lo;
	}
	*t = 0;
	return NAN;
}

double gw_filter_apply(const struct gw_filter_spec *f, const double *v, size_t n)
{
	double t;

	if (!n)
		return NAN;
	if (n > GW_FILTER_MAX_WINDOW) {
		v += n - GW_FILTER_MAX_WINDOW;	/* the newest */
		n = GW_FILTER_MAX_WINDOW;
	}
	return apply_pairs(f, v, NULL, n, &t);
}

void gw_window_reset(struct gw_delay_window *w)
{
	w->n = w->next = w->fresh = w->taken = w->nspread = 0;
	w->jit_avg = 0;
}

void gw_window_push(struct gw_delay_window *w, gt_ns rx_real, gt_ns send, gt_ns corr)
{
	w->e[w->next] = (struct gw_delay_entry){ rx_real, send, corr };
	w->next = (w->next + 1) % GW_FILTER_MAX_WINDOW;
	if (w->n < GW_FILTER_MAX_WINDOW)
		w->n++;
	if (w->fresh < GW_FILTER_MAX_WINDOW)
		w->fresh++;
}

const struct gw_delay_entry *gw_window_newest(const struct gw_delay_window *w)
{
	return w->n ? &w->e[(w->next - 1 + GW_FILTER_MAX_WINDOW) % GW_FILTER_MAX_WINDOW] : NULL;
}

bool gw_window_due(const struct gw_delay_window *w, const struct gw_filter_spec *spec,
		   gt_ns interval)
{
	const struct gw_delay_entry *e = gw_window_newest(w);

	if (w->fresh <= 0 || !e)
		return false;
	/* The first delay makes a sample at once: it starts the slew. Then
	 * a window of new delays, or a window of intervals since the last
	 * sample when messages were lost: every lost message costs two
	 * delays (two-step), and 33 % loss would space samples 18 s apart. */
	return w->taken == 0 || w->fresh >= spec->window ||
	       (interval > 0 &&
		e->rx_real - w->last_rx >= (gt_ns)spec->window * interval - interval / 2);
}

/* gw_window_offset, and in *rx_at the raw receive time the statistic
 * stands for. */
static bool window_stat(const struct gw_delay_window *w, const struct gw_filter_spec *spec,
			const struct clk_map *map, double *offset, double *stat, double *jitter,
			gt_ns *rx_at)
{
	double d[GW_FILTER_MAX_WINDOW], tv[GW_FILTER_MAX_WINDOW], mean = 0, var = 0, st, t;
	int n = w->n < spec->window ? w->n : spec->window, i, k;
	int newest = (w->next - 1 + GW_FILTER_MAX_WINDOW) % GW_FILTER_MAX_WINDOW;

	if (n <= 0)
		return false;
	for (i = 0; i < n; i++) {
		k = (newest - i + GW_FILTER_MAX_WINDOW) % GW_FILTER_MAX_WINDOW;
		d[i] = gt_to_sec(clk_map_apply(map, w->e[k].rx_real) - w->e[k].send);
		/* Relative to the newest, so that a double keeps the ns. */
		tv[i] = gt_to_sec(w->e[k].rx_real - w->e[newest].rx_real);
		mean += d[i];
	}
	mean /= n;
	for (i = 0; i < n; i++)
		var += (d[i] - mean) * (d[i] - mean);
	st = apply_pairs(spec, d, tv, (size_t)n, &t);
	if (jitter)
		*jitter = n > 1 ? sqrt(var / (n - 1)) : 0;
	if (stat)
		*stat = st;
	*offset = gt_to_sec(w->e[newest].corr) - st;
	*rx_at = w->e[newest].rx_real + gt_from_sec(t);
	return true;
}

bool gw_window_offset(const struct gw_delay_window *w, const struct gw_filter_spec *spec,
		      const struct clk_map *map, double *offset, double *stat, double *jitter)
{
	gt_ns at;

	return window_stat(w, spec, map, offset, stat, jitter, &at);
}

bool gw_window_sample(struct gw_delay_window *w, const struct gw_filter_spec *spec,
		      const struct clk_map *map, const struct gw_msg *m, uint32_t refid,
		      struct sync_sample *smp, double *offset, double *stat, double *jitter)
{
	const struct gw_delay_entry *newest = gw_window_newest(w);
	double off, st, jit, spread;
	bool full;
	gt_ns at;

	if (!window_stat(w, spec, map, &off, &st, &jit, &at))
		return false;
	w->fresh = 0;
	w->last_rx = newest->rx_real;
	/* The weight: the usual spread of the windows, not this window's
	 * own. A window whose delays happen to lie close has a high minimum:
	 * weighing it more (as its own spread once did) leant the clock 5 us
	 * behind. Only an outlying spread (wild labels, a slew across the
	 * window) is the sample's own, and so is a window not yet full. The
	 * synchronisation core takes half the dispersion as the offset's
	 * standard deviation: half the usual spread, about what the
	 * statistic of a window varies by (min of 8 uniform delays: 0.35 of
	 * their spread; median of 8 exponential ones: 0.35). */
	full = w->n >= spec->window;
	if (w->taken < GW_FILTER_MAX_WINDOW)
		w->taken++;
	if (!full) {
		spread = jit;
	} else {
		if (w->nspread < SPREAD_LEARN)
			w->jit_avg = w->nspread ? fmin(w->jit_avg, jit) : jit;
		else
			w->jit_avg += (fmin(jit, SPREAD_OUTLIER * w->jit_avg) - w->jit_avg) /
				      SPREAD_MEMORY;
		w->nspread++;
		spread = jit > SPREAD_OUTLIER * w->jit_avg ? jit : w->jit_avg;
	}
	memset(smp, 0, sizeof(*smp));
	/* Every entry is on the clock as mapped now, so the offset is the
	 * clock's error when the messages the statistic took arrived (the
	 * least delayed one for min), whatever the frequency error since:
	 * that is its time, not the newest arrival's. The sample is made as
	 * the newest arrives, and the synchronisation core dates it by its
	 * age on the clock: the age is the real time elapsed since, not the
	 * clock's (a slewing clock's differ by its rate: 8 % at the fastest
	 * slew), so that the epoch is right to the nanosecond. */
	smp->time = clk_map_apply(map, newest->rx_real) - (newest->rx_real - at);
	smp->offset = gt_from_sec(off);
	/* A round trip the delay would make, for the root distance; the
	 * spread of the windows' delays, which no exchange measures here,
	 * is the sample's dispersion. */
	smp->delay = 2 * newest->corr > 0 ? 2 * newest->corr : 1000;
	smp->disp = gt_from_sec(ldexp(1, m->precision) + spread);
	smp->root_delay = m->root_delay;
	smp->root_disp = m->root_disp;
	smp->stratum = m->stratum;
	smp->leap = m->leap;
	smp->refid = refid;
	if (offset)
		*offset = off;
	if (stat)
		*stat = st;
	if (jitter)
		*jitter = jit;
	return true;
}

int gw_poll_exponent(gt_ns interval)
{
	int p = 0;

	while (p < 17 && ldexp(1, p) * GT_NS_PER_S < (double)interval)
		p++;
	return p;
}
