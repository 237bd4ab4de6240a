/* alarm_feed: what the alarm engine (mon/alarm) is fed once a second,
 * gathered from the modules that measure it: the sync core's state and
 * the clock as served, the NTP server's counters, the gateway receiver's,
 * the journal's. A part not configured leaves its inputs unknown, so its
 * rules never raise. A service (lib/service.h) owning the engine, whose
 * sinks are the journal and syslog (the SNMP traps come from gnomon-snmp,
 * which polls `alarms`). */
#ifndef GNOMON_ALARM_FEED_H
#define GNOMON_ALARM_FEED_H

#include "gw/gw_recv.h"
#include "lib/journal.h"
#include "lib/service.h"
#include "mon/alarm.h"
#include "ntp/ntp_srv.h"
#include "sync/sync_run.h"

struct alarm_feed;

/* The engine of the rules in cfg, with the journal sink (journal NULL:
 * none) and the syslog sink (unless cfg says off); run, srv, recv (NULL:
 * not configured) and journal outlive the feed. Its service registers
 * the `alarms` command. */
struct alarm_feed *alarm_feed_create(const struct alarm_cfg *cfg, struct sync_run *run,
				     const struct ntp_srv *srv, struct gw_receiver *recv,
				     struct journal *journal);
struct alarm_engine *alarm_feed_engine(const struct alarm_feed *f);
/* Another module's inputs (the hot-standby partner's): fill(arg, in) is
 * called at every tick after the feed's own inputs are gathered; arg
 * outlives the feed. 0, or -ENOSPC past a few. */
int alarm_feed_add_input(struct alarm_feed *f, void (*fill)(void *arg, struct alarm_inputs *in),
			 void *arg);
/* Gather the inputs and evaluate (once a second). */
void alarm_feed_tick(struct alarm_feed *f, gt_ns now_mono);
extern const struct service_ops alarm_feed_service;

#endif
