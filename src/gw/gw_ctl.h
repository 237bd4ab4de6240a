/* gw_ctl: the `gateway` control command: each sender's and the
 * receiver's configuration, state and counters, and the journal's (where
 * the gateway's events go). */
#ifndef GNOMON_GW_CTL_H
#define GNOMON_GW_CTL_H

#include "gw/gw_recv.h"
#include "gw/gw_send.h"
#include "lib/journal.h"
#include "lib/service.h"
#include "mon/ctl.h"

struct gw_ctl;

/* The command for these senders, receiver (NULL: none) and journal
 * (NULL: none), which outlive the returned object: a service
 * (lib/service.h) whose only part is the command. */
struct gw_ctl *gw_ctl_create(struct gw_sender *const *senders, int n, struct gw_receiver *recv,
			    struct journal *journal);
extern const struct service_ops gw_ctl_service;

#endif
