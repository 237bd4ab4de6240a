/* ntp_rl: per-client request rate limiting without locks.
 *
 * Each client address hashes (with a random key, so a remote party cannot
 * aim collisions) to one 64-bit slot holding a 16-bit tag of the address
 * and the client's theoretical arrival time (GCRA, the "virtual
 * scheduling" form of a token bucket) in microseconds. A request is
 * limited when that time runs more than burst intervals ahead of now.
 * Updates are a single compare-and-swap, so any number of worker threads
 * share one table. Two clients sharing a slot evict each other (the newer
 * one takes the slot), which errs on the side of serving. */
#ifndef GNOMON_NTP_RL_H
#define GNOMON_NTP_RL_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/gtime.h"
#include "net/addr.h"

struct ntp_rl;

/* table_bits: log2 of the slot count (8..24); interval_log2: log2 seconds
 * between requests a client may average (-4..12); burst: requests allowed
 * back to back (1..256). NULL on bad arguments. */
struct ntp_rl *ntp_rl_create(unsigned table_bits, int interval_log2, unsigned burst,
			     uint64_t hash_key);
void ntp_rl_destroy(struct ntp_rl *rl);
/* Account one request from a at monotonic time now; true if it exceeds the
 * limit (and is then not charged). */
bool ntp_rl_limited(struct ntp_rl *rl, const struct net_addr *a, gt_ns now);
/* Seconds a limited client should wait, as a log2 poll value for KoD. */
int ntp_rl_interval_log2(const struct ntp_rl *rl);

#endif
