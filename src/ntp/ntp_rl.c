#include "ntp/ntp_rl.h"

#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "lib/log.h"
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
	unsigned leak_log2;
	bool kod;
	uint8_t v4_mask[4], v6_mask[16];
	/* The same masks as words in memory order, for the hot path. */
	uint32_t v4_word;
	uint64_t v6_word[2];
	_Atomic gt_ns epoch;	/* monotonic time mapped to 0; -1 until the first request */
};

static void prefix_mask(uint8_t *m, size_t len, unsigned bits)
{
	size_t i;

	for (i = 0; i < len; i++, bits = bits > 8 ? bits - 8 : 0)
		m[i] = bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits);
}

struct ntp_rl *ntp_rl_create(const struct ntp_rl_config *c, uint64_t hash_key)
{
	struct ntp_rl *rl;

	if (c->table_bits < 8 || c->table_bits > 24 || c->interval_log2 < -4 ||
	    c->interval_log2 > 12 || c->burst < 1 || c->burst > 256 ||
	    c->leak_log2 < NTP_RL_LEAK_MIN || c->leak_log2 > NTP_RL_LEAK_MAX ||
	    c->v4_prefix < 8 || c->v4_prefix > 32 || c->v6_prefix < 8 || c->v6_prefix > 128)
		return NULL;
	rl = xcalloc(1, sizeof(*rl));
	/* calloc of a large table maps zero pages lazily: memory is touched
	 * only for slots clients actually hash to. */
	rl->slots = xcalloc((size_t)1 << c->table_bits, sizeof(*rl->slots));
	rl->mask = ((uint64_t)1 << c->table_bits) - 1;
	rl->key = hash_key | 1;
	rl->interval_us = (uint64_t)llround(ldexp(1e6, c->interval_log2));
	/* After B requests at one instant TAT lies B intervals ahead of now;
	 * request B+1 must then be refused, so the bound is (B - 1) intervals. */
	rl->limit_us = rl->interval_us * (c->burst - 1);
	rl->interval_log2 = c->interval_log2;
	rl->leak_log2 = c->leak_log2;
	rl->kod = c->kod;
	prefix_mask(rl->v4_mask, sizeof(rl->v4_mask), c->v4_prefix);
	prefix_mask(rl->v6_mask, sizeof(rl->v6_mask), c->v6_prefix);
	memcpy(&rl->v4_word, rl->v4_mask, sizeof(rl->v4_word));
	memcpy(rl->v6_word, rl->v6_mask, sizeof(rl->v6_word));
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

void ntp_rl_client_key(const struct ntp_rl *rl, const struct net_addr *a, struct net_addr *key)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	size_t i;

	memset(key, 0, sizeof(*key));
	if (a->family == AF_INET6 && memcmp(a->a, v4mapped, sizeof(v4mapped))) {
		key->family = AF_INET6;
		for (i = 0; i < 16; i++)
			key->a[i] = a->a[i] & rl->v6_mask[i];
		return;
	}
	/* RFC 4291 §2.5.5.2: ::ffff:a.b.c.d is the IPv4 host a.b.c.d. */
	key->family = AF_INET;
	for (i = 0; i < 4; i++)
		key->a[i] = a->a[a->family == AF_INET6 ? 12 + i : i] & rl->v4_mask[i];
}

static inline uint64_t mix(uint64_t h, uint64_t w)
{
	h ^= w;
	h *= UINT64_C(0x9e3779b97f4a7c15);
	return h ^ (h >> 29);
}

/* A keyed multiply-xorshift hash of the client: the address under its
 * family's prefix, as ntp_rl_client_key gives it, but computed on words
 * without building the key (this runs for every request). */
static uint64_t client_hash(const struct ntp_rl *rl, const struct net_addr *a)
{
	static const uint8_t mapped[8] = { 0, 0, 0xff, 0xff, 0, 0, 0, 0 };
	static const uint8_t low4[8] = { 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0 };
	uint64_t w0, w1, m, lo, h;
	uint32_t v4;

	memcpy(&w0, a->a, 8);
	memcpy(&w1, a->a + 8, 8);
	if (a->family == AF_INET6) {
		memcpy(&m, mapped, 8);
		memcpy(&lo, low4, 8);
		if (w0 || (w1 & lo) != m) {
			h = mix(rl->key ^ AF_INET6, w0 & rl->v6_word[0]);
			h = mix(h, w1 & rl->v6_word[1]);
			goto out;
		}
		memcpy(&v4, a->a + 12, 4);	/* RFC 4291 §2.5.5.2 */
	} else {
		memcpy(&v4, a->a, 4);
	}
	h = mix(rl->key ^ AF_INET, v4 & rl->v4_word);
out:
	h *= rl->key;
	return h ^ (h >> 32);
}

bool ntp_rl_limited(struct ntp_rl *rl, const struct net_addr *addr, gt_ns now)
{
	uint64_t h = client_hash(rl, addr), tag, t, old, tat, next;
	_Atomic uint64_t *slot;
	gt_ns epoch = atomic_load_explicit(&rl->epoch, memory_order_relaxed), unset = -1;

	tag = h >> (64 - TAG_BITS);
	slot = &rl->slots[h & rl->mask];

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

enum ntp_rl_verdict ntp_rl_leak_decide(unsigned leak_log2, bool kod, uint64_t rnd)
{
	if (rnd & ((UINT64_C(1) << leak_log2) - 1))
		return NTP_RL_DROP;
	return kod && (rnd >> leak_log2 & 1) ? NTP_RL_LEAK_KOD : NTP_RL_LEAK;
}

/* Random bits for the leak decisions, per thread so the hot path takes no
 * lock: 1 KiB from getrandom() (the kernel's ChaCha20 generator) at a
 * time, a few bits per over-limit request, so one system call serves
 * about a thousand of them and none is spent on requests within the
 * limit. A counter or a linear generator would let an attacker who sees
 * which of its own requests are answered learn which are next. */
#define POOL_WORDS 128

static _Thread_local struct {
	uint64_t w[POOL_WORDS];
	unsigned idx;		/* next word; POOL_WORDS: empty */
	unsigned bits;		/* unused bits left in w[idx] */
	uint64_t fallback;	/* counter if getrandom fails */
} pool = { .idx = POOL_WORDS };

static uint64_t random_bits(const struct ntp_rl *rl, unsigned n)
{
	uint64_t r;

	if (pool.bits < n) {
		if (++pool.idx >= POOL_WORDS) {
			if (getrandom(pool.w, sizeof(pool.w), GRND_NONBLOCK) !=
			    (ssize_t)sizeof(pool.w)) {
				/* Not expected after boot; a keyed hash of a
				 * counter and the time still hides the pattern
				 * from anyone without the table key. */
				LOG_RL(LOG_LVL_WARN, "ntp rate limit: getrandom failed: %s",
				       strerror(errno));
				for (unsigned i = 0; i < POOL_WORDS; i++) {
					uint64_t x = rl->key ^ (uint64_t)gt_now(CLOCK_MONOTONIC) ^
						     ++pool.fallback * UINT64_C(0x9e3779b97f4a7c15);

					x *= rl->key;
					pool.w[i] = x ^ x >> 31;
				}
			}
			pool.idx = 0;
		}
		pool.bits = 64;
	}
	r = pool.w[pool.idx];
	pool.w[pool.idx] >>= n;
	pool.bits -= n;
	return r;
}

enum ntp_rl_verdict ntp_rl_check(struct ntp_rl *rl, const struct net_addr *a, gt_ns now)
{
	if (!ntp_rl_limited(rl, a, now))
		return NTP_RL_PASS;
	return ntp_rl_leak_decide(rl->leak_log2, rl->kod,
				  random_bits(rl, rl->leak_log2 + (rl->kod ? 1 : 0)));
}
