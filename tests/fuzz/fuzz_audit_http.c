/* Fuzz the audit's HTTP Date parser (audit_parse_http_date): arbitrary
 * bytes as the head of a device's HTTP response. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit_probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy: any read past the end is ASan's to see. */
	char *buf = malloc(size ? size : 1);
	gt_ns t;

	memcpy(buf, data, size);
	if (audit_parse_http_date(buf, size, &t) == 0) {
		/* Only years 1900..2200 are taken. */
		if (t < INT64_C(-2208988800) * GT_NS_PER_S ||
		    t > INT64_C(7289654400) * GT_NS_PER_S)
			__builtin_trap();
		if (size < 12 || memcmp(buf, "HTTP/1.", 7) != 0)
			__builtin_trap();
	}
	free(buf);
	return 0;
}
