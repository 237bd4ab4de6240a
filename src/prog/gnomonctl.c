/* gnomonctl: talk to gnomond's control socket, and query NTP servers. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "mon/ctl.h"
#include "mon/ctl_client.h"
#include "prog/audit_cmd.h"
#include "prog/calibrate.h"
#include "prog/query.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gnomonctl [-s SOCKET] [--json] COMMAND [ARGS]\n"
		"commands:\n"
		"  serverstats                    NTP server counters\n"
		"  clients [N]                    the NTP server's N busiest clients (default 200)\n"
		"  metrics                        every registered metric\n"
		"  history [NAME [SECONDS [POINTS]]]  the series kept for the dashboard, or one\n"
		"  status                         tracking, sources, server, clients, gateway at once\n"
		"  sources                        upstream sources, like chronyc sources\n"
		"                                 (M: ^ server, = peer, %% broadcast, # gateway)\n"
		"  sourcestats                    per-source statistics\n"
		"  tracking                       the clock and its reference\n"
		"  gateway                        one-way gateway sender and receiver counters\n"
		"  alarms                         active and recent alarms (doc/alarms.md)\n"
		"  gateway calibrate --listen ADDR:PORT --out FILE [...]\n"
		"                                 measure a gateway's delay (commissioning)\n"
		"  query HOST [-p PORT] [-n N]    measure an NTP server (like ntpdate -q)\n"
		"  audit import|export|run|report --db DB ...\n"
		"                                 the device time audit on a database, here\n"
		"                                 (doc/audit.md; gnomonctl audit --help)\n"
		"  audit [run]                    gnomond's audit service: its state, or a run now\n"
		"  health [--degraded-ok]         is this server fit to serve: exit 0 synchronised,\n"
		"                                 1 degraded (0 with --degraded-ok), 2 unsynchronised,\n"
		"                                 3 no answer (keepalived's track_script)\n"
		"  standby                        the hot-standby pair: our side and the partner's\n"
		"  standby notify master|backup|fault\n"
		"  ptp                            PTP clock and ports: states, master, offset, delay\n"
		"                                 tell gnomond its VRRP role (keepalived's notify)\n"
		"  reload                         re-read the key file and allow/deny (as SIGHUP);\n"
		"                                 an error keeps the old ones and exits 1\n"
		"options:\n"
		"  -s SOCKET   control socket (default %s)\n"
		"  -j, --json  print JSON\n", CTL_DEFAULT_PATH);
}

static void print_flat(json_t *obj, const char *prefix)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		char name[128];

		snprintf(name, sizeof(name), "%s%s", prefix, key);
		if (json_is_object(v)) {
			char sub[130];

			snprintf(sub, sizeof(sub), "%s.", name);
			print_flat(v, sub);
		} else if (json_is_integer(v)) {
			printf("%-28s %lld\n", name, (long long)json_integer_value(v));
		} else if (json_is_real(v)) {
			printf("%-28s %.9g\n", name, json_real_value(v));
		} else if (json_is_string(v)) {
			printf("%-28s %s\n", name, json_string_value(v));
		} else if (json_is_boolean(v)) {
			printf("%-28s %s\n", name, json_is_true(v) ? "yes" : "no");
		}
	}
}

static void print_serverstats(json_t *o)
{
	static const char *const drops[] = { "short", "bad_version", "bad_length", "oversized",
		"mode_control", "mode_private", "mode_other", "denied", "ratelimited", "auth" };
	json_t *d = json_object_get(o, "dropped"), *v = json_object_get(o, "version");
	size_t i;

#define NUM(obj, k) ((long long)json_integer_value(json_object_get((obj), (k))))
	printf("Packets received       : %lld\n", NUM(o, "received"));
	printf("Packets answered       : %lld\n", NUM(o, "answered"));
	printf("KoD RATE sent          : %lld\n", NUM(o, "kod_sent"));
	printf("Over the rate limit    : %lld\n", NUM(o, "ratelimited"));
	printf("  answered (leak)      : %lld\n", NUM(o, "ratelimit_leaked"));
	printf("Send errors            : %lld\n", NUM(o, "send_errors"));
	printf("Authenticated (MAC ok) : %lld\n", NUM(o, "auth_ok"));
	printf("MAC not verified       : %lld\n", NUM(o, "auth_fail"));
	printf("Crypto-NAK sent        : %lld\n", NUM(o, "crypto_nak"));
	printf("Dropped\n");
	for (i = 0; i < sizeof(drops) / sizeof(drops[0]); i++)
		printf("  %-20s : %lld\n", drops[i], NUM(d, drops[i]));
	printf("Requests by version    : v1 %lld, v2 %lld, v3 %lld, v4 %lld\n",
	       NUM(v, "1"), NUM(v, "2"), NUM(v, "3"), NUM(v, "4"));
#undef NUM
}

/* Seconds as a short human figure: 12ns, 3.4us, 5.6ms, 7.8s. */
static const char *human(double s, char *buf, size_t len)
{
	double a = s < 0 ? -s : s;

	if (a < 1e-6)
		snprintf(buf, len, "%+.0fns", s * 1e9);
	else if (a < 1e-3)
		snprintf(buf, len, "%+.1fus", s * 1e6);
	else if (a < 1)
		snprintf(buf, len, "%+.1fms", s * 1e3);
	else
		snprintf(buf, len, "%+.3fs", s);
	return buf;
}

#define JNUM(o, k) json_number_value(json_object_get((o), (k)))
#define JINT(o, k) ((long long)json_integer_value(json_object_get((o), (k))))
#define JSTR(o, k) (json_string_value(json_object_get((o), (k))) ? \
		    json_string_value(json_object_get((o), (k))) : "")

static void print_sources(json_t *o, bool stats)
{
	json_t *arr = json_object_get(o, "sources"), *src;
	size_t i;
	char a[32], b[32], c[32];

	if (stats)
		printf("%-27s %5s %8s %9s %9s %10s %10s\n", "Name/IP address", "NP", "Freq ppm",
		       "Skew ppm", "Offset", "Jitter", "Timeouts");
	else
		printf("MS %-27s %7s %4s %5s %6s %-24s\n", "Name/IP address", "Stratum", "Poll",
		       "Reach", "LastRx", "Last sample");
	printf("==============================================================================\n");
	json_array_foreach(arr, i, src) {
		if (stats) {
			printf("%-27.27s %5lld %8.3f %9.3f %9s %10s %10lld\n", JSTR(src, "name"),
			       JINT(src, "samples"), JNUM(src, "freq_ppm"), JNUM(src, "skew_ppm"),
			       human(JNUM(src, "offset"), a, sizeof(a)),
			       human(JNUM(src, "jitter"), b, sizeof(b)), JINT(src, "timeouts"));
			continue;
		}
		/* M, as chronyc: ^ server, = peer; % broadcast, # gateway (ours). */
		printf("%c%s %-27.27s %7lld %4lld %5llo ",
		       !strcmp(JSTR(src, "mode"), "peer") ? '=' :
		       !strcmp(JSTR(src, "mode"), "broadcast") ? '%' :
		       !strcmp(JSTR(src, "mode"), "gateway") ? '#' : '^', JSTR(src, "state"),
		       JSTR(src, "name"),
		       JINT(src, "stratum"), JINT(src, "poll"), JINT(src, "reach"));
		if (JNUM(src, "last_rx_ago") < 0)
			printf("%6s -\n", "-");
		else
			printf("%6.0f %s +/- %s\n", JNUM(src, "last_rx_ago"),
			       human(JNUM(src, "last_offset"), a, sizeof(a)),
			       human(JNUM(src, "last_delay") / 2, c, sizeof(c)));
	}
}

static void print_gateway(json_t *o)
{
	json_t *arr = json_object_get(o, "senders"), *x, *r = json_object_get(o, "receiver");
	size_t i;
	char a[32], b[32], c[32];

	json_array_foreach(arr, i, x) {
		printf("Sender %zu -> %s port %lld, every %.3g s, key %lld, id %lld\n", i,
		       JSTR(x, "to"), JINT(x, "port"), JNUM(x, "interval"), JINT(x, "key"),
		       JINT(x, "id"));
		printf("  correction      : %s, %s\n", JSTR(x, "correction_method"),
		       human(JNUM(x, "correction"), a, sizeof(a)));
		printf("  sent            : %lld (errors %lld), sequence %lld, boot %s\n",
		       JINT(x, "sent"), JINT(x, "send_errors"), JINT(x, "seq"), JSTR(x, "boot_id"));
		printf("  tx timestamps   : %lld\n", JINT(x, "tx_timestamps"));
		printf("  path health     : 0x%02llx %s\n", JINT(x, "health"),
		       JSTR(x, "problem")[0] ? JSTR(x, "problem") : "(all checks pass)");
	}
	if (r) {
		json_t *seq = json_object_get(r, "sequence"), *rej = json_object_get(r, "rejected");
		const char *key;
		json_t *v;

		printf("Receiver on %s port %lld, filter %s over %lld\n", JSTR(r, "on"),
		       JINT(r, "port"), JSTR(r, "filter"), JINT(r, "window"));
		printf("  state           : %s%s, last message %.1f s ago\n",
		       json_is_true(json_object_get(r, "silent")) ? "SILENT" : "receiving",
		       json_is_true(json_object_get(r, "loss_alarm")) ? ", LOSS ALARM" : "",
		       JNUM(r, "since_last"));
		printf("  sender          : boot %s, sequence %lld, stratum %lld, health 0x%02llx\n",
		       JSTR(r, "boot_id"), JINT(r, "last_seq"), JINT(r, "sender_stratum"),
		       JINT(r, "sender_health"));
		printf("  received        : %lld, accepted %lld, samples %lld (two-step %lld)\n",
		       JINT(r, "received"), JINT(r, "accepted"), JINT(r, "samples"),
		       JINT(r, "two_step"));
		printf("  sequence        : lost %lld in %lld gaps (%.1f%% of the last 100), "
		       "reordered %lld, duplicates %lld, replays %lld, restarts %lld\n",
		       JINT(seq, "lost"), JINT(seq, "gaps"), JNUM(r, "loss_percent"),
		       JINT(seq, "reordered"), JINT(seq, "duplicates"), JINT(seq, "replays"),
		       JINT(seq, "restarts"));
		if (json_object_get(r, "agreement")) {
			json_t *ag = json_object_get(r, "agreement"), *sf = json_object_get(r, "state");

			printf("  agreement       : %s (%lld consistent messages needed), pending %lld, "
			       "reached %lld\n",
			       json_is_true(json_object_get(ag, "agreed")) ? "agreed" : "WAITING",
			       JINT(ag, "need"), JINT(ag, "pending"), JINT(ag, "reached"));
			printf("  replay state    : %s at start, %lld writes, %lld errors\n",
			       JSTR(sf, "at_start"), JINT(sf, "writes"), JINT(sf, "errors"));
		}
		printf("  last sample     : offset %s, delay %s, jitter %s\n",
		       human(JNUM(r, "last_offset"), a, sizeof(a)),
		       human(JNUM(r, "last_delay"), b, sizeof(b)),
		       human(JNUM(r, "jitter"), c, sizeof(c)));
		printf("  rejected        :");
		json_object_foreach(rej, key, v)
			if (json_integer_value(v))
				printf(" %s %lld", key, (long long)json_integer_value(v));
		printf("\n");
	}
	if (json_object_get(o, "journal")) {
		json_t *jo = json_object_get(o, "journal");

		printf("Journal           : %lld written, lost %lld (queue) + %lld (write)%s\n",
		       JINT(jo, "written"), JINT(jo, "lost_queue_full"), JINT(jo, "lost_write_error"),
		       json_is_true(json_object_get(jo, "degraded")) ? ", DEGRADED" : "");
	}
}

static void print_clients(json_t *o)
{
	json_t *arr = json_object_get(o, "clients"), *c;
	size_t i;

	printf("%-39s %10s %8s %6s %9s %9s\n", "Address", "NTP", "Drop", "KoD", "Int(s)",
	       "Last(s)");
	json_array_foreach(arr, i, c) {
		double iv = json_number_value(json_object_get(c, "interval"));

		printf("%-39s %10lld %8lld %6lld ", json_string_value(json_object_get(c, "address")),
		       (long long)json_integer_value(json_object_get(c, "requests")),
		       (long long)json_integer_value(json_object_get(c, "dropped")),
		       (long long)json_integer_value(json_object_get(c, "kod")));
		if (iv < 0)
			printf("%9s", "-");
		else
			printf("%9.3g", iv);
		printf(" %9.0f\n", json_number_value(json_object_get(c, "last_ago")));
	}
	printf("%lld client(s) remembered\n",
	       (long long)json_integer_value(json_object_get(o, "total")));
}

/* A UNIX time in seconds as UTC "YYYY-MM-DD HH:MM:SS", or "-". */
static const char *utc(json_t *v, char *buf, size_t len)
{
	struct tm tm;
	time_t t;

	if (!json_is_number(v)) {
		snprintf(buf, len, "-");
		return buf;
	}
	t = (time_t)json_number_value(v);
	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, len, "-");
	return buf;
}

/* `audit`: the daemon's audit service (gnomonctl audit without --db). */
static void print_audit(json_t *o)
{
	json_t *last = json_object_get(o, "last_run"), *runs = json_object_get(o, "runs");
	char a[40], b[40];

	printf("Database        : %s\n", json_string_value(json_object_get(o, "db")));
	printf("Interval        : %lld s\n",
	       (long long)json_integer_value(json_object_get(o, "interval")));
	printf("State           : %s", json_string_value(json_object_get(o, "state")));
	if (json_object_get(o, "progress"))
		printf(" (%lld of %lld devices)",
		       (long long)json_integer_value(json_object_get(o, "progress")),
		       (long long)json_integer_value(json_object_get(o, "progress_of")));
	printf("\n");
	if (last) {
		printf("Last run        : %s, %.1f s, %s%s%s\n",
		       utc(json_object_get(last, "start"), a, sizeof(a)),
		       json_number_value(json_object_get(last, "duration")),
		       json_string_value(json_object_get(last, "result")),
		       json_object_get(last, "error") ? ": " : "",
		       json_object_get(last, "error") ?
		       json_string_value(json_object_get(last, "error")) : "");
	}
	if (json_object_get(o, "devices"))
		printf("Devices         : %lld (ok %lld, off %lld, unreachable %lld) in run %lld\n",
		       (long long)json_integer_value(json_object_get(o, "devices")),
		       (long long)json_integer_value(json_object_get(o, "ok")),
		       (long long)json_integer_value(json_object_get(o, "off")),
		       (long long)json_integer_value(json_object_get(o, "unreachable")),
		       (long long)json_integer_value(json_object_get(o, "run_id")));
	printf("Next run        : %s\n", utc(json_object_get(o, "next_run"), b, sizeof(b)));
	if (json_is_object(runs)) {
		const char *k;
		json_t *v;
		bool first = true;

		printf("Runs            :");
		json_object_foreach(runs, k, v) {
			printf("%s %s %lld", first ? "" : ",", k, (long long)json_integer_value(v));
			first = false;
		}
		printf("\n");
	}
}

/* `alarms`: the active ones, then the recent events, newest first. */
static void print_alarms(json_t *o)
{
	json_t *arr = json_object_get(o, "active"), *a;
	size_t i, n_rules = json_array_size(json_object_get(o, "rules")), n_off = 0;

	json_array_foreach(json_object_get(o, "rules"), i, a)
		n_off += json_is_false(json_object_get(a, "enabled"));
	printf("%zu active alarm(s); %zu rule(s), %zu off\n", json_array_size(arr), n_rules,
	       n_off);
	if (json_array_size(arr))
		printf("%-9s %-21s %9s  %s\n", "Severity", "Alarm", "For(s)", "Message");
	json_array_foreach(arr, i, a)
		printf("%-9s %-21s %9.0f  %s\n", json_string_value(json_object_get(a, "severity")),
		       json_string_value(json_object_get(a, "name")),
		       json_number_value(json_object_get(a, "age")),
		       json_string_value(json_object_get(a, "message")));
	arr = json_object_get(o, "recent");
	if (!json_array_size(arr))
		return;
	printf("\nRecent events (newest first):\n%9s  %-7s %-9s %-21s %s\n", "Ago(s)", "Event",
	       "Severity", "Alarm", "Message");
	json_array_foreach(arr, i, a)
		printf("%9.0f  %-7s %-9s %-21s %s\n", json_number_value(json_object_get(a, "age")),
		       json_string_value(json_object_get(a, "event")),
		       json_string_value(json_object_get(a, "severity")),
		       json_string_value(json_object_get(a, "name")),
		       json_string_value(json_object_get(a, "message")));
}

/* `standby`: this server's side, the partner's, the heartbeats. */
static void print_standby(json_t *o)
{
	json_t *p = json_object_get(o, "partner"), *hb = json_object_get(o, "heartbeats");
	const char *k;
	json_t *v;
	char a[32];

	printf("This server     : %s, role %s (%lld change(s)), priority %lld, node %s\n",
	       json_object_get(o, "health") ? JSTR(o, "health") : "?", JSTR(o, "role"),
	       JINT(o, "role_changes"), JINT(o, "priority"), JSTR(o, "node_id"));
	printf("Partner         : %s port %lld, %s\n", JSTR(p, "address"), JINT(p, "port"),
	       json_is_true(json_object_get(p, "up")) ? "up" :
	       json_is_true(json_object_get(p, "heard")) ? "LOST" : "never heard");
	if (json_is_true(json_object_get(p, "heard"))) {
		printf("  last heard    : %.1f s ago (interval %.1f s), node %s, %lld restart(s)\n",
		       JNUM(p, "last_heard"), JNUM(p, "interval"), JSTR(p, "node_id"),
		       JINT(p, "restarts"));
		printf("  health        : %s, role %s, priority %lld\n", JSTR(p, "health"),
		       JSTR(p, "role"), JINT(p, "priority"));
		printf("  stratum       : %lld, leap %lld, root distance %s\n", JINT(p, "stratum"),
		       JINT(p, "leap"), human(JNUM(p, "root_distance"), a, sizeof(a)));
	}
	if (json_object_get(p, "offset")) {
		char b[32];

		printf("  offset        : %s (partner minus us), round trip %s, %lld exchange(s)\n",
		       human(JNUM(p, "offset"), a, sizeof(a)), human(JNUM(p, "delay"), b, sizeof(b)),
		       JINT(p, "exchanges"));
	}
	printf("Heartbeats      :");
	json_object_foreach(hb, k, v)
		if (json_integer_value(v) || !strcmp(k, "sent") || !strcmp(k, "ok"))
			printf(" %s %lld", k, (long long)json_integer_value(v));
	printf("\n");
}

/* `ptp` of a transparent clock (`ptp-tc`): what it forwarded and corrected. */
static void print_ptp_tc(json_t *o)
{
	json_t *c = json_object_get(o, "transparent_clock"), *pt, *v;
	const char *k;
	size_t i;

	printf("Transparent clock: %s, %s; %lld corrected, %lld unmatched, %lld one-step "
	       "uncorrected\n", JSTR(c, "type"), JSTR(c, "transport"), JINT(c, "corrected"),
	       JINT(c, "unmatched"), JINT(c, "one_step_uncorrected"));
	if (json_object_get(c, "residence_mean"))
		printf("Residence time   : mean %.1f us, max %.1f us, last %.1f us (%lld)\n",
		       JNUM(c, "residence_mean") * 1e6, JNUM(c, "residence_max") * 1e6,
		       JNUM(c, "residence_last") * 1e6, JINT(c, "residences"));
	json_array_foreach(json_object_get(o, "ports"), i, pt) {
		printf("Port %-12s: forwarded", JSTR(pt, "interface"));
		json_object_foreach(json_object_get(pt, "forwarded"), k, v)
			printf(" %s %lld", k, (long long)json_integer_value(v));
		printf("\n");
	}
}

/* `ptp`: the clock, its grandmaster, and each port as pmc would show it. */
static void print_ptp(json_t *o)
{
	json_t *c = json_object_get(o, "clock"), *p = json_object_get(o, "parent");
	json_t *tp = json_object_get(o, "time_properties"), *pt;
	size_t i;
	char a[32], b[32];

	if (json_object_get(o, "transparent_clock")) {
		print_ptp_tc(o);
		return;
	}

	printf("Clock           : %s, domain %lld, priority1 %lld, priority2 %lld, class %lld%s\n",
	       JSTR(c, "identity"), JINT(c, "domain"), JINT(c, "priority1"), JINT(c, "priority2"),
	       JINT(c, "clock_class"), json_is_true(json_object_get(c, "slave_only")) ?
	       " (slave only)" : "");
	printf("Grandmaster     : %s, priority1 %lld, class %lld, %lld step(s) away\n",
	       JSTR(p, "grandmaster"), JINT(p, "gm_priority1"), JINT(p, "gm_clock_class"),
	       JINT(c, "steps_removed"));
	printf("Parent port     : %s\n", JSTR(p, "port"));
	printf("Time properties : UTC offset %lld%s, %s timescale%s\n",
	       JINT(tp, "current_utc_offset"),
	       json_is_true(json_object_get(tp, "current_utc_offset_valid")) ? " (valid)" : "",
	       json_is_true(json_object_get(tp, "ptp_timescale")) ? "PTP" : "ARB",
	       json_is_true(json_object_get(tp, "time_traceable")) ? ", traceable" : "");
	if (json_object_get(c, "servo_state"))
		printf("Servo           : %s (linuxptp's PI), %s, frequency %+.3f ppm, %lld step(s)\n",
		       JSTR(c, "servo"), JSTR(c, "servo_state"), JNUM(c, "servo_freq_ppm"),
		       JINT(c, "servo_steps"));
	else
		printf("Servo           : %s (the sync core's filter and discipline)\n",
		       JSTR(c, "servo"));
	json_array_foreach(json_object_get(o, "ports"), i, pt) {
		printf("Port %lld %-10s: %s, %s %s, %s timestamps", JINT(pt, "number"),
		       JSTR(pt, "interface"), JSTR(pt, "state"), JSTR(pt, "transport"),
		       JSTR(pt, "delay_mechanism"), JSTR(pt, "timestamping"));
		if (json_object_get(pt, "master"))
			printf(", master %s", JSTR(pt, "master"));
		printf("\n");
		if (json_object_get(pt, "offset_from_master"))
			printf("  offset        : %s from master, mean path delay %s, %lld sample(s)\n",
			       human(JNUM(pt, "offset_from_master"), a, sizeof(a)),
			       human(JNUM(pt, "mean_path_delay"), b, sizeof(b)),
			       JINT(pt, "samples"));
		if (json_object_get(pt, "peer_mean_path_delay"))
			printf("  peer delay    : %s\n",
			       human(JNUM(pt, "peer_mean_path_delay"), a, sizeof(a)));
	}
}

static void print_tracking(json_t *o)
{
	char a[32];

	printf("Reference ID    : %s (%s)\n", JSTR(o, "refid"),
	       json_object_get(o, "reference") ? JSTR(o, "reference") : "none");
	printf("Stratum         : %lld\n", JINT(o, "stratum"));
	printf("Ref time (UTC)  : %.6f\n", JNUM(o, "ref_time"));
	printf("Clock           : %s, %s from the system clock\n", JSTR(o, "clock"),
	       human(JNUM(o, "clock_minus_system"), a, sizeof(a)));
	if (json_object_get(o, "last_offset")) {
		printf("Last offset     : %+.9f seconds\n", JNUM(o, "last_offset"));
		printf("RMS offset      : %.9f seconds\n", JNUM(o, "rms_offset"));
		printf("Frequency       : %.3f ppm\n", JNUM(o, "frequency_ppm"));
		printf("Residual freq   : %+.3f ppm\n", JNUM(o, "residual_freq_ppm"));
		printf("Skew            : %.3f ppm\n", JNUM(o, "skew_ppm"));
		printf("Steps           : %lld\n", JINT(o, "steps"));
	}
	printf("Root delay      : %.9f seconds\n", JNUM(o, "root_delay"));
	printf("Root dispersion : %.9f seconds\n", JNUM(o, "root_dispersion"));
	printf("Leap status     : %s\n", JSTR(o, "leap"));
}

/* Ask gnomond for req within timeout_ms: its reply object (reply holds
 * the text), or NULL after saying why on stderr (no answer, a malformed
 * reply, or the error gnomond gave). */
static json_t *request(const char *sock, const char *req, int timeout_ms, char *reply,
		       size_t cap)
{
	json_t *o;
	int rc = ctl_client_request(sock, req, reply, cap, timeout_ms, NULL);

	if (rc) {
		fprintf(stderr, "gnomonctl: %s: %s\n", sock, strerror(-rc));
		return NULL;
	}
	o = json_loads(reply, 0, NULL);
	if (!o || !json_is_object(o)) {
		fprintf(stderr, "gnomonctl: malformed reply from gnomond\n");
		json_decref(o);
		return NULL;
	}
	if (json_object_get(o, "error")) {
		fprintf(stderr, "gnomonctl: %s\n", json_string_value(json_object_get(o, "error")));
		json_decref(o);
		return NULL;
	}
	return o;
}

/* `health`: one line, and the exit status keepalived's track_script
 * reads; 3 when gnomond does not answer (within 2 s: keepalived's script
 * timeout should be longer). */
static int health_main(const char *sock, int argc, char **argv, bool json)
{
	static char reply[CTL_MAX_REPLY + 1];
	bool degraded_ok = false;
	json_t *o;
	long long code;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--degraded-ok")) {
			degraded_ok = true;
		} else if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j")) {
			json = true;
		} else {
			fprintf(stderr, "usage: gnomonctl health [--degraded-ok] [--json]\n");
			return 3;
		}
	}
	o = request(sock, "health", 2000, reply, sizeof(reply));
	if (!o)
		return 3;
	if (!json_is_integer(json_object_get(o, "code"))) {
		fprintf(stderr, "gnomonctl: malformed reply from gnomond\n");
		json_decref(o);
		return 3;
	}
	code = JINT(o, "code");
	if (json)
		printf("%s\n", reply);
	else
		printf("%s: %s\n", JSTR(o, "state"), JSTR(o, "reason"));
	json_decref(o);
	if (code < 0 || code > 2)
		return 3;
	return degraded_ok && code == 1 ? 0 : (int)code;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = CTL_DEFAULT_PATH;
	static char reply[CTL_MAX_REPLY + 1];
	char req[CTL_MAX_REQUEST + 1] = "";
	bool json = false;
	json_t *o;
	int opt, i;

	/* '+': stop at the command so its own options are left to it. */
	while ((opt = getopt_long(argc, argv, "+s:jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 's': sock = optarg; break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[optind], "query")) {
		/* Accept --json after the command too. */
		for (i = optind + 1; i < argc; i++) {
			if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j")) {
				json = true;
				memmove(&argv[i], &argv[i + 1], (size_t)(argc - i) * sizeof(*argv));
				argc--;
				i--;
			}
		}
		return query_main(argc - optind, argv + optind, json);
	}
	if (!strcmp(argv[optind], "audit") && audit_cmd_is_local(argc - optind, argv + optind))
		return audit_main(argc - optind, argv + optind);
	if (!strcmp(argv[optind], "health"))
		return health_main(sock, argc - optind, argv + optind, json);
	if (!strcmp(argv[optind], "gateway") && optind + 1 < argc &&
	    !strcmp(argv[optind + 1], "calibrate"))
		return calibrate_main(argc - optind - 1, argv + optind + 1);
	for (i = optind; i < argc; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j")) {
			json = true;
			continue;
		}
		if (strlen(req) + strlen(argv[i]) + 2 > CTL_MAX_REQUEST) {
			fprintf(stderr, "gnomonctl: request too long\n");
			return 2;
		}
		if (req[0])
			strcat(req, " ");
		strcat(req, argv[i]);
	}
	o = request(sock, strcmp(req, "sourcestats") ? req : "sources", 5000, reply, sizeof(reply));
	if (!o)
		return 1;
	if (json)
		printf("%s\n", reply);
	else if (!strcmp(req, "serverstats"))
		print_serverstats(o);
	else if (!strcmp(req, "sources"))
		print_sources(o, false);
	else if (!strcmp(req, "sourcestats"))
		print_sources(o, true);
	else if (!strcmp(req, "tracking"))
		print_tracking(o);
	else if (!strcmp(req, "gateway"))
		print_gateway(o);
	else if (!strcmp(req, "alarms"))
		print_alarms(o);
	else if (!strcmp(req, "audit"))
		print_audit(o);
	else if (!strcmp(req, "standby"))
		print_standby(o);
	else if (!strcmp(req, "ptp"))
		print_ptp(o);
	else if (!strncmp(req, "clients", 7) && (!req[7] || req[7] == ' '))
		print_clients(o);
	else
		print_flat(o, "");
	json_decref(o);
	return 0;
}
