/* ptp_conf: the `ptp-port` directive (one line per port; the clock's data
 * set is one, so domain and priorities must agree across lines) and
 * `ptp-uds` (where pmc finds the management socket). */
#ifndef GNOMON_PTP_CONF_H
#define GNOMON_PTP_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>

#include "ptp/ptp_ds.h"
#include "ptp/ptp_net.h"

#define PTP_MAX_PORTS 8

enum ptp_role { PTP_ROLE_AUTO, PTP_ROLE_MASTER, PTP_ROLE_SLAVE };

/* Who turns a slave's measurements into clock corrections: the sync core
 * (its filter, selection and discipline, as every other source), or a PI
 * servo that behaves as linuxptp's (ptp_pi.h), kept for comparison: it
 * adjusts the clock directly, per Sync, as ptp4l does, and the core then
 * has no source (`ptp-servo`). */
enum ptp_servo { PTP_SERVO_CORE, PTP_SERVO_PI };

struct ptp_port_cfg {
	char ifname[IF_NAMESIZE];
	enum ptp_transport transport;	/* default udp4 */
	enum ptp_delay_mech delay;	/* default e2e */
	enum ptp_role role;		/* default auto (BMCA decides) */
	enum ptp_tsmode tsmode;		/* default software */
	int8_t log_sync, log_announce, log_delayreq, log_pdelay;	/* 0, 1, 0, 0 */
	uint8_t announce_timeout;	/* announceReceiptTimeout: 3 */
	uint16_t event_port, general_port;	/* 319, 320 (tests may move them) */
};

/* `ptp-tc IFACE IFACE... [transport udp4|udp6|l2]`: an E2E transparent
 * clock between the interfaces (ptp_tc.h). */
struct ptp_tc_cfg {
	char ifname[PTP_MAX_PORTS][IF_NAMESIZE];
	int n;				/* 0: no transparent clock */
	enum ptp_transport transport;	/* default udp4 */
};

struct ptp_cfg {
	struct ptp_port_cfg port[PTP_MAX_PORTS];
	int n_ports;
	uint8_t domain, priority1, priority2;	/* 0, 128, 128 */
	bool have_clock;		/* domain and priorities set by a first line */
	char uds[108];			/* management socket; "" = next to the control socket */
	enum ptp_servo servo;		/* default core */
	struct ptp_tc_cfg tc;
};

struct conf_ctx;

/* One `ptp-port IFACE [transport udp4|udp6|l2] [delay e2e|p2p] [domain N]
 * [role auto|master|slave] [priority1 N] [priority2 N] [sync-interval LOG]
 * [announce-interval LOG] [delayreq-interval LOG] [pdelayreq-interval LOG]
 * [announce-timeout N] [timestamping software|hardware] [event-port N]
 * [general-port N]` line, added to *cfg. 0, or -1 with the error
 * reported through ctx (file:line, what is allowed). */
int ptp_conf_parse_port(struct conf_ctx *ctx, int argc, char **argv, struct ptp_cfg *cfg);
const char *ptp_role_name(enum ptp_role r);
/* One `ptp-tc IFACE IFACE... [transport udp4|udp6|l2]` line (once; not
 * with ptp-port lines on the same interfaces). 0 or -1 as above. */
int ptp_conf_parse_tc(struct conf_ctx *ctx, int argc, char **argv, struct ptp_cfg *cfg);

#endif
