/* snmp_vb: a sorted list of MIB instances with their values, built from the
 * model on every refresh. GET is an exact lookup and GETNEXT the first
 * instance after the asked OID, so the OID order of a walk is decided here,
 * in pure code the unit tests can check, and not in the net-snmp glue. */
#ifndef GNOMON_SNMP_VB_H
#define GNOMON_SNMP_VB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SNMP_OID_MAX 24
#define SNMP_VB_STR 256

enum snmp_vtype {
	SNMP_VT_INTEGER,	/* Integer32 / enumerations / TruthValue */
	SNMP_VT_GAUGE,		/* Unsigned32 / Gauge32 */
	SNMP_VT_COUNTER32,
	SNMP_VT_COUNTER64,
	SNMP_VT_TIMETICKS,
	SNMP_VT_OCTETS,		/* OCTET STRING, DisplayString, Utf8String, InetAddress */
};

struct snmp_vb {
	uint32_t oid[SNMP_OID_MAX];
	size_t oid_len;
	enum snmp_vtype type;
	int64_t i;		/* INTEGER */
	uint64_t u;		/* the unsigned kinds */
	size_t slen;
	uint8_t s[SNMP_VB_STR];
};

struct snmp_vbl {
	struct snmp_vb *v;
	size_t n, cap;
};

void snmp_vbl_init(struct snmp_vbl *l);
void snmp_vbl_free(struct snmp_vbl *l);
void snmp_vbl_clear(struct snmp_vbl *l);

/* Append an instance: base (base_len sub-ids) followed by up to two more
 * sub-ids (sub: column, idx: row or 0 for scalars given as sub 0). An OID
 * longer than SNMP_OID_MAX is dropped (our own bug; logged by the caller's
 * tests). */
struct snmp_vb *snmp_vbl_add(struct snmp_vbl *l, const uint32_t *base, size_t base_len,
			     const uint32_t *tail, size_t tail_len, enum snmp_vtype type);
void snmp_vbl_add_int(struct snmp_vbl *l, const uint32_t *base, size_t blen,
		      const uint32_t *tail, size_t tlen, int64_t v);
void snmp_vbl_add_uns(struct snmp_vbl *l, const uint32_t *base, size_t blen,
		      const uint32_t *tail, size_t tlen, enum snmp_vtype type, uint64_t v);
void snmp_vbl_add_str(struct snmp_vbl *l, const uint32_t *base, size_t blen,
		      const uint32_t *tail, size_t tlen, const void *s, size_t len);

/* Sort by OID (after all adds). */
void snmp_vbl_sort(struct snmp_vbl *l);

/* Lexicographic OID comparison, <0, 0, >0. */
int snmp_oid_cmp(const uint32_t *a, size_t alen, const uint32_t *b, size_t blen);

/* GET: the instance equal to oid, or NULL. GETNEXT: the first instance
 * greater than oid, or NULL at the end of the list. */
const struct snmp_vb *snmp_vbl_get(const struct snmp_vbl *l, const uint32_t *oid, size_t len);
const struct snmp_vb *snmp_vbl_next(const struct snmp_vbl *l, const uint32_t *oid, size_t len);

#endif
