/* ntp_resp: the client's checks of a server's reply (RFC 5905 §8 packet
 * tests) and the sample it yields (§8 on-wire protocol: offset, delay,
 * dispersion). Pure: every input is an argument; unit-tested and fuzzed. */
#ifndef GNOMON_NTP_RESP_H
#define GNOMON_NTP_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/gtime.h"
#include "auth/auth.h"
#include "ntp/ntp_pkt.h"
#include "sync/sync_sample.h"

enum ntp_resp_verdict {
	NTP_RESP_OK = 0,
	NTP_RESP_MALFORMED,	/* not a decodable NTP packet */
	NTP_RESP_MODE,		/* not mode 4 (symmetric: not mode 1 or 2) */
	NTP_RESP_BOGUS,		/* §8 test 2: origin is not our transmit (or not waiting) */
	NTP_RESP_DUPLICATE,	/* §8 test 1: same transmit timestamp as the last reply */
	NTP_RESP_ZERO_TS,	/* §8 test 3: receive or transmit timestamp zero */
	NTP_RESP_KOD_RATE,	/* kiss codes (§7.4) */
	NTP_RESP_KOD_DENY,	/* DENY or RSTR: stop talking to this server */
	NTP_RESP_KOD_OTHER,
	NTP_RESP_UNSYNC,	/* §8 test 6/7: LI=3 or stratum >= 16 */
	NTP_RESP_BAD_DELAY,	/* negative delay beyond precision: corrupt timestamps */
	NTP_RESP_AUTH,		/* broadcast: MAC missing, of another key, or wrong */
	NTP_RESP_STALE,		/* broadcast: transmit time not after the last one */
	/* Interleaved reply (RFC 9769) valid, but without a previous exchange
	 * not yet used: it starts the next one, no sample. */
	NTP_RESP_XLEAVE_UNPAIRED,
	NTP_RESP_COUNT
};

const char *ntp_resp_verdict_name(enum ntp_resp_verdict v);

/* Interleaved mode (RFC 9769 §2): the exchange before the one in flight,
 * whose server transmit time an interleaved reply brings. */
struct ntp_resp_prev {
	bool valid;		/* its reply was accepted */
	bool used;		/* ... and gave a basic sample: not used again */
	gt_ns t1, t4;		/* local clock: its request left, its reply came */
	ntp_ts t2;		/* the server's receive timestamp, as sent */
};

/* What the client remembers of the request in flight. */
struct ntp_resp_ctx {
	ntp_ts sent_xmt;	/* transmit field of our request (a random cookie) */
	/* Receive field of an interleaved request (a random nonce, which an
	 * interleaved reply echoes as its origin); 0: a basic request. */
	ntp_ts sent_rec;
	struct ntp_resp_prev prev;
	gt_ns t1;		/* local clock time the request left */
	ntp_ts last_rx_xmt;	/* transmit field of the last accepted reply (test 1) */
	int8_t local_precision;	/* log2 s */
	bool waiting;		/* a request is outstanding */
	/* We are a symmetric active peer (mode 1): the answer comes in mode
	 * 2 (passive), or 1 from a peer that has us configured too. */
	bool symmetric;
};

/* Check buf (len bytes, received at local clock time t4) against ctx and
 * fill *smp and *pkt on NTP_RESP_OK. On KoD verdicts *pkt is filled too.
 *
 * A reply whose origin is ctx->sent_xmt is basic: its own four timestamps.
 * One whose origin is ctx->sent_rec (non-zero) is interleaved: its
 * transmit field is the server's precise transmit time of the previous
 * reply, and the sample is the previous exchange's (ctx->prev: T1, T2, T4;
 * T3 from this reply), NTP_RESP_XLEAVE_UNPAIRED when there is none usable.
 * *pkt is filled on both; the caller tells them apart with
 * ntp_resp_is_interleaved(). Anything else is NTP_RESP_BOGUS: the origin
 * check is the same defence against off-path forgery in both modes, as
 * both values are random. */
enum ntp_resp_verdict ntp_resp_process(const struct ntp_resp_ctx *ctx, const uint8_t *buf,
				       size_t len, gt_ns t4, struct ntp_pkt *pkt,
				       struct sync_sample *smp);

/* Whether an accepted reply pkt to the request in ctx is interleaved. */
bool ntp_resp_is_interleaved(const struct ntp_resp_ctx *ctx, const struct ntp_pkt *pkt);

/* A broadcast (mode 5) packet: what the broadcast client knows of its
 * sender and what it requires. */
struct ntp_bcast_ctx {
	const struct auth_keys *keys;	/* borrowed; NULL: none */
	uint32_t key;		/* the only key accepted; 0: any key in keys */
	bool noauth;		/* accept packets without a MAC (a bad MAC never) */
	gt_ns delay;		/* one-way delay from the sender, added to offsets */
	gt_ns jitter;		/* the sender's offset jitter so far, for dispersion */
	ntp_ts last_xmt;	/* transmit field of the last accepted packet; 0: none */
	int8_t local_precision;
};

/* Check a broadcast packet received at local clock time t4 and fill *smp
 * (offset = T3 + delay - T4) and *pkt on NTP_RESP_OK; *key_id gets the
 * key it was signed with (0: none). Replays and reordered packets are
 * NTP_RESP_STALE: the transmit time must grow. */
enum ntp_resp_verdict ntp_resp_broadcast(const struct ntp_bcast_ctx *ctx, const uint8_t *buf,
					 size_t len, gt_ns t4, struct ntp_pkt *pkt,
					 struct sync_sample *smp, uint32_t *key_id);

#endif
