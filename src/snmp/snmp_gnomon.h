/* snmp_gnomon: the GNOMON-MIB instances (mibs/GNOMON-MIB.txt): the
 * subagent's own view of gnomond (reachable, last error), the one-way
 * gateway's receiver and senders, and the journal. Pure. */
#ifndef GNOMON_SNMP_GNOMON_H
#define GNOMON_SNMP_GNOMON_H

#include <stdint.h>

#include "snmp/snmp_model.h"
#include "snmp/snmp_vb.h"

/* 1.3.6.1.4.1.8072.9999.9999.4664: under net-snmp's netSnmpPlaypen,
 * an arc meant for experiments, until gnomon has its own Private Enterprise
 * Number. */
#define SNMP_GNOMON_MIB_LEN 10
extern const uint32_t snmp_gnomon_mib[SNMP_GNOMON_MIB_LEN];

struct snmp_gnomon_ctx {
	uint64_t poll_failures;		/* polls that did not reach gnomond */
	uint32_t data_age_ms;		/* age of the values served */
};

void snmp_gnomon_build(const struct snmp_state *st, const struct snmp_gnomon_ctx *ctx,
		       struct snmp_vbl *out);

/* Seconds to nanoseconds for an Integer32, saturated at its range. */
int64_t snmp_sec_to_ns32(double s);

#endif
