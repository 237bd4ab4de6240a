/*
 * relay_cli: the relay's command line (see relay.h and usage() below).
 * Every value is checked here; the rest of the relay trusts its options.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "relay.h"

const char *const relay_dir_name[DIR_COUNT] = { "fwd", "rev" };
const char *const relay_dist_name[DIST_COUNT] = { "uniform", "normal", "exp" };

/* ------------------------------------------------------------------------ */
/* command line */

/* "1.5ms", "500us", "200ns", "2s" (or a bare "0") into nanoseconds */
static int parse_duration(const char *s, int64_t *out)
{
	static const struct { const char *unit; double scale; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
	};
	char *end;
	double v = strtod(s, &end);

	if (end == s || !(v >= 0) || v > 1e6)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) == 0) {
			*out = llround(v * units[i].scale);
			return 0;
		}
	}
	if (*end == '\0' && v == 0) {
		*out = 0;
		return 0;
	}
	return -EINVAL;
}

static int parse_prob(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v >= 0 && v <= 1))
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_spec(const char *text, struct impair_spec *s)
{
	char *copy = strdup(text), *save = NULL;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	for (char *tok = strtok_r(copy, ",", &save); tok && !rc;
	     tok = strtok_r(NULL, ",", &save)) {
		char *val = strchr(tok, '=');
		if (!val) {
			rc = -EINVAL;
			break;
		}
		*val++ = '\0';
		if (!strcmp(tok, "delay"))
			rc = parse_duration(val, &s->delay_ns);
		else if (!strcmp(tok, "jitter"))
			rc = parse_duration(val, &s->jitter_ns);
		else if (!strcmp(tok, "reorder-delay"))
			rc = parse_duration(val, &s->reorder_delay_ns);
		else if (!strcmp(tok, "loss"))
			rc = parse_prob(val, &s->loss);
		else if (!strcmp(tok, "dup"))
			rc = parse_prob(val, &s->dup);
		else if (!strcmp(tok, "reorder"))
			rc = parse_prob(val, &s->reorder);
		else if (!strcmp(tok, "dist")) {
			rc = -EINVAL;
			for (int i = 0; i < DIST_COUNT; i++)
				if (!strcmp(val, relay_dist_name[i])) {
					s->dist = (enum dist)i;
					rc = 0;
				}
		} else {
			rc = -EINVAL;
		}
		if (rc)
			fprintf(stderr, "relay: bad spec item '%s=%s'\n", tok, val);
	}
	free(copy);
	if (rc)
		fprintf(stderr, "relay: spec is KEY=VALUE[,...]: delay=, jitter=, "
			"reorder-delay= (a number with ns/us/ms/s), dist=uniform|"
			"normal|exp, loss=, dup=, reorder= (probabilities 0..1)\n");
	return rc;
}

/* "1.2.3.4:5" or "[::1]:5" */
static int parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':');
	char *end;

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (end == colon + 1 || *end || port > 65535)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	size_t hl = strlen(host);
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
			return -EINVAL;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
		return 0;
	}
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
		return -EINVAL;
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)port);
	*len = sizeof(*a4);
	return 0;
}

void relay_format_addr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &a6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(a6->sin6_port));
	} else {
		const struct sockaddr_in *a4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &a4->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(a4->sin_port));
	}
}

/* "IFA,IFB": two distinct interface names */
static int parse_bridge(const char *s, struct relay_options *o)
{
	const char *comma = strchr(s, ',');
	size_t la = comma ? (size_t)(comma - s) : 0, lb = comma ? strlen(comma + 1) : 0;

	if (!comma || la == 0 || lb == 0 || la >= sizeof(o->bridge_if[0]) ||
	    lb >= sizeof(o->bridge_if[1]) || strchr(comma + 1, ','))
		return -EINVAL;
	memcpy(o->bridge_if[DIR_FWD], s, la);
	o->bridge_if[DIR_FWD][la] = '\0';
	memcpy(o->bridge_if[DIR_REV], comma + 1, lb + 1);
	if (strcmp(o->bridge_if[DIR_FWD], o->bridge_if[DIR_REV]) == 0)
		return -EINVAL;
	o->bridge = true;
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: relay --listen ADDR:PORT --to ADDR:PORT [--fwd SPEC] [--rev SPEC]\n"
		"       relay --bridge IFA,IFB [--fwd SPEC] [--rev SPEC] [options]\n"
		"             [--seed N] [--stats-file PATH] [--duration S] [--spin DUR]\n"
		"             [--rt-priority N] [--max-pending N] [--max-clients N]\n"
		"             [--warm DUR]\n"
		"  ADDR is an IPv4 literal or [IPv6]; --listen port 0 picks a free port.\n"
		"  SPEC: delay=DUR,jitter=DUR,dist=uniform|normal|exp,loss=P,dup=P,\n"
		"        reorder=P,reorder-delay=DUR (default 2ms); DUR like 500us.\n"
		"  fwd: client -> upstream, rev: upstream -> client; with --bridge\n"
		"        (every Ethernet frame between two interfaces) fwd: IFA -> IFB.\n"
		"  --warm DUR: DUR before each release, send a warm-up datagram out of\n"
		"        the same socket to the relay itself on loopback, so that the\n"
		"        release finds the send path in cache (UDP only).\n"
		"  --rt-priority: SCHED_FIFO priority of both threads if permitted\n"
		"        (default 1; 0 keeps SCHED_OTHER).\n"
		"  Prints 'relay: listening on ADDR:PORT' on stdout when ready and\n"
		"  stats on stderr (and as JSON to --stats-file) on exit.\n");
}

static int parse_count(const char *s, size_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (end == s || *end || v == 0 || v > (1ULL << 24))
		return -EINVAL;
	*out = (size_t)v;
	return 0;
}

int relay_parse_options(int argc, char **argv, struct relay_options *o)
{
	enum { O_LISTEN = 256, O_TO, O_BRIDGE, O_FWD, O_REV, O_SEED, O_STATS, O_DURATION,
	       O_SPIN, O_RTPRIO, O_MAXPEND, O_MAXCLIENTS, O_WARM, O_HELP };
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "to", required_argument, NULL, O_TO },
		{ "bridge", required_argument, NULL, O_BRIDGE },
		{ "fwd", required_argument, NULL, O_FWD },
		{ "rev", required_argument, NULL, O_REV },
		{ "seed", required_argument, NULL, O_SEED },
		{ "stats-file", required_argument, NULL, O_STATS },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "spin", required_argument, NULL, O_SPIN },
		{ "rt-priority", required_argument, NULL, O_RTPRIO },
		{ "max-pending", required_argument, NULL, O_MAXPEND },
		{ "max-clients", required_argument, NULL, O_MAXCLIENTS },
		{ "warm", required_argument, NULL, O_WARM },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	bool have_listen = false, have_to = false, have_seed = false;
	int c;
	char *end;

	for (int d = 0; d < DIR_COUNT; d++)
		o->spec[d].reorder_delay_ns = 2000000;
	o->max_pending = 100000;
	o->rt_priority = 1;
	o->max_flows = 1024;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int rc = 0;
		switch (c) {
		case O_LISTEN:
			rc = parse_addr(optarg, &o->listen_addr, &o->listen_len);
			have_listen = true;
			break;
		case O_TO:
			rc = parse_addr(optarg, &o->to_addr, &o->to_len);
			have_to = true;
			break;
		case O_BRIDGE:
			rc = parse_bridge(optarg, o);
			break;
		case O_FWD:
			rc = parse_spec(optarg, &o->spec[DIR_FWD]);
			break;
		case O_REV:
			rc = parse_spec(optarg, &o->spec[DIR_REV]);
			break;
		case O_SEED:
			o->seed = strtoull(optarg, &end, 0);
			rc = end == optarg || *end ? -EINVAL : 0;
			have_seed = true;
			break;
		case O_STATS:
			o->stats_file = optarg;
			break;
		case O_DURATION:
			o->duration_s = strtod(optarg, &end);
			rc = end == optarg || *end || !(o->duration_s > 0) ? -EINVAL : 0;
			break;
		case O_SPIN:
			rc = parse_duration(optarg, &o->spin_ns);
			if (!rc && o->spin_ns > SPIN_MAX_NS * 10)
				rc = -EINVAL;
			break;
		case O_RTPRIO: {
			long v = strtol(optarg, &end, 10);
			rc = end == optarg || *end || v < 0 || v > 99 ? -EINVAL : 0;
			o->rt_priority = (int)v;
			break;
		}
		case O_MAXPEND:
			rc = parse_count(optarg, &o->max_pending);
			break;
		case O_MAXCLIENTS:
			rc = parse_count(optarg, &o->max_flows);
			break;
		case O_WARM:
			rc = parse_duration(optarg, &o->warm_ns);
			if (!rc && o->warm_ns > 1000000)
				rc = -EINVAL;
			break;
		case O_HELP:
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
		if (rc) {
			fprintf(stderr, "relay: bad value for --%s: '%s'\n",
				longopts[c - O_LISTEN].name, optarg);
			return rc;
		}
	}
	if (optind != argc || (o->bridge ? have_listen || have_to : !have_listen || !have_to)) {
		usage(stderr);
		return -EINVAL;
	}
	if (o->bridge && o->warm_ns) {
		fprintf(stderr, "relay: --warm works with --listen/--to only\n");
		return -EINVAL;
	}
	if (!have_seed)
		{
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		o->seed = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^
			  ((uint64_t)getpid() << 32);
	}
	return 0;
}
