#include "ntp/ntp_clog.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

struct entry {
	atomic_uint seq;	/* odd while being written */
	struct net_addr addr;	/* family 0: free */
	uint64_t requests, drops, kods;
	gt_ns first, last;
};

struct ntp_clog {
	struct entry *e;
	size_t n_buckets;	/* a power of two */
	uint64_t key;
};

struct ntp_clog *ntp_clog_create(unsigned entries, uint64_t hash_key)
{
	struct ntp_clog *c = xcalloc(1, sizeof(*c));
	size_t n = NTP_CLOG_MIN_ENTRIES;

	while (n < entries && n < NTP_CLOG_MAX_ENTRIES)
		n *= 2;
	c->e = xcalloc(n, sizeof(*c->e));
	c->n_buckets = n / NTP_CLOG_WAYS;
	c->key = hash_key | 1;
	return c;
}

void ntp_clog_destroy(struct ntp_clog *c)
{
	if (!c)
		return;
	free(c->e);
	free(c);
}

size_t ntp_clog_capacity(const struct ntp_clog *c)
{
	return c->n_buckets * NTP_CLOG_WAYS;
}

size_t ntp_clog_count(const struct ntp_clog *c)
{
	size_t i, n = 0;

	for (i = 0; i < ntp_clog_capacity(c); i++)
		n += __atomic_load_n(&c->e[i].addr.family, __ATOMIC_RELAXED) != 0;
	return n;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= UINT64_C(0x9e3779b97f4a7c15);
	return h ^ (h >> 29);
}

static uint64_t hash_addr(uint64_t key, const struct net_addr *a)
{
	uint64_t w[2];

	memcpy(w, a->a, sizeof(w));
	return mix(mix(key ^ (uint64_t)a->family, w[0]), w[1]) * key;
}

static bool same(const struct net_addr *x, const struct net_addr *y)
{
	return x->family == y->family && !memcmp(x->a, y->a, sizeof(x->a));
}

void ntp_clog_note(struct ntp_clog *c, const struct net_addr *a, gt_ns mono,
		   enum ntp_clog_event ev)
{
	struct entry *b = &c->e[(hash_addr(c->key, a) & (c->n_buckets - 1)) * NTP_CLOG_WAYS];
	struct entry *e = NULL, *victim = &b[0];
	unsigned s;
	int i;

	for (i = 0; i < NTP_CLOG_WAYS; i++) {
		if (b[i].addr.family && same(&b[i].addr, a)) {
			e = &b[i];
			break;
		}
		/* A free way, else the least recently heard. */
		if (victim->addr.family && (!b[i].addr.family || b[i].last < victim->last))
			victim = &b[i];
	}
	s = atomic_load_explicit(e ? &e->seq : &victim->seq, memory_order_relaxed);
	if (!e) {
		e = victim;
		atomic_store_explicit(&e->seq, s + 1, memory_order_relaxed);
		atomic_thread_fence(memory_order_release);
		e->addr = *a;
		e->requests = e->drops = e->kods = 0;
		e->first = mono;
	} else {
		atomic_store_explicit(&e->seq, s + 1, memory_order_relaxed);
		atomic_thread_fence(memory_order_release);
	}
	e->last = mono;
	switch (ev) {
	case NTP_CLOG_REQUEST: e->requests++; break;
	case NTP_CLOG_DROP: e->drops++; break;
	case NTP_CLOG_KOD: e->kods++; break;
	}
	atomic_store_explicit(&e->seq, s + 2, memory_order_release);
}

/* A consistent copy of entry e, or false when it is free or kept being
 * written. */
static bool read_entry(const struct entry *e, struct ntp_clog_client *out)
{
	unsigned s0, s1;
	int tries;

	for (tries = 0; tries < 8; tries++) {
		s0 = atomic_load_explicit(&((struct entry *)e)->seq, memory_order_acquire);
		if (s0 & 1)
			continue;
		out->addr = e->addr;
		out->requests = e->requests;
		out->drops = e->drops;
		out->kods = e->kods;
		out->first = e->first;
		out->last = e->last;
		atomic_thread_fence(memory_order_acquire);
		s1 = atomic_load_explicit(&((struct entry *)e)->seq, memory_order_relaxed);
		if (s0 == s1)
			return out->addr.family != 0;
	}
	return false;
}

static int by_addr(const void *x, const void *y)
{
	const struct ntp_clog_client *a = x, *b = y;

	if (a->addr.family != b->addr.family)
		return a->addr.family < b->addr.family ? -1 : 1;
	return memcmp(a->addr.a, b->addr.a, sizeof(a->addr.a));
}

static int by_requests(const void *x, const void *y)
{
	const struct ntp_clog_client *a = x, *b = y;
	uint64_t na = a->requests, nb = b->requests;

	if (na != nb)
		return na < nb ? 1 : -1;
	return by_addr(x, y);
}

size_t ntp_clog_collect(struct ntp_clog *const *logs, int n, struct ntp_clog_client *out,
			size_t max, size_t *total)
{
	struct ntp_clog_client *all;
	size_t cap = 0, k = 0, m = 0, i;
	int l;

	for (l = 0; l < n; l++)
		cap += ntp_clog_capacity(logs[l]);
	all = xcalloc(cap ? cap : 1, sizeof(*all));
	for (l = 0; l < n; l++)
		for (i = 0; i < ntp_clog_capacity(logs[l]); i++)
			if (read_entry(&logs[l]->e[i], &all[k]))
				k++;
	/* A client whose requests came to several threads (SO_REUSEPORT
	 * hashes address and port) is one client: sort by address, merge. */
	qsort(all, k, sizeof(*all), by_addr);
	for (i = 0; i < k; i++) {
		if (m && by_addr(&all[m - 1], &all[i]) == 0) {
			all[m - 1].requests += all[i].requests;
			all[m - 1].drops += all[i].drops;
			all[m - 1].kods += all[i].kods;
			if (all[i].first < all[m - 1].first)
				all[m - 1].first = all[i].first;
			if (all[i].last > all[m - 1].last)
				all[m - 1].last = all[i].last;
		} else {
			all[m++] = all[i];
		}
	}
	qsort(all, m, sizeof(*all), by_requests);
	if (total)
		*total = m;
	if (m > max)
		m = max;
	memcpy(out, all, m * sizeof(*out));
	free(all);
	return m;
}
