/* prom: the Prometheus text exposition format, version 0.0.4
 * (prometheus.io/docs/instrumenting/exposition_formats), written into an
 * sbuf, and a renderer of the metrics registry (lib/metrics.h) into it.
 *
 * Served as PROM_CONTENT_TYPE: the 0.0.4 text format, not OpenMetrics,
 * whose lines differ (# EOF, counter family names without _total) and
 * which must not be labelled text/plain. Each family gets its # HELP and
 * # TYPE once, before its samples; counters must be named *_total. */
#ifndef GNOMON_PROM_H
#define GNOMON_PROM_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/metrics.h"
#include "lib/sbuf.h"

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

enum prom_type { PROM_COUNTER, PROM_GAUGE, PROM_UNTYPED };

struct prom_out {
	struct sbuf *b;
	bool in_family;
	char family[64];
	char **seen;		/* family names written, to refuse a second # TYPE */
	size_t n_seen, cap_seen;
	unsigned errors;	/* families and samples refused (bad names...) */
};

void prom_init(struct prom_out *p, struct sbuf *b);
void prom_fini(struct prom_out *p);

/* Start a family: its # HELP (help may be NULL: none) and # TYPE lines.
 * 0; -EINVAL for a name Prometheus refuses or a counter not ending in
 * _total; -EEXIST when the family was already written; -ENOSPC when the
 * buffer is full. On error no line is written and samples are refused
 * until the next family. */
int prom_family(struct prom_out *p, const char *name, const char *help, enum prom_type t);
/* One sample of the current family: labels holds n name, value pairs.
 * Values are escaped and invalid UTF-8 replaced by U+FFFD. 0, -EINVAL
 * (no family, bad or repeated label name), -ENOSPC. */
int prom_sample(struct prom_out *p, double v, const char *const *labels, size_t n);

/* v as the exposition format spells it, so that it parses back to the
 * same double: NaN, +Inf, -Inf, integers without exponent up to 2^53,
 * else the shortest of %.15g..%.17g that round-trips. len >= 32. */
void prom_format_value(double v, char *buf, size_t len);

/* Write every metric of the registry: the plain metrics (one sample, no
 * labels) then the labelled families. Metrics that break the rules are
 * skipped and counted in p->errors. 0 or -ENOSPC. */
int prom_render_registry(struct prom_out *p, const struct met_registry *r);

#endif
