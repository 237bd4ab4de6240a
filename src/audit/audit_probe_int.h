/* audit_probe_int: the engine's state, shared by its method files
 * (audit_ntp.c, audit_tcp.c, audit_icmp.c) and its scheduler
 * (audit_probe.c). Not a public interface. */
#ifndef GNOMON_AUDIT_PROBE_INT_H
#define GNOMON_AUDIT_PROBE_INT_H

#include "audit/audit_probe.h"
#include "net/addr.h"

struct loop;
struct loop_timer;

enum ap_state {
	AP_WAIT,	/* next sample scheduled (or queued for a TCP slot) */
	AP_INFLIGHT,	/* a request out, its timeout scheduled */
	AP_DONE,
};

/* Why a sample failed, kept per device to explain an unreachable one;
 * the highest seen wins (a KoD says more than a timeout). */
enum ap_fail {
	AP_FAIL_NONE,
	AP_FAIL_TIMEOUT,
	AP_FAIL_NET,		/* connect/send error: errno in fail_errno */
	AP_FAIL_REFUSED,
	AP_FAIL_MALFORMED,
	AP_FAIL_UNSYNC,
	AP_FAIL_KOD,
	AP_FAIL_SETUP,		/* resolution, family, privilege: error already set */
};

struct ap_dev {
	struct net_addr addr;
	uint16_t port;
	enum audit_method method;
	enum ap_state state;
	uint8_t sent, valid;
	uint8_t fail;		/* enum ap_fail */
	int fail_errno;
	uint32_t kod_code;
	uint32_t gen;		/* bumped on every state change: stale events die */
	uint32_t addr_next;	/* next NTP device with the same address (or UINT32_MAX) */
	uint64_t key;		/* outstanding request's match key, 0 none */
	int conn;		/* TCP connection slot, -1 none */
	gt_ns t1_real, t1_mono;	/* the outstanding request's send time */
	double tolerance;
	/* The best (minimum-delay) sample so far. */
	double best_offset, best_delay;
	int stratum, leap;
	int rx_stratum, rx_leap;	/* of the latest NTP reply (set before ap_sample) */
	gt_ns measured;
};

/* An open-addressing table from a 64-bit key (never 0) to a device. */
struct ap_keymap {
	uint64_t *keys;
	uint32_t *vals;
	size_t mask;
};

struct ap_event {
	gt_ns due;		/* CLOCK_MONOTONIC */
	uint32_t dev, gen;
};

struct ap_heap {
	struct ap_event *v;
	size_t n, cap;
};

#define AP_TCP_BUF 2048

struct ap_conn {
	struct audit_probe *p;
	int fd;			/* -1: slot free */
	uint32_t dev;
	bool connected;
	size_t len;
	gt_ns t4_real;		/* first byte of the reply, 0 before */
	char buf[AP_TCP_BUF];
};

struct audit_probe {
	struct loop *loop;
	const struct audit_device *devs;
	struct audit_result *res;
	size_t n, done;
	struct audit_probe_opts o;
	struct ap_dev *d;
	gt_ns spacing, timeout;

	struct ap_heap sends, timeouts;
	/* Devices whose send time came while every TCP slot was busy, FIFO. */
	uint32_t *tcp_wait;
	size_t tcp_wait_head, tcp_wait_len;

	/* The global token bucket (RFC-free politeness: opts.rate). */
	double tokens, burst;
	gt_ns tokens_at;

	struct loop_timer *timer, *done_timer;
	gt_ns timer_due;

	/* NTP: one socket per family, matched by cookie, then by address. */
	int udp_fd[2];		/* [0] AF_INET, [1] AF_INET6 */
	struct ap_keymap ntp_keys;
	struct ap_keymap ntp_addrs;	/* address hash -> first device */
	uint8_t rnd[512];
	size_t rnd_left;

	/* TIME/HTTP. */
	struct ap_conn *conns;
	unsigned *conn_free;	/* stack of free slots */
	unsigned inflight;

	/* ICMP timestamp. */
	int icmp_fd;
	bool icmp_own;
	int icmp_errno;		/* why no socket (EPERM...), 0 if fine */
	uint16_t icmp_id, icmp_seq;
	struct ap_keymap icmp_keys;

	struct audit_probe_stats st;
	bool in_service;
};

/* Scheduler hooks for the method files. */
uint64_t ap_random64(struct audit_probe *p);
void ap_keymap_put(struct ap_keymap *m, uint64_t key, uint32_t val);
bool ap_keymap_take(struct ap_keymap *m, uint64_t key, uint32_t *val);
/* Remove key only if it still names device i. */
void ap_keymap_drop(struct ap_keymap *m, uint64_t key, uint32_t i);
/* A request of device i went out now: track its timeout. */
void ap_sent(struct audit_probe *p, uint32_t i);
/* Device i's outstanding request ended: a valid sample (offset and
 * delay in seconds), or a failure. Schedules the next or finishes. */
void ap_sample(struct audit_probe *p, uint32_t i, double offset, double delay);
void ap_failed(struct audit_probe *p, uint32_t i, enum ap_fail why, int err);
/* A request that could not even be sent: counts as sent, then failed. */
void ap_send_failed(struct audit_probe *p, uint32_t i, enum ap_fail why, int err);
/* Re-arm the engine's one loop timer after an fd callback. */
void ap_arm(struct audit_probe *p);
/* The first NTP device probed at (a, port), or UINT32_MAX. */
uint32_t ap_ntp_first_at(struct audit_probe *p, const struct net_addr *a, uint16_t port);

/* Methods: start a request for device i (a token is already spent);
 * on an immediate failure they call ap_failed themselves. */
int ap_ntp_open(struct audit_probe *p);
void ap_ntp_close(struct audit_probe *p);
void ap_ntp_send(struct audit_probe *p, uint32_t i);
void ap_ntp_timeout(struct audit_probe *p, uint32_t i);
/* Take every reply already queued (before timeouts are judged). */
void ap_ntp_pending(struct audit_probe *p);

void ap_tcp_init(struct audit_probe *p);
void ap_tcp_close(struct audit_probe *p);
void ap_tcp_send(struct audit_probe *p, uint32_t i);
void ap_tcp_timeout(struct audit_probe *p, uint32_t i);

int ap_icmp_open(struct audit_probe *p);
void ap_icmp_close(struct audit_probe *p);
void ap_icmp_send(struct audit_probe *p, uint32_t i);
void ap_icmp_timeout(struct audit_probe *p, uint32_t i);
void ap_icmp_pending(struct audit_probe *p);

#endif
