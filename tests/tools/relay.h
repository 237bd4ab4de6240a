/*
 * relay: shared types of the UDP impairment relay (tests/tools/relay.c).
 *
 * relay.c      timing, impairment, receive and send threads, main
 * relay_cli.c  command line: addresses, impairment specs, options
 * relay_stats.c  release-error histograms, final report (text and JSON)
 */
#ifndef GNOMON_TESTS_RELAY_H
#define GNOMON_TESTS_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sys/socket.h>

#define NS_PER_SEC 1000000000LL
#define SPIN_MAX_NS 500000LL    /* longest adaptive busy-wait */

enum dir { DIR_FWD, DIR_REV, DIR_COUNT };
enum dist { DIST_UNIFORM, DIST_NORMAL, DIST_EXP, DIST_COUNT };

extern const char *const relay_dir_name[DIR_COUNT];    /* "fwd", "rev" */
extern const char *const relay_dist_name[DIST_COUNT];  /* as in a SPEC */

/* One direction's impairments, as given by --fwd / --rev. */
struct impair_spec {
	int64_t delay_ns;
	int64_t jitter_ns;      /* uniform: +-, normal: sigma, exp: mean */
	enum dist dist;
	double loss, dup, reorder;      /* probabilities */
	int64_t reorder_delay_ns;       /* extra hold of a reordered packet */
};

/* Log-linear histogram of non-negative nanosecond values: exact below 64 ns,
 * then 32 sub-buckets per power of two (about 3 % resolution). */
#define HIST_SUB 32
#define HIST_BINS (64 + (64 - 6) * HIST_SUB)
struct err_hist {
	uint64_t count;
	double sum;
	int64_t max;
	uint64_t bins[HIST_BINS];
};

#define RELAY_APPLIED_MAX 8192

struct dir_stats {
	/* written by the receive thread */
	uint64_t received, dropped, duplicated, reordered;
	uint64_t overflow, no_flow, kernel_ts, fallback_ts, kernel_drops;
	uint64_t late_on_arrival;   /* release time already past when queued */
	struct err_hist rx_lat;     /* kernel receive -> read by the relay */
	/* written by the sender thread */
	uint64_t forwarded, send_errors;
	struct err_hist err;        /* send time - scheduled release time */
	/* send time - kernel receive time of the first RELAY_APPLIED_MAX
	 * datagrams, exactly: the delay the relay really applied, so a test
	 * can compare its distribution with the spec without the endpoints'
	 * own scheduling latency (which a loaded machine inflates). */
	int64_t applied[RELAY_APPLIED_MAX];
	size_t n_applied;
	/* written at exit */
	uint64_t pending_at_exit;
};

struct relay_options {
	struct sockaddr_storage listen_addr, to_addr;
	socklen_t listen_len, to_len;
	/* --bridge A,B instead of --listen/--to: Ethernet frames between two
	 * interfaces (fwd is A -> B), for traffic that is not one unicast UDP
	 * flow (PTP's multicast, Layer 2 frames, ARP). */
	char bridge_if[DIR_COUNT][16];
	bool bridge;
	struct impair_spec spec[DIR_COUNT];
	uint64_t seed;
	const char *stats_file;
	double duration_s;      /* 0: until SIGTERM / SIGINT */
	int64_t spin_ns;        /* 0: adaptive */
	int64_t warm_ns;        /* --warm: warm-up datagram this long before a
				 * release, 0: none */
	int rt_priority;        /* SCHED_FIFO priority, 0: SCHED_OTHER */
	size_t max_pending, max_flows;
};

/* Everything the final report shows; borrowed pointers. */
struct relay_summary {
	const struct relay_options *opt;
	const struct dir_stats *st;     /* [DIR_COUNT] */
	double elapsed_s;
	size_t clients;
	const char *sched;              /* "fifo", "mixed" or "other" */
	int64_t spin_ns;
	bool spin_adaptive;
	uint64_t timed_wakeups, late_wakeups;
	uint64_t warmups;
};

/* Fill *o from argv (defaults first).  Prints what is wrong and returns
 * -EINVAL on a bad command line; exits 0 after --help. */
int relay_parse_options(int argc, char **argv, struct relay_options *o);

/* "1.2.3.4:5" or "[::1]:5" into buf. */
void relay_format_addr(const struct sockaddr_storage *ss, char *buf, size_t len);

/* Count one value (ns; negative counts as 0). */
void relay_hist_add(struct err_hist *h, int64_t v);

/* The report as text (json false) or as one JSON object. */
void relay_print_summary(const struct relay_summary *s, FILE *out, bool json);

/* The JSON report into path, atomically (written aside, then renamed).
 * Returns 0 or a negative errno. */
int relay_write_summary(const struct relay_summary *s, const char *path);

#endif
