/* Unit tests for the audit's CSV device lists (audit_csv): the defaults,
 * RFC 4180 quoting, every malformed input giving FILE:LINE and what is
 * allowed, nothing returned from a bad file, and export read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "audit/audit_csv.h"

static struct conf_errors errs;

static int parse(const char *text, struct audit_device **d, size_t *n)
{
	return audit_csv_parse(text, strlen(text), "dev.csv", d, n, &errs);
}

/* The one error of a malformed file: its text must contain want. */
static void expect_error(const char *text, const char *want)
{
	struct audit_device *d = (void *)1;
	size_t n = 7;
	int rc = parse(text, &d, &n);

	if (rc < 1 || !strstr(errs.msg[0], want))
		fail_msg("input %s\nwanted an error with \"%s\", got %d: %s", text, want, rc,
			 rc ? errs.msg[0] : "(none)");
	assert_null(d);
	assert_int_equal(n, 0);
}

static void test_defaults(void **state)
{
	struct audit_device *d;
	size_t n;

	(void)state;
	assert_int_equal(parse("name,address,port,method,tolerance,group\n"
			       "sw1,192.0.2.1,,,,\n"
			       "cam,cam.example,8123,NTP,0.5,cameras\n"
			       "plc,2001:db8::1,,time,2s,\n"
			       "web,web.example,8080,http,250ms,web\n"
			       "old,198.18.0.9,,icmp,0.01,\n", &d, &n), 0);
	assert_int_equal(n, 5);
	assert_string_equal(d[0].name, "sw1");
	assert_int_equal(d[0].port, 0);
	assert_int_equal(d[0].method, AUDIT_NTP);
	assert_true(d[0].tolerance == AUDIT_DEFAULT_TOLERANCE);
	assert_string_equal(d[0].group, "");
	assert_true(d[0].enabled);
	assert_int_equal(d[1].port, 8123);
	assert_int_equal(d[1].method, AUDIT_NTP);
	assert_true(d[1].tolerance == 0.5);
	assert_string_equal(d[1].group, "cameras");
	assert_string_equal(d[2].address, "2001:db8::1");
	assert_int_equal(d[2].method, AUDIT_TIME);
	assert_true(d[2].tolerance == 2);
	assert_int_equal(d[3].method, AUDIT_HTTP);
	assert_true(d[3].tolerance == 0.25);
	assert_int_equal(d[4].method, AUDIT_ICMP);
	free(d);
}

static void test_quotes_crlf_bom_order(void **state)
{
	struct audit_device *d;
	size_t n;

	(void)state;
	/* Columns in another order, CRLF, a BOM, quoted commas, doubled
	 * quotes, a line break inside quotes, spaces, a blank line, and the
	 * optional enabled column; the last record has no line end. */
	assert_int_equal(parse("\xEF\xBB\xBF" "Group, Address ,name,enabled\r\n"
			       "\"lab, east\",10.0.0.1,\"the \"\"big\"\" one\",no\r\n"
			       "\r\n"
			       "  ,10.0.0.2 ,\"two, lines\",\r\n"
			       "x,10.0.0.3,last,YES", &d, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(d[0].group, "lab, east");
	assert_string_equal(d[0].name, "the \"big\" one");
	assert_false(d[0].enabled);
	assert_string_equal(d[1].address, "10.0.0.2");
	assert_string_equal(d[1].name, "two, lines");
	assert_true(d[1].enabled);
	assert_string_equal(d[2].name, "last");
	free(d);
	/* A header only: an empty list, no error. */
	assert_int_equal(parse("name,address\n", &d, &n), 0);
	assert_int_equal(n, 0);
	free(d);
}

static void test_malformed(void **state)
{
	(void)state;
	expect_error("", "dev.csv:1: an empty file");
	expect_error("\n\n", "an empty file");
	expect_error("address,port\n1.2.3.4,\n", "dev.csv:1: the header has no column \"name\"");
	expect_error("name,adress\nx,1.2.3.4\n", "dev.csv:1: unknown column \"adress\" in the "
		     "header (allowed: name, address, port, method, tolerance, group, enabled)");
	expect_error("name,address,name\n", "column \"name\" twice");
	expect_error("name,address,method\na,1.2.3.4,ntp\nb,1.2.3.5,snmp\n",
		     "dev.csv:3: method \"snmp\": ntp, time, http or icmp, or empty for ntp");
	expect_error("name,address,port\na,1.2.3.4,0\n", "dev.csv:2: port \"0\": an integer "
		     "1..65535");
	expect_error("name,address,port\na,1.2.3.4,65536\n", "port \"65536\"");
	expect_error("name,address,port\na,1.2.3.4,12x\n", "port \"12x\"");
	expect_error("name,address,port\na,1.2.3.4,-5\n", "port \"-5\"");
	expect_error("name,address,tolerance\na,1.2.3.4,0\n", "dev.csv:2: tolerance \"0\": "
		     "seconds above 0");
	expect_error("name,address,tolerance\na,1.2.3.4,-1\n", "tolerance \"-1\"");
	expect_error("name,address,tolerance\na,1.2.3.4,nan\n", "tolerance \"nan\"");
	expect_error("name,address,tolerance\na,1.2.3.4,1e400\n", "tolerance \"1e400\"");
	expect_error("name,address,tolerance\na,1.2.3.4,5 min\n", "tolerance \"5 min\"");
	expect_error("name,address,enabled\na,1.2.3.4,maybe\n", "enabled \"maybe\": yes or no");
	expect_error("name,address\n,1.2.3.4\n", "dev.csv:2: an empty name");
	expect_error("name,address\na,\n", "dev.csv:2: an empty address");
	expect_error("name,address\na,10.0.0.0/8\n", "without spaces, port or slash");
	expect_error("name,address,method,port\na,1.2.3.4,icmp,7\n", "ICMP has no port");
	expect_error("name,address\na,1.2.3.4,5\n", "dev.csv:2: 3 field(s), the header has 2");
	expect_error("name,address\na\n", "dev.csv:2: 1 field(s), the header has 2");
	expect_error("name,address\na\"b,1.2.3.4\n", "dev.csv:2: a quote inside an unquoted field");
	expect_error("name,address\n\"a\"b,1.2.3.4\n", "dev.csv:2: text after a closing quote");
	expect_error("name,address\nok,1.1.1.1\n\"open,1.2.3.4\nx,y\n",
		     "dev.csv:3: a quoted field is not closed");
	expect_error("name,address\na,1.2.3.4\rb,1.2.3.5\n", "carriage return");
	expect_error("name,address\na,1.2.3.4\nb,1.2.3.5\na,1.2.3.6\n",
		     "dev.csv:4: device \"a\" again (first on line 2)");
	expect_error("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q\n", "more than 16 fields");
}

/* Line numbers count physical lines, also across a quoted line break, and
 * every bad line of a file is reported, not only the first. */
static void test_lines_and_all_errors(void **state)
{
	struct audit_device *d;
	size_t n;

	(void)state;
	assert_int_equal(parse("name,address,method\n"
			       "\"multi\nline\",1.2.3.4,ntp\n"
			       "b,1.2.3.5,bogus\n"
			       "c,,ntp\n", &d, &n), 3);
	assert_null(d);
	assert_string_equal(errs.msg[0], "dev.csv:2: a name with a line break or another "
			    "control character: names are one line of text");
	assert_string_equal(errs.msg[1], "dev.csv:4: method \"bogus\": ntp, time, http or icmp, "
			    "or empty for ntp");
	assert_string_equal(errs.msg[2], "dev.csv:5: an empty address: an IP address or a host "
			    "name is needed");
}

static void test_nul_and_long(void **state)
{
	static const char withnul[] = "name,address\na\0b,1.2.3.4\n";
	struct audit_device *d;
	char big[2048];
	size_t n;

	(void)state;
	assert_int_equal(audit_csv_parse(withnul, sizeof(withnul) - 1, "dev.csv", &d, &n, &errs), 1);
	assert_non_null(strstr(errs.msg[0], "dev.csv:2: a NUL byte"));
	memset(big, 'x', sizeof(big));
	memcpy(big, "name,address\n", 13);
	big[sizeof(big) - 1] = '\0';
	expect_error(big, "dev.csv:2: a field longer than 511 bytes");
	snprintf(big, sizeof(big), "name,address\n%0200d,1.2.3.4\n", 7);
	expect_error(big, "dev.csv:2: name \"0000");
	expect_error(big, "at most 127 bytes");
}

/* What export writes, import reads back to the same list. */
static void test_roundtrip(void **state)
{
	struct audit_device in[3] = {
		{ .name = "a, \"quoted\"", .address = "192.0.2.1", .port = 0,
		  .method = AUDIT_NTP, .tolerance = 0.1, .group = " spaced ", .enabled = true },
		{ .name = "b;c", .address = "h.example", .port = 8080, .method = AUDIT_HTTP,
		  .tolerance = 1.25, .group = "", .enabled = false },
		{ .name = "t", .address = "2001:db8::5", .port = 37, .method = AUDIT_TIME,
		  .tolerance = 0.1234567890123, .group = "g", .enabled = true },
	};
	struct audit_device *out;
	char *text = NULL;
	size_t len = 0, n, i;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_int_equal(audit_csv_write_devices(f, in, 3), 0);
	fclose(f);
	assert_int_equal(audit_csv_parse(text, len, "x.csv", &out, &n, &errs), 0);
	assert_int_equal(n, 3);
	for (i = 0; i < 3; i++) {
		assert_string_equal(out[i].name, in[i].name);
		assert_string_equal(out[i].address, in[i].address);
		assert_int_equal(out[i].port, in[i].port);
		assert_int_equal(out[i].method, in[i].method);
		assert_true(out[i].tolerance == in[i].tolerance);
		assert_string_equal(out[i].group, in[i].group);
		assert_int_equal(out[i].enabled, in[i].enabled);
	}
	free(out);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_quotes_crlf_bom_order),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_lines_and_all_errors),
		cmocka_unit_test(test_nul_and_long),
		cmocka_unit_test(test_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
