/* ptp_int: what the clock (ptp.c), its ports (ptp_port.c) and the
 * management (ptp_mgmt.c) share. Not for the rest of gnomond. */
#ifndef GNOMON_PTP_INT_H
#define GNOMON_PTP_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "clock/clk.h"
#include "lib/loop.h"
#include "ptp/ptp.h"
#include "ptp/ptp_bmc.h"
#include "ptp/ptp_ds.h"
#include "ptp/ptp_msg.h"
#include "ptp/ptp_net.h"
#include "ptp/ptp_pi.h"

struct sync;
struct journal;

/* Why a received message was dropped (counted per port). */
enum ptp_drop {
	PTP_DROP_MALFORMED,	/* the parser refused it */
	PTP_DROP_DOMAIN,	/* another domain */
	PTP_DROP_OWN,		/* our own clock identity (a loop) */
	PTP_DROP_NOT_PARENT,	/* Sync/Follow_Up/Delay_Resp not from our master */
	PTP_DROP_STATE,		/* not expected in the port's state */
	PTP_DROP_SEQUENCE,	/* no matching request or Sync */
	PTP_DROP_NO_TIMESTAMP,	/* event message without a kernel timestamp */
	PTP_DROP_TRUNCATED,	/* longer than the buffer */
	PTP_DROP_TOO_OLD,	/* a Follow_Up / response arriving too late */
	PTP_DROP_COUNT
};
const char *ptp_drop_name(enum ptp_drop d);

#define PTP_TYPES 16
/* Peer delay measurements the link delay is the median of (ptp4l's
 * delay_filter_length is 10). */
#define PTP_PD_FILTER 9

struct ptp_port {
	struct ptp *clk;
	int number;			/* portNumber, 1.. */
	struct ptp_port_cfg cfg;
	struct ptp_net *net;
	struct ptp_port_id id;
	enum ptp_port_state state;
	struct ptp_foreign_table foreign;
	struct loop_timer *t_announce, *t_sync, *t_pdelay, *t_house;
	uint16_t seq_announce, seq_sync, seq_dreq, seq_pdelay;
	gt_ns entered;			/* mono ns the state was entered */
	gt_ns last_parent_announce;	/* mono ns of the parent's last Announce */
	gt_ns last_announce;		/* mono ns of any foreign master's last Announce */
	gt_ns pre_master_until;		/* mono ns the qualification timeout ends */
	bool decision_due;		/* run the state decision at the next tick */
	unsigned ticks;			/* of the housekeeping timer */
	bool faulty;			/* its sockets failed: no longer watched */

	/* Slave side (UNCALIBRATED, SLAVE). */
	bool have_parent;
	struct ptp_port_id parent;
	struct {			/* a two-step Sync waiting for its Follow_Up */
		bool waiting;
		uint16_t seq;
		gt_ns t2, corr, at;	/* receive time (clock), its correction, mono */
	} sync_wait;
	struct {			/* the newest complete Sync */
		bool valid;
		gt_ns t1, t2;		/* master's (clock scale, corrections in) and ours */
		gt_ns mono;
	} sync;
	struct {			/* our outstanding Delay_Req */
		bool pending;
		uint16_t seq;
		gt_ns t1, t2, t3, mono;	/* the Sync it pairs with, and its transmit time */
	} dreq;
	gt_ns next_dreq;		/* mono ns from which a Delay_Req may go */
	int src;			/* source id in the core, -1 none */
	uint64_t samples;
	gt_ns last_offset, last_delay;	/* offsetFromMaster (local - master), meanPathDelay */
	int8_t master_log_sync;		/* logMessageInterval of the master's Sync */
	bool have_measure;
	unsigned unselected_run;	/* samples in a row the core did not use this port */

	/* Peer delay (P2P). */
	struct {
		bool pending, have_resp, have_fup;
		uint16_t seq;
		gt_ns t1, t2, t3, t4, corr, mono;
		struct ptp_port_id responder;
	} pd;
	bool have_path_delay;
	/* The median of the last PTP_PD_FILTER measurements: of the link delay
	 * (P2P: peerMeanPathDelay), or, with `ptp-servo pi`, of the E2E mean
	 * path delay (ptp4l's delay filter: each Sync's offset takes it). */
	gt_ns path_delay;
	gt_ns pd_hist[PTP_PD_FILTER];
	int pd_n, pd_at;

	/* Counters. */
	uint64_t rx[PTP_TYPES], tx[PTP_TYPES], drop[PTP_DROP_COUNT];
	uint64_t tx_no_ts, tx_errors, state_changes;
	uint64_t parse_err[8];		/* by -enum ptp_parse_err */
};

struct ptp {
	struct ptp_cfg cfg;
	struct clk *clock;
	const struct clk_published *pub;
	struct journal *journal;
	struct loop *loop;
	struct sync *sync;
	struct ptp_port port[PTP_MAX_PORTS];
	int n_ports;
	struct ptp_default_ds dds;
	struct ptp_parent_ds parent;
	struct ptp_time_props_ds tprops;
	uint16_t steps_removed;
	int slave_port;			/* index of the port in SLAVE/UNCALIBRATED, -1 */
	int uds_fd;
	char uds_path[108];
	uint64_t mgmt_rx, mgmt_tx, mgmt_err;
	/* `ptp-servo pi` */
	struct ptp_pi pi;
	int8_t pi_log_sync;		/* the interval pi's gains are for */
	enum ptp_pi_state pi_state;
	double pi_freq_ppb;
	uint64_t pi_steps;
};

/* ---- ptp.c: the clock ---- */
/* Now on the served clock, PTP timescale (TAI = UTC + utc_offset). */
gt_ns ptp_clock_ptp_time(const struct ptp *p, gt_ns real_or_hw, bool hw);
/* Refresh the default and time properties data sets from the published
 * clock (when no port is slave) before they are sent or read. */
void ptp_clock_refresh(struct ptp *p);
/* Run the state decision over every port (§9.3.3) now. */
void ptp_clock_decide(struct ptp *p, gt_ns mono);
/* A port changed state: journal, counters, data sets. */
void ptp_clock_port_state(struct ptp *p, struct ptp_port *pt, enum ptp_port_state old);
/* A port measured: hand the sample to the core. */
void ptp_clock_sample(struct ptp *p, struct ptp_port *pt, gt_ns t1, gt_ns t2, gt_ns t3,
		      gt_ns t4);

/* A Sync is complete (t1 on the clock's scale, t2 ours): with `ptp-servo
 * pi`, the servo's sample. */
void ptp_clock_pi_sync(struct ptp *p, struct ptp_port *pt, gt_ns t1, gt_ns t2);
/* The slave's master changed: the servo starts over. */
void ptp_clock_pi_reset(struct ptp *p);

/* ---- ptp_port.c: one port ---- */
int ptp_port_open(struct ptp_port *pt, struct ptp *p, int number, const struct ptp_port_cfg *c,
		  char *err, size_t len);
int ptp_port_start(struct ptp_port *pt, struct loop *loop);
void ptp_port_close(struct ptp_port *pt);
/* Apply an event of the state machine (ptp_fsm_next) and act on the new state. */
void ptp_port_event(struct ptp_port *pt, enum ptp_fsm_event ev, bool new_master);
/* The clock was stepped: measurements across it are void. */
void ptp_port_clock_stepped(struct ptp_port *pt);
/* Send a message built by the caller (header source/domain filled here). */
int ptp_port_send(struct ptp_port *pt, struct ptp_msg *m, enum ptp_dest dest,
		  const struct ptp_addr *to, gt_ns *tx_ts);
/* Interval 2^log s in ns. */
gt_ns ptp_interval_ns(int log);
/* The port's parent as its foreign records judge it (ptp_bmc.h): set
 * while the port is a slave, whose receipt timeout ends it; NULL else. */
const struct ptp_foreign_parent *ptp_port_parent(const struct ptp_port *pt,
						 struct ptp_foreign_parent *buf);

/* ---- ptp_mgmt.c: management (§15) ---- */
/* Answer a Management message m from a port (pt; NULL: the UDS) to
 * `to`: RESPONSE messages for a GET, an error status for the rest. */
void ptp_mgmt_handle(struct ptp *p, struct ptp_port *pt, const struct ptp_msg *m,
		     const struct ptp_addr *to);
void ptp_mgmt_uds_input(struct ptp *p);

#endif
