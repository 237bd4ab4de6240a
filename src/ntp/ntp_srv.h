/* ntp_srv: the NTP server service: sockets, the receive/answer loop, access
 * control, rate limiting and counters. Replies are decided by ntp_reply.
 *
 * With workers == 0 the main loop answers with recvmsg/sendmsg (the
 * reference path, simulator-friendly). With workers > 0 each worker thread
 * owns one SO_REUSEPORT socket per bind address and answers in
 * recvmmsg/sendmmsg batches, reading the clock through the published
 * snapshot; counters are per worker and summed on demand. */
#ifndef GNOMON_NTP_SRV_H
#define GNOMON_NTP_SRV_H

#include <stdint.h>

#include "clock/clk.h"
#include "lib/loop.h"
#include "lib/service.h"
#include "lib/metrics.h"
#include "net/acl.h"
#include "ntp/ntp_reply.h"
#include "ntp/ntp_clog.h"
#include "ntp/ntp_rl.h"

#define NTP_SRV_MAX_BIND 16
#define NTP_SRV_MAX_WORKERS 64

struct ntp_srv_config {
	uint16_t port;
	struct net_addr bind[NTP_SRV_MAX_BIND];
	int n_bind;
	const struct acl *acl;		/* borrowed; must outlive the server */
	struct ntp_reply_params reply;	/* reply.keys: borrowed, must outlive the server */
	bool rl_enabled;
	struct ntp_rl_config rl;	/* rl.kod is taken from reply.kod */
	int workers;
	int coalesce_us;		/* max receive-coalescing wait, workers only */
	/* SO_REUSEADDR, so that a broadcast client may bind broadcast and
	 * group addresses on the same port next to a wildcard socket. */
	bool reuseaddr;
	unsigned clientlog;		/* clients remembered in all (ntp_clog); 0: none */
};

struct ntp_srv_stats {
	uint64_t received;
	uint64_t verdict[NTP_V_COUNT];	/* answered, kod, drops by reason */
	uint64_t version[5];		/* requests by version 1..4 (0 unused) */
	uint64_t ratelimited;		/* over the limit: leaked or dropped */
	uint64_t rl_leaked;		/* over the limit but answered (reply or KoD) */
	uint64_t auth_ok;		/* requests with a verified MAC */
	uint64_t auth_fail;		/* MAC not verified: dropped or crypto-NAK */
	uint64_t interleaved;		/* answered in interleaved mode (RFC 9769) */
	uint64_t txts;			/* kernel transmit timestamps kept for one */
	uint64_t send_errors;		/* keep last: ntp_srv_get_stats sums up to it */
} __attribute__((aligned(64)));

struct ntp_srv;

/* Open and bind every socket (call before dropping privileges). On error
 * returns NULL and sets *err to -errno, logging which address failed. */
struct ntp_srv *ntp_srv_create(const struct ntp_srv_config *cfg,
			       const struct clk_published *clock, int *err);
/* Start answering: workers or main-loop watches. 0 or -errno. */
int ntp_srv_start(struct ntp_srv *s, struct loop *loop);
/* Stop workers, close sockets, free. */
void ntp_srv_destroy(struct ntp_srv *s);
/* The server as a service (lib/service.h): started on the loop. */
extern const struct service_ops ntp_srv_service;
/* Sum of all counters. */
void ntp_srv_get_stats(const struct ntp_srv *s, struct ntp_srv_stats *sum);
/* Port actually bound (useful with port 0). */
int ntp_srv_port(const struct ntp_srv *s);
/* The clients heard, merged over the threads, most requests first: up to
 * max into out; returns how many, *total the clients remembered in all.
 * 0 without a client log. Main thread. */
size_t ntp_srv_clients(const struct ntp_srv *s, struct ntp_clog_client *out, size_t max,
		       size_t *total);
/* Publish the counters in the registry. */
int ntp_srv_register_metrics(const struct ntp_srv *s, struct met_registry *r);

#endif
