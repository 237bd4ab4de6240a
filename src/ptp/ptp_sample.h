/* ptp_sample: a PTP slave's measurement as a sample of the sync core,
 * pure (the daemon's ports and the simulator, tests/sim, use it alike).
 *
 * The four timestamps are those of an NTP exchange (RFC 5905 §8) with the
 * master as the server: t1 the Sync's send time and t4 the Delay_Req's
 * receive time on the master's clock (corrections of transparent clocks
 * taken out, in our timescale), t2 the Sync's receive time and t3 the
 * Delay_Req's send time on ours. With peer delay, t3 = t2 and t4 =
 * t1 + 2 * link delay. */
#ifndef GNOMON_PTP_SAMPLE_H
#define GNOMON_PTP_SAMPLE_H

#include <stdint.h>

#include "lib/gtime.h"
#include "sync/sync_sample.h"

/* The reference id of a PTP source (RFC 5905 §7.3: ASCII for a reference
 * clock): "PTP". */
#define PTP_REFID 0x50545000u

struct ptp_gm_info {
	uint8_t clock_class, accuracy;	/* the grandmaster's clockQuality */
	uint8_t leap;			/* enum clk_leap from the Announce's flags */
};

void ptp_sample_make(gt_ns t1, gt_ns t2, gt_ns t3, gt_ns t4, const struct ptp_gm_info *gm,
		     struct sync_sample *out);
/* clockAccuracy (§7.6.2.6 Table 5) for an error bound in ns, and back
 * (0 for 0xFE "unknown" and reserved values). */
uint8_t ptp_accuracy_of(gt_ns bound);
gt_ns ptp_accuracy_ns(uint8_t acc);

#endif
