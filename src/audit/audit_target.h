/* audit_target: the `target` of gnomond's /probe request (doc/http.md),
 * ADDR[:PORT] as blackbox_exporter takes it: an IPv4 address, an IPv6
 * address (bare, or in brackets when a port follows: [::1]:123), or a
 * host name (RFC 1123 §2.1 labels), optionally followed by :PORT. A pure
 * function over outside input: unit-tested and fuzzed. */
#ifndef GNOMON_AUDIT_TARGET_H
#define GNOMON_AUDIT_TARGET_H

#include <stddef.h>
#include <stdint.h>

/* Split s into host (brackets removed, NUL-terminated, at most hostlen - 1
 * bytes) and port (0 when none is given). 0, or -EINVAL with a short
 * reason in *why (a static string). */
int audit_target_parse(const char *s, char *host, size_t hostlen, uint16_t *port,
		       const char **why);

#endif
