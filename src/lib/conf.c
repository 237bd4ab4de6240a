#include "lib/conf.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/util.h"

#define MAX_LINE CONF_MAX_LINE
#define MAX_FILE (1024 * 1024)

int conf_error(struct conf_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->errs->count < CONF_MAX_ERRORS) {
		/* Straight into the slot: "file:line: " then the message. */
		char *dst = ctx->errs->msg[ctx->errs->count];
		size_t cap = sizeof(ctx->errs->msg[0]);
		int n = snprintf(dst, cap, "%s:%d: ", ctx->file, ctx->line);

		if (n >= 0 && (size_t)n < cap) {
			va_start(ap, fmt);
			vsnprintf(dst + n, cap - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	ctx->errs->count++;
	return -EINVAL;
}

int conf_arg_int(struct conf_ctx *ctx, const char *what, const char *s,
		 long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end)
		return conf_error(ctx, "%s: '%s' is not an integer (allowed: %ld..%ld)",
				  what, s, min, max);
	if (v < min || v > max)
		return conf_error(ctx, "%s: %ld is out of range (allowed: %ld..%ld)",
				  what, v, min, max);
	*out = v;
	return 0;
}

int conf_arg_double(struct conf_ctx *ctx, const char *what, const char *s,
		    double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v))
		return conf_error(ctx, "%s: '%s' is not a number (allowed: %g..%g)",
				  what, s, min, max);
	if (v < min || v > max)
		return conf_error(ctx, "%s: %s is out of range (allowed: %g..%g)",
				  what, s, min, max);
	*out = v;
	return 0;
}

int conf_arg_onoff(struct conf_ctx *ctx, const char *what, const char *s, bool *out)
{
	static const char *const on[] = { "on", "yes", "1", "true" };
	static const char *const off[] = { "off", "no", "0", "false" };
	size_t i;

	for (i = 0; i < ARRAY_LEN(on); i++) {
		if (!strcasecmp(s, on[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, off[i])) {
			*out = false;
			return 0;
		}
	}
	return conf_error(ctx, "%s: '%s' is not allowed (allowed: on, off)", what, s);
}

static int apply_typed(struct conf_ctx *ctx, const struct conf_item *it, void *cfg,
		       const char *arg)
{
	char *field = (char *)cfg + it->offset;
	long l;
	double d;
	bool b;
	int rc;

	switch (it->type) {
	case CONF_INT:
		rc = conf_arg_int(ctx, it->name, arg, (long)it->min, (long)it->max, &l);
		if (!rc)
			*(int *)(void *)field = (int)l;
		return rc;
	case CONF_DOUBLE:
		rc = conf_arg_double(ctx, it->name, arg, it->min, it->max, &d);
		if (!rc)
			*(double *)(void *)field = d;
		return rc;
	case CONF_ONOFF:
		rc = conf_arg_onoff(ctx, it->name, arg, &b);
		if (!rc)
			*(bool *)(void *)field = b;
		return rc;
	case CONF_STRING:
		if (strlen(arg) >= (size_t)it->max)
			return conf_error(ctx, "%s: value longer than %d characters",
					  it->name, (int)it->max - 1);
		strcpy(field, arg);
		return 0;
	case CONF_CUSTOM:
		break;
	}
	return -EINVAL;
}

void conf_apply_defaults(const struct conf_item *table, size_t n, void *cfg)
{
	struct conf_errors errs = { 0 };
	struct conf_ctx ctx = { "<defaults>", 0, &errs };
	size_t i;

	for (i = 0; i < n; i++)
		if (table[i].type != CONF_CUSTOM && table[i].def)
			apply_typed(&ctx, &table[i], cfg, table[i].def);
}

/* Split line in place into whitespace-separated words; stop at a comment.
 * Returns the word count or -1 when there are too many. */
static int tokenize(char *line, char **argv)
{
	int argc = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (!*p || *p == '#' || *p == ';' || *p == '!')
			break;
		if (argc == CONF_MAX_ARGS)
			return -1;
		argv[argc++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
		if (*p)
			*p++ = '\0';
	}
	return argc;
}

static const struct conf_item *lookup(const struct conf_item *table, size_t n,
				      const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcasecmp(table[i].name, name))
			return &table[i];
	return NULL;
}

static void parse_line(const struct conf_item *table, size_t n, void *cfg,
		       struct conf_ctx *ctx, char *line, uint8_t *seen)
{
	char *argv[CONF_MAX_ARGS];
	const struct conf_item *it;
	int argc = tokenize(line, argv);
	size_t i;

	if (argc == 0)
		return;
	if (argc < 0) {
		conf_error(ctx, "too many words (at most %d)", CONF_MAX_ARGS);
		return;
	}
	for (i = 0; argv[0][i]; i++) {
		unsigned char c = (unsigned char)argv[0][i];

		if (c < 0x21 || c > 0x7e) {
			conf_error(ctx, "directive contains a non-printable character");
			return;
		}
	}
	it = lookup(table, n, argv[0]);
	if (!it) {
		char known[512] = "";
		size_t k, len = 0;

		for (k = 0; k < n && len < sizeof(known) - 40; k++)
			len += (size_t)snprintf(known + len, sizeof(known) - len, "%s%s",
						k ? ", " : "", table[k].name);
		conf_error(ctx, "unknown directive '%.40s' (known: %s)", argv[0], known);
		return;
	}
	i = (size_t)(it - table);
	if (seen[i] && !it->repeatable) {
		conf_error(ctx, "%s given more than once", it->name);
		return;
	}
	seen[i] = 1;
	if (it->type == CONF_CUSTOM) {
		it->handler(ctx, it, cfg, argc - 1, argv + 1);
		return;
	}
	if (argc != 2) {
		conf_error(ctx, "%s takes one argument: %s %s", it->name, it->name, it->syntax);
		return;
	}
	apply_typed(ctx, it, cfg, argv[1]);
}

bool conf_next_line(struct conf_ctx *ctx, const char *buf, size_t len, size_t *pos,
		    char *line)
{
	while (*pos < len) {
		size_t start = *pos, ll;

		while (*pos < len && buf[*pos] != '\n')
			(*pos)++;
		ll = *pos - start;
		(*pos)++;	/* skip '\n' */
		ctx->line++;
		if (ll > MAX_LINE) {
			conf_error(ctx, "line longer than %d characters", MAX_LINE);
			continue;
		}
		memcpy(line, buf + start, ll);
		line[ll] = '\0';
		if (strlen(line) != ll) {
			conf_error(ctx, "line contains a NUL byte");
			continue;
		}
		return true;
	}
	return false;
}

int conf_parse_buffer(const struct conf_item *table, size_t n, void *cfg,
		      const char *file, const char *buf, size_t len,
		      struct conf_errors *errs)
{
	struct conf_ctx ctx = { file, 0, errs };
	char line[MAX_LINE + 1];
	uint8_t *seen = xcalloc(n ? n : 1, 1);
	size_t pos = 0;

	errs->count = 0;
	while (conf_next_line(&ctx, buf, len, &pos, line))
		parse_line(table, n, cfg, &ctx, line, seen);
	free(seen);
	return errs->count;
}

int conf_parse_file(const struct conf_item *table, size_t n, void *cfg,
		    const char *path, struct conf_errors *errs)
{
	struct conf_ctx ctx = { path, 0, errs };
	FILE *f = fopen(path, "re");
	char *buf;
	size_t len;
	int rc;

	errs->count = 0;
	if (!f)
		return conf_error(&ctx, "cannot open: %s", strerror(errno)), 1;
	buf = xmalloc(MAX_FILE + 1);
	len = fread(buf, 1, MAX_FILE + 1, f);
	fclose(f);
	if (len > MAX_FILE) {
		free(buf);
		return conf_error(&ctx, "file larger than %d bytes", MAX_FILE), 1;
	}
	rc = conf_parse_buffer(table, n, cfg, path, buf, len, errs);
	free(buf);
	return rc;
}
