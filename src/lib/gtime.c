#include "lib/gtime.h"

#include <math.h>

gt_ns gt_now(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return gt_from_timespec(&ts);
}

gt_ns gt_from_timespec(const struct timespec *ts)
{
	return (gt_ns)ts->tv_sec * GT_NS_PER_S + ts->tv_nsec;
}

struct timespec gt_to_timespec(gt_ns t)
{
	struct timespec ts;
	gt_ns sec = t / GT_NS_PER_S, nsec = t % GT_NS_PER_S;

	if (nsec < 0) {
		nsec += GT_NS_PER_S;
		sec -= 1;
	}
	ts.tv_sec = (time_t)sec;
	ts.tv_nsec = (long)nsec;
	return ts;
}

double gt_to_sec(gt_ns t)
{
	return (double)t / 1e9;
}

gt_ns gt_from_sec(double s)
{
	double ns = s * 1e9;

	if (isnan(ns))
		return 0;
	if (ns >= 9.2e18)
		return INT64_MAX;
	if (ns <= -9.2e18)
		return INT64_MIN;
	return (gt_ns)llround(ns);
}

ntp_ts ntp_ts_from_ns(gt_ns t)
{
	/* Split into whole seconds and a non-negative ns part so that times
	 * before 1970 (and before 1900) map correctly modulo 2^32. */
	gt_ns sec = t / GT_NS_PER_S, nsec = t % GT_NS_PER_S;
	uint64_t frac;

	if (nsec < 0) {
		nsec += GT_NS_PER_S;
		sec -= 1;
	}
	frac = (((uint64_t)nsec << 32) + (uint64_t)GT_NS_PER_S / 2) / (uint64_t)GT_NS_PER_S;
	if (frac >> 32) {	/* rounded up to a whole second */
		frac = 0;
		sec += 1;
	}
	return ((uint64_t)(uint32_t)(sec + GT_NTP_UNIX_OFFSET) << 32) | frac;
}

static gt_ns frac_to_ns(uint32_t frac)
{
	return (gt_ns)(((uint64_t)frac * (uint64_t)GT_NS_PER_S + (UINT64_C(1) << 31)) >> 32);
}

gt_ns ntp_ts_to_ns(ntp_ts ts, gt_ns pivot)
{
	/* Seconds since 1900 of the pivot; take the timestamp's seconds as an
	 * offset from the pivot's low 32 bits, interpreted as signed. */
	gt_ns pivot_sec = pivot / GT_NS_PER_S + GT_NTP_UNIX_OFFSET;
	uint32_t delta = (uint32_t)(ts >> 32) - (uint32_t)pivot_sec;
	gt_ns sec = pivot_sec + (int32_t)delta - GT_NTP_UNIX_OFFSET;

	return sec * GT_NS_PER_S + frac_to_ns((uint32_t)ts);
}

gt_ns ntp_ts_to_ns_split(ntp_ts ts)
{
	gt_ns sec = (gt_ns)(ts >> 32);

	if (!(sec & 0x80000000))
		sec += INT64_C(1) << 32;	/* era 1: 2036-02-07 onwards */
	return (sec - GT_NTP_UNIX_OFFSET) * GT_NS_PER_S + frac_to_ns((uint32_t)ts);
}

gt_ns ntp_ts_diff(ntp_ts a, ntp_ts b)
{
	int64_t d = (int64_t)(a - b);	/* 32.32 signed, wraps across eras */
	gt_ns sec = d >> 32;		/* arithmetic shift: floor */
	uint32_t frac = (uint32_t)d;

	return sec * GT_NS_PER_S + frac_to_ns(frac);
}

uint32_t ntp_short_from_ns(gt_ns t)
{
	uint64_t v;

	if (t <= 0)
		return 0;
	if (t >= INT64_C(65536) * GT_NS_PER_S)
		return UINT32_MAX;
	v = (((uint64_t)t << 16) + (uint64_t)GT_NS_PER_S - 1) / (uint64_t)GT_NS_PER_S;
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

gt_ns ntp_short_to_ns(uint32_t s)
{
	return (gt_ns)(((uint64_t)s * (uint64_t)GT_NS_PER_S + (1u << 15)) >> 16);
}
