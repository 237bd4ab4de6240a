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
	SNMP_GN_NOTIF_ALARM_RAISED = 7,
	SNMP_GN_NOTIF_ALARM_CLEARED = 8,
};

struct snmp_event {
	bool gnomon;			/* GNOMON-MIB (else NTPv4-MIB) */
	int n;				/* notification number in its MIB */
	uint32_t assoc_id;		/* Add/RemoveAssociation */
	char assoc_name[SNMP_STR];
	char msg[SNMP_STR * 2];		/* ntpEntNotifMessage, gnomonAlarmMessage */
	/* gnomonAlarmRaised/Cleared: the rule's row and the event's values
	 * (not the row's current ones). */
	uint32_t alarm_index;
	char alarm_name[32];
	int alarm_sev;			/* enum snmp_alarm_sev */
	double alarm_value, alarm_threshold;	/* NaN: unknown */
};

#define SNMP_MAX_EVENTS (8 + 2 * SNMP_MAX_ASSOC + SNMP_MAX_ALARM_EVENTS)

/* Events for cur given prev (the poll before, NULL at the first one) and
 * last_ok (the last poll that reached gnomond, NULL if none). State that
 * can only be compared between two answers of gnomond (stratum, sys peer,
 * associations, leap, gateway) is compared with last_ok, so an outage in
 * between shows as mode changes, not as every association removed and
 * added again. Returns the number written to ev (at most max). */
int snmp_events_diff(const struct snmp_state *prev, const struct snmp_state *last_ok,
		     const struct snmp_state *cur, struct snmp_event *ev, int max);

/* Which alarm events of gnomond have been turned into notifications. An
 * event is told by its monotonic time (from its "age"), name and kind;
 * gnomond evaluates its alarms once a second and answers the control socket
 * between evaluations, so the events of one evaluation are all in a reply
 * or none is, and the next evaluation's are a second later: everything
 * newer than the newest event already seen (by more than the slack of two
 * age readings) is new. */
#define SNMP_ALARM_SLACK 0.5		/* s */
struct snmp_alarm_track {
	bool init;			/* a process of gnomond has been seen */
	pid_t pid;
	double newest;			/* monotonic s; -inf: none yet */
};
void snmp_alarm_track_init(struct snmp_alarm_track *tr);

/* gnomonAlarmRaised/Cleared for the events in cur->alarms newer than the
 * last seen, oldest first. agent_start: Unix s when gnomon-snmp started.
 * A process of gnomond seen for the first time gives nothing for the events
 * it already lists if it was running before gnomon-snmp started (a previous
 * gnomon-snmp may have sent them; its alarms already active are in
 * gnomonAlarmTable), and all of them if it started since (a restart of
 * gnomond while gnomon-snmp ran, or gnomond started after it): no event of
 * a new process can have been sent before. Returns the number written. */
int snmp_alarm_events(struct snmp_alarm_track *tr, const struct snmp_state *cur,
		      int64_t agent_start, struct snmp_event *ev, int max);

#endif
