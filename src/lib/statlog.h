/* statlog: chrony-style statistics logs: one line per event, appended to
 * DIR/NAME.log, with a header line naming the columns each time the file
 * is (re)opened. Reopened on SIGHUP for logrotate. A failed write is
 * counted, never fatal: statistics must not stop the time service. */
#ifndef GNOMON_STATLOG_H
#define GNOMON_STATLOG_H

#include <stdint.h>

struct statlog;

/* Open DIR/NAME.log for appending; NULL and *err (-errno) on failure. */
struct statlog *statlog_open(const char *dir, const char *name, const char *header,
			     int *err);
void statlog_close(struct statlog *l);
/* Append one line: "YYYY-MM-DD HH:MM:SS.ffffff " then the formatted rest. */
void statlog_write(struct statlog *l, long long unix_ns, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int statlog_reopen(struct statlog *l);
uint64_t statlog_lines(const struct statlog *l);
uint64_t statlog_failures(const struct statlog *l);

#endif
