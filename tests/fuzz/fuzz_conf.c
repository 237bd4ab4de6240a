/* Fuzz gnomond's configuration parser with arbitrary file contents. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "prog/daemon_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_errors errs;
	struct dconf cfg;
	int i, n;

	dconf_init(&cfg);
	n = dconf_parse_buffer(&cfg, "fuzz.conf", (const char *)data, size, &errs);
	/* Every recorded error names the file and a line: this one, or the
	 * key file a `keyfile` line named. */
	for (i = 0; i < n && i < CONF_MAX_ERRORS; i++) {
		size_t kl = strlen(cfg.keyfile);

		if (strncmp(errs.msg[i], "fuzz.conf:", 10) &&
		    !(kl && !strncmp(errs.msg[i], cfg.keyfile, kl) && errs.msg[i][kl] == ':'))
			__builtin_trap();
	}
	dconf_fini(&cfg);
	return 0;
}
