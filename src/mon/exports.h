/* exports: what gnomond serves over HTTP (mon/http): /metrics (the
 * registry, Prometheus text), /status (the `status` control command's
 * JSON: what gnomonctl shows), /history (mon/history's series as JSON:
 * the list, or ?series=NAME[&seconds=S][&points=P]) and the dashboard's
 * files (/ and the files of www/, built into the binary). A service
 * (lib/service.h) owning the HTTP server. */
#ifndef GNOMON_EXPORTS_H
#define GNOMON_EXPORTS_H

#include "lib/metrics.h"
#include "lib/service.h"
#include "mon/ctl.h"
#include "mon/history.h"
#include "mon/http.h"
#include "mon/http_mod.h"

struct exports;

/* Routes on http (which the exports own from now on, destroyed with
 * them); ctl, reg and h outlive them. NULL and *err on failure. */
struct exports *exports_create(const struct http_api *api, struct http_server *http,
			       struct ctl *ctl, const struct met_registry *reg, struct hist *h,
			       int *err);
extern const struct service_ops exports_service;

#endif
