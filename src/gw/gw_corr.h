/* gw_corr: the correction a gateway sender adds to its time label for the
 * delay through the one-way gateway (doc/gateway.md says when each method
 * is right).
 *
 *   none                                   0
 *   fixed DELAY                            DELAY seconds
 *   formula bitrate BPS [hops N] [latency S]
 *       N store-and-forward hops, each serialising the whole frame at BPS
 *       bits/s, plus a fixed latency S: N * frame_bits / BPS + S. The
 *       frame is the message's UDP payload with its UDP, IP and Ethernet
 *       overheads (header, FCS, preamble and inter-frame gap).
 *   calibrated FILE
 *       the figure `gnomonctl gateway calibrate` measured and wrote to
 *       FILE (the calibration file format is below).
 *
 * Calibration file: text, one `key value` a line, '#' comments:
 *   gnomon-gateway-calibration 1       (first line: format and version)
 *   date 2026-11-21T08:00:00Z          (when it was measured, UTC)
 *   samples N                          (messages measured)
 *   filter min|median|percentile P|band LO HI, window N
 *                                      (the receiver filter it was made for)
 *   delay S                            (the correction: the mean output of
 *                                       that filter over the measured delays)
 *   mean S, median S, min S, max S, stddev S   (of the raw one-way delays)
 * Pure functions: unit-tested; the file parser is fuzzed. */
#ifndef GNOMON_GW_CORR_H
#define GNOMON_GW_CORR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw/gw_filter.h"
#include "lib/conf.h"

enum gw_corr_method {
	GW_CORR_NONE = 0,
	GW_CORR_FIXED = 1,
	GW_CORR_FORMULA = 2,
	GW_CORR_CALIBRATED = 3,
};

struct gw_calibration {
	char date[32];
	long samples;
	struct gw_filter_spec filter;
	double delay;			/* s: the correction */
	double mean, median, min, max, stddev;	/* s: raw one-way delays */
};

struct gw_corr {
	enum gw_corr_method method;
	double fixed;			/* s */
	double bitrate;			/* bits/s */
	int hops;
	double latency;			/* s */
	char file[256];
	struct gw_calibration cal;	/* read from file */
};

/* Ethernet + IPv4 + UDP bytes around a payload on the wire: preamble and
 * SFD 8, header 14, FCS 4, inter-frame gap 12, IPv4 20, UDP 8. */
#define GW_FRAME_OVERHEAD_V4 66
#define GW_FRAME_OVERHEAD_V6 86
#define GW_FRAME_MIN 84		/* 64-byte minimum frame + preamble + gap */

const char *gw_corr_method_name(enum gw_corr_method m);
/* Parse the words after `correction` (argv[0] is the method) into c; on a
 * calibrated FILE the file is read too. Errors go to ctx (file:line). */
int gw_corr_parse(struct conf_ctx *ctx, int argc, char **argv, struct gw_corr *c);
/* The correction (s) for a message of payload bytes over IPv4 (v6 false)
 * or IPv6. */
double gw_corr_delay(const struct gw_corr *c, size_t payload, bool v6);

/* Calibration file: parse (name for errors) / write. */
int gw_calibration_parse(const char *buf, size_t len, const char *name,
			 struct gw_calibration *out, struct conf_errors *errs);
int gw_calibration_load(const char *path, struct gw_calibration *out,
			struct conf_errors *errs);
/* Text of a calibration file into buf; returns its length (< cap) or -1. */
int gw_calibration_format(const struct gw_calibration *c, char *buf, size_t cap);

#endif
