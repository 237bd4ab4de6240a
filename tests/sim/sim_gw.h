/* sim_gw: the one-way gateway in the simulator (doc/gateway.md): a sender
 * whose clock is the truth sends every `interval` through a path of fixed
 * delay plus jitter, with loss; each message carries, as the real sender's
 * do, its time label plus the correction and the precise transmit time of
 * the message before it (two-step). The correction is what commissioning
 * would measure: a separate seeded run of the same path, the receiver's
 * filter over every window of its delays in arrival order, and the mean
 * of its outputs, as `gnomonctl gateway calibrate` computes it. The
 * receiver's side (sim_world.c) is gw_recv's: the real window, filter and
 * sample (gw_window_sample) fed to the real synchronisation core. */
#ifndef GNOMON_SIM_GW_H
#define GNOMON_SIM_GW_H

#include <stdbool.h>

#include "gw/gw_filter.h"
#include "sim_rng.h"

enum sim_gw_jitter {
	SIM_GW_UNIFORM,		/* delay + uniform in [-jitter, +jitter] */
	SIM_GW_EXP,		/* delay + exponential of mean jitter */
};

struct sim_gw_cfg {
	bool on;		/* the run's only source is the gateway */
	double interval;	/* s between messages */
	double delay;		/* s: fixed part of the one-way delay */
	double jitter;		/* s: see enum sim_gw_jitter */
	enum sim_gw_jitter dist;
	double loss;		/* probability that a message is lost */
	struct gw_filter_spec filter;	/* the receiver's, and the calibration's */
	double cal_duration;	/* s: the commissioning run (default 600) */
	double corr_error;	/* s: added to the calibrated correction (a wrong one) */
	/* Wild but authentic labels: from wild_at (s since start), wild_n
	 * consecutive messages are stamped by a sender clock wild_jump s
	 * ahead, label and precise transmit time alike. */
	double wild_at, wild_jump;
	int wild_n;
	double maxage;		/* s: the receiver's age check (default 10, as gw_conf) */
};

/* One one-way delay of the path (s). */
double sim_gw_draw_delay(const struct sim_gw_cfg *g, struct sim_rng *rng);
/* Whether a message is lost. */
bool sim_gw_lost(const struct sim_gw_cfg *g, struct sim_rng *rng);
/* The commissioning measurement (s): the mean of the filter's output over
 * every `window` consecutive delays that a calibration of cal_duration s
 * would see (two-step: a message's delay is known only when the next one
 * arrives), from its own random stream. NaN if too few. */
double sim_gw_calibrate(const struct sim_gw_cfg *g, struct sim_rng *rng);

#endif
