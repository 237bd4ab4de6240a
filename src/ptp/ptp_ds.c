/* ptp_ds: data sets and their MANAGEMENT dataFields (ptp_ds.h). */
#include <errno.h>
#include <string.h>

#include "lib/bytes.h"
#include "ptp/ptp_ds.h"

/* dataField lengths, §15.5.3 (all even: no pad octet). */
#define DEFAULT_LEN 20
#define CURRENT_LEN 18
#define PARENT_LEN 32
#define TPROPS_LEN 4
#define PORT_LEN 26

const char *ptp_port_state_name(int state)
{
	static const char *const names[] = {
		"?", "INITIALIZING", "FAULTY", "DISABLED", "LISTENING", "PRE_MASTER", "MASTER",
		"PASSIVE", "UNCALIBRATED", "SLAVE",
	};

	return state >= 1 && state <= 9 ? names[state] : "?";
}

static void put_quality(uint8_t *p, const struct ptp_clock_quality *q)
{
	p[0] = q->clock_class;
	p[1] = q->accuracy;
	put_be16(p + 2, q->variance);
}

static void get_quality(const uint8_t *p, struct ptp_clock_quality *q)
{
	q->clock_class = p[0];
	q->accuracy = p[1];
	q->variance = get_be16(p + 2);
}

/* §15.5.3.3.1 */
size_t ptp_ds_put_default(uint8_t *p, size_t cap, const struct ptp_default_ds *d)
{
	if (cap < DEFAULT_LEN)
		return 0;
	memset(p, 0, DEFAULT_LEN);
	p[0] = (uint8_t)((d->two_step ? 1 : 0) | (d->slave_only ? 2 : 0));
	put_be16(p + 2, d->num_ports);
	p[4] = d->priority1;
	put_quality(p + 5, &d->quality);
	p[9] = d->priority2;
	memcpy(p + 10, d->identity.id, 8);
	p[18] = d->domain;
	return DEFAULT_LEN;
}

int ptp_ds_get_default(const uint8_t *p, size_t len, struct ptp_default_ds *d)
{
	if (len < DEFAULT_LEN)
		return -EINVAL;
	d->two_step = p[0] & 1;
	d->slave_only = p[0] & 2;
	d->num_ports = get_be16(p + 2);
	d->priority1 = p[4];
	get_quality(p + 5, &d->quality);
	d->priority2 = p[9];
	memcpy(d->identity.id, p + 10, 8);
	d->domain = p[18];
	return 0;
}

/* §15.5.3.4.1 */
size_t ptp_ds_put_current(uint8_t *p, size_t cap, const struct ptp_current_ds *d)
{
	if (cap < CURRENT_LEN)
		return 0;
	put_be16(p, d->steps_removed);
	put_be64(p + 2, (uint64_t)d->offset_from_master);
	put_be64(p + 10, (uint64_t)d->mean_path_delay);
	return CURRENT_LEN;
}

int ptp_ds_get_current(const uint8_t *p, size_t len, struct ptp_current_ds *d)
{
	if (len < CURRENT_LEN)
		return -EINVAL;
	d->steps_removed = get_be16(p);
	d->offset_from_master = (int64_t)get_be64(p + 2);
	d->mean_path_delay = (int64_t)get_be64(p + 10);
	return 0;
}

/* §15.5.3.4.2 */
size_t ptp_ds_put_parent(uint8_t *p, size_t cap, const struct ptp_parent_ds *d)
{
	if (cap < PARENT_LEN)
		return 0;
	memset(p, 0, PARENT_LEN);
	memcpy(p, d->parent.clock.id, 8);
	put_be16(p + 8, d->parent.port);
	p[10] = d->parent_stats ? 1 : 0;
	put_be16(p + 12, d->obs_parent_offset_variance);
	put_be32(p + 14, (uint32_t)d->obs_parent_phase_rate);
	p[18] = d->gm_priority1;
	put_quality(p + 19, &d->gm_quality);
	p[23] = d->gm_priority2;
	memcpy(p + 24, d->gm_identity.id, 8);
	return PARENT_LEN;
}

int ptp_ds_get_parent(const uint8_t *p, size_t len, struct ptp_parent_ds *d)
{
	if (len < PARENT_LEN)
		return -EINVAL;
	memcpy(d->parent.clock.id, p, 8);
	d->parent.port = get_be16(p + 8);
	d->parent_stats = p[10] & 1;
	d->obs_parent_offset_variance = get_be16(p + 12);
	d->obs_parent_phase_rate = (int32_t)get_be32(p + 14);
	d->gm_priority1 = p[18];
	get_quality(p + 19, &d->gm_quality);
	d->gm_priority2 = p[23];
	memcpy(d->gm_identity.id, p + 24, 8);
	return 0;
}

/* §15.5.3.5.1 */
size_t ptp_ds_put_time_props(uint8_t *p, size_t cap, const struct ptp_time_props_ds *d)
{
	if (cap < TPROPS_LEN)
		return 0;
	put_be16(p, (uint16_t)d->utc_offset);
	p[2] = (uint8_t)((d->leap61 ? 0x01 : 0) | (d->leap59 ? 0x02 : 0) |
			 (d->utc_offset_valid ? 0x04 : 0) | (d->ptp_timescale ? 0x08 : 0) |
			 (d->time_traceable ? 0x10 : 0) | (d->freq_traceable ? 0x20 : 0));
	p[3] = d->time_source;
	return TPROPS_LEN;
}

int ptp_ds_get_time_props(const uint8_t *p, size_t len, struct ptp_time_props_ds *d)
{
	if (len < TPROPS_LEN)
		return -EINVAL;
	d->utc_offset = (int16_t)get_be16(p);
	d->leap61 = p[2] & 0x01;
	d->leap59 = p[2] & 0x02;
	d->utc_offset_valid = p[2] & 0x04;
	d->ptp_timescale = p[2] & 0x08;
	d->time_traceable = p[2] & 0x10;
	d->freq_traceable = p[2] & 0x20;
	d->time_source = p[3];
	return 0;
}

/* §15.5.3.6.1 (versionNumber: versionPTP in the low nibble) */
size_t ptp_ds_put_port(uint8_t *p, size_t cap, const struct ptp_port_ds *d)
{
	if (cap < PORT_LEN)
		return 0;
	memcpy(p, d->id.clock.id, 8);
	put_be16(p + 8, d->id.port);
	p[10] = d->state;
	p[11] = (uint8_t)d->log_min_delay_req;
	put_be64(p + 12, (uint64_t)d->peer_mean_path_delay);
	p[20] = (uint8_t)d->log_announce;
	p[21] = d->announce_receipt_timeout;
	p[22] = (uint8_t)d->log_sync;
	p[23] = d->delay_mechanism;
	p[24] = (uint8_t)d->log_min_pdelay_req;
	p[25] = d->version & 0x0F;
	return PORT_LEN;
}

int ptp_ds_get_port(const uint8_t *p, size_t len, struct ptp_port_ds *d)
{
	if (len < PORT_LEN)
		return -EINVAL;
	memcpy(d->id.clock.id, p, 8);
	d->id.port = get_be16(p + 8);
	d->state = p[10];
	d->log_min_delay_req = (int8_t)p[11];
	d->peer_mean_path_delay = (int64_t)get_be64(p + 12);
	d->log_announce = (int8_t)p[20];
	d->announce_receipt_timeout = p[21];
	d->log_sync = (int8_t)p[22];
	d->delay_mechanism = p[23];
	d->log_min_pdelay_req = (int8_t)p[24];
	d->version = p[25] & 0x0F;
	return 0;
}

/* The parent data set of parent port `parent` and grandmaster gm
 * (§8.2.3); the observed variance and phase rate unknown (§8.2.3.4-5). */
static void parent_set(struct ptp_parent_ds *p, const struct ptp_port_id *parent,
		       const struct ptp_clock_id *gm, uint8_t priority1, uint8_t priority2,
		       const struct ptp_clock_quality *quality)
{
	memset(p, 0, sizeof(*p));
	p->parent = *parent;
	p->gm_identity = *gm;
	p->gm_priority1 = priority1;
	p->gm_priority2 = priority2;
	p->gm_quality = *quality;
	p->obs_parent_offset_variance = 0xFFFF;
	p->obs_parent_phase_rate = 0x7FFFFFFF;
}

void ptp_parent_self(struct ptp_parent_ds *p, const struct ptp_default_ds *d)
{
	struct ptp_port_id self = { .clock = d->identity };

	parent_set(p, &self, &d->identity, d->priority1, d->priority2, &d->quality);
}

void ptp_parent_from_announce(struct ptp_parent_ds *p, const struct ptp_port_id *sender,
			      const struct ptp_announce *a)
{
	parent_set(p, sender, &a->gm_identity, a->gm_priority1, a->gm_priority2, &a->gm_quality);
}
