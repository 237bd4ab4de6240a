#include "sync/sync_jitter2.h"

#include <math.h>

void sync_jitter2_reset(struct sync_jitter2 *j)
{
	j->n = 0;
}

/* Squared second differences are averaged over the last 16 or so: long
 * enough to be steady, short enough to follow a change of network. */
#define JITTER2_MEMORY 16

void sync_jitter2_add(struct sync_jitter2 *j, double offset)
{
	double d2;

	if (!isfinite(offset))
		return;
	if (j->n == 2) {
		d2 = offset - 2 * j->o[1] + j->o[0];
		if (j->n_ms < JITTER2_MEMORY)
			j->n_ms++;
		j->ms += (d2 * d2 - j->ms) / j->n_ms;
	} else {
		j->n++;
	}
	j->o[0] = j->n == 1 ? offset : j->o[1];
	j->o[1] = offset;
}

double sync_jitter2_get(const struct sync_jitter2 *j, double prior)
{
	return j->n_ms ? sqrt(j->ms / 6) : prior;
}
