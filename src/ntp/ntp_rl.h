/* ntp_rl: per-client request rate limiting without locks.
 *
 * Each client hashes (with a random key, so a remote party cannot aim
 * collisions) to one 64-bit slot holding a 16-bit tag of the client and
 * its theoretical arrival time (GCRA, the "virtual scheduling" form of a
 * token bucket) in microseconds. A request is over the limit when that
 * time runs more than burst intervals ahead of now. Updates are a single
 * compare-and-swap, so any number of worker threads share one table. Two
 * clients sharing a slot evict each other (the newer one takes the slot),
 * which errs on the side of serving.
 *
 * A client is an address prefix, not an address: by default /32 for IPv4
 * and /64 for IPv6 (RFC 4291 §2.5.4: a /64 is one link, and a host with
 * privacy or random addresses (RFC 8981) may use any address in it, so one
 * host could otherwise take a fresh burst with every address). An
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 client.
 *
 * Over the limit, a request is answered only with probability 2^-leak,
 * drawn from the kernel's random generator, so an attacker can neither
 * predict nor line up with the answered ones; the rest are dropped. A
 * reflection attack through a spoofed source thus gets at most 2^-leak of
 * its packets answered, while the owner of a spoofed address still gets
 * that share of its own requests answered: the reason chrony's `leak`
 * exists. */
#ifndef GNOMON_NTP_RL_H
#define GNOMON_NTP_RL_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/gtime.h"
#include "net/addr.h"

#define NTP_RL_LEAK_MIN 1
#define NTP_RL_LEAK_MAX 8

struct ntp_rl_config {
	unsigned table_bits;	/* log2 of the slot count (8..24) */
	int interval_log2;	/* log2 seconds between requests a client may average (-4..12) */
	unsigned burst;		/* requests allowed back to back (1..256) */
	unsigned leak_log2;	/* over the limit, answer 1 in 2^leak (NTP_RL_LEAK_MIN..MAX) */
	bool kod;		/* half of the answered ones get a KoD RATE */
	unsigned v4_prefix;	/* client prefix length for IPv4 (8..32) */
	unsigned v6_prefix;	/* and for IPv6 (8..128) */
};

enum ntp_rl_verdict {
	NTP_RL_PASS,		/* within the limit: answer */
	NTP_RL_DROP,		/* over the limit: say nothing */
	NTP_RL_LEAK,		/* over the limit, drawn to leak: a normal answer */
	NTP_RL_LEAK_KOD,	/* over the limit, drawn to leak: a KoD RATE (kod only) */
};

struct ntp_rl;

/* NULL on bad arguments. hash_key: a secret random value. */
struct ntp_rl *ntp_rl_create(const struct ntp_rl_config *cfg, uint64_t hash_key);
void ntp_rl_destroy(struct ntp_rl *rl);
/* Account one request from a at monotonic time now. A request over the
 * limit is not charged. */
enum ntp_rl_verdict ntp_rl_check(struct ntp_rl *rl, const struct net_addr *a, gt_ns now);
/* Only the limit: true if over it (then not charged); no leak drawn. */
bool ntp_rl_limited(struct ntp_rl *rl, const struct net_addr *a, gt_ns now);
/* Seconds a limited client should wait, as a log2 poll value for KoD. */
int ntp_rl_interval_log2(const struct ntp_rl *rl);

/* The client a is counted as: a with every bit past its family's prefix
 * cleared, an IPv4-mapped IPv6 address as IPv4. Exposed for tests. */
void ntp_rl_client_key(const struct ntp_rl *rl, const struct net_addr *a, struct net_addr *key);
/* The leak decision for one over-limit request given fresh random bits:
 * NTP_RL_LEAK with probability 2^-leak_log2 (the low leak_log2 bits all
 * zero), NTP_RL_LEAK_KOD instead for half of those with kod (the next
 * bit), else NTP_RL_DROP. Pure, for tests. */
enum ntp_rl_verdict ntp_rl_leak_decide(unsigned leak_log2, bool kod, uint64_t rnd);

#endif
