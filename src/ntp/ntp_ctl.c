#include "ntp/ntp_ctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "net/addr.h"

struct ntp_ctl {
	struct ntp_srv *srv;
	struct ntp_bcast_srv **bsrv;
	int n_bsrv;
};

static int cmd_serverstats(void *arg, int argc, char **argv, struct json_out *j)
{
	struct ntp_ctl *d = arg;
	struct ntp_srv_stats st;
	int v;

	(void)argc;
	(void)argv;
	if (!d->srv) {
		json_str(j, "error", "the NTP server is not running (port 0)");
		return -ENOENT;
	}
	ntp_srv_get_stats(d->srv, &st);
	json_u64(j, "received", st.received);
	json_u64(j, "answered", st.verdict[NTP_V_REPLY]);
	json_u64(j, "kod_sent", st.verdict[NTP_V_KOD]);
	json_u64(j, "ratelimited", st.ratelimited);
	json_u64(j, "ratelimit_leaked", st.rl_leaked);
	json_u64(j, "interleaved", st.interleaved);
	json_u64(j, "tx_timestamps", st.txts);
	json_u64(j, "send_errors", st.send_errors);
	json_u64(j, "auth_ok", st.auth_ok);
	json_u64(j, "auth_fail", st.auth_fail);
	json_u64(j, "crypto_nak", st.verdict[NTP_V_CRYPTO_NAK]);
	json_obj_begin(j, "dropped");
	for (v = NTP_V_DROP_SHORT; v < NTP_V_COUNT; v++)
		json_u64(j, ntp_verdict_name(v), st.verdict[v]);
	json_obj_end(j);
	json_obj_begin(j, "version");
	for (v = 1; v <= 4; v++) {
		char k[2] = { (char)('0' + v), 0 };

		json_u64(j, k, st.version[v]);
	}
	json_obj_end(j);
	if (d->n_bsrv) {
		struct ntp_bcast_srv_stats bs, sum = { 0, 0 };

		for (v = 0; v < d->n_bsrv; v++) {
			ntp_bcast_srv_get_stats(d->bsrv[v], &bs);
			sum.sent += bs.sent;
			sum.send_errors += bs.send_errors;
		}
		json_obj_begin(j, "broadcast");
		json_u64(j, "sent", sum.sent);
		json_u64(j, "send_errors", sum.send_errors);
		json_obj_end(j);
	}
	return 0;
}

/* `clients [N]`: the N clients with most requests (default and most: what
 * fits a reply). */
#define CLIENTS_DEFAULT 200
#define CLIENTS_MAX 300

static int cmd_clients(void *arg, int argc, char **argv, struct json_out *j)
{
	struct ntp_ctl *d = arg;
	struct ntp_clog_client *c;
	size_t n, i, total = 0, max = CLIENTS_DEFAULT;
	gt_ns now = gt_now(CLOCK_MONOTONIC);
	char a[NET_ADDR_STRLEN], *end;
	unsigned long v;

	if (argc > 2 || (argc == 2 && ((v = strtoul(argv[1], &end, 10)) == 0 || *end ||
				       v > CLIENTS_MAX))) {
		json_str(j, "error", "usage: clients [N], N from 1 to 300");
		return -EINVAL;
	}
	if (argc == 2)
		max = v;
	if (!d->srv) {
		json_str(j, "error", "the NTP server is not running (port 0)");
		return -ENOENT;
	}
	c = xcalloc(max, sizeof(*c));
	n = ntp_srv_clients(d->srv, c, max, &total);
	json_u64(j, "total", total);
	json_arr_begin(j, "clients");
	for (i = 0; i < n; i++) {
		json_obj_begin(j, NULL);
		json_str(j, "address", net_addr_str(&c[i].addr, a, sizeof(a)));
		json_u64(j, "requests", c[i].requests);
		json_u64(j, "dropped", c[i].drops);
		json_u64(j, "kod", c[i].kods);
		/* The mean interval between its requests. */
		json_double(j, "interval", c[i].requests > 1 ?
			    gt_to_sec(c[i].last - c[i].first) / (double)(c[i].requests - 1) : -1);
		json_double(j, "last_ago", gt_to_sec(now - c[i].last));
		json_obj_end(j);
	}
	json_arr_end(j);
	free(c);
	return 0;
}

struct ntp_ctl *ntp_ctl_create(struct ntp_srv *srv, struct ntp_bcast_srv **bsrv, int n_bsrv)
{
	struct ntp_ctl *d = xcalloc(1, sizeof(*d));

	d->srv = srv;
	d->bsrv = bsrv;
	d->n_bsrv = n_bsrv;
	return d;
}

static void register_ctl(void *obj, struct ctl *ctl)
{
	ctl_register(ctl, "serverstats", cmd_serverstats, obj);
	ctl_register(ctl, "clients", cmd_clients, obj);
}

const struct service_ops ntp_ctl_service = {
	.name = "serverstats",
	.register_ctl = register_ctl,
	.destroy = free,
};
