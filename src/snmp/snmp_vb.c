#include "snmp/snmp_vb.h"

#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

void snmp_vbl_init(struct snmp_vbl *l)
{
	memset(l, 0, sizeof(*l));
}

void snmp_vbl_free(struct snmp_vbl *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void snmp_vbl_clear(struct snmp_vbl *l)
{
	l->n = 0;
}

struct snmp_vb *snmp_vbl_add(struct snmp_vbl *l, const uint32_t *base, size_t base_len,
			     const uint32_t *tail, size_t tail_len, enum snmp_vtype type)
{
	struct snmp_vb *vb;

	if (base_len + tail_len > SNMP_OID_MAX)
		return NULL;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	vb = &l->v[l->n++];
	memset(vb, 0, offsetof(struct snmp_vb, s));
	memcpy(vb->oid, base, base_len * sizeof(*base));
	if (tail_len)
		memcpy(vb->oid + base_len, tail, tail_len * sizeof(*tail));
	vb->oid_len = base_len + tail_len;
	vb->type = type;
	return vb;
}

void snmp_vbl_add_int(struct snmp_vbl *l, const uint32_t *base, size_t blen,
		      const uint32_t *tail, size_t tlen, int64_t v)
{
	struct snmp_vb *vb = snmp_vbl_add(l, base, blen, tail, tlen, SNMP_VT_INTEGER);

	if (vb)
		vb->i = v < INT32_MIN ? INT32_MIN : v > INT32_MAX ? INT32_MAX : v;
}

void snmp_vbl_add_uns(struct snmp_vbl *l, const uint32_t *base, size_t blen,
		      const uint32_t *tail, size_t tlen, enum snmp_vtype type, uint64_t v)
{
	struct snmp_vb *vb = snmp_vbl_add(l, base, blen, tail, tlen, type);

	if (!vb)
		return;
	/* Counter32 wraps (RFC 2578 §7.1.6); Gauge32 and TimeTicks latch at
	 * their maximum (§7.1.7) rather than wrap to a small, wrong value. */
	if (type == SNMP_VT_COUNTER32)
		v &= 0xffffffffu;
	else if (type != SNMP_VT_COUNTER64 && v > 0xffffffffu)
		v = 0xffffffffu;
	vb->u = v;
}

void snmp_vbl_add_str(struct snmp_vbl *l, const uint32_t *base, size_t blen,
		      const uint32_t *tail, size_t tlen, const void *s, size_t len)
{
	struct snmp_vb *vb = snmp_vbl_add(l, base, blen, tail, tlen, SNMP_VT_OCTETS);

	if (!vb)
		return;
	vb->slen = len < SNMP_VB_STR ? len : SNMP_VB_STR;
	if (vb->slen)
		memcpy(vb->s, s, vb->slen);
}

int snmp_oid_cmp(const uint32_t *a, size_t alen, const uint32_t *b, size_t blen)
{
	size_t i, n = alen < blen ? alen : blen;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}

static int vb_cmp(const void *x, const void *y)
{
	const struct snmp_vb *a = x, *b = y;

	return snmp_oid_cmp(a->oid, a->oid_len, b->oid, b->oid_len);
}

void snmp_vbl_sort(struct snmp_vbl *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), vb_cmp);
}

/* Index of the first instance >= oid (or > oid when strict). */
static size_t lower_bound(const struct snmp_vbl *l, const uint32_t *oid, size_t len, bool strict)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = snmp_oid_cmp(l->v[mid].oid, l->v[mid].oid_len, oid, len);

		if (c < 0 || (strict && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct snmp_vb *snmp_vbl_get(const struct snmp_vbl *l, const uint32_t *oid, size_t len)
{
	size_t i = lower_bound(l, oid, len, false);

	if (i < l->n && !snmp_oid_cmp(l->v[i].oid, l->v[i].oid_len, oid, len))
		return &l->v[i];
	return NULL;
}

const struct snmp_vb *snmp_vbl_next(const struct snmp_vbl *l, const uint32_t *oid, size_t len)
{
	size_t i = lower_bound(l, oid, len, true);

	return i < l->n ? &l->v[i] : NULL;
}
