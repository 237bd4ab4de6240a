#include "ntp/ntp_rl.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

#define TAG_BITS 16
#define TIME_MASK ((UINT64_C(1) << (64 - TAG_BITS)) - 1)

struct ntp_rl {
	_Atomic uint64_t *slots;
	uint64_t mask;
	uint64_t key;
	uint64_t interval_us;
	uint64_t limit_us;	/* (burst - 1) * interval: allowed lead of TAT over now */
	int interval_log2;
	_Atomic gt_ns epoch;	/* monotonic time mapped to 0; -1 until the first request */
};

struct ntp_rl *ntp_rl_create(unsigned table_bits, int interval_log2, unsigned burst,
			     uint64_t hash_key)
{
	struct ntp_rl *rl;

	if (table_bits < 8 || table_bits > 24 || interval_log2 < -4 || interval_log2 > 12 ||
	    burst < 1 || burst > 256)
		return NULL;
	rl = xcalloc(1, sizeof(*rl));
	/* calloc of a large table maps zero pages lazily: memory is touched
	 * only for slots clients actually hash to. */
	rl->slots = xcalloc((size_t)1 << table_bits, sizeof(*rl->slots));
	rl->mask = ((uint64_t)1 << table_bits) - 1;
	rl->key = hash_key | 1;
	rl->interval_us = (uint64_t)llround(ldexp(1e6, interval_log2));
	/* After B requests at one instant TAT lies B intervals ahead of now;
	 * request B+1 must then be refused, so the bound is (B - 1) intervals. */
	rl->limit_us = rl->interval_us * (burst - 1);
	rl->interval_log2 = interval_log2;
	atomic_init(&rl->epoch, -1);
	return rl;
}

void ntp_rl_destroy(struct ntp_rl *rl)
{
	if (!rl)
		return;
	free((void *)rl->slots);
	free(rl);
}

int ntp_rl_interval_log2(const struct ntp_rl *rl)
{
	return rl->interval_log2;
}

/* A keyed multiply-xorshift hash over the address bytes. */
static uint64_t addr_hash(const struct ntp_rl *rl, const struct net_addr *a)
{
	uint64_t h = rl->key ^ (uint64_t)a->family;
	size_t i, n = net_addr_len(a);

	for (i = 0; i < n; i += 4) {
		h ^= (uint64_t)a->a[i] | (uint64_t)a->a[i + 1] << 8 |
		     (uint64_t)a->a[i + 2] << 16 | (uint64_t)a->a[i + 3] << 24;
		h *= UINT64_C(0x9e3779b97f4a7c15);
		h ^= h >> 29;
	}
	h *= rl->key;
	return h ^ (h >> 32);
}

bool ntp_rl_limited(struct ntp_rl *rl, const struct net_addr *a, gt_ns now)
{
	uint64_t h = addr_hash(rl, a), tag = h >> (64 - TAG_BITS), t, old, tat, next;
	_Atomic uint64_t *slot = &rl->slots[h & rl->mask];

	gt_ns epoch = atomic_load_explicit(&rl->epoch, memory_order_relaxed), unset = -1;

	/* The first request fixes the origin; a losing racer reads the winner's. */
	if (epoch < 0 && !atomic_compare_exchange_strong(&rl->epoch, &unset, now))
		epoch = unset;
	else if (epoch < 0)
		epoch = now;
	if (now < epoch)
		now = epoch;
	t = (uint64_t)((now - epoch) / GT_NS_PER_US) + 1;	/* 0 marks an empty slot */
	old = atomic_load_explicit(slot, memory_order_relaxed);
	do {
		tat = (old >> (64 - TAG_BITS)) == tag ? (old & TIME_MASK) : 0;
		if (tat < t)
			tat = t;
		if (tat - t > rl->limit_us)
			return true;
		next = tag << (64 - TAG_BITS) | ((tat + rl->interval_us) & TIME_MASK);
	} while (!atomic_compare_exchange_weak_explicit(slot, &old, next,
							memory_order_relaxed,
							memory_order_relaxed));
	return false;
}
