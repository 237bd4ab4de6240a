/* Fuzz the hot-standby heartbeat decoder (sb_msg) and the acceptance and
 * exchange arithmetic behind it (sb_peer), as datagrams from the partner
 * reach them in standby.c.
 *
 * Input: byte 0 chooses the mode, the rest is
 *   mode 0 (bit 0 clear): chunks [length L][op][L bytes], each a datagram
 *           decoded with the pair's key (1) and, when OK, given to one
 *           sb_peer; op bit 0: we send a heartbeat first (our transmit
 *           times are T0, T0 + 1 s, ...: sb_example.h, which the seeds of
 *           gen_sb_corpus echo); op >> 1: ms of receive delay. The whole
 *           rest is also decoded as one datagram (any length);
 *   mode 1 (bit 0 set): 56-byte records, each a heartbeat built field by
 *           field (mostly valid, or raw when the record says so), encoded
 *           with key 1 when its fields are valid (else encode must refuse
 *           it), decoded back and given to the sb_peer: the MAC stops a
 *           mutating fuzzer in mode 0, not here.
 * Traps on: a verdict out of range; an OK heartbeat that is not 112 bytes,
 * fails the field check or does not encode back to the same bytes; any
 * OK with the MD5 key or with a key id other than the one asked; a field
 * refused on decode that the encoder accepts; and, against a model of
 * sb_peer_accept's contract: our own id accepted, a node's sequence
 * accepted twice or backwards, a new node id believed without echoing one
 * of our last 16 transmit times or with an xmt not after the last one
 * accepted, a refused heartbeat that changes the partner's state, wrong
 * restart counts; an exchange that differs from RFC 5905 §8 computed in
 * 128 bits or a filtered figure that is not the least round trip of the
 * last 8 exchanges of this run. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "auth/auth.h"
#include "lib/bytes.h"
#include "standby/sb_msg.h"
#include "standby/sb_peer.h"

#include "sb_example.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OWN UINT64_C(0x1111)
#define S INT64_C(1000000000)
#define MS INT64_C(1000000)
#define MAX_NEG MS
#define REC_LEN 56

static const struct auth_keys *keys(void)
{
	static struct auth_keys *k;

	if (!k) {
		struct conf_errors errs;

		k = auth_keys_parse(sb_example_keys, sizeof(sb_example_keys) - 1, "fuzz", &errs);
		if (!k)
			__builtin_trap();
	}
	return k;
}

struct model {
	struct sb_peer p;
	gt_ns sent[SB_SENT_RING];	/* ours, as the harness remembers them */
	unsigned n_sent;
	gt_ns ours;			/* the next transmit time */
	gt_ns mono;
	struct sb_sample filt[SB_FILTER];
	unsigned n_filt;
};

static void model_init(struct model *md)
{
	memset(md, 0, sizeof(*md));
	sb_peer_init(&md->p);
	md->ours = SB_EXAMPLE_T0;
	md->mono = 1000 * S;
}

static void model_send(struct model *md)
{
	sb_peer_sent(&md->p, md->ours);
	md->sent[md->n_sent++ % SB_SENT_RING] = md->ours;
	md->ours += S;
}

static bool model_sent(const struct model *md, gt_ns t)
{
	unsigned i, n = md->n_sent < SB_SENT_RING ? md->n_sent : SB_SENT_RING;

	for (i = 0; i < n; i++)
		if (md->sent[i] == t)
			return true;
	return false;
}

static bool fits(__int128 v)
{
	return v >= INT64_MIN && v <= INT64_MAX;
}

/* One authentic heartbeat, received at our clock time rx. */
static void model_receive(struct model *md, const struct sb_msg *m, gt_ns rx)
{
	struct sb_peer before = md->p;
	bool lost = sb_peer_lost(&md->p, md->mono, 3, 2 * S);
	bool same = before.heard && m->node_id == before.node_id;
	bool echoes = (m->flags & SB_FLAG_ECHO) && model_sent(md, m->org);
	enum sb_accept a = sb_peer_accept(&md->p, m, OWN, rx, md->mono, lost);
	enum sb_accept want;
	struct sb_sample smp, best;
	__int128 out_leg, back_leg, trip, held, dly;
	bool ok, want_ok;
	unsigned i;

	if (lost != (!before.heard || md->mono - before.last_heard_mono >
		     (gt_ns)(before.last.interval_ms * 3 * MS > 2 * S ?
			     before.last.interval_ms * 3 * MS : 2 * S)))
		__builtin_trap();
	if (m->node_id == OWN)
		want = SB_ACC_OWN;
	else if (same)
		want = m->seq > before.seq ? SB_ACC_OK : SB_ACC_REPLAY;
	else if (before.heard && m->xmt <= before.last_xmt)
		want = SB_ACC_REPLAY;
	else
		want = echoes ? SB_ACC_OK : SB_ACC_UNPROVEN;
	if (a != want || !strcmp(sb_accept_name(a), "?"))
		__builtin_trap();
	if (a != SB_ACC_OK) {
		/* Nothing of the partner changes; only an unproven node while
		 * none is heard or the one heard is lost becomes the echo. */
		if (md->p.heard != before.heard || md->p.node_id != before.node_id ||
		    md->p.seq != before.seq || md->p.last_xmt != before.last_xmt ||
		    md->p.restarts != before.restarts ||
		    md->p.last_heard_mono != before.last_heard_mono)
			__builtin_trap();
		if (a == SB_ACC_UNPROVEN && (!before.heard || lost)) {
			if (md->p.echo_xmt != m->xmt || md->p.echo_rx != rx)
				__builtin_trap();
		} else if (md->p.echo_xmt != before.echo_xmt || md->p.echo_rx != before.echo_rx) {
			__builtin_trap();
		}
		return;
	}
	if (!md->p.heard || md->p.node_id != m->node_id || md->p.seq != m->seq ||
	    md->p.last_xmt != m->xmt || md->p.echo_xmt != m->xmt || md->p.echo_rx != rx ||
	    md->p.restarts != before.restarts + (before.heard && !same))
		__builtin_trap();
	if (!same)
		md->n_filt = 0;
	/* The exchange, as standby.c does it after an OK: RFC 5905 §8 in
	 * 128 bits; refused when a step does not fit 64 bits. */
	ok = sb_peer_exchange(&md->p, m, rx, MAX_NEG, &smp);
	out_leg = (__int128)m->rec - m->org;
	back_leg = (__int128)m->xmt - rx;
	trip = (__int128)rx - m->org;
	held = (__int128)m->xmt - m->rec;
	dly = trip - held;
	want_ok = echoes && fits(out_leg) && fits(back_leg) && fits(out_leg + back_leg) &&
		  fits(trip) && fits(held) && fits(dly) && dly >= -MAX_NEG;
	if (ok != want_ok)
		__builtin_trap();
	if (ok) {
		if (smp.offset != (gt_ns)((out_leg + back_leg) / 2) || smp.delay != (gt_ns)dly ||
		    md->p.latest.offset != smp.offset || md->p.latest.delay != smp.delay)
			__builtin_trap();
		memmove(md->filt + 1, md->filt, sizeof(md->filt) - sizeof(md->filt[0]));
		md->filt[0] = smp;
		if (md->n_filt < SB_FILTER)
			md->n_filt++;
	}
	if (sb_peer_offset(&md->p, &best) != (md->n_filt > 0))
		__builtin_trap();
	for (i = 0; i < md->n_filt; i++)
		if (md->filt[i].delay < best.delay)
			__builtin_trap();
}

/* Decode one datagram; every check that needs no peer. */
static enum sb_msg_verdict decode_checked(const uint8_t *buf, size_t len, struct sb_msg *out)
{
	uint8_t again[SB_MSG_LEN];
	struct sb_msg md5, other;
	enum sb_msg_verdict v = sb_msg_decode(buf, len, keys(), SB_EXAMPLE_KEY, out);
	enum sb_msg_verdict v5 = sb_msg_decode(buf, len, keys(), SB_EXAMPLE_MD5_KEY, &md5);
	enum sb_msg_verdict vo = sb_msg_decode(buf, len, keys(), SB_EXAMPLE_OTHER_KEY, &other);

	if (v >= SB_MSG_VERDICT_COUNT || v5 >= SB_MSG_VERDICT_COUNT ||
	    vo >= SB_MSG_VERDICT_COUNT || !strcmp(sb_msg_verdict_name(v), "?"))
		__builtin_trap();
	if (v5 == SB_MSG_OK || v5 == SB_MSG_BAD_MAC || v5 == SB_MSG_BAD_FIELD)
		__builtin_trap();	/* the MD5 key never gets as far as the MAC */
	if ((v == SB_MSG_BAD_FIELD) != (out->bad_field != NULL))
		__builtin_trap();
	if (vo == SB_MSG_OK && (other.key_id != SB_EXAMPLE_OTHER_KEY || v == SB_MSG_OK))
		__builtin_trap();
	if (v == SB_MSG_BAD_FIELD && strcmp(out->bad_field, "reserved")) {
		const char *f = sb_msg_check_fields(out);

		if (!f || strcmp(f, out->bad_field) ||
		    sb_msg_encode(out, keys(), SB_EXAMPLE_KEY, again, sizeof(again)) != -EINVAL)
			__builtin_trap();
	}
	if (v == SB_MSG_OK) {
		if (len != SB_MSG_LEN || out->key_id != SB_EXAMPLE_KEY || sb_msg_check_fields(out) ||
		    sb_msg_encode(out, keys(), out->key_id, again, sizeof(again)) != SB_MSG_LEN ||
		    memcmp(again, buf, SB_MSG_LEN))
			__builtin_trap();
	}
	return v;
}

static void datagrams(struct model *md, const uint8_t *data, size_t size)
{
	struct sb_msg m;
	size_t pos = 0;

	if (decode_checked(data, size, &m) == SB_MSG_OK)
		model_receive(md, &m, md->ours + 10 * MS);
	while (pos + 2 <= size) {
		size_t len = data[pos];
		uint8_t op = data[pos + 1];

		pos += 2;
		if (len > size - pos)
			len = size - pos;
		if (op & 1)
			model_send(md);
		md->mono += 100 * MS + (op >> 1) * MS;
		if (decode_checked(data + pos, len, &m) == SB_MSG_OK)
			model_receive(md, &m, md->ours - S + 10 * MS + (op >> 1) * MS);
		pos += len;
	}
}

/* A heartbeat from a 56-byte record: 0 op (bit 0x40: we send first; bits
 * 1-2: node (ours, two others, all ones); bits 3-4: org (none, one of our
 * ring, our last, raw); 0x20: raw fields; 0x80: absolute xmt and rec, else
 * relative to our clock), 1-2 flags, 3 health, 4 role, 5 stratum, 6 leap,
 * 7 priority, 8 monotonic step (10 ms), 9-12 interval, 13 seq step
 * (signed), 14-21 xmt, 22-29 rec, 30-37 org, 38-45 root delay, 46-53 root
 * dispersion, 54 ring index, 55 receive delay (ms). */
static void synthesise(struct model *md, const uint8_t *r, uint64_t last_seq[4])
{
	static const uint64_t nodes[4] = { OWN, UINT64_C(0xaaaa), UINT64_C(0xbbbb), UINT64_MAX };
	uint8_t op = r[0], buf[SB_MSG_LEN];
	bool raw = op & 0x20, abs_time = op & 0x80;
	unsigned sel = (op >> 1) & 3, org_sel = (op >> 3) & 3;
	struct sb_msg m, back;
	int64_t xv = (int64_t)get_be64(r + 14), rv = (int64_t)get_be64(r + 22);
	uint64_t dv = get_be64(r + 38), sv = get_be64(r + 46);
	int n;

	if (op & 0x40)
		model_send(md);
	memset(&m, 0, sizeof(m));
	m.node_id = nodes[sel];
	m.seq = last_seq[sel] + (uint64_t)(int64_t)(int8_t)r[13];
	m.xmt = abs_time ? xv : md->ours + (int64_t)(int32_t)xv * 4;
	switch (org_sel) {
	case 0: m.org = 0; break;
	case 1: m.org = md->sent[r[54] % SB_SENT_RING]; break;
	case 2: m.org = md->ours - S; break;
	default: m.org = (int64_t)get_be64(r + 30); break;
	}
	m.rec = m.org ? (abs_time ? rv : md->ours + (int64_t)(int32_t)rv * 4) : 0;
	if (raw) {
		m.flags = get_be16(r + 1);
		m.health = r[3];
		m.role = r[4];
		m.stratum = r[5];
		m.leap = r[6];
		m.interval_ms = get_be32(r + 9);
		m.root_delay = (int64_t)dv;
		m.root_disp = (int64_t)sv;
	} else {
		m.flags = m.org ? SB_FLAG_ECHO : 0;
		m.health = r[3] % 3;
		m.role = r[4] % (SB_ROLE_MAX + 1);
		m.stratum = 1 + r[5] % 16;
		m.leap = r[6] & 3;
		m.interval_ms = 1 + get_be32(r + 9) % SB_MSG_MAX_INTERVAL_MS;
		m.root_delay = (int64_t)(dv >> 1);
		m.root_disp = (int64_t)(sv >> 1);
	}
	m.priority = r[7];
	md->mono += (gt_ns)r[8] * 10 * MS;
	n = sb_msg_encode(&m, keys(), SB_EXAMPLE_KEY, buf, sizeof(buf));
	if (sb_msg_check_fields(&m)) {
		if (n != -EINVAL)
			__builtin_trap();
		return;
	}
	if (n != SB_MSG_LEN || decode_checked(buf, SB_MSG_LEN, &back) != SB_MSG_OK ||
	    back.node_id != m.node_id || back.seq != m.seq || back.xmt != m.xmt ||
	    back.org != m.org || back.rec != m.rec || back.flags != m.flags ||
	    back.root_delay != m.root_delay || back.root_disp != m.root_disp ||
	    back.interval_ms != m.interval_ms || back.priority != m.priority ||
	    back.stratum != m.stratum || back.leap != m.leap || back.health != m.health ||
	    back.role != m.role)
		__builtin_trap();
	if (sb_msg_encode(&m, keys(), SB_EXAMPLE_MD5_KEY, buf, sizeof(buf)) != -EKEYREJECTED)
		__builtin_trap();
	model_receive(md, &back, md->ours - S + (gt_ns)r[55] * MS);
	if (md->p.heard && md->p.node_id == m.node_id)
		last_seq[sel] = md->p.seq;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model md;
	uint64_t last_seq[4] = { 1, 1, 1, 1 };
	size_t pos;

	if (size < 1)
		return 0;
	model_init(&md);
	if (!(data[0] & 1)) {
		datagrams(&md, data + 1, size - 1);
		return 0;
	}
	for (pos = 1; pos + REC_LEN <= size && pos < 64 * REC_LEN; pos += REC_LEN)
		synthesise(&md, data + pos, last_seq);
	return 0;
}
