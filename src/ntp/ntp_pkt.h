/* ntp_pkt: the NTP packet header codec (RFC 5905 §7.3) and the structural
 * check of what follows it: RFC 7822 extension fields and an RFC 5905/8573
 * MAC. A pure function over a buffer: unit-tested and fuzzed. */
#ifndef GNOMON_NTP_PKT_H
#define GNOMON_NTP_PKT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/gtime.h"

#define NTP_HEADER_LEN 48
/* Longest request we consider (header, extension fields, MAC); anything
 * longer is dropped as oversized. */
#define NTP_MAX_LEN 1024

enum ntp_mode {
	NTP_MODE_RESERVED = 0,	/* NTPv1 requests carry no mode */
	NTP_MODE_SYM_ACTIVE = 1,
	NTP_MODE_SYM_PASSIVE = 2,
	NTP_MODE_CLIENT = 3,
	NTP_MODE_SERVER = 4,
	NTP_MODE_BROADCAST = 5,
	NTP_MODE_CONTROL = 6,
	NTP_MODE_PRIVATE = 7,
};

struct ntp_pkt {
	uint8_t leap, version, mode, stratum;
	int8_t poll, precision;
	uint32_t root_delay, root_disp;	/* NTP short format */
	uint32_t refid;			/* host order */
	ntp_ts ref, org, rec, xmt;
};

enum ntp_pkt_status {
	NTP_PKT_OK = 0,
	NTP_PKT_SHORT,		/* fewer than 48 bytes */
	NTP_PKT_BAD_VERSION,	/* version 0 or > 4 */
	NTP_PKT_BAD_LENGTH,	/* trailer is neither extension fields nor a MAC */
	NTP_PKT_OVERSIZED,	/* longer than NTP_MAX_LEN */
};

/* Decode len bytes into p and check the trailer's structure. Modes 6 and 7
 * have their own formats: their header fields are decoded but their
 * trailer is not checked. */
enum ntp_pkt_status ntp_pkt_decode(const uint8_t *buf, size_t len, struct ntp_pkt *p);
/* Where the MAC (4-byte key id, then the digest; a bare zero key id is a
 * crypto-NAK) of a packet that ntp_pkt_decode() accepts begins: after the
 * header and any RFC 7822 extension fields. Returns len when the packet
 * has no MAC or its trailer is malformed. Modes 6 and 7 are not judged. */
size_t ntp_pkt_mac_offset(const uint8_t *buf, size_t len);
/* Encode the 48-byte header into buf. */
void ntp_pkt_encode(const struct ntp_pkt *p, uint8_t *buf);
const char *ntp_pkt_status_str(enum ntp_pkt_status s);

#endif
