/* ntp_bcast_srv: the NTP broadcast server, a service (RFC 5905 mode 5).
 *
 * `broadcast ADDRESS [interval N] [key ID] [port N] [ttl N]` sends a
 * mode-5 packet every interval seconds to a broadcast, multicast or
 * unicast address, stamped as late as possible and signed with the key.
 * The client is ntp_bcast. */
#ifndef GNOMON_NTP_BCAST_SRV_H
#define GNOMON_NTP_BCAST_SRV_H

#include <stdint.h>

#include "clock/clk.h"
#include "lib/loop.h"
#include "lib/service.h"
#include "net/addr.h"
#include "ntp/ntp_reply.h"

struct ntp_bcast_srv_cfg {
	struct net_addr addr;
	uint16_t port;
	int interval;		/* seconds between packets */
	uint32_t key;		/* 0: unsigned */
	int ttl;		/* multicast hops */
};

struct ntp_bcast_srv_stats {
	uint64_t sent, send_errors;
};

struct ntp_bcast_srv;

/* keys and clock are borrowed. NULL and *err (-errno; -ENOKEY: the key is
 * not in the key file) on failure. */
struct ntp_bcast_srv *ntp_bcast_srv_create(const struct ntp_bcast_srv_cfg *cfg,
					   const struct ntp_reply_params *par,
					   const struct clk_published *clock, struct loop *loop,
					   int *err);
void ntp_bcast_srv_destroy(struct ntp_bcast_srv *b);
/* A broadcast server as a service (lib/service.h). */
extern const struct service_ops ntp_bcast_srv_service;
void ntp_bcast_srv_get_stats(const struct ntp_bcast_srv *b, struct ntp_bcast_srv_stats *out);

#endif
