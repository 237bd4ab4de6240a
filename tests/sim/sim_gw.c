#include "sim_gw.h"

#include <math.h>
#include <stdlib.h>

#define CAL_DEFAULT_DURATION 600.0

double sim_gw_draw_delay(const struct sim_gw_cfg *g, struct sim_rng *rng)
{
	if (g->dist == SIM_GW_EXP)
		return g->delay + g->jitter * sim_rng_exp(rng);
	return g->delay + g->jitter * (2 * sim_rng_uniform(rng) - 1);
}

bool sim_gw_lost(const struct sim_gw_cfg *g, struct sim_rng *rng)
{
	return g->loss > 0 && sim_rng_uniform(rng) < g->loss;
}

double sim_gw_calibrate(const struct sim_gw_cfg *g, struct sim_rng *rng)
{
	double dur = g->cal_duration > 0 ? g->cal_duration : CAL_DEFAULT_DURATION;
	size_t cap = (size_t)(dur / g->interval) + 1, n = 0, i, w = (size_t)g->filter.window;
	double *d = malloc(cap * sizeof(*d)), prev = 0, sum = 0;
	bool have_prev = false;

	if (!d)
		return NAN;
	/* Message k's delay reaches the list when message k + 1 arrives with
	 * its transmit time, as gnomonctl gateway calibrate pairs them. */
	for (i = 0; i < cap; i++) {
		double delay = sim_gw_draw_delay(g, rng);

		if (sim_gw_lost(g, rng)) {
			have_prev = false;
			continue;
		}
		if (have_prev)
			d[n++] = prev;
		prev = delay;
		have_prev = true;
	}
	if (n < w || n < 2) {
		free(d);
		return NAN;
	}
	for (i = 0; i + w <= n; i++)
		sum += gw_filter_apply(&g->filter, d + i, w);
	free(d);
	return sum / (double)(n - w + 1);
}
