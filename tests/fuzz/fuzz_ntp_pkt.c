/* Fuzz the server's request path: decode, classify, check the MAC and
 * build a reply from arbitrary bytes, as a packet from the network would
 * reach it. */
#include <stdint.h>
#include <string.h>

#include "auth/auth.h"
#include "lib/bytes.h"
#include "ntp/ntp_pkt.h"
#include "ntp/ntp_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Key ids the seeds use, including 16 and 20 whose low bits read as an
 * extension field length. */
static const char keys_text[] =
	"1 MD5 fuzz-md5-key\n"
	"2 SHA1 fuzz-sha1-key\n"
	"3 AES128 HEX:000102030405060708090a0b0c0d0e0f\n"
	"16 SHA1 sixteen-key\n"
	"20 MD5 twenty-key\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct auth_keys *keys;
	struct clk_snapshot snap = { .q = { .stratum = 2, .ref_time = 1 } };
	struct ntp_reply_params par = { .serve_offset = -1000, .kod = true, .kod_poll = 3,
					.crypto_nak = size & 2 };
	uint8_t out[NTP_REPLY_MAX_LEN], again[NTP_HEADER_LEN];
	struct ntp_req_auth a;
	struct ntp_pkt p;
	int version;
	enum ntp_verdict v;
	size_t mac_at, len;

	if (!keys) {
		struct conf_errors errs;

		keys = auth_keys_parse(keys_text, sizeof(keys_text) - 1, "fuzz", &errs);
		if (!keys)
			__builtin_trap();
	}
	par.keys = keys;
	if (ntp_pkt_decode(data, size, &p) == NTP_PKT_OK) {
		/* Round trip: re-encoding a decoded header gives the same bytes. */
		ntp_pkt_encode(&p, again);
		if (memcmp(again, data, NTP_HEADER_LEN))
			__builtin_trap();
		/* A MAC, when found, lies after the header and is 4 or 20..68
		 * bytes, a multiple of 4. */
		mac_at = ntp_pkt_mac_offset(data, size);
		if (mac_at > size || (mac_at < size && (mac_at < NTP_HEADER_LEN ||
		    (size - mac_at != 4 && (size - mac_at < 20 || size - mac_at > 68)))))
			__builtin_trap();
	}
	v = ntp_reply_classify(data, size, &version);
	/* Interleaved detection (RFC 9769; the server asks only about requests
	 * classified NTP_V_REPLY): only NTPv4 client requests with a marked
	 * origin, and the thread a mark names stays in range. */
	if (ntp_reply_xleave_request(data, size) &&
	    (size < NTP_HEADER_LEN || ((data[0] >> 3) & 7) != 4 || (data[0] & 7) != NTP_MODE_CLIENT ||
	     (data[24 + 7] & 1) != 1 || ntp_reply_rx_thread(get_be64(data + 24), 6) >= 64))
		__builtin_trap();
	if (v == NTP_V_REPLY) {
		ntp_reply_check_auth(&par, data, size, &a);
		v = ntp_reply_build_auth(&par, &snap, data, (gt_ns)size * 1000, size & 1, &a, out);
		if (v == NTP_V_REPLY || v == NTP_V_CRYPTO_NAK)
			ntp_reply_stamp(out, 12345, &par);
		if (v == NTP_V_REPLY || v == NTP_V_CRYPTO_NAK || v == NTP_V_KOD) {
			len = ntp_reply_seal(&par, &a, out);
			/* Never answer with more bytes than were asked (no
			 * amplification), and an authenticated reply verifies. */
			if (len < NTP_HEADER_LEN || len > size)
				__builtin_trap();
			if (a.state == NTP_REQ_AUTH_OK &&
			    auth_verify(keys, a.key_id, out, NTP_HEADER_LEN, out + 52, len - 52) !=
			    AUTH_OK)
				__builtin_trap();
		}
	}
	return 0;
}
