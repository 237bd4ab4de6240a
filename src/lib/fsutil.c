#include "lib/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"

int fs_check_dir(const char *path, uid_t uid, char *why, size_t why_len)
{
	struct stat st;

	/* lstat, not stat: a directory replaced by a link to /etc must not
	 * pass because /etc looks fine. */
	if (lstat(path, &st) < 0) {
		int rc = -errno;

		snprintf(why, why_len, "%s", strerror(errno));
		return rc;
	}
	if (S_ISLNK(st.st_mode)) {
		snprintf(why, why_len, "is a symbolic link (refused)");
		return -ELOOP;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, why_len, "is not a directory");
		return -ENOTDIR;
	}
	if (st.st_uid != 0 && (uid == FS_NO_UID || st.st_uid != uid)) {
		snprintf(why, why_len, "is owned by uid %u, neither root nor the daemon's user",
			 (unsigned)st.st_uid);
		return -EPERM;
	}
	/* A directory others can write lets them swap names under us; the
	 * sticky bit does not help here: they can still create the name
	 * before we do. */
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, why_len, "is writable by group or others (mode %04o): chmod go-w",
			 (unsigned)(st.st_mode & 07777));
		return -EACCES;
	}
	if (why_len)
		why[0] = '\0';
	return 0;
}

int fs_dirname(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!slash)
		return snprintf(dir, len, ".") >= (int)len ? -ENAMETOOLONG : 0;
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return 0;
}

int fs_give_fd(int fd, uid_t uid, gid_t gid)
{
	if (uid == FS_NO_UID || geteuid() != 0)
		return 0;
	return fchown(fd, uid, gid) < 0 ? -errno : 0;
}

int fs_open_nofollow(const char *path, int flags, mode_t mode, uid_t uid, gid_t gid)
{
	struct stat st;
	int fd, rc;

	fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, mode);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		goto fail_errno;
	if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) {
		rc = -EINVAL;
		goto fail;
	}
	if (!(flags & O_NONBLOCK)) {
		rc = fd_set_nonblock(fd, false);
		if (rc)
			goto fail;
	}
	/* Devices stay as they are: only a file we write is handed over. */
	if (S_ISREG(st.st_mode)) {
		rc = fs_give_fd(fd, uid, gid);
		if (rc)
			goto fail;
	}
	return fd;
fail_errno:
	rc = -errno;
fail:
	close(fd);
	return rc;
}

int fs_mkdir_owned(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	int fd, rc = 0;

	if (mkdir(path, mode) < 0)
		return errno == EEXIST ? 0 : -errno;
	if (uid == FS_NO_UID)
		return 1;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = fs_give_fd(fd, uid, gid);
	if (!rc && fchmod(fd, mode) < 0)
		rc = -errno;
	close(fd);
	return rc ? rc : 1;
}

int fs_chown_entry(const char *path, uid_t uid, gid_t gid)
{
	char dir[4096];
	const char *name = strrchr(path, '/');
	int fd, rc = 0;

	if (fs_dirname(path, dir, sizeof(dir)))
		return -ENAMETOOLONG;
	name = name ? name + 1 : path;
	if (!*name)
		return -EINVAL;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fchownat(fd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		rc = -errno;
	close(fd);
	return rc;
}
