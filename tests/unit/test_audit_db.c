/* Unit tests for the audit store (audit_db) on SQLite files: schema made
 * on first use, devices upserted by name, a run's results read back
 * exactly, prune by age, and errors naming the database. PostgreSQL runs
 * the same code in tests/integration/test_audit_pg.py. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit/audit_db.h"

static char dir[64], path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_audit_db.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/audit.db", dir);
	/* The same tests against a PostgreSQL server and an empty database
	 * (tests/integration/test_audit_pg.py sets this). */
	if (getenv("AUDIT_TEST_DB"))
		snprintf(path, sizeof(path), "%s", getenv("AUDIT_TEST_DB"));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static struct audit_device dev(const char *name, const char *addr, enum audit_method m)
{
	struct audit_device d = { .method = m, .tolerance = 0.1, .enabled = true };

	snprintf(d.name, sizeof(d.name), "%s", name);
	snprintf(d.address, sizeof(d.address), "%s", addr);
	return d;
}

static void test_devices(void **state)
{
	char err[512];
	struct audit_db *db = audit_db_open(path, err, sizeof(err));
	struct audit_device list[3] = {
		dev("zeta", "192.0.2.3", AUDIT_NTP), dev("Alpha", "192.0.2.1", AUDIT_TIME),
		dev("beta", "h.example", AUDIT_HTTP),
	}, *got;
	size_t n;

	(void)state;
	assert_non_null(db);
	list[1].port = 3737;
	list[1].tolerance = 2.5;
	snprintf(list[2].group, sizeof(list[2].group), "web");
	list[2].enabled = false;
	assert_int_equal(audit_db_put_devices(db, list, 3), 0);
	assert_int_equal(audit_db_devices(db, false, &got, &n), 0);
	assert_int_equal(n, 3);
	/* Byte order: capitals first, whatever the engine's collation. */
	assert_string_equal(got[0].name, "Alpha");
	assert_int_equal(got[0].port, 3737);
	assert_int_equal(got[0].method, AUDIT_TIME);
	assert_true(got[0].tolerance == 2.5);
	assert_string_equal(got[1].group, "web");
	assert_false(got[1].enabled);
	assert_true(got[0].id > 0 && got[1].id > 0 && got[0].id != got[1].id);
	free(got);
	assert_int_equal(audit_db_devices(db, true, &got, &n), 0);
	assert_int_equal(n, 2);
	free(got);
	/* An import of a known name updates it in place. */
	list[0].tolerance = 0.02;
	snprintf(list[0].address, sizeof(list[0].address), "198.18.0.1");
	assert_int_equal(audit_db_put_device(db, &list[0]), 0);
	assert_int_equal(audit_db_devices(db, false, &got, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(got[2].address, "198.18.0.1");
	assert_true(got[2].tolerance == 0.02);
	free(got);
	audit_db_close(db);
}

static void test_runs(void **state)
{
	char err[512];
	struct audit_db *db = audit_db_open(path, err, sizeof(err));
	struct audit_device *devs, *rd;
	struct audit_result r[3] = {
		{ .status = AUDIT_OK, .method = AUDIT_NTP, .offset = 0.30000123456789, .delay = 1e-4,
		  .resolution = 5e-5, .stratum = 2, .leap = 0, .samples = 4,
		  .measured = INT64_C(1764868800123456789) },
		{ .status = AUDIT_UNREACHABLE, .method = AUDIT_TIME, .offset = NAN, .delay = NAN,
		  .resolution = 1, .stratum = -1, .leap = -1, .error = "timeout",
		  .measured = INT64_C(1764868801000000000) },
		{ .status = AUDIT_OFF, .method = AUDIT_NTP, .offset = -2.000001, .delay = 3e-4,
		  .resolution = 1.5e-4, .stratum = 11, .leap = 3, .samples = 2,
		  .measured = INT64_C(1764868802000000000) },
	}, *rr;
	struct audit_run run;
	int64_t id1, id2;
	size_t n, i;

	(void)state;
	assert_non_null(db);
	assert_int_equal(audit_db_last_run(db, &run), -ENOENT);
	assert_non_null(strstr(audit_db_error(db), "no finished audit run"));
	assert_int_equal(audit_db_devices(db, false, &devs, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(audit_db_begin_run(db, INT64_C(1000) * 1000000000, &id1), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(audit_db_add_result(db, id1, &devs[i], &r[i]), 0);
	/* Unfinished: not the last run yet. */
	assert_int_equal(audit_db_last_run(db, &run), -ENOENT);
	assert_int_equal(audit_db_finish_run(db, id1, INT64_C(1005) * 1000000000, NULL), 0);
	assert_int_equal(audit_db_last_run(db, &run), 0);
	assert_int_equal(run.id, id1);
	assert_int_equal(run.devices, 3);
	assert_int_equal(run.count[AUDIT_OK], 1);
	assert_int_equal(run.count[AUDIT_OFF], 1);
	assert_int_equal(run.count[AUDIT_UNREACHABLE], 1);
	assert_string_equal(run.error, "");

	assert_int_equal(audit_db_last_results(db, 0, &rd, &rr, &n), 0);
	assert_int_equal(n, 3);
	for (i = 0; i < 3; i++) {
		assert_string_equal(rd[i].name, devs[i].name);
		assert_int_equal(rd[i].id, devs[i].id);
		assert_int_equal(rr[i].status, r[i].status);
		assert_int_equal(rr[i].method, r[i].method);
		/* Exact: 17 significant digits both ways. */
		if (isnan(r[i].offset))
			assert_true(isnan(rr[i].offset) && isnan(rr[i].delay));
		else
			assert_true(rr[i].offset == r[i].offset && rr[i].delay == r[i].delay);
		assert_int_equal(rr[i].stratum, r[i].stratum);
		assert_int_equal(rr[i].leap, r[i].leap);
		assert_int_equal(rr[i].samples, r[i].samples);
		assert_int_equal(rr[i].measured, r[i].measured);
		assert_string_equal(rr[i].error, r[i].error);
	}
	free(rd);
	free(rr);

	/* A batch in one transaction reads back like single results. */
	{
		size_t idx[2] = { 2, 0 };
		int64_t idb;

		assert_int_equal(audit_db_begin_run(db, INT64_C(1200) * 1000000000, &idb), 0);
		assert_int_equal(audit_db_add_results(db, idb, devs, r, idx, 2), 0);
		assert_int_equal(audit_db_finish_run(db, idb, INT64_C(1201) * 1000000000, NULL), 0);
		assert_int_equal(audit_db_last_results(db, idb, &rd, &rr, &n), 0);
		assert_int_equal(n, 2);
		assert_string_equal(rd[0].name, devs[0].name);
		assert_true(rr[1].offset == r[2].offset);
		free(rd);
		free(rr);
	}

	/* A second, later run with an error; prune the first by age. */
	assert_int_equal(audit_db_begin_run(db, INT64_C(2000) * 1000000000, &id2), 0);
	assert_int_equal(audit_db_add_result(db, id2, &devs[0], &r[0]), 0);
	assert_int_equal(audit_db_finish_run(db, id2, INT64_C(2001) * 1000000000, "stopped"), 0);
	assert_int_equal(audit_db_last_run(db, &run), 0);
	assert_int_equal(run.id, id2);
	assert_string_equal(run.error, "stopped");
	assert_int_equal(audit_db_prune(db, INT64_C(1500) * 1000000000), 0);
	assert_int_equal(audit_db_last_results(db, id1, &rd, &rr, &n), 0);
	assert_int_equal(n, 0);
	free(rd);
	free(rr);
	assert_int_equal(audit_db_last_results(db, id2, &rd, &rr, &n), 0);
	assert_int_equal(n, 1);
	free(rd);
	free(rr);
	free(devs);
	audit_db_close(db);
}

static void test_errors(void **state)
{
	char err[512], bad[160];

	(void)state;
	snprintf(bad, sizeof(bad), "%s/no/such/dir/x.db", dir);
	assert_null(audit_db_open(bad, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot open DB "));
	assert_non_null(strstr(err, bad));
	/* A directory is not a database. */
	assert_null(audit_db_open(dir, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot open DB "));
	/* A file that is not SQLite. */
	snprintf(bad, sizeof(bad), "%s/junk.db", dir);
	{
		FILE *f = fopen(bad, "w");

		fputs("this is not a database, just text that is long enough to be read as a "
		      "header by sqlite and rejected\n", f);
		fclose(f);
	}
	assert_null(audit_db_open(bad, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot open DB "));
	assert_non_null(strstr(err, "junk.db"));
	/* PostgreSQL not listening: the URL is named without its password. */
	assert_null(audit_db_open("postgresql://u:secret@127.0.0.1:1/db?connect_timeout=2", err,
				  sizeof(err)));
	assert_non_null(strstr(err, "cannot open DB postgresql://u:***@127.0.0.1:1/db"));
	assert_null(strstr(err, "secret"));
	assert_null(strchr(err, '\n'));
	assert_null(audit_db_open("postgres://127.0.0.1:1/db?password=hunter2&connect_timeout=2",
				  err, sizeof(err)));
	assert_non_null(strstr(err, "cannot open DB postgres://127.0.0.1:1/db?password=***&"
				"connect_timeout=2: "));
	assert_null(strstr(err, "hunter2"));
	assert_null(audit_db_open("", err, sizeof(err)));
	assert_non_null(strstr(err, "cannot open DB: no database given"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_runs),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
