/* standby: the hot-standby heartbeat service (doc/standby.md).
 *
 * Two gnomond serve one virtual address that keepalived (VRRP) moves
 * between them. Each sends its partner an authenticated heartbeat every
 * interval (sb_msg.h) and reads the partner's, so that each side knows
 * and reports how the other is (health, stratum, root distance, priority,
 * role), measures their mutual offset as a symmetric NTP exchange does,
 * and raises `partner_lost` or `partner_disagree`. keepalived's notify
 * hooks tell it its role (`gnomonctl standby notify master|backup|fault`),
 * which it journals, logs, publishes and sends on.
 *
 * The election itself is keepalived's: this service never moves an
 * address. */
#ifndef GNOMON_STANDBY_H
#define GNOMON_STANDBY_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/service.h"
#include "net/addr.h"

#define SB_DEFAULT_PORT 12123
#define SB_DEFAULT_PRIORITY 100

struct sb_cfg {
	bool enabled;
	struct net_addr partner;
	uint16_t port;			/* ours and the partner's */
	uint32_t key;			/* a SHA256 key of the key file */
	int priority;			/* 0..255, reported (keepalived elects) */
	double interval;		/* s between heartbeats */
	bool have_bind;
	struct net_addr bind;		/* local address (default: the wildcard) */
};

struct conf_ctx;
/* `standby partner ADDR [port N] key ID [priority P] [interval S] [bind
 * ADDR]`. 0, or -EINVAL with the error recorded. */
int sb_conf_parse(struct conf_ctx *ctx, int argc, char **argv, struct sb_cfg *out);

struct auth_keys;
struct clk_published;
struct health;
struct journal;
struct met_registry;
struct alarm_feed;
struct standby;

/* Open the socket (as root, before privileges are dropped). keys, pub,
 * health and journal (NULL: none) outlive it. NULL with *err: -ENOKEY (no
 * such SHA256 key), or the socket's -errno. */
struct standby *standby_create(const struct sb_cfg *cfg, const struct auth_keys *keys,
			       const struct clk_published *pub, struct health *health,
			       struct journal *journal, int *err);
/* gnomon_standby_* on the registry; the alarm inputs partner_lost and
 * partner_disagree on the feed (NULL: none). */
void standby_register(struct standby *s, struct met_registry *reg, struct alarm_feed *feed);
extern const struct service_ops standby_service;

#endif
