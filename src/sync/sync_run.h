/* sync_run: the synchronisation core on the event loop.
 *
 * Runs sync_update() after each sample (the core's update hook), exactly
 * when the core asks (sync_next_update(): a slew ending, a leap second,
 * holdover running out) and at every tick (dispersion ages); publishes
 * the clock state every service serves (struct clk_published), with the
 * `local stratum` policy when nothing is selected; writes tracking.log;
 * stops the loop when maxchange says the reference is broken. Without a
 * sync core (no source configured) it publishes the local clock only. */
#ifndef GNOMON_SYNC_RUN_H
#define GNOMON_SYNC_RUN_H

#include <stdint.h>

#include "clock/clk.h"
#include "lib/loop.h"
#include "lib/statlog.h"
#include "sync/sync.h"

struct sync_run_config {
	int local_stratum;		/* serve this stratum unsynchronised; 0: no */
	int8_t precision;		/* log2 s, published with the clock */
};

struct sync_run;

/* The clock and pub outlive the run. */
struct sync_run *sync_run_create(struct loop *loop, struct clk *clock,
				 struct clk_published *pub, const struct sync_run_config *cfg);
void sync_run_destroy(struct sync_run *r);
/* Run this sync core (made when the sources start; it outlives the run),
 * logging to tracking (tracking.log; NULL: none). */
void sync_run_attach(struct sync_run *r, struct sync *sync, struct statlog *tracking);
/* Update and publish now (called each tick, and at start). */
void sync_run_now(struct sync_run *r);

/* What the control commands (sync_ctl) read. sync_run_sync() is NULL
 * until a core is attached. */
struct sync *sync_run_sync(const struct sync_run *r);
struct clk *sync_run_clock(const struct sync_run *r);
const struct clk_published *sync_run_published(const struct sync_run *r);

#endif
