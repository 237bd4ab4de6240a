/* Fuzz the server's request path: decode, classify and build a reply from
 * arbitrary bytes, as a packet from the network would reach it. */
#include <stdint.h>
#include <string.h>

#include "ntp/ntp_pkt.h"
#include "ntp/ntp_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct clk_snapshot snap = { .q = { .stratum = 2, .ref_time = 1 } };
	struct ntp_reply_params par = { .serve_offset = -1000, .kod = true, .kod_poll = 3 };
	uint8_t out[NTP_HEADER_LEN], again[NTP_HEADER_LEN];
	struct ntp_pkt p;
	int version;
	enum ntp_verdict v;

	if (ntp_pkt_decode(data, size, &p) == NTP_PKT_OK) {
		/* Round trip: re-encoding a decoded header gives the same bytes. */
		ntp_pkt_encode(&p, again);
		if (memcmp(again, data, NTP_HEADER_LEN))
			__builtin_trap();
	}
	v = ntp_reply_classify(data, size, &version);
	if (v == NTP_V_REPLY) {
		v = ntp_reply_build(&par, &snap, data, (gt_ns)size * 1000, size & 1, out);
		if (v == NTP_V_REPLY)
			ntp_reply_stamp(out, 12345, &par);
		/* Never answer with more bytes than were asked (no amplification). */
		if (size < NTP_HEADER_LEN)
			__builtin_trap();
	}
	return 0;
}
