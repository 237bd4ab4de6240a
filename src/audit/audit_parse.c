/* audit_parse: the reply parsers of the device audit's probes, pure
 * functions over a buffer and a length (fuzzed: tests/fuzz/fuzz_audit_*).
 * They check what the wire can get wrong; what a well-formed reply says
 * (a stratum 16, a date in 1999) is for the engine to judge. */
#include "audit/audit_probe.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "lib/bytes.h"

#define NTP_HEADER_LEN 48
#define NTP_MODE_SERVER 4

int audit_parse_ntp(const uint8_t *buf, size_t len, uint64_t expect_origin,
		    struct audit_ntp_reply *out)
{
	uint64_t rx, tx;
	int version;

	if (!buf || len < NTP_HEADER_LEN)
		return -EINVAL;
	version = (buf[0] >> 3) & 7;
	memset(out, 0, sizeof(*out));
	out->leap = buf[0] >> 6;
	out->mode = buf[0] & 7;
	out->stratum = buf[1];
	out->refid = get_be32(buf + 12);
	/* RFC 5905 §8: a client takes only a server-mode (4) reply; version
	 * 0 does not exist and 5..7 are not yet defined. */
	if (version < 1 || version > 4 || out->mode != NTP_MODE_SERVER)
		return -EPROTO;
	/* RFC 5905 §8 test 2: the origin timestamp must echo what we sent
	 * (a random cookie, not a time), else the reply is bogus or stale. */
	if (get_be64(buf + 24) != expect_origin)
		return -EPROTO;
	rx = get_be64(buf + 32);
	tx = get_be64(buf + 40);
	/* RFC 5905 §7.4: stratum 0 is a kiss-o'-death; its refid is the
	 * code ("RATE", "DENY", ...) and its timestamps mean nothing. */
	if (out->stratum == 0) {
		out->kod = true;
		return 0;
	}
	/* RFC 5905 §8 test 3: a zero receive or transmit timestamp is not a
	 * time the server ever read. */
	if (rx == 0 || tx == 0)
		return -EPROTO;
	/* No pivot is known here: the RFC 4330 §3 era rule (good to 2104). */
	out->t2 = ntp_ts_to_ns_split(rx);
	out->t3 = ntp_ts_to_ns_split(tx);
	return 0;
}

int audit_parse_time(const uint8_t *buf, size_t len, gt_ns now, gt_ns *out)
{
	/* RFC 868: exactly one 32-bit big-endian count of seconds since
	 * 1900-01-01, then the server closes. Anything longer is some other
	 * protocol on port 37. */
	if (!buf || len == 0)
		return -EINVAL;
	if (len != 4)
		return -EPROTO;
	/* Seconds since 1900 are the NTP era count without a fraction: the
	 * era (the 32-bit count wrapped in 2036) is the one nearest now. */
	*out = ntp_ts_to_ns((ntp_ts)get_be32(buf) << 32, now);
	return 0;
}

/* --- HTTP Date (RFC 9110 §5.6.7, §6.6.1) ------------------------------- */

static const char *const month_names[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};
static const char *const day_short[7] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
static const char *const day_long[7] = {
	"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
};

/* A cursor over the Date value; every reader fails without moving on a
 * mismatch, so the three forms can be tried in turn. */
struct cur {
	const char *p, *end;
};

static bool cur_lit(struct cur *c, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
		return false;
	c->p += n;
	return true;
}

static bool cur_digits(struct cur *c, int n, int *v)
{
	int i, x = 0;

	if (c->end - c->p < n)
		return false;
	for (i = 0; i < n; i++) {
		if (c->p[i] < '0' || c->p[i] > '9')
			return false;
		x = x * 10 + (c->p[i] - '0');
	}
	c->p += n;
	*v = x;
	return true;
}

static bool cur_name(struct cur *c, const char *const *names, int count, int *idx)
{
	int i;

	for (i = 0; i < count; i++) {
		if (cur_lit(c, names[i])) {
			*idx = i;
			return true;
		}
	}
	return false;
}

/* hh:mm:ss; 60 seconds is a leap second (RFC 9110 allows it). */
static bool cur_clock(struct cur *c, int *h, int *m, int *s)
{
	return cur_digits(c, 2, h) && cur_lit(c, ":") && cur_digits(c, 2, m) && cur_lit(c, ":") &&
	       cur_digits(c, 2, s) && *h < 24 && *m < 60 && *s <= 60;
}

static bool leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian, m 1..12), by the
 * civil-from-days arithmetic: no timegm(), no time zone in the way. */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int date_to_ns(int y, int mon, int d, int h, int mi, int s, gt_ns *out)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int64_t secs;

	/* gt_ns spans 1678..2262; a device's clock outside 1900..2200 is
	 * garbage rather than a time to compare. */
	if (y < 1900 || y > 2200 || d < 1 || d > mdays[mon] + (mon == 1 && leap_year(y)))
		return -EPROTO;
	secs = days_from_civil(y, mon + 1, d) * 86400 + h * 3600 + mi * 60 + s;
	*out = secs * GT_NS_PER_S;
	return 0;
}

/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT". */
static bool parse_imf(struct cur c, int *y, int *mon, int *d, int *h, int *mi, int *s)
{
	int wd;

	return cur_name(&c, day_short, 7, &wd) && cur_lit(&c, ", ") && cur_digits(&c, 2, d) &&
	       cur_lit(&c, " ") && cur_name(&c, month_names, 12, mon) && cur_lit(&c, " ") &&
	       cur_digits(&c, 4, y) && cur_lit(&c, " ") && cur_clock(&c, h, mi, s) &&
	       cur_lit(&c, " GMT") && c.p == c.end;
}

/* Obsolete RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT". */
static bool parse_rfc850(struct cur c, int *y, int *mon, int *d, int *h, int *mi, int *s)
{
	int wd;

	if (!(cur_name(&c, day_long, 7, &wd) && cur_lit(&c, ", ") && cur_digits(&c, 2, d) &&
	      cur_lit(&c, "-") && cur_name(&c, month_names, 12, mon) && cur_lit(&c, "-") &&
	      cur_digits(&c, 2, y) && cur_lit(&c, " ") && cur_clock(&c, h, mi, s) &&
	      cur_lit(&c, " GMT") && c.p == c.end))
		return false;
	/* RFC 9110 §5.6.7 reads a two-digit year more than 50 years ahead as
	 * the past century; without a "now" here, 70..99 are 19xx and
	 * 00..69 20xx (the same split as POSIX strptime %y). */
	*y += *y < 70 ? 2000 : 1900;
	return true;
}

/* asctime: "Sun Nov  6 08:49:37 1994" (day padded with a space). */
static bool parse_asctime(struct cur c, int *y, int *mon, int *d, int *h, int *mi, int *s)
{
	int wd;

	if (!(cur_name(&c, day_short, 7, &wd) && cur_lit(&c, " ") &&
	      cur_name(&c, month_names, 12, mon) && cur_lit(&c, " ")))
		return false;
	if (!cur_lit(&c, " ")) {
		if (!cur_digits(&c, 2, d))
			return false;
	} else if (!cur_digits(&c, 1, d)) {
		return false;
	}
	return cur_lit(&c, " ") && cur_clock(&c, h, mi, s) && cur_lit(&c, " ") &&
	       cur_digits(&c, 4, y) && c.p == c.end;
}

static bool is_ows(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* The value of one Date header, with surrounding whitespace trimmed. */
static int parse_date_value(const char *p, const char *end, gt_ns *out)
{
	int y, mon, d, h, mi, s;
	struct cur c;

	while (p < end && is_ows(*p))
		p++;
	while (end > p && is_ows(end[-1]))
		end--;
	c = (struct cur){ p, end };
	if (parse_imf(c, &y, &mon, &d, &h, &mi, &s) || parse_rfc850(c, &y, &mon, &d, &h, &mi, &s) ||
	    parse_asctime(c, &y, &mon, &d, &h, &mi, &s))
		return date_to_ns(y, mon, d, h, mi, s, out);
	return -EPROTO;
}

int audit_parse_http_date(const char *buf, size_t len, gt_ns *out)
{
	const char *p = buf, *end, *eol, *line_end;
	int digit;

	if (!buf || len == 0)
		return -EINVAL;
	end = buf + len;	/* not before: NULL + len is undefined */
	if (memchr(buf, '\0', len))
		return -EINVAL;
	/* RFC 9112 §4: "HTTP/1.x SP 3DIGIT SP reason". Any status will do:
	 * a 404 or 401 still carries the server's Date. */
	if (len < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[7] < '0' || p[7] > '9' || p[8] != ' ')
		return -EPROTO;
	for (digit = 9; digit < 12; digit++)
		if (p[digit] < '0' || p[digit] > '9')
			return -EPROTO;
	eol = memchr(p, '\n', len);
	if (!eol)
		return -EPROTO;
	/* Header lines up to the empty line; each must be complete (LF
	 * seen), a CR before the LF is dropped (RFC 9112 §2.2 allows bare
	 * LF). */
	for (p = eol + 1; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			break;
		line_end = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
		if (line_end == p)
			break;	/* end of the head */
		if (line_end - p >= 5 && strncasecmp(p, "date:", 5) == 0)
			return parse_date_value(p + 5, line_end, out);
	}
	return -EPROTO;
}

/* --- ICMP timestamp reply (RFC 792) ------------------------------------ */

#define ICMP_TS_LEN 20
#define ICMP_TYPE_TSREPLY 14
#define MS_PER_DAY 86400000u

static uint16_t inet_checksum(const uint8_t *b, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get_be16(b + i);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int audit_parse_icmp_ts(const uint8_t *buf, size_t len, uint16_t id, uint16_t seq,
			uint32_t *originate, uint32_t *receive, uint32_t *transmit)
{
	uint32_t rx, tx;

	if (!buf || len < ICMP_TS_LEN)
		return -EINVAL;
	if (buf[0] != ICMP_TYPE_TSREPLY || buf[1] != 0)
		return -EPROTO;
	/* The checksum covers the whole ICMP message (RFC 792): a sum over
	 * it, checksum included, is zero when it is intact. */
	if (inet_checksum(buf, len) != 0)
		return -EPROTO;
	if (get_be16(buf + 4) != id || get_be16(buf + 6) != seq)
		return -EPROTO;
	rx = get_be32(buf + 12);
	tx = get_be32(buf + 16);
	/* RFC 792: the high bit flags a time that is not milliseconds since
	 * midnight UT; and no standard value reaches a whole day. */
	if ((rx | tx) & 0x80000000u || rx >= MS_PER_DAY || tx >= MS_PER_DAY)
		return -EPROTO;
	*originate = get_be32(buf + 8);
	*receive = rx;
	*transmit = tx;
	return 0;
}
