/* ptp_tc: an end-to-end transparent clock (IEEE 1588-2019 §10.2, §11.5)
 * between two or more interfaces (`ptp-tc`).
 *
 * Every PTP message arriving on one port leaves by the others, as it
 * came (the bytes are not re-encoded), except that the time an event
 * message spent here (its residence time: the transmit timestamp on the
 * way out minus the receive timestamp on the way in) is added to the
 * correctionField of the message that carries its time: two-step, as
 * software timestamps allow, the Follow_Up of a two-step Sync
 * (§11.5.2.2) and the Delay_Resp answering a Delay_Req (§11.5.3.2).
 * A one-step Sync's residence would have to go into the Sync itself
 * before it is sent: it is forwarded uncorrected and counted. Peer delay
 * messages are link-local and not forwarded (an E2E transparent clock).
 * Every message is parsed first (ptp_msg_parse): what is malformed is
 * counted and dropped. The clock itself is not touched: a transparent
 * clock measures intervals on its own oscillator. */
#ifndef GNOMON_PTP_TC_H
#define GNOMON_PTP_TC_H

#include "lib/service.h"
#include "ptp/ptp_conf.h"

struct met_registry;
struct ptp_tc;

/* Open the ports' sockets (as root). NULL with *err set and the reason
 * logged. */
struct ptp_tc *ptp_tc_create(const struct ptp_tc_cfg *cfg, int *err);
/* The service: start (sockets watched), the `ptp` control command,
 * destroy. */
extern const struct service_ops ptp_tc_service;
void ptp_tc_register_metrics(struct ptp_tc *tc, struct met_registry *reg);

#endif
