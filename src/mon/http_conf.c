/* The `http` directive (mon/http.h): in the core, so that the
 * configuration is read without the HTTP server module (mon/http_mod.h). */
#include "mon/http.h"

#include <stdio.h>
#include <string.h>

#include "gw/gw_conf.h"
#include "net/acl.h"

void http_config_init(struct http_config *c)
{
	memset(c, 0, sizeof(*c));
	/* A scraper holds one connection; a dashboard a few. 32 slots, 8 per
	 * address, so one client cannot take them all; 10 s of silence closes
	 * a connection (Prometheus' default scrape timeout is 10 s, and it
	 * sends its request at once). */
	c->max_connections = 32;
	c->max_per_ip = 8;
	c->timeout_s = 10;
	/* Request line and headers: Prometheus and browsers send under 1 KiB. */
	c->request_limit = 16384;
	/* /metrics with 500 sources is about 1 MiB. */
	c->max_body = 16u << 20;
}

#define HTTP_SYNTAX "http ADDR:PORT [allow ADDRESS[/PREFIX]]... [connections N] [timeout SECONDS]"

int http_config_parse(struct conf_ctx *ctx, int argc, char **argv, struct http_config *c)
{
	struct acl *scratch;
	const char *why;
	long v;
	int i, rc = 0;

	if (argc < 1)
		return conf_error(ctx, "http: expected: %s", HTTP_SYNTAX);
	if (gw_parse_addr_port(ctx, "http", argv[0], &c->addr, &c->port))
		return -1;
	c->n_allow = 0;
	scratch = acl_create();
	for (i = 1; i < argc && !rc; i++) {
		const char *opt = argv[i];
		bool has_arg = i + 1 < argc;

		if (!strcmp(opt, "allow") && has_arg) {
			const char *spec = argv[++i];

			if (c->n_allow == HTTP_MAX_ALLOW)
				rc = conf_error(ctx, "http: at most %d allow entries", HTTP_MAX_ALLOW);
			else if (strlen(spec) >= HTTP_ALLOW_LEN || acl_add(scratch, spec, true, &why))
				rc = conf_error(ctx, "http: allow '%s': %s (allowed: all, ADDRESS, "
						"ADDRESS/PREFIX)", spec,
						strlen(spec) >= HTTP_ALLOW_LEN ? "too long" : why);
			else
				snprintf(c->allow[c->n_allow++], HTTP_ALLOW_LEN, "%s", spec);
		} else if (!strcmp(opt, "connections") && has_arg) {
			if (conf_arg_int(ctx, "http connections", argv[++i], 1, 1024, &v))
				rc = -1;
			else
				c->max_connections = (int)v;
		} else if (!strcmp(opt, "timeout") && has_arg) {
			if (conf_arg_int(ctx, "http timeout", argv[++i], 1, 3600, &v))
				rc = -1;
			else
				c->timeout_s = (int)v;
		} else {
			rc = conf_error(ctx, "http: unknown or incomplete option '%s' (expected: %s)",
					opt, HTTP_SYNTAX);
		}
	}
	acl_destroy(scratch);
	if (rc)
		return -1;
	if (c->max_per_ip > c->max_connections)
		c->max_per_ip = c->max_connections;
	c->enabled = true;
	return 0;
}
