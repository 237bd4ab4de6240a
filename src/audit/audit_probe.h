/* audit_probe: the measuring engine. Every device is probed on one
 * lib/loop (no thread per device): `samples` requests per device, `spacing`
 * apart (servers rate-limit: chrony answers a burst of 8 per 8 s), at most
 * `rate` requests a second over the whole run, at most `inflight` TCP
 * connections at once. One UDP socket per address family serves every NTP
 * request; replies are matched by source address, port and the request's
 * transmit-timestamp cookie, so a spoofed or stale reply is dropped and
 * counted, never taken.
 *
 * A device is classified only from valid replies: none gives
 * AUDIT_UNREACHABLE with the reason. NTP takes the minimum-delay sample
 * (RFC 5905 §10 clock filter, as ntpdate -q). The 1 s methods compare with
 * the tolerance plus their resolution, so a device is `off` only when it is
 * surely off (doc/audit.md). */
#ifndef GNOMON_AUDIT_PROBE_H
#define GNOMON_AUDIT_PROBE_H

#include "audit/audit.h"

struct loop;
struct audit_probe;

struct audit_probe_opts {
	int samples;		/* per device (default 4; 1..16) */
	double spacing;		/* seconds between a device's samples (default 2) */
	double timeout;		/* seconds a request waits (default 1) */
	unsigned rate;		/* requests per second over the run (default 5000) */
	unsigned inflight;	/* TCP connections at once (default 256; 1..4096) */
	int icmp_fd;		/* a raw ICMP socket opened while privileged, or -1 */
	/* Called on the loop as each device is done (may be NULL). */
	void (*on_result)(void *arg, size_t index, const struct audit_result *r);
	/* Called once when every device is done. */
	void (*on_done)(void *arg);
	void *arg;
};

/* Fill o with the defaults above. */
void audit_probe_opts_default(struct audit_probe_opts *o);

/* Start probing devs[0..n-1] on loop l; results land in res[0..n-1] (the
 * caller owns both arrays and keeps them until on_done or destroy). Host
 * names are resolved before the first packet. NULL with -errno in *err. */
struct audit_probe *audit_probe_start(struct loop *l, const struct audit_device *devs,
				      struct audit_result *res, size_t n,
				      const struct audit_probe_opts *o, int *err);

/* Devices done so far (for a progress bar). */
size_t audit_probe_done(const struct audit_probe *p);

/* What the engine saw on the wire so far (added for the benchmark and
 * the metrics): every reply that was not taken is counted somewhere. */
struct audit_probe_stats {
	uint64_t requests;	/* NTP datagrams, TCP connections, ICMP requests sent */
	uint64_t replies;	/* valid replies taken as samples */
	uint64_t unmatched;	/* datagrams matching no outstanding request: dropped */
	uint64_t malformed;	/* replies from a probed device that did not parse */
	uint64_t kod;		/* NTP kiss-o'-death replies */
	uint64_t unsync;	/* NTP replies from an unsynchronised server */
	uint64_t timeouts;	/* requests that got no valid reply in time */
	uint64_t errors;	/* send/connect errors (refused included) */
};
void audit_probe_stats(const struct audit_probe *p, struct audit_probe_stats *s);

/* Stop (if still running) and free; results already written stay.
 * Not from within on_result (on_done may destroy). */
void audit_probe_destroy(struct audit_probe *p);

/* Convenience for command-line use: a private loop run to the end.
 * 0 or -errno (results are in res either way). */
int audit_probe_run(const struct audit_device *devs, struct audit_result *res, size_t n,
		    const struct audit_probe_opts *o);

/* The reply parsers (pure functions over a buffer, fuzzed): each returns 0
 * and the device's time, or -EINVAL/-EPROTO for a malformed reply. */
struct audit_ntp_reply {
	gt_ns t2, t3;		/* device receive and transmit, as UNIX ns */
	int stratum, leap, mode;
	uint32_t refid;
	bool kod;		/* stratum 0 kiss-o'-death (refid is the code) */
};
int audit_parse_ntp(const uint8_t *buf, size_t len, uint64_t expect_origin,
		    struct audit_ntp_reply *out);
/* RFC 868: 4 bytes, seconds since 1900 (era chosen near `now`). */
int audit_parse_time(const uint8_t *buf, size_t len, gt_ns now, gt_ns *out);
/* An HTTP/1.x response head: status line and the Date header (IMF-fixdate,
 * and the obsolete RFC 850 and asctime forms, RFC 9110 §5.6.7). */
int audit_parse_http_date(const char *buf, size_t len, gt_ns *out);
/* ICMP timestamp reply (type 14), after the IP header: ms since midnight UT
 * (RFC 792; the high bit set means a non-standard value: -EPROTO). */
int audit_parse_icmp_ts(const uint8_t *buf, size_t len, uint16_t id, uint16_t seq,
			uint32_t *originate, uint32_t *receive, uint32_t *transmit);

#endif
