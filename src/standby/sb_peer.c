#include "standby/sb_peer.h"

#include <string.h>

void sb_peer_init(struct sb_peer *p)
{
	memset(p, 0, sizeof(*p));
}

void sb_peer_sent(struct sb_peer *p, gt_ns xmt)
{
	p->sent[p->sent_head] = xmt;
	p->sent_head = (p->sent_head + 1) % SB_SENT_RING;
}

static bool was_sent(const struct sb_peer *p, gt_ns t)
{
	unsigned i;

	for (i = 0; i < SB_SENT_RING; i++)
		if (p->sent[i] == t && t > 0)
			return true;
	return false;
}

enum sb_accept sb_peer_accept(struct sb_peer *p, const struct sb_msg *m, uint64_t own,
			      gt_ns rx, gt_ns mono, bool lost)
{
	if (m->node_id == own)
		return SB_ACC_OWN;
	if (p->heard && m->node_id == p->node_id) {
		/* One node's sequence only grows: anything else was seen. */
		if (m->seq <= p->seq)
			return SB_ACC_REPLAY;
	} else {
		/* A node id not heard: later than all we accepted, and
		 * echoing one of our transmit times of this run. */
		if (p->heard && m->xmt <= p->last_xmt)
			return SB_ACC_REPLAY;
		if (!(m->flags & SB_FLAG_ECHO) || !was_sent(p, m->org)) {
			if (!p->heard || lost) {
				p->echo_xmt = m->xmt;
				p->echo_rx = rx;
			}
			return SB_ACC_UNPROVEN;
		}
		if (p->heard)
			p->restarts++;
		p->node_id = m->node_id;
		p->n_filt = 0;		/* a new run: its clock may differ */
		p->filt_head = 0;
	}
	p->heard = true;
	p->seq = m->seq;
	p->last_xmt = m->xmt;
	p->last_rx = rx;
	p->echo_xmt = m->xmt;
	p->echo_rx = rx;
	p->last_heard_mono = mono;
	p->last = *m;
	return SB_ACC_OK;
}

bool sb_peer_exchange(struct sb_peer *p, const struct sb_msg *m, gt_ns t4, gt_ns max_neg,
		      struct sb_sample *out)
{
	gt_ns t1 = m->org, t2 = m->rec, t3 = m->xmt, out_leg, back_leg, held, trip, sum;

	if (!(m->flags & SB_FLAG_ECHO) || !was_sent(p, t1))
		return false;
	/* RFC 5905 §8, symmetric mode: the partner held our heartbeat from t2
	 * to t3; that time is not part of the path. The partner has the key
	 * but its timestamps may still be absurd: a sum beyond 64 bits is an
	 * inconsistent exchange, not a wrapped figure in the filter. */
	if (__builtin_sub_overflow(t2, t1, &out_leg) ||
	    __builtin_sub_overflow(t3, t4, &back_leg) ||
	    __builtin_add_overflow(out_leg, back_leg, &sum) ||
	    __builtin_sub_overflow(t4, t1, &trip) ||
	    __builtin_sub_overflow(t3, t2, &held) ||
	    __builtin_sub_overflow(trip, held, &out->delay))
		return false;
	out->offset = sum / 2;
	if (out->delay < -max_neg)
		return false;
	p->latest = *out;
	p->filt[p->filt_head] = *out;
	p->filt_head = (p->filt_head + 1) % SB_FILTER;
	if (p->n_filt < SB_FILTER)
		p->n_filt++;
	p->exchanges++;
	return true;
}

bool sb_peer_offset(const struct sb_peer *p, struct sb_sample *out)
{
	unsigned i;

	if (!p->n_filt)
		return false;
	*out = p->filt[0];
	for (i = 1; i < p->n_filt; i++)
		if (p->filt[i].delay < out->delay)
			*out = p->filt[i];
	return true;
}

bool sb_peer_lost(const struct sb_peer *p, gt_ns mono, unsigned misses, gt_ns min_lost)
{
	gt_ns limit;

	if (!p->heard)
		return true;
	limit = (gt_ns)p->last.interval_ms * 1000000 * misses;
	if (limit < min_lost)
		limit = min_lost;
	return mono - p->last_heard_mono > limit;
}

const char *sb_accept_name(enum sb_accept a)
{
	switch (a) {
	case SB_ACC_OK: return "ok";
	case SB_ACC_OWN: return "own";
	case SB_ACC_REPLAY: return "replay";
	case SB_ACC_UNPROVEN: return "unproven";
	}
	return "?";
}
