/* ntp_btab: the broadcast client's table of senders, and who may enter it.
 *
 * A broadcast packet's source address proves nothing: anyone on the
 * segment can send an authentic packet recorded earlier from any address
 * (CVE-2015-7973). So a sender's identity is the key that signed its
 * packets, and the replay state belongs to the key, not to the address:
 *
 *  - freshness: a packet signed with key K must carry a transmit time
 *    later than every packet of K accepted before, from whatever address
 *    (RFC 5905 §8 test 1 for broadcast, widened from the association to
 *    the key). Senders that share a key therefore share one ordered
 *    stream: give each sender its own key.
 *  - admission: at most max_per_key addresses per key. A new address for
 *    a key whose slots are full is refused, unless the slot's sender has
 *    been silent for NTP_BTAB_SILENT_INTERVALS of its advertised
 *    intervals and at least NTP_BTAB_MIN_SILENCE: it then takes the slot
 *    over (a sender that moved address). A trusted sender that is heard
 *    is never evicted.
 *  - probation: a new sender is not trusted until its caller says so
 *    (ntp_btab_trust, after its probation). While it is not, a new address
 *    whose packet of the same key is newer than all the key's packets so
 *    far displaces it: an attacker cannot make authentic packets newer
 *    than the sender's latest, so of two addresses with one key the one
 *    behind is replaying (a client started while a recording is played
 *    to it: the live sender's first packet displaces the recording).
 *  - unsigned packets (noauth) have no identity but their address: each
 *    address is its own sender with its own freshness, which a replay
 *    from another address defeats. noauth gives no replay protection.
 *
 * Pure: no clock and no I/O, every input is an argument; unit-tested.
 * check() never changes the table; commit() records an accepted packet. */
#ifndef GNOMON_NTP_BTAB_H
#define GNOMON_NTP_BTAB_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/gtime.h"
#include "net/addr.h"
#include "ntp/ntp_pkt.h"

#define NTP_BTAB_MAX 8			/* senders in all */
#define NTP_BTAB_MAX_PER_KEY NTP_BTAB_MAX
#define NTP_BTAB_SILENT_INTERVALS 8	/* the reach register would be empty */
#define NTP_BTAB_MIN_SILENCE (64 * GT_NS_PER_S)

struct ntp_btab_slot {
	bool used;
	uint32_t key;			/* 0: unsigned (identity = address) */
	struct net_addr addr;
	ntp_ts last_xmt;		/* of its last accepted packet */
	gt_ns last_mono;		/* monotonic time of that packet */
	gt_ns interval;			/* it advertises, ns */
	bool trusted;			/* past its probation */
};

struct ntp_btab {
	int max_per_key;		/* 1..NTP_BTAB_MAX_PER_KEY */
	int n;				/* slots used: 0..n-1, never freed */
	struct ntp_btab_slot slot[NTP_BTAB_MAX];
};

enum ntp_btab_verdict {
	NTP_BTAB_KNOWN,		/* a sender of the table: *slot */
	NTP_BTAB_NEW,		/* a new sender that may take the free *slot */
	NTP_BTAB_TAKEOVER,	/* a new sender that may take the silent sender's *slot */
	NTP_BTAB_DISPLACE,	/* a new sender newer than the key's untrusted *slot */
	NTP_BTAB_DUPLICATE,	/* transmit time equal to the identity's last */
	NTP_BTAB_STALE,		/* transmit time before the identity's last */
	NTP_BTAB_KEY_FULL,	/* new address for a key whose senders are all heard */
	NTP_BTAB_FULL,		/* new sender, no free slot, none it may take over */
};

const char *ntp_btab_verdict_name(enum ntp_btab_verdict v);

/* max_per_key outside 1..NTP_BTAB_MAX_PER_KEY is clamped. */
void ntp_btab_init(struct ntp_btab *t, int max_per_key);
/* What a packet that passed the MAC check (key: its key id, 0 if
 * unsigned) from address from, with transmit time xmt, received at
 * monotonic time mono, would be. *slot is set for the first four. */
enum ntp_btab_verdict ntp_btab_check(const struct ntp_btab *t, const struct net_addr *from,
				     uint32_t key, ntp_ts xmt, gt_ns mono, int *slot);
/* Record an accepted packet in slot (from a check() of the same packet):
 * the slot is (re)filled for from and key. interval: advertised, ns. */
void ntp_btab_commit(struct ntp_btab *t, int slot, const struct net_addr *from, uint32_t key,
		     ntp_ts xmt, gt_ns mono, gt_ns interval);
/* The sender of slot has passed its probation. */
void ntp_btab_trust(struct ntp_btab *t, int slot);
/* The silence after which slot may be taken over, ns. */
gt_ns ntp_btab_silence(const struct ntp_btab_slot *s);

#endif
