/* Fuzz the parsers of the gateway's state files (gw_state): the receiver's
 * replay state and the sender's sequence reservation, as read back from
 * statedir (a file anyone with write access there could have changed).
 *
 * Input: byte 0 bit 0 chooses the receiver's or the sender's format; the
 * rest is the file. Traps on: a verdict other than 0 / -EINVAL; an output
 * left half-filled after a refusal; an accepted file that does not format
 * back to exactly the same bytes (the format has one spelling of each
 * state, so anything accepted is canonical); a boot id of 0 or more old
 * boots than the history holds. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "gw/gw_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[GW_STATE_MAX_LEN + 1];
	const char *text = (const char *)data + 1;
	size_t len;
	int rc, n;

	if (size < 1)
		return 0;
	len = size - 1;
	if (data[0] & 1) {
		struct gw_tx_state st;

		rc = gw_tx_state_parse(text, len, &st);
		if (rc && (rc != -EINVAL || !all_zero(&st, sizeof(st))))
			__builtin_trap();
		if (rc)
			return 0;
		if (!st.boot_id)
			__builtin_trap();
		n = gw_tx_state_format(&st, out, sizeof(out));
	} else {
		struct gw_rx_state st;

		rc = gw_rx_state_parse(text, len, &st);
		if (rc && (rc != -EINVAL || !all_zero(&st, sizeof(st))))
			__builtin_trap();
		if (rc)
			return 0;
		if (!st.boot_id || st.n_old > GW_SEQ_BOOT_HISTORY || st.label < 0)
			__builtin_trap();
		n = gw_rx_state_format(&st, out, sizeof(out));
	}
	if (n < 0 || (size_t)n != len || memcmp(out, text, len))
		__builtin_trap();
	return 0;
}
