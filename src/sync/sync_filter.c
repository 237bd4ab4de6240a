#include "sync/sync_filter.h"

#include <math.h>
#include <string.h>

#include "clock/clk.h"

/* RFC 5905 A.1.1 MAXDISP: the dispersion of an empty stage. */
#define MAXDISP 16.0

void sync_filter_init(struct sync_filter *f)
{
	int j;

	memset(f, 0, sizeof(*f));
	f->last_used = INT64_MIN;
	for (j = 0; j < 4; j++) {
		f->low[j] = INFINITY;
		f->low_idx[j] = -1;
	}
}

/* Full scan of the delay history: the four smallest recent delays, their
 * count and mean. */
static void scan_delays(struct sync_filter *f, gt_ns now)
{
	int i, j, n = 0;

	f->sum_delay = 0;
	for (j = 0; j < 4; j++) {
		f->low[j] = INFINITY;
		f->low_idx[j] = -1;
	}
	for (i = 0; i < f->dn; i++) {
		double d = f->dwin[i];

		if (now - f->dwin_t[i] > SYNC_FILTER_DELAY_MAX_AGE)
			continue;
		n++;
		f->sum_delay += d;
		for (j = 3; j >= 0 && d < f->low[j]; j--) {
			if (j < 3) {
				f->low[j + 1] = f->low[j];
				f->low_idx[j + 1] = f->low_idx[j];
			}
			f->low[j] = d;
			f->low_idx[j] = i;
		}
	}
	f->n_delays = n;
	f->adds_since_scan = 0;
}

/* Add a delay to the history. Most additions neither evict one of the
 * smallest nor are among them, so a full scan runs only when they do, when
 * one of the smallest has aged out, and every 64 additions to expire the
 * rest. */
static void add_delay(struct sync_filter *f, double d, gt_ns now)
{
	int p = f->dnext, j;
	bool full = f->dn == SYNC_FILTER_DELAY_WINDOW, rescan = false;
	double old = full ? f->dwin[p] : 0;

	f->dwin[p] = d;
	f->dwin_t[p] = now;
	f->dnext = (p + 1) % SYNC_FILTER_DELAY_WINDOW;
	if (!full)
		f->dn++;
	for (j = 0; j < 4; j++)
		if (f->low_idx[j] == p ||
		    (f->low_idx[j] >= 0 && now - f->dwin_t[f->low_idx[j]] > SYNC_FILTER_DELAY_MAX_AGE))
			rescan = true;
	if (rescan || ++f->adds_since_scan >= 64) {
		scan_delays(f, now);
	} else {
		f->sum_delay += d - old;
		if (!full)
			f->n_delays++;
		for (j = 3; j >= 0 && d < f->low[j]; j--) {
			if (j < 3) {
				f->low[j + 1] = f->low[j];
				f->low_idx[j + 1] = f->low_idx[j];
			}
			f->low[j] = d;
			f->low_idx[j] = p;
		}
	}
	f->min_delay = f->n_delays ? f->low[0] : 0;
	f->mean_delay = f->n_delays ? f->sum_delay / f->n_delays : 0;
}

/* Order of stages for the §10 output: by delay, as RFC 5905 A.5.2 sorts
 * by distance; a stage's dispersion only breaks ties here. */
static void sort_by_delay(struct sync_filter *f)
{
	int *idx = f->order;
	int i, j;

	for (i = 0; i < f->n; i++)
		idx[i] = i;
	for (i = 1; i < f->n; i++)
		for (j = i; j > 0 && f->st[idx[j]].delay < f->st[idx[j - 1]].delay; j--) {
			int t = idx[j];

			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
}

static double corrected(const struct sync_filter_stage *s, const struct sync_filter_now *now)
{
	return s->offset - (now->phase - s->phase) + now->rate * (double)(now->mono - s->mono) * 1e-9;
}

enum sync_filter_verdict sync_filter_add(struct sync_filter *f, const struct sync_filter_stage *s,
				       double rate)
{
	struct sync_filter_now now = { s->mono, s->phase, rate };
	struct sync_filter_out cur;
	bool have = sync_filter_get(f, &now, &cur);
	bool spike = false;
	const int *idx = f->order;
	int i;

	/* RFC 5905 A.5.2 popcorn spike suppressor: an offset farther from the
	 * filter's output than SGATE times the peer jitter, and no better in
	 * delay, is a spike. Only a lone one is suppressed: a second in a row
	 * means the offset has really moved. */
	if (have && f->n >= 2 && !f->last_spike && s->delay > cur.delay &&
	    fabs(s->offset - cur.offset) > SYNC_FILTER_SGATE * cur.jitter)
		spike = true;
	f->last_spike = spike;
	if (spike)
		f->spikes++;

	memmove(&f->st[1], &f->st[0], sizeof(f->st[0]) * (SYNC_FILTER_STAGES - 1));
	f->st[0] = *s;
	if (f->n < SYNC_FILTER_STAGES)
		f->n++;

	add_delay(f, s->delay, s->mono);

	/* §10 jitter: RMS of the offset differences from the lowest-delay
	 * stage, over the stages (spikes included: they are the jitter). */
	sort_by_delay(f);
	if (f->n > 1) {
		double sum = 0, o0 = corrected(&f->st[idx[0]], &now);

		for (i = 1; i < f->n; i++) {
			double d = corrected(&f->st[idx[i]], &now) - o0;

			sum += d * d;
		}
		f->jitter = sqrt(sum / (f->n - 1));
	}
	if (!spike)
		f->last_used = s->mono;
	return spike ? SYNC_FILTER_SPIKE : SYNC_FILTER_USE;
}

bool sync_filter_get(const struct sync_filter *f, const struct sync_filter_now *now,
		    struct sync_filter_out *out)
{
	const int *idx = f->order;
	double eps = 0, w = 0.5;
	int i;

	if (f->n == 0)
		return false;
	/* §10 peer dispersion: the stages' dispersions, each grown at PHI
	 * since its epoch, weighted 1/2, 1/4, ... in delay order; empty
	 * stages count MAXDISP. */
	for (i = 0; i < SYNC_FILTER_STAGES; i++, w /= 2) {
		double e = MAXDISP;

		if (i < f->n) {
			const struct sync_filter_stage *st = &f->st[idx[i]];
			double age = (double)(now->mono - st->mono) * 1e-9;

			e = st->disp + CLK_PHI * (age > 0 ? age : 0);
			if (e > MAXDISP)
				e = MAXDISP;
		}
		eps += e * w;
	}
	out->offset = corrected(&f->st[idx[0]], now);
	out->delay = f->st[idx[0]].delay;
	out->disp = eps;
	out->jitter = f->jitter;
	out->mono = f->st[idx[0]].mono;
	return true;
}

double sync_filter_min_delay(const struct sync_filter *f)
{
	return f->min_delay;
}

double sync_filter_mean_excess(const struct sync_filter *f)
{
	return f->n_delays ? f->mean_delay - f->min_delay : 0;
}

double sync_filter_variance(const struct sync_filter *f, double delay, double floor)
{
	double excess = delay - f->min_delay, gap;
	int k = f->n_delays > 4 ? 3 : f->n_delays - 1;

	if (excess < 0)
		excess = 0;
	gap = f->n_delays > 0 ? f->min_delay / (2 * f->n_delays) : delay / 2;
	if (k > 0 && isfinite(f->low[k])) {
		/* The prior only while the history is short: it scales with
		 * the base delay, which says nothing about the queueing (on
		 * a quiet 200 us path it kept 40 samples' gap at 2.5 us for
		 * 2 us of mean excess, flattening the weights). */
		if (f->n_delays >= SYNC_FILTER_STAGES)
			gap = 0;
		gap = fmax(gap, (f->low[k] - f->low[0]) / k);
		gap = fmax(gap, (f->mean_delay - f->min_delay) / sqrt(f->n_delays));
	}
	return (excess + gap) * (excess + gap) / 12 + floor * floor;
}
