/* sb_msg: the hot-standby heartbeat, version 1 (doc/standby.md, "The
 * heartbeat").
 *
 * Each server of a pair sends one to the other every interval. It says
 * how the sender's time is (health, stratum, leap, root delay and
 * dispersion), its configured priority and its VRRP role, and carries
 * three timestamps as an NTP symmetric-mode packet does (RFC 5905 §8):
 * org, the partner's transmit time of the last heartbeat received, rec,
 * when it was received, and xmt, this one's transmit time. With the
 * receive time of this heartbeat the receiver has t1..t4 of one exchange
 * and so the pair's mutual offset and round trip.
 *
 * Fixed layout, big-endian, an 80-byte body and its 32-byte HMAC-SHA256
 * (RFC 2104) with a SHA256 key of the key file: 112 bytes. There is no
 * unauthenticated form. Decoding is a pure, total function over a buffer
 * and a length; it checks the MAC before it trusts any field. */
#ifndef GNOMON_SB_MSG_H
#define GNOMON_SB_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/gtime.h"

struct auth_keys;

#define SB_MSG_MAGIC 0x474e5342u	/* "GNSB" */
#define SB_MSG_VERSION 1
#define SB_MSG_TYPE_HEARTBEAT 1
#define SB_MSG_BODY_LEN 80
#define SB_MSG_MAC_LEN 32
#define SB_MSG_LEN (SB_MSG_BODY_LEN + SB_MSG_MAC_LEN)
#define SB_MSG_MAX_INTERVAL_MS 3600000u	/* an hour */

#define SB_FLAG_ECHO 0x0001u	/* org and rec are valid */
#define SB_FLAGS_KNOWN 0x0001u

/* The sender's VRRP role, as keepalived's notify hook last told it. */
enum sb_role { SB_ROLE_UNKNOWN = 0, SB_ROLE_MASTER, SB_ROLE_BACKUP, SB_ROLE_FAULT };
#define SB_ROLE_MAX SB_ROLE_FAULT

struct sb_msg {
	uint16_t flags;		/* SB_FLAG_* */
	uint8_t health;		/* enum health_state: 0 synchronised, 1 degraded, 2 not */
	uint8_t role;		/* enum sb_role */
	uint32_t key_id;	/* set by decode; encode takes it as a parameter */
	uint64_t node_id;	/* random, non-zero, new at each start: who is speaking */
	uint64_t seq;		/* +1 per heartbeat of this node_id */
	gt_ns xmt;		/* sender's clock when sent, Unix ns > 0 */
	gt_ns org;		/* SB_FLAG_ECHO: the partner's xmt echoed, else 0 */
	gt_ns rec;		/* SB_FLAG_ECHO: when the sender received it, else 0 */
	gt_ns root_delay;	/* >= 0 */
	gt_ns root_disp;	/* >= 0, grown to xmt */
	uint8_t stratum;	/* 1..16 */
	uint8_t leap;		/* 0..3 (3: unsynchronised) */
	uint8_t priority;	/* configured, 0..255 (informative: keepalived elects) */
	uint32_t interval_ms;	/* sender's interval, 1..SB_MSG_MAX_INTERVAL_MS */
	const char *bad_field;	/* set by decode on SB_MSG_BAD_FIELD */
};

enum sb_msg_verdict {
	SB_MSG_OK = 0,
	SB_MSG_SHORT,		/* fewer than 112 bytes */
	SB_MSG_BAD_MAGIC,
	SB_MSG_BAD_VERSION,
	SB_MSG_BAD_TYPE,
	SB_MSG_BAD_LENGTH,	/* length field not 112, or bytes after it */
	SB_MSG_WRONG_KEY,	/* a key id other than the one configured */
	SB_MSG_UNKNOWN_KEY,	/* the key is not a SHA256 key of the key file */
	SB_MSG_BAD_MAC,
	SB_MSG_BAD_FIELD,	/* authentic, but a field is out of range */
	SB_MSG_VERDICT_COUNT
};

/* Encode m with SHA256 key key_id into buf. Returns SB_MSG_LEN, or
 * -EINVAL (a field out of range), -ENOSPC, -ENOKEY, -EKEYREJECTED (not a
 * SHA256 key), -EIO. */
int sb_msg_encode(const struct sb_msg *m, const struct auth_keys *keys, uint32_t key_id,
		  uint8_t *buf, size_t cap);
/* Decode and check buf[0..len): authentic with key key_id only. out is
 * always written (zeroed first); its fields mean something only on OK. */
enum sb_msg_verdict sb_msg_decode(const uint8_t *buf, size_t len, const struct auth_keys *keys,
				  uint32_t key_id, struct sb_msg *out);
/* Name of the first field out of range, or NULL. */
const char *sb_msg_check_fields(const struct sb_msg *m);
/* "ok", "short", "bad_magic", ... (metric label values). */
const char *sb_msg_verdict_name(enum sb_msg_verdict v);

#endif
