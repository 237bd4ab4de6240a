/* The audit service's main-thread half (audit_svc.h): the answers of
 * /probe, /audit and `audit`, and the metrics, all read from the summary
 * under its lock; requests handed to the audit thread (audit_svc.c). */
#include "audit/audit_svc_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit_target.h"
#include "lib/log.h"
#include "lib/util.h"
#include "mon/ctl.h"
#include "mon/prom.h"

static const char *const run_result_names[RUN_RESULT_COUNT] = { "ok", "error" };

/* ---- the main thread ---- */

static void write_probe_answer(struct audit_svc *s, struct probe_job *j,
			       struct http_response *resp)
{
	const struct audit_result *r = &j->res;
	bool ok = !j->err && r->status != AUDIT_UNREACHABLE;
	struct prom_out p;

	(void)s;
	resp->status = 200;
	resp->content_type = PROM_CONTENT_TYPE;
	prom_init(&p, &resp->body);
	prom_family(&p, "gnomon_probe_success", "1 when the device answered validly",
		    PROM_GAUGE);
	prom_sample(&p, ok ? 1 : 0, NULL, 0);
	if (ok) {
		prom_family(&p, "gnomon_probe_offset_seconds",
			    "device clock minus ours (positive: the device is ahead)", PROM_GAUGE);
		prom_sample(&p, r->offset, NULL, 0);
		prom_family(&p, "gnomon_probe_delay_seconds", "round-trip delay of the sample used",
			    PROM_GAUGE);
		prom_sample(&p, r->delay, NULL, 0);
		if (r->stratum >= 0) {
			prom_family(&p, "gnomon_probe_stratum", "the device's NTP stratum",
				    PROM_GAUGE);
			prom_sample(&p, r->stratum, NULL, 0);
		}
	}
	prom_family(&p, "gnomon_probe_duration_seconds", "how long the probe took", PROM_GAUGE);
	prom_sample(&p, j->duration, NULL, 0);
	prom_fini(&p);
	if (!ok)
		sbuf_printf(&resp->body, "# %s\n", j->err ? strerror(-j->err) :
			    r->error[0] ? r->error : "no valid reply");
}

void audit_svc_on_to_main(int fd, short revents, void *arg)
{
	struct audit_svc *s = arg;
	struct probe_job *out, *next;
	struct http_response resp;

	(void)revents;
	audit_svc_drain(fd);
	pthread_mutex_lock(&s->lock);
	out = s->probes_out;
	s->probes_out = NULL;
	pthread_mutex_unlock(&s->lock);
	for (; out; out = next) {
		next = out->next;
		LOG_DEBUG("audit: answering the probe of %s", out->dev.address);
		memset(&resp, 0, sizeof(resp));
		sbuf_init(&resp.body, 0);
		write_probe_answer(s, out, &resp);
		s->http->defer_answer(out->defer, &resp);
		sbuf_free(&resp.body);
		s->probes_inflight--;
		free(out);
	}
}

static void bad_request(struct http_response *resp, const char *msg)
{
	resp->status = 400;
	resp->content_type = "text/plain; charset=utf-8";
	sbuf_printf(&resp->body, "400 %s\n", msg);
}

/* GET /probe?target=ADDR[:PORT][&method=ntp|time|http|icmp] */
static void h_probe(const struct http_request *req, struct http_response *resp, void *arg)
{
	struct audit_svc *s = arg;
	const char *target = http_target_param(req->target, "target", 0);
	const char *method = http_target_param(req->target, "method", 0);
	struct probe_job *j;
	const char *why;
	int rc;

	if (!target) {
		bad_request(resp, "/probe needs target=ADDR[:PORT] (and method=ntp|time|http|icmp, "
			    "default ntp)");
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->svc = s;
	rc = audit_target_parse(target, j->dev.address, sizeof(j->dev.address), &j->dev.port,
				&why);
	if (rc) {
		free(j);
		resp->status = 400;
		sbuf_printf(&resp->body, "400 bad target '%.64s': %s\n", target, why);
		return;
	}
	if (method && s->api->method_parse(method, &j->dev.method)) {
		free(j);
		resp->status = 400;
		sbuf_printf(&resp->body, "400 bad method '%.16s' (allowed: ntp, time, http, icmp)\n",
			    method);
		return;
	}
	if (j->dev.method == AUDIT_ICMP && j->dev.port) {
		free(j);
		bad_request(resp, "method icmp takes no port");
		return;
	}
	if (j->dev.method == AUDIT_ICMP && s->icmp_fd < 0) {
		free(j);
		bad_request(resp, "method icmp needs `audit ... icmp on`");
		return;
	}
	if (s->probes_inflight >= AUDIT_SVC_PROBES_MAX) {
		free(j);
		resp->status = 503;
		sbuf_printf(&resp->body, "503 %d probes are running: try again\n",
			    AUDIT_SVC_PROBES_MAX);
		return;
	}
	snprintf(j->dev.name, sizeof(j->dev.name), "%s", target);
	j->dev.tolerance = AUDIT_DEFAULT_TOLERANCE;
	j->dev.enabled = true;
	j->res.status = AUDIT_UNREACHABLE;
	j->res.stratum = -1;
	j->defer = s->http->defer(req);
	s->probes_inflight++;
	pthread_mutex_lock(&s->lock);
	j->next = s->probes_in;
	s->probes_in = j;
	pthread_mutex_unlock(&s->lock);
	audit_svc_wake(s->to_thread);
}

/* The state (`audit`, /status's audit member); with list, the last run's
 * non-standard devices too (/audit). Under the lock, briefly. */
static void audit_json(struct audit_svc *s, struct json_out *j, bool list)
{
	struct audit_summary *m = &s->sum;
	size_t i;

	pthread_mutex_lock(&s->lock);
	json_str(j, "db", s->db_shown);
	json_u64(j, "interval", (uint64_t)s->cfg.interval);
	json_str(j, "state", m->running ? "running" : "idle");
	if (m->running) {
		json_u64(j, "progress", m->progress);
		json_u64(j, "progress_of", m->progress_of);
	}
	if (m->have_run) {
		json_obj_begin(j, "last_run");
		json_double(j, "start", audit_unix_sec(m->last_start));
		json_double(j, "end", audit_unix_sec(m->last_end));
		json_double(j, "duration", m->last_duration);
		json_str(j, "result", m->last_error[0] ? "error" : "ok");
		if (m->last_error[0])
			json_str(j, "error", m->last_error);
		json_obj_end(j);
	}
	if (m->have_counts) {
		json_i64(j, "run_id", m->run_id);
		json_u64(j, "devices", m->devices);
		for (i = 0; i < AUDIT_STATUS_COUNT; i++)
			json_u64(j, s->api->status_name((enum audit_status)i), m->counts[i]);
		json_u64(j, "nonstandard", m->n_nonstandard);
	}
	if (m->next_run)
		json_double(j, "next_run", audit_unix_sec(m->next_run));
	json_obj_begin(j, "runs");
	for (i = 0; i < RUN_RESULT_COUNT; i++)
		json_u64(j, run_result_names[i], m->runs[i]);
	json_obj_end(j);
	if (list) {
		json_arr_begin(j, "devices_nonstandard");
		for (i = 0; i < m->n_list; i++) {
			const struct audit_entry *e = &m->list[i];

			json_obj_begin(j, NULL);
			json_str(j, "name", e->name);
			json_str(j, "address", e->address);
			if (e->port)
				json_u64(j, "port", e->port);
			json_str(j, "status", s->api->status_name(e->status));
			json_str(j, "method", s->api->method_name(e->method));
			json_double(j, "offset", e->offset);	/* null when unreachable */
			json_double(j, "delay", e->delay);
			if (e->error[0])
				json_str(j, "error", e->error);
			json_obj_end(j);
		}
		json_arr_end(j);
		json_bool(j, "truncated", m->n_list < m->n_nonstandard);
	}
	pthread_mutex_unlock(&s->lock);
}

static void h_audit(const struct http_request *req, struct http_response *resp, void *arg)
{
	struct audit_svc *s = arg;
	struct json_out j;
	const char *res;

	(void)req;
	json_init(&j, s->json_buf, AUDIT_JSON_MAX);
	json_obj_begin(&j, NULL);
	audit_json(s, &j, true);
	json_obj_end(&j);
	res = json_result(&j);
	resp->content_type = "application/json";
	if (!res) {
		resp->status = 500;
		sbuf_puts(&resp->body, "{\"error\":\"reply too large\"}\n");
		return;
	}
	sbuf_puts(&resp->body, res);
	sbuf_putc(&resp->body, '\n');
}

/* `audit` (the state) and `audit run` (start a run now; returns at once). */
int audit_svc_cmd(void *arg, int argc, char **argv, struct json_out *j)
{
	struct audit_svc *s = arg;
	bool running;

	if (argc == 1) {
		audit_json(s, j, false);
		return 0;
	}
	if (argc != 2 || strcmp(argv[1], "run")) {
		json_str(j, "error", "usage: audit [run]");
		return -EINVAL;
	}
	pthread_mutex_lock(&s->lock);
	running = s->sum.running;
	if (!running)
		s->run_requested = true;
	pthread_mutex_unlock(&s->lock);
	if (running) {
		json_str(j, "error", "an audit run is in progress (`audit` shows it)");
		return -EBUSY;
	}
	audit_svc_wake(s->to_thread);
	json_str(j, "started", "an audit run starts now (`audit` shows it)");
	return 0;
}

/* ---- metrics ---- */

enum { M_DURATION, M_LAST, M_RUNNING };

static double read_metric(const void *ctx, uintptr_t key)
{
	struct audit_svc *s = (struct audit_svc *)(uintptr_t)ctx;
	double v;

	pthread_mutex_lock(&s->lock);
	switch (key) {
	case M_DURATION: v = s->sum.have_run ? s->sum.last_duration : 0; break;
	case M_LAST: v = s->sum.have_run ? audit_unix_sec(s->sum.last_end) : 0; break;
	default: v = s->sum.running; break;
	}
	pthread_mutex_unlock(&s->lock);
	return v;
}

static void emit_devices(const void *ctx, struct met_emit *em)
{
	struct audit_svc *s = (struct audit_svc *)(uintptr_t)ctx;
	size_t counts[AUDIT_STATUS_COUNT], i;

	pthread_mutex_lock(&s->lock);
	memcpy(counts, s->sum.counts, sizeof(counts));
	pthread_mutex_unlock(&s->lock);
	for (i = 0; i < AUDIT_STATUS_COUNT; i++)
		met_emit(em, (double)counts[i], "status",
			 s->api->status_name((enum audit_status)i), NULL);
}

static void emit_runs(const void *ctx, struct met_emit *em)
{
	struct audit_svc *s = (struct audit_svc *)(uintptr_t)ctx;
	uint64_t runs[RUN_RESULT_COUNT];
	size_t i;

	pthread_mutex_lock(&s->lock);
	memcpy(runs, s->sum.runs, sizeof(runs));
	pthread_mutex_unlock(&s->lock);
	for (i = 0; i < RUN_RESULT_COUNT; i++)
		met_emit(em, (double)runs[i], "result", run_result_names[i], NULL);
}

int audit_svc_register_metrics(struct audit_svc *s, struct met_registry *r)
{
	int rc = 0;

	rc |= met_register_family(r, "gnomon_audit_devices",
				  "devices of the last audit run, by status (ok, off, unreachable)",
				  MET_GAUGE, emit_devices, s);
	rc |= met_register(r, "gnomon_audit_run_duration_seconds",
			   "how long the last audit run took", MET_GAUGE, read_metric, s,
			   M_DURATION);
	rc |= met_register(r, "gnomon_audit_last_run_timestamp_seconds",
			   "when the last audit run ended (UNIX time; 0: none yet)", MET_GAUGE,
			   read_metric, s, M_LAST);
	rc |= met_register_family(r, "gnomon_audit_runs_total",
				  "audit runs ended, by result (ok; error: the database or the "
				  "engine failed)", MET_COUNTER, emit_runs, s);
	rc |= met_register(r, "gnomon_audit_running", "1 while an audit run is in progress",
			   MET_GAUGE, read_metric, s, M_RUNNING);
	return rc ? -EEXIST : 0;
}

int audit_svc_add_routes(struct audit_svc *s, const struct http_api *api,
			 struct http_server *http)
{
	int rc;

	s->http = api;
	rc = api->route(http, "/audit", h_audit, s);
	if (!rc)
		rc = api->route(http, "/probe", h_probe, s);
	return rc;
}
