#include "lib/metrics.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

struct met_registry {
	struct met_entry *e;
	size_t n, cap;
};

struct met_registry *met_create(void)
{
	return xcalloc(1, sizeof(struct met_registry));
}

void met_destroy(struct met_registry *r)
{
	if (!r)
		return;
	free(r->e);
	free(r);
}

int met_register(struct met_registry *r, const char *name, const char *help,
		 enum met_kind kind, met_read_fn read, const void *ctx, uintptr_t key)
{
	struct met_entry *e;

	if (!name || !*name || strlen(name) >= sizeof(e->name) || !read)
		return -EINVAL;
	if (met_find(r, name))
		return -EEXIST;
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 32;
		r->e = xrealloc(r->e, r->cap * sizeof(*r->e));
	}
	e = &r->e[r->n++];
	memset(e, 0, sizeof(*e));
	strcpy(e->name, name);
	e->help = help;
	e->kind = kind;
	e->read = read;
	e->ctx = ctx;
	e->key = key;
	return 0;
}

size_t met_count(const struct met_registry *r)
{
	return r->n;
}

const struct met_entry *met_get(const struct met_registry *r, size_t i)
{
	return i < r->n ? &r->e[i] : NULL;
}

const struct met_entry *met_find(const struct met_registry *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->e[i].name, name))
			return &r->e[i];
	return NULL;
}

double met_value(const struct met_entry *e)
{
	return e->read(e->ctx, e->key);
}
