/* gw_recv: the one-way gateway receiver, a source of the synchronisation
 * core (doc/gateway.md). Each message is authenticated (gw_msg), placed in
 * the sender's sequence (gw_seq: gaps, duplicates, reordering, replays,
 * restarts), checked for age once the clock is synchronised, and turned
 * into a sample: the receiver keeps the last `window` one-way delays
 * (kernel receive time minus the sender's precise transmit time, from the
 * two-step timestamp of the next message when the sender has one), takes
 * the configured filter's statistic of them on its current clock, and
 * hands correction - statistic to the discipline as the offset, once per
 * window of new delays (gw_window_due: consecutive samples share none, or
 * the discipline would take their common error for wander). Messages
 * from an unsynchronised sender only prove the gateway alive.
 *
 * A message is first checked against everything (sequence, age, agreement)
 * and only then committed: one that fails any check changes no state but
 * its own reject counter. The replay state (boot, sequence floor, newest
 * label, earlier boots) is kept under `statedir` (gw_state) across
 * restarts; after a start the first sample waits for agreement (gw_agree). The "gateway
 * silent" and loss alarms are raised and cleared here. */
#ifndef GNOMON_GW_RECV_H
#define GNOMON_GW_RECV_H

#include <stdbool.h>
#include <stdint.h>

#include "clock/clk.h"
#include "sync/sync.h"
#include "gw/gw_conf.h"
#include "gw/gw_msg.h"
#include "gw/gw_seq.h"
#include "lib/loop.h"

struct auth_keys;
struct journal;

struct gw_recv_stats {
	uint64_t received;			/* datagrams */
	uint64_t verdict[GW_MSG_VERDICT_COUNT];	/* by decode verdict */
	uint64_t wrong_source;			/* not from the `from` address */
	uint64_t wrong_sender;			/* a sender id not configured */
	uint64_t seq_verdict[GW_SEQ_VERDICT_COUNT];
	struct gw_seq_counters seq;		/* gaps, lost, ... (exact) */
	uint64_t stale, future;			/* age check */
	uint64_t before_floor;			/* label at or before the persisted one */
	uint64_t agree_pending;			/* messages taken into agreement chains */
	uint64_t agreements;			/* agreements reached */
	uint64_t boot_conflicts;		/* a new boot agreed while the current was alive */
	bool agreed;				/* samples may be taken */
	const char *state;			/* replay state at start: "none" (no statedir),
						 * "loaded", "missing", "corrupt" */
	uint64_t state_writes, state_errors;
	uint64_t sender_unsync;			/* heartbeats of an unsynchronised sender */
	uint64_t samples, two_step, one_step;
	uint64_t silent_alarms, loss_alarms;
	bool silent, loss_alarm;		/* alarms now */
	double loss_percent;			/* over the last 100 expected messages */
	double last_offset, last_delay, jitter;	/* s */
	uint64_t boot_id, last_seq, sender_id;
	unsigned sender_health, sender_flags;
	int sender_stratum;
	uint32_t last_key;
	double since_last;			/* s since the last valid message; -1: never */
	double interval;			/* the sender's send interval, s */
	int src;				/* sync source id, -1 before the first message */
};

struct gw_receiver;

/* Open and bind the socket and read the replay state under cfg->statedir
 * (before privileges are dropped). */
struct gw_receiver *gw_receiver_open(const struct gw_recv_cfg *cfg,
				     const struct auth_keys *keys, struct journal *journal,
				     int *err);
int gw_receiver_start(struct gw_receiver *r, struct loop *loop, struct clk *clock,
		      struct sync *sync);
void gw_receiver_destroy(struct gw_receiver *r);
/* The key store's contents were replaced (reload): without explicit `key`
 * ids the accepted set is again every SHA256 key of the file, so a key id
 * added for a rotation is accepted at once. Replay state is kept. */
void gw_receiver_keys_reloaded(struct gw_receiver *r);
void gw_receiver_get_stats(const struct gw_receiver *r, struct gw_recv_stats *out);
const struct gw_recv_cfg *gw_receiver_config(const struct gw_receiver *r);
struct met_registry;
/* Publish the counters and gauges as gnomon_gateway_rx_*. */
int gw_receiver_register_metrics(const struct gw_receiver *r, struct met_registry *reg);

#endif
