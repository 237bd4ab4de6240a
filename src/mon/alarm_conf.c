/* alarm_conf: the `alarm` and `alarmsyslog` directives (see mon/alarm.h,
 * doc/alarms.md). gnomond's directive table (prog/daemon_conf.c) calls
 * these; a line is applied only when all of it is valid. */
#include "mon/alarm.h"
#include "mon/alarm_rules.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "lib/conf.h"
#include "lib/util.h"

static const char *const level_words[ALARM_LEVELS] = { "info", "warn", "crit" };

static void names_list(char *out, size_t n)
{
	size_t len = 0;
	unsigned i;

	out[0] = '\0';
	for (i = 0; i < ALARM_COUNT && len < n; i++)
		len += (size_t)snprintf(out + len, n - len, "%s%s", i ? ", " : "",
					alarm_rules[i].name);
}

/* A threshold: "off" or a number in (0, max] (transient: a stratum
 * difference, 1..max). */
static int parse_threshold(struct conf_ctx *ctx, const struct alarm_rule_def *d,
			   const char *word, const char *s, double *out)
{
	char what[64];

	if (!strcmp(s, "off")) {
		*out = NAN;
		return 0;
	}
	snprintf(what, sizeof(what), "alarm %s %s", d->name, word);
	if (conf_arg_double(ctx, what, s, d->kind == AK_TRANSIENT ? 1 : 0, d->max, out))
		return -1;
	if (*out <= 0)
		return conf_error(ctx, "%s: must be above 0 (or off)", what);
	return 0;
}

static int check_rule(struct conf_ctx *ctx, enum alarm_id id, const struct alarm_rule_cfg *rc)
{
	const struct alarm_rule_def *d = &alarm_rules[id];
	double prev = NAN, clear;
	int l, lo = -1;

	for (l = 0; l < ALARM_LEVELS; l++) {
		if (isnan(rc->thr[l]))
			continue;
		if (lo < 0)
			lo = l;
		if (!isnan(prev) && !(rc->thr[l] > prev))
			return conf_error(ctx, "alarm %s: thresholds must rise with severity "
					  "(info < warn < crit): %s %g is not above %g", d->name,
					  level_words[l], rc->thr[l], prev);
		prev = rc->thr[l];
	}
	if (lo < 0)
		return conf_error(ctx, "alarm %s: every level is off; give info, warn or crit, "
				  "or `alarm %s off`", d->name, d->name);
	clear = alarm_rule_clear(id, rc);
	if (!isnan(rc->clear) && clear > rc->thr[lo])
		return conf_error(ctx, "alarm %s: clear %g is above the lowest threshold %g "
				  "(allowed: 0..%g)", d->name, clear, rc->thr[lo], rc->thr[lo]);
	return 0;
}

int alarm_conf_parse(struct conf_ctx *ctx, int argc, char **argv, struct alarm_cfg *cfg)
{
	const struct alarm_rule_def *d;
	struct alarm_rule_cfg rc;
	char names[320], what[64];
	enum alarm_id id;
	int i, l;

	names_list(names, sizeof(names));
	if (argc < 2)
		return conf_error(ctx, "alarm: expected: alarm NAME [info X] [warn X] [crit X] "
				  "[clear X] [minage S] [window S] [off|on] (names: %s)", names);
	id = alarm_id_from_name(argv[0]);
	if (id == ALARM_COUNT)
		return conf_error(ctx, "alarm: '%.40s' is not an alarm (allowed: %s)", argv[0],
				  names);
	d = &alarm_rules[id];
	rc = cfg->rule[id];
	for (i = 1; i < argc; i++) {
		const char *opt = argv[i];
		bool has_arg = i + 1 < argc;

		for (l = 0; l < ALARM_LEVELS; l++)
			if (!strcmp(opt, level_words[l]))
				break;
		if (l < ALARM_LEVELS && d->kind == AK_FLAG) {
			/* A yes/no alarm has one level: the word is its severity. */
			int k;

			for (k = 0; k < ALARM_LEVELS; k++)
				rc.thr[k] = k == l ? 1 : NAN;
			rc.enabled = true;
		} else if (l < ALARM_LEVELS) {
			if (!has_arg)
				return conf_error(ctx, "alarm %s %s: a threshold is needed (or off)",
						  d->name, opt);
			if (parse_threshold(ctx, d, opt, argv[++i], &rc.thr[l]))
				return -1;
		} else if (!strcmp(opt, "off")) {
			rc.enabled = false;
		} else if (!strcmp(opt, "on")) {
			rc.enabled = true;
		} else if (!strcmp(opt, "clear") && has_arg) {
			if (d->kind == AK_FLAG || d->kind == AK_TRANSIENT)
				return conf_error(ctx, "alarm %s: clear does not apply (a %s alarm "
						  "clears by minage)", d->name,
						  d->kind == AK_FLAG ? "yes/no" : "transient");
			snprintf(what, sizeof(what), "alarm %s clear", d->name);
			if (conf_arg_double(ctx, what, argv[++i], 0, d->max, &rc.clear))
				return -1;
		} else if (!strcmp(opt, "minage") && has_arg) {
			snprintf(what, sizeof(what), "alarm %s minage", d->name);
			if (conf_arg_double(ctx, what, argv[++i], 0, 86400, &rc.minage))
				return -1;
		} else if (!strcmp(opt, "window") && has_arg) {
			if (d->kind != AK_COUNTER)
				return conf_error(ctx, "alarm %s: window applies only to the counted "
						  "alarms (auth_failures, replays, journal_loss, "
						  "ratelimit_storm)", d->name);
			snprintf(what, sizeof(what), "alarm %s window", d->name);
			if (conf_arg_double(ctx, what, argv[++i], 1, 86400, &rc.window))
				return -1;
		} else {
			return conf_error(ctx, "alarm %s: unknown or incomplete option '%.40s' "
					  "(allowed: info X|off, warn X|off, crit X|off, clear X, "
					  "minage S, window S, off, on)", d->name, opt);
		}
	}
	if (check_rule(ctx, id, &rc))
		return -1;
	cfg->rule[id] = rc;
	return 0;
}

static const struct { const char *name; int fac; } facilities[] = {
	{ "user", LOG_USER }, { "mail", LOG_MAIL }, { "daemon", LOG_DAEMON },
	{ "auth", LOG_AUTH }, { "syslog", LOG_SYSLOG }, { "lpr", LOG_LPR },
	{ "news", LOG_NEWS }, { "uucp", LOG_UUCP }, { "cron", LOG_CRON },
	{ "authpriv", LOG_AUTHPRIV }, { "ftp", LOG_FTP },
	/* RFC 5424 §6.2.1 facility 12, "NTP subsystem"; glibc's <syslog.h>
	 * does not name it (reserved there), rsyslog calls it "ntp". */
	{ "ntp", 12 << 3 },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

const char *alarm_facility_name(int facility)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(facilities); i++)
		if (facilities[i].fac == facility)
			return facilities[i].name;
	return NULL;
}

int alarm_conf_parse_syslog(struct conf_ctx *ctx, int argc, char **argv, struct alarm_cfg *cfg)
{
	size_t i;

	if (argc == 1 && !strcmp(argv[0], "off")) {
		cfg->syslog_facility = ALARM_FACILITY_OFF;
		return 0;
	}
	for (i = 0; argc == 1 && i < ARRAY_LEN(facilities); i++) {
		if (!strcmp(argv[0], facilities[i].name)) {
			cfg->syslog_facility = facilities[i].fac;
			return 0;
		}
	}
	return conf_error(ctx, "alarmsyslog: expected one of off, user, mail, daemon, auth, "
			  "syslog, lpr, news, uucp, cron, authpriv, ftp, ntp, local0..local7");
}
