#include "ntp/ntp_ctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

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
}

const struct service_ops ntp_ctl_service = {
	.name = "serverstats",
	.register_ctl = register_ctl,
	.destroy = free,
};
