#include "mon/http_target.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "lib/util.h"

/* Bytes a client may send unescaped in a target: visible ASCII. RFC 3986
 * allows fewer (no '"', '<', '>', '\\', '^', '`', '{', '|', '}'), but
 * clients send them unescaped anyway and routing is by exact match, so
 * only what could split or smuggle something is refused: controls, space,
 * DEL, non-ASCII and '#' (a fragment is never sent, RFC 9110 §7.1). */
static bool raw_ok(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '#';
}

/* Decode raw[0..n) into *out (which advances), NUL-terminated. The decoded
 * form is never longer than the raw one. plus: '+' is a space. */
static int decode(const char *raw, size_t n, bool plus, char **out)
{
	char *o = *out;
	size_t i;

	for (i = 0; i < n; i++) {
		char c = raw[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return -EINVAL;
			hi = hex_digit_value(raw[i + 1]);
			lo = hex_digit_value(raw[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -EINVAL;
			c = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus) {
			c = ' ';
		}
		*o++ = c;
	}
	*o++ = '\0';
	*out = o;
	return 0;
}

int http_target_parse(const char *raw, size_t len, struct http_target *t)
{
	const char *end = raw + len, *p, *q;
	bool implicit_root = false;
	char *o = t->store;
	size_t i;

	t->n_params = 0;
	t->path = NULL;
	if (len > HTTP_TARGET_MAX)
		return -E2BIG;
	for (i = 0; i < len; i++)
		if (!raw_ok((unsigned char)raw[i]))
			return -EINVAL;
	p = raw;
	/* absolute-form: drop "scheme://authority"; the host is not ours to
	 * check (we answer on one address) and routing looks at the path. */
	if (len >= 7 && !strncasecmp(raw, "http://", 7))
		p = raw + 7;
	else if (len >= 8 && !strncasecmp(raw, "https://", 8))
		p = raw + 8;
	if (p != raw) {
		while (p < end && *p != '/' && *p != '?')
			p++;
		/* RFC 9112 §3.2.2: an empty path is "/". */
		implicit_root = p == end || *p == '?';
	} else if (!len || raw[0] != '/') {
		return -EINVAL;
	}
	q = memchr(p, '?', (size_t)(end - p));
	if (implicit_root) {
		*o++ = '/';
		*o++ = '\0';
	} else if (decode(p, (size_t)((q ? q : end) - p), false, &o)) {
		return -EINVAL;
	}
	t->path = t->store;
	if (!q)
		return 0;
	for (p = q + 1; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pe = amp ? amp : end, *eq;
		struct http_param *prm;

		if (pe == p) {		/* empty pair */
			p = pe + 1;
			continue;
		}
		if (t->n_params == HTTP_PARAMS_MAX)
			return -ENOSPC;
		prm = &t->params[t->n_params];
		eq = memchr(p, '=', (size_t)(pe - p));
		prm->key = o;
		if (decode(p, (size_t)((eq ? eq : pe) - p), true, &o))
			return -EINVAL;
		prm->has_value = eq != NULL;
		prm->value = "";
		if (eq) {
			prm->value = o;
			if (decode(eq + 1, (size_t)(pe - eq - 1), true, &o))
				return -EINVAL;
		}
		t->n_params++;
		p = pe + 1;
	}
	return 0;
}

const char *http_target_param(const struct http_target *t, const char *key, size_t idx)
{
	size_t i;

	for (i = 0; i < t->n_params; i++)
		if (!strcmp(t->params[i].key, key) && idx-- == 0)
			return t->params[i].value;
	return NULL;
}
