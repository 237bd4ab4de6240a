#include "gw/gw_gate.h"

#include <string.h>

void gw_gate_init(struct gw_gate *g, struct gw_seq *seq, unsigned need, gt_ns tol, gt_ns maxage)
{
	memset(g, 0, sizeof(*g));
	g->seq = seq;
	g->maxage = maxage < 0 ? 0 : maxage;
	gw_agree_init(&g->agree, need, tol);
}

void gw_gate_restore_label(struct gw_gate *g, gt_ns label)
{
	g->have_label = true;
	g->label_max = label;
	g->label_mono = 0;
	gw_agree_set_floor(&g->agree, label);
}

/* Once the clock is right, a label far from it is stale (delayed or
 * replayed) or from the future. Before that, once agreed, the labels
 * accepted and the monotonic clock predict the next one: a label further
 * than maxage from that prediction is refused the same way. Free of
 * overflow: gw_age_check takes any values, the prediction saturates. */
static enum gw_age age_of(const struct gw_gate *g, const struct gw_gate_in *in)
{
	gt_ns elapsed, predicted;

	if (in->synced)
		return gw_age_check(in->label, in->clock_now, g->maxage, g->maxage);
	if (!g->agreed || !g->label_mono)
		return GW_AGE_OK;
	if (__builtin_sub_overflow(in->rx_mono, g->label_mono, &elapsed) ||
	    __builtin_add_overflow(g->label_max, elapsed, &predicted))
		return elapsed > 0 ? GW_AGE_STALE : GW_AGE_FUTURE;
	return gw_age_check(in->label, predicted, g->maxage, g->maxage);
}

/* Has the current boot given a message within two of its intervals (1 s
 * when unknown), plus the agreement's tolerance? */
static bool current_alive(const struct gw_gate *g, gt_ns now)
{
	gt_ns iv = g->interval > 0 ? g->interval : GT_NS_PER_S, since;

	if (!g->last_mono || __builtin_sub_overflow(now, g->last_mono, &since))
		return false;
	return since < 2 * iv + g->agree.tol;
}

void gw_gate_judge(struct gw_gate *g, const struct gw_gate_in *in, struct gw_gate_out *out)
{
	enum gw_agree_verdict av;
	const struct gw_agree_chain *c;
	enum gw_age age;
	unsigned k;

	memset(out, 0, sizeof(*out));
	out->sv = gw_seq_check(g->seq, in->boot_id, in->seq, &out->lost);
	if (!gw_seq_usable(out->sv)) {
		gw_seq_refused(g->seq, out->sv);
		out->v = GW_GATE_SEQ;
		return;
	}
	age = age_of(g, in);
	if (age != GW_AGE_OK) {
		out->v = age == GW_AGE_STALE ? GW_GATE_STALE : GW_GATE_FUTURE;
		return;
	}
	/* Before the first sample, and for every new boot: agreement. The
	 * current boot keeps flowing meanwhile; the new one becomes current
	 * only once it agrees and the current one has gone quiet. */
	if (!g->agreed || out->sv == GW_SEQ_RESTART) {
		av = gw_agree_add(&g->agree, in->boot_id, in->seq, in->label, in->rx_mono);
		if (av == GW_AGREE_BEFORE_FLOOR) {
			out->v = GW_GATE_BEFORE_FLOOR;
			return;
		}
		if (av == GW_AGREE_PENDING) {
			out->v = GW_GATE_PENDING;
			return;
		}
		if (g->agreed && current_alive(g, in->rx_mono)) {
			out->v = GW_GATE_PENDING;
			out->conflict = true;
			return;
		}
		/* The chain is in order and each of its numbers passed the
		 * check against the same state: commit all but this one. */
		c = gw_agree_chain(&g->agree);
		out->chain = c ? c->n : 1;
		for (k = 0; c && k + 1 < c->n; k++)
			if (gw_seq_commit(g->seq, c->boot, c->seq[k]) == GW_SEQ_RESTART)
				out->restarted = true;
		g->agreed = true;
		out->agreed_now = true;
		gw_agree_reset(&g->agree);
		out->sv = gw_seq_check(g->seq, in->boot_id, in->seq, &out->lost);
		if (!gw_seq_usable(out->sv)) {	/* cannot happen: the chain is in order */
			gw_seq_refused(g->seq, out->sv);
			out->v = GW_GATE_SEQ;
			return;
		}
	}
	out->sv = gw_seq_commit(g->seq, in->boot_id, in->seq);
	if (out->sv == GW_SEQ_RESTART)
		out->restarted = true;
	g->last_mono = in->rx_mono;
	g->interval = in->interval;
	if (!g->have_label || in->label > g->label_max || !g->label_mono) {
		g->label_max = in->label;
		g->label_mono = in->rx_mono;
	}
	g->have_label = true;
	out->v = GW_GATE_ACCEPT;
}

const char *gw_gate_verdict_name(enum gw_gate_verdict v)
{
	switch (v) {
	case GW_GATE_ACCEPT: return "accept";
	case GW_GATE_SEQ: return "sequence";
	case GW_GATE_STALE: return "stale";
	case GW_GATE_FUTURE: return "future";
	case GW_GATE_BEFORE_FLOOR: return "before_floor";
	case GW_GATE_PENDING: return "pending";
	}
	return "unknown";
}
