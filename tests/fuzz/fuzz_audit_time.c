/* Fuzz the audit's RFC 868 TIME reply parser (audit_parse_time). */
#include <stdint.h>
#include <stdlib.h>

#include "audit/audit_probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* 2023-11-14: the era chosen must put the result within 2^31 s. */
	const gt_ns now = INT64_C(1700000000) * GT_NS_PER_S;
	gt_ns t;

	if (audit_parse_time(data, size, now, &t) == 0) {
		if (size != 4 || llabs(t - now) > (INT64_C(1) << 31) * GT_NS_PER_S)
			__builtin_trap();
	}
	return 0;
}
