/* ptp_msg: IEEE 1588-2019 messages on the wire (ptp_msg.h). */
#include <stdio.h>
#include <string.h>

#include "lib/bytes.h"
#include "ptp/ptp_msg.h"

/* Body lengths after the 34-byte header (§13.5-13.11). */
#define ANNOUNCE_BODY 30
#define TS_BODY 10		/* Sync, Delay_Req, Follow_Up, Pdelay_Req (+10 reserved) */
#define PDELAY_REQ_BODY 20	/* originTimestamp + 10 reserved octets (§13.9) */
#define RESP_BODY 20		/* timestamp + requestingPortIdentity */
#define MGMT_BODY 14		/* targetPortIdentity, hops, action, reserved */
#define SIGNAL_BODY 10		/* targetPortIdentity */
#define TLV_HDR 4

static size_t body_len(unsigned type)
{
	switch (type) {
	case PTP_SYNC:
	case PTP_DELAY_REQ:
	case PTP_FOLLOW_UP:
		return TS_BODY;
	case PTP_PDELAY_REQ:
		return PDELAY_REQ_BODY;
	case PTP_DELAY_RESP:
	case PTP_PDELAY_RESP:
	case PTP_PDELAY_RESP_FUP:
		return RESP_BODY;
	case PTP_ANNOUNCE:
		return ANNOUNCE_BODY;
	case PTP_SIGNALING:
		return SIGNAL_BODY;
	case PTP_MANAGEMENT:
		return MGMT_BODY;
	default:
		return 0;
	}
}

static bool known_type(unsigned type)
{
	return body_len(type) != 0;
}

static void get_port_id(const uint8_t *p, struct ptp_port_id *id)
{
	memcpy(id->clock.id, p, 8);
	id->port = get_be16(p + 8);
}

static void put_port_id(uint8_t *p, const struct ptp_port_id *id)
{
	memcpy(p, id->clock.id, 8);
	put_be16(p + 8, id->port);
}

static int get_ts(const uint8_t *p, struct ptp_ts *t)
{
	t->sec = (uint64_t)get_be16(p) << 32 | get_be32(p + 2);
	t->ns = get_be32(p + 6);
	return t->ns < 1000000000u ? 0 : PTP_E_FIELD;
}

static void put_ts(uint8_t *p, const struct ptp_ts *t)
{
	put_be16(p, (uint16_t)(t->sec >> 32));
	put_be32(p + 2, (uint32_t)t->sec);
	put_be32(p + 6, t->ns);
}

/* §14.1: TLVs fill the rest of the message; each length is even and
 * within it. A Management message keeps its first management TLV. */
static int walk_tlvs(const uint8_t *p, size_t len, struct ptp_msg *m)
{
	size_t at = 0;

	while (at < len) {
		uint16_t type, tl;

		if (len - at < TLV_HDR)
			return PTP_E_TLV;
		type = get_be16(p + at);
		tl = get_be16(p + at + 2);
		if ((tl & 1) || tl > len - at - TLV_HDR)
			return PTP_E_TLV;
		if (m->h.type == PTP_MANAGEMENT && !m->u.mgmt.has_tlv &&
		    (type == PTP_TLV_MANAGEMENT || type == PTP_TLV_MANAGEMENT_ERROR)) {
			const uint8_t *v = p + at + TLV_HDR;

			if (tl < 2)
				return PTP_E_TLV;
			m->u.mgmt.has_tlv = true;
			m->u.mgmt.tlv_type = type;
			if (type == PTP_TLV_MANAGEMENT) {
				m->u.mgmt.id = get_be16(v);
				m->u.mgmt.data = v + 2;
				m->u.mgmt.data_len = tl - 2u;
			} else {
				/* §15.5.4.3: errorId, managementId, 4 reserved,
				 * then an optional displayData. */
				if (tl < 8)
					return PTP_E_TLV;
				m->u.mgmt.error = get_be16(v);
				m->u.mgmt.id = get_be16(v + 2);
				m->u.mgmt.data = v + 8;
				m->u.mgmt.data_len = tl - 8u;
			}
		}
		at += TLV_HDR + tl;
	}
	return PTP_OK;
}

int ptp_msg_parse(const uint8_t *buf, size_t len, struct ptp_msg *m)
{
	const uint8_t *b;
	size_t blen, mlen;
	int rc;

	memset(m, 0, sizeof(*m));
	if (len < PTP_HDR_LEN)
		return PTP_E_SHORT;
	if (len > PTP_MAX_MSG)
		return PTP_E_LENGTH;
	m->h.type = buf[0] & 0x0F;
	m->h.sdo_id = buf[0] >> 4;
	m->h.version = buf[1] & 0x0F;
	m->h.minor_version = buf[1] >> 4;
	if (m->h.version != PTP_VERSION)
		return PTP_E_VERSION;
	if (!known_type(m->h.type))
		return PTP_E_TYPE;
	m->h.length = get_be16(buf + 2);
	mlen = m->h.length;
	if (mlen > len || mlen < PTP_HDR_LEN)
		return PTP_E_LENGTH;
	blen = body_len(m->h.type);
	if (mlen < PTP_HDR_LEN + blen)
		return PTP_E_SHORT;
	m->h.domain = buf[4];
	m->h.minor_sdo_id = buf[5];
	m->h.flags = get_be16(buf + 6);
	m->h.correction = (int64_t)get_be64(buf + 8);
	get_port_id(buf + 20, &m->h.source);
	m->h.seq = get_be16(buf + 30);
	m->h.control = buf[32];
	m->h.log_interval = (int8_t)buf[33];
	b = buf + PTP_HDR_LEN;
	switch (m->h.type) {
	case PTP_SYNC:
	case PTP_DELAY_REQ:
	case PTP_FOLLOW_UP:
	case PTP_PDELAY_REQ:
		rc = get_ts(b, &m->u.origin);
		break;
	case PTP_DELAY_RESP:
	case PTP_PDELAY_RESP:
	case PTP_PDELAY_RESP_FUP:
		rc = get_ts(b, &m->u.resp.ts);
		get_port_id(b + 10, &m->u.resp.requesting);
		break;
	case PTP_ANNOUNCE: {
		struct ptp_announce *a = &m->u.announce;

		rc = get_ts(b, &a->origin);
		a->utc_offset = (int16_t)get_be16(b + 10);
		a->gm_priority1 = b[13];
		a->gm_quality.clock_class = b[14];
		a->gm_quality.accuracy = b[15];
		a->gm_quality.variance = get_be16(b + 16);
		a->gm_priority2 = b[18];
		memcpy(a->gm_identity.id, b + 19, 8);
		a->steps_removed = get_be16(b + 27);
		a->time_source = b[29];
		break;
	}
	case PTP_SIGNALING:
		get_port_id(b, &m->u.target);
		rc = PTP_OK;
		break;
	default: /* PTP_MANAGEMENT */
		get_port_id(b, &m->u.mgmt.target);
		m->u.mgmt.starting_hops = b[10];
		m->u.mgmt.hops = b[11];
		m->u.mgmt.action = b[12] & 0x0F;
		rc = PTP_OK;
		break;
	}
	if (rc)
		return rc;
	return walk_tlvs(b + blen, mlen - PTP_HDR_LEN - blen, m);
}

const char *ptp_parse_err_name(int err)
{
	switch (err) {
	case PTP_OK: return "ok";
	case PTP_E_SHORT: return "short";
	case PTP_E_VERSION: return "version";
	case PTP_E_LENGTH: return "length";
	case PTP_E_TYPE: return "type";
	case PTP_E_TLV: return "tlv";
	case PTP_E_FIELD: return "field";
	default: return "?";
	}
}

const char *ptp_msgtype_name(unsigned type)
{
	static const char *const names[16] = {
		"SYNC", "DELAY_REQ", "PDELAY_REQ", "PDELAY_RESP", "RESERVED_4", "RESERVED_5",
		"RESERVED_6", "RESERVED_7", "FOLLOW_UP", "DELAY_RESP", "PDELAY_RESP_FOLLOW_UP",
		"ANNOUNCE", "SIGNALING", "MANAGEMENT", "RESERVED_E", "RESERVED_F",
	};

	return names[type & 15];
}

/* controlField, §13.3.2.13 Table 41 (kept for version 1 hardware). */
static uint8_t control_of(unsigned type)
{
	switch (type) {
	case PTP_SYNC: return 0;
	case PTP_DELAY_REQ: return 1;
	case PTP_FOLLOW_UP: return 2;
	case PTP_DELAY_RESP: return 3;
	case PTP_MANAGEMENT: return 4;
	default: return 5;
	}
}

size_t ptp_msg_encode(uint8_t *buf, size_t cap, const struct ptp_msg *m)
{
	size_t blen = body_len(m->h.type), len = PTP_HDR_LEN + blen, tl = 0;
	uint8_t *b = buf + PTP_HDR_LEN;

	if (!known_type(m->h.type))
		return 0;
	if (m->h.type == PTP_MANAGEMENT && m->u.mgmt.has_tlv) {
		tl = m->u.mgmt.tlv_type == PTP_TLV_MANAGEMENT_ERROR ? 8 : 2 + m->u.mgmt.data_len;
		if (m->u.mgmt.tlv_type == PTP_TLV_MANAGEMENT_ERROR)
			tl += m->u.mgmt.data_len;
		tl += tl & 1;
		len += TLV_HDR + tl;
	}
	if (len > cap || len > PTP_MAX_MSG)
		return 0;
	memset(buf, 0, len);
	buf[0] = (uint8_t)((m->h.sdo_id & 0x0F) << 4 | (m->h.type & 0x0F));
	buf[1] = (uint8_t)((m->h.minor_version & 0x0F) << 4 | PTP_VERSION);
	put_be16(buf + 2, (uint16_t)len);
	buf[4] = m->h.domain;
	buf[5] = m->h.minor_sdo_id;
	put_be16(buf + 6, m->h.flags);
	put_be64(buf + 8, (uint64_t)m->h.correction);
	put_port_id(buf + 20, &m->h.source);
	put_be16(buf + 30, m->h.seq);
	buf[32] = control_of(m->h.type);
	buf[33] = (uint8_t)m->h.log_interval;
	switch (m->h.type) {
	case PTP_SYNC:
	case PTP_DELAY_REQ:
	case PTP_FOLLOW_UP:
	case PTP_PDELAY_REQ:
		put_ts(b, &m->u.origin);
		break;
	case PTP_DELAY_RESP:
	case PTP_PDELAY_RESP:
	case PTP_PDELAY_RESP_FUP:
		put_ts(b, &m->u.resp.ts);
		put_port_id(b + 10, &m->u.resp.requesting);
		break;
	case PTP_ANNOUNCE: {
		const struct ptp_announce *a = &m->u.announce;

		put_ts(b, &a->origin);
		put_be16(b + 10, (uint16_t)a->utc_offset);
		b[13] = a->gm_priority1;
		b[14] = a->gm_quality.clock_class;
		b[15] = a->gm_quality.accuracy;
		put_be16(b + 16, a->gm_quality.variance);
		b[18] = a->gm_priority2;
		memcpy(b + 19, a->gm_identity.id, 8);
		put_be16(b + 27, a->steps_removed);
		b[29] = a->time_source;
		break;
	}
	case PTP_SIGNALING:
		put_port_id(b, &m->u.target);
		break;
	default: { /* PTP_MANAGEMENT */
		const struct ptp_mgmt *g = &m->u.mgmt;
		uint8_t *t = b + MGMT_BODY;

		put_port_id(b, &g->target);
		b[10] = g->starting_hops;
		b[11] = g->hops;
		b[12] = g->action & 0x0F;
		if (!g->has_tlv)
			break;
		put_be16(t, g->tlv_type);
		put_be16(t + 2, (uint16_t)tl);
		if (g->tlv_type == PTP_TLV_MANAGEMENT_ERROR) {
			put_be16(t + 4, g->error);
			put_be16(t + 6, g->id);
			if (g->data_len)
				memcpy(t + 12, g->data, g->data_len);
		} else {
			put_be16(t + 4, g->id);
			if (g->data_len)
				memcpy(t + 6, g->data, g->data_len);
		}
		break;
	}
	}
	return len;
}

gt_ns ptp_ts_to_ns(const struct ptp_ts *t)
{
	return (gt_ns)t->sec * GT_NS_PER_S + t->ns;
}

struct ptp_ts ptp_ts_from_ns(gt_ns ns)
{
	struct ptp_ts t;

	if (ns < 0)
		ns = 0;
	t.sec = (uint64_t)(ns / GT_NS_PER_S);
	t.ns = (uint32_t)(ns % GT_NS_PER_S);
	return t;
}

gt_ns ptp_corr_to_ns(int64_t corr)
{
	if (corr == INT64_MAX)
		return INT64_MAX;
	/* Round half away from zero: an arithmetic shift alone would floor. */
	return corr >= 0 ? (corr + 0x8000) >> 16 : -((-corr + 0x8000) >> 16);
}

int64_t ptp_corr_from_ns(gt_ns ns)
{
	if (ns > INT64_MAX >> 16 || ns < -(INT64_MAX >> 16))
		return INT64_MAX;
	return ns * 65536;
}

bool ptp_clock_id_eq(const struct ptp_clock_id *a, const struct ptp_clock_id *b)
{
	return !memcmp(a->id, b->id, 8);
}

bool ptp_port_id_eq(const struct ptp_port_id *a, const struct ptp_port_id *b)
{
	return ptp_clock_id_eq(&a->clock, &b->clock) && a->port == b->port;
}

char *ptp_port_id_str(const struct ptp_clock_id *c, int port, char *buf, size_t len)
{
	const uint8_t *i = c->id;

	if (port < 0)
		snprintf(buf, len, "%02x%02x%02x.%02x%02x.%02x%02x%02x", i[0], i[1], i[2], i[3], i[4],
			 i[5], i[6], i[7]);
	else
		snprintf(buf, len, "%02x%02x%02x.%02x%02x.%02x%02x%02x-%d", i[0], i[1], i[2], i[3],
			 i[4], i[5], i[6], i[7], port);
	return buf;
}

void ptp_clock_id_from_mac(struct ptp_clock_id *c, const uint8_t mac[6])
{
	c->id[0] = mac[0];
	c->id[1] = mac[1];
	c->id[2] = mac[2];
	c->id[3] = 0xFF;
	c->id[4] = 0xFE;
	c->id[5] = mac[3];
	c->id[6] = mac[4];
	c->id[7] = mac[5];
}
