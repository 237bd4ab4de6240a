#include "ntp/ntp_pkt.h"

#include <stdbool.h>

#include "lib/bytes.h"

/* RFC 5905 §7.3 / RFC 8573: a MAC is a 4-byte key id and a digest of 16
 * (MD5, AES-CMAC) or 20 (SHA1) bytes; longer digests are accepted up to
 * 64 bytes for newer hashes. A bare key id of 0 is a crypto-NAK. */
static bool is_mac_length(size_t n)
{
	return n == 4 || (n >= 20 && n <= 68 && n % 4 == 0);
}

/* RFC 7822 §3: extension fields, each of at least 16 bytes and a multiple
 * of 4, possibly followed by a MAC. RFC 7822 §7.5: without a MAC the last
 * field is at least 28 bytes, so in NTPv4 a remainder of 20 or 24 bytes
 * (key id and a 16- or 20-byte digest) is a MAC, never a field; checking
 * that first places the MAC exactly even when its key id happens to read
 * as a field length. Before v4 there are no fields: all of it is a MAC.
 * *mac_at gets the offset of the MAC, or len when there is none. */
static enum ntp_pkt_status walk_trailer(const uint8_t *buf, size_t len, unsigned version,
					size_t *mac_at)
{
	size_t pos = NTP_HEADER_LEN;

	*mac_at = len;
	if (len % 4)
		return NTP_PKT_BAD_LENGTH;
	while (pos < len) {
		size_t rem = len - pos;

		if (version == 4 && rem >= 16 && !(rem == 20 || rem == 24)) {
			size_t ef_len = (size_t)buf[pos + 2] << 8 | buf[pos + 3];

			if (ef_len >= 16 && ef_len % 4 == 0 && ef_len <= rem) {
				pos += ef_len;
				continue;
			}
		}
		if (!is_mac_length(rem))
			return NTP_PKT_BAD_LENGTH;
		*mac_at = pos;
		break;
	}
	return NTP_PKT_OK;
}

size_t ntp_pkt_mac_offset(const uint8_t *buf, size_t len)
{
	unsigned version, mode;
	size_t mac_at;

	if (len <= NTP_HEADER_LEN || len > NTP_MAX_LEN)
		return len;
	version = (buf[0] >> 3) & 7;
	mode = buf[0] & 7;
	if (version < 1 || version > 4 || mode == NTP_MODE_CONTROL || mode == NTP_MODE_PRIVATE)
		return len;
	if (walk_trailer(buf, len, version, &mac_at) != NTP_PKT_OK)
		return len;
	return mac_at;
}

enum ntp_pkt_status ntp_pkt_decode(const uint8_t *buf, size_t len, struct ntp_pkt *p)
{
	size_t mac_at;

	if (len < NTP_HEADER_LEN)
		return NTP_PKT_SHORT;
	if (len > NTP_MAX_LEN)
		return NTP_PKT_OVERSIZED;
	p->leap = buf[0] >> 6;
	p->version = (buf[0] >> 3) & 7;
	p->mode = buf[0] & 7;
	p->stratum = buf[1];
	p->poll = (int8_t)buf[2];
	p->precision = (int8_t)buf[3];
	p->root_delay = get_be32(buf + 4);
	p->root_disp = get_be32(buf + 8);
	p->refid = get_be32(buf + 12);
	p->ref = get_be64(buf + 16);
	p->org = get_be64(buf + 24);
	p->rec = get_be64(buf + 32);
	p->xmt = get_be64(buf + 40);
	if (p->version < 1 || p->version > 4)
		return NTP_PKT_BAD_VERSION;
	if (p->mode == NTP_MODE_CONTROL || p->mode == NTP_MODE_PRIVATE)
		return NTP_PKT_OK;
	return walk_trailer(buf, len, p->version, &mac_at);
}

void ntp_pkt_encode(const struct ntp_pkt *p, uint8_t *buf)
{
	buf[0] = (uint8_t)((p->leap & 3) << 6 | (p->version & 7) << 3 | (p->mode & 7));
	buf[1] = p->stratum;
	buf[2] = (uint8_t)p->poll;
	buf[3] = (uint8_t)p->precision;
	put_be32(buf + 4, p->root_delay);
	put_be32(buf + 8, p->root_disp);
	put_be32(buf + 12, p->refid);
	put_be64(buf + 16, p->ref);
	put_be64(buf + 24, p->org);
	put_be64(buf + 32, p->rec);
	put_be64(buf + 40, p->xmt);
}

const char *ntp_pkt_status_str(enum ntp_pkt_status s)
{
	switch (s) {
	case NTP_PKT_OK: return "ok";
	case NTP_PKT_SHORT: return "short";
	case NTP_PKT_BAD_VERSION: return "bad_version";
	case NTP_PKT_BAD_LENGTH: return "bad_length";
	case NTP_PKT_OVERSIZED: return "oversized";
	}
	return "unknown";
}
