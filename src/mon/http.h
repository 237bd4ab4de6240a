/* http: the monitoring HTTP server (/metrics, /status, the dashboard) on
 * libmicrohttpd, driven by gnomond's own event loop on the main thread.
 *
 * MHD runs in its external-event mode with epoll: no thread of MHD's, so
 * handlers read the daemon's state without locks and the seccomp filter
 * needs no thread creation. MHD's epoll descriptor is watched by the loop;
 * MHD_run() is called when it is readable and when MHD's own timeout (the
 * per-connection idle timeout) falls due. A slow client costs a slot, never
 * the loop: MHD reads and writes without blocking.
 *
 * Only GET and HEAD are served (405 otherwise, with Allow); unknown paths
 * get 404; a malformed target 400, an over-long one 414. Connections from
 * addresses outside the access list are closed at accept, before a byte is
 * read, and counted. doc/http.md has the choices and the limits. */
#ifndef GNOMON_HTTP_H
#define GNOMON_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/conf.h"
#include "lib/loop.h"
#include "lib/metrics.h"
#include "lib/sbuf.h"
#include "mon/http_target.h"
#include "net/addr.h"

#define HTTP_MAX_ALLOW 8	/* fits on one line with the other options (CONF_MAX_ARGS) */
#define HTTP_ALLOW_LEN 64

/* The `http` directive:
 *   http ADDR:PORT [allow CIDR]... [connections N] [timeout SECONDS]
 * Without allow, only loopback (127.0.0.0/8, ::1) may connect; with allow,
 * exactly the prefixes given (add 127.0.0.1 yourself to keep it). */
struct http_config {
	bool enabled;			/* off by default */
	struct net_addr addr;
	uint16_t port;
	char allow[HTTP_MAX_ALLOW][HTTP_ALLOW_LEN];	/* acl_add() specs */
	int n_allow;
	int max_connections;		/* all clients together */
	int max_per_ip;			/* from one address */
	int timeout_s;			/* idle connection closed after this */
	size_t request_limit;		/* request line + headers, bytes */
	size_t max_body;		/* response body bound, bytes */
};

/* Defaults into c (disabled, limits set). */
void http_config_init(struct http_config *c);
/* Parse the arguments of an `http` line into c (enabled on success).
 * 0, or -1 after conf_error() naming the allowed form. */
int http_config_parse(struct conf_ctx *ctx, int argc, char **argv, struct http_config *c);

/* What a handler sees. */
struct http_request {
	const char *method;		/* "GET" or "HEAD" (HEAD: the body is not sent) */
	bool head;
	const struct http_target *target;	/* decoded path, query parameters */
	struct net_addr peer;
	void *priv;			/* the server's: for http_defer() */
};

/* What a handler fills: status 200 and text/plain unless changed; append
 * the body with the sbuf_* functions (bounded by max_body: overflowing it
 * turns the answer into a 500). content_type must be a static string. */
struct http_response {
	int status;
	const char *content_type;
	struct sbuf body;
};

typedef void (*http_handler)(const struct http_request *req, struct http_response *resp,
			     void *arg);

struct http_server;

/* Listen on c->addr:c->port and serve from l's thread. Call before
 * privileges are dropped if the port needs them; before the seccomp
 * filter, which must allow epoll_wait, accept4 and the socket calls of
 * its base set (src/prog/sandbox.c). NULL on error with -errno in *err. */
struct http_server *http_create(struct loop *l, const struct http_config *c, int *err);
void http_destroy(struct http_server *s);

/* Serve path (exact match, decoded, e.g. "/metrics") with fn. 0, -EEXIST,
 * -EINVAL (no leading '/'). */
int http_route(struct http_server *s, const char *path, http_handler fn, void *arg);

/* An answer given later, for a handler that waits on something slow (a
 * probe of a remote device, mon/audit): the handler calls http_defer(req)
 * and returns, leaving resp untouched; the connection is suspended
 * (libmicrohttpd's suspend/resume: no slot of the loop is held, no
 * timeout runs) until http_defer_answer() gives the answer, on the
 * loop's thread. Every deferred request must be answered exactly once;
 * one still pending when the server is destroyed is answered 503 then,
 * and its handle must not be used after http_destroy(). */
struct http_defer;
struct http_defer *http_defer(const struct http_request *req);
/* Answer a deferred request with resp (its body is taken over). */
void http_defer_answer(struct http_defer *d, struct http_response *resp);

/* Replace the access list (reload): spec as in struct http_config. 0 or
 * -EINVAL with the offending entry untouched. */
int http_set_allow(struct http_server *s, const char (*allow)[HTTP_ALLOW_LEN], int n);

/* The port actually bound (c->port 0 lets the kernel choose: tests). */
uint16_t http_port(const struct http_server *s);

/* A ready handler for /metrics: arg is the struct met_registry; the body
 * is prom_render_registry() of it, served as PROM_CONTENT_TYPE (a body over
 * max_body becomes a 500). */
void http_serve_metrics(const struct http_request *req, struct http_response *resp, void *arg);

/* Counters: gnomon_http_requests_total{code}, _refused_total (access list),
 * _timeouts_total, _connections (open now), _rejected_total (requests
 * MHD refused itself: malformed, headers over the limit). 0 or -errno. */
int http_register_metrics(struct http_server *s, struct met_registry *r);

#endif
