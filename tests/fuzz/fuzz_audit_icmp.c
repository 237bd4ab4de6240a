/* Fuzz the audit's ICMP timestamp reply parser (audit_parse_icmp_ts). */
#include <stdint.h>

#include "audit/audit_probe.h"
#include "lib/bytes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint16_t id = size >= 8 ? get_be16(data + 4) : 1, seq = size >= 8 ? get_be16(data + 6) : 1;
	uint32_t o, r, x;

	if (audit_parse_icmp_ts(data, size, id, seq, &o, &r, &x) == 0) {
		if (size < 20 || data[0] != 14 || r >= 86400000 || x >= 86400000)
			__builtin_trap();
	}
	return 0;
}
