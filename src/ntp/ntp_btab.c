#include "ntp/ntp_btab.h"

#include <string.h>

static const char *const names[] = {
	[NTP_BTAB_KNOWN] = "known", [NTP_BTAB_NEW] = "new", [NTP_BTAB_TAKEOVER] = "takeover",
	[NTP_BTAB_DISPLACE] = "displace",
	[NTP_BTAB_DUPLICATE] = "duplicate", [NTP_BTAB_STALE] = "stale",
	[NTP_BTAB_KEY_FULL] = "key_full", [NTP_BTAB_FULL] = "full",
};

const char *ntp_btab_verdict_name(enum ntp_btab_verdict v)
{
	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "unknown";
}

void ntp_btab_init(struct ntp_btab *t, int max_per_key)
{
	memset(t, 0, sizeof(*t));
	t->max_per_key = max_per_key < 1 ? 1 : max_per_key > NTP_BTAB_MAX_PER_KEY
			 ? NTP_BTAB_MAX_PER_KEY : max_per_key;
}

gt_ns ntp_btab_silence(const struct ntp_btab_slot *s)
{
	gt_ns d = s->interval * NTP_BTAB_SILENT_INTERVALS;

	return d > NTP_BTAB_MIN_SILENCE ? d : NTP_BTAB_MIN_SILENCE;
}

/* Same identity: the key, or for unsigned packets the address. */
static bool same_identity(const struct ntp_btab_slot *s, const struct net_addr *from,
			  uint32_t key)
{
	return s->key == key && (key || !memcmp(&s->addr, from, sizeof(*from)));
}

/* Modular: NTP timestamps wrap in 2036 (RFC 5905 §6). */
static int64_t ts_diff(ntp_ts a, ntp_ts b)
{
	return (int64_t)(a - b);
}

enum ntp_btab_verdict ntp_btab_check(const struct ntp_btab *t, const struct net_addr *from,
				     uint32_t key, ntp_ts xmt, gt_ns mono, int *slot)
{
	const struct ntp_btab_slot *s;
	int i, known = -1, n_id = 0, silent = -1, untrusted = -1;
	bool have_last = false;
	ntp_ts last = 0;

	*slot = -1;
	for (i = 0; i < t->n; i++) {
		s = &t->slot[i];
		if (!same_identity(s, from, key))
			continue;
		n_id++;
		if (!memcmp(&s->addr, from, sizeof(*from)))
			known = i;
		if (!have_last || ts_diff(s->last_xmt, last) > 0)
			last = s->last_xmt;
		have_last = true;
		/* The longest silent of the identity's senders, if silent
		 * long enough to have lost its trust. */
		if (mono - s->last_mono >= ntp_btab_silence(s) &&
		    (silent < 0 || s->last_mono < t->slot[silent].last_mono))
			silent = i;
		if (!s->trusted && (untrusted < 0 ||
				    ts_diff(s->last_xmt, t->slot[untrusted].last_xmt) < 0))
			untrusted = i;
	}
	/* Freshness first, whatever the address: a replay from a new address
	 * must not even learn whether a slot is free. */
	if (have_last && xmt == last)
		return NTP_BTAB_DUPLICATE;
	if (have_last && ts_diff(xmt, last) < 0)
		return NTP_BTAB_STALE;
	if (known >= 0) {
		*slot = known;
		return NTP_BTAB_KNOWN;
	}
	/* Unsigned senders are each their own identity: only the table's
	 * size limits them, and a silent one may make room. */
	if (!key) {
		for (i = 0; i < t->n; i++) {
			s = &t->slot[i];
			if (!s->key && mono - s->last_mono >= ntp_btab_silence(s) &&
			    (silent < 0 || s->last_mono < t->slot[silent].last_mono))
				silent = i;
		}
	} else if (n_id >= t->max_per_key) {
		if (silent >= 0) {
			*slot = silent;
			return NTP_BTAB_TAKEOVER;
		}
		/* Newer than every packet of the key (stale ones were refused
		 * above): the untrusted sender that is furthest behind is
		 * replaying. */
		if (untrusted >= 0) {
			*slot = untrusted;
			return NTP_BTAB_DISPLACE;
		}
		return NTP_BTAB_KEY_FULL;
	}
	if (t->n < NTP_BTAB_MAX) {
		*slot = t->n;
		return NTP_BTAB_NEW;
	}
	if (silent < 0)
		return NTP_BTAB_FULL;
	*slot = silent;
	return NTP_BTAB_TAKEOVER;
}

void ntp_btab_commit(struct ntp_btab *t, int slot, const struct net_addr *from, uint32_t key,
		     ntp_ts xmt, gt_ns mono, gt_ns interval)
{
	struct ntp_btab_slot *s;

	if (slot < 0 || slot >= NTP_BTAB_MAX || slot > t->n)
		return;
	if (slot == t->n)
		t->n++;
	s = &t->slot[slot];
	if (!s->used || s->key != key || memcmp(&s->addr, from, sizeof(*from)))
		s->trusted = false;
	s->used = true;
	s->key = key;
	s->addr = *from;
	s->last_xmt = xmt;
	s->last_mono = mono;
	s->interval = interval;
}

void ntp_btab_trust(struct ntp_btab *t, int slot)
{
	if (slot >= 0 && slot < t->n)
		t->slot[slot].trusted = true;
}
