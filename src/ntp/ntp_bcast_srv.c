#include "ntp/ntp_bcast_srv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "net/sock.h"
#include "ntp/ntp_mac.h"

struct ntp_bcast_srv {
	struct ntp_bcast_srv_cfg cfg;
	struct ntp_reply_params par;
	const struct clk_published *clock;
	struct loop *loop;
	struct loop_timer *timer;
	struct sockaddr_storage dst;
	socklen_t dst_len;
	int fd;
	int poll;
	struct ntp_bcast_srv_stats stats;
};

static bool addr_is_multicast(const struct net_addr *a)
{
	return a->family == AF_INET ? (a->a[0] & 0xf0) == 0xe0 : a->a[0] == 0xff;
}

static void bcast_send(struct loop_timer *t, void *arg)
{
	struct ntp_bcast_srv *b = arg;
	uint8_t out[NTP_REPLY_MAX_LEN];
	struct clk_snapshot snap;
	size_t len = NTP_HEADER_LEN;

	(void)t;
	clk_read_snapshot(b->clock, &snap);
	ntp_reply_broadcast(&snap, clk_map_apply(&snap.map, gt_now(CLOCK_REALTIME)), b->poll,
			    &b->par, out);
	/* The transmit time as late as possible; the MAC covers it, so it
	 * comes after (a few microseconds for a CMAC or SHA1). */
	ntp_reply_stamp(out, clk_map_apply(&snap.map, gt_now(CLOCK_REALTIME)), &b->par);
	if (b->cfg.key)
		len = ntp_mac_append(b->par.keys, b->cfg.key, out, NTP_HEADER_LEN,
					  sizeof(out));
	if (!len || sendto(b->fd, out, len, 0, (struct sockaddr *)&b->dst, b->dst_len) < 0) {
		b->stats.send_errors++;
		LOG_RL(LOG_LVL_WARN, "broadcast: send failed: %s", len ? strerror(errno) :
		       "cannot sign");
		return;
	}
	b->stats.sent++;
}

struct ntp_bcast_srv *ntp_bcast_srv_create(const struct ntp_bcast_srv_cfg *cfg,
					   const struct ntp_reply_params *par,
					   const struct clk_published *clock, struct loop *loop,
					   int *err)
{
	struct ntp_bcast_srv *b;
	struct net_addr any;
	int on = 1, ttl = cfg->ttl > 0 ? cfg->ttl : 1;

	if (cfg->key && !auth_key_info(par->keys, cfg->key, NULL, NULL)) {
		*err = -ENOKEY;
		return NULL;
	}
	b = xcalloc(1, sizeof(*b));
	b->cfg = *cfg;
	b->par = *par;
	b->clock = clock;
	b->loop = loop;
	for (b->poll = 0; b->poll < 17 && (1L << b->poll) < cfg->interval; b->poll++)
		;
	net_addr_parse(cfg->addr.family == AF_INET ? "0.0.0.0" : "::", &any);
	b->fd = sock_udp_open(&any, 0, 0);
	if (b->fd < 0) {
		*err = b->fd;
		free(b);
		return NULL;
	}
	if (setsockopt(b->fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof(on)) < 0 ||
	    (addr_is_multicast(&cfg->addr) &&
	     (cfg->addr.family == AF_INET
	      ? setsockopt(b->fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl))
	      : setsockopt(b->fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl, sizeof(ttl))) < 0)) {
		*err = -errno;
		close(b->fd);
		free(b);
		return NULL;
	}
	b->dst_len = net_addr_to_sockaddr(&cfg->addr, cfg->port, &b->dst);
	b->timer = loop_timer_add(loop, GT_NS_PER_S, (gt_ns)cfg->interval * GT_NS_PER_S,
				  bcast_send, b);
	return b;
}

void ntp_bcast_srv_destroy(struct ntp_bcast_srv *b)
{
	if (!b)
		return;
	if (b->timer)
		loop_timer_cancel(b->loop, b->timer);
	close(b->fd);
	free(b);
}

static void bsrv_service_destroy(void *obj)
{
	ntp_bcast_srv_destroy(obj);
}

/* Started by ntp_bcast_srv_create() already. */
const struct service_ops ntp_bcast_srv_service = {
	.name = "broadcast",
	.destroy = bsrv_service_destroy,
};

void ntp_bcast_srv_get_stats(const struct ntp_bcast_srv *b, struct ntp_bcast_srv_stats *out)
{
	*out = b->stats;
}
