/* ntp_xtab: the server's memory for interleaved mode (RFC 9769 §2): for
 * each recent response to an interleaved request, its receive timestamp
 * as it was sent, the client's address, and the response's transmit
 * timestamp (the daemon's estimate written in it, replaced by the
 * kernel's when the error queue gives it). A request whose origin is that
 * receive timestamp, from that address, asks for the transmit timestamp.
 *
 * Keyed by the receive timestamp (as chrony keys its own), not by the
 * address alone: clients behind one NAT address (or one relay) each keep
 * their own exchange. The entry a request used is dropped, so a client
 * that keeps polling holds one entry.
 *
 * Memory is bounded: a table of NTP_XTAB_WAYS-way buckets indexed by a
 * keyed hash of the receive timestamp (no one outside can aim at a
 * bucket); a new entry takes a free way or the one saved longest ago.
 * Each server thread owns one table and is its only writer; entries carry
 * a sequence count so that another thread (a client whose next request a
 * SO_REUSEPORT socket gives to another worker) reads them whole. */
#ifndef GNOMON_NTP_XTAB_H
#define GNOMON_NTP_XTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/gtime.h"
#include "net/addr.h"
#include "ntp/ntp_pkt.h"

#define NTP_XTAB_WAYS 4
#define NTP_XTAB_MIN_ENTRIES 64
#define NTP_XTAB_MAX_ENTRIES (1 << 20)
/* The server's total across its threads: 48 bytes an entry, 768 KiB. */
#define NTP_XTAB_DEFAULT_ENTRIES 16384

struct ntp_xtab;

/* entries: rounded up to a power of two within [MIN, MAX]. */
struct ntp_xtab *ntp_xtab_create(unsigned entries, uint64_t hash_key);
void ntp_xtab_destroy(struct ntp_xtab *t);
size_t ntp_xtab_capacity(const struct ntp_xtab *t);
size_t ntp_xtab_count(const struct ntp_xtab *t);
/* Bytes the table holds (the memory bound). */
size_t ntp_xtab_bytes(const struct ntp_xtab *t);

/* Owner thread: remember the response to a sent at mono with receive
 * timestamp rx (unique: it is marked with the thread) and transmit
 * timestamp tx (both as sent). */
void ntp_xtab_save(struct ntp_xtab *t, const struct net_addr *a, ntp_ts rx, ntp_ts tx,
		   gt_ns mono);
/* Owner thread: the precise transmit timestamp of the response to a whose
 * receive timestamp was rx; false when its entry is gone. */
bool ntp_xtab_set_tx(struct ntp_xtab *t, const struct net_addr *a, ntp_ts rx, ntp_ts tx);
/* Any thread: the transmit timestamp of the response to a whose receive
 * timestamp was rx; false when there is none (evicted, dropped, never
 * saved, or saved for another address). */
bool ntp_xtab_lookup(const struct ntp_xtab *t, const struct net_addr *a, ntp_ts rx,
		     ntp_ts *tx);
/* Owner thread: forget the response whose receive timestamp was rx (its
 * interleaved answer was sent). */
void ntp_xtab_drop(struct ntp_xtab *t, ntp_ts rx);

#endif
