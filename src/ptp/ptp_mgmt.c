/* ptp_mgmt: answering Management messages (IEEE 1588-2019 §15) from pmc,
 * over the local management socket or the port's own transport: GET of
 * the five data sets and NULL_MANAGEMENT; SET and COMMAND are refused
 * with an error status (the configuration is the file's). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/log.h"
#include "lib/util.h"
#include "ptp/ptp_int.h"

static bool wildcard_clock(const struct ptp_clock_id *c)
{
	static const struct ptp_clock_id all = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };

	return ptp_clock_id_eq(c, &all);
}

static int64_t scaled(gt_ns ns)
{
	return ptp_corr_from_ns(ns);
}

static void send_reply(struct ptp *p, struct ptp_port *pt, struct ptp_msg *r,
		       const struct ptp_addr *to)
{
	uint8_t buf[PTP_MAX_MSG];
	size_t len;

	if (pt) {
		if (!ptp_port_send(pt, r, PTP_DST_PRIMARY, NULL, NULL))
			p->mgmt_tx++;
		return;
	}
	r->h.version = PTP_VERSION;
	r->h.domain = p->cfg.domain;
	len = ptp_msg_encode(buf, sizeof(buf), r);
	if (len && to && sendto(p->uds_fd, buf, len, MSG_DONTWAIT, (const struct sockaddr *)&to->ss,
				to->len) == (ssize_t)len) {
		p->mgmt_tx++;
		return;
	}
	p->mgmt_err++;
	/* EACCES: pmc's socket is not writable by our user (doc/ptp.md). */
	LOG_RL(LOG_LVL_WARN, "ptp: cannot answer a management request over %s: %s",
	       p->uds_path, len ? strerror(errno) : "encoding failed");
}

/* The reply's header and management fields (§15.4.1: the target is the
 * requester; the boundary hops as linuxptp sets them, so pmc filters
 * nothing). */
static void reply_init(const struct ptp *p, const struct ptp_port *pt, const struct ptp_msg *req,
		       struct ptp_msg *r, const struct ptp_port_id *source)
{
	memset(r, 0, sizeof(*r));
	r->h.type = PTP_MANAGEMENT;
	r->h.seq = req->h.seq;
	r->h.log_interval = 0x7F;
	r->h.source = *source;
	r->u.mgmt.target = req->h.source;
	r->u.mgmt.starting_hops = (uint8_t)(req->u.mgmt.starting_hops - req->u.mgmt.hops);
	r->u.mgmt.hops = 0;
	r->u.mgmt.action = PTP_MGMT_RESPONSE;
	r->u.mgmt.has_tlv = true;
	r->u.mgmt.tlv_type = PTP_TLV_MANAGEMENT;
	r->u.mgmt.id = req->u.mgmt.id;
	(void)p;
	(void)pt;
}

static void reply_error(struct ptp *p, struct ptp_port *pt, const struct ptp_msg *req,
			const struct ptp_addr *to, const struct ptp_port_id *source, uint16_t error)
{
	struct ptp_msg r;

	reply_init(p, pt, req, &r, source);
	/* §15.5.4: an error status answers the action it refuses with the
	 * same action's reply (ACKNOWLEDGE for COMMAND). */
	r.u.mgmt.action = req->u.mgmt.action == PTP_MGMT_COMMAND ? PTP_MGMT_ACK : PTP_MGMT_RESPONSE;
	r.u.mgmt.tlv_type = PTP_TLV_MANAGEMENT_ERROR;
	r.u.mgmt.error = error;
	send_reply(p, pt, &r, to);
	p->mgmt_err++;
}

static size_t put_current(const struct ptp *p, uint8_t *buf, size_t cap)
{
	struct ptp_current_ds c;

	memset(&c, 0, sizeof(c));
	c.steps_removed = p->steps_removed;
	if (p->slave_port >= 0 && p->port[p->slave_port].have_measure) {
		c.offset_from_master = scaled(p->port[p->slave_port].last_offset);
		c.mean_path_delay = scaled(p->port[p->slave_port].last_delay);
	}
	return ptp_ds_put_current(buf, cap, &c);
}

static size_t put_port(const struct ptp_port *pt, uint8_t *buf, size_t cap)
{
	struct ptp_port_ds d;

	memset(&d, 0, sizeof(d));
	d.id = pt->id;
	d.state = (uint8_t)pt->state;
	d.log_min_delay_req = pt->cfg.log_delayreq;
	/* §8.2.15.3.3: the link delay of a P2P port; 0 for E2E. */
	d.peer_mean_path_delay = pt->have_path_delay && pt->cfg.delay == PTP_DELAY_P2P ?
		scaled(pt->path_delay) : 0;
	d.log_announce = pt->cfg.log_announce;
	d.announce_receipt_timeout = pt->cfg.announce_timeout;
	d.log_sync = pt->cfg.log_sync;
	d.delay_mechanism = (uint8_t)pt->cfg.delay;
	d.log_min_pdelay_req = pt->cfg.log_pdelay;
	d.version = PTP_VERSION;
	return ptp_ds_put_port(buf, cap, &d);
}

void ptp_mgmt_handle(struct ptp *p, struct ptp_port *pt, const struct ptp_msg *m,
		     const struct ptp_addr *to)
{
	const struct ptp_mgmt *mg = &m->u.mgmt;
	struct ptp_port_id clock_port = { p->dds.identity, 0 };
	const struct ptp_port_id *source = pt ? &pt->id : &clock_port;
	uint8_t data[128];
	struct ptp_msg r;
	size_t len = 0;
	int i;

	if (pt && m->h.domain != p->cfg.domain)
		return;
	if (!wildcard_clock(&mg->target.clock) && !ptp_clock_id_eq(&mg->target.clock, &p->dds.identity))
		return;
	if (mg->action != PTP_MGMT_GET && mg->action != PTP_MGMT_SET &&
	    mg->action != PTP_MGMT_COMMAND)
		return;		/* responses and acknowledgements are others' */
	p->mgmt_rx++;
	if (!mg->has_tlv || mg->tlv_type != PTP_TLV_MANAGEMENT)
		return;
	if (mg->action != PTP_MGMT_GET) {
		reply_error(p, pt, m, to, source, PTP_MERR_NOT_SUPPORTED);
		return;
	}
	ptp_clock_refresh(p);
	switch (mg->id) {
	case PTP_MID_NULL_MANAGEMENT:
		break;
	case PTP_MID_DEFAULT_DATA_SET:
		len = ptp_ds_put_default(data, sizeof(data), &p->dds);
		break;
	case PTP_MID_CURRENT_DATA_SET:
		len = put_current(p, data, sizeof(data));
		break;
	case PTP_MID_PARENT_DATA_SET:
		len = ptp_ds_put_parent(data, sizeof(data), &p->parent);
		break;
	case PTP_MID_TIME_PROPERTIES_DATA_SET:
		len = ptp_ds_put_time_props(data, sizeof(data), &p->tprops);
		break;
	case PTP_MID_PORT_DATA_SET:
		/* §15.3.1: a port's data set from each port the target names
		 * (0xFFFF: every port); over the network, the receiving port. */
		for (i = 0; i < p->n_ports; i++) {
			struct ptp_port *q = &p->port[i];

			if (pt && q != pt)
				continue;
			if (mg->target.port != 0xFFFF && mg->target.port != q->id.port && !pt)
				continue;
			reply_init(p, pt, m, &r, &q->id);
			r.u.mgmt.data = data;
			r.u.mgmt.data_len = put_port(q, data, sizeof(data));
			send_reply(p, pt, &r, to);
		}
		return;
	default:
		reply_error(p, pt, m, to, source, PTP_MERR_NO_SUCH_ID);
		return;
	}
	reply_init(p, pt, m, &r, source);
	r.u.mgmt.data = data;
	r.u.mgmt.data_len = len;
	send_reply(p, pt, &r, to);
}

void ptp_mgmt_uds_input(struct ptp *p)
{
	uint8_t buf[PTP_MAX_MSG];
	int k;

	for (k = 0; k < 16; k++) {
		struct ptp_addr from;
		struct ptp_msg m;
		ssize_t n;

		memset(&from, 0, sizeof(from));
		from.len = sizeof(from.ss);
		n = recvfrom(p->uds_fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC,
			     (struct sockaddr *)&from.ss, &from.len);
		if (n < 0)
			return;
		if ((size_t)n > sizeof(buf) || ptp_msg_parse(buf, (size_t)n, &m) ||
		    m.h.type != PTP_MANAGEMENT) {
			p->mgmt_err++;
			LOG_RL(LOG_LVL_DEBUG, "ptp: dropped a malformed management request");
			continue;
		}
		ptp_mgmt_handle(p, NULL, &m, &from);
	}
}
