/* audit_svc_int: what the two halves of the audit service share: the
 * audit thread's (audit_svc.c: runs, probes, life) and the main thread's
 * (audit_svc_out.c: /probe and /audit, the `audit` command, metrics). */
#ifndef GNOMON_AUDIT_SVC_INT_H
#define GNOMON_AUDIT_SVC_INT_H

#include <pthread.h>

#include "audit/audit_mod.h"
#include "audit/audit_svc.h"
#include "lib/loop.h"
#include "mon/json.h"

#define AUDIT_JSON_MAX (1 << 20)

enum run_result { RUN_OK, RUN_ERROR, RUN_RESULT_COUNT };

/* A device of the last run that is not standard (/audit). */
struct audit_entry {
	char name[AUDIT_NAME_MAX];
	char address[AUDIT_ADDR_MAX];
	uint16_t port;
	enum audit_status status;
	enum audit_method method;
	double offset, delay;
	char error[AUDIT_ERROR_MAX];
};

/* What the main thread reads; written by the audit thread; under lock. */
struct audit_summary {
	bool running;
	size_t progress, progress_of;	/* the run in progress */
	bool have_run;			/* a run has finished */
	gt_ns last_start, last_end;	/* CLOCK_REALTIME */
	double last_duration;		/* seconds */
	bool have_counts;		/* a run has measured */
	size_t devices, counts[AUDIT_STATUS_COUNT];
	int64_t run_id;
	char last_error[256];		/* of the last run; empty: none */
	gt_ns next_run;			/* CLOCK_REALTIME; 0: none planned */
	uint64_t runs[RUN_RESULT_COUNT];
	struct audit_entry *list;	/* the last measured run's non-standard devices */
	size_t n_list, n_nonstandard;	/* kept, and in all */
};

/* One /probe request, from the main thread to the audit thread and back. */
struct probe_job {
	struct audit_svc *svc;
	struct http_defer *defer;
	struct audit_device dev;
	struct audit_result res;
	struct audit_probe *probe;	/* audit thread */
	gt_ns started;			/* CLOCK_MONOTONIC */
	double duration;
	int err;			/* the engine refused to start: -errno */
	struct probe_job *next;
};

/* The run in progress (audit thread only). */
struct svc_run {
	struct audit_db *db;
	struct audit_device *devs;
	struct audit_result *res;
	size_t n, done;
	struct audit_probe *probe;
	int64_t run_id;
	gt_ns started, started_mono;
	bool db_failed;
	char error[256];
};

struct audit_svc {
	struct audit_svc_config cfg;
	char db_shown[AUDIT_SVC_URL_MAX];	/* redacted */
	const struct audit_api *api;
	const struct http_api *http;
	int icmp_fd;
	struct loop *mloop, *tloop;		/* main's, the thread's */
	int to_thread, to_main;			/* eventfds */
	pthread_t thread;
	bool thread_started;

	pthread_mutex_t lock;
	/* under lock */
	bool stop, run_requested;
	struct probe_job *probes_in, *probes_out;
	struct audit_summary sum;

	/* main thread only */
	unsigned probes_inflight;
	char *json_buf;

	/* audit thread only */
	struct svc_run run;
	bool run_active;
	struct loop_timer *next_timer, *finish_timer;
	gt_ns next_due;				/* CLOCK_MONOTONIC */
	struct probe_job *probes_active;
};

/* Wake the thread reading eventfd fd; take the wake-up (the reader). */
void audit_svc_wake(int fd);
void audit_svc_drain(int fd);

static inline double audit_unix_sec(gt_ns t)
{
	return (double)t / (double)GT_NS_PER_S;
}

/* Main thread: probes measured by the audit thread, answered (to_main). */
void audit_svc_on_to_main(int fd, short revents, void *arg);
/* `audit` and `audit run` on the control socket. */
int audit_svc_cmd(void *arg, int argc, char **argv, struct json_out *j);

#endif
