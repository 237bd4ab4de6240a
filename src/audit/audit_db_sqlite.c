/* audit_db_sqlite: the SQLite driver of audit_db (a file, no server). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "audit/audit_db_int.h"

/* Write $N placeholders as ?N, SQLite's numbered parameters, outside
 * quoted strings and identifiers, so both engines run one SQL text. */
static int rewrite_params(const char *sql, char *out, size_t len)
{
	size_t w = 0;
	char quote = 0;

	for (; *sql; sql++) {
		char c = *sql;

		if (quote) {
			if (c == quote)
				quote = 0;
		} else if (c == '\'' || c == '"') {
			quote = c;
		} else if (c == '$' && sql[1] >= '0' && sql[1] <= '9') {
			c = '?';
		}
		if (w + 1 >= len)
			return -E2BIG;
		out[w++] = c;
	}
	out[w] = '\0';
	return 0;
}

static int sq_open(const char *url, void **conn, char *msg, size_t len)
{
	sqlite3 *db = NULL;
	int rc;

	rc = sqlite3_open_v2(url, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		snprintf(msg, len, "%s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return -EIO;
	}
	/* gnomond's audit service and gnomonctl may write one file at once:
	 * wait for the other's transaction instead of failing at once. */
	sqlite3_busy_timeout(db, 10000);
	/* WAL with synchronous=NORMAL: each result is its own committed
	 * transaction without an fsync per row (a crash of the process loses
	 * nothing; a power cut may lose the last moments), so 10,000 results
	 * are stored in a fraction of a second. */
	rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		snprintf(msg, len, "%s", sqlite3_errmsg(db));
		sqlite3_close(db);
		return -EIO;
	}
	*conn = db;
	return 0;
}

static void sq_close(void *conn)
{
	sqlite3_close(conn);
}

static int bind_all(sqlite3_stmt *st, const struct adb_param *p, int np)
{
	int i, rc = SQLITE_OK;

	for (i = 0; i < np && rc == SQLITE_OK; i++) {
		switch (p[i].type) {
		case ADB_NULL: rc = sqlite3_bind_null(st, i + 1); break;
		case ADB_INT: rc = sqlite3_bind_int64(st, i + 1, p[i].i); break;
		case ADB_REAL: rc = sqlite3_bind_double(st, i + 1, p[i].d); break;
		case ADB_TEXT: rc = sqlite3_bind_text(st, i + 1, p[i].s, -1, SQLITE_STATIC); break;
		}
	}
	return rc;
}

static int push_column(sqlite3_stmt *st, int c, struct adb_rows *rows)
{
	char num[40];

	switch (sqlite3_column_type(st, c)) {
	case SQLITE_NULL:
		return adb_rows_push(rows, NULL);
	case SQLITE_FLOAT:
		/* 17 digits: the double read back is the one stored. */
		snprintf(num, sizeof(num), "%.17g", sqlite3_column_double(st, c));
		return adb_rows_push(rows, num);
	default:
		return adb_rows_push(rows, (const char *)sqlite3_column_text(st, c));
	}
}

static int sq_exec(void *conn, const char *sql, const struct adb_param *p, int np,
		   struct adb_rows *rows, char *msg, size_t len)
{
	sqlite3 *db = conn;
	sqlite3_stmt *st = NULL;
	char text[2048];
	int rc, c, err = 0;

	if (rewrite_params(sql, text, sizeof(text))) {
		snprintf(msg, len, "statement too long");
		return -E2BIG;
	}
	rc = sqlite3_prepare_v2(db, text, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = bind_all(st, p, np);
	if (rc != SQLITE_OK)
		goto fail;
	if (rows)
		rows->ncols = (size_t)sqlite3_column_count(st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (c = 0; rows && c < sqlite3_column_count(st) && !err; c++)
			err = push_column(st, c, rows);
		if (err) {
			snprintf(msg, len, "out of memory");
			sqlite3_finalize(st);
			return err;
		}
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	return 0;

fail:
	snprintf(msg, len, "%s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? -EBUSY : -EIO;
}

const struct adb_driver adb_sqlite_driver = {
	.name = "sqlite",
	.id_column = "INTEGER PRIMARY KEY AUTOINCREMENT",
	.open = sq_open,
	.close = sq_close,
	.exec = sq_exec,
};
