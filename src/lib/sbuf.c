#include "lib/sbuf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

void sbuf_init(struct sbuf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void sbuf_free(struct sbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* Room for n more bytes and the terminator; false past the bound. */
static bool sbuf_reserve(struct sbuf *b, size_t n)
{
	size_t want;

	if (b->overflow || (b->max && (n > b->max || b->len > b->max - n))) {
		b->overflow = true;
		return false;
	}
	want = b->len + n + 1;
	if (want > b->cap) {
		size_t cap = b->cap ? b->cap : 256;

		while (cap < want)
			cap *= 2;
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
	return true;
}

int sbuf_append(struct sbuf *b, const void *d, size_t n)
{
	if (!sbuf_reserve(b, n))
		return -ENOSPC;
	memcpy(b->p + b->len, d, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int sbuf_puts(struct sbuf *b, const char *s)
{
	return sbuf_append(b, s, strlen(s));
}

int sbuf_putc(struct sbuf *b, char c)
{
	return sbuf_append(b, &c, 1);
}

int sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	char small[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n < sizeof(small))
		return sbuf_append(b, small, (size_t)n);
	if (!sbuf_reserve(b, (size_t)n))
		return -ENOSPC;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

char *sbuf_steal(struct sbuf *b, size_t *len)
{
	char *p;

	if (!b->p)
		sbuf_reserve(b, 0);
	if (!b->p) {		/* a bound of 0 bytes already overflowed */
		b->p = xmalloc(1);
		b->p[0] = '\0';
	}
	p = b->p;
	*len = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}
