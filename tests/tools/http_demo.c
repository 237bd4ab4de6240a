/* http_demo: the monitoring HTTP server (src/mon/http.c) on the project's
 * event loop, serving /metrics from a registry with fixed values (plain
 * counters and gauges, labelled families, NaN and +Inf) and a /status
 * JSON stub, for tests/integration/test_http.py and by hand:
 *
 *   http_demo 127.0.0.1:8123 [allow CIDR]... [connections N] [timeout S]
 *             [--sandbox] [--sources N]
 *
 * The other arguments are those of the `http` directive. --sources N
 * replaces the three fixed sources by N synthetic ones, each with the
 * seven per-source series of doc/http.md's plan (the /metrics size and
 * time benchmark: 500 sources must answer in under 50 ms).
 * --sandbox installs gnomond's seccomp filter with nothing beyond its base
 * set once listening: the server must run under it (no thread, no extra
 * system call). Prints "http_demo: listening on ADDR:PORT" when ready;
 * SIGTERM or SIGINT end it with status 0. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conf.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/metrics.h"
#include "mon/http.h"
#include "mon/json.h"
#include "prog/sandbox.h"

struct demo {
	struct loop *loop;
	struct met_registry *reg;
	uint64_t ticks;
	int n_sources;		/* 0: the three fixed sources */
};

static double rd_const(const void *ctx, uintptr_t key)
{
	(void)key;
	return *(const double *)ctx;
}

static double rd_ticks(const void *ctx, uintptr_t key)
{
	(void)key;
	return (double)((const struct demo *)ctx)->ticks;
}

static const double v_offset = -1.234e-6, v_freq = 2.5e-7, v_ok = 42, v_drop = 7,
		    v_one = 1, v_nan = NAN, v_inf = INFINITY, v_big = 9007199254740993.0;

/* Three sources, one with every character the format must escape. */
/* Synthetic source i: its labels and a value per series (key). */
static void emit_synthetic(const struct demo *d, struct met_emit *em, int key)
{
	static const char *const states[] = { "selected", "candidate", "outlier", "unreachable" };
	char name[32], addr[32];
	int i;

	for (i = 0; i < d->n_sources; i++) {
		double v = key == 0 ? 1 : key == 1 ? (i % 9) / 8.0 :
			   key == 2 ? (i - 250) * 1e-6 : (i + 1) * 1e-6 * key;

		snprintf(name, sizeof(name), "source%04d.example.net", i);
		snprintf(addr, sizeof(addr), "198.18.%d.%d", i / 250, i % 250 + 1);
		if (key == 0)
			met_emit(em, v, "source", name, "address", addr, "mode", "client", "state",
				 states[i % 4], NULL);
		else
			met_emit(em, v, "source", name, "address", addr, "mode", "client", NULL);
	}
}

struct series {
	const struct demo *d;
	int key;
};

static void emit_series(const void *ctx, struct met_emit *em)
{
	const struct series *se = ctx;

	emit_synthetic(se->d, em, se->key);
}

static void emit_sources(const void *ctx, struct met_emit *em)
{
	const struct demo *d = ctx;

	if (d->n_sources) {
		emit_synthetic(d, em, 2);
		return;
	}
	met_emit(em, 0.000125, "source", "ntp1", "address", "198.18.0.1", "mode", "client", NULL);
	met_emit(em, -0.0035, "source", "ntp2", "address", "2001:db8::2", "mode", "client", NULL);
	met_emit(em, 1e-9, "source", "we\"ird\\name\nx", "address", "198.18.0.3", "mode", "peer",
		 NULL);
}

static void h_status(const struct http_request *req, struct http_response *resp, void *arg)
{
	struct demo *d = arg;
	struct json_out j;
	char buf[512];

	(void)req;
	json_init(&j, buf, sizeof(buf));
	json_obj_begin(&j, NULL);
	json_str(&j, "program", "http_demo");
	json_u64(&j, "ticks", d->ticks);
	json_obj_begin(&j, "tracking");
	json_double(&j, "offset", v_offset);
	json_double(&j, "frequency", v_freq);
	json_obj_end(&j);
	json_obj_end(&j);
	resp->content_type = "application/json";
	if (json_result(&j))
		sbuf_puts(&resp->body, json_result(&j));
	else
		resp->status = 500;
}

static void on_tick(struct loop_timer *t, void *arg)
{
	(void)t;
	((struct demo *)arg)->ticks++;
}

static void on_signal(int sig, void *arg)
{
	(void)sig;
	loop_stop(arg);
}

static int setup_metrics(struct demo *d)
{
	static const char *const info[] = { "version", "0.1.0", NULL };
	static const char *const ok[] = { "result", "ok", NULL };
	static const char *const drop[] = { "result", "dropped", NULL };
	int rc = 0;

	rc |= met_register_labelled(d->reg, "gnomon_build_info", "build information, value 1",
				    MET_GAUGE, info, rd_const, &v_one, 0);
	rc |= met_register(d->reg, "gnomon_system_offset_seconds", "system clock offset",
			   MET_GAUGE, rd_const, &v_offset, 0);
	rc |= met_register(d->reg, "gnomon_system_frequency_offset_ratio",
			   "frequency offset (a ratio, not ppm)", MET_GAUGE, rd_const, &v_freq, 0);
	rc |= met_register(d->reg, "gnomon_demo_ticks_total", "ticks of a 100 ms timer",
			   MET_COUNTER, rd_ticks, d, 0);
	rc |= met_register(d->reg, "gnomon_demo_nan", "always NaN", MET_GAUGE, rd_const, &v_nan, 0);
	rc |= met_register(d->reg, "gnomon_demo_inf", "always +Inf", MET_GAUGE, rd_const, &v_inf, 0);
	rc |= met_register(d->reg, "gnomon_demo_big", "2^53 + 1 (a double rounds it)", MET_GAUGE,
			   rd_const, &v_big, 0);
	rc |= met_register_labelled(d->reg, "gnomon_demo_packets_total", "packets by result",
				    MET_COUNTER, ok, rd_const, &v_ok, 0);
	rc |= met_register_labelled(d->reg, "gnomon_demo_packets_total", "packets by result",
				    MET_COUNTER, drop, rd_const, &v_drop, 0);
	rc |= met_register_family(d->reg, "gnomon_source_offset_seconds",
				  "offset of each source\nwith \\ in its help", MET_GAUGE,
				  emit_sources, d);
	if (d->n_sources) {
		static const char *const names[] = {
			"gnomon_source_info", "gnomon_source_reachability_ratio", NULL,
			"gnomon_source_delay_seconds", "gnomon_source_jitter_seconds",
			"gnomon_source_poll_interval_seconds",
			"gnomon_source_last_sample_age_seconds",
		};
		static struct series se[7];
		int k;

		for (k = 0; k < 7; k++) {
			se[k] = (struct series){ d, k };
			if (names[k])
				rc |= met_register_family(d->reg, names[k], "a per-source series",
							  MET_GAUGE, emit_series, &se[k]);
		}
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct conf_errors errs;
	struct conf_ctx ctx = { "argv", 1, &errs };
	struct http_config cfg;
	struct http_server *http;
	struct demo d;
	bool sandbox = false;
	char addr[NET_ADDR_STRLEN];
	int err, rc, i, j;

	memset(&d, 0, sizeof(d));
	for (i = j = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--sandbox"))
			sandbox = true;
		else if (!strcmp(argv[i], "--sources") && i + 1 < argc)
			d.n_sources = atoi(argv[++i]);
		else
			argv[j++] = argv[i];
	}
	argc = j;
	memset(&errs, 0, sizeof(errs));
	http_config_init(&cfg);
	if (argc < 2 || http_config_parse(&ctx, argc - 1, argv + 1, &cfg)) {
		fprintf(stderr, "%s\nusage: http_demo ADDR:PORT [allow CIDR]... [connections N] "
			"[timeout S] [--sandbox] [--sources N]\n", errs.count ? errs.msg[0] : "");
		return 2;
	}
	d.loop = loop_create();
	d.reg = met_create();
	http = http_create(d.loop, &cfg, &err);
	if (!http) {
		fprintf(stderr, "http_demo: cannot serve on %s:%u: %s\n",
			net_addr_str(&cfg.addr, addr, sizeof(addr)), cfg.port, strerror(-err));
		return 1;
	}
	if (setup_metrics(&d) || http_register_metrics(http, d.reg) ||
	    http_route(http, "/metrics", http_serve_metrics, d.reg) ||
	    http_route(http, "/status", h_status, &d)) {
		fprintf(stderr, "http_demo: setting up failed\n");
		return 1;
	}
	loop_timer_add(d.loop, 100 * GT_NS_PER_MS, 100 * GT_NS_PER_MS, on_tick, &d);
	loop_on_signal(d.loop, SIGTERM, on_signal, d.loop);
	loop_on_signal(d.loop, SIGINT, on_signal, d.loop);
	signal(SIGPIPE, SIG_IGN);
	if (sandbox) {
		struct sandbox_needs needs = { false, false, false };

		rc = sandbox_install(&needs, -1);
		if (rc) {
			fprintf(stderr, "http_demo: sandbox: %s\n", strerror(-rc));
			return 1;
		}
	}
	printf("http_demo: listening on %s:%u%s\n", net_addr_str(&cfg.addr, addr, sizeof(addr)),
	       http_port(http), sandbox ? " (sandboxed)" : "");
	fflush(stdout);
	rc = loop_run(d.loop);
	http_destroy(http);
	met_destroy(d.reg);
	loop_destroy(d.loop);
	return rc ? 1 : 0;
}
