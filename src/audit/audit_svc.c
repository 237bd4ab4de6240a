/* The audit service's audit-thread half (audit_svc.h): runs, /probe
 * measurements, the thread's loop, and the service's life. The main
 * thread's half is audit_svc_out.c. */
#include "audit/audit_svc_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "mon/ctl.h"

/* /probe: a scrape should not wait for the audit's polite spacing. At
 * most this many samples 0.25 s apart, each waiting 1 s: under 2 s. */
#define PROBE_SAMPLES_MAX 4
#define PROBE_SPACING 0.25
#define PROBE_TIMEOUT 1.0

/* ---- small helpers ---- */

void audit_svc_wake(int fd)
{
	uint64_t one = 1;

	/* EAGAIN: the counter is already non-zero, the reader will wake. */
	if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		LOG_RL(LOG_LVL_WARN, "audit: cannot wake a thread: %s", strerror(errno));
}

void audit_svc_drain(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		LOG_RL(LOG_LVL_WARN, "audit: eventfd read: %s", strerror(errno));
}

void audit_svc_redact_url(const char *url, char *out, size_t len)
{
	const char *scheme = strstr(url, "://"), *at, *colon, *pw;
	size_t k;

	snprintf(out, len, "%s", url);
	if (!scheme || (strncmp(url, "postgresql://", 13) && strncmp(url, "postgres://", 11)))
		return;
	/* user:PASSWORD@host */
	at = strchr(scheme + 3, '@');
	colon = strchr(scheme + 3, ':');
	if (at && colon && colon < at && !memchr(scheme + 3, '/', (size_t)(at - scheme - 3))) {
		k = (size_t)(colon + 1 - url);
		snprintf(out, len, "%.*s***%s", (int)k, url, at);
	}
	/* ...?password=PASSWORD&... (libpq takes connection keywords there) */
	pw = strstr(out, "password=");
	if (pw) {
		char tail[AUDIT_SVC_URL_MAX];
		const char *amp = strchr(pw, '&');

		snprintf(tail, sizeof(tail), "%s", amp ? amp : "");
		k = (size_t)(pw - out) + 9;
		if (k < len)
			snprintf(out + k, len - k, "***%s", tail);
	}
}

/* ---- the summary (written here, read by audit_svc_out.c) ---- */

static void summary_set_running(struct audit_svc *s, bool running, size_t of)
{
	pthread_mutex_lock(&s->lock);
	s->sum.running = running;
	s->sum.progress = 0;
	s->sum.progress_of = of;
	pthread_mutex_unlock(&s->lock);
}

static void summary_set_next(struct audit_svc *s)
{
	gt_ns now_m = gt_now(CLOCK_MONOTONIC), now_r = gt_now(CLOCK_REALTIME);

	pthread_mutex_lock(&s->lock);
	s->sum.next_run = s->next_due ? now_r + (s->next_due - now_m) : 0;
	pthread_mutex_unlock(&s->lock);
}

/* The finished run into the summary; the list is built outside the lock. */
static void summary_finish(struct audit_svc *s, struct svc_run *r, bool measured, gt_ns end)
{
	struct audit_entry *list = NULL;
	size_t counts[AUDIT_STATUS_COUNT] = { 0 }, n_list = 0, n_bad = 0, i;

	if (measured) {
		for (i = 0; i < r->n; i++) {
			const struct audit_result *x = &r->res[i];

			if ((unsigned)x->status < AUDIT_STATUS_COUNT)
				counts[x->status]++;
			if (x->status == AUDIT_OK)
				continue;
			n_bad++;
			if (n_list == AUDIT_SVC_LIST_MAX)
				continue;
			if (!list)
				list = xcalloc(AUDIT_SVC_LIST_MAX < r->n ? AUDIT_SVC_LIST_MAX : r->n,
					       sizeof(*list));
			struct audit_entry *e = &list[n_list++];

			snprintf(e->name, sizeof(e->name), "%s", r->devs[i].name);
			snprintf(e->address, sizeof(e->address), "%s", r->devs[i].address);
			e->port = r->devs[i].port;
			e->status = x->status;
			e->method = x->method;
			e->offset = x->offset;
			e->delay = x->delay;
			snprintf(e->error, sizeof(e->error), "%s", x->error);
		}
	}
	pthread_mutex_lock(&s->lock);
	s->sum.running = false;
	s->sum.have_run = true;
	s->sum.last_start = r->started;
	s->sum.last_end = end;
	s->sum.last_duration = (double)(gt_now(CLOCK_MONOTONIC) - r->started_mono) / 1e9;
	s->sum.runs[r->error[0] ? RUN_ERROR : RUN_OK]++;
	snprintf(s->sum.last_error, sizeof(s->sum.last_error), "%s", r->error);
	if (measured) {
		s->sum.have_counts = true;
		s->sum.devices = r->n;
		s->sum.run_id = r->run_id;
		memcpy(s->sum.counts, counts, sizeof(counts));
		free(s->sum.list);
		s->sum.list = list;
		s->sum.n_list = n_list;
		s->sum.n_nonstandard = n_bad;
		list = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	free(list);
}

/* ---- the audit thread: runs ---- */

static void schedule_next(struct audit_svc *s);

static void run_cleanup(struct audit_svc *s)
{
	struct svc_run *r = &s->run;

	if (r->probe)
		s->api->probe_destroy(r->probe);
	if (r->db)
		s->api->db_close(r->db);
	free(r->devs);
	free(r->res);
	memset(r, 0, sizeof(*r));
	s->run_active = false;
}

/* The end of a run, measured or not: stored, pruned, summarised. */
static void run_end(struct audit_svc *s, bool measured)
{
	struct svc_run *r = &s->run;
	gt_ns end = gt_now(CLOCK_REALTIME);

	if (r->probe) {
		s->api->probe_destroy(r->probe);
		r->probe = NULL;
	}
	if (r->db && r->run_id && !r->db_failed) {
		if (s->api->db_finish_run(r->db, r->run_id, end, r->error[0] ? r->error : NULL)) {
			snprintf(r->error, sizeof(r->error), "%s", s->api->db_error(r->db));
			r->db_failed = true;
		}
	}
	if (r->db && !r->db_failed && s->cfg.keep_days > 0 &&
	    s->api->db_prune(r->db, end - (gt_ns)s->cfg.keep_days * 86400 * GT_NS_PER_S)) {
		LOG_WARN("audit: cannot prune old runs: %s", s->api->db_error(r->db));
	}
	if (r->error[0])
		LOG_ERR("audit: run failed: %s", r->error);
	else if (measured)
		LOG_INFO("audit: run %lld: %zu devices in %.1f s", (long long)r->run_id, r->n,
			 (double)(gt_now(CLOCK_MONOTONIC) - r->started_mono) / 1e9);
	summary_finish(s, r, measured, end);
	run_cleanup(s);
	/* A run that fell due meanwhile starts now. */
	schedule_next(s);
}

static void on_finish_timer(struct loop_timer *t, void *arg)
{
	struct audit_svc *s = arg;

	(void)t;
	s->finish_timer = NULL;		/* one-shot: freed by the loop */
	if (s->run_active)
		run_end(s, true);
}

static void on_run_result(void *arg, size_t index, const struct audit_result *res)
{
	struct audit_svc *s = arg;
	struct svc_run *r = &s->run;

	r->done++;
	/* Stored as each comes: a database lost mid-run keeps what came
	 * before (audit_db.h). The first failure stops the writes; the
	 * measuring goes on, and the summary still has every result. */
	if (r->db && !r->db_failed && index < r->n &&
	    s->api->db_add_result(r->db, r->run_id, &r->devs[index], res)) {
		r->db_failed = true;
		snprintf(r->error, sizeof(r->error), "%s", s->api->db_error(r->db));
		LOG_ERR("audit: storing results stopped: %s", r->error);
	}
	pthread_mutex_lock(&s->lock);
	s->sum.progress = r->done;
	pthread_mutex_unlock(&s->lock);
}

static void on_run_done(void *arg)
{
	struct audit_svc *s = arg;

	/* Not from inside the engine's callback: it is destroyed at the end. */
	if (!s->finish_timer)
		s->finish_timer = loop_timer_add(s->tloop, 0, 0, on_finish_timer, s);
}

static void run_begin(struct audit_svc *s)
{
	struct svc_run *r = &s->run;
	struct audit_probe_opts o;
	char err[256] = "";
	int rc;

	memset(r, 0, sizeof(*r));
	s->run_active = true;
	r->started = gt_now(CLOCK_REALTIME);
	r->started_mono = gt_now(CLOCK_MONOTONIC);
	s->next_due = r->started_mono + (gt_ns)s->cfg.interval * GT_NS_PER_S;
	schedule_next(s);
	summary_set_running(s, true, 0);
	r->db = s->api->db_open(s->cfg.db, err, sizeof(err));
	if (!r->db) {
		snprintf(r->error, sizeof(r->error), "%s", err[0] ? err : "cannot open the database");
		goto fail;
	}
	if (s->api->db_devices(r->db, true, &r->devs, &r->n) ||
	    s->api->db_begin_run(r->db, r->started, &r->run_id)) {
		snprintf(r->error, sizeof(r->error), "%s", s->api->db_error(r->db));
		goto fail;
	}
	summary_set_running(s, true, r->n);
	if (!r->n) {
		run_end(s, true);
		return;
	}
	r->res = xcalloc(r->n, sizeof(*r->res));
	s->api->probe_opts_default(&o);
	if (s->cfg.samples)
		o.samples = s->cfg.samples;
	if (s->cfg.rate)
		o.rate = (unsigned)s->cfg.rate;
	o.icmp_fd = s->icmp_fd;
	o.on_result = on_run_result;
	o.on_done = on_run_done;
	o.arg = s;
	r->probe = s->api->probe_start(s->tloop, r->devs, r->res, r->n, &o, &rc);
	if (!r->probe) {
		snprintf(r->error, sizeof(r->error), "the probe engine did not start: %s",
			 strerror(-rc));
		goto fail;
	}
	return;
fail:
	run_end(s, false);
}

static void on_next_timer(struct loop_timer *t, void *arg)
{
	struct audit_svc *s = arg;

	(void)t;
	s->next_timer = NULL;
	if (!s->run_active)	/* else run_end() schedules it again */
		run_begin(s);
}

/* The next run `interval` after the last one's start; one falling due
 * during a run starts when it ends (on_finish_timer → here). */
static void schedule_next(struct audit_svc *s)
{
	gt_ns now = gt_now(CLOCK_MONOTONIC);

	if (s->next_timer)
		loop_timer_cancel(s->tloop, s->next_timer);
	s->next_timer = loop_timer_add(s->tloop, s->next_due > now ? s->next_due - now : 0, 0,
				       on_next_timer, s);
	summary_set_next(s);
}

/* ---- the audit thread: /probe ---- */

static void probe_post(struct audit_svc *s, struct probe_job *j)
{
	struct probe_job **pp;

	for (pp = &s->probes_active; *pp; pp = &(*pp)->next) {
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	}
	if (j->probe) {
		s->api->probe_destroy(j->probe);
		j->probe = NULL;
	}
	j->duration = (double)(gt_now(CLOCK_MONOTONIC) - j->started) / 1e9;
	LOG_DEBUG("audit: probe of %s done in %.3f s", j->dev.address, j->duration);
	pthread_mutex_lock(&s->lock);
	j->next = s->probes_out;
	s->probes_out = j;
	pthread_mutex_unlock(&s->lock);
	audit_svc_wake(s->to_main);
}

static void on_probe_finish(struct loop_timer *t, void *arg)
{
	struct probe_job *j = arg;

	(void)t;
	probe_post(j->svc, j);
}

static void on_probe_done(void *arg)
{
	struct probe_job *j = arg;

	loop_timer_add(j->svc->tloop, 0, 0, on_probe_finish, j);
}

static void probe_begin(struct audit_svc *s, struct probe_job *j)
{
	struct audit_probe_opts o;

	s->api->probe_opts_default(&o);
	o.samples = s->cfg.samples ? s->cfg.samples : o.samples;
	if (o.samples > PROBE_SAMPLES_MAX)
		o.samples = PROBE_SAMPLES_MAX;
	o.spacing = PROBE_SPACING;
	o.timeout = PROBE_TIMEOUT;
	o.icmp_fd = s->icmp_fd;
	o.on_done = on_probe_done;
	o.arg = j;
	j->started = gt_now(CLOCK_MONOTONIC);
	j->next = s->probes_active;
	s->probes_active = j;
	j->probe = s->api->probe_start(s->tloop, &j->dev, &j->res, 1, &o, &j->err);
	LOG_DEBUG("audit: probe of %s started: %s", j->dev.address, j->probe ? "ok" : strerror(-j->err));
	if (!j->probe)
		probe_post(s, j);
}

/* ---- the audit thread: its loop ---- */

static void on_to_thread(int fd, short revents, void *arg)
{
	struct audit_svc *s = arg;
	struct probe_job *in, *next;
	bool stop, run;

	(void)revents;
	audit_svc_drain(fd);
	pthread_mutex_lock(&s->lock);
	stop = s->stop;
	run = s->run_requested;
	s->run_requested = false;
	in = s->probes_in;
	s->probes_in = NULL;
	pthread_mutex_unlock(&s->lock);
	if (stop) {
		loop_stop(s->tloop);
		return;
	}
	for (; in; in = next) {
		next = in->next;
		probe_begin(s, in);
	}
	if (run && !s->run_active)
		run_begin(s);
}

static void *audit_thread(void *arg)
{
	struct audit_svc *s = arg;
	struct probe_job *j;

	loop_run(s->tloop);
	/* Stopping: the run ends as failed ("gnomond stopped"), keeping
	 * what was stored; probes in flight are dropped (the HTTP server
	 * has answered their requests). */
	if (s->run_active) {
		snprintf(s->run.error, sizeof(s->run.error), "gnomond stopped during the run");
		run_end(s, false);
	}
	while ((j = s->probes_active)) {
		s->probes_active = j->next;
		if (j->probe)
			s->api->probe_destroy(j->probe);
		free(j);
	}
	return NULL;
}

/* ---- life ---- */

struct audit_svc *audit_svc_create(const struct audit_svc_config *c, int *err)
{
	struct audit_svc *s = xcalloc(1, sizeof(*s));
	char why[512];

	s->cfg = *c;
	s->icmp_fd = s->to_thread = s->to_main = -1;
	audit_svc_redact_url(c->db, s->db_shown, sizeof(s->db_shown));
	pthread_mutex_init(&s->lock, NULL);
	s->api = audit_mod_load(why, sizeof(why));
	if (!s->api) {
		LOG_ERR("audit: cannot load the audit module: %s", why);
		*err = -ENOENT;
		goto fail;
	}
	if (c->icmp) {
		/* RFC 792 timestamps need a raw socket: opened now, as root,
		 * and kept; no capability is kept for it. */
		s->icmp_fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
		if (s->icmp_fd < 0)
			LOG_WARN("audit: no raw ICMP socket (%s): method icmp devices will be "
				 "unreachable", strerror(errno));
	}
	s->to_thread = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s->to_main = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->to_thread < 0 || s->to_main < 0) {
		*err = -errno;
		LOG_ERR("audit: eventfd: %s", strerror(errno));
		goto fail;
	}
	s->json_buf = xmalloc(AUDIT_JSON_MAX);
	*err = 0;
	return s;
fail:
	if (s->icmp_fd >= 0)
		close(s->icmp_fd);
	if (s->to_thread >= 0)
		close(s->to_thread);
	if (s->to_main >= 0)
		close(s->to_main);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return NULL;
}

static int audit_svc_start(void *obj, struct loop *loop)
{
	struct audit_svc *s = obj;
	sigset_t all, old;
	int rc;

	s->mloop = loop;
	s->tloop = loop_create();
	rc = loop_add_fd(loop, s->to_main, POLLIN, audit_svc_on_to_main, s);
	if (!rc)
		rc = loop_add_fd(s->tloop, s->to_thread, POLLIN, on_to_thread, s);
	if (rc)
		return rc;
	/* The first run at once, then every interval. */
	s->next_due = gt_now(CLOCK_MONOTONIC);
	schedule_next(s);
	/* Signals stay the main thread's (its loop handles them). Created
	 * now, before the seccomp filter, which allows no clone. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = -pthread_create(&s->thread, NULL, audit_thread, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return rc;
	s->thread_started = true;
	LOG_INFO("audit: database %s, every %d s%s", s->db_shown, s->cfg.interval,
		 s->icmp_fd >= 0 ? ", ICMP allowed" : "");
	return 0;
}

static void audit_svc_register_ctl(void *obj, struct ctl *ctl)
{
	struct audit_svc *s = obj;

	ctl_register(ctl, "audit", audit_svc_cmd, s);
}

static void free_jobs(struct probe_job *j)
{
	struct probe_job *next;

	for (; j; j = next) {
		next = j->next;
		free(j);
	}
}

static void audit_svc_destroy(void *obj)
{
	struct audit_svc *s = obj;

	if (s->thread_started) {
		pthread_mutex_lock(&s->lock);
		s->stop = true;
		pthread_mutex_unlock(&s->lock);
		audit_svc_wake(s->to_thread);
		pthread_join(s->thread, NULL);
	}
	if (s->mloop)
		loop_del_fd(s->mloop, s->to_main);
	if (s->tloop)
		loop_destroy(s->tloop);
	/* Their HTTP requests were answered by the server's destruction. */
	free_jobs(s->probes_in);
	free_jobs(s->probes_out);
	free(s->sum.list);
	free(s->json_buf);
	if (s->icmp_fd >= 0)
		close(s->icmp_fd);
	close(s->to_thread);
	close(s->to_main);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

const struct service_ops audit_svc_service = {
	.name = "audit",
	.start = audit_svc_start,
	.register_ctl = audit_svc_register_ctl,
	.destroy = audit_svc_destroy,
};
