/* ptp: an IEEE 1588-2019 clock of one or more ports (ordinary clock with
 * one port; with several, one data set and the BMCA choosing which port
 * is slave, as a boundary clock does). A port in SLAVE or UNCALIBRATED is
 * a source of the synchronisation core (struct sync_source_ops: its
 * samples are four timestamps, like an NTP exchange); in MASTER it serves
 * the disciplined clock, so a gnomond synchronised by NTP or by the
 * gateway is a grandmaster on its network with one line. pmc reads the
 * data sets over the management socket or the network (ptp_mgmt.c).
 * Design: doc/ptp.md. */
#ifndef GNOMON_PTP_H
#define GNOMON_PTP_H

#include <stdbool.h>

#include "clock/clk.h"
#include "lib/service.h"
#include "ptp/ptp_conf.h"

struct journal;
struct met_registry;
struct sync;
struct ptp;

/* Open every port's sockets (as root) and the management socket at
 * uds_path ("" none). NULL with *err set and the reason logged. */
struct ptp *ptp_create(const struct ptp_cfg *cfg, const char *uds_path, struct clk *clock,
		       const struct clk_published *pub, struct journal *journal, int *err);
/* The service: start (ports go LISTENING, timers run), the `ptp`
 * control command, destroy. */
extern const struct service_ops ptp_service;
/* Whether a port may become slave: the daemon then makes the sync core. */
bool ptp_cfg_has_slave(const struct ptp_cfg *cfg);
/* Register the slave-capable ports as sources of the core; 0 or -errno. */
int ptp_attach_sync(struct ptp *p, struct sync *sync);
void ptp_register_metrics(struct ptp *p, struct met_registry *reg);

#endif
