#include "gw/gw_msg.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth/auth.h"
#include "lib/bytes.h"

/* Byte offsets of version 1 (doc/gateway-protocol.md, "Layout"). */
enum {
	OFF_MAGIC = 0,
	OFF_VERSION = 4,
	OFF_TYPE = 5,
	OFF_LENGTH = 6,
	OFF_FLAGS = 8,
	OFF_HEALTH = 10,
	OFF_KEY_ID = 12,
	OFF_SEQ = 16,
	OFF_BOOT_ID = 24,
	OFF_TX_SEC = 32,
	OFF_TX_NSEC = 40,
	OFF_STRATUM = 44,
	OFF_LEAP = 45,
	OFF_PRECISION = 46,
	OFF_METHOD = 47,
	OFF_ROOT_DELAY = 48,
	OFF_ROOT_DISP = 56,
	OFF_CORRECTION = 64,
	OFF_PREV_SEQ = 72,
	OFF_PREV_SEC = 80,
	OFF_PREV_NSEC = 88,
	OFF_INTERVAL = 92,
	OFF_SENDER_ID = 96,
	OFF_MAC = GW_MSG_BODY_LEN,
	HEADER_LEN = 8,		/* magic, version, type, length: enough to classify */
};

_Static_assert(OFF_SENDER_ID + 8 == GW_MSG_BODY_LEN, "v1 body is 104 bytes");

#define MAX_NS ((gt_ns)GW_MSG_MAX_SEC * GT_NS_PER_S + (GT_NS_PER_S - 1))

static uint16_t get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

/* A v1 time on the wire: 64-bit seconds and 32-bit nanoseconds since the
 * Unix epoch, in range (0 <= ns < 1e9, s <= GW_MSG_MAX_SEC). */
static bool get_time(const uint8_t *sec_at, const uint8_t *nsec_at, gt_ns *t)
{
	uint64_t s = get_be64(sec_at);
	uint32_t ns = get_be32(nsec_at);

	if (s > GW_MSG_MAX_SEC || ns >= (uint32_t)GT_NS_PER_S)
		return false;
	*t = (gt_ns)s * GT_NS_PER_S + (gt_ns)ns;
	return true;
}

static void put_time(uint8_t *sec_at, uint8_t *nsec_at, gt_ns t)
{
	/* t is in 0..MAX_NS: gw_msg_check_fields() said so. */
	put_be64(sec_at, (uint64_t)(t / GT_NS_PER_S));
	put_be32(nsec_at, (uint32_t)(t % GT_NS_PER_S));
}

static bool time_in_range(gt_ns t)
{
	return t >= 0 && t <= MAX_NS;
}

const char *gw_msg_check_fields(const struct gw_msg *m)
{
	uint64_t back = m->seq - m->prev_seq;	/* modulo 2^64 */
	bool sync = m->flags & GW_FLAG_SYNC;

	if (m->type != GW_MSG_TIME)
		return "type";
	if (m->flags & ~GW_FLAGS_KNOWN)
		return "flags";
	if ((m->flags & GW_FLAG_PREV_HW) && !(m->flags & GW_FLAG_PREV_TX))
		return "flags";
	if (m->boot_id == 0)
		return "boot_id";
	if (!time_in_range(m->tx_time))
		return "tx_time";
	/* RFC 5905 §7.3: 1 primary .. 15; 16 unsynchronised. */
	if (m->stratum < 1 || m->stratum > 16 || (sync && m->stratum == 16))
		return "stratum";
	/* Unsynchronised is the SYNC flag, so NTP's leap value 3 is unused. */
	if (m->leap > 2)
		return "leap";
	if (m->precision < -32 || m->precision > 0)
		return "precision";
	if (m->method > GW_METHOD_CALIBRATED)
		return "method";
	if (m->method == GW_METHOD_NONE && m->correction != 0)
		return "correction";
	if (m->root_delay < 0)
		return "root_delay";
	if (m->root_disp < 0)
		return "root_dispersion";
	if (m->interval_ms < 1 || m->interval_ms > GW_MSG_MAX_INTERVAL_MS)
		return "interval";
	if (m->flags & GW_FLAG_PREV_TX) {
		/* An earlier message of this boot: serial-number order, RFC 1982. */
		if (back == 0 || back > (uint64_t)INT64_MAX)
			return "prev_seq";
		if (!time_in_range(m->prev_tx_time))
			return "prev_tx_time";
	} else {
		if (m->prev_seq != 0)
			return "prev_seq";
		if (m->prev_tx_time != 0)
			return "prev_tx_time";
	}
	return NULL;
}

static void put_body(const struct gw_msg *m, uint32_t key_id, uint16_t len, uint8_t *b)
{
	put_be32(b + OFF_MAGIC, GW_MSG_MAGIC);
	b[OFF_VERSION] = GW_MSG_VERSION;
	b[OFF_TYPE] = m->type;
	put16(b + OFF_LENGTH, len);
	put16(b + OFF_FLAGS, m->flags);
	put16(b + OFF_HEALTH, m->health);
	put_be32(b + OFF_KEY_ID, key_id);
	put_be64(b + OFF_SEQ, m->seq);
	put_be64(b + OFF_BOOT_ID, m->boot_id);
	put_time(b + OFF_TX_SEC, b + OFF_TX_NSEC, m->tx_time);
	b[OFF_STRATUM] = m->stratum;
	b[OFF_LEAP] = m->leap;
	b[OFF_PRECISION] = (uint8_t)m->precision;
	b[OFF_METHOD] = m->method;
	put_be64(b + OFF_ROOT_DELAY, (uint64_t)m->root_delay);
	put_be64(b + OFF_ROOT_DISP, (uint64_t)m->root_disp);
	put_be64(b + OFF_CORRECTION, (uint64_t)m->correction);
	put_be64(b + OFF_PREV_SEQ, m->prev_seq);
	put_time(b + OFF_PREV_SEC, b + OFF_PREV_NSEC, m->prev_tx_time);
	put_be32(b + OFF_INTERVAL, m->interval_ms);
	put_be64(b + OFF_SENDER_ID, m->sender_id);
}

int gw_msg_encode(const struct gw_msg *m, const struct auth_keys *keys, uint32_t key_id,
		  uint8_t *buf, size_t cap)
{
	size_t len = key_id ? GW_MSG_AUTH_LEN : GW_MSG_BODY_LEN;
	uint8_t tag[GW_MSG_MAC_LEN];
	int r;

	if (gw_msg_check_fields(m))
		return -EINVAL;
	if (cap < len)
		return -ENOSPC;
	put_body(m, key_id, (uint16_t)len, buf);
	if (!key_id)
		return (int)len;
	r = auth_hmac_sha256(keys, key_id, buf, GW_MSG_BODY_LEN, tag);
	if (r < 0) {
		memset(buf, 0, len);	/* never leave a message without its MAC */
		return r;
	}
	memcpy(buf + OFF_MAC, tag, sizeof(tag));
	return (int)len;
}

static bool is_accepted(uint32_t id, const uint32_t *accepted, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (accepted[i] == id)
			return true;
	return false;
}

/* Which key may vouch for the message, and does its tag match? Runs
 * before any field is looked at: an attacker without a key learns nothing
 * from the field checks. */
static enum gw_msg_verdict check_mac(const uint8_t *buf, uint32_t key_id,
				     const struct auth_keys *keys, const uint32_t *accepted,
				     size_t n, bool allow_unauth)
{
	enum auth_type type;
	uint8_t tag[GW_MSG_MAC_LEN];
	int r;

	if (key_id == 0)
		return allow_unauth ? GW_MSG_OK : GW_MSG_UNAUTHENTICATED;
	if (!auth_key_info(keys, key_id, &type, NULL))
		return GW_MSG_UNKNOWN_KEY;
	if (type != AUTH_SHA256)
		return GW_MSG_BAD_KEY_TYPE;
	if (!is_accepted(key_id, accepted, n))
		return GW_MSG_KEY_NOT_ACCEPTED;
	r = auth_hmac_sha256(keys, key_id, buf, GW_MSG_BODY_LEN, tag);
	/* CRYPTO_memcmp: the time taken does not depend on where they differ. */
	if (r < 0 || CRYPTO_memcmp(tag, buf + OFF_MAC, GW_MSG_MAC_LEN))
		return GW_MSG_BAD_MAC;
	return GW_MSG_OK;
}

static void get_body(const uint8_t *b, struct gw_msg *m)
{
	m->type = b[OFF_TYPE];
	m->flags = get16(b + OFF_FLAGS);
	m->health = get16(b + OFF_HEALTH);
	m->key_id = get_be32(b + OFF_KEY_ID);
	m->seq = get_be64(b + OFF_SEQ);
	m->boot_id = get_be64(b + OFF_BOOT_ID);
	m->stratum = b[OFF_STRATUM];
	m->leap = b[OFF_LEAP];
	m->precision = (int8_t)b[OFF_PRECISION];
	m->method = b[OFF_METHOD];
	/* Unsigned on the wire; a top bit set reads as negative and is
	 * refused by gw_msg_check_fields(). */
	m->root_delay = (gt_ns)get_be64(b + OFF_ROOT_DELAY);
	m->root_disp = (gt_ns)get_be64(b + OFF_ROOT_DISP);
	m->correction = (gt_ns)get_be64(b + OFF_CORRECTION);
	m->prev_seq = get_be64(b + OFF_PREV_SEQ);
	m->interval_ms = get_be32(b + OFF_INTERVAL);
	m->sender_id = get_be64(b + OFF_SENDER_ID);
}

enum gw_msg_verdict gw_msg_decode(const uint8_t *buf, size_t len,
				  const struct auth_keys *keys,
				  const uint32_t *accepted, size_t n, bool allow_unauth,
				  struct gw_msg *out)
{
	enum gw_msg_verdict v;
	size_t want;

	memset(out, 0, sizeof(*out));
	if (len < HEADER_LEN)
		return GW_MSG_SHORT;
	if (get_be32(buf + OFF_MAGIC) != GW_MSG_MAGIC)
		return GW_MSG_BAD_MAGIC;
	/* Before the length: a later version may be of another length. */
	if (buf[OFF_VERSION] != GW_MSG_VERSION)
		return GW_MSG_BAD_VERSION;
	if (buf[OFF_TYPE] != GW_MSG_TIME)
		return GW_MSG_BAD_TYPE;
	want = get16(buf + OFF_LENGTH);
	if (want != GW_MSG_BODY_LEN && want != GW_MSG_AUTH_LEN)
		return GW_MSG_BAD_LENGTH;
	if (len < want)
		return GW_MSG_SHORT;
	if (len > want)
		return GW_MSG_BAD_LENGTH;	/* trailing bytes are not ignored */
	/* Key id 0 exactly when there is no MAC. */
	if ((get_be32(buf + OFF_KEY_ID) == 0) != (want == GW_MSG_BODY_LEN))
		return GW_MSG_BAD_LENGTH;
	v = check_mac(buf, get_be32(buf + OFF_KEY_ID), keys, accepted, n, allow_unauth);
	if (v != GW_MSG_OK)
		return v;
	get_body(buf, out);
	if (!get_time(buf + OFF_TX_SEC, buf + OFF_TX_NSEC, &out->tx_time)) {
		out->bad_field = "tx_time";
		return GW_MSG_BAD_FIELD;
	}
	if (!get_time(buf + OFF_PREV_SEC, buf + OFF_PREV_NSEC, &out->prev_tx_time)) {
		out->bad_field = "prev_tx_time";
		return GW_MSG_BAD_FIELD;
	}
	out->bad_field = gw_msg_check_fields(out);
	return out->bad_field ? GW_MSG_BAD_FIELD : GW_MSG_OK;
}

const char *gw_msg_verdict_name(enum gw_msg_verdict v)
{
	switch (v) {
	case GW_MSG_OK: return "ok";
	case GW_MSG_SHORT: return "short";
	case GW_MSG_BAD_MAGIC: return "bad_magic";
	case GW_MSG_BAD_VERSION: return "bad_version";
	case GW_MSG_BAD_TYPE: return "bad_type";
	case GW_MSG_BAD_LENGTH: return "bad_length";
	case GW_MSG_UNAUTHENTICATED: return "unauthenticated";
	case GW_MSG_UNKNOWN_KEY: return "unknown_key";
	case GW_MSG_BAD_KEY_TYPE: return "bad_key_type";
	case GW_MSG_KEY_NOT_ACCEPTED: return "key_not_accepted";
	case GW_MSG_BAD_MAC: return "bad_mac";
	case GW_MSG_BAD_FIELD: return "bad_field";
	case GW_MSG_VERDICT_COUNT: break;
	}
	return "unknown";
}

const char *gw_msg_method_name(enum gw_msg_method m)
{
	switch (m) {
	case GW_METHOD_NONE: return "none";
	case GW_METHOD_FIXED: return "fixed";
	case GW_METHOD_FORMULA: return "formula";
	case GW_METHOD_CALIBRATED: return "calibrated";
	}
	return "unknown";
}
