/* health: one word for "can this server be trusted to serve the time now":
 * synchronised, degraded or unsynchronised, with the reason in words. It
 * is what keepalived's track_script asks (`gnomonctl health`, exit 0, 1
 * or 2) and what the hot-standby heartbeat tells the partner
 * (doc/standby.md).
 *
 * The verdict reads the clock as served (leap, stratum, root distance, the
 * age of the last correction) and the alarms active now. health_eval() is
 * a pure function of its inputs so that the thresholds are unit-tested;
 * the service gathers the inputs and answers the `health` command. */
#ifndef GNOMON_HEALTH_H
#define GNOMON_HEALTH_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/service.h"

enum health_state {
	HEALTH_SYNCED = 0,	/* the exit codes of `gnomonctl health` */
	HEALTH_DEGRADED = 1,
	HEALTH_UNSYNCED = 2,
};

struct health_cfg {
	double maxdistance;	/* s: root distance above: unsynchronised */
	double degraded;	/* s: root distance above: degraded */
	double maxage;		/* s since the last correction above: unsynchronised (0: off) */
	double degradedage;	/* s since the last correction above: degraded (0: off) */
	int alarm_sev;		/* enum alarm_sev an active alarm must reach to degrade; 0: off */
};

struct health_in {
	bool unsynced;		/* served leap 3 or stratum >= 16 */
	unsigned stratum;
	double root_distance;	/* s, as served now: delay / 2 + dispersion grown since ref time */
	double age;		/* s since the last correction; < 0: not disciplined from
				 * sources (`local stratum`), never too old */
	int worst_alarm;	/* highest enum alarm_sev among the active alarms counted */
	const char *worst_alarm_name;	/* its name, or NULL */
};

struct health_result {
	enum health_state state;
	char reason[160];
};

void health_cfg_defaults(struct health_cfg *cfg);
/* The verdict: the worst rule that holds, its reason in words. */
void health_eval(const struct health_cfg *cfg, const struct health_in *in,
		 struct health_result *out);
const char *health_state_name(enum health_state st);	/* "synchronised", ... */

struct conf_ctx;
/* `health [maxdistance S] [degraded S] [maxage S] [degradedage S]
 * [alarms critical|warning|info|off]`: applied only when the whole line is
 * valid. 0, or -EINVAL with the error recorded. */
int health_conf_parse(struct conf_ctx *ctx, int argc, char **argv, struct health_cfg *cfg);

struct sync_run;
struct alarm_feed;
struct health;
/* The `health` command over run's published clock and the feed's alarms
 * (feed NULL: none), both outliving it. */
struct health *health_create(const struct health_cfg *cfg, struct sync_run *run,
			     struct alarm_feed *feed);
/* The verdict now (also for the standby heartbeat). */
void health_now(struct health *h, struct health_result *out);
struct met_registry;
/* gnomon_health on the registry. */
void health_register_metrics(struct health *h, struct met_registry *reg);
extern const struct service_ops health_service;

#endif
