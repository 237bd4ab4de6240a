#include "net/acl.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/qsbr.h"
#include "lib/util.h"

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

struct acl_rule {
	struct net_addr net;
	int prefix;
	bool allow;
	int order;
};

struct acl_table {
	struct acl_rule *r;	/* sorted: longest prefix first, then latest */
	int n, cap;
};

/* The handle the server holds; acl_replace() swaps its table whole
 * (reload), so a reader loads the table once per check. */
struct acl {
	_Atomic(struct acl_table *) t;
};

struct acl *acl_create(void)
{
	struct acl *acl = xmalloc(sizeof(*acl));

	atomic_init(&acl->t, xcalloc(1, sizeof(struct acl_table)));
	return acl;
}

static void table_free(void *p)
{
	struct acl_table *t = p;

	free(t->r);
	free(t);
}

void acl_destroy(struct acl *acl)
{
	if (!acl)
		return;
	table_free(atomic_load(&acl->t));
	free(acl);
}

static struct acl_table *table_of(const struct acl *acl)
{
	return atomic_load(&((struct acl *)acl)->t);
}

void acl_replace(struct acl *live, struct acl *fresh)
{
	struct acl_table *old = atomic_exchange(&live->t, table_of(fresh));

	free(fresh);
	qsbr_retire(old, table_free);
}

int acl_count(const struct acl *acl)
{
	return table_of(acl)->n;
}

static bool prefix_match(const uint8_t *a, const uint8_t *net, int prefix)
{
	int full = prefix / 8, rest = prefix % 8;

	if (memcmp(a, net, (size_t)full))
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		return (a[full] & mask) == (net[full] & mask);
	}
	return true;
}

static int rule_cmp(const void *pa, const void *pb)
{
	const struct acl_rule *a = pa, *b = pb;

	if (a->prefix != b->prefix)
		return b->prefix - a->prefix;
	return b->order - a->order;
}

static void push(struct acl *handle, const struct net_addr *net, int prefix, bool allow)
{
	struct acl_table *acl = table_of(handle);
	struct acl_rule *r;

	if (acl->n == acl->cap) {
		acl->cap = acl->cap ? 2 * acl->cap : 8;
		acl->r = xrealloc(acl->r, (size_t)acl->cap * sizeof(*acl->r));
	}
	r = &acl->r[acl->n];
	r->net = *net;
	r->prefix = prefix;
	r->allow = allow;
	r->order = acl->n;
	acl->n++;
	qsort(acl->r, (size_t)acl->n, sizeof(*acl->r), rule_cmp);
}

int acl_add(struct acl *acl, const char *spec, bool allow, const char **why)
{
	char buf[64];
	struct net_addr net;
	const char *slash;
	long prefix;
	int maxp, i;

	*why = NULL;
	if (!strcmp(spec, "all")) {
		memset(&net, 0, sizeof(net));
		net.family = AF_INET;
		push(acl, &net, 0, allow);
		net.family = AF_INET6;
		push(acl, &net, 0, allow);
		return 0;
	}
	slash = strchr(spec, '/');
	if (strlen(spec) >= sizeof(buf)) {
		*why = "address too long";
		return -EINVAL;
	}
	strcpy(buf, spec);
	if (slash)
		buf[slash - spec] = '\0';
	if (net_addr_parse(buf, &net)) {
		*why = "not an IPv4 or IPv6 address";
		return -EINVAL;
	}
	maxp = net.family == AF_INET ? 32 : 128;
	prefix = maxp;
	if (slash) {
		const char *d = slash + 1;
		char *end;

		/* Digits only: strtol alone would take "+8", "-0" or " 8". */
		prefix = *d >= '0' && *d <= '9' ? strtol(d, &end, 10) : -1;
		if (prefix < 0 || *end || prefix > maxp) {
			*why = net.family == AF_INET ? "prefix length must be 0..32"
						     : "prefix length must be 0..128";
			return -EINVAL;
		}
	}
	/* Clients are matched with v4-mapped addresses turned into IPv4
	 * (net_addr_from_sockaddr), so a rule for ::ffff:a.b.c.d/96+n is the
	 * IPv4 rule a.b.c.d/n; written as IPv6 it could never match. */
	if (net.family == AF_INET6 && prefix >= 96 && !memcmp(net.a, v4mapped, 12)) {
		memmove(net.a, net.a + 12, 4);
		memset(net.a + 4, 0, 12);
		net.family = AF_INET;
		prefix -= 96;
		maxp = 32;
	}
	/* Clear host bits so two spellings of one network compare equal. */
	for (i = (int)prefix; i < maxp; i++)
		net.a[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
	push(acl, &net, (int)prefix, allow);
	return 0;
}

bool acl_check(const struct acl *handle, const struct net_addr *a)
{
	const struct acl_table *acl = table_of(handle);
	int i;

	for (i = 0; i < acl->n; i++) {
		const struct acl_rule *r = &acl->r[i];

		if (r->net.family == a->family && prefix_match(a->a, r->net.a, r->prefix))
			return r->allow;
	}
	return false;
}
