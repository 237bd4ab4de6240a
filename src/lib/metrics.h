/* metrics: the registry of counters and gauges every module publishes.
 *
 * A metric is a name, a help text, a kind and a reader: a function that
 * returns the current value. Hot paths keep their own per-thread counters
 * and register a reader that sums them, so counting needs no shared atomic
 * on the fast path. The registry is written at start-up and read by the
 * control socket and (later) the HTTP exporter, all on the main thread. */
#ifndef GNOMON_METRICS_H
#define GNOMON_METRICS_H

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

#endif
