/* Unit tests for statlog (src/lib/statlog.c): header, line format,
 * reopen after rotation, and errors that are counted, never fatal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/statlog.h"

static char *slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_lines_and_reopen(void **state)
{
	char dir[] = "/tmp/gn-statlog-XXXXXX", path[128], old[140];
	struct statlog *l;
	int err = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	l = statlog_open(dir, "tracking", "time a b", &err);
	assert_non_null(l);
	/* 2026-11-21 06:28:16.123456789 UTC */
	statlog_write(l, 1795242496123456789LL, "%d %s", 42, "x");
	statlog_write(l, -1500000000LL, "before-epoch");
	assert_int_equal(statlog_lines(l), 2);
	snprintf(path, sizeof(path), "%s/tracking.log", dir);
	assert_string_equal(slurp(path), "# time a b\n"
			    "2026-11-21 06:28:16.123456 42 x\n"
			    "1969-12-31 23:59:58.500000 before-epoch\n");
	/* logrotate moves the file away; reopen starts a new one with a header. */
	snprintf(old, sizeof(old), "%s.1", path);
	assert_int_equal(rename(path, old), 0);
	assert_int_equal(statlog_reopen(l), 0);
	statlog_write(l, 0, "after");
	assert_string_equal(slurp(path), "# time a b\n1970-01-01 00:00:00.000000 after\n");
	assert_int_equal(statlog_failures(l), 0);
	statlog_close(l);
	unlink(path);
	unlink(old);
	rmdir(dir);
}

static void test_open_errors(void **state)
{
	char longdir[600];
	int err = 0;

	(void)state;
	assert_null(statlog_open("/nonexistent/dir", "m", "h", &err));
	assert_int_equal(err, -ENOENT);
	memset(longdir, 'a', sizeof(longdir) - 1);
	longdir[sizeof(longdir) - 1] = '\0';
	assert_null(statlog_open(longdir, "m", "h", &err));
	assert_int_equal(err, -ENAMETOOLONG);
	statlog_close(NULL);
}

/* A full disk must be counted, not fatal and not silent: /dev/full fails
 * every write with ENOSPC. */
static void test_full_disk_counted(void **state)
{
	char dir[] = "/tmp/gn-statlog-XXXXXX", link[128];
	struct statlog *l;
	int err = 0, i;

	(void)state;
	if (access("/dev/full", W_OK))
		skip();
	/* DIR/full.log -> /dev/full: every write fails as on a full disk. */
	assert_non_null(mkdtemp(dir));
	snprintf(link, sizeof(link), "%s/full.log", dir);
	assert_int_equal(symlink("/dev/full", link), 0);
	l = statlog_open(dir, "full", "h", &err);
	assert_non_null(l);
	for (i = 0; i < 3; i++)
		statlog_write(l, 0, "line %d", i);
	assert_int_equal(statlog_lines(l), 0);
	assert_int_equal(statlog_failures(l), 3);
	statlog_close(l);
	unlink(link);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_and_reopen),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_full_disk_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
