/* conf: the typed configuration table and the line parser.
 *
 * A configuration is one directive per line, chrony style: a keyword and
 * whitespace-separated arguments; '#', ';' and '!' start comments. Each
 * program describes its directives in a table of struct conf_item (enum
 * key, name, type, field offset, min, max, default, syntax, help); simple
 * typed directives are parsed by the table, the rest by a custom handler.
 * Every error names file:line, what is wrong and what is allowed. The parser
 * is a pure function over a buffer, so it is unit-tested and fuzzed. */
#ifndef GNOMON_CONF_H
#define GNOMON_CONF_H

#include <stdbool.h>
#include <stddef.h>

enum conf_type {
	CONF_INT,	/* int field, integer in [min, max] */
	CONF_DOUBLE,	/* double field, in [min, max] */
	CONF_ONOFF,	/* bool field, on|off|yes|no|1|0 */
	CONF_STRING,	/* char[max] field (max = buffer size) */
	CONF_CUSTOM,	/* handler parses the arguments */
};

#define CONF_MAX_ARGS 24
#define CONF_MAX_ERRORS 32

struct conf_errors {
	int count;
	char msg[CONF_MAX_ERRORS][640];
};

struct conf_ctx {
	const char *file;
	int line;
	struct conf_errors *errs;
};

struct conf_item;
typedef int (*conf_handler)(struct conf_ctx *ctx, const struct conf_item *item,
			    void *cfg, int argc, char **argv);

struct conf_item {
	int key;		/* the program's enum value */
	const char *name;
	enum conf_type type;
	size_t offset;		/* offsetof the field in the program's config */
	double min, max;
	const char *def;	/* default, as config text; NULL: zero */
	const char *syntax;	/* arguments, for errors and help */
	const char *help;
	conf_handler handler;	/* CONF_CUSTOM */
	bool repeatable;
};

/* Record an error "file:line: message". Always returns -EINVAL. */
int conf_error(struct conf_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Set every typed field of cfg to its default. */
void conf_apply_defaults(const struct conf_item *table, size_t n, void *cfg);

/* Parse a configuration text of len bytes (need not be NUL-terminated).
 * Returns the number of errors recorded in errs (0: cfg fully applied). */
int conf_parse_buffer(const struct conf_item *table, size_t n, void *cfg,
		      const char *file, const char *buf, size_t len,
		      struct conf_errors *errs);
/* Read a file and parse it; an unreadable file is one error. */
int conf_parse_file(const struct conf_item *table, size_t n, void *cfg,
		    const char *path, struct conf_errors *errs);

#define CONF_MAX_LINE 1024

/* Iterate over the lines of buf[0..len): copies the next line into line
 * (CONF_MAX_LINE + 1 bytes, NUL-terminated) and counts ctx->line. Lines that
 * are too long or hold a NUL byte are reported as errors and skipped.
 * Returns false at the end of the buffer. */
bool conf_next_line(struct conf_ctx *ctx, const char *buf, size_t len, size_t *pos,
		    char *line);

/* Argument helpers for handlers: parse or record a precise error. */
int conf_arg_int(struct conf_ctx *ctx, const char *what, const char *s,
		 long min, long max, long *out);
int conf_arg_double(struct conf_ctx *ctx, const char *what, const char *s,
		    double min, double max, double *out);
int conf_arg_onoff(struct conf_ctx *ctx, const char *what, const char *s, bool *out);

#endif
