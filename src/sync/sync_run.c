#include "sync/sync_run.h"

#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/util.h"

struct sync_run {
	struct loop *loop;
	struct clk *clock;
	struct sync *sync;
	struct clk_published *pub;
	struct sync_run_config cfg;
	struct statlog *tracking;
	struct loop_timer *timer;	/* one-shot at sync_next_update() */
	gt_ns tracking_logged;		/* ref_time of the last tracking.log line */
	gt_ns local_ref_time;
};

/* Publish the clock state. With `local stratum N` the local clock is the
 * reference: synchronised, root delay 0, reference time refreshed every
 * 64 s so it is never "now" (RFC 5905 reftime: last time set). */
static void publish(struct sync_run *r)
{
	struct clk_snapshot s;
	struct sync_state st;
	gt_ns now;

	memset(&s, 0, sizeof(s));
	memset(&st, 0, sizeof(st));
	r->clock->ops->get_map(r->clock, &s.map);
	now = clk_map_apply(&s.map, gt_now(CLOCK_REALTIME));
	s.q.precision = r->cfg.precision;
	if (r->sync)
		sync_get_state(r->sync, &st);
	if (r->sync && st.synced) {
		s.q.leap = st.leap;
		s.q.stratum = st.stratum;
		s.q.refid = st.refid;
		s.q.ref_time = st.ref_time;
		s.q.root_delay = st.root_delay;
		s.q.root_disp = st.root_disp;
	} else if (r->cfg.local_stratum) {
		if (!r->local_ref_time || now - r->local_ref_time >= 64 * GT_NS_PER_S ||
		    now < r->local_ref_time)
			r->local_ref_time = now;
		s.q.leap = CLK_LEAP_NONE;
		s.q.stratum = (uint8_t)r->cfg.local_stratum;
		s.q.refid = CLK_REFID_LOCAL;
		s.q.ref_time = r->local_ref_time;
		s.q.root_delay = 0;
		s.q.root_disp = 0;
	} else {
		s.q.leap = CLK_LEAP_UNSYNC;
		s.q.stratum = 16;
	}
	clk_publish(r->pub, &s);
}

static void run(struct sync_run *r);

static void on_timer(struct loop_timer *t, void *arg)
{
	struct sync_run *r = arg;

	(void)t;
	r->timer = NULL;	/* one-shot: the loop frees it */
	run(r);
}

/* Select and discipline, publish what the servers serve, and come back
 * exactly when the sync core asks (a slew ending, a leap second). */
static void run(struct sync_run *r)
{
	gt_ns now = gt_now(CLOCK_MONOTONIC), next;
	struct sync_state st;

	sync_update(r->sync, now);
	publish(r);
	sync_get_state(r->sync, &st);
	if (r->tracking && st.synced && st.ref_time != r->tracking_logged) {
		r->tracking_logged = st.ref_time;
		statlog_write(r->tracking, st.ref_time,
			      "%08x %2u %+10.3f %8.3f %+.9f %.9f %.9f %.9f %u %d",
			      st.refid, st.stratum, st.freq_ppm, st.skew_ppm,
			      gt_to_sec(st.last_offset), gt_to_sec(st.rms_offset),
			      gt_to_sec(st.root_delay), gt_to_sec(st.root_disp), st.leap,
			      st.n_survivors);
	}
	if (st.maxchange_exit) {
		LOG_ERR("maxchange: too many large corrections ignored, exiting");
		loop_stop(r->loop);
	}
	if (r->timer)
		loop_timer_cancel(r->loop, r->timer);
	r->timer = NULL;
	next = sync_next_update(r->sync);
	if (next != INT64_MAX)
		r->timer = loop_timer_add(r->loop, next - now, 0, on_timer, r);
}

static void on_sample(void *arg)
{
	run(arg);
}

struct sync_run *sync_run_create(struct loop *loop, struct clk *clock,
				 struct clk_published *pub, const struct sync_run_config *cfg)
{
	struct sync_run *r = xcalloc(1, sizeof(*r));

	r->loop = loop;
	r->clock = clock;
	r->pub = pub;
	r->cfg = *cfg;
	return r;
}

void sync_run_attach(struct sync_run *r, struct sync *sync, struct statlog *tracking)
{
	r->sync = sync;
	r->tracking = tracking;
	if (sync)
		sync_set_update_hook(sync, on_sample, r);
}

void sync_run_destroy(struct sync_run *r)
{
	if (!r)
		return;
	if (r->sync)
		sync_set_update_hook(r->sync, NULL, NULL);
	if (r->timer)
		loop_timer_cancel(r->loop, r->timer);
	free(r);
}

void sync_run_now(struct sync_run *r)
{
	/* Periodic even without samples: holdover and dispersion age. */
	if (r->sync)
		run(r);
	else
		publish(r);
}

struct sync *sync_run_sync(const struct sync_run *r)
{
	return r->sync;
}

struct clk *sync_run_clock(const struct sync_run *r)
{
	return r->clock;
}

const struct clk_published *sync_run_published(const struct sync_run *r)
{
	return r->pub;
}
