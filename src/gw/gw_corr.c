#include "gw/gw_corr.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"

#define CAL_MAGIC "gnomon-gateway-calibration"
#define CAL_MAX_FILE 65536

static const char *const method_names[] = {
	[GW_CORR_NONE] = "none", [GW_CORR_FIXED] = "fixed",
	[GW_CORR_FORMULA] = "formula", [GW_CORR_CALIBRATED] = "calibrated",
};

const char *gw_corr_method_name(enum gw_corr_method m)
{
	return (unsigned)m < ARRAY_LEN(method_names) ? method_names[m] : "unknown";
}

int gw_corr_parse(struct conf_ctx *ctx, int argc, char **argv, struct gw_corr *c)
{
	struct conf_errors errs;
	long v;
	int i;

	memset(c, 0, sizeof(*c));
	c->hops = 1;
	if (argc < 1)
		return conf_error(ctx, "correction: expected none, fixed DELAY, formula bitrate BPS "
				  "[hops N] [latency SECONDS] or calibrated FILE");
	if (!strcmp(argv[0], "none") && argc == 1) {
		c->method = GW_CORR_NONE;
		return 0;
	}
	if (!strcmp(argv[0], "fixed") && argc == 2) {
		c->method = GW_CORR_FIXED;
		return conf_arg_double(ctx, "correction fixed", argv[1], 0, 10, &c->fixed);
	}
	if (!strcmp(argv[0], "calibrated") && argc == 2) {
		c->method = GW_CORR_CALIBRATED;
		if (strlcpy_checked(c->file, argv[1], sizeof(c->file)))
			return conf_error(ctx, "correction calibrated: path too long");
		if (gw_calibration_load(c->file, &c->cal, &errs)) {
			for (i = 0; i < errs.count && i < CONF_MAX_ERRORS; i++)
				conf_error(ctx, "correction calibrated: %s", errs.msg[i]);
			return -EINVAL;
		}
		return 0;
	}
	if (!strcmp(argv[0], "formula")) {
		c->method = GW_CORR_FORMULA;
		for (i = 1; i < argc; i++) {
			bool has_arg = i + 1 < argc;

			if (!strcmp(argv[i], "bitrate") && has_arg) {
				if (conf_arg_double(ctx, "formula bitrate", argv[++i], 1000, 1e12,
						    &c->bitrate))
					return -EINVAL;
			} else if (!strcmp(argv[i], "hops") && has_arg) {
				if (conf_arg_int(ctx, "formula hops", argv[++i], 1, 64, &v))
					return -EINVAL;
				c->hops = (int)v;
			} else if (!strcmp(argv[i], "latency") && has_arg) {
				if (conf_arg_double(ctx, "formula latency", argv[++i], 0, 10,
						    &c->latency))
					return -EINVAL;
			} else {
				return conf_error(ctx, "correction formula: unknown or incomplete "
						  "option '%s' (allowed: bitrate BPS, hops N, "
						  "latency SECONDS)", argv[i]);
			}
		}
		if (!c->bitrate)
			return conf_error(ctx, "correction formula: bitrate BPS is required");
		return 0;
	}
	return conf_error(ctx, "correction: '%s' with %d argument(s): expected none, fixed DELAY, "
			  "formula bitrate BPS [hops N] [latency SECONDS] or calibrated FILE",
			  argv[0], argc - 1);
}

double gw_corr_delay(const struct gw_corr *c, size_t payload, bool v6)
{
	double bytes;

	switch (c->method) {
	case GW_CORR_NONE:
		return 0;
	case GW_CORR_FIXED:
		return c->fixed;
	case GW_CORR_FORMULA:
		bytes = (double)payload + (v6 ? GW_FRAME_OVERHEAD_V6 : GW_FRAME_OVERHEAD_V4);
		if (bytes < GW_FRAME_MIN)
			bytes = GW_FRAME_MIN;
		return c->hops * bytes * 8 / c->bitrate + c->latency;
	case GW_CORR_CALIBRATED:
		return c->cal.delay;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* calibration file */

static int cal_double(struct conf_ctx *ctx, int argc, char **argv, double *out)
{
	if (argc != 2)
		return conf_error(ctx, "%s: expected one value in seconds", argv[0]);
	return conf_arg_double(ctx, argv[0], argv[1], -10, 10, out);
}

int gw_calibration_parse(const char *buf, size_t len, const char *name,
			 struct gw_calibration *out, struct conf_errors *errs)
{
	struct conf_ctx ctx = { .file = name, .line = 0, .errs = errs };
	char line[CONF_MAX_LINE + 1], *argv[CONF_MAX_ARGS], *save, *w;
	unsigned seen = 0;
	size_t pos = 0;
	long v;
	int argc, k;

	memset(errs, 0, sizeof(*errs));
	memset(out, 0, sizeof(*out));
	gw_filter_default(&out->filter);
	while (conf_next_line(&ctx, buf, len, &pos, line)) {
		char *hash = strchr(line, '#');

		if (hash)
			*hash = '\0';
		argc = 0;
		for (w = strtok_r(line, " \t\r", &save); w && argc < CONF_MAX_ARGS;
		     w = strtok_r(NULL, " \t\r", &save))
			argv[argc++] = w;
		if (!argc)
			continue;
		if (!(seen & 1)) {
			if (strcmp(argv[0], CAL_MAGIC) || argc != 2 || strcmp(argv[1], "1")) {
				conf_error(&ctx, "not a gateway calibration file (expected '%s 1' "
					   "first)", CAL_MAGIC);
				return errs->count;
			}
			seen |= 1;
			continue;
		}
		if (!strcmp(argv[0], "date") && argc == 2) {
			if (strlcpy_checked(out->date, argv[1], sizeof(out->date)))
				conf_error(&ctx, "date: too long");
		} else if (!strcmp(argv[0], "samples") && argc == 2) {
			if (!conf_arg_int(&ctx, "samples", argv[1], 0, 100000000, &v))
				out->samples = v;
		} else if (!strcmp(argv[0], "filter")) {
			k = gw_filter_parse(&ctx, argc - 1, argv + 1, &out->filter);
			if (k >= 0 && 1 + k != argc)
				conf_error(&ctx, "filter: unexpected '%s'", argv[1 + k]);
		} else if (!strcmp(argv[0], "window") && argc == 2) {
			if (!conf_arg_int(&ctx, "window", argv[1], 1, GW_FILTER_MAX_WINDOW, &v))
				out->filter.window = (int)v;
		} else if (!strcmp(argv[0], "delay")) {
			if (!cal_double(&ctx, argc, argv, &out->delay))
				seen |= 2;
		} else if (!strcmp(argv[0], "mean")) {
			cal_double(&ctx, argc, argv, &out->mean);
		} else if (!strcmp(argv[0], "median")) {
			cal_double(&ctx, argc, argv, &out->median);
		} else if (!strcmp(argv[0], "min")) {
			cal_double(&ctx, argc, argv, &out->min);
		} else if (!strcmp(argv[0], "max")) {
			cal_double(&ctx, argc, argv, &out->max);
		} else if (!strcmp(argv[0], "stddev")) {
			cal_double(&ctx, argc, argv, &out->stddev);
		} else {
			conf_error(&ctx, "unknown or malformed line '%s' (allowed: date, samples, "
				   "filter, window, delay, mean, median, min, max, stddev)", argv[0]);
		}
	}
	if (!errs->count && !(seen & 1)) {
		ctx.line = 0;
		conf_error(&ctx, "empty: not a gateway calibration file");
	} else if (!errs->count && !(seen & 2)) {
		ctx.line = 0;
		conf_error(&ctx, "no 'delay' line: the calibration's result is missing");
	}
	return errs->count;
}

int gw_calibration_load(const char *path, struct gw_calibration *out, struct conf_errors *errs)
{
	struct conf_ctx ctx = { .file = path, .line = 0, .errs = errs };
	char *buf;
	struct stat st;
	ssize_t n;
	int fd, rc;

	memset(errs, 0, sizeof(*errs));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		conf_error(&ctx, "cannot open: %s", strerror(errno));
		return errs->count;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CAL_MAX_FILE) {
		close(fd);
		conf_error(&ctx, "not a regular file of at most %d bytes", CAL_MAX_FILE);
		return errs->count;
	}
	buf = xcalloc(1, (size_t)st.st_size + 1);
	n = read(fd, buf, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		free(buf);
		conf_error(&ctx, "short read");
		return errs->count;
	}
	rc = gw_calibration_parse(buf, (size_t)n, path, out, errs);
	free(buf);
	return rc;
}

int gw_calibration_format(const struct gw_calibration *c, char *buf, size_t cap)
{
	char f[48];
	int n;

	gw_filter_describe(&c->filter, f, sizeof(f));
	n = snprintf(buf, cap,
		     CAL_MAGIC " 1\n"
		     "# written by gnomonctl gateway calibrate; `delay` is the correction\n"
		     "date %s\nsamples %ld\nfilter %s\nwindow %d\n"
		     "delay %.9f\nmean %.9f\nmedian %.9f\nmin %.9f\nmax %.9f\nstddev %.9f\n",
		     c->date[0] ? c->date : "unknown", c->samples, f, c->filter.window,
		     c->delay, c->mean, c->median, c->min, c->max, c->stddev);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}
