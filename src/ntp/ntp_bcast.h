/* ntp_bcast: the NTP broadcast client, a source (RFC 5905 mode 5; the
 * server is ntp_bcast_srv).
 *
 * Client: `broadcastclient [key ID] [delay SECONDS] [maxsenders N]
 * [noauth]` listens on the NTP port at the broadcast address of every IPv4 interface that has
 * one (and at multicast groups given with `group ADDRESS`). Each sender
 * that passes the checks (ntp_resp_broadcast) becomes a source of the
 * synchronisation core; its offsets are T3 + delay - T4, and the jitter
 * of its one-way delay, which no exchange measures, is estimated from the
 * offsets themselves and carried as dispersion. Packets need a MAC of a
 * key in the key file (of `key` when given) unless `noauth` says so.
 *
 * Who is a sender is decided by ntp_btab, by the key, not the address:
 * a key's transmit time must grow whatever the source address, a key has
 * at most `maxsenders` addresses and a heard one is never evicted, and a
 * new sender's first packets must agree with the clock when synchronised.
 *
 * Without `delay`, the one-way delay is calibrated as ntpd does: after a
 * sender's first packet the client makes a few ordinary client/server
 * exchanges with it (signed with `key` when given) and takes half the
 * least round trip; the sender's samples wait until then. A sender that
 * does not answer (no NTP server, access lists) gets delay 0 after
 * NTP_BCAST_CAL_TIMEOUT. */
#ifndef GNOMON_NTP_BCAST_H
#define GNOMON_NTP_BCAST_H

#include <stdbool.h>
#include <stdint.h>

#include "clock/clk.h"
#include "sync/sync.h"
#include "lib/loop.h"
#include "lib/service.h"
#include "lib/statlog.h"
#include "net/addr.h"
#include "auth/auth.h"
#include "ntp/ntp_btab.h"
#include "ntp/ntp_client.h"
#include "ntp/ntp_reply.h"
#include "ntp/ntp_resp.h"

#define NTP_BCAST_MAX_SENDERS NTP_BTAB_MAX
/* Probation: a new sender's samples count only once NTP_BCAST_PROBATION
 * of its packets have come over NTP_BCAST_PROBATION - 1 of its intervals;
 * until then a newer packet of its key from another address displaces it
 * (ntp_btab). While the client is synchronised, a sender's packets during
 * probation must agree with its clock within the step threshold of RFC
 * 5905 (STEPT, 128 ms): a sender that would need a step to follow is
 * refused (counted as new_sender_offset) rather than offered to the
 * selection, where several of them could outvote the trusted sources. */
#define NTP_BCAST_PROBATION 4
#define NTP_BCAST_ADMIT_MAX_OFFSET (128 * GT_NS_PER_MS)
#define NTP_BCAST_MAX_GROUPS 4
#define NTP_BCAST_MAX_SOCKETS 16
#define NTP_BCAST_CAL_EXCHANGES 4
#define NTP_BCAST_CAL_TIMEOUT (8 * GT_NS_PER_S)

enum ntp_bcast_cal {
	NTP_BCAST_CAL_CONFIGURED,	/* `delay` given */
	NTP_BCAST_CAL_RUNNING,
	NTP_BCAST_CAL_DONE,		/* measured */
	NTP_BCAST_CAL_FAILED,		/* no answer: delay 0 */
};

const char *ntp_bcast_cal_name(enum ntp_bcast_cal c);

struct ntp_bcast_client_cfg {
	uint16_t port;
	uint32_t key;		/* 0: any key of the key file */
	bool noauth;		/* unsigned packets accepted */
	double delay;		/* one-way delay, s */
	bool delay_set;		/* given: no calibration */
	int maxsenders;		/* addresses per key (ntp_btab); 0: 1 */
	struct net_addr group[NTP_BCAST_MAX_GROUPS];	/* multicast groups to join */
	int n_groups;
	const struct auth_keys *keys;	/* borrowed */
	const uint32_t *own_refids;		/* borrowed, for loop detection */
	int n_own_refids;
	struct statlog *measurements;		/* borrowed; set by _start() */
};

struct ntp_bcast_client_stats {
	uint64_t received;
	uint64_t verdict[NTP_RESP_COUNT];
	uint64_t loops;
	uint64_t too_many_senders;	/* good packets from a sender beyond the maximum */
	uint64_t key_senders_full;	/* good packets of a key from an address beyond
					 * its maxsenders, while they are heard */
	uint64_t new_sender_offset;	/* a new sender's packet too far off our clock */
	uint64_t key_conflicts;		/* an untrusted sender displaced by newer packets */
};

struct ntp_bcast_sender_info {
	struct net_addr addr;
	int src;		/* sync source id */
	int poll;		/* as the sender advertises */
	uint8_t reach;
	uint32_t key;		/* key of its last packet (0: none) */
	uint64_t accepted, loops;
	double jitter;		/* s */
	double delay;		/* one-way delay in use, s */
	enum ntp_bcast_cal cal;
	int cal_replies;	/* calibration exchanges answered */
	bool trusted;		/* past its probation (NTP_BCAST_PROBATION) */
};

struct ntp_bcast_client;

/* Open the sockets: before privileges are dropped (the NTP port). NULL
 * and *err (-errno; -ENODEV: no interface with a broadcast address and
 * no group) on failure. */
struct ntp_bcast_client *ntp_bcast_client_open(const struct ntp_bcast_client_cfg *cfg,
					       int *err);
/* Start receiving: senders become sources of sync; measurements (NULL:
 * none) gets a line per accepted packet. 0 or -errno. */
int ntp_bcast_client_start(struct ntp_bcast_client *c, struct loop *loop, struct clk *clock,
			   struct sync *sync, struct statlog *measurements);
void ntp_bcast_client_destroy(struct ntp_bcast_client *c);
int ntp_bcast_client_n_sockets(const struct ntp_bcast_client *c);
void ntp_bcast_client_get_stats(const struct ntp_bcast_client *c,
				struct ntp_bcast_client_stats *out);
/* Senders heard so far, 0..n-1; false past the end. */
bool ntp_bcast_client_sender(const struct ntp_bcast_client *c, int i,
			     struct ntp_bcast_sender_info *out);


#endif
