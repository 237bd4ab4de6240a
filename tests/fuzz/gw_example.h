/* The gateway message of doc/gateway-protocol.md's worked example, and the
 * keys the gw_msg fuzz target and its seed corpus share. Used by
 * tests/unit/test_gw_msg.c (which checks the document's hex dump),
 * tests/fuzz/gen_gw_corpus.c and tests/fuzz/fuzz_gw_msg.c. */
#ifndef GNOMON_TESTS_GW_EXAMPLE_H
#define GNOMON_TESTS_GW_EXAMPLE_H

#include "gw/gw_msg.h"

/* Key 1 signs the example. 2 is a second gateway key (rotation), 3 is not
 * a SHA256 key and must never authenticate a gateway message. */
static const char gw_example_keys[] =
	"1 SHA256 HEX:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
	"2 SHA256 ASCII:gnomon-gateway-rotation\n"
	"3 SHA1 gnomon-ntp-only\n";

#define GW_EXAMPLE_KEY 1

/* 2025-01-01T00:00:00.123456789Z, message 42 of boot 0x0123456789abcdef,
 * from sender 7, stratum 2, fixed correction of 250 us, carrying the software transmit
 * timestamp of message 41, sent once a second. */
static inline void gw_example_msg(struct gw_msg *m)
{
	*m = (struct gw_msg){
		.type = GW_MSG_TIME,
		.flags = GW_FLAG_SYNC | GW_FLAG_PREV_TX,
		.health = GW_HEALTH_IF_UP | GW_HEALTH_CARRIER | GW_HEALTH_ROUTE |
			  GW_HEALTH_NEIGH | GW_HEALTH_TXTS_OK,
		.seq = 42,
		.boot_id = UINT64_C(0x0123456789abcdef),
		.tx_time = INT64_C(1735689600123456789),
		.stratum = 2,
		.leap = 0,
		.precision = -20,
		.method = GW_METHOD_FIXED,
		.root_delay = 1500000,
		.root_disp = 2000000,
		.correction = 250000,
		.prev_seq = 41,
		.prev_tx_time = INT64_C(1735689599123213500),
		.interval_ms = 1000,
		.sender_id = 7,
	};
}

#endif
