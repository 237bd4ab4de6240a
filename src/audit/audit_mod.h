/* audit_mod: the device audit's engine and store as a module gnomond
 * loads only when `audit` is configured (lib/module.h), as it loads the
 * HTTP server. The store links libsqlite3 and libpq, and libpq brings
 * OpenSSL, Kerberos and LDAP client libraries: a daemon without `audit`
 * carries none of them. gnomonctl links the same code directly.
 *
 * The module (libgnomon-audit.so) resolves the core functions it calls
 * (loop, time, log) from gnomond; gnomond calls it only through this
 * table. */
#ifndef GNOMON_AUDIT_MOD_H
#define GNOMON_AUDIT_MOD_H

#include <stddef.h>

#include "audit/audit.h"
#include "audit/audit_db.h"
#include "audit/audit_probe.h"

struct audit_api {
	/* audit.h */
	const char *(*method_name)(enum audit_method m);
	int (*method_parse)(const char *s, enum audit_method *m);
	const char *(*status_name)(enum audit_status s);
	uint16_t (*method_default_port)(enum audit_method m);
	/* audit_probe.h */
	void (*probe_opts_default)(struct audit_probe_opts *o);
	struct audit_probe *(*probe_start)(struct loop *l, const struct audit_device *devs,
					   struct audit_result *res, size_t n,
					   const struct audit_probe_opts *o, int *err);
	size_t (*probe_done)(const struct audit_probe *p);
	void (*probe_destroy)(struct audit_probe *p);
	/* audit_db.h */
	struct audit_db *(*db_open)(const char *url, char *err, size_t errlen);
	void (*db_close)(struct audit_db *db);
	const char *(*db_error)(const struct audit_db *db);
	int (*db_devices)(struct audit_db *db, bool enabled_only, struct audit_device **out,
			  size_t *n);
	int (*db_begin_run)(struct audit_db *db, gt_ns started, int64_t *run_id);
	int (*db_add_result)(struct audit_db *db, int64_t run_id, const struct audit_device *d,
			     const struct audit_result *r);
	int (*db_finish_run)(struct audit_db *db, int64_t run_id, gt_ns finished,
			     const char *error);
	int (*db_prune)(struct audit_db *db, gt_ns before);
};

/* The module's entry point: its function table. */
const struct audit_api *gnomon_audit_api(void);

/* Load the module (once); NULL with why in err on failure. */
const struct audit_api *audit_mod_load(char *err, size_t len);

#endif
