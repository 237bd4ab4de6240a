/* acl: allow/deny lists of address prefixes (chrony `allow`/`deny`).
 * The most specific matching prefix decides; between equal prefixes the
 * later rule wins; with no match the default is deny. */
#ifndef GNOMON_ACL_H
#define GNOMON_ACL_H

#include <stdbool.h>

#include "net/addr.h"

struct acl;

struct acl *acl_create(void);
void acl_destroy(struct acl *acl);
/* Add a rule from text: "all", an address, or ADDR/PREFIX (IPv4 or IPv6).
 * Returns 0 or -EINVAL (with a reason in *why). */
int acl_add(struct acl *acl, const char *spec, bool allow, const char **why);
/* Whether a is allowed. Read-only: safe from several threads once built. */
bool acl_check(const struct acl *acl, const struct net_addr *a);
int acl_count(const struct acl *acl);
/* Reload: give live the rules of fresh (which is consumed), atomically for
 * readers in other threads (acl_add only on an acl not yet shared); the
 * old rules are freed through lib/qsbr. Main thread only. */
void acl_replace(struct acl *live, struct acl *fresh);

#endif
