#include "mon/history.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

const struct hist_tier_spec hist_tiers[HIST_TIERS] = {
	{ 1, 3600 },		/* every second, 1 h */
	{ 60, 2880 },		/* minutes, 48 h */
	{ 900, 2880 },		/* quarter hours, 30 days */
};

struct tier {
	float *mean, *min, *max;	/* min and max NULL in tier 0 (one sample a point) */
	int64_t last;			/* newest bucket written (t / step); -1: none */
	int n;				/* buckets held, up to len */
	/* The bucket being filled. */
	int64_t cur;
	double sum;
	float lo, hi;
	int count;
};

struct series {
	char name[64];
	met_read_fn read;
	const void *ctx;
	uintptr_t key;
	struct tier t[HIST_TIERS];
};

struct hist {
	struct series *s[HIST_MAX_SERIES];
	int n;
};

struct hist *hist_create(void)
{
	return xcalloc(1, sizeof(struct hist));
}

static void free_series(struct series *s)
{
	int i;

	for (i = 0; i < HIST_TIERS; i++) {
		free(s->t[i].mean);
		free(s->t[i].min);
		free(s->t[i].max);
	}
	free(s);
}

void hist_destroy(struct hist *h)
{
	int i;

	if (!h)
		return;
	for (i = 0; i < h->n; i++)
		free_series(h->s[i]);
	free(h);
}

static int find(const struct hist *h, const char *name)
{
	int i;

	for (i = 0; i < h->n; i++)
		if (!strcmp(h->s[i]->name, name))
			return i;
	return -1;
}

int hist_track(struct hist *h, const char *name, met_read_fn read, const void *ctx,
	       uintptr_t key)
{
	struct series *s;
	int i;

	if (!name || !*name || strlen(name) >= sizeof(s->name) || !read)
		return -EINVAL;
	if (find(h, name) >= 0)
		return -EEXIST;
	if (h->n >= HIST_MAX_SERIES)
		return -ENOSPC;
	s = xcalloc(1, sizeof(*s));
	strcpy(s->name, name);
	s->read = read;
	s->ctx = ctx;
	s->key = key;
	for (i = 0; i < HIST_TIERS; i++) {
		size_t len = (size_t)hist_tiers[i].len;

		s->t[i].mean = xcalloc(len, sizeof(float));
		if (i > 0) {
			s->t[i].min = xcalloc(len, sizeof(float));
			s->t[i].max = xcalloc(len, sizeof(float));
		}
		s->t[i].last = -1;
		s->t[i].cur = -1;
	}
	h->s[h->n++] = s;
	return 0;
}

void hist_untrack(struct hist *h, const char *name)
{
	int i = find(h, name);

	if (i < 0)
		return;
	free_series(h->s[i]);
	memmove(&h->s[i], &h->s[i + 1], (size_t)(h->n - i - 1) * sizeof(h->s[0]));
	h->n--;
}

/* Write bucket b of tier i; the buckets skipped since the last one are
 * gaps (at most a whole ring of them). */
static void put_point(struct tier *t, int i, int64_t b, float mean, float lo, float hi)
{
	int len = hist_tiers[i].len;
	int64_t k, from;
	size_t at;

	if (t->last >= 0 && b <= t->last)
		return;		/* the clock went back: keep what is there */
	from = t->last < 0 ? b : t->last + 1;
	if (b - from >= len)
		from = b - len + 1;
	for (k = from; k <= b; k++) {
		at = (size_t)(k % len);
		t->mean[at] = k == b ? mean : NAN;
		if (t->min) {
			t->min[at] = k == b ? lo : NAN;
			t->max[at] = k == b ? hi : NAN;
		}
	}
	t->n = t->last < 0 ? 1 : (int)(t->n + (b - t->last) > len ? len : t->n + (b - t->last));
	t->last = b;
}

static void flush(struct tier *t, int i)
{
	if (t->cur < 0)
		return;
	if (t->count)
		put_point(t, i, t->cur, (float)(t->sum / t->count), t->lo, t->hi);
	else
		put_point(t, i, t->cur, NAN, NAN, NAN);
}

void hist_tick(struct hist *h, gt_ns now)
{
	int64_t sec = (int64_t)(now / GT_NS_PER_S);
	int k, i;

	for (k = 0; k < h->n; k++) {
		struct series *s = h->s[k];
		double v = s->read(s->ctx, s->key);
		float f = isfinite(v) ? (float)v : NAN;

		put_point(&s->t[0], 0, sec, f, f, f);
		for (i = 1; i < HIST_TIERS; i++) {
			struct tier *t = &s->t[i];
			int64_t b = sec / hist_tiers[i].step;

			if (b != t->cur) {
				flush(t, i);
				t->cur = b;
				t->sum = 0;
				t->count = 0;
			}
			if (isfinite(f)) {
				t->lo = t->count ? fminf(t->lo, f) : f;
				t->hi = t->count ? fmaxf(t->hi, f) : f;
				t->sum += f;
				t->count++;
			}
		}
	}
}

void hist_list_json(const struct hist *h, struct json_out *j)
{
	int i;

	json_arr_begin(j, "series");
	for (i = 0; i < h->n; i++)
		json_str(j, NULL, h->s[i]->name);
	json_arr_end(j);
}

int hist_series_json(const struct hist *h, const char *name, double since, int max_points,
		     struct json_out *j)
{
	const struct series *s;
	const struct tier *t;
	int idx = find(h, name), i, stride, len, step, part, best;
	double best_oldest = 0;
	int64_t first, b, from, count, k;

	if (idx < 0)
		return -ENOENT;
	s = h->s[idx];
	/* The finest tier whose oldest point is no later than `since`; if
	 * none reaches back so far, the one that reaches back furthest (a
	 * coarse tier holds nothing until its first bucket closes, and then
	 * its first point seems to begin before the data did). */
	best = -1;
	for (i = 0; i < HIST_TIERS; i++) {
		double oldest;

		t = &s->t[i];
		if (t->last < 0)
			continue;
		oldest = (double)((t->last - t->n + 1) * hist_tiers[i].step);
		/* A coarse tier's first bucket starts before its data did:
		 * it covers `since` only from a whole step earlier. */
		if (oldest + (i ? hist_tiers[i].step : 0) <= since) {
			best = i;
			break;
		}
		/* A coarse tier's first point starts at its bucket's start:
		 * it reaches further only by more than its own step. */
		if (best < 0 || oldest + hist_tiers[i].step <= best_oldest) {
			best = i;
			best_oldest = oldest;
		}
	}
	i = best < 0 ? 0 : best;
	t = &s->t[i];
	step = hist_tiers[i].step;
	len = hist_tiers[i].len;
	json_str(j, "name", s->name);
	if (t->last < 0) {
		json_u64(j, "step", (uint64_t)step);
		json_double(j, "t0", 0);
		json_arr_begin(j, "mean");
		json_arr_end(j);
		json_arr_begin(j, "min");
		json_arr_end(j);
		json_arr_begin(j, "max");
		json_arr_end(j);
		return 0;
	}
	first = t->last - t->n + 1;
	from = (int64_t)floor(since / step);
	if (from < first)
		from = first;
	if (from > t->last)
		from = t->last;
	count = t->last - from + 1;
	if (max_points < 1)
		max_points = 1;
	stride = (int)((count + max_points - 1) / max_points);
	json_u64(j, "step", (uint64_t)step * (uint64_t)stride);
	json_double(j, "t0", (double)(from * step));
	for (part = 0; part < 3; part++) {
		json_arr_begin(j, part == 0 ? "mean" : part == 1 ? "min" : "max");
		for (b = from; b <= t->last; b += stride) {
			double sum = 0, lo = INFINITY, hi = -INFINITY;
			int n = 0;

			for (k = b; k < b + stride && k <= t->last; k++) {
				size_t at = (size_t)(k % len);
				float m = t->mean[at];
				float mn = t->min ? t->min[at] : m, mx = t->max ? t->max[at] : m;

				if (!isfinite(m))
					continue;
				sum += m;
				lo = fmin(lo, mn);
				hi = fmax(hi, mx);
				n++;
			}
			json_float(j, NULL, !n ? NAN : part == 0 ? (float)(sum / n) :
				   part == 1 ? (float)lo : (float)hi);
		}
		json_arr_end(j);
	}
	return 0;
}
