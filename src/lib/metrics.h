/* metrics: the registry of counters and gauges every module publishes.
 *
 * A metric is a name, a help text, a kind and a reader: a function that
 * returns the current value. Hot paths keep their own per-thread counters
 * and register a reader that sums them, so counting needs no shared atomic
 * on the fast path. The registry is written at start-up and read by the
 * control socket and (later) the HTTP exporter, all on the main thread. */
#ifndef GNOMON_METRICS_H
#define GNOMON_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum met_kind { MET_COUNTER, MET_GAUGE };

typedef double (*met_read_fn)(const void *ctx, uintptr_t key);

struct met_entry {
	char name[64];		/* Prometheus style: gnomon_ntp_server_received_total */
	const char *help;
	enum met_kind kind;
	met_read_fn read;
	const void *ctx;
	uintptr_t key;		/* passed to read, e.g. a field offset */
};

struct met_registry;

struct met_registry *met_create(void);
void met_destroy(struct met_registry *r);

/* Register a metric; name is copied. Returns 0, -EEXIST or -EINVAL. */
int met_register(struct met_registry *r, const char *name, const char *help,
		 enum met_kind kind, met_read_fn read, const void *ctx, uintptr_t key);
size_t met_count(const struct met_registry *r);
const struct met_entry *met_get(const struct met_registry *r, size_t i);
const struct met_entry *met_find(const struct met_registry *r, const char *name);
double met_value(const struct met_entry *e);

/* ---- Labelled families (additive; met_count/met_get above list only the
 * unlabelled metrics, so their callers see what they always saw) ----
 *
 * A family is one name, help and kind with samples that differ by label
 * set: gnomon_http_requests_total{code="200"}. Its samples come either from
 * a fixed set registered one by one (met_register_labelled), or from a
 * callback that emits the current samples when the family is read
 * (met_register_family): sources come and go, so their label sets are
 * only known at read time. Label names follow Prometheus
 * ([a-zA-Z_][a-zA-Z0-9_]*, not starting with "__"); values are any text. */

#define MET_MAX_LABELS 8

/* What a family callback hands its samples to; consumers (the Prometheus
 * writer, a JSON dump) embed it and recover their state with container_of.
 * labels: n pairs as name, value, name, value... */
struct met_emit {
	void (*sample)(struct met_emit *em, double value, const char *const *labels, size_t n);
};

/* Emit one sample: the variadic arguments are name, value pairs ending
 * with NULL, e.g. met_emit(em, 3, "source", "a", "mode", "client", NULL).
 * More than MET_MAX_LABELS pairs: the sample is dropped. */
void met_emit(struct met_emit *em, double value, ...) __attribute__((sentinel));

/* Produces the family's samples now (main thread, like met_read_fn). Each
 * label set at most once per call. */
typedef void (*met_family_fn)(const void *ctx, struct met_emit *em);

struct met_family;

/* Register a family read by fn. name is copied; help must outlive the
 * registry. 0, -EEXIST (the name is taken by a metric or a family) or
 * -EINVAL. */
int met_register_family(struct met_registry *r, const char *name, const char *help,
			enum met_kind kind, met_family_fn fn, const void *ctx);
/* Register one sample of a family with a fixed label set: labels holds
 * name, value pairs and ends with NULL; names and values are copied.
 * The first call creates the family; later calls with the same name add
 * samples and must give the same kind. 0, -EEXIST (the name is a plain
 * metric or a callback family, or this label set is registered), -EINVAL
 * (bad name, label name, kind differs, more than MET_MAX_LABELS pairs). */
int met_register_labelled(struct met_registry *r, const char *name, const char *help,
			  enum met_kind kind, const char *const *labels,
			  met_read_fn read, const void *ctx, uintptr_t key);

size_t met_family_count(const struct met_registry *r);
const struct met_family *met_family_get(const struct met_registry *r, size_t i);
const char *met_family_name(const struct met_family *f);
const char *met_family_help(const struct met_family *f);
enum met_kind met_family_kind(const struct met_family *f);
/* Emit every current sample of f to em. */
void met_family_read(const struct met_family *f, struct met_emit *em);

/* Prometheus name rules: metric [a-zA-Z_:][a-zA-Z0-9_:]*, label
 * [a-zA-Z_][a-zA-Z0-9_]* without the reserved "__" prefix. */
bool met_name_valid(const char *name);
bool met_label_name_valid(const char *name);

#endif
