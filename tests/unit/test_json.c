/* Unit tests for mon/json, the streaming JSON writer. Output is compared
 * byte for byte where the format is fixed, and parsed back with jansson (an
 * independent parser) where the value is what matters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <string.h>

#include "mon/json.h"

static json_t *parse_back(const char *text)
{
	json_error_t err;
	json_t *v;

	assert_non_null(text);
	v = json_loads(text, JSON_DECODE_ANY, &err);
	if (!v)
		fail_msg("invalid JSON '%s': %s at %d", text, err.text, err.position);
	return v;
}

static void test_empty_object(void **state)
{
	char buf[16];
	struct json_out j;

	(void)state;
	json_init(&j, buf, sizeof(buf));
	json_obj_begin(&j, NULL);
	json_obj_end(&j);
	assert_string_equal(json_result(&j), "{}");
}

static void test_structure_and_commas(void **state)
{
	char buf[256];
	struct json_out j;

	(void)state;
	json_init(&j, buf, sizeof(buf));
	json_obj_begin(&j, NULL);
	json_u64(&j, "a", 1);
	json_i64(&j, "b", -2);
	json_bool(&j, "c", true);
	json_bool(&j, "f", false);
	json_str(&j, "d", "x");
	json_obj_begin(&j, "o");
	json_arr_begin(&j, "p");
	json_u64(&j, NULL, 1);
	json_u64(&j, NULL, 2);
	json_obj_begin(&j, NULL);
	json_obj_end(&j);
	json_arr_begin(&j, NULL);
	json_arr_end(&j);
	json_arr_end(&j);
	json_obj_end(&j);
	json_arr_begin(&j, "e");
	json_arr_end(&j);
	json_double(&j, "g", 0.5);
	json_obj_end(&j);
	assert_string_equal(json_result(&j),
			    "{\"a\":1,\"b\":-2,\"c\":true,\"f\":false,\"d\":\"x\","
			    "\"o\":{\"p\":[1,2,{},[]]},\"e\":[],\"g\":0.5}");
	json_decref(parse_back(json_result(&j)));
}

static void test_integer_extremes(void **state)
{
	char buf[256];
	struct json_out j;
	json_t *v;

	(void)state;
	json_init(&j, buf, sizeof(buf));
	json_obj_begin(&j, NULL);
	json_u64(&j, "umax", UINT64_MAX);
	json_i64(&j, "imin", INT64_MIN);
	json_i64(&j, "imax", INT64_MAX);
	json_u64(&j, "zero", 0);
	json_obj_end(&j);
	assert_string_equal(json_result(&j),
			    "{\"umax\":18446744073709551615,\"imin\":-9223372036854775808,"
			    "\"imax\":9223372036854775807,\"zero\":0}");
	/* jansson holds integers as long long: parse back the signed ones. */
	json_init(&j, buf, sizeof(buf));
	json_obj_begin(&j, NULL);
	json_i64(&j, "imin", INT64_MIN);
	json_i64(&j, "imax", INT64_MAX);
	json_obj_end(&j);
	v = parse_back(json_result(&j));
	assert_true(json_integer_value(json_object_get(v, "imin")) == INT64_MIN);
	assert_true(json_integer_value(json_object_get(v, "imax")) == INT64_MAX);
	json_decref(v);
}

/* Strings come back unchanged through a real parser: quotes, backslashes,
 * every control character. */
static void test_string_escaping(void **state)
{
	char in[40], buf[512];
	struct json_out j;
	json_t *v;
	int i;

	(void)state;
	for (i = 1; i < 32; i++)
		in[i - 1] = (char)i;
	strcpy(in + 31, "\"\\/x\x7f");
	json_init(&j, buf, sizeof(buf));
	json_obj_begin(&j, NULL);
	json_str(&j, "s", in);
	json_str(&j, "k\"ey\\", "v");
	json_str(&j, "empty", "");
	json_obj_end(&j);
	v = parse_back(json_result(&j));
	assert_string_equal(json_string_value(json_object_get(v, "s")), in);
	assert_string_equal(json_string_value(json_object_get(v, "k\"ey\\")), "v");
	assert_string_equal(json_string_value(json_object_get(v, "empty")), "");
	json_decref(v);
	/* Fixed spellings of the common escapes. */
	json_init(&j, buf, sizeof(buf));
	json_str(&j, NULL, "a\"b\\c\nd");
	assert_string_equal(json_result(&j), "\"a\\\"b\\\\c\\u000ad\"");
}

/* UTF-8 text (a path, a host name from a config file) must come back as
 * the same text. A \u escape names a Unicode code point, not a byte. */
static void test_string_utf8(void **state)
{
	static const char *const texts[] = {
		"caf\xc3\xa9", "/srv/\xe6\x97\xb6\xe9\x97\xb4", "\xf0\x9f\x95\x90 clock",
	};
	char buf[256];
	struct json_out j;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		json_t *v;
		bool same;

		json_init(&j, buf, sizeof(buf));
		json_obj_begin(&j, NULL);
		json_str(&j, "s", texts[i]);
		json_obj_end(&j);
		v = parse_back(json_result(&j));
		same = !strcmp(json_string_value(json_object_get(v, "s")), texts[i]);
		json_decref(v);
		if (!same)
			fail_msg("'%s' written as %s", texts[i], json_result(&j));
	}
}

/* Bytes that are not UTF-8 (stray continuation bytes, overlong forms,
 * surrogates, truncated sequences) become U+FFFD, one per byte, so the
 * output is always valid JSON text. */
static void test_string_invalid_utf8(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "a\xff" "b", "a\xef\xbf\xbd" "b" },
		{ "\x80", "\xef\xbf\xbd" },
		{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },			/* overlong '/' */
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },	/* surrogate */
		{ "\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "x\xe6\x97", "x\xef\xbf\xbd\xef\xbf\xbd" },			/* truncated */
		{ "\xff\xf0\x9f\x95\x90", "\xef\xbf\xbd\xf0\x9f\x95\x90" },
	};
	char buf[128];
	struct json_out j;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *v;
		bool same;

		json_init(&j, buf, sizeof(buf));
		json_str(&j, NULL, cases[i].in);
		v = parse_back(json_result(&j));	/* jansson rejects invalid UTF-8 */
		same = !strcmp(json_string_value(v), cases[i].out);
		json_decref(v);
		if (!same)
			fail_msg("case %zu written as %s", i, json_result(&j));
	}
}

static void test_double_values(void **state)
{
	char buf[256];
	struct json_out j;

	(void)state;
	json_init(&j, buf, sizeof(buf));
	json_arr_begin(&j, NULL);
	json_double(&j, NULL, NAN);
	json_double(&j, NULL, INFINITY);
	json_double(&j, NULL, -INFINITY);
	json_double(&j, NULL, 0.0);
	json_double(&j, NULL, -1.25);
	json_arr_end(&j);
	assert_string_equal(json_result(&j), "[null,null,null,0,-1.25]");
}

/* A double written and parsed back is the same double. Counters are
 * published as doubles (gnomond's metrics): 4294967297 requests must not
 * come back as 4294967300, nor an offset of 1.000000001 s as 1 s. */
static void test_double_round_trip(void **state)
{
	static const double values[] = {
		4294967297.0, 1234567890123.0, 9007199254740991.0, 1.000000001,
		-0.000123456789012, 1700000000.123456789, 3.5e-9, 0.1,
	};
	char buf[128];
	struct json_out j;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		json_t *v;
		double back;

		json_init(&j, buf, sizeof(buf));
		json_double(&j, NULL, values[i]);
		v = parse_back(json_result(&j));
		back = json_number_value(v);
		json_decref(v);
		if (back != values[i])
			fail_msg("%.17g written as %s", values[i], json_result(&j));
	}
}

/* Output that does not fit is reported, never truncated, and never
 * written past cap. */
static void test_overflow(void **state)
{
	char big[256], buf[64];
	struct json_out j;
	size_t need, cap;

	(void)state;
	json_init(&j, big, sizeof(big));
	json_obj_begin(&j, NULL);
	json_str(&j, "name", "value");
	json_u64(&j, "n", 1234567);
	json_obj_end(&j);
	assert_non_null(json_result(&j));
	need = strlen(json_result(&j)) + 1;
	for (cap = 0; cap <= need; cap++) {
		memset(buf, 0x7e, sizeof(buf));
		json_init(&j, buf, cap);
		json_obj_begin(&j, NULL);
		json_str(&j, "name", "value");
		json_u64(&j, "n", 1234567);
		json_obj_end(&j);
		if (cap < need) {
			assert_null(json_result(&j));
			assert_true(j.overflow);
		} else {
			assert_non_null(json_result(&j));
			assert_string_equal(json_result(&j), big);
		}
		for (size_t k = cap; k < sizeof(buf); k++)
			if ((unsigned char)buf[k] != 0x7e)
				fail_msg("cap %zu: byte %zu written", cap, k);
	}
	/* Overflow is sticky even if later writes are small. */
	json_init(&j, buf, 4);
	json_str(&j, NULL, "toolong");
	json_u64(&j, NULL, 1);
	assert_null(json_result(&j));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_object),
		cmocka_unit_test(test_structure_and_commas),
		cmocka_unit_test(test_integer_extremes),
		cmocka_unit_test(test_string_escaping),
		cmocka_unit_test(test_string_utf8),
		cmocka_unit_test(test_string_invalid_utf8),
		cmocka_unit_test(test_double_values),
		cmocka_unit_test(test_double_round_trip),
		cmocka_unit_test(test_overflow),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
