/* Unit tests for mon/http_target (the request-target parser, with
 * malformed input) and mon/http (the server on a real loopback socket,
 * driven by lib/loop in this thread). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/gtime.h"
#include "lib/loop.h"
#include "lib/metrics.h"
#include "mon/http.h"
#include "mon/http_target.h"

static struct http_target T;

static int parse(const char *s)
{
	return http_target_parse(s, strlen(s), &T);
}

static void test_target_plain(void **state)
{
	(void)state;
	assert_int_equal(parse("/metrics"), 0);
	assert_string_equal(T.path, "/metrics");
	assert_int_equal(T.n_params, 0);
	assert_int_equal(parse("/"), 0);
	assert_string_equal(T.path, "/");
	/* '+' is literal in the path, a space in the query. */
	assert_int_equal(parse("/a+b/%41%7a?x=a+b%2B&y"), 0);
	assert_string_equal(T.path, "/a+b/Az");
	assert_int_equal(T.n_params, 2);
	assert_string_equal(T.params[0].key, "x");
	assert_string_equal(T.params[0].value, "a b+");
	assert_true(T.params[0].has_value);
	assert_string_equal(T.params[1].key, "y");
	assert_string_equal(T.params[1].value, "");
	assert_false(T.params[1].has_value);
	/* An empty query; a trailing '?'. */
	assert_int_equal(parse("/x?"), 0);
	assert_string_equal(T.path, "/x");
	assert_int_equal(T.n_params, 0);
}

static void test_target_repeated_and_empty(void **state)
{
	(void)state;
	assert_int_equal(parse("/h?source=a&&source=b&=v&source=&k=1=2&"), 0);
	assert_int_equal(T.n_params, 5);
	assert_string_equal(http_target_param(&T, "source", 0), "a");
	assert_string_equal(http_target_param(&T, "source", 1), "b");
	assert_string_equal(http_target_param(&T, "source", 2), "");
	assert_null(http_target_param(&T, "source", 3));
	assert_null(http_target_param(&T, "nope", 0));
	assert_string_equal(http_target_param(&T, "", 0), "v");
	/* Only the first '=' splits. */
	assert_string_equal(http_target_param(&T, "k", 0), "1=2");
	/* Escaped separators stay data. */
	assert_int_equal(parse("/p?a%26b=c%3Dd%3f"), 0);
	assert_int_equal(T.n_params, 1);
	assert_string_equal(T.params[0].key, "a&b");
	assert_string_equal(T.params[0].value, "c=d?");
	/* Non-ASCII and controls may come escaped: they are data (the
	 * handler decides), only NUL is refused. */
	assert_int_equal(parse("/p?n=%C3%A9%0A%FF"), 0);
	assert_string_equal(T.params[0].value, "\xc3\xa9\n\xff");
}

static void test_target_absolute_form(void **state)
{
	(void)state;
	assert_int_equal(parse("http://127.0.0.1:8123/metrics?a=1"), 0);
	assert_string_equal(T.path, "/metrics");
	assert_string_equal(http_target_param(&T, "a", 0), "1");
	assert_int_equal(parse("HTTP://[::1]:80"), 0);
	assert_string_equal(T.path, "/");
	assert_int_equal(parse("https://h?x=y"), 0);
	assert_string_equal(T.path, "/");
	assert_string_equal(http_target_param(&T, "x", 0), "y");
	assert_int_equal(parse("http://"), 0);
	assert_string_equal(T.path, "/");
}

static void test_target_malformed(void **state)
{
	static const char *const bad[] = {
		"", "metrics", "*", "?a=b", "/%", "/%4", "/%zz", "/%4g", "/%g4", "/a?b=%",
		"/a?b=%0", "/a?%=1", "/%00", "/a?b=%00", "/a?%00=b", "/a b", "/a\tb",
		"/a#frag", "/a?b#c", "/\x7f", "/\xc3\xa9", "/a\r\n", "ftp://x/y",
	};
	char nul[] = "/ab?c=d";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i]) != -EINVAL)
			fail_msg("'%s' was not refused", bad[i]);
	/* A raw NUL inside the given length. */
	nul[2] = '\0';
	assert_int_equal(http_target_parse(nul, sizeof(nul) - 1, &T), -EINVAL);
}

static void test_target_limits(void **state)
{
	char *s = malloc(HTTP_TARGET_MAX + 2);
	char q[512];
	int i;

	(void)state;
	/* The longest target accepted, all of it one escaped value. */
	memset(s, 'a', HTTP_TARGET_MAX + 1);
	s[0] = '/';
	s[HTTP_TARGET_MAX] = '\0';
	assert_int_equal(parse(s), 0);
	assert_int_equal(strlen(T.path), HTTP_TARGET_MAX);
	s[HTTP_TARGET_MAX] = 'a';
	s[HTTP_TARGET_MAX + 1] = '\0';
	assert_int_equal(parse(s), -E2BIG);
	/* Worst case for the decoded store: every pair a one-byte key with a
	 * value, no escapes, at the length bound. */
	memset(s, 0, HTTP_TARGET_MAX + 2);
	strcpy(s, "/?");
	while (strlen(s) + 4 <= HTTP_TARGET_MAX && strlen(s) < 40)
		strcat(s, "k=v&");
	assert_int_equal(parse(s), 0);
	free(s);
	/* HTTP_PARAMS_MAX parameters, then one more. */
	strcpy(q, "/p?");
	for (i = 0; i < HTTP_PARAMS_MAX; i++)
		snprintf(q + strlen(q), sizeof(q) - strlen(q), "k%d=%d&", i, i);
	assert_int_equal(parse(q), 0);
	assert_int_equal(T.n_params, HTTP_PARAMS_MAX);
	strcat(q, "x=y");
	assert_int_equal(parse(q), -ENOSPC);
	/* Empty pairs do not count. */
	q[strlen(q) - 3] = '\0';
	strcat(q, "&&&&");
	assert_int_equal(parse(q), 0);
}

/* ---- the server, on 127.0.0.1 with a kernel-chosen port ---- */

struct srv {
	struct loop *loop;
	struct http_server *http;
	struct met_registry *reg;
	uint16_t port;
	int hits;
};

static void h_hello(const struct http_request *req, struct http_response *resp, void *arg)
{
	struct srv *s = arg;
	const char *who = http_target_param(req->target, "who", 0);

	s->hits++;
	sbuf_printf(&resp->body, "hello %s\n", who ? who : "world");
}

static void h_huge(const struct http_request *req, struct http_response *resp, void *arg)
{
	(void)req;
	(void)arg;
	while (!resp->body.overflow)
		sbuf_puts(&resp->body, "0123456789abcdef");
}

static int srv_up(struct srv *s, const char *allow)
{
	struct http_config c;
	int err;

	memset(s, 0, sizeof(*s));
	http_config_init(&c);
	net_addr_parse("127.0.0.1", &c.addr);
	c.port = 0;
	c.timeout_s = 1;
	c.max_body = 4096;
	if (allow)
		snprintf(c.allow[c.n_allow++], HTTP_ALLOW_LEN, "%s", allow);
	s->loop = loop_create();
	s->http = http_create(s->loop, &c, &err);
	if (!s->http)
		return err;
	s->port = http_port(s->http);
	s->reg = met_create();
	assert_int_equal(http_register_metrics(s->http, s->reg), 0);
	assert_int_equal(http_route(s->http, "/hello", h_hello, s), 0);
	assert_int_equal(http_route(s->http, "/hello", h_hello, s), -EEXIST);
	assert_int_equal(http_route(s->http, "huge", h_huge, s), -EINVAL);
	assert_int_equal(http_route(s->http, "/huge", h_huge, s), 0);
	return 0;
}

static void srv_down(struct srv *s)
{
	http_destroy(s->http);
	met_destroy(s->reg);
	loop_destroy(s->loop);
}

static int connect_local(uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) && errno != EINPROGRESS)
		fail_msg("connect: %s", strerror(errno));
	return fd;
}

/* Send req and run the loop until the server closes or 2 s pass; the
 * answer in out. Returns the bytes read, or -1 if the connection was
 * reset or closed without an answer. */
static ssize_t exchange(struct srv *s, const char *req, char *out, size_t cap)
{
	int fd = connect_local(s->port);
	size_t got = 0;
	int i;

	for (i = 0; i < 20; i++)
		loop_run_once(s->loop, 10 * 1000000LL);
	if (req && send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
		close(fd);
		return -1;
	}
	for (i = 0; i < 200; i++) {
		ssize_t n;

		loop_run_once(s->loop, 10 * 1000000LL);
		n = recv(fd, out + got, cap - 1 - got, 0);
		if (n > 0)
			got += (size_t)n;
		else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			break;
	}
	close(fd);
	out[got] = '\0';
	return got ? (ssize_t)got : -1;
}

static double family_value(struct met_registry *r, const char *name, const char *label);

static void test_server_routes(void **state)
{
	struct srv s;
	char buf[16384];

	(void)state;
	assert_int_equal(srv_up(&s, NULL), 0);
	assert_true(s.port > 0);
	assert_true(exchange(&s, "GET /hello?who=a%20b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			     buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "HTTP/1.1 200"));
	assert_non_null(strstr(buf, "hello a b\n"));
	assert_non_null(strstr(buf, "Cache-Control: no-store"));
	/* HEAD: the headers of GET, no body. */
	assert_true(exchange(&s, "HEAD /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			     buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "HTTP/1.1 200"));
	assert_non_null(strstr(buf, "Content-Length: 12"));
	assert_null(strstr(buf, "hello"));
	assert_true(exchange(&s, "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			     buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "HTTP/1.1 404"));
	assert_true(exchange(&s, "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
			     "Connection: close\r\n\r\nabc", buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "HTTP/1.1 405"));
	assert_non_null(strstr(buf, "Allow: GET, HEAD"));
	/* A GET with a body: refused at once, the body is not waited for. */
	assert_true(exchange(&s, "GET /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
			     "\r\nabc", buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "HTTP/1.1 400"));
	assert_non_null(strstr(buf, "Connection: close"));
	/* Keep-alive: two requests on one connection, both answered. */
	assert_true(exchange(&s, "GET /hello?who=1 HTTP/1.1\r\nHost: x\r\n\r\n"
			     "GET /hello?who=2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			     buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "hello 1\n"));
	assert_non_null(strstr(buf, "hello 2\n"));
	assert_true(exchange(&s, "GET /hello?x=%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			     buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "HTTP/1.1 400"));
	/* A body over max_body: 500, not a truncated answer. */
	assert_true(exchange(&s, "GET /huge HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			     buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "HTTP/1.1 500"));
	assert_int_equal(s.hits, 4);
	assert_true(family_value(s.reg, "gnomon_http_requests_total", "200") == 4);
	assert_true(family_value(s.reg, "gnomon_http_requests_total", "404") == 1);
	assert_true(family_value(s.reg, "gnomon_http_requests_total", "405") == 1);
	assert_true(family_value(s.reg, "gnomon_http_requests_total", "400") == 2);
	assert_true(family_value(s.reg, "gnomon_http_requests_total", "500") == 1);
	srv_down(&s);
}

/* Deferred answers (http_defer): the handler returns without one, the
 * loop goes on serving others, and the answer given later from a timer
 * reaches the client; a request still deferred when the server is
 * destroyed is answered by the server (no leak, no crash: ASan). */
struct later {
	struct srv *srv;
	struct http_defer *d;
	int answered;
};

static void on_later(struct loop_timer *t, void *arg)
{
	struct later *l = arg;
	struct http_response resp;

	(void)t;
	memset(&resp, 0, sizeof(resp));
	resp.status = 200;
	resp.content_type = "text/plain";
	sbuf_init(&resp.body, 0);
	sbuf_printf(&resp.body, "later %d\n", ++l->answered);
	http_defer_answer(l->d, &resp);
	sbuf_free(&resp.body);	/* taken over: empty */
}

static void h_later(const struct http_request *req, struct http_response *resp, void *arg)
{
	struct later *l = arg;

	(void)resp;
	l->d = http_defer(req);
	loop_timer_add(l->srv->loop, 200 * 1000000LL, 0, on_later, l);
}

static void h_never(const struct http_request *req, struct http_response *resp, void *arg)
{
	(void)resp;
	(void)arg;
	http_defer(req);
}

static bool send_str(int fd, const char *req)
{
	return send(fd, req, strlen(req), MSG_NOSIGNAL) == (ssize_t)strlen(req);
}

static void test_server_deferred(void **state)
{
	struct later l = { 0 };
	struct srv s;
	char buf[4096], buf2[4096];
	size_t got = 0, got2 = 0;
	int fd, fd2, i;
	gt_ns t0, answered_at = 0;

	(void)state;
	assert_int_equal(srv_up(&s, NULL), 0);
	l.srv = &s;
	assert_int_equal(http_route(s.http, "/later", h_later, &l), 0);
	assert_int_equal(http_route(s.http, "/never", h_never, &l), 0);
	fd = connect_local(s.port);
	fd2 = connect_local(s.port);
	for (i = 0; i < 10; i++)
		loop_run_once(s.loop, 10 * 1000000LL);
	t0 = gt_now(CLOCK_MONOTONIC);
	/* Keep-alive: the deferred answer, then a second request. */
	assert_true(send_str(fd, "GET /later HTTP/1.1\r\nHost: x\r\n\r\n"));
	for (i = 0; i < 300 && !answered_at; i++) {
		ssize_t n;

		loop_run_once(s.loop, 10 * 1000000LL);
		/* Served meanwhile: the loop is not held by the deferred one. */
		if (i == 5) {
			assert_true(send_str(fd2, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
		}
		n = recv(fd2, buf2 + got2, sizeof(buf2) - 1 - got2, 0);
		if (n > 0)
			got2 += (size_t)n;
		n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (n > 0) {
			got += (size_t)n;
			buf[got] = '\0';
			if (strstr(buf, "later 1\n"))
				answered_at = gt_now(CLOCK_MONOTONIC);
		}
		if (!answered_at && got2)
			buf2[got2] = '\0';
	}
	assert_true(answered_at);
	assert_true(answered_at - t0 >= 190 * 1000000LL);
	/* At once, not at MHD's next idle timeout (1 s here). */
	assert_true(answered_at - t0 < 700 * 1000000LL);
	assert_non_null(strstr(buf, "HTTP/1.1 200"));
	buf2[got2] = '\0';
	assert_non_null(strstr(buf2, "hello world\n"));	/* before the deferred answer */
	assert_true(send_str(fd, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
	for (i = 0; i < 100; i++) {
		ssize_t n;

		loop_run_once(s.loop, 10 * 1000000LL);
		n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (n > 0)
			got += (size_t)n;
		else if (n == 0)
			break;
	}
	buf[got] = '\0';
	assert_non_null(strstr(buf, "hello world\n"));
	assert_int_equal(l.answered, 1);
	assert_true(family_value(s.reg, "gnomon_http_requests_total", "200") == 3);
	close(fd);
	/* One left deferred: the server answers it when destroyed. */
	assert_true(send_str(fd2, "GET /never HTTP/1.1\r\nHost: x\r\n\r\n"));
	for (i = 0; i < 20; i++)
		loop_run_once(s.loop, 10 * 1000000LL);
	srv_down(&s);
	close(fd2);
}

static void test_server_acl(void **state)
{
	struct srv s;
	char buf[1024];

	(void)state;
	/* Only a benchmarking-range address is allowed: loopback is refused
	 * at accept, before a byte is read. */
	assert_int_equal(srv_up(&s, "198.18.0.0/15"), 0);
	assert_int_equal(exchange(&s, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof(buf)),
			 -1);
	assert_int_equal(s.hits, 0);
	assert_true(met_value(met_find(s.reg, "gnomon_http_connections_refused_total")) == 1);
	srv_down(&s);
}

static void test_server_limits(void **state)
{
	struct srv s;
	char *req = malloc(40000);
	char buf[4096];

	(void)state;
	assert_int_equal(srv_up(&s, NULL), 0);
	/* A target over HTTP_TARGET_MAX: 414. */
	strcpy(req, "GET /");
	memset(req + 5, 'a', HTTP_TARGET_MAX + 10);
	strcpy(req + 5 + HTTP_TARGET_MAX + 10, " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_true(exchange(&s, req, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "HTTP/1.1 414"));
	/* Headers over the request limit: refused by MHD, our handler
	 * never runs. */
	strcpy(req, "GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: ");
	memset(req + strlen(req), 'b', 30000);
	strcpy(req + strlen(req) - 0, "\r\n\r\n");
	assert_true(exchange(&s, req, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "HTTP/1.1 431"));
	assert_int_equal(s.hits, 0);
	free(req);
	srv_down(&s);
}

/* A client that connects and sends nothing does not hold up another one;
 * it is closed after the timeout (1 s here). */
static void test_server_slow_client(void **state)
{
	struct srv s;
	char buf[4096];
	int slow, i;
	ssize_t n = 0;

	(void)state;
	assert_int_equal(srv_up(&s, NULL), 0);
	slow = connect_local(s.port);
	assert_true(exchange(&s, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			     buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "HTTP/1.1 200"));
	for (i = 0; i < 300; i++) {
		loop_run_once(s.loop, 10 * 1000000LL);
		n = recv(slow, buf, sizeof(buf), 0);
		if (n == 0)
			break;
	}
	assert_int_equal(n, 0);		/* closed by the server */
	close(slow);
	srv_down(&s);
}

struct find_emit {
	struct met_emit em;
	const char *label;
	double v;
};

static void find_sample(struct met_emit *em, double v, const char *const *labels, size_t n)
{
	struct find_emit *f = (struct find_emit *)(void *)em;

	if (n && !strcmp(labels[1], f->label))
		f->v = v;
}

static double family_value(struct met_registry *r, const char *name, const char *label)
{
	struct find_emit f = { { find_sample }, label, -1 };
	size_t i;

	for (i = 0; i < met_family_count(r); i++)
		if (!strcmp(met_family_name(met_family_get(r, i)), name))
			met_family_read(met_family_get(r, i), &f.em);
	return f.v;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_target_plain),
		cmocka_unit_test(test_target_repeated_and_empty),
		cmocka_unit_test(test_target_absolute_form),
		cmocka_unit_test(test_target_malformed),
		cmocka_unit_test(test_target_limits),
		cmocka_unit_test(test_server_routes),
		cmocka_unit_test(test_server_acl),
		cmocka_unit_test(test_server_limits),
		cmocka_unit_test(test_server_slow_client),
		cmocka_unit_test(test_server_deferred),
	};

	return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
