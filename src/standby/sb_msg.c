#include "standby/sb_msg.h"

#include <errno.h>
#include <string.h>

#include "auth/auth.h"
#include "lib/bytes.h"

/* Byte offsets of version 1 (doc/standby.md, "The heartbeat"). */
enum {
	OFF_MAGIC = 0,
	OFF_VERSION = 4,
	OFF_TYPE = 5,
	OFF_LENGTH = 6,
	OFF_FLAGS = 8,
	OFF_HEALTH = 10,
	OFF_ROLE = 11,
	OFF_KEY_ID = 12,
	OFF_NODE_ID = 16,
	OFF_SEQ = 24,
	OFF_XMT = 32,
	OFF_ORG = 40,
	OFF_REC = 48,
	OFF_ROOT_DELAY = 56,
	OFF_ROOT_DISP = 64,
	OFF_STRATUM = 72,
	OFF_LEAP = 73,
	OFF_PRIORITY = 74,
	OFF_RESERVED = 75,
	OFF_INTERVAL = 76,
	OFF_MAC = SB_MSG_BODY_LEN,
};

_Static_assert(OFF_INTERVAL + 4 == SB_MSG_BODY_LEN, "v1 body is 80 bytes");

const char *sb_msg_check_fields(const struct sb_msg *m)
{
	bool echo = m->flags & SB_FLAG_ECHO;

	if (m->flags & ~SB_FLAGS_KNOWN)
		return "flags";
	if (m->health > 2)
		return "health";
	if (m->role > SB_ROLE_MAX)
		return "role";
	if (m->node_id == 0)
		return "node_id";
	if (m->xmt <= 0)
		return "xmt";
	/* An echo is of an earlier heartbeat, received before this is sent. */
	if (echo ? m->org <= 0 : m->org != 0)
		return "org";
	if (echo ? m->rec <= 0 : m->rec != 0)
		return "rec";
	if (m->root_delay < 0)
		return "root_delay";
	if (m->root_disp < 0)
		return "root_dispersion";
	/* RFC 5905 §7.3: 1 primary .. 15; 16 unsynchronised. */
	if (m->stratum < 1 || m->stratum > 16)
		return "stratum";
	if (m->leap > 3)
		return "leap";
	if (m->interval_ms < 1 || m->interval_ms > SB_MSG_MAX_INTERVAL_MS)
		return "interval";
	return NULL;
}

int sb_msg_encode(const struct sb_msg *m, const struct auth_keys *keys, uint32_t key_id,
		  uint8_t *buf, size_t cap)
{
	int rc;

	if (cap < SB_MSG_LEN)
		return -ENOSPC;
	if (sb_msg_check_fields(m))
		return -EINVAL;
	memset(buf, 0, SB_MSG_LEN);
	put_be32(buf + OFF_MAGIC, SB_MSG_MAGIC);
	buf[OFF_VERSION] = SB_MSG_VERSION;
	buf[OFF_TYPE] = SB_MSG_TYPE_HEARTBEAT;
	put_be16(buf + OFF_LENGTH, SB_MSG_LEN);
	put_be16(buf + OFF_FLAGS, m->flags);
	buf[OFF_HEALTH] = m->health;
	buf[OFF_ROLE] = m->role;
	put_be32(buf + OFF_KEY_ID, key_id);
	put_be64(buf + OFF_NODE_ID, m->node_id);
	put_be64(buf + OFF_SEQ, m->seq);
	put_be64(buf + OFF_XMT, (uint64_t)m->xmt);
	put_be64(buf + OFF_ORG, (uint64_t)m->org);
	put_be64(buf + OFF_REC, (uint64_t)m->rec);
	put_be64(buf + OFF_ROOT_DELAY, (uint64_t)m->root_delay);
	put_be64(buf + OFF_ROOT_DISP, (uint64_t)m->root_disp);
	buf[OFF_STRATUM] = m->stratum;
	buf[OFF_LEAP] = m->leap;
	buf[OFF_PRIORITY] = m->priority;
	put_be32(buf + OFF_INTERVAL, m->interval_ms);
	rc = auth_hmac_sha256(keys, key_id, buf, SB_MSG_BODY_LEN, buf + OFF_MAC);
	return rc ? rc : SB_MSG_LEN;
}

enum sb_msg_verdict sb_msg_decode(const uint8_t *buf, size_t len, const struct auth_keys *keys,
				  uint32_t key_id, struct sb_msg *out)
{
	uint8_t mac[AUTH_SHA256_LEN];
	enum auth_type type;

	memset(out, 0, sizeof(*out));
	if (len < SB_MSG_LEN)
		return SB_MSG_SHORT;
	if (get_be32(buf + OFF_MAGIC) != SB_MSG_MAGIC)
		return SB_MSG_BAD_MAGIC;
	if (buf[OFF_VERSION] != SB_MSG_VERSION)
		return SB_MSG_BAD_VERSION;
	if (buf[OFF_TYPE] != SB_MSG_TYPE_HEARTBEAT)
		return SB_MSG_BAD_TYPE;
	if (get_be16(buf + OFF_LENGTH) != SB_MSG_LEN || len != SB_MSG_LEN)
		return SB_MSG_BAD_LENGTH;
	out->key_id = get_be32(buf + OFF_KEY_ID);
	if (out->key_id != key_id)
		return SB_MSG_WRONG_KEY;
	if (!auth_key_info(keys, key_id, &type, NULL) || type != AUTH_SHA256)
		return SB_MSG_UNKNOWN_KEY;
	if (auth_hmac_sha256(keys, key_id, buf, SB_MSG_BODY_LEN, mac) ||
	    !auth_equal(mac, buf + OFF_MAC, SB_MSG_MAC_LEN))
		return SB_MSG_BAD_MAC;
	out->flags = get_be16(buf + OFF_FLAGS);
	out->health = buf[OFF_HEALTH];
	out->role = buf[OFF_ROLE];
	out->node_id = get_be64(buf + OFF_NODE_ID);
	out->seq = get_be64(buf + OFF_SEQ);
	out->xmt = (gt_ns)get_be64(buf + OFF_XMT);
	out->org = (gt_ns)get_be64(buf + OFF_ORG);
	out->rec = (gt_ns)get_be64(buf + OFF_REC);
	out->root_delay = (gt_ns)get_be64(buf + OFF_ROOT_DELAY);
	out->root_disp = (gt_ns)get_be64(buf + OFF_ROOT_DISP);
	out->stratum = buf[OFF_STRATUM];
	out->leap = buf[OFF_LEAP];
	out->priority = buf[OFF_PRIORITY];
	out->interval_ms = get_be32(buf + OFF_INTERVAL);
	out->bad_field = buf[OFF_RESERVED] ? "reserved" : sb_msg_check_fields(out);
	return out->bad_field ? SB_MSG_BAD_FIELD : SB_MSG_OK;
}

const char *sb_msg_verdict_name(enum sb_msg_verdict v)
{
	static const char *const names[SB_MSG_VERDICT_COUNT] = {
		"ok", "short", "bad_magic", "bad_version", "bad_type", "bad_length",
		"wrong_key", "unknown_key", "bad_mac", "bad_field",
	};

	return (unsigned)v < SB_MSG_VERDICT_COUNT ? names[v] : "?";
}
