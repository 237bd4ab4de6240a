/* gnomond: the gnomon time daemon. Wires the modules together in
 * dependency order; all behaviour lives in the modules. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit_svc.h"
#include "clock/clk.h"
#include "lib/fsutil.h"
#include "lib/journal.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/metrics.h"
#include "lib/qsbr.h"
#include "lib/service.h"
#include "lib/statlog.h"
#include "lib/util.h"
#include "mon/alarm_feed.h"
#include "mon/ctl.h"
#include "mon/exports.h"
#include "mon/history.h"
#include "mon/series.h"
#include "gw/gw_ctl.h"
#include "gw/gw_recv.h"
#include "gw/gw_send.h"
#include "ntp/ntp_bcast.h"
#include "ntp/ntp_bcast_srv.h"
#include "ntp/ntp_client.h"
#include "ntp/ntp_ctl.h"
#include "ntp/ntp_srv.h"
#include "prog/daemon_conf.h"
#include "prog/privs.h"
#include "prog/reload.h"
#include "prog/sandbox.h"
#include "ptp/ptp.h"
#include "ptp/ptp_tc.h"
#include "standby/health.h"
#include "standby/standby.h"
#include "sync/sync.h"
#include "sync/sync_ctl.h"
#include "sync/sync_run.h"

#ifdef GNOMON_CONFIG_FILE
#define DEFAULT_CONFIG GNOMON_CONFIG_FILE	/* sysconfdir/gnomon/gnomond.conf (meson.build) */
#else
#define DEFAULT_CONFIG "/etc/gnomon/gnomond.conf"
#endif

/* The configuration `make run` and a bare `gnomond -n` use. */
static const char builtin_config[] =
	"port 11123\n"
	"bindaddress 127.0.0.1\n"
	"bindaddress ::1\n"
	"allow 127.0.0.0/8\n"
	"allow ::1\n"
	"local stratum 10\n"
	"clock system\n"
	"http 127.0.0.1:11180\n";

#define GNOMON_VERSION "0.1.0"

struct daemon {
	struct dconf cfg;
	struct loop *loop;
	struct clk *clock;
	struct clk_published published;
	struct ntp_srv *srv;
	struct sync *sync;
	struct ntp_client *clients[SYNC_MAX_SOURCES];
	int n_clients;
	struct ntp_bcast_srv *bsrv[DCONF_MAX_BROADCAST];
	int n_bsrv;
	struct ntp_bcast_client *bclient;
	struct gw_sender *gw_send[GW_MAX_SEND];
	int n_gw_send;
	struct gw_receiver *gw_recv;
	struct journal *journal;
	struct sync_run *run;		/* the sync core on the loop; publishes the clock */
	uint32_t own_refids[64];	/* refids naming this host, for loop detection */
	struct statlog *measurements, *tracking;
	int n_own_refids;
	struct ctl *ctl;
	/* Everything served, in the order made; destroyed in reverse. The
	 * pointers above are references into it. */
	struct service_set services;
	struct hist *hist;		/* what the dashboard plots */
	struct mon_series *series;
	struct alarm_feed *alarms;
	struct audit_svc *audit;	/* the device audit (`audit`), or NULL */
	struct health *health;		/* `gnomonctl health`: always */
	struct standby *standby;	/* the hot-standby heartbeat (`standby`), or NULL */
	struct ptp *ptp;		/* the PTP clock (`ptp-port`), or NULL */
	uint16_t http_port;
	struct met_registry *metrics;
	int8_t precision;
	char tmpdir[64];
	struct reload_src reload;
	/* The user we drop to (`user`, default gnomon); switch_user is false
	 * with `user root` or when not started as root. */
	uid_t uid;
	gid_t gid;
	bool switch_user;
	bool foreground;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gnomond [-n] [-d] [-f FILE] [-e LINE]...\n"
		"       gnomond --check-config [-f FILE] [-e LINE]...\n"
		"  -f FILE          configuration file (default %s;\n"
		"                   without -f and with -n: a built-in demo configuration)\n"
		"  -e LINE          extra configuration line, after the file\n"
		"  -n               stay in the foreground, log to stderr\n"
		"  -d               debug logging\n"
		"  --check-config   check the configuration and exit (0: valid)\n"
		"  --help-config    list the directives\n"
		"  --version\n", DEFAULT_CONFIG);
}

static void on_tick(struct loop_timer *t, void *arg)
{
	struct daemon *d = arg;

	(void)t;
	qsbr_reclaim();	/* tables replaced by a reload, once no worker reads them */
	sync_run_now(d->run);
	if (d->series)
		mon_series_tick(d->series, gt_now(CLOCK_REALTIME));
	if (d->alarms)
		alarm_feed_tick(d->alarms, gt_now(CLOCK_MONOTONIC));
}

static void on_terminate(int sig, void *arg)
{
	struct daemon *d = arg;

	LOG_INFO("signal %d: exiting", sig);
	loop_stop(d->loop);
}

static void check_keyfile_mode(const struct daemon *d)
{
	struct stat st;

	/* Group-readable is right when the group is the daemon's: root owns
	 * the file and the unprivileged daemon re-reads it on reload. */
	if (d->cfg.keyfile[0] && stat(d->cfg.keyfile, &st) == 0 &&
	    ((st.st_mode & 007) || ((st.st_mode & 070) && !(d->switch_user && st.st_gid == d->gid))))
		LOG_WARN("key file %s can be read by group or others (mode %04o): chmod 600 it, "
			 "or 640 with the daemon's group", d->cfg.keyfile,
			 (unsigned)(st.st_mode & 07777));
}

/* Keys and access lists from the configuration again (prog/reload.h). */
static int reload(struct daemon *d, char *why, size_t len)
{
	struct journal_fields f;
	bool restart = false;
	int rc = reload_apply(&d->reload, &d->cfg, &restart, why, len);

	if (rc) {
		LOG_ERR("reload refused, nothing changed: %s", why);
	} else {
		if (restart)
			LOG_WARN("reload: directives other than keyfile, allow and deny changed; "
				 "they take effect only after a restart");
		LOG_INFO("reloaded: %s", why);
		if (d->gw_recv)
			gw_receiver_keys_reloaded(d->gw_recv);
		check_keyfile_mode(d);
	}
	if (d->journal) {
		journal_fields_init(&f);
		journal_field_str(&f, "result", rc ? "refused" : "applied");
		journal_event(d->journal, rc ? JOURNAL_WARNING : JOURNAL_NOTICE, "RELOAD", &f,
			      "%s", why);
	}
	return rc;
}

static int cmd_reload(void *arg, int argc, char **argv, struct json_out *j)
{
	struct daemon *d = arg;
	char why[2048];

	(void)argc;
	(void)argv;
	if (reload(d, why, sizeof(why)))
		json_str(j, "error", why);
	else
		json_str(j, "reloaded", why);
	return 0;
}

static void on_hangup(int sig, void *arg)
{
	(void)sig;
	struct daemon *d = arg;
	char why[2048];

	if (log_reopen())
		LOG_WARN("cannot reopen the log file");
	else
		LOG_INFO("log reopened");
	if (d->journal && journal_reopen(d->journal))
		LOG_WARN("cannot reopen the journal %s", d->cfg.journal_file);
	else if (d->journal)
		journal_event(d->journal, JOURNAL_INFO, "REOPEN", NULL, "reopened on SIGHUP");
	if ((d->measurements && statlog_reopen(d->measurements)) ||
	    (d->tracking && statlog_reopen(d->tracking)))
		LOG_WARN("cannot reopen a statistics log in %s", d->cfg.logdir);
	reload(d, why, sizeof(why));
}

/* The refids another server would show if it were synchronised to us: our
 * explicit server addresses and, for wildcard binds, every non-loopback
 * interface address (loopback is left out: two daemons on one host may
 * both be reached through it without any loop). */
static void collect_own_refids(struct daemon *d)
{
	struct ifaddrs *ifs, *ifa;
	bool wildcard = d->cfg.n_bind == 0;
	int i;

	for (i = 0; i < d->cfg.n_bind && d->n_own_refids < (int)ARRAY_LEN(d->own_refids); i++) {
		if (net_addr_is_any(&d->cfg.bind[i]))
			wildcard = true;
		else
			d->own_refids[d->n_own_refids++] = net_addr_refid(&d->cfg.bind[i]);
	}
	if (!wildcard || getifaddrs(&ifs) < 0)
		return;
	for (ifa = ifs; ifa && d->n_own_refids < (int)ARRAY_LEN(d->own_refids); ifa = ifa->ifa_next) {
		struct net_addr a;

		if (!ifa->ifa_addr || (ifa->ifa_flags & IFF_LOOPBACK) ||
		    net_addr_from_sockaddr(ifa->ifa_addr, &a, NULL))
			continue;
		d->own_refids[d->n_own_refids++] = net_addr_refid(&a);
	}
	freeifaddrs(ifs);
}

/* Resolve each `server`/`pool` line and start its sources. A name that
 * does not resolve is logged and skipped: the others still serve. */
static int start_sources(struct daemon *d)
{
	struct sync_config sc = {
		.makestep_threshold = d->cfg.makestep_threshold,
		.makestep_limit = d->cfg.makestep_limit,
		.maxchange_offset = d->cfg.maxchange_offset,
		.maxchange_start = d->cfg.maxchange_start,
		.maxchange_ignore = d->cfg.maxchange_ignore,
		.maxdistance = d->cfg.maxdistance,
		.minsources = d->cfg.minsources,
		.holdover = 3600,
		.driftfile = d->cfg.driftfile[0] ? d->cfg.driftfile : NULL,
		.leapsecmode = d->cfg.leapsecmode,
		.maxslewrate = d->cfg.maxslewrate,
	};
	int i, rc = 0;

	if (!d->cfg.n_sources && !d->bclient && !d->gw_recv && !(d->ptp && ptp_cfg_has_slave(&d->cfg.ptp)))
		return 0;
	if (d->ptp && d->cfg.ptp.servo == PTP_SERVO_PI &&
	    (d->cfg.n_sources || d->bclient || d->gw_recv)) {
		/* two disciplines on one clock would fight over it */
		LOG_ERR("ptp-servo pi adjusts the clock by itself: it cannot share it with "
			"server, pool, peer, broadcastclient or gateway-receive sources "
			"(use ptp-servo core)");
		return -EINVAL;
	}
	if (d->cfg.log_measurements)
		d->measurements = statlog_open(d->cfg.logdir, "measurements",
			"time source leap stratum refid poll offset delay dispersion "
			"root_delay root_dispersion (seconds)", &rc);
	if (d->cfg.log_tracking && !rc)
		d->tracking = statlog_open(d->cfg.logdir, "tracking",
			"time refid stratum freq_ppm skew_ppm offset rms_offset root_delay "
			"root_dispersion leap survivors (seconds)", &rc);
	if (rc) {
		LOG_ERR("cannot open the statistics logs in %s: %s", d->cfg.logdir, strerror(-rc));
		return rc;
	}
	d->sync = sync_create(d->clock, &sc);
	if (!d->sync)
		return -ENOMEM;
	sync_run_attach(d->run, d->sync, d->tracking);
	if (d->gw_recv) {
		rc = gw_receiver_start(d->gw_recv, d->loop, d->clock, d->sync);
		if (rc) {
			LOG_ERR("gateway-receive: %s", strerror(-rc));
			return rc;
		}
	}
	if (d->ptp) {
		rc = ptp_attach_sync(d->ptp, d->sync);
		if (rc) {
			LOG_ERR("ptp: %s", strerror(-rc));
			return rc;
		}
	}
	if (d->bclient) {
		rc = ntp_bcast_client_start(d->bclient, d->loop, d->clock, d->sync,
					    d->measurements);
		if (rc) {
			LOG_ERR("broadcastclient: %s", strerror(-rc));
			return rc;
		}
	}
	for (i = 0; i < d->cfg.n_sources; i++) {
		struct dconf_source *ds = &d->cfg.sources[i];
		struct net_addr addrs[SYNC_MAX_SOURCES];
		int k, used = 0, limit = ds->pool ? ds->maxsources : 1;
		const char *why;
		int n = net_resolve(ds->host, addrs, SYNC_MAX_SOURCES, &why);

		if (n < 0)
			LOG_ERR("source %s: %s", ds->host, why);
		for (k = 0; k < n && used < limit && d->n_clients < SYNC_MAX_SOURCES; k++) {
			struct ntp_client_cfg cc = ds->opts;
			char addr[NET_ADDR_STRLEN];
			int err = 0;

			cc.own_refids = d->own_refids;
			cc.n_own_refids = d->n_own_refids;
			cc.keys = d->cfg.keys;
			cc.measurements = d->measurements;
			cc.addr = addrs[k];
			if (ds->pool)
				snprintf(cc.name, sizeof(cc.name), "%s",
					 net_addr_str(&cc.addr, addr, sizeof(addr)));
			d->clients[d->n_clients] = ntp_client_create(&cc, d->loop, d->clock, d->sync,
								     &err);
			if (!d->clients[d->n_clients]) {
				LOG_ERR("source %s: %s", cc.name, err == -ENOKEY ?
					"its key is not in the keyfile" : strerror(-err));
				continue;
			}
			d->n_clients++;
			used++;
		}
	}
	LOG_INFO("%d NTP source(s) started", d->n_clients);
	return 0;
}

static int load_config(struct dconf *cfg, const char *path, char **extra, int n_extra,
		       bool builtin)
{
	struct conf_errors errs;
	int n = 0, i;

	if (builtin)
		n += dconf_parse_buffer(cfg, "<built-in>", builtin_config,
					sizeof(builtin_config) - 1, &errs);
	else
		n += dconf_parse_file(cfg, path, &errs);
	for (i = 0; i < errs.count && i < CONF_MAX_ERRORS; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	for (i = 0; i < n_extra; i++) {
		int k, e = dconf_parse_buffer(cfg, "-e", extra[i], strlen(extra[i]), &errs);

		for (k = 0; k < errs.count && k < CONF_MAX_ERRORS; k++)
			fprintf(stderr, "%s\n", errs.msg[k]);
		n += e;
	}
	if (n > CONF_MAX_ERRORS)
		fprintf(stderr, "(%d errors in all)\n", n);
	if ((cfg->log_measurements || cfg->log_tracking) && !cfg->logdir[0]) {
		fprintf(stderr, "%s: `log measurements` and `log tracking` need `logdir DIR`\n",
			builtin ? "<built-in>" : path);
		n++;
	}
	return n;
}

/* The uid that files and directories root creates for the daemon are
 * handed to, or FS_NO_UID when nothing is switched. */
static uid_t owner_uid(const struct daemon *d)
{
	return d->switch_user ? d->uid : FS_NO_UID;
}

/* The control socket's directory: created for the daemon's user if
 * missing (so that it can remove the socket at exit), then checked like
 * chrony checks its socket directory: a real directory, root's or the
 * user's, writable by nobody else. */
static int prepare_control_dir(struct daemon *d)
{
	char dir[108], why[160];
	int rc;

	if (fs_dirname(d->cfg.control, dir, sizeof(dir)))
		return -ENAMETOOLONG;
	rc = fs_mkdir_owned(dir, 0750, owner_uid(d), d->gid);
	if (rc < 0) {
		LOG_ERR("cannot create the control socket directory %s: %s", dir, strerror(-rc));
		return rc;
	}
	/* Not started as root: our own directory is as good as root's. */
	rc = fs_check_dir(dir, d->switch_user ? d->uid : geteuid(), why, sizeof(why));
	if (rc)
		LOG_ERR("control socket directory %s %s", dir, why);
	return rc;
}

/* A directory root opens a file in (the journal's, the log file's): as
 * the control directory, no link, root's or the user's, writable by
 * nobody else, or whoever can write there could swap names under root.
 * Devices (/dev/null) are exempt: root does not create them. */
static int check_root_file_dir(const struct daemon *d, const char *what, const char *path)
{
	char dir[4096], why[160];
	struct stat st;
	int rc;

	if (!path[0] || (stat(path, &st) == 0 && S_ISCHR(st.st_mode)))
		return 0;
	if (fs_dirname(path, dir, sizeof(dir)))
		return -ENAMETOOLONG;
	rc = fs_check_dir(dir, d->switch_user ? d->uid : geteuid(), why, sizeof(why));
	if (rc)
		LOG_ERR("%s directory %s %s", what, dir, why);
	return rc;
}

static double read_journal(const void *ctx, uintptr_t key)
{
	struct journal_stats js;

	journal_get_stats((struct journal *)(uintptr_t)ctx, &js);
	switch (key) {
	case 0: return (double)js.written;
	case 1: return (double)js.lost_queue_full;
	case 2: return (double)js.lost_write_error;
	case 3: return (double)js.rotations;
	default: return js.degraded ? 1 : 0;
	}
}

static void register_journal_metrics(struct daemon *d)
{
	met_register(d->metrics, "gnomon_journal_written_total", "journal records written",
		     MET_COUNTER, read_journal, d->journal, 0);
	met_register(d->metrics, "gnomon_journal_lost_queue_full_total",
		     "journal records lost: the queue was full", MET_COUNTER, read_journal,
		     d->journal, 1);
	met_register(d->metrics, "gnomon_journal_lost_write_error_total",
		     "journal records lost: the write failed (disk full)", MET_COUNTER,
		     read_journal, d->journal, 2);
	met_register(d->metrics, "gnomon_journal_rotations_total", "journal files rotated",
		     MET_COUNTER, read_journal, d->journal, 3);
	met_register(d->metrics, "gnomon_journal_degraded", "1 while journal records are lost",
		     MET_GAUGE, read_journal, d->journal, 4);
}

/* The state directory (statedir): created here, as root, before privileges
 * are dropped, so that the unprivileged daemon can later replace the files
 * in it. Only when something keeps state there (the gateway). When the
 * daemon runs as its own user, this is the one place that must also hand
 * the directory to that user (fchown). */
static int prepare_statedir(struct daemon *d)
{
	int rc;

	if (!d->cfg.n_gw_send && !d->cfg.gw_recv_on)
		return 0;
	char why[160];
	int created;

	/* Created for the daemon's user, who writes the replay state there
	 * after dropping root; an existing one is checked like the control
	 * directory (a real directory, root's or the user's, writable by no
	 * one else) and must be the user's for the state to be kept. */
	created = fs_mkdir_owned(d->cfg.statedir, 0750, owner_uid(d), d->gid);
	if (created < 0) {
		LOG_ERR("cannot create the statedir %s: %s", d->cfg.statedir, strerror(-created));
		return created;
	}
	rc = fs_check_dir(d->cfg.statedir, d->switch_user ? d->uid : geteuid(), why, sizeof(why));
	if (rc)
		LOG_ERR("statedir %s %s", d->cfg.statedir, why);
	return rc;
}

/* Broadcast servers, and the broadcast client's sockets (the NTP port:
 * before privileges are dropped; it starts with the other sources). */
static int start_broadcast(struct daemon *d)
{
	struct ntp_reply_params par = {
		.serve_offset = gt_from_sec(d->cfg.serve_offset),
		.keys = d->cfg.keys,
	};
	struct ntp_bcast_client_cfg *bc = &d->cfg.bclient_cfg;
	char a[NET_ADDR_STRLEN];
	int i, rc = 0;

	for (i = 0; i < d->cfg.n_bcast; i++) {
		d->bsrv[i] = ntp_bcast_srv_create(&d->cfg.bcast[i], &par, &d->published, d->loop,
						  &rc);
		if (!d->bsrv[i] || (rc = service_add(&d->services, &ntp_bcast_srv_service,
						      d->bsrv[i]))) {
			LOG_ERR("broadcast %s: %s", net_addr_str(&d->cfg.bcast[i].addr, a, sizeof(a)),
				rc == -ENOKEY ? "its key is not in the keyfile" : strerror(-rc));
			return rc;
		}
		d->n_bsrv++;
	}
	rc = prepare_statedir(d);
	if (rc)
		return rc;
	for (i = 0; i < d->cfg.n_gw_send; i++) {
		d->cfg.gw_send[i].statedir = d->cfg.statedir;
		d->gw_send[i] = gw_sender_create(&d->cfg.gw_send[i], d->cfg.keys, &d->published,
						 d->journal, &rc);
		if (!d->gw_send[i]) {
			LOG_ERR("gateway-send %s: %s", net_addr_str(&d->cfg.gw_send[i].to, a, sizeof(a)),
				rc == -ENOKEY ? "its key is not in the keyfile" : strerror(-rc));
			return rc;
		}
		rc = service_add(&d->services, &gw_sender_service, d->gw_send[i]);
		if (rc)
			return rc;
		d->n_gw_send++;
		gw_sender_register_metrics(d->gw_send[i], i, d->metrics);
	}
	if (d->cfg.gw_recv_on) {
		d->cfg.gw_recv.statedir = d->cfg.statedir;
		d->gw_recv = gw_receiver_open(&d->cfg.gw_recv, d->cfg.keys, d->journal, &rc);
		if (!d->gw_recv) {
			LOG_ERR("gateway-receive: %s", rc == -ENOKEY ? "no SHA256 key to accept (keyfile "
				"and key, or noauth)" : strerror(-rc));
			return rc;
		}
		gw_receiver_register_metrics(d->gw_recv, d->metrics);
	}
	if (!d->cfg.bclient)
		return 0;
	/* Authentication is required unless waived: a broadcast can come
	 * from anyone on the segment. */
	if (!bc->noauth && !d->cfg.keys) {
		LOG_ERR("broadcastclient needs a keyfile (or `noauth` to accept unsigned packets)");
		return -EINVAL;
	}
	if (bc->key && !auth_key_info(d->cfg.keys, bc->key, NULL, NULL)) {
		LOG_ERR("broadcastclient: key %u is not in the keyfile", bc->key);
		return -ENOKEY;
	}
	bc->port = (uint16_t)(d->cfg.port ? d->cfg.port : 123);
	bc->keys = d->cfg.keys;
	bc->own_refids = d->own_refids;
	bc->n_own_refids = d->n_own_refids;
	d->bclient = ntp_bcast_client_open(bc, &rc);
	if (!d->bclient) {
		LOG_ERR("broadcastclient: %s", rc == -ENODEV ? "no interface has a broadcast "
			"address and no group is given" : strerror(-rc));
		return rc;
	}
	return 0;
}

/* Secrets readable by others are no secrets: say so, as chronyd does. */

/* The NTP server (port 0: none), its sockets bound as root. */
static int make_ntp_server(struct daemon *d)
{
	struct ntp_srv_config sc;
	int rc, i;

	memset(&sc, 0, sizeof(sc));
	if (!d->cfg.port)
		return 0;
	sc.port = (uint16_t)d->cfg.port;
	sc.n_bind = d->cfg.n_bind;
	for (i = 0; i < d->cfg.n_bind; i++)
		sc.bind[i] = d->cfg.bind[i];
	if (!sc.n_bind) {
		net_addr_parse("0.0.0.0", &sc.bind[0]);
		net_addr_parse("::", &sc.bind[1]);
		sc.n_bind = 2;
	}
	sc.acl = d->cfg.acl;
	sc.reply.serve_offset = gt_from_sec(d->cfg.serve_offset);
	sc.reply.kod = d->cfg.kod;
	sc.reply.kod_poll = d->cfg.rl_interval;
	sc.reply.keys = d->cfg.keys;
	sc.reply.crypto_nak = d->cfg.crypto_nak;
	sc.rl_enabled = d->cfg.rl_enabled;
	sc.rl = (struct ntp_rl_config){
		.table_bits = (unsigned)d->cfg.clientlog_bits,
		.interval_log2 = d->cfg.rl_interval,
		.burst = (unsigned)d->cfg.rl_burst,
		.leak_log2 = (unsigned)d->cfg.rl_leak,
		.v4_prefix = (unsigned)d->cfg.rl_v4_prefix,
		.v6_prefix = (unsigned)d->cfg.rl_v6_prefix,
	};
	sc.workers = d->cfg.workers;
	sc.coalesce_us = d->cfg.coalesce_us;
	sc.reuseaddr = d->cfg.bclient;
	sc.clientlog = (unsigned)d->cfg.clientlog_entries;
	d->srv = ntp_srv_create(&sc, &d->published, &rc);
	if (!d->srv) {
		LOG_ERR("cannot start the NTP server: %s", strerror(-rc));
		return rc;
	}
	rc = service_add(&d->services, &ntp_srv_service, d->srv);
	if (rc)
		return rc;
	ntp_srv_register_metrics(d->srv, d->metrics);
	if (!acl_count(d->cfg.acl))
		LOG_WARN("no `allow` directive: the NTP server answers nobody");
	return 0;
}

static int open_journal(struct daemon *d)
{
	struct journal_cfg jc = {
		.path = d->cfg.journal_file, .to_syslog = d->cfg.journal_syslog,
		.max_size = d->cfg.journal_maxsize, .max_age = d->cfg.journal_maxage,
		.keep_age = d->cfg.journal_keepage, .keep_total = d->cfg.journal_keepsize,
		.no_compress = d->cfg.journal_nocompress,
		/* The single-threaded path stays thread-free (DESIGN.md):
		 * there the journal writes from the main loop. */
		.sync = d->cfg.journal_thread < 0 ? d->cfg.workers == 0 : !d->cfg.journal_thread,
		/* Root opens it; the user writes and rotates it. */
		.owner_uid = d->switch_user ? d->uid : 0,
		.owner_gid = d->gid,
	};
	int rc;

	if (!d->cfg.journal_on)
		return 0;
	rc = check_root_file_dir(d, "journal", d->cfg.journal_file);
	if (rc)
		return rc;
	d->journal = journal_open(&jc, &rc);
	if (!d->journal) {
		LOG_ERR("cannot open the journal %s: %s", d->cfg.journal_file, strerror(-rc));
		return rc;
	}
	journal_event(d->journal, JOURNAL_NOTICE, "START", NULL, "gnomond %s started",
		      GNOMON_VERSION);
	register_journal_metrics(d);
	return 0;
}

/* What names this host (refids, for loop detection) and whether the key
 * file is kept secret. */
static int know_ourselves(struct daemon *d)
{
	check_keyfile_mode(d);
	collect_own_refids(d);
	return 0;
}

/* The health verdict (`gnomonctl health`, always) and the hot-standby
 * heartbeat (`standby`), which sends it to the partner. */
static int make_health(struct daemon *d)
{
	char a[NET_ADDR_STRLEN];
	int rc;

	d->health = health_create(&d->cfg.health, d->run, d->alarms);
	rc = service_add(&d->services, &health_service, d->health);
	if (rc)
		return rc;
	health_register_metrics(d->health, d->metrics);
	if (!d->cfg.standby.enabled)
		return 0;
	d->standby = standby_create(&d->cfg.standby, d->cfg.keys, &d->published, d->health,
				    d->journal, &rc);
	if (!d->standby) {
		LOG_ERR("standby partner %s: %s",
			net_addr_str(&d->cfg.standby.partner, a, sizeof(a)),
			rc == -ENOKEY ? "its key is not a SHA256 key of the keyfile" : strerror(-rc));
		return rc;
	}
	rc = service_add(&d->services, &standby_service, d->standby);
	if (rc)
		return rc;
	standby_register(d->standby, d->metrics, d->alarms);
	return 0;
}

/* The PTP clock and its ports (`ptp-port`): sockets opened as root, the
 * management socket pmc uses next to the control socket unless
 * `ptp-uds` says otherwise. */
static int make_ptp(struct daemon *d)
{
	char uds[108] = "";
	int rc = 0;

	if (d->cfg.ptp.tc.n) {
		struct ptp_tc *tc;

		/* one `ptp` command: an ordinary clock beside a transparent
		 * one is not supported */
		if (d->cfg.ptp.n_ports) {
			LOG_ERR("ptp-tc cannot be combined with ptp-port lines");
			return -EINVAL;
		}
		tc = ptp_tc_create(&d->cfg.ptp.tc, &rc);
		if (!tc)
			return rc;
		rc = service_add(&d->services, &ptp_tc_service, tc);
		if (rc)
			return rc;
		ptp_tc_register_metrics(tc, d->metrics);
		return 0;
	}
	if (!d->cfg.ptp.n_ports)
		return 0;
	if (!strcmp(d->cfg.ptp.uds, "off"))
		uds[0] = 0;
	else if (d->cfg.ptp.uds[0])
		snprintf(uds, sizeof(uds), "%s", d->cfg.ptp.uds);
	else if (fs_dirname(d->cfg.control, uds, sizeof(uds) - 4) == 0) {
		strcat(uds, "/ptp");
		rc = prepare_control_dir(d);	/* made before the control socket's */
		if (rc)
			return rc;
	}
	d->ptp = ptp_create(&d->cfg.ptp, uds, d->clock, &d->published, d->journal, &rc);
	if (!d->ptp)
		return rc;
	rc = service_add(&d->services, &ptp_service, d->ptp);
	if (rc)
		return rc;
	ptp_register_metrics(d->ptp, d->metrics);
	return 0;
}

/* The control socket and every module's commands on it. */
static int make_control(struct daemon *d)
{
	int rc = prepare_control_dir(d);

	if (rc)
		return rc;
	d->ctl = ctl_create(d->cfg.control, d->loop, &rc);
	if (!d->ctl) {
		LOG_ERR("cannot create the control socket %s: %s", d->cfg.control,
			rc == -ELOOP ? "a symbolic link is in its place (refused: remove it)" :
			rc == -EEXIST ? "something other than a socket is in its place (remove it)" :
			strerror(-rc));
		return rc;
	}
	rc = service_add(&d->services, &ctl_service, d->ctl);
	if (!rc)
		rc = service_add(&d->services, &ntp_ctl_service,
				 ntp_ctl_create(d->srv, d->bsrv, d->n_bsrv));
	if (!rc)
		rc = service_add(&d->services, &gw_ctl_service,
				 gw_ctl_create(d->gw_send, d->n_gw_send, d->gw_recv, d->journal));
	if (!rc) {
		d->series = mon_series_create(d->hist, d->run, d->srv, d->gw_recv);
		rc = service_add(&d->services, &mon_series_service, d->series);
	}
	if (!rc) {
		d->alarms = alarm_feed_create(&d->cfg.alarm, d->run, d->srv, d->gw_recv, d->journal);
		rc = service_add(&d->services, &alarm_feed_service, d->alarms);
		if (rc)
			d->alarms = NULL;
	}
	if (!rc)
		rc = make_health(d);
	if (rc)
		return rc;
	/* Each module owns its commands. */
	service_register_ctl_all(&d->services, d->ctl);
	ctl_register_metrics(d->ctl, d->metrics);
	sync_ctl_register(d->ctl, d->run);
	ctl_register(d->ctl, "reload", cmd_reload, d);
	ctl_register_status(d->ctl);
	return 0;
}

/* Resolve `user` before anything is opened, so that what root creates
 * for the daemon can be handed to it. 0, or -ENOENT after saying how to
 * create the user. */
static int resolve_user(struct daemon *d)
{
	if (!strcmp(d->cfg.user, "root") || geteuid() != 0)
		return 0;
	if (privs_lookup(d->cfg.user, &d->uid, &d->gid)) {
		fprintf(stderr, "gnomond: user '%s' does not exist: create it with\n"
			"  useradd --system --no-create-home --home-dir /nonexistent "
			"--shell /usr/sbin/nologin %s\n"
			"(tools/deps.sh does), or name another with `user NAME` "
			"(`user root` keeps root)\n", d->cfg.user, d->cfg.user);
		return -ENOENT;
	}
	d->switch_user = d->uid != 0;
	return 0;
}

/* Only a system clock disciplined from sources needs CAP_SYS_TIME. No
 * other capability is needed once started: every socket, privileged
 * port included, is bound before the drop and nothing binds later
 * (SIGHUP and reload only reopen and re-read files), so
 * CAP_NET_BIND_SERVICE is not kept. */
static bool has_sources(const struct daemon *d)
{
	return d->cfg.n_sources > 0 || d->cfg.bclient || d->cfg.gw_recv_on ||
	       ptp_cfg_has_slave(&d->cfg.ptp);
}

static bool needs_clock_adjust(const struct daemon *d)
{
	return d->cfg.clock == CLK_KIND_SYSTEM && has_sources(d);
}

/* clock_adjtime through the filter: the system clock (with CAP_SYS_TIME,
 * above) or a PHC, whose device was opened for writing as root and needs
 * no capability. */
static bool needs_clock_calls(const struct daemon *d)
{
	return needs_clock_adjust(d) || (d->cfg.clock == CLK_KIND_PHC && has_sources(d));
}

static int drop_privileges(struct daemon *d)
{
	bool keep;
	int rc;

	if (!d->switch_user) {
		if (geteuid() == 0)
			LOG_WARN("running as root with every capability (`user root`): a flaw in "
				 "gnomond would be a flaw as root; prefer a dedicated user");
		else {
			/* As systemd starts it (gnomond.service: User=gnomon and
			 * the ambient CAP_SYS_TIME, CAP_NET_BIND_SERVICE): the
			 * sockets are bound, so keep CAP_SYS_TIME at most. */
			keep = needs_clock_adjust(d) && privs_have_sys_time();
			rc = privs_trim(keep);
			if (rc) {
				LOG_ERR("cannot give up capabilities: %s", strerror(-rc));
				return rc;
			}
			LOG_INFO("not started as root: running as uid %u%s", (unsigned)geteuid(),
				 keep ? " with CAP_SYS_TIME" : ", no capabilities");
			return 0;
		}
		/* No gain of privileges through exec, whoever we are. */
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			return -errno;
		return 0;
	}
	/* The socket entry itself, never what a link there points to (none
	 * when running without a control socket). */
	rc = ctl_fd(d->ctl) < 0 ? 0 : fs_chown_entry(d->cfg.control, d->uid, d->gid);
	if (rc)
		LOG_WARN("cannot hand the control socket to %s: %s", d->cfg.user, strerror(-rc));
	keep = needs_clock_adjust(d);
	if (keep && !privs_have_sys_time()) {
		/* Not ours to keep: every adjustment will fail with EPERM, and
		 * the clock is only measured. */
		LOG_WARN("CAP_SYS_TIME is not available (not in the bounding set?): the system "
			 "clock cannot be adjusted");
		keep = false;
	}
	rc = privs_drop(d->uid, d->gid, keep);
	if (rc)
		LOG_ERR("cannot drop privileges to %s: %s", d->cfg.user, strerror(-rc));
	else
		LOG_INFO("running as %s (uid %u)%s", d->cfg.user, (unsigned)d->uid,
			 keep ? " with CAP_SYS_TIME" : ", no capabilities");
	return rc;
}

/* After the drop: the directories the running daemon writes in must be
 * writable by its user, or the journal rotation, the statistics logs and
 * the driftfile would fail later and quietly. */
static int check_dir_writable(const struct daemon *d, const char *what, const char *path,
			      bool is_dir)
{
	char dir[4096];
	struct stat st;

	if (!path[0] || !d->switch_user)
		return 0;
	/* A device (/dev/null) is written in place, never rotated. */
	if (!is_dir && stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return 0;
	if (is_dir)
		snprintf(dir, sizeof(dir), "%s", path);
	else if (fs_dirname(path, dir, sizeof(dir)))
		return -ENAMETOOLONG;
	if (access(dir, W_OK | X_OK) == 0)
		return 0;
	LOG_ERR("%s directory %s is not writable by user %s (%s): chown %s it, or set `user`",
		what, dir, d->cfg.user, strerror(errno), d->cfg.user);
	return -EACCES;
}

static int check_user_dirs(struct daemon *d)
{
	int rc = 0;

	if (d->cfg.journal_on && d->cfg.journal_file[0])
		rc = check_dir_writable(d, "journal", d->cfg.journal_file, false);
	if (!rc && d->cfg.driftfile[0])
		rc = check_dir_writable(d, "driftfile", d->cfg.driftfile, false);
	if (!rc && d->cfg.logfile[0] && d->cfg.log_dest == LOG_DEST_FILE)
		rc = check_dir_writable(d, "logfile", d->cfg.logfile, false);
	if (!rc && d->cfg.logdir[0] && (d->cfg.log_measurements || d->cfg.log_tracking))
		rc = check_dir_writable(d, "logdir", d->cfg.logdir, true);
	return rc;
}

/* The last step of start-up: from here on only the system calls this
 * configuration needs are allowed (sandbox.h). */
static int start_sandbox(struct daemon *d)
{
	struct sandbox_needs n = {
		.clock_adjust = needs_clock_calls(d),
		.file_writes = (d->cfg.journal_on && d->cfg.journal_file[0]) ||
			       d->cfg.driftfile[0] || d->cfg.log_measurements ||
			       d->cfg.log_tracking || d->cfg.log_dest == LOG_DEST_FILE ||
			       d->cfg.n_gw_send || d->cfg.gw_recv_on ||	/* statedir */
			       d->cfg.audit.enabled,	/* SQLite */
		.audit = d->cfg.audit.enabled,
	};
	int rc;

	if (!d->cfg.seccomp) {
		LOG_WARN("seccomp off: no system-call filter");
		return 0;
	}
	rc = sandbox_install(&n, log_file_fd());
	if (rc)
		LOG_ERR("cannot install the seccomp filter: %s (`seccomp off` to run without)",
			strerror(-rc));
	else
		LOG_INFO("seccomp filter installed%s%s",
			 n.clock_adjust ? ", clock adjustment allowed" : "",
			 n.file_writes ? ", file writes allowed" : "");
	return rc;
}

static void print_demo_hint(const struct daemon *d)
{
	printf("gnomond: serving NTP on 127.0.0.1 and ::1 port %d (local stratum 10, system clock)\n"
	       "  query it:      build/gnomonctl query 127.0.0.1 -p %d\n"
	       "  server stats:  build/gnomonctl -s %s serverstats\n"
	       "  dashboard:     http://127.0.0.1:%u/  (metrics: /metrics, status: /status)\n"
	       "  stop:          Ctrl-C\n",
	       d->srv ? ntp_srv_port(d->srv) : 0, d->srv ? ntp_srv_port(d->srv) : 0,
	       d->cfg.control, d->http_port);
	fflush(stdout);
}

/* The device audit (`audit`): its module loaded and the ICMP socket
 * opened as root; its thread starts with the services. */
static int make_audit(struct daemon *d)
{
	int rc;

	if (!d->cfg.audit.enabled)
		return 0;
	d->audit = audit_svc_create(&d->cfg.audit, &rc);
	if (!d->audit)
		return rc;
	rc = service_add(&d->services, &audit_svc_service, d->audit);
	if (rc) {
		d->audit = NULL;
		return rc;
	}
	return audit_svc_register_metrics(d->audit, d->metrics);
}

/* The HTTP exports (`http`): bound as root, served on the loop. */
static int make_http(struct daemon *d)
{
	const struct http_api *api;
	struct http_server *http;
	struct exports *x;
	char why[256];
	int rc = 0;

	if (!d->cfg.http.enabled)
		return 0;
	api = http_mod_load(why, sizeof(why));
	if (!api) {
		LOG_ERR("http: cannot load the HTTP module: %s", why);
		return -ENOENT;
	}
	http = api->create(d->loop, &d->cfg.http, &rc);
	if (!http) {
		LOG_ERR("http: cannot listen: %s", strerror(-rc));
		return rc;
	}
	x = exports_create(api, http, d->ctl, d->metrics, d->hist, &rc);
	if (!x) {
		api->destroy(http);
		LOG_ERR("http: %s", strerror(-rc));
		return rc;
	}
	d->http_port = api->port(http);
	api->register_metrics(http, d->metrics);
	rc = service_add(&d->services, &exports_service, x);
	if (!rc && d->audit)
		rc = audit_svc_add_routes(d->audit, api, http);
	return rc;
}

static double read_one(const void *ctx, uintptr_t key)
{
	(void)ctx;
	(void)key;
	return 1;
}

/* What every module publishes, and the build. */
static int register_metrics(struct daemon *d)
{
	static const char *const build[] = { "version", GNOMON_VERSION, NULL };

	met_register_labelled(d->metrics, "gnomon_build_info", "gnomond's version",
			      MET_GAUGE, build, read_one, NULL, 0);
	if (d->alarms)
		alarm_met_register(alarm_feed_engine(d->alarms), d->metrics);
	return sync_register_metrics(d->run, d->metrics);
}

static int daemonise(struct daemon *d)
{
	return !d->foreground && daemon(0, 0) < 0 ? -errno : 0;
}

static int start_services(struct daemon *d)
{
	return service_start_all(&d->services, d->loop);
}

/* Start-up, in order. Until drop_privileges the steps run as root: what
 * needs root (ports below 1024, files in root's directories) is made
 * there; each step logs what went wrong. */
static int (*const startup[])(struct daemon *d) = {
	make_ntp_server,	/* bound as root */
	open_journal,
	know_ourselves,		/* refids naming this host, key file mode */
	start_broadcast,	/* broadcast servers, gateway sender and receiver, broadcast client */
	make_audit,		/* module loaded and ICMP socket opened as root */
	make_ptp,		/* PTP ports and the management socket, as root */
	make_control,		/* control socket and every module's commands */
	make_http,		/* /metrics, /status, /history, the dashboard, /audit, /probe */
	register_metrics,
	daemonise,
	drop_privileges,
	start_services,		/* on the loop, as the daemon's user */
	start_sources,		/* the sync core and its sources */
	check_user_dirs,
	start_sandbox,		/* seccomp, last */
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "check-config", no_argument, NULL, 'C' },
		{ "help-config", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon d;
	const char *path = NULL;
	char *extra[32];
	int n_extra = 0, opt, rc;
	bool foreground = false, check = false, debug = false, builtin, workers_auto;
	sigset_t held;
	size_t i;

	while ((opt = getopt_long(argc, argv, "f:e:ndh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f': path = optarg; break;
		case 'e':
			if (n_extra == (int)ARRAY_LEN(extra)) {
				fprintf(stderr, "gnomond: too many -e options\n");
				return 2;
			}
			extra[n_extra++] = optarg;
			break;
		case 'n': foreground = true; break;
		case 'd': debug = true; break;
		case 'C': check = true; break;
		case 'H': dconf_print_help(stdout); return 0;
		case 'V': printf("gnomond %s\n", GNOMON_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	builtin = !path && foreground && !check;
	if (!path)
		path = DEFAULT_CONFIG;

	memset(&d, 0, sizeof(d));
	dconf_init(&d.cfg);
	if (load_config(&d.cfg, path, extra, n_extra, builtin)) {
		dconf_fini(&d.cfg);
		return 1;
	}
	reload_init(&d.reload, builtin ? NULL : path, extra, n_extra);
	workers_auto = d.cfg.workers == DCONF_WORKERS_AUTO;
	if (workers_auto)
		d.cfg.workers = dconf_workers_auto();
	if (check) {
		printf("%s: configuration valid\n", path);
		dconf_fini(&d.cfg);
		return 0;
	}
	if (resolve_user(&d)) {
		dconf_fini(&d.cfg);
		return 1;
	}
	if (builtin) {
		/* Demo mode: a control socket of our own in a temporary directory,
		 * the daemon user's, so that it can clean up at exit. */
		int fd;

		snprintf(d.tmpdir, sizeof(d.tmpdir), "/tmp/gnomond.XXXXXX");
		if (!mkdtemp(d.tmpdir)) {
			perror("gnomond: mkdtemp");
			return 1;
		}
		fd = open(d.tmpdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fs_give_fd(fd, owner_uid(&d), d.gid))
			perror("gnomond: cannot hand the demo directory to the user");
		if (fd >= 0)
			close(fd);
		snprintf(d.cfg.control, sizeof(d.cfg.control), "%s/gnomond.sock", d.tmpdir);
	}

	log_set_level(debug ? LOG_LVL_DEBUG : d.cfg.log_level);
	log_set_owner(owner_uid(&d), d.gid);
	if (d.cfg.log_dest == LOG_DEST_FILE &&
	    check_root_file_dir(&d, "logfile", d.cfg.logfile)) {
		dconf_fini(&d.cfg);
		return 1;
	}
	if (!foreground && d.cfg.log_dest == LOG_DEST_STDERR)
		d.cfg.log_dest = LOG_DEST_SYSLOG;
	if (log_open(d.cfg.log_dest, d.cfg.logfile, "gnomond"))
		fprintf(stderr, "gnomond: cannot open log %s: %s\n", d.cfg.logfile, strerror(errno));
	signal(SIGPIPE, SIG_IGN);

	d.loop = loop_create();
	d.metrics = met_create();
	d.hist = hist_create();
	if (d.cfg.clock == CLK_KIND_PHC) {
		char why[256];

		d.clock = clk_create_phc(d.cfg.clock_dev, why, sizeof(why));
		if (!d.clock) {
			fprintf(stderr, "gnomond: %s\n", why);
			return 1;
		}
	} else {
		d.clock = clk_create(d.cfg.clock, d.cfg.clock_offset, d.cfg.clock_freq);
	}
	d.precision = clk_measure_precision();
	d.run = sync_run_create(d.loop, d.clock, &d.published, &(struct sync_run_config){
		.local_stratum = d.cfg.local_stratum, .precision = d.precision });
	sync_run_now(d.run);
	d.foreground = foreground;
	/* The handlers go in before the control socket and the other files
	 * exist, with the signals held until the loop runs: a SIGTERM during
	 * startup then ends the daemon through its cleanup (not the default
	 * action, which left the socket behind), interrupts no startup call,
	 * and the threads startup creates inherit the mask, so that these
	 * signals always land on the loop's thread. */
	sigemptyset(&held);
	sigaddset(&held, SIGINT);
	sigaddset(&held, SIGTERM);
	sigaddset(&held, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &held, NULL);
	loop_on_signal(d.loop, SIGINT, on_terminate, &d);
	loop_on_signal(d.loop, SIGTERM, on_terminate, &d);
	loop_on_signal(d.loop, SIGHUP, on_hangup, &d);
	for (rc = 0, i = 0; !rc && i < ARRAY_LEN(startup); i++)
		rc = startup[i](&d);
	pthread_sigmask(SIG_UNBLOCK, &held, NULL);
	if (!rc) {
		loop_timer_add(d.loop, GT_NS_PER_S, GT_NS_PER_S, on_tick, &d);
		LOG_INFO("gnomond started: clock %s, precision 2^%d s, NTP port %d, %d worker(s)%s, "
			 "control %s", clk_name(d.clock), d.precision, d.srv ? ntp_srv_port(d.srv) : 0,
			 d.cfg.workers, workers_auto ? " (auto)" : "", d.cfg.control);
		if (builtin)
			print_demo_hint(&d);
		/* Test hook (README "Privileges"): prove that the filter stops a
		 * call it does not allow, and that the log names it. */
		if (getenv("GNOMON_TEST_FORBIDDEN_SYSCALL"))
			sandbox_try_forbidden();
		rc = loop_run(d.loop);
	}

	service_destroy_all(&d.services);
	qsbr_fini();
	ntp_bcast_client_destroy(d.bclient);
	gw_receiver_destroy(d.gw_recv);
	if (d.journal) {
		journal_event(d.journal, JOURNAL_NOTICE, "STOP", NULL, "gnomond stopping");
		journal_close(d.journal);
	}
	for (i = 0; i < (size_t)d.n_clients; i++)
		ntp_client_destroy(d.clients[i]);
	sync_run_destroy(d.run);
	sync_destroy(d.sync);
	statlog_close(d.measurements);
	statlog_close(d.tracking);
	if (d.tmpdir[0])
		rmdir(d.tmpdir);
	met_destroy(d.metrics);
	hist_destroy(d.hist);
	clk_destroy(d.clock);
	loop_destroy(d.loop);
	dconf_fini(&d.cfg);
	log_close();
	return rc ? 1 : 0;
}
