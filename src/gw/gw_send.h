/* gw_send: the one-way gateway sender (doc/gateway.md). Every interval it
 * sends a gw_msg stamped with the served clock plus the configured
 * correction, as late as possible before the send, and carries in it the
 * kernel transmit timestamp of an earlier message (two-step, read from the
 * socket's error queue). Every GW_SEND_HEALTH_EVERY it checks the path
 * (gw_health) and reports changes. Messages keep flowing while the clock is
 * unsynchronised, flagged as such. With cfg->statedir, the sequence numbers
 * stay monotonic across restarts whatever the clock does: blocks of them are
 * reserved in a state file (gw_state) before they are used. */
#ifndef GNOMON_GW_SEND_H
#define GNOMON_GW_SEND_H

#include <stdbool.h>
#include <stdint.h>

#include "clock/clk.h"
#include "gw/gw_conf.h"
#include "lib/loop.h"
#include "lib/service.h"

struct auth_keys;
struct journal;

#define GW_SEND_HEALTH_EVERY (10 * GT_NS_PER_S)

struct gw_send_stats {
	uint64_t sent, send_errors;
	uint64_t txts;			/* transmit timestamps read */
	uint64_t txts_unmatched;	/* timestamps of no known send */
	uint64_t seq;			/* last sequence number sent */
	uint64_t boot_id;
	unsigned health;		/* GW_HEALTH_* bits of the last check */
	char problem[160];		/* the last check's first failure, "" if none */
	double correction;		/* s, applied to the last message */
};

struct gw_sender;

/* Open the socket (before privileges are dropped: SO_BINDTODEVICE). The
 * keys and the clock are borrowed; journal may be NULL. */
struct gw_sender *gw_sender_create(const struct gw_send_cfg *cfg,
				   const struct auth_keys *keys,
				   const struct clk_published *clock, struct journal *journal,
				   int *err);
int gw_sender_start(struct gw_sender *s, struct loop *loop);
/* The sender as a service (lib/service.h). */
extern const struct service_ops gw_sender_service;
void gw_sender_destroy(struct gw_sender *s);
void gw_sender_get_stats(const struct gw_sender *s, struct gw_send_stats *out);
const struct gw_send_cfg *gw_sender_config(const struct gw_sender *s);
struct met_registry;
/* Publish the counters and gauges as gnomon_gateway_tx<index>_*. */
int gw_sender_register_metrics(const struct gw_sender *s, int index, struct met_registry *reg);

#endif
