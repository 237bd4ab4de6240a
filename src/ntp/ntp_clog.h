/* ntp_clog: the NTP server's client log, as `gnomonctl clients` shows it
 * (chrony's `clients`, ntpd's monlist without its reflection): per
 * client address, the requests, the rate-limit drops and KoDs, and when it
 * was first and last heard.
 *
 * Memory is bounded: a table of NTP_CLOG_WAYS-way buckets, indexed by a
 * hash keyed with a random value (no one outside can aim addresses at one
 * bucket), whose least recently heard entry gives way to a new client. Each
 * server thread writes its own log (no sharing on the hot path); an entry
 * is guarded by a sequence count so that the main thread, merging the logs
 * of every thread, never reads one half written. */
#ifndef GNOMON_NTP_CLOG_H
#define GNOMON_NTP_CLOG_H

#include <stddef.h>
#include <stdint.h>

#include "lib/gtime.h"
#include "net/addr.h"

#define NTP_CLOG_WAYS 4
#define NTP_CLOG_MIN_ENTRIES 256
#define NTP_CLOG_MAX_ENTRIES (1 << 20)

enum ntp_clog_event {
	NTP_CLOG_REQUEST,	/* a well-formed request from an allowed client */
	NTP_CLOG_DROP,		/* ... dropped by the rate limit */
	NTP_CLOG_KOD,		/* ... answered with KoD RATE */
};

/* A client as the merged logs show it. */
struct ntp_clog_client {
	struct net_addr addr;
	uint64_t requests, drops, kods;
	gt_ns first, last;	/* CLOCK_MONOTONIC of its first and last request */
};

struct ntp_clog;

/* entries: rounded up to a power of two within [MIN, MAX] entries. */
struct ntp_clog *ntp_clog_create(unsigned entries, uint64_t hash_key);
void ntp_clog_destroy(struct ntp_clog *c);
/* One event of client a at mono (the owning thread only). */
void ntp_clog_note(struct ntp_clog *c, const struct net_addr *a, gt_ns mono,
		   enum ntp_clog_event ev);
/* Merge logs[0..n) (the same address in several threads' logs is one
 * client) into out, at most max clients, most requests first. Returns how
 * many were written; *total (may be NULL) gets how many distinct clients
 * the logs hold. Main thread; the writers may go on meanwhile. */
size_t ntp_clog_collect(struct ntp_clog *const *logs, int n, struct ntp_clog_client *out,
			size_t max, size_t *total);
/* Entries in use in one log (a client heard by two threads is in two). */
size_t ntp_clog_count(const struct ntp_clog *c);
/* Entries of one log (its capacity). */
size_t ntp_clog_capacity(const struct ntp_clog *c);

#endif
