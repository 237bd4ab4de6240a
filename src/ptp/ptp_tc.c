/* ptp_tc: the end-to-end transparent clock (ptp_tc.h). */
#include "ptp/ptp_tc.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bytes.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/metrics.h"
#include "lib/util.h"
#include "mon/ctl.h"
#include "mon/json.h"
#include "ptp/ptp_msg.h"
#include "ptp/ptp_net.h"

/* Event messages whose Follow_Up or Delay_Resp may still come: the
 * residence time they had on the way out of each port. */
#define TC_PENDING 64
/* A Follow_Up or Delay_Resp later than this after its event message is
 * not matched (ptp_port.c drops answers later than 2 s too). */
#define TC_PENDING_NS (2 * GT_NS_PER_S)
#define CORR_OFFSET 8		/* correctionField in the header, §13.3.1 */

enum tc_drop { TC_DROP_MALFORMED, TC_DROP_NO_TIMESTAMP, TC_DROP_PEER_DELAY, TC_DROP_COUNT };
static const char *const tc_drop_name[TC_DROP_COUNT] = { "malformed", "no_timestamp",
							"peer_delay" };

struct tc_port {
	struct ptp_tc *tc;
	int index;
	char ifname[IF_NAMESIZE];
	struct ptp_net *net;
	uint64_t rx[16], fwd[16], drop[TC_DROP_COUNT];
};

struct tc_pending {
	bool used;
	uint8_t type, domain;		/* SYNC or DELAY_REQ */
	uint16_t seq;
	struct ptp_port_id source;
	gt_ns mono;
	bool have[PTP_MAX_PORTS];
	gt_ns residence[PTP_MAX_PORTS];	/* ns, on the way out of each port */
};

struct ptp_tc {
	struct ptp_tc_cfg cfg;
	struct tc_port port[PTP_MAX_PORTS];
	int n_ports;
	struct loop *loop;
	struct tc_pending pending[TC_PENDING];
	int next_pending;
	uint64_t corrected, unmatched, one_step, tx_no_ts, tx_errors;
	gt_ns last_residence, max_residence;
	double sum_residence;
	uint64_t n_residence;
};

static gt_ns mono_now(void)
{
	return gt_now(CLOCK_MONOTONIC);
}

static struct tc_pending *find_pending(struct ptp_tc *tc, uint8_t type, uint8_t domain,
				       const struct ptp_port_id *source, uint16_t seq, gt_ns mono)
{
	int i;

	for (i = 0; i < TC_PENDING; i++) {
		struct tc_pending *p = &tc->pending[i];

		if (p->used && p->type == type && p->domain == domain && p->seq == seq &&
		    ptp_port_id_eq(&p->source, source) && mono - p->mono <= TC_PENDING_NS)
			return p;
	}
	return NULL;
}

/* Add ns to the correctionField of a message in buf (big-endian, 2^-16
 * ns); a field that says "too big" (§13.3.2.9) stays so. */
static void add_correction(uint8_t *buf, gt_ns ns)
{
	int64_t c = (int64_t)get_be64(buf + CORR_OFFSET);

	if (c == INT64_MAX)
		return;
	put_be64(buf + CORR_OFFSET, (uint64_t)(c + ptp_corr_from_ns(ns)));
}

static void note_residence(struct ptp_tc *tc, gt_ns r)
{
	tc->last_residence = r;
	if (r > tc->max_residence)
		tc->max_residence = r;
	tc->sum_residence += (double)r;
	tc->n_residence++;
}

/* An event message: out of every other port, its residence on each way
 * out remembered when its time comes in a later message. */
static void forward_event(struct ptp_tc *tc, int in, const struct ptp_msg *m, const uint8_t *buf,
			  size_t len, gt_ns rx, gt_ns mono)
{
	bool remember = (m->h.type == PTP_SYNC && (m->h.flags & PTP_FLAG_TWO_STEP)) ||
		m->h.type == PTP_DELAY_REQ;
	struct tc_pending *p = &tc->pending[tc->next_pending];
	int i, rc;

	if (m->h.type == PTP_SYNC && !(m->h.flags & PTP_FLAG_TWO_STEP))
		tc->one_step++;
	if (remember) {
		memset(p, 0, sizeof(*p));
		p->used = true;
		p->type = m->h.type;
		p->domain = m->h.domain;
		p->seq = m->h.seq;
		p->source = m->h.source;
		p->mono = mono;
		tc->next_pending = (tc->next_pending + 1) % TC_PENDING;
	}
	for (i = 0; i < tc->n_ports; i++) {
		gt_ns tx = 0;

		if (i == in)
			continue;
		rc = ptp_net_send(tc->port[i].net, PTP_CH_EVENT, PTP_DST_PRIMARY, NULL, buf, len,
				  &tx);
		if (rc == -ETIME) {
			tc->tx_no_ts++;	/* sent; its Follow_Up goes out uncorrected */
		} else if (rc) {
			tc->tx_errors++;
			LOG_RL(LOG_LVL_WARN, "ptp-tc %s: cannot forward %s: %s", tc->port[i].ifname,
			       ptp_msgtype_name(m->h.type), strerror(-rc));
			continue;
		}
		tc->port[i].fwd[m->h.type & 15]++;
		if (remember && tx) {
			p->have[i] = true;
			p->residence[i] = tx - rx;
			note_residence(tc, tx - rx);
		}
	}
}

/* A general message: out of every other port; a Follow_Up or Delay_Resp
 * with the residence of its event message on that way added. */
static void forward_general(struct ptp_tc *tc, int in, const struct ptp_msg *m,
			    const uint8_t *buf, size_t len, gt_ns mono)
{
	const struct tc_pending *p = NULL;
	uint8_t out[PTP_MAX_MSG];
	int i, rc;

	if (m->h.type == PTP_FOLLOW_UP)
		p = find_pending(tc, PTP_SYNC, m->h.domain, &m->h.source, m->h.seq, mono);
	else if (m->h.type == PTP_DELAY_RESP)
		p = find_pending(tc, PTP_DELAY_REQ, m->h.domain, &m->u.resp.requesting, m->h.seq,
				 mono);
	if ((m->h.type == PTP_FOLLOW_UP || m->h.type == PTP_DELAY_RESP) && !p)
		tc->unmatched++;
	for (i = 0; i < tc->n_ports; i++) {
		if (i == in)
			continue;
		memcpy(out, buf, len);
		if (p && m->h.type == PTP_FOLLOW_UP && p->have[i]) {
			add_correction(out, p->residence[i]);	/* the Sync's way out of i */
			tc->corrected++;
		} else if (p && m->h.type == PTP_DELAY_RESP && p->have[in]) {
			/* the Delay_Req left by the port its answer came in */
			add_correction(out, p->residence[in]);
			tc->corrected++;
		}
		rc = ptp_net_send(tc->port[i].net, PTP_CH_GENERAL, PTP_DST_PRIMARY, NULL, out, len,
				  NULL);
		if (rc) {
			tc->tx_errors++;
			LOG_RL(LOG_LVL_WARN, "ptp-tc %s: cannot forward %s: %s", tc->port[i].ifname,
			       ptp_msgtype_name(m->h.type), strerror(-rc));
			continue;
		}
		tc->port[i].fwd[m->h.type & 15]++;
	}
}

static void handle(struct tc_port *tp, const uint8_t *buf, size_t len, gt_ns rx)
{
	struct ptp_tc *tc = tp->tc;
	struct ptp_msg m;
	gt_ns mono = mono_now();

	if (ptp_msg_parse(buf, len, &m)) {
		tp->drop[TC_DROP_MALFORMED]++;
		return;
	}
	tp->rx[m.h.type & 15]++;
	if (m.h.type == PTP_PDELAY_REQ || m.h.type == PTP_PDELAY_RESP ||
	    m.h.type == PTP_PDELAY_RESP_FUP) {
		tp->drop[TC_DROP_PEER_DELAY]++;
		return;
	}
	if (ptp_is_event(m.h.type)) {
		if (!rx) {
			tp->drop[TC_DROP_NO_TIMESTAMP]++;
			return;
		}
		forward_event(tc, tp->index, &m, buf, (size_t)m.h.length, rx, mono);
		return;
	}
	forward_general(tc, tp->index, &m, buf, (size_t)m.h.length, mono);
}

static void on_fd(struct tc_port *tp, enum ptp_chan ch, short revents)
{
	uint8_t buf[PTP_MAX_MSG];
	gt_ns rx;
	int k;

	if (revents & POLLERR)
		ptp_net_check_error(tp->net, ch);
	for (k = 0; k < 64; k++) {
		ssize_t n = ptp_net_recv(tp->net, ch, buf, sizeof(buf), NULL, &rx);

		if (n == -EAGAIN)
			return;
		if (n < 0) {
			if (n == -EMSGSIZE)
				tp->drop[TC_DROP_MALFORMED]++;
			continue;
		}
		handle(tp, buf, (size_t)n, rx);
	}
}

static void on_event_fd(int fd, short revents, void *arg)
{
	(void)fd;
	on_fd(arg, PTP_CH_EVENT, revents);
}

static void on_general_fd(int fd, short revents, void *arg)
{
	(void)fd;
	on_fd(arg, PTP_CH_GENERAL, revents);
}

struct ptp_tc *ptp_tc_create(const struct ptp_tc_cfg *cfg, int *err)
{
	struct ptp_tc *tc = xcalloc(1, sizeof(*tc));
	char why[256];
	int i, rc;

	tc->cfg = *cfg;
	for (i = 0; i < cfg->n; i++) {
		struct tc_port *tp = &tc->port[i];
		struct ptp_net_config nc = {
			.ifname = cfg->ifname[i],
			.transport = cfg->transport,
			.tsmode = PTP_TSM_SOFTWARE,
		};

		tp->tc = tc;
		tp->index = i;
		snprintf(tp->ifname, sizeof(tp->ifname), "%s", cfg->ifname[i]);
		why[0] = 0;
		rc = ptp_net_open(&tp->net, &nc, why, sizeof(why));
		if (rc) {
			LOG_ERR("ptp-tc %s: %s", cfg->ifname[i], why[0] ? why : strerror(-rc));
			goto fail;
		}
		tc->n_ports++;
	}
	return tc;
fail:
	for (i = 0; i < tc->n_ports; i++)
		ptp_net_close(tc->port[i].net);
	free(tc);
	*err = rc;
	return NULL;
}

static int svc_start(void *obj, struct loop *loop)
{
	struct ptp_tc *tc = obj;
	int i, k, n, rc, fds[2];
	enum ptp_chan ch[2];

	tc->loop = loop;
	for (i = 0; i < tc->n_ports; i++) {
		n = ptp_net_fds(tc->port[i].net, fds, ch);
		for (k = 0; k < n; k++) {
			rc = loop_add_fd(loop, fds[k], POLLIN, ch[k] == PTP_CH_EVENT ? on_event_fd :
					 on_general_fd, &tc->port[i]);
			if (rc)
				return rc;
		}
	}
	LOG_INFO("ptp-tc: forwarding between %d ports (%s)", tc->n_ports,
		 ptp_transport_name(tc->cfg.transport));
	return 0;
}

static int cmd_ptp(void *arg, int argc, char **argv, struct json_out *j)
{
	struct ptp_tc *tc = arg;
	int i, k;

	(void)argv;
	if (argc > 1) {
		json_str(j, "error", "expected: ptp");
		return 0;
	}
	json_obj_begin(j, "transparent_clock");
	json_str(j, "type", "e2e");
	json_str(j, "transport", ptp_transport_name(tc->cfg.transport));
	json_u64(j, "corrected", tc->corrected);
	json_u64(j, "unmatched", tc->unmatched);
	json_u64(j, "one_step_uncorrected", tc->one_step);
	json_u64(j, "tx_no_timestamp", tc->tx_no_ts);
	json_u64(j, "tx_errors", tc->tx_errors);
	json_u64(j, "residences", tc->n_residence);
	if (tc->n_residence) {
		json_double(j, "residence_last", gt_to_sec(tc->last_residence));
		json_double(j, "residence_mean", tc->sum_residence / (double)tc->n_residence * 1e-9);
		json_double(j, "residence_max", gt_to_sec(tc->max_residence));
	}
	json_obj_end(j);
	json_arr_begin(j, "ports");
	for (i = 0; i < tc->n_ports; i++) {
		const struct tc_port *tp = &tc->port[i];

		json_obj_begin(j, NULL);
		json_str(j, "interface", tp->ifname);
		json_obj_begin(j, "received");
		for (k = 0; k < 16; k++)
			if (tp->rx[k])
				json_u64(j, ptp_msgtype_name((unsigned)k), tp->rx[k]);
		json_obj_end(j);
		json_obj_begin(j, "forwarded");
		for (k = 0; k < 16; k++)
			if (tp->fwd[k])
				json_u64(j, ptp_msgtype_name((unsigned)k), tp->fwd[k]);
		json_obj_end(j);
		json_obj_begin(j, "dropped");
		for (k = 0; k < TC_DROP_COUNT; k++)
			json_u64(j, tc_drop_name[k], tp->drop[k]);
		json_obj_end(j);
		json_obj_end(j);
	}
	json_arr_end(j);
	return 0;
}

static void svc_register_ctl(void *obj, struct ctl *ctl)
{
	ctl_register(ctl, "ptp", cmd_ptp, obj);
}

static void svc_destroy(void *obj)
{
	struct ptp_tc *tc = obj;
	int i, k, n, fds[2];
	enum ptp_chan ch[2];

	if (!tc)
		return;
	for (i = 0; i < tc->n_ports; i++) {
		if (tc->loop) {
			n = ptp_net_fds(tc->port[i].net, fds, ch);
			for (k = 0; k < n; k++)
				loop_del_fd(tc->loop, fds[k]);
		}
		ptp_net_close(tc->port[i].net);
	}
	free(tc);
}

const struct service_ops ptp_tc_service = {
	.name = "ptp-tc",
	.start = svc_start,
	.register_ctl = svc_register_ctl,
	.destroy = svc_destroy,
};

/* ---- metrics ---- */

static void fam_fwd(const void *ctx, struct met_emit *em)
{
	const struct ptp_tc *tc = ctx;
	int i, k;

	for (i = 0; i < tc->n_ports; i++)
		for (k = 0; k < 16; k++)
			if (tc->port[i].fwd[k])
				met_emit(em, (double)tc->port[i].fwd[k], "port", tc->port[i].ifname,
					 "type", ptp_msgtype_name((unsigned)k), NULL);
}

static double read_corrected(const void *ctx, uintptr_t key)
{
	(void)key;
	return (double)((const struct ptp_tc *)ctx)->corrected;
}

static double read_residence(const void *ctx, uintptr_t key)
{
	const struct ptp_tc *tc = ctx;

	(void)key;
	return tc->n_residence ? tc->sum_residence / (double)tc->n_residence * 1e-9 : 0;
}

void ptp_tc_register_metrics(struct ptp_tc *tc, struct met_registry *reg)
{
	met_register_family(reg, "gnomon_ptp_tc_forwarded_total", "PTP messages the transparent "
			    "clock forwarded, by port of exit and type", MET_COUNTER, fam_fwd, tc);
	met_register(reg, "gnomon_ptp_tc_corrected_total", "Follow_Up and Delay_Resp messages "
		     "the transparent clock added a residence time to", MET_COUNTER,
		     read_corrected, tc, 0);
	met_register(reg, "gnomon_ptp_tc_residence_mean_seconds", "mean residence time of the "
		     "event messages forwarded", MET_GAUGE, read_residence, tc, 0);
}
