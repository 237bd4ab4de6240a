/* ntp_reply: the server's decision and reply for one request, as a pure
 * function of the request bytes, its receive time and the published clock
 * state (RFC 5905 §9.2 fast_xmit, §7.3 fields). The socket code around it
 * only moves bytes; everything the RFC says about a reply is here. */
#ifndef GNOMON_NTP_REPLY_H
#define GNOMON_NTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"
#include "clock/clk.h"
#include "ntp/ntp_pkt.h"

/* Longest reply: the header, a key id and the longest digest (a whole
 * SHA256 one, answering a request that carried one). Never longer than the
 * request it answers. */
#define NTP_REPLY_MAX_LEN (NTP_HEADER_LEN + 4 + AUTH_SHA256_LEN)

/* What happened to a request; also the index of its counter. */
enum ntp_verdict {
	NTP_V_REPLY = 0,
	NTP_V_KOD,		/* limited, Kiss-o'-Death RATE sent */
	NTP_V_CRYPTO_NAK,	/* MAC not verified, crypto-NAK sent (crypto-nak on) */
	NTP_V_DROP_SHORT,
	NTP_V_DROP_VERSION,
	NTP_V_DROP_LENGTH,
	NTP_V_DROP_OVERSIZED,
	NTP_V_DROP_CONTROL,	/* mode 6 */
	NTP_V_DROP_PRIVATE,	/* mode 7 */
	NTP_V_DROP_MODE,	/* modes 1, 2, 4, 5 and v2+ mode 0 */
	NTP_V_DROP_DENIED,	/* access list */
	NTP_V_DROP_RATE,	/* over the rate limit and not drawn to leak (ntp_rl) */
	NTP_V_DROP_AUTH,	/* MAC with an unknown key or a wrong digest */
	NTP_V_DROP_PEER,	/* symmetric active (mode 1) without a verified MAC */
	NTP_V_COUNT
};

const char *ntp_verdict_name(enum ntp_verdict v);

/* Parameters the server applies to every reply. */
struct ntp_reply_params {
	gt_ns serve_offset;	/* added to every served timestamp */
	bool kod;		/* a limited request drawn for it gets KoD RATE; off: dropped */
	int kod_poll;		/* poll value advertised in a KoD */
	const struct auth_keys *keys;	/* borrowed; NULL: no keys */
	bool crypto_nak;	/* answer a bad MAC with a crypto-NAK, not silence */
};

/* How a request is authenticated (RFC 5905 §7.3, RFC 8573). */
enum ntp_req_auth_state {
	NTP_REQ_AUTH_NONE,	/* no MAC: answered without one */
	NTP_REQ_AUTH_OK,	/* MAC verified: answered with the same key */
	NTP_REQ_AUTH_FAIL,	/* unknown key, wrong digest, or a bare key id */
};

struct ntp_req_auth {
	enum ntp_req_auth_state state;
	uint32_t key_id;
	enum auth_check why;	/* NTP_REQ_AUTH_FAIL: what failed */
	uint8_t digest_len;		/* of the request's MAC: the reply's is the same */
};

/* Classify a request: NTP_V_REPLY for a request to answer (client mode 3,
 * NTPv1 mode 0, symmetric active mode 1), else a drop reason. *version gets the request version (0 if unknown). */
enum ntp_verdict ntp_reply_classify(const uint8_t *req, size_t len, int *version);

/* Check the MAC of a request of len bytes already classified NTP_V_REPLY,
 * located after the header and extension fields (ntp_pkt_mac_offset). */
void ntp_reply_check_auth(const struct ntp_reply_params *par, const uint8_t *req, size_t len,
			  struct ntp_req_auth *a);

/* Build the 48-byte reply to a request already classified NTP_V_REPLY.
 * rx_clock: receive time on the served clock scale (serve_offset not yet
 * applied). limited: the client is over its rate limit. Returns
 * NTP_V_REPLY, NTP_V_KOD, or NTP_V_DROP_RATE when nothing is to be sent.
 * The transmit timestamp is written later by ntp_reply_stamp(). */
enum ntp_verdict ntp_reply_build(const struct ntp_reply_params *par,
				 const struct clk_snapshot *snap,
				 const uint8_t *req, gt_ns rx_clock, bool limited,
				 uint8_t *out);

/* ntp_reply_build() for a request whose MAC was checked. A symmetric
 * active request (mode 1) is answered passively (mode 2, RFC 5905 §9.2)
 * only with a verified MAC: without one, NTP_V_DROP_PEER. A failed check
 * gives NTP_V_DROP_AUTH, or with par->crypto_nak and the client within
 * its rate limit NTP_V_CRYPTO_NAK (a reply, to be stamped like
 * NTP_V_REPLY). Chrony drops; RFC 5905 §9.2 sends the NAK. */
enum ntp_verdict ntp_reply_build_auth(const struct ntp_reply_params *par,
				      const struct clk_snapshot *snap,
				      const uint8_t *req, gt_ns rx_clock, bool limited,
				      const struct ntp_req_auth *a, uint8_t *out);

/* Write the transmit timestamp (tx_clock + serve_offset) into a reply built
 * as NTP_V_REPLY or NTP_V_CRYPTO_NAK, as late as possible before sending. */
void ntp_reply_stamp(uint8_t *out, gt_ns tx_clock, const struct ntp_reply_params *par);

/* Complete a built (and stamped) reply in out (NTP_REPLY_MAX_LEN bytes)
 * as the request's authentication asks: nothing more, the key id and MAC
 * of the same key, or a zero key id (crypto-NAK). Returns the length to
 * send, 0 when the MAC cannot be computed (send nothing). */
size_t ntp_reply_seal(const struct ntp_reply_params *par, const struct ntp_req_auth *a,
		      uint8_t *out);

/* Build the 48-byte header of a broadcast packet (mode 5, RFC 5905 §9.2:
 * no origin or receive time) from the clock state, advertising a poll of
 * poll (log2 s). Stamp it with ntp_reply_stamp() and sign it with
 * ntp_mac_append() as it is sent. */
void ntp_reply_broadcast(const struct clk_snapshot *snap, gt_ns now_clock, int poll,
			 const struct ntp_reply_params *par, uint8_t *out);

/* Interleaved mode (RFC 9769 §2), the server's part.
 *
 * The server marks the receive timestamps it sends: the lowest bit set,
 * and the bits above it (mark_bits of them) naming the server thread that
 * answered, so that a request quoting one is recognised without looking
 * every request up (chrony marks them the same way) and its thread's table
 * is found directly. Transmit timestamps get the lowest bit clear, so that a
 * basic client quoting one (ntpd's origin) is never taken for interleaved.
 * The marks change a timestamp by less than 2^(mark_bits + 1) units of
 * 2^-32 s: under 4 ns with up to 8 threads. */
ntp_ts ntp_reply_mark_rx(ntp_ts rx, unsigned thread, unsigned mark_bits);
/* The thread a marked receive timestamp names. */
unsigned ntp_reply_rx_thread(ntp_ts rx, unsigned mark_bits);
/* Bits needed to name n threads. */
unsigned ntp_reply_mark_bits(unsigned n);

/* A request (len bytes, already classified NTP_V_REPLY) that may be
 * answered in interleaved mode: NTPv4 client mode, an origin marked as one
 * of our receive timestamps, and a receive field different from its
 * transmit field (RFC 9769: how the client tells the two answers apart). */
bool ntp_reply_xleave_request(const uint8_t *req, size_t len);

/* Turn a reply built by ntp_reply_build() into the interleaved answer to
 * req: origin = the request's receive field, transmit = prev_tx, the
 * transmit timestamp of the previous response (not stamped again). */
void ntp_reply_make_interleaved(uint8_t *out, const uint8_t *req, ntp_ts prev_tx);

/* Kiss codes (RFC 5905 §7.4) as refid values. */
#define NTP_KISS_RATE 0x52415445u	/* "RATE" */

#endif
