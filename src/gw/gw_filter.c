#include "gw/gw_filter.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The p-th percentile of sorted s[0..n), interpolated between ranks. */
static double percentile(const double *s, size_t n, double p)
{
	double r = p / 100 * (double)(n - 1);
	size_t i = (size_t)floor(r);

	if (i + 1 >= n)
		return s[n - 1];
	return s[i] + (r - (double)i) * (s[i + 1] - s[i]);
}

double gw_filter_apply(const struct gw_filter_spec *f, const double *v, size_t n)
{
	double s[GW_FILTER_MAX_WINDOW], lo, hi, sum = 0;
	size_t i, k = 0;

	if (!n)
		return NAN;
	if (n > GW_FILTER_MAX_WINDOW) {
		v += n - GW_FILTER_MAX_WINDOW;	/* the newest */
		n = GW_FILTER_MAX_WINDOW;
	}
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	switch (f->kind) {
	case GW_FILTER_MIN:
		return s[0];
	case GW_FILTER_MEDIAN:
		return percentile(s, n, 50);
	case GW_FILTER_PERCENTILE:
		return percentile(s, n, f->p);
	case GW_FILTER_BAND:
		lo = percentile(s, n, f->lo);
		hi = percentile(s, n, f->hi);
		for (i = 0; i < n; i++) {
			if (s[i] >= lo && s[i] <= hi) {
				sum += s[i];
				k++;
			}
		}
		/* A band between two ranks may hold no value: its edge then. */
		return k ? sum / (double)k : lo;
	}
	return NAN;
}

void gw_window_reset(struct gw_delay_window *w)
{
	w->n = w->next = 0;
}

void gw_window_push(struct gw_delay_window *w, gt_ns rx_real, gt_ns send, gt_ns corr)
{
	w->e[w->next] = (struct gw_delay_entry){ rx_real, send, corr };
	w->next = (w->next + 1) % GW_FILTER_MAX_WINDOW;
	if (w->n < GW_FILTER_MAX_WINDOW)
		w->n++;
}

const struct gw_delay_entry *gw_window_newest(const struct gw_delay_window *w)
{
	return w->n ? &w->e[(w->next - 1 + GW_FILTER_MAX_WINDOW) % GW_FILTER_MAX_WINDOW] : NULL;
}

bool gw_window_offset(const struct gw_delay_window *w, const struct gw_filter_spec *spec,
		      const struct clk_map *map, double *offset, double *stat, double *jitter)
{
	double d[GW_FILTER_MAX_WINDOW], mean = 0, var = 0, st;
	int n = w->n < spec->window ? w->n : spec->window, i, k;
	int newest = (w->next - 1 + GW_FILTER_MAX_WINDOW) % GW_FILTER_MAX_WINDOW;

	if (n <= 0)
		return false;
	for (i = 0; i < n; i++) {
		k = (newest - i + GW_FILTER_MAX_WINDOW) % GW_FILTER_MAX_WINDOW;
		d[i] = gt_to_sec(clk_map_apply(map, w->e[k].rx_real) - w->e[k].send);
		mean += d[i];
	}
	mean /= n;
	for (i = 0; i < n; i++)
		var += (d[i] - mean) * (d[i] - mean);
	st = gw_filter_apply(spec, d, (size_t)n);
	if (jitter)
		*jitter = n > 1 ? sqrt(var / (n - 1)) : 0;
	if (stat)
		*stat = st;
	*offset = gt_to_sec(w->e[newest].corr) - st;
	return true;
}

bool gw_window_sample(const struct gw_delay_window *w, const struct gw_filter_spec *spec,
		      const struct clk_map *map, const struct gw_msg *m, uint32_t refid,
		      struct sync_sample *smp, double *offset, double *stat, double *jitter)
{
	const struct gw_delay_entry *newest = gw_window_newest(w);
	double off, st, jit;

	if (!gw_window_offset(w, spec, map, &off, &st, &jit))
		return false;
	memset(smp, 0, sizeof(*smp));
	smp->time = clk_map_apply(map, newest->rx_real);
	smp->offset = gt_from_sec(off);
	/* A round trip the delay would make, for the root distance; the
	 * spread of the window's delays, which no exchange measures here,
	 * is the sample's dispersion. */
	smp->delay = 2 * newest->corr > 0 ? 2 * newest->corr : 1000;
	smp->disp = gt_from_sec(ldexp(1, m->precision) + 2 * jit);
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
