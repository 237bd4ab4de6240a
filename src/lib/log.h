/* log: leveled logging to stderr, syslog or a file.
 *
 * The macros test the level before the arguments are evaluated. Anything a
 * remote peer can trigger must use LOG_RL (rate-limited: at most a burst of
 * messages per minute per call site) so a flood cannot fill the disk. */
#ifndef GNOMON_LOG_H
#define GNOMON_LOG_H

#include <stdbool.h>
#include <sys/types.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };
enum log_dest { LOG_DEST_STDERR, LOG_DEST_SYSLOG, LOG_DEST_FILE };

extern enum log_level log_max_level;

/* Select the destination; path is used for LOG_DEST_FILE. 0 or -errno. */
int log_open(enum log_dest dest, const char *path, const char *ident);
/* Reopen the log file (SIGHUP, logrotate). */
int log_reopen(void);
/* Hand the log file to uid:gid when root creates or opens it (FS_NO_UID:
 * leave it); call before log_open. */
void log_set_owner(uid_t uid, gid_t gid);
/* The log file's descriptor, or -1 (async-signal-safe). */
int log_file_fd(void);
void log_close(void);
void log_set_level(enum log_level lvl);

void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Per-call-site rate limit state: a token bucket of 10 messages refilled
 * at one per 6 s. Returns true when the message may be written. */
struct log_rl { long long next_ns; int tokens; bool init; unsigned suppressed; };
bool log_rl_allow(struct log_rl *rl);

#define LOG(lvl, ...) do { \
	if ((lvl) <= log_max_level) log_msg((lvl), __VA_ARGS__); } while (0)
#define LOG_ERR(...)   LOG(LOG_LVL_ERR, __VA_ARGS__)
#define LOG_WARN(...)  LOG(LOG_LVL_WARN, __VA_ARGS__)
#define LOG_INFO(...)  LOG(LOG_LVL_INFO, __VA_ARGS__)
#define LOG_DEBUG(...) LOG(LOG_LVL_DEBUG, __VA_ARGS__)
#define LOG_RL(lvl, ...) do { \
	static struct log_rl rl_; \
	if ((lvl) <= log_max_level && log_rl_allow(&rl_)) log_msg((lvl), __VA_ARGS__); } while (0)

#endif
