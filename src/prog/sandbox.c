#include "prog/sandbox.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <seccomp.h>

#include "lib/log.h"
#include "lib/util.h"

/* Names of system calls 0..MAX_NR-1, resolved before the filter is on:
 * libseccomp's resolver allocates, which a signal handler must not. */
#define MAX_NR 512
static char nr_names[MAX_NR][24];
static volatile int trap_log_fd = -1;

/* Calls every configuration makes while running: memory (malloc, and the
 * stack guard of threads), time, signals and the event loop, the sockets
 * already open, the control socket's connections, and reading files
 * (SIGHUP reopens logs; glibc's localtime stats /etc/localtime). */
static const char *const base_calls[] = {
	"read", "readv", "write", "writev", "pread64", "pwrite64", "close", "lseek",
	"fstat", "stat", "lstat", "newfstatat", "statx", "fcntl", "openat", "open",
	"access", "faccessat", "faccessat2", "readlink", "unlink", "unlinkat",
	"rmdir",	/* the demo's temporary directory at exit */
	"mmap", "munmap", "mprotect", "mremap", "brk", "madvise",
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
	"futex", "set_robust_list", "rseq", "restart_syscall", "sched_yield",
	"sched_getaffinity", "membarrier",
	"clock_gettime", "clock_getres", "gettimeofday", "time", "nanosleep",
	"clock_nanosleep",
	"getpid", "gettid", "getppid", "getuid", "geteuid", "getgid", "getegid",
	"getresuid", "getresgid", "exit", "exit_group", "tgkill",
	"poll", "ppoll", "select", "pselect6", "epoll_wait", "epoll_pwait",
	"epoll_ctl", "eventfd2", "timerfd_settime", "timerfd_gettime",
	"getrandom", "uname", "prlimit64", "getrlimit", "sysinfo",
	"sendto", "sendmsg", "sendmmsg", "recvfrom", "recvmsg", "recvmmsg",
	"accept", "accept4", "getsockopt", "setsockopt", "getsockname", "getpeername",
	"shutdown", "connect", "bind",
};

/* Journal rotation and compression, statistics logs, driftfile and
 * state files: create, replace atomically, make durable, clean up. */
static const char *const file_calls[] = {
	"rename", "renameat", "renameat2", "mkdir", "mkdirat", "fsync", "fdatasync",
	"ftruncate", "getdents64", "fchmod", "fadvise64",
};

/* The audit thread (audit/audit_svc.c) beyond the file calls: SQLite
 * makes a relative path absolute (getcwd), hands a new journal file to
 * the database's owner when root (fchown) and may preallocate
 * (fallocate); libpq asks the host's name (uname is in the base). */
static const char *const audit_calls[] = { "getcwd", "fchown", "fallocate" };

/* The only calls that change the machine's clock (clk.c). */
static const char *const clock_calls[] = { "clock_adjtime", "adjtimex" };

#ifdef GNOMON_SANITIZED
/* ASan/UBSan runtimes: LeakSanitizer stops the world at exit by cloning a
 * tracer that ptraces every thread (making the process dumpable first),
 * and reads /proc/self/task (with the old getdents) and /proc/self/maps.
 * The tracer blocks SIGSYS, so a call missing here kills it silently and
 * the daemon spins at exit: found with SCMP_ACT_LOG and dmesg. */
static const char *const sanitizer_calls[] = {
	"clone", "clone3", "ptrace", "wait4", "prctl", "getdents", "getdents64", "readlinkat",
	"pipe", "pipe2", "kill", "mincore", "sched_setaffinity", "dup", "dup2", "dup3",
};
#endif

static size_t fmt_uint(char *p, unsigned long v)
{
	char tmp[24];
	size_t n = 0, i;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < sizeof(tmp));
	for (i = 0; i < n; i++)
		p[i] = tmp[n - 1 - i];
	return n;
}

static size_t put(char *buf, size_t at, size_t cap, const char *s)
{
	while (*s && at < cap)
		buf[at++] = *s++;
	return at;
}

/* Async-signal-safe: only write(2) and _exit(2). */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char msg[256];
	size_t n = 0;
	int nr = si->si_syscall, fd = trap_log_fd >= 0 ? trap_log_fd : log_file_fd();

	(void)sig;
	(void)uc;
	n = put(msg, n, sizeof(msg), "gnomond: seccomp: forbidden system call ");
	if (nr >= 0 && nr < MAX_NR && nr_names[nr][0])
		n = put(msg, n, sizeof(msg), nr_names[nr]);
	else
		n = put(msg, n, sizeof(msg), "?");
	n = put(msg, n, sizeof(msg), " (number ");
	if (n + 24 < sizeof(msg))
		n += fmt_uint(msg + n, (unsigned long)(nr < 0 ? 0 : nr));
	n = put(msg, n, sizeof(msg), "): stopping; report it, or `seccomp off`\n");
	if (write(STDERR_FILENO, msg, n) < 0 && fd < 0)
		_exit(SANDBOX_EXIT_STATUS);
	if (fd >= 0 && fd != STDERR_FILENO && write(fd, msg, n) < 0)
		_exit(SANDBOX_EXIT_STATUS);
	_exit(SANDBOX_EXIT_STATUS);
}

static void resolve_names(void)
{
	int nr;

	for (nr = 0; nr < MAX_NR; nr++) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

		if (name)
			snprintf(nr_names[nr], sizeof(nr_names[nr]), "%s", name);
		free(name);
	}
}

static int allow(scmp_filter_ctx ctx, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);
		int rc;

		/* A call this architecture does not have (open on arm64). */
		if (nr == __NR_SCMP_ERROR)
			continue;
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (rc < 0) {
			LOG_ERR("seccomp: cannot allow %s: %s", names[i], strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/* socket(2) only for the families a running daemon may still open:
 * AF_UNIX (syslog reconnecting; libpq's local socket), AF_INET and
 * AF_INET6, and with the audit AF_NETLINK (glibc's getaddrinfo asks the
 * kernel for the host's addresses for AI_ADDRCONFIG). ioctl(2) only for
 * what libc and the socket code ask: bytes pending, terminal test. */
static int allow_restricted(scmp_filter_ctx ctx, bool audit)
{
	static const int families[] = { AF_UNIX, AF_INET, AF_INET6, AF_NETLINK };
	static const unsigned long ioctls[] = { FIONREAD, TCGETS, FIONBIO };
	size_t i;
	int rc = 0;

	/* Spelt out rather than SCMP_A0(): the macro leaves datum_b unset,
	 * which clang's -Wmissing-field-initializers reports. */
	for (i = 0; i < ARRAY_LEN(families) - !audit && !rc; i++) {
		struct scmp_arg_cmp c = { .arg = 0, .op = SCMP_CMP_EQ,
					  .datum_a = (scmp_datum_t)families[i], .datum_b = 0 };

		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, &c);
	}
	for (i = 0; i < ARRAY_LEN(ioctls) && !rc; i++) {
		struct scmp_arg_cmp c = { .arg = 1, .op = SCMP_CMP_EQ,
					  .datum_a = (scmp_datum_t)ioctls[i], .datum_b = 0 };

		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, &c);
	}
	if (rc < 0)
		LOG_ERR("seccomp: cannot add the socket/ioctl rules: %s", strerror(-rc));
	return rc;
}

int sandbox_install(const struct sandbox_needs *n, int log_fd)
{
	struct sigaction sa;
	scmp_filter_ctx ctx;
	int rc;

	resolve_names();
	trap_log_fd = log_fd;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return -errno;
	/* Trap rather than kill: the handler names the call, so a missing
	 * entry is a one-line report instead of a silent death. */
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx)
		return -ENOMEM;
	/* Every thread (NTP workers, journal writer) gets the same filter
	 * and no_new_privs, atomically. */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (!rc)
		rc = allow(ctx, base_calls, ARRAY_LEN(base_calls));
	if (!rc)
		rc = allow_restricted(ctx, n->audit);
	if (!rc && n->file_writes)
		rc = allow(ctx, file_calls, ARRAY_LEN(file_calls));
	if (!rc && n->audit)
		rc = allow(ctx, audit_calls, ARRAY_LEN(audit_calls));
	if (!rc && n->clock_adjust)
		rc = allow(ctx, clock_calls, ARRAY_LEN(clock_calls));
#ifdef GNOMON_SANITIZED
	if (!rc)
		rc = allow(ctx, sanitizer_calls, ARRAY_LEN(sanitizer_calls));
#endif
	if (!rc) {
		rc = seccomp_load(ctx);
		if (rc > 0)	/* TSYNC: the id of a thread that could not sync */
			rc = -EAGAIN;
	}
	seccomp_release(ctx);
	return rc;
}

void sandbox_try_forbidden(void)
{
	long rc = syscall(SYS_personality, 0xffffffffUL);

	LOG_WARN("test hook: personality() returned %ld: the filter is off", rc);
}
