/* ptp_pi: a PI clock servo that behaves as linuxptp's (pi.c with servo.c's
 * thresholds), kept to compare with the core's own estimator. Pure: it is
 * given offsets and local times and returns a frequency and, once, a step;
 * it never touches a clock.
 *
 * Conventions: offset = local clock - master (ns), as ptp4l's master
 * offset; the outputs are corrections to apply to the local clock: a
 * frequency adjustment in ppb (positive: run faster) and a step in ns to
 * add to it. linuxptp's servo returns the clock's frequency error, the
 * opposite sign; ptp4l negates it when it adjusts the clock. */
#ifndef GNOMON_PTP_PI_H
#define GNOMON_PTP_PI_H

#include <stdbool.h>

#include "lib/gtime.h"

enum ptp_pi_state {
	PTP_PI_UNLOCKED,	/* collecting the two samples of the estimate */
	PTP_PI_JUMP,		/* step the clock by step_ns, set the frequency */
	PTP_PI_LOCKED,		/* PI control */
	PTP_PI_LOCKED_STABLE,	/* LOCKED and under offset_threshold for a while */
};

/* linuxptp's options of the same names (ptp4l(8)); times in ns. */
struct ptp_pi_config {
	double kp_const, ki_const;	/* pi_proportional/integral_const; 0: scaled */
	double kp_scale, kp_exponent, kp_norm_max;	/* 0 (default 0.7 hw, 0.1 sw), -0.3, 0.7 */
	double ki_scale, ki_exponent, ki_norm_max;	/* 0 (default 0.3 hw, 0.001 sw), 0.4, 0.3 */
	bool sw_timestamps;		/* chooses the default scales */
	gt_ns step_threshold;		/* 0: never step after the first update */
	gt_ns first_step_threshold;	/* 20 us; 0: never step at the first update */
	double max_freq_ppb;		/* the clock's limit: 500000 (500 ppm) */
	gt_ns offset_threshold;		/* servo_offset_threshold; 0: no LOCKED_STABLE */
	int num_offset_values;		/* servo_num_offset_values: 10 */
};

struct ptp_pi {
	struct ptp_pi_config cfg;
	double kp, ki;			/* per sample, from the sync interval */
	double drift;			/* ppb, linuxptp's sign (the clock's error) */
	double last_freq;		/* ppb, linuxptp's sign */
	gt_ns offset[2], local[2];	/* the samples of the frequency estimate */
	int count;			/* 0, 1: estimating; 2: PI control */
	bool first_update;
	int stable_left;		/* samples under offset_threshold still needed */
};

struct ptp_pi_out {
	enum ptp_pi_state state;
	double freq_ppb;		/* frequency adjustment to set (every state) */
	gt_ns step_ns;			/* JUMP: add this to the clock (-offset); else 0 */
};

/* ptp4l's defaults for hardware or software timestamps. */
void ptp_pi_config_default(struct ptp_pi_config *c, bool sw_timestamps);
/* A servo in UNLOCKED whose clock has the frequency adjustment freq_ppb
 * (ptp4l starts from the clock's current one); the gains are those of a
 * 1 s sync interval until ptp_pi_set_interval. */
void ptp_pi_init(struct ptp_pi *s, const struct ptp_pi_config *c, double freq_ppb);
/* The sync interval in seconds: kp = scale * interval^exponent, at most
 * norm_max / interval (each of kp, ki); constants stay as configured up to
 * 1.0 and 2.0 / interval, as linuxptp. */
void ptp_pi_set_interval(struct ptp_pi *s, double interval_s);
/* One measurement: offset (ns) at local time local_ns (the receive
 * timestamp of the Sync, ns on the local clock), weight 1.0 unless the
 * caller weighs samples. Fills *out and returns its state. */
enum ptp_pi_state ptp_pi_sample(struct ptp_pi *s, gt_ns offset, gt_ns local_ns, double weight,
				struct ptp_pi_out *out);
/* Back to UNLOCKED (a new master, a step made by someone else). */
void ptp_pi_reset(struct ptp_pi *s);
const char *ptp_pi_state_name(enum ptp_pi_state st);

#endif
