/* series: what the dashboard plots, fed to mon/history once a second:
 * the system's offset and frequency, each source's offset, delay and
 * jitter (a source's series appear when it does), the NTP server's
 * request rate, and the gateway receiver's offset, one-way delay and
 * loss. Also the `history` control command:
 *   history                          the series' names
 *   history NAME [SECONDS [POINTS]]  one series over the last SECONDS
 *                                    (default 3600), at most POINTS
 *                                    points (default 300, at most 1000) */
#ifndef GNOMON_SERIES_H
#define GNOMON_SERIES_H

#include "gw/gw_recv.h"
#include "lib/service.h"
#include "mon/history.h"
#include "ntp/ntp_srv.h"
#include "sync/sync_run.h"

struct mon_series;

/* srv and recv may be NULL; everything given outlives the object, which
 * is a service (lib/service.h) owning the `history` command. */
struct mon_series *mon_series_create(struct hist *h, struct sync_run *run,
				     const struct ntp_srv *srv, struct gw_receiver *recv);
/* Once a second: new sources get their series, then every series a sample. */
void mon_series_tick(struct mon_series *m, gt_ns now_real);
extern const struct service_ops mon_series_service;

#endif
