/* audit_db_int: the small driver table behind audit_db (SQLite, PostgreSQL).
 *
 * A driver runs one SQL statement at a time with typed parameters ($1..)
 * and hands back the rows as text (NULL for SQL NULL): both engines print
 * every value the schema uses exactly (integers, and doubles with 17
 * significant digits), so one decoder in audit_db.c reads both. */
#ifndef GNOMON_AUDIT_DB_INT_H
#define GNOMON_AUDIT_DB_INT_H

#include <stddef.h>
#include <stdint.h>

#include "audit/audit_db.h"

enum adb_type { ADB_NULL, ADB_INT, ADB_REAL, ADB_TEXT };

struct adb_param {
	enum adb_type type;
	int64_t i;
	double d;
	const char *s;
};

/* Rows of a result, row-major; cells[r * ncols + c] malloc'd or NULL. */
struct adb_rows {
	size_t nrows, ncols;
	char **cells;
	size_t count, cap;	/* cells pushed, allocated */
};

struct adb_driver {
	const char *name;
	/* The integer primary key that numbers rows by itself: the one place
	 * where the two dialects differ (written @ID@ in the schema). */
	const char *id_column;
	/* Connect (creating the file for SQLite); 0 or -errno, why in msg. */
	int (*open)(const char *url, void **conn, char *msg, size_t len);
	void (*close)(void *conn);
	/* Run sql with np parameters; rows (may be NULL) receive the result.
	 * 0 or -errno, the engine's message in msg. */
	int (*exec)(void *conn, const char *sql, const struct adb_param *p, int np,
		    struct adb_rows *rows, char *msg, size_t len);
};

extern const struct adb_driver adb_sqlite_driver;
extern const struct adb_driver adb_pg_driver;

/* Append a row-major cell (copied; NULL for SQL NULL) to rows; 0 or -ENOMEM. */
int adb_rows_push(struct adb_rows *rows, const char *cell);
void adb_rows_free(struct adb_rows *rows);

/* Collapse the engine's multi-line messages to one line. */
void adb_one_line(char *s);

#endif
