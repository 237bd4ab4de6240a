/* Fuzz the audit's NTP reply parser (audit_parse_ntp): arbitrary bytes as
 * a datagram from a probed device. The cookie is the one in the input, so
 * the parser gets past the origin check as often as not. */
#include <stdint.h>
#include <string.h>

#include "audit/audit_probe.h"
#include "lib/bytes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct audit_ntp_reply r;
	uint64_t cookie = size >= 32 && (size & 1) ? get_be64(data + 24) : UINT64_C(0x1122334455667788);
	int rc = audit_parse_ntp(data, size, cookie, &r);

	if (rc == 0) {
		/* Taken only as a server reply echoing our cookie. */
		if (size < 48 || r.mode != 4 || get_be64(data + 24) != cookie)
			__builtin_trap();
		if (r.kod != (r.stratum == 0) || r.leap < 0 || r.leap > 3)
			__builtin_trap();
	} else if (rc != -22 && rc != -71) {	/* -EINVAL, -EPROTO */
		__builtin_trap();
	}
	return 0;
}
