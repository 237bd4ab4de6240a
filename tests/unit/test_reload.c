/* Unit tests for prog/reload: a key file that lacks a key the running
 * configuration uses is refused and changes nothing; one that keeps it is
 * applied. Real files in a temporary directory. */
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

#include "auth/auth.h"
#include "prog/daemon_conf.h"
#include "prog/reload.h"

static char dir[] = "/tmp/gnomon-reload-XXXXXX";
static char conf_path[64], key_path[64];

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void start(struct dconf *live, struct reload_src *r, const char *conf, const char *keys)
{
	struct conf_errors errs;
	char text[512];

	put(key_path, keys);
	snprintf(text, sizeof(text), "keyfile %s\n%s", key_path, conf);
	put(conf_path, text);
	dconf_init(live);
	assert_int_equal(dconf_parse_file(live, conf_path, &errs), 0);
	reload_init(r, conf_path, NULL, 0);
}

#define SHA1_5 "5 SHA1 HEX:0123456789abcdef0123456789abcdef01234567\n"
#define SHA1_6 "6 SHA1 HEX:89abcdef0123456789abcdef0123456789abcdef\n"
#define SHA256_7 "7 SHA256 HEX:2020202020202020202020202020202020202020202020202020202020202020\n"

static void refused(const char *conf, const char *keys, const char *new_keys, const char *want)
{
	struct dconf live;
	struct reload_src r;
	char why[512];
	bool restart;
	size_t before;

	start(&live, &r, conf, keys);
	before = auth_keys_count(live.keys);
	put(key_path, new_keys);
	assert_int_equal(reload_apply(&r, &live, &restart, why, sizeof(why)), -ENOKEY);
	if (!strstr(why, want))
		fail_msg("reason '%s' lacks '%s'", why, want);
	assert_int_equal(auth_keys_count(live.keys), before);	/* unchanged */
	dconf_fini(&live);
}

static void test_source_key_must_stay(void **state)
{
	(void)state;
	refused("server 127.0.0.1 key 5\n", SHA1_5, SHA1_6, "key 5, used by source 127.0.0.1");
}

static void test_gateway_sender_key_must_stay_sha256(void **state)
{
	(void)state;
	refused("gateway-send to 127.0.0.1:4123 key 7\n", SHA256_7,
		"7 SHA1 HEX:0123456789abcdef0123456789abcdef01234567\n",
		"key 7, used by gateway-send, is not a SHA256 key");
}

static void test_gateway_receiver_needs_a_key(void **state)
{
	(void)state;
	refused("gateway-receive on 127.0.0.1:4123\n", SHA256_7, SHA1_5,
		"gateway-receive would have no SHA256 key");
	refused("gateway-receive on 127.0.0.1:4123 key 7\n", SHA256_7 SHA1_5,
		"8 SHA256 HEX:2121212121212121212121212121212121212121212121212121212121212121\n",
		"gateway-receive would have no SHA256 key");
}

static void test_keeping_the_key_applies(void **state)
{
	struct dconf live;
	struct reload_src r;
	char why[512];
	bool restart;

	(void)state;
	start(&live, &r, "server 127.0.0.1 key 5\n", SHA1_5);
	put(key_path, SHA1_5 SHA1_6);
	assert_int_equal(reload_apply(&r, &live, &restart, why, sizeof(why)), 0);
	assert_false(restart);
	assert_int_equal(auth_keys_count(live.keys), 2);
	dconf_fini(&live);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(conf_path, sizeof(conf_path), "%s/gnomond.conf", dir);
	snprintf(key_path, sizeof(key_path), "%s/keys", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(conf_path);
	unlink(key_path);
	rmdir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_source_key_must_stay),
		cmocka_unit_test(test_gateway_sender_key_must_stay_sha256),
		cmocka_unit_test(test_gateway_receiver_needs_a_key),
		cmocka_unit_test(test_keeping_the_key_applies),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
