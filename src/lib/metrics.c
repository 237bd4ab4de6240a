#include "lib/metrics.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

/* One sample of a family with a fixed label set. */
struct met_fixed {
	char *lv[2 * MET_MAX_LABELS];	/* name, value, ... (owned) */
	size_t n;			/* pairs */
	met_read_fn read;
	const void *ctx;
	uintptr_t key;
};

struct met_family {
	char name[64];
	const char *help;
	enum met_kind kind;
	met_family_fn fn;		/* NULL: the fixed samples below */
	const void *ctx;
	struct met_fixed *fixed;
	size_t n_fixed, cap_fixed;
};

struct met_registry {
	struct met_entry *e;
	size_t n, cap;
	struct met_family **f;
	size_t n_f, cap_f;
};

static struct met_family *family_find(const struct met_registry *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_f; i++)
		if (!strcmp(r->f[i]->name, name))
			return r->f[i];
	return NULL;
}

struct met_registry *met_create(void)
{
	return xcalloc(1, sizeof(struct met_registry));
}

void met_destroy(struct met_registry *r)
{
	size_t i, j, k;

	if (!r)
		return;
	for (i = 0; i < r->n_f; i++) {
		for (j = 0; j < r->f[i]->n_fixed; j++)
			for (k = 0; k < 2 * r->f[i]->fixed[j].n; k++)
				free(r->f[i]->fixed[j].lv[k]);
		free(r->f[i]->fixed);
		free(r->f[i]);
	}
	free(r->f);
	free(r->e);
	free(r);
}

int met_register(struct met_registry *r, const char *name, const char *help,
		 enum met_kind kind, met_read_fn read, const void *ctx, uintptr_t key)
{
	struct met_entry *e;

	if (!name || !*name || strlen(name) >= sizeof(e->name) || !read)
		return -EINVAL;
	if (met_find(r, name) || family_find(r, name))
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

bool met_name_valid(const char *name)
{
	const char *p;

	if (!name || !*name || strlen(name) >= sizeof(((struct met_entry *)0)->name))
		return false;
	for (p = name; *p; p++) {
		char c = *p;
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			     c == ':';

		if (!alpha && !(p != name && c >= '0' && c <= '9'))
			return false;
	}
	return true;
}

bool met_label_name_valid(const char *name)
{
	if (!name || strchr(name, ':') || !strncmp(name, "__", 2))
		return false;
	return met_name_valid(name);
}

void met_emit(struct met_emit *em, double value, ...)
{
	const char *lv[2 * MET_MAX_LABELS];
	const char *k;
	size_t n = 0;
	va_list ap;

	va_start(ap, value);
	while ((k = va_arg(ap, const char *)) != NULL) {
		const char *v = va_arg(ap, const char *);

		if (n == MET_MAX_LABELS || !v) {
			va_end(ap);
			return;
		}
		lv[2 * n] = k;
		lv[2 * n + 1] = v;
		n++;
	}
	va_end(ap);
	em->sample(em, value, lv, n);
}

static struct met_family *family_add(struct met_registry *r, const char *name, const char *help,
				     enum met_kind kind)
{
	struct met_family *f = xcalloc(1, sizeof(*f));

	strcpy(f->name, name);
	f->help = help;
	f->kind = kind;
	if (r->n_f == r->cap_f) {
		r->cap_f = r->cap_f ? 2 * r->cap_f : 16;
		r->f = xrealloc(r->f, r->cap_f * sizeof(*r->f));
	}
	r->f[r->n_f++] = f;
	return f;
}

int met_register_family(struct met_registry *r, const char *name, const char *help,
			enum met_kind kind, met_family_fn fn, const void *ctx)
{
	struct met_family *f;

	if (!met_name_valid(name) || !fn)
		return -EINVAL;
	if (met_find(r, name) || family_find(r, name))
		return -EEXIST;
	f = family_add(r, name, help, kind);
	f->fn = fn;
	f->ctx = ctx;
	return 0;
}

static bool same_labels(const struct met_fixed *x, const char *const *labels, size_t n)
{
	size_t i;

	if (x->n != n)
		return false;
	for (i = 0; i < 2 * n; i++)
		if (strcmp(x->lv[i], labels[i]))
			return false;
	return true;
}

int met_register_labelled(struct met_registry *r, const char *name, const char *help,
			  enum met_kind kind, const char *const *labels,
			  met_read_fn read, const void *ctx, uintptr_t key)
{
	struct met_family *f;
	struct met_fixed *x;
	size_t n = 0, i, j;

	if (!met_name_valid(name) || !read || !labels)
		return -EINVAL;
	while (labels[2 * n]) {
		if (n == MET_MAX_LABELS || !labels[2 * n + 1] ||
		    !met_label_name_valid(labels[2 * n]))
			return -EINVAL;
		for (j = 0; j < n; j++)
			if (!strcmp(labels[2 * j], labels[2 * n]))
				return -EINVAL;
		n++;
	}
	if (met_find(r, name))
		return -EEXIST;
	f = family_find(r, name);
	if (f && f->fn)
		return -EEXIST;
	if (f && f->kind != kind)
		return -EINVAL;
	if (f)
		for (i = 0; i < f->n_fixed; i++)
			if (same_labels(&f->fixed[i], labels, n))
				return -EEXIST;
	if (!f)
		f = family_add(r, name, help, kind);
	if (f->n_fixed == f->cap_fixed) {
		f->cap_fixed = f->cap_fixed ? 2 * f->cap_fixed : 4;
		f->fixed = xrealloc(f->fixed, f->cap_fixed * sizeof(*f->fixed));
	}
	x = &f->fixed[f->n_fixed++];
	memset(x, 0, sizeof(*x));
	for (i = 0; i < 2 * n; i++)
		x->lv[i] = xstrdup(labels[i]);
	x->n = n;
	x->read = read;
	x->ctx = ctx;
	x->key = key;
	return 0;
}

size_t met_family_count(const struct met_registry *r)
{
	return r->n_f;
}

const struct met_family *met_family_get(const struct met_registry *r, size_t i)
{
	return i < r->n_f ? r->f[i] : NULL;
}

const char *met_family_name(const struct met_family *f)
{
	return f->name;
}

const char *met_family_help(const struct met_family *f)
{
	return f->help;
}

enum met_kind met_family_kind(const struct met_family *f)
{
	return f->kind;
}

void met_family_read(const struct met_family *f, struct met_emit *em)
{
	size_t i;

	if (f->fn) {
		f->fn(f->ctx, em);
		return;
	}
	for (i = 0; i < f->n_fixed; i++) {
		const struct met_fixed *x = &f->fixed[i];

		em->sample(em, x->read(x->ctx, x->key), (const char *const *)x->lv, x->n);
	}
}
