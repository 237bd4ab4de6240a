/* gw_conf: the gateway's configuration directives (doc/gateway.md).
 *
 *   gateway-send to ADDR:PORT [bind ADDR|IFACE] [interval SECONDS] [key ID]
 *                [id N] [correction METHOD ...]
 *       id: the sender id carried in every message (default 1).
 *       correction comes last: it takes the rest of the line (gw_corr.h).
 *   gateway-receive on ADDR:PORT [from ADDR] [sender N] [key ID...] [noauth]
 *                [filter min|median|percentile P|band LO HI] [window N]
 *                [silent N] [maxloss PERCENT] [maxage SECONDS]
 *                [agree N] [agreetol SECONDS]
 *       key takes one or more ids (several keys: rotation); without key,
 *       any SHA256 key of the keyfile; noauth accepts unsigned messages.
 *       silent: intervals without a valid message before the "gateway
 *       silent" alarm (default 3); maxloss: loss over the last 100
 *       expected messages that raises the loss alarm (default 10 %);
 *       sender: accept only this sender id (default: any; one sender at a
 *       time is followed).
 *       maxage: a time label further than this from the receiver's clock,
 *       once synchronised, is stale (default 10 s).
 *       agree: consistent messages needed before the first sample after a
 *       start (default 4, 1..16; gw_agree.h); agreetol: how far a label's
 *       advance may differ from the receiver's monotonic clock's (default
 *       0.02 s, plus 1000 ppm).
 * ADDR:PORT is a.b.c.d:N or [v6]:N. */
#ifndef GNOMON_GW_CONF_H
#define GNOMON_GW_CONF_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "gw/gw_agree.h"
#include "gw/gw_corr.h"
#include "gw/gw_filter.h"
#include "lib/conf.h"
#include "net/addr.h"

#define GW_MAX_SEND 4
#define GW_MAX_RECV_KEYS 8

struct gw_send_cfg {
	struct net_addr to;
	uint16_t port;
	bool bind_is_addr;
	struct net_addr bind_addr;
	char bind_if[IF_NAMESIZE];	/* "" when none or bind_is_addr */
	double interval;		/* s */
	uint32_t key;			/* 0: unsigned */
	uint64_t id;			/* sender id */
	struct gw_corr corr;
	const char *statedir;		/* sequence reservation kept here; NULL: none */
};

struct gw_recv_cfg {
	struct net_addr on;
	uint16_t port;
	bool has_from;
	struct net_addr from;
	uint64_t sender_id;		/* 0: any */
	uint32_t keys[GW_MAX_RECV_KEYS];
	int n_keys;			/* 0: any SHA256 key of the keyfile */
	bool noauth;
	struct gw_filter_spec filter;
	int silent;			/* intervals */
	double maxloss;			/* percent */
	double maxage;			/* s */
	int agree;			/* messages, 1..GW_AGREE_MAX */
	double agreetol;		/* s */
	const char *statedir;		/* replay state kept here; NULL: none */
};

/* "ADDR:PORT" into a and port; 0 or -1 after conf_error(). */
int gw_parse_addr_port(struct conf_ctx *ctx, const char *what, const char *s,
		       struct net_addr *a, uint16_t *port);
int gw_send_parse(struct conf_ctx *ctx, int argc, char **argv, struct gw_send_cfg *out);
int gw_recv_parse(struct conf_ctx *ctx, int argc, char **argv, struct gw_recv_cfg *out);

#endif
