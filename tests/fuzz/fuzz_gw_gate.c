/* Stateful fuzz target of the gateway receiver's decision (gw_gate over
 * gw_seq and gw_agree), with restarts through the persisted state
 * (gw_state format and parse, gw_seq_restore), as issue 8 asks.
 *
 * Input: byte 0 chooses the agreement count (1..8) and the window; then
 * 6-byte operations:
 *   [0] bits 0-1 boot (of 4), bit 2 synchronised, bits 3-4 kind
 *       (0-2 a message, 3 a restart of the receiver), bit 5 crash (the
 *       state written with a reservation, not exact), bit 6 receiver
 *       clock 40 s off the sender's;
 *   [1-2] sequence number step, signed 16 bits, from a cursor near 2^64
 *       (it wraps); [3-4] label step, signed, 10 ms units; [5] arrival
 *       step, 10 ms units.
 * Traps on: a refused message that changed the sequence state, the
 * agreement or the label; a pending one that changed anything but the
 * agreement chains; an accepted (NEW, GAP, RESTART) number at or below
 * the newest accepted of its boot, before or after a restart; a number
 * accepted twice; a boot that was replaced becoming current again; a
 * persisted state that does not parse back to itself. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gw/gw_gate.h"
#include "gw/gw_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OPS 512
#define MS GT_NS_PER_MS

static const uint64_t boots[4] = { 1, 2, UINT64_MAX, UINT64_C(0x8000000000000000) };

struct model {
	bool have[4];
	uint64_t newest[4];		/* newest NEW/GAP/RESTART of each boot */
	bool replaced[4];		/* was current, then replaced */
	int current;			/* -1: none */
	uint64_t acc_boot[MAX_OPS], acc_seq[MAX_OPS];
	int n_acc;
};

static int boot_index(uint64_t b)
{
	int i;

	for (i = 0; i < 4; i++)
		if (boots[i] == b)
			return i;
	__builtin_trap();
}

/* Restart the receiver: write its state as gw_recv would (exact at a
 * clean exit, with a reservation after a crash), parse it back, and start
 * a new tracker and gate from it. */
static void restart(struct gw_gate *g, struct gw_seq **sp, unsigned need, unsigned window,
		    bool crash)
{
	struct gw_rx_state st = { 0 }, back;
	char buf[GW_STATE_MAX_LEN];
	uint64_t top;
	int n;

	if (!gw_seq_current(*sp, &st.boot_id, &top)) {
		gw_gate_init(g, *sp, need, GW_AGREE_DEFAULT_TOL, 10 * GT_NS_PER_S);
		return;
	}
	st.sender_id = 1;
	st.floor = crash ? top + 100 : top;
	st.label = g->have_label ? g->label_max : 0;
	if (st.label < 0)
		st.label = 0;
	st.n_old = gw_seq_old_boots(*sp, st.old_boots, GW_SEQ_BOOT_HISTORY);
	n = gw_rx_state_format(&st, buf, sizeof(buf));
	if (n < 0 || gw_rx_state_parse(buf, (size_t)n, &back) || memcmp(&back, &st, sizeof(st)))
		__builtin_trap();
	gw_seq_destroy(*sp);
	*sp = gw_seq_create(window);
	gw_gate_init(g, *sp, need, GW_AGREE_DEFAULT_TOL, 10 * GT_NS_PER_S);
	gw_seq_restore(*sp, back.boot_id, back.floor, back.old_boots, back.n_old);
	gw_gate_restore_label(g, back.label);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model m = { .current = -1 };
	struct gw_seq *s, *before;
	struct gw_gate g, gbefore;
	struct gw_gate_in in = { 0 };
	struct gw_gate_out o;
	uint64_t cursor = UINT64_MAX - 1000;
	gt_ns label = (gt_ns)1700000000 * GT_NS_PER_S, mono = GT_NS_PER_S;
	unsigned need, window;
	size_t pos;
	int i, b;

	if (size < 1)
		return 0;
	need = 1 + (data[0] & 7);
	window = 1 + (unsigned)(data[0] >> 3) * 8;
	s = gw_seq_create(window);
	if (!s)
		__builtin_trap();
	gw_gate_init(&g, s, need, GW_AGREE_DEFAULT_TOL, 10 * GT_NS_PER_S);
	for (pos = 1; pos + 6 <= size && pos < 6 * MAX_OPS; pos += 6) {
		const uint8_t *op = data + pos;

		cursor += (uint64_t)(int64_t)(int16_t)(op[1] << 8 | op[2]);
		label += (gt_ns)(int16_t)(op[3] << 8 | op[4]) * 10 * MS;
		mono += (gt_ns)op[5] * 10 * MS;
		if ((op[0] >> 3 & 3) == 3) {
			restart(&g, &s, need, window, op[0] & 0x20);
			continue;
		}
		in.boot_id = boots[op[0] & 3];
		in.seq = cursor;
		in.label = label;
		in.rx_mono = mono;
		in.synced = op[0] & 4;
		in.clock_now = label + (op[0] & 0x40 ? 40 * GT_NS_PER_S : 0);
		in.interval = 250 * MS;
		before = gw_seq_clone(s);
		gbefore = g;
		gw_gate_judge(&g, &in, &o);
		if (!strcmp(gw_gate_verdict_name(o.v), "unknown"))
			__builtin_trap();
		if (o.v != GW_GATE_ACCEPT) {
			/* Nothing refused or pending changes the sequence state;
			 * nothing refused changes the gate either. */
			if (!gw_seq_same_state(before, s))
				__builtin_trap();
			if (o.v != GW_GATE_PENDING && memcmp(&gbefore, &g, sizeof(g)))
				__builtin_trap();
			if (o.v == GW_GATE_PENDING &&
			    (gbefore.agreed != g.agreed || gbefore.label_max != g.label_max ||
			     gbefore.label_mono != g.label_mono || gbefore.last_mono != g.last_mono))
				__builtin_trap();
			if (o.v == GW_GATE_SEQ && gw_seq_usable(o.sv))
				__builtin_trap();
			gw_seq_destroy(before);
			continue;
		}
		gw_seq_destroy(before);
		if (!g.agreed || !gw_seq_usable(o.sv))
			__builtin_trap();
		/* A number is never accepted twice. */
		for (i = 0; i < m.n_acc; i++)
			if (m.acc_boot[i] == in.boot_id && m.acc_seq[i] == in.seq)
				__builtin_trap();
		if (m.n_acc < MAX_OPS) {
			m.acc_boot[m.n_acc] = in.boot_id;
			m.acc_seq[m.n_acc++] = in.seq;
		}
		b = boot_index(in.boot_id);
		/* An old boot never becomes current again. */
		if (m.replaced[b])
			__builtin_trap();
		if (m.current >= 0 && m.current != b)
			m.replaced[m.current] = true;
		m.current = b;
		if (o.sv == GW_SEQ_REORDERED)
			continue;
		/* No accepted number at or below the newest of its boot (RFC
		 * 1982 order), across restarts too. */
		if (m.have[b] && (in.seq == m.newest[b] || in.seq - m.newest[b] > (uint64_t)INT64_MAX))
			__builtin_trap();
		m.have[b] = true;
		m.newest[b] = in.seq;
	}
	gw_seq_destroy(s);
	return 0;
}
