#include "gw/gw_state.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define RX_MAGIC "gnomon-gateway-receiver-state 1"
#define TX_MAGIC "gnomon-gateway-sender-state 1"

/* A cursor over the buffer; every read stays inside [p, end). */
struct cur {
	const char *p, *end;
};

/* The next line (without its '\n') into line and n; false at the end of the
 * buffer or when the last line has no '\n'. */
static bool next_line(struct cur *c, const char **line, size_t *n)
{
	const char *nl;

	if (c->p >= c->end)
		return false;
	nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	if (!nl)
		return false;
	*line = c->p;
	*n = (size_t)(nl - c->p);
	c->p = nl + 1;
	return true;
}

/* Is the line exactly s? */
static bool line_is(const char *line, size_t n, const char *s)
{
	return strlen(s) == n && !memcmp(line, s, n);
}

/* "KEY VALUE": the value after "KEY ", or NULL. */
static const char *value_of(const char *line, size_t n, const char *key, size_t *vn)
{
	size_t k = strlen(key);

	if (n < k + 2 || memcmp(line, key, k) || line[k] != ' ')
		return NULL;
	*vn = n - k - 1;
	return line + k + 1;
}

/* Decimal, 1..20 digits, no sign, no leading zero, <= max. */
static bool parse_dec(const char *v, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t x = 0;
	size_t i;

	if (n == 0 || n > 20 || (n > 1 && v[0] == '0'))
		return false;
	for (i = 0; i < n; i++) {
		unsigned d;

		if (v[i] < '0' || v[i] > '9')
			return false;
		d = (unsigned)(v[i] - '0');
		if (x > (max - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*out = x;
	return true;
}

/* Exactly 16 lower-case hex digits, not all zero. */
static bool parse_boot(const char *v, size_t n, uint64_t *out)
{
	uint64_t x = 0;
	size_t i;

	if (n != 16)
		return false;
	for (i = 0; i < n; i++) {
		unsigned d;

		if (v[i] >= '0' && v[i] <= '9')
			d = (unsigned)(v[i] - '0');
		else if (v[i] >= 'a' && v[i] <= 'f')
			d = (unsigned)(v[i] - 'a' + 10);
		else
			return false;
		x = x << 4 | d;
	}
	if (!x)
		return false;
	*out = x;
	return true;
}

static bool key_dec(struct cur *c, const char *key, uint64_t max, uint64_t *out)
{
	const char *line, *v;
	size_t n, vn;

	return next_line(c, &line, &n) && (v = value_of(line, n, key, &vn)) &&
	       parse_dec(v, vn, max, out);
}

static bool key_boot(struct cur *c, const char *key, uint64_t *out)
{
	const char *line, *v;
	size_t n, vn;

	return next_line(c, &line, &n) && (v = value_of(line, n, key, &vn)) &&
	       parse_boot(v, vn, out);
}

static bool magic(struct cur *c, const char *m)
{
	const char *line;
	size_t n;

	return next_line(c, &line, &n) && line_is(line, n, m);
}

/* "end" and nothing after it. */
static bool at_end(struct cur *c, const char *line, size_t n)
{
	return line_is(line, n, "end") && c->p == c->end;
}

int gw_rx_state_parse(const char *buf, size_t len, struct gw_rx_state *out)
{
	struct cur c = { buf, buf };
	const char *line, *v;
	uint64_t label;
	size_t n, vn;

	memset(out, 0, sizeof(*out));
	if (!buf || len > GW_STATE_MAX_LEN)
		goto bad;
	c.end = buf + len;
	if (!magic(&c, RX_MAGIC) ||
	    !key_dec(&c, "sender", UINT64_MAX, &out->sender_id) ||
	    !key_boot(&c, "boot", &out->boot_id) ||
	    !key_dec(&c, "floor", UINT64_MAX, &out->floor) ||
	    !key_dec(&c, "label", (uint64_t)INT64_MAX, &label))
		goto bad;
	out->label = (gt_ns)label;
	while (next_line(&c, &line, &n)) {
		if (at_end(&c, line, n))
			return 0;
		if (out->n_old == GW_SEQ_BOOT_HISTORY || !(v = value_of(line, n, "old", &vn)) ||
		    !parse_boot(v, vn, &out->old_boots[out->n_old]))
			break;
		out->n_old++;
	}
bad:
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}

int gw_tx_state_parse(const char *buf, size_t len, struct gw_tx_state *out)
{
	struct cur c = { buf, buf };
	const char *line;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (buf && len <= GW_STATE_MAX_LEN && (c.end = buf + len) && magic(&c, TX_MAGIC) &&
	    key_dec(&c, "sender", UINT64_MAX, &out->sender_id) &&
	    key_boot(&c, "boot", &out->boot_id) &&
	    key_dec(&c, "reserved", UINT64_MAX, &out->reserved) &&
	    next_line(&c, &line, &n) && at_end(&c, line, n))
		return 0;
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}

int gw_rx_state_format(const struct gw_rx_state *s, char *buf, size_t cap)
{
	size_t off;
	unsigned i;
	int n;

	n = snprintf(buf, cap, RX_MAGIC "\nsender %llu\nboot %016llx\nfloor %llu\nlabel %lld\n",
		     (unsigned long long)s->sender_id, (unsigned long long)s->boot_id,
		     (unsigned long long)s->floor, (long long)(s->label < 0 ? 0 : s->label));
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	off = (size_t)n;
	for (i = 0; i < s->n_old && i < GW_SEQ_BOOT_HISTORY; i++) {
		n = snprintf(buf + off, cap - off, "old %016llx\n",
			     (unsigned long long)s->old_boots[i]);
		if (n < 0 || (size_t)n >= cap - off)
			return -ENOSPC;
		off += (size_t)n;
	}
	n = snprintf(buf + off, cap - off, "end\n");
	if (n < 0 || (size_t)n >= cap - off)
		return -ENOSPC;
	return (int)(off + (size_t)n);
}

int gw_tx_state_format(const struct gw_tx_state *s, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, TX_MAGIC "\nsender %llu\nboot %016llx\nreserved %llu\nend\n",
			 (unsigned long long)s->sender_id, (unsigned long long)s->boot_id,
			 (unsigned long long)s->reserved);

	return n < 0 || (size_t)n >= cap ? -ENOSPC : n;
}
