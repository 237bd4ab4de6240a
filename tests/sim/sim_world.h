/* sim_world: one deterministic simulated run: true time, a simulated local
 * clock (sim_clock), simulated NTP servers and network, and a client that
 * does what gnomond's NTP client does: it reads the local clock at send
 * (T1) and receive (T4), gets T2/T3 from the server in a real NTP packet
 * (ntp_pkt_encode, era-less timestamps), checks and converts the reply
 * with the real ntp_resp_process(), and feeds the sample to the real
 * synchronisation core (sync/sync), which disciplines the simulated clock
 * through its driver. Or, instead of servers, a one-way gateway sender
 * and gw_recv's receiving side (sim_gw.h). Everything is seeded; nothing
 * reads a real clock. */
#ifndef GNOMON_SIM_WORLD_H
#define GNOMON_SIM_WORLD_H

#include <stdbool.h>
#include <stdint.h>

#include "sync/sync.h"
#include "sim_gw.h"
#include "sim_ptp.h"

#define SIM_MAX_SERVERS 8

struct sim_server_cfg {
	double offset;		/* s: the server's lie (falseticker) ... */
	double lie_from;	/* ... from this time on (s since start) */
	double loss;		/* probability that an exchange is lost */
	double delay_fwd;	/* s: base delay client -> server */
	double delay_back;	/* s: base delay server -> client */
	double jitter;		/* s: mean exponential queueing delay, each way ... */
	double jitter_back;	/* ... or server -> client only, if not 0 */
	/* Restart: down at restart_at for restart_down s, then unsynchronised
	 * (LI=3, stratum 16) for restart_unsync s, then serving with an error
	 * of restart_err s that decays with time constant restart_decay s. */
	double restart_at, restart_down, restart_unsync, restart_err, restart_decay;
};

struct sim_scenario {
	const char *name;
	int n_servers;
	struct sim_server_cfg srv[SIM_MAX_SERVERS];
	int minpoll, maxpoll;
	bool iburst;
	double duration;	/* s */
	double stats_from;	/* s: error statistics start here */
	double late_from;	/* s: max_late starts here (0: not measured) */
	double time_offset;	/* s: initial error of the local clock */
	double freq_offset;	/* s/s: initial frequency error */
	double wander;		/* 1/sqrt(s): frequency random walk per second */
	double start_unix;	/* s: true (UTC) time at start */
	int leap;		/* CLK_LEAP_INS or CLK_LEAP_DEL at the next month end */
	double conv_threshold;	/* s: |error| below which the clock counts as converged */
	double settle_threshold;	/* s: for t_settle (0: not measured) */
	/* The host's monotonic clock runs at the clock's rate, its
	 * corrections included, as Linux's does with the system driver
	 * (clk_ops mono_slewed); otherwise it is true time. */
	bool mono_slewed;
	struct sync_config cfg;
	struct sim_gw_cfg gw;	/* a one-way gateway source (then n_servers is 0) */
	struct sim_ptp_cfg ptp;	/* a PTP master (then n_servers is 0) */
};

struct sim_result {
	double rms, max, mean;	/* s: true error of the clock after stats_from */
	double rms_freq;	/* s/s: true frequency error after stats_from */
	double t_conv;		/* s: last time |error| exceeded conv_threshold */
	double mean_poll;	/* s: mean poll interval of server 0 after stats_from */
	double leap_at;		/* s since start of the leap, 0 if none */
	double max_near_leap;	/* s: largest |error| in the 3 s after the leap */
	int steps;		/* clock steps (leap steps included) */
	int steps_after_stats;	/* steps after stats_from */
	bool ever_synced, synced_at_end;
	unsigned liar_selected;	/* updates at which a lying server was combined */
	unsigned samples;	/* samples fed to the core */
	/* Gateway runs: the calibrated correction the sender applied (s),
	 * messages the receiver's age check refused, and how often the
	 * source's estimate restarted (it judged the source moved). */
	double gw_corr;
	unsigned gw_aged, gw_resets;
	double t_settle;	/* s: first time |error| <= settle_threshold */
	double max_near_wild;	/* s: largest |error| from the wild labels on, 60 s */
	double max_late;	/* s: largest |error| from late_from on (converged) */
};

/* Print a line per clock update and per second of true error (debugging). */
extern int sim_trace;

/* Run sc with seed; 0 or -1 on a setup failure. */
int sim_run(const struct sim_scenario *sc, uint64_t seed, struct sim_result *res);

#endif
