/* sandbox: gnomond's seccomp filter (libseccomp). Installed once start-up
 * is over (sockets bound, privileges dropped, threads started), it allows
 * only the system calls the configured services make while running; any
 * other call is trapped, named on stderr and in the log file, and ends the
 * daemon with SANDBOX_EXIT_STATUS. */
#ifndef GNOMON_SANDBOX_H
#define GNOMON_SANDBOX_H

#include <stdbool.h>

/* 128 + SIGSYS, what a shell reports for a process killed by SIGSYS. */
#define SANDBOX_EXIT_STATUS 159

/* What the running daemon needs beyond the base set (memory, time,
 * signals, polling, the sockets it already has, reading files). */
struct sandbox_needs {
	bool clock_adjust;	/* clock system disciplined: clock_adjtime */
	bool file_writes;	/* journal, logs, driftfile, state: create, rename, fsync */
	bool audit;		/* the audit thread: SQLite, libpq, name resolution */
};

/* Install the filter on every thread of the process (TSYNC) and set
 * no_new_privs. log_fd: a second descriptor (the log file) the trap
 * message also goes to, or -1. 0 or -errno. */
int sandbox_install(const struct sandbox_needs *n, int log_fd);

/* The test hook (README "Privileges"): make one system call that no
 * filter allows, personality(0xffffffff), which only reads the execution
 * domain. Without the filter it returns and the daemon goes on. */
void sandbox_try_forbidden(void);

#endif
