#include "audit/audit_target.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* RFC 1123 §2.1: letters, digits and hyphens, labels of 1..63 not
 * starting or ending with a hyphen, 253 characters in all. A dotted IPv4
 * address passes too (then inet_pton decides: 1.2.3.999 is refused). */
static bool host_name_valid(const char *h, size_t n)
{
	size_t i, label = 0;
	bool all_digits_dots = true;

	if (n == 0 || n > 253)
		return false;
	for (i = 0; i < n; i++) {
		char c = h[i];

		if (c == '.') {
			if (label == 0 || h[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return false;
		if (c == '-' && label == 0)
			return false;
		if (!(c >= '0' && c <= '9'))
			all_digits_dots = false;
		if (++label > 63)
			return false;
	}
	/* A trailing dot (the root) is allowed; a trailing hyphen is not. */
	if (h[n - 1] == '-')
		return false;
	if (all_digits_dots) {
		struct in_addr a;
		char tmp[16];

		if (n >= sizeof(tmp))
			return false;
		memcpy(tmp, h, n);
		tmp[n] = '\0';
		return inet_pton(AF_INET, tmp, &a) == 1;
	}
	return true;
}

static bool ipv6_valid(const char *h, size_t n)
{
	struct in6_addr a;
	char tmp[INET6_ADDRSTRLEN];

	if (n == 0 || n >= sizeof(tmp))
		return false;
	memcpy(tmp, h, n);
	tmp[n] = '\0';
	return inet_pton(AF_INET6, tmp, &a) == 1;
}

/* Decimal 1..65535, digits only (no sign, no spaces). */
static int parse_port(const char *p, uint16_t *port)
{
	unsigned long v = 0;
	size_t i;

	if (!p[0] || strlen(p) > 5)
		return -EINVAL;
	for (i = 0; p[i]; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int audit_target_parse(const char *s, char *host, size_t hostlen, uint16_t *port,
		       const char **why)
{
	const char *h = s, *colon, *p = NULL;
	size_t n;

	*port = 0;
	if (!s || !s[0]) {
		*why = "no target (target=ADDR[:PORT])";
		return -EINVAL;
	}
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close) {
			*why = "'[' without ']'";
			return -EINVAL;
		}
		h = s + 1;
		n = (size_t)(close - h);
		if (close[1] == ':')
			p = close + 2;
		else if (close[1]) {
			*why = "after ']' only :PORT may follow";
			return -EINVAL;
		}
		if (!ipv6_valid(h, n)) {
			*why = "not an IPv6 address in the brackets";
			return -EINVAL;
		}
	} else {
		colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':')) {
			/* Two colons or more: a bare IPv6 address, no port. */
			n = strlen(s);
			if (!ipv6_valid(s, n)) {
				*why = "not an IPv6 address (put it in brackets to add a port)";
				return -EINVAL;
			}
		} else {
			n = colon ? (size_t)(colon - s) : strlen(s);
			if (colon)
				p = colon + 1;
			if (!host_name_valid(s, n)) {
				*why = "not an IPv4 address or host name";
				return -EINVAL;
			}
		}
	}
	if (p && parse_port(p, port)) {
		*why = "the port is not a number from 1 to 65535";
		return -EINVAL;
	}
	if (n >= hostlen) {
		*why = "too long";
		return -EINVAL;
	}
	memcpy(host, h, n);
	host[n] = '\0';
	return 0;
}
