#include "sim_clock.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "lib/util.h"

void sim_clock_advance(struct sim_clock *c, gt_ns t)
{
	while (c->t < t) {
		gt_ns to = t < c->next_wander ? t : c->next_wander;

		c->phase += (c->freq_err + c->corr) * (double)(to - c->t);
		c->t = to;
		if (c->t == c->next_wander) {
			c->freq_err += c->wander * sim_rng_normal(&c->rng);
			c->next_wander += GT_NS_PER_S;
		}
	}
}

gt_ns sim_clock_read(const struct sim_clock *c)
{
	return c->t + (gt_ns)llround(c->phase);
}

gt_ns sim_clock_mono(const struct sim_clock *c, gt_ns mono0)
{
	return mono0 + (c->t - c->t0) + (gt_ns)llround(c->phase - c->stepped - c->phase0);
}

double sim_clock_freq_error(const struct sim_clock *c)
{
	return c->freq_err + c->corr;
}

static struct sim_clock *of(struct clk *c)
{
	return container_of(c, struct sim_clock, base);
}

static int sc_get_map(struct clk *c, struct clk_map *m)
{
	struct sim_clock *s = of(c);

	/* Relative to true time: what a service mapping "real" time would use. */
	m->base_real = s->t;
	m->offset = (gt_ns)llround(s->phase);
	m->rate = s->freq_err + s->corr;
	return 0;
}

static int sc_step(struct clk *c, gt_ns delta)
{
	of(c)->phase += (double)delta;
	of(c)->stepped += (double)delta;
	of(c)->steps++;
	return 0;
}

static int sc_set_freq(struct clk *c, double ppm)
{
	/* The system driver's range (through the kernel's tick). */
	if (!isfinite(ppm) || fabs(ppm) > CLK_SYSTEM_MAX_PPM * (1 + 1e-9))
		return -ERANGE;
	of(c)->corr = ppm * 1e-6;
	return 0;
}

static int sc_get_freq(struct clk *c, double *ppm)
{
	*ppm = of(c)->corr * 1e6;
	return 0;
}

static void sc_destroy(struct clk *c)
{
	(void)c;	/* embedded in the simulator's world */
}

static gt_ns sc_now(struct clk *c)
{
	return sim_clock_read(of(c));
}

static const struct clk_ops sim_clock_ops = {
	.name = "sim", .get_map = sc_get_map, .step = sc_step, .set_freq = sc_set_freq,
	.get_freq = sc_get_freq, .destroy = sc_destroy, .now = sc_now,
	.max_freq_ppm = CLK_SYSTEM_MAX_PPM,
};

/* The same, its corrections moving the host's monotonic clock as well. */
static const struct clk_ops sim_clock_slewed_ops = {
	.name = "sim", .get_map = sc_get_map, .step = sc_step, .set_freq = sc_set_freq,
	.get_freq = sc_get_freq, .destroy = sc_destroy, .now = sc_now,
	.max_freq_ppm = CLK_SYSTEM_MAX_PPM, .mono_slewed = true,
};

void sim_clock_slew_mono(struct sim_clock *c)
{
	c->base.ops = &sim_clock_slewed_ops;
}

void sim_clock_init(struct sim_clock *c, gt_ns t0, double offset_s, double freq_err,
		    double wander, uint64_t seed)
{
	memset(c, 0, sizeof(*c));
	c->base.ops = &sim_clock_ops;
	c->t = c->t0 = t0;
	c->phase = c->phase0 = offset_s * 1e9;
	c->freq_err = freq_err;
	c->wander = wander;
	c->next_wander = t0 + GT_NS_PER_S;
	sim_rng_seed(&c->rng, seed, 1);
}
