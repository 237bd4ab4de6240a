#include "gw/gw_agree.h"

#include <string.h>

void gw_agree_init(struct gw_agree *a, unsigned need, gt_ns tol)
{
	memset(a, 0, sizeof(*a));
	a->need = need < 1 ? 1 : need > GW_AGREE_MAX ? GW_AGREE_MAX : need;
	a->tol = tol < 0 ? 0 : tol;
	a->reached = -1;
}

void gw_agree_set_floor(struct gw_agree *a, gt_ns floor)
{
	a->have_floor = true;
	a->floor = floor;
}

void gw_agree_reset(struct gw_agree *a)
{
	memset(a->ch, 0, sizeof(a->ch));
	a->reached = -1;
}

/* Does the message extend chain c: same boot, a later number (RFC 1982),
 * later arrival, and a label that moved like the arrival time? */
static bool fits(const struct gw_agree *a, const struct gw_agree_chain *c, uint64_t boot,
		 uint64_t seq, gt_ns label, gt_ns mono)
{
	uint64_t ahead;
	gt_ns dmono, dlabel, diff, allowed;

	if (!c->used || !c->n || c->boot != boot)
		return false;
	ahead = seq - c->seq[c->n - 1];
	if (ahead == 0 || ahead > (uint64_t)INT64_MAX)
		return false;
	if (__builtin_sub_overflow(mono, c->mono, &dmono) || dmono <= 0)
		return false;
	if (__builtin_sub_overflow(label, c->label, &dlabel) ||
	    __builtin_sub_overflow(dlabel, dmono, &diff))
		return false;
	/* 1000 ppm of the interval: both clocks' frequency errors. */
	allowed = a->tol + dmono / 1000;
	return diff <= allowed && diff >= -allowed;
}

static int find(const struct gw_agree *a, uint64_t boot, uint64_t seq, gt_ns label, gt_ns mono)
{
	int i;

	for (i = 0; i < GW_AGREE_CHAINS; i++)
		if (fits(a, &a->ch[i], boot, seq, label, mono))
			return i;
	return -1;
}

enum gw_agree_verdict gw_agree_check(const struct gw_agree *a, uint64_t boot, uint64_t seq,
				     gt_ns label, gt_ns mono)
{
	int i;

	if (a->have_floor && label <= a->floor)
		return GW_AGREE_BEFORE_FLOOR;
	if (a->need <= 1)
		return GW_AGREE_REACHED;
	i = find(a, boot, seq, label, mono);
	return i >= 0 && a->ch[i].n + 1 >= a->need ? GW_AGREE_REACHED : GW_AGREE_PENDING;
}

enum gw_agree_verdict gw_agree_add(struct gw_agree *a, uint64_t boot, uint64_t seq,
				   gt_ns label, gt_ns mono)
{
	enum gw_agree_verdict v = gw_agree_check(a, boot, seq, label, mono);
	struct gw_agree_chain *c;
	int i, k;

	if (v == GW_AGREE_BEFORE_FLOOR)
		return v;
	i = find(a, boot, seq, label, mono);
	if (i < 0) {
		/* A new chain: a free slot, else the shortest, the least
		 * recently extended of those: a burst of messages that fit
		 * nothing replaces its own single-message chains, not a
		 * genuine chain that has grown. */
		for (i = 0, k = 0; k < GW_AGREE_CHAINS; k++) {
			if (!a->ch[k].used) {
				i = k;
				break;
			}
			if (a->ch[k].n < a->ch[i].n ||
			    (a->ch[k].n == a->ch[i].n && a->ch[k].mono < a->ch[i].mono))
				i = k;
		}
		a->ch[i] = (struct gw_agree_chain){ .used = true, .boot = boot };
	}
	c = &a->ch[i];
	if (c->n == GW_AGREE_MAX) {	/* cannot happen: need <= MAX */
		memmove(c->seq, c->seq + 1, sizeof(c->seq[0]) * (GW_AGREE_MAX - 1));
		c->n--;
	}
	c->seq[c->n++] = seq;
	c->label = label;
	c->mono = mono;
	if (v == GW_AGREE_REACHED)
		a->reached = i;
	return v;
}

const struct gw_agree_chain *gw_agree_chain(const struct gw_agree *a)
{
	return a->reached >= 0 ? &a->ch[a->reached] : NULL;
}

const char *gw_agree_verdict_name(enum gw_agree_verdict v)
{
	switch (v) {
	case GW_AGREE_BEFORE_FLOOR: return "before_floor";
	case GW_AGREE_PENDING: return "pending";
	case GW_AGREE_REACHED: return "reached";
	}
	return "unknown";
}
