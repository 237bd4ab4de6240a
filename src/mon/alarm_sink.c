/* alarm_sink: the journal and syslog sinks (see mon/alarm.h). Both write
 * the same record: code ALARM_RAISED or ALARM_CLEARED, fields alarm,
 * severity, prev (a raise that changed the severity), value, threshold,
 * and the message; syslog gets it in the journal's text format so that
 * one parser reads both. */
#include "mon/alarm.h"

#include <math.h>
#include <syslog.h>

#include "lib/journal.h"

static void event_fields(const struct alarm_event *ev, struct journal_fields *f)
{
	journal_fields_init(f);
	journal_field_str(f, "alarm", ev->name);
	journal_field_str(f, "severity", alarm_sev_name(ev->sev));
	if (ev->kind == ALARM_EV_RAISED && ev->prev_sev != ALARM_SEV_NONE)
		journal_field_str(f, "prev", alarm_sev_name(ev->prev_sev));
	if (!isnan(ev->value))
		journal_field_fmt(f, "value", "%.9g", ev->value);
	if (!isnan(ev->threshold))
		journal_field_fmt(f, "threshold", "%.9g", ev->threshold);
}

static const char *event_code(const struct alarm_event *ev)
{
	return ev->kind == ALARM_EV_RAISED ? "ALARM_RAISED" : "ALARM_CLEARED";
}

/* Severity of the record: a raise at its gravity (info is a notice: worth
 * reading, nothing to repair); a clear is a notice. The numbers are
 * syslog's (journal_sev follows them). */
static int event_priority(const struct alarm_event *ev)
{
	if (ev->kind == ALARM_EV_CLEARED)
		return LOG_NOTICE;
	switch (ev->sev) {
	case ALARM_SEV_CRITICAL:
		return LOG_CRIT;
	case ALARM_SEV_WARNING:
		return LOG_WARNING;
	default:
		return LOG_NOTICE;
	}
}

static void journal_event_cb(void *ctx, const struct alarm_event *ev)
{
	struct journal_fields f;

	event_fields(ev, &f);
	journal_event(ctx, (enum journal_sev)event_priority(ev), event_code(ev), &f, "%s",
		      ev->msg);
}

const struct alarm_sink_ops alarm_journal_sink = {
	.name = "journal", .raised = journal_event_cb, .cleared = journal_event_cb,
};

static void syslog_event_cb(void *ctx, const struct alarm_event *ev)
{
	const struct alarm_syslog *s = ctx;
	struct journal_fields f;
	char text[JOURNAL_TEXT_MAX];

	if (s->facility == ALARM_FACILITY_OFF)
		return;
	event_fields(ev, &f);
	journal_format_text(text, sizeof(text), event_code(ev), &f, ev->msg);
	/* The facility is given with every call: openlog()'s default belongs
	 * to whoever called it last (lib/log.c uses daemon). */
	syslog(s->facility | event_priority(ev), "%s", text);
}

const struct alarm_sink_ops alarm_syslog_sink = {
	.name = "syslog", .raised = syslog_event_cb, .cleared = syslog_event_cb,
};

void alarm_syslog_init(struct alarm_syslog *s, int facility, const char *ident)
{
	s->facility = facility;
	/* openlog()'s facility is the default of every syslog() call in the
	 * process that names none: lib/log.c's messages. Keep it daemon, as
	 * log.c sets it; the alarm facility travels with each alarm call. */
	if (ident && facility != ALARM_FACILITY_OFF)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}
