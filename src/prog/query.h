/* query: a one-shot SNTP client measurement (RFC 4330), as `ntpdate -q`. */
#ifndef GNOMON_QUERY_H
#define GNOMON_QUERY_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/gtime.h"
#include "ntp/ntp_pkt.h"

struct query_sample {
	bool valid;
	bool kod;
	char error[64];
	gt_ns offset, delay;
	struct ntp_pkt reply;
};

/* Pure: evaluate a reply to a request whose transmit timestamp was
 * sent_xmt, sent at t1 and received at t4 (local CLOCK_REALTIME ns). */
void query_evaluate(const uint8_t *buf, size_t len, ntp_ts sent_xmt, gt_ns t1, gt_ns t4,
		    struct query_sample *out);

/* Run `gnomonctl query`: argv after the word "query". Returns exit code. */
int query_main(int argc, char **argv, bool json);

#endif
