/* Fuzz the NTP client's handling of a server reply (ntp_resp_process), in
 * client and symmetric mode, and of a broadcast packet (ntp_resp_broadcast)
 * with and without a key store. The first 8 input bytes become the
 * outstanding cookie (and the last broadcast transmit time) when at least
 * 56 bytes arrive, so the fuzzer can reach the arithmetic past test 2.
 * The same 8 bytes, turned, are an interleaved request's nonce, with a
 * previous exchange, so interleaved replies (RFC 9769) are reached too. */
#include <stdint.h>
#include <string.h>

#include "lib/bytes.h"
#include "lib/conf.h"
#include "auth/auth.h"
#include "ntp/ntp_resp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char keys_text[] = "1 MD5 one\n2 SHA1 two\n3 AES128 HEX:000102030405060708090a0b0c0d0e0f\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct auth_keys *keys;
	struct ntp_resp_ctx c = { .t1 = INT64_C(1700000000) * GT_NS_PER_S,
				  .local_precision = -24, .waiting = true };
	struct ntp_bcast_ctx b = { .delay = 50000, .jitter = 10000, .local_precision = -24 };
	struct sync_sample s;
	struct ntp_pkt p;
	enum ntp_resp_verdict v;
	uint32_t key;
	int sym;

	if (!keys) {
		struct conf_errors errs;

		keys = auth_keys_parse(keys_text, sizeof(keys_text) - 1, "fuzz", &errs);
		if (!keys)
			__builtin_trap();
	}
	if (size >= 56) {
		c.sent_xmt = get_be64(data);
		b.last_xmt = c.sent_xmt;
		data += 8;
		size -= 8;
	}
	for (sym = 0; sym < 2; sym++) {
		c.symmetric = sym;
		v = ntp_resp_process(&c, data, size, c.t1 + 100000, &p, &s);
		if (v == NTP_RESP_OK && (s.delay < 0 || s.disp < 0 || p.org != c.sent_xmt))
			__builtin_trap();
	}
	/* Interleaved: the nonce is the cookie with its halves swapped. */
	c.symmetric = false;
	c.sent_rec = c.sent_xmt << 32 | c.sent_xmt >> 32;
	c.prev = (struct ntp_resp_prev){ .valid = true, .t1 = c.t1 - 2 * GT_NS_PER_S,
					 .t4 = c.t1 - 2 * GT_NS_PER_S + 90000,
					 .t2 = (ntp_ts)(c.t1 / GT_NS_PER_S + 2208988800 - 2) << 32 };
	v = ntp_resp_process(&c, data, size, c.t1 + 100000, &p, &s);
	if (v == NTP_RESP_OK && (s.disp < 0 || (p.org != c.sent_xmt && p.org != c.sent_rec) ||
				 (ntp_resp_is_interleaved(&c, &p) && s.time != c.prev.t4)))
		__builtin_trap();
	/* Broadcast: unsigned allowed, then only key 1 of a real store. */
	b.noauth = true;
	v = ntp_resp_broadcast(&b, data, size, c.t1, &p, &s, &key);
	if (v == NTP_RESP_OK && (s.delay < 0 || s.disp < 0 || p.mode != 5))
		__builtin_trap();
	b.noauth = false;
	b.keys = keys;
	b.key = 1;
	v = ntp_resp_broadcast(&b, data, size, c.t1, &p, &s, &key);
	if (v == NTP_RESP_OK && key != 1)
		__builtin_trap();
	return 0;
}
