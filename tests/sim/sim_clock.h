/* sim_clock: a simulated local clock behind the ordinary clock-driver
 * interface (struct clk_ops), so the real discipline drives it exactly as
 * it drives a system or virtual clock.
 *
 * The clock reads true time + phase; the phase grows at the clock's own
 * frequency error (an initial error plus a random walk: wander) plus the
 * correction the discipline sets with set_freq (within the system
 * driver's range, CLK_SYSTEM_MAX_PPM), and jumps with step. The host's
 * monotonic clock is true time, or, after sim_clock_slew_mono(), as with
 * the system driver in Linux, runs at the clock's rate (sim_clock_mono). 
 * True time is the simulator's (int64 ns); the clock never looks at
 * CLOCK_REALTIME. */
#ifndef GNOMON_SIM_CLOCK_H
#define GNOMON_SIM_CLOCK_H

#include "clock/clk.h"
#include "sim_rng.h"

struct sim_clock {
	struct clk base;
	gt_ns t;		/* true time the state refers to */
	gt_ns t0;		/* ... at the start */
	double phase0;		/* ns: the initial phase */
	double phase;		/* ns: clock - true time */
	double freq_err;	/* the oscillator's own error, s/s */
	double corr;		/* correction set by the discipline, s/s */
	double wander;		/* random-walk step of freq_err per second */
	gt_ns next_wander;	/* true time of the next random-walk step */
	struct sim_rng rng;
	int steps;		/* step() calls */
	double stepped;		/* ns: their sum */
};

void sim_clock_init(struct sim_clock *c, gt_ns t0, double offset_s, double freq_err,
		    double wander, uint64_t seed);
/* Advance the state to true time t (never backwards). */
void sim_clock_advance(struct sim_clock *c, gt_ns t);
/* The clock's reading at its current state time. */
gt_ns sim_clock_read(const struct sim_clock *c);
/* The host's CLOCK_MONOTONIC at the state time, ns from mono0: as in
 * Linux, it runs at the clock's rate (corrections included) and ignores
 * steps. */
gt_ns sim_clock_mono(const struct sim_clock *c, gt_ns mono0);
/* Make the monotonic clock follow the clock's rate, as Linux's does
 * (clk_ops mono_slewed). */
void sim_clock_slew_mono(struct sim_clock *c);
/* Frequency error now (oscillator + correction), s/s. */
double sim_clock_freq_error(const struct sim_clock *c);

#endif
