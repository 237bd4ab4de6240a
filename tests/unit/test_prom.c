/* Unit tests for mon/prom: the Prometheus 0.0.4 text writer and the
 * registry renderer. promtool's own check runs on this output in
 * tests/integration/test_http.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/metrics.h"
#include "mon/prom.h"

static double roundtrip(double v)
{
	char buf[40];

	prom_format_value(v, buf, sizeof(buf));
	return strtod(buf, NULL);
}

static void expect_fmt(double v, const char *want)
{
	char buf[40];

	prom_format_value(v, buf, sizeof(buf));
	if (strcmp(buf, want))
		fail_msg("%.17g formatted as '%s', expected '%s'", v, buf, want);
}

static void test_values(void **state)
{
	uint64_t x = 88172645463325252ULL;	/* xorshift64 state */
	int i;

	(void)state;
	expect_fmt(NAN, "NaN");
	expect_fmt(INFINITY, "+Inf");
	expect_fmt(-INFINITY, "-Inf");
	expect_fmt(0, "0");
	expect_fmt(42, "42");
	expect_fmt(-7, "-7");
	expect_fmt(18446744073709551615.0, "1.8446744073709552e+19");
	expect_fmt(9007199254740992.0, "9007199254740992");	/* 2^53 exact */
	expect_fmt(0.1, "0.1");
	expect_fmt(1e-9, "1e-09");
	expect_fmt(0.1 + 0.2, "0.30000000000000004");
	expect_fmt(-2.5e-6, "-2.5e-06");
	assert_true(roundtrip(0.1 + 0.2) == 0.1 + 0.2);
	assert_true(roundtrip(5e-324) == 5e-324);
	assert_true(roundtrip(1.7976931348623157e308) == 1.7976931348623157e308);
	assert_true(signbit(roundtrip(-0.0)));
	/* Random bit patterns: every finite double comes back exactly. */
	for (i = 0; i < 200000; i++) {
		double d;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(&d, &x, sizeof(d));
		if (isfinite(d) && roundtrip(d) != d)
			fail_msg("%.17g does not round-trip", d);
	}
}

static void test_writer(void **state)
{
	static const char *const l1[] = { "source", "a\\b\"c\nd", "mode", "client" };
	/* Invalid UTF-8: one U+FFFD per byte that starts no valid sequence. */
	static const char *const bad_utf8[] = { "name", "x\xff\xc3(y\xe2\x82" };
	static const char *const bad_name[] = { "0bad", "v" };
	static const char *const reserved[] = { "__name__", "v" };
	static const char *const twice[] = { "a", "1", "a", "2" };
	struct sbuf b;
	struct prom_out p;

	(void)state;
	sbuf_init(&b, 0);
	prom_init(&p, &b);
	assert_int_equal(prom_sample(&p, 1, NULL, 0), -EINVAL);	/* no family yet */
	assert_int_equal(prom_family(&p, "gnomon_x_total", "help with \\ and\nnewline \"q\"",
				     PROM_COUNTER), 0);
	assert_int_equal(prom_sample(&p, 3, l1, 2), 0);
	assert_int_equal(prom_sample(&p, 1, bad_utf8, 1), 0);
	assert_int_equal(prom_sample(&p, 1, bad_name, 1), -EINVAL);
	assert_int_equal(prom_sample(&p, 1, reserved, 1), -EINVAL);
	assert_int_equal(prom_sample(&p, 1, twice, 2), -EINVAL);
	/* Rules: _total for counters, valid names, one # TYPE per family. */
	assert_int_equal(prom_family(&p, "gnomon_x", NULL, PROM_COUNTER), -EINVAL);
	assert_int_equal(prom_sample(&p, 1, NULL, 0), -EINVAL);	/* refused family */
	assert_int_equal(prom_family(&p, "9x", NULL, PROM_GAUGE), -EINVAL);
	assert_int_equal(prom_family(&p, "a-b", NULL, PROM_GAUGE), -EINVAL);
	assert_int_equal(prom_family(&p, "gnomon_x_total", NULL, PROM_COUNTER), -EEXIST);
	assert_int_equal(prom_family(&p, "gnomon_g", NULL, PROM_GAUGE), 0);
	assert_int_equal(prom_sample(&p, -0.5, NULL, 0), 0);
	assert_int_equal(p.errors, 9);
	assert_string_equal(b.p,
		"# HELP gnomon_x_total help with \\\\ and\\nnewline \"q\"\n"
		"# TYPE gnomon_x_total counter\n"
		"gnomon_x_total{source=\"a\\\\b\\\"c\\nd\",mode=\"client\"} 3\n"
		"gnomon_x_total{name=\"x\xef\xbf\xbd\xef\xbf\xbd(y\xef\xbf\xbd\xef\xbf\xbd\"} 1\n"
		"# TYPE gnomon_g gauge\n"
		"gnomon_g -0.5\n");
	prom_fini(&p);
	sbuf_free(&b);
}

static void test_writer_bounded(void **state)
{
	struct sbuf b;
	struct prom_out p;
	int i, rc = 0;

	(void)state;
	sbuf_init(&b, 200);
	prom_init(&p, &b);
	assert_int_equal(prom_family(&p, "gnomon_g", "h", PROM_GAUGE), 0);
	for (i = 0; i < 100 && !rc; i++)
		rc = prom_sample(&p, i, NULL, 0);
	assert_int_equal(rc, -ENOSPC);
	assert_true(b.overflow);
	assert_true(b.len <= 200);
	prom_fini(&p);
	sbuf_free(&b);
}

static double rd(const void *ctx, uintptr_t key)
{
	(void)ctx;
	return (double)key;
}

static void fam_sources(const void *ctx, struct met_emit *em)
{
	const int *n = ctx;
	char name[16];
	int i;

	for (i = 0; i < *n; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		met_emit(em, i * 0.25, "source", name, "mode", "client", NULL);
	}
	/* A bad label name from a callback is skipped, not written. */
	met_emit(em, 1, "bad-name", "x", NULL);
}

static void test_render_registry(void **state)
{
	static const char *const ok[] = { "result", "ok", NULL };
	static const char *const drop[] = { "result", "drop", NULL };
	struct met_registry *r = met_create();
	struct sbuf b;
	struct prom_out p;
	int n = 2;

	(void)state;
	assert_int_equal(met_register(r, "gnomon_up", "1 while running", MET_GAUGE, rd, NULL, 1), 0);
	/* Breaks the counter rule: skipped and counted. */
	assert_int_equal(met_register(r, "gnomon_bad_counter", "x", MET_COUNTER, rd, NULL, 5), 0);
	assert_int_equal(met_register_labelled(r, "gnomon_req_total", "requests", MET_COUNTER, ok,
					       rd, NULL, 7), 0);
	assert_int_equal(met_register_labelled(r, "gnomon_req_total", "requests", MET_COUNTER,
					       drop, rd, NULL, 2), 0);
	assert_int_equal(met_register_family(r, "gnomon_source_offset_seconds", "offset",
					     MET_GAUGE, fam_sources, &n), 0);
	sbuf_init(&b, 0);
	prom_init(&p, &b);
	assert_int_equal(prom_render_registry(&p, r), 0);
	assert_int_equal(p.errors, 2);
	assert_string_equal(b.p,
		"# HELP gnomon_up 1 while running\n"
		"# TYPE gnomon_up gauge\n"
		"gnomon_up 1\n"
		"# HELP gnomon_req_total requests\n"
		"# TYPE gnomon_req_total counter\n"
		"gnomon_req_total{result=\"ok\"} 7\n"
		"gnomon_req_total{result=\"drop\"} 2\n"
		"# HELP gnomon_source_offset_seconds offset\n"
		"# TYPE gnomon_source_offset_seconds gauge\n"
		"gnomon_source_offset_seconds{source=\"s0\",mode=\"client\"} 0\n"
		"gnomon_source_offset_seconds{source=\"s1\",mode=\"client\"} 0.25\n");
	prom_fini(&p);
	sbuf_free(&b);
	/* A bound too small: -ENOSPC, never a silently cut document. */
	sbuf_init(&b, 64);
	prom_init(&p, &b);
	assert_int_equal(prom_render_registry(&p, r), -ENOSPC);
	prom_fini(&p);
	sbuf_free(&b);
	met_destroy(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_writer_bounded),
		cmocka_unit_test(test_render_registry),
	};

	return cmocka_run_group_tests_name("prom", tests, NULL, NULL);
}
