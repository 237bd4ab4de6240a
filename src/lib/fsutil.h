/* fsutil: file-system operations for a daemon that starts as root and then
 * works, as an unprivileged user, in directories that user can write. Root
 * must never follow a link the user could have planted there (CWE-59): the
 * last component is opened with O_NOFOLLOW and ownership is changed on
 * descriptors (fchown), never on paths. */
#ifndef GNOMON_FSUTIL_H
#define GNOMON_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* "Nobody": pass as uid to skip the ownership change or the owner check. */
#define FS_NO_UID ((uid_t)-1)

/* Check that path is a real directory (lstat: a symlink is refused), owned
 * by root or by uid, and not writable by group or others (chrony's
 * UTI_CheckDirPermissions, stricter: any other owner is refused too).
 * 0, or -errno with a one-line reason in why (at least 96 bytes):
 * -ELOOP symlink, -ENOTDIR not a directory, -EPERM foreign owner,
 * -EACCES group/other-writable, or lstat's own error. */
int fs_check_dir(const char *path, uid_t uid, char *why, size_t why_len);

/* The directory part of path ("." when it has none, "/" for "/x") into
 * dir of size len; 0 or -ENAMETOOLONG. */
int fs_dirname(const char *path, char *dir, size_t len);

/* open(2) with O_NOFOLLOW | O_CLOEXEC added: a symlink as the last
 * component fails with -ELOOP. Opened non-blocking (so a planted FIFO
 * cannot hang root), then set blocking again. Only regular files and
 * character devices (/dev/null, /dev/full) are accepted (-EINVAL
 * otherwise). When uid is not FS_NO_UID and we are root, the file is
 * handed to uid:gid with fchown. Returns the descriptor or -errno. */
int fs_open_nofollow(const char *path, int flags, mode_t mode, uid_t uid, gid_t gid);

/* mkdir(path, mode); when created and uid is not FS_NO_UID, hand it to
 * uid:gid through a descriptor (fchown, then fchmod to mode: the umask
 * does not decide). 1 created, 0 it existed, -errno. */
int fs_mkdir_owned(const char *path, mode_t mode, uid_t uid, gid_t gid);

/* Change the owner of the directory entry path (a socket, say) without
 * following a symlink in its last component: the parent is opened with
 * O_DIRECTORY and the entry changed with fchownat(AT_SYMLINK_NOFOLLOW).
 * 0 or -errno. */
int fs_chown_entry(const char *path, uid_t uid, gid_t gid);

/* The same for an already open descriptor of a directory or file. */
int fs_give_fd(int fd, uid_t uid, gid_t gid);

#endif
