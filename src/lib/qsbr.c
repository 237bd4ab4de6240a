#include "lib/qsbr.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/util.h"

struct retired {
	void *p;
	void (*free_fn)(void *);
	uint64_t gen;		/* freed once every reader has seen gen */
	struct retired *next;
};

/* Generation 0 in a slot means free; readers store the generation they
 * saw (always >= 1). The generation advances with each retirement. */
static _Atomic uint64_t generation = 1;
static _Atomic uint64_t seen[QSBR_MAX_READERS];
static _Atomic bool used[QSBR_MAX_READERS];
static struct retired *retired_list;	/* main thread only */
/* Readers that found no slot: nothing retired is freed before exit. */
static _Atomic int unregistered;

int qsbr_register(void)
{
	for (int i = 0; i < QSBR_MAX_READERS; i++) {
		bool f = false;

		if (atomic_compare_exchange_strong(&used[i], &f, true)) {
			atomic_store(&seen[i], atomic_load(&generation));
			return i;
		}
	}
	atomic_fetch_add(&unregistered, 1);
	return -ENOSPC;
}

void qsbr_unregister(int slot)
{
	if (slot < 0 || slot >= QSBR_MAX_READERS) {
		atomic_fetch_sub(&unregistered, 1);
		return;
	}
	atomic_store(&seen[slot], 0);
	atomic_store(&used[slot], false);
}

void qsbr_quiescent(int slot)
{
	/* Sequentially consistent with the exchange of the table pointer and
	 * the increment in qsbr_retire: a reader that has seen generation G
	 * loads the new pointer from then on. */
	if (slot >= 0 && slot < QSBR_MAX_READERS)
		atomic_store(&seen[slot], atomic_load(&generation));
}

void qsbr_retire(void *p, void (*free_fn)(void *))
{
	struct retired *r;

	if (!p)
		return;
	r = xmalloc(sizeof(*r));
	r->p = p;
	r->free_fn = free_fn;
	/* The new pointer is already published; a reader that sees the new
	 * generation has left every use of the old pointer behind it. */
	r->gen = atomic_fetch_add(&generation, 1) + 1;
	r->next = retired_list;
	retired_list = r;
	qsbr_reclaim();
}

static bool every_reader_saw(uint64_t gen)
{
	if (atomic_load(&unregistered))
		return false;
	for (int i = 0; i < QSBR_MAX_READERS; i++) {
		uint64_t s;

		if (!atomic_load(&used[i]))
			continue;
		s = atomic_load(&seen[i]);
		if (s && s < gen)
			return false;
	}
	return true;
}

int qsbr_reclaim(void)
{
	struct retired **pp = &retired_list, *r;
	int waiting = 0;

	while ((r = *pp)) {
		if (every_reader_saw(r->gen)) {
			*pp = r->next;
			r->free_fn(r->p);
			free(r);
		} else {
			waiting++;
			pp = &r->next;
		}
	}
	return waiting;
}

void qsbr_fini(void)
{
	while (retired_list) {
		struct retired *r = retired_list;

		retired_list = r->next;
		r->free_fn(r->p);
		free(r);
	}
}
