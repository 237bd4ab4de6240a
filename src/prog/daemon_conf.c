#include "prog/daemon_conf.h"

#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "auth/auth.h"

#define FIELD(f) offsetof(struct dconf, f)

/* keyfile FILE: read now, so that --check-config reports the key file's
 * errors (FILE:LINE: ...) with the configuration's, and so that a key
 * file only root may read works before privileges are dropped. */
static int h_keyfile(struct conf_ctx *ctx, const struct conf_item *it, void *p,
		     int argc, char **argv)
{
	struct dconf *cfg = p;
	struct conf_errors *kerr;
	int i, n;

	if (argc != 1 || strlen(argv[0]) >= sizeof(cfg->keyfile))
		return conf_error(ctx, "keyfile: expected one path shorter than %zu characters",
				  sizeof(cfg->keyfile));
	kerr = xmalloc(sizeof(*kerr));
	auth_keys_destroy(cfg->keys);
	cfg->keys = auth_keys_load(argv[0], kerr);
	strcpy(cfg->keyfile, argv[0]);
	n = kerr->count;
	if (n)
		conf_error(ctx, "keyfile %s: %d error%s in the key file:", argv[0], n,
			   n == 1 ? "" : "s");
	/* The key file's own errors, already "FILE:LINE: ..." each. */
	for (i = 0; i < n; i++) {
		if (i < CONF_MAX_ERRORS && ctx->errs->count < CONF_MAX_ERRORS)
			memcpy(ctx->errs->msg[ctx->errs->count], kerr->msg[i], sizeof(kerr->msg[i]));
		ctx->errs->count++;
	}
	free(kerr);
	return n ? -1 : 0;
}

static int h_workers(struct conf_ctx *ctx, const struct conf_item *it, void *p,
		     int argc, char **argv)
{
	struct dconf *cfg = p;
	char *end;
	long v;

	if (argc != 1)
		return conf_error(ctx, "workers: expected: workers %s", it->syntax);
	if (!strcmp(argv[0], "auto")) {
		cfg->workers = DCONF_WORKERS_AUTO;
		return 0;
	}
	errno = 0;
	v = strtol(argv[0], &end, 10);
	if (errno || end == argv[0] || *end || v < 0 || v > NTP_SRV_MAX_WORKERS)
		return conf_error(ctx, "workers: '%s' (allowed: auto, 0..%d)", argv[0],
				  NTP_SRV_MAX_WORKERS);
	cfg->workers = (int)v;
	return 0;
}

int dconf_workers_auto(void)
{
	cpu_set_t set;
	int n;

	/* The CPUs this process may run on (taskset, cgroup cpusets), one
	 * left to the main loop and the kernel's receive processing: on 2
	 * CPUs one worker is the fastest (README, Performance); one CPU
	 * alone gets the main loop's path. */
	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return 1;
	n = CPU_COUNT(&set) - 1;
	return n < 0 ? 0 : n > NTP_SRV_MAX_WORKERS ? NTP_SRV_MAX_WORKERS : n;
}

static int h_bindaddress(struct conf_ctx *ctx, const struct conf_item *it, void *p,
			 int argc, char **argv)
{
	struct dconf *cfg = p;

	if (argc != 1)
		return conf_error(ctx, "bindaddress takes one address: bindaddress %s", it->syntax);
	if (cfg->n_bind == NTP_SRV_MAX_BIND)
		return conf_error(ctx, "at most %d bindaddress lines", NTP_SRV_MAX_BIND);
	if (net_addr_parse(argv[0], &cfg->bind[cfg->n_bind]))
		return conf_error(ctx, "bindaddress: '%s' is not an IPv4 or IPv6 address",
				  argv[0]);
	cfg->n_bind++;
	return 0;
}

static int h_allow_deny(struct conf_ctx *ctx, const struct conf_item *it, void *p,
			int argc, char **argv)
{
	struct dconf *cfg = p;
	const char *why;

	if (argc > 1)
		return conf_error(ctx, "%s takes one argument: %s %s", it->name, it->name,
				  it->syntax);
	/* chrony: a bare `allow` means all. */
	if (acl_add(cfg->acl, argc ? argv[0] : "all", it->key == DC_ALLOW, &why))
		return conf_error(ctx, "%s: '%s': %s (allowed: all, ADDRESS, ADDRESS/PREFIX)",
				  it->name, argv[0], why);
	return 0;
}

static int h_local(struct conf_ctx *ctx, const struct conf_item *it, void *p,
		   int argc, char **argv)
{
	struct dconf *cfg = p;
	long v;

	if (argc == 0) {
		cfg->local_stratum = 10;	/* chrony's default */
		return 0;
	}
	if (argc != 2 || strcmp(argv[0], "stratum"))
		return conf_error(ctx, "local: expected: local %s", it->syntax);
	if (conf_arg_int(ctx, "local stratum", argv[1], 1, 15, &v))
		return -1;
	cfg->local_stratum = (int)v;
	return 0;
}

static int h_ratelimit(struct conf_ctx *ctx, const struct conf_item *it, void *p,
		       int argc, char **argv)
{
	static const struct {
		const char *name;
		long min, max;
		size_t off;
	} opts[] = {
		{ "interval", -4, 12, offsetof(struct dconf, rl_interval) },
		{ "burst", 1, 256, offsetof(struct dconf, rl_burst) },
		{ "leak", NTP_RL_LEAK_MIN, NTP_RL_LEAK_MAX, offsetof(struct dconf, rl_leak) },
		{ "ipv4prefix", 8, 32, offsetof(struct dconf, rl_v4_prefix) },
		{ "ipv6prefix", 8, 128, offsetof(struct dconf, rl_v6_prefix) },
	};
	struct dconf *cfg = p;
	char what[32];
	size_t k;
	long v;
	int i;

	if (argc % 2)
		return conf_error(ctx, "ratelimit: expected: ratelimit %s", it->syntax);
	for (i = 0; i < argc; i += 2) {
		for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
			if (!strcmp(argv[i], opts[k].name))
				break;
		if (k == sizeof(opts) / sizeof(opts[0]))
			return conf_error(ctx, "ratelimit: unknown option '%s' (allowed: interval, "
					  "burst, leak, ipv4prefix, ipv6prefix)", argv[i]);
		snprintf(what, sizeof(what), "ratelimit %s", opts[k].name);
		if (conf_arg_int(ctx, what, argv[i + 1], opts[k].min, opts[k].max, &v))
			return -1;
		*(int *)(void *)((char *)cfg + opts[k].off) = (int)v;
	}
	cfg->rl_enabled = true;
	return 0;
}

static int h_clock(struct conf_ctx *ctx, const struct conf_item *it, void *p,
		   int argc, char **argv)
{
	struct dconf *cfg = p;
	int i;

	if (argc < 1)
		return conf_error(ctx, "clock: expected: clock %s", it->syntax);
	if (!strcmp(argv[0], "system"))
		cfg->clock = CLK_KIND_SYSTEM;
	else if (!strcmp(argv[0], "null"))
		cfg->clock = CLK_KIND_NULL;
	else if (!strcmp(argv[0], "virtual"))
		cfg->clock = CLK_KIND_VIRTUAL;
	else if (!strcmp(argv[0], "phc")) {
		if (argc != 2 || argv[1][0] != '/' || strlen(argv[1]) >= sizeof(cfg->clock_dev))
			return conf_error(ctx, "clock phc: expected: clock phc DEVICE (an absolute path "
					  "such as /dev/ptp0, the PHC of the ports' interface)");
		cfg->clock = CLK_KIND_PHC;
		snprintf(cfg->clock_dev, sizeof(cfg->clock_dev), "%s", argv[1]);
		return 0;
	} else
		return conf_error(ctx, "clock: '%s' is not a clock driver (allowed: system, virtual, "
				  "null, phc)", argv[0]);
	if (argc > 1 && cfg->clock != CLK_KIND_VIRTUAL)
		return conf_error(ctx, "clock %s takes no options", argv[0]);
	if (argc % 2 == 0)
		return conf_error(ctx, "clock virtual: expected: clock virtual [offset SECONDS] [freq PPM]");
	for (i = 1; i < argc; i += 2) {
		if (!strcmp(argv[i], "offset")) {
			if (conf_arg_double(ctx, "clock virtual offset", argv[i + 1], -1e9, 1e9,
					    &cfg->clock_offset))
				return -1;
		} else if (!strcmp(argv[i], "freq")) {
			if (conf_arg_double(ctx, "clock virtual freq", argv[i + 1], -100000, 100000,
					    &cfg->clock_freq))
				return -1;
		} else {
			return conf_error(ctx, "clock virtual: unknown option '%s' (allowed: offset, freq)",
					  argv[i]);
		}
	}
	return 0;
}

/* log: where messages go (stderr|syslog|file) and which statistics logs
 * to keep in `logdir` (measurements, tracking), chrony style; the words
 * may be combined on one line. */
static int h_log(struct conf_ctx *ctx, const struct conf_item *it, void *p,
		 int argc, char **argv)
{
	static const char *const dests[] = { "stderr", "syslog", "file" };
	struct dconf *cfg = p;
	int i, n_dest = 0;
	size_t k;

	if (argc < 1)
		return conf_error(ctx, "log: expected: log %s", it->syntax);
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "measurements")) {
			cfg->log_measurements = true;
			continue;
		}
		if (!strcmp(argv[i], "tracking")) {
			cfg->log_tracking = true;
			continue;
		}
		for (k = 0; k < ARRAY_LEN(dests); k++)
			if (!strcmp(argv[i], dests[k]))
				break;
		if (k == ARRAY_LEN(dests) || ++n_dest > 1)
			return conf_error(ctx, "log: expected: log %s", it->syntax);
		cfg->log_dest = (enum log_dest)k;
	}
	return 0;
}

static int h_logfile(struct conf_ctx *ctx, const struct conf_item *it, void *p,
		     int argc, char **argv)
{
	struct dconf *cfg = p;

	if (argc != 1 || strlen(argv[0]) >= sizeof(cfg->logfile))
		return conf_error(ctx, "logfile: expected one path shorter than %zu characters",
				  sizeof(cfg->logfile));
	strcpy(cfg->logfile, argv[0]);
	cfg->log_dest = LOG_DEST_FILE;
	return 0;
}

static int h_loglevel(struct conf_ctx *ctx, const struct conf_item *it, void *p,
		      int argc, char **argv)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	struct dconf *cfg = p;
	size_t i;

	for (i = 0; argc == 1 && i < ARRAY_LEN(names); i++) {
		if (!strcmp(argv[0], names[i])) {
			cfg->log_level = (enum log_level)i;
			return 0;
		}
	}
	return conf_error(ctx, "loglevel: expected: loglevel %s", it->syntax);
}

/* server|pool|peer HOST [port N] [iburst] [minpoll N] [maxpoll N] [key ID]
 *   [prefer] [noselect] [version N] [maxsources N] (chrony syntax). */
static int h_server(struct conf_ctx *ctx, const struct conf_item *it, void *p,
		    int argc, char **argv)
{
	struct dconf *cfg = p;
	struct dconf_source *src;
	struct ntp_client_cfg *o;
	long v;
	int i;

	if (argc < 1)
		return conf_error(ctx, "%s: expected: %s %s", it->name, it->name, it->syntax);
	if (cfg->n_sources == DCONF_MAX_SOURCES)
		return conf_error(ctx, "at most %d server, pool and peer lines", DCONF_MAX_SOURCES);
	if (strlen(argv[0]) >= sizeof(src->host))
		return conf_error(ctx, "%s: host name too long", it->name);
	src = &cfg->sources[cfg->n_sources];
	memset(src, 0, sizeof(*src));
	strcpy(src->host, argv[0]);
	src->pool = it->key == DC_POOL;
	src->maxsources = 4;
	o = &src->opts;
	o->peer = it->key == DC_PEER;
	o->port = 123;
	o->minpoll = 6;
	o->maxpoll = 10;
	o->version = 4;
	for (i = 1; i < argc; i++) {
		const char *opt = argv[i];
		bool has_arg = i + 1 < argc;

		if (!strcmp(opt, "iburst")) {
			o->iburst = true;
		} else if (!strcmp(opt, "xleave") && !o->peer) {
			o->xleave = true;
		} else if (!strcmp(opt, "prefer")) {
			o->flags |= SYNC_SRC_PREFER;
		} else if (!strcmp(opt, "noselect")) {
			o->flags |= SYNC_SRC_NOSELECT;
		} else if (!strcmp(opt, "port") && has_arg) {
			if (conf_arg_int(ctx, "port", argv[++i], 1, 65535, &v))
				return -1;
			o->port = (uint16_t)v;
		} else if (!strcmp(opt, "minpoll") && has_arg) {
			if (conf_arg_int(ctx, "minpoll", argv[++i], -4, 17, &v))
				return -1;
			o->minpoll = (int)v;
		} else if (!strcmp(opt, "maxpoll") && has_arg) {
			if (conf_arg_int(ctx, "maxpoll", argv[++i], -4, 17, &v))
				return -1;
			o->maxpoll = (int)v;
		} else if (!strcmp(opt, "key") && has_arg) {
			if (conf_arg_int(ctx, "key", argv[++i], 1, 0xffffffffL, &v))
				return -1;
			o->key = (uint32_t)v;
		} else if (!strcmp(opt, "version") && has_arg) {
			if (conf_arg_int(ctx, "version", argv[++i], 1, 4, &v))
				return -1;
			o->version = (int)v;
		} else if (!strcmp(opt, "maxsources") && has_arg && src->pool) {
			if (conf_arg_int(ctx, "maxsources", argv[++i], 1, 16, &v))
				return -1;
			src->maxsources = (int)v;
		} else {
			return conf_error(ctx, "%s: unknown or incomplete option '%s' (allowed: port N, "
					  "iburst, minpoll N, maxpoll N, key ID, prefer, noselect, "
					  "version N%s%s)", it->name, opt, src->pool ? ", maxsources N" : "",
					  o->peer ? "" : ", xleave");
		}
	}
	if (o->maxpoll < o->minpoll)
		return conf_error(ctx, "%s: maxpoll %d is below minpoll %d", it->name, o->maxpoll,
				  o->minpoll);
	/* RFC 9769 interleaved requests are NTPv4 only. */
	if (o->xleave && o->version != 4)
		return conf_error(ctx, "%s: xleave needs version 4, not %d", it->name, o->version);
	strlcpy_checked(o->name, src->host, sizeof(o->name));	/* long names: shown cut */
	cfg->n_sources++;
	return 0;
}

/* broadcast ADDRESS [interval N] [key ID] [port N] [ttl N] */
static int h_broadcast(struct conf_ctx *ctx, const struct conf_item *it, void *p,
		       int argc, char **argv)
{
	struct dconf *cfg = p;
	struct ntp_bcast_srv_cfg *b;
	long v;
	int i;

	if (argc < 1)
		return conf_error(ctx, "broadcast: expected: broadcast %s", it->syntax);
	if (cfg->n_bcast == DCONF_MAX_BROADCAST)
		return conf_error(ctx, "at most %d broadcast lines", DCONF_MAX_BROADCAST);
	b = &cfg->bcast[cfg->n_bcast];
	memset(b, 0, sizeof(*b));
	if (net_addr_parse(argv[0], &b->addr))
		return conf_error(ctx, "broadcast: '%s' is not an IPv4 or IPv6 address", argv[0]);
	b->port = 123;
	b->interval = 64;
	b->ttl = 1;
	for (i = 1; i < argc; i++) {
		const char *opt = argv[i];
		bool has_arg = i + 1 < argc;

		if (!strcmp(opt, "interval") && has_arg) {
			if (conf_arg_int(ctx, "broadcast interval", argv[++i], 1, 65536, &v))
				return -1;
			b->interval = (int)v;
		} else if (!strcmp(opt, "key") && has_arg) {
			if (conf_arg_int(ctx, "key", argv[++i], 1, 0xffffffffL, &v))
				return -1;
			b->key = (uint32_t)v;
		} else if (!strcmp(opt, "port") && has_arg) {
			if (conf_arg_int(ctx, "port", argv[++i], 1, 65535, &v))
				return -1;
			b->port = (uint16_t)v;
		} else if (!strcmp(opt, "ttl") && has_arg) {
			if (conf_arg_int(ctx, "ttl", argv[++i], 1, 255, &v))
				return -1;
			b->ttl = (int)v;
		} else {
			return conf_error(ctx, "broadcast: unknown or incomplete option '%s' "
					  "(allowed: interval SECONDS, key ID, port N, ttl N)", opt);
		}
	}
	cfg->n_bcast++;
	return 0;
}

/* broadcastclient [key ID] [delay SECONDS] [group ADDRESS]... [maxsenders N] [noauth] */
static int h_broadcastclient(struct conf_ctx *ctx, const struct conf_item *it, void *p,
			     int argc, char **argv)
{
	struct dconf *cfg = p;
	struct ntp_bcast_client_cfg *b = &cfg->bclient_cfg;
	long v;
	int i;

	if (cfg->bclient)
		return conf_error(ctx, "broadcastclient: given twice");
	memset(b, 0, sizeof(*b));
	for (i = 0; i < argc; i++) {
		const char *opt = argv[i];
		bool has_arg = i + 1 < argc;

		if (!strcmp(opt, "key") && has_arg) {
			if (conf_arg_int(ctx, "key", argv[++i], 1, 0xffffffffL, &v))
				return -1;
			b->key = (uint32_t)v;
		} else if (!strcmp(opt, "delay") && has_arg) {
			if (conf_arg_double(ctx, "broadcastclient delay", argv[++i], 0, 1, &b->delay))
				return -1;
			b->delay_set = true;
		} else if (!strcmp(opt, "group") && has_arg) {
			struct net_addr *g = &b->group[b->n_groups];

			if (b->n_groups == NTP_BCAST_MAX_GROUPS)
				return conf_error(ctx, "broadcastclient: at most %d groups",
						  NTP_BCAST_MAX_GROUPS);
			if (net_addr_parse(argv[++i], g) ||
			    (g->family == AF_INET ? (g->a[0] & 0xf0) != 0xe0 : g->a[0] != 0xff))
				return conf_error(ctx, "broadcastclient: group '%s' is not a "
						  "multicast address", argv[i]);
			b->n_groups++;
		} else if (!strcmp(opt, "maxsenders") && has_arg) {
			if (conf_arg_int(ctx, "broadcastclient maxsenders", argv[++i], 1,
					 NTP_BTAB_MAX_PER_KEY, &v))
				return -1;
			b->maxsenders = (int)v;
		} else if (!strcmp(opt, "noauth")) {
			b->noauth = true;
		} else {
			return conf_error(ctx, "broadcastclient: unknown or incomplete option '%s' "
					  "(allowed: key ID, delay SECONDS, group ADDRESS, maxsenders N, noauth)",
					  opt);
		}
	}
	if (b->noauth && b->key)
		return conf_error(ctx, "broadcastclient: 'noauth' and 'key %u' contradict each "
				  "other", b->key);
	cfg->bclient = true;
	return 0;
}

static int h_gateway_send(struct conf_ctx *ctx, const struct conf_item *it, void *p,
			  int argc, char **argv)
{
	struct dconf *cfg = p;

	(void)it;
	if (cfg->n_gw_send == GW_MAX_SEND)
		return conf_error(ctx, "at most %d gateway-send lines", GW_MAX_SEND);
	if (gw_send_parse(ctx, argc, argv, &cfg->gw_send[cfg->n_gw_send]))
		return -1;
	cfg->n_gw_send++;
	return 0;
}

static int h_gateway_receive(struct conf_ctx *ctx, const struct conf_item *it, void *p,
			     int argc, char **argv)
{
	struct dconf *cfg = p;

	(void)it;
	if (cfg->gw_recv_on)
		return conf_error(ctx, "gateway-receive: given twice");
	if (gw_recv_parse(ctx, argc, argv, &cfg->gw_recv))
		return -1;
	cfg->gw_recv_on = true;
	return 0;
}

/* statedir DIR: absolute, since the daemon changes to / when it detaches. */
static int h_statedir(struct conf_ctx *ctx, const struct conf_item *it, void *p,
		      int argc, char **argv)
{
	struct dconf *cfg = p;

	(void)it;
	if (argc != 1)
		return conf_error(ctx, "statedir: expected one directory");
	if (argv[0][0] != '/')
		return conf_error(ctx, "statedir: '%s' is not an absolute path", argv[0]);
	if (strlen(argv[0]) >= sizeof(cfg->statedir))
		return conf_error(ctx, "statedir: longer than %d characters",
				  (int)sizeof(cfg->statedir) - 1);
	snprintf(cfg->statedir, sizeof(cfg->statedir), "%s", argv[0]);
	return 0;
}

/* journal [file PATH] [syslog] [maxsize BYTES] [maxage SECONDS]
 *   [keepage SECONDS] [keepsize BYTES] [nocompress] [thread on|off] */
static int h_journal(struct conf_ctx *ctx, const struct conf_item *it, void *p,
		     int argc, char **argv)
{
	struct dconf *cfg = p;
	double v;
	bool on;
	int i;

	(void)it;
	cfg->journal_thread = -1;
	for (i = 0; i < argc; i++) {
		const char *opt = argv[i];
		bool has_arg = i + 1 < argc;
		uint64_t *num = NULL;

		if (!strcmp(opt, "file") && has_arg) {
			if (strlcpy_checked(cfg->journal_file, argv[++i], sizeof(cfg->journal_file)))
				return conf_error(ctx, "journal file: path too long");
		} else if (!strcmp(opt, "syslog")) {
			cfg->journal_syslog = true;
		} else if (!strcmp(opt, "nocompress")) {
			cfg->journal_nocompress = true;
		} else if (!strcmp(opt, "thread") && has_arg) {
			if (conf_arg_onoff(ctx, "journal thread", argv[++i], &on))
				return -1;
			cfg->journal_thread = on;
		} else if ((!strcmp(opt, "maxsize") && (num = &cfg->journal_maxsize)) ||
			   (!strcmp(opt, "maxage") && (num = &cfg->journal_maxage)) ||
			   (!strcmp(opt, "keepage") && (num = &cfg->journal_keepage)) ||
			   (!strcmp(opt, "keepsize") && (num = &cfg->journal_keepsize))) {
			if (!has_arg)
				return conf_error(ctx, "journal %s: a value is needed", opt);
			if (conf_arg_double(ctx, opt, argv[++i], 0, 1e15, &v))
				return -1;
			*num = (uint64_t)v;
		} else {
			return conf_error(ctx, "journal: unknown or incomplete option '%s' (allowed: "
					  "file PATH, syslog, maxsize BYTES, maxage SECONDS, keepage "
					  "SECONDS, keepsize BYTES, nocompress, thread on|off)", opt);
		}
	}
	if (!cfg->journal_file[0] && !cfg->journal_syslog)
		return conf_error(ctx, "journal: give file PATH, syslog, or both");
	cfg->journal_on = true;
	return 0;
}

/* http ADDR:PORT [allow CIDR]... : parsed by mon/http.c, which owns it. */
static int h_http(struct conf_ctx *ctx, const struct conf_item *it, void *p,
		  int argc, char **argv)
{
	struct dconf *cfg = p;

	(void)it;
	return http_config_parse(ctx, argc, argv, &cfg->http) ? -1 : 0;
}

static int h_alarm(struct conf_ctx *ctx, const struct conf_item *it, void *p, int argc,
		   char **argv)
{
	(void)it;
	return alarm_conf_parse(ctx, argc, argv, &((struct dconf *)p)->alarm);
}

static int h_alarmsyslog(struct conf_ctx *ctx, const struct conf_item *it, void *p, int argc,
			 char **argv)
{
	(void)it;
	return alarm_conf_parse_syslog(ctx, argc, argv, &((struct dconf *)p)->alarm);
}

/* audit db URL [interval S] [samples N] [rate R] [keep DAYS] [icmp on|off] */
static int h_audit(struct conf_ctx *ctx, const struct conf_item *it, void *p, int argc,
		   char **argv)
{
	struct audit_svc_config *a = &((struct dconf *)p)->audit;
	long v;
	int i;

	if (a->enabled)
		return conf_error(ctx, "audit: given twice");
	if (argc < 2 || strcmp(argv[0], "db"))
		return conf_error(ctx, "audit: expected: audit %s", it->syntax);
	if (!argv[1][0] || strlen(argv[1]) >= sizeof(a->db))
		return conf_error(ctx, "audit db: a path or postgresql:// URL of 1 to %zu characters",
				  sizeof(a->db) - 1);
	snprintf(a->db, sizeof(a->db), "%s", argv[1]);
	for (i = 2; i < argc; i += 2) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		char what[32];

		snprintf(what, sizeof(what), "audit %s", opt);
		if (!val)
			return conf_error(ctx, "audit: option '%s' needs a value (allowed: interval "
					  "SECONDS, samples N, rate R, keep DAYS, icmp on|off)", opt);
		if (!strcmp(opt, "interval")) {
			if (conf_arg_int(ctx, what, val, 1, 7 * 86400, &v))
				return -1;
			a->interval = (int)v;
		} else if (!strcmp(opt, "samples")) {
			if (conf_arg_int(ctx, what, val, 1, 16, &v))
				return -1;
			a->samples = (int)v;
		} else if (!strcmp(opt, "rate")) {
			if (conf_arg_int(ctx, what, val, 1, 1000000, &v))
				return -1;
			a->rate = (int)v;
		} else if (!strcmp(opt, "keep")) {
			if (conf_arg_int(ctx, what, val, 0, 36500, &v))
				return -1;
			a->keep_days = (int)v;
		} else if (!strcmp(opt, "icmp")) {
			if (conf_arg_onoff(ctx, what, val, &a->icmp))
				return -1;
		} else {
			return conf_error(ctx, "audit: unknown option '%s' (allowed: interval SECONDS, "
					  "samples N, rate R, keep DAYS, icmp on|off)", opt);
		}
	}
	a->enabled = true;
	return 0;
}

static int h_health(struct conf_ctx *ctx, const struct conf_item *it, void *p,
		    int argc, char **argv)
{
	(void)it;
	return health_conf_parse(ctx, argc, argv, &((struct dconf *)p)->health) ? -1 : 0;
}

static int h_standby(struct conf_ctx *ctx, const struct conf_item *it, void *p,
		     int argc, char **argv)
{
	(void)it;
	return sb_conf_parse(ctx, argc, argv, &((struct dconf *)p)->standby) ? -1 : 0;
}

static int h_ptp_port(struct conf_ctx *ctx, const struct conf_item *it, void *p,
		      int argc, char **argv)
{
	(void)it;
	return ptp_conf_parse_port(ctx, argc, argv, &((struct dconf *)p)->ptp) ? -1 : 0;
}

static int h_ptp_uds(struct conf_ctx *ctx, const struct conf_item *it, void *p,
		     int argc, char **argv)
{
	struct dconf *cfg = p;

	if (argc != 1)
		return conf_error(ctx, "ptp-uds: expected: ptp-uds %s", it->syntax);
	if (!strcmp(argv[0], "off")) {
		snprintf(cfg->ptp.uds, sizeof(cfg->ptp.uds), "off");
		return 0;
	}
	if (argv[0][0] != '/' || strlen(argv[0]) >= sizeof(cfg->ptp.uds))
		return conf_error(ctx, "ptp-uds: '%s' is not an absolute path of at most %zu "
				  "characters (or off)", argv[0], sizeof(cfg->ptp.uds) - 1);
	snprintf(cfg->ptp.uds, sizeof(cfg->ptp.uds), "%s", argv[0]);
	return 0;
}

static int h_ptp_tc(struct conf_ctx *ctx, const struct conf_item *it, void *p, int argc,
		    char **argv)
{
	(void)it;
	return ptp_conf_parse_tc(ctx, argc, argv, &((struct dconf *)p)->ptp) ? -1 : 0;
}

static int h_ptp_servo(struct conf_ctx *ctx, const struct conf_item *it, void *p,
		       int argc, char **argv)
{
	struct dconf *cfg = p;

	if (argc != 1 || (strcmp(argv[0], "core") && strcmp(argv[0], "pi")))
		return conf_error(ctx, "ptp-servo: expected: ptp-servo %s, not '%s'", it->syntax,
				  argc ? argv[0] : "");
	cfg->ptp.servo = strcmp(argv[0], "pi") ? PTP_SERVO_CORE : PTP_SERVO_PI;
	return 0;
}

static int h_makestep(struct conf_ctx *ctx, const struct conf_item *it, void *p,
		      int argc, char **argv)
{
	struct dconf *cfg = p;
	long v;

	if (argc != 2)
		return conf_error(ctx, "makestep: expected: makestep %s", it->syntax);
	if (conf_arg_double(ctx, "makestep threshold", argv[0], 0, 1e9, &cfg->makestep_threshold) ||
	    conf_arg_int(ctx, "makestep limit", argv[1], -1, 1000000, &v))
		return -1;
	cfg->makestep_limit = (int)v;
	return 0;
}

static int h_maxchange(struct conf_ctx *ctx, const struct conf_item *it, void *p,
		       int argc, char **argv)
{
	struct dconf *cfg = p;
	long start, ignore;

	if (argc != 3)
		return conf_error(ctx, "maxchange: expected: maxchange %s", it->syntax);
	if (conf_arg_double(ctx, "maxchange offset", argv[0], 0, 1e9, &cfg->maxchange_offset) ||
	    conf_arg_int(ctx, "maxchange start", argv[1], 0, 1000000, &start) ||
	    conf_arg_int(ctx, "maxchange ignore", argv[2], -1, 1000000, &ignore))
		return -1;
	cfg->maxchange_start = (int)start;
	cfg->maxchange_ignore = (int)ignore;
	return 0;
}

static int h_leapsecmode(struct conf_ctx *ctx, const struct conf_item *it, void *p,
			 int argc, char **argv)
{
	static const struct { const char *name; enum sync_leapmode mode; } modes[] = {
		{ "system", SYNC_LEAP_SYSTEM }, { "step", SYNC_LEAP_STEP },
		{ "slew", SYNC_LEAP_SLEW }, { "ignore", SYNC_LEAP_IGNORE },
	};
	struct dconf *cfg = p;
	size_t i;

	for (i = 0; argc == 1 && i < ARRAY_LEN(modes); i++) {
		if (!strcmp(argv[0], modes[i].name)) {
			cfg->leapsecmode = modes[i].mode;
			return 0;
		}
	}
	return conf_error(ctx, "leapsecmode: expected: leapsecmode %s", it->syntax);
}

static const struct conf_item table[] = {
	{ DC_PORT, "port", CONF_INT, FIELD(port), 0, 65535, "123", "N",
	  "UDP port of the NTP server (0: no NTP server)", NULL, false },
	{ DC_BINDADDRESS, "bindaddress", CONF_CUSTOM, 0, 0, 0, NULL, "ADDRESS",
	  "address to serve on; repeatable (default: 0.0.0.0 and ::)", h_bindaddress, true },
	{ DC_ALLOW, "allow", CONF_CUSTOM, 0, 0, 0, NULL, "all|ADDRESS[/PREFIX]",
	  "serve these clients (nobody is served until allowed)", h_allow_deny, true },
	{ DC_DENY, "deny", CONF_CUSTOM, 0, 0, 0, NULL, "all|ADDRESS[/PREFIX]",
	  "do not serve these clients (most specific rule wins)", h_allow_deny, true },
	{ DC_LOCAL, "local", CONF_CUSTOM, 0, 0, 0, NULL, "stratum N",
	  "serve the local clock as synchronised at stratum N (1..15)", h_local, false },
	{ DC_SERVE_OFFSET, "serve-offset", CONF_DOUBLE, FIELD(serve_offset), -4e9, 4e9, "0",
	  "SECONDS", "shift every served timestamp by SECONDS (testing, training)", NULL, false },
	{ DC_RATELIMIT, "ratelimit", CONF_CUSTOM, 0, 0, 0, NULL, "[interval I] [burst B] [leak L] [ipv4prefix N] [ipv6prefix N]",
	  "limit each client (an IPv4 /N or IPv6 /N prefix, default /32 and /64) to one request "
	  "per 2^I s on average, bursts of B; over the limit answer 1 in 2^L (1..8, default 2)",
	  h_ratelimit,
	  false },
	{ DC_KOD, "kod", CONF_ONOFF, FIELD(kod), 0, 0, "on", "on|off",
	  "of the rate-limited requests that leak, answer half with KoD RATE (on) or all "
	  "normally (off)", NULL, false },
	{ DC_WORKERS, "workers", CONF_CUSTOM, 0, 0, 0, NULL, "auto|N",
	  "server worker threads (auto, the default: one per CPU this process may use, "
	  "less one; 0: the main loop answers, the reference and simulator path)", h_workers,
	  false },
	{ DC_CONTROL, "control", CONF_STRING, FIELD(control), 0, 108, "/run/gnomond/gnomond.sock",
	  "PATH", "control socket for gnomonctl", NULL, false },
	{ DC_USER, "user", CONF_STRING, FIELD(user), 0, 64, "gnomon", "NAME",
	  "after binding, drop root to this user (root: keep root, warned)", NULL, false },
	{ DC_SECCOMP, "seccomp", CONF_ONOFF, FIELD(seccomp), 0, 0, "on", "on|off",
	  "allow only the system calls the configuration needs once started", NULL, false },
	{ DC_CLOCK, "clock", CONF_CUSTOM, 0, 0, 0, NULL,
	  "system|null|virtual [offset SECONDS] [freq PPM]|phc DEVICE", "clock driver", h_clock, false },
	{ DC_LOG, "log", CONF_CUSTOM, 0, 0, 0, NULL,
	  "stderr|syslog|file and/or measurements tracking",
	  "where log messages go; statistics logs to keep in logdir", h_log, true },
	{ DC_LOGDIR, "logdir", CONF_STRING, FIELD(logdir), 0, 256, NULL, "DIR",
	  "directory of the statistics logs (measurements.log, tracking.log)", NULL, false },
	{ DC_LOGFILE, "logfile", CONF_CUSTOM, 0, 0, 0, NULL, "PATH",
	  "log to this file", h_logfile, false },
	{ DC_LOGLEVEL, "loglevel", CONF_CUSTOM, 0, 0, 0, NULL, "error|warning|info|debug",
	  "most verbose level logged", h_loglevel, false },
	{ DC_CLIENTLOGBITS, "clientlogbits", CONF_INT, FIELD(clientlog_bits), 8, 24, "16", "N",
	  "log2 of the rate-limit table size (8 bytes a slot)", NULL, false },
	{ DC_CLIENTLOG, "clientlog", CONF_INT, FIELD(clientlog_entries), 0, 1048576, "8192", "N",
	  "NTP clients remembered for `gnomonctl clients` (about 80 bytes each; 0: none)", NULL,
	  false },
	{ DC_COALESCE, "coalesce", CONF_INT, FIELD(coalesce_us), 0, 1000, "100", "MICROSECONDS",
	  "busy workers wait up to this long to answer requests in batches (0: never)", NULL,
	  false },
	{ DC_SERVER, "server", CONF_CUSTOM, 0, 0, 0, NULL,
	  "HOST [port N] [iburst] [minpoll N] [maxpoll N] [key ID] [prefer] [noselect] [version N] [xleave]",
	  "an upstream NTP server; repeatable", h_server, true },
	{ DC_POOL, "pool", CONF_CUSTOM, 0, 0, 0, NULL, "NAME [maxsources N] [server options]",
	  "every address of NAME (up to maxsources) as a server; repeatable", h_server, true },
	{ DC_PEER, "peer", CONF_CUSTOM, 0, 0, 0, NULL,
	  "HOST [port N] [iburst] [minpoll N] [maxpoll N] [key ID] [prefer] [noselect] [version N]",
	  "a symmetric active peer (mode 1); peers answer only authenticated peers, so give "
	  "it a key; repeatable", h_server, true },
	{ DC_MAKESTEP, "makestep", CONF_CUSTOM, 0, 0, 0, NULL, "THRESHOLD LIMIT",
	  "step the clock if off by more than THRESHOLD s in the first LIMIT updates (-1: always)",
	  h_makestep, false },
	{ DC_MAXCHANGE, "maxchange", CONF_CUSTOM, 0, 0, 0, NULL, "OFFSET START IGNORE",
	  "after START updates, ignore corrections over OFFSET s up to IGNORE times, then exit",
	  h_maxchange, false },
	{ DC_MAXDISTANCE, "maxdistance", CONF_DOUBLE, FIELD(maxdistance), 0.001, 100, "3",
	  "SECONDS", "sources with a larger root distance are not selected", NULL, false },
	{ DC_MINSOURCES, "minsources", CONF_INT, FIELD(minsources), 1, 64, "1", "N",
	  "selectable sources needed before the clock is disciplined", NULL, false },
	{ DC_DRIFTFILE, "driftfile", CONF_STRING, FIELD(driftfile), 0, 256, NULL, "PATH",
	  "where the clock's frequency error is kept across restarts", NULL, false },
	{ DC_STATEDIR, "statedir", CONF_CUSTOM, 0, 0, 0, NULL, "DIR",
	  "state kept across restarts: the gateway's replay state and sequence reservation "
	  "(an absolute path; default /var/lib/gnomon, created 0750 at start when missing)",
	  h_statedir, false },
	{ DC_KEYFILE, "keyfile", CONF_CUSTOM, 0, 0, 0, NULL, "PATH",
	  "symmetric keys (chrony/ntpd format: ID [MD5|SHA1|AES128|AES256] KEY|HEX:DIGITS); "
	  "an authenticated request is answered with a MAC of the same key", h_keyfile, false },
	{ DC_CRYPTO_NAK, "crypto-nak", CONF_ONOFF, FIELD(crypto_nak), 0, 0, "off", "on|off",
	  "answer a request whose MAC fails with a crypto-NAK (RFC 5905) instead of silence "
	  "(chrony)", NULL, false },
	{ DC_BROADCAST, "broadcast", CONF_CUSTOM, 0, 0, 0, NULL,
	  "ADDRESS [interval SECONDS] [key ID] [port N] [ttl N]",
	  "send NTP broadcast (mode 5) packets to a broadcast, multicast or unicast address "
	  "(default every 64 s, port 123, ttl 1); repeatable", h_broadcast, true },
	{ DC_BROADCASTCLIENT, "broadcastclient", CONF_CUSTOM, 0, 0, 0, NULL,
	  "[key ID] [delay SECONDS] [group ADDRESS]... [maxsenders N] [noauth]",
	  "take time from broadcast servers on every interface's broadcast address (and "
	  "multicast groups) at the NTP port; packets need a MAC of `key` (default: any key "
	  "of the keyfile) unless noauth; delay: one-way delay added (default: measured by a "
	  "few client exchanges with each sender); maxsenders: source addresses per key "
	  "(default 1; a new one is refused while they are heard)",
	  h_broadcastclient, false },
	{ DC_GATEWAY_SEND, "gateway-send", CONF_CUSTOM, 0, 0, 0, NULL,
	  "to ADDR:PORT [bind ADDR|IFACE] [interval SECONDS] [key ID] [correction METHOD ...]",
	  "one-way gateway sender: time messages through a data diode (default every 1 s; "
	  "correction none|fixed DELAY|formula bitrate BPS [hops N] [latency S]|calibrated FILE, "
	  "last on the line); repeatable", h_gateway_send, true },
	{ DC_GATEWAY_RECEIVE, "gateway-receive", CONF_CUSTOM, 0, 0, 0, NULL,
	  "on ADDR:PORT [from ADDR] [key ID...] [noauth] [filter min|median|percentile P|"
	  "band LO HI] [window N] [silent N] [maxloss PERCENT] [maxage SECONDS]",
	  "one-way gateway receiver: a source from a gateway sender's messages (SHA256 keys "
	  "of the keyfile; default filter min over 8)", h_gateway_receive, false },
	{ DC_JOURNAL, "journal", CONF_CUSTOM, 0, 0, 0, NULL,
	  "[file PATH] [syslog] [maxsize BYTES] [maxage SECONDS] [keepage SECONDS] "
	  "[keepsize BYTES] [nocompress] [thread on|off]",
	  "structured event journal (gateway events, alarms): rotated by size/age into .gz "
	  "archives, cleaned by age/total size (doc/journal.md)", h_journal, false },
	{ DC_HTTP, "http", CONF_CUSTOM, 0, 0, 0, NULL,
	  "ADDR:PORT [allow ADDRESS[/PREFIX]]... [connections N] [timeout SECONDS]",
	  "serve /metrics (Prometheus), /status and the dashboard over HTTP on ADDR:PORT "
	  "(a.b.c.d:N or [v6]:N; off by default); only loopback may connect unless allow "
	  "entries are given, then only they (doc/http.md)", h_http, false },
	{ DC_ALARM, "alarm", CONF_CUSTOM, 0, 0, 0, NULL,
	  "NAME [info X|off] [warn X|off] [crit X|off] [clear X] [minage S] [window S] [off|on]",
	  "tune an alarm rule (doc/alarms.md: offset, jitter, no_selectable_source, "
	  "unsynchronised, stratum_change, leap_pending, gateway_silent, gateway_loss, "
	  "auth_failures, replays, journal_loss, ratelimit_storm, partner_lost, "
	  "partner_disagree); repeatable", h_alarm, true },
	{ DC_ALARMSYSLOG, "alarmsyslog", CONF_CUSTOM, 0, 0, 0, NULL, "FACILITY|off",
	  "syslog facility of alarm raises and clears (default ntp, facility 12)", h_alarmsyslog,
	  false },
	{ DC_AUDIT, "audit", CONF_CUSTOM, 0, 0, 0, NULL,
	  "db URL [interval SECONDS] [samples N] [rate R] [keep DAYS] [icmp on|off]",
	  "audit the devices of a database (an SQLite file, created on first use, or a "
	  "postgresql:// URL) every interval (default 3600 s), keeping runs for `keep` days "
	  "(default 30; 0: forever); samples per device and requests a second as the engine's "
	  "defaults (4, 5000); icmp on opens a raw socket at start for method icmp "
	  "(doc/audit.md)", h_audit, false },
	{ DC_HEALTH, "health", CONF_CUSTOM, 0, 0, 0, NULL,
	  "[maxdistance S] [degraded S] [maxage S] [degradedage S] [alarms "
	  "critical|warning|info|off]",
	  "what `gnomonctl health` (keepalived's track_script) calls synchronised, degraded "
	  "or unsynchronised: root distance limits (default 1 s and 0.1 s), seconds without "
	  "a correction (default off), the alarm severity that degrades (default critical) "
	  "(doc/standby.md)", h_health, false },
	{ DC_STANDBY, "standby", CONF_CUSTOM, 0, 0, 0, NULL,
	  "partner ADDR key ID [port N] [priority P] [interval S] [bind ADDR]",
	  "hot-standby pair: an authenticated heartbeat (SHA256 key of the keyfile) to and from "
	  "the partner server on UDP port N (default 12123) every S s (default 1), reporting "
	  "each other's state; keepalived moves the address (doc/standby.md)", h_standby,
	  false },
	{ DC_PTP_PORT, "ptp-port", CONF_CUSTOM, 0, 0, 0, NULL,
	  "IFACE [transport udp4|udp6|l2] [delay e2e|p2p] [domain N] [role auto|master|slave] "
	  "[priority1 N] [priority2 N] [sync-interval LOG] [announce-interval LOG] "
	  "[delayreq-interval LOG] [pdelayreq-interval LOG] [announce-timeout N] "
	  "[timestamping software|hardware]",
	  "a PTP (IEEE 1588) port on IFACE: slave (a source of the clock), master (serving "
	  "it) or, with role auto, what the best master clock algorithm decides; defaults "
	  "udp4, e2e, domain 0, priorities 128, intervals 2^0, 2^1, 2^0 s; repeatable, the "
	  "domain and priorities are the clock's (doc/ptp.md)", h_ptp_port, true },
	{ DC_PTP_UDS, "ptp-uds", CONF_CUSTOM, 0, 0, 0, NULL, "PATH|off",
	  "the PTP management socket pmc talks to (pmc -u -s PATH); default: `ptp` next to "
	  "the control socket", h_ptp_uds, false },
	{ DC_PTP_TC, "ptp-tc", CONF_CUSTOM, 0, 0, 0, NULL,
	  "IFACE IFACE... [transport udp4|udp6|l2]",
	  "an end-to-end transparent clock between the interfaces: PTP messages forwarded, "
	  "residence times added to Follow_Up and Delay_Resp (two-step; doc/ptp.md)",
	  h_ptp_tc, false },
	{ DC_PTP_SERVO, "ptp-servo", CONF_CUSTOM, 0, 0, 0, NULL, "core|pi",
	  "what a PTP slave's measurements drive: the sync core (default) or, for comparison, "
	  "a PI servo as linuxptp's that adjusts the clock itself, per Sync; with pi the "
	  "PTP slave must be the only source (doc/ptp.md)", h_ptp_servo, false },
	{ DC_LEAPSECMODE, "leapsecmode", CONF_CUSTOM, 0, 0, 0, NULL, "system|step|slew|ignore",
	  "how a leap second is applied to the clock", h_leapsecmode, false },
	{ DC_MAXSLEWRATE, "maxslewrate", CONF_DOUBLE, FIELD(maxslewrate), 1, 100000, "83333",
	  "PPM", "fastest slew beyond the drift correction (the system clock allows 500)", NULL,
	  false },
};

void dconf_init(struct dconf *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->acl = acl_create();
	cfg->rl_interval = 3;	/* chrony's ratelimit defaults */
	cfg->rl_burst = 8;
	cfg->rl_leak = 2;	/* chrony's: 1 in 4 over-limit requests answered */
	cfg->rl_v4_prefix = 32;
	cfg->rl_v6_prefix = 64;	/* RFC 4291 §2.5.4: one link, often one host */
	cfg->clock = CLK_KIND_SYSTEM;
	cfg->log_dest = LOG_DEST_STDERR;
	cfg->log_level = LOG_LVL_INFO;
	cfg->workers = DCONF_WORKERS_AUTO;
	snprintf(cfg->statedir, sizeof(cfg->statedir), "%s", DCONF_DEFAULT_STATEDIR);
	http_config_init(&cfg->http);
	alarm_cfg_defaults(&cfg->alarm);
	cfg->audit.interval = 3600;
	cfg->audit.keep_days = 30;
	health_cfg_defaults(&cfg->health);
	conf_apply_defaults(table, ARRAY_LEN(table), cfg);
}

void dconf_fini(struct dconf *cfg)
{
	acl_destroy(cfg->acl);
	cfg->acl = NULL;
	auth_keys_destroy(cfg->keys);
	cfg->keys = NULL;
}

int dconf_parse_file(struct dconf *cfg, const char *path, struct conf_errors *errs)
{
	return conf_parse_file(table, ARRAY_LEN(table), cfg, path, errs);
}

int dconf_parse_buffer(struct dconf *cfg, const char *name, const char *buf, size_t len,
		       struct conf_errors *errs)
{
	return conf_parse_buffer(table, ARRAY_LEN(table), cfg, name, buf, len, errs);
}

void dconf_print_help(void *fp)
{
	FILE *f = fp;
	size_t i;

	for (i = 0; i < ARRAY_LEN(table); i++)
		fprintf(f, "  %-13s %-40s %s\n", table[i].name, table[i].syntax, table[i].help);
}
