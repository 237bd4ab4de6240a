/* sync_ctl: the control commands of the synchronisation core, whatever
 * the protocols of its sources: `sources` (the core's view of each source,
 * then what the source's own ops add; each module's summary after the
 * list) and `tracking` (the clock as it is published). */
#ifndef GNOMON_SYNC_CTL_H
#define GNOMON_SYNC_CTL_H

#include "lib/metrics.h"
#include "mon/ctl.h"
#include "sync/sync_run.h"

void sync_ctl_register(struct ctl *ctl, struct sync_run *r);
/* gnomon_system_* (the clock as served), gnomon_clock_steps_total and the
 * gnomon_source_* families ({source, mode}). 0 or -EINVAL. */
int sync_register_metrics(struct sync_run *r, struct met_registry *reg);

#endif
