/* ptp_conf: parsing of `ptp-port` lines (ptp_conf.h). */
#include <stdio.h>
#include <string.h>

#include "lib/conf.h"
#include "lib/util.h"
#include "ptp/ptp_conf.h"

#define ALLOWED "transport udp4|udp6|l2, delay e2e|p2p, domain N, role auto|master|slave, " \
	"priority1 N, priority2 N, sync-interval LOG, announce-interval LOG, " \
	"delayreq-interval LOG, pdelayreq-interval LOG, announce-timeout N, " \
	"timestamping software|hardware, event-port N, general-port N"

const char *ptp_role_name(enum ptp_role r)
{
	return r == PTP_ROLE_MASTER ? "master" : r == PTP_ROLE_SLAVE ? "slave" : "auto";
}

/* Index of word in a NULL-terminated list, or -1. */
static int word_of(const char *const *list, const char *word)
{
	int i;

	for (i = 0; list[i]; i++)
		if (!strcmp(list[i], word))
			return i;
	return -1;
}

static int pick(struct conf_ctx *ctx, const char *what, const char *word,
		const char *const *list, const char *allowed)
{
	int k = word_of(list, word);

	if (k < 0)
		conf_error(ctx, "ptp-port %s: '%s' is not allowed (allowed: %s)", what, word, allowed);
	return k;
}

/* A log2 interval: 1588-2019 §7.7.2 ranges for the default profile are
 * narrower, but linuxptp accepts -7..7 for every interval; so do we. */
static int log_interval(struct conf_ctx *ctx, const char *what, const char *s, int8_t *out)
{
	long v;

	if (conf_arg_int(ctx, what, s, -7, 7, &v))
		return -1;
	*out = (int8_t)v;
	return 0;
}

int ptp_conf_parse_port(struct conf_ctx *ctx, int argc, char **argv, struct ptp_cfg *cfg)
{
	static const char *const transports[] = { "udp4", "udp6", "l2", NULL };
	static const char *const delays[] = { "e2e", "p2p", NULL };
	static const char *const roles[] = { "auto", "master", "slave", NULL };
	static const char *const tsmodes[] = { "software", "hardware", NULL };
	struct ptp_port_cfg p;
	uint8_t domain = cfg->have_clock ? cfg->domain : 0;
	uint8_t prio1 = cfg->have_clock ? cfg->priority1 : 128;
	uint8_t prio2 = cfg->have_clock ? cfg->priority2 : 128;
	bool set_domain = false, set_p1 = false, set_p2 = false;
	long v;
	int i, k;

	if (argc < 1)
		return conf_error(ctx, "ptp-port: expected: ptp-port IFACE [%s]", ALLOWED);
	if (cfg->n_ports >= PTP_MAX_PORTS)
		return conf_error(ctx, "ptp-port: at most %d ports", PTP_MAX_PORTS);
	if (strlen(argv[0]) >= IF_NAMESIZE || !argv[0][0])
		return conf_error(ctx, "ptp-port: '%s' is not an interface name (at most %d "
				  "characters)", argv[0], IF_NAMESIZE - 1);
	for (i = 0; i < cfg->n_ports; i++)
		if (!strcmp(cfg->port[i].ifname, argv[0]))
			return conf_error(ctx, "ptp-port: %s is already a port", argv[0]);
	for (i = 0; i < cfg->tc.n; i++)
		if (!strcmp(cfg->tc.ifname[i], argv[0]))
			return conf_error(ctx, "ptp-port: %s is a port of the ptp-tc line", argv[0]);
	memset(&p, 0, sizeof(p));
	snprintf(p.ifname, sizeof(p.ifname), "%s", argv[0]);
	p.transport = PTP_TR_UDP4;
	p.delay = PTP_DELAY_E2E;
	p.role = PTP_ROLE_AUTO;
	p.tsmode = PTP_TSM_SOFTWARE;
	p.log_sync = 0;
	p.log_announce = 1;
	p.log_delayreq = 0;
	p.log_pdelay = 0;
	p.announce_timeout = 3;
	p.event_port = 319;
	p.general_port = 320;
	for (i = 1; i < argc; i += 2) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!val)
			return conf_error(ctx, "ptp-port: '%s' needs a value (allowed: %s)", opt, ALLOWED);
		if (!strcmp(opt, "transport")) {
			if ((k = pick(ctx, opt, val, transports, "udp4, udp6, l2")) < 0)
				return -1;
			p.transport = (enum ptp_transport)k;
		} else if (!strcmp(opt, "delay")) {
			if ((k = pick(ctx, opt, val, delays, "e2e, p2p")) < 0)
				return -1;
			p.delay = k ? PTP_DELAY_P2P : PTP_DELAY_E2E;
		} else if (!strcmp(opt, "role")) {
			if ((k = pick(ctx, opt, val, roles, "auto, master, slave")) < 0)
				return -1;
			p.role = (enum ptp_role)k;
		} else if (!strcmp(opt, "timestamping")) {
			if ((k = pick(ctx, opt, val, tsmodes, "software, hardware")) < 0)
				return -1;
			p.tsmode = (enum ptp_tsmode)k;
		} else if (!strcmp(opt, "domain")) {
			/* §7.1 Table 2: 0..127 for the default profiles; 128..255 reserved. */
			if (conf_arg_int(ctx, "ptp-port domain", val, 0, 127, &v))
				return -1;
			domain = (uint8_t)v;
			set_domain = true;
		} else if (!strcmp(opt, "priority1") || !strcmp(opt, "priority2")) {
			if (conf_arg_int(ctx, opt[8] == '1' ? "ptp-port priority1" :
					 "ptp-port priority2", val, 0, 255, &v))
				return -1;
			if (opt[8] == '1') {
				prio1 = (uint8_t)v;
				set_p1 = true;
			} else {
				prio2 = (uint8_t)v;
				set_p2 = true;
			}
		} else if (!strcmp(opt, "sync-interval")) {
			if (log_interval(ctx, "ptp-port sync-interval", val, &p.log_sync))
				return -1;
		} else if (!strcmp(opt, "announce-interval")) {
			if (log_interval(ctx, "ptp-port announce-interval", val, &p.log_announce))
				return -1;
		} else if (!strcmp(opt, "delayreq-interval")) {
			if (log_interval(ctx, "ptp-port delayreq-interval", val, &p.log_delayreq))
				return -1;
		} else if (!strcmp(opt, "pdelayreq-interval")) {
			if (log_interval(ctx, "ptp-port pdelayreq-interval", val, &p.log_pdelay))
				return -1;
		} else if (!strcmp(opt, "announce-timeout")) {
			/* §7.7.3.1: at least 2, 3 recommended. */
			if (conf_arg_int(ctx, "ptp-port announce-timeout", val, 2, 255, &v))
				return -1;
			p.announce_timeout = (uint8_t)v;
		} else if (!strcmp(opt, "event-port") || !strcmp(opt, "general-port")) {
			if (conf_arg_int(ctx, opt[0] == 'e' ? "ptp-port event-port" :
					 "ptp-port general-port", val, 1, 65535, &v))
				return -1;
			if (opt[0] == 'e')
				p.event_port = (uint16_t)v;
			else
				p.general_port = (uint16_t)v;
		} else {
			return conf_error(ctx, "ptp-port: unknown option '%s' (allowed: %s)", opt, ALLOWED);
		}
	}
	if (p.transport == PTP_TR_L2 && (p.event_port != 319 || p.general_port != 320))
		return conf_error(ctx, "ptp-port %s: event-port and general-port apply to udp4 "
				  "and udp6 only", p.ifname);
	if (p.event_port == p.general_port)
		return conf_error(ctx, "ptp-port %s: event-port and general-port must differ",
				  p.ifname);
	/* One clock, one data set (§8.2.1): a second line may repeat the
	 * first's domain and priorities but not change them. */
	if (cfg->have_clock && ((set_domain && domain != cfg->domain) ||
				(set_p1 && prio1 != cfg->priority1) ||
				(set_p2 && prio2 != cfg->priority2)))
		return conf_error(ctx, "ptp-port %s: domain, priority1 and priority2 belong to the "
				  "clock and must be those of the first ptp-port line (%u, %u, %u)",
				  p.ifname, cfg->domain, cfg->priority1, cfg->priority2);
	cfg->domain = domain;
	cfg->priority1 = prio1;
	cfg->priority2 = prio2;
	cfg->have_clock = true;
	cfg->port[cfg->n_ports++] = p;
	return 0;
}

int ptp_conf_parse_tc(struct conf_ctx *ctx, int argc, char **argv, struct ptp_cfg *cfg)
{
	static const char *const transports[] = { "udp4", "udp6", "l2", NULL };
	struct ptp_tc_cfg *tc = &cfg->tc;
	int i, k, n = argc;

	memset(tc, 0, sizeof(*tc));
	tc->transport = PTP_TR_UDP4;
	if (argc >= 2 && !strcmp(argv[argc - 2], "transport")) {
		if ((k = pick(ctx, "transport", argv[argc - 1], transports, "udp4, udp6, l2")) < 0)
			return -1;
		tc->transport = (enum ptp_transport)k;
		n = argc - 2;
	}
	if (n < 2)
		return conf_error(ctx, "ptp-tc: expected: ptp-tc IFACE IFACE... "
				  "[transport udp4|udp6|l2] (at least two interfaces)");
	if (n > PTP_MAX_PORTS)
		return conf_error(ctx, "ptp-tc: at most %d interfaces", PTP_MAX_PORTS);
	for (i = 0; i < n; i++) {
		if (strlen(argv[i]) >= IF_NAMESIZE || !argv[i][0] || !strcmp(argv[i], "transport"))
			return conf_error(ctx, "ptp-tc: '%s' is not an interface name (at most %d "
					  "characters)", argv[i], IF_NAMESIZE - 1);
		for (k = 0; k < i; k++)
			if (!strcmp(argv[k], argv[i]))
				return conf_error(ctx, "ptp-tc: %s is given twice", argv[i]);
		for (k = 0; k < cfg->n_ports; k++)
			if (!strcmp(cfg->port[k].ifname, argv[i]))
				return conf_error(ctx, "ptp-tc: %s is already a ptp-port", argv[i]);
		snprintf(tc->ifname[i], sizeof(tc->ifname[i]), "%s", argv[i]);
	}
	tc->n = n;
	return 0;
}
