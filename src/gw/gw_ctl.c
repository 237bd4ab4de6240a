#include "gw/gw_ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

struct gw_ctl {
	struct gw_sender *send[GW_MAX_SEND];
	int n_send;
	struct gw_receiver *recv;
	struct journal *journal;
};

static int cmd_gateway(void *arg, int argc, char **argv, struct json_out *j)
{
	struct gw_ctl *d = arg;
	char a[NET_ADDR_STRLEN];
	int i, v;

	(void)argc;
	(void)argv;
	json_arr_begin(j, "senders");
	for (i = 0; i < d->n_send; i++) {
		const struct gw_send_cfg *c = gw_sender_config(d->send[i]);
		struct gw_send_stats st;

		gw_sender_get_stats(d->send[i], &st);
		json_obj_begin(j, NULL);
		json_str(j, "to", net_addr_str(&c->to, a, sizeof(a)));
		json_u64(j, "port", c->port);
		json_double(j, "interval", c->interval);
		json_u64(j, "key", c->key);
		json_u64(j, "id", c->id);
		json_str(j, "correction_method", gw_corr_method_name(c->corr.method));
		json_double(j, "correction", st.correction);
		snprintf(a, sizeof(a), "%016llx", (unsigned long long)st.boot_id);
		json_str(j, "boot_id", a);
		json_u64(j, "seq", st.seq);
		json_u64(j, "sent", st.sent);
		json_u64(j, "send_errors", st.send_errors);
		json_u64(j, "tx_timestamps", st.txts);
		json_u64(j, "tx_timestamps_unmatched", st.txts_unmatched);
		json_u64(j, "health", st.health);
		json_str(j, "problem", st.problem);
		json_obj_end(j);
	}
	json_arr_end(j);
	if (d->recv) {
		const struct gw_recv_cfg *c = gw_receiver_config(d->recv);
		struct gw_recv_stats st;
		char f[48];

		gw_receiver_get_stats(d->recv, &st);
		gw_filter_describe(&c->filter, f, sizeof(f));
		json_obj_begin(j, "receiver");
		json_str(j, "on", net_addr_str(&c->on, a, sizeof(a)));
		json_u64(j, "port", c->port);
		json_str(j, "filter", f);
		json_u64(j, "window", (uint64_t)c->filter.window);
		json_u64(j, "received", st.received);
		json_u64(j, "accepted", st.verdict[GW_MSG_OK]);
		json_obj_begin(j, "rejected");
		for (v = 1; v < GW_MSG_VERDICT_COUNT; v++)
			json_u64(j, gw_msg_verdict_name(v), st.verdict[v]);
		json_u64(j, "wrong_source", st.wrong_source);
		json_u64(j, "wrong_sender", st.wrong_sender);
		json_u64(j, "stale", st.stale);
		json_u64(j, "future", st.future);
		json_u64(j, "before_floor", st.before_floor);
		json_obj_end(j);
		json_obj_begin(j, "agreement");
		json_bool(j, "agreed", st.agreed);
		json_u64(j, "need", (uint64_t)c->agree);
		json_u64(j, "pending", st.agree_pending);
		json_u64(j, "reached", st.agreements);
		json_u64(j, "boot_conflicts", st.boot_conflicts);
		json_obj_end(j);
		json_obj_begin(j, "state");
		json_str(j, "dir", c->statedir ? c->statedir : "");
		json_str(j, "at_start", st.state ? st.state : "none");
		json_u64(j, "writes", st.state_writes);
		json_u64(j, "errors", st.state_errors);
		json_obj_end(j);
		json_obj_begin(j, "sequence");
		json_u64(j, "in_order", st.seq.in_order);
		json_u64(j, "gaps", st.seq.gaps);
		json_u64(j, "lost", st.seq.lost);
		json_u64(j, "reordered", st.seq.reordered);
		json_u64(j, "duplicates", st.seq.duplicates);
		json_u64(j, "replays", st.seq.replays);
		json_u64(j, "restarts", st.seq.restarts);
		json_obj_end(j);
		json_u64(j, "samples", st.samples);
		json_u64(j, "two_step", st.two_step);
		json_u64(j, "one_step", st.one_step);
		json_u64(j, "sender_unsync", st.sender_unsync);
		json_bool(j, "silent", st.silent);
		json_u64(j, "silent_alarms", st.silent_alarms);
		json_bool(j, "loss_alarm", st.loss_alarm);
		json_u64(j, "loss_alarms", st.loss_alarms);
		json_double(j, "loss_percent", st.loss_percent);
		json_double(j, "since_last", st.since_last);
		json_double(j, "last_offset", st.last_offset);
		json_double(j, "last_delay", st.last_delay);
		json_double(j, "jitter", st.jitter);
		snprintf(a, sizeof(a), "%016llx", (unsigned long long)st.boot_id);
		json_str(j, "boot_id", a);
		json_u64(j, "last_seq", st.last_seq);
		json_u64(j, "sender_id", st.sender_id);
		json_u64(j, "last_key", st.last_key);
		json_u64(j, "sender_health", st.sender_health);
		json_u64(j, "sender_flags", st.sender_flags);
		json_i64(j, "sender_stratum", st.sender_stratum);
		json_obj_end(j);
	}
	if (d->journal) {
		struct journal_stats js;

		journal_get_stats(d->journal, &js);
		json_obj_begin(j, "journal");
		json_u64(j, "written", js.written);
		json_u64(j, "lost_queue_full", js.lost_queue_full);
		json_u64(j, "lost_write_error", js.lost_write_error);
		json_u64(j, "rotations", js.rotations);
		json_u64(j, "archives_removed", js.archives_removed);
		json_bool(j, "degraded", js.degraded);
		json_obj_end(j);
	}
	return 0;
}

struct gw_ctl *gw_ctl_create(struct gw_sender *const *senders, int n, struct gw_receiver *recv,
			    struct journal *journal)
{
	struct gw_ctl *d = xcalloc(1, sizeof(*d));

	d->n_send = n < GW_MAX_SEND ? n : GW_MAX_SEND;
	memcpy(d->send, senders, (size_t)d->n_send * sizeof(*senders));
	d->recv = recv;
	d->journal = journal;
	return d;
}

static void register_ctl(void *obj, struct ctl *ctl)
{
	ctl_register(ctl, "gateway", cmd_gateway, obj);
}

const struct service_ops gw_ctl_service = {
	.name = "gateway-status",
	.register_ctl = register_ctl,
	.destroy = free,
};
