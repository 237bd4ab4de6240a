/* audit_svc: gnomond's periodic device audit (doc/audit.md "Service").
 *
 * Every `interval` seconds, and on `audit run`, the devices of the
 * database are measured and the run stored. All of it runs on a thread
 * of its own with its own lib/loop: a slow or lost database, a name that
 * takes long to resolve or 10,000 devices in flight never delay the NTP
 * server on the main loop. The main thread reads a summary (counts of
 * the last run, its non-standard devices, the state) under a mutex; it
 * serves the metrics, the `audit` control command, and over HTTP
 * /audit (that summary as JSON) and /probe (one device measured now, in
 * Prometheus text, like blackbox_exporter's probe; the connection waits
 * suspended while the audit thread measures).
 *
 * The engine and the store live in a module loaded at start-up, only
 * when `audit` is configured (audit/audit_mod.h). */
#ifndef GNOMON_AUDIT_SVC_H
#define GNOMON_AUDIT_SVC_H

#include <stdbool.h>

#include "lib/metrics.h"
#include "lib/service.h"
#include "mon/http_mod.h"

#define AUDIT_SVC_URL_MAX 512
#define AUDIT_SVC_PROBES_MAX 8		/* /probe requests measured at once */
#define AUDIT_SVC_LIST_MAX 1000		/* non-standard devices kept for /audit */

/* The `audit` directive:
 *   audit db URL [interval S] [samples N] [rate R] [keep DAYS] [icmp on|off] */
struct audit_svc_config {
	bool enabled;
	char db[AUDIT_SVC_URL_MAX];	/* an SQLite file path or a postgresql:// URL */
	int interval;			/* seconds from one run's start to the next (3600) */
	int samples;			/* per device; 0: the engine's default */
	int rate;			/* requests a second over a run; 0: the engine's default */
	int keep_days;			/* runs kept (30); 0: never pruned */
	bool icmp;			/* a raw ICMP socket opened at start (root) */
};

struct audit_svc;

/* As root, before privileges are dropped: load the module and, with
 * icmp on, open the raw socket. NULL and -errno in *err (logged). */
struct audit_svc *audit_svc_create(const struct audit_svc_config *c, int *err);
/* gnomon_audit_* (doc/metrics.md). 0 or -errno. */
int audit_svc_register_metrics(struct audit_svc *s, struct met_registry *r);
/* /audit and /probe on the HTTP server (which must outlive no request of
 * ours: it answers deferred ones itself when destroyed). 0 or -errno. */
int audit_svc_add_routes(struct audit_svc *s, const struct http_api *api,
			 struct http_server *http);
/* The thread starts with the service; `audit` and `audit run` commands. */
extern const struct service_ops audit_svc_service;

/* A database URL fit for logs and replies: a postgresql:// password
 * (user:PASSWORD@ or password=...) replaced by "***". */
void audit_svc_redact_url(const char *url, char *out, size_t len);

#endif
