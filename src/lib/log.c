#include "lib/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "lib/gtime.h"

enum log_level log_max_level = LOG_LVL_INFO;

static enum log_dest dest = LOG_DEST_STDERR;
static FILE *file;
static char file_path[4096];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uid_t owner_uid = FS_NO_UID;
static gid_t owner_gid;
static volatile sig_atomic_t file_fd = -1;	/* for log_file_fd() in signal handlers */

static const char *const level_names[] = { "ERROR", "WARN", "INFO", "DEBUG" };
static const int syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

void log_set_owner(uid_t uid, gid_t gid)
{
	owner_uid = uid;
	owner_gid = gid;
}

int log_file_fd(void)
{
	return file_fd;
}

/* Root opens the log in a directory the daemon's user may write: never
 * through a planted link, and the file is handed to that user so that
 * SIGHUP can reopen it after the drop (fsutil.h). */
static FILE *open_log_file(void)
{
	int fd = fs_open_nofollow(file_path, O_WRONLY | O_APPEND | O_CREAT, 0640, owner_uid,
				  owner_gid);
	FILE *f;

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	f = fdopen(fd, "a");
	if (!f) {
		int e = errno;

		close(fd);
		errno = e;
	}
	return f;
}

int log_open(enum log_dest d, const char *path, const char *ident)
{
	log_close();
	dest = d;
	if (d == LOG_DEST_SYSLOG) {
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	} else if (d == LOG_DEST_FILE) {
		snprintf(file_path, sizeof(file_path), "%s", path);
		file = open_log_file();
		if (!file) {
			dest = LOG_DEST_STDERR;
			return -errno;
		}
		setvbuf(file, NULL, _IOLBF, 0);
		file_fd = fileno(file);
	}
	return 0;
}

int log_reopen(void)
{
	FILE *f;

	if (dest != LOG_DEST_FILE)
		return 0;
	f = open_log_file();
	if (!f)
		return -errno;
	setvbuf(f, NULL, _IOLBF, 0);
	pthread_mutex_lock(&lock);
	file_fd = fileno(f);
	if (file)
		fclose(file);
	file = f;
	pthread_mutex_unlock(&lock);
	return 0;
}

void log_close(void)
{
	if (dest == LOG_DEST_SYSLOG)
		closelog();
	if (file) {
		file_fd = -1;
		fclose(file);
		file = NULL;
	}
	dest = LOG_DEST_STDERR;
}

void log_set_level(enum log_level lvl)
{
	log_max_level = lvl;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	char msg[1024], stamp[40];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (dest == LOG_DEST_SYSLOG) {
		syslog(syslog_prio[lvl], "%s", msg);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	pthread_mutex_lock(&lock);
	fprintf(file ? file : stderr, "%s.%06ldZ %s %s\n", stamp, ts.tv_nsec / 1000,
		level_names[lvl], msg);
	pthread_mutex_unlock(&lock);
}

bool log_rl_allow(struct log_rl *rl)
{
	long long now = gt_now(CLOCK_MONOTONIC);
	const long long refill = 6 * GT_NS_PER_S;

	/* Not thread-safe by design: a lost update only lets one message more
	 * or less through. */
	if (!rl->init) {
		rl->init = true;
		rl->tokens = 10;
		rl->next_ns = now + refill;
	}
	while (now >= rl->next_ns && rl->tokens < 10) {
		rl->tokens++;
		rl->next_ns += refill;
	}
	if (rl->tokens >= 10)
		rl->next_ns = now + refill;
	if (rl->tokens > 0) {
		rl->tokens--;
		if (rl->suppressed) {
			unsigned n = rl->suppressed;

			rl->suppressed = 0;
			log_msg(LOG_LVL_WARN, "(%u similar messages suppressed)", n);
		}
		return true;
	}
	rl->suppressed++;
	return false;
}
