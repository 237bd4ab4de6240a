/* sync_jitter2: the jitter of a one-way source (broadcast, gateway)
 * estimated from its offsets alone, which no exchange measures. */
#ifndef GNOMON_SYNC_JITTER2_H
#define GNOMON_SYNC_JITTER2_H

/* The offset jitter of a one-way source from its offsets alone: the RMS
 * of second differences of consecutive offsets, which a steady frequency
 * error cancels, scaled to one offset's spread (white noise gives
 * second differences of variance 6 sigma^2). Exposed for tests. */
struct sync_jitter2 {
	double o[2];		/* the two previous offsets, s */
	int n;			/* offsets seen since the last reset, up to 3 */
	double ms;		/* running mean of squared second differences */
	int n_ms;
};

void sync_jitter2_reset(struct sync_jitter2 *j);
void sync_jitter2_add(struct sync_jitter2 *j, double offset);
/* Current estimate (s), or prior while fewer than three offsets came. */
double sync_jitter2_get(const struct sync_jitter2 *j, double prior);

#endif
