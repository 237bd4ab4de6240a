/* sim_ptp: PTP in the simulator (doc/ptp.md, "Simulation").
 *
 * The servo: a master whose clock is the truth sends a Sync every
 * 2^log_sync s; the slave sends a Delay_Req right after each (as
 * gnomond's port does), the master answers. Each message takes a base
 * delay plus an exponential queueing delay and may be lost. The slave's
 * clock (sim_clock) is driven either by the real sync core (the four
 * timestamps through ptp_sample_make, as ptp.c feeds it) or by the real
 * ptp_pi servo fed as `ptp-servo pi` feeds it (one sample per Sync, the
 * offset taken with the moving median of 9 path delays). sim_world.c
 * runs it; the two servos see the same seeded delays.
 *
 * The BMCA: clocks on one segment exchanging Announces through the real
 * foreign master records, state decision and state machine (ptp_bmc.h),
 * timed as ptp_port.c times them, with Announces lost at random; the
 * grandmaster is killed and restored during the run. */
#ifndef GNOMON_SIM_PTP_H
#define GNOMON_SIM_PTP_H

#include <stdbool.h>
#include <stdint.h>

enum sim_ptp_servo { SIM_PTP_CORE, SIM_PTP_PI };

struct sim_ptp_cfg {
	bool on;		/* the run's only source is a PTP master */
	enum sim_ptp_servo servo;
	int log_sync;		/* Sync (and Delay_Req) every 2^log_sync s */
	double delay_ms, delay_sm;	/* s: base delay master -> slave, slave -> master */
	double jitter;		/* s: mean exponential queueing delay, each way */
	double loss;		/* probability that a message is lost */
};

#define SIM_BMCA_MAX 4

struct sim_bmca_cfg {
	int n;				/* clocks */
	uint8_t priority1[SIM_BMCA_MAX];
	double loss;			/* probability that an Announce misses a receiver */
	int log_announce;		/* announce interval 2^log s */
	int announce_timeout;		/* announceReceiptTimeout */
	double duration;		/* s */
	double kill_at, restore_at;	/* s: the best clock is down in between */
};

struct sim_bmca_result {
	double elected_after;	/* s: all agree on the best as grandmaster, first */
	double takeover_after;	/* s after the kill: the second best is MASTER */
	double agree_after;	/* s after the kill: all alive follow the second best */
	double back_after;	/* s after the restore: all agree on the best again */
	/* Agreements on the right grandmaster lost without a kill or restore:
	 * when a slave's receipt timeout fired because its parent's last
	 * Announces were all lost (the standard's behaviour: an operator of
	 * a lossy segment raises announceReceiptTimeout), and for any other
	 * reason (a fault of ours). */
	unsigned flaps_timeout, flaps_other;
	unsigned changes;	/* every grandmaster change of every clock */
	unsigned announces, lost;
};

/* One run; 0, or -1 on a setup failure. */
int sim_bmca_run(const struct sim_bmca_cfg *c, uint64_t seed, struct sim_bmca_result *r);

#endif
