/* Unit tests for the seccomp filter (src/prog/sandbox.c): in a forked
 * child, the filter for each need allows what that need makes and traps
 * the rest, naming the call on stderr and exiting with 159. */
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
#include <sys/syscall.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "prog/sandbox.h"

enum action { DO_NOTHING, DO_PERSONALITY, DO_ADJTIME_READ, DO_RENAME, DO_SOCKET_PACKET,
	      DO_SOCKET_NETLINK, DO_GETCWD };

/* Run action under the filter for needs in a child; its exit status and
 * what it wrote on stderr. */
static int run_child(const struct sandbox_needs *n, enum action a, char *err, size_t len)
{
	int pfd[2], status = -1;
	ssize_t got = 0, r;
	pid_t pid;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct timex tx = { .modes = 0 };
		long rc = 0;

		dup2(pfd[1], STDERR_FILENO);
		close(pfd[0]);
		if (sandbox_install(n, -1))
			_exit(90);
		switch (a) {
		case DO_NOTHING: break;
		/* Read-only: neither call changes anything if allowed. */
		case DO_PERSONALITY: rc = syscall(SYS_personality, 0xffffffffUL); break;
		case DO_ADJTIME_READ: rc = clock_adjtime(CLOCK_REALTIME, &tx); break;
		case DO_RENAME: rc = rename("/nonexistent/a", "/nonexistent/b"); break;
		case DO_SOCKET_PACKET: rc = syscall(SYS_socket, 17 /* AF_PACKET */, 3, 0); break;
		case DO_SOCKET_NETLINK: rc = syscall(SYS_socket, 16 /* AF_NETLINK */, 3, 0); break;
		case DO_GETCWD: {
			char cwd[256];

			rc = syscall(SYS_getcwd, cwd, sizeof(cwd));
			break;
		}
		}
		(void)rc;
		_exit(0);
	}
	close(pfd[1]);
	while ((size_t)got < len - 1 && (r = read(pfd[0], err + got, len - 1 - (size_t)got)) > 0)
		got += r;
	err[got] = '\0';
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_base_allows_running(void **state)
{
	struct sandbox_needs n = { 0 };
	char err[512];

	(void)state;
	assert_int_equal(run_child(&n, DO_NOTHING, err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

static void test_forbidden_is_named(void **state)
{
	struct sandbox_needs n = { .clock_adjust = true, .file_writes = true };
	char err[512];

	(void)state;
	assert_int_equal(run_child(&n, DO_PERSONALITY, err, sizeof(err)), SANDBOX_EXIT_STATUS);
	assert_non_null(strstr(err, "forbidden system call personality (number "));
}

static void test_clock_only_when_disciplined(void **state)
{
	struct sandbox_needs n = { 0 };
	char err[512];

	(void)state;
	assert_int_equal(run_child(&n, DO_ADJTIME_READ, err, sizeof(err)), SANDBOX_EXIT_STATUS);
	assert_non_null(strstr(err, "clock_adjtime"));
	n.clock_adjust = true;
	assert_int_equal(run_child(&n, DO_ADJTIME_READ, err, sizeof(err)), 0);
}

static void test_file_writes_only_when_needed(void **state)
{
	struct sandbox_needs n = { 0 };
	char err[512];

	(void)state;
	assert_int_equal(run_child(&n, DO_RENAME, err, sizeof(err)), SANDBOX_EXIT_STATUS);
	assert_non_null(strstr(err, "rename"));
	n.file_writes = true;
	assert_int_equal(run_child(&n, DO_RENAME, err, sizeof(err)), 0);
}

static void test_socket_families(void **state)
{
	struct sandbox_needs n = { .clock_adjust = true, .file_writes = true };
	char err[512];

	(void)state;
	assert_int_equal(run_child(&n, DO_SOCKET_PACKET, err, sizeof(err)), SANDBOX_EXIT_STATUS);
	assert_non_null(strstr(err, "socket"));
}

/* The audit thread (audit/audit_svc.c): getaddrinfo's netlink socket and
 * SQLite's getcwd, only with the audit; AF_PACKET never. */
static void test_audit_only_when_configured(void **state)
{
	struct sandbox_needs n = { .file_writes = true };
	char err[512];

	(void)state;
	assert_int_equal(run_child(&n, DO_SOCKET_NETLINK, err, sizeof(err)), SANDBOX_EXIT_STATUS);
	assert_non_null(strstr(err, "socket"));
	assert_int_equal(run_child(&n, DO_GETCWD, err, sizeof(err)), SANDBOX_EXIT_STATUS);
	assert_non_null(strstr(err, "getcwd"));
	n.audit = true;
	assert_int_equal(run_child(&n, DO_SOCKET_NETLINK, err, sizeof(err)), 0);
	assert_int_equal(run_child(&n, DO_GETCWD, err, sizeof(err)), 0);
	assert_int_equal(run_child(&n, DO_SOCKET_PACKET, err, sizeof(err)), SANDBOX_EXIT_STATUS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base_allows_running),
		cmocka_unit_test(test_forbidden_is_named),
		cmocka_unit_test(test_clock_only_when_disciplined),
		cmocka_unit_test(test_file_writes_only_when_needed),
		cmocka_unit_test(test_socket_families),
		cmocka_unit_test(test_audit_only_when_configured),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
