/* gw_filter: the receiver's filter of one-way delays.
 *
 * A one-way message gives no round trip: its apparent delay (receive time
 * minus the sender's precise send time) is the true delay plus the clock
 * offset. Over a short window the offset is nearly constant, so a
 * statistic of the window's apparent delays minus the same statistic of
 * the true delays (which calibration measures, or the correction method
 * predicts) is the offset. Which statistic suits depends on the gateway:
 *   min              queueing adds delay and never removes it: the least
 *                    delayed message is the best (default);
 *   median           robust when the delay is symmetric about a centre;
 *   percentile P     0..100; a low percentile is a min robust to outliers;
 *   band LO HI       the mean of the values between percentiles LO and HI.
 * Pure functions over arrays: unit-tested. */
#ifndef GNOMON_GW_FILTER_H
#define GNOMON_GW_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "clock/clk.h"
#include "gw/gw_msg.h"
#include "lib/conf.h"
#include "lib/gtime.h"
#include "sync/sync_sample.h"

enum gw_filter_kind {
	GW_FILTER_MIN,
	GW_FILTER_MEDIAN,
	GW_FILTER_PERCENTILE,
	GW_FILTER_BAND,
};

#define GW_FILTER_MAX_WINDOW 256
#define GW_FILTER_DEFAULT_WINDOW 8

struct gw_filter_spec {
	enum gw_filter_kind kind;
	double p, lo, hi;	/* percentiles, 0..100 */
	int window;		/* values the statistic is taken over, 1..256 */
};

void gw_filter_default(struct gw_filter_spec *f);
/* Parse `min`, `median`, `percentile P`, `band LO HI` from argv (argc
 * words); returns the number of words used, or -1 after conf_error(). */
int gw_filter_parse(struct conf_ctx *ctx, int argc, char **argv, struct gw_filter_spec *f);
/* "min", "median", "percentile 10", "band 10 50" into buf. */
void gw_filter_describe(const struct gw_filter_spec *f, char *buf, size_t len);
/* The statistic of v[0..n) (n >= 1; v is not modified). NaN when n == 0. */
double gw_filter_apply(const struct gw_filter_spec *f, const double *v, size_t n);

/* The receiver's window of one-way delays: for each message, when it
 * arrived (raw CLOCK_REALTIME, mapped to the disciplined clock only when
 * the statistic is taken, so that every entry is on the clock as it is
 * now, whatever the discipline did since) and when it was sent by the
 * sender's clock, correction removed. */
struct gw_delay_entry {
	gt_ns rx_real;
	gt_ns send;
	gt_ns corr;		/* the correction the sender applied to it */
};

struct gw_delay_window {
	struct gw_delay_entry e[GW_FILTER_MAX_WINDOW];
	int n, next;
	int fresh;		/* delays pushed since the last sample */
	double jit_avg;		/* s: the windows' usual spread */
	int nspread;		/* full windows it was learnt from */
	int taken;		/* samples taken since the reset */
	gt_ns last_rx;		/* the newest arrival at the last sample */
};

void gw_window_reset(struct gw_delay_window *w);
void gw_window_push(struct gw_delay_window *w, gt_ns rx_real, gt_ns send, gt_ns corr);
/* The offset (s) the window gives with the clock mapped by map: the
 * newest entry's correction minus the filter's statistic of the newest
 * spec->window apparent delays; *jitter gets their standard deviation and
 * *stat the statistic (either may be NULL). false when empty. */
bool gw_window_offset(const struct gw_delay_window *w, const struct gw_filter_spec *spec,
		      const struct clk_map *map, double *offset, double *stat, double *jitter);
/* Whether a sample is due after a push: one per window, so that
 * consecutive samples share no delay (a window sharing all but one with
 * the one before repeats its error, which the discipline takes for
 * wander). Due at the first delay after a reset, then when spec->window
 * new delays have entered since the last sample (gw_window_sample), or
 * when spec->window send intervals have passed since it (loss: a lost
 * message costs two delays). interval: the sender's, ns (0: unknown). */
bool gw_window_due(const struct gw_delay_window *w, const struct gw_filter_spec *spec,
		   gt_ns interval);
/* The newest entry (NULL when empty). */
const struct gw_delay_entry *gw_window_newest(const struct gw_delay_window *w);
/* The discipline sample the window gives after message m (whose entry, or
 * its two-step predecessor's, is the newest, just pushed), on the clock
 * mapped by map: gw_window_offset's offset, dated when the messages the
 * statistic took arrived (the least delayed one for min; between two for
 * an interpolated percentile; their mean for band), as an age in real
 * time before the newest arrival; as delay twice the newest correction
 * (the round trip the one-way delay would make, for the root distance);
 * as dispersion the sender's precision plus the windows' usual spread
 * (learnt from full windows; an outlying window's, or one not yet full,
 * its own); the sender's stratum, leap, root delay and dispersion from m;
 * refid as given. *offset, *stat and *jitter (any may be NULL) as
 * gw_window_offset. Starts the next window (gw_window_due). false when
 * empty. What gw_recv hands to sync_add_sample(), and the simulator
 * (tests/sim) too. */
bool gw_window_sample(struct gw_delay_window *w, const struct gw_filter_spec *spec,
		      const struct clk_map *map, const struct gw_msg *m, uint32_t refid,
		      struct sync_sample *smp, double *offset, double *stat, double *jitter);
/* The poll exponent a send interval (ns) stands for in the discipline:
 * the least p in 0..17 with 2^p s >= interval. */
int gw_poll_exponent(gt_ns interval);

#endif
