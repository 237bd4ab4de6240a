/* ptp_msg: IEEE 1588-2019 (version 2, which 1588-2008 devices speak too)
 * messages on the wire: one strict, total parser from bytes to a struct
 * and one encoder back, pure functions over a buffer and a length.
 *
 * The parser checks the common header (§13.3), the message length against
 * the datagram and against the type's body (§13.4–13.11), and walks the TLVs
 * after the body (§14.1) with every length checked, keeping only the first
 * MANAGEMENT / MANAGEMENT_ERROR_STATUS TLV of a Management message (§15.5);
 * other TLVs are skipped. What a port must decide (domain, its own
 * messages, sequence ids) is left to the port. */
#ifndef GNOMON_PTP_MSG_H
#define GNOMON_PTP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/gtime.h"

#define PTP_HDR_LEN 34
#define PTP_MAX_MSG 1500		/* larger datagrams are dropped as oversized */
#define PTP_VERSION 2

/* messageType, §13.3.2.3 Table 36 */
enum ptp_msgtype {
	PTP_SYNC = 0x0,
	PTP_DELAY_REQ = 0x1,
	PTP_PDELAY_REQ = 0x2,
	PTP_PDELAY_RESP = 0x3,
	PTP_FOLLOW_UP = 0x8,
	PTP_DELAY_RESP = 0x9,
	PTP_PDELAY_RESP_FUP = 0xA,
	PTP_ANNOUNCE = 0xB,
	PTP_SIGNALING = 0xC,
	PTP_MANAGEMENT = 0xD,
};

/* Event messages (types 0-3) are timestamped and go to port 319. */
static inline bool ptp_is_event(unsigned type)
{
	return type < 4;
}

/* flagField, §13.3.2.8 Table 37: octet 0 in the high byte. */
#define PTP_FLAG_ALT_MASTER	0x0100
#define PTP_FLAG_TWO_STEP	0x0200
#define PTP_FLAG_UNICAST	0x0400
#define PTP_FLAG_LEAP61		0x0001
#define PTP_FLAG_LEAP59		0x0002
#define PTP_FLAG_UTC_VALID	0x0004
#define PTP_FLAG_TIMESCALE	0x0008	/* ptpTimescale */
#define PTP_FLAG_TIME_TRACEABLE	0x0010
#define PTP_FLAG_FREQ_TRACEABLE	0x0020

struct ptp_clock_id {
	uint8_t id[8];
};

struct ptp_port_id {
	struct ptp_clock_id clock;
	uint16_t port;
};

/* Timestamp, §5.3.3: 48-bit seconds and nanoseconds (< 10^9). */
struct ptp_ts {
	uint64_t sec;
	uint32_t ns;
};

struct ptp_clock_quality {
	uint8_t clock_class;
	uint8_t accuracy;
	uint16_t variance;	/* offsetScaledLogVariance */
};

/* Common header, §13.3. */
struct ptp_hdr {
	uint8_t type;			/* enum ptp_msgtype (low nibble) */
	uint8_t sdo_id;			/* majorSdoId (high nibble of octet 0) */
	uint8_t version;		/* versionPTP: 2 */
	uint8_t minor_version;		/* minorVersionPTP: 0 or 1 */
	uint16_t length;		/* messageLength */
	uint8_t domain;
	uint8_t minor_sdo_id;
	uint16_t flags;
	int64_t correction;		/* scaled ns (2^-16 ns units) */
	struct ptp_port_id source;
	uint16_t seq;
	uint8_t control;		/* controlField (obsolete, still sent) */
	int8_t log_interval;		/* logMessageInterval */
};

struct ptp_announce {
	struct ptp_ts origin;
	int16_t utc_offset;		/* currentUtcOffset */
	uint8_t gm_priority1;
	struct ptp_clock_quality gm_quality;
	uint8_t gm_priority2;
	struct ptp_clock_id gm_identity;
	uint16_t steps_removed;
	uint8_t time_source;
};

/* managementAction, §15.4.1.6 */
enum ptp_mgmt_action { PTP_MGMT_GET = 0, PTP_MGMT_SET, PTP_MGMT_RESPONSE, PTP_MGMT_COMMAND,
		       PTP_MGMT_ACK };

#define PTP_TLV_MANAGEMENT		0x0001
#define PTP_TLV_MANAGEMENT_ERROR	0x0002

/* managementId, §15.5.2.3 Table 59 (the ones we answer) */
#define PTP_MID_NULL_MANAGEMENT		0x0000
#define PTP_MID_CLOCK_DESCRIPTION	0x0001
#define PTP_MID_DEFAULT_DATA_SET	0x2000
#define PTP_MID_CURRENT_DATA_SET	0x2001
#define PTP_MID_PARENT_DATA_SET		0x2002
#define PTP_MID_TIME_PROPERTIES_DATA_SET 0x2003
#define PTP_MID_PORT_DATA_SET		0x2004
/* managementErrorId, §15.5.4.4 Table 109 */
#define PTP_MERR_NO_SUCH_ID		0x0002
#define PTP_MERR_NOT_SUPPORTED		0x0006

struct ptp_mgmt {
	struct ptp_port_id target;	/* targetPortIdentity */
	uint8_t starting_hops, hops;	/* startingBoundaryHops, boundaryHops */
	uint8_t action;			/* enum ptp_mgmt_action (low nibble) */
	bool has_tlv;			/* false: a Management message without TLV */
	uint16_t tlv_type;		/* PTP_TLV_MANAGEMENT or _ERROR */
	uint16_t id;			/* managementId (the TLV's, also in an error TLV) */
	uint16_t error;			/* managementErrorId for PTP_TLV_MANAGEMENT_ERROR */
	const uint8_t *data;		/* dataField: points into the parsed buffer */
	size_t data_len;
};

struct ptp_msg {
	struct ptp_hdr h;
	union {
		struct ptp_announce announce;
		/* Sync, Delay_Req, Pdelay_Req: originTimestamp; Follow_Up:
		 * preciseOriginTimestamp. */
		struct ptp_ts origin;
		/* Delay_Resp: receiveTimestamp + requestingPortIdentity;
		 * Pdelay_Resp: requestReceiptTimestamp + requesting...;
		 * Pdelay_Resp_Follow_Up: responseOriginTimestamp + requesting... */
		struct {
			struct ptp_ts ts;
			struct ptp_port_id requesting;
		} resp;
		struct ptp_mgmt mgmt;
		/* Signaling: targetPortIdentity; its TLVs are skipped. */
		struct ptp_port_id target;
	} u;
};

enum ptp_parse_err {
	PTP_OK = 0,
	PTP_E_SHORT = -1,	/* shorter than the header or the type's body */
	PTP_E_VERSION = -2,	/* versionPTP not 2 */
	PTP_E_LENGTH = -3,	/* messageLength beyond the datagram, or oversized */
	PTP_E_TYPE = -4,	/* reserved messageType */
	PTP_E_TLV = -5,		/* a TLV runs past messageLength, or odd/short lengths */
	PTP_E_FIELD = -6,	/* a field out of range (nanoseconds >= 10^9) */
};

/* Parse len bytes (a whole datagram, or an L2 payload) into *m. Bytes
 * beyond messageLength (Ethernet padding) are ignored. Returns PTP_OK or a
 * negative enum ptp_parse_err; *m is then undefined. m->u.mgmt.data
 * points into buf. */
int ptp_msg_parse(const uint8_t *buf, size_t len, struct ptp_msg *m);
/* A short name of an error for logs and counters ("short", "version" ...). */
const char *ptp_parse_err_name(int err);
/* The message type's name as pmc and ptp4l print it ("SYNC", "ANNOUNCE"). */
const char *ptp_msgtype_name(unsigned type);

/* Encode *m into buf (cap bytes): the header with messageLength computed
 * (m->h.length is ignored), the body of m->h.type, and for Management the
 * TLV from m->u.mgmt (data_len bytes of data, padded to an even length;
 * ERROR: id and error, no data). controlField is set as §13.3.2.13 wants
 * whatever m->h.control holds. Returns the length, or 0 if cap is too small
 * or the type is unknown. */
size_t ptp_msg_encode(uint8_t *buf, size_t cap, const struct ptp_msg *m);

/* Conversions (§5.3.3; 48-bit seconds). A gt_ns holds times until 2262. */
gt_ns ptp_ts_to_ns(const struct ptp_ts *t);
struct ptp_ts ptp_ts_from_ns(gt_ns ns);	/* ns >= 0 */
/* correctionField (2^-16 ns) to ns, rounded; 0x7fffffffffffffff ("too big
 * to represent", §13.3.2.9) comes back as INT64_MAX. */
gt_ns ptp_corr_to_ns(int64_t corr);
int64_t ptp_corr_from_ns(gt_ns ns);

bool ptp_clock_id_eq(const struct ptp_clock_id *a, const struct ptp_clock_id *b);
bool ptp_port_id_eq(const struct ptp_port_id *a, const struct ptp_port_id *b);
/* "001122.fffe.334455-1" as linuxptp prints a port identity (port < 0:
 * the clock identity alone, "001122.fffe.334455"). buf >= 32 bytes. */
char *ptp_port_id_str(const struct ptp_clock_id *c, int port, char *buf, size_t len);
/* EUI-64 clock identity from a 48-bit MAC (§7.5.2.2.2: the MAC with FF FE
 * inserted in the middle, as linuxptp does). */
void ptp_clock_id_from_mac(struct ptp_clock_id *c, const uint8_t mac[6]);

#endif
