#include "sync/sync_select.h"

#include <math.h>
#include <stdlib.h>

#define MAX_CAND 64

struct endpoint {
	double v;
	int type;		/* -1 lower end, +1 upper end */
};

static int cmp_endpoint(const void *a, const void *b)
{
	const struct endpoint *x = a, *y = b;

	if (x->v != y->v)
		return x->v < y->v ? -1 : 1;
	/* At equal values, lower ends first so touching intervals meet. */
	return x->type - y->type;
}

int sync_select_intersect(struct sync_select_cand *c, int n, double *lo, double *hi)
{
	struct endpoint e[2 * MAX_CAND];
	int m = 0, i, f, found = 0;
	double l = 0, u = 0;

	if (n > MAX_CAND)
		n = MAX_CAND;
	for (i = 0; i < n; i++) {
		c[i].truechimer = false;
		e[m++] = (struct endpoint){ c[i].offset - c[i].dist, -1 };
		e[m++] = (struct endpoint){ c[i].offset + c[i].dist, +1 };
	}
	if (n == 0)
		return 0;
	qsort(e, (size_t)m, sizeof(e[0]), cmp_endpoint);
	/* Try f = 0, 1, ... falsetickers while they stay a minority. For each
	 * f, l is the lowest point inside n - f intervals, u the highest.
	 * RFC 5905 A.5.5.1 also rejects an f for which more than f midpoints
	 * lie outside [l, u]; that suits its intervals, padded by dispersion
	 * far beyond the scatter of the offsets, but ours are sized from the
	 * estimators' statistics (three standard deviations plus the
	 * asymmetry bound), and honest sources' estimates routinely lie
	 * outside the part all intervals share. Marzullo's rule is kept: a
	 * majority must share a point. */
	for (f = 0; 2 * f < n; f++) {
		int cnt = 0;

		l = u = NAN;
		for (i = 0; i < m; i++) {
			cnt -= e[i].type;
			if (cnt >= n - f) {
				l = e[i].v;
				break;
			}
		}
		cnt = 0;
		for (i = m - 1; i >= 0; i--) {
			cnt += e[i].type;
			if (cnt >= n - f) {
				u = e[i].v;
				break;
			}
		}
		if (!isnan(l) && !isnan(u) && l <= u) {
			found = 1;
			break;
		}
	}
	if (!found)
		return 0;
	*lo = l;
	*hi = u;
	found = 0;
	for (i = 0; i < n; i++) {
		c[i].truechimer = c[i].offset - c[i].dist <= u && c[i].offset + c[i].dist >= l;
		found += c[i].truechimer;
	}
	return found;
}

int sync_select_cluster(struct sync_select_cand *c, int n, int nmin)
{
	int i, j, left = 0;

	for (i = 0; i < n; i++) {
		c[i].survivor = c[i].truechimer && !c[i].hold;
		left += c[i].survivor;
	}
	while (left > nmin) {
		double max_sel = -1, min_peer = INFINITY;
		int worst = -1;

		for (i = 0; i < n; i++) {
			double sum = 0;

			if (!c[i].survivor)
				continue;
			for (j = 0; j < n; j++)
				if (c[j].survivor && j != i)
					sum += (c[j].offset - c[i].offset) * (c[j].offset - c[i].offset);
			sum = sqrt(sum / (left - 1));
			if (sum > max_sel) {
				max_sel = sum;
				worst = i;
			}
			if (c[i].jitter < min_peer)
				min_peer = c[i].jitter;
		}
		/* §11.2.2: stop when removing one more would not make the
		 * cluster tighter than its best member's own noise. */
		if (max_sel <= min_peer || worst < 0)
			break;
		c[worst].survivor = false;
		left--;
	}
	return left;
}

static bool agree(const struct sync_select_cand *a, const struct sync_select_cand *b, double k)
{
	return fabs(a->offset - b->offset) <= k * sqrt(a->sd * a->sd + b->sd * b->sd);
}

int sync_select_consistent(struct sync_select_cand *c, int n, double k, int prev)
{
	int i, j, best = -1, best_cnt = 0, cnt;

	for (i = 0; i < n; i++) {
		c[i].combined = false;
		if (!c[i].survivor)
			continue;
		for (cnt = 0, j = 0; j < n; j++)
			cnt += c[j].survivor && agree(&c[i], &c[j], k);
		if (cnt > best_cnt || (cnt == best_cnt && i == prev)) {
			best_cnt = cnt;
			best = i;
		}
	}
	if (best < 0)
		return 0;
	for (j = 0; j < n; j++)
		c[j].combined = c[j].survivor && agree(&c[best], &c[j], k);
	return best_cnt;
}

static double merit(const struct sync_select_cand *c)
{
	return c->stratum * SYNC_SELECT_MAXDIST + c->dist;
}

int sync_select_peer(const struct sync_select_cand *c, int n, int prev)
{
	int i, best = -1;

	/* Staying with a surviving system peer avoids clock hopping: the
	 * stratum and refid we serve do not flap between equal sources. */
	if (prev >= 0 && prev < n && c[prev].combined)
		return prev;
	for (i = 0; i < n; i++)
		if (c[i].combined && c[i].prefer)
			return i;
	for (i = 0; i < n; i++)
		if (c[i].combined && (best < 0 || merit(&c[i]) < merit(&c[best])))
			best = i;
	return best;
}

void sync_select_combine(const struct sync_select_cand *c, int n, int peer, double *offset,
			double *jitter)
{
	double x = 0, y = 0, z = 0, w;
	int i;

	*offset = 0;
	*jitter = 0;
	if (peer < 0)
		return;
	for (i = 0; i < n; i++) {
		if (!c[i].combined)
			continue;
		w = 1 / (c[i].dist > 1e-9 ? c[i].dist : 1e-9);
		x += w;
		y += w * c[i].offset;
		z += w * (c[i].offset - c[peer].offset) * (c[i].offset - c[peer].offset);
	}
	*offset = y / x;
	*jitter = sqrt(z / x);
}
