/* Unit tests for mon/history: the three tiers (every second, minutes,
 * quarter hours), gaps, downsampling to a number of points, bounds on
 * memory over 40 days of ticks, and the JSON read back with jansson. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>

#include "mon/history.h"

static double value;

static double read_value(const void *ctx, uintptr_t key)
{
	(void)ctx;
	(void)key;
	return value;
}

static char buf[1 << 20];

static json_t *series(struct hist *h, const char *name, double since, int max)
{
	struct json_out j;
	json_t *o;

	json_init(&j, buf, sizeof(buf));
	json_obj_begin(&j, NULL);
	assert_int_equal(hist_series_json(h, name, since, max, &j), 0);
	json_obj_end(&j);
	assert_non_null(json_result(&j));
	o = json_loads(buf, 0, NULL);
	assert_non_null(o);
	return o;
}

static double at(json_t *o, const char *arr, size_t i)
{
	json_t *v = json_array_get(json_object_get(o, arr), i);

	assert_non_null(v);
	return json_is_null(v) ? NAN : json_number_value(v);
}

static size_t count(json_t *o, const char *arr)
{
	return json_array_size(json_object_get(o, arr));
}

#define T0 1796390000	/* a whole minute and quarter hour: 1796390000 % 900 == 800 */

static void test_seconds_and_gaps(void **state)
{
	struct hist *h = hist_create();
	json_t *o;
	int i;

	(void)state;
	assert_int_equal(hist_track(h, "offset", read_value, NULL, 0), 0);
	for (i = 0; i < 10; i++) {
		value = i * 1e-6;
		hist_tick(h, (gt_ns)(T0 + i) * GT_NS_PER_S);
	}
	/* Three seconds missed, and one sample the reader could not give. */
	value = NAN;
	hist_tick(h, (gt_ns)(T0 + 13) * GT_NS_PER_S);
	value = 5e-6;
	hist_tick(h, (gt_ns)(T0 + 14) * GT_NS_PER_S);
	o = series(h, "offset", T0, 1000);
	assert_int_equal(json_integer_value(json_object_get(o, "step")), 1);
	assert_int_equal((int64_t)json_number_value(json_object_get(o, "t0")), T0);
	assert_int_equal(count(o, "mean"), 15);
	for (i = 0; i < 10; i++)
		assert_true(fabs(at(o, "mean", (size_t)i) - i * 1e-6) < 1e-12);
	for (i = 10; i < 14; i++)
		assert_true(isnan(at(o, "mean", (size_t)i)));
	assert_true(fabs(at(o, "max", 14) - 5e-6) < 1e-12);
	json_decref(o);
	/* Asked from an hour before it began: the seconds are all there is
	 * (no minute has closed yet), not an empty coarse tier. */
	o = series(h, "offset", T0 - 3600, 1000);
	assert_int_equal(json_integer_value(json_object_get(o, "step")), 1);
	assert_int_equal(count(o, "mean"), 15);
	json_decref(o);
	/* Downsampled: 15 points into 5 of three, each the mean of its own
	 * and min/max across them. */
	o = series(h, "offset", T0, 5);
	assert_int_equal(json_integer_value(json_object_get(o, "step")), 3);
	assert_int_equal(count(o, "mean"), 5);
	assert_true(fabs(at(o, "mean", 0) - 1e-6) < 1e-12);
	assert_true(fabs(at(o, "min", 1) - 3e-6) < 1e-12);
	assert_true(fabs(at(o, "max", 1) - 5e-6) < 1e-12);
	assert_true(fabs(at(o, "mean", 4) - 5e-6) < 1e-12);	/* the gaps left out */
	json_decref(o);
	hist_destroy(h);
}

static void test_minutes_after_an_hour(void **state)
{
	struct hist *h = hist_create();
	json_t *o;
	int i;

	(void)state;
	assert_int_equal(hist_track(h, "freq", read_value, NULL, 0), 0);
	/* Two hours: the seconds tier covers the last one only, so a request
	 * from the start is answered in minutes. */
	for (i = 0; i < 7200; i++) {
		value = i % 60;		/* each minute: 0..59 */
		hist_tick(h, (gt_ns)(T0 + i) * GT_NS_PER_S);
	}
	o = series(h, "freq", T0, 100000);
	assert_int_equal(json_integer_value(json_object_get(o, "step")), 60);
	/* T0 is 20 s into its minute: the first minute holds 40 samples. */
	assert_true(count(o, "mean") >= 119 && count(o, "mean") <= 120);
	assert_true(fabs(at(o, "mean", 1) - 29.5) < 1e-6);
	assert_true(at(o, "min", 1) == 0 && at(o, "max", 1) == 59);
	json_decref(o);
	/* The last ten minutes come from the seconds tier. */
	o = series(h, "freq", T0 + 7200 - 600, 100000);
	assert_int_equal(json_integer_value(json_object_get(o, "step")), 1);
	assert_int_equal(count(o, "mean"), 600);
	json_decref(o);
	hist_destroy(h);

	/* Not yet an hour: the seconds, though a minute closed already (and
	 * seems to begin before the data, at the start of its minute). */
	h = hist_create();
	assert_int_equal(hist_track(h, "freq", read_value, NULL, 0), 0);
	for (i = 0; i < 100; i++)
		hist_tick(h, (gt_ns)(T0 + i) * GT_NS_PER_S);
	o = series(h, "freq", T0 - 3600, 100000);
	assert_int_equal(json_integer_value(json_object_get(o, "step")), 1);
	assert_int_equal(count(o, "mean"), 100);
	json_decref(o);
	/* Asked from 11 s before the start: the closed minute's bucket began
	 * 20 s before the start, yet it holds less than the seconds do. */
	o = series(h, "freq", T0 - 11, 100000);
	assert_int_equal(json_integer_value(json_object_get(o, "step")), 1);
	assert_int_equal(count(o, "mean"), 100);
	json_decref(o);
	hist_destroy(h);
}

static void test_bounded_over_40_days(void **state)
{
	struct hist *h = hist_create();
	json_t *o;
	int64_t i;

	(void)state;
	assert_int_equal(hist_track(h, "x", read_value, NULL, 0), 0);
	value = 1;
	for (i = 0; i < 40 * 86400; i++)
		hist_tick(h, (gt_ns)(T0 + i) * GT_NS_PER_S);
	o = series(h, "x", 0, 1000000);
	assert_int_equal(json_integer_value(json_object_get(o, "step")), 900);
	assert_int_equal(count(o, "mean"), hist_tiers[2].len);
	assert_true(at(o, "mean", 0) == 1);
	json_decref(o);
	hist_destroy(h);
}

static void test_names(void **state)
{
	struct hist *h = hist_create();
	struct json_out j;
	char name[16];
	int i;

	(void)state;
	assert_int_equal(hist_track(h, "a", read_value, NULL, 0), 0);
	assert_int_equal(hist_track(h, "a", read_value, NULL, 0), -EEXIST);
	assert_int_equal(hist_track(h, "", read_value, NULL, 0), -EINVAL);
	for (i = 1; i < HIST_MAX_SERIES; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		assert_int_equal(hist_track(h, name, read_value, NULL, 0), 0);
	}
	assert_int_equal(hist_track(h, "one-too-many", read_value, NULL, 0), -ENOSPC);
	hist_untrack(h, "s5");
	assert_int_equal(hist_track(h, "one-too-many", read_value, NULL, 0), 0);
	json_init(&j, buf, sizeof(buf));
	json_obj_begin(&j, NULL);
	assert_int_equal(hist_series_json(h, "s5", 0, 10, &j), -ENOENT);
	/* A series with no sample yet is empty, not an error. */
	assert_int_equal(hist_series_json(h, "a", 0, 10, &j), 0);
	hist_destroy(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seconds_and_gaps),
		cmocka_unit_test(test_minutes_after_an_hour),
		cmocka_unit_test(test_bounded_over_40_days),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests_name("history", tests, NULL, NULL);
}
