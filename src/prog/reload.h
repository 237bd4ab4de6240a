/* reload: re-read the configuration on SIGHUP or `gnomonctl reload`, and
 * apply what can change without a restart: the key file's keys and the
 * allow/deny access lists. The new file is parsed whole into a fresh
 * configuration first; only when it has no error are the keys and the
 * rules swapped in, each atomically for the server's worker threads
 * (auth_keys_replace, acl_replace). Any error keeps the old state and is
 * reported as file:line. Other directives need a restart: a change to
 * them is reported and not applied. */
#ifndef GNOMON_RELOAD_H
#define GNOMON_RELOAD_H

#include <stddef.h>
#include <stdint.h>

#include "prog/daemon_conf.h"

struct reload_src {
	const char *path;	/* NULL: the built-in configuration, not reloadable */
	char **extra;		/* -e lines, applied after the file */
	int n_extra;
	uint64_t fingerprint;	/* of the directives that need a restart */
};

/* Note what the running configuration was read from (at start-up). */
void reload_init(struct reload_src *r, const char *path, char **extra, int n_extra);
/* Re-read and apply to live. 0: applied (*restart_needed set when other
 * directives changed); negative: nothing changed, why holds the reason
 * (the first error as file:line: ...). */
int reload_apply(const struct reload_src *r, struct dconf *live, bool *restart_needed,
		 char *why, size_t len);

#endif
