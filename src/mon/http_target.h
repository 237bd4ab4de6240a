/* http_target: the request target of an HTTP request (RFC 9112 §3.2) split
 * into a percent-decoded path and query parameters. A pure function over a
 * buffer: the exporter's only parser of what a client sends (MHD parses
 * the request line and headers; we take the raw target from it), so it is
 * unit-tested with malformed input and fuzzed (tests/fuzz/fuzz_http_query.c). */
#ifndef GNOMON_HTTP_TARGET_H
#define GNOMON_HTTP_TARGET_H

#include <stdbool.h>
#include <stddef.h>

/* Longer targets are refused with 414; more parameters with 400. */
#define HTTP_TARGET_MAX 2048
#define HTTP_PARAMS_MAX 16

struct http_param {
	const char *key;	/* decoded, NUL-terminated, never NULL */
	const char *value;	/* decoded; "" for a key without '=' */
	bool has_value;		/* '=' was present */
};

struct http_target {
	const char *path;	/* decoded, starts with '/' */
	struct http_param params[HTTP_PARAMS_MAX];
	size_t n_params;	/* in order of appearance; keys may repeat */
	char store[HTTP_TARGET_MAX + 1];	/* the decoded strings */
};

/* Parse raw[0..len) (origin-form "/path?query", or absolute-form
 * "http://host/path?query", which servers must accept, RFC 9112 §3.2.2).
 * Percent-escapes are decoded in path, keys and values (RFC 3986 §2.1);
 * '+' means a space in the query only (application/x-www-form-urlencoded).
 * Empty pairs ("a=1&&b") are skipped.
 * Returns 0; -E2BIG when len > HTTP_TARGET_MAX; -ENOSPC with more than
 * HTTP_PARAMS_MAX parameters; -EINVAL for anything malformed: no leading
 * '/', a bad escape ("%4", "%zz"), a NUL byte raw or decoded (%00), raw
 * control, space, '#' or non-ASCII bytes. On error *t is unspecified. */
int http_target_parse(const char *raw, size_t len, struct http_target *t);

/* The value of the idx-th parameter named key (0: the first), or NULL. */
const char *http_target_param(const struct http_target *t, const char *key, size_t idx);

#endif
