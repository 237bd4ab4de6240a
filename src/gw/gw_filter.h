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

#include <stddef.h>

#include "lib/conf.h"

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

#endif
