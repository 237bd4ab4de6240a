/* alarm: gnomond's alarm rules, their state machines and the sinks that
 * hear about them. See doc/alarms.md.
 *
 * Each rule reads one measurement from struct alarm_inputs and has up to
 * three levels (info, warning, critical), each a threshold the value must
 * reach. As in ptpd's alarm table an alarm goes unset -> raised ->
 * cleared (-> raised ...):
 *  - raise (or escalate) to level L once the value has met L's threshold
 *    at every evaluation for at least minage seconds;
 *  - clear (or fall back a level) once the value has been below the hold
 *    threshold for at least minage seconds. The hold threshold of the
 *    lowest level is `clear` (hysteresis); a higher level holds down to
 *    its threshold times clear / lowest threshold.
 * A value that crosses a threshold back and forth faster than minage
 * therefore never raises and never clears. An unknown input (the feature
 * is not in use, or not measured yet) never raises; it counts as below the
 * hold threshold, so a raised alarm whose input vanishes clears after
 * minage.
 *
 * The engine is pure with respect to time: alarm_eval() is given the
 * monotonic time, never reads a clock and does no I/O but through the
 * sinks. Single-threaded: gnomond's main loop owns it. */
#ifndef GNOMON_ALARM_H
#define GNOMON_ALARM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/gtime.h"

enum alarm_id {
	ALARM_OFFSET,		/* |system offset|, seconds */
	ALARM_JITTER,		/* system jitter, seconds */
	ALARM_NO_SELECTABLE,	/* no selectable source */
	ALARM_UNSYNC,		/* the clock is not synchronised */
	ALARM_STRATUM_CHANGE,	/* transient: |stratum change| */
	ALARM_LEAP_PENDING,	/* a leap second is announced */
	ALARM_GW_SILENT,	/* the gateway receiver hears no valid message */
	ALARM_GW_LOSS,		/* gateway loss ratio 0..1 */
	ALARM_AUTH_FAILURES,	/* authentication failures in the window */
	ALARM_REPLAYS,		/* replayed messages in the window */
	ALARM_JOURNAL_LOSS,	/* journal records lost in the window */
	ALARM_RATELIMIT_STORM,	/* rate-limited (dropped) requests in the window */
	ALARM_PARTNER_LOST,	/* the hot-standby partner's heartbeats stopped */
	ALARM_PARTNER_DISAGREE,	/* |mutual offset| with the hot-standby partner, seconds */
	ALARM_COUNT
};

/* NONE is "not raised"; the others are ordered by gravity. */
enum alarm_sev { ALARM_SEV_NONE, ALARM_SEV_INFO, ALARM_SEV_WARNING, ALARM_SEV_CRITICAL };
#define ALARM_LEVELS 3		/* info, warning, critical: thr[sev - 1] */

/* Alarm states as in ptpd: never raised, raised now, raised before. */
enum alarm_state { ALARM_UNSET, ALARM_RAISED, ALARM_CLEARED };

/* ---- inputs: what gnomond measures; known = false when not measured
 * (a zeroed struct alarm_inputs is all unknown) ---- */

struct alarm_val { bool known; double v; };
struct alarm_flag { bool known; bool on; };
struct alarm_ctr { bool known; uint64_t n; };	/* monotonic counter */

struct alarm_inputs {
	struct alarm_val offset;	/* s, signed; |offset| is compared */
	struct alarm_val jitter;	/* s */
	struct alarm_val selectable;	/* number of selectable sources */
	struct alarm_flag synced;	/* offset and jitter are ignored when known and false */
	struct alarm_val stratum;	/* 1..15; 0 or >= 16: unsynchronised, no change counted */
	struct alarm_flag leap_pending;
	struct alarm_flag gw_silent;
	struct alarm_val gw_loss;	/* ratio 0..1 */
	struct alarm_ctr auth_failures;
	struct alarm_ctr replays;
	struct alarm_ctr journal_lost;
	struct alarm_ctr ratelimit_drops;
	struct alarm_flag partner_lost;	/* hot standby (standby/standby.h) */
	struct alarm_val partner_offset;	/* s, signed; |offset| is compared */
};

/* ---- configuration ---- */

struct alarm_rule_cfg {
	bool enabled;
	double thr[ALARM_LEVELS];	/* NAN: level not used */
	double clear;			/* NAN: derived (lowest threshold x the rule's ratio) */
	double minage;			/* s */
	double window;			/* s; counter rules */
};

#define ALARM_FACILITY_OFF (-1)

struct alarm_cfg {
	struct alarm_rule_cfg rule[ALARM_COUNT];
	int syslog_facility;		/* LOG_xxx value (facility << 3), or ALARM_FACILITY_OFF */
};

/* The defaults of every rule (doc/alarms.md says why), syslog facility ntp. */
void alarm_cfg_defaults(struct alarm_cfg *cfg);
/* The hold threshold of the lowest level: clear or the derived one. */
double alarm_rule_clear(enum alarm_id id, const struct alarm_rule_cfg *rc);

struct conf_ctx;
/* `alarm NAME [info X|off] [warn X|off] [crit X|off] [clear X] [minage S]
 * [window S] [off|on]` (yes/no rules take `info`, `warn` or `crit` without
 * a value: the severity). Applies to cfg only when the whole line is valid.
 * 0, or -EINVAL with the error recorded (FILE:LINE, allowed names). */
int alarm_conf_parse(struct conf_ctx *ctx, int argc, char **argv, struct alarm_cfg *cfg);
/* `alarmsyslog FACILITY|off`; FACILITY one of daemon, ntp, local0..local7,
 * user, ... */
int alarm_conf_parse_syslog(struct conf_ctx *ctx, int argc, char **argv,
			    struct alarm_cfg *cfg);
/* Facility name of a LOG_xxx facility value ("ntp" for 12 << 3), or NULL. */
const char *alarm_facility_name(int facility);

/* ---- names ---- */

const char *alarm_name(enum alarm_id id);		/* "offset", ... */
const char *alarm_sev_name(enum alarm_sev sev);	/* "none", "info", "warning", "critical" */
const char *alarm_state_name(enum alarm_state st);	/* "unset", "raised", "cleared" */
/* ALARM_COUNT if unknown. */
enum alarm_id alarm_id_from_name(const char *name);

/* ---- sinks ---- */

enum alarm_ev_kind { ALARM_EV_RAISED, ALARM_EV_CLEARED };

#define ALARM_MSG_MAX 160

struct alarm_event {
	enum alarm_id id;
	const char *name;
	enum alarm_ev_kind kind;
	/* Raised: the new severity (an escalation or a fall back a level is
	 * also a raise) and the one before (NONE: newly raised). Cleared: the
	 * severity it had, and prev_sev = the same. */
	enum alarm_sev sev, prev_sev;
	double value;		/* the rule's value at the transition */
	double threshold;	/* raised: the level's threshold; cleared: the hold threshold */
	gt_ns t_mono;
	const char *msg;	/* in words, with units */
};

/* A sink: the journal, syslog, SNMP traps, ... Callbacks run inside
 * alarm_eval(), on the caller's thread; they must not call back into the
 * engine. Either callback may be NULL. */
struct alarm_sink_ops {
	const char *name;
	void (*raised)(void *ctx, const struct alarm_event *ev);
	void (*cleared)(void *ctx, const struct alarm_event *ev);
};

/* Journal sink: ctx is a struct journal *. Records ALARM_RAISED and
 * ALARM_CLEARED with fields alarm, severity, prev, value, threshold. */
extern const struct alarm_sink_ops alarm_journal_sink;

/* Syslog sink through syslog(3): ctx is a struct alarm_syslog. Priority:
 * critical LOG_CRIT, warning LOG_WARNING, info LOG_NOTICE; a clear
 * LOG_NOTICE; the text is the journal's "CODE key=value... \"message\"". */
struct alarm_syslog { int facility; };
extern const struct alarm_sink_ops alarm_syslog_sink;
/* Set the facility; with ident != NULL also openlog(ident, LOG_PID |
 * LOG_NDELAY, LOG_DAEMON) so the socket is connected before a sandbox is
 * applied (the process default stays daemon, as lib/log.c has it). */
void alarm_syslog_init(struct alarm_syslog *s, int facility, const char *ident);

/* ---- the engine ---- */

struct alarm_engine;

#define ALARM_MAX_SINKS 8
#define ALARM_RECENT 32		/* events kept for `gnomonctl alarms` and /status */

/* cfg is copied (it should have passed the parser's checks). Allocation
 * failure aborts (lib/util.h). */
struct alarm_engine *alarm_create(const struct alarm_cfg *cfg);
void alarm_destroy(struct alarm_engine *e);		/* NULL accepted */
/* Attach a sink; ctx is the caller's and must outlive the engine.
 * 0, or -ENOSPC beyond ALARM_MAX_SINKS. */
int alarm_add_sink(struct alarm_engine *e, const struct alarm_sink_ops *ops, void *ctx);

/* One evaluation of every rule at monotonic time now (ns); call it at a
 * steady rate (gnomond: once a second). Sinks are called for each
 * transition. Returns the number of transitions. */
int alarm_eval(struct alarm_engine *e, gt_ns now, const struct alarm_inputs *in);

struct alarm_status {
	const char *name;
	bool enabled;
	enum alarm_state state;
	enum alarm_sev sev;		/* current; NONE when not raised */
	bool known;			/* the input was known at the last evaluation */
	double value;			/* at the last evaluation (NAN: unknown) */
	double threshold;		/* of the current severity (NAN: not raised) */
	uint64_t raises, clears;	/* raised (incl. severity changes), cleared */
	gt_ns last_raised, last_cleared;	/* monotonic ns; 0: never */
	char msg[ALARM_MSG_MAX];	/* of the last transition */
};
void alarm_get_status(const struct alarm_engine *e, enum alarm_id id, struct alarm_status *out);
/* Alarms raised now. */
unsigned alarm_active_count(const struct alarm_engine *e);

/* One (alarm, severity) pair of gnomon_alarm_active{alarm,severity}
 * (alarm_met_register() publishes them):
 * every level an enabled rule can raise, with 1 when that is its severity
 * now. A bounded label set: at most ALARM_COUNT * ALARM_LEVELS. */
struct alarm_metric { const char *alarm; const char *severity; int active; };
size_t alarm_metrics(const struct alarm_engine *e, struct alarm_metric *out, size_t max);

struct met_registry;
/* Labelled families in the metrics registry, read at each scrape:
 * gnomon_alarm_active{alarm,severity} (gauge, the alarm_metrics() list),
 * gnomon_alarm_raises_total{alarm} (severity changes included) and
 * gnomon_alarm_clears_total{alarm} (counters), for every enabled rule. e
 * must outlive the registry. 0 or the first error of
 * met_register_family(). */
int alarm_met_register(const struct alarm_engine *e, struct met_registry *r);

struct json_out;
/* {"active":[...],"recent":[...],"rules":[...]} (doc/alarms.md) as the
 * value at key (NULL: value position). now_real: CLOCK_REALTIME at now_mono,
 * to give event times as Unix seconds. */
void alarm_json(const struct alarm_engine *e, struct json_out *j, const char *key,
		gt_ns now_mono, gt_ns now_real);
/* The same members without the enclosing object (inside an open one). */
void alarm_json_members(const struct alarm_engine *e, struct json_out *j, gt_ns now_mono,
			gt_ns now_real);

struct ctl;
/* The control socket's `alarms` command (also part of `status`): the JSON
 * above at the current CLOCK_MONOTONIC/CLOCK_REALTIME. e outlives c. */
int alarm_ctl_register(struct ctl *c, struct alarm_engine *e);

#endif
