#include "clock/clk.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <unistd.h>

#include "lib/util.h"

void clk_publish(struct clk_published *p, const struct clk_snapshot *s)
{
	unsigned seq = atomic_load_explicit(&p->seq, memory_order_relaxed);

	/* Odd sequence: write in progress. The fences order the data stores
	 * between the two sequence stores for readers on other cores. */
	atomic_store_explicit(&p->seq, seq + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	memcpy(&p->snap, s, sizeof(*s));
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&p->seq, seq + 2, memory_order_relaxed);
}

void clk_read_snapshot(const struct clk_published *p, struct clk_snapshot *out)
{
	unsigned s1, s2;

	do {
		s1 = atomic_load_explicit(&((struct clk_published *)p)->seq, memory_order_acquire);
		memcpy(out, &p->snap, sizeof(*out));
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&((struct clk_published *)p)->seq, memory_order_relaxed);
	} while ((s1 & 1) || s1 != s2);
}

/* system: CLOCK_REALTIME itself, adjusted through clock_adjtime(2). This
 * is the only place in gnomon that changes the machine's clock. The kernel
 * applies the frequency to CLOCK_REALTIME itself, so the map stays the
 * identity. Without CAP_SYS_TIME every adjustment fails with EPERM.
 *
 * Frequencies beyond ADJ_FREQUENCY's 500 ppm go through the kernel's tick
 * as well (ADJ_TICK, as chronyd's Linux driver does): a 0.1 s offset is
 * then slewed out in about a second instead of 200 s. */
struct clk_system {
	struct clk base;
	long hz;		/* USER_HZ: the unit of struct timex tick */
};

static long nominal_tick(long hz)
{
	return (1000000 + hz / 2) / hz;
}

int clk_tick_split(double ppm, long hz, long *tick, long *freq_scaled)
{
	long nom, t;
	double rest;

	if (hz < 1 || hz > 1000000 || !isfinite(ppm))
		return -EINVAL;
	nom = nominal_tick(hz);
	t = nom;
	if (fabs(ppm) > CLK_KERNEL_MAX_FREQ_PPM) {
		if (fabs(ppm) > 0.2e6)
			return -ERANGE;
		t = nom + lround(ppm / (double)hz);
	}
	rest = ppm - (double)(t - nom) * (double)hz;
	/* The kernel refuses a tick beyond 10 % of 1e6 / USER_HZ
	 * (kernel/time/timekeeping.c, timekeeping_validate_timex). */
	if (t < 900000 / hz || t > 1100000 / hz || fabs(rest) > CLK_KERNEL_MAX_FREQ_PPM)
		return -ERANGE;
	*tick = t;
	*freq_scaled = lround(rest * 65536.0);	/* ADJ_FREQUENCY: ppm * 2^16 */
	return 0;
}

double clk_tick_join(long tick, long freq_scaled, long hz)
{
	if (hz < 1)
		return (double)freq_scaled / 65536.0;
	return (double)(tick - nominal_tick(hz)) * (double)hz + (double)freq_scaled / 65536.0;
}

static int system_step(struct clk *c, gt_ns delta)
{
	struct timex tx = { .modes = ADJ_SETOFFSET | ADJ_NANO };
	struct timespec ts = gt_to_timespec(delta);

	(void)c;
	tx.time.tv_sec = ts.tv_sec;
	tx.time.tv_usec = ts.tv_nsec;	/* nanoseconds with ADJ_NANO */
	return clock_adjtime(CLOCK_REALTIME, &tx) < 0 ? -errno : 0;
}

static int system_set_freq(struct clk *c, double ppm)
{
	struct clk_system *s = container_of(c, struct clk_system, base);
	struct timex tx = { .modes = ADJ_FREQUENCY | ADJ_TICK };
	int rc;

	if (!isfinite(ppm) || fabs(ppm) > CLK_SYSTEM_MAX_PPM * (1 + 1e-9))
		return -ERANGE;
	rc = clk_tick_split(ppm, s->hz, &tx.tick, &tx.freq);
	if (rc < 0)
		return rc;
	/* Both in one call: the kernel applies them together. */
	return clock_adjtime(CLOCK_REALTIME, &tx) < 0 ? -errno : 0;
}

static int system_get_freq(struct clk *c, double *ppm)
{
	struct clk_system *s = container_of(c, struct clk_system, base);
	struct timex tx = { .modes = 0 };

	if (clock_adjtime(CLOCK_REALTIME, &tx) < 0)
		return -errno;
	*ppm = clk_tick_join(tx.tick, tx.freq, s->hz);
	return 0;
}

/* The kernel inserts or deletes the second itself at midnight UTC when
 * STA_INS or STA_DEL is set (leapsecmode system), and clears the bit
 * after. The other status bits are the kernel's and are kept. */
static int system_set_leap(struct clk *c, int leap)
{
	struct timex tx = { .modes = 0 };

	(void)c;
	if (leap != CLK_LEAP_NONE && leap != CLK_LEAP_INS && leap != CLK_LEAP_DEL)
		return -EINVAL;
	if (clock_adjtime(CLOCK_REALTIME, &tx) < 0)
		return -errno;
	tx.modes = ADJ_STATUS;
	tx.status &= ~(STA_INS | STA_DEL);
	if (leap == CLK_LEAP_INS)
		tx.status |= STA_INS;
	else if (leap == CLK_LEAP_DEL)
		tx.status |= STA_DEL;
	return clock_adjtime(CLOCK_REALTIME, &tx) < 0 ? -errno : 0;
}

static int identity_map(struct clk *c, struct clk_map *m)
{
	(void)c;
	memset(m, 0, sizeof(*m));
	return 0;
}

static int refuse_step(struct clk *c, gt_ns d) { (void)c; (void)d; return -ENOTSUP; }
static int refuse_freq(struct clk *c, double ppm) { (void)c; (void)ppm; return -ENOTSUP; }
static int zero_freq(struct clk *c, double *ppm) { (void)c; *ppm = 0; return 0; }
static void free_clk(struct clk *c) { free(c); }

static gt_ns map_now(struct clk *c)
{
	struct clk_map m;

	c->ops->get_map(c, &m);
	return clk_map_apply(&m, gt_now(CLOCK_REALTIME));
}

static void system_destroy(struct clk *c)
{
	free(container_of(c, struct clk_system, base));
}

static const struct clk_ops system_ops = {
	.name = "system", .get_map = identity_map, .step = system_step,
	.set_freq = system_set_freq, .get_freq = system_get_freq, .destroy = system_destroy,
	.now = map_now, .set_leap = system_set_leap, .max_freq_ppm = CLK_SYSTEM_MAX_PPM,
	.mono_slewed = true,
};

/* null: measure only; reads CLOCK_REALTIME and never adjusts anything. */
static const struct clk_ops null_ops = {
	.name = "null", .get_map = identity_map, .step = refuse_step, .set_freq = refuse_freq,
	.get_freq = zero_freq, .destroy = free_clk, .now = map_now,
};

/* virtual: a software clock over CLOCK_REALTIME with its own offset and
 * frequency, kept entirely inside gnomond. */
/* Like a real oscillator, the virtual clock has an intrinsic frequency
 * error (set at creation, the "truth" a test hides from the discipline)
 * and a correction the discipline sets, which adds to it as the kernel's
 * ADJ_FREQUENCY adds to a crystal's error. */
struct clk_virtual {
	struct clk base;
	struct clk_map map;	/* map.rate = intrinsic + correction */
	double intrinsic;	/* fractional frequency error */
	double correction_ppm;
};

static int virtual_get_map(struct clk *c, struct clk_map *m)
{
	*m = container_of(c, struct clk_virtual, base)->map;
	return 0;
}

static int virtual_step(struct clk *c, gt_ns delta)
{
	container_of(c, struct clk_virtual, base)->map.offset += delta;
	return 0;
}

static int virtual_set_freq(struct clk *c, double ppm)
{
	struct clk_virtual *v = container_of(c, struct clk_virtual, base);
	gt_ns real = gt_now(CLOCK_REALTIME);

	if (!isfinite(ppm) || fabs(ppm) > 500000)
		return -EINVAL;
	/* Rebase so the clock stays continuous at the moment of change. */
	v->map.offset = clk_map_apply(&v->map, real) - real;
	v->map.base_real = real;
	v->map.rate = v->intrinsic + ppm * 1e-6;
	v->correction_ppm = ppm;
	return 0;
}

static int virtual_get_freq(struct clk *c, double *ppm)
{
	*ppm = container_of(c, struct clk_virtual, base)->correction_ppm;
	return 0;
}

static void virtual_destroy(struct clk *c)
{
	free(container_of(c, struct clk_virtual, base));
}

static const struct clk_ops virtual_ops = {
	.name = "virtual", .get_map = virtual_get_map, .step = virtual_step,
	.set_freq = virtual_set_freq, .get_freq = virtual_get_freq, .destroy = virtual_destroy,
	.now = map_now,
};

struct clk *clk_create(enum clk_kind kind, double offset_s, double freq_ppm)
{
	struct clk_virtual *v;
	struct clk_system *sys;
	struct clk *c;

	switch (kind) {
	case CLK_KIND_SYSTEM:
		sys = xcalloc(1, sizeof(*sys));
		sys->base.ops = &system_ops;
		/* USER_HZ, the unit of struct timex tick; 100 on Linux. */
		sys->hz = sysconf(_SC_CLK_TCK);
		if (sys->hz < 1)
			sys->hz = 100;
		return &sys->base;
	case CLK_KIND_NULL:
		c = xcalloc(1, sizeof(*c));
		c->ops = &null_ops;
		return c;
	case CLK_KIND_PHC:	/* clk_create_phc(): it needs the device */
		return NULL;
	case CLK_KIND_VIRTUAL:
		v = xcalloc(1, sizeof(*v));
		v->base.ops = &virtual_ops;
		v->map.base_real = gt_now(CLOCK_REALTIME);
		v->map.offset = gt_from_sec(offset_s);
		v->intrinsic = freq_ppm * 1e-6;
		v->map.rate = v->intrinsic;
		return &v->base;
	}
	return NULL;
}

void clk_destroy(struct clk *c)
{
	if (c)
		c->ops->destroy(c);
}

const char *clk_name(const struct clk *c)
{
	return c->ops->name;
}

gt_ns clk_now(struct clk *c)
{
	return c->ops->now ? c->ops->now(c) : map_now(c);
}

gt_ns clk_from_real(struct clk *c, gt_ns real)
{
	struct clk_map m;

	c->ops->get_map(c, &m);
	return clk_map_apply(&m, real);
}

int8_t clk_measure_precision(void)
{
	/* Smallest non-zero step between consecutive readings, as ntpd and
	 * chronyd measure it; reported as log2 seconds, rounded up. */
	gt_ns best = GT_NS_PER_S, prev = gt_now(CLOCK_REALTIME);
	int i, p;

	for (i = 0; i < 100; i++) {
		gt_ns t = gt_now(CLOCK_REALTIME);

		if (t > prev && t - prev < best)
			best = t - prev;
		prev = t;
	}
	p = (int)ceil(log2((double)best / 1e9));
	return (int8_t)(p < -30 ? -30 : p);
}
