/* util: allocation wrappers (allocation failure is handled here, once) and
 * small string helpers. */
#ifndef GNOMON_UTIL_H
#define GNOMON_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Abort with a message on allocation failure: a daemon that cannot allocate
 * a few bytes at start-up cannot serve time correctly anyway. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* Copy src to dst of size n, always NUL-terminated; returns 0 or -ENAMETOOLONG. */
int strlcpy_checked(char *dst, const char *src, size_t n);
/* The value of hexadecimal digit c (either case), or -1. */
int hex_digit_value(char c);

/* Set or clear O_NONBLOCK; set both O_NONBLOCK and FD_CLOEXEC (what a
 * socket the daemon watches needs): 0 or -errno. Every fcntl() of the
 * daemon goes through these (see util.c for why). */
int fd_set_nonblock(int fd, bool on);
int fd_nonblock_cloexec(int fd);

#endif
