#include "sync/sync_ctl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lib/util.h"
#include "sync/sync.h"

static const char *state_mark(enum sync_src_state st)
{
	switch (st) {
	case SYNC_SRC_SYSPEER: return "*";
	case SYNC_SRC_COMBINED: return "+";
	case SYNC_SRC_CANDIDATE: return "-";
	case SYNC_SRC_FALSETICKER: return "x";
	case SYNC_SRC_JITTERY: return "~";
	case SYNC_SRC_UNSELECTABLE: return "?";
	case SYNC_SRC_NONE: break;
	}
	return " ";
}

static void refid_text(uint32_t id, uint8_t stratum, char *buf, size_t len)
{
	if (stratum <= 1) {
		char c[5] = { (char)(id >> 24), (char)(id >> 16), (char)(id >> 8), (char)id, 0 };
		size_t i;

		for (i = 0; i < 4; i++)
			if (c[i] && (c[i] < 0x20 || c[i] > 0x7e))
				c[i] = '?';
		snprintf(buf, len, "%s", c);
	} else {
		snprintf(buf, len, "%u.%u.%u.%u", id >> 24, (id >> 16) & 255, (id >> 8) & 255,
			 id & 255);
	}
}

/* What the synchronisation core knows of a source, the same for every
 * kind (server, peer, broadcast sender, gateway). */
static void json_sync_source(struct json_out *j, const struct sync_src_info *si)
{
	char refid[20];

	refid_text(si->refid, si->stratum, refid, sizeof(refid));
	json_str(j, "state", state_mark(si->state));
	json_u64(j, "stratum", si->stratum);
	json_str(j, "refid", refid);
	json_u64(j, "samples", (uint64_t)si->n_samples);
	json_double(j, "last_offset", gt_to_sec(si->last_offset));
	json_double(j, "last_delay", gt_to_sec(si->last_delay));
	json_double(j, "offset", gt_to_sec(si->offset));
	json_double(j, "delay", gt_to_sec(si->delay));
	json_double(j, "jitter", gt_to_sec(si->jitter));
	json_double(j, "dispersion", gt_to_sec(si->disp));
	json_double(j, "freq_ppm", si->freq_ppm);
	json_double(j, "skew_ppm", si->skew_ppm);
}

static int cmd_sources(void *arg, int argc, char **argv, struct json_out *j)
{
	struct sync_run *r = arg;
	struct sync *sync = sync_run_sync(r);
	int i, n = sync ? sync_source_count(sync) : 0;
	gt_ns now = sync ? clk_now(sync_run_clock(r)) : 0;

	(void)argc;
	(void)argv;
	json_arr_begin(j, "sources");
	for (i = 0; i < n; i++) {
		const struct sync_source_ops *ops;
		struct sync_src_info si;
		struct json_mark m;
		void *sarg = NULL;

		memset(&si, 0, sizeof(si));
		if (sync_get_source(sync, i, &si))
			continue;
		ops = sync_source_ops_of(sync, i, &sarg);
		m = json_mark(j);
		json_obj_begin(j, NULL);
		json_str(j, "name", si.name);
		json_sync_source(j, &si);
		if (ops && ops->describe && !ops->describe(sarg, i, &si, now, j)) {
			json_rewind(j, m);
			continue;
		}
		if (!ops || !ops->describe)
			json_str(j, "mode", ops && ops->kind ? ops->kind : "");
		json_obj_end(j);
	}
	json_arr_end(j);
	if (sync)
		sync_write_summaries(sync, j);
	return 0;
}

static int cmd_tracking(void *arg, int argc, char **argv, struct json_out *j)
{
	static const char *const leap_names[] = { "normal", "insert", "delete", "unsynchronised" };
	struct sync_run *r = arg;
	struct sync *sync = sync_run_sync(r);
	struct clk_snapshot snap;
	struct sync_state st;
	char refid[20] = "";
	gt_ns real = gt_now(CLOCK_REALTIME);

	(void)argc;
	(void)argv;
	clk_read_snapshot(sync_run_published(r), &snap);
	memset(&st, 0, sizeof(st));
	if (sync)
		sync_get_state(sync, &st);
	refid_text(snap.q.refid, snap.q.stratum, refid, sizeof(refid));
	if (sync && st.sys_peer >= 0 && st.sys_peer < SYNC_MAX_SOURCES) {
		struct sync_src_info si;

		if (!sync_get_source(sync, st.sys_peer, &si))
			json_str(j, "reference", si.name);
	}
	json_str(j, "refid", refid);
	json_u64(j, "stratum", snap.q.stratum);
	json_str(j, "leap", leap_names[snap.q.leap & 3]);
	json_bool(j, "synchronised", snap.q.leap != CLK_LEAP_UNSYNC);
	json_double(j, "ref_time", gt_to_sec(snap.q.ref_time));
	json_double(j, "root_delay", gt_to_sec(snap.q.root_delay));
	json_double(j, "root_dispersion", gt_to_sec(snap.q.root_disp));
	json_str(j, "clock", clk_name(sync_run_clock(r)));
	/* What the clock shows minus CLOCK_REALTIME: the virtual clock's error
	 * when the machine clock is the truth (tests, demonstrations). */
	json_double(j, "clock_minus_system", gt_to_sec(clk_map_apply(&snap.map, real) - real));
	if (sync) {
		json_double(j, "last_offset", gt_to_sec(st.last_offset));
		json_double(j, "rms_offset", gt_to_sec(st.rms_offset));
		json_double(j, "frequency_ppm", st.freq_ppm);
		json_double(j, "residual_freq_ppm", st.residual_freq_ppm);
		json_double(j, "skew_ppm", st.skew_ppm);
		json_u64(j, "steps", (uint64_t)st.n_steps);
	}
	return 0;
}

/* ---- metrics ---- */

enum { M_SYNCED, M_STRATUM, M_LEAP, M_OFFSET, M_FREQ, M_RDELAY, M_RDISP, M_RDIST, M_REFTIME,
       M_STEPS, M_SOURCES };

static double read_system(const void *ctx, uintptr_t key)
{
	const struct sync_run *r = ctx;
	struct sync *sync = sync_run_sync(r);
	struct clk_snapshot snap;
	struct sync_state st;

	clk_read_snapshot(sync_run_published(r), &snap);
	memset(&st, 0, sizeof(st));
	if (sync)
		sync_get_state(sync, &st);
	switch (key) {
	case M_SYNCED: return snap.q.leap != CLK_LEAP_UNSYNC;
	case M_STRATUM: return snap.q.stratum;
	case M_LEAP: return snap.q.leap;
	case M_OFFSET: return sync ? gt_to_sec(st.last_offset) : NAN;
	case M_FREQ: return sync ? st.freq_ppm * 1e-6 : NAN;
	case M_RDELAY: return gt_to_sec(snap.q.root_delay);
	case M_RDISP: return gt_to_sec(snap.q.root_disp);
	case M_RDIST: return gt_to_sec(snap.q.root_delay) / 2 + gt_to_sec(snap.q.root_disp);
	case M_REFTIME: return gt_to_sec(snap.q.ref_time);
	case M_STEPS: return st.n_steps;
	case M_SOURCES: return sync ? sync_source_count(sync) : 0;
	}
	return NAN;
}

/* Every source's figures, labelled by its name and kind; a source gone
 * from its module's list (a broadcast sender replaced) is left out. */
static void source_family(const void *ctx, struct met_emit *em, int what)
{
	const struct sync_run *r = ctx;
	struct sync *sync = sync_run_sync(r);
	gt_ns now;
	int i;

	if (!sync)
		return;
	now = clk_now(sync_run_clock(r));
	for (i = 0; i < sync_source_count(sync); i++) {
		struct sync_src_info si;
		const char *kind = sync_source_kind(sync, i);
		double v;

		if (sync_get_source(sync, i, &si))
			continue;
		switch (what) {
		case 0: v = si.n_samples ? gt_to_sec(si.offset) : NAN; break;
		case 1: v = si.n_samples ? gt_to_sec(si.delay) : NAN; break;
		case 2: v = si.n_samples ? gt_to_sec(si.jitter) : NAN; break;
		case 3: v = si.last_time ? gt_to_sec(now - si.last_time) : NAN; break;
		case 4: v = (double)si.n_samples; break;
		case 6: case 7: {
			const struct sync_source_ops *ops;
			void *sarg = NULL;
			unsigned reach;
			int poll;

			ops = sync_source_ops_of(sync, i, &sarg);
			if (!ops || !ops->poll_reach || !ops->poll_reach(sarg, i, &poll, &reach))
				continue;
			v = what == 6 ? __builtin_popcount(reach & 0xff) / 8.0 : ldexp(1.0, poll);
			break;
		}
		default:
			met_emit(em, 1, "source", si.name, "mode", kind, "state",
				 state_mark(si.state), NULL);
			continue;
		}
		met_emit(em, v, "source", si.name, "mode", kind, NULL);
	}
}

static void fam_offset(const void *ctx, struct met_emit *em) { source_family(ctx, em, 0); }
static void fam_delay(const void *ctx, struct met_emit *em) { source_family(ctx, em, 1); }
static void fam_jitter(const void *ctx, struct met_emit *em) { source_family(ctx, em, 2); }
static void fam_age(const void *ctx, struct met_emit *em) { source_family(ctx, em, 3); }
static void fam_samples(const void *ctx, struct met_emit *em) { source_family(ctx, em, 4); }
static void fam_info(const void *ctx, struct met_emit *em) { source_family(ctx, em, 5); }
static void fam_reach(const void *ctx, struct met_emit *em) { source_family(ctx, em, 6); }
static void fam_poll(const void *ctx, struct met_emit *em) { source_family(ctx, em, 7); }

int sync_register_metrics(struct sync_run *r, struct met_registry *reg)
{
	static const struct {
		const char *name, *help;
		enum met_kind kind;
		int key;
	} sys[] = {
		{ "gnomon_system_synchronized", "1 when the clock is synchronised (or serves "
		  "`local stratum`)", MET_GAUGE, M_SYNCED },
		{ "gnomon_system_stratum", "stratum served (16: unsynchronised)", MET_GAUGE,
		  M_STRATUM },
		{ "gnomon_system_leap_indicator", "leap indicator served (0 none, 1 insert, "
		  "2 delete, 3 unsynchronised)", MET_GAUGE, M_LEAP },
		{ "gnomon_system_offset_seconds", "offset of the clock from the combined sources "
		  "at the last update", MET_GAUGE, M_OFFSET },
		{ "gnomon_system_frequency_offset_ratio", "frequency correction of the clock "
		  "(ratio: 1e-6 is 1 ppm)", MET_GAUGE, M_FREQ },
		{ "gnomon_system_root_delay_seconds", "root delay served", MET_GAUGE, M_RDELAY },
		{ "gnomon_system_root_dispersion_seconds", "root dispersion served", MET_GAUGE,
		  M_RDISP },
		{ "gnomon_system_root_distance_seconds", "root delay / 2 + root dispersion",
		  MET_GAUGE, M_RDIST },
		{ "gnomon_system_reference_timestamp_seconds", "reference time served (Unix s)",
		  MET_GAUGE, M_REFTIME },
		{ "gnomon_clock_steps_total", "steps of the clock (leap seconds included)",
		  MET_COUNTER, M_STEPS },
		{ "gnomon_sources", "sources known to the synchronisation core", MET_GAUGE,
		  M_SOURCES },
	};
	size_t i;
	int rc = 0;

	for (i = 0; i < ARRAY_LEN(sys); i++)
		rc |= met_register(reg, sys[i].name, sys[i].help, sys[i].kind, read_system, r,
				   (uintptr_t)sys[i].key);
	rc |= met_register_family(reg, "gnomon_source_info", "a source, its kind and selection "
				  "state (* + - x ~ ?)", MET_GAUGE, fam_info, r);
	rc |= met_register_family(reg, "gnomon_source_offset_seconds", "the source's filtered "
				  "offset (its time minus ours)", MET_GAUGE, fam_offset, r);
	rc |= met_register_family(reg, "gnomon_source_delay_seconds", "the source's filtered "
				  "round-trip delay", MET_GAUGE, fam_delay, r);
	rc |= met_register_family(reg, "gnomon_source_jitter_seconds", "the source's jitter",
				  MET_GAUGE, fam_jitter, r);
	rc |= met_register_family(reg, "gnomon_source_last_sample_age_seconds", "time since "
				  "the source's last sample", MET_GAUGE, fam_age, r);
	rc |= met_register_family(reg, "gnomon_source_samples_total", "samples the source "
				  "gave", MET_COUNTER, fam_samples, r);
	rc |= met_register_family(reg, "gnomon_source_reachability_ratio", "answered share of "
				  "the last 8 polls (the reach register's bits / 8)", MET_GAUGE,
				  fam_reach, r);
	rc |= met_register_family(reg, "gnomon_source_poll_interval_seconds", "time between "
				  "the source's requests or messages (2^poll)", MET_GAUGE, fam_poll, r);
	return rc ? -EINVAL : 0;
}

void sync_ctl_register(struct ctl *ctl, struct sync_run *r)
{
	ctl_register(ctl, "sources", cmd_sources, r);
	ctl_register(ctl, "tracking", cmd_tracking, r);
}
