/* audit_csv: the device list's CSV reader and writer (audit_csv.h). The
 * reader is a pure function over a buffer; it is unit-tested with
 * malformed input and fuzzed (tests/fuzz/fuzz_audit_csv.c). */
#include "audit/audit_csv.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CSV_MAX_FIELDS 16
#define CSV_MAX_FIELD 512

enum csv_col { COL_NAME, COL_ADDRESS, COL_PORT, COL_METHOD, COL_TOLERANCE, COL_GROUP,
	       COL_ENABLED, COL_COUNT };

static const char *const col_names[COL_COUNT] = {
	"name", "address", "port", "method", "tolerance", "group", "enabled",
};
#define ALLOWED_COLUMNS "name, address, port, method, tolerance, group, enabled"
#define ALLOWED_METHODS "ntp, time, http or icmp"

struct csv_reader {
	const char *buf;
	size_t len, pos;
	struct conf_ctx ctx;	/* file, current line, errors */
};

struct csv_rec {
	int nf;
	int line;		/* where the record starts */
	char f[CSV_MAX_FIELDS][CSV_MAX_FIELD];
};

static bool is_delim(char c)
{
	return c == ',' || c == '\r' || c == '\n';
}

/* Skip to the start of the next physical line after an error. */
static void skip_line(struct csv_reader *rd)
{
	while (rd->pos < rd->len && rd->buf[rd->pos] != '\n')
		rd->pos++;
	if (rd->pos < rd->len) {
		rd->pos++;
		rd->ctx.line++;
	}
}

static int fail(struct csv_reader *rd, int line, const char *msg)
{
	int cur = rd->ctx.line;

	rd->ctx.line = line;
	conf_error(&rd->ctx, "%s", msg);
	rd->ctx.line = cur;
	skip_line(rd);
	return -EINVAL;
}

/* A quoted field (RFC 4180 §2.5-2.7): "" is one quote; commas and line
 * breaks inside are data. rd->pos is just after the opening quote. */
static int read_quoted(struct csv_reader *rd, char *out, size_t *w, int opened)
{
	for (;;) {
		char c;

		if (rd->pos >= rd->len)
			return fail(rd, opened, "a quoted field is not closed before the end of "
				    "the file (a \" is missing)");
		c = rd->buf[rd->pos++];
		if (c == '"') {
			if (rd->pos < rd->len && rd->buf[rd->pos] == '"') {
				rd->pos++;
			} else {
				return 0;
			}
		} else if (c == '\n') {
			rd->ctx.line++;
		} else if (c == '\0') {
			return fail(rd, rd->ctx.line, "a NUL byte: not a text file");
		}
		if (*w + 1 >= CSV_MAX_FIELD)
			return fail(rd, opened, "a field longer than 511 bytes");
		out[(*w)++] = c;
	}
}

/* The next record: 1, 0 at the end, -EINVAL after recording an error (the
 * reader then stands at the next line). Empty lines are skipped. */
static int csv_next(struct csv_reader *rd, struct csv_rec *rec)
{
	/* skip blank lines */
	for (;;) {
		size_t p = rd->pos;

		while (p < rd->len && (rd->buf[p] == ' ' || rd->buf[p] == '\t' || rd->buf[p] == '\r'))
			p++;
		if (p < rd->len && rd->buf[p] == '\n') {
			rd->pos = p + 1;
			rd->ctx.line++;
			continue;
		}
		if (p >= rd->len)
			return 0;
		break;
	}
	rec->nf = 0;
	rec->line = rd->ctx.line;
	for (;;) {
		char *out;
		size_t w = 0;
		char c;

		if (rec->nf == CSV_MAX_FIELDS)
			return fail(rd, rec->line, "more than 16 fields");
		out = rec->f[rec->nf++];
		while (rd->pos < rd->len && (rd->buf[rd->pos] == ' ' || rd->buf[rd->pos] == '\t'))
			rd->pos++;
		if (rd->pos < rd->len && rd->buf[rd->pos] == '"') {
			rd->pos++;
			if (read_quoted(rd, out, &w, rd->ctx.line))
				return -EINVAL;
			while (rd->pos < rd->len && (rd->buf[rd->pos] == ' ' ||
						     rd->buf[rd->pos] == '\t'))
				rd->pos++;
			if (rd->pos < rd->len && !is_delim(rd->buf[rd->pos]))
				return fail(rd, rd->ctx.line, "text after a closing quote (a quote "
					    "inside a quoted field is written \"\")");
		} else {
			while (rd->pos < rd->len && !is_delim(rd->buf[rd->pos])) {
				c = rd->buf[rd->pos++];
				if (c == '"')
					return fail(rd, rd->ctx.line, "a quote inside an unquoted "
						    "field (quote the whole field: RFC 4180 §2.5)");
				if (c == '\0')
					return fail(rd, rd->ctx.line, "a NUL byte: not a text file");
				if (w + 1 >= CSV_MAX_FIELD)
					return fail(rd, rd->ctx.line, "a field longer than 511 bytes");
				out[w++] = c;
			}
			while (w > 0 && (out[w - 1] == ' ' || out[w - 1] == '\t'))
				w--;
		}
		out[w] = '\0';
		if (rd->pos >= rd->len)
			return 1;
		c = rd->buf[rd->pos++];
		if (c == ',')
			continue;
		if (c == '\r') {
			if (rd->pos < rd->len && rd->buf[rd->pos] == '\n')
				rd->pos++;
			else
				return fail(rd, rd->ctx.line, "a carriage return not followed by "
					    "a line feed");
		}
		rd->ctx.line++;
		return 1;
	}
}

/* ------------------------------------------------------------------ */
/* fields */

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static int parse_port(struct conf_ctx *ctx, const char *s, uint16_t *port)
{
	char *end;
	long v;

	if (!s[0]) {
		*port = 0;
		return 0;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || !isdigit((unsigned char)s[0]) || v < 1 || v > 65535)
		return conf_error(ctx, "port \"%s\": an integer 1..65535, or empty for the "
				  "method's default (ntp 123, time 37, http 80)", s);
	*port = (uint16_t)v;
	return 0;
}

static int parse_tolerance(struct conf_ctx *ctx, const char *s, double *tol)
{
	char *end;
	double v;

	if (!s[0]) {
		*tol = AUDIT_DEFAULT_TOLERANCE;
		return 0;
	}
	errno = 0;
	v = strtod(s, &end);
	if (end != s && !strcmp(end, "s"))
		end++;
	else if (end != s && !strcmp(end, "ms"))
		end += 2, v /= 1e3;
	if (errno || *end || end == s || !isfinite(v) || !(v > 0) || v > 1e9 ||
	    !(isdigit((unsigned char)s[0]) || s[0] == '.'))
		return conf_error(ctx, "tolerance \"%s\": seconds above 0 (e.g. 0.1, 0.5s or "
				  "250ms), or empty for 0.1", s);
	*tol = v;
	return 0;
}

static int parse_enabled(struct conf_ctx *ctx, const char *s, bool *on)
{
	static const char *const yes[] = { "", "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!strcasecmp(s, yes[i]))
			return *on = true, 0;
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (!strcasecmp(s, no[i]))
			return *on = false, 0;
	return conf_error(ctx, "enabled \"%s\": yes or no (also true/false, on/off, 1/0), "
			  "or empty for yes", s);
}

static int parse_method(struct conf_ctx *ctx, const char *s, enum audit_method *m)
{
	char low[16];
	size_t i;

	if (!s[0]) {
		*m = AUDIT_NTP;
		return 0;
	}
	for (i = 0; s[i] && i + 1 < sizeof(low); i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	low[i] = '\0';
	if (strlen(s) >= sizeof(low) || audit_method_parse(low, m))
		return conf_error(ctx, "method \"%s\": %s, or empty for ntp", s, ALLOWED_METHODS);
	return 0;
}

/* One record into d; every error of the record is recorded. */
static int parse_device(struct conf_ctx *ctx, const struct csv_rec *rec, const int *col_of,
			struct audit_device *d)
{
	static const char empty[1] = "";
	const char *v[COL_COUNT];
	int errs = ctx->errs->count, c;

	for (c = 0; c < COL_COUNT; c++)
		v[c] = col_of[c] >= 0 ? rec->f[col_of[c]] : empty;
	memset(d, 0, sizeof(*d));
	if (!v[COL_NAME][0])
		conf_error(ctx, "an empty name: every device needs a name");
	else if (strlen(v[COL_NAME]) >= AUDIT_NAME_MAX)
		conf_error(ctx, "name \"%.40s...\": at most %d bytes", v[COL_NAME],
			   AUDIT_NAME_MAX - 1);
	else if (has_control(v[COL_NAME]))
		conf_error(ctx, "a name with a line break or another control character: "
			   "names are one line of text");
	else
		strcpy(d->name, v[COL_NAME]);
	if (!v[COL_ADDRESS][0])
		conf_error(ctx, "an empty address: an IP address or a host name is needed");
	else if (strlen(v[COL_ADDRESS]) >= AUDIT_ADDR_MAX || has_control(v[COL_ADDRESS]) ||
		 strpbrk(v[COL_ADDRESS], " \t/"))
		conf_error(ctx, "address \"%.60s\": an IPv4 or IPv6 address or a host name, "
			   "without spaces, port or slash", v[COL_ADDRESS]);
	else
		strcpy(d->address, v[COL_ADDRESS]);
	parse_method(ctx, v[COL_METHOD], &d->method);
	if (!parse_port(ctx, v[COL_PORT], &d->port) && d->port && d->method == AUDIT_ICMP)
		conf_error(ctx, "port %s with method icmp: ICMP has no port, leave it empty",
			   v[COL_PORT]);
	parse_tolerance(ctx, v[COL_TOLERANCE], &d->tolerance);
	if (strlen(v[COL_GROUP]) >= AUDIT_GROUP_MAX || has_control(v[COL_GROUP]))
		conf_error(ctx, "group \"%.40s\": at most %d bytes of one-line text",
			   v[COL_GROUP], AUDIT_GROUP_MAX - 1);
	else
		strcpy(d->group, v[COL_GROUP]);
	parse_enabled(ctx, v[COL_ENABLED], &d->enabled);
	return ctx->errs->count > errs ? -EINVAL : 0;
}

static int parse_header(struct conf_ctx *ctx, const struct csv_rec *rec, int *col_of)
{
	int errs = ctx->errs->count, i, c;

	for (c = 0; c < COL_COUNT; c++)
		col_of[c] = -1;
	for (i = 0; i < rec->nf; i++) {
		char low[CSV_MAX_FIELD];
		size_t k;

		for (k = 0; rec->f[i][k]; k++)
			low[k] = (char)tolower((unsigned char)rec->f[i][k]);
		low[k] = '\0';
		for (c = 0; c < COL_COUNT && strcmp(low, col_names[c]); c++)
			;
		if (c == COL_COUNT)
			conf_error(ctx, "unknown column \"%.40s\" in the header (allowed: "
				   ALLOWED_COLUMNS ")", rec->f[i]);
		else if (col_of[c] >= 0)
			conf_error(ctx, "column \"%s\" twice in the header", col_names[c]);
		else
			col_of[c] = i;
	}
	for (c = COL_NAME; c <= COL_ADDRESS; c++)
		if (col_of[c] < 0 && ctx->errs->count == errs)
			conf_error(ctx, "the header has no column \"%s\" (the first line names "
				   "the columns: name,address,port,method,tolerance,group)",
				   col_names[c]);
	return ctx->errs->count > errs ? -EINVAL : 0;
}

struct named {
	const char *name;
	int line;
};

static int named_cmp(const void *a, const void *b)
{
	const struct named *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : x->line - y->line;
}

/* A name is the device's key in the database: twice in a file is a
 * mistake that an upsert would hide. */
static void check_duplicates(struct conf_ctx *ctx, const struct audit_device *d,
			     const int *lines, size_t n)
{
	struct named *v = malloc((n ? n : 1) * sizeof(*v));
	size_t i;

	if (!v) {
		conf_error(ctx, "out of memory");
		return;
	}
	for (i = 0; i < n; i++)
		v[i] = (struct named){ d[i].name, lines[i] };
	qsort(v, n, sizeof(*v), named_cmp);
	for (i = 1; i < n; i++) {
		if (!strcmp(v[i].name, v[i - 1].name)) {
			ctx->line = v[i].line;
			conf_error(ctx, "device \"%s\" again (first on line %d): names are unique",
				   v[i].name, v[i - 1].line);
		}
	}
	free(v);
}

int audit_csv_parse(const char *buf, size_t len, const char *file,
		    struct audit_device **devs, size_t *n, struct conf_errors *errs)
{
	struct csv_reader rd = { .buf = buf, .len = len, .ctx = { file, 1, errs } };
	struct csv_rec *rec = malloc(sizeof(*rec));
	struct audit_device *d = NULL;
	int *lines = NULL, col_of[COL_COUNT], hdr_nf, rc;
	size_t count = 0, cap = 0;

	errs->count = 0;
	*devs = NULL;
	*n = 0;
	if (!rec) {
		conf_error(&rd.ctx, "out of memory");
		return errs->count;
	}
	/* A UTF-8 byte order mark, as spreadsheets write. */
	if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3))
		rd.pos = 3;
	rc = csv_next(&rd, rec);
	if (rc == 0)
		conf_error(&rd.ctx, "an empty file: the first line names the columns "
			   "(name,address,port,method,tolerance,group)");
	if (rc <= 0)
		goto out;
	{
		int after = rd.ctx.line;

		rd.ctx.line = rec->line;
		rc = parse_header(&rd.ctx, rec, col_of);
		rd.ctx.line = after;
	}
	if (rc)
		goto out;
	hdr_nf = rec->nf;
	while ((rc = csv_next(&rd, rec)) != 0) {
		int after = rd.ctx.line;

		if (rc < 0)
			continue;
		rd.ctx.line = rec->line;
		if (rec->nf != hdr_nf) {
			conf_error(&rd.ctx, "%d field(s), the header has %d (a comma in a value "
				   "needs the value in double quotes)", rec->nf, hdr_nf);
		} else if (count >= AUDIT_CSV_MAX_DEVICES) {
			conf_error(&rd.ctx, "more than %d devices in one file",
				   AUDIT_CSV_MAX_DEVICES);
			rd.ctx.line = after;
			break;
		} else {
			if (count == cap) {
				size_t ncap = cap ? cap * 2 : 64;
				struct audit_device *nd = realloc(d, ncap * sizeof(*d));
				int *nl = realloc(lines, ncap * sizeof(*lines));

				if (nd)
					d = nd;
				if (nl)
					lines = nl;
				if (!nd || !nl) {
					conf_error(&rd.ctx, "out of memory");
					break;
				}
				cap = ncap;
			}
			if (!parse_device(&rd.ctx, rec, col_of, &d[count]))
				lines[count++] = rec->line;
		}
		rd.ctx.line = after;
	}
	if (!errs->count)
		check_duplicates(&rd.ctx, d, lines, count);
out:
	free(rec);
	free(lines);
	if (errs->count) {
		free(d);
		return errs->count;
	}
	*devs = d;
	*n = count;
	return 0;
}

void audit_csv_field(FILE *f, const char *s)
{
	size_t len = strlen(s);

	if (strpbrk(s, ",\"\r\n") || (len && (isspace((unsigned char)s[0]) ||
					     isspace((unsigned char)s[len - 1])))) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
}

/* The shortest of %.9g and %.17g that reads back to the same double. */
static void fmt_seconds(FILE *f, double v)
{
	char buf[40];

	snprintf(buf, sizeof(buf), "%.9g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, sizeof(buf), "%.17g", v);
	fputs(buf, f);
}

int audit_csv_write_devices(FILE *f, const struct audit_device *d, size_t n)
{
	size_t i;

	fputs("name,address,port,method,tolerance,group,enabled\r\n", f);
	for (i = 0; i < n; i++) {
		audit_csv_field(f, d[i].name);
		fputc(',', f);
		audit_csv_field(f, d[i].address);
		if (d[i].port)
			fprintf(f, ",%u,", d[i].port);
		else
			fputs(",,", f);
		fprintf(f, "%s,", audit_method_name(d[i].method));
		fmt_seconds(f, d[i].tolerance);
		fputc(',', f);
		audit_csv_field(f, d[i].group);
		fprintf(f, ",%s\r\n", d[i].enabled ? "yes" : "no");
	}
	if (fflush(f) || ferror(f))
		return -EIO;
	return 0;
}
