/* journal: structured events (time, severity, code, key=value fields,
 * message) to a file, to syslog, or both; rotation by size and age, zlib
 * archives, cleanup by age and total size; reopen for logrotate.
 *
 * The caller's path never blocks and never allocates: journal_event()
 * formats the record on the caller's stack and copies it into a bounded
 * ring under a mutex held only for the copy. A writer thread does the file
 * I/O, rotation, compression and cleanup. A full ring drops the record and
 * counts it (lost_queue_full); a failed write counts it (lost_write_error).
 * Every loss is also reported in the file itself by a JOURNAL_LOST record,
 * written where the loss happened (queue full) or as the first line once
 * writing works again (write error). See doc/journal.md.
 *
 * Line format (one record per line, ASCII only):
 *
 *   TIME SEV CODE[ KEY=VALUE]... "MESSAGE"\n
 *
 *   TIME   UTC, YYYY-MM-DDTHH:MM:SS.uuuuuuZ (microseconds, always 27 chars)
 *   SEV    emerg alert crit err warning notice info debug (syslog names)
 *   CODE   [A-Za-z0-9_]{1,32}; any other byte becomes '_', empty is "_"
 *   KEY    [A-Za-z0-9_.-]{1,32}; any other byte becomes '_', empty is "_"
 *   VALUE  written bare when non-empty and every byte is in 0x21..0x7e
 *          except '"', '\\' and '='; otherwise quoted: "..." with \" \\ \n
 *          \r \t and \xHH for every other byte below 0x20, 0x7f and above
 *          (so a value can never end the line or start a fake record).
 *   MESSAGE always present and quoted the same way ("" when empty); last.
 *
 * A quoted value longer than JOURNAL_VALUE_MAX output bytes (the message:
 * JOURNAL_MSG_MAX) is cut at an escape boundary and ends in the marker
 * \... before the closing quote. A literal backslash is always written \\,
 * so the marker cannot come from the input. Fields that do not fit in the
 * record are left out and counted in a final field _omitted=N. */
#ifndef GNOMON_JOURNAL_H
#define GNOMON_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/gtime.h"

/* Same numbers as syslog(3) priorities. */
enum journal_sev {
	JOURNAL_EMERG, JOURNAL_ALERT, JOURNAL_CRIT, JOURNAL_ERR,
	JOURNAL_WARNING, JOURNAL_NOTICE, JOURNAL_INFO, JOURNAL_DEBUG,
};

#define JOURNAL_CODE_MAX    32    /* bytes of CODE and of each KEY */
#define JOURNAL_VALUE_MAX   256   /* output bytes of one VALUE, quotes included */
#define JOURNAL_MSG_MAX     512   /* output bytes of MESSAGE, quotes included */
#define JOURNAL_FIELDS_MAX  1024  /* output bytes of all " KEY=VALUE" */
/* CODE, fields, message and separators: the text after "TIME SEV ". */
#define JOURNAL_TEXT_MAX    (JOURNAL_CODE_MAX + JOURNAL_FIELDS_MAX + JOURNAL_MSG_MAX + 32)
#define JOURNAL_LINE_MAX    (JOURNAL_TEXT_MAX + 40)

/* Test and tool hooks. write_fn replaces write(2) for every write the
 * journal makes (records and archives); now_fn replaces CLOCK_REALTIME for
 * record times, rotation age and cleanup age. NULL: the real ones. */
typedef ssize_t (*journal_write_fn)(int fd, const void *buf, size_t n, void *arg);
typedef gt_ns (*journal_now_fn)(void *arg);

struct journal_cfg {
	const char *path;      /* journal file; NULL or "" = no file */
	bool to_syslog;        /* also (or only) to syslog, facility daemon */
	const char *ident;     /* openlog() ident when to_syslog (process-wide); NULL: keep */
	uint64_t max_size;     /* bytes; rotate before a line would exceed it; 0 = never */
	uint64_t max_age;      /* seconds; rotate when the first record is older; 0 = never */
	uint64_t keep_age;     /* seconds; remove archives older than this; 0 = keep */
	uint64_t keep_total;   /* bytes; remove oldest archives beyond this total; 0 = no limit */
	bool no_compress;      /* archives stay uncompressed (default: gzip) */
	bool sync;             /* no writer thread: write in journal_event() (tests, tools) */
	unsigned queue_len;    /* ring slots; 0 = 1024; at least 2 */
	journal_write_fn write_fn;
	journal_now_fn now_fn;
	void *hook_arg;        /* passed to write_fn and now_fn */
	/* The daemon's user, when root opens the journal before dropping to
	 * it: the file is handed over, and rotation and archive maintenance
	 * wait until we are no longer root. 0 (a zeroed config) or
	 * FS_NO_UID: no hand-over, nothing deferred. */
	uid_t owner_uid;
	gid_t owner_gid;
};

struct journal_stats {
	uint64_t written;          /* records written to the file (to syslog if no file) */
	uint64_t lost_queue_full;  /* records dropped because the ring was full */
	uint64_t lost_write_error; /* records not written to the file: write/open failed */
	uint64_t write_errors;     /* failed write(2)/open(2) calls for records */
	uint64_t rotations;        /* journal file renamed to an archive */
	uint64_t archives_created; /* archives completed (compressed, or renamed if no_compress) */
	uint64_t archives_removed; /* archives removed by cleanup */
	uint64_t archive_errors;   /* failed rename, compression or removal */
	uint64_t reopens;          /* journal_reopen() completed */
	uint64_t bytes;            /* bytes of records written to the file */
	uint32_t queued;           /* records waiting in the ring now */
	int last_error;            /* errno of the last failure of any kind; 0 none */
	bool degraded;             /* the last record write failed: records are being lost */
};

struct journal;

/* Fields of one event, built on the caller's stack: init, add, pass to
 * journal_event(). Values are escaped as they are added; no allocation. */
struct journal_fields {
	size_t len;
	unsigned omitted;
	char buf[JOURNAL_FIELDS_MAX];
};

void journal_fields_init(struct journal_fields *f);
void journal_field_str(struct journal_fields *f, const char *key, const char *val);
void journal_field_u64(struct journal_fields *f, const char *key, uint64_t v);
void journal_field_i64(struct journal_fields *f, const char *key, int64_t v);
void journal_field_fmt(struct journal_fields *f, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Open the journal (file created 0640 if missing, appended to), compress
 * archives left uncompressed by a crash, apply cleanup, start the writer.
 * NULL and *err = -errno on failure (the file cannot be opened, bad cfg).
 * The cfg strings are copied. */
struct journal *journal_open(const struct journal_cfg *cfg, int *err);
/* Write out everything queued, report pending losses, stop the writer, free.
 * NULL is accepted. Blocks: not for the time path. */
void journal_close(struct journal *j);

/* Record an event; fields may be NULL, fmt may be NULL (empty message).
 * Never blocks on I/O (sync mode excepted). j == NULL: does nothing. */
void journal_event(struct journal *j, enum journal_sev sev, const char *code,
		   const struct journal_fields *fields, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Shorthand with string fields: key, value pairs ending in NULL.
 *   journal_event_kv(j, JOURNAL_WARNING, "GW_GAP", "gap", "seq", "123", NULL); */
void journal_event_kv(struct journal *j, enum journal_sev sev, const char *code,
		      const char *msg, ...) __attribute__((sentinel));

/* Close and reopen the file at the configured path (SIGHUP after
 * logrotate moved it). Async: the writer does it before its next record;
 * returns 0 at once. Sync: done now; 0 or -errno. Call it from the main
 * loop, not from a signal handler. */
int journal_reopen(struct journal *j);
/* Periodic work: rotation by age, cleanup by age, retry of failed
 * compression, loss reports. Sync mode: done now. Async: the writer does
 * it every second by itself; this asks for a run now. */
void journal_maintain(struct journal *j);
/* Wait until every record queued before the call is written (or lost)
 * and a requested reopen/maintenance is done. Blocks: tests and tools. */
void journal_flush(struct journal *j);
void journal_get_stats(struct journal *j, struct journal_stats *st);

/* Pure formatting, used by the journal and by tests. Each returns the
 * length written (out is always NUL-terminated, n > 0). */
const char *journal_sev_name(enum journal_sev sev);
/* "CODE[ fields] \"MESSAGE\"" from unescaped code and message. */
size_t journal_format_text(char *out, size_t n, const char *code,
			   const struct journal_fields *fields, const char *msg);
/* "TIME SEV TEXT\n". */
size_t journal_format_line(char *out, size_t n, gt_ns t, enum journal_sev sev,
			   const char *text);
/* UTC time as used in lines: YYYY-MM-DDTHH:MM:SS.uuuuuuZ. */
size_t journal_format_time(char *out, size_t n, gt_ns t);

#endif
