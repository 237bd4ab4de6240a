/* Fuzz the PTP message parser (ptp_msg) and the data set decoders
 * (ptp_ds), as datagrams from a PTP network or pmc reach them.
 *
 * Every input is parsed as one datagram. Traps on: an accepted message
 * whose messageLength exceeds the input or is shorter than its type's
 * body; a nanoseconds field >= 10^9 accepted; an accepted message that
 * does not encode back to a message that parses to the same fields (the
 * round trip of header, body and management TLV); management data that
 * points outside the input. The management dataField of an accepted
 * message is also given to every data set decoder, whose results are
 * encoded and decoded again and must agree. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ptp/ptp_ds.h"
#include "ptp/ptp_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_ds(const uint8_t *p, size_t len)
{
	uint8_t out[64];
	struct ptp_default_ds d1, d2;
	struct ptp_current_ds c1, c2;
	struct ptp_parent_ds pa1, pa2;
	struct ptp_time_props_ds t1, t2;
	struct ptp_port_ds po1, po2;

	memset(&d2, 0, sizeof(d2));
	memset(&pa2, 0, sizeof(pa2));
	memset(&t2, 0, sizeof(t2));
	memset(&po2, 0, sizeof(po2));
	if (!ptp_ds_get_default(p, len, &d1) &&
	    (ptp_ds_get_default(out, ptp_ds_put_default(out, sizeof(out), &d1), &d2) ||
	     memcmp(d1.identity.id, d2.identity.id, 8) || d1.priority1 != d2.priority1 ||
	     d1.domain != d2.domain || d1.num_ports != d2.num_ports))
		abort();
	if (!ptp_ds_get_current(p, len, &c1) &&
	    (ptp_ds_get_current(out, ptp_ds_put_current(out, sizeof(out), &c1), &c2) ||
	     c1.offset_from_master != c2.offset_from_master ||
	     c1.mean_path_delay != c2.mean_path_delay || c1.steps_removed != c2.steps_removed))
		abort();
	if (!ptp_ds_get_parent(p, len, &pa1) &&
	    (ptp_ds_get_parent(out, ptp_ds_put_parent(out, sizeof(out), &pa1), &pa2) ||
	     !ptp_port_id_eq(&pa1.parent, &pa2.parent) ||
	     !ptp_clock_id_eq(&pa1.gm_identity, &pa2.gm_identity) ||
	     pa1.obs_parent_phase_rate != pa2.obs_parent_phase_rate))
		abort();
	if (!ptp_ds_get_time_props(p, len, &t1) &&
	    (ptp_ds_get_time_props(out, ptp_ds_put_time_props(out, sizeof(out), &t1), &t2) ||
	     t1.utc_offset != t2.utc_offset || t1.leap61 != t2.leap61 ||
	     t1.ptp_timescale != t2.ptp_timescale || t1.time_source != t2.time_source))
		abort();
	if (!ptp_ds_get_port(p, len, &po1) &&
	    (ptp_ds_get_port(out, ptp_ds_put_port(out, sizeof(out), &po1), &po2) ||
	     !ptp_port_id_eq(&po1.id, &po2.id) || po1.state != po2.state ||
	     po1.peer_mean_path_delay != po2.peer_mean_path_delay ||
	     po1.log_sync != po2.log_sync || po1.version != po2.version))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ptp_msg m, r;
	uint8_t buf[PTP_MAX_MSG];
	size_t n;

	if (ptp_msg_parse(data, size, &m))
		return 0;
	if (m.h.length > size || m.h.length < PTP_HDR_LEN)
		abort();
	if (m.h.type == PTP_MANAGEMENT && m.u.mgmt.has_tlv) {
		if (m.u.mgmt.data < data || m.u.mgmt.data + m.u.mgmt.data_len > data + m.h.length)
			abort();
		check_ds(m.u.mgmt.data, m.u.mgmt.data_len);
	}
	n = ptp_msg_encode(buf, sizeof(buf), &m);
	if (!n || ptp_msg_parse(buf, n, &r))
		abort();
	if (r.h.type != m.h.type || r.h.domain != m.h.domain || r.h.flags != m.h.flags ||
	    r.h.correction != m.h.correction || !ptp_port_id_eq(&r.h.source, &m.h.source) ||
	    r.h.seq != m.h.seq || r.h.log_interval != m.h.log_interval)
		abort();
	switch (m.h.type) {
	case PTP_ANNOUNCE:
		if (memcmp(&r.u.announce.gm_identity, &m.u.announce.gm_identity, 8) ||
		    r.u.announce.steps_removed != m.u.announce.steps_removed ||
		    r.u.announce.origin.sec != m.u.announce.origin.sec ||
		    r.u.announce.origin.ns != m.u.announce.origin.ns ||
		    r.u.announce.utc_offset != m.u.announce.utc_offset)
			abort();
		break;
	case PTP_DELAY_RESP:
	case PTP_PDELAY_RESP:
	case PTP_PDELAY_RESP_FUP:
		if (r.u.resp.ts.sec != m.u.resp.ts.sec || r.u.resp.ts.ns != m.u.resp.ts.ns ||
		    !ptp_port_id_eq(&r.u.resp.requesting, &m.u.resp.requesting))
			abort();
		break;
	case PTP_MANAGEMENT:
		if (r.u.mgmt.has_tlv != m.u.mgmt.has_tlv || r.u.mgmt.id != m.u.mgmt.id ||
		    r.u.mgmt.action != m.u.mgmt.action ||
		    r.u.mgmt.tlv_type != m.u.mgmt.tlv_type ||
		    (m.u.mgmt.has_tlv && m.u.mgmt.tlv_type == PTP_TLV_MANAGEMENT &&
		     (r.u.mgmt.data_len < m.u.mgmt.data_len ||
		      memcmp(r.u.mgmt.data, m.u.mgmt.data, m.u.mgmt.data_len))))
			abort();
		break;
	case PTP_SIGNALING:
		break;
	default:
		if (r.u.origin.sec != m.u.origin.sec || r.u.origin.ns != m.u.origin.ns ||
		    m.u.origin.ns >= 1000000000u)
			abort();
		break;
	}
	return 0;
}
