#include "mon/exports.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/gtime.h"
#include "lib/util.h"
#include "mon/json.h"
#include "mon/www.h"

/* Replies as large as the control socket's would not hold /status with
 * many sources: HTTP has room. */
#define JSON_MAX (1 << 20)
#define HISTORY_DEFAULT_SECONDS 3600
#define HISTORY_DEFAULT_POINTS 600
#define HISTORY_MAX_POINTS 5000

struct exports {
	const struct http_api *api;
	struct http_server *http;
	struct ctl *ctl;
	const struct met_registry *reg;
	struct hist *h;
	char *buf;			/* JSON_MAX bytes */
};

static void send_json(struct exports *x, struct json_out *j, struct http_response *resp)
{
	const char *res = json_result(j);

	resp->content_type = "application/json";
	if (!res) {
		resp->status = 500;
		sbuf_puts(&resp->body, "{\"error\":\"reply too large\"}\n");
		return;
	}
	sbuf_puts(&resp->body, res);
	sbuf_putc(&resp->body, '\n');
	(void)x;
}

static void h_status(const struct http_request *req, struct http_response *resp, void *arg)
{
	struct exports *x = arg;
	char *argv[] = { (char *)"status" };
	struct json_out j;

	(void)req;
	json_init(&j, x->buf, JSON_MAX);
	json_obj_begin(&j, NULL);
	ctl_call(x->ctl, 1, argv, &j);
	json_obj_end(&j);
	send_json(x, &j, resp);
}

static void h_history(const struct http_request *req, struct http_response *resp, void *arg)
{
	struct exports *x = arg;
	const char *name = http_target_param(req->target, "series", 0);
	const char *sec = http_target_param(req->target, "seconds", 0);
	const char *pts = http_target_param(req->target, "points", 0);
	double seconds = HISTORY_DEFAULT_SECONDS;
	long points = HISTORY_DEFAULT_POINTS;
	struct json_out j;
	char *end;

	json_init(&j, x->buf, JSON_MAX);
	json_obj_begin(&j, NULL);
	if (!name) {
		hist_list_json(x->h, &j);
		json_obj_end(&j);
		send_json(x, &j, resp);
		return;
	}
	if ((sec && (!((seconds = strtod(sec, &end)) > 0) || *end || !isfinite(seconds))) ||
	    (pts && ((points = strtol(pts, &end, 10)) < 1 || *end || points > HISTORY_MAX_POINTS))) {
		resp->status = 400;
		json_str(&j, "error", "seconds must be above 0, points from 1 to 5000");
	} else if (hist_series_json(x->h, name, gt_to_sec(gt_now(CLOCK_REALTIME)) - seconds,
				    (int)points, &j)) {
		resp->status = 404;
		json_str(&j, "error", "no such series (/history lists them)");
	}
	json_obj_end(&j);
	send_json(x, &j, resp);
}

static void h_file(const struct http_request *req, struct http_response *resp, void *arg)
{
	const struct www_file *f = arg;

	(void)req;
	resp->content_type = f->type;
	sbuf_append(&resp->body, f->data, f->len);
}

struct exports *exports_create(const struct http_api *api, struct http_server *http,
			       struct ctl *ctl, const struct met_registry *reg, struct hist *h,
			       int *err)
{
	struct exports *x = xcalloc(1, sizeof(*x));
	size_t i;
	int rc;

	x->api = api;
	x->http = http;
	x->ctl = ctl;
	x->reg = reg;
	x->h = h;
	x->buf = xmalloc(JSON_MAX);
	rc = api->route(http, "/metrics", api->serve_metrics, (void *)reg);
	if (!rc)
		rc = api->route(http, "/status", h_status, x);
	if (!rc)
		rc = api->route(http, "/history", h_history, x);
	for (i = 0; !rc && i < www_n_files; i++) {
		rc = api->route(http, www_files[i].path, h_file, (void *)&www_files[i]);
		/* The page itself is also the root. */
		if (!rc && !strcmp(www_files[i].path, "/index.html"))
			rc = api->route(http, "/", h_file, (void *)&www_files[i]);
	}
	if (rc) {
		*err = rc;
		free(x->buf);
		free(x);
		return NULL;
	}
	return x;
}

static void exports_destroy(void *obj)
{
	struct exports *x = obj;

	x->api->destroy(x->http);
	free(x->buf);
	free(x);
}

const struct service_ops exports_service = {
	.name = "http",
	.destroy = exports_destroy,
};
