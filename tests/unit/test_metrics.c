/* Unit tests for lib/metrics: the registry of counters and gauges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/metrics.h"

struct stats {
	uint64_t received;
	uint64_t sent;
	double offset;
};

/* Reads a uint64_t field at offset key of ctx. */
static double read_u64(const void *ctx, uintptr_t key)
{
	return (double)*(const uint64_t *)(const void *)((const char *)ctx + key);
}

static double read_double(const void *ctx, uintptr_t key)
{
	return *(const double *)(const void *)((const char *)ctx + key);
}

static double read_key(const void *ctx, uintptr_t key)
{
	(void)ctx;
	return (double)key * 10;
}

static int setup(void **state)
{
	*state = met_create();
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	met_destroy(*state);
	return 0;
}

static void test_register_and_read(void **state)
{
	struct met_registry *r = *state;
	struct stats st = { 5, 7, -0.25 };
	const struct met_entry *e;

	assert_int_equal(met_count(r), 0);
	assert_int_equal(met_register(r, "gnomon_received_total", "requests received",
				      MET_COUNTER, read_u64, &st, offsetof(struct stats, received)), 0);
	assert_int_equal(met_register(r, "gnomon_sent_total", "replies sent", MET_COUNTER,
				      read_u64, &st, offsetof(struct stats, sent)), 0);
	assert_int_equal(met_register(r, "gnomon_offset_seconds", "offset", MET_GAUGE,
				      read_double, &st, offsetof(struct stats, offset)), 0);
	assert_int_equal(met_count(r), 3);
	e = met_find(r, "gnomon_sent_total");
	assert_non_null(e);
	assert_string_equal(e->name, "gnomon_sent_total");
	assert_string_equal(e->help, "replies sent");
	assert_int_equal(e->kind, MET_COUNTER);
	assert_ptr_equal(e->ctx, &st);
	assert_int_equal(e->key, offsetof(struct stats, sent));
	assert_true(met_value(e) == 7);
	assert_int_equal(met_find(r, "gnomon_offset_seconds")->kind, MET_GAUGE);
	assert_true(met_value(met_find(r, "gnomon_offset_seconds")) == -0.25);
	/* Values are read live, not copied at registration. */
	st.received = 1000;
	st.offset = 1.5;
	assert_true(met_value(met_find(r, "gnomon_received_total")) == 1000);
	assert_true(met_value(met_find(r, "gnomon_offset_seconds")) == 1.5);
	/* Registration order is kept. */
	assert_string_equal(met_get(r, 0)->name, "gnomon_received_total");
	assert_string_equal(met_get(r, 1)->name, "gnomon_sent_total");
	assert_string_equal(met_get(r, 2)->name, "gnomon_offset_seconds");
	assert_null(met_get(r, 3));
	assert_null(met_get(r, (size_t)-1));
	assert_null(met_find(r, "gnomon_nothing"));
	assert_null(met_find(r, "gnomon_sent"));	/* no prefix match */
}

static void test_duplicates_rejected(void **state)
{
	struct met_registry *r = *state;
	struct stats st = { 1, 2, 0 };

	assert_int_equal(met_register(r, "m", "first", MET_COUNTER, read_u64, &st, 0), 0);
	assert_int_equal(met_register(r, "m", "second", MET_GAUGE, read_u64, &st, 8), -EEXIST);
	assert_int_equal(met_count(r), 1);
	assert_string_equal(met_find(r, "m")->help, "first");
	assert_true(met_value(met_find(r, "m")) == 1);
}

static void test_invalid_arguments(void **state)
{
	struct met_registry *r = *state;
	char name[80];

	assert_int_equal(met_register(r, NULL, "h", MET_COUNTER, read_key, NULL, 0), -EINVAL);
	assert_int_equal(met_register(r, "", "h", MET_COUNTER, read_key, NULL, 0), -EINVAL);
	assert_int_equal(met_register(r, "x", "h", MET_COUNTER, NULL, NULL, 0), -EINVAL);
	/* 63 characters fit the 64-byte name, 64 do not. */
	memset(name, 'a', sizeof(name));
	name[63] = '\0';
	assert_int_equal(met_register(r, name, "h", MET_GAUGE, read_key, NULL, 1), 0);
	name[63] = 'a';
	name[64] = '\0';
	assert_int_equal(met_register(r, name, "h", MET_GAUGE, read_key, NULL, 1), -EINVAL);
	assert_int_equal(met_count(r), 1);
	name[63] = '\0';
	assert_non_null(met_find(r, name));
}

static void test_name_is_copied(void **state)
{
	struct met_registry *r = *state;
	char name[32];

	strcpy(name, "gnomon_copied");
	assert_int_equal(met_register(r, name, "h", MET_GAUGE, read_key, NULL, 3), 0);
	strcpy(name, "gnomon_changed");
	assert_non_null(met_find(r, "gnomon_copied"));
	assert_null(met_find(r, "gnomon_changed"));
	assert_true(met_value(met_find(r, "gnomon_copied")) == 30);
}

/* Growing past the initial capacity keeps every entry intact. */
static void test_many(void **state)
{
	struct met_registry *r = *state;
	char name[32];
	size_t i;

	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "gnomon_metric_%zu", i);
		assert_int_equal(met_register(r, name, "h", i % 2 ? MET_GAUGE : MET_COUNTER,
					      read_key, NULL, i), 0);
	}
	assert_int_equal(met_count(r), 300);
	for (i = 0; i < 300; i++) {
		const struct met_entry *e;

		snprintf(name, sizeof(name), "gnomon_metric_%zu", i);
		e = met_find(r, name);
		assert_non_null(e);
		assert_ptr_equal(e, met_get(r, i));
		assert_true(met_value(e) == (double)i * 10);
		assert_int_equal(e->kind, i % 2 ? MET_GAUGE : MET_COUNTER);
	}
}

static void test_destroy_null(void **state)
{
	(void)state;
	met_destroy(NULL);
}

/* ---- labelled families (met_register_labelled, met_register_family) ---- */

struct collect {
	struct met_emit em;
	int n;
	double v[8];
	char lab[8][64];
};

static void collect_sample(struct met_emit *em, double v, const char *const *labels, size_t n)
{
	struct collect *c = (struct collect *)(void *)em;
	size_t i;

	if (c->n == 8)
		return;
	c->v[c->n] = v;
	c->lab[c->n][0] = '\0';
	for (i = 0; i < n; i++)
		snprintf(c->lab[c->n] + strlen(c->lab[c->n]), 64 - strlen(c->lab[c->n]), "%s=%s;",
			 labels[2 * i], labels[2 * i + 1]);
	c->n++;
}

static void emit_two(const void *ctx, struct met_emit *em)
{
	(void)ctx;
	met_emit(em, 1.5, "source", "a", "mode", "client", NULL);
	met_emit(em, 2.5, "source", "b", NULL);
	/* More than MET_MAX_LABELS pairs: dropped. */
	met_emit(em, 9, "a", "1", "b", "1", "c", "1", "d", "1", "e", "1", "f", "1", "g", "1",
		 "h", "1", "i", "1", NULL);
}

static void test_families(void **state)
{
	struct met_registry *r = *state;
	static const char *const ok[] = { "result", "ok", NULL };
	static const char *const ok2[] = { "result", "ok", NULL };
	static const char *const drop[] = { "result", "drop", NULL };
	static const char *const badl[] = { "__x", "1", NULL };
	static const char *const dup[] = { "a", "1", "a", "2", NULL };
	char value[8] = "ok";
	const char *copied[] = { "result", value, NULL };
	struct collect c = { { collect_sample }, 0, { 0 }, { { 0 } } };
	const struct met_family *f;

	assert_int_equal(met_register_labelled(r, "gnomon_req_total", "requests", MET_COUNTER, ok,
					       read_key, NULL, 1), 0);
	assert_int_equal(met_register_labelled(r, "gnomon_req_total", "requests", MET_COUNTER,
					       ok2, read_key, NULL, 1), -EEXIST);
	assert_int_equal(met_register_labelled(r, "gnomon_req_total", "requests", MET_GAUGE, drop,
					       read_key, NULL, 2), -EINVAL);
	assert_int_equal(met_register_labelled(r, "gnomon_req_total", "requests", MET_COUNTER,
					       drop, read_key, NULL, 2), 0);
	assert_int_equal(met_register_labelled(r, "gnomon_x", "x", MET_GAUGE, badl, read_key,
					       NULL, 2), -EINVAL);
	assert_int_equal(met_register_labelled(r, "gnomon_x", "x", MET_GAUGE, dup, read_key,
					       NULL, 2), -EINVAL);
	assert_int_equal(met_register_labelled(r, "bad name", "x", MET_GAUGE, ok, read_key,
					       NULL, 2), -EINVAL);
	/* Values are copied. */
	assert_int_equal(met_register_labelled(r, "gnomon_copy", "c", MET_GAUGE, copied, read_key,
					       NULL, 3), 0);
	strcpy(value, "XX");
	assert_int_equal(met_register_family(r, "gnomon_src", "per source", MET_GAUGE, emit_two,
					     NULL), 0);
	/* Names are shared between plain metrics and families. */
	assert_int_equal(met_register_family(r, "gnomon_src", "again", MET_GAUGE, emit_two, NULL),
			 -EEXIST);
	assert_int_equal(met_register(r, "gnomon_src", "plain", MET_GAUGE, read_key, NULL, 0),
			 -EEXIST);
	assert_int_equal(met_register_labelled(r, "gnomon_src", "x", MET_GAUGE, ok, read_key,
					       NULL, 0), -EEXIST);
	assert_int_equal(met_register(r, "gnomon_plain", "plain", MET_GAUGE, read_key, NULL, 0), 0);
	assert_int_equal(met_register_family(r, "gnomon_plain", "f", MET_GAUGE, emit_two, NULL),
			 -EEXIST);
	assert_int_equal(met_register_labelled(r, "gnomon_plain", "x", MET_GAUGE, ok, read_key,
					       NULL, 0), -EEXIST);
	/* The old interface lists only the plain metric. */
	assert_int_equal(met_count(r), 1);
	assert_int_equal(met_family_count(r), 3);
	f = met_family_get(r, 0);
	assert_string_equal(met_family_name(f), "gnomon_req_total");
	assert_string_equal(met_family_help(f), "requests");
	assert_int_equal(met_family_kind(f), MET_COUNTER);
	met_family_read(f, &c.em);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.lab[0], "result=ok;");
	assert_true(c.v[0] == 10);
	assert_string_equal(c.lab[1], "result=drop;");
	assert_true(c.v[1] == 20);
	c.n = 0;
	met_family_read(met_family_get(r, 1), &c.em);
	assert_string_equal(c.lab[0], "result=ok;");
	c.n = 0;
	met_family_read(met_family_get(r, 2), &c.em);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.lab[0], "source=a;mode=client;");
	assert_true(c.v[1] == 2.5);
	assert_null(met_family_get(r, 3));
}

static void test_name_rules(void **state)
{
	(void)state;
	assert_true(met_name_valid("gnomon_a:b_total"));
	assert_true(met_name_valid("_x9"));
	assert_false(met_name_valid("9x"));
	assert_false(met_name_valid(""));
	assert_false(met_name_valid("a-b"));
	assert_false(met_name_valid("a b"));
	assert_true(met_label_name_valid("source"));
	assert_false(met_label_name_valid("__name__"));
	assert_false(met_label_name_valid("a:b"));
	assert_false(met_label_name_valid("1a"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_register_and_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_is_copied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many, setup, teardown),
		cmocka_unit_test(test_destroy_null),
		cmocka_unit_test_setup_teardown(test_families, setup, teardown),
		cmocka_unit_test(test_name_rules),
	};

	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
