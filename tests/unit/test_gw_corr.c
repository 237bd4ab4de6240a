/* Unit tests for the gateway's receiver filters (src/gw/gw_filter.c) and
 * the sender's correction methods and calibration file (src/gw/gw_corr.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gw/gw_corr.h"
#include "gw/gw_filter.h"
#include "prog/daemon_conf.h"

#define assert_near(a, b, tol) do { \
	double a_ = (a), b_ = (b); \
	if (!(fabs(a_ - b_) <= (tol))) fail_msg("%s = %.12g, expected %.12g", #a, a_, b_); \
} while (0)

/* Split text (copied into buf) into at most 16 words. */
static int split(const char *text, char *buf, size_t len, char **argv)
{
	char *save, *w;
	int argc = 0;

	snprintf(buf, len, "%s", text);
	for (w = strtok_r(buf, " ", &save); w && argc < 16; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	return argc;
}

static int parse_words(const char *text, struct gw_filter_spec *f, struct conf_errors *errs)
{
	struct conf_ctx ctx = { .file = "t", .line = 3, .errs = errs };
	char buf[128], *argv[16];
	int argc = split(text, buf, sizeof(buf), argv);

	memset(errs, 0, sizeof(*errs));
	gw_filter_default(f);
	return gw_filter_parse(&ctx, argc, argv, f);
}

static void test_filter_statistics(void **state)
{
	const double v[] = { 5, 1, 4, 2, 3, 9, 7, 6, 8, 10 };	/* 1..10 shuffled */
	struct gw_filter_spec f;
	struct conf_errors errs;

	(void)state;
	gw_filter_default(&f);
	assert_int_equal(f.kind, GW_FILTER_MIN);
	assert_int_equal(f.window, GW_FILTER_DEFAULT_WINDOW);
	assert_near(gw_filter_apply(&f, v, 10), 1, 0);
	assert_true(isnan(gw_filter_apply(&f, v, 0)));
	assert_int_equal(parse_words("median", &f, &errs), 1);
	assert_near(gw_filter_apply(&f, v, 10), 5.5, 1e-12);
	assert_near(gw_filter_apply(&f, v, 9), 5, 1e-12);
	assert_int_equal(parse_words("percentile 0", &f, &errs), 2);
	assert_near(gw_filter_apply(&f, v, 10), 1, 0);
	assert_int_equal(parse_words("percentile 100", &f, &errs), 2);
	assert_near(gw_filter_apply(&f, v, 10), 10, 0);
	assert_int_equal(parse_words("percentile 25", &f, &errs), 2);
	assert_near(gw_filter_apply(&f, v, 10), 3.25, 1e-12);	/* rank 2.25 */
	/* band: the mean of the values between two percentiles. */
	assert_int_equal(parse_words("band 0 50 extra", &f, &errs), 3);
	assert_near(gw_filter_apply(&f, v, 10), 3, 1e-12);		/* 1..5 */
	assert_int_equal(parse_words("band 20 80", &f, &errs), 3);
	assert_near(gw_filter_apply(&f, v, 10), 5.5, 1e-12);	/* 3..8 */
	/* One value: every statistic is that value. */
	assert_near(gw_filter_apply(&f, v, 1), 5, 0);
	/* The input is not reordered. */
	assert_near(v[0], 5, 0);
}

static void test_filter_errors(void **state)
{
	struct gw_filter_spec f;
	struct conf_errors errs;

	(void)state;
	assert_int_equal(parse_words("mean", &f, &errs), -1);
	assert_non_null(strstr(errs.msg[0], "t:3:"));
	assert_non_null(strstr(errs.msg[0], "min, median, percentile P or band LO HI"));
	assert_int_equal(parse_words("percentile", &f, &errs), -1);
	assert_int_equal(parse_words("percentile 101", &f, &errs), -1);
	assert_int_equal(parse_words("percentile -1", &f, &errs), -1);
	assert_int_equal(parse_words("band 50 50", &f, &errs), -1);
	assert_non_null(strstr(errs.msg[0], "above"));
	assert_int_equal(parse_words("band 60 10", &f, &errs), -1);
	assert_int_equal(parse_words("band 10", &f, &errs), -1);
	assert_int_equal(parse_words("", &f, &errs), -1);
}

static int corr(const char *text, struct gw_corr *c, struct conf_errors *errs)
{
	struct conf_ctx ctx = { .file = "g.conf", .line = 7, .errs = errs };
	char buf[512], *argv[16];
	int argc = split(text, buf, sizeof(buf), argv);

	memset(errs, 0, sizeof(*errs));
	return gw_corr_parse(&ctx, argc, argv, c);
}

static void test_correction_methods(void **state)
{
	struct gw_corr c;
	struct conf_errors errs;

	(void)state;
	assert_int_equal(corr("none", &c, &errs), 0);
	assert_near(gw_corr_delay(&c, 100, false), 0, 0);
	assert_int_equal(corr("fixed 0.0005", &c, &errs), 0);
	assert_near(gw_corr_delay(&c, 100, false), 0.0005, 0);
	assert_string_equal(gw_corr_method_name(c.method), "fixed");
	/* 100-byte payload over IPv4 Ethernet: 166 bytes on the wire, 1328
	 * bits; at 100 Mbit/s 13.28 us a hop; 3 hops + 50 us latency. */
	assert_int_equal(corr("formula bitrate 100e6 hops 3 latency 0.00005", &c, &errs), 0);
	assert_near(gw_corr_delay(&c, 100, false), 3 * 13.28e-6 + 50e-6, 1e-12);
	assert_near(gw_corr_delay(&c, 100, true), 3 * 186 * 8 / 100e6 + 50e-6, 1e-12);
	/* A tiny payload still fills the minimum Ethernet frame. */
	assert_near(gw_corr_delay(&c, 1, false), 3 * 84 * 8 / 100e6 + 50e-6, 1e-12);
	assert_int_equal(corr("formula bitrate 1e9", &c, &errs), 0);
	assert_int_equal(c.hops, 1);
	assert_near(gw_corr_delay(&c, 100, false), 1328 / 1e9, 1e-15);
	/* Errors name the file and line, and what is allowed. */
	assert_int_not_equal(corr("formula hops 2", &c, &errs), 0);
	assert_non_null(strstr(errs.msg[0], "g.conf:7:"));
	assert_non_null(strstr(errs.msg[0], "bitrate BPS is required"));
	assert_int_not_equal(corr("formula bitrate 10", &c, &errs), 0);	/* below 1000 */
	assert_int_not_equal(corr("formula bitrate 1e9 speed 3", &c, &errs), 0);
	assert_non_null(strstr(errs.msg[0], "allowed: bitrate BPS, hops N, latency SECONDS"));
	assert_int_not_equal(corr("fixed", &c, &errs), 0);
	assert_int_not_equal(corr("fixed -1", &c, &errs), 0);
	assert_int_not_equal(corr("guess 3", &c, &errs), 0);
	assert_non_null(strstr(errs.msg[0], "calibrated FILE"));
	assert_int_not_equal(corr("", &c, &errs), 0);
	assert_int_not_equal(corr("calibrated /nonexistent/gw.cal", &c, &errs), 0);
	assert_non_null(strstr(errs.msg[0], "cannot open"));
}

static void test_calibration_round_trip(void **state)
{
	struct gw_calibration a, b;
	struct conf_errors errs;
	struct gw_corr c;
	char text[1024], path[] = "/tmp/gw-cal-XXXXXX", line[600];
	int n, fd;

	(void)state;
	memset(&a, 0, sizeof(a));
	snprintf(a.date, sizeof(a.date), "2026-11-21T08:00:00Z");
	a.samples = 240;
	gw_filter_default(&a.filter);
	a.filter.kind = GW_FILTER_BAND;
	a.filter.lo = 10;
	a.filter.hi = 40;
	a.filter.window = 16;
	a.delay = 0.000512345678;
	a.mean = 0.0005;
	a.median = 0.00049;
	a.min = 0.0004;
	a.max = 0.0006;
	a.stddev = 0.0000577;
	n = gw_calibration_format(&a, text, sizeof(text));
	assert_true(n > 0);
	assert_int_equal(gw_calibration_parse(text, (size_t)n, "cal", &b, &errs), 0);
	assert_string_equal(b.date, a.date);
	assert_int_equal(b.samples, 240);
	assert_int_equal(b.filter.kind, GW_FILTER_BAND);
	assert_int_equal(b.filter.window, 16);
	assert_near(b.filter.lo, 10, 0);
	assert_near(b.delay, a.delay, 1e-9);	/* written to the nanosecond */
	assert_near(b.stddev, a.stddev, 1e-9);
	assert_int_equal(gw_calibration_format(&a, line, 20), -1);	/* too small */
	/* Through a file, as `correction calibrated FILE` reads it. */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, (size_t)n), n);
	close(fd);
	snprintf(line, sizeof(line), "calibrated %s", path);
	if (corr(line, &c, &errs))
		fail_msg("%s", errs.msg[0]);
	assert_near(gw_corr_delay(&c, 100, false), a.delay, 1e-9);
	unlink(path);
}

static void test_calibration_malformed(void **state)
{
	static const struct { const char *text; const char *want; } cases[] = {
		{ "", "empty" },
		{ "delay 0.001\n", "not a gateway calibration file" },
		{ "gnomon-gateway-calibration 2\ndelay 0.001\n", "not a gateway calibration" },
		{ "gnomon-gateway-calibration 1\n", "no 'delay' line" },
		{ "gnomon-gateway-calibration 1\ndelay\n", "cal:2:" },
		{ "gnomon-gateway-calibration 1\ndelay abc\n", "cal:2:" },
		{ "gnomon-gateway-calibration 1\ndelay 11\n", "cal:2:" },
		{ "gnomon-gateway-calibration 1\ndelay 0.001\nwindow 0\n", "cal:3:" },
		{ "gnomon-gateway-calibration 1\ndelay 0.001\nfilter band 5\n", "cal:3:" },
		{ "gnomon-gateway-calibration 1\ndelay 0.001\nfilter min x\n", "unexpected 'x'" },
		{ "gnomon-gateway-calibration 1\ndelay 0.001\nspeed 4\n", "allowed: date" },
		{ "gnomon-gateway-calibration 1\nsamples -3\ndelay 0.001\n", "cal:2:" },
	};
	struct gw_calibration cal;
	struct conf_errors errs;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int n = gw_calibration_parse(cases[i].text, strlen(cases[i].text), "cal", &cal,
					     &errs);

		if (n == 0 || !strstr(errs.msg[0], cases[i].want))
			fail_msg("case %zu: %d error(s), first '%s', wanted '%s'", i, n,
				 n ? errs.msg[0] : "", cases[i].want);
	}
	/* Comments and blank lines are fine; a NUL byte is not. */
	{
		const char *ok = "# c\n\ngnomon-gateway-calibration 1 # x\ndelay 0.0002\n";

		assert_int_equal(gw_calibration_parse(ok, strlen(ok), "cal", &cal, &errs), 0);
	}
	assert_near(cal.delay, 0.0002, 0);
	assert_int_not_equal(gw_calibration_parse("gnomon-gateway-calibration 1\n\0delay 1\n", 38,
						  "cal", &cal, &errs), 0);
}

/* The gateway directives through gnomond's configuration parser. */
static void test_gateway_directives(void **state)
{
	static const char good[] =
		"gateway-send to 198.18.9.2:4123 bind veth0 interval 0.5 key 3 "
		"correction formula bitrate 1e9 hops 2 latency 0.0001\n"
		"gateway-send to [2001:db8::1]:4123 bind 2001:db8::2 correction fixed 0.0005\n"
		"gateway-receive on 0.0.0.0:4123 from 198.18.9.1 key 3 4 filter band 5 30 "
		"window 16 silent 4 maxloss 2.5 agree 6 agreetol 0.05\n";
	static const struct { const char *text; const char *want; } bad[] = {
		{ "gateway-send to 1.2.3.4\n", "not ADDRESS:PORT" },
		{ "gateway-send to 1.2.3.4:0\n", "gateway-send to" },
		{ "gateway-send to [::1:9\n", "not ADDRESS:PORT" },
		{ "gateway-send 1.2.3.4:9\n", "expected: gateway-send to ADDR:PORT" },
		{ "gateway-send to 1.2.3.4:9 interval 0\n", "interval" },
		{ "gateway-send to 1.2.3.4:9 bind ::1\n", "address family" },
		{ "gateway-send to 1.2.3.4:9 bind a/b\n", "neither an address" },
		{ "gateway-send to 1.2.3.4:9 speed 3\n", "allowed: bind ADDR|IFACE" },
		{ "gateway-send to 1.2.3.4:9 correction formula hops 2\n", "bitrate BPS is required" },
		{ "gateway-receive on 1.2.3.4:9 key 3 noauth\n", "contradict" },
		{ "gateway-receive on 1.2.3.4:9 key\n", "allowed: from ADDR" },
		{ "gateway-receive on 1.2.3.4:9 key x\n", "key needs one or more ids" },
		{ "gateway-receive on 1.2.3.4:9 filter mean\n", "min, median, percentile P" },
		{ "gateway-receive on 1.2.3.4:9 window 0\n", "window" },
		{ "gateway-receive on 1.2.3.4:9 maxloss 101\n", "maxloss" },
		{ "gateway-receive at 1.2.3.4:9\n", "expected: gateway-receive on" },
		{ "gateway-receive on 1.2.3.4:9 agree 0\n", "agree" },
		{ "gateway-receive on 1.2.3.4:9 agree 17\n", "agree" },
		{ "gateway-receive on 1.2.3.4:9 agree\n", "agree N" },
		{ "gateway-receive on 1.2.3.4:9 agreetol 0\n", "agreetol" },
		{ "gateway-receive on 1.2.3.4:9 agreetol 11\n", "agreetol" },
		{ "statedir var/lib/gnomon\n", "not an absolute path" },
		{ "statedir\n", "statedir" },
		{ "statedir /a /b\n", "statedir" },
	};
	struct conf_errors errs;
	struct dconf cfg;
	size_t i;

	(void)state;
	dconf_init(&cfg);
	if (dconf_parse_buffer(&cfg, "gw.conf", good, sizeof(good) - 1, &errs))
		fail_msg("%s", errs.msg[0]);
	assert_int_equal(cfg.n_gw_send, 2);
	assert_string_equal(cfg.gw_send[0].bind_if, "veth0");
	assert_int_equal(cfg.gw_send[0].port, 4123);
	assert_int_equal(cfg.gw_send[0].key, 3);
	assert_near(cfg.gw_send[0].interval, 0.5, 0);
	assert_int_equal(cfg.gw_send[0].corr.method, GW_CORR_FORMULA);
	assert_int_equal(cfg.gw_send[0].corr.hops, 2);
	assert_true(cfg.gw_send[1].bind_is_addr);
	assert_int_equal(cfg.gw_send[1].to.family, AF_INET6);
	assert_near(gw_corr_delay(&cfg.gw_send[1].corr, 80, true), 0.0005, 0);
	assert_true(cfg.gw_recv_on);
	assert_int_equal(cfg.gw_recv.n_keys, 2);
	assert_int_equal(cfg.gw_recv.keys[1], 4);
	assert_true(cfg.gw_recv.has_from);
	assert_int_equal(cfg.gw_recv.filter.kind, GW_FILTER_BAND);
	assert_int_equal(cfg.gw_recv.filter.window, 16);
	assert_int_equal(cfg.gw_recv.silent, 4);
	assert_near(cfg.gw_recv.maxloss, 2.5, 0);
	assert_int_equal(cfg.gw_recv.agree, 6);
	assert_near(cfg.gw_recv.agreetol, 0.05, 0);
	assert_string_equal(cfg.statedir, "/var/lib/gnomon");
	dconf_fini(&cfg);
	/* Defaults of the receiver's agreement, and a statedir given. */
	dconf_init(&cfg);
	if (dconf_parse_buffer(&cfg, "gw.conf", "gateway-receive on 1.2.3.4:9\nstatedir /srv/gn\n",
			       46, &errs))
		fail_msg("%s", errs.msg[0]);
	assert_int_equal(cfg.gw_recv.agree, 4);
	assert_near(cfg.gw_recv.agreetol, 0.02, 1e-12);
	assert_string_equal(cfg.statedir, "/srv/gn");
	dconf_fini(&cfg);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		dconf_init(&cfg);
		if (!dconf_parse_buffer(&cfg, "gw.conf", bad[i].text, strlen(bad[i].text), &errs) ||
		    !strstr(errs.msg[0], bad[i].want) || !strstr(errs.msg[0], "gw.conf:1:"))
			fail_msg("case %zu: '%s', wanted '%s'", i, errs.count ? errs.msg[0] : "",
				 bad[i].want);
		dconf_fini(&cfg);
	}
}

/* The window: apparent delays on the clock as mapped now, the newest
 * `window` of them, offset = newest correction - statistic. */
static void test_delay_window(void **state)
{
	struct gw_delay_window w;
	struct gw_filter_spec f;
	struct clk_map map = { 0 };
	double off, stat, jit;
	gt_ns t0 = INT64_C(1700000000) * GT_NS_PER_S;
	int i;

	(void)state;
	gw_filter_default(&f);
	gw_window_reset(&w);
	assert_null(gw_window_newest(&w));
	assert_false(gw_window_offset(&w, &f, &map, &off, &stat, &jit));
	/* Sent at t0 + i s, each arriving 500 + (i % 4) * 10 us later by a
	 * clock 2 ms behind; the sender corrected by 480 us. */
	for (i = 0; i < 20; i++)
		gw_window_push(&w, t0 + i * GT_NS_PER_S + 500000 + (i % 4) * 10000 - 2000000,
			       t0 + i * GT_NS_PER_S, 480000);
	assert_true(gw_window_offset(&w, &f, &map, &off, &stat, &jit));
	/* The least of the newest 8 apparent delays: 500 us - 2 ms. */
	assert_near(stat, 500e-6 - 2e-3, 1e-9);
	assert_near(off, 480e-6 - stat, 1e-9);
	assert_true(jit > 10e-6 && jit < 13e-6);
	/* The clock is now mapped 2 ms ahead: every entry moves with it. */
	map.offset = 2000000;
	assert_true(gw_window_offset(&w, &f, &map, &off, &stat, NULL));
	assert_near(stat, 500e-6, 1e-9);
	assert_near(off, -20e-6, 1e-9);
	/* A window of one: the newest alone (i = 19: 530 us). */
	f.window = 1;
	assert_true(gw_window_offset(&w, &f, &map, &off, NULL, NULL));
	assert_near(off, 480e-6 - 530e-6, 1e-9);
	/* More entries than the ring holds: the oldest are overwritten. */
	for (i = 0; i < 300; i++)
		gw_window_push(&w, t0 + 700000, t0, 0);
	assert_int_equal(w.n, GW_FILTER_MAX_WINDOW);
	f.window = GW_FILTER_MAX_WINDOW;
	assert_true(gw_window_offset(&w, &f, &map, &off, NULL, &jit));
	assert_near(off, -2.7e-3, 1e-9);
	assert_near(jit, 0, 1e-12);
}

/* One sample per window of new delays (gw_window_due), and the
 * statistic's message dates the sample. */
static void test_window_decimate(void **state)
{
	struct gw_delay_window w;
	struct gw_filter_spec f;
	struct clk_map map = { 0 };
	struct gw_msg m = { .stratum = 1, .precision = -30 };
	struct sync_sample smp;
	gt_ns t0 = INT64_C(1700000000) * GT_NS_PER_S, iv = GT_NS_PER_S;
	int i, samples = 0;

	(void)state;
	gw_filter_default(&f);
	gw_window_reset(&w);
	assert_false(gw_window_due(&w, &f, iv));
	/* 41 messages: a sample at the first (it starts the clock's
	 * correction), then after the 8th new delay each time, so that no
	 * two samples share a delay. */
	for (i = 0; i < 41; i++) {
		gw_window_push(&w, t0 + i * GT_NS_PER_S + 500000 + (i % 5) * 10000,
			       t0 + i * GT_NS_PER_S, 500000);
		if (!gw_window_due(&w, &f, iv))
			continue;
		assert_int_equal(i % 8, 0);
		assert_true(gw_window_sample(&w, &f, &map, &m, 1, &smp, NULL, NULL, NULL));
		assert_false(gw_window_due(&w, &f, iv));
		samples++;
	}
	assert_int_equal(samples, 6);
	/* Loss: a delay every third interval. After 8 intervals a sample is
	 * due with 3 new delays; with the interval unknown, only after 8. */
	for (i = 43; i < 52; i += 3) {
		gw_window_push(&w, t0 + i * GT_NS_PER_S + 500000, t0 + i * GT_NS_PER_S, 500000);
		assert_int_equal(gw_window_due(&w, &f, iv), i == 49);
		assert_false(gw_window_due(&w, &f, 0));
	}
	/* The least delayed message (3) dates the sample, not the newest. */
	gw_window_reset(&w);
	for (i = 0; i < 8; i++)
		gw_window_push(&w, t0 + i * GT_NS_PER_S + (i == 3 ? 400000 : 600000),
			       t0 + i * GT_NS_PER_S, 500000);
	assert_true(gw_window_due(&w, &f, iv));
	assert_true(gw_window_sample(&w, &f, &map, &m, 1, &smp, NULL, NULL, NULL));
	assert_int_equal(smp.time, t0 + 3 * GT_NS_PER_S + 400000);
	assert_int_equal(smp.offset, 100000);
	/* A clock mapped 10 ppm fast: the offset is on the clock as mapped
	 * now, and the age the core reads (clock now - time) is the real
	 * time since message 11 (4.0002 s), not the clock's (40 us more). */
	map.rate = 10e-6;
	map.base_real = t0 + 7 * GT_NS_PER_S + 600000;
	for (i = 8; i < 16; i++)
		gw_window_push(&w, t0 + i * GT_NS_PER_S + (i == 11 ? 400000 : 600000),
			       t0 + i * GT_NS_PER_S, 500000);
	assert_true(gw_window_due(&w, &f, iv));
	assert_true(gw_window_sample(&w, &f, &map, &m, 1, &smp, NULL, NULL, NULL));
	assert_int_equal(clk_map_apply(&map, t0 + 15 * GT_NS_PER_S + 600000) - smp.time,
			 4 * GT_NS_PER_S + 200000);
	/* A percentile between two ranks dates the sample between them. */
	gw_window_reset(&w);
	f.kind = GW_FILTER_MEDIAN;
	f.window = 2;
	map = (struct clk_map){ 0 };
	gw_window_push(&w, t0 + 500000, t0, 500000);
	gw_window_push(&w, t0 + GT_NS_PER_S + 700000, t0 + GT_NS_PER_S, 500000);
	assert_true(gw_window_sample(&w, &f, &map, &m, 1, &smp, NULL, NULL, NULL));
	assert_int_equal(smp.time, t0 + GT_NS_PER_S / 2 + 600000);
	/* A band: the mean time of the values in it. */
	f.kind = GW_FILTER_BAND;
	f.lo = 0;
	f.hi = 100;
	assert_true(gw_window_sample(&w, &f, &map, &m, 1, &smp, NULL, NULL, NULL));
	assert_int_equal(smp.time, t0 + GT_NS_PER_S / 2 + 600000);
}

/* Push window k (8 messages from t0 + 8k s), delays alternating 500 and
 * 500 + alt us, plus extra on message 4; take its sample. */
static void push_window(struct gw_delay_window *w, const struct gw_filter_spec *f, gt_ns t0,
			int k, gt_ns alt, gt_ns extra, struct sync_sample *smp, double *jit)
{
	const struct clk_map map = { 0 };
	const struct gw_msg m = { .stratum = 1, .precision = -30 };
	int i;

	for (i = 0; i < 8; i++) {
		gt_ns t = t0 + (k * 8 + i) * GT_NS_PER_S;

		gw_window_push(w, t + 500000 + (i % 2) * alt + (i == 4 ? extra : 0), t, 500000);
	}
	assert_true(gw_window_sample(w, f, &map, &m, 1, smp, NULL, NULL, jit));
}

/* The sample's weight is the windows' usual spread: a tight window does
 * not weigh more; an outlying one (wild labels) weighs by its own; the
 * first windows (a slew, a frequency not yet learnt) do not set it. */
static void test_window_weight(void **state)
{
	struct gw_delay_window w;
	struct gw_filter_spec f;
	struct sync_sample smp;
	gt_ns t0 = INT64_C(1700000000) * GT_NS_PER_S, usual;
	double jit;
	int k;

	(void)state;
	gw_filter_default(&f);
	gw_window_reset(&w);
	/* A first window spread by 2 ms, then windows spread ~107 us. */
	push_window(&w, &f, t0, 0, 4000000, 0, &smp, &jit);
	assert_true(jit > 1e-3);
	assert_int_equal(smp.disp, gt_from_sec(ldexp(1, -30) + jit));
	for (k = 1; k < 12; k++)
		push_window(&w, &f, t0, k, 200000, 0, &smp, &jit);
	usual = smp.disp;
	assert_true(usual > 100000 && usual < 115000);
	/* A tight window: its dispersion stays near the usual. */
	push_window(&w, &f, t0, 12, 2000, 0, &smp, &jit);
	assert_true(jit < 2e-6);
	assert_true(smp.disp > usual * 9 / 10 && smp.disp <= usual);
	/* One label a second off: the window's own spread, far above. */
	push_window(&w, &f, t0, 13, 200000, GT_NS_PER_S, &smp, &jit);
	assert_true(jit > 0.3);
	assert_int_equal(smp.disp, gt_from_sec(ldexp(1, -30) + jit));
	/* ... and it hardly moves the usual spread. */
	push_window(&w, &f, t0, 14, 200000, 0, &smp, &jit);
	assert_true(smp.disp < usual * 12 / 10);
}

/* The sample the receiver hands to the discipline (gw_window_sample). */
static void test_window_sample(void **state)
{
	struct gw_delay_window w;
	struct gw_filter_spec f;
	struct clk_map map = { .offset = -2000000 };
	struct gw_msg m = { .stratum = 1, .leap = 1, .precision = -20,
			    .root_delay = 3000, .root_disp = 4000 };
	struct sync_sample smp;
	double off, stat, jit;
	gt_ns t0 = INT64_C(1700000000) * GT_NS_PER_S;
	int i;

	(void)state;
	gw_filter_default(&f);
	gw_window_reset(&w);
	assert_false(gw_window_sample(&w, &f, &map, &m, 7, &smp, &off, NULL, NULL));
	for (i = 0; i < 20; i++)
		gw_window_push(&w, t0 + i * GT_NS_PER_S + 500000 + (i % 4) * 10000,
			       t0 + i * GT_NS_PER_S, 480000);
	assert_true(gw_window_sample(&w, &f, &map, &m, 7, &smp, &off, &stat, &jit));
	/* The clock is 2 ms behind: offset = 480 us - (500 us - 2 ms). */
	assert_near(off, 480e-6 - 500e-6 + 2e-3, 1e-9);
	assert_int_equal(smp.offset, gt_from_sec(off));
	assert_near(stat, 500e-6 - 2e-3, 1e-9);
	/* At the arrival of the least delayed message of the newest 8 (i =
	 * 16, 500 us), on the receiver's clock. */
	assert_int_equal(smp.time, t0 + 16 * GT_NS_PER_S + 500000 - 2000000);
	assert_int_equal(smp.delay, 2 * 480000);
	/* The first sample: its own spread is the usual one. */
	assert_int_equal(smp.disp, gt_from_sec(ldexp(1, -20) + jit));
	assert_int_equal(smp.stratum, 1);
	assert_int_equal(smp.leap, 1);
	assert_int_equal(smp.root_delay, 3000);
	assert_int_equal(smp.root_disp, 4000);
	assert_int_equal(smp.refid, 7);
	/* Without a correction the delay is a nominal microsecond. */
	gw_window_push(&w, t0 + 20 * GT_NS_PER_S + 500000, t0 + 20 * GT_NS_PER_S, 0);
	assert_true(gw_window_sample(&w, &f, &map, &m, 7, &smp, NULL, NULL, NULL));
	assert_int_equal(smp.delay, 1000);
	/* Poll exponents of send intervals: 2^p s >= the interval. */
	assert_int_equal(gw_poll_exponent(GT_NS_PER_S / 4), 0);
	assert_int_equal(gw_poll_exponent(GT_NS_PER_S), 0);
	assert_int_equal(gw_poll_exponent(GT_NS_PER_S + 1), 1);
	assert_int_equal(gw_poll_exponent(16 * GT_NS_PER_S), 4);
	assert_int_equal(gw_poll_exponent(INT64_C(1) << 62), 17);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_statistics),
		cmocka_unit_test(test_filter_errors),
		cmocka_unit_test(test_correction_methods),
		cmocka_unit_test(test_calibration_round_trip),
		cmocka_unit_test(test_calibration_malformed),
		cmocka_unit_test(test_gateway_directives),
		cmocka_unit_test(test_delay_window),
		cmocka_unit_test(test_window_sample),
		cmocka_unit_test(test_window_decimate),
		cmocka_unit_test(test_window_weight),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
