/* audit_db: devices, audit runs and results in SQLite or PostgreSQL.
 *
 * The URL says which: `postgresql://...` or `postgres://...` (libpq
 * connection URI) opens PostgreSQL; anything else is an SQLite file path,
 * created with its schema on first use. One schema and the same SQL text
 * for both (placeholders written $1.. and rewritten to ? for SQLite).
 * Schema (doc/audit.md): devices(id, name UNIQUE, address, port, method,
 * tolerance, grp, enabled), runs(id, started, finished, devices, ok, off,
 * unreachable, error), results(run_id, device_id, name, address, status,
 * offset, delay, stratum, leap, method, error, measured).
 *
 * Every call returns 0 or -errno and, on failure, a message naming the
 * database and what failed in `err` (audit_db_error). A result is stored
 * as soon as audit_db_add_result is called (its own statement, committed),
 * so a database lost mid-run keeps every result measured before. */
#ifndef GNOMON_AUDIT_DB_H
#define GNOMON_AUDIT_DB_H

#include "audit/audit.h"

struct audit_db;

struct audit_db *audit_db_open(const char *url, char *err, size_t errlen);
void audit_db_close(struct audit_db *db);
const char *audit_db_error(const struct audit_db *db);

/* Insert or update by name (import). */
int audit_db_put_device(struct audit_db *db, const struct audit_device *d);
/* The same for n devices in one transaction: all stored or none. */
int audit_db_put_devices(struct audit_db *db, const struct audit_device *d, size_t n);
/* All devices (enabled_only: only those enabled), ordered by name;
 * *out malloc'd, caller frees. */
int audit_db_devices(struct audit_db *db, bool enabled_only, struct audit_device **out,
		     size_t *n);

/* A run: begin, one add per device as it is measured, finish. */
int audit_db_begin_run(struct audit_db *db, gt_ns started, int64_t *run_id);
int audit_db_add_result(struct audit_db *db, int64_t run_id, const struct audit_device *d,
			const struct audit_result *r);
/* The results of devs[idx[j]], res[idx[j]] for j < k in one transaction:
 * all stored or none (a writer that fell behind catches up with one commit
 * for what queued while it waited, instead of one commit per result). */
int audit_db_add_results(struct audit_db *db, int64_t run_id, const struct audit_device *devs,
			 const struct audit_result *res, const size_t *idx, size_t k);
int audit_db_finish_run(struct audit_db *db, int64_t run_id, gt_ns finished,
			const char *error);

/* The results of the last finished run (or run_id), in device-name order;
 * devs/res malloc'd, caller frees. */
int audit_db_last_results(struct audit_db *db, int64_t run_id, struct audit_device **devs,
			  struct audit_result **res, size_t *n);

/* A run's summary (counts indexed by enum audit_status). */
struct audit_run {
	int64_t id;
	gt_ns started, finished;
	int devices;
	int count[AUDIT_STATUS_COUNT];
	char error[AUDIT_ERROR_MAX];
};
/* The last finished run; -ENOENT when there is none. */
int audit_db_last_run(struct audit_db *db, struct audit_run *run);

/* The database as named in messages (a URL without its password). */
const char *audit_db_name(const struct audit_db *db);

/* Delete runs (and their results) started before `before`. */
int audit_db_prune(struct audit_db *db, gt_ns before);

#endif
