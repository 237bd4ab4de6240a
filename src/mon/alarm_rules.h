/* alarm_rules: the rule table shared by the engine (alarm.c), the
 * configuration parser (alarm_conf.c) and the writers (alarm_out.c).
 * Internal to src/mon/alarm*.c. */
#ifndef GNOMON_ALARM_RULES_H
#define GNOMON_ALARM_RULES_H

#include "mon/alarm.h"

enum alarm_kind {
	AK_LEVEL,	/* a measured value against thresholds */
	AK_FLAG,	/* yes/no: one level, threshold 1, hold 0.5 */
	AK_COUNTER,	/* events counted over the last `window` seconds */
	AK_TRANSIENT,	/* raised on a change, cleared minage later */
};

enum alarm_unit { AU_SECONDS, AU_RATIO, AU_COUNT, AU_NONE };

struct alarm_rule_def {
	const char *name;
	enum alarm_kind kind;
	enum alarm_unit unit;
	double thr[ALARM_LEVELS];	/* defaults; NAN: level off */
	double clear_ratio;		/* default hold = lowest threshold x this */
	double minage, window;
	double max;			/* largest threshold accepted in the config */
	const char *what;		/* the value in words */
	const char *on, *off;		/* AK_FLAG: raised and cleared messages */
};

extern const struct alarm_rule_def alarm_rules[ALARM_COUNT];

#endif
