/* snmp_model: what gnomon-snmp knows of gnomond, parsed from the JSON
 * replies of the control socket (the same `tracking`, `sources`,
 * `serverstats` and `gateway` commands gnomonctl uses).
 *
 * Pure: no net-snmp, no sockets, no clock reads. Every field that may be
 * missing from a reply has an explicit "absent" value (NaN for reals, -1 for
 * counters and small integers, "" for strings) so that the MIB layers serve
 * noSuchInstance for it instead of a made-up 0. */
#ifndef GNOMON_SNMP_MODEL_H
#define GNOMON_SNMP_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define SNMP_MAX_ASSOC 64
#define SNMP_MAX_SENDERS 8
#define SNMP_MAX_RESULTS 24
#define SNMP_STR 128

/* ntpEntStatusCurrentMode values (RFC 5907). */
enum snmp_mode {
	SNMP_MODE_NOT_RUNNING = 1,
	SNMP_MODE_NOT_SYNC = 2,
	SNMP_MODE_NONE_CONFIGURED = 3,
	SNMP_MODE_SYNC_LOCAL = 4,
	SNMP_MODE_SYNC_REFCLOCK = 5,
	SNMP_MODE_SYNC_REMOTE = 6,
	SNMP_MODE_UNKNOWN = 99,
};

struct snmp_assoc {
	uint32_t id;			/* 1..99999, from snmp_ids_assign(); 0 = none yet */
	char name[SNMP_STR];
	char address[64];		/* "" for sources without one (gateway) */
	int64_t port;			/* -1 absent */
	char mode[16];			/* server, peer, broadcast, gateway */
	char state[4];			/* gnomonctl's mark: * + - x ~ ? or " " */
	char refid[32];
	int64_t stratum;		/* -1 absent */
	double offset, delay, jitter, disp;	/* seconds, NaN absent */
	int64_t in, out, errors;	/* packets; -1 absent */
};

struct snmp_result {			/* one row of "packets by result" */
	char name[32];
	int64_t count;
};

struct snmp_sender {
	char to[64];
	int64_t port, sent, send_errors, seq, health, tx_timestamps;
	char method[32];
	char problem[SNMP_STR];
	double correction;		/* s, NaN absent */
};

struct snmp_gw_recv {
	bool present;
	int64_t received, accepted, gaps, lost, reordered, duplicates, replays, restarts;
	int64_t auth_failures;		/* rejected for a bad MAC or unknown key */
	int silent, loss_alarm;		/* 0/1, -1 absent */
	double since_last, loss_percent, offset, delay, jitter;
	int n_results;
	struct snmp_result results[SNMP_MAX_RESULTS];
};

/* The alarm engine (`alarms`, doc/alarms.md "Views"). */
#define SNMP_MAX_ALARMS 16		/* rules; gnomond has 12 */
#define SNMP_MAX_ALARM_EVENTS 32	/* its "recent" list keeps the last 32 */
#define SNMP_ALARM_MSG 192		/* gnomond's messages are < 160 bytes */

/* gnomonAlarmState and gnomonAlarmSeverity values (GNOMON-MIB). */
enum snmp_alarm_state { SNMP_AL_UNSET = 1, SNMP_AL_RAISED = 2, SNMP_AL_CLEARED = 3 };
enum snmp_alarm_sev { SNMP_AL_NONE = 1, SNMP_AL_INFO = 2, SNMP_AL_WARNING = 3,
		      SNMP_AL_CRITICAL = 4 };

struct snmp_alarm_rule {		/* one row of gnomonAlarmTable */
	char name[32];
	int enabled;			/* 0/1, -1 absent */
	int state;			/* enum snmp_alarm_state, -1 absent */
	int sev;			/* enum snmp_alarm_sev, -1 absent */
	double value;			/* NaN: unknown */
	double threshold;		/* of the current severity, else of the lowest level */
	int64_t raises, clears;		/* -1 absent */
	char msg[SNMP_ALARM_MSG];	/* of the active alarm, else its newest event */
};

struct snmp_alarm_event {		/* one entry of "recent" */
	double t;			/* CLOCK_MONOTONIC s: the poll's time minus "age" */
	char name[32];
	bool cleared;
	int sev;			/* raised: the new severity; cleared: the one it had */
	double value, threshold;
	char msg[SNMP_ALARM_MSG];
};

struct snmp_alarms {
	bool present;			/* `alarms` answered with a usable object */
	int n_rules;
	struct snmp_alarm_rule rules[SNMP_MAX_ALARMS];
	int n_events;			/* newest first, as gnomond lists them */
	struct snmp_alarm_event events[SNMP_MAX_ALARM_EVENTS];
};

struct snmp_state {
	bool reachable;			/* tracking and sources both answered */
	char error[SNMP_STR];		/* why not, for logs and the private MIB */
	pid_t pid;			/* who answered (0 unknown) */
	int64_t start_time;		/* daemon start, Unix s; -1 unknown */

	/* tracking */
	int synchronised;		/* 0/1, -1 absent */
	int64_t stratum;
	char refid[32];
	char reference[SNMP_STR];
	int leap;			/* 0 normal 1 insert 2 delete 3 unsync; -1 absent */
	double ref_time, root_delay, root_disp, clock_minus_system, last_offset;

	/* sources */
	int n_assoc;
	struct snmp_assoc assoc[SNMP_MAX_ASSOC];
	int64_t bc_received;		/* broadcast client sockets, all senders */

	/* serverstats (absent when the NTP server is off) */
	bool has_server;
	int64_t srv_received, srv_answered, srv_kod, srv_crypto_nak, srv_bad_version,
		srv_errors, srv_mode_control, bcast_sent;

	/* gateway */
	bool has_gateway;
	int n_senders;
	struct snmp_sender senders[SNMP_MAX_SENDERS];
	struct snmp_gw_recv recv;
	int64_t journal_written, journal_lost;

	/* alarms */
	struct snmp_alarms alarms;
};

/* Start from "nothing known": every value absent, not reachable. */
void snmp_state_init(struct snmp_state *st);

/* Parse one reply (NUL-terminated JSON text) into st. Members that are
 * missing or of the wrong type stay absent. Returns 0, or -EINVAL when the
 * text is not a JSON object or is {"error": ...} (the message goes to
 * st->error). */
int snmp_parse_tracking(struct snmp_state *st, const char *json);
int snmp_parse_sources(struct snmp_state *st, const char *json);
int snmp_parse_serverstats(struct snmp_state *st, const char *json);
int snmp_parse_gateway(struct snmp_state *st, const char *json);
/* `alarms`; now_mono is the CLOCK_MONOTONIC reading (s) taken when the reply
 * arrived: each event's "age" is turned into a monotonic time with it, so a
 * step of the real-time clock between polls cannot make an old event look
 * new ("time" is the real-time clock's, recomputed at every reply). Rules
 * without a string name and events without a name, a known "event", a
 * known severity or a numeric "age" are left out. */
int snmp_parse_alarms(struct snmp_state *st, const char *json, double now_mono);

/* ntpEntStatusCurrentMode for st (notRunning when not reachable). */
enum snmp_mode snmp_state_mode(const struct snmp_state *st);

/* The association marked '*' (sys peer), or NULL. */
const struct snmp_assoc *snmp_state_syspeer(const struct snmp_state *st);

/* Association ids: stable across polls for the same (mode, name, address,
 * port),
 * so an SNMP manager's rows keep their index while gnomond runs; a source
 * seen again after a restart of gnomond gets its old id back. */
#define SNMP_IDMAP_SIZE 256
struct snmp_idmap {
	uint32_t next;
	int n;
	struct {
		char key[SNMP_STR + 96];
		uint32_t id;
	} e[SNMP_IDMAP_SIZE];
};
void snmp_ids_init(struct snmp_idmap *m);
void snmp_ids_assign(struct snmp_idmap *m, struct snmp_state *st);

/* Seconds as milliseconds text with ns resolution ("0.032000" or with
 * unit "0.032000 ms"), the form RFC 5907 gives its DisplayString examples
 * in. NaN gives "". Returns buf. */
const char *snmp_fmt_ms(double s, bool unit, char *buf, size_t len);

/* An alarm's value or threshold in the rule's base unit (seconds, a ratio,
 * events per window), as `gnomonctl --json alarms` gives it: "%.9g" text;
 * NaN (unknown) gives "". Returns buf. */
const char *snmp_fmt_alarm(double v, char *buf, size_t len);

#endif
