#include "mon/http_mod.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef GNOMON_MODULE_DIR
#define GNOMON_MODULE_DIR "/usr/lib/gnomon"
#endif
#define MODULE "libgnomon-http.so"

static const struct http_api *try_load(const char *path, char *err, size_t len)
{
	const struct http_api *(*entry)(void);
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		snprintf(err, len, "%s", dlerror());
		return NULL;
	}
	*(void **)&entry = dlsym(h, "gnomon_http_api");
	if (!entry) {
		snprintf(err, len, "%s: no gnomon_http_api", path);
		dlclose(h);
		return NULL;
	}
	/* Never closed: its code serves until the daemon exits. */
	return entry();
}

const struct http_api *http_mod_load(char *err, size_t len)
{
	static const struct http_api *api;
	char exe[PATH_MAX], path[PATH_MAX + sizeof(MODULE)];
	ssize_t n;
	char *slash;

	if (api)
		return api;
	/* Next to the binary first: the build directory, and a test run
	 * of one build never loads another's module. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(path, sizeof(path), "%s/%s", exe, MODULE);
			if (access(path, R_OK) == 0)
				return api = try_load(path, err, len);
		}
	}
	snprintf(path, sizeof(path), "%s/%s", GNOMON_MODULE_DIR, MODULE);
	return api = try_load(path, err, len);
}
