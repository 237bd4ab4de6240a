/* Stateful fuzz of the broadcast client's sender table (ntp_btab): the
 * input is a sequence of packets (source address, key, transmit time step,
 * time passing, advertised interval) fed through check() and, when
 * admitted, commit(). After each step it checks the invariants issue 8 §2
 * asks for: check() never changes the table; an accepted signed packet is
 * later than every packet of its key accepted before, whatever the
 * address; a key never has more than max_per_key addresses; a heard
 * sender is replaced only after its silence, or while it is untrusted by
 * a newer packet of its key; no (key, address) twice. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ntp/ntp_btab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define STEP 6

static int64_t ts_diff(ntp_ts a, ntp_ts b)
{
	return (int64_t)(a - b);
}

static void invariants(const struct ntp_btab *t)
{
	int i, j, per_key;

	if (t->n < 0 || t->n > NTP_BTAB_MAX)
		abort();
	for (i = 0; i < t->n; i++) {
		if (!t->slot[i].used)
			abort();
		per_key = 0;
		for (j = 0; j < t->n; j++) {
			if (t->slot[j].key != t->slot[i].key)
				continue;
			per_key++;
			if (j != i && !memcmp(&t->slot[j].addr, &t->slot[i].addr,
					      sizeof(t->slot[i].addr)))
				abort();
		}
		if (t->slot[i].key && per_key > t->max_per_key)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ntp_btab t, before;
	ntp_ts xmt = (ntp_ts)3900000000u << 32;
	gt_ns mono = GT_NS_PER_S;
	size_t off;

	if (size < 1)
		return 0;
	ntp_btab_init(&t, data[0] % 4);
	for (off = 1; off + STEP <= size; off += STEP) {
		const uint8_t *e = data + off;
		struct net_addr a;
		uint32_t key = e[1] % 4;	/* 0: unsigned */
		ntp_ts last = 0;
		bool have_last = false;
		enum ntp_btab_verdict v;
		int slot, i;

		memset(&a, 0, sizeof(a));
		a.family = AF_INET;
		a.a[0] = 198;
		a.a[1] = 18;
		a.a[2] = 7;
		a.a[3] = e[0] % 16;
		/* Transmit time: back or forth by up to 128 s in 1/256 s steps. */
		xmt += (ntp_ts)((int64_t)(int16_t)(e[2] | e[3] << 8) << 24);
		mono += (gt_ns)e[4] * GT_NS_PER_S;
		for (i = 0; i < t.n; i++) {
			if (key && t.slot[i].key == key &&
			    (!have_last || ts_diff(t.slot[i].last_xmt, last) > 0)) {
				last = t.slot[i].last_xmt;
				have_last = true;
			}
		}
		memcpy(&before, &t, sizeof(t));
		v = ntp_btab_check(&t, &a, key, xmt, mono, &slot);
		if (memcmp(&before, &t, sizeof(t)))
			abort();
		if (v > NTP_BTAB_DISPLACE) {
			if (slot != -1)
				abort();
			continue;
		}
		if (slot < 0 || slot > t.n || slot >= NTP_BTAB_MAX)
			abort();
		if (have_last && ts_diff(xmt, last) <= 0)
			abort();
		if (v == NTP_BTAB_TAKEOVER &&
		    mono - t.slot[slot].last_mono < ntp_btab_silence(&t.slot[slot]))
			abort();
		if (v == NTP_BTAB_DISPLACE && (t.slot[slot].trusted || !key))
			abort();
		if (v == NTP_BTAB_KNOWN &&
		    (t.slot[slot].key != key || memcmp(&t.slot[slot].addr, &a, sizeof(a))))
			abort();
		ntp_btab_commit(&t, slot, &a, key, xmt, mono,
				(gt_ns)GT_NS_PER_S << (e[5] % 8));
		if (e[5] & 0x80)
			ntp_btab_trust(&t, slot);
		invariants(&t);
	}
	return 0;
}
