/* snmp_agent: the net-snmp side of gnomon-snmp. It polls gnomond's control
 * socket (cached for cache_ms so that a walk costs gnomond one set of
 * requests, not one per object), serves NTPv4-MIB and GNOMON-MIB from the
 * pure model (snmp_ntp, snmp_gnomon) and sends the notifications that
 * snmp_events finds between polls. The only file that includes net-snmp. */
#ifndef GNOMON_SNMP_AGENT_H
#define GNOMON_SNMP_AGENT_H

#include <stdint.h>

struct snmp_agent_cfg {
	const char *ctl_path;		/* gnomond's control socket */
	const char *agentx;		/* master's AgentX socket, NULL: net-snmp default */
	int cache_ms;			/* how long one poll's values are served */
	int timeout_ms;			/* control socket reply timeout */
	uint32_t heartbeat;		/* ntpEntHeartbeatInterval, s */
	uint16_t notif_bits;		/* ntpEntNotifBits */
	const char *version;
};

/* Register with the master and run until SIGTERM/SIGINT. Returns the exit
 * status. */
int snmp_agent_run(const struct snmp_agent_cfg *cfg);

#endif
