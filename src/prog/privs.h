/* privs: drop root after the sockets are open, keeping only the
 * capabilities the configured services need. */
#ifndef GNOMON_PRIVS_H
#define GNOMON_PRIVS_H

#include <stdbool.h>
#include <sys/types.h>

/* Look up user; 0 or -ENOENT. */
int privs_lookup(const char *user, uid_t *uid, gid_t *gid);
/* Whether CAP_SYS_TIME is in our permitted set (a parent that removed it
 * from the bounding set, as the test suite does, takes it away for good). */
bool privs_have_sys_time(void);
/* Switch to uid/gid, keeping CAP_SYS_TIME when keep_sys_time. Sets
 * no_new_privs. Must be called before any thread is started. 0 or -errno. */
int privs_drop(uid_t uid, gid_t gid, bool keep_sys_time);
/* Started by an unprivileged user with capabilities of its own (systemd's
 * AmbientCapabilities=): give up every one but CAP_SYS_TIME (kept when
 * keep_sys_time: the caller asks privs_have_sys_time() first), ambient
 * ones included, and set no_new_privs. 0 or -errno. */
int privs_trim(bool keep_sys_time);

#endif
