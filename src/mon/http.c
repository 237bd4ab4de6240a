#include "mon/http.h"
#include "mon/http_mod.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "mon/prom.h"
#include "net/acl.h"

/* ---- the server ---- */

struct http_route_ent {
	char *path;
	http_handler fn;
	void *arg;
};

/* Status codes we answer with, for the requests counter. */
static const int counted_codes[] = { 200, 400, 404, 405, 414, 500, 503 };
#define N_CODES ARRAY_LEN(counted_codes)

enum abort_reason { AB_TIMEOUT, AB_ERROR, AB_READ_ERROR, AB_CLIENT, AB_COUNT };
static const char *const abort_names[AB_COUNT] = { "timeout", "error", "read_error",
						  "client_abort" };

struct http_server {
	struct loop *loop;
	struct MHD_Daemon *mhd;
	int epfd;
	struct loop_timer *timer;
	struct acl *acl;
	size_t max_body;
	struct http_route_ent *routes;
	size_t n_routes;
	/* counters, main thread only */
	uint64_t by_code[N_CODES + 1];	/* last: any other */
	uint64_t refused, accepted, open, unanswered;
	uint64_t closed;		/* connections closed, to detect a freed slot */
	uint64_t aborted[AB_COUNT];
	struct http_req_ctx *pending;	/* deferred requests not yet answered */
};

/* One request, from the URI log callback (raw target) to completion. */
struct http_req_ctx {
	char *raw;		/* the target as sent, before MHD's own decoding */
	size_t raw_len;
	bool started;		/* the handler was called once (headers read) */
	bool answered;
	struct http_target target;
	/* A deferred answer (http_defer): the connection is suspended from
	 * the handler's return to http_defer_answer(). */
	struct http_server *server;
	struct MHD_Connection *conn;
	bool deferred, ready;
	struct http_response answer;
	struct http_req_ctx *next_pending;
};

static void http_count(struct http_server *s, int status)
{
	size_t i;

	for (i = 0; i < N_CODES && counted_codes[i] != status; i++)
		;
	s->by_code[i]++;
}

static enum MHD_Result on_accept(void *cls, const struct sockaddr *sa, socklen_t len)
{
	struct http_server *s = cls;
	struct net_addr a;

	(void)len;
	if (net_addr_from_sockaddr(sa, &a, NULL) || !acl_check(s->acl, &a)) {
		s->refused++;
		return MHD_NO;
	}
	s->accepted++;
	return MHD_YES;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct http_req_ctx *rq = xcalloc(1, sizeof(*rq));

	rq->server = cls;
	rq->conn = c;
	rq->raw_len = strlen(uri);
	/* Over-long targets are answered 414 without being copied. */
	if (rq->raw_len <= HTTP_TARGET_MAX)
		rq->raw = xstrdup(uri);
	return rq;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct http_req_ctx *rq = *con_cls;

	(void)c;
	switch (toe) {
	case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED: s->aborted[AB_TIMEOUT]++; break;
	case MHD_REQUEST_TERMINATED_WITH_ERROR: s->aborted[AB_ERROR]++; break;
	case MHD_REQUEST_TERMINATED_READ_ERROR: s->aborted[AB_READ_ERROR]++; break;
	case MHD_REQUEST_TERMINATED_CLIENT_ABORT: s->aborted[AB_CLIENT]++; break;
	default: break;
	}
	/* MHD answered by itself (a malformed request, headers over the
	 * limit) or the connection broke before our handler ran. */
	if (rq && !rq->answered)
		s->unanswered++;
	if (rq) {
		sbuf_free(&rq->answer.body);
		free(rq->raw);
		free(rq);
	}
	*con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct http_server *s = cls;

	(void)c;
	(void)socket_ctx;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		s->open++;
	} else {
		s->closed++;
		if (s->open)
			s->open--;
	}
}

/* MHD's messages; the format comes from MHD (checked as one). */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	/* Mostly what a client did wrong: rate-limited. */
	LOG_RL(LOG_LVL_INFO, "http: %s", msg);
}

static enum MHD_Result send_answer(struct MHD_Connection *c, struct http_response *resp,
				   bool allow_hdr)
{
	struct MHD_Response *r;
	enum MHD_Result ok;
	size_t len;
	char *body = sbuf_steal(&resp->body, &len);

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
	/* Live values: never from a cache; never sniffed into another type. */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (allow_hdr)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ok = MHD_queue_response(c, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	return ok;
}

static void set_error(struct http_response *resp, int status, const char *text)
{
	sbuf_free(&resp->body);
	resp->body.overflow = false;
	resp->status = status;
	resp->content_type = "text/plain; charset=utf-8";
	sbuf_printf(&resp->body, "%d %s\n", status, text);
}

/* Whether the request announces a body (RFC 9112 §6.3). */
static bool has_body(struct MHD_Connection *c)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);

	return (cl && strcmp(cl, "0")) ||
	       MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					   MHD_HTTP_HEADER_TRANSFER_ENCODING);
}

/* Queue a deferred request's answer (from on_request: MHD accepts a
 * response only from its access handler). */
static enum MHD_Result answer_deferred(struct http_server *s, struct MHD_Connection *c,
				       struct http_req_ctx *rq)
{
	struct http_response *resp = &rq->answer;

	if (resp->body.overflow) {
		LOG_RL(LOG_LVL_WARN, "http: %s: the answer exceeds %zu bytes", rq->target.path,
		       s->max_body);
		set_error(resp, 500, "Internal Server Error");
	}
	if (resp->status < 100 || resp->status > 599)
		set_error(resp, 500, "Internal Server Error");
	rq->answered = true;
	http_count(s, resp->status);
	return send_answer(c, resp, false);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload, size_t *upload_size, void **con_cls)
{
	struct http_server *s = cls;
	struct http_req_ctx *rq = *con_cls;
	struct http_response resp;
	struct http_request req;
	const union MHD_ConnectionInfo *ci;
	enum MHD_Result ok;
	bool is_405 = false, get_or_head;
	size_t i;
	int rc;

	(void)url;
	(void)version;
	(void)upload;
	if (!rq)		/* no URI callback: cannot happen with MHD >= 0.9 */
		return MHD_NO;
	/* Resumed (http_defer_answer): MHD calls again, and only a call of
	 * ours may queue the answer. */
	if (rq->deferred) {
		*upload_size = 0;
		return rq->ready && !rq->answered ? answer_deferred(s, c, rq) : MHD_YES;
	}
	get_or_head = !strcmp(method, MHD_HTTP_METHOD_GET) ||
		      !strcmp(method, MHD_HTTP_METHOD_HEAD);

	/* MHD calls once with the headers, then per piece of body, then once
	 * more with nothing: an answer queued in the first call closes the
	 * connection after it (MHD 0.9.75), so GET and HEAD are answered in
	 * the last call and a scraper keeps its connection. A GET with a
	 * body (which has no meaning, RFC 9110 §9.3.1) is answered 400 at
	 * once: a client trickling an endless body would hold a slot. */
	if (!rq->started && get_or_head && !has_body(c)) {
		rq->started = true;
		return MHD_YES;
	}
	if (rq->answered || *upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	memset(&resp, 0, sizeof(resp));
	sbuf_init(&resp.body, s->max_body);
	resp.status = 200;
	resp.content_type = "text/plain; charset=utf-8";
	if (get_or_head && !rq->started) {
		set_error(&resp, 400, "Bad Request");
	} else if (!get_or_head) {
		/* Answered at once; the body is not read, the connection
		 * closes after the answer. */
		set_error(&resp, 405, "Method Not Allowed");
		is_405 = true;
	} else if (!rq->raw) {
		set_error(&resp, 414, "URI Too Long");
	} else if ((rc = http_target_parse(rq->raw, rq->raw_len, &rq->target)) != 0) {
		if (rc == -E2BIG)
			set_error(&resp, 414, "URI Too Long");
		else
			set_error(&resp, 400, "Bad Request");
	} else {
		for (i = 0; i < s->n_routes; i++)
			if (!strcmp(s->routes[i].path, rq->target.path))
				break;
		if (i == s->n_routes) {
			set_error(&resp, 404, "Not Found");
		} else {
			memset(&req, 0, sizeof(req));
			req.method = method;
			req.head = !strcmp(method, MHD_HTTP_METHOD_HEAD);
			req.target = &rq->target;
			ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
			if (ci && ci->client_addr)
				net_addr_from_sockaddr(ci->client_addr, &req.peer, NULL);
			req.priv = rq;
			s->routes[i].fn(&req, &resp, s->routes[i].arg);
			if (rq->deferred) {
				sbuf_free(&resp.body);
				if (rq->ready)	/* answered from inside the handler */
					return answer_deferred(s, c, rq);
				MHD_suspend_connection(c);
				rq->next_pending = s->pending;
				s->pending = rq;
				return MHD_YES;
			}
			if (resp.body.overflow) {
				LOG_RL(LOG_LVL_WARN, "http: %s: the answer exceeds %zu bytes",
				       rq->target.path, s->max_body);
				set_error(&resp, 500, "Internal Server Error");
			}
			if (resp.status < 100 || resp.status > 599)
				set_error(&resp, 500, "Internal Server Error");
		}
	}
	rq->answered = true;
	http_count(s, resp.status);
	ok = send_answer(c, &resp, is_405);
	sbuf_free(&resp.body);
	return ok;
}

static void http_run(struct http_server *s);
static void on_timer(struct loop_timer *t, void *arg);

struct http_defer *http_defer(const struct http_request *req)
{
	struct http_req_ctx *rq = req->priv;

	rq->deferred = true;
	return (struct http_defer *)rq;
}

void http_defer_answer(struct http_defer *d, struct http_response *resp)
{
	struct http_req_ctx *rq = (struct http_req_ctx *)d, **pp;
	struct http_server *s = rq->server;
	bool suspended = false;

	for (pp = &s->pending; *pp; pp = &(*pp)->next_pending) {
		if (*pp == rq) {
			*pp = rq->next_pending;
			suspended = true;
			break;
		}
	}
	rq->answer = *resp;
	sbuf_init(&resp->body, 0);	/* taken over */
	if (!rq->answer.content_type)
		rq->answer.content_type = "text/plain; charset=utf-8";
	rq->ready = true;
	if (!suspended)
		return;
	MHD_resume_connection(rq->conn);
	/* MHD's inter-thread channel does not wake the epoll descriptor we
	 * watch (found by test_audit_svc.py: the answer waited for the next
	 * idle timeout): run MHD from the loop at once, never from here,
	 * which may be inside MHD. */
	if (s->timer)
		loop_timer_cancel(s->loop, s->timer);
	s->timer = loop_timer_add(s->loop, 0, 0, on_timer, s);
}

/* Answer every request still deferred (503) so that MHD can close their
 * connections: it must not be stopped with a connection suspended. */
static void answer_all_pending(struct http_server *s)
{
	struct http_response resp;

	while (s->pending) {
		memset(&resp, 0, sizeof(resp));
		sbuf_init(&resp.body, s->max_body);
		set_error(&resp, 503, "Service Unavailable");
		http_defer_answer((struct http_defer *)s->pending, &resp);
	}
}

static void on_timer(struct loop_timer *t, void *arg)
{
	struct http_server *s = arg;

	(void)t;
	s->timer = NULL;	/* one-shot: the loop frees it after this call */
	http_run(s);
}

/* Run MHD, then arm a timer for its next deadline (idle timeouts, data
 * already read but not processed): MHD_get_timeout() must be honoured in
 * external-event mode. No connection: no timer, the loop sleeps. */
static void http_run(struct http_server *s)
{
	MHD_UNSIGNED_LONG_LONG ms;
	uint64_t closed;
	int i;

	/* At the connection limit MHD takes the listening socket out of its
	 * epoll set, and puts it back only at the start of a later MHD_run()
	 * once a slot is free. MHD_get_timeout() does not ask for that run,
	 * and nothing else would make the epoll descriptor readable: after a
	 * run that closed a connection, run again, or a full server would
	 * never accept again (found by test_http.py::test_connection_limit). */
	for (i = 0; i < 3; i++) {
		closed = s->closed;
		MHD_run(s->mhd);
		if (s->closed == closed)
			break;
	}
	if (s->timer) {
		loop_timer_cancel(s->loop, s->timer);
		s->timer = NULL;
	}
	if (MHD_get_timeout(s->mhd, &ms) == MHD_YES) {
		if (ms > 3600000)
			ms = 3600000;
		s->timer = loop_timer_add(s->loop, (gt_ns)ms * GT_NS_PER_MS, 0, on_timer, s);
	}
}

static void on_epoll(int fd, short revents, void *arg)
{
	(void)fd;
	(void)revents;
	http_run(arg);
}

static struct acl *build_acl(const char (*allow)[HTTP_ALLOW_LEN], int n)
{
	struct acl *acl = acl_create();
	const char *why;
	int i;

	if (n == 0) {
		/* Without allow: this host only. */
		acl_add(acl, "127.0.0.0/8", true, &why);
		acl_add(acl, "::1", true, &why);
		return acl;
	}
	for (i = 0; i < n; i++) {
		if (acl_add(acl, allow[i], true, &why)) {
			acl_destroy(acl);
			return NULL;
		}
	}
	return acl;
}

struct http_server *http_create(struct loop *l, const struct http_config *c, int *err)
{
	struct http_server *s = xcalloc(1, sizeof(*s));
	const union MHD_DaemonInfo *di;
	struct sockaddr_storage ss;
	/* Suspend/resume (deferred answers) brings MHD's inter-thread
	 * channel, an eventfd in its epoll set: resuming makes the epoll
	 * descriptor readable, and the loop runs MHD. */
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	int rc;

	s->loop = l;
	s->epfd = -1;
	s->max_body = c->max_body;
	s->acl = build_acl(c->allow, c->n_allow);
	if (!s->acl) {
		rc = -EINVAL;
		goto fail;
	}
	net_addr_to_sockaddr(&c->addr, c->port, &ss);
	if (c->addr.family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* No MHD_USE_INTERNAL_POLLING_THREAD and no thread pool: MHD creates
	 * no thread. */
	s->mhd = MHD_start_daemon(flags, c->port, on_accept, s, on_request, s,
		/* first, or MHD prints to stderr until it is seen */
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)c->max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)c->max_per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)c->timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, c->request_limit,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, 16u,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
		MHD_OPTION_END);
	if (!s->mhd) {
		rc = errno ? -errno : -EADDRNOTAVAIL;
		goto fail;
	}
	di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!di || di->epoll_fd < 0) {
		rc = -ENOTSUP;
		goto fail;
	}
	s->epfd = di->epoll_fd;
	rc = loop_add_fd(l, s->epfd, POLLIN, on_epoll, s);
	if (rc)
		goto fail;
	*err = 0;
	return s;
fail:
	if (s->mhd)
		MHD_stop_daemon(s->mhd);
	acl_destroy(s->acl);
	free(s);
	*err = rc;
	return NULL;
}

void http_destroy(struct http_server *s)
{
	size_t i;

	if (!s)
		return;
	answer_all_pending(s);
	loop_del_fd(s->loop, s->epfd);
	if (s->timer)
		loop_timer_cancel(s->loop, s->timer);
	MHD_stop_daemon(s->mhd);
	for (i = 0; i < s->n_routes; i++)
		free(s->routes[i].path);
	free(s->routes);
	acl_destroy(s->acl);
	free(s);
}

int http_route(struct http_server *s, const char *path, http_handler fn, void *arg)
{
	size_t i;

	if (!path || path[0] != '/' || !fn)
		return -EINVAL;
	for (i = 0; i < s->n_routes; i++)
		if (!strcmp(s->routes[i].path, path))
			return -EEXIST;
	s->routes = xrealloc(s->routes, (s->n_routes + 1) * sizeof(*s->routes));
	s->routes[s->n_routes++] = (struct http_route_ent){ xstrdup(path), fn, arg };
	return 0;
}

int http_set_allow(struct http_server *s, const char (*allow)[HTTP_ALLOW_LEN], int n)
{
	struct acl *fresh = build_acl(allow, n);

	if (!fresh)
		return -EINVAL;
	acl_replace(s->acl, fresh);
	return 0;
}

uint16_t http_port(const struct http_server *s)
{
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);

	return di ? di->port : 0;
}

/* ---- metrics ---- */

void http_serve_metrics(const struct http_request *req, struct http_response *resp, void *arg)
{
	struct prom_out p;

	(void)req;
	resp->content_type = PROM_CONTENT_TYPE;
	prom_init(&p, &resp->body);
	if (prom_render_registry(&p, arg) == 0 && p.errors)
		LOG_RL(LOG_LVL_WARN, "http: /metrics: %u metrics or samples left out (bad "
		       "names, counters not named *_total)", p.errors);
	prom_fini(&p);
}

enum { M_REFUSED, M_ACCEPTED, M_OPEN, M_UNANSWERED };

static double read_counter(const void *ctx, uintptr_t key)
{
	const struct http_server *s = ctx;

	switch (key) {
	case M_REFUSED: return (double)s->refused;
	case M_ACCEPTED: return (double)s->accepted;
	case M_OPEN: return (double)s->open;
	default: return (double)s->unanswered;
	}
}

static void emit_codes(const void *ctx, struct met_emit *em)
{
	const struct http_server *s = ctx;
	char code[8];
	size_t i;

	/* Every code we answer with, also at 0: a rate() needs the series
	 * before the first error. */
	for (i = 0; i < N_CODES; i++) {
		snprintf(code, sizeof(code), "%d", counted_codes[i]);
		met_emit(em, (double)s->by_code[i], "code", code, NULL);
	}
	if (s->by_code[N_CODES])
		met_emit(em, (double)s->by_code[N_CODES], "code", "other", NULL);
}

static void emit_aborted(const void *ctx, struct met_emit *em)
{
	const struct http_server *s = ctx;
	size_t i;

	for (i = 0; i < AB_COUNT; i++)
		met_emit(em, (double)s->aborted[i], "reason", abort_names[i], NULL);
}

int http_register_metrics(struct http_server *s, struct met_registry *r)
{
	int rc = 0;

	rc |= met_register_family(r, "gnomon_http_requests_total",
				  "HTTP requests answered, by status code", MET_COUNTER, emit_codes, s);
	rc |= met_register_family(r, "gnomon_http_requests_aborted_total",
				  "HTTP requests ended without a complete answer, by reason",
				  MET_COUNTER, emit_aborted, s);
	rc |= met_register(r, "gnomon_http_connections_refused_total",
			   "HTTP connections refused by the access list", MET_COUNTER,
			   read_counter, s, M_REFUSED);
	rc |= met_register(r, "gnomon_http_connections_accepted_total",
			   "HTTP connections accepted", MET_COUNTER, read_counter, s, M_ACCEPTED);
	rc |= met_register(r, "gnomon_http_connections", "HTTP connections open now",
			   MET_GAUGE, read_counter, s, M_OPEN);
	rc |= met_register(r, "gnomon_http_requests_unanswered_total",
			   "HTTP requests not answered by a handler (refused by the HTTP "
			   "library as malformed or too large, or the connection broke)",
			   MET_COUNTER, read_counter, s, M_UNANSWERED);
	return rc ? -EEXIST : 0;
}

/* The module's table (mon/http_mod.h). */
const struct http_api *gnomon_http_api(void)
{
	static const struct http_api api = {
		.create = http_create,
		.destroy = http_destroy,
		.route = http_route,
		.port = http_port,
		.serve_metrics = http_serve_metrics,
		.register_metrics = http_register_metrics,
		.defer = http_defer,
		.defer_answer = http_defer_answer,
	};

	return &api;
}
