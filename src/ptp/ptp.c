/* ptp: the PTP clock: its data sets, the state decision over its ports,
 * the samples its slave port hands the core, and what it shows (ptp.h). */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/journal.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "lib/util.h"
#include "mon/ctl.h"
#include "mon/json.h"
#include "ptp/ptp_int.h"
#include "ptp/ptp_sample.h"
#include "sync/sync.h"

/* TAI - UTC when nothing better is known (since 2017-01-01; IERS Bulletin
 * C has announced no leap second since): what ptp4l assumes too. */
#define PTP_DEFAULT_UTC_OFFSET 37
/* Samples in a row the core must leave a SLAVE port out before it falls
 * back to UNCALIBRATED (ptp_clock_sample()). */
#define PTP_FAULT_SAMPLES 4

static const char *const drop_names[PTP_DROP_COUNT] = {
	"malformed", "domain", "own", "not_parent", "state", "sequence", "no_timestamp",
	"truncated", "late",
};

const char *ptp_drop_name(enum ptp_drop d)
{
	return (unsigned)d < PTP_DROP_COUNT ? drop_names[d] : "?";
}

bool ptp_cfg_has_slave(const struct ptp_cfg *cfg)
{
	int i;

	for (i = 0; i < cfg->n_ports; i++)
		if (cfg->port[i].role != PTP_ROLE_MASTER)
			return true;
	return false;
}

/* ---- time ---- */

gt_ns ptp_clock_ptp_time(const struct ptp *p, gt_ns ts, bool hw)
{
	gt_ns t = hw ? ts : clk_from_real(p->clock, ts);

	/* We announce the PTP timescale (§7.2.1): TAI = UTC + offset. */
	return t + (gt_ns)PTP_DEFAULT_UTC_OFFSET * GT_NS_PER_S;
}

/* Whether the clock is synchronised to something other than a PTP port
 * of ours. A clock whose time came from its PTP master must not offer
 * itself as a better grandmaster than that master: the two would take
 * turns. */
static bool synced_elsewhere(const struct ptp *p, const struct clk_quality *q)
{
	struct sync_state st;

	if (q->leap == CLK_LEAP_UNSYNC || q->stratum >= 16 || q->refid == CLK_REFID_LOCAL)
		return false;
	if (!p->sync)
		return true;
	sync_get_state(p->sync, &st);
	return st.sys_peer < 0 || strcmp(sync_source_kind(p->sync, st.sys_peer), "ptp") != 0;
}

void ptp_clock_refresh(struct ptp *p)
{
	struct clk_snapshot snap;
	struct ptp_time_props_ds *tp = &p->tprops;
	bool synced;
	gt_ns now;

	clk_read_snapshot(p->pub, &snap);
	now = clk_map_apply(&snap.map, gt_now(CLOCK_REALTIME));
	synced = synced_elsewhere(p, &snap.q);
	/* §7.6.2.5 Table 4: 6 synchronised to a primary reference; 248
	 * default (free running, `local stratum`); 255 slave-only. */
	p->dds.quality.clock_class = p->dds.slave_only ? 255 : synced ? 6 : 248;
	p->dds.quality.accuracy = synced ? ptp_accuracy_of(snap.q.root_delay / 2 +
						       clk_root_disp_at(&snap.q, now)) : 0xFE;
	p->dds.quality.variance = 0xFFFF;
	if (p->slave_port >= 0)
		return;		/* the parent's time properties rule (§9.4) */
	ptp_parent_self(&p->parent, &p->dds);
	p->steps_removed = 0;
	tp->utc_offset = PTP_DEFAULT_UTC_OFFSET;
	tp->utc_offset_valid = synced;
	tp->ptp_timescale = true;
	tp->leap61 = snap.q.leap == CLK_LEAP_INS;
	tp->leap59 = snap.q.leap == CLK_LEAP_DEL;
	tp->time_traceable = tp->freq_traceable = synced;
	tp->time_source = synced ? PTP_TS_NTP : PTP_TS_INTERNAL_OSC;
}

/* The parent data set and time properties from the Announce of the
 * master a port is slave to (§9.3.5 Table 33, S1). */
static void adopt_parent(struct ptp *p, const struct ptp_foreign *f)
{
	const struct ptp_announce *a = &f->announce;
	struct ptp_time_props_ds *tp = &p->tprops;

	ptp_parent_from_announce(&p->parent, &f->sender, a);
	p->steps_removed = (uint16_t)(a->steps_removed + 1);
	tp->utc_offset = a->utc_offset;
	tp->utc_offset_valid = f->flags & PTP_FLAG_UTC_VALID;
	tp->ptp_timescale = f->flags & PTP_FLAG_TIMESCALE;
	tp->leap61 = f->flags & PTP_FLAG_LEAP61;
	tp->leap59 = f->flags & PTP_FLAG_LEAP59;
	tp->time_traceable = f->flags & PTP_FLAG_TIME_TRACEABLE;
	tp->freq_traceable = f->flags & PTP_FLAG_FREQ_TRACEABLE;
	tp->time_source = a->time_source;
	/* As ptp4l: on the PTP timescale without a valid offset, the offset
	 * we know (a master's larger one is newer). */
	if (tp->ptp_timescale && !tp->utc_offset_valid && tp->utc_offset < PTP_DEFAULT_UTC_OFFSET)
		tp->utc_offset = PTP_DEFAULT_UTC_OFFSET;
}

/* ---- the state decision (§9.3.3) ---- */

void ptp_clock_decide(struct ptp *p, gt_ns mono)
{
	struct ptp_bmc_ds erbest[PTP_MAX_PORTS], d0;
	const struct ptp_foreign *rec[PTP_MAX_PORTS];
	const struct ptp_bmc_ds *ebest = NULL;
	struct ptp_foreign_parent parent;
	int i, slave = -1;

	ptp_clock_refresh(p);
	for (i = 0; i < p->n_ports; i++) {
		struct ptp_port *pt = &p->port[i];

		pt->decision_due = false;
		rec[i] = NULL;
		if (pt->state == PTP_PS_INITIALIZING || pt->state == PTP_PS_FAULTY ||
		    pt->state == PTP_PS_DISABLED)
			continue;
		rec[i] = ptp_foreign_best(&pt->foreign, mono, ptp_interval_ns(pt->cfg.log_announce),
					  &pt->id, ptp_port_parent(pt, &parent), &erbest[i]);
		if (rec[i] && (!ebest || ptp_bmc_compare(&erbest[i], ebest) > 0))
			ebest = &erbest[i];
	}
	for (i = 0; i < p->n_ports; i++) {
		struct ptp_port *pt = &p->port[i];
		enum ptp_rs rs;
		bool new_master = false;

		if (pt->state == PTP_PS_INITIALIZING || pt->state == PTP_PS_FAULTY ||
		    pt->state == PTP_PS_DISABLED)
			continue;
		ptp_bmc_d0(&p->dds, (uint16_t)pt->number, &d0);
		rs = ptp_bmc_decide(&d0, rec[i] ? &erbest[i] : NULL, ebest,
				    pt->cfg.role == PTP_ROLE_SLAVE,
				    pt->state == PTP_PS_LISTENING);
		/* masterOnly (1588-2019 §9.2.2.2): a port that must not be slave
		 * goes PASSIVE where S1 would make it slave. */
		if (rs == PTP_RS_SLAVE && pt->cfg.role == PTP_ROLE_MASTER)
			rs = PTP_RS_PASSIVE;
		if (rs == PTP_RS_SLAVE) {
			new_master = !pt->have_parent ||
				!ptp_port_id_eq(&pt->parent, &rec[i]->sender);
			if (new_master) {
				pt->parent = rec[i]->sender;
				pt->have_parent = true;
			}
			slave = i;
			adopt_parent(p, rec[i]);
		}
		if (rs == PTP_RS_LISTENING)
			continue;
		ptp_port_event(pt, ptp_rs_event(rs), new_master);
	}
	p->slave_port = slave;
	if (slave < 0)
		ptp_clock_refresh(p);
}

void ptp_clock_port_state(struct ptp *p, struct ptp_port *pt, enum ptp_port_state old)
{
	struct journal_fields f;
	char id[40];

	pt->state_changes++;
	if (pt->have_parent)
		ptp_port_id_str(&pt->parent.clock, pt->parent.port, id, sizeof(id));
	else
		snprintf(id, sizeof(id), "-");
	LOG_INFO("ptp-port %s: %s -> %s%s%s", pt->cfg.ifname, ptp_port_state_name(old),
		 ptp_port_state_name(pt->state), pt->have_parent ? ", master " : "",
		 pt->have_parent ? id : "");
	if (!p->journal)
		return;
	journal_fields_init(&f);
	journal_field_str(&f, "port", pt->cfg.ifname);
	journal_field_str(&f, "from", ptp_port_state_name(old));
	journal_field_str(&f, "to", ptp_port_state_name(pt->state));
	journal_field_str(&f, "master", id);
	journal_event(p->journal, JOURNAL_NOTICE, "PTP_STATE", &f, "ptp-port %s: %s -> %s",
		      pt->cfg.ifname, ptp_port_state_name(old), ptp_port_state_name(pt->state));
}

/* ---- samples ---- */

void ptp_clock_sample(struct ptp *p, struct ptp_port *pt, gt_ns t1, gt_ns t2, gt_ns t3, gt_ns t4)
{
	struct sync_sample s;
	struct sync_src_info si;
	bool used;
	gt_ns mono = gt_now(CLOCK_MONOTONIC);
	const struct ptp_time_props_ds *tp = &p->tprops;
	struct ptp_gm_info gm = {
		.clock_class = p->parent.gm_quality.clock_class,
		.accuracy = p->parent.gm_quality.accuracy,
		.leap = tp->leap61 ? CLK_LEAP_INS : tp->leap59 ? CLK_LEAP_DEL : CLK_LEAP_NONE,
	};

	ptp_sample_make(t1, t2, t3, t4, &gm, &s);
	pt->last_offset = -s.offset;
	pt->last_delay = s.delay / 2;
	pt->have_measure = true;
	pt->samples++;
	if (!p->sync || pt->src < 0)
		return;
	sync_set_interval(p->sync, pt->src, pt->cfg.delay == PTP_DELAY_P2P ? pt->cfg.log_sync :
			  pt->cfg.log_delayreq);
	sync_add_sample(p->sync, pt->src, &s, mono);
	/* §9.2.5 MASTER_CLOCK_SELECTED: the port is SLAVE once the core uses
	 * it; UNCALIBRATED while it is measured but not (yet) trusted. A
	 * SLAVE falls back (SYNCHRONIZATION_FAULT) only when the core has
	 * left it out for PTP_FAULT_SAMPLES samples in a row: one exchange
	 * its estimator rejects (a delayed Sync on a loaded machine) holds
	 * the source out of one selection, which is no fault of the
	 * master's (CI saw a slave bounce through UNCALIBRATED for 1 s). */
	if (sync_get_source(p->sync, pt->src, &si))
		return;
	used = si.state == SYNC_SRC_SYSPEER || si.state == SYNC_SRC_COMBINED;
	pt->unselected_run = used || si.state == SYNC_SRC_NONE ? 0 : pt->unselected_run + 1;
	if (pt->state == PTP_PS_UNCALIBRATED && used)
		ptp_port_event(pt, PTP_EV_MASTER_CLOCK_SELECTED, false);
	else if (pt->state == PTP_PS_SLAVE && pt->unselected_run >= PTP_FAULT_SAMPLES)
		ptp_port_event(pt, PTP_EV_SYNCHRONIZATION_FAULT, false);
}

/* ---- `ptp-servo pi`: linuxptp's servo, for comparison ---- */

void ptp_clock_pi_reset(struct ptp *p)
{
	ptp_pi_reset(&p->pi);
	p->pi_state = PTP_PI_UNLOCKED;
}

/* As ptp4l: each Sync's offset with the filtered path delay (P2P: the
 * link's; E2E: the moving median of the Delay_Req exchanges), one servo
 * sample per Sync, its frequency set at once and its one step made. */
void ptp_clock_pi_sync(struct ptp *p, struct ptp_port *pt, gt_ns t1, gt_ns t2)
{
	struct ptp_pi_out out;
	gt_ns offset;
	int i, rc;

	if (!pt->have_path_delay)
		return;		/* no path delay yet */
	if (pt->master_log_sync != p->pi_log_sync) {
		p->pi_log_sync = pt->master_log_sync;
		ptp_pi_set_interval(&p->pi, ldexp(1.0, p->pi_log_sync));
	}
	offset = t2 - t1 - pt->path_delay;
	pt->last_offset = offset;
	pt->last_delay = pt->path_delay;
	pt->have_measure = true;
	pt->samples++;
	p->pi_state = ptp_pi_sample(&p->pi, offset, t2, 1.0, &out);
	if (out.step_ns) {
		rc = p->clock->ops->step(p->clock, out.step_ns);
		if (rc) {
			LOG_RL(LOG_LVL_WARN, "ptp-servo pi: clock %s refused a step of %.9f s: %s",
			       clk_name(p->clock), gt_to_sec(out.step_ns), strerror(-rc));
		} else {
			LOG_INFO("ptp-servo pi: clock stepped by %.9f s", gt_to_sec(out.step_ns));
			p->pi_steps++;
			for (i = 0; i < p->n_ports; i++)
				ptp_port_clock_stepped(&p->port[i]);
		}
	}
	rc = p->clock->ops->set_freq(p->clock, out.freq_ppb / 1e3);
	if (rc && rc != -ENOTSUP)
		LOG_RL(LOG_LVL_WARN, "ptp-servo pi: clock %s refused a frequency of %.3f ppm: %s",
		       clk_name(p->clock), out.freq_ppb / 1e3, strerror(-rc));
	else
		p->pi_freq_ppb = out.freq_ppb;
	/* ptp4l: UNCALIBRATED -> SLAVE once the servo is locked */
	if (pt->state == PTP_PS_UNCALIBRATED &&
	    (p->pi_state == PTP_PI_LOCKED || p->pi_state == PTP_PI_LOCKED_STABLE))
		ptp_port_event(pt, PTP_EV_MASTER_CLOCK_SELECTED, false);
}

/* ---- the port as a source of the core ---- */

static void src_stepped(void *arg, double delta)
{
	(void)delta;
	ptp_port_clock_stepped(arg);
}

static bool src_describe(void *arg, int src, const struct sync_src_info *si, gt_ns now,
			 struct json_out *j)
{
	struct ptp_port *pt = arg;
	char id[40];

	(void)src;
	(void)si;
	(void)now;
	json_str(j, "mode", "ptp");
	json_str(j, "interface", pt->cfg.ifname);
	json_str(j, "port_state", ptp_port_state_name(pt->state));
	if (pt->have_parent)
		json_str(j, "master", ptp_port_id_str(&pt->parent.clock, pt->parent.port, id,
						      sizeof(id)));
	json_u64(j, "samples", pt->samples);
	return true;
}

static bool src_poll_reach(void *arg, int src, int *poll, unsigned *reach)
{
	struct ptp_port *pt = arg;

	(void)src;
	*poll = pt->cfg.delay == PTP_DELAY_P2P ? pt->cfg.log_sync : pt->cfg.log_delayreq;
	*reach = pt->state == PTP_PS_SLAVE || pt->state == PTP_PS_UNCALIBRATED ? 0xFF : 0;
	return true;
}

static const struct sync_source_ops ptp_source_ops = {
	.kind = "ptp",
	.clock_stepped = src_stepped,
	.describe = src_describe,
	.poll_reach = src_poll_reach,
};

int ptp_attach_sync(struct ptp *p, struct sync *sync)
{
	int i;

	p->sync = sync;
	if (p->cfg.servo == PTP_SERVO_PI)
		return 0;	/* the servo adjusts the clock; the core has no source */
	for (i = 0; i < p->n_ports && sync; i++) {
		struct ptp_port *pt = &p->port[i];
		char name[64];

		if (pt->cfg.role == PTP_ROLE_MASTER)
			continue;
		snprintf(name, sizeof(name), "ptp:%s", pt->cfg.ifname);
		pt->src = sync_add_source(sync, &ptp_source_ops, pt, name, PTP_REFID, 0);
		if (pt->src < 0)
			return pt->src;
	}
	return 0;
}

/* ---- life ---- */

static int open_uds(struct ptp *p, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	/* A socket left by an earlier run is ours to replace; anything else
	 * in its place is not. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0)
		return -errno;
	if (fd_nonblock_cloexec(fd) || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	snprintf(p->uds_path, sizeof(p->uds_path), "%s", path);
	p->uds_fd = fd;
	return 0;
}

struct ptp *ptp_create(const struct ptp_cfg *cfg, const char *uds_path, struct clk *clock,
		       const struct clk_published *pub, struct journal *journal, int *err)
{
	struct ptp *p = xcalloc(1, sizeof(*p));
	uint8_t mac[6];
	char why[256];
	int i, rc = 0;

	p->cfg = *cfg;
	p->clock = clock;
	p->pub = pub;
	p->journal = journal;
	p->uds_fd = -1;
	p->slave_port = -1;
	for (i = 0; i < cfg->n_ports; i++) {
		why[0] = 0;
		rc = ptp_port_open(&p->port[i], p, i + 1, &cfg->port[i], why, sizeof(why));
		if (rc) {
			LOG_ERR("ptp-port %s: %s", cfg->port[i].ifname, why[0] ? why : strerror(-rc));
			goto fail;
		}
		p->n_ports++;
	}
	/* §7.5.2.2.2: the clock identity from the first port's MAC. */
	rc = ptp_net_mac(p->port[0].net, mac);
	if (rc) {
		LOG_ERR("ptp-port %s: cannot read its MAC address for the clock identity: %s",
			cfg->port[0].ifname, strerror(-rc));
		goto fail;
	}
	ptp_clock_id_from_mac(&p->dds.identity, mac);
	p->dds.two_step = true;
	p->dds.num_ports = (uint16_t)cfg->n_ports;
	p->dds.priority1 = cfg->priority1;
	p->dds.priority2 = cfg->priority2;
	p->dds.domain = cfg->domain;
	p->dds.slave_only = true;
	for (i = 0; i < cfg->n_ports; i++) {
		p->port[i].id.clock = p->dds.identity;
		p->port[i].id.port = (uint16_t)(i + 1);
		if (cfg->port[i].role != PTP_ROLE_SLAVE)
			p->dds.slave_only = false;
	}
	if (uds_path && uds_path[0]) {
		rc = open_uds(p, uds_path);
		if (rc) {
			LOG_ERR("ptp: cannot open the management socket %s: %s", uds_path,
				rc == -EEXIST ? "something other than a socket is in its place" :
				strerror(-rc));
			goto fail;
		}
	}
	if (cfg->servo == PTP_SERVO_PI) {
		struct ptp_pi_config pc;
		double ppm = 0;

		ptp_pi_config_default(&pc, cfg->port[0].tsmode == PTP_TSM_SOFTWARE);
		if (clock->ops->max_freq_ppm > 0 && clock->ops->max_freq_ppm * 1e3 < pc.max_freq_ppb)
			pc.max_freq_ppb = clock->ops->max_freq_ppm * 1e3;
		clock->ops->get_freq(clock, &ppm);
		ptp_pi_init(&p->pi, &pc, ppm * 1e3);
		p->pi_freq_ppb = ppm * 1e3;
	}
	ptp_clock_refresh(p);
	return p;
fail:
	for (i = 0; i < p->n_ports; i++)
		ptp_port_close(&p->port[i]);
	free(p);
	*err = rc ? rc : -EINVAL;
	return NULL;
}

static void on_uds(int fd, short revents, void *arg)
{
	(void)fd;
	(void)revents;
	ptp_mgmt_uds_input(arg);
}

static int svc_start(void *obj, struct loop *loop)
{
	struct ptp *p = obj;
	int i, rc;

	p->loop = loop;
	for (i = 0; i < p->n_ports; i++) {
		rc = ptp_port_start(&p->port[i], loop);
		if (rc) {
			LOG_ERR("ptp-port %s: %s", p->port[i].cfg.ifname, strerror(-rc));
			return rc;
		}
	}
	if (p->uds_fd >= 0)
		return loop_add_fd(loop, p->uds_fd, POLLIN, on_uds, p);
	return 0;
}

static void json_port(const struct ptp_port *pt, struct json_out *j)
{
	char id[40];
	int k;

	json_obj_begin(j, NULL);
	json_str(j, "interface", pt->cfg.ifname);
	json_u64(j, "number", (uint64_t)pt->number);
	json_str(j, "identity", ptp_port_id_str(&pt->id.clock, pt->id.port, id, sizeof(id)));
	json_str(j, "state", ptp_port_state_name(pt->state));
	json_str(j, "role", ptp_role_name(pt->cfg.role));
	json_str(j, "transport", ptp_transport_name(pt->cfg.transport));
	json_str(j, "delay_mechanism", pt->cfg.delay == PTP_DELAY_P2P ? "p2p" : "e2e");
	json_str(j, "timestamping", ptp_net_hw(pt->net) ? "hardware" : "software");
	json_i64(j, "log_sync_interval", pt->cfg.log_sync);
	json_i64(j, "log_announce_interval", pt->cfg.log_announce);
	json_i64(j, "log_min_delay_req_interval", pt->cfg.log_delayreq);
	if (pt->have_parent)
		json_str(j, "master", ptp_port_id_str(&pt->parent.clock, pt->parent.port, id,
						      sizeof(id)));
	if (pt->have_measure) {
		json_double(j, "offset_from_master", gt_to_sec(pt->last_offset));
		json_double(j, "mean_path_delay", gt_to_sec(pt->last_delay));
	}
	if (pt->have_path_delay && pt->cfg.delay == PTP_DELAY_P2P)
		json_double(j, "peer_mean_path_delay", gt_to_sec(pt->path_delay));
	json_u64(j, "samples", pt->samples);
	json_u64(j, "state_changes", pt->state_changes);
	json_obj_begin(j, "received");
	for (k = 0; k < PTP_TYPES; k++)
		if (pt->rx[k])
			json_u64(j, ptp_msgtype_name((unsigned)k), pt->rx[k]);
	json_obj_end(j);
	json_obj_begin(j, "sent");
	for (k = 0; k < PTP_TYPES; k++)
		if (pt->tx[k])
			json_u64(j, ptp_msgtype_name((unsigned)k), pt->tx[k]);
	json_obj_end(j);
	json_obj_begin(j, "dropped");
	for (k = 0; k < PTP_DROP_COUNT; k++)
		json_u64(j, drop_names[k], pt->drop[k]);
	json_obj_end(j);
	json_u64(j, "tx_timestamp_missing", pt->tx_no_ts);
	json_u64(j, "tx_errors", pt->tx_errors);
	json_obj_end(j);
}

static int cmd_ptp(void *arg, int argc, char **argv, struct json_out *j)
{
	struct ptp *p = arg;
	const struct ptp_time_props_ds *tp = &p->tprops;
	char id[40];
	int i;

	(void)argv;
	if (argc > 1) {
		json_str(j, "error", "expected: ptp");
		return 0;
	}
	ptp_clock_refresh(p);
	json_obj_begin(j, "clock");
	json_str(j, "identity", ptp_port_id_str(&p->dds.identity, -1, id, sizeof(id)));
	json_u64(j, "domain", p->dds.domain);
	json_u64(j, "priority1", p->dds.priority1);
	json_u64(j, "priority2", p->dds.priority2);
	json_u64(j, "clock_class", p->dds.quality.clock_class);
	json_u64(j, "clock_accuracy", p->dds.quality.accuracy);
	json_bool(j, "slave_only", p->dds.slave_only);
	json_u64(j, "steps_removed", p->steps_removed);
	json_str(j, "servo", p->cfg.servo == PTP_SERVO_PI ? "pi" : "core");
	if (p->cfg.servo == PTP_SERVO_PI) {
		json_str(j, "servo_state", ptp_pi_state_name(p->pi_state));
		json_double(j, "servo_freq_ppm", p->pi_freq_ppb / 1e3);
		json_u64(j, "servo_steps", p->pi_steps);
	}
	json_obj_end(j);
	json_obj_begin(j, "parent");
	json_str(j, "port", ptp_port_id_str(&p->parent.parent.clock, p->parent.parent.port, id,
					    sizeof(id)));
	json_str(j, "grandmaster", ptp_port_id_str(&p->parent.gm_identity, -1, id, sizeof(id)));
	json_u64(j, "gm_priority1", p->parent.gm_priority1);
	json_u64(j, "gm_priority2", p->parent.gm_priority2);
	json_u64(j, "gm_clock_class", p->parent.gm_quality.clock_class);
	json_u64(j, "gm_clock_accuracy", p->parent.gm_quality.accuracy);
	json_obj_end(j);
	json_obj_begin(j, "time_properties");
	json_i64(j, "current_utc_offset", tp->utc_offset);
	json_bool(j, "current_utc_offset_valid", tp->utc_offset_valid);
	json_bool(j, "ptp_timescale", tp->ptp_timescale);
	json_bool(j, "leap61", tp->leap61);
	json_bool(j, "leap59", tp->leap59);
	json_bool(j, "time_traceable", tp->time_traceable);
	json_bool(j, "frequency_traceable", tp->freq_traceable);
	json_u64(j, "time_source", tp->time_source);
	json_obj_end(j);
	json_arr_begin(j, "ports");
	for (i = 0; i < p->n_ports; i++)
		json_port(&p->port[i], j);
	json_arr_end(j);
	json_obj_begin(j, "management");
	json_u64(j, "received", p->mgmt_rx);
	json_u64(j, "answered", p->mgmt_tx);
	json_u64(j, "errors", p->mgmt_err);
	json_obj_end(j);
	return 0;
}

static void svc_register_ctl(void *obj, struct ctl *ctl)
{
	ctl_register(ctl, "ptp", cmd_ptp, obj);
}

static void svc_destroy(void *obj)
{
	struct ptp *p = obj;
	int i;

	if (!p)
		return;
	for (i = 0; i < p->n_ports; i++) {
		struct ptp_port *pt = &p->port[i];
		int fds[2], n, k;
		enum ptp_chan ch[2];

		if (p->loop) {
			n = ptp_net_fds(pt->net, fds, ch);
			for (k = 0; k < n; k++)
				loop_del_fd(p->loop, fds[k]);
			loop_timer_cancel(p->loop, pt->t_announce);
			loop_timer_cancel(p->loop, pt->t_sync);
			loop_timer_cancel(p->loop, pt->t_house);
			if (pt->t_pdelay)
				loop_timer_cancel(p->loop, pt->t_pdelay);
		}
		ptp_port_close(pt);
	}
	if (p->uds_fd >= 0) {
		if (p->loop)
			loop_del_fd(p->loop, p->uds_fd);
		close(p->uds_fd);
		unlink(p->uds_path);
	}
	free(p);
}

const struct service_ops ptp_service = {
	.name = "ptp",
	.start = svc_start,
	.register_ctl = svc_register_ctl,
	.destroy = svc_destroy,
};

/* ---- metrics ---- */

static void fam_state(const void *ctx, struct met_emit *em)
{
	const struct ptp *p = ctx;
	int i;

	for (i = 0; i < p->n_ports; i++)
		met_emit(em, p->port[i].state, "port", p->port[i].cfg.ifname, NULL);
}

static void fam_offset(const void *ctx, struct met_emit *em)
{
	const struct ptp *p = ctx;
	int i;

	for (i = 0; i < p->n_ports; i++)
		if (p->port[i].have_measure)
			met_emit(em, gt_to_sec(p->port[i].last_offset), "port",
				 p->port[i].cfg.ifname, NULL);
}

static void fam_delay(const void *ctx, struct met_emit *em)
{
	const struct ptp *p = ctx;
	int i;

	for (i = 0; i < p->n_ports; i++)
		if (p->port[i].have_measure)
			met_emit(em, gt_to_sec(p->port[i].last_delay), "port",
				 p->port[i].cfg.ifname, NULL);
}

static void fam_rx(const void *ctx, struct met_emit *em)
{
	const struct ptp *p = ctx;
	int i, k;

	for (i = 0; i < p->n_ports; i++)
		for (k = 0; k < PTP_TYPES; k++)
			if (p->port[i].rx[k])
				met_emit(em, (double)p->port[i].rx[k], "port", p->port[i].cfg.ifname,
					 "type", ptp_msgtype_name((unsigned)k), NULL);
}

static void fam_tx(const void *ctx, struct met_emit *em)
{
	const struct ptp *p = ctx;
	int i, k;

	for (i = 0; i < p->n_ports; i++)
		for (k = 0; k < PTP_TYPES; k++)
			if (p->port[i].tx[k])
				met_emit(em, (double)p->port[i].tx[k], "port", p->port[i].cfg.ifname,
					 "type", ptp_msgtype_name((unsigned)k), NULL);
}

static void fam_drop(const void *ctx, struct met_emit *em)
{
	const struct ptp *p = ctx;
	int i, k;

	for (i = 0; i < p->n_ports; i++)
		for (k = 0; k < PTP_DROP_COUNT; k++)
			met_emit(em, (double)p->port[i].drop[k], "port", p->port[i].cfg.ifname,
				 "reason", drop_names[k], NULL);
}

static void fam_changes(const void *ctx, struct met_emit *em)
{
	const struct ptp *p = ctx;
	int i;

	for (i = 0; i < p->n_ports; i++)
		met_emit(em, (double)p->port[i].state_changes, "port", p->port[i].cfg.ifname, NULL);
}

static double read_steps(const void *ctx, uintptr_t key)
{
	const struct ptp *p = ctx;

	(void)key;
	return p->steps_removed;
}

void ptp_register_metrics(struct ptp *p, struct met_registry *reg)
{
	met_register_family(reg, "gnomon_ptp_port_state", "the port's state (IEEE 1588 portState: "
			    "4 listening, 6 master, 7 passive, 8 uncalibrated, 9 slave)", MET_GAUGE,
			    fam_state, p);
	met_register_family(reg, "gnomon_ptp_offset_from_master_seconds", "local clock minus "
			    "master, the last measurement", MET_GAUGE, fam_offset, p);
	met_register_family(reg, "gnomon_ptp_mean_path_delay_seconds", "one-way path delay to "
			    "the master, the last measurement", MET_GAUGE, fam_delay, p);
	met_register_family(reg, "gnomon_ptp_messages_received_total", "PTP messages received, "
			    "by type", MET_COUNTER, fam_rx, p);
	met_register_family(reg, "gnomon_ptp_messages_sent_total", "PTP messages sent, by type",
			    MET_COUNTER, fam_tx, p);
	met_register_family(reg, "gnomon_ptp_messages_dropped_total", "PTP messages dropped, by "
			    "reason", MET_COUNTER, fam_drop, p);
	met_register_family(reg, "gnomon_ptp_state_changes_total", "port state changes",
			    MET_COUNTER, fam_changes, p);
	met_register(reg, "gnomon_ptp_steps_removed", "PTP clocks between the grandmaster and "
		     "this one", MET_GAUGE, read_steps, p, 0);
}
