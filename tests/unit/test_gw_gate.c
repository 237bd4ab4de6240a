/* Unit tests for gw/gw_gate: the receiver's decision on one authentic
 * message. The two findings of issue 8 §1, at this level: one message of
 * an earlier boot played to a synchronised receiver, and recorded messages
 * played to a freshly restarted one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "gw/gw_gate.h"

#define MS GT_NS_PER_MS
#define T0 ((gt_ns)1700000000 * GT_NS_PER_S)
#define G UINT64_C(0x9e9e)	/* the genuine boot */
#define OLD UINT64_C(0x0d0d)	/* an earlier boot, never seen by this receiver */

/* Message k of a boot: label T0 + k * 250 ms, arriving 250 ms apart. */
static void judge(struct gw_gate *g, uint64_t boot, uint64_t seq, gt_ns label, gt_ns mono,
		  bool synced, gt_ns clock_now, struct gw_gate_out *o)
{
	struct gw_gate_in in = { boot, seq, label, mono, synced, clock_now, 250 * MS };

	gw_gate_judge(g, &in, o);
}

static void genuine(struct gw_gate *g, unsigned k, bool synced, struct gw_gate_out *o)
{
	gt_ns label = T0 + (gt_ns)k * 250 * MS;

	judge(g, G, 1000 + k, label, GT_NS_PER_S + (gt_ns)k * 250 * MS, synced, label, o);
}

static void test_old_boot_while_synced(void **state)
{
	struct gw_seq *s = gw_seq_create(64), *copy;
	struct gw_gate g, before;
	struct gw_gate_out o;
	uint64_t boot;
	unsigned k;

	(void)state;
	gw_gate_init(&g, s, 4, GW_AGREE_DEFAULT_TOL, 10 * GT_NS_PER_S);
	for (k = 0; k < 3; k++) {
		genuine(&g, k, false, &o);
		assert_int_equal(o.v, GW_GATE_PENDING);
	}
	genuine(&g, 3, false, &o);
	assert_int_equal(o.v, GW_GATE_ACCEPT);
	assert_true(o.agreed_now && o.chain == 4 && !o.restarted);	/* the first boot ever */
	for (k = 4; k < 40; k++) {
		genuine(&g, k, true, &o);
		assert_int_equal(o.v, GW_GATE_ACCEPT);
	}
	/* One message of an earlier boot, 35 s old: stale, and nothing moves. */
	copy = gw_seq_clone(s);
	before = g;
	judge(&g, OLD, 5, T0 + 10 * GT_NS_PER_S - 35 * GT_NS_PER_S, GT_NS_PER_S + 10 * GT_NS_PER_S,
	      true, T0 + 10 * GT_NS_PER_S, &o);
	assert_int_equal(o.v, GW_GATE_STALE);
	assert_int_equal(o.sv, GW_SEQ_RESTART);
	assert_true(gw_seq_same_state(copy, s));
	assert_memory_equal(&before, &g, sizeof(g));
	gw_seq_destroy(copy);
	/* The genuine sender goes on. */
	genuine(&g, 40, true, &o);
	assert_int_equal(o.v, GW_GATE_ACCEPT);
	assert_int_equal(o.sv, GW_SEQ_NEW);
	assert_true(gw_seq_current(s, &boot, NULL) && boot == G);
	/* Messages of a boot never seen, with labels within maxage (captured
	 * a moment ago), paced like a sender: they agree, but the current
	 * boot is alive, so they are not followed; genuine goes on. */
	for (k = 0; k < 6; k++) {
		judge(&g, OLD, 100 + k, T0 + 10 * GT_NS_PER_S + (gt_ns)k * 250 * MS - 2 * GT_NS_PER_S,
		      GT_NS_PER_S + 10 * GT_NS_PER_S + 100 * MS + (gt_ns)k * 250 * MS, true,
		      T0 + 10 * GT_NS_PER_S + (gt_ns)k * 250 * MS, &o);
		assert_int_equal(o.v, GW_GATE_PENDING);
		assert_true(o.conflict == (k >= 3));
		genuine(&g, 41 + k, true, &o);
		assert_int_equal(o.v, GW_GATE_ACCEPT);
	}
	assert_true(gw_seq_current(s, &boot, NULL) && boot == G);
	/* The genuine sender restarts: its old boot stops; the new one
	 * agrees and takes over. */
	for (k = 0; k < 4; k++) {
		gt_ns label = T0 + (gt_ns)(48 + k) * 250 * MS;

		judge(&g, 0xb007, 7000 + k, label, GT_NS_PER_S + (gt_ns)(48 + k) * 250 * MS, true,
		      label, &o);
		assert_int_equal(o.v, k < 3 ? GW_GATE_PENDING : GW_GATE_ACCEPT);
	}
	assert_true(o.restarted);
	assert_true(gw_seq_current(s, &boot, NULL) && boot == 0xb007);
	/* From the future: refused too. */
	judge(&g, 0x4444, 6, T0 + 80 * GT_NS_PER_S, GT_NS_PER_S + 13 * GT_NS_PER_S, true,
	      T0 + 13 * GT_NS_PER_S, &o);
	assert_int_equal(o.v, GW_GATE_FUTURE);
	gw_seq_destroy(s);
}

static void test_restarted_receiver(void **state)
{
	struct gw_seq *s = gw_seq_create(64);
	struct gw_gate g;
	struct gw_gate_out o;
	uint64_t old[] = { OLD };
	unsigned k;

	(void)state;
	/* The state a clean exit left: boot G up to 1020, label of 1020. */
	gw_gate_init(&g, s, 4, GW_AGREE_DEFAULT_TOL, 10 * GT_NS_PER_S);
	gw_seq_restore(s, G, 1020, old, 1);
	gw_gate_restore_label(&g, T0 + 20 * 250 * MS);
	/* Boot G played back at its own pace: replays. */
	for (k = 10; k <= 20; k++) {
		genuine(&g, k, false, &o);
		assert_int_equal(o.v, GW_GATE_SEQ);
		assert_int_equal(o.sv, GW_SEQ_REPLAY);
	}
	/* An older boot never seen, paced: before the persisted label. */
	for (k = 0; k < 8; k++) {
		judge(&g, 0x7777, 50 + k, T0 + (gt_ns)k * 250 * MS, 100 * GT_NS_PER_S +
		      (gt_ns)k * 250 * MS, false, 0, &o);
		assert_int_equal(o.v, GW_GATE_BEFORE_FLOOR);
	}
	assert_false(g.agreed);
	/* The genuine sender, on from where it was: agreement, then samples. */
	for (k = 30; k < 33; k++) {
		genuine(&g, k, false, &o);
		assert_int_equal(o.v, GW_GATE_PENDING);
	}
	genuine(&g, 33, false, &o);
	assert_int_equal(o.v, GW_GATE_ACCEPT);
	assert_int_equal(o.sv, GW_SEQ_NEW);
	assert_false(o.restarted);
	/* Once agreed, before synchronisation, a label 35 s off the stream is
	 * refused. */
	judge(&g, 0x5555, 9, T0 + 34 * 250 * MS + 35 * GT_NS_PER_S, GT_NS_PER_S + 34 * 250 * MS,
	      false, 0, &o);
	assert_int_equal(o.v, GW_GATE_FUTURE);
	assert_string_equal(gw_gate_verdict_name(o.v), "future");
	gw_seq_destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_old_boot_while_synced),
		cmocka_unit_test(test_restarted_receiver),
	};

	return cmocka_run_group_tests_name("gw_gate", tests, NULL, NULL);
}
