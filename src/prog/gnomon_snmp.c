/* gnomon-snmp: an AgentX subagent that serves NTPv4-MIB (RFC 5907) and
 * GNOMON-MIB for gnomond.
 *
 * Why a separate program and not a module of gnomond: net-snmp is a large
 * library that parses what the network sends (AgentX PDUs from the master,
 * and through it SNMP requests from anywhere the master listens), keeps
 * global state and reads its own configuration and MIB files. gnomond runs
 * with dropped privileges under a seccomp filter (src/prog/sandbox.c) and
 * its event loop is the NTP server's hot path. Linking net-snmp into it would
 * widen the filter (files, sockets, the library's own syscalls), put a
 * third-party parser into the process that may hold CAP_SYS_TIME, and let a
 * slow SNMP walk delay NTP replies. As a separate process, gnomon-snmp only
 * holds what `gnomonctl` holds: read access to the control socket, whose
 * replies are the same JSON gnomonctl prints. A crash or a bug in it cannot
 * move the clock or stop the NTP service, and it can be left out entirely
 * (it builds only when libsnmp-dev is present).
 *
 * It polls the control socket at most once per cache period (default 1 s),
 * so a walk costs gnomond four small requests, and reports a daemon that
 * does not answer as such (ntpEntStatusCurrentMode notRunning, gnomon
 * objects "unreachable") instead of serving old values. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mon/ctl.h"
#include "snmp/snmp_agent.h"
#include "snmp/snmp_ntp.h"

#ifndef GNOMON_VERSION
#define GNOMON_VERSION "unknown"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gnomon-snmp [-s SOCKET] [-x AGENTX] [-c MS] [-H SECONDS]\n"
		"  -s SOCKET    gnomond's control socket (default %s)\n"
		"  -x AGENTX    the master agent's AgentX socket (default net-snmp's,\n"
		"               /var/agentx/master); tcp:HOST:PORT also works\n"
		"  -c MS        serve one poll of gnomond for MS milliseconds (default 1000)\n"
		"  -H SECONDS   ntpEntHeartbeatInterval (default 60; 0: one heartbeat only)\n"
		"  -N LIST      disable notifications: comma-separated RFC 5907 numbers 1-8\n"
		"  -V           print the version\n", CTL_DEFAULT_PATH);
}

static long number(const char *s, long min, long max, const char *what)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < min || v > max) {
		fprintf(stderr, "gnomon-snmp: %s must be %ld..%ld, not \"%s\"\n", what, min, max, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct snmp_agent_cfg cfg = {
		.ctl_path = CTL_DEFAULT_PATH,
		.cache_ms = 1000,
		.timeout_ms = 500,
		.heartbeat = 60,
		/* every notification on (bits 1..8) */
		.notif_bits = 0x1fe,
		.version = "gnomon " GNOMON_VERSION,
	};
	int opt;

	while ((opt = getopt(argc, argv, "s:x:c:H:N:Vh")) != -1) {
		switch (opt) {
		case 's': cfg.ctl_path = optarg; break;
		case 'x': cfg.agentx = optarg; break;
		case 'c': cfg.cache_ms = (int)number(optarg, 0, 60000, "-c"); break;
		case 'H': cfg.heartbeat = (uint32_t)number(optarg, 0, 86400, "-H"); break;
		case 'N': {
			char *list = strdup(optarg), *tok, *save = NULL;

			if (!list)
				return 1;
			for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
				cfg.notif_bits &= (uint16_t)~(1u << number(tok, 1, 8, "-N"));
			free(list);
			break;
		}
		case 'V': printf("gnomon-snmp %s\n", GNOMON_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	return snmp_agent_run(&cfg);
}
