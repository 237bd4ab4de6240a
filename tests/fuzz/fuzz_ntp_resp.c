/* Fuzz the NTP client's handling of a server reply (ntp_resp_process). The
 * first 8 input bytes become the outstanding cookie when at least 56 bytes
 * arrive, so the fuzzer can reach the arithmetic past test 2. */
#include <stdint.h>
#include <string.h>

#include "ntp/ntp_resp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ntp_resp_ctx c = { .t1 = INT64_C(1700000000) * GT_NS_PER_S,
				  .local_precision = -24, .waiting = true };
	struct ntp_sample s;
	struct ntp_pkt p;
	enum ntp_resp_verdict v;

	if (size >= 56) {
		c.sent_xmt = ntp_get64(data);
		data += 8;
		size -= 8;
	}
	v = ntp_resp_process(&c, data, size, c.t1 + 100000, &p, &s);
	if (v == NTP_RESP_OK && (s.delay < 0 || s.disp < 0 || p.org != c.sent_xmt))
		__builtin_trap();
	return 0;
}
