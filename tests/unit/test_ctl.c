/* Unit tests for mon/ctl: the request parser (a pure function over
 * untrusted bytes) and one round trip over a real control socket in a
 * private temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "mon/ctl.h"

/* socket() is wrapped (-Wl,--wrap=socket in meson.build): with
 * refuse_errno set, Unix SOCK_SEQPACKET sockets fail with it, as they do
 * under an LD_PRELOAD simulator (clknetsim: EINVAL). */
int __real_socket(int domain, int type, int protocol);
int __wrap_socket(int domain, int type, int protocol);
static int refuse_errno;

int __wrap_socket(int domain, int type, int protocol)
{
	if (refuse_errno && domain == AF_UNIX && (type & 0xf) == SOCK_SEQPACKET) {
		errno = refuse_errno;
		return -1;
	}
	return __real_socket(domain, type, protocol);
}

static char dst[CTL_MAX_REQUEST + 1];
static char *argv_[CTL_MAX_ARGS];

/* Parse len bytes from an exactly sized heap copy, so ASan sees any read
 * past the end. */
static int parse_len(const char *s, size_t len)
{
	char *b = malloc(len ? len : 1);
	int rc;

	assert_non_null(b);
	memcpy(b, s, len);
	memset(dst, 0x5a, sizeof(dst));
	rc = ctl_parse_request(b, len, dst, argv_);
	free(b);
	return rc;
}

static int parse(const char *s)
{
	return parse_len(s, strlen(s));
}

static void test_single_word(void **state)
{
	(void)state;
	assert_int_equal(parse("status"), 1);
	assert_string_equal(argv_[0], "status");
	/* The words live in dst, not in the caller's buffer. */
	assert_true(argv_[0] >= dst && argv_[0] < dst + sizeof(dst));
}

static void test_words_and_spaces(void **state)
{
	(void)state;
	assert_int_equal(parse("query 127.0.0.1 -n 4"), 4);
	assert_string_equal(argv_[0], "query");
	assert_string_equal(argv_[1], "127.0.0.1");
	assert_string_equal(argv_[2], "-n");
	assert_string_equal(argv_[3], "4");
	assert_int_equal(parse("   a    b   "), 2);
	assert_string_equal(argv_[0], "a");
	assert_string_equal(argv_[1], "b");
}

static void test_trailing_newlines(void **state)
{
	(void)state;
	assert_int_equal(parse("status\n"), 1);
	assert_string_equal(argv_[0], "status");
	assert_int_equal(parse("metrics x\r\n"), 2);
	assert_string_equal(argv_[1], "x");
	assert_int_equal(parse("status\n\n\r\n"), 1);
	assert_string_equal(argv_[0], "status");
}

static void test_not_nul_terminated(void **state)
{
	(void)state;
	assert_int_equal(parse_len("statusGARBAGE", 6), 1);
	assert_string_equal(argv_[0], "status");
	assert_int_equal(parse_len("a b c", 3), 2);
	assert_string_equal(argv_[1], "b");
}

static void test_empty(void **state)
{
	(void)state;
	assert_int_equal(parse_len("", 0), -EINVAL);
	assert_int_equal(parse(" "), -EINVAL);
	assert_int_equal(parse("        "), -EINVAL);
	assert_int_equal(parse("\n"), -EINVAL);
	assert_int_equal(parse("\r\n"), -EINVAL);
	assert_int_equal(parse("  \n"), -EINVAL);
}

static void test_length_limit(void **state)
{
	char buf[CTL_MAX_REQUEST + 8];

	(void)state;
	memset(buf, 'a', sizeof(buf));
	assert_int_equal(parse_len(buf, CTL_MAX_REQUEST), 1);
	assert_int_equal(strlen(argv_[0]), CTL_MAX_REQUEST);
	assert_int_equal(parse_len(buf, CTL_MAX_REQUEST + 1), -EINVAL);
	assert_int_equal(parse_len(buf, CTL_MAX_REQUEST + 7), -EINVAL);
	/* A trailing newline does not count against the limit. */
	buf[CTL_MAX_REQUEST] = '\n';
	assert_int_equal(parse_len(buf, CTL_MAX_REQUEST + 1), 1);
}

static void test_word_limit(void **state)
{
	(void)state;
	assert_int_equal(parse("a b c d e f g h"), CTL_MAX_ARGS);
	assert_string_equal(argv_[7], "h");
	assert_int_equal(parse("a b c d e f g h i"), -EINVAL);
	assert_int_equal(parse("a b c d e f g h   "), CTL_MAX_ARGS);
}

static void test_non_printable(void **state)
{
	static const char *const bad[] = {
		"sta\ttus", "status\x01", "\x7f", "st\x80tus", "caf\xc3\xa9", "a\x1b[2Jb",
		"status\nx",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i]) != -EINVAL)
			fail_msg("request %zu accepted", i);
	/* A NUL byte inside the message. */
	assert_int_equal(parse_len("stat\0us", 7), -EINVAL);
	assert_int_equal(parse_len("status\0", 7), -EINVAL);
}

/* ---- the socket ---- */

static int echo_calls;

static int cmd_echo(void *arg, int argc, char **argv, struct json_out *out)
{
	int i;

	*(int *)arg += 1;
	json_u64(out, "argc", (uint64_t)argc);
	json_arr_begin(out, "argv");
	for (i = 0; i < argc; i++)
		json_str(out, NULL, argv[i]);
	json_arr_end(out);
	return 0;
}

static int cmd_fail(void *arg, int argc, char **argv, struct json_out *out)
{
	(void)arg;
	(void)argc;
	(void)argv;
	json_str(out, "error", "no");
	return -EIO;
}

/* Send one request on a new connection, run the loop until the reply
 * arrives, and return it in buf. */
static void request(struct loop *l, const char *path, const char *req, size_t len, char *buf,
		    size_t cap)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0), i;
	ssize_t n = -1;

	assert_true(fd >= 0);
	strcpy(sa.sun_path, path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(send(fd, req, len, 0), (ssize_t)len);
	for (i = 0; i < 200 && n < 0; i++) {
		assert_int_equal(loop_run_once(l, 10 * GT_NS_PER_MS), 0);
		n = recv(fd, buf, cap - 1, MSG_DONTWAIT);
	}
	assert_true(n > 0);
	buf[n] = '\0';
	close(fd);
}

static void test_socket_round_trip(void **state)
{
	char dir[] = "/tmp/gnomon-test-ctl-XXXXXX", path[128], reply[4096];
	struct loop *l = loop_create();
	struct ctl *c;
	int err = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);
	c = ctl_create(path, l, &err);
	assert_non_null(c);
	assert_true(ctl_fd(c) >= 0);
	assert_true(fcntl(ctl_fd(c), F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(ctl_fd(c), F_GETFD) & FD_CLOEXEC);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(ctl_register(c, "echo", cmd_echo, &echo_calls), 0);
	assert_int_equal(ctl_register(c, "fail", cmd_fail, NULL), 0);

	request(l, path, "echo a  b\n", 10, reply, sizeof(reply));
	assert_string_equal(reply, "{\"argc\":3,\"argv\":[\"echo\",\"a\",\"b\"]}");
	assert_int_equal(echo_calls, 1);

	request(l, path, "nosuch", 6, reply, sizeof(reply));
	assert_non_null(strstr(reply, "\"error\""));
	assert_non_null(strstr(reply, "unknown command"));
	assert_non_null(strstr(reply, "echo"));

	request(l, path, "echo\ttab", 8, reply, sizeof(reply));
	assert_string_equal(reply, "{\"error\":\"malformed request\"}");
	assert_int_equal(echo_calls, 1);

	request(l, path, "fail", 4, reply, sizeof(reply));
	assert_string_equal(reply, "{\"error\":\"no\"}");

	ctl_destroy(c);
	assert_int_equal(access(path, F_OK), -1);	/* socket removed */
	loop_destroy(l);
	assert_int_equal(rmdir(dir), 0);
}

static void test_socket_path_too_long(void **state)
{
	char path[200];
	struct loop *l = loop_create();
	int err = 0;

	(void)state;
	memset(path, 'x', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	assert_null(ctl_create(path, l, &err));
	assert_int_equal(err, -ENAMETOOLONG);
	assert_null(ctl_create("/nonexistent-dir-gnomon/x.sock", l, &err));
	assert_true(err < 0);
	loop_destroy(l);
}

/* Without Unix SOCK_SEQPACKET (a simulator) the daemon goes on without a
 * socket, its commands still callable; other failures stay failures. */
static void test_socket_type_unsupported(void **state)
{
	char dir[] = "/tmp/gnomon-test-ctl-XXXXXX", path[128];
	char w0[] = "echo", w1[] = "x", *argv[] = { w0, w1 };
	struct loop *l = loop_create();
	struct json_out j;
	char buf[256];
	struct ctl *c;
	int err = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);
	refuse_errno = EINVAL;
	c = ctl_create(path, l, &err);
	assert_non_null(c);
	assert_int_equal(ctl_fd(c), -1);
	assert_int_equal(access(path, F_OK), -1);	/* nothing bound */
	assert_int_equal(ctl_register(c, "echo", cmd_echo, &echo_calls), 0);
	json_init(&j, buf, sizeof(buf));
	json_obj_begin(&j, NULL);
	assert_int_equal(ctl_call(c, 2, argv, &j), 0);
	json_obj_end(&j);
	assert_non_null(strstr(buf, "\"argc\":2"));
	ctl_destroy(c);

	refuse_errno = EACCES;	/* not "no such socket type": an error */
	assert_null(ctl_create(path, l, &err));
	assert_int_equal(err, -EACCES);
	refuse_errno = 0;
	loop_destroy(l);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_word),
		cmocka_unit_test(test_words_and_spaces),
		cmocka_unit_test(test_trailing_newlines),
		cmocka_unit_test(test_not_nul_terminated),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_length_limit),
		cmocka_unit_test(test_word_limit),
		cmocka_unit_test(test_non_printable),
		cmocka_unit_test(test_socket_round_trip),
		cmocka_unit_test(test_socket_path_too_long),
		cmocka_unit_test(test_socket_type_unsupported),
	};

	return cmocka_run_group_tests_name("ctl", tests, NULL, NULL);
}
