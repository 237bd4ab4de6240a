#include "mon/prom.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

void prom_init(struct prom_out *p, struct sbuf *b)
{
	memset(p, 0, sizeof(*p));
	p->b = b;
}

void prom_fini(struct prom_out *p)
{
	size_t i;

	for (i = 0; i < p->n_seen; i++)
		free(p->seen[i]);
	free(p->seen);
	p->seen = NULL;
	p->n_seen = p->cap_seen = 0;
}

/* Length of the valid UTF-8 sequence at s (RFC 3629 §4: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *s, size_t left)
{
	size_t n, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07u;
	else
		return 0;
	if (n > left)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/* s escaped: backslash and newline always, the double quote in label
 * values (the format's only escapes); invalid UTF-8 as U+FFFD. */
static int put_escaped(struct sbuf *b, const char *s, bool quote)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t left = strlen(s), n;
	int rc = 0;

	while (left && !rc) {
		if (*u == '\\')
			rc = sbuf_puts(b, "\\\\");
		else if (*u == '\n')
			rc = sbuf_puts(b, "\\n");
		else if (*u == '"' && quote)
			rc = sbuf_puts(b, "\\\"");
		else if ((n = utf8_len(u, left)) == 0)
			rc = sbuf_puts(b, "\xef\xbf\xbd");
		else {
			rc = sbuf_append(b, u, n);
			u += n;
			left -= n;
			continue;
		}
		u++;
		left--;
	}
	return rc;
}

void prom_format_value(double v, char *buf, size_t len)
{
	int prec;

	if (isnan(v)) {
		snprintf(buf, len, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, len, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	/* Counters are integers: print them so, without an exponent, while
	 * every integer is exact in a double (2^53). */
	if (v == floor(v) && fabs(v) <= 9007199254740992.0) {
		snprintf(buf, len, "%.0f", v);
		return;
	}
	/* 17 significant digits always round-trip (IEEE 754 binary64);
	 * fewer read better when they do. The C locale's '.' is assumed:
	 * gnomond never calls setlocale. */
	for (prec = 15; prec < 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
	snprintf(buf, len, "%.17g", v);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

int prom_family(struct prom_out *p, const char *name, const char *help, enum prom_type t)
{
	static const char *const types[] = { "counter", "gauge", "untyped" };
	size_t i;
	int rc = 0;

	p->in_family = false;
	if (!met_name_valid(name) || (t == PROM_COUNTER && !ends_with(name, "_total")) ||
	    (unsigned)t > PROM_UNTYPED) {
		p->errors++;
		return -EINVAL;
	}
	for (i = 0; i < p->n_seen; i++) {
		if (!strcmp(p->seen[i], name)) {
			p->errors++;
			return -EEXIST;
		}
	}
	if (help) {
		rc |= sbuf_printf(p->b, "# HELP %s ", name);
		rc |= put_escaped(p->b, help, false);
		rc |= sbuf_putc(p->b, '\n');
	}
	rc |= sbuf_printf(p->b, "# TYPE %s %s\n", name, types[t]);
	if (rc)
		return -ENOSPC;
	if (p->n_seen == p->cap_seen) {
		p->cap_seen = p->cap_seen ? 2 * p->cap_seen : 64;
		p->seen = xrealloc(p->seen, p->cap_seen * sizeof(*p->seen));
	}
	p->seen[p->n_seen++] = xstrdup(name);
	snprintf(p->family, sizeof(p->family), "%s", name);
	p->in_family = true;
	return 0;
}

int prom_sample(struct prom_out *p, double v, const char *const *labels, size_t n)
{
	char num[40];
	size_t i, j;
	int rc;

	if (!p->in_family) {
		p->errors++;
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (!met_label_name_valid(labels[2 * i]) || !labels[2 * i + 1])
			goto bad;
		for (j = 0; j < i; j++)
			if (!strcmp(labels[2 * j], labels[2 * i]))
				goto bad;
	}
	rc = sbuf_puts(p->b, p->family);
	for (i = 0; i < n; i++) {
		rc |= sbuf_printf(p->b, "%c%s=\"", i ? ',' : '{', labels[2 * i]);
		rc |= put_escaped(p->b, labels[2 * i + 1], true);
		rc |= sbuf_putc(p->b, '"');
	}
	if (n)
		rc |= sbuf_putc(p->b, '}');
	prom_format_value(v, num, sizeof(num));
	rc |= sbuf_printf(p->b, " %s\n", num);
	return rc ? -ENOSPC : 0;
bad:
	p->errors++;
	return -EINVAL;
}

struct prom_emit {
	struct met_emit em;
	struct prom_out *p;
	int rc;
};

static void emit_sample(struct met_emit *em, double v, const char *const *labels, size_t n)
{
	struct prom_emit *pe = container_of(em, struct prom_emit, em);

	if (prom_sample(pe->p, v, labels, n) == -ENOSPC)
		pe->rc = -ENOSPC;
}

static enum prom_type kind_type(enum met_kind k)
{
	return k == MET_COUNTER ? PROM_COUNTER : k == MET_GAUGE ? PROM_GAUGE : PROM_UNTYPED;
}

int prom_render_registry(struct prom_out *p, const struct met_registry *r)
{
	struct prom_emit pe = { { emit_sample }, p, 0 };
	size_t i;
	int rc;

	for (i = 0; i < met_count(r); i++) {
		const struct met_entry *e = met_get(r, i);

		rc = prom_family(p, e->name, e->help, kind_type(e->kind));
		if (rc == -ENOSPC)
			return rc;
		if (rc)
			continue;
		if (prom_sample(p, met_value(e), NULL, 0))
			return -ENOSPC;
	}
	for (i = 0; i < met_family_count(r); i++) {
		const struct met_family *f = met_family_get(r, i);

		rc = prom_family(p, met_family_name(f), met_family_help(f),
				 kind_type(met_family_kind(f)));
		if (rc == -ENOSPC)
			return rc;
		if (rc)
			continue;
		met_family_read(f, &pe.em);
		if (pe.rc)
			return pe.rc;
	}
	p->in_family = false;
	return 0;
}
