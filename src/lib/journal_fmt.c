/* journal_fmt: the journal's line format (see lib/journal.h): pure
 * functions, no state, no allocation. Escaping is what keeps a hostile
 * value (a peer's address string, a key id from a packet) from ending the
 * line or forging a record: every byte outside printable ASCII is escaped. */
#include "lib/journal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define TRUNC_MARK "\\..."
#define TRUNC_MARK_LEN 4
/* Room kept in journal_fields.buf for " _omitted=4294967295". */
#define OMIT_RESERVE 24

static const char *const sev_names[] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

const char *journal_sev_name(enum journal_sev sev)
{
	if ((unsigned)sev >= sizeof(sev_names) / sizeof(sev_names[0]))
		return "debug";
	return sev_names[sev];
}

static bool is_bare(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '=';
}

/* Escape of one byte inside quotes; returns its length (1, 2 or 4). */
static size_t esc_byte(unsigned char c, char out[4])
{
	static const char hex[] = "0123456789abcdef";

	switch (c) {
	case '"':  out[0] = '\\'; out[1] = '"'; return 2;
	case '\\': out[0] = '\\'; out[1] = '\\'; return 2;
	case '\n': out[0] = '\\'; out[1] = 'n'; return 2;
	case '\r': out[0] = '\\'; out[1] = 'r'; return 2;
	case '\t': out[0] = '\\'; out[1] = 't'; return 2;
	default:
		break;
	}
	if (c >= 0x20 && c < 0x7f) {
		out[0] = (char)c;
		return 1;
	}
	out[0] = '\\';
	out[1] = 'x';
	out[2] = hex[c >> 4];
	out[3] = hex[c & 15];
	return 4;
}

/* Write s (slen bytes) as a VALUE of at most max output bytes (max >= 8);
 * out has room for max bytes. Returns the length written. */
static size_t esc_value(char *out, size_t max, const char *s, size_t slen, bool quote)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, pos, total = 2;
	char e[4];

	if (!quote && slen > 0 && slen <= max) {
		for (i = 0; i < slen && is_bare(u[i]); i++)
			;
		if (i == slen) {
			memcpy(out, s, slen);
			return slen;
		}
	}
	for (i = 0; i < slen; i++)
		total += esc_byte(u[i], e);
	pos = 0;
	out[pos++] = '"';
	for (i = 0; i < slen; i++) {
		size_t l = esc_byte(u[i], e);

		/* Cut only between escapes, leaving room for the marker. */
		if (total > max && pos + l > max - 1 - TRUNC_MARK_LEN) {
			memcpy(out + pos, TRUNC_MARK, TRUNC_MARK_LEN);
			pos += TRUNC_MARK_LEN;
			break;
		}
		memcpy(out + pos, e, l);
		pos += l;
	}
	out[pos++] = '"';
	return pos;
}

/* Copy a CODE or KEY, replacing bytes outside the allowed set by '_'. */
static size_t sanitize_name(char *out, const char *s, bool is_key)
{
	size_t n = 0;

	for (; s && s[n] && n < JOURNAL_CODE_MAX; n++) {
		unsigned char c = (unsigned char)s[n];
		bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			  (c >= 'A' && c <= 'Z') || c == '_' ||
			  (is_key && (c == '.' || c == '-'));

		out[n] = ok ? (char)c : '_';
	}
	if (n == 0)
		out[n++] = '_';
	return n;
}

void journal_fields_init(struct journal_fields *f)
{
	f->len = 0;
	f->omitted = 0;
}

static void field_add(struct journal_fields *f, const char *key, const char *val,
		      size_t vlen)
{
	char tmp[2 + JOURNAL_CODE_MAX + JOURNAL_VALUE_MAX];
	size_t n = 0;

	tmp[n++] = ' ';
	n += sanitize_name(tmp + n, key, true);
	tmp[n++] = '=';
	n += esc_value(tmp + n, JOURNAL_VALUE_MAX, val ? val : "", val ? vlen : 0, false);
	if (f->len + n > JOURNAL_FIELDS_MAX - OMIT_RESERVE) {
		f->omitted++;
		return;
	}
	memcpy(f->buf + f->len, tmp, n);
	f->len += n;
}

void journal_field_str(struct journal_fields *f, const char *key, const char *val)
{
	field_add(f, key, val, val ? strlen(val) : 0);
}

void journal_field_u64(struct journal_fields *f, const char *key, uint64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%" PRIu64, v);

	field_add(f, key, b, (size_t)n);
}

void journal_field_i64(struct journal_fields *f, const char *key, int64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%" PRId64, v);

	field_add(f, key, b, (size_t)n);
}

void journal_field_fmt(struct journal_fields *f, const char *key, const char *fmt, ...)
{
	/* Twice the output limit: an input cut here is always marked. */
	char b[2 * JOURNAL_VALUE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	field_add(f, key, b, (size_t)n < sizeof(b) ? (size_t)n : sizeof(b) - 1);
}

/* Bounded append; returns the new length (out stays NUL-terminated). */
static size_t put(char *out, size_t n, size_t len, const char *s, size_t slen)
{
	if (len + 1 >= n)
		return len;
	if (slen > n - 1 - len)
		slen = n - 1 - len;
	memcpy(out + len, s, slen);
	len += slen;
	out[len] = '\0';
	return len;
}

size_t journal_format_text(char *out, size_t n, const char *code,
			   const struct journal_fields *fields, const char *msg)
{
	char tmp[JOURNAL_MSG_MAX + JOURNAL_CODE_MAX];
	size_t len = 0, l;

	out[0] = '\0';
	l = sanitize_name(tmp, code, false);
	len = put(out, n, len, tmp, l);
	if (fields) {
		len = put(out, n, len, fields->buf, fields->len);
		if (fields->omitted) {
			l = (size_t)snprintf(tmp, sizeof(tmp), " _omitted=%u", fields->omitted);
			len = put(out, n, len, tmp, l);
		}
	}
	len = put(out, n, len, " ", 1);
	l = esc_value(tmp, JOURNAL_MSG_MAX, msg ? msg : "", msg ? strlen(msg) : 0, true);
	return put(out, n, len, tmp, l);
}

size_t journal_format_time(char *out, size_t n, gt_ns t)
{
	time_t sec = (time_t)(t / GT_NS_PER_S);
	gt_ns frac = t % GT_NS_PER_S;
	char stamp[32];
	struct tm tm;
	int r;

	if (frac < 0) {
		frac += GT_NS_PER_S;
		sec--;
	}
	if (!gmtime_r(&sec, &tm) || !strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(stamp, sizeof(stamp), "0000-00-00T00:00:00");
	r = snprintf(out, n, "%s.%06dZ", stamp, (int)(frac / GT_NS_PER_US));
	if (r < 0)
		return 0;
	return (size_t)r < n ? (size_t)r : n - 1;
}

size_t journal_format_line(char *out, size_t n, gt_ns t, enum journal_sev sev,
			   const char *text)
{
	char stamp[40];
	size_t len = 0;

	if (n < 2) {
		if (n)
			out[0] = '\0';
		return 0;
	}
	out[0] = '\0';
	/* n - 1: the newline always fits, so a cut line still ends the record. */
	len = put(out, n - 1, len, stamp, journal_format_time(stamp, sizeof(stamp), t));
	len = put(out, n - 1, len, " ", 1);
	len = put(out, n - 1, len, journal_sev_name(sev), strlen(journal_sev_name(sev)));
	len = put(out, n - 1, len, " ", 1);
	len = put(out, n - 1, len, text, strlen(text));
	return put(out, n, len, "\n", 1);
}
