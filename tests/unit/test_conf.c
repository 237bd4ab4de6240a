/* Unit tests for lib/conf (the typed table and the line parser), through
 * a small local table, and for gnomond's own table and handlers through
 * dconf_parse_buffer (src/prog/daemon_conf.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/conf.h"
#include "prog/daemon_conf.h"

/* ---- a small local table ---- */

enum tkey { K_NUMBER, K_RATIO, K_FLAG, K_NAME, K_LIST, K_ONCE };

struct tcfg {
	int number;
	double ratio;
	bool flag;
	char name[8];
	int list_calls;
	int list_argc[8];
	char list_first[8][16];
	int once_calls;
};

static int h_list(struct conf_ctx *ctx, const struct conf_item *it, void *p, int argc,
		  char **argv)
{
	struct tcfg *c = p;

	(void)ctx;
	(void)it;
	if (c->list_calls < 8) {
		c->list_argc[c->list_calls] = argc;
		snprintf(c->list_first[c->list_calls], sizeof(c->list_first[0]), "%s",
			 argc ? argv[0] : "");
	}
	c->list_calls++;
	return 0;
}

static int h_once(struct conf_ctx *ctx, const struct conf_item *it, void *p, int argc,
		  char **argv)
{
	struct tcfg *c = p;

	(void)it;
	(void)argv;
	c->once_calls++;
	if (argc != 0)
		return conf_error(ctx, "once takes no arguments");
	return 0;
}

static const struct conf_item table[] = {
	{ K_NUMBER, "number", CONF_INT, offsetof(struct tcfg, number), -5, 100, "7", "N",
	  "a number", NULL, false },
	{ K_RATIO, "ratio", CONF_DOUBLE, offsetof(struct tcfg, ratio), -1.5, 2.5, "0.5", "X",
	  "a ratio", NULL, false },
	{ K_FLAG, "flag", CONF_ONOFF, offsetof(struct tcfg, flag), 0, 0, "on", "on|off",
	  "a flag", NULL, false },
	{ K_NAME, "name", CONF_STRING, offsetof(struct tcfg, name), 0, 8, "abc", "NAME",
	  "a name", NULL, false },
	{ K_LIST, "list", CONF_CUSTOM, 0, 0, 0, NULL, "WORDS...", "repeatable", h_list, true },
	{ K_ONCE, "once", CONF_CUSTOM, 0, 0, 0, NULL, "", "not repeatable", h_once, false },
};
#define TABLE_LEN (sizeof(table) / sizeof(table[0]))

static struct conf_errors errs;

static void init_cfg(struct tcfg *c)
{
	memset(c, 0, sizeof(*c));
	conf_apply_defaults(table, TABLE_LEN, c);
}

static int parse_len(struct tcfg *c, const char *text, size_t len)
{
	memset(&errs, 0, sizeof(errs));
	return conf_parse_buffer(table, TABLE_LEN, c, "test.conf", text, len, &errs);
}

static int parse(struct tcfg *c, const char *text)
{
	return parse_len(c, text, strlen(text));
}

/* Error i starts with "FILE:LINE: " and contains every given fragment. */
static void check_error(const char *file, int i, int line, const char *frag1, const char *frag2)
{
	char prefix[64];

	if (i >= errs.count)
		fail_msg("no error %d (only %d)", i, errs.count);
	snprintf(prefix, sizeof(prefix), "%s:%d: ", file, line);
	if (strncmp(errs.msg[i], prefix, strlen(prefix)))
		fail_msg("error '%s' does not start with '%s'", errs.msg[i], prefix);
	if (frag1 && !strstr(errs.msg[i], frag1))
		fail_msg("error '%s' lacks '%s'", errs.msg[i], frag1);
	if (frag2 && !strstr(errs.msg[i], frag2))
		fail_msg("error '%s' lacks '%s'", errs.msg[i], frag2);
}

#define expect_error(i, line, f1, f2) check_error("test.conf", (i), (line), (f1), (f2))

static void test_defaults(void **state)
{
	struct tcfg c;

	(void)state;
	init_cfg(&c);
	assert_int_equal(c.number, 7);
	assert_true(c.ratio == 0.5);
	assert_true(c.flag);
	assert_string_equal(c.name, "abc");
	assert_int_equal(parse(&c, ""), 0);
	assert_int_equal(c.number, 7);
}

static void test_typed_values(void **state)
{
	struct tcfg c;

	(void)state;
	init_cfg(&c);
	assert_int_equal(parse(&c, "number 42\nratio -1.25\nflag off\nname hello\n"), 0);
	assert_int_equal(c.number, 42);
	assert_true(c.ratio == -1.25);
	assert_false(c.flag);
	assert_string_equal(c.name, "hello");
	/* Ranges are inclusive. */
	init_cfg(&c);
	assert_int_equal(parse(&c, "number -5\nratio 2.5\n"), 0);
	assert_int_equal(c.number, -5);
	assert_true(c.ratio == 2.5);
	init_cfg(&c);
	assert_int_equal(parse(&c, "number 100\nratio -1.5\nname 1234567\n"), 0);
	assert_int_equal(c.number, 100);
	assert_true(c.ratio == -1.5);
	assert_string_equal(c.name, "1234567");
	init_cfg(&c);
	assert_int_equal(parse(&c, "ratio 1e-3\n"), 0);
	assert_true(c.ratio == 1e-3);
}

static void test_onoff_words(void **state)
{
	static const char *const on[] = { "on", "yes", "1", "true", "ON", "Yes" };
	static const char *const off[] = { "off", "no", "0", "false", "OFF" };
	char text[32];
	struct tcfg c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
		init_cfg(&c);
		c.flag = false;
		snprintf(text, sizeof(text), "flag %s\n", on[i]);
		assert_int_equal(parse(&c, text), 0);
		assert_true(c.flag);
	}
	for (i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		init_cfg(&c);
		snprintf(text, sizeof(text), "flag %s\n", off[i]);
		assert_int_equal(parse(&c, text), 0);
		assert_false(c.flag);
	}
	init_cfg(&c);
	assert_int_equal(parse(&c, "flag maybe\n"), 1);
	expect_error(0, 1, "'maybe'", "allowed: on, off");
	assert_true(c.flag);	/* unchanged */
	init_cfg(&c);
	assert_int_equal(parse(&c, "\n\nflag 2\n"), 1);
	expect_error(0, 3, "flag", "allowed: on, off");
}

static void test_int_errors(void **state)
{
	static const char *const not_int[] = {
		"1x", "abc", "0x10", "1.5", "--3", "99999999999999999999", "1e3",
	};
	char text[64];
	struct tcfg c;
	size_t i;

	(void)state;
	init_cfg(&c);
	assert_int_equal(parse(&c, "number 101\n"), 1);
	expect_error(0, 1, "101 is out of range", "allowed: -5..100");
	assert_int_equal(c.number, 7);
	assert_int_equal(parse(&c, "# comment\nnumber -6\n"), 1);
	expect_error(0, 2, "number", "allowed: -5..100");
	for (i = 0; i < sizeof(not_int) / sizeof(not_int[0]); i++) {
		snprintf(text, sizeof(text), "number %s\n", not_int[i]);
		if (parse(&c, text) != 1)
			fail_msg("'%s' accepted as an integer", not_int[i]);
		expect_error(0, 1, "not an integer", "allowed: -5..100");
		assert_non_null(strstr(errs.msg[0], not_int[i]));
	}
	assert_int_equal(c.number, 7);
}

static void test_double_errors(void **state)
{
	static const char *const bad[] = { "abc", "1.0e", "nan", "inf", "-inf", "1,5", "0x", "1e999" };
	char text[64];
	struct tcfg c;
	size_t i;

	(void)state;
	init_cfg(&c);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "ratio %s\n", bad[i]);
		if (parse(&c, text) != 1)
			fail_msg("'%s' accepted as a number", bad[i]);
		expect_error(0, 1, "ratio", "allowed: -1.5..2.5");
	}
	assert_int_equal(parse(&c, "ratio 2.6\n"), 1);
	expect_error(0, 1, "out of range", "allowed: -1.5..2.5");
	assert_int_equal(parse(&c, "ratio -1.50001\n"), 1);
	assert_true(c.ratio == 0.5);
}

static void test_string_too_long(void **state)
{
	struct tcfg c;

	(void)state;
	init_cfg(&c);
	assert_int_equal(parse(&c, "name 12345678\n"), 1);
	expect_error(0, 1, "name", "7 characters");
	assert_string_equal(c.name, "abc");
}

static void test_unknown_directive(void **state)
{
	struct tcfg c;

	(void)state;
	init_cfg(&c);
	assert_int_equal(parse(&c, "number 1\n\n  bogus 3\n"), 1);
	expect_error(0, 3, "unknown directive 'bogus'", "known: number, ratio, flag, name, list, once");
	/* A directive with a control character in it is rejected as such. */
	assert_int_equal(parse(&c, "num\x01" "ber 5\n"), 1);
	expect_error(0, 1, "non-printable", NULL);
	assert_int_equal(parse(&c, "\x7fnumber 5\n"), 1);
	expect_error(0, 1, "non-printable", NULL);
}

static void test_argument_count(void **state)
{
	struct tcfg c;

	(void)state;
	init_cfg(&c);
	assert_int_equal(parse(&c, "number\n"), 1);
	expect_error(0, 1, "number takes one argument", "number N");
	assert_int_equal(parse(&c, "ratio 1\nnumber 1 2\n"), 1);
	expect_error(0, 2, "number takes one argument", "number N");
	assert_int_equal(parse(&c, "flag\n"), 1);
	expect_error(0, 1, "flag takes one argument", "flag on|off");
	assert_int_equal(c.number, 7);
}

static void test_duplicates(void **state)
{
	struct tcfg c;

	(void)state;
	init_cfg(&c);
	assert_int_equal(parse(&c, "number 1\nratio 1\n# x\nnumber 2\n"), 1);
	expect_error(0, 4, "number given more than once", NULL);
	assert_int_equal(c.number, 1);
	/* Case does not make a second directive. */
	assert_int_equal(parse(&c, "once\nONCE\n"), 1);
	expect_error(0, 2, "once given more than once", NULL);
	assert_int_equal(c.once_calls, 1);
	/* Repeatable directives are passed to the handler every time. */
	init_cfg(&c);
	assert_int_equal(parse(&c, "list a\nlist b c\nlist\n"), 0);
	assert_int_equal(c.list_calls, 3);
	assert_int_equal(c.list_argc[0], 1);
	assert_string_equal(c.list_first[0], "a");
	assert_int_equal(c.list_argc[1], 2);
	assert_string_equal(c.list_first[1], "b");
	assert_int_equal(c.list_argc[2], 0);
}

static void test_too_many_words(void **state)
{
	struct tcfg c;

	(void)state;
	init_cfg(&c);
	/* 24 words (directive + 23) is the most. */
	assert_int_equal(parse(&c, "list 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23\n"), 0);
	assert_int_equal(c.list_argc[0], 23);
	assert_int_equal(parse(&c, "\nlist 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24\n"), 1);
	expect_error(0, 2, "too many words", "at most 24");
	/* A comment after the last word does not count. */
	assert_int_equal(parse(&c, "list 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 # 24 25\n"), 0);
}

static void test_long_line(void **state)
{
	char *text = malloc(4096);
	struct tcfg c;
	size_t n;

	(void)state;
	assert_non_null(text);
	init_cfg(&c);
	/* A 1024-character line is fine (a comment here). */
	text[0] = '#';
	memset(text + 1, 'x', 1023);
	strcpy(text + 1024, "\nnumber 3\n");
	assert_int_equal(parse(&c, text), 0);
	assert_int_equal(c.number, 3);
	/* 1025 characters is an error on that line; the next line is read. */
	init_cfg(&c);
	strcpy(text, "flag off\n");
	n = strlen(text);
	memcpy(text + n, "name ", 5);
	memset(text + n + 5, 'y', 1020);
	strcpy(text + n + 1025, "\nnumber 4\nbogus\n");
	assert_int_equal(parse(&c, text), 2);
	expect_error(0, 2, "line longer than 1024", NULL);
	expect_error(1, 4, "unknown directive", NULL);
	assert_int_equal(c.number, 4);
	assert_false(c.flag);
	assert_string_equal(c.name, "abc");
	/* The over-long last line of a file without a final newline. */
	init_cfg(&c);
	memset(text, ' ', 3000);
	memcpy(text + 2990, "number 9", 8);
	assert_int_equal(parse_len(&c, text, 3000), 1);
	expect_error(0, 1, "line longer", NULL);
	assert_int_equal(c.number, 7);
	free(text);
}

static void test_nul_byte(void **state)
{
	static const char text[] = "number 5\nname ab\0cd\nratio 1\n";
	struct tcfg c;

	(void)state;
	init_cfg(&c);
	assert_int_equal(parse_len(&c, text, sizeof(text) - 1), 1);
	expect_error(0, 2, "NUL", NULL);
	assert_string_equal(c.name, "abc");
	assert_int_equal(c.number, 5);
	assert_true(c.ratio == 1.0);
	/* Also at the very start of a line. */
	assert_int_equal(parse_len(&c, "\0number 1\n", 10), 1);
	expect_error(0, 1, "NUL", NULL);
}

static void test_comments_and_blanks(void **state)
{
	static const char text[] =
		"# hash comment\n"
		"; semicolon comment\n"
		"! bang comment\n"
		"   # indented comment\n"
		"\n"
		"   \t  \n"
		"number 11 # trailing\n"
		"ratio 1.5 ; trailing\n"
		"\tflag\toff\t! trailing\n"
		"#number 99\n"
		";number 98\n"
		"!number 97\n"
		"name x#y\n";	/* '#' inside a word is not a comment */
	struct tcfg c;

	(void)state;
	init_cfg(&c);
	assert_int_equal(parse(&c, text), 0);
	assert_int_equal(c.number, 11);
	assert_true(c.ratio == 1.5);
	assert_false(c.flag);
	assert_string_equal(c.name, "x#y");
}

static void test_crlf(void **state)
{
	struct tcfg c;

	(void)state;
	init_cfg(&c);
	assert_int_equal(parse(&c, "number 5\r\nratio 1.5\r\n\r\nflag off\r\nname ab\r\n"), 0);
	assert_int_equal(c.number, 5);
	assert_true(c.ratio == 1.5);
	assert_false(c.flag);
	assert_string_equal(c.name, "ab");	/* no '\r' kept */
	assert_int_equal(parse(&c, "# x\r\n\r\nbogus\r\nnumber 200\r\n"), 2);
	expect_error(0, 3, "unknown directive 'bogus'", NULL);
	expect_error(1, 4, "200", "allowed: -5..100");
	assert_null(strchr(errs.msg[0], '\r'));
	assert_null(strchr(errs.msg[1], '\r'));
}

static void test_line_numbers(void **state)
{
	static const char text[] =
		"number 1\n"		/* 1 */
		"ratio x\n"		/* 2: error */
		"\n"			/* 3 */
		"# comment\n"		/* 4 */
		"flag perhaps\n"	/* 5: error */
		"name ok\n"		/* 6 */
		"\n"			/* 7 */
		"\n"			/* 8 */
		"what\n"		/* 9: error */
		"number 2";		/* 10: duplicate, no final newline */
	struct tcfg c;

	(void)state;
	init_cfg(&c);
	assert_int_equal(parse(&c, text), 4);
	expect_error(0, 2, "ratio", NULL);
	expect_error(1, 5, "flag", NULL);
	expect_error(2, 9, "what", NULL);
	expect_error(3, 10, "more than once", NULL);
	assert_string_equal(c.name, "ok");
}

/* The buffer need not be NUL-terminated: only len bytes are read. */
static void test_buffer_length(void **state)
{
	struct tcfg c;
	char *b = malloc(8);

	(void)state;
	assert_non_null(b);
	memcpy(b, "number 5", 8);	/* no terminator, exact heap size */
	init_cfg(&c);
	assert_int_equal(parse_len(&c, b, 8), 0);
	assert_int_equal(c.number, 5);
	init_cfg(&c);
	assert_int_equal(parse_len(&c, "number 6\nnumber 7\n", 8), 0);
	assert_int_equal(c.number, 6);
	free(b);
}

static void test_many_errors(void **state)
{
	struct tcfg c;
	char *text = malloc(64 * 8);
	int i;

	(void)state;
	assert_non_null(text);
	text[0] = '\0';
	for (i = 0; i < 40; i++)
		strcat(text, "bad\n");
	init_cfg(&c);
	assert_int_equal(parse(&c, text), 40);
	expect_error(0, 1, "unknown", NULL);
	expect_error(CONF_MAX_ERRORS - 1, CONF_MAX_ERRORS, "unknown", NULL);
	free(text);
}

static void test_parse_file(void **state)
{
	char path[] = "/tmp/gnomon-test-conf-XXXXXX";
	struct tcfg c;
	int fd;
	FILE *f;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("number 12\nflag no\nnope\n", f);
	fclose(f);
	init_cfg(&c);
	memset(&errs, 0, sizeof(errs));
	assert_int_equal(conf_parse_file(table, TABLE_LEN, &c, path, &errs), 1);
	check_error(path, 0, 3, "unknown directive 'nope'", NULL);
	assert_int_equal(c.number, 12);
	assert_false(c.flag);
	unlink(path);
	/* A missing file is one error naming it. */
	assert_int_equal(conf_parse_file(table, TABLE_LEN, &c, path, &errs), 1);
	assert_non_null(strstr(errs.msg[0], path));
	assert_non_null(strstr(errs.msg[0], "cannot open"));
}

static void test_arg_helpers(void **state)
{
	struct conf_ctx ctx = { "h.conf", 17, &errs };
	long l = 0;
	double d = 0;
	bool b = false;

	(void)state;
	memset(&errs, 0, sizeof(errs));
	assert_int_equal(conf_arg_int(&ctx, "thing", "12", 0, 20, &l), 0);
	assert_int_equal(l, 12);
	assert_int_equal(conf_arg_int(&ctx, "thing", "21", 0, 20, &l), -EINVAL);
	assert_int_equal(l, 12);
	check_error("h.conf", 0, 17, "thing: 21 is out of range", "allowed: 0..20");
	assert_int_equal(conf_arg_double(&ctx, "x", "0.125", 0, 1, &d), 0);
	assert_true(d == 0.125);
	assert_int_equal(conf_arg_double(&ctx, "x", "", 0, 1, &d), -EINVAL);
	assert_int_equal(conf_arg_onoff(&ctx, "y", "yes", &b), 0);
	assert_true(b);
	assert_int_equal(conf_arg_onoff(&ctx, "y", "", &b), -EINVAL);
	assert_int_equal(errs.count, 3);
	assert_int_equal(conf_error(&ctx, "custom %d", 5), -EINVAL);
	assert_string_equal(errs.msg[3], "h.conf:17: custom 5");
}

/* ---- gnomond's table (src/prog/daemon_conf.c) ---- */

static int dparse(struct dconf *c, const char *text)
{
	memset(&errs, 0, sizeof(errs));
	return dconf_parse_buffer(c, "gnomond.conf", text, strlen(text), &errs);
}

#define expect_derror(i, line, f1, f2) check_error("gnomond.conf", (i), (line), (f1), (f2))

static int dsetup(void **state)
{
	struct dconf *c = calloc(1, sizeof(*c));

	if (!c)
		return -1;
	dconf_init(c);
	*state = c;
	return 0;
}

static int dteardown(void **state)
{
	dconf_fini(*state);
	free(*state);
	return 0;
}

static bool dallowed(const struct dconf *c, const char *ip)
{
	struct net_addr a;

	assert_int_equal(net_addr_parse(ip, &a), 0);
	return acl_check(c->acl, &a);
}

static void test_dconf_defaults(void **state)
{
	struct dconf *c = *state;

	assert_int_equal(c->port, 123);
	assert_int_equal(c->n_bind, 0);
	assert_int_equal(c->local_stratum, 0);
	assert_true(c->serve_offset == 0);
	assert_false(c->rl_enabled);
	assert_int_equal(c->rl_interval, 3);
	assert_int_equal(c->rl_burst, 8);
	assert_true(c->kod);
	assert_int_equal(c->workers, DCONF_WORKERS_AUTO);
	assert_string_equal(c->control, "/run/gnomond/gnomond.sock");
	/* Least privilege by default (issue 8 §3). */
	assert_string_equal(c->user, "gnomon");
	assert_true(c->seccomp);
	assert_int_equal(c->clock, CLK_KIND_SYSTEM);
	assert_int_equal(c->log_dest, LOG_DEST_STDERR);
	assert_int_equal(c->log_level, LOG_LVL_INFO);
	assert_int_equal(c->clientlog_bits, 16);
	assert_non_null(c->acl);
	assert_int_equal(acl_count(c->acl), 0);
	assert_false(dallowed(c, "127.0.0.1"));
}

static void test_dconf_full(void **state)
{
	static const char text[] =
		"# gnomond test configuration\n"
		"port 11123\n"
		"bindaddress 127.0.0.1\n"
		"bindaddress ::1\n"
		"allow 127.0.0.0/8\n"
		"deny 127.0.0.2\n"
		"allow ::1\n"
		"local stratum 3\n"
		"serve-offset -1000.25\n"
		"ratelimit interval 4 burst 16\n"
		"kod off\n"
		"workers 2\n"
		"control /tmp/g.sock\n"
		"user nobody\n"
		"clock virtual offset 0.5 freq -20\n"
		"log file\n"
		"logfile /tmp/g.log\n"
		"loglevel debug\n"
		"clientlogbits 12\n";
	struct dconf *c = *state;

	assert_int_equal(dparse(c, text), 0);
	assert_int_equal(c->port, 11123);
	assert_int_equal(c->n_bind, 2);
	assert_int_equal(c->bind[0].family, AF_INET);
	assert_memory_equal(c->bind[0].a, "\x7f\0\0\x01", 4);
	assert_int_equal(c->bind[1].family, AF_INET6);
	assert_int_equal(c->bind[1].a[15], 1);
	assert_true(dallowed(c, "127.0.0.1"));
	assert_false(dallowed(c, "127.0.0.2"));
	assert_true(dallowed(c, "::1"));
	assert_false(dallowed(c, "10.0.0.1"));
	assert_int_equal(c->local_stratum, 3);
	assert_true(c->serve_offset == -1000.25);
	assert_true(c->rl_enabled);
	assert_int_equal(c->rl_interval, 4);
	assert_int_equal(c->rl_burst, 16);
	assert_false(c->kod);
	assert_int_equal(c->workers, 2);
	assert_string_equal(c->control, "/tmp/g.sock");
	assert_string_equal(c->user, "nobody");
	assert_int_equal(c->clock, CLK_KIND_VIRTUAL);
	assert_true(c->clock_offset == 0.5);
	assert_true(c->clock_freq == -20);
	assert_int_equal(c->log_dest, LOG_DEST_FILE);
	assert_string_equal(c->logfile, "/tmp/g.log");
	assert_int_equal(c->log_level, LOG_LVL_DEBUG);
	assert_int_equal(c->clientlog_bits, 12);
}

static void test_dconf_port(void **state)
{
	struct dconf *c = *state;

	assert_int_equal(dparse(c, "port 0\n"), 0);
	assert_int_equal(c->port, 0);
	assert_int_equal(dparse(c, "port 65535\n"), 0);
	assert_int_equal(c->port, 65535);
	assert_int_equal(dparse(c, "port 65536\n"), 1);
	expect_derror(0, 1, "port", "allowed: 0..65535");
	assert_int_equal(dparse(c, "\nport -1\n"), 1);
	expect_derror(0, 2, "port", "allowed: 0..65535");
	assert_int_equal(dparse(c, "port ntp\n"), 1);
	expect_derror(0, 1, "not an integer", "allowed: 0..65535");
	assert_int_equal(dparse(c, "port 1\nport 2\n"), 1);
	expect_derror(0, 2, "more than once", NULL);
	assert_int_equal(c->port, 1);
}

static void test_dconf_bindaddress(void **state)
{
	struct dconf *c = *state;
	char text[1024];
	int i;

	assert_int_equal(dparse(c, "bindaddress 0.0.0.0\nbindaddress ::\nbindaddress fe80::1\n"), 0);
	assert_int_equal(c->n_bind, 3);
	assert_int_equal(c->bind[2].family, AF_INET6);
	c->n_bind = 0;
	assert_int_equal(dparse(c, "bindaddress 300.1.1.1\nbindaddress localhost\n"
				   "bindaddress\nbindaddress 1.2.3.4 5.6.7.8\n"), 4);
	expect_derror(0, 1, "'300.1.1.1'", "not an IPv4 or IPv6 address");
	expect_derror(1, 2, "'localhost'", NULL);
	expect_derror(2, 3, "bindaddress", "ADDRESS");
	expect_derror(3, 4, "bindaddress", "ADDRESS");
	assert_int_equal(c->n_bind, 0);
	/* At most NTP_SRV_MAX_BIND. */
	text[0] = '\0';
	for (i = 0; i <= NTP_SRV_MAX_BIND; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "bindaddress 127.0.0.%d\n",
			 i + 1);
	assert_int_equal(dparse(c, text), 1);
	expect_derror(0, NTP_SRV_MAX_BIND + 1, "at most", NULL);
	assert_int_equal(c->n_bind, NTP_SRV_MAX_BIND);
}

static void test_dconf_allow_deny(void **state)
{
	struct dconf *c = *state;

	assert_int_equal(dparse(c, "allow 10.0.0.0/8\ndeny 10.1.0.0/16\nallow 2001:db8::/32\n"), 0);
	assert_int_equal(acl_count(c->acl), 3);
	assert_true(dallowed(c, "10.2.3.4"));
	assert_false(dallowed(c, "10.1.3.4"));
	assert_true(dallowed(c, "2001:db8::5"));
	assert_int_equal(dparse(c, "allow 10.0.0.0/33\ndeny 2001:db8::/129\nallow 10.0.0.0/8 x\n"
				   "deny banana\n"), 4);
	expect_derror(0, 1, "'10.0.0.0/33'", "allowed: all, ADDRESS, ADDRESS/PREFIX");
	expect_derror(1, 2, "'2001:db8::/129'", "0..128");
	expect_derror(2, 3, "allow takes one argument", NULL);
	expect_derror(3, 4, "'banana'", "allowed: all, ADDRESS, ADDRESS/PREFIX");
	assert_int_equal(acl_count(c->acl), 3);
}

static void test_dconf_allow_all(void **state)
{
	struct dconf *c = *state;

	/* chrony: a bare `allow` allows everybody. */
	assert_int_equal(dparse(c, "allow\ndeny 192.0.2.0/24\n"), 0);
	assert_true(dallowed(c, "8.8.8.8"));
	assert_true(dallowed(c, "2001:db8::1"));
	assert_false(dallowed(c, "192.0.2.1"));
	assert_int_equal(dparse(c, "deny all\n"), 0);
	assert_false(dallowed(c, "8.8.8.8"));
}

static void test_dconf_local(void **state)
{
	struct dconf *c = *state;

	assert_int_equal(dparse(c, "local stratum 1\n"), 0);
	assert_int_equal(c->local_stratum, 1);
	assert_int_equal(dparse(c, "local stratum 15\n"), 0);
	assert_int_equal(c->local_stratum, 15);
	assert_int_equal(dparse(c, "local\n"), 0);
	assert_int_equal(c->local_stratum, 10);
	c->local_stratum = 0;
	assert_int_equal(dparse(c, "local stratum 0\n"), 1);
	expect_derror(0, 1, "local stratum", "allowed: 1..15");
	assert_int_equal(dparse(c, "\n\nlocal stratum 16\n"), 1);
	expect_derror(0, 3, "16", "allowed: 1..15");
	assert_int_equal(dparse(c, "local level 3\n"), 1);
	expect_derror(0, 1, "local", "stratum N");
	assert_int_equal(dparse(c, "local stratum\n"), 1);
	assert_int_equal(dparse(c, "local stratum 3 4\n"), 1);
	assert_int_equal(c->local_stratum, 0);
	assert_int_equal(dparse(c, "local stratum 2\nlocal stratum 3\n"), 1);
	expect_derror(0, 2, "more than once", NULL);
}

static void test_dconf_serve_offset(void **state)
{
	struct dconf *c = *state;

	assert_int_equal(dparse(c, "serve-offset -1000.25\n"), 0);
	assert_true(c->serve_offset == -1000.25);
	assert_int_equal(dparse(c, "serve-offset 0.000001\n"), 0);
	assert_true(c->serve_offset == 0.000001);
	assert_int_equal(dparse(c, "serve-offset 5e9\n"), 1);
	expect_derror(0, 1, "serve-offset", "allowed:");
	assert_int_equal(dparse(c, "serve-offset soon\n"), 1);
	expect_derror(0, 1, "not a number", NULL);
	assert_true(c->serve_offset == 0.000001);
}

static void test_dconf_ratelimit(void **state)
{
	struct dconf *c = *state;

	assert_int_equal(dparse(c, "ratelimit\n"), 0);
	assert_true(c->rl_enabled);
	assert_int_equal(c->rl_interval, 3);
	assert_int_equal(c->rl_burst, 8);
	/* chrony's leak; a client is a /32 or a /64 */
	assert_int_equal(c->rl_leak, 2);
	assert_int_equal(c->rl_v4_prefix, 32);
	assert_int_equal(c->rl_v6_prefix, 64);
	assert_int_equal(dparse(c, "ratelimit leak 1 ipv4prefix 24 ipv6prefix 128\n"), 0);
	assert_int_equal(c->rl_leak, 1);
	assert_int_equal(c->rl_v4_prefix, 24);
	assert_int_equal(c->rl_v6_prefix, 128);
	assert_int_equal(dparse(c, "ratelimit ipv6prefix 8 ipv4prefix 8 leak 8\n"), 0);
	assert_int_equal(c->rl_leak, 8);
	assert_int_equal(c->rl_v4_prefix, 8);
	assert_int_equal(c->rl_v6_prefix, 8);
	assert_int_equal(dparse(c, "ratelimit burst 2 interval -4\n"), 0);
	assert_int_equal(c->rl_interval, -4);
	assert_int_equal(c->rl_burst, 2);
	assert_int_equal(dparse(c, "ratelimit interval 12 burst 256\n"), 0);
	assert_int_equal(c->rl_interval, 12);
	assert_int_equal(c->rl_burst, 256);
	c->rl_enabled = false;
	assert_int_equal(dparse(c, "ratelimit interval 13\n"), 1);
	expect_derror(0, 1, "ratelimit interval", "allowed: -4..12");
	assert_int_equal(dparse(c, "ratelimit burst 0\n"), 1);
	expect_derror(0, 1, "ratelimit burst", "allowed: 1..256");
	assert_int_equal(dparse(c, "ratelimit lek 3\n"), 1);
	expect_derror(0, 1, "'lek'", "allowed: interval, burst, leak, ipv4prefix, ipv6prefix");
	assert_int_equal(dparse(c, "ratelimit leak 0\n"), 1);
	expect_derror(0, 1, "ratelimit leak", "allowed: 1..8");
	assert_int_equal(dparse(c, "ratelimit leak 9\n"), 1);
	expect_derror(0, 1, "ratelimit leak", "allowed: 1..8");
	assert_int_equal(dparse(c, "ratelimit ipv4prefix 7\n"), 1);
	expect_derror(0, 1, "ratelimit ipv4prefix", "allowed: 8..32");
	assert_int_equal(dparse(c, "ratelimit ipv4prefix 33\n"), 1);
	expect_derror(0, 1, "ratelimit ipv4prefix", "allowed: 8..32");
	assert_int_equal(dparse(c, "ratelimit ipv6prefix 129\n"), 1);
	expect_derror(0, 1, "ratelimit ipv6prefix", "allowed: 8..128");
	assert_int_equal(dparse(c, "ratelimit ipv6prefix -64\n"), 1);
	expect_derror(0, 1, "ratelimit ipv6prefix", "allowed: 8..128");
	assert_int_equal(dparse(c, "ratelimit leak\n"), 1);
	expect_derror(0, 1, "ratelimit", "[leak L] [ipv4prefix N] [ipv6prefix N]");
	assert_int_equal(dparse(c, "ratelimit interval\n"), 1);
	expect_derror(0, 1, "ratelimit", "[interval I] [burst B]");
	assert_int_equal(dparse(c, "ratelimit burst x\n"), 1);
	expect_derror(0, 1, "not an integer", NULL);
	assert_false(c->rl_enabled);
}

/* broadcastclient maxsenders: source addresses per key (issue 8 §2). */
static void test_dconf_broadcastclient_maxsenders(void **state)
{
	struct dconf *c = *state;

	assert_int_equal(dparse(c, "broadcastclient key 7\n"), 0);
	assert_true(c->bclient);
	assert_int_equal(c->bclient_cfg.maxsenders, 0);	/* default: 1 per key */
	c->bclient = false;
	assert_int_equal(dparse(c, "broadcastclient key 7 maxsenders 2 delay 0.001\n"), 0);
	assert_int_equal(c->bclient_cfg.maxsenders, 2);
	assert_int_equal(c->bclient_cfg.key, 7);
	c->bclient = false;
	assert_int_equal(dparse(c, "broadcastclient maxsenders 8 noauth\n"), 0);
	assert_int_equal(c->bclient_cfg.maxsenders, 8);
	c->bclient = false;
	assert_int_equal(dparse(c, "broadcastclient maxsenders 0\n"), 1);
	expect_derror(0, 1, "broadcastclient maxsenders", "allowed: 1..8");
	assert_int_equal(dparse(c, "broadcastclient key 7 maxsenders 9\n"), 1);
	expect_derror(0, 1, "broadcastclient maxsenders", "allowed: 1..8");
	assert_int_equal(dparse(c, "broadcastclient maxsenders two\n"), 1);
	expect_derror(0, 1, "not an integer", NULL);
	assert_int_equal(dparse(c, "broadcastclient maxsenders\n"), 1);
	expect_derror(0, 1, "'maxsenders'", "maxsenders N");
	assert_false(c->bclient);
}

static void test_dconf_leapsecmode_maxslewrate(void **state)
{
	struct dconf *c = *state;

	assert_int_equal(c->leapsecmode, SYNC_LEAP_SYSTEM);
	assert_true(c->maxslewrate == 83333);
	assert_int_equal(dparse(c, "leapsecmode slew\n"), 0);
	assert_int_equal(c->leapsecmode, SYNC_LEAP_SLEW);
	assert_int_equal(dparse(c, "leapsecmode ignore\n"), 0);
	assert_int_equal(c->leapsecmode, SYNC_LEAP_IGNORE);
	assert_int_equal(dparse(c, "leapsecmode smear\n"), 1);
	expect_derror(0, 1, "leapsecmode", "system|step|slew|ignore");
	assert_int_equal(dparse(c, "leapsecmode step slew\n"), 1);
	assert_int_equal(dparse(c, "maxslewrate 500\n"), 0);
	assert_true(c->maxslewrate == 500);
	assert_int_equal(dparse(c, "maxslewrate 0\n"), 1);
	expect_derror(0, 1, "maxslewrate", "allowed: 1..100000");
}

static void test_dconf_kod_workers_loglevel(void **state)
{
	struct dconf *c = *state;

	assert_int_equal(dparse(c, "kod off\n"), 0);
	assert_false(c->kod);
	assert_int_equal(dparse(c, "kod on\n"), 0);
	assert_true(c->kod);
	assert_int_equal(dparse(c, "kod sometimes\n"), 1);
	expect_derror(0, 1, "kod", "allowed: on, off");
	assert_int_equal(dparse(c, "seccomp off\n"), 0);
	assert_false(c->seccomp);
	assert_int_equal(dparse(c, "seccomp on\n"), 0);
	assert_true(c->seccomp);
	assert_int_equal(dparse(c, "seccomp strict\n"), 1);
	expect_derror(0, 1, "seccomp", "allowed: on, off");
	assert_int_equal(dparse(c, "seccomp\n"), 1);
	assert_true(c->seccomp);
	assert_int_equal(dparse(c, "user root\n"), 0);
	assert_string_equal(c->user, "root");
	assert_int_equal(dparse(c, "workers 64\n"), 0);
	assert_int_equal(c->workers, 64);
	assert_int_equal(dparse(c, "workers 65\n"), 1);
	expect_derror(0, 1, "workers", "allowed: auto, 0..64");
	assert_int_equal(dparse(c, "workers many\n"), 1);
	expect_derror(0, 1, "'many'", "allowed: auto, 0..64");
	assert_int_equal(dparse(c, "workers 2x\n"), 1);
	assert_int_equal(dparse(c, "workers auto\n"), 0);
	assert_int_equal(c->workers, DCONF_WORKERS_AUTO);
	assert_int_equal(dparse(c, "workers 64\n"), 0);
	assert_int_equal(dparse(c, "workers -1\n"), 1);
	assert_int_equal(c->workers, 64);
	assert_int_equal(dparse(c, "loglevel error\n"), 0);
	assert_int_equal(c->log_level, LOG_LVL_ERR);
	assert_int_equal(dparse(c, "loglevel warning\n"), 0);
	assert_int_equal(c->log_level, LOG_LVL_WARN);
	assert_int_equal(dparse(c, "loglevel info\n"), 0);
	assert_int_equal(c->log_level, LOG_LVL_INFO);
	assert_int_equal(dparse(c, "loglevel verbose\n"), 1);
	expect_derror(0, 1, "loglevel", "error|warning|info|debug");
	assert_int_equal(dparse(c, "loglevel\n"), 1);
	assert_int_equal(dparse(c, "loglevel debug info\n"), 1);
	assert_int_equal(c->log_level, LOG_LVL_INFO);
	assert_int_equal(dparse(c, "clientlogbits 7\n"), 1);
	expect_derror(0, 1, "clientlogbits", "allowed: 8..24");
	assert_int_equal(dparse(c, "log syslog\n"), 0);
	assert_int_equal(c->log_dest, LOG_DEST_SYSLOG);
	assert_int_equal(dparse(c, "log printer\n"), 1);
	expect_derror(0, 1, "log", "stderr|syslog|file");
}

static void test_dconf_clock(void **state)
{
	struct dconf *c = *state;

	assert_int_equal(dparse(c, "clock null\n"), 0);
	assert_int_equal(c->clock, CLK_KIND_NULL);
	assert_int_equal(dparse(c, "clock system\n"), 0);
	assert_int_equal(c->clock, CLK_KIND_SYSTEM);
	assert_int_equal(dparse(c, "clock virtual\n"), 0);
	assert_int_equal(c->clock, CLK_KIND_VIRTUAL);
	assert_true(c->clock_offset == 0);
	assert_int_equal(dparse(c, "clock virtual freq 12.5\n"), 0);
	assert_true(c->clock_freq == 12.5);
	assert_int_equal(dparse(c, "clock virtual offset -3.25 freq 100000\n"), 0);
	assert_true(c->clock_offset == -3.25);
	assert_true(c->clock_freq == 100000);
	assert_int_equal(dparse(c, "clock sundial\n"), 1);
	expect_derror(0, 1, "'sundial'", "allowed: system, virtual, null");
	assert_int_equal(dparse(c, "clock\n"), 1);
	expect_derror(0, 1, "clock", "system|null|virtual");
	assert_int_equal(dparse(c, "clock system offset 1\n"), 1);
	expect_derror(0, 1, "takes no options", NULL);
	assert_int_equal(dparse(c, "clock virtual offset\n"), 1);
	expect_derror(0, 1, "clock virtual", "offset SECONDS");
	assert_int_equal(dparse(c, "clock virtual offset abc\n"), 1);
	expect_derror(0, 1, "clock virtual offset", "not a number");
	assert_int_equal(dparse(c, "clock virtual freq 200000\n"), 1);
	expect_derror(0, 1, "clock virtual freq", "out of range");
	assert_int_equal(dparse(c, "clock virtual offset 2e9\n"), 1);
	expect_derror(0, 1, "clock virtual offset", "out of range");
	assert_int_equal(dparse(c, "clock virtual speed 3\n"), 1);
	expect_derror(0, 1, "'speed'", "allowed: offset, freq");
	assert_true(c->clock_offset == -3.25);
	assert_true(c->clock_freq == 100000);
}

/* audit db URL [interval S] [samples N] [rate R] [keep DAYS] [icmp on|off]
 * (audit/audit_svc.h): off by default, 3600 s and 30 days. */
static void test_dconf_audit(void **state)
{
	struct dconf *c = *state;

	assert_false(c->audit.enabled);
	assert_int_equal(c->audit.interval, 3600);
	assert_int_equal(c->audit.keep_days, 30);
	assert_int_equal(c->audit.samples, 0);
	assert_int_equal(c->audit.rate, 0);
	assert_false(c->audit.icmp);
	assert_int_equal(dparse(c, "audit db /var/lib/gnomon/audit.db\n"), 0);
	assert_true(c->audit.enabled);
	assert_string_equal(c->audit.db, "/var/lib/gnomon/audit.db");
	assert_int_equal(c->audit.interval, 3600);

	dconf_fini(c);
	dconf_init(c);
	assert_int_equal(dparse(c, "audit db postgresql://gnomon@127.0.0.1:5433/audit interval 600 "
				"samples 2 rate 100 keep 0 icmp on\n"), 0);
	assert_string_equal(c->audit.db, "postgresql://gnomon@127.0.0.1:5433/audit");
	assert_int_equal(c->audit.interval, 600);
	assert_int_equal(c->audit.samples, 2);
	assert_int_equal(c->audit.rate, 100);
	assert_int_equal(c->audit.keep_days, 0);
	assert_true(c->audit.icmp);

	/* Errors name the line, the option and what is allowed. */
	dconf_fini(c);
	dconf_init(c);
	assert_int_equal(dparse(c, "audit\n"), 1);
	expect_derror(0, 1, "audit: expected: audit db URL", "icmp on|off");
	assert_int_equal(dparse(c, "\naudit file x.db\n"), 1);
	expect_derror(0, 2, "audit: expected", NULL);
	assert_int_equal(dparse(c, "audit db x.db interval 0\n"), 1);
	expect_derror(0, 1, "audit interval", "1..604800");
	assert_int_equal(dparse(c, "audit db x.db samples 17\n"), 1);
	expect_derror(0, 1, "audit samples", "1..16");
	assert_int_equal(dparse(c, "audit db x.db rate -1\n"), 1);
	expect_derror(0, 1, "audit rate", NULL);
	assert_int_equal(dparse(c, "audit db x.db keep forever\n"), 1);
	expect_derror(0, 1, "audit keep", NULL);
	assert_int_equal(dparse(c, "audit db x.db icmp maybe\n"), 1);
	expect_derror(0, 1, "audit icmp", NULL);
	assert_int_equal(dparse(c, "audit db x.db interval\n"), 1);
	expect_derror(0, 1, "'interval' needs a value", "keep DAYS");
	assert_int_equal(dparse(c, "audit db x.db every 5\n"), 1);
	expect_derror(0, 1, "unknown option 'every'", "interval SECONDS");
	assert_false(c->audit.enabled);
	assert_int_equal(dparse(c, "audit db x.db\naudit db y.db\n"), 1);
	expect_derror(0, 2, "audit", NULL);
}

/* http ADDR:PORT [allow CIDR]... [connections N] [timeout SECONDS]
 * (mon/http.c): off by default, IPv4 and IPv6, repeated allow. */
static void test_dconf_http(void **state)
{
	struct dconf *c = *state;
	char text[1200];
	char addr[NET_ADDR_STRLEN];
	int i;

	assert_false(c->http.enabled);
	assert_int_equal(c->http.n_allow, 0);
	assert_int_equal(c->http.max_connections, 32);
	assert_int_equal(c->http.timeout_s, 10);
	assert_int_equal(dparse(c, "http 127.0.0.1:8123\n"), 0);
	assert_true(c->http.enabled);
	assert_int_equal(c->http.port, 8123);
	assert_int_equal(c->http.addr.family, AF_INET);
	assert_string_equal(net_addr_str(&c->http.addr, addr, sizeof(addr)), "127.0.0.1");
	assert_int_equal(c->http.n_allow, 0);

	dconf_fini(c);
	dconf_init(c);
	assert_int_equal(dparse(c, "http [::1]:9100 allow 198.18.0.0/15 allow ::1 "
				"allow 127.0.0.1 connections 4 timeout 3\n"), 0);
	assert_int_equal(c->http.addr.family, AF_INET6);
	assert_string_equal(net_addr_str(&c->http.addr, addr, sizeof(addr)), "::1");
	assert_int_equal(c->http.port, 9100);
	assert_int_equal(c->http.n_allow, 3);
	assert_string_equal(c->http.allow[0], "198.18.0.0/15");
	assert_string_equal(c->http.allow[2], "127.0.0.1");
	assert_int_equal(c->http.max_connections, 4);
	assert_int_equal(c->http.max_per_ip, 4);	/* never above the total */
	assert_int_equal(c->http.timeout_s, 3);

	/* Errors name the line and the allowed form. */
	dconf_fini(c);
	dconf_init(c);
	assert_int_equal(dparse(c, "http\n"), 1);
	expect_derror(0, 1, "http: expected: http ADDR:PORT", "allow");
	assert_int_equal(dparse(c, "\nhttp localhost:80\n"), 1);
	expect_derror(0, 2, "'localhost:80' is not ADDRESS:PORT", "[v6]:N");
	assert_int_equal(dparse(c, "http ::1:80\n"), 1);
	expect_derror(0, 1, "is not ADDRESS:PORT", NULL);
	assert_int_equal(dparse(c, "http 127.0.0.1:0\n"), 1);
	expect_derror(0, 1, "http", "1..65535");
	assert_int_equal(dparse(c, "http 127.0.0.1:70000\n"), 1);
	assert_int_equal(dparse(c, "http 127.0.0.1:80 allow 10.0.0.0/33\n"), 1);
	expect_derror(0, 1, "allow '10.0.0.0/33'", "ADDRESS/PREFIX");
	assert_int_equal(dparse(c, "http 127.0.0.1:80 allow\n"), 1);
	expect_derror(0, 1, "unknown or incomplete option 'allow'", "http ADDR:PORT");
	assert_int_equal(dparse(c, "http 127.0.0.1:80 deny 1.2.3.4\n"), 1);
	expect_derror(0, 1, "unknown or incomplete option 'deny'", NULL);
	assert_int_equal(dparse(c, "http 127.0.0.1:80 connections 0\n"), 1);
	expect_derror(0, 1, "http connections", NULL);
	assert_int_equal(dparse(c, "http 127.0.0.1:80 timeout x\n"), 1);
	expect_derror(0, 1, "http timeout", NULL);
	assert_false(c->http.enabled);

	/* At most HTTP_MAX_ALLOW entries. */
	strcpy(text, "http 127.0.0.1:80");
	for (i = 0; i <= HTTP_MAX_ALLOW; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), " allow 10.0.%d.0/24", i);
	strcat(text, "\n");
	assert_int_equal(dparse(c, text), 1);
	expect_derror(0, 1, "at most 8 allow", NULL);

	/* Not repeatable. */
	assert_int_equal(dparse(c, "http 127.0.0.1:80\nhttp 127.0.0.1:81\n"), 1);
	expect_derror(0, 2, "http", NULL);
}

static void test_dconf_strings(void **state)
{
	struct dconf *c = *state;
	char text[300];

	memset(text, 0, sizeof(text));
	strcpy(text, "control /");
	memset(text + 9, 'a', 106);	/* 107 characters: fits in 108 */
	strcat(text, "\n");
	assert_int_equal(dparse(c, text), 0);
	assert_int_equal(strlen(c->control), 107);
	text[strlen(text) - 1] = 'a';	/* 108 characters */
	strcat(text, "\n");
	assert_int_equal(dparse(c, text), 1);
	expect_derror(0, 1, "control", "107 characters");
	assert_int_equal(strlen(c->control), 107);
	assert_int_equal(dparse(c, "user\n"), 1);
	expect_derror(0, 1, "user takes one argument", NULL);
	/* statedir: absolute, one word, default /var/lib/gnomon. */
	assert_string_equal(c->statedir, "/var/lib/gnomon");
	assert_int_equal(dparse(c, "statedir /srv/gnomon/state\n"), 0);
	assert_string_equal(c->statedir, "/srv/gnomon/state");
	assert_int_equal(dparse(c, "statedir state\n"), 1);
	expect_derror(0, 1, "statedir: 'state' is not an absolute path", NULL);
	assert_int_equal(dparse(c, "statedir /a /b\n"), 1);
	expect_derror(0, 1, "statedir", "one directory");
	memset(text, 0, sizeof(text));
	strcpy(text, "statedir /");
	memset(text + 10, 'a', 260);
	strcat(text, "\n");
	assert_int_equal(dparse(c, text), 1);
	expect_derror(0, 1, "statedir", "255 characters");
	assert_string_equal(c->statedir, "/srv/gnomon/state");
}

static void test_dconf_error_lines(void **state)
{
	static const char text[] =
		"port 123\r\n"
		"allow 127.0.0.1\r\n"
		"\r\n"
		"frobnicate yes\r\n"		/* 4 */
		"local stratum 0\r\n"		/* 5 */
		"ratelimit interval 3 burst 999\r\n"	/* 6 */
		"; comment\r\n"
		"workers many\r\n"		/* 8 */
		"kod on\r\n";
	struct dconf *c = *state;

	assert_int_equal(dparse(c, text), 4);
	expect_derror(0, 4, "unknown directive 'frobnicate'", "known: port, bindaddress");
	expect_derror(1, 5, "local stratum", "allowed: 1..15");
	expect_derror(2, 6, "burst", "allowed: 1..256");
	expect_derror(3, 8, "workers", "allowed: auto, 0..64");
	assert_true(dallowed(c, "127.0.0.1"));
}

/* Directive names, as the first word of each line of dconf_print_help(). */
static int help_names(char names[][32], int max)
{
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int n = 0;

	assert_non_null(f);
	dconf_print_help(f);
	fclose(f);
	for (line = strtok_r(buf, "\n", &save); line && n < max; line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "%31s", names[n]) == 1)
			n++;
	free(buf);
	return n;
}

/* The list of known directives is what the user needs to fix a typo: it
 * must be complete however long the unknown word is. */
static void test_dconf_unknown_lists_all(void **state)
{
	static const char *const words[] = { "frobnicate", "serve-offset-for-testing-purposes-only" };
	struct dconf *c = *state;
	char names[64][32], text[128];
	int n = help_names(names, 64), i;
	size_t w;

	assert_true(n >= 16);
	for (w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
		snprintf(text, sizeof(text), "%s 5\n", words[w]);
		assert_int_equal(dparse(c, text), 1);
		expect_derror(0, 1, "unknown directive", "known: port, bindaddress");
		for (i = 0; i < n; i++)
			if (!strstr(errs.msg[0], names[i]))
				fail_msg("'%s' missing from '%s'", names[i], errs.msg[0]);
		assert_int_equal(errs.msg[0][strlen(errs.msg[0]) - 1], ')');
	}
}

static void test_dconf_coalesce(void **state)
{
	struct dconf *c = *state;

	assert_int_equal(c->coalesce_us, 100);
	assert_int_equal(dparse(c, "coalesce 0\n"), 0);
	assert_int_equal(c->coalesce_us, 0);
	assert_int_equal(dparse(c, "coalesce 1000\n"), 0);
	assert_int_equal(c->coalesce_us, 1000);
	assert_int_equal(dparse(c, "coalesce 1001\n"), 1);
	expect_derror(0, 1, "coalesce", "allowed: 0..1000");
	assert_int_equal(dparse(c, "coalesce -1\n"), 1);
	assert_int_equal(c->coalesce_us, 1000);
}

/* alarm NAME ... and alarmsyslog (src/mon/alarm_conf.c). */
static void test_dconf_alarm(void **state)
{
	struct dconf *c = *state;
	const struct alarm_rule_cfg *off = &c->alarm.rule[ALARM_OFFSET];

	/* Defaults (doc/alarms.md). */
	assert_true(off->enabled);
	assert_true(off->thr[1] == 1e-3 && off->thr[2] == 10e-3 && isnan(off->thr[0]));
	assert_true(off->minage == 10);
	assert_int_equal(c->alarm.syslog_facility, 12 << 3);

	assert_int_equal(dparse(c, "alarm offset warn 0.002 crit 0.05 clear 0.001 minage 30\n"
				   "alarm offset info 0.0015\n"
				   "alarm jitter off\n"
				   "alarm unsynchronised warn minage 120\n"
				   "alarm auth_failures window 600 warn 20 crit off\n"
				   "alarm stratum_change warn 2 info off\n"
				   "alarmsyslog local3\n"), 0);
	assert_true(off->thr[0] == 0.0015 && off->thr[1] == 0.002 && off->thr[2] == 0.05);
	assert_true(off->clear == 0.001 && off->minage == 30);
	assert_false(c->alarm.rule[ALARM_JITTER].enabled);
	/* A yes/no alarm: the level word is its severity, without a value. */
	assert_true(c->alarm.rule[ALARM_UNSYNC].thr[1] == 1);
	assert_true(isnan(c->alarm.rule[ALARM_UNSYNC].thr[2]));
	assert_true(c->alarm.rule[ALARM_UNSYNC].minage == 120);
	assert_true(c->alarm.rule[ALARM_AUTH_FAILURES].window == 600);
	assert_true(c->alarm.rule[ALARM_AUTH_FAILURES].thr[1] == 20);
	assert_true(isnan(c->alarm.rule[ALARM_AUTH_FAILURES].thr[2]));
	assert_true(isnan(c->alarm.rule[ALARM_STRATUM_CHANGE].thr[0]));
	assert_true(c->alarm.rule[ALARM_STRATUM_CHANGE].thr[1] == 2);
	assert_int_equal(c->alarm.syslog_facility, 19 << 3);	/* LOG_LOCAL3 */

	assert_int_equal(dparse(c, "alarm jitter on\nalarmsyslog off\n"), 0);
	assert_true(c->alarm.rule[ALARM_JITTER].enabled);
	assert_int_equal(c->alarm.syslog_facility, ALARM_FACILITY_OFF);
	assert_int_equal(dparse(c, "alarmsyslog ntp\n"), 0);
	assert_int_equal(c->alarm.syslog_facility, 12 << 3);
}

static void test_dconf_alarm_errors(void **state)
{
	static const struct { const char *text; const char *f1, *f2; } bad[] = {
		{ "alarm\n", "expected: alarm NAME", "offset, jitter, no_selectable_source" },
		{ "alarm offset\n", "expected: alarm NAME", "ratelimit_storm" },
		{ "alarm ofset warn 1\n", "'ofset' is not an alarm", "allowed: offset, jitter" },
		{ "alarm offset warn\n", "offset warn: a threshold is needed", NULL },
		{ "alarm offset warn x\n", "alarm offset warn", "not a number" },
		{ "alarm offset warn 0\n", "must be above 0", NULL },
		{ "alarm offset warn -1\n", "alarm offset warn", "allowed" },
		{ "alarm offset warn 0.02\n", "thresholds must rise", "crit 0.01 is not above 0.02" },
		{ "alarm offset warn off crit off\n", "every level is off", NULL },
		{ "alarm offset clear 0.002\n", "clear 0.002 is above the lowest threshold 0.001",
		  NULL },
		{ "alarm offset minage -1\n", "alarm offset minage", "allowed" },
		{ "alarm offset window 10\n", "window applies only", "auth_failures" },
		{ "alarm offset frob 1\n", "unknown or incomplete option 'frob'",
		  "allowed: info X|off" },
		{ "alarm unsynchronised clear 0\n", "clear does not apply", "yes/no" },
		{ "alarm stratum_change clear 1\n", "clear does not apply", "transient" },
		{ "alarm stratum_change warn 16\n", "alarm stratum_change warn", "allowed" },
		{ "alarm gateway_loss warn 1.5\n", "alarm gateway_loss warn", "allowed" },
		{ "alarm replays window 0\n", "alarm replays window", "allowed" },
		{ "alarmsyslog\n", "alarmsyslog: expected one of off", "local0..local7" },
		{ "alarmsyslog kern\n", "alarmsyslog: expected one of off", "ntp" },
		{ "alarmsyslog daemon ntp\n", "alarmsyslog: expected", NULL },
	};
	struct dconf *c = *state;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (dparse(c, bad[i].text) != 1)
			fail_msg("'%s': %d errors", bad[i].text, errs.count);
		expect_derror(0, 1, bad[i].f1, bad[i].f2);
	}
	/* A refused line changes nothing, not even its valid first half. */
	assert_true(c->alarm.rule[ALARM_OFFSET].thr[1] == 1e-3);
	assert_int_equal(dparse(c, "alarm offset crit 0.5 warn 0.6\n"), 1);
	assert_true(c->alarm.rule[ALARM_OFFSET].thr[2] == 10e-3);
	/* The error line is right in a longer file; alarmsyslog once only. */
	assert_int_equal(dparse(c, "port 1\n\nalarm offset warn 2\nalarmsyslog daemon\n"
				   "alarmsyslog ntp\n"), 2);
	expect_derror(0, 3, "thresholds must rise", NULL);
	expect_derror(1, 5, "more than once", NULL);
}

/* `ptp-port` and `ptp-uds` (src/ptp/ptp_conf.c). */
static void test_dconf_ptp(void **state)
{
	struct dconf *c = *state;
	const struct ptp_port_cfg *p;

	assert_int_equal(dparse(c, "ptp-port eth0\n"
				   "ptp-port eth1 transport l2 delay p2p role slave sync-interval -3 "
				   "announce-interval 0 delayreq-interval 2 pdelayreq-interval 1 "
				   "announce-timeout 4 timestamping hardware priority1 128\n"
				   "ptp-uds /run/gnomon/ptp4l\n"), 0);
	assert_int_equal(c->ptp.n_ports, 2);
	p = &c->ptp.port[0];
	assert_string_equal(p->ifname, "eth0");
	assert_int_equal(p->transport, PTP_TR_UDP4);
	assert_int_equal(p->delay, PTP_DELAY_E2E);
	assert_int_equal(p->role, PTP_ROLE_AUTO);
	assert_int_equal(p->tsmode, PTP_TSM_SOFTWARE);
	assert_int_equal(p->log_sync, 0);
	assert_int_equal(p->log_announce, 1);
	assert_int_equal(p->announce_timeout, 3);
	assert_int_equal(p->event_port, 319);
	assert_int_equal(p->general_port, 320);
	p = &c->ptp.port[1];
	assert_int_equal(p->transport, PTP_TR_L2);
	assert_int_equal(p->delay, PTP_DELAY_P2P);
	assert_int_equal(p->role, PTP_ROLE_SLAVE);
	assert_int_equal(p->tsmode, PTP_TSM_HARDWARE);
	assert_int_equal(p->log_sync, -3);
	assert_int_equal(p->log_announce, 0);
	assert_int_equal(p->log_delayreq, 2);
	assert_int_equal(p->log_pdelay, 1);
	assert_int_equal(p->announce_timeout, 4);
	assert_int_equal(c->ptp.domain, 0);
	assert_int_equal(c->ptp.priority1, 128);
	assert_int_equal(c->ptp.priority2, 128);
	assert_string_equal(c->ptp.uds, "/run/gnomon/ptp4l");
	assert_int_equal(dparse(c, "clock phc /dev/ptp0\n"), 0);
	assert_int_equal(c->clock, CLK_KIND_PHC);
	assert_string_equal(c->clock_dev, "/dev/ptp0");
	assert_int_equal(dparse(c, "clock phc\n"), 1);
	expect_derror(0, 1, "clock phc DEVICE", NULL);
	assert_int_equal(dparse(c, "clock phc ptp0\n"), 1);
	expect_derror(0, 1, "absolute path", NULL);
	assert_int_equal(dparse(c, "clock sundial\n"), 1);
	expect_derror(0, 1, "'sundial'", "phc");
	assert_int_equal(c->ptp.servo, PTP_SERVO_CORE);
	assert_int_equal(dparse(c, "ptp-servo pi\n"), 0);
	assert_int_equal(c->ptp.servo, PTP_SERVO_PI);
	assert_int_equal(dparse(c, "ptp-servo core\n"), 0);
	assert_int_equal(c->ptp.servo, PTP_SERVO_CORE);
	assert_int_equal(dparse(c, "ptp-servo linuxptp\n"), 1);
	expect_derror(0, 1, "'linuxptp'", "core|pi");
	assert_int_equal(dparse(c, "ptp-servo\n"), 1);
	expect_derror(0, 1, "ptp-servo core|pi", NULL);
	assert_int_equal(dparse(c, "ptp-servo pi core\n"), 1);
	expect_derror(0, 1, "ptp-servo core|pi", NULL);
	assert_int_equal(dparse(c, "ptp-tc tc0 tc1 tc2 transport l2\n"), 0);
	assert_int_equal(c->ptp.tc.n, 3);
	assert_string_equal(c->ptp.tc.ifname[2], "tc2");
	assert_int_equal(c->ptp.tc.transport, PTP_TR_L2);
	assert_int_equal(dparse(c, "ptp-tc tc0 tc1\n"), 0);
	assert_int_equal(c->ptp.tc.n, 2);
	assert_int_equal(c->ptp.tc.transport, PTP_TR_UDP4);
	assert_int_equal(dparse(c, "ptp-tc tc0\n"), 1);
	expect_derror(0, 1, "at least two interfaces", NULL);
	assert_int_equal(dparse(c, "ptp-tc tc0 tc0\n"), 1);
	expect_derror(0, 1, "tc0 is given twice", NULL);
	assert_int_equal(dparse(c, "ptp-tc tc0 tc1 transport tcp\n"), 1);
	expect_derror(0, 1, "'tcp'", "udp4, udp6, l2");
	assert_int_equal(dparse(c, "ptp-port tc5\nptp-tc tc5 tc6\n"), 1);
	expect_derror(0, 2, "tc5 is already a ptp-port", NULL);
	assert_int_equal(dparse(c, "ptp-tc tc7 tc8\nptp-port tc8\n"), 1);
	expect_derror(0, 2, "tc8 is a port of the ptp-tc line", NULL);
}

static void test_dconf_ptp_errors(void **state)
{
	struct dconf *c = *state;

	assert_int_equal(dparse(c, "ptp-port eth0 domain 4 priority1 100\n"
				   "ptp-port eth1 domain 5\n"
				   "ptp-port eth0\n"
				   "ptp-port eth2 transport tcp\n"
				   "ptp-port eth2 delay e2e2\n"
				   "ptp-port eth2 role boss\n"
				   "ptp-port eth2 sync-interval 9\n"
				   "ptp-port eth2 announce-timeout 1\n"
				   "ptp-port eth2 domain 128\n"
				   "ptp-port eth2 bogus 1\n"
				   "ptp-port eth2 sync-interval\n"
				   "ptp-port 0123456789abcdefXYZ\n"
				   "ptp-port\n"
				   "ptp-uds relative/path\n"
				   "ptp-port eth2 transport l2 event-port 1319\n"
				   "ptp-port eth2 event-port 400 general-port 400\n"), 15);
	expect_derror(0, 2, "must be those of the first ptp-port line", "(4, 100, 128)");
	expect_derror(1, 3, "eth0 is already a port", NULL);
	expect_derror(2, 4, "'tcp' is not allowed", "udp4, udp6, l2");
	expect_derror(3, 5, "'e2e2'", "e2e, p2p");
	expect_derror(4, 6, "'boss'", "auto, master, slave");
	expect_derror(5, 7, "sync-interval", "-7");
	expect_derror(6, 8, "announce-timeout", NULL);
	expect_derror(7, 9, "domain", "127");
	expect_derror(8, 10, "unknown option 'bogus'", "transport udp4|udp6|l2");
	expect_derror(9, 11, "'sync-interval' needs a value", NULL);
	expect_derror(10, 12, "not an interface name", NULL);
	expect_derror(11, 13, "expected: ptp-port IFACE", NULL);
	expect_derror(12, 14, "not an absolute path", "or off");
	expect_derror(13, 15, "apply to udp4 and udp6 only", NULL);
	expect_derror(14, 16, "must differ", NULL);
	assert_int_equal(c->ptp.n_ports, 1);
}

static void test_dconf_help(void **state)
{
	static const char *const names[] = {
		"port", "bindaddress", "allow", "deny", "local", "serve-offset", "ratelimit", "kod",
		"workers", "control", "user", "clock", "log", "logfile", "loglevel", "clientlogbits",
		"coalesce", "alarm", "alarmsyslog",
	};
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	dconf_print_help(f);
	fclose(f);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strstr(buf, names[i]))
			fail_msg("help lacks '%s'", names[i]);
	free(buf);
}

/* `xleave` (RFC 9769 interleaved requests) on server and pool lines; not
 * on peer lines (symmetric interleaved mode is not implemented), and only
 * with NTP version 4. */
static void test_xleave_option(void **state)
{
	const char *good = "server 192.0.2.1 iburst xleave\npool pool.example xleave maxsources 2\n"
			   "server 192.0.2.2\n";
	const char *bad = "peer 192.0.2.3 key 1 xleave\nserver 192.0.2.4 version 3 xleave\n";
	struct dconf cfg;

	(void)state;
	dconf_init(&cfg);
	assert_int_equal(dconf_parse_buffer(&cfg, "g.conf", good, strlen(good), &errs), 0);
	assert_int_equal(cfg.n_sources, 3);
	assert_true(cfg.sources[0].opts.xleave && cfg.sources[0].opts.iburst);
	assert_true(cfg.sources[1].opts.xleave && cfg.sources[1].pool);
	assert_false(cfg.sources[2].opts.xleave);
	dconf_fini(&cfg);
	dconf_init(&cfg);
	assert_int_equal(dconf_parse_buffer(&cfg, "g.conf", bad, strlen(bad), &errs), 2);
	assert_non_null(strstr(errs.msg[0], "g.conf:1: peer: unknown or incomplete option 'xleave'"));
	assert_null(strstr(errs.msg[0], "xleave)"));
	assert_non_null(strstr(errs.msg[1], "g.conf:2: server: xleave needs version 4, not 3"));
	dconf_fini(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_xleave_option),
		cmocka_unit_test(test_typed_values),
		cmocka_unit_test(test_onoff_words),
		cmocka_unit_test(test_int_errors),
		cmocka_unit_test(test_double_errors),
		cmocka_unit_test(test_string_too_long),
		cmocka_unit_test(test_unknown_directive),
		cmocka_unit_test(test_argument_count),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_too_many_words),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_comments_and_blanks),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_line_numbers),
		cmocka_unit_test(test_buffer_length),
		cmocka_unit_test(test_many_errors),
		cmocka_unit_test(test_parse_file),
		cmocka_unit_test(test_arg_helpers),
		cmocka_unit_test_setup_teardown(test_dconf_defaults, dsetup, dteardown),
		cmocka_unit_test_setup_teardown(test_dconf_full, dsetup, dteardown),
		cmocka_unit_test_setup_teardown(test_dconf_port, dsetup, dteardown),
		cmocka_unit_test_setup_teardown(test_dconf_bindaddress, dsetup, dteardown),
		cmocka_unit_test_setup_teardown(test_dconf_allow_deny, dsetup, dteardown),
		cmocka_unit_test_setup_teardown(test_dconf_allow_all, dsetup, dteardown),
		cmocka_unit_test_setup_teardown(test_dconf_local, dsetup, dteardown),
		cmocka_unit_test_setup_teardown(test_dconf_serve_offset, dsetup, dteardown),
		cmocka_unit_test_setup_teardown(test_dconf_ratelimit, dsetup, dteardown),
		cmocka_unit_test_setup_teardown(test_dconf_broadcastclient_maxsenders, dsetup,
						dteardown),
		cmocka_unit_test_setup_teardown(test_dconf_kod_workers_loglevel, dsetup, dteardown),
		cmocka_unit_test_setup_teardown(test_dconf_leapsecmode_maxslewrate, dsetup, dteardown),
		cmocka_unit_test_setup_teardown(test_dconf_clock, dsetup, dteardown),
		cmocka_unit_test_setup_teardown(test_dconf_http, dsetup, dteardown),
		cmocka_unit_test_setup_teardown(test_dconf_audit, dsetup, dteardown),
		cmocka_unit_test_setup_teardown(test_dconf_strings, dsetup, dteardown),
		cmocka_unit_test_setup_teardown(test_dconf_error_lines, dsetup, dteardown),
		cmocka_unit_test_setup_teardown(test_dconf_unknown_lists_all, dsetup, dteardown),
		cmocka_unit_test_setup_teardown(test_dconf_coalesce, dsetup, dteardown),
		cmocka_unit_test_setup_teardown(test_dconf_alarm, dsetup, dteardown),
		cmocka_unit_test_setup_teardown(test_dconf_alarm_errors, dsetup, dteardown),
		cmocka_unit_test_setup_teardown(test_dconf_ptp, dsetup, dteardown),
		cmocka_unit_test_setup_teardown(test_dconf_ptp_errors, dsetup, dteardown),
		cmocka_unit_test(test_dconf_help),
	};

	return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
