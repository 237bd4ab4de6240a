/* ntp_ctl: the NTP server's control commands: `serverstats` (requests by
 * verdict and version, rate limiting, authentication; the broadcast
 * servers') and `clients [N]` (its client log, like chronyc clients). */
#ifndef GNOMON_NTP_CTL_H
#define GNOMON_NTP_CTL_H

#include "lib/service.h"
#include "mon/ctl.h"
#include "ntp/ntp_bcast_srv.h"
#include "ntp/ntp_srv.h"

struct ntp_ctl;

/* srv may be NULL (no server: the command says so); bsrv[0..n_bsrv) and
 * srv outlive the returned object, which is a service (lib/service.h)
 * whose only part is the command. */
struct ntp_ctl *ntp_ctl_create(struct ntp_srv *srv, struct ntp_bcast_srv **bsrv, int n_bsrv);
extern const struct service_ops ntp_ctl_service;

#endif
