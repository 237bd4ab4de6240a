#include "mon/json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
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

static void put_string(struct json_out *j, const char *s)
{
	const unsigned char *p;

	put(j, "\"");
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			put(j, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			put(j, "\\u%04x", *p);
		else
			put(j, "%c", *p);
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
	if (isfinite(v))
		put(j, "%.15g", v);	/* 1 ns at 10^6 s */
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
