#include "ntp/ntp_xtab.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

struct entry {
	atomic_uint seq;	/* odd while being written */
	struct net_addr addr;	/* family 0: free */
	ntp_ts rx, tx;
	gt_ns saved;		/* CLOCK_MONOTONIC: the eviction order */
};

struct ntp_xtab {
	struct entry *e;
	size_t n_buckets;	/* a power of two */
	uint64_t key;
};

struct ntp_xtab *ntp_xtab_create(unsigned entries, uint64_t hash_key)
{
	struct ntp_xtab *t = xcalloc(1, sizeof(*t));
	size_t n = NTP_XTAB_MIN_ENTRIES;

	while (n < entries && n < NTP_XTAB_MAX_ENTRIES)
		n *= 2;
	t->e = xcalloc(n, sizeof(*t->e));
	t->n_buckets = n / NTP_XTAB_WAYS;
	t->key = hash_key | 1;
	return t;
}

void ntp_xtab_destroy(struct ntp_xtab *t)
{
	if (!t)
		return;
	free(t->e);
	free(t);
}

size_t ntp_xtab_capacity(const struct ntp_xtab *t)
{
	return t->n_buckets * NTP_XTAB_WAYS;
}

size_t ntp_xtab_bytes(const struct ntp_xtab *t)
{
	return ntp_xtab_capacity(t) * sizeof(struct entry) + sizeof(*t);
}

size_t ntp_xtab_count(const struct ntp_xtab *t)
{
	size_t i, n = 0;

	for (i = 0; i < ntp_xtab_capacity(t); i++)
		n += __atomic_load_n(&t->e[i].addr.family, __ATOMIC_RELAXED) != 0;
	return n;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= UINT64_C(0x9e3779b97f4a7c15);
	return h ^ (h >> 29);
}

static struct entry *bucket(const struct ntp_xtab *t, ntp_ts rx)
{
	uint64_t h = mix(mix(t->key, rx), t->key >> 7) * t->key;

	return &t->e[((h >> 32) & (t->n_buckets - 1)) * NTP_XTAB_WAYS];
}

static bool same(const struct net_addr *x, const struct net_addr *y)
{
	return x->family == y->family && !memcmp(x->a, y->a, sizeof(x->a));
}

static struct entry *find(struct entry *b, ntp_ts rx)
{
	int i;

	for (i = 0; i < NTP_XTAB_WAYS; i++)
		if (b[i].addr.family && b[i].rx == rx)
			return &b[i];
	return NULL;
}

static void write_begin(struct entry *e, unsigned *s)
{
	*s = atomic_load_explicit(&e->seq, memory_order_relaxed);
	atomic_store_explicit(&e->seq, *s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
}

void ntp_xtab_save(struct ntp_xtab *t, const struct net_addr *a, ntp_ts rx, ntp_ts tx,
		   gt_ns mono)
{
	struct entry *b = bucket(t, rx), *e = find(b, rx);
	unsigned s;
	int i;

	if (!e) {
		/* A free way, else the one saved longest ago. */
		e = &b[0];
		for (i = 1; i < NTP_XTAB_WAYS && e->addr.family; i++)
			if (!b[i].addr.family || b[i].saved < e->saved)
				e = &b[i];
	}
	write_begin(e, &s);
	e->addr = *a;
	e->rx = rx;
	e->tx = tx;
	e->saved = mono;
	atomic_store_explicit(&e->seq, s + 2, memory_order_release);
}

bool ntp_xtab_set_tx(struct ntp_xtab *t, const struct net_addr *a, ntp_ts rx, ntp_ts tx)
{
	struct entry *e = find(bucket(t, rx), rx);
	unsigned s;

	if (!e || !same(&e->addr, a))
		return false;
	write_begin(e, &s);
	e->tx = tx;
	atomic_store_explicit(&e->seq, s + 2, memory_order_release);
	return true;
}

void ntp_xtab_drop(struct ntp_xtab *t, ntp_ts rx)
{
	struct entry *e = find(bucket(t, rx), rx);
	unsigned s;

	if (!e)
		return;
	write_begin(e, &s);
	memset(&e->addr, 0, sizeof(e->addr));
	e->rx = e->tx = 0;
	e->saved = 0;
	atomic_store_explicit(&e->seq, s + 2, memory_order_release);
}

bool ntp_xtab_lookup(const struct ntp_xtab *t, const struct net_addr *a, ntp_ts rx,
		     ntp_ts *tx)
{
	struct entry *b = bucket(t, rx);
	struct net_addr ea;
	ntp_ts erx, etx;
	unsigned s0, s1;
	int i, tries;

	for (i = 0; i < NTP_XTAB_WAYS; i++) {
		for (tries = 0; tries < 4; tries++) {
			s0 = atomic_load_explicit(&b[i].seq, memory_order_acquire);
			if (s0 & 1)
				continue;
			ea = b[i].addr;
			erx = b[i].rx;
			etx = b[i].tx;
			atomic_thread_fence(memory_order_acquire);
			s1 = atomic_load_explicit(&b[i].seq, memory_order_relaxed);
			if (s0 == s1)
				break;
		}
		if (tries == 4 || !ea.family || erx != rx)
			continue;
		/* Another client naming this one's exchange learns nothing. */
		if (!same(&ea, a) || !etx)
			return false;
		*tx = etx;
		return true;
	}
	return false;
}
