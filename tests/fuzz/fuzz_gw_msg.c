/* Fuzz the gateway message decoder (gw_msg) and the sequence accounting
 * (gw_seq) behind it, as datagrams from the diode would reach them.
 *
 * Input: byte 0 chooses the mode and options, the rest is
 *   mode 0: chunks [length byte L][L bytes], each a datagram, decoded in
 *           turn and, when accepted, fed to one gw_seq tracker; the whole
 *           rest is also decoded as one datagram (any length);
 *   mode 1: 3-byte operations [boot][delta hi][delta lo] fed straight to
 *           gw_seq (boot ids out of 4; seq moves by a signed 16-bit delta
 *           from a start just below 2^64, so it wraps).
 * Traps on: an unknown verdict; an accepted message that does not encode
 * back to the same bytes, or whose fields fail the checks; an
 * authenticated message accepted without keys; unsigned accepted when not
 * allowed; gw_seq accepting a (boot, seq) twice or from a replaced boot,
 * counters that do not add up, GAP/NEW that disagree with the newest seq,
 * and a lost count other than its definition. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "gw/gw_msg.h"
#include "gw/gw_seq.h"
#include "auth/auth.h"

#include "gw_example.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OPS 1024
#define MAX_BOOTS 64

struct epoch {
	uint64_t boot, first, top, accepted;
};

struct model {
	struct gw_seq *s;
	struct epoch ep[MAX_BOOTS];
	int n_ep;
	uint64_t acc_boot[MAX_OPS], acc_seq[MAX_OPS];
	int n_acc;
};

static void model_check(struct model *m, uint64_t boot, uint64_t seq)
{
	uint64_t old_boot = 0, old_top = 0, lost = 0, sum = 0;
	bool had = gw_seq_current(m->s, &old_boot, &old_top);
	enum gw_seq_verdict v = gw_seq_update(m->s, boot, seq, &lost);
	const struct gw_seq_counters *c = gw_seq_counters(m->s);
	struct epoch *e;
	int i;

	if (v >= GW_SEQ_VERDICT_COUNT || !strcmp(gw_seq_verdict_name(v), "unknown"))
		__builtin_trap();
	if (v == GW_SEQ_NEW && had && (boot != old_boot || seq != old_top + 1))
		__builtin_trap();
	if (v == GW_SEQ_GAP && (boot != old_boot || lost != seq - old_top - 1 || lost == 0))
		__builtin_trap();
	if (v != GW_SEQ_GAP && lost != 0)
		__builtin_trap();
	if ((v == GW_SEQ_RESTART) != (had && boot != old_boot && v != GW_SEQ_REPLAY))
		__builtin_trap();
	if (gw_seq_usable(v)) {
		for (i = 0; i < m->n_acc; i++)
			if (m->acc_boot[i] == boot && m->acc_seq[i] == seq)
				__builtin_trap();	/* accepted twice */
		if (m->n_acc < MAX_OPS) {
			m->acc_boot[m->n_acc] = boot;
			m->acc_seq[m->n_acc++] = seq;
		}
		if (v == GW_SEQ_RESTART || !had) {
			/* A boot replaced within the remembered history never
			 * comes back (older ones may: a documented limit). */
			for (i = m->n_ep - GW_SEQ_BOOT_HISTORY; i < m->n_ep; i++)
				if (i >= 0 && m->ep[i].boot == boot)
					__builtin_trap();
			if (m->n_ep == MAX_BOOTS)
				return;
			m->ep[m->n_ep++] = (struct epoch){ boot, seq, seq, 0 };
		}
		e = &m->ep[m->n_ep - 1];
		if (e->boot != boot)
			__builtin_trap();
		e->accepted++;
		if (seq - e->top - 1 < (uint64_t)INT64_MAX)	/* after top */
			e->top = seq;
	}
	/* lost: numbers from each boot's first to its newest not accepted. */
	for (i = 0; i < m->n_ep; i++)
		sum += m->ep[i].top - m->ep[i].first + 1 - m->ep[i].accepted;
	if (m->n_acc < MAX_OPS && c->lost != sum)
		__builtin_trap();
	if (c->received != c->in_order + c->gaps + c->reordered + c->duplicates + c->replays +
			   c->restarts)
		__builtin_trap();
}

static const struct auth_keys *keys(void)
{
	static struct auth_keys *k;

	if (!k) {
		struct conf_errors errs;

		k = auth_keys_parse(gw_example_keys, sizeof(gw_example_keys) - 1, "fuzz", &errs);
		if (!k)
			__builtin_trap();
	}
	return k;
}

/* Decode one datagram every way; return the verdict of the way chosen. */
static enum gw_msg_verdict decode_checked(const uint8_t *buf, size_t len, bool allow,
					  bool no_keys, struct gw_msg *out)
{
	static const uint32_t accepted[] = { 1, 2, 3 };
	const struct auth_keys *k = no_keys ? NULL : keys();
	uint8_t again[GW_MSG_MAX_LEN];
	struct gw_msg strict, nokeys;
	enum gw_msg_verdict v = gw_msg_decode(buf, len, k, accepted, 3, allow, out);
	enum gw_msg_verdict vs = gw_msg_decode(buf, len, k, accepted, 3, false, &strict);
	enum gw_msg_verdict vn = gw_msg_decode(buf, len, NULL, NULL, 0, true, &nokeys);

	if (v >= GW_MSG_VERDICT_COUNT || !strcmp(gw_msg_verdict_name(v), "unknown"))
		__builtin_trap();
	if (vs == GW_MSG_OK && (v != GW_MSG_OK || strict.key_id == 0))
		__builtin_trap();	/* strict accepts only signed, and allow adds */
	if (vn == GW_MSG_OK && nokeys.key_id != 0)
		__builtin_trap();	/* signed without a key */
	if ((v == GW_MSG_BAD_FIELD) != (out->bad_field != NULL))
		__builtin_trap();
	if (v == GW_MSG_OK) {
		if (gw_msg_check_fields(out) || (out->key_id && out->key_id > 2))
			__builtin_trap();	/* key 3 is SHA1 */
		if (len != (out->key_id ? GW_MSG_AUTH_LEN : GW_MSG_BODY_LEN) ||
		    gw_msg_encode(out, k, out->key_id, again, sizeof(again)) != (int)len ||
		    memcmp(again, buf, len))
			__builtin_trap();
	}
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model m = { 0 };
	struct gw_msg msg;
	size_t pos = 1;
	bool allow, no_keys;

	if (size < 1)
		return 0;
	allow = data[0] & 2;
	no_keys = data[0] & 4;
	m.s = gw_seq_create(1 + (data[0] >> 3));
	if (!m.s)
		__builtin_trap();
	if (data[0] & 1) {
		static const uint64_t boots[4] = { 1, 2, UINT64_MAX, UINT64_C(0x8000000000000000) };
		uint64_t cursor = UINT64_MAX - 300;

		for (; pos + 3 <= size && pos < 3 * MAX_OPS; pos += 3) {
			cursor += (uint64_t)(int64_t)(int16_t)(data[pos + 1] << 8 | data[pos + 2]);
			model_check(&m, boots[data[pos] & 3], cursor);
		}
	} else {
		decode_checked(data + 1, size - 1, allow, no_keys, &msg);
		while (pos < size) {
			size_t len = data[pos++];

			if (len > size - pos)
				len = size - pos;
			if (decode_checked(data + pos, len, allow, no_keys, &msg) == GW_MSG_OK)
				model_check(&m, msg.boot_id, msg.seq);
			pos += len;
		}
	}
	gw_seq_destroy(m.s);
	return 0;
}
