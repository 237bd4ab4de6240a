/* audit: the device time audit (doc/audit.md) — the types shared by its
 * three parts, so that each can be written and tested on its own:
 *
 *   audit_probe  the measuring engine: every device probed asynchronously
 *                on one lib/loop, a few samples each, spaced apart, under
 *                a global rate cap (NTP mode 3, RFC 868 TIME, HTTP Date,
 *                ICMP timestamp). No database, no allocation per packet.
 *   audit_db     the store: devices, runs and results in SQLite (a file)
 *                or PostgreSQL (a postgresql:// URL), one schema and the
 *                same SQL for both.
 *   audit_csv    device lists in and out (CSV, RFC 4180 quoting).
 *
 * gnomonctl (`gnomonctl audit ...`) and gnomond's periodic audit service
 * are both built from these. */
#ifndef GNOMON_AUDIT_H
#define GNOMON_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lib/gtime.h"

/* How a device is measured; resolution is what its reply can tell. */
enum audit_method {
	AUDIT_NTP,	/* NTP mode 3 (RFC 5905), minimum-delay sample: ~delay/2 */
	AUDIT_TIME,	/* RFC 868 TIME over TCP, port 37: 1 s */
	AUDIT_HTTP,	/* the Date header of an HTTP HEAD (RFC 9110 §6.6.1): 1 s */
	AUDIT_ICMP,	/* ICMP timestamp (RFC 792), needs CAP_NET_RAW: 1 ms */
	AUDIT_METHOD_COUNT,
};

enum audit_status {
	AUDIT_OK,		/* measured and within tolerance */
	AUDIT_OFF,		/* measured and off by more than tolerance */
	AUDIT_UNREACHABLE,	/* no valid reply: never counted as good */
	AUDIT_STATUS_COUNT,
};

#define AUDIT_NAME_MAX 128
#define AUDIT_ADDR_MAX 256	/* an address or a host name, as written */
#define AUDIT_GROUP_MAX 64
#define AUDIT_ERROR_MAX 128

#define AUDIT_DEFAULT_PORT_NTP 123
#define AUDIT_DEFAULT_TOLERANCE 0.1	/* seconds */

/* One device as listed in the database. port 0: the method's default. */
struct audit_device {
	int64_t id;			/* database id; 0 before it is stored */
	char name[AUDIT_NAME_MAX];
	char address[AUDIT_ADDR_MAX];
	uint16_t port;
	enum audit_method method;
	double tolerance;		/* seconds, > 0 */
	char group[AUDIT_GROUP_MAX];
	bool enabled;
};

/* One device's result. offset is device minus our clock, in seconds (as
 * ntpdate and chronyc print it); NAN when unreachable, like delay. */
struct audit_result {
	enum audit_status status;
	enum audit_method method;
	double offset, delay;
	double resolution;		/* seconds: what the method can tell */
	int stratum;			/* NTP only; -1 otherwise */
	int leap;			/* NTP only (0..3); -1 otherwise */
	int samples;			/* valid replies used */
	gt_ns measured;			/* CLOCK_REALTIME of the measurement */
	char error[AUDIT_ERROR_MAX];	/* why unreachable (timeout, refused, KoD RATE, ...) */
};

/* Names as stored and printed ("ntp", "time", "http", "icmp"; "ok", "off",
 * "unreachable"); parse returns 0 or -EINVAL. */
const char *audit_method_name(enum audit_method m);
int audit_method_parse(const char *s, enum audit_method *m);
const char *audit_status_name(enum audit_status s);
uint16_t audit_method_default_port(enum audit_method m);

#endif
