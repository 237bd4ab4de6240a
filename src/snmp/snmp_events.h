/* snmp_events: the notifications a new poll of gnomond calls for,
 * found by comparing it with the polls before it (RFC 5907 §Section 5 and
 * GNOMON-MIB). Pure; sending them is the agent's job. */
#ifndef GNOMON_SNMP_EVENTS_H
#define GNOMON_SNMP_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "snmp/snmp_model.h"

/* GNOMON-MIB notifications (gnomonNotifications n). */
enum snmp_gnomon_notif {
	SNMP_GN_NOTIF_UNREACHABLE = 1,
	SNMP_GN_NOTIF_REACHABLE = 2,
	SNMP_GN_NOTIF_GW_SILENT = 3,
	SNMP_GN_NOTIF_GW_RESUMED = 4,
	SNMP_GN_NOTIF_GW_LOSS = 5,
	SNMP_GN_NOTIF_GW_LOSS_CLEARED = 6,
};

struct snmp_event {
	bool gnomon;			/* GNOMON-MIB (else NTPv4-MIB) */
	int n;				/* notification number in its MIB */
	uint32_t assoc_id;		/* Add/RemoveAssociation */
	char assoc_name[SNMP_STR];
	char msg[SNMP_STR * 2];		/* ntpEntNotifMessage */
};

#define SNMP_MAX_EVENTS (8 + 2 * SNMP_MAX_ASSOC)

/* Events for cur given prev (the poll before, NULL at the first one) and
 * last_ok (the last poll that reached gnomond, NULL if none). State that
 * can only be compared between two answers of gnomond (stratum, sys peer,
 * associations, leap, gateway) is compared with last_ok, so an outage in
 * between shows as mode changes, not as every association removed and
 * added again. Returns the number written to ev (at most max). */
int snmp_events_diff(const struct snmp_state *prev, const struct snmp_state *last_ok,
		     const struct snmp_state *cur, struct snmp_event *ev, int max);

#endif
