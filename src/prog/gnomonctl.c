/* gnomonctl: talk to gnomond's control socket, and query NTP servers. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "mon/ctl.h"
#include "prog/query.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gnomonctl [-s SOCKET] [--json] COMMAND [ARGS]\n"
		"commands:\n"
		"  serverstats                    NTP server counters\n"
		"  metrics                        every registered metric\n"
		"  query HOST [-p PORT] [-n N]    measure an NTP server (like ntpdate -q)\n"
		"options:\n"
		"  -s SOCKET   control socket (default %s)\n"
		"  -j, --json  print JSON\n", CTL_DEFAULT_PATH);
}

/* Send one request, receive one JSON reply into buf. 0 or -errno. */
static int ctl_request(const char *path, const char *req, char *buf, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { 5, 0 };
	ssize_t n;
	int fd, rc = 0;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
		rc = -errno;
		goto out;
	}
	n = recv(fd, buf, len - 1, 0);
	if (n <= 0) {
		rc = n < 0 ? -errno : -ECONNRESET;
		goto out;
	}
	buf[n] = '\0';
out:
	close(fd);
	return rc;
}

static void print_flat(json_t *obj, const char *prefix)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		char name[128];

		snprintf(name, sizeof(name), "%s%s", prefix, key);
		if (json_is_object(v)) {
			char sub[130];

			snprintf(sub, sizeof(sub), "%s.", name);
			print_flat(v, sub);
		} else if (json_is_integer(v)) {
			printf("%-28s %lld\n", name, (long long)json_integer_value(v));
		} else if (json_is_real(v)) {
			printf("%-28s %.9g\n", name, json_real_value(v));
		} else if (json_is_string(v)) {
			printf("%-28s %s\n", name, json_string_value(v));
		} else if (json_is_boolean(v)) {
			printf("%-28s %s\n", name, json_is_true(v) ? "yes" : "no");
		}
	}
}

static void print_serverstats(json_t *o)
{
	static const char *const drops[] = { "short", "bad_version", "bad_length", "oversized",
		"mode_control", "mode_private", "mode_other", "denied", "ratelimited" };
	json_t *d = json_object_get(o, "dropped"), *v = json_object_get(o, "version");
	size_t i;

#define NUM(obj, k) ((long long)json_integer_value(json_object_get((obj), (k))))
	printf("Packets received       : %lld\n", NUM(o, "received"));
	printf("Packets answered       : %lld\n", NUM(o, "answered"));
	printf("KoD RATE sent          : %lld\n", NUM(o, "kod_sent"));
	printf("Over the rate limit    : %lld\n", NUM(o, "ratelimited"));
	printf("Send errors            : %lld\n", NUM(o, "send_errors"));
	printf("Dropped\n");
	for (i = 0; i < sizeof(drops) / sizeof(drops[0]); i++)
		printf("  %-20s : %lld\n", drops[i], NUM(d, drops[i]));
	printf("Requests by version    : v1 %lld, v2 %lld, v3 %lld, v4 %lld\n",
	       NUM(v, "1"), NUM(v, "2"), NUM(v, "3"), NUM(v, "4"));
#undef NUM
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = CTL_DEFAULT_PATH;
	static char reply[CTL_MAX_REPLY + 1];
	char req[CTL_MAX_REQUEST + 1] = "";
	bool json = false;
	json_t *o;
	int opt, i, rc;

	/* '+': stop at the command so its own options are left to it. */
	while ((opt = getopt_long(argc, argv, "+s:jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 's': sock = optarg; break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[optind], "query")) {
		/* Accept --json after the command too. */
		for (i = optind + 1; i < argc; i++) {
			if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j")) {
				json = true;
				memmove(&argv[i], &argv[i + 1], (size_t)(argc - i) * sizeof(*argv));
				argc--;
				i--;
			}
		}
		return query_main(argc - optind, argv + optind, json);
	}
	for (i = optind; i < argc; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j")) {
			json = true;
			continue;
		}
		if (strlen(req) + strlen(argv[i]) + 2 > CTL_MAX_REQUEST) {
			fprintf(stderr, "gnomonctl: request too long\n");
			return 2;
		}
		if (req[0])
			strcat(req, " ");
		strcat(req, argv[i]);
	}
	rc = ctl_request(sock, req, reply, sizeof(reply));
	if (rc) {
		fprintf(stderr, "gnomonctl: %s: %s\n", sock, strerror(-rc));
		return 1;
	}
	o = json_loads(reply, 0, NULL);
	if (!o || !json_is_object(o)) {
		fprintf(stderr, "gnomonctl: malformed reply from gnomond\n");
		return 1;
	}
	if (json_object_get(o, "error")) {
		fprintf(stderr, "gnomonctl: %s\n", json_string_value(json_object_get(o, "error")));
		json_decref(o);
		return 1;
	}
	if (json)
		printf("%s\n", reply);
	else if (!strcmp(req, "serverstats"))
		print_serverstats(o);
	else
		print_flat(o, "");
	json_decref(o);
	return 0;
}
