/* Fuzz the /probe target parser (audit/audit_target.c). What must hold
 * for any input: on success the host is NUL-terminated inside its buffer,
 * non-empty, holds no ':' unless it is an IPv6 address, and no byte a
 * name or address never has; on failure a reason is given. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit_target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), host[256];
	const char *why = NULL;
	uint16_t port = 0;
	size_t i, n;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	memset(host, 'x', sizeof(host));
	if (audit_target_parse(s, host, sizeof(host), &port, &why)) {
		if (!why)
			__builtin_trap();
		free(s);
		return 0;
	}
	if (!memchr(host, '\0', sizeof(host)))
		__builtin_trap();
	n = strlen(host);
	if (n == 0 || n > strlen(s))
		__builtin_trap();
	for (i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:",
			    host[i]))
			__builtin_trap();
	free(s);
	return 0;
}
