#include "lib/statefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int open_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int statefile_read(const char *dir, const char *name, char *buf, size_t cap, size_t *len)
{
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int dfd, fd, rc = 0;

	*len = 0;
	if (cap == 0)
		return -EFBIG;
	dfd = open_dir(dir);
	if (dfd < 0)
		return dfd;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		goto out_dir;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		goto out;
	}
	while ((n = read(fd, buf + got, cap - 1 - got)) > 0)
		got += (size_t)n;
	if (n < 0) {
		rc = -errno;
		goto out;
	}
	if (got == cap - 1) {
		char c;

		if (read(fd, &c, 1) == 1) {
			rc = -EFBIG;
			goto out;
		}
	}
	buf[got] = '\0';
	*len = got;
out:
	close(fd);
out_dir:
	close(dfd);
	return rc;
}

int statefile_write(const char *dir, const char *name, const char *buf, size_t len)
{
	char tmp[256];
	size_t done = 0;
	ssize_t n;
	int dfd, fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", name) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	dfd = open_dir(dir);
	if (dfd < 0)
		return dfd;
	/* A stale NAME.tmp (a crash during an earlier write, or something
	 * planted) is removed, not followed. */
	if (unlinkat(dfd, tmp, 0) < 0 && errno != ENOENT) {
		rc = -errno;
		goto out_dir;
	}
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0) {
		rc = -errno;
		goto out_dir;
	}
	while (done < len) {
		n = write(fd, buf + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		done += (size_t)n;
	}
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc && renameat(dfd, tmp, dfd, name) < 0)
		rc = -errno;
	if (rc) {
		unlinkat(dfd, tmp, 0);
		goto out_dir;
	}
	/* The rename is durable only once the directory is. */
	if (fsync(dfd) < 0)
		rc = -errno;
out_dir:
	close(dfd);
	return rc;
}

int statefile_set_aside(const char *dir, const char *name)
{
	char bad[256];
	int dfd, rc = 0;

	if (snprintf(bad, sizeof(bad), "%s.corrupt", name) >= (int)sizeof(bad))
		return -ENAMETOOLONG;
	dfd = open_dir(dir);
	if (dfd < 0)
		return dfd;
	if (renameat(dfd, name, dfd, bad) < 0)
		rc = -errno;
	close(dfd);
	return rc;
}
