/* gnomonctl audit: import/export the device list, run an audit now, report
 * the last run (doc/audit.md). The measuring is audit_probe's, the storing
 * audit_db's; this file wires them and prints. */
#include "prog/audit_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit_csv.h"
#include "audit/audit_db.h"
#include "audit/audit_probe.h"
#include "lib/loop.h"
#include "prog/audit_writer.h"

#define EXIT_ALL_OK 0
#define EXIT_NONSTANDARD 1
#define EXIT_AUDIT_ERROR 2

#define CSV_MAX_FILE (256u << 20)

enum out_fmt { OUT_TEXT, OUT_JSON, OUT_CSV };

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gnomonctl audit import --db DB FILE.csv\n"
		"       gnomonctl audit export --db DB [FILE.csv]\n"
		"       gnomonctl audit run --db DB [--json|--csv] [--samples N] [--spacing S]\n"
		"                           [--timeout S] [--rate R] [--inflight N] [--group G]\n"
		"                           [--keep DAYS]\n"
		"       gnomonctl audit report --db DB [--nonstandard] [--json|--csv] [--run ID]\n"
		"DB is an SQLite file (created on first use) or a postgresql:// URL.\n"
		"Without --db, `gnomonctl audit` and `gnomonctl audit run` ask gnomond's\n"
		"audit service (its state; a run now).\n"
		"Exit status of run and report: 0 every device ok, 1 some device off or\n"
		"unreachable, 2 an error of the audit itself (database, file, usage).\n");
}

/* ------------------------------------------------------------------ */
/* printing */

static void fmt_time(gt_ns t, char *buf, size_t len)
{
	time_t s = (time_t)(t / GT_NS_PER_S);
	struct tm tm;
	char day[32];

	if (t <= 0) {
		snprintf(buf, len, "-");
		return;
	}
	gmtime_r(&s, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06dZ", day, (int)(t % GT_NS_PER_S / 1000));
}

/* The port a device is measured on; 0: none (ICMP). */
static unsigned eff_port(const struct audit_device *d)
{
	return d->port ? d->port : audit_method_default_port(d->method);
}

static json_t *num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *result_json(const struct audit_device *d, const struct audit_result *r)
{
	json_t *o = json_object();
	char when[48];

	fmt_time(r->measured, when, sizeof(when));
	json_object_set_new(o, "name", json_string(d->name));
	json_object_set_new(o, "address", json_string(d->address));
	json_object_set_new(o, "port", eff_port(d) ? json_integer(eff_port(d)) : json_null());
	json_object_set_new(o, "group", json_string(d->group));
	json_object_set_new(o, "method", json_string(audit_method_name(r->method)));
	json_object_set_new(o, "status", json_string(audit_status_name(r->status)));
	json_object_set_new(o, "offset", num_or_null(r->status == AUDIT_UNREACHABLE ? NAN :
						      r->offset));
	json_object_set_new(o, "delay", num_or_null(r->status == AUDIT_UNREACHABLE ? NAN :
						     r->delay));
	json_object_set_new(o, "tolerance", json_real(d->tolerance));
	json_object_set_new(o, "resolution", num_or_null(r->resolution));
	json_object_set_new(o, "stratum", r->stratum >= 0 ? json_integer(r->stratum) : json_null());
	json_object_set_new(o, "leap", r->leap >= 0 ? json_integer(r->leap) : json_null());
	json_object_set_new(o, "samples", json_integer(r->samples));
	json_object_set_new(o, "error", r->error[0] ? json_string(r->error) : json_null());
	json_object_set_new(o, "measured", r->measured > 0 ? json_string(when) : json_null());
	return o;
}

/* ",value", or "," for none; 9 decimals (ns) for offsets and delays. */
static void csv_num(double v, bool fixed)
{
	putchar(',');
	if (isfinite(v) && fixed)
		printf("%.9f", v);
	else if (isfinite(v))
		printf("%.9g", v);
}

static void print_results(const struct audit_device *d, const struct audit_result *r,
			  const bool *done, size_t n, enum out_fmt fmt, bool nonstandard)
{
	json_t *arr = NULL;
	size_t i;

	if (fmt == OUT_JSON)
		arr = json_array();
	else if (fmt == OUT_CSV)
		printf("name,address,port,group,method,status,offset,delay,tolerance,stratum,leap,"
		       "error,measured\r\n");
	else
		printf("%-20s %-24s %-6s %-11s %14s %10s %3s  %s\n", "Name", "Address", "Method",
		       "Status", "Offset(s)", "Delay(s)", "St", "Error");
	for (i = 0; i < n; i++) {
		const struct audit_result *x = &r[i];
		bool unreach = x->status == AUDIT_UNREACHABLE;
		char when[48], st[12] = "-";

		if ((done && !done[i]) || (nonstandard && x->status == AUDIT_OK))
			continue;
		if (fmt == OUT_JSON) {
			json_array_append_new(arr, result_json(&d[i], x));
			continue;
		}
		if (fmt == OUT_CSV) {
			audit_csv_field(stdout, d[i].name);
			putchar(',');
			audit_csv_field(stdout, d[i].address);
			putchar(',');
			if (eff_port(&d[i]))
				printf("%u", eff_port(&d[i]));
			putchar(',');
			audit_csv_field(stdout, d[i].group);
			printf(",%s,%s", audit_method_name(x->method), audit_status_name(x->status));
			csv_num(unreach ? NAN : x->offset, true);
			csv_num(unreach ? NAN : x->delay, true);
			csv_num(d[i].tolerance, false);
			putchar(',');
			if (x->stratum >= 0)
				printf("%d", x->stratum);
			putchar(',');
			if (x->leap >= 0)
				printf("%d", x->leap);
			putchar(',');
			audit_csv_field(stdout, x->error);
			fmt_time(x->measured, when, sizeof(when));
			printf(",%s\r\n", x->measured > 0 ? when : "");
			continue;
		}
		if (x->stratum >= 0)
			snprintf(st, sizeof(st), "%d", x->stratum);
		printf("%-20.20s %-24.24s %-6s %-11s ", d[i].name, d[i].address,
		       audit_method_name(x->method), audit_status_name(x->status));
		if (unreach || !isfinite(x->offset))
			printf("%14s %10s", "-", "-");
		else
			printf("%+14.6f %10.6f", x->offset, isfinite(x->delay) ? x->delay : 0.0);
		printf(" %3s  %s\n", st, x->error);
	}
	if (fmt == OUT_JSON) {
		char *s = json_dumps(arr, JSON_INDENT(1) | JSON_REAL_PRECISION(15));

		printf("%s\n", s ? s : "[]");
		free(s);
		json_decref(arr);
	}
	fflush(stdout);
}

static void count_status(const struct audit_result *r, const bool *done, size_t n,
			 size_t count[AUDIT_STATUS_COUNT])
{
	size_t i;

	memset(count, 0, sizeof(size_t) * AUDIT_STATUS_COUNT);
	for (i = 0; i < n; i++)
		if (!done || done[i])
			count[r[i].status < AUDIT_STATUS_COUNT ? r[i].status : AUDIT_UNREACHABLE]++;
}

/* ------------------------------------------------------------------ */
/* options shared by the subcommands */

struct opts {
	const char *db, *group;
	enum out_fmt fmt;
	bool nonstandard;
	int64_t run_id;
	double keep_days;
	struct audit_probe_opts probe;
};

static int parse_num(const char *opt, const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min && v <= max)) {
		fprintf(stderr, "gnomonctl audit: %s \"%s\": a number from %g to %g\n", opt, s,
			min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* 0, or the exit status of a usage error. */
static int parse_opts(int argc, char **argv, struct opts *o, const char *allowed)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, 'c' },
		{ "samples", required_argument, NULL, 'n' },
		{ "spacing", required_argument, NULL, 'S' },
		{ "timeout", required_argument, NULL, 't' },
		{ "rate", required_argument, NULL, 'r' },
		{ "inflight", required_argument, NULL, 'i' },
		{ "group", required_argument, NULL, 'g' },
		{ "keep", required_argument, NULL, 'k' },
		{ "nonstandard", no_argument, NULL, 'N' },
		{ "run", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double v;
	int opt;

	memset(o, 0, sizeof(*o));
	o->keep_days = 30;
	audit_probe_opts_default(&o->probe);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+d:jch", longopts, NULL)) != -1) {
		if (opt != '?' && opt != 'h' && !strchr(allowed, opt)) {
			fprintf(stderr, "gnomonctl audit %s: option %s does not apply\n", argv[0],
				argv[optind - 1]);
			return EXIT_AUDIT_ERROR;
		}
		switch (opt) {
		case 'd': o->db = optarg; break;
		case 'j': o->fmt = OUT_JSON; break;
		case 'c': o->fmt = OUT_CSV; break;
		case 'N': o->nonstandard = true; break;
		case 'g': o->group = optarg; break;
		case 'n':
			if (parse_num("--samples", optarg, 1, 16, &v))
				return EXIT_AUDIT_ERROR;
			o->probe.samples = (int)v;
			break;
		case 'S':
			if (parse_num("--spacing", optarg, 0, 60, &v))
				return EXIT_AUDIT_ERROR;
			o->probe.spacing = v;
			break;
		case 't':
			if (parse_num("--timeout", optarg, 0.01, 60, &v))
				return EXIT_AUDIT_ERROR;
			o->probe.timeout = v;
			break;
		case 'r':
			if (parse_num("--rate", optarg, 1, 1e6, &v))
				return EXIT_AUDIT_ERROR;
			o->probe.rate = (unsigned)v;
			break;
		case 'i':
			if (parse_num("--inflight", optarg, 1, 65536, &v))
				return EXIT_AUDIT_ERROR;
			o->probe.inflight = (unsigned)v;
			break;
		case 'k':
			if (parse_num("--keep", optarg, 0, 36600, &o->keep_days))
				return EXIT_AUDIT_ERROR;
			break;
		case 'R':
			if (parse_num("--run", optarg, 1, 9e15, &v))
				return EXIT_AUDIT_ERROR;
			o->run_id = (int64_t)v;
			break;
		case 'h': usage(stdout); return -1;
		default: usage(stderr); return EXIT_AUDIT_ERROR;
		}
	}
	if (!o->db) {
		fprintf(stderr, "gnomonctl audit %s: --db DB is needed (an SQLite file or a "
			"postgresql:// URL)\n", argv[0]);
		return EXIT_AUDIT_ERROR;
	}
	return 0;
}

static struct audit_db *open_db(const char *url)
{
	char err[768];
	struct audit_db *db = audit_db_open(url, err, sizeof(err));

	if (!db)
		fprintf(stderr, "gnomonctl: %s\n", err);
	return db;
}

/* ------------------------------------------------------------------ */
/* import, export */

static int read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t cap = 1 << 16, n = 0;
	char *b;

	if (!f)
		return -errno;
	b = malloc(cap);
	while (b) {
		size_t got = fread(b + n, 1, cap - n, f);

		n += got;
		if (n < cap)
			break;
		if (cap >= CSV_MAX_FILE) {
			free(b);
			b = NULL;
			errno = EFBIG;
			break;
		}
		cap *= 2;
		{
			char *nb = realloc(b, cap);

			if (!nb)
				free(b);
			b = nb;
		}
	}
	if (!b || ferror(f)) {
		int e = b ? EIO : (errno ? errno : ENOMEM);

		free(b);
		if (f != stdin)
			fclose(f);
		return -e;
	}
	if (f != stdin)
		fclose(f);
	*buf = b;
	*len = n;
	return 0;
}

static int count_devices(struct audit_db *db, size_t *n)
{
	struct audit_device *d;
	int rc = audit_db_devices(db, false, &d, n);

	if (!rc)
		free(d);
	return rc;
}

static int cmd_import(int argc, char **argv)
{
	struct conf_errors *errs = malloc(sizeof(*errs));
	struct audit_device *devs = NULL;
	struct opts o;
	struct audit_db *db = NULL;
	size_t n = 0, nb = 0, na = 0;
	char *buf = NULL;
	size_t len = 0;
	int rc = parse_opts(argc, argv, &o, "d"), i;

	if (rc || !errs)
		goto out;
	rc = EXIT_AUDIT_ERROR;
	if (optind + 1 != argc) {
		fprintf(stderr, "gnomonctl audit import: one CSV file is needed (FILE.csv, or - "
			"for the standard input)\n");
		goto out;
	}
	i = read_file(argv[optind], &buf, &len);
	if (i) {
		fprintf(stderr, "gnomonctl: cannot read %s: %s\n", argv[optind], strerror(-i));
		goto out;
	}
	if (audit_csv_parse(buf, len, argv[optind], &devs, &n, errs)) {
		for (i = 0; i < errs->count && i < CONF_MAX_ERRORS; i++)
			fprintf(stderr, "%s\n", errs->msg[i]);
		if (errs->count > CONF_MAX_ERRORS)
			fprintf(stderr, "... and %d more error(s)\n", errs->count - CONF_MAX_ERRORS);
		fprintf(stderr, "gnomonctl: %s: nothing imported (%d error(s))\n", argv[optind],
			errs->count);
		goto out;
	}
	db = open_db(o.db);
	if (!db)
		goto out;
	if (count_devices(db, &nb) || audit_db_put_devices(db, devs, n)) {
		fprintf(stderr, "gnomonctl: %s; nothing imported\n", audit_db_error(db));
		goto out;
	}
	if (count_devices(db, &na)) {
		fprintf(stderr, "gnomonctl: imported %zu device(s), then: %s\n", n,
			audit_db_error(db));
		goto out;
	}
	printf("imported %zu device(s) from %s into %s: %zu new, %zu updated; %zu in all\n", n,
	       argv[optind], audit_db_name(db), na - nb, n - (na - nb), na);
	rc = 0;
out:
	free(errs);
	free(buf);
	free(devs);
	audit_db_close(db);
	return rc < 0 ? 0 : rc;
}

static int cmd_export(int argc, char **argv)
{
	struct audit_device *devs = NULL;
	struct audit_db *db = NULL;
	struct opts o;
	size_t n;
	FILE *f = stdout;
	int rc = parse_opts(argc, argv, &o, "d");

	if (rc)
		return rc < 0 ? 0 : rc;
	rc = EXIT_AUDIT_ERROR;
	if (optind + 1 < argc) {
		usage(stderr);
		return rc;
	}
	db = open_db(o.db);
	if (!db)
		return rc;
	if (audit_db_devices(db, false, &devs, &n)) {
		fprintf(stderr, "gnomonctl: %s\n", audit_db_error(db));
		goto out;
	}
	if (optind < argc && strcmp(argv[optind], "-") && !(f = fopen(argv[optind], "w"))) {
		fprintf(stderr, "gnomonctl: cannot write %s: %s\n", argv[optind], strerror(errno));
		goto out;
	}
	if (audit_csv_write_devices(f, devs, n) || (f != stdout && fclose(f))) {
		fprintf(stderr, "gnomonctl: writing %s: %s\n",
			f == stdout ? "the standard output" : argv[optind], strerror(errno));
		goto out;
	}
	if (f != stdout)
		fprintf(stderr, "exported %zu device(s) to %s\n", n, argv[optind]);
	rc = 0;
out:
	free(devs);
	audit_db_close(db);
	return rc;
}

/* ------------------------------------------------------------------ */
/* run */

struct run_ctx {
	struct loop *loop;
	struct audit_db *db;
	struct audit_probe *probe;
	struct audit_writer *writer;
	const struct audit_device *devs;
	struct audit_result *res;
	bool *done;
	size_t n, measured, stored;
	int64_t run_id;
	bool db_failed, interrupted, finished;
	char db_error[768];
	struct loop_timer *bar;
};

/* Each result goes to the writer thread as it comes and is committed
 * there, so that a database lost in the middle keeps everything measured
 * before; on the first failure the run stops, as later results would be
 * lost. */
static void on_result(void *arg, size_t i, const struct audit_result *r)
{
	struct run_ctx *c = arg;

	if (i >= c->n || c->done[i])
		return;
	if (r && r != &c->res[i])
		c->res[i] = *r;
	c->done[i] = true;
	c->measured++;
	audit_writer_push(c->writer, i);
}

static void on_store_failed(int fd, short revents, void *arg)
{
	struct run_ctx *c = arg;
	uint64_t v;

	(void)revents;
	if (read(fd, &v, sizeof(v)) < 0)
		v = 0;
	c->db_failed = true;
	loop_stop(c->loop);
}

static void on_done(void *arg)
{
	struct run_ctx *c = arg;

	c->finished = true;
	loop_stop(c->loop);
}

static void on_signal(int sig, void *arg)
{
	struct run_ctx *c = arg;

	(void)sig;
	c->interrupted = true;
	loop_stop(c->loop);
}

static void draw_bar(struct run_ctx *c, bool last)
{
	size_t done = c->probe ? audit_probe_done(c->probe) : 0, w = 40, fill;

	if (done > c->n)
		done = c->n;
	fill = c->n ? done * w / c->n : w;
	if (last) {
		fprintf(stderr, "\r\033[K");
		return;
	}
	fprintf(stderr, "\raudit [%.*s%*s] %zu/%zu", (int)fill,
		"########################################", (int)(w - fill), "", done, c->n);
}

static void on_bar(struct loop_timer *t, void *arg)
{
	(void)t;
	draw_bar(arg, false);
}

static int probe_all(struct run_ctx *c, const struct opts *o)
{
	struct audit_probe_opts po = o->probe;
	int err = 0, efd, wrc;

	po.on_result = on_result;
	po.on_done = on_done;
	po.arg = c;
	po.icmp_fd = -1;
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (efd < 0)
		return -errno;
	c->loop = loop_create();
	if (!c->loop) {
		close(efd);
		return -ENOMEM;
	}
	c->writer = audit_writer_start(c->db, c->run_id, c->devs, c->res, c->n, efd, &err);
	if (!c->writer)
		goto out;
	loop_add_fd(c->loop, efd, POLLIN, on_store_failed, c);
	loop_on_signal(c->loop, SIGINT, on_signal, c);
	loop_on_signal(c->loop, SIGTERM, on_signal, c);
	c->probe = audit_probe_start(c->loop, c->devs, c->res, c->n, &po, &err);
	if (c->probe) {
		if (isatty(STDERR_FILENO))
			c->bar = loop_timer_add(c->loop, 0, 200 * GT_NS_PER_MS, on_bar, c);
		if (!c->finished)
			err = loop_run(c->loop);
		if (c->bar) {
			loop_timer_cancel(c->loop, c->bar);
			draw_bar(c, true);
		}
		audit_probe_destroy(c->probe);
		c->probe = NULL;
	} else if (!err) {
		err = -EIO;
	}
	/* What was measured is stored before the run is finished. */
	wrc = audit_writer_finish(c->writer, &c->stored, c->db_error, sizeof(c->db_error));
	c->writer = NULL;
	if (wrc)
		c->db_failed = true;
	loop_del_fd(c->loop, efd);
out:
	loop_destroy(c->loop);
	c->loop = NULL;
	close(efd);
	return err;
}

static size_t filter_group(struct audit_device *d, size_t n, const char *group)
{
	size_t i, w = 0;

	for (i = 0; i < n; i++)
		if (!group || !strcmp(d[i].group, group))
			d[w++] = d[i];
	return w;
}

static int cmd_run(int argc, char **argv)
{
	struct run_ctx c = { 0 };
	struct audit_device *devs = NULL;
	struct opts o;
	size_t count[AUDIT_STATUS_COUNT], i;
	char why[900] = "";
	int rc = parse_opts(argc, argv, &o, "djcnStrigk"), err;
	gt_ns t0;

	if (rc)
		return rc < 0 ? 0 : rc;
	rc = EXIT_AUDIT_ERROR;
	if (optind < argc) {
		fprintf(stderr, "gnomonctl audit run: unexpected argument \"%s\"\n", argv[optind]);
		return rc;
	}
	c.db = open_db(o.db);
	if (!c.db)
		return rc;
	if (audit_db_devices(c.db, true, &devs, &c.n)) {
		fprintf(stderr, "gnomonctl: %s\n", audit_db_error(c.db));
		goto out;
	}
	c.n = filter_group(devs, c.n, o.group);
	if (!c.n) {
		fprintf(stderr, "gnomonctl: no enabled device%s%s in %s (gnomonctl audit import "
			"--db DB FILE.csv)\n", o.group ? " in group " : "", o.group ? o.group : "",
			audit_db_name(c.db));
		goto out;
	}
	c.devs = devs;
	c.res = calloc(c.n, sizeof(*c.res));
	c.done = calloc(c.n, sizeof(*c.done));
	if (!c.res || !c.done) {
		fprintf(stderr, "gnomonctl: out of memory\n");
		goto out;
	}
	t0 = gt_now(CLOCK_REALTIME);
	if (audit_db_begin_run(c.db, t0, &c.run_id)) {
		fprintf(stderr, "gnomonctl: %s\n", audit_db_error(c.db));
		goto out;
	}
	err = probe_all(&c, &o);
	if (c.db_failed)
		snprintf(why, sizeof(why), "%s", c.db_error);
	else if (err)
		snprintf(why, sizeof(why), "probing failed: %s", strerror(-err));
	else if (c.interrupted)
		snprintf(why, sizeof(why), "interrupted");
	print_results(devs, c.res, c.done, c.n, o.fmt, false);
	count_status(c.res, c.done, c.n, count);
	if (!why[0] && c.measured < c.n)
		snprintf(why, sizeof(why), "the engine stopped with %zu of %zu devices measured",
			 c.measured, c.n);
	if (!c.db_failed && audit_db_finish_run(c.db, c.run_id, gt_now(CLOCK_REALTIME), why)) {
		if (!why[0])
			snprintf(why, sizeof(why), "%s", audit_db_error(c.db));
		c.db_failed = true;
	}
	if (!why[0] && o.keep_days > 0 &&
	    audit_db_prune(c.db, t0 - gt_from_sec(o.keep_days * 86400.0)))
		snprintf(why, sizeof(why), "%s", audit_db_error(c.db));
	if (why[0]) {
		fprintf(stderr, "gnomonctl: audit run %lld stopped: %s\n", (long long)c.run_id, why);
		fprintf(stderr, "gnomonctl: %zu of %zu device(s) measured (printed above), %zu "
			"stored in %s\n", c.measured, c.n, c.stored, audit_db_name(c.db));
		goto out;
	}
	if (o.fmt == OUT_TEXT)
		printf("run %lld: %zu device(s), %zu ok, %zu off, %zu unreachable, %.1f s\n",
		       (long long)c.run_id, c.n, count[AUDIT_OK], count[AUDIT_OFF],
		       count[AUDIT_UNREACHABLE], gt_to_sec(gt_now(CLOCK_REALTIME) - t0));
	rc = EXIT_ALL_OK;
	for (i = 0; i < c.n; i++)
		if (c.res[i].status != AUDIT_OK)
			rc = EXIT_NONSTANDARD;
out:
	free(devs);
	free(c.res);
	free(c.done);
	audit_db_close(c.db);
	return rc;
}

/* ------------------------------------------------------------------ */
/* report */

static int cmd_report(int argc, char **argv)
{
	struct audit_device *devs = NULL;
	struct audit_result *res = NULL;
	struct audit_db *db;
	struct audit_run run = { 0 };
	struct opts o;
	size_t n = 0, i;
	int rc = parse_opts(argc, argv, &o, "djcNR");
	char when[48];

	if (rc)
		return rc < 0 ? 0 : rc;
	rc = EXIT_AUDIT_ERROR;
	if (optind < argc) {
		fprintf(stderr, "gnomonctl audit report: unexpected argument \"%s\"\n",
			argv[optind]);
		return rc;
	}
	db = open_db(o.db);
	if (!db)
		return rc;
	if ((!o.run_id && audit_db_last_run(db, &run)) ||
	    audit_db_last_results(db, o.run_id ? o.run_id : run.id, &devs, &res, &n)) {
		fprintf(stderr, "gnomonctl: %s\n", audit_db_error(db));
		goto out;
	}
	if (o.run_id && !n) {
		fprintf(stderr, "gnomonctl: DB %s: run %lld has no results (pruned, or no such "
			"run)\n", audit_db_name(db), (long long)o.run_id);
		goto out;
	}
	print_results(devs, res, NULL, n, o.fmt, o.nonstandard);
	if (o.fmt == OUT_TEXT && run.id) {
		fmt_time(run.started, when, sizeof(when));
		printf("run %lld at %s: %d device(s), %d ok, %d off, %d unreachable%s%s\n",
		       (long long)run.id, when, run.devices, run.count[AUDIT_OK],
		       run.count[AUDIT_OFF], run.count[AUDIT_UNREACHABLE],
		       run.error[0] ? "; stopped: " : "", run.error);
	}
	rc = EXIT_ALL_OK;
	for (i = 0; i < n; i++)
		if (res[i].status != AUDIT_OK)
			rc = EXIT_NONSTANDARD;
out:
	free(devs);
	free(res);
	audit_db_close(db);
	return rc;
}

bool audit_cmd_is_local(int argc, char **argv)
{
	int i;

	if (argc >= 2 && (!strcmp(argv[1], "import") || !strcmp(argv[1], "export") ||
			  !strcmp(argv[1], "report") || !strcmp(argv[1], "--help") ||
			  !strcmp(argv[1], "-h")))
		return true;
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--db") || !strncmp(argv[i], "--db=", 5))
			return true;
	return false;
}

int audit_main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_AUDIT_ERROR : 0;
	}
	if (!strcmp(argv[1], "import"))
		return cmd_import(argc - 1, argv + 1);
	if (!strcmp(argv[1], "export"))
		return cmd_export(argc - 1, argv + 1);
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "report"))
		return cmd_report(argc - 1, argv + 1);
	fprintf(stderr, "gnomonctl audit: unknown command \"%s\" (import, export, run, report)\n",
		argv[1]);
	return EXIT_AUDIT_ERROR;
}
