/* leap: when a leap second announced by the sources takes effect, and
 * which announcement the sources agree on.
 *
 * RFC 5905 §7.3: the leap indicator warns of a second to be inserted or
 * deleted in the last minute of the current month (UTC), so the leap
 * happens at the first instant of the next month. Pure functions on
 * Unix-epoch ns of the clock being disciplined. */
#ifndef GNOMON_LEAP_H
#define GNOMON_LEAP_H

#include <stdint.h>

#include "lib/gtime.h"

/* The first instant of the month after the one containing t (UTC, Unix
 * ns): the moment an announced leap second takes effect. */
gt_ns leap_month_end(gt_ns t);
/* The leap announcement (enum clk_leap: NONE, INS or DEL) that more than
 * half of the n leap indicators carry; CLK_LEAP_NONE otherwise. */
uint8_t leap_vote(const uint8_t *leap, int n);

#endif
