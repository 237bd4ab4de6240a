/* snmp_ntp: the NTPv4-MIB (RFC 5907, mib-2.197) instances for a model
 * state. Pure: the caller passes the clock reading and the agent's own
 * figures in ctx. */
#ifndef GNOMON_SNMP_NTP_H
#define GNOMON_SNMP_NTP_H

#include <stdint.h>

#include "snmp/snmp_model.h"
#include "snmp/snmp_vb.h"

/* 1.3.6.1.2.1.197 */
#define SNMP_NTP_MIB_LEN 7
extern const uint32_t snmp_ntp_mib[SNMP_NTP_MIB_LEN];

/* ntpEntNotifBits positions (RFC 5907 §Section 4: bit n = notification n). */
enum snmp_ntp_notif {
	SNMP_NTP_NOTIF_MODE = 1,
	SNMP_NTP_NOTIF_STRATUM = 2,
	SNMP_NTP_NOTIF_SYSPEER = 3,
	SNMP_NTP_NOTIF_ADD_ASSOC = 4,
	SNMP_NTP_NOTIF_REMOVE_ASSOC = 5,
	SNMP_NTP_NOTIF_CONFIG = 6,
	SNMP_NTP_NOTIF_LEAP = 7,
	SNMP_NTP_NOTIF_HEARTBEAT = 8,
};

struct snmp_ntp_ctx {
	const char *version;		/* ntpEntSoftwareVersion */
	const char *system_type;	/* ntpEntSystemType */
	uint32_t resolution;		/* ticks per second */
	int precision;			/* log2 s */
	uint32_t heartbeat;		/* ntpEntHeartbeatInterval, s */
	uint16_t notif_bits;		/* bit n set: notification n enabled */
	uint64_t notifications;		/* ntpEntStatusNotifications */
	double now;			/* CLOCK_REALTIME, Unix s */
};

/* Append every instance of the MIB that st and ctx give values for. */
void snmp_ntp_build(const struct snmp_state *st, const struct snmp_ntp_ctx *ctx,
		    struct snmp_vbl *out);

/* RFC 5905 §6 NTP date (128 bits: era, era offset, 64-bit fraction), big
 * endian, for Unix time t. */
void snmp_ntp_date(double t, uint8_t out[16]);

/* The NTP date at which an announced leap second takes effect: the start of
 * the next month (UTC) after Unix time t (RFC 5905 §7.3: the leap falls on
 * the last second of the month). */
double snmp_ntp_leap_time(double t);

/* InetAddressType and InetAddress (RFC 4001) for a textual address; type 0
 * (unknown) and length 0 when it is not an IP address. Returns the length. */
size_t snmp_inet_address(const char *text, int *type, uint8_t out[16]);

#endif
