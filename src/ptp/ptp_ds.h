/* ptp_ds: the clock's and its ports' data sets (IEEE 1588-2019 §8.2) and
 * their encoding as MANAGEMENT TLV dataFields (§15.5.3), which pmc reads.
 * Pure: encoders write into a buffer and return the length, decoders check
 * the length (used by tests and by anything reading a peer's answer). */
#ifndef GNOMON_PTP_DS_H
#define GNOMON_PTP_DS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ptp/ptp_msg.h"

/* portState, §8.2.15.3.1 Table 20 */
enum ptp_port_state {
	PTP_PS_INITIALIZING = 1,
	PTP_PS_FAULTY = 2,
	PTP_PS_DISABLED = 3,
	PTP_PS_LISTENING = 4,
	PTP_PS_PRE_MASTER = 5,
	PTP_PS_MASTER = 6,
	PTP_PS_PASSIVE = 7,
	PTP_PS_UNCALIBRATED = 8,
	PTP_PS_SLAVE = 9,
};
/* "INITIALIZING" ... "SLAVE", as pmc prints them. */
const char *ptp_port_state_name(int state);

/* delayMechanism, §8.2.15.4.4 Table 21 */
enum ptp_delay_mech { PTP_DELAY_E2E = 1, PTP_DELAY_P2P = 2, PTP_DELAY_NONE = 0xFE };

/* timeSource, §7.6.2.8 Table 6 */
#define PTP_TS_ATOMIC_CLOCK	0x10
#define PTP_TS_GNSS		0x20
#define PTP_TS_TERRESTRIAL	0x30
#define PTP_TS_PTP		0x40
#define PTP_TS_NTP		0x50
#define PTP_TS_HAND_SET		0x60
#define PTP_TS_OTHER		0x90
#define PTP_TS_INTERNAL_OSC	0xA0

struct ptp_default_ds {
	bool two_step, slave_only;
	uint16_t num_ports;
	uint8_t priority1, priority2;
	struct ptp_clock_quality quality;
	struct ptp_clock_id identity;
	uint8_t domain;
};

struct ptp_current_ds {
	uint16_t steps_removed;
	int64_t offset_from_master;	/* scaled ns (TimeInterval, 2^-16 ns) */
	int64_t mean_path_delay;	/* scaled ns */
};

struct ptp_parent_ds {
	struct ptp_port_id parent;
	bool parent_stats;
	uint16_t obs_parent_offset_variance;
	int32_t obs_parent_phase_rate;
	uint8_t gm_priority1, gm_priority2;
	struct ptp_clock_quality gm_quality;
	struct ptp_clock_id gm_identity;
};

/* The parent data set of a clock that is its own grandmaster (§8.2.3). */
void ptp_parent_self(struct ptp_parent_ds *p, const struct ptp_default_ds *d);
/* The parent data set of a slave, from its master's Announce (sender
 * and body; §9.3.5 Table 33, S1). */
void ptp_parent_from_announce(struct ptp_parent_ds *p, const struct ptp_port_id *sender,
			      const struct ptp_announce *a);

struct ptp_time_props_ds {
	int16_t utc_offset;
	bool leap61, leap59, utc_offset_valid, ptp_timescale, time_traceable, freq_traceable;
	uint8_t time_source;
};

struct ptp_port_ds {
	struct ptp_port_id id;
	uint8_t state;			/* enum ptp_port_state */
	int8_t log_min_delay_req;
	int64_t peer_mean_path_delay;	/* scaled ns */
	int8_t log_announce;
	uint8_t announce_receipt_timeout;
	int8_t log_sync;
	uint8_t delay_mechanism;	/* enum ptp_delay_mech */
	int8_t log_min_pdelay_req;
	uint8_t version;		/* versionNumber: 2 */
};

/* Encoders: the dataField of the MANAGEMENT TLV for that managementId
 * (§15.5.3.3.1, .4.1, .4.2, .4.3, .5.1; each padded to an even length).
 * Return the length, 0 if cap is too small. */
size_t ptp_ds_put_default(uint8_t *p, size_t cap, const struct ptp_default_ds *d);
size_t ptp_ds_put_current(uint8_t *p, size_t cap, const struct ptp_current_ds *d);
size_t ptp_ds_put_parent(uint8_t *p, size_t cap, const struct ptp_parent_ds *d);
size_t ptp_ds_put_time_props(uint8_t *p, size_t cap, const struct ptp_time_props_ds *d);
size_t ptp_ds_put_port(uint8_t *p, size_t cap, const struct ptp_port_ds *d);
/* Decoders: 0, or -EINVAL when len is short for the data set. */
int ptp_ds_get_default(const uint8_t *p, size_t len, struct ptp_default_ds *d);
int ptp_ds_get_current(const uint8_t *p, size_t len, struct ptp_current_ds *d);
int ptp_ds_get_parent(const uint8_t *p, size_t len, struct ptp_parent_ds *d);
int ptp_ds_get_time_props(const uint8_t *p, size_t len, struct ptp_time_props_ds *d);
int ptp_ds_get_port(const uint8_t *p, size_t len, struct ptp_port_ds *d);

#endif
