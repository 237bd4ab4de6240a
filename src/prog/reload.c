#include "prog/reload.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/log.h"
#include "net/acl.h"
#include "auth/auth.h"

#define MAX_CONFIG (1 << 20)

/* The directives reload applies; every other one needs a restart. */
static bool reloadable(const char *word)
{
	return !strcmp(word, "keyfile") || !strcmp(word, "allow") || !strcmp(word, "deny");
}

static uint64_t fnv(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * UINT64_C(0x100000001b3);
	return h;
}

/* A hash of the directives that are not reloadable, as words: comments,
 * spacing and the reloadable lines do not count. */
static uint64_t fingerprint_text(uint64_t h, const char *name, const char *buf, size_t len)
{
	struct conf_errors errs = { 0 };
	struct conf_ctx ctx = { name, 0, &errs };
	char line[CONF_MAX_LINE + 1];
	size_t pos = 0;

	while (conf_next_line(&ctx, buf, len, &pos, line)) {
		char *save = NULL, *w = strtok_r(line, " \t\r", &save);

		if (!w || strchr("#;!", w[0]) || reloadable(w))
			continue;
		for (; w && !strchr("#;!", w[0]); w = strtok_r(NULL, " \t\r", &save))
			h = fnv(fnv(h, w, strlen(w)), " ", 1);
		h = fnv(h, "\n", 1);
	}
	return h;
}

static char *read_file(const char *path, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= MAX_CONFIG) {
		buf = malloc((size_t)st.st_size + 1);
		n = buf ? read(fd, buf, (size_t)st.st_size) : -1;
		if (n < 0) {
			free(buf);
			buf = NULL;
		} else {
			*len = (size_t)n;
		}
	}
	close(fd);
	return buf;
}

static uint64_t fingerprint(const struct reload_src *r)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	size_t len = 0;
	char *buf = read_file(r->path, &len);

	if (buf)
		h = fingerprint_text(h, r->path, buf, len);
	free(buf);
	for (int i = 0; i < r->n_extra; i++)
		h = fingerprint_text(h, "-e", r->extra[i], strlen(r->extra[i]));
	return h;
}

void reload_init(struct reload_src *r, const char *path, char **extra, int n_extra)
{
	r->path = path;
	r->extra = extra;
	r->n_extra = n_extra;
	r->fingerprint = path ? fingerprint(r) : 0;
}

static bool has_key(const struct auth_keys *keys, uint32_t id, bool sha256)
{
	enum auth_type t;

	return auth_key_info(keys, id, &t, NULL) && (!sha256 || t == AUTH_SHA256);
}

/* Every key the running configuration uses must be in the new key file:
 * a client, broadcast or gateway sender whose key vanished would go on
 * unsigned or silent, which is worse than keeping the old keys. */
static int check_keys_in_use(const struct dconf *live, const struct auth_keys *keys,
			     const char *path, char *why, size_t len)
{
	int i;

	for (i = 0; i < live->n_sources; i++)
		if (live->sources[i].opts.key && !has_key(keys, live->sources[i].opts.key, false))
			return snprintf(why, len, "%s: key %u, used by source %s, is not in the "
					"new key file", path, live->sources[i].opts.key,
					live->sources[i].host), -ENOKEY;
	for (i = 0; i < live->n_bcast; i++)
		if (live->bcast[i].key && !has_key(keys, live->bcast[i].key, false))
			return snprintf(why, len, "%s: key %u, used by broadcast, is not in the new "
					"key file", path, live->bcast[i].key), -ENOKEY;
	if (live->bclient && live->bclient_cfg.key && !has_key(keys, live->bclient_cfg.key, false))
		return snprintf(why, len, "%s: key %u, used by broadcastclient, is not in the new "
				"key file", path, live->bclient_cfg.key), -ENOKEY;
	for (i = 0; i < live->n_gw_send; i++)
		if (live->gw_send[i].key && !has_key(keys, live->gw_send[i].key, true))
			return snprintf(why, len, "%s: key %u, used by gateway-send, is not a SHA256 "
					"key of the new key file", path, live->gw_send[i].key), -ENOKEY;
	if (live->gw_recv_on && !live->gw_recv.noauth) {
		bool any = false;

		for (i = 0; i < live->gw_recv.n_keys && !any; i++)
			any = has_key(keys, live->gw_recv.keys[i], true);
		if (!live->gw_recv.n_keys)
			any = auth_key_ids(keys, AUTH_SHA256, NULL, 0) > 0;
		if (!any)
			return snprintf(why, len, "%s: gateway-receive would have no SHA256 key to "
					"accept in the new key file", path), -ENOKEY;
	}
	if (live->standby.enabled && !has_key(keys, live->standby.key, true))
		return snprintf(why, len, "%s: key %u, used by standby, is not a SHA256 key of "
				"the new key file", path, live->standby.key), -ENOKEY;
	return 0;
}

int reload_apply(const struct reload_src *r, struct dconf *live, bool *restart_needed,
		 char *why, size_t len)
{
	struct conf_errors errs;
	struct dconf fresh;
	int n, rc = 0;

	*restart_needed = false;
	if (!r->path) {
		snprintf(why, len, "the built-in demo configuration cannot be reloaded");
		return -EINVAL;
	}
	dconf_init(&fresh);
	n = dconf_parse_file(&fresh, r->path, &errs);
	for (int i = 0; !n && i < r->n_extra; i++)
		n = dconf_parse_buffer(&fresh, "-e", r->extra[i], strlen(r->extra[i]), &errs);
	if (n) {
		for (int i = 0; i < errs.count && i < CONF_MAX_ERRORS; i++)
			LOG_ERR("reload: %s", errs.msg[i]);
		/* The first errors in the reply: a key file's own lines come
		 * after the config line that names it. */
		snprintf(why, len, "%s", errs.count ? errs.msg[0] : "configuration errors");
		for (int i = 1; i < errs.count && i < 3; i++) {
			size_t used = strlen(why);

			snprintf(why + used, len - used, " %s", errs.msg[i]);
		}
		if (errs.count > 3) {
			size_t used = strlen(why);

			snprintf(why + used, len - used, " (and more: see the log)");
		}
		rc = -EINVAL;
		goto out;
	}
	/* The sources and services were given the key store at start-up; one
	 * that had none cannot be handed one now. */
	if (!live->keys != !fresh.keys) {
		snprintf(why, len, "%s: a keyfile was %s: that needs a restart", r->path,
			 live->keys ? "removed" : "added");
		rc = -EINVAL;
		goto out;
	}
	if (fresh.keys) {
		rc = check_keys_in_use(live, fresh.keys, fresh.keyfile, why, len);
		if (rc)
			goto out;
	}
	*restart_needed = fingerprint(r) != r->fingerprint;
	if (fresh.keys) {
		auth_keys_replace(live->keys, fresh.keys);
		fresh.keys = NULL;
		snprintf(live->keyfile, sizeof(live->keyfile), "%s", fresh.keyfile);
	}
	acl_replace(live->acl, fresh.acl);
	fresh.acl = NULL;
	snprintf(why, len, "%zu key(s), %d access rule(s)%s", auth_keys_count(live->keys),
		 acl_count(live->acl),
		 *restart_needed ? "; other directives changed: they need a restart" : "");
out:
	dconf_fini(&fresh);
	return rc;
}
