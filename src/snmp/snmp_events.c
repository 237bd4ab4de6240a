#include "snmp/snmp_events.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "snmp/snmp_ntp.h"

static const char *mode_name(enum snmp_mode m)
{
	switch (m) {
	case SNMP_MODE_NOT_RUNNING: return "notRunning";
	case SNMP_MODE_NOT_SYNC: return "notSynchronized";
	case SNMP_MODE_NONE_CONFIGURED: return "noneConfigured";
	case SNMP_MODE_SYNC_LOCAL: return "syncToLocal";
	case SNMP_MODE_SYNC_REFCLOCK: return "syncToRefclock";
	case SNMP_MODE_SYNC_REMOTE: return "syncToRemoteServer";
	case SNMP_MODE_UNKNOWN: break;
	}
	return "unknown";
}

static int64_t eff_stratum(const struct snmp_state *st)
{
	if (st->synchronised != 1 || st->stratum <= 0 || st->stratum >= 16)
		return 16;
	return st->stratum;
}

static const struct snmp_assoc *find(const struct snmp_state *st, uint32_t id)
{
	int i;

	for (i = 0; i < st->n_assoc; i++)
		if (st->assoc[i].id == id)
			return &st->assoc[i];
	return NULL;
}

struct sink {
	struct snmp_event *ev;
	int n, max;
};

static struct snmp_event *push(struct sink *k, bool gnomon, int n)
{
	struct snmp_event *e;

	if (k->n == k->max)
		return NULL;
	e = &k->ev[k->n++];
	memset(e, 0, sizeof(*e));
	e->gnomon = gnomon;
	e->n = n;
	return e;
}

static void diff_assocs(const struct snmp_state *old, const struct snmp_state *cur,
			struct sink *k, bool *changed)
{
	struct snmp_event *e;
	int i;

	for (i = 0; i < cur->n_assoc; i++) {
		const struct snmp_assoc *a = &cur->assoc[i];

		if (find(old, a->id))
			continue;
		*changed = true;
		e = push(k, false, SNMP_NTP_NOTIF_ADD_ASSOC);
		if (!e)
			return;
		e->assoc_id = a->id;
		snprintf(e->assoc_name, sizeof(e->assoc_name), "%s", a->name);
		snprintf(e->msg, sizeof(e->msg), "association %u (%.15s %.200s) added", a->id, a->mode,
			 a->name);
	}
	for (i = 0; i < old->n_assoc; i++) {
		const struct snmp_assoc *a = &old->assoc[i];

		if (find(cur, a->id))
			continue;
		*changed = true;
		e = push(k, false, SNMP_NTP_NOTIF_REMOVE_ASSOC);
		if (!e)
			return;
		e->assoc_id = a->id;
		snprintf(e->assoc_name, sizeof(e->assoc_name), "%s", a->name);
		snprintf(e->msg, sizeof(e->msg), "association %u (%.15s %.200s) removed", a->id, a->mode,
			 a->name);
	}
}

static void diff_gateway(const struct snmp_state *old, const struct snmp_state *cur,
			 struct sink *k)
{
	const struct snmp_gw_recv *a = &old->recv, *b = &cur->recv;
	struct snmp_event *e;

	if (!a->present || !b->present)
		return;
	if (a->silent >= 0 && b->silent >= 0 && a->silent != b->silent) {
		e = push(k, true, b->silent ? SNMP_GN_NOTIF_GW_SILENT : SNMP_GN_NOTIF_GW_RESUMED);
		if (e)
			snprintf(e->msg, sizeof(e->msg), b->silent ?
				 "gateway receiver silent for %.1f s" :
				 "gateway receiver receives again", b->since_last);
	}
	if (a->loss_alarm >= 0 && b->loss_alarm >= 0 && a->loss_alarm != b->loss_alarm) {
		e = push(k, true, b->loss_alarm ? SNMP_GN_NOTIF_GW_LOSS :
						  SNMP_GN_NOTIF_GW_LOSS_CLEARED);
		if (e)
			snprintf(e->msg, sizeof(e->msg), "gateway loss %.1f%% of the last 100 %s",
				 b->loss_percent, b->loss_alarm ? "over the limit" : "back in bounds");
	}
}

int snmp_events_diff(const struct snmp_state *prev, const struct snmp_state *last_ok,
		     const struct snmp_state *cur, struct snmp_event *ev, int max)
{
	struct sink k = { ev, 0, max };
	struct snmp_event *e;
	const struct snmp_assoc *p0, *p1;
	bool changed = false;

	if (prev) {
		enum snmp_mode m0 = snmp_state_mode(prev), m1 = snmp_state_mode(cur);

		if (m0 != m1 && (e = push(&k, false, SNMP_NTP_NOTIF_MODE)))
			snprintf(e->msg, sizeof(e->msg), "mode %s -> %s", mode_name(m0),
				 mode_name(m1));
		if (prev->reachable && !cur->reachable &&
		    (e = push(&k, true, SNMP_GN_NOTIF_UNREACHABLE)))
			snprintf(e->msg, sizeof(e->msg), "gnomond unreachable: %s", cur->error);
		if (!prev->reachable && cur->reachable &&
		    (e = push(&k, true, SNMP_GN_NOTIF_REACHABLE)))
			snprintf(e->msg, sizeof(e->msg), "gnomond answers again (pid %d)",
				 (int)cur->pid);
	}
	if (!cur->reachable || !last_ok || !last_ok->reachable)
		return k.n;
	if (eff_stratum(last_ok) != eff_stratum(cur) &&
	    (e = push(&k, false, SNMP_NTP_NOTIF_STRATUM)))
		snprintf(e->msg, sizeof(e->msg), "stratum %lld -> %lld",
			 (long long)eff_stratum(last_ok), (long long)eff_stratum(cur));
	p0 = snmp_state_syspeer(last_ok);
	p1 = snmp_state_syspeer(cur);
	if ((p0 ? p0->id : 0) != (p1 ? p1->id : 0) &&
	    (e = push(&k, false, SNMP_NTP_NOTIF_SYSPEER)))
		snprintf(e->msg, sizeof(e->msg), "sys peer %.100s -> %.100s", p0 ? p0->name : "none",
			 p1 ? p1->name : "none");
	diff_assocs(last_ok, cur, &k, &changed);
	if (last_ok->pid && cur->pid && last_ok->pid != cur->pid) {
		if ((e = push(&k, false, SNMP_NTP_NOTIF_CONFIG)))
			snprintf(e->msg, sizeof(e->msg), "gnomond restarted (pid %d -> %d)",
				 (int)last_ok->pid, (int)cur->pid);
	} else if ((changed || last_ok->recv.present != cur->recv.present ||
		    last_ok->n_senders != cur->n_senders) &&
		   (e = push(&k, false, SNMP_NTP_NOTIF_CONFIG))) {
		snprintf(e->msg, sizeof(e->msg), "configuration changed: %d sources, %d gateway "
			 "senders, gateway receiver %s", cur->n_assoc, cur->n_senders,
			 cur->recv.present ? "on" : "off");
	}
	if ((last_ok->leap != 1 && last_ok->leap != 2) && (cur->leap == 1 || cur->leap == 2) &&
	    (e = push(&k, false, SNMP_NTP_NOTIF_LEAP)))
		snprintf(e->msg, sizeof(e->msg), "leap second announced (%s)",
			 cur->leap == 1 ? "insert" : "delete");
	diff_gateway(last_ok, cur, &k);
	return k.n;
}

void snmp_alarm_track_init(struct snmp_alarm_track *tr)
{
	memset(tr, 0, sizeof(*tr));
	tr->newest = -INFINITY;
}

static int rule_index(const struct snmp_alarms *a, const char *name)
{
	int i;

	for (i = 0; i < a->n_rules; i++)
		if (!strcmp(a->rules[i].name, name))
			return i + 1;
	return 0;
}

int snmp_alarm_events(struct snmp_alarm_track *tr, const struct snmp_state *cur,
		      int64_t agent_start, struct snmp_event *ev, int max)
{
	const struct snmp_alarms *a = &cur->alarms;
	struct sink k = { ev, 0, max };
	double newest = -INFINITY, seen;
	int i;

	if (!cur->reachable || !a->present)
		return 0;
	if (!tr->init || (cur->pid && tr->pid && cur->pid != tr->pid)) {
		bool fresh = tr->init ||
			     (cur->start_time >= 0 && agent_start >= 0 &&
			      cur->start_time >= agent_start);

		tr->init = true;
		tr->pid = cur->pid;
		/* A new process's monotonic times are of the same clock, but
		 * none of its events has been seen. */
		tr->newest = fresh ? -INFINITY : INFINITY;
	}
	seen = tr->newest;
	for (i = 0; i < a->n_events; i++)
		if (a->events[i].t > newest)
			newest = a->events[i].t;
	for (i = a->n_events - 1; i >= 0; i--) {
		const struct snmp_alarm_event *x = &a->events[i];
		struct snmp_event *e;
		int row;

		if (!(x->t > seen + SNMP_ALARM_SLACK))
			continue;
		/* An event of a rule the table does not list has no row to
		 * point at: a reply that does not hold together. */
		row = rule_index(a, x->name);
		if (!row)
			continue;
		e = push(&k, true, x->cleared ? SNMP_GN_NOTIF_ALARM_CLEARED :
						 SNMP_GN_NOTIF_ALARM_RAISED);
		if (!e)
			break;
		e->alarm_index = (uint32_t)row;
		snprintf(e->alarm_name, sizeof(e->alarm_name), "%s", x->name);
		e->alarm_sev = x->sev;
		e->alarm_value = x->value;
		e->alarm_threshold = x->threshold;
		snprintf(e->msg, sizeof(e->msg), "%s", x->msg);
	}
	/* The baseline of a process seen first (seen = +inf) becomes its
	 * newest event; an empty list keeps -inf, so its first event is new. */
	if (isinf(seen) && seen > 0)
		tr->newest = newest;
	else if (newest > tr->newest)
		tr->newest = newest;
	return k.n;
}
