/* gw_state: what the gateway keeps across restarts (doc/gateway.md,
 * "Replay state"), as small text files under `statedir`:
 *
 *   receiver, gw-recv-<sender>.state (sender "any" when not configured):
 *     gnomon-gateway-receiver-state 1
 *     sender N          sender id of the boot below
 *     boot HEX16        the current sender boot
 *     floor N           its numbers up to N are replays
 *     label NS          newest time label accepted (Unix ns): earlier is refused
 *                       before agreement
 *     old HEX16         an earlier boot (replays), oldest first, 0..16 lines
 *     end
 *   sender, gw-send-<id>.state:
 *     gnomon-gateway-sender-state 1
 *     sender N
 *     boot HEX16        the boot id of the last run (never used again)
 *     reserved N        sequence numbers up to N may have been sent
 *     end
 *
 * Parsing is a pure, total function over a buffer and a length: the keys
 * in this order, each once (old 0..16 times), numbers without sign or
 * leading zeros beyond one digit, boot ids of exactly 16 hex digits and not
 * 0, and nothing after `end`. Anything else is corrupt (-EINVAL): a
 * half-written or tampered file must not be half-trusted. */
#ifndef GNOMON_GW_STATE_H
#define GNOMON_GW_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "gw/gw_seq.h"
#include "lib/gtime.h"

#define GW_STATE_MAX_LEN 2048	/* bigger files are corrupt */

struct gw_rx_state {
	uint64_t sender_id;
	uint64_t boot_id;
	uint64_t floor;
	gt_ns label;
	uint64_t old_boots[GW_SEQ_BOOT_HISTORY];	/* oldest first */
	unsigned n_old;
};

struct gw_tx_state {
	uint64_t sender_id;
	uint64_t boot_id;
	uint64_t reserved;
};

/* 0, or -EINVAL when buf[0..len) is not exactly such a file. */
int gw_rx_state_parse(const char *buf, size_t len, struct gw_rx_state *out);
int gw_tx_state_parse(const char *buf, size_t len, struct gw_tx_state *out);
/* The file's text into buf[0..cap); its length, or -ENOSPC. */
int gw_rx_state_format(const struct gw_rx_state *s, char *buf, size_t cap);
int gw_tx_state_format(const struct gw_tx_state *s, char *buf, size_t cap);

#endif
