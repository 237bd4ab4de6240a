#include "lib/module.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef GNOMON_MODULE_DIR
#define GNOMON_MODULE_DIR "/usr/lib/gnomon"
#endif

static const void *try_load(const char *path, const char *entry, char *err, size_t len)
{
	const void *(*fn)(void);
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		snprintf(err, len, "%s", dlerror());
		return NULL;
	}
	*(void **)&fn = dlsym(h, entry);
	if (!fn) {
		snprintf(err, len, "%s: no %s", path, entry);
		dlclose(h);
		return NULL;
	}
	/* Never closed: its code serves until the daemon exits. */
	return fn();
}

const void *module_load(const char *file, const char *entry, char *err, size_t len)
{
	char exe[PATH_MAX], path[PATH_MAX + 64];
	ssize_t n;
	char *slash;

	/* Next to the binary first: the build directory. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(path, sizeof(path), "%s/%s", exe, file);
			if (access(path, R_OK) == 0)
				return try_load(path, entry, err, len);
		}
	}
	snprintf(path, sizeof(path), "%s/%s", GNOMON_MODULE_DIR, file);
	return try_load(path, entry, err, len);
}
