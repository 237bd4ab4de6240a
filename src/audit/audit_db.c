/* audit_db: the audit's store, one schema and one set of SQL statements over
 * two drivers (audit_db_sqlite.c, audit_db_pg.c). See audit_db.h and
 * doc/audit.md for the schema. */
#include "audit/audit_db.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit_db_int.h"

#define AUDIT_SCHEMA_VERSION "1"

struct audit_db {
	const struct adb_driver *drv;
	void *conn;
	char where[192];	/* the database, as named in errors (no password) */
	char err[768];
};

/* Times are integer nanoseconds since the Unix epoch (as gt_ns), exact in
 * both engines; doc/audit.md shows how to read them as dates in SQL. */
static const char *const schema[] = {
	"CREATE TABLE IF NOT EXISTS audit_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
	"CREATE TABLE IF NOT EXISTS devices ("
	" id @ID@,"
	" name TEXT NOT NULL UNIQUE,"
	" address TEXT NOT NULL,"
	" port INTEGER NOT NULL DEFAULT 0,"
	" method TEXT NOT NULL DEFAULT 'ntp',"
	" tolerance DOUBLE PRECISION NOT NULL DEFAULT 0.1,"
	" grp TEXT NOT NULL DEFAULT '',"
	" enabled INTEGER NOT NULL DEFAULT 1)",
	"CREATE TABLE IF NOT EXISTS runs ("
	" id @ID@,"
	" started BIGINT NOT NULL,"
	" finished BIGINT,"
	" devices INTEGER NOT NULL DEFAULT 0,"
	" ok INTEGER NOT NULL DEFAULT 0,"
	" off INTEGER NOT NULL DEFAULT 0,"
	" unreachable INTEGER NOT NULL DEFAULT 0,"
	" error TEXT)",
	"CREATE TABLE IF NOT EXISTS results ("
	" run_id BIGINT NOT NULL REFERENCES runs(id),"
	" device_id BIGINT,"
	" name TEXT NOT NULL,"
	" address TEXT NOT NULL,"
	" port INTEGER NOT NULL,"
	" grp TEXT NOT NULL,"
	" tolerance DOUBLE PRECISION NOT NULL,"
	" status TEXT NOT NULL,"
	" \"offset\" DOUBLE PRECISION,"
	" delay DOUBLE PRECISION,"
	" resolution DOUBLE PRECISION,"
	" stratum INTEGER,"
	" leap INTEGER,"
	" samples INTEGER NOT NULL DEFAULT 0,"
	" method TEXT NOT NULL,"
	" error TEXT NOT NULL DEFAULT '',"
	" measured BIGINT NOT NULL)",
	"CREATE INDEX IF NOT EXISTS results_run ON results (run_id)",
	"CREATE INDEX IF NOT EXISTS runs_started ON runs (started)",
	"INSERT INTO audit_meta (key, value) VALUES ('schema_version', '" AUDIT_SCHEMA_VERSION "')"
	" ON CONFLICT (key) DO NOTHING",
};

/* ------------------------------------------------------------------ */
/* helpers */

static struct adb_param p_int(int64_t v) { return (struct adb_param){ .type = ADB_INT, .i = v }; }
static struct adb_param p_text(const char *s)
{
	return s ? (struct adb_param){ .type = ADB_TEXT, .s = s } : (struct adb_param){ .type = ADB_NULL };
}
/* NAN (unreachable) is stored as NULL. */
static struct adb_param p_real(double d)
{
	return isfinite(d) ? (struct adb_param){ .type = ADB_REAL, .d = d }
			   : (struct adb_param){ .type = ADB_NULL };
}
/* -1 (not an NTP figure) is stored as NULL. */
static struct adb_param p_opt_int(int v)
{
	return v >= 0 ? p_int(v) : (struct adb_param){ .type = ADB_NULL };
}

static void set_err(struct audit_db *db, const char *what, const char *msg)
{
	snprintf(db->err, sizeof(db->err), "DB %s: %s: %s", db->where, what, msg);
}

static int run_sql(struct audit_db *db, const char *what, const char *sql,
		   const struct adb_param *p, int np, struct adb_rows *rows)
{
	char msg[512] = "";
	int rc;

	if (rows)
		memset(rows, 0, sizeof(*rows));
	rc = db->drv->exec(db->conn, sql, p, np, rows, msg, sizeof(msg));
	if (rc) {
		adb_one_line(msg);
		set_err(db, what, msg[0] ? msg : strerror(-rc));
		if (rows)
			adb_rows_free(rows);
	}
	return rc;
}

static const char *cell(const struct adb_rows *r, size_t row, size_t col)
{
	return r->cells[row * r->ncols + col];
}

static int64_t cell_int(const struct adb_rows *r, size_t row, size_t col, int64_t dflt)
{
	const char *s = cell(r, row, col);

	return s ? strtoll(s, NULL, 10) : dflt;
}

static double cell_real(const struct adb_rows *r, size_t row, size_t col)
{
	const char *s = cell(r, row, col);

	return s ? strtod(s, NULL) : NAN;
}

static void cell_str(const struct adb_rows *r, size_t row, size_t col, char *dst, size_t len)
{
	const char *s = cell(r, row, col);

	snprintf(dst, len, "%s", s ? s : "");
}

int adb_rows_push(struct adb_rows *rows, const char *c)
{
	char *copy = NULL;

	if (rows->count == rows->cap) {
		size_t cap = rows->cap ? rows->cap * 2 : 64;
		char **n = realloc(rows->cells, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		rows->cells = n;
		rows->cap = cap;
	}
	if (c && !(copy = strdup(c)))
		return -ENOMEM;
	rows->cells[rows->count++] = copy;
	rows->nrows = rows->ncols ? rows->count / rows->ncols : 0;
	return 0;
}

void adb_rows_free(struct adb_rows *rows)
{
	size_t i;

	for (i = 0; i < rows->count; i++)
		free(rows->cells[i]);
	free(rows->cells);
	memset(rows, 0, sizeof(*rows));
}

void adb_one_line(char *s)
{
	char *w = s, *r;
	bool gap = false;

	for (r = s; *r; r++) {
		if (isspace((unsigned char)*r)) {
			gap = true;
			continue;
		}
		if (gap && w != s)
			*w++ = ' ';
		gap = false;
		*w++ = *r;
	}
	*w = '\0';
}

/* The database as named in messages: a URL's password replaced by ***. */
static void name_db(const char *url, char *out, size_t len)
{
	const char *scheme = strstr(url, "://"), *at, *colon, *pw;
	size_t n;

	snprintf(out, len, "%s", url);
	if (scheme) {
		at = strchr(scheme + 3, '@');
		colon = strchr(scheme + 3, ':');
		if (at && colon && colon < at && !memchr(scheme + 3, '/', (size_t)(at - scheme - 3))) {
			n = (size_t)(colon + 1 - url);
			snprintf(out, len, "%.*s***%s", (int)n, url, at);
		}
	}
	/* password=... in the query string */
	if ((pw = strstr(out, "password="))) {
		char *p = (char *)pw + 9, *end = p + strcspn(p, "&");
		char tail[192];

		snprintf(tail, sizeof(tail), "%s", end);
		if ((size_t)(p - out) + 3 < len)
			snprintf(p, len - (size_t)(p - out), "***%s", tail);
	}
}

static bool is_pg_url(const char *url)
{
	return !strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11);
}

/* ------------------------------------------------------------------ */
/* open, schema */

static int create_schema(struct audit_db *db)
{
	size_t i;
	int rc;

	for (i = 0; i < sizeof(schema) / sizeof(schema[0]); i++) {
		char sql[1024], *id;

		snprintf(sql, sizeof(sql), "%s", schema[i]);
		while ((id = strstr(sql, "@ID@"))) {
			char tail[1024];

			snprintf(tail, sizeof(tail), "%s", id + 4);
			snprintf(id, sizeof(sql) - (size_t)(id - sql), "%s%s", db->drv->id_column, tail);
		}
		rc = run_sql(db, "creating the schema", sql, NULL, 0, NULL);
		if (rc)
			return rc;
	}
	return 0;
}

struct audit_db *audit_db_open(const char *url, char *err, size_t errlen)
{
	struct audit_db *db;
	char msg[512] = "";
	int rc;

	if (!url || !url[0]) {
		snprintf(err, errlen, "cannot open DB: no database given (a file path or a "
			 "postgresql:// URL)");
		return NULL;
	}
	db = calloc(1, sizeof(*db));
	if (!db) {
		snprintf(err, errlen, "cannot open DB: out of memory");
		return NULL;
	}
	name_db(url, db->where, sizeof(db->where));
	db->drv = is_pg_url(url) ? &adb_pg_driver : &adb_sqlite_driver;
	rc = db->drv->open(url, &db->conn, msg, sizeof(msg));
	if (rc) {
		adb_one_line(msg);
		snprintf(err, errlen, "cannot open DB %s: %s", db->where,
			 msg[0] ? msg : strerror(-rc));
		goto fail;
	}
	rc = create_schema(db);
	if (rc) {
		snprintf(err, errlen, "cannot open DB %s", db->err + 3);
		goto fail_close;
	}
	return db;

fail_close:
	db->drv->close(db->conn);
fail:
	free(db);
	return NULL;
}

void audit_db_close(struct audit_db *db)
{
	if (!db)
		return;
	db->drv->close(db->conn);
	free(db);
}

const char *audit_db_error(const struct audit_db *db)
{
	return db ? db->err : "no database";
}

const char *audit_db_name(const struct audit_db *db)
{
	return db->where;
}

/* ------------------------------------------------------------------ */
/* devices */

static const char sql_put_device[] =
	"INSERT INTO devices (name, address, port, method, tolerance, grp, enabled)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7)"
	" ON CONFLICT (name) DO UPDATE SET address = excluded.address, port = excluded.port,"
	" method = excluded.method, tolerance = excluded.tolerance, grp = excluded.grp,"
	" enabled = excluded.enabled";

int audit_db_put_device(struct audit_db *db, const struct audit_device *d)
{
	struct adb_param p[] = {
		p_text(d->name), p_text(d->address), p_int(d->port),
		p_text(audit_method_name(d->method)), p_real(d->tolerance), p_text(d->group),
		p_int(d->enabled ? 1 : 0),
	};

	return run_sql(db, "storing a device", sql_put_device, p, 7, NULL);
}

/* Roll back after rc, keeping the first error as the one reported. */
static int rollback(struct audit_db *db, int rc)
{
	char keep[sizeof(db->err)];

	memcpy(keep, db->err, sizeof(keep));
	run_sql(db, "rolling back", "ROLLBACK", NULL, 0, NULL);
	memcpy(db->err, keep, sizeof(keep));
	return rc;
}

int audit_db_put_devices(struct audit_db *db, const struct audit_device *d, size_t n)
{
	size_t i;
	int rc;

	rc = run_sql(db, "starting the import", "BEGIN", NULL, 0, NULL);
	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		rc = audit_db_put_device(db, &d[i]);
		if (rc)
			return rollback(db, rc);
	}
	return run_sql(db, "committing the import", "COMMIT", NULL, 0, NULL);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct audit_device *)a)->name,
		      ((const struct audit_device *)b)->name);
}

int audit_db_devices(struct audit_db *db, bool enabled_only, struct audit_device **out,
		     size_t *n)
{
	struct adb_rows rows;
	struct audit_device *d;
	size_t i;
	int rc;

	*out = NULL;
	*n = 0;
	rc = run_sql(db, "reading the devices",
		     enabled_only ?
		     "SELECT id, name, address, port, method, tolerance, grp, enabled FROM devices"
		     " WHERE enabled <> 0 ORDER BY name" :
		     "SELECT id, name, address, port, method, tolerance, grp, enabled FROM devices"
		     " ORDER BY name", NULL, 0, &rows);
	if (rc)
		return rc;
	d = calloc(rows.nrows ? rows.nrows : 1, sizeof(*d));
	if (!d) {
		adb_rows_free(&rows);
		return -ENOMEM;
	}
	for (i = 0; i < rows.nrows; i++) {
		char method[16];

		d[i].id = cell_int(&rows, i, 0, 0);
		cell_str(&rows, i, 1, d[i].name, sizeof(d[i].name));
		cell_str(&rows, i, 2, d[i].address, sizeof(d[i].address));
		d[i].port = (uint16_t)cell_int(&rows, i, 3, 0);
		cell_str(&rows, i, 4, method, sizeof(method));
		if (audit_method_parse(method, &d[i].method))
			d[i].method = AUDIT_NTP;	/* written by hand in SQL: say so? */
		d[i].tolerance = cell_real(&rows, i, 5);
		if (!(d[i].tolerance > 0))
			d[i].tolerance = AUDIT_DEFAULT_TOLERANCE;
		cell_str(&rows, i, 6, d[i].group, sizeof(d[i].group));
		d[i].enabled = cell_int(&rows, i, 7, 1) != 0;
	}
	/* Byte order whatever the server's collation (PostgreSQL sorts by
	 * locale, SQLite by bytes): both engines list alike. */
	qsort(d, rows.nrows, sizeof(*d), by_name);
	*out = d;
	*n = rows.nrows;
	adb_rows_free(&rows);
	return 0;
}

/* ------------------------------------------------------------------ */
/* runs and results */

int audit_db_begin_run(struct audit_db *db, gt_ns started, int64_t *run_id)
{
	struct adb_param p[] = { p_int(started) };
	struct adb_rows rows;
	int rc;

	rc = run_sql(db, "starting a run", "INSERT INTO runs (started) VALUES ($1) RETURNING id",
		     p, 1, &rows);
	if (rc)
		return rc;
	if (rows.nrows != 1 || !cell(&rows, 0, 0)) {
		set_err(db, "starting a run", "no run id returned");
		adb_rows_free(&rows);
		return -EPROTO;
	}
	*run_id = cell_int(&rows, 0, 0, 0);
	adb_rows_free(&rows);
	return 0;
}

static const char sql_add_result[] =
	"INSERT INTO results (run_id, device_id, name, address, port, grp, tolerance, status,"
	" \"offset\", delay, resolution, stratum, leap, samples, method, error, measured)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)";

int audit_db_add_result(struct audit_db *db, int64_t run_id, const struct audit_device *d,
			const struct audit_result *r)
{
	struct adb_param p[] = {
		p_int(run_id), d->id ? p_int(d->id) : (struct adb_param){ .type = ADB_NULL },
		p_text(d->name), p_text(d->address), p_int(d->port), p_text(d->group),
		p_real(d->tolerance), p_text(audit_status_name(r->status)),
		p_real(r->status == AUDIT_UNREACHABLE ? NAN : r->offset),
		p_real(r->status == AUDIT_UNREACHABLE ? NAN : r->delay), p_real(r->resolution),
		p_opt_int(r->stratum), p_opt_int(r->leap), p_int(r->samples),
		p_text(audit_method_name(r->method)), p_text(r->error), p_int(r->measured),
	};
	char what[AUDIT_NAME_MAX + 32];

	snprintf(what, sizeof(what), "storing the result of %s", d->name);
	return run_sql(db, what, sql_add_result, p, 17, NULL);
}

int audit_db_add_results(struct audit_db *db, int64_t run_id, const struct audit_device *devs,
			 const struct audit_result *res, const size_t *idx, size_t k)
{
	size_t j;
	int rc;

	if (k == 1)
		return audit_db_add_result(db, run_id, &devs[idx[0]], &res[idx[0]]);
	rc = run_sql(db, "storing results", "BEGIN", NULL, 0, NULL);
	if (rc)
		return rc;
	for (j = 0; j < k; j++) {
		rc = audit_db_add_result(db, run_id, &devs[idx[j]], &res[idx[j]]);
		if (rc)
			return rollback(db, rc);
	}
	return run_sql(db, "committing results", "COMMIT", NULL, 0, NULL);
}

int audit_db_finish_run(struct audit_db *db, int64_t run_id, gt_ns finished, const char *error)
{
	struct adb_param p[] = { p_int(run_id), p_int(finished), p_text(error && error[0] ? error : NULL) };

	return run_sql(db, "finishing the run",
		       "UPDATE runs SET finished = $2, error = $3,"
		       " devices = (SELECT COUNT(*) FROM results WHERE run_id = $1),"
		       " ok = (SELECT COUNT(*) FROM results WHERE run_id = $1 AND status = 'ok'),"
		       " off = (SELECT COUNT(*) FROM results WHERE run_id = $1 AND status = 'off'),"
		       " unreachable = (SELECT COUNT(*) FROM results WHERE run_id = $1"
		       " AND status = 'unreachable')"
		       " WHERE id = $1", p, 3, NULL);
}

int audit_db_last_run(struct audit_db *db, struct audit_run *run)
{
	struct adb_rows rows;
	int rc;

	memset(run, 0, sizeof(*run));
	rc = run_sql(db, "finding the last run",
		     "SELECT id, started, finished, devices, ok, off, unreachable, error FROM runs"
		     " WHERE finished IS NOT NULL ORDER BY id DESC LIMIT 1", NULL, 0, &rows);
	if (rc)
		return rc;
	if (rows.nrows == 0) {
		adb_rows_free(&rows);
		set_err(db, "finding the last run", "no finished audit run yet");
		return -ENOENT;
	}
	run->id = cell_int(&rows, 0, 0, 0);
	run->started = cell_int(&rows, 0, 1, 0);
	run->finished = cell_int(&rows, 0, 2, 0);
	run->devices = (int)cell_int(&rows, 0, 3, 0);
	run->count[AUDIT_OK] = (int)cell_int(&rows, 0, 4, 0);
	run->count[AUDIT_OFF] = (int)cell_int(&rows, 0, 5, 0);
	run->count[AUDIT_UNREACHABLE] = (int)cell_int(&rows, 0, 6, 0);
	cell_str(&rows, 0, 7, run->error, sizeof(run->error));
	adb_rows_free(&rows);
	return 0;
}

static int status_parse(const char *s, enum audit_status *st)
{
	int i;

	for (i = 0; i < AUDIT_STATUS_COUNT; i++) {
		if (!strcmp(s, audit_status_name((enum audit_status)i))) {
			*st = (enum audit_status)i;
			return 0;
		}
	}
	return -EINVAL;
}

struct pair {
	struct audit_device d;
	struct audit_result r;
};

static int pair_by_name(const void *a, const void *b)
{
	return strcmp(((const struct pair *)a)->d.name, ((const struct pair *)b)->d.name);
}

int audit_db_last_results(struct audit_db *db, int64_t run_id, struct audit_device **devs,
			  struct audit_result **res, size_t *n)
{
	struct adb_rows rows;
	struct pair *pairs;
	size_t i;
	int rc;

	*devs = NULL;
	*res = NULL;
	*n = 0;
	if (!run_id) {
		struct audit_run run;

		rc = audit_db_last_run(db, &run);
		if (rc)
			return rc;
		run_id = run.id;
	}
	{
		struct adb_param p[] = { p_int(run_id) };

		rc = run_sql(db, "reading the results",
			     "SELECT device_id, name, address, port, grp, tolerance, status,"
			     " \"offset\", delay, resolution, stratum, leap, samples, method, error,"
			     " measured FROM results WHERE run_id = $1 ORDER BY name", p, 1, &rows);
	}
	if (rc)
		return rc;
	pairs = calloc(rows.nrows ? rows.nrows : 1, sizeof(*pairs));
	if (!pairs) {
		adb_rows_free(&rows);
		return -ENOMEM;
	}
	for (i = 0; i < rows.nrows; i++) {
		struct audit_device *d = &pairs[i].d;
		struct audit_result *r = &pairs[i].r;
		char word[32];

		d->id = cell_int(&rows, i, 0, 0);
		cell_str(&rows, i, 1, d->name, sizeof(d->name));
		cell_str(&rows, i, 2, d->address, sizeof(d->address));
		d->port = (uint16_t)cell_int(&rows, i, 3, 0);
		cell_str(&rows, i, 4, d->group, sizeof(d->group));
		d->tolerance = cell_real(&rows, i, 5);
		d->enabled = true;
		cell_str(&rows, i, 6, word, sizeof(word));
		/* An unknown status (a hand edit) is never taken as good. */
		if (status_parse(word, &r->status))
			r->status = AUDIT_UNREACHABLE;
		r->offset = cell_real(&rows, i, 7);
		r->delay = cell_real(&rows, i, 8);
		r->resolution = cell_real(&rows, i, 9);
		r->stratum = (int)cell_int(&rows, i, 10, -1);
		r->leap = (int)cell_int(&rows, i, 11, -1);
		r->samples = (int)cell_int(&rows, i, 12, 0);
		cell_str(&rows, i, 13, word, sizeof(word));
		if (audit_method_parse(word, &r->method))
			r->method = AUDIT_NTP;
		d->method = r->method;
		cell_str(&rows, i, 14, r->error, sizeof(r->error));
		r->measured = cell_int(&rows, i, 15, 0);
	}
	qsort(pairs, rows.nrows, sizeof(*pairs), pair_by_name);
	*devs = calloc(rows.nrows ? rows.nrows : 1, sizeof(**devs));
	*res = calloc(rows.nrows ? rows.nrows : 1, sizeof(**res));
	if (!*devs || !*res) {
		free(*devs);
		free(*res);
		*devs = NULL;
		*res = NULL;
		free(pairs);
		adb_rows_free(&rows);
		return -ENOMEM;
	}
	for (i = 0; i < rows.nrows; i++) {
		(*devs)[i] = pairs[i].d;
		(*res)[i] = pairs[i].r;
	}
	*n = rows.nrows;
	free(pairs);
	adb_rows_free(&rows);
	return 0;
}

int audit_db_prune(struct audit_db *db, gt_ns before)
{
	struct adb_param p[] = { p_int(before) };
	int rc;

	rc = run_sql(db, "pruning", "BEGIN", NULL, 0, NULL);
	if (rc)
		return rc;
	rc = run_sql(db, "pruning old results",
		     "DELETE FROM results WHERE run_id IN (SELECT id FROM runs WHERE started < $1)",
		     p, 1, NULL);
	if (!rc)
		rc = run_sql(db, "pruning old runs", "DELETE FROM runs WHERE started < $1", p, 1,
			     NULL);
	if (rc)
		return rollback(db, rc);
	return run_sql(db, "committing the prune", "COMMIT", NULL, 0, NULL);
}
