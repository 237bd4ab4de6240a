/* Unit tests for fsutil (src/lib/fsutil.c): what root must refuse in a
 * directory its unprivileged user can write. Real files in a temporary
 * directory; the ownership checks use our own uid, so they hold whether
 * the tests run as root or not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/fsutil.h"

static char base[] = "/tmp/gn-fsutil-XXXXXX";

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(base))
		return -1;
	return chmod(base, 0700);
}

static int teardown(void **state)
{
	char cmd[64];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	return system(cmd) == 0 ? 0 : -1;
}

static void path_of(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", base, name);
}

static void test_check_dir(void **state)
{
	char d[128], l[128], f[128], why[128];

	(void)state;
	path_of(d, sizeof(d), "dir");
	path_of(l, sizeof(l), "link");
	path_of(f, sizeof(f), "file");
	assert_int_equal(mkdir(d, 0750), 0);
	assert_int_equal(fs_check_dir(d, getuid(), why, sizeof(why)), 0);
	assert_string_equal(why, "");
	/* A link to a good directory is still refused. */
	assert_int_equal(symlink(d, l), 0);
	assert_int_equal(fs_check_dir(l, getuid(), why, sizeof(why)), -ELOOP);
	assert_non_null(strstr(why, "symbolic link"));
	assert_int_equal(close(open(f, O_CREAT | O_WRONLY, 0600)), 0);
	assert_int_equal(fs_check_dir(f, getuid(), why, sizeof(why)), -ENOTDIR);
	/* Group- or world-writable, with or without the sticky bit. */
	assert_int_equal(chmod(d, 0770), 0);
	assert_int_equal(fs_check_dir(d, getuid(), why, sizeof(why)), -EACCES);
	assert_non_null(strstr(why, "0770"));
	assert_int_equal(chmod(d, 01777), 0);
	assert_int_equal(fs_check_dir(d, getuid(), why, sizeof(why)), -EACCES);
	assert_int_equal(chmod(d, 0700), 0);
	path_of(f, sizeof(f), "missing");
	assert_int_equal(fs_check_dir(f, getuid(), why, sizeof(why)), -ENOENT);
}

static void test_check_dir_owner(void **state)
{
	char d[128], why[128];

	(void)state;
	if (geteuid() != 0)
		skip();
	path_of(d, sizeof(d), "owned");
	assert_int_equal(mkdir(d, 0750), 0);
	assert_int_equal(chown(d, 4242, 4242), 0);
	assert_int_equal(fs_check_dir(d, 4242, why, sizeof(why)), 0);
	assert_int_equal(fs_check_dir(d, 4243, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "4242"));
	assert_int_equal(fs_check_dir(d, FS_NO_UID, why, sizeof(why)), -EPERM);
}

static void test_dirname(void **state)
{
	char d[16];

	(void)state;
	assert_int_equal(fs_dirname("/run/gnomond/x.sock", d, sizeof(d)), 0);
	assert_string_equal(d, "/run/gnomond");
	assert_int_equal(fs_dirname("/x", d, sizeof(d)), 0);
	assert_string_equal(d, "/");
	assert_int_equal(fs_dirname("x", d, sizeof(d)), 0);
	assert_string_equal(d, ".");
	assert_int_equal(fs_dirname("/a/very/long/directory/x", d, sizeof(d)), -ENAMETOOLONG);
}

static void test_open_nofollow(void **state)
{
	char target[128], l[128], f[128], fifo[128];
	struct stat st;
	int fd;

	(void)state;
	path_of(target, sizeof(target), "secret");
	path_of(l, sizeof(l), "journal");
	path_of(f, sizeof(f), "log");
	path_of(fifo, sizeof(fifo), "fifo");
	assert_int_equal(close(open(target, O_CREAT | O_WRONLY, 0600)), 0);
	/* The planted link: root would append to (and chown) its target. */
	assert_int_equal(symlink(target, l), 0);
	assert_int_equal(fs_open_nofollow(l, O_WRONLY | O_APPEND | O_CREAT, 0640, getuid(),
					  getgid()), -ELOOP);
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 0);
	/* A plain file is created, blocking, close-on-exec, and ours. */
	fd = fs_open_nofollow(f, O_WRONLY | O_APPEND | O_CREAT, 0640, getuid(), getgid());
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_uid, getuid());
	assert_int_equal(st.st_mode & 0777 & ~0640u, 0);
	close(fd);
	/* A FIFO would block root in open(); it is refused instead. */
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(fs_open_nofollow(fifo, O_RDONLY, 0, FS_NO_UID, 0), -EINVAL);
	/* Devices are fine and are not chowned. */
	fd = fs_open_nofollow("/dev/null", O_WRONLY, 0, getuid(), getgid());
	assert_true(fd >= 0);
	close(fd);
}

static void test_open_nofollow_hands_over(void **state)
{
	char f[128];
	struct stat st;
	int fd;

	(void)state;
	if (geteuid() != 0)
		skip();
	path_of(f, sizeof(f), "handed");
	fd = fs_open_nofollow(f, O_WRONLY | O_CREAT, 0640, 4242, 4343);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_uid, 4242);
	assert_int_equal(st.st_gid, 4343);
	close(fd);
}

static void test_mkdir_owned(void **state)
{
	char d[128];
	struct stat st;
	mode_t old = umask(077);

	(void)state;
	path_of(d, sizeof(d), "made");
	assert_int_equal(fs_mkdir_owned(d, 0750, getuid(), getgid()), 1);
	umask(old);
	/* The mode is what was asked, whatever the umask. */
	assert_int_equal(lstat(d, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	assert_int_equal(st.st_uid, getuid());
	assert_int_equal(fs_mkdir_owned(d, 0750, getuid(), getgid()), 0);
	path_of(d, sizeof(d), "no/such/parent");
	assert_int_equal(fs_mkdir_owned(d, 0750, getuid(), getgid()), -ENOENT);
}

static void test_chown_entry_keeps_target(void **state)
{
	char target[128], l[128];
	struct stat st;

	(void)state;
	if (geteuid() != 0)
		skip();
	path_of(target, sizeof(target), "precious");
	path_of(l, sizeof(l), "ctl.sock");
	assert_int_equal(close(open(target, O_CREAT | O_WRONLY, 0600)), 0);
	assert_int_equal(symlink(target, l), 0);
	/* The link itself changes hands; its target stays root's. */
	assert_int_equal(fs_chown_entry(l, 4242, 4242), 0);
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(lstat(l, &st), 0);
	assert_int_equal(st.st_uid, 4242);
	assert_int_equal(fs_chown_entry("", 0, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_dir),
		cmocka_unit_test(test_check_dir_owner),
		cmocka_unit_test(test_dirname),
		cmocka_unit_test(test_open_nofollow),
		cmocka_unit_test(test_open_nofollow_hands_over),
		cmocka_unit_test(test_mkdir_owned),
		cmocka_unit_test(test_chown_entry_keeps_target),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
