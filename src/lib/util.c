/* Plain fcntl(), not fcntl64: with _FILE_OFFSET_BITS=64 (meson's default)
 * glibc's <fcntl.h> renames fcntl to fcntl64, which LD_PRELOAD clock and
 * network simulators (clknetsim) do not interpose, so they never see the
 * flags of the sockets they emulate (EBADF from the real kernel). The
 * helpers below pass only int flags, so the 64-bit offset variant buys
 * nothing here; nothing else in this file uses off_t. */
#undef _FILE_OFFSET_BITS

#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *check(void *p, size_t n)
{
	if (!p && n) {
		fprintf(stderr, "gnomon: out of memory (%zu bytes)\n", n);
		abort();
	}
	return p;
}

void *xmalloc(size_t n) { return check(malloc(n), n); }
void *xcalloc(size_t n, size_t size) { return check(calloc(n, size), n * size); }
void *xrealloc(void *p, size_t n) { return check(realloc(p, n), n); }
char *xstrdup(const char *s) { return check(strdup(s), strlen(s) + 1); }

int strlcpy_checked(char *dst, const char *src, size_t n)
{
	size_t len = strlen(src);

	if (len >= n) {
		if (n) {
			memcpy(dst, src, n - 1);
			dst[n - 1] = '\0';
		}
		return -ENAMETOOLONG;
	}
	memcpy(dst, src, len + 1);
	return 0;
}

int hex_digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int fd_set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl) < 0 ? -errno : 0;
}

int fd_nonblock_cloexec(int fd)
{
	int rc = fd_set_nonblock(fd, true);

	if (rc)
		return rc;
	return fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ? -errno : 0;
}
