/* ntp_mac: the MAC in an NTP packet (RFC 5905 §7.3): a key id and a
 * digest (auth/auth.h) after the header and extension fields. */
#ifndef GNOMON_NTP_MAC_H
#define GNOMON_NTP_MAC_H

#include <stddef.h>
#include <stdint.h>

#include "auth/auth.h"

/* Key id and digest: the most a MAC adds to a packet. */
#define NTP_MAC_MAX (4 + AUTH_MAX_DIGEST)

/* Append key id and MAC of pkt[0..len) to pkt, which has room for cap
 * bytes. Returns the new length, or 0 (unknown key, no room, libcrypto
 * failure). */
size_t ntp_mac_append(const struct auth_keys *k, uint32_t id, uint8_t *pkt, size_t len,
		      size_t cap);
/* The same with a digest of digest_len bytes: the key's own length, or 32
 * for a SHA256 key (the whole digest, which a request carrying one, as
 * chrony's NTPv3 requests do, expects in the reply). 0 otherwise. */
size_t ntp_mac_append_len(const struct auth_keys *k, uint32_t id, uint8_t *pkt, size_t len,
			  size_t cap, size_t digest_len);

#endif
