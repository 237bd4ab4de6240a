#include "gw/gw_seq.h"

#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

struct gw_seq {
	unsigned window;	/* sequence numbers tracked, the newest included */
	unsigned nbits;		/* bitmap size: a power of two >= window, >= 64 */
	uint64_t *bits;		/* bit (seq mod nbits): seq seen */
	bool have;		/* a message has been seen */
	uint64_t boot_id;	/* current boot */
	uint64_t top;		/* newest sequence number of this boot */
	/* How many numbers before top belong to this boot and the window
	 * (0..window-1): older ones are before the boot's first message. */
	uint64_t span;
	bool restored;		/* top is a restored floor, not a message */
	uint64_t old_boots[GW_SEQ_BOOT_HISTORY];
	unsigned n_old, old_pos;
	struct gw_seq_counters c;
};

struct gw_seq *gw_seq_create(unsigned window)
{
	struct gw_seq *s;
	unsigned nbits = 64;

	if (window < GW_SEQ_MIN_WINDOW || window > GW_SEQ_MAX_WINDOW)
		return NULL;
	while (nbits < window)
		nbits *= 2;
	s = xcalloc(1, sizeof(*s));
	s->window = window;
	s->nbits = nbits;
	s->bits = xcalloc(nbits / 64, sizeof(*s->bits));
	return s;
}

void gw_seq_destroy(struct gw_seq *s)
{
	if (!s)
		return;
	free(s->bits);
	free(s);
}

/* nbits divides 2^64, so seq mod nbits is the same slot on both sides of
 * the wrap from 2^64-1 to 0. */
static bool test_bit(const struct gw_seq *s, uint64_t seq)
{
	uint64_t i = seq & (s->nbits - 1);

	return s->bits[i / 64] >> (i % 64) & 1;
}

static void set_bit(struct gw_seq *s, uint64_t seq, bool on)
{
	uint64_t i = seq & (s->nbits - 1), m = UINT64_C(1) << (i % 64);

	if (on)
		s->bits[i / 64] |= m;
	else
		s->bits[i / 64] &= ~m;
}

static void start_boot(struct gw_seq *s, uint64_t boot_id, uint64_t seq)
{
	memset(s->bits, 0, s->nbits / 8);
	s->have = true;
	s->boot_id = boot_id;
	s->top = seq;
	s->span = 0;
	set_bit(s, seq, true);
}

/* Move the newest number forward by d (1 <= d < 2^63): clear the slots
 * of the numbers skipped and of the new top, which may still hold bits of
 * numbers nbits older. */
static void advance(struct gw_seq *s, uint64_t d)
{
	uint64_t i;

	if (d >= s->nbits)
		memset(s->bits, 0, s->nbits / 8);
	else
		for (i = 1; i <= d; i++)
			set_bit(s, s->top + i, false);
	s->top += d;
	s->span = d >= s->window - 1 - s->span ? s->window - 1 : s->span + d;
	set_bit(s, s->top, true);
}

static bool is_old_boot(const struct gw_seq *s, uint64_t boot_id)
{
	unsigned i;

	for (i = 0; i < s->n_old; i++)
		if (s->old_boots[i] == boot_id)
			return true;
	return false;
}

static void remember_boot(struct gw_seq *s, uint64_t boot_id)
{
	s->old_boots[s->old_pos] = boot_id;
	s->old_pos = (s->old_pos + 1) % GW_SEQ_BOOT_HISTORY;
	if (s->n_old < GW_SEQ_BOOT_HISTORY)
		s->n_old++;
}

/* Same boot: where does seq stand against the newest? No side effect. */
static enum gw_seq_verdict judge(const struct gw_seq *s, uint64_t seq, uint64_t *lost)
{
	uint64_t ahead = seq - s->top, back = s->top - seq;	/* modulo 2^64 */

	if (ahead == 0)	/* a restored floor was not received: at or below it, a replay */
		return s->restored ? GW_SEQ_REPLAY : GW_SEQ_DUPLICATE;
	if (ahead <= (uint64_t)INT64_MAX) {	/* newer (RFC 1982) */
		/* The first after a restored state: the numbers the sender
		 * used while the receiver was down are not losses. */
		if (ahead == 1 || s->restored)
			return GW_SEQ_NEW;
		*lost = ahead - 1;
		return GW_SEQ_GAP;
	}
	/* Older. Before the window, or before this boot's first message: a
	 * replay, or a message so late it cannot be told from one. */
	if (back > s->span)
		return GW_SEQ_REPLAY;
	if (test_bit(s, seq))
		return GW_SEQ_DUPLICATE;
	/* Inside the window and not seen: skipped by a gap of this boot. */
	return GW_SEQ_REORDERED;
}

enum gw_seq_verdict gw_seq_check(const struct gw_seq *s, uint64_t boot_id, uint64_t seq,
				 uint64_t *lost)
{
	uint64_t dummy;

	if (!lost)
		lost = &dummy;
	*lost = 0;
	if (!s->have)
		return GW_SEQ_NEW;
	if (boot_id == s->boot_id)
		return judge(s, seq, lost);
	/* A boot id seen before the current one: a recorded message played
	 * back. Older boot ids than the history holds are caught by the age
	 * check of the time label (gw_age_check) or, after a restart, by the
	 * agreement (gw_agree), not here. */
	if (is_old_boot(s, boot_id))
		return GW_SEQ_REPLAY;
	return GW_SEQ_RESTART;
}

void gw_seq_refused(struct gw_seq *s, enum gw_seq_verdict v)
{
	s->c.received++;
	if (v == GW_SEQ_DUPLICATE)
		s->c.duplicates++;
	else if (v == GW_SEQ_REPLAY)
		s->c.replays++;
}

enum gw_seq_verdict gw_seq_commit(struct gw_seq *s, uint64_t boot_id, uint64_t seq)
{
	uint64_t lost = 0;
	enum gw_seq_verdict v = gw_seq_check(s, boot_id, seq, &lost);

	if (!gw_seq_usable(v)) {
		gw_seq_refused(s, v);
		return v;
	}
	s->c.received++;
	switch (v) {
	case GW_SEQ_NEW:
		if (!s->have) {
			start_boot(s, boot_id, seq);
		} else {
			advance(s, seq - s->top);
			/* After a restore, the numbers between the floor and
			 * this one count as before the boot's first message
			 * (replays), as after a RESTART: nothing was seen of
			 * them and nothing proves them new. */
			if (s->restored)
				s->span = 0;
		}
		s->c.in_order++;
		break;
	case GW_SEQ_GAP:
		advance(s, seq - s->top);
		s->c.gaps++;
		s->c.lost += lost;
		break;
	case GW_SEQ_REORDERED:
		/* Counted lost with its gap, found now. */
		set_bit(s, seq, true);
		s->c.reordered++;
		if (s->c.lost)
			s->c.lost--;
		break;
	case GW_SEQ_RESTART:
		remember_boot(s, s->boot_id);
		start_boot(s, boot_id, seq);
		s->c.restarts++;
		break;
	default:
		break;
	}
	s->restored = false;
	return v;
}

enum gw_seq_verdict gw_seq_update(struct gw_seq *s, uint64_t boot_id, uint64_t seq,
				  uint64_t *lost)
{
	enum gw_seq_verdict v = gw_seq_check(s, boot_id, seq, lost);

	if (gw_seq_usable(v))
		gw_seq_commit(s, boot_id, seq);
	else
		gw_seq_refused(s, v);
	return v;
}

void gw_seq_restore(struct gw_seq *s, uint64_t boot_id, uint64_t floor,
		    const uint64_t *old_boots, unsigned n_old)
{
	unsigned i;

	memset(s->bits, 0, s->nbits / 8);
	s->n_old = s->old_pos = 0;
	for (i = 0; i < n_old && i < GW_SEQ_BOOT_HISTORY; i++)
		if (old_boots[i] != boot_id)
			remember_boot(s, old_boots[i]);
	s->have = true;
	s->boot_id = boot_id;
	/* Everything up to the floor is treated as seen: the floor itself
	 * is a duplicate, anything below a replay (span 0). */
	s->top = floor;
	s->span = 0;
	set_bit(s, floor, true);
	s->restored = true;
}

unsigned gw_seq_old_boots(const struct gw_seq *s, uint64_t *out, unsigned cap)
{
	unsigned i, n = 0;

	/* Oldest first, so that a restore remembers them in the same order. */
	for (i = 0; i < s->n_old && n < cap; i++)
		out[n++] = s->old_boots[(s->old_pos + GW_SEQ_BOOT_HISTORY - s->n_old + i) %
					GW_SEQ_BOOT_HISTORY];
	return n;
}

struct gw_seq *gw_seq_clone(const struct gw_seq *s)
{
	struct gw_seq *c = xcalloc(1, sizeof(*c));

	*c = *s;
	c->bits = xcalloc(s->nbits / 64, sizeof(*c->bits));
	memcpy(c->bits, s->bits, s->nbits / 8);
	return c;
}

bool gw_seq_same_state(const struct gw_seq *a, const struct gw_seq *b)
{
	return a->window == b->window && a->nbits == b->nbits && a->have == b->have &&
	       a->boot_id == b->boot_id && a->top == b->top && a->span == b->span &&
	       a->restored == b->restored && a->n_old == b->n_old && a->old_pos == b->old_pos &&
	       !memcmp(a->old_boots, b->old_boots, sizeof(a->old_boots)) &&
	       !memcmp(a->bits, b->bits, a->nbits / 8);
}

bool gw_seq_usable(enum gw_seq_verdict v)
{
	return v == GW_SEQ_NEW || v == GW_SEQ_GAP || v == GW_SEQ_REORDERED || v == GW_SEQ_RESTART;
}

const struct gw_seq_counters *gw_seq_counters(const struct gw_seq *s)
{
	return &s->c;
}

bool gw_seq_current(const struct gw_seq *s, uint64_t *boot_id, uint64_t *top)
{
	if (!s->have)
		return false;
	if (boot_id)
		*boot_id = s->boot_id;
	if (top)
		*top = s->top;
	return true;
}

const char *gw_seq_verdict_name(enum gw_seq_verdict v)
{
	switch (v) {
	case GW_SEQ_NEW: return "new";
	case GW_SEQ_GAP: return "gap";
	case GW_SEQ_REORDERED: return "reordered";
	case GW_SEQ_RESTART: return "restart";
	case GW_SEQ_DUPLICATE: return "duplicate";
	case GW_SEQ_REPLAY: return "replay";
	case GW_SEQ_VERDICT_COUNT: break;
	}
	return "unknown";
}

enum gw_age gw_age_check(gt_ns tx_time, gt_ns now, gt_ns max_age, gt_ns max_ahead)
{
	gt_ns age;

	if (max_age < 0)
		max_age = 0;
	if (max_ahead < 0)
		max_ahead = 0;
	/* Overflow means the two are more than 292 years apart. */
	if (__builtin_sub_overflow(now, tx_time, &age))
		return now > tx_time ? GW_AGE_STALE : GW_AGE_FUTURE;
	if (age > max_age)
		return GW_AGE_STALE;
	if (age < -max_ahead)
		return GW_AGE_FUTURE;
	return GW_AGE_OK;
}

const char *gw_age_name(enum gw_age a)
{
	switch (a) {
	case GW_AGE_OK: return "ok";
	case GW_AGE_STALE: return "stale";
	case GW_AGE_FUTURE: return "future";
	}
	return "unknown";
}
