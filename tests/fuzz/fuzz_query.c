/* Fuzz the client-side handling of a server's reply (gnomonctl query). */
#include <stdint.h>
#include <string.h>

#include "lib/bytes.h"
#include "prog/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct query_sample s;
	ntp_ts sent = size >= 32 ? get_be64(data + 24) : 0;

	query_evaluate(data, size, sent, INT64_C(1700000000) * GT_NS_PER_S,
		       INT64_C(1700000000) * GT_NS_PER_S + 50000, &s);
	if (s.valid && s.delay < 0)
		__builtin_trap();
	return 0;
}
