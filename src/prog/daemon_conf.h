/* daemon_conf: gnomond's configuration: the struct, the directive table and
 * the handlers of directives with structured arguments. */
#ifndef GNOMON_DAEMON_CONF_H
#define GNOMON_DAEMON_CONF_H

#include <stdbool.h>

#include "audit/audit_svc.h"
#include "clock/clk.h"
#include "lib/conf.h"
#include "lib/log.h"
#include "net/acl.h"
#include "gw/gw_conf.h"
#include "mon/http.h"
#include "mon/alarm.h"
#include "ntp/ntp_bcast.h"
#include "ntp/ntp_bcast_srv.h"
#include "ntp/ntp_client.h"
#include "ntp/ntp_srv.h"
#include "standby/health.h"
#include "standby/standby.h"
#include "ptp/ptp_conf.h"

enum dconf_key {
	DC_PORT, DC_BINDADDRESS, DC_ALLOW, DC_DENY, DC_LOCAL, DC_SERVE_OFFSET,
	DC_RATELIMIT, DC_KOD, DC_WORKERS, DC_CONTROL, DC_USER, DC_SECCOMP, DC_CLOCK,
	DC_LOG, DC_LOGFILE, DC_LOGLEVEL, DC_CLIENTLOGBITS, DC_CLIENTLOG, DC_COALESCE,
	DC_SERVER, DC_POOL, DC_PEER, DC_MAKESTEP, DC_MAXCHANGE, DC_MAXDISTANCE, DC_MINSOURCES,
	DC_DRIFTFILE, DC_LEAPSECMODE, DC_MAXSLEWRATE, DC_LOGDIR, DC_KEYFILE, DC_CRYPTO_NAK,
	DC_BROADCAST, DC_BROADCASTCLIENT, DC_GATEWAY_SEND, DC_GATEWAY_RECEIVE, DC_JOURNAL, DC_STATEDIR,
	DC_HTTP,
	DC_ALARM, DC_ALARMSYSLOG,
	DC_AUDIT,
	DC_HEALTH, DC_STANDBY,
	DC_PTP_PORT, DC_PTP_UDS, DC_PTP_SERVO, DC_PTP_TC,
};

#define DCONF_MAX_SOURCES 32
#define DCONF_DEFAULT_STATEDIR "/var/lib/gnomon"

/* A `server` or `pool` line; the name is resolved when gnomond starts. */
struct dconf_source {
	char host[256];
	bool pool;
	int maxsources;			/* pool: addresses used */
	struct ntp_client_cfg opts;	/* addr filled at start */
};

#define DCONF_MAX_BROADCAST 8
#define DCONF_WORKERS_AUTO -1	/* `workers auto`, the default: dconf_workers_auto() at start */

struct dconf {
	int port;
	struct net_addr bind[NTP_SRV_MAX_BIND];
	int n_bind;
	struct acl *acl;
	int local_stratum;		/* 0: no local reference */
	double serve_offset;
	bool rl_enabled;
	int rl_interval;
	int rl_burst;
	int rl_leak;			/* over the limit, answer 1 in 2^rl_leak */
	int rl_v4_prefix, rl_v6_prefix;	/* a client is this prefix of its address */
	bool kod;
	int workers;			/* DCONF_WORKERS_AUTO until resolved at start */
	char control[108];
	char user[64];
	bool seccomp;		/* the system-call filter (sandbox.h) */
	enum clk_kind clock;
	double clock_offset, clock_freq;
	char clock_dev[64];		/* clock phc DEVICE */
	enum log_dest log_dest;
	char logfile[256];
	enum log_level log_level;
	int clientlog_bits;
	int clientlog_entries;		/* clients remembered for `clients`; 0: none */
	int coalesce_us;
	struct dconf_source sources[DCONF_MAX_SOURCES];
	int n_sources;
	double makestep_threshold;
	int makestep_limit;
	double maxchange_offset;
	int maxchange_start, maxchange_ignore;
	double maxdistance;
	int minsources;
	char driftfile[256];
	char statedir[256];		/* state kept across restarts (gateway replay state) */
	char keyfile[256];
	struct auth_keys *keys;	/* loaded by the keyfile directive; NULL: none */
	bool crypto_nak;
	enum sync_leapmode leapsecmode;
	double maxslewrate;
	char logdir[256];
	bool log_measurements, log_tracking;
	struct ntp_bcast_srv_cfg bcast[DCONF_MAX_BROADCAST];
	int n_bcast;
	bool bclient;			/* broadcastclient given */
	struct ntp_bcast_client_cfg bclient_cfg;	/* keys etc. filled at start */
	struct gw_send_cfg gw_send[GW_MAX_SEND];
	int n_gw_send;
	bool gw_recv_on;
	struct gw_recv_cfg gw_recv;
	bool journal_on;
	char journal_file[256];
	bool journal_syslog;
	uint64_t journal_maxsize, journal_maxage, journal_keepage, journal_keepsize;
	bool journal_nocompress;
	int journal_thread;		/* -1: default (a thread when workers > 0) */
	struct http_config http;	/* the monitoring HTTP server (mon/http.h); off by default */
	struct alarm_cfg alarm;		/* alarm rules and the syslog facility (mon/alarm.h) */
	struct audit_svc_config audit;	/* the periodic device audit (audit/audit_svc.h); off */
	struct health_cfg health;	/* `gnomonctl health`'s thresholds (standby/health.h) */
	struct sb_cfg standby;		/* the hot-standby heartbeat (standby/standby.h); off */
	struct ptp_cfg ptp;		/* PTP ports (ptp/ptp_conf.h); none */
};

/* Defaults into cfg (allocates the ACL). */
void dconf_init(struct dconf *cfg);
/* Free what cfg owns: the ACL and the keys. */
void dconf_fini(struct dconf *cfg);
/* Parse a file or buffer into cfg; returns the error count. */
int dconf_parse_file(struct dconf *cfg, const char *path, struct conf_errors *errs);
int dconf_parse_buffer(struct dconf *cfg, const char *name, const char *buf, size_t len,
		       struct conf_errors *errs);
/* What `workers auto` means on this machine: CPUs usable - 1 (0 on one). */
int dconf_workers_auto(void);
/* Print the directive table (name, syntax, help) to f. */
void dconf_print_help(void *f);

#endif
