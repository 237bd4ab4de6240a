/* ntp_reply: the server's decision and reply for one request, as a pure
 * function of the request bytes, its receive time and the published clock
 * state (RFC 5905 §9.2 fast_xmit, §7.3 fields). The socket code around it
 * only moves bytes; everything the RFC says about a reply is here. */
#ifndef GNOMON_NTP_REPLY_H
#define GNOMON_NTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock/clk.h"
#include "ntp/ntp_pkt.h"

/* What happened to a request; also the index of its counter. */
enum ntp_verdict {
	NTP_V_REPLY = 0,
	NTP_V_KOD,		/* limited, Kiss-o'-Death RATE sent */
	NTP_V_DROP_SHORT,
	NTP_V_DROP_VERSION,
	NTP_V_DROP_LENGTH,
	NTP_V_DROP_OVERSIZED,
	NTP_V_DROP_CONTROL,	/* mode 6 */
	NTP_V_DROP_PRIVATE,	/* mode 7 */
	NTP_V_DROP_MODE,	/* modes 1, 2, 4, 5 and v2+ mode 0 */
	NTP_V_DROP_DENIED,	/* access list */
	NTP_V_DROP_RATE,	/* limited, kod off */
	NTP_V_COUNT
};

const char *ntp_verdict_name(enum ntp_verdict v);

/* Parameters the server applies to every reply. */
struct ntp_reply_params {
	gt_ns serve_offset;	/* added to every served timestamp */
	bool kod;		/* KoD RATE (true) or silent drop when limited */
	int kod_poll;		/* poll value advertised in a KoD */
};

/* Classify a request: NTP_V_REPLY for a request to answer, else a drop
 * reason. *version gets the request version (0 if unknown). */
enum ntp_verdict ntp_reply_classify(const uint8_t *req, size_t len, int *version);

/* Build the 48-byte reply to a request already classified NTP_V_REPLY.
 * rx_clock: receive time on the served clock scale (serve_offset not yet
 * applied). limited: the client is over its rate limit. Returns
 * NTP_V_REPLY, NTP_V_KOD, or NTP_V_DROP_RATE when nothing is to be sent.
 * The transmit timestamp is written later by ntp_reply_stamp(). */
enum ntp_verdict ntp_reply_build(const struct ntp_reply_params *par,
				 const struct clk_snapshot *snap,
				 const uint8_t *req, gt_ns rx_clock, bool limited,
				 uint8_t *out);

/* Write the transmit timestamp (tx_clock + serve_offset) into a reply built
 * as NTP_V_REPLY, as late as possible before sending. */
void ntp_reply_stamp(uint8_t *out, gt_ns tx_clock, const struct ntp_reply_params *par);

/* Kiss codes (RFC 5905 §7.4) as refid values. */
#define NTP_KISS_RATE 0x52415445u	/* "RATE" */
/* refid of a local reference, as chrony uses for `local`: 127.127.1.1 */
#define NTP_REFID_LOCAL 0x7f7f0101u

#endif
