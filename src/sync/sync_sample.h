/* sync_sample: one measurement of a time source, as every source type
 * (NTP client, gateway receiver, PTP slave, reference clock) hands it to the
 * synchronisation core. A source measures; it never touches the clock. */
#ifndef GNOMON_SYNC_SAMPLE_H
#define GNOMON_SYNC_SAMPLE_H

#include <stdint.h>

#include "lib/gtime.h"

struct sync_sample {
	gt_ns time;		/* local clock time of the measurement (T4 for NTP) */
	gt_ns offset;		/* source time - local time, ns (RFC 5905 theta) */
	gt_ns delay;		/* round-trip delay, ns (delta); one-way sources: 0 */
	gt_ns disp;		/* dispersion of this sample: precisions + PHI * (T4 - T1) */
	gt_ns root_delay;	/* the source's own root delay */
	gt_ns root_disp;	/* the source's own root dispersion */
	uint8_t stratum;	/* the source's stratum (1..15) */
	uint8_t leap;		/* the source's leap indicator (enum clk_leap) */
	uint32_t refid;		/* the source's reference id (loop detection) */
};

#endif
