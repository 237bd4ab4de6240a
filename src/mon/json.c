#include "mon/json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <inttypes.h>

void json_init(struct json_out *j, char *buf, size_t cap)
{
	j->buf = buf;
	j->cap = cap;
	j->len = 0;
	j->overflow = cap == 0;
	j->need_comma = false;
	if (cap)
		buf[0] = '\0';
}

struct json_mark json_mark(const struct json_out *j)
{
	return (struct json_mark){ j->len, j->overflow, j->need_comma };
}

void json_rewind(struct json_out *j, struct json_mark m)
{
	j->len = m.len;
	j->overflow = m.overflow;
	j->need_comma = m.need_comma;
	if (j->cap)
		j->buf[j->len] = '\0';
}

__attribute__((format(printf, 2, 3)))
static void put(struct json_out *j, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (j->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(j->buf + j->len, j->cap - j->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= j->cap - j->len) {
		j->overflow = true;
		return;
	}
	j->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid
 * (overlong forms, surrogates and code points above U+10FFFF included). */
static int utf8_len(const unsigned char *p)
{
	int n, i;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1fu;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0fu;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07u;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static void put_string(struct json_out *j, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	put(j, "\"");
	while (*p) {
		int n = utf8_len(p);

		if (*p == '"' || *p == '\\') {
			put(j, "\\%c", *p);
		} else if (*p < 0x20 || *p == 0x7f) {
			put(j, "\\u%04x", *p);
		} else if (n > 1) {
			put(j, "%.*s", n, (const char *)p);
			p += n;
			continue;
		} else if (n == 0) {
			put(j, "\\ufffd");	/* not UTF-8: replacement character */
		} else {
			put(j, "%c", *p);
		}
		p++;
	}
	put(j, "\"");
}

static void key(struct json_out *j, const char *k)
{
	if (j->need_comma)
		put(j, ",");
	if (k) {
		put_string(j, k);
		put(j, ":");
	}
	j->need_comma = true;
}

void json_obj_begin(struct json_out *j, const char *k)
{
	key(j, k);
	put(j, "{");
	j->need_comma = false;
}

void json_obj_end(struct json_out *j)
{
	put(j, "}");
	j->need_comma = true;
}

void json_arr_begin(struct json_out *j, const char *k)
{
	key(j, k);
	put(j, "[");
	j->need_comma = false;
}

void json_arr_end(struct json_out *j)
{
	put(j, "]");
	j->need_comma = true;
}

void json_u64(struct json_out *j, const char *k, uint64_t v)
{
	key(j, k);
	put(j, "%" PRIu64, v);
}

void json_i64(struct json_out *j, const char *k, int64_t v)
{
	key(j, k);
	put(j, "%" PRId64, v);
}

void json_double(struct json_out *j, const char *k, double v)
{
	key(j, k);
	if (isfinite(v)) {
		/* The shortest of %.15g and %.17g that reads back as v. */
		char tmp[32];

		snprintf(tmp, sizeof(tmp), "%.15g", v);
		if (strtod(tmp, NULL) != v)
			snprintf(tmp, sizeof(tmp), "%.17g", v);
		put(j, "%s", tmp);
	} else
		put(j, "null");
}

void json_float(struct json_out *j, const char *k, float v)
{
	key(j, k);
	if (isfinite(v))
		put(j, "%.7g", (double)v);
	else
		put(j, "null");
}

void json_str(struct json_out *j, const char *k, const char *s)
{
	key(j, k);
	put_string(j, s);
}

void json_bool(struct json_out *j, const char *k, bool v)
{
	key(j, k);
	put(j, v ? "true" : "false");
}

const char *json_result(struct json_out *j)
{
	return j->overflow ? NULL : j->buf;
}
