/* http_demo: the monitoring HTTP server (src/mon/http.c) on the project's
 * event loop, serving /metrics from a registry with fixed values (plain
 * counters and gauges, labelled families, NaN and +Inf) and a /status
 * JSON stub, for tests/integration/test_http.py and by hand:
 *
 *   http_demo 127.0.0.1:8123 [allow CIDR]... [connections N] [timeout S]
 *             [--sandbox]
 *
 * The arguments after the program name are those of the `http` directive.
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
static void emit_sources(const void *ctx, struct met_emit *em)
{
	(void)ctx;
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
	int err, rc;

	if (argc > 1 && !strcmp(argv[argc - 1], "--sandbox")) {
		sandbox = true;
		argc--;
	}
	memset(&errs, 0, sizeof(errs));
	http_config_init(&cfg);
	if (argc < 2 || http_config_parse(&ctx, argc - 1, argv + 1, &cfg)) {
		fprintf(stderr, "%s\nusage: http_demo ADDR:PORT [allow CIDR]... [connections N] "
			"[timeout S] [--sandbox]\n", errs.count ? errs.msg[0] : "");
		return 2;
	}
	memset(&d, 0, sizeof(d));
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
		struct sandbox_needs needs = { false, false };

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
