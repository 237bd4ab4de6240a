#include "mon/series.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "mon/ctl.h"

#define DEFAULT_SECONDS 3600
#define DEFAULT_POINTS 300
#define MAX_POINTS 1000

struct mon_series {
	struct hist *h;
	struct sync_run *run;
	const struct ntp_srv *srv;
	struct gw_receiver *recv;
	int n_sources;			/* sources given series so far */
	uint64_t last_received;
	gt_ns last_rate_at;
};

enum { SYS_OFFSET, SYS_FREQ, SRC_OFFSET, SRC_DELAY, SRC_JITTER };
enum { GW_OFFSET, GW_DELAY, GW_LOSS };

static double read_sync(const void *ctx, uintptr_t key)
{
	const struct mon_series *m = ctx;
	struct sync *s = sync_run_sync(m->run);
	struct sync_src_info si;
	struct sync_state st;
	int what = (int)(key & 7), src = (int)(key >> 3);

	if (!s)
		return NAN;
	if (what == SYS_OFFSET || what == SYS_FREQ) {
		sync_get_state(s, &st);
		if (!st.synced)
			return NAN;
		return what == SYS_OFFSET ? gt_to_sec(st.last_offset) : st.freq_ppm;
	}
	if (sync_get_source(s, src, &si) || !si.n_samples)
		return NAN;
	return gt_to_sec(what == SRC_OFFSET ? si.offset : what == SRC_DELAY ? si.delay : si.jitter);
}

/* Requests a second since the last reading (the tick's). */
static double read_rate(const void *ctx, uintptr_t key)
{
	struct mon_series *m = (struct mon_series *)ctx;
	struct ntp_srv_stats st;
	gt_ns now = gt_now(CLOCK_MONOTONIC);
	double rate = NAN;

	(void)key;
	ntp_srv_get_stats(m->srv, &st);
	if (m->last_rate_at && now > m->last_rate_at)
		rate = (double)(st.received - m->last_received) / gt_to_sec(now - m->last_rate_at);
	m->last_received = st.received;
	m->last_rate_at = now;
	return rate;
}

static double read_gw(const void *ctx, uintptr_t key)
{
	const struct mon_series *m = ctx;
	struct gw_recv_stats st;

	gw_receiver_get_stats(m->recv, &st);
	if (!st.samples)
		return NAN;
	return key == GW_OFFSET ? st.last_offset : key == GW_DELAY ? st.last_delay :
	       st.loss_percent;
}

struct mon_series *mon_series_create(struct hist *h, struct sync_run *run,
				     const struct ntp_srv *srv, struct gw_receiver *recv)
{
	struct mon_series *m = xcalloc(1, sizeof(*m));

	m->h = h;
	m->run = run;
	m->srv = srv;
	m->recv = recv;
	hist_track(h, "system.offset", read_sync, m, SYS_OFFSET);
	hist_track(h, "system.frequency_ppm", read_sync, m, SYS_FREQ);
	if (srv)
		hist_track(h, "server.requests_per_second", read_rate, m, 0);
	if (recv) {
		hist_track(h, "gateway.offset", read_gw, m, GW_OFFSET);
		hist_track(h, "gateway.delay", read_gw, m, GW_DELAY);
		hist_track(h, "gateway.loss_percent", read_gw, m, GW_LOSS);
	}
	return m;
}

void mon_series_tick(struct mon_series *m, gt_ns now_real)
{
	struct sync *s = sync_run_sync(m->run);
	static const char *const what[] = { "offset", "delay", "jitter" };
	struct sync_src_info si;
	char name[64];
	int k;

	for (; s && m->n_sources < sync_source_count(s); m->n_sources++) {
		if (sync_get_source(s, m->n_sources, &si))
			continue;
		for (k = 0; k < 3; k++) {
			char *c;

			snprintf(name, sizeof(name), "source.%.40s.%s", si.name, what[k]);
			/* A name is one word of a control request and a URL
			 * parameter: "gateway 127.0.0.1" becomes
			 * "gateway-127.0.0.1". */
			for (c = name; *c; c++)
				if (*c <= ' ' || *c > '~')
					*c = '-';
			hist_track(m->h, name, read_sync, m,
				   (uintptr_t)m->n_sources << 3 | (uintptr_t)(SRC_OFFSET + k));
		}
	}
	hist_tick(m->h, now_real);
}

static int cmd_history(void *arg, int argc, char **argv, struct json_out *j)
{
	struct mon_series *m = arg;
	double seconds = DEFAULT_SECONDS;
	long points = DEFAULT_POINTS;
	char *end;

	if (argc == 1) {
		hist_list_json(m->h, j);
		return 0;
	}
	if (argc > 4 || (argc >= 3 && (!((seconds = strtod(argv[2], &end)) > 0) || *end)) ||
	    (argc == 4 && ((points = strtol(argv[3], &end, 10)) < 1 || *end ||
			   points > MAX_POINTS))) {
		json_str(j, "error", "usage: history [NAME [SECONDS [POINTS]]], SECONDS > 0, "
			 "POINTS 1..1000");
		return -EINVAL;
	}
	if (hist_series_json(m->h, argv[1], gt_to_sec(gt_now(CLOCK_REALTIME)) - seconds,
			     (int)points, j)) {
		json_str(j, "error", "no such series (`history` lists them)");
		return -ENOENT;
	}
	return 0;
}

static void register_ctl(void *obj, struct ctl *ctl)
{
	ctl_register(ctl, "history", cmd_history, obj);
}

const struct service_ops mon_series_service = {
	.name = "history",
	.register_ctl = register_ctl,
	.destroy = free,
};
