/* history: a bounded in-memory history of the figures the dashboard plots
 * (system offset and frequency, each source's offset, delay and jitter,
 * the server's request rate, the gateway's offset, delay and loss).
 *
 * A series is a name and a reader (like a metric: lib/metrics.h) sampled
 * at every hist_tick(), once a second. Three tiers keep it: every sample of
 * the last hour, and the mean, least and greatest of each minute for 48
 * hours and of each quarter hour for 30 days. Values are floats (seven
 * significant digits: nanoseconds on a millisecond offset); a sample the
 * reader cannot give (NaN) is a gap. Memory is fixed when a series is
 * made: about 83 KiB a series, HIST_MAX_SERIES at most. Main thread. */
#ifndef GNOMON_HISTORY_H
#define GNOMON_HISTORY_H

#include <stdint.h>

#include "lib/gtime.h"
#include "lib/metrics.h"
#include "mon/json.h"

#define HIST_MAX_SERIES 128
#define HIST_TIERS 3

struct hist_tier_spec {
	int step;		/* seconds a point covers */
	int len;		/* points kept */
};

extern const struct hist_tier_spec hist_tiers[HIST_TIERS];

struct hist;

struct hist *hist_create(void);
void hist_destroy(struct hist *h);
/* Track a series (name copied; at most 63 characters). 0, -EEXIST,
 * -ENOSPC or -EINVAL. */
int hist_track(struct hist *h, const char *name, met_read_fn read, const void *ctx,
	       uintptr_t key);
/* Stop tracking a series (a source gone); its history goes too. */
void hist_untrack(struct hist *h, const char *name);
/* Sample every series at t (CLOCK_REALTIME s, whole seconds are used);
 * call once a second. A tick that skips seconds leaves gaps. */
void hist_tick(struct hist *h, gt_ns t);
/* The names of the series, as a JSON array member "series". */
void hist_list_json(const struct hist *h, struct json_out *j);
/* One series since `since` (s, CLOCK_REALTIME) from the finest tier that
 * still covers it, at most max_points points: members "name", "step",
 * "t0" and arrays "mean", "min", "max" (null for gaps). -ENOENT for an
 * unknown name. */
int hist_series_json(const struct hist *h, const char *name, double since, int max_points,
		     struct json_out *j);

#endif
