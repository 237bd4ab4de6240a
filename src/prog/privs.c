#include "prog/privs.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

int privs_lookup(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd *pw = getpwnam(user);

	if (!pw)
		return -ENOENT;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

bool privs_have_sys_time(void)
{
	cap_flag_value_t v = CAP_CLEAR;
	cap_t caps = cap_get_proc();

	if (!caps)
		return false;
	if (cap_get_flag(caps, CAP_SYS_TIME, CAP_PERMITTED, &v) < 0)
		v = CAP_CLEAR;
	cap_free(caps);
	return v == CAP_SET;
}

/* Permitted and effective sets: CAP_SYS_TIME when keep_sys_time, else
 * nothing; the inheritable set, and so the ambient one, emptied. */
static int set_caps(bool keep_sys_time)
{
	cap_value_t keep[] = { CAP_SYS_TIME };
	cap_t caps = cap_init();
	int rc = 0;

	if (!caps)
		return -ENOMEM;
	if (keep_sys_time &&
	    (cap_set_flag(caps, CAP_PERMITTED, 1, keep, CAP_SET) < 0 ||
	     cap_set_flag(caps, CAP_EFFECTIVE, 1, keep, CAP_SET) < 0))
		rc = -errno;
	if (!rc && cap_set_proc(caps) < 0)
		rc = -errno;
	cap_free(caps);
	if (!rc && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		rc = -errno;
	return rc;
}

int privs_drop(uid_t uid, gid_t gid, bool keep_sys_time)
{
	/* Keep the permitted set across setuid so CAP_SYS_TIME can be
	 * re-raised; everything else is cleared by set_caps. */
	if (keep_sys_time && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return -errno;
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return -errno;
	return set_caps(keep_sys_time);
}

int privs_trim(bool keep_sys_time)
{
	return set_caps(keep_sys_time);
}
