/* module: a part of gnomond kept in its own shared object and loaded only
 * when configured (the HTTP server, mon/http_mod.h; the audit's database
 * code, audit/audit_mod.h), so that a daemon without it carries neither
 * its code nor its libraries' resident pages.
 *
 * A module is looked for next to the gnomond binary first (the build
 * directory: a test run of one build never loads another's module), then
 * in GNOMON_MODULE_DIR. It is loaded before privileges are dropped and the
 * seccomp filter installed, and resolves the core functions it calls from
 * gnomond itself (linked with --export-dynamic). */
#ifndef GNOMON_MODULE_H
#define GNOMON_MODULE_H

#include <stddef.h>

/* Load `file` (e.g. "libgnomon-http.so") and return what its function
 * `entry` (no arguments, returning a pointer: the module's table)
 * returns; NULL with why in err. Never unloaded. */
const void *module_load(const char *file, const char *entry, char *err, size_t len);

#endif
