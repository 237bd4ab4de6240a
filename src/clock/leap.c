#include "clock/leap.h"

#include "clock/clk.h"

/* Days since 1970-01-01 of a proleptic Gregorian date, and back: the
 * civil-calendar arithmetic of H. Hinnant's public-domain algorithms, done
 * here because gmtime() depends on time_t width and a time zone database
 * we do not need. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

gt_ns leap_month_end(gt_ns t)
{
	int64_t sec = t / GT_NS_PER_S - (t % GT_NS_PER_S < 0);
	int64_t day = sec / 86400 - (sec % 86400 < 0), y;
	unsigned m;

	civil_from_days(day, &y, &m);
	if (++m > 12) {
		m = 1;
		y++;
	}
	return days_from_civil(y, m, 1) * 86400 * GT_NS_PER_S;
}

uint8_t leap_vote(const uint8_t *leap, int n)
{
	int ins = 0, del = 0, i;

	for (i = 0; i < n; i++) {
		ins += leap[i] == CLK_LEAP_INS;
		del += leap[i] == CLK_LEAP_DEL;
	}
	if (2 * ins > n)
		return CLK_LEAP_INS;
	if (2 * del > n)
		return CLK_LEAP_DEL;
	return CLK_LEAP_NONE;
}
