/* Fuzz gnomond's configuration parser with arbitrary file contents. */
#include <math.h>
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
	/* Whatever the lines, the alarm rules stay coherent: thresholds
	 * rising with severity, at least one level, clear under the lowest. */
	for (i = 0; i < ALARM_COUNT; i++) {
		const struct alarm_rule_cfg *rc = &cfg.alarm.rule[i];
		double prev = -1, lowest = NAN;
		int l;

		for (l = 0; l < ALARM_LEVELS; l++) {
			if (isnan(rc->thr[l]))
				continue;
			if (!(rc->thr[l] > prev) || !(rc->thr[l] > 0))
				__builtin_trap();
			if (isnan(lowest))
				lowest = rc->thr[l];
			prev = rc->thr[l];
		}
		if (isnan(lowest) || !(alarm_rule_clear((enum alarm_id)i, rc) <= lowest) ||
		    !(rc->minage >= 0))
			__builtin_trap();
	}
	dconf_fini(&cfg);
	return 0;
}
