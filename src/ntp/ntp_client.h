/* ntp_client: one upstream NTP server as a source: polls it on the main
 * loop (iburst at start, poll interval from the synchronisation core
 * within minpoll..maxpoll, KoD back-off), checks replies (ntp_resp) and
 * hands samples to the synchronisation core. It never touches the clock.
 * Each source has its own connected UDP socket with kernel receive
 * timestamps, so replies from anyone else are never even read. */
#ifndef GNOMON_NTP_CLIENT_H
#define GNOMON_NTP_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "clock/clk.h"
#include "sync/sync.h"
#include "lib/loop.h"
#include "lib/statlog.h"
#include "net/addr.h"
#include "auth/auth.h"
#include "ntp/ntp_resp.h"

struct ntp_client_cfg {
	char name[64];		/* as configured: host name or address */
	struct net_addr addr;
	uint16_t port;
	bool iburst;
	int minpoll, maxpoll;	/* log2 s, -4..17 */
	uint32_t key;		/* 0: none */
	unsigned flags;		/* SYNC_SRC_PREFER, SYNC_SRC_NOSELECT */
	int version;		/* 1..4 */
	/* `peer`: symmetric active (RFC 5905 mode 1). The peer answers in
	 * mode 2 (or 1); the exchange and its checks are otherwise a
	 * client's, so each side of a peer pair is the other's client. */
	bool peer;
	/* `xleave`: interleaved requests (RFC 9769 §2), with the request's
	 * transmit time from the kernel (error queue); a server answering
	 * in basic mode is used in basic mode. */
	bool xleave;
	/* Refids naming this host (our server addresses): a server showing
	 * one of them is synchronised to us, and using it would be a loop. */
	const uint32_t *own_refids;
	int n_own_refids;
	/* Symmetric keys (borrowed) for `key`: requests carry a MAC, and a
	 * reply counts only with a valid MAC of the same key. */
	const struct auth_keys *keys;
	/* measurements.log (borrowed; NULL: none): one line per sample. */
	struct statlog *measurements;
};

struct ntp_client_stats {
	uint64_t sent, received, send_errors, timeouts;
	uint64_t verdict[NTP_RESP_COUNT];
	uint64_t loops;		/* replies from a server synchronised to us */
	uint64_t auth_fail;	/* replies without a valid MAC of our key */
	uint64_t interleaved;	/* replies accepted in interleaved mode */
	uint64_t txts;		/* kernel transmit timestamps of our requests */
};

struct ntp_client_info {
	int poll;		/* current poll exponent */
	uint8_t reach;		/* RFC 5905 reach register */
	bool stopped;		/* KoD DENY/RSTR received */
	bool interleaved;	/* the last accepted reply was interleaved */
	struct ntp_client_stats stats;
};

struct ntp_client;

/* Open the socket and schedule the first poll. NULL and *err on failure
 * (-ENOKEY: the configured key is not in the key file). */
struct ntp_client *ntp_client_create(const struct ntp_client_cfg *cfg, struct loop *loop,
				     struct clk *clock, struct sync *sync, int *err);
void ntp_client_destroy(struct ntp_client *c);
int ntp_client_source_id(const struct ntp_client *c);
const struct ntp_client_cfg *ntp_client_config(const struct ntp_client *c);
void ntp_client_get_info(const struct ntp_client *c, struct ntp_client_info *out);

#endif
