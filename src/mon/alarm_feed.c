#include "mon/alarm_feed.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "mon/ctl.h"

struct alarm_feed {
	struct alarm_engine *e;
	struct alarm_syslog syslog;	/* the syslog sink's state */
	struct sync_run *run;
	const struct ntp_srv *srv;
	struct gw_receiver *recv;
	struct journal *journal;
	struct feed_input {
		void (*fill)(void *arg, struct alarm_inputs *in);
		void *arg;
	} extra[4];			/* other modules' inputs */
	int n_extra;
};

struct alarm_feed *alarm_feed_create(const struct alarm_cfg *cfg, struct sync_run *run,
				     const struct ntp_srv *srv, struct gw_receiver *recv,
				     struct journal *journal)
{
	struct alarm_feed *f = xcalloc(1, sizeof(*f));

	f->e = alarm_create(cfg);
	if (journal)
		alarm_add_sink(f->e, &alarm_journal_sink, journal);
	if (cfg->syslog_facility != ALARM_FACILITY_OFF) {
		alarm_syslog_init(&f->syslog, cfg->syslog_facility, "gnomond");
		alarm_add_sink(f->e, &alarm_syslog_sink, &f->syslog);
	}
	f->run = run;
	f->srv = srv;
	f->recv = recv;
	f->journal = journal;
	return f;
}

void alarm_feed_tick(struct alarm_feed *f, gt_ns now_mono)
{
	struct alarm_inputs in;
	struct clk_snapshot snap;
	struct sync *s = sync_run_sync(f->run);
	uint64_t auth = 0;
	bool auth_known = false;

	memset(&in, 0, sizeof(in));
	clk_read_snapshot(sync_run_published(f->run), &snap);
	/* The clock as served: `local stratum` counts as synchronised. */
	in.stratum = (struct alarm_val){ true, snap.q.stratum };
	in.leap_pending = (struct alarm_flag){ true, snap.q.leap == CLK_LEAP_INS ||
						     snap.q.leap == CLK_LEAP_DEL };
	if (s && sync_source_count(s) > 0) {
		struct sync_state st;

		sync_get_state(s, &st);
		in.synced = (struct alarm_flag){ true, st.synced };
		in.offset = (struct alarm_val){ st.synced, gt_to_sec(st.last_offset) };
		in.jitter = (struct alarm_val){ st.synced, gt_to_sec(st.rms_offset) };
		in.selectable = (struct alarm_val){ true, st.n_survivors };
	} else {
		in.synced = (struct alarm_flag){ true, snap.q.leap != CLK_LEAP_UNSYNC };
	}
	if (f->srv) {
		struct ntp_srv_stats ss;

		ntp_srv_get_stats(f->srv, &ss);
		auth += ss.auth_fail;
		auth_known = true;
		in.ratelimit_drops = (struct alarm_ctr){ true, ss.verdict[NTP_V_DROP_RATE] };
	}
	if (f->recv) {
		struct gw_recv_stats gs;

		gw_receiver_get_stats(f->recv, &gs);
		in.gw_silent = (struct alarm_flag){ true, gs.silent };
		in.gw_loss = (struct alarm_val){ true, gs.loss_percent / 100 };
		auth += gs.verdict[GW_MSG_BAD_MAC] + gs.verdict[GW_MSG_UNKNOWN_KEY];
		auth_known = true;
		/* A replay is any message refused for its place in the sequence
		 * or its age: the counted replays, and those before the floor,
		 * stale or from the future. */
		in.replays = (struct alarm_ctr){ true, gs.seq.replays + gs.stale + gs.future +
							 gs.before_floor };
	}
	in.auth_failures = (struct alarm_ctr){ auth_known, auth };
	if (f->journal) {
		struct journal_stats js;

		journal_get_stats(f->journal, &js);
		in.journal_lost = (struct alarm_ctr){ true, js.lost_queue_full +
							    js.lost_write_error };
	}
	for (int i = 0; i < f->n_extra; i++)
		f->extra[i].fill(f->extra[i].arg, &in);
	alarm_eval(f->e, now_mono, &in);
}

int alarm_feed_add_input(struct alarm_feed *f, void (*fill)(void *arg, struct alarm_inputs *in),
			 void *arg)
{
	if (f->n_extra == (int)ARRAY_LEN(f->extra))
		return -ENOSPC;
	f->extra[f->n_extra++] = (struct feed_input){ fill, arg };
	return 0;
}

struct alarm_engine *alarm_feed_engine(const struct alarm_feed *f)
{
	return f->e;
}

static void register_ctl(void *obj, struct ctl *ctl)
{
	struct alarm_feed *f = obj;

	alarm_ctl_register(ctl, f->e);
}

static void feed_destroy(void *obj)
{
	struct alarm_feed *f = obj;

	alarm_destroy(f->e);
	free(f);
}

const struct service_ops alarm_feed_service = {
	.name = "alarms",
	.register_ctl = register_ctl,
	.destroy = feed_destroy,
};
