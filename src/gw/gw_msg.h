/* gw_msg: the one-way gateway's message, version 1 (doc/gateway-protocol.md
 * is the specification; this is one implementation of it).
 *
 * A sender on the trusted side sends one message per interval through a
 * data diode; nothing comes back, so every message stands alone: the
 * sender's time, its id, sequence number and boot id, its clock's quality, the
 * transit correction it applied, the precise transmit time of an earlier
 * message (two-step), its health, and an HMAC-SHA256 over all of it.
 *
 * Fixed layout, big-endian, 104 bytes, then a 32-byte HMAC-SHA256 tag when
 * the key id is not 0 (136 bytes in all). Decoding is a pure, total
 * function over a buffer and a length: it reads nothing outside it, checks
 * the MAC before it trusts any field, and says why it refused a message. */
#ifndef GNOMON_GW_MSG_H
#define GNOMON_GW_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/gtime.h"

struct auth_keys;

#define GW_MSG_MAGIC 0x474e4d47u	/* "GNMG" */
#define GW_MSG_VERSION 1
#define GW_MSG_BODY_LEN 104		/* everything the MAC covers */
#define GW_MSG_MAC_LEN 32		/* HMAC-SHA256, never truncated */
#define GW_MSG_AUTH_LEN (GW_MSG_BODY_LEN + GW_MSG_MAC_LEN)
#define GW_MSG_MAX_LEN GW_MSG_AUTH_LEN
/* Latest time a v1 message can carry: 2262-04-11T23:47:15.999999999Z, the
 * last whole second whose every nanosecond fits a gt_ns. */
#define GW_MSG_MAX_SEC UINT64_C(9223372035)
#define GW_MSG_MAX_INTERVAL_MS 86400000u	/* one day */

enum gw_msg_type {
	GW_MSG_TIME = 1,	/* the only type of v1; a heartbeat is a TIME
				 * message without GW_FLAG_SYNC */
};

/* flags: unknown bits make a message BAD_FIELD (they may change meaning). */
#define GW_FLAG_SYNC	0x0001u	/* the sender's clock is synchronised */
#define GW_FLAG_PREV_TX	0x0002u	/* prev_seq/prev_tx_time are valid */
#define GW_FLAG_PREV_HW	0x0004u	/* ... and come from a hardware timestamp */
#define GW_FLAGS_KNOWN	0x0007u

/* health: the sender's view of its side of the path. Unknown bits are
 * kept and ignored (they only inform). */
#define GW_HEALTH_IF_UP		0x0001u	/* sending interface administratively up */
#define GW_HEALTH_CARRIER	0x0002u	/* ... with carrier (link up) */
#define GW_HEALTH_ROUTE		0x0004u	/* a route to the receiver's address */
#define GW_HEALTH_NEIGH		0x0008u	/* a static or reachable neighbour entry */
#define GW_HEALTH_TXTS_OK	0x0010u	/* transmit timestamps are being read */
#define GW_HEALTH_SEND_ERR	0x0020u	/* a send failed since the last message */
#define GW_HEALTH_TXTS_MISSED	0x0040u	/* a transmit timestamp did not come */
#define GW_HEALTH_CLOCK_STEP	0x0080u	/* the sender's clock was stepped since */

enum gw_msg_method {
	GW_METHOD_NONE = 0,	/* no correction: correction is 0 */
	GW_METHOD_FIXED = 1,	/* a configured DELAY */
	GW_METHOD_FORMULA = 2,	/* from bit rate, hops and per-hop latency */
	GW_METHOD_CALIBRATED = 3,	/* from a calibration FILE */
};

/* One message, decoded. Times are Unix ns (UTC, POSIX: no leap seconds). */
struct gw_msg {
	uint8_t type;		/* enum gw_msg_type */
	uint16_t flags;		/* GW_FLAG_* */
	uint16_t health;	/* GW_HEALTH_* */
	uint32_t key_id;	/* set by decode; encode takes it as a parameter */
	uint64_t seq;		/* +1 per message, wrapping at 2^64 */
	uint64_t boot_id;	/* random, non-zero, new at each sender start */
	gt_ns tx_time;		/* sender clock just before sending, + correction */
	uint8_t stratum;	/* 1..15 synchronised, 16 not */
	uint8_t leap;		/* 0 none, 1 insert, 2 delete (at the end of the UTC day) */
	int8_t precision;	/* log2 s of the sender's clock, -32..0 */
	uint8_t method;		/* enum gw_msg_method */
	gt_ns root_delay;	/* >= 0, to the primary reference */
	gt_ns root_disp;	/* >= 0 */
	gt_ns correction;	/* added to tx_time by the sender, signed */
	uint32_t interval_ms;	/* sender's send interval, 1..one day */
	uint64_t sender_id;	/* configured on both sides: which sender this is */
	uint64_t prev_seq;	/* a message sent before this one ... */
	gt_ns prev_tx_time;	/* ... and its kernel/hardware transmit time,
				 * uncorrected (GW_FLAG_PREV_TX; else both 0) */
	/* Set by decode when it returns GW_MSG_BAD_FIELD: the field's name. */
	const char *bad_field;
};

/* Why a message was refused; each has a counter name (gw_msg_verdict_name). */
enum gw_msg_verdict {
	GW_MSG_OK = 0,
	GW_MSG_SHORT,		/* fewer bytes than the header or its length field */
	GW_MSG_BAD_MAGIC,
	GW_MSG_BAD_VERSION,	/* not version 1 */
	GW_MSG_BAD_TYPE,
	GW_MSG_BAD_LENGTH,	/* length field not 104/136, not matching the key
				 * id, or bytes after the message */
	GW_MSG_UNAUTHENTICATED,	/* key id 0 and unauthenticated not allowed */
	GW_MSG_UNKNOWN_KEY,	/* key id not in the key store */
	GW_MSG_BAD_KEY_TYPE,	/* key id names a key that is not SHA256 */
	GW_MSG_KEY_NOT_ACCEPTED,	/* a SHA256 key, but not one of those accepted */
	GW_MSG_BAD_MAC,
	GW_MSG_BAD_FIELD,	/* authentic but a field is out of range */
	GW_MSG_VERDICT_COUNT
};

/* Encode m as message `key_id` (0: unauthenticated, 104 bytes; else MAC'd
 * with that SHA256 key, 136 bytes) into buf. m->key_id and m->bad_field
 * are ignored. Returns the length, or -EINVAL (a field out of range: what
 * decode would call BAD_FIELD), -ENOSPC (cap too small), -ENOKEY,
 * -EKEYREJECTED (not a SHA256 key), -EIO (libcrypto). */
int gw_msg_encode(const struct gw_msg *m, const struct auth_keys *keys, uint32_t key_id,
		  uint8_t *buf, size_t cap);

/* Decode and check buf[0..len). An authenticated message is accepted only
 * with a key whose id is one of accepted[0..n) and which is a SHA256 key in
 * keys; an unauthenticated one (key id 0) only when allow_unauth. out is
 * always written (zeroed first); its fields mean something only on OK. */
enum gw_msg_verdict gw_msg_decode(const uint8_t *buf, size_t len,
				  const struct auth_keys *keys,
				  const uint32_t *accepted, size_t n, bool allow_unauth,
				  struct gw_msg *out);

/* The name of the first field of m out of range, or NULL when all are
 * right: the checks encode and decode share. */
const char *gw_msg_check_fields(const struct gw_msg *m);

/* "ok", "short", "bad_magic", ... (metric and log names). */
const char *gw_msg_verdict_name(enum gw_msg_verdict v);
const char *gw_msg_method_name(enum gw_msg_method m);

#endif
