#include "gw/gw_conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gw_parse_addr_port(struct conf_ctx *ctx, const char *what, const char *s,
		       struct net_addr *a, uint16_t *port)
{
	char host[64];
	const char *colon, *h = s;
	size_t hl;
	long p;

	if (*s == '[') {
		const char *end = strchr(s, ']');

		if (!end || end[1] != ':')
			goto bad;
		h = s + 1;
		hl = (size_t)(end - h);
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon)
			goto bad;
		hl = (size_t)(colon - s);
	}
	if (!hl || hl >= sizeof(host))
		goto bad;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (net_addr_parse(host, a))
		goto bad;
	if (conf_arg_int(ctx, what, colon + 1, 1, 65535, &p))
		return -1;
	*port = (uint16_t)p;
	return 0;
bad:
	conf_error(ctx, "%s: '%s' is not ADDRESS:PORT (a.b.c.d:N or [v6]:N)", what, s);
	return -1;
}

int gw_send_parse(struct conf_ctx *ctx, int argc, char **argv, struct gw_send_cfg *out)
{
	long v;
	int i;

	memset(out, 0, sizeof(*out));
	out->interval = 1;
	out->id = 1;
	if (argc < 2 || strcmp(argv[0], "to"))
		return conf_error(ctx, "gateway-send: expected: gateway-send to ADDR:PORT [bind "
				  "ADDR|IFACE] [interval SECONDS] [key ID] [correction METHOD ...]");
	if (gw_parse_addr_port(ctx, "gateway-send to", argv[1], &out->to, &out->port))
		return -1;
	for (i = 2; i < argc; i++) {
		const char *opt = argv[i];
		bool has_arg = i + 1 < argc;

		if (!strcmp(opt, "bind") && has_arg) {
			i++;
			if (!net_addr_parse(argv[i], &out->bind_addr)) {
				if (out->bind_addr.family != out->to.family)
					return conf_error(ctx, "gateway-send: bind %s is not of the "
							  "destination's address family", argv[i]);
				out->bind_is_addr = true;
			} else if (strlen(argv[i]) < sizeof(out->bind_if) && !strchr(argv[i], '/')) {
				strcpy(out->bind_if, argv[i]);
			} else {
				return conf_error(ctx, "gateway-send: bind '%s' is neither an address "
						  "nor an interface name", argv[i]);
			}
		} else if (!strcmp(opt, "interval") && has_arg) {
			if (conf_arg_double(ctx, "gateway-send interval", argv[++i], 0.01, 3600,
					    &out->interval))
				return -1;
		} else if (!strcmp(opt, "key") && has_arg) {
			if (conf_arg_int(ctx, "key", argv[++i], 1, 0xffffffffL, &v))
				return -1;
			out->key = (uint32_t)v;
		} else if (!strcmp(opt, "id") && has_arg) {
			if (conf_arg_int(ctx, "gateway-send id", argv[++i], 1, 0x7fffffffL, &v))
				return -1;
			out->id = (uint64_t)v;
		} else if (!strcmp(opt, "correction")) {
			/* The method takes the rest of the line. */
			return gw_corr_parse(ctx, argc - i - 1, argv + i + 1, &out->corr) ? -1 : 0;
		} else {
			return conf_error(ctx, "gateway-send: unknown or incomplete option '%s' "
					  "(allowed: bind ADDR|IFACE, interval SECONDS, key ID, id N, "
					  "correction METHOD ...)", opt);
		}
	}
	return 0;
}

static bool is_number(const char *s)
{
	char *end;

	strtoul(s, &end, 10);
	return *s >= '0' && *s <= '9' && !*end;
}

int gw_recv_parse(struct conf_ctx *ctx, int argc, char **argv, struct gw_recv_cfg *out)
{
	long v;
	int i, k;

	memset(out, 0, sizeof(*out));
	gw_filter_default(&out->filter);
	out->silent = 3;
	out->maxloss = 10;
	out->maxage = 10;
	out->agree = GW_AGREE_DEFAULT;
	out->agreetol = (double)GW_AGREE_DEFAULT_TOL / GT_NS_PER_S;
	if (argc < 2 || strcmp(argv[0], "on"))
		return conf_error(ctx, "gateway-receive: expected: gateway-receive on ADDR:PORT "
				  "[from ADDR] [sender N] [key ID...] [noauth] [filter ...] [window N] "
				  "[silent N] [maxloss PERCENT] [maxage SECONDS] [agree N] [agreetol SECONDS]");
	if (gw_parse_addr_port(ctx, "gateway-receive on", argv[1], &out->on, &out->port))
		return -1;
	for (i = 2; i < argc; i++) {
		const char *opt = argv[i];
		bool has_arg = i + 1 < argc;

		if (!strcmp(opt, "from") && has_arg) {
			if (net_addr_parse(argv[++i], &out->from))
				return conf_error(ctx, "gateway-receive: from '%s' is not an address",
						  argv[i]);
			out->has_from = true;
		} else if (!strcmp(opt, "sender") && has_arg) {
			if (conf_arg_int(ctx, "gateway-receive sender", argv[++i], 1, 0x7fffffffL, &v))
				return -1;
			out->sender_id = (uint64_t)v;
		} else if (!strcmp(opt, "key") && has_arg) {
			while (i + 1 < argc && is_number(argv[i + 1])) {
				if (out->n_keys == GW_MAX_RECV_KEYS)
					return conf_error(ctx, "gateway-receive: at most %d keys",
							  GW_MAX_RECV_KEYS);
				if (conf_arg_int(ctx, "key", argv[++i], 1, 0xffffffffL, &v))
					return -1;
				out->keys[out->n_keys++] = (uint32_t)v;
			}
			if (!out->n_keys)
				return conf_error(ctx, "gateway-receive: key needs one or more ids");
		} else if (!strcmp(opt, "noauth")) {
			out->noauth = true;
		} else if (!strcmp(opt, "filter")) {
			k = gw_filter_parse(ctx, argc - i - 1, argv + i + 1, &out->filter);
			if (k < 0)
				return -1;
			i += k;
		} else if (!strcmp(opt, "window") && has_arg) {
			if (conf_arg_int(ctx, "window", argv[++i], 1, GW_FILTER_MAX_WINDOW, &v))
				return -1;
			out->filter.window = (int)v;
		} else if (!strcmp(opt, "silent") && has_arg) {
			if (conf_arg_int(ctx, "silent", argv[++i], 1, 1000, &v))
				return -1;
			out->silent = (int)v;
		} else if (!strcmp(opt, "maxloss") && has_arg) {
			if (conf_arg_double(ctx, "maxloss", argv[++i], 0, 100, &out->maxloss))
				return -1;
		} else if (!strcmp(opt, "maxage") && has_arg) {
			if (conf_arg_double(ctx, "maxage", argv[++i], 0.001, 86400, &out->maxage))
				return -1;
		} else if (!strcmp(opt, "agree") && has_arg) {
			if (conf_arg_int(ctx, "agree", argv[++i], 1, GW_AGREE_MAX, &v))
				return -1;
			out->agree = (int)v;
		} else if (!strcmp(opt, "agreetol") && has_arg) {
			if (conf_arg_double(ctx, "agreetol", argv[++i], 0.0001, 10, &out->agreetol))
				return -1;
		} else {
			return conf_error(ctx, "gateway-receive: unknown or incomplete option '%s' "
					  "(allowed: from ADDR, sender N, key ID..., noauth, filter min|median|"
					  "percentile P|band LO HI, window N, silent N, maxloss PERCENT, "
					  "maxage SECONDS, agree N, agreetol SECONDS)", opt);
		}
	}
	if (out->noauth && out->n_keys)
		return conf_error(ctx, "gateway-receive: 'noauth' and 'key' contradict each other");
	return 0;
}
