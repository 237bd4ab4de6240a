/* Unit tests for mon/ctl_client, the control socket's client side shared by
 * gnomonctl and gnomon-snmp: one round trip against a real SOCK_SEQPACKET
 * listener in a private directory (served by a thread), and every way the
 * other side can misbehave: a reply too large, no reply, a closed
 * connection, no socket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mon/ctl_client.h"

enum behaviour { ANSWER, ANSWER_LARGE, SILENT, CLOSE };

struct server {
	char dir[64], path[128];
	int fd;
	enum behaviour how;
	char got[256];
	pthread_t th;
};

static void *serve_one(void *arg)
{
	struct server *s = arg;
	char big[300];
	int c = accept(s->fd, NULL, NULL);
	ssize_t n;

	if (c < 0)
		return NULL;
	n = recv(c, s->got, sizeof(s->got) - 1, 0);
	s->got[n > 0 ? n : 0] = '\0';
	switch (s->how) {
	case ANSWER:
		send(c, "{\"ok\":1}", 8, MSG_NOSIGNAL);
		break;
	case ANSWER_LARGE:
		memset(big, 'x', sizeof(big));
		send(c, big, sizeof(big), MSG_NOSIGNAL);
		break;
	case SILENT:
		usleep(2000000);	/* far past the client's timeout */
		break;
	case CLOSE:
		break;
	}
	close(c);
	return NULL;
}

static void start(struct server *s, enum behaviour how)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "/tmp/gn-ctlc-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->path, sizeof(s->path), "%s/ctl.sock", s->dir);
	strcpy(sa.sun_path, s->path);
	s->fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_true(s->fd >= 0);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s->fd, 4), 0);
	s->how = how;
	assert_int_equal(pthread_create(&s->th, NULL, serve_one, s), 0);
}

static void finish(struct server *s)
{
	pthread_join(s->th, NULL);
	close(s->fd);
	unlink(s->path);
	rmdir(s->dir);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_round_trip(void **unused)
{
	struct server s;
	struct ctl_peer peer;
	char buf[64];

	(void)unused;
	start(&s, ANSWER);
	assert_int_equal(ctl_client_request(s.path, "tracking", buf, sizeof(buf), 2000, &peer), 0);
	finish(&s);
	assert_string_equal(buf, "{\"ok\":1}");
	assert_string_equal(s.got, "tracking");
	/* the listener's process: this one (the server is a thread) */
	assert_int_equal(peer.pid, getpid());
}

static void test_reply_too_large_is_an_error(void **unused)
{
	struct server s;
	char buf[64];

	(void)unused;
	start(&s, ANSWER_LARGE);
	assert_int_equal(ctl_client_request(s.path, "sources", buf, sizeof(buf), 2000, NULL),
			 -EMSGSIZE);
	finish(&s);
}

static void test_no_reply_times_out(void **unused)
{
	struct server s;
	char buf[64];
	double t0 = now_s(), dt;
	int rc;

	(void)unused;
	start(&s, SILENT);
	rc = ctl_client_request(s.path, "tracking", buf, sizeof(buf), 200, NULL);
	dt = now_s() - t0;
	finish(&s);
	assert_true(rc == -EAGAIN || rc == -EWOULDBLOCK);
	assert_true(dt >= 0.15 && dt < 1.5);	/* bounded, with room for a loaded machine */
}

static void test_closed_without_reply(void **unused)
{
	struct server s;
	char buf[64];

	(void)unused;
	start(&s, CLOSE);
	assert_int_equal(ctl_client_request(s.path, "tracking", buf, sizeof(buf), 2000, NULL),
			 -ECONNRESET);
	finish(&s);
}

static void test_no_socket(void **unused)
{
	char buf[64], path[200];
	struct ctl_peer peer = { .pid = 7 };

	(void)unused;
	assert_int_equal(ctl_client_request("/nonexistent/gnomond.sock", "tracking", buf,
					    sizeof(buf), 100, &peer), -ENOENT);
	assert_int_equal(peer.pid, 0);
	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(ctl_client_request(path, "tracking", buf, sizeof(buf), 100, NULL),
			 -ENAMETOOLONG);
	assert_int_equal(ctl_client_request("/x", "tracking", buf, 1, 100, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_reply_too_large_is_an_error),
		cmocka_unit_test(test_no_reply_times_out),
		cmocka_unit_test(test_closed_without_reply),
		cmocka_unit_test(test_no_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
