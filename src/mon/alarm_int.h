/* alarm_int: read-only views of the engine for the writers in
 * alarm_out.c. Internal to src/mon/alarm*.c. */
#ifndef GNOMON_ALARM_INT_H
#define GNOMON_ALARM_INT_H

#include "mon/alarm.h"

const struct alarm_cfg *alarm_int_cfg(const struct alarm_engine *e);
/* When the alarm became active (escalations do not move it). */
gt_ns alarm_int_raised_at(const struct alarm_engine *e, enum alarm_id id);
/* Recent event i (0: newest); false past the last one kept. ev->msg points
 * into the engine. */
bool alarm_int_recent(const struct alarm_engine *e, unsigned i, struct alarm_event *ev);

#endif
