/* ptp_pi: linuxptp's PI servo behaviour (pi.c, servo.c), rewritten over
 * gnomon's time type and with the sign of the outputs turned into
 * corrections (see ptp_pi.h). */
#include "ptp/ptp_pi.h"

#include <math.h>
#include <string.h>

/* Defaults of ptp4l 3.x (config.c, pi.c). */
#define HW_KP_SCALE 0.7
#define HW_KI_SCALE 0.3
#define SW_KP_SCALE 0.1
#define SW_KI_SCALE 0.001
/* Limits on configured constants, which keep the loop stable. */
#define CONST_KP_NORM_MAX 1.0
#define CONST_KI_NORM_MAX 2.0
/* The frequency estimate waits 0.016 / ki seconds (at most 1000 s) between
 * its two samples, with a margin of 0.1 % on the measured span. */
#define FREQ_EST_GAIN 0.016
#define FREQ_EST_MAX_S 1000.0
#define FREQ_EST_MARGIN 0.001

void ptp_pi_config_default(struct ptp_pi_config *c, bool sw_timestamps)
{
	memset(c, 0, sizeof(*c));
	c->kp_exponent = -0.3;
	c->kp_norm_max = 0.7;
	c->ki_exponent = 0.4;
	c->ki_norm_max = 0.3;
	c->sw_timestamps = sw_timestamps;
	c->step_threshold = 0;
	c->first_step_threshold = 20 * GT_NS_PER_US;
	c->max_freq_ppb = 500000.0;
	c->offset_threshold = 0;
	c->num_offset_values = 10;
}

void ptp_pi_init(struct ptp_pi *s, const struct ptp_pi_config *c, double freq_ppb)
{
	memset(s, 0, sizeof(*s));
	s->cfg = *c;
	/* A configured constant replaces the scaled gain (exponent 0), with
	 * its own stability limit; otherwise the timestamping's default
	 * scale unless one is configured. */
	if (c->kp_const > 0) {
		s->cfg.kp_scale = c->kp_const;
		s->cfg.kp_exponent = 0;
		s->cfg.kp_norm_max = CONST_KP_NORM_MAX;
	} else if (c->kp_scale <= 0) {
		s->cfg.kp_scale = c->sw_timestamps ? SW_KP_SCALE : HW_KP_SCALE;
	}
	if (c->ki_const > 0) {
		s->cfg.ki_scale = c->ki_const;
		s->cfg.ki_exponent = 0;
		s->cfg.ki_norm_max = CONST_KI_NORM_MAX;
	} else if (c->ki_scale <= 0) {
		s->cfg.ki_scale = c->sw_timestamps ? SW_KI_SCALE : HW_KI_SCALE;
	}
	s->drift = -freq_ppb;
	s->last_freq = -freq_ppb;
	s->first_update = true;
	s->stable_left = c->num_offset_values;
	ptp_pi_set_interval(s, 1.0);
}

void ptp_pi_set_interval(struct ptp_pi *s, double interval_s)
{
	const struct ptp_pi_config *c = &s->cfg;

	s->kp = c->kp_scale * pow(interval_s, c->kp_exponent);
	if (s->kp > c->kp_norm_max / interval_s)
		s->kp = c->kp_norm_max / interval_s;
	s->ki = c->ki_scale * pow(interval_s, c->ki_exponent);
	if (s->ki > c->ki_norm_max / interval_s)
		s->ki = c->ki_norm_max / interval_s;
}

void ptp_pi_reset(struct ptp_pi *s)
{
	s->count = 0;
}

static double clamp(double v, double max)
{
	return v < -max ? -max : v > max ? max : v;
}

static gt_ns abs_ns(gt_ns v)
{
	return v < 0 ? -v : v;
}

/* The second sample: estimate the frequency from the two, then step or
 * lock. Returns the state. */
static enum ptp_pi_state estimate(struct ptp_pi *s, gt_ns offset, gt_ns local_ns, double *ppb)
{
	const struct ptp_pi_config *c = &s->cfg;
	double span, wait;

	s->offset[1] = offset;
	s->local[1] = local_ns;
	if (s->local[0] >= s->local[1]) {	/* out of order: start again */
		s->count = 0;
		return PTP_PI_UNLOCKED;
	}
	/* Wait long enough for the phase change to dwarf the noise. */
	span = (double)(s->local[1] - s->local[0]) / 1e9;
	span += span * FREQ_EST_MARGIN;
	wait = FREQ_EST_GAIN / s->ki;
	if (wait > FREQ_EST_MAX_S)
		wait = FREQ_EST_MAX_S;
	if (span < wait)
		return PTP_PI_UNLOCKED;
	/* The phase ran at the clock's error on top of the adjustment the
	 * clock already had (drift), which scales the measured rate. */
	s->drift += (1e9 - s->drift) * (double)(s->offset[1] - s->offset[0]) /
		(double)(s->local[1] - s->local[0]);
	s->drift = clamp(s->drift, c->max_freq_ppb);
	*ppb = s->drift;
	s->count = 2;
	if ((s->first_update && c->first_step_threshold &&
	     abs_ns(offset) > c->first_step_threshold) ||
	    (c->step_threshold && abs_ns(offset) > c->step_threshold))
		return PTP_PI_JUMP;
	return PTP_PI_LOCKED;
}

/* PI control. The integral is not wound up while the output is clamped. */
static enum ptp_pi_state control(struct ptp_pi *s, gt_ns offset, double weight, double *ppb)
{
	const struct ptp_pi_config *c = &s->cfg;
	double ki_term, out;

	/* Far off again: start over (estimate, then step) rather than slew. */
	if (c->step_threshold && abs_ns(offset) > c->step_threshold) {
		s->count = 0;
		return PTP_PI_UNLOCKED;
	}
	ki_term = s->ki * (double)offset * weight;
	out = s->kp * (double)offset * weight + s->drift + ki_term;
	if (out < -c->max_freq_ppb || out > c->max_freq_ppb)
		out = clamp(out, c->max_freq_ppb);
	else
		s->drift += ki_term;
	*ppb = out;
	return PTP_PI_LOCKED;
}

enum ptp_pi_state ptp_pi_sample(struct ptp_pi *s, gt_ns offset, gt_ns local_ns, double weight,
				struct ptp_pi_out *out)
{
	enum ptp_pi_state st;
	double ppb = s->last_freq;

	switch (s->count) {
	case 0:
		s->offset[0] = offset;
		s->local[0] = local_ns;
		s->count = 1;
		st = PTP_PI_UNLOCKED;
		break;
	case 1:
		st = estimate(s, offset, local_ns, &ppb);
		break;
	default:
		st = control(s, offset, weight, &ppb);
		break;
	}
	s->last_freq = ppb;
	/* servo.c: the first update is over once the servo jumped or locked;
	 * LOCKED_STABLE after num_offset_values samples in a row under
	 * offset_threshold. */
	if (st == PTP_PI_UNLOCKED || st == PTP_PI_JUMP)
		s->stable_left = s->cfg.num_offset_values;
	if (st == PTP_PI_JUMP || st == PTP_PI_LOCKED)
		s->first_update = false;
	if (st == PTP_PI_LOCKED && s->cfg.offset_threshold) {
		if (abs_ns(offset) < s->cfg.offset_threshold) {
			if (s->stable_left > 0)
				s->stable_left--;
		} else {
			s->stable_left = s->cfg.num_offset_values;
		}
		if (s->stable_left == 0)
			st = PTP_PI_LOCKED_STABLE;
	}
	out->state = st;
	out->freq_ppb = -ppb;
	out->step_ns = st == PTP_PI_JUMP ? -offset : 0;
	return st;
}

const char *ptp_pi_state_name(enum ptp_pi_state st)
{
	switch (st) {
	case PTP_PI_UNLOCKED:
		return "unlocked";
	case PTP_PI_JUMP:
		return "jump";
	case PTP_PI_LOCKED:
		return "locked";
	case PTP_PI_LOCKED_STABLE:
		return "locked_stable";
	}
	return "?";
}
