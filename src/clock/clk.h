/* clk: the clock-driver interface and the published clock state.
 *
 * Only the discipline adjusts a clock, and only through a driver (struct
 * clk_ops). Services never ask the driver directly on their hot path: the
 * main loop publishes a snapshot (struct clk_snapshot) through a seqlock,
 * and readers (server workers) map a CLOCK_REALTIME reading, or a kernel
 * receive timestamp, to the disciplined clock with clk_map_apply(). */
#ifndef GNOMON_CLK_H
#define GNOMON_CLK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/gtime.h"

/* Linear map from CLOCK_REALTIME to the clock:
 *   clock = real + offset + (real - base_real) * rate */
struct clk_map {
	gt_ns base_real;
	gt_ns offset;
	double rate;		/* fractional frequency error, e.g. 50e-6 */
};

enum clk_leap { CLK_LEAP_NONE = 0, CLK_LEAP_INS = 1, CLK_LEAP_DEL = 2, CLK_LEAP_UNSYNC = 3 };

/* What the clock knows of its own quality, in RFC 5905 terms. */
struct clk_quality {
	uint8_t leap;		/* enum clk_leap */
	uint8_t stratum;	/* 1..15; 16 = unsynchronised */
	int8_t precision;	/* log2 s */
	uint32_t refid;		/* host order */
	gt_ns root_delay;
	gt_ns root_disp;	/* at ref_time; grows at CLK_PHI afterwards */
	gt_ns ref_time;		/* clock scale; 0 = never synchronised */
};

/* refid of a local reference (`local stratum`), as chrony uses: 127.127.1.1 */
#define CLK_REFID_LOCAL 0x7f7f0101u

/* RFC 5905 §7.3 PHI: frequency tolerance, 15 ppm. */
#define CLK_PHI 15e-6

/* The root dispersion as served at clock time now: q's, grown at PHI since
 * its reference time (RFC 5905 §7.3); q's alone when never synchronised. */
static inline gt_ns clk_root_disp_at(const struct clk_quality *q, gt_ns now)
{
	if (q->ref_time <= 0 || now <= q->ref_time)
		return q->root_disp;
	return q->root_disp + (gt_ns)((double)(now - q->ref_time) * CLK_PHI);
}

struct clk_snapshot {
	struct clk_map map;
	struct clk_quality q;
};

static inline gt_ns clk_map_apply(const struct clk_map *m, gt_ns real)
{
	return real + m->offset + (gt_ns)((double)(real - m->base_real) * m->rate);
}

/* Seqlock-protected snapshot: one writer (main loop), many readers. */
struct clk_published {
	atomic_uint seq;
	struct clk_snapshot snap;
};

void clk_publish(struct clk_published *p, const struct clk_snapshot *s);
void clk_read_snapshot(const struct clk_published *p, struct clk_snapshot *out);

enum clk_kind { CLK_KIND_SYSTEM, CLK_KIND_VIRTUAL, CLK_KIND_NULL, CLK_KIND_PHC };

struct clk;

/* Driver operations; all return 0 or -errno. */
struct clk_ops {
	const char *name;
	int (*get_map)(struct clk *c, struct clk_map *m);
	int (*step)(struct clk *c, gt_ns delta);	/* clock += delta */
	int (*set_freq)(struct clk *c, double ppm);	/* run ppm faster */
	int (*get_freq)(struct clk *c, double *ppm);
	void (*destroy)(struct clk *c);
	/* The clock's own time now, ns. The discipline reads its clock only
	 * through this, so that a simulated clock (tests/sim) needs no
	 * CLOCK_REALTIME. NULL: clk_now() maps CLOCK_REALTIME with get_map. */
	gt_ns (*now)(struct clk *c);
	/* Optional: arm (CLK_LEAP_INS/DEL) or clear (CLK_LEAP_NONE) a leap
	 * second that the clock itself applies at the end of the UTC month
	 * (kernel STA_INS/STA_DEL). NULL: the discipline steps the clock at
	 * the leap instead (leapsecmode step). */
	int (*set_leap)(struct clk *c, int leap);
	/* The largest frequency correction set_freq takes, ppm (the system
	 * driver: CLK_SYSTEM_MAX_PPM, through the kernel's tick); 0: no
	 * limit. The discipline slews no faster than this. */
	double max_freq_ppm;
	/* The frequency set also moves CLOCK_MONOTONIC, the discipline's time
	 * base: Linux slews CLOCK_MONOTONIC with CLOCK_REALTIME (tick and freq
	 * alike). During a slew at s (s/s) a monotonic second is then 1 + s
	 * true seconds, which at 83333 ppm is 8 % and cannot be neglected. */
	bool mono_slewed;
};

struct clk {
	const struct clk_ops *ops;
};

/* The system driver's frequency range, ppm: chrony's default maxslewrate
 * (1e6 / 12), inside what the kernel's tick allows (+-10 %). */
#define CLK_SYSTEM_MAX_PPM (1e6 / 12)
/* ADJ_FREQUENCY's own limit, ppm (the kernel's MAXFREQ). */
#define CLK_KERNEL_MAX_FREQ_PPM 500.0

/* A frequency as the Linux kernel takes it in struct timex: tick, the
 * microseconds added per USER_HZ tick (nominal (1e6 + hz/2) / hz, valid
 * within +-10 % of 1e6 / hz), and freq, ppm scaled by 2^16 (|freq| <= 500
 * ppm). The kernel's second is tick * hz us + freq (kernel/time/ntp.c,
 * ntp_update_frequency), so one us of tick is hz ppm (100 ppm at the
 * usual USER_HZ of 100); the result is relative to the nominal tick.
 * clk_tick_split() keeps the tick nominal while freq alone suffices and
 * otherwise puts the nearest whole tick there and the rest in freq.
 * 0, -EINVAL (hz < 1, ppm not finite) or -ERANGE (beyond the tick's
 * range). Pure: no system call. */
int clk_tick_split(double ppm, long hz, long *tick, long *freq_scaled);
/* The frequency (ppm, relative to the nominal tick) of a tick and freq. */
double clk_tick_join(long tick, long freq_scaled, long hz);

/* Create a driver. offset_s/freq_ppm start the virtual clock with that
 * error; ignored by the others. NULL on failure. */
struct clk *clk_create(enum clk_kind kind, double offset_s, double freq_ppm);
/* A PTP hardware clock (clk_phc.c): the device at path (/dev/ptpN), opened
 * for writing (as root, before privileges are dropped). NULL with why in
 * err. */
struct clk *clk_create_phc(const char *path, char *err, size_t len);
/* The dynamic POSIX clock id of an open PHC device (FD_TO_CLOCKID). */
clockid_t clk_phc_clockid(int fd);
void clk_destroy(struct clk *c);
const char *clk_name(const struct clk *c);
/* Current clock time in ns (the driver's now op, else through the map). */
gt_ns clk_now(struct clk *c);
/* A CLOCK_REALTIME instant (a kernel receive timestamp) on this clock. */
gt_ns clk_from_real(struct clk *c, gt_ns real);
/* log2 of the clock-reading resolution, measured (RFC 5905 precision). */
int8_t clk_measure_precision(void);

#endif
