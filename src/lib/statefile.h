/* statefile: small state files that must survive a crash (the gateway's
 * replay state, the sender's sequence reservation).
 *
 * A file is replaced atomically: written to NAME.tmp, fsync'd, renamed over
 * NAME and the directory fsync'd, so that after a crash at any point the
 * file is either the old one or the new one, never a mix (POSIX rename(2);
 * the directory fsync makes the rename itself durable). Every open is
 * relative to the directory's descriptor and refuses symbolic links
 * (O_NOFOLLOW), so a daemon user who can write the directory cannot make
 * root read or write through a link. */
#ifndef GNOMON_STATEFILE_H
#define GNOMON_STATEFILE_H

#include <stddef.h>

/* Read DIR/NAME into buf[0..cap) and NUL-terminate it; *len gets the
 * length. 0, -ENOENT when missing, -EFBIG when cap - 1 bytes do not hold
 * it, -ELOOP for a symbolic link, -EINVAL when not a regular file, or
 * another -errno. */
int statefile_read(const char *dir, const char *name, char *buf, size_t cap, size_t *len);

/* Replace DIR/NAME by buf[0..len) atomically and durably (mode 0640).
 * 0 or -errno; on failure the old file is intact. */
int statefile_write(const char *dir, const char *name, const char *buf, size_t len);

/* Move a file that could not be parsed aside to NAME.corrupt (replacing an
 * older one) for the operator to look at. 0 or -errno. */
int statefile_set_aside(const char *dir, const char *name);

#endif
