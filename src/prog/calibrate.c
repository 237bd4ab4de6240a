/* gnomonctl gateway calibrate: the commissioning measurement of the delay
 * through a one-way gateway (doc/gateway.md, "Calibration"). Run on the
 * receiving side while both sides share a reference clock and gnomond's
 * gateway-receive is stopped: it listens where the receiver would, takes
 * each message's one-way delay (kernel receive time minus the sender's
 * precise transmit time, two-step when the sender provides it), applies
 * the receiver's filter to the delays over sliding windows exactly as the
 * receiver will, and writes the mean filter output as the correction. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gw/gw_conf.h"
#include "gw/gw_corr.h"
#include "gw/gw_filter.h"
#include "gw/gw_msg.h"
#include "lib/util.h"
#include "net/sock.h"
#include "auth/auth.h"
#include "prog/calibrate.h"

#define MAX_SAMPLES 100000
#define HELD 32

struct held {
	uint64_t seq, boot;
	gt_ns rx_real, send;
	bool used;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gnomonctl gateway calibrate --listen ADDR:PORT --out FILE\n"
		"         [--keyfile FILE] [--key ID]... [--noauth] [--duration SECONDS]\n"
		"         [--filter 'min|median|percentile P|band LO HI'] [--window N] [--json]\n"
		"Measures the one-way delay of a gateway sender's messages against this\n"
		"machine's clock (which must share a reference with the sender's) and\n"
		"writes the correction for `correction calibrated FILE`.\n");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int parse_filter(const char *text, struct gw_filter_spec *f)
{
	struct conf_errors errs = { 0 };
	struct conf_ctx ctx = { .file = "--filter", .line = 0, .errs = &errs };
	char buf[128], *argv[8], *save, *w;
	int argc = 0, k;

	snprintf(buf, sizeof(buf), "%s", text);
	for (w = strtok_r(buf, " ", &save); w && argc < 8; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	k = gw_filter_parse(&ctx, argc, argv, f);
	if (k < 0 || k != argc) {
		fprintf(stderr, "gnomonctl: %s\n", errs.count ? errs.msg[0] :
			"--filter: unexpected words");
		return -1;
	}
	return 0;
}

int calibrate_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' }, { "out", required_argument, NULL, 'o' },
		{ "keyfile", required_argument, NULL, 'k' }, { "key", required_argument, NULL, 'K' },
		{ "noauth", no_argument, NULL, 'n' }, { "duration", required_argument, NULL, 'd' },
		{ "filter", required_argument, NULL, 'f' }, { "window", required_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct conf_errors errs = { 0 };
	struct conf_ctx ctx = { .file = "gnomonctl", .line = 0, .errs = &errs };
	struct auth_keys *keys = NULL;
	struct gw_calibration cal;
	struct net_addr on;
	uint16_t port = 0;
	uint32_t accepted[GW_MAX_RECV_KEYS];
	size_t n_acc = 0;
	bool noauth = false, json = false;
	double duration = 60, *d = NULL, *s = NULL, sum, var;
	uint64_t *d_seq = NULL;		/* the message each delay is of; bit 63: two-step */
	const char *out = NULL, *keyfile = NULL;
	struct held held[HELD];
	uint64_t rejected = 0, two_step = 0;
	size_t n = 0, i, k, nw;
	gt_ns end;
	char text[1024], tmp[300];
	int opt, fd = -1, rc = 1, len;
	long v;
	struct tm tm;
	time_t now;

	memset(&on, 0, sizeof(on));
	memset(held, 0, sizeof(held));
	memset(&cal, 0, sizeof(cal));
	gw_filter_default(&cal.filter);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			if (gw_parse_addr_port(&ctx, "--listen", optarg, &on, &port))
				goto bad;
			break;
		case 'o': out = optarg; break;
		case 'k': keyfile = optarg; break;
		case 'K':
			if (n_acc == GW_MAX_RECV_KEYS ||
			    conf_arg_int(&ctx, "--key", optarg, 1, 0xffffffffL, &v))
				goto bad;
			accepted[n_acc++] = (uint32_t)v;
			break;
		case 'n': noauth = true; break;
		case 'd':
			if (conf_arg_double(&ctx, "--duration", optarg, 1, 86400, &duration))
				goto bad;
			break;
		case 'f':
			if (parse_filter(optarg, &cal.filter))
				return 2;
			break;
		case 'w':
			if (conf_arg_int(&ctx, "--window", optarg, 1, GW_FILTER_MAX_WINDOW, &v))
				goto bad;
			cal.filter.window = (int)v;
			break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!port || !out) {
		usage(stderr);
		return 2;
	}
	if (keyfile) {
		keys = auth_keys_load(keyfile, &errs);
		if (!keys)
			goto bad;
		if (!n_acc) {
			n_acc = auth_key_ids(keys, AUTH_SHA256, accepted, GW_MAX_RECV_KEYS);
			if (n_acc > GW_MAX_RECV_KEYS)
				n_acc = GW_MAX_RECV_KEYS;
		}
	}
	if (!n_acc && !noauth) {
		fprintf(stderr, "gnomonctl: no key to accept: give --keyfile (and --key) or --noauth\n");
		return 2;
	}
	fd = sock_udp_open(&on, port, SOCK_RX_TIMESTAMP);
	if (fd < 0) {
		fprintf(stderr, "gnomonctl: cannot listen on port %u: %s\n", port, strerror(-fd));
		goto done;
	}
	d = xcalloc(MAX_SAMPLES, sizeof(*d));
	d_seq = xcalloc(MAX_SAMPLES, sizeof(*d_seq));
	end = gt_now(CLOCK_MONOTONIC) + gt_from_sec(duration);
	while (n < MAX_SAMPLES) {
		uint8_t buf[GW_MSG_MAX_LEN + 64];
		struct pollfd pfd = { fd, POLLIN, 0 };
		struct sock_rx_info rx;
		struct net_addr from;
		struct gw_msg m;
		gt_ns left = end - gt_now(CLOCK_MONOTONIC);
		ssize_t got;
		bool trunc;

		if (left <= 0)
			break;
		if (poll(&pfd, 1, (int)(left / GT_NS_PER_MS) + 1) <= 0)
			continue;
		got = sock_recv_one(fd, buf, sizeof(buf), &from, &rx, &trunc);
		if (got == -1)
			continue;
		if (got < 0 ||
		    gw_msg_decode(buf, (size_t)got, keys, accepted, n_acc, noauth, &m) != GW_MSG_OK) {
			rejected++;
			continue;
		}
		if (m.flags & GW_FLAG_PREV_TX) {
			for (k = 0; k < HELD; k++) {
				struct held *e = &held[k];

				if (e->rx_real && !e->used && e->seq == m.prev_seq &&
				    e->boot == m.boot_id) {
					e->used = true;
					d_seq[n] = e->seq | UINT64_C(1) << 63;
					d[n++] = gt_to_sec(e->rx_real - m.prev_tx_time);
					two_step++;
					break;
				}
			}
		} else {
			d_seq[n] = m.seq;
			d[n++] = gt_to_sec(rx.rx_real - (m.tx_time - m.correction));
		}
		held[m.seq % HELD] = (struct held){ m.seq, m.boot_id, rx.rx_real,
						    m.tx_time - m.correction, false };
	}
	if (n < (size_t)cal.filter.window || n < 2) {
		fprintf(stderr, "gnomonctl: only %zu usable messages in %.0f s (%llu rejected): "
			"too few to calibrate\n", n, duration, (unsigned long long)rejected);
		goto done;
	}
	/* Raw statistics of the delays, then the filter over every window in
	 * arrival order, as the receiver runs it. */
	s = xcalloc(n, sizeof(*s));
	memcpy(s, d, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	for (sum = 0, i = 0; i < n; i++)
		sum += s[i];
	cal.mean = sum / (double)n;
	for (var = 0, i = 0; i < n; i++)
		var += (s[i] - cal.mean) * (s[i] - cal.mean);
	cal.stddev = sqrt(var / (double)(n - 1));
	cal.min = s[0];
	cal.max = s[n - 1];
	cal.median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	nw = n - (size_t)cal.filter.window + 1;
	for (sum = 0, i = 0; i < nw; i++)
		sum += gw_filter_apply(&cal.filter, d + i, (size_t)cal.filter.window);
	cal.delay = sum / (double)nw;
	cal.samples = (long)n;
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(cal.date, sizeof(cal.date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	len = gw_calibration_format(&cal, text, sizeof(text));
	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	{
		int ofd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (ofd < 0 || len < 0 || write(ofd, text, (size_t)len) != len || fsync(ofd) < 0 ||
		    close(ofd) < 0 || rename(tmp, out) < 0) {
			fprintf(stderr, "gnomonctl: cannot write %s: %s\n", out, strerror(errno));
			if (ofd >= 0)
				unlink(tmp);
			goto done;
		}
	}
	if (json) {
		printf("{\"file\":\"%s\",\"samples\":%zu,\"two_step\":%llu,\"rejected\":%llu,"
		       "\"delay\":%.9f,\"mean\":%.9f,\"median\":%.9f,\"min\":%.9f,\"max\":%.9f,"
		       "\"stddev\":%.9f,\"messages\":[", out, n, (unsigned long long)two_step,
		       (unsigned long long)rejected, cal.delay, cal.mean, cal.median, cal.min,
		       cal.max, cal.stddev);
		/* Each delay with its message, in the order used: to plot, or
		 * to compare with a capture of the same messages. */
		for (i = 0; i < n; i++)
			printf("%s[%llu,%.9f,%s]", i ? "," : "",
			       (unsigned long long)(d_seq[i] & ~(UINT64_C(1) << 63)), d[i],
			       d_seq[i] >> 63 ? "true" : "false");
		printf("]}\n");
	} else
		printf("%zu messages (%llu two-step, %llu rejected): correction %.1f us "
		       "(delay mean %.1f, median %.1f, min %.1f, max %.1f, sd %.1f us) -> %s\n",
		       n, (unsigned long long)two_step, (unsigned long long)rejected,
		       cal.delay * 1e6, cal.mean * 1e6, cal.median * 1e6, cal.min * 1e6,
		       cal.max * 1e6, cal.stddev * 1e6, out);
	rc = 0;
	goto done;
bad:
	fprintf(stderr, "gnomonctl: %s\n", errs.count ? errs.msg[0] : "bad arguments");
	rc = 2;
done:
	if (fd >= 0)
		close(fd);
	free(d);
	free(d_seq);
	free(s);
	auth_keys_destroy(keys);
	return rc;
}
