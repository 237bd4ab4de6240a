#include "snmp/snmp_agent.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include "clock/clk.h"
#include "lib/gtime.h"
#include "mon/ctl.h"
#include "mon/ctl_client.h"
#include "snmp/snmp_events.h"
#include "snmp/snmp_gnomon.h"
#include "snmp/snmp_model.h"
#include "snmp/snmp_ntp.h"
#include "snmp/snmp_vb.h"

struct agent {
	struct snmp_agent_cfg cfg;
	char system_type[256];
	int precision;
	uint32_t resolution;
	char *reply;			/* CTL_MAX_REPLY + 1 */

	/* prev: the poll before cur; last_ok: the last one that reached
	 * gnomond. Polled at most every cache_ms. */
	struct snmp_state *cur, *prev, *last_ok;
	bool have_prev, have_ok;
	gt_ns polled_at;		/* CLOCK_MONOTONIC; 0 never */
	gt_ns ok_at;
	uint64_t poll_failures, notifications;
	struct snmp_idmap ids;
	struct snmp_alarm_track alarm_track;
	int64_t started;		/* Unix s */

	struct snmp_vbl vbl;
	gt_ns heartbeat_at;
	bool heartbeat_once_sent;
};

static struct agent A;
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* The start time of a process in Unix seconds, from /proc (field 22 of
 * stat, clock ticks after boot), or -1. */
static int64_t process_start(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ticks;
	struct timespec now_real, now_boot;
	FILE *f;
	size_t n;
	int i;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: fields count from
	 * the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	for (i = 0; i < 20 && p; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &ticks) != 1)
		return -1;
	clock_gettime(CLOCK_REALTIME, &now_real);
	clock_gettime(CLOCK_BOOTTIME, &now_boot);
	return (int64_t)(now_real.tv_sec - now_boot.tv_sec) +
	       (int64_t)(ticks / (unsigned long long)sysconf(_SC_CLK_TCK));
}

static int ask(const char *cmd, struct ctl_peer *peer)
{
	return ctl_client_request(A.cfg.ctl_path, cmd, A.reply, CTL_MAX_REPLY + 1,
				  A.cfg.timeout_ms, peer);
}

/* One poll of gnomond into A.cur. tracking and sources must both answer
 * for the daemon to count as reachable; serverstats and gateway are
 * optional (the NTP server may be off, the gateway unused). */
static void poll_daemon(void)
{
	struct snmp_state *st = A.cur;
	struct ctl_peer peer;
	int rc;

	snmp_state_init(st);
	rc = ask("tracking", &peer);
	if (rc == 0)
		rc = snmp_parse_tracking(st, A.reply);
	else
		snprintf(st->error, sizeof(st->error), "%s: %s", A.cfg.ctl_path, strerror(-rc));
	if (rc == 0) {
		st->pid = peer.pid;
		rc = ask("sources", NULL);
		if (rc == 0)
			rc = snmp_parse_sources(st, A.reply);
		else
			snprintf(st->error, sizeof(st->error), "sources: %s", strerror(-rc));
	}
	if (rc == 0) {
		st->reachable = true;
		if (ask("serverstats", NULL) == 0)
			snmp_parse_serverstats(st, A.reply);
		if (ask("gateway", NULL) == 0)
			snmp_parse_gateway(st, A.reply);
		/* A gnomond without the alarm engine answers with an error:
		 * no table and no alarm notifications. */
		if (ask("alarms", NULL) == 0)
			snmp_parse_alarms(st, A.reply, gt_to_sec(gt_now(CLOCK_MONOTONIC)));
		st->start_time = st->pid == A.last_ok->pid && A.have_ok ? A.last_ok->start_time :
				 process_start(st->pid);
		snmp_ids_assign(&A.ids, st);
		st->error[0] = '\0';
	} else {
		A.poll_failures++;
	}
}

static void oid_to_net(const uint32_t *in, size_t len, oid *out)
{
	size_t i;

	for (i = 0; i < len; i++)
		out[i] = in[i];
}

static void vb_to_varbind(const struct snmp_vb *vb, netsnmp_variable_list *var)
{
	long l = (long)vb->i;
	u_long u = (u_long)vb->u;
	struct counter64 c64 = { (u_long)(vb->u >> 32), (u_long)(vb->u & 0xffffffffu) };

	switch (vb->type) {
	case SNMP_VT_INTEGER:
		snmp_set_var_typed_value(var, ASN_INTEGER, &l, sizeof(l));
		break;
	case SNMP_VT_GAUGE:
		snmp_set_var_typed_value(var, ASN_GAUGE, &u, sizeof(u));
		break;
	case SNMP_VT_COUNTER32:
		snmp_set_var_typed_value(var, ASN_COUNTER, &u, sizeof(u));
		break;
	case SNMP_VT_TIMETICKS:
		snmp_set_var_typed_value(var, ASN_TIMETICKS, &u, sizeof(u));
		break;
	case SNMP_VT_COUNTER64:
		snmp_set_var_typed_value(var, ASN_COUNTER64, &c64, sizeof(c64));
		break;
	case SNMP_VT_OCTETS:
		snmp_set_var_typed_value(var, ASN_OCTET_STR, vb->s, vb->slen);
		break;
	}
}

static void build_list(void)
{
	struct snmp_ntp_ctx nc = {
		.version = A.cfg.version,
		.system_type = A.system_type,
		.resolution = A.resolution,
		.precision = A.precision,
		.heartbeat = A.cfg.heartbeat,
		.notif_bits = A.cfg.notif_bits,
		.notifications = A.notifications,
		.now = gt_to_sec(gt_now(CLOCK_REALTIME)),
	};
	gt_ns age = A.ok_at ? gt_now(CLOCK_MONOTONIC) - A.ok_at : 0;
	struct snmp_gnomon_ctx gc = {
		.poll_failures = A.poll_failures,
		.data_age_ms = (uint32_t)(age / GT_NS_PER_MS),
	};

	snmp_vbl_clear(&A.vbl);
	snmp_ntp_build(A.cur, &nc, &A.vbl);
	snmp_gnomon_build(A.cur, &gc, &A.vbl);
	snmp_vbl_sort(&A.vbl);
}

/* Append the current value of one instance (base.sub...) to a trap. */
static void trap_add(netsnmp_variable_list **vars, const uint32_t *o, size_t len)
{
	const struct snmp_vb *vb = snmp_vbl_get(&A.vbl, o, len);
	oid name[SNMP_OID_MAX];
	netsnmp_variable_list *v;

	if (!vb)
		return;
	oid_to_net(vb->oid, vb->oid_len, name);
	v = snmp_varlist_add_variable(vars, name, vb->oid_len, ASN_NULL, NULL, 0);
	if (v)
		vb_to_varbind(vb, v);
}

static void trap_add_str(netsnmp_variable_list **vars, const uint32_t *o, size_t len,
			 const char *s)
{
	oid name[SNMP_OID_MAX];

	oid_to_net(o, len, name);
	snmp_varlist_add_variable(vars, name, len, ASN_OCTET_STR, s, strlen(s));
}

static void trap_add_int(netsnmp_variable_list **vars, const uint32_t *o, size_t len, long v)
{
	oid name[SNMP_OID_MAX];

	oid_to_net(o, len, name);
	snmp_varlist_add_variable(vars, name, len, ASN_INTEGER, &v, sizeof(v));
}

/* The OBJECTS of gnomonAlarmRaised/Cleared: instances of the rule's row,
 * with the values of the event (the row has moved on since). */
static void trap_add_alarm(netsnmp_variable_list **vars, const struct snmp_event *e)
{
	uint32_t o[] = { 1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 4664, 1, 5, 1, 1, 0, e->alarm_index };
	size_t len = sizeof(o) / sizeof(o[0]);
	char buf[32];

	o[len - 2] = 2;
	trap_add_str(vars, o, len, e->alarm_name);
	o[len - 2] = 4;
	trap_add_int(vars, o, len, e->alarm_sev);
	o[len - 2] = 5;
	trap_add_str(vars, o, len, snmp_fmt_alarm(e->alarm_value, buf, sizeof(buf)));
	o[len - 2] = 6;
	trap_add_str(vars, o, len, snmp_fmt_alarm(e->alarm_threshold, buf, sizeof(buf)));
	o[len - 2] = 7;
	trap_add_str(vars, o, len, e->msg);
}

#define O(...) ((const uint32_t[]){ __VA_ARGS__ }), \
	(sizeof((const uint32_t[]){ __VA_ARGS__ }) / sizeof(uint32_t))
#define NTP_DATETIME O(1, 3, 6, 1, 2, 1, 197, 1, 2, 9, 0)
#define NTP_MODE O(1, 3, 6, 1, 2, 1, 197, 1, 2, 1, 0)
#define NTP_STRATUM O(1, 3, 6, 1, 2, 1, 197, 1, 2, 2, 0)
#define NTP_REFID O(1, 3, 6, 1, 2, 1, 197, 1, 2, 3, 0)
#define NTP_HEARTBEAT O(1, 3, 6, 1, 2, 1, 197, 1, 4, 1, 0)
#define NTP_MESSAGE O(1, 3, 6, 1, 2, 1, 197, 1, 5, 1, 0)
#define GN_LAST_ERROR O(1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 4664, 1, 1, 2, 0)
#define GN_REACHABLE O(1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 4664, 1, 1, 1, 0)
#define GN_MESSAGE O(1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 4664, 1, 1, 5, 0)
#define GN_SILENCE O(1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 4664, 1, 2, 11, 0)
#define GN_LOSS O(1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 4664, 1, 2, 13, 0)

static void send_event(const struct snmp_event *e)
{
	static const oid trap_oid[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 };	/* snmpTrapOID.0 */
	netsnmp_variable_list *vars = NULL;
	oid notif[SNMP_OID_MAX];
	size_t nlen;

	if (!e->gnomon && !(A.cfg.notif_bits & (1u << e->n)))
		return;		/* disabled in ntpEntNotifBits */
	if (e->gnomon) {
		oid_to_net(snmp_gnomon_mib, SNMP_GNOMON_MIB_LEN, notif);
		nlen = SNMP_GNOMON_MIB_LEN;
	} else {
		oid_to_net(snmp_ntp_mib, SNMP_NTP_MIB_LEN, notif);
		nlen = SNMP_NTP_MIB_LEN;
	}
	notif[nlen++] = 0;
	notif[nlen++] = (oid)e->n;
	snmp_varlist_add_variable(&vars, trap_oid, OID_LENGTH(trap_oid), ASN_OBJECT_ID,
				  notif, nlen * sizeof(oid));
	if (e->gnomon && (e->n == SNMP_GN_NOTIF_ALARM_RAISED ||
			  e->n == SNMP_GN_NOTIF_ALARM_CLEARED)) {
		trap_add_alarm(&vars, e);
	} else if (e->gnomon) {
		switch (e->n) {
		case SNMP_GN_NOTIF_UNREACHABLE: trap_add(&vars, GN_LAST_ERROR); break;
		case SNMP_GN_NOTIF_REACHABLE: trap_add(&vars, GN_REACHABLE); break;
		case SNMP_GN_NOTIF_GW_SILENT:
		case SNMP_GN_NOTIF_GW_RESUMED: trap_add(&vars, GN_SILENCE); break;
		default: trap_add(&vars, GN_LOSS); break;
		}
		trap_add_str(&vars, GN_MESSAGE, e->msg);
	} else {
		/* The OBJECTS of each notification, RFC 5907 §Section 5. */
		switch (e->n) {
		case SNMP_NTP_NOTIF_MODE:
			trap_add(&vars, NTP_MODE);
			break;
		case SNMP_NTP_NOTIF_STRATUM:
			trap_add(&vars, NTP_DATETIME);
			trap_add(&vars, NTP_STRATUM);
			break;
		case SNMP_NTP_NOTIF_SYSPEER:
			trap_add(&vars, NTP_DATETIME);
			trap_add(&vars, NTP_REFID);
			break;
		case SNMP_NTP_NOTIF_ADD_ASSOC:
		case SNMP_NTP_NOTIF_REMOVE_ASSOC: {
			const uint32_t name[] = { 1, 3, 6, 1, 2, 1, 197, 1, 3, 1, 1, 2,
						  e->assoc_id };

			trap_add(&vars, NTP_DATETIME);
			/* A removed association is no longer in the table: its
			 * name comes from the event. */
			trap_add_str(&vars, name, sizeof(name) / sizeof(name[0]), e->assoc_name);
			break;
		}
		case SNMP_NTP_NOTIF_HEARTBEAT:
			trap_add(&vars, NTP_DATETIME);
			trap_add(&vars, NTP_MODE);
			trap_add(&vars, NTP_HEARTBEAT);
			break;
		default:
			trap_add(&vars, NTP_DATETIME);
			break;
		}
		if (e->n != SNMP_NTP_NOTIF_MODE)
			trap_add_str(&vars, NTP_MESSAGE, e->msg);
	}
	snmp_log(LOG_INFO, "notification %s.%d: %s\n", e->gnomon ? "GNOMON-MIB" : "NTPv4-MIB",
		 e->n, e->msg);
	send_v2trap(vars);
	snmp_free_varbind(vars);
	A.notifications++;
}

/* Poll if the cached values are older than cache_ms; compare with the
 * polls before and send what changed. */
static void refresh(bool force)
{
	static struct snmp_event ev[SNMP_MAX_EVENTS];
	gt_ns now = gt_now(CLOCK_MONOTONIC);
	struct snmp_state *tmp;
	int n, i;

	if (!force && A.polled_at && now - A.polled_at < (gt_ns)A.cfg.cache_ms * GT_NS_PER_MS)
		return;
	/* cur becomes prev; the old prev's buffer is reused for the new poll. */
	if (A.polled_at) {
		tmp = A.prev;
		A.prev = A.cur;
		A.cur = tmp;
		A.have_prev = true;
	}
	poll_daemon();
	A.polled_at = gt_now(CLOCK_MONOTONIC);
	if (A.cur->reachable)
		A.ok_at = A.polled_at;
	build_list();
	n = snmp_events_diff(A.have_prev ? A.prev : NULL, A.have_ok ? A.last_ok : NULL, A.cur,
			     ev, SNMP_MAX_EVENTS);
	n += snmp_alarm_events(&A.alarm_track, A.cur, A.started, ev + n, SNMP_MAX_EVENTS - n);
	for (i = 0; i < n; i++)
		send_event(&ev[i]);
	if (n)
		build_list();	/* ntpEntStatusNotifications moved */
	if (A.cur->reachable) {
		memcpy(A.last_ok, A.cur, sizeof(*A.cur));
		A.have_ok = true;
	}
}

static void heartbeat(void)
{
	struct snmp_event e = { .n = SNMP_NTP_NOTIF_HEARTBEAT };
	gt_ns now = gt_now(CLOCK_MONOTONIC);

	/* RFC 5907 ntpEntHeartbeatInterval: 0 sends one heartbeat only. */
	if (A.cfg.heartbeat == 0) {
		if (A.heartbeat_once_sent)
			return;
		A.heartbeat_once_sent = true;
	} else if (now < A.heartbeat_at) {
		return;
	}
	A.heartbeat_at = now + (gt_ns)A.cfg.heartbeat * GT_NS_PER_S;
	snprintf(e.msg, sizeof(e.msg), "heartbeat: gnomond %s", A.cur->reachable ? "answers" :
		 "does not answer");
	send_event(&e);
	build_list();
}

static void tick(unsigned int reg, void *arg)
{
	(void)reg;
	(void)arg;
	refresh(false);
	heartbeat();
}

static int handler(netsnmp_mib_handler *h, netsnmp_handler_registration *reg,
		   netsnmp_agent_request_info *info, netsnmp_request_info *requests)
{
	netsnmp_request_info *r;

	(void)h;
	refresh(false);
	build_list();	/* DateTime and uptime are read now, not at the poll */
	for (r = requests; r; r = r->next) {
		netsnmp_variable_list *var = r->requestvb;
		uint32_t want[MAX_OID_LEN];
		size_t len = var->name_length < MAX_OID_LEN ? var->name_length : MAX_OID_LEN, i;
		const struct snmp_vb *vb = NULL;
		oid name[SNMP_OID_MAX];

		if (r->processed)
			continue;
		for (i = 0; i < len; i++)
			want[i] = var->name[i] > UINT32_MAX ? UINT32_MAX : (uint32_t)var->name[i];
		switch (info->mode) {
		case MODE_GET:
			vb = snmp_vbl_get(&A.vbl, want, len);
			if (!vb) {
				netsnmp_set_request_error(info, r, SNMP_NOSUCHINSTANCE);
				continue;
			}
			break;
		case MODE_GETNEXT:
			if (r->inclusive)
				vb = snmp_vbl_get(&A.vbl, want, len);
			if (!vb)
				vb = snmp_vbl_next(&A.vbl, want, len);
			/* Past the end of this registration's subtree: leave the
			 * varbind alone and the agent moves on to the next one. */
			if (!vb || vb->oid_len < reg->rootoid_len)
				continue;
			for (i = 0; i < reg->rootoid_len; i++)
				if (vb->oid[i] != reg->rootoid[i])
					break;
			if (i < reg->rootoid_len)
				continue;
			oid_to_net(vb->oid, vb->oid_len, name);
			snmp_set_var_objid(var, name, vb->oid_len);
			break;
		default:
			/* Nothing here is writable (doc/snmp.md: the control
			 * objects are read-only). */
			netsnmp_set_request_error(info, r, SNMP_ERR_NOTWRITABLE);
			continue;
		}
		vb_to_varbind(vb, var);
	}
	return SNMP_ERR_NOERROR;
}

static int register_tree(const char *name, const uint32_t *root, size_t len)
{
	oid o[SNMP_OID_MAX];
	netsnmp_handler_registration *reg;

	oid_to_net(root, len, o);
	reg = netsnmp_create_handler_registration(name, handler, o, len, HANDLER_CAN_RONLY);
	if (!reg)
		return -ENOMEM;
	return netsnmp_register_handler(reg) == MIB_REGISTERED_OK ? 0 : -EEXIST;
}

static void describe_system(void)
{
	struct utsname u;
	struct timespec res;

	if (uname(&u) == 0)
		snprintf(A.system_type, sizeof(A.system_type), "%s %s / %s", u.sysname, u.release,
			 u.machine);
	else
		snprintf(A.system_type, sizeof(A.system_type), "unknown");
	/* gnomond does not report these; gnomon-snmp runs on gnomond's host
	 * (it reaches it through a Unix socket), so it measures the same
	 * clock the same way gnomond does (clk_measure_precision). */
	if (clock_getres(CLOCK_REALTIME, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0)
		A.resolution = (uint32_t)(1000000000L / res.tv_nsec);
	else
		A.resolution = 1;
	A.precision = clk_measure_precision();
}

int snmp_agent_run(const struct snmp_agent_cfg *cfg)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int rc = 0;

	memset(&A, 0, sizeof(A));
	A.cfg = *cfg;
	A.reply = malloc(CTL_MAX_REPLY + 1);
	A.cur = calloc(1, sizeof(*A.cur));
	A.prev = calloc(1, sizeof(*A.prev));
	A.last_ok = calloc(1, sizeof(*A.last_ok));
	if (!A.reply || !A.cur || !A.prev || !A.last_ok) {
		fprintf(stderr, "gnomon-snmp: out of memory\n");
		return 1;
	}
	snmp_state_init(A.cur);
	snmp_state_init(A.prev);
	snmp_state_init(A.last_ok);
	snmp_ids_init(&A.ids);
	snmp_alarm_track_init(&A.alarm_track);
	A.started = (int64_t)time(NULL);
	snmp_vbl_init(&A.vbl);
	describe_system();

	/* No SA_RESTART: the signal must end the select() inside
	 * agent_check_and_process. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	snmp_disable_log();
	snmp_enable_stderrlog();
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
	if (cfg->agentx)
		netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET,
				      cfg->agentx);
	/* Reconnect every 5 s when the master goes away (snmpd restarted). */
	netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, 5);
	/* gnomon-snmp needs no MIB files (it serves numeric OIDs and names
	 * nothing): the host's incomplete MIB set must not fill its log. */
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_ERRORS, 0);
	netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_WARNINGS, 0);
	setenv("MIBS", "", 1);
	/* gnomon-snmp keeps no state between runs. */
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	if (init_agent("gnomon-snmp")) {
		fprintf(stderr, "gnomon-snmp: init_agent failed\n");
		return 1;
	}
	if (register_tree("NTPv4-MIB", snmp_ntp_mib, SNMP_NTP_MIB_LEN) ||
	    register_tree("GNOMON-MIB", snmp_gnomon_mib, SNMP_GNOMON_MIB_LEN)) {
		fprintf(stderr, "gnomon-snmp: cannot register the MIB subtrees\n");
		rc = 1;
		goto out;
	}
	init_snmp("gnomon-snmp");
	refresh(true);
	A.heartbeat_at = gt_now(CLOCK_MONOTONIC) + (gt_ns)cfg->heartbeat * GT_NS_PER_S;
	snmp_alarm_register(1, SA_REPEAT, tick, NULL);
	snmp_log(LOG_INFO, "gnomon-snmp %s: serving NTPv4-MIB and GNOMON-MIB from %s (%s)\n",
		 cfg->version, cfg->ctl_path, A.cur->reachable ? "reachable" : A.cur->error);
	while (!stop_requested)
		agent_check_and_process(1);
	snmp_log(LOG_INFO, "gnomon-snmp: stopping\n");
out:
	snmp_shutdown("gnomon-snmp");
	snmp_vbl_free(&A.vbl);
	free(A.reply);
	free(A.cur);
	free(A.prev);
	free(A.last_ok);
	return rc;
}
