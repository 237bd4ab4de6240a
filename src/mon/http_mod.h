/* http_mod: the HTTP server (mon/http.c, on libmicrohttpd) as a module
 * loaded only when `http` is configured. libmicrohttpd brings GnuTLS and
 * its libraries, whose constructors make about 2.3 MB of resident pages:
 * a daemon without `http` should not carry them.
 *
 * The module (libgnomon-http.so) is looked for next to the gnomond binary
 * (the build directory), then in GNOMON_MODULE_DIR; it is loaded before
 * privileges are dropped and the seccomp filter installed. It resolves the
 * core functions it uses (loop, metrics, Prometheus writer, access lists)
 * from gnomond itself (linked with --export-dynamic). */
#ifndef GNOMON_HTTP_MOD_H
#define GNOMON_HTTP_MOD_H

#include <stddef.h>

#include "mon/http.h"

struct http_api {
	struct http_server *(*create)(struct loop *l, const struct http_config *c, int *err);
	void (*destroy)(struct http_server *s);
	int (*route)(struct http_server *s, const char *path, http_handler fn, void *arg);
	uint16_t (*port)(const struct http_server *s);
	void (*serve_metrics)(const struct http_request *req, struct http_response *resp,
			      void *arg);
	int (*register_metrics)(struct http_server *s, struct met_registry *r);
	struct http_defer *(*defer)(const struct http_request *req);
	void (*defer_answer)(struct http_defer *d, struct http_response *resp);
};

/* The module's entry point: its function table. */
const struct http_api *gnomon_http_api(void);

/* Load the module (once); NULL with why in err on failure. */
const struct http_api *http_mod_load(char *err, size_t len);

#endif
