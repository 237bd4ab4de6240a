/* ptp_sample: a PTP measurement as a sample of the core (ptp_sample.h). */
#include <string.h>

#include "clock/clk.h"
#include "lib/util.h"
#include "ptp/ptp_sample.h"

/* §7.6.2.6 Table 5: the upper bound of each clockAccuracy from 0x20. */
static const gt_ns accuracy_bound[] = {
	25, 100, 250, 1000, 2500, 10000, 25000, 100000, 250000, 1000000, 2500000,
	10000000, 25000000, 100000000, 250000000, 1000000000, 10000000000,
};

uint8_t ptp_accuracy_of(gt_ns bound)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(accuracy_bound); i++)
		if (bound <= accuracy_bound[i])
			return (uint8_t)(0x20 + i);
	return 0x31;
}

gt_ns ptp_accuracy_ns(uint8_t acc)
{
	if (acc >= 0x20 && acc < 0x20 + ARRAY_LEN(accuracy_bound))
		return accuracy_bound[acc - 0x20];
	return 0;
}

void ptp_sample_make(gt_ns t1, gt_ns t2, gt_ns t3, gt_ns t4, const struct ptp_gm_info *gm,
		     struct sync_sample *out)
{
	gt_ns span = t4 - t1 > 0 ? t4 - t1 : 0;

	memset(out, 0, sizeof(*out));
	out->offset = ((t1 - t2) + (t4 - t3)) / 2;
	out->delay = (t2 - t1) + (t4 - t3);
	out->time = t3 > t2 ? t3 : t2;
	/* Our timestamps' resolution (1 us for software ones, generous for
	 * hardware) and the clocks' frequency tolerance over the exchange. */
	out->disp = GT_NS_PER_US + (gt_ns)((double)span * CLK_PHI);
	out->root_disp = ptp_accuracy_ns(gm->accuracy);
	/* PTP has no strata: a grandmaster locked to a primary reference
	 * (clockClass 6, 7: §7.6.2.5 Table 4) counts as one, any other as a
	 * secondary server. */
	out->stratum = gm->clock_class == 6 || gm->clock_class == 7 ? 1 : 2;
	out->leap = gm->leap;
	out->refid = PTP_REFID;
}
