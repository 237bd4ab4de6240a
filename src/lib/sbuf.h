/* sbuf: a growable byte buffer with an upper bound, for text built at
 * run time whose size is not known in advance (HTTP response bodies, the
 * Prometheus exposition). Appending past the bound sets the overflow flag
 * and keeps what fitted, so the caller reports an error instead of sending
 * a truncated document. Allocation failure aborts (lib/util.h). */
#ifndef GNOMON_SBUF_H
#define GNOMON_SBUF_H

#include <stdbool.h>
#include <stddef.h>

struct sbuf {
	char *p;		/* NUL-terminated while p != NULL */
	size_t len, cap;
	size_t max;		/* bound on len */
	bool overflow;
};

/* An empty buffer holding at most max bytes (0: no bound). */
void sbuf_init(struct sbuf *b, size_t max);
void sbuf_free(struct sbuf *b);
/* Append n bytes. 0, or -ENOSPC past the bound (overflow set). */
int sbuf_append(struct sbuf *b, const void *d, size_t n);
int sbuf_puts(struct sbuf *b, const char *s);
int sbuf_putc(struct sbuf *b, char c);
int sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hand the storage (malloc'd, NUL-terminated, never NULL) to the caller,
 * with its length in *len; the buffer is left empty. */
char *sbuf_steal(struct sbuf *b, size_t *len);

#endif
