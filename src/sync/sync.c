#include "sync/sync.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clock/disc.h"
#include "clock/drift.h"
#include "clock/kalman.h"
#include "clock/leap.h"
#include "lib/log.h"
#include "lib/util.h"
#include "sync/sync_asym.h"
#include "sync/sync_filter.h"
#include "sync/sync_select.h"

/* Samples of a source waiting for the next selection. */
#define PENDING_MAX 16
/* The first selection waits until every source has answered, or this long
 * after the first sample: a falseticker that answers first must not be
 * the only candidate (RFC 5905 §11.2.1 needs the others to outvote it). */
#define STARTUP_WAIT (8 * GT_NS_PER_S)
/* A source is unreachable after this many poll intervals without a sample
 * (RFC 5905 §13: the reach register spans 8 polls). */
#define UNREACH_POLLS 8
/* Floor of a sample's offset noise (s): timestamping is never perfect. */
#define NOISE_FLOOR 50e-9
/* Updates over which the RMS offset is averaged. */
#define RMS_MEMORY 32.0
/* Leap second: samples this close to it (s) may straddle it. */
#define LEAP_GUARD (2 * GT_NS_PER_S)
/* Combining: survivors within this many standard deviations of the
 * system peer's estimate (sync_select_consistent()). */
#define COMBINE_SIGMAS 4.0
/* Poll hint (doc/discipline.md, "Polling"): the longest poll whose
 * predicted error stays within the larger of two bounds: this factor of
 * the error at minpoll (where the clock's wander dominates, polling
 * faster still pays), and POLL_NOISE_FRACTION of one measurement's own
 * noise (where it does not: a filtered error well below what a single
 * sample carries is averaging bought with requests, and a server's cost
 * is in its requests). */
#define POLL_ERROR_FACTOR 1.5
#define POLL_NOISE_FRACTION 4.5
/* A clock is stable when its wander over one minpoll interval is below
 * this fraction of one measurement's noise. The wander judged is the
 * largest that the bank's evidence does not rule out (models within
 * POLL_Q_MARGIN of the best log-likelihood): in its first twenty samples
 * a clock of 1e-7 wander can look quiet, and a poll that climbs then is
 * caught by the wander (0.6 ms in the simulator's "large wander"). */
#define POLL_STABLE_RATIO 0.35
#define POLL_Q_MARGIN 1.0
/* Within minpoll + this until the path's asymmetry has been judged, and
 * within minpoll + POLL_LEAN_STEPS while it leans; at that cap the
 * interval is 2^-POLL_LEAN_HALF of 2^poll (0.5 cost 1.04 x chronyd's
 * requests under asymmetric jitter over ten seeds, once a corrected lean
 * weighed its samples as sync_asym_var_factor() says; bench/README.md). */
#define POLL_LEARN_STEPS 2
#define POLL_LEAN_STEPS 3
#define POLL_LEAN_HALF 0.25
/* A lean counts for the poll when its correction at the mean excess is
 * beyond this fraction of one measurement's RMS noise (a lean of 66 ns
 * found on a 1 us path held it at minpoll + 3 for nothing; the asymmetric
 * scenario's are 2.6 to 5 times the noise). */
#define POLL_LEAN_MATTERS 0.5
/* A lean not yet clear (the garrote at SYNC_ASYM_Z standard errors has
 * not let it through) but likely, beyond this many standard errors and
 * as large as a lean that counts: the poll stays at the learning cap
 * until it is clear or gone. At the defaults under clknetsim `asym`, the
 * lean of seed 6 needed 25 samples to clear two standard errors, and at
 * 512 s polls the clock drifted 0.4 ms meanwhile (bench/README.md, "A
 * likely lean holds the poll"). */
#define POLL_SUSPECT_Z 1.0
/* Fitting hints in a row before the poll rises one step. */
#define POLL_RISE_AFTER 2
/* The poll stays while its error is within this factor of the bound. */
#define POLL_DOWN_SLACK 1.5

struct pending {
	gt_ns mono;
	double offset, var;
};

struct source {
	const struct sync_source_ops *ops;
	void *arg;
	char name[64];
	uint32_t refid;
	unsigned flags;
	enum sync_src_state state;
	struct sync_filter filt;
	struct sync_asym asym;		/* its jitter asymmetry */
	struct kalman_bank est;		/* this source alone */
	unsigned resets;
	struct pending pend[PENDING_MAX];
	int npend;
	int n_samples;
	struct sync_sample last;		/* last accepted sample as given */
	gt_ns last_mono;		/* its epoch */
	int hint;			/* last poll exponent suggested */
	int rise_wanted;		/* hints in a row that fitted a longer poll */
	bool hinted;
	bool lean_capped;		/* the hint is at the leaning path's cap */
};

struct sync {
	struct clk *clk;
	struct sync_config cfg;
	char *driftfile;
	struct disc *disc;
	struct source *src;
	int n;
	bool selecting;			/* the start-up wait is over */
	gt_ns first_sample;
	int sys_peer;
	int n_survivors;
	double sys_jitter;
	gt_ns last_correct;		/* mono of the last clock update */
	double update_interval;		/* s, smoothed */
	double rms_acc;			/* smoothed square of the offsets */
	struct sync_state st;
	/* leap second */
	uint8_t leap_armed;		/* announcement acted upon (clk_leap) */
	gt_ns leap_at;			/* clock time it takes effect */
	gt_ns leap_mono;		/* the same in monotonic time, estimated */
	gt_ns leap_done_at;
	bool kernel_leap;		/* armed in the driver (set_leap) */
	gt_ns drift_saved;
	sync_update_hook update_hook;
	void *update_arg;
	struct {
		sync_summary_fn fn;
		void *arg;
	} summary[SYNC_MAX_SUMMARIES];
	int n_summaries;
	struct steady_cache {
		double q, r, sd;
	} steady[33];			/* poll exponents -8..24 */
};

static double ns_to_s(gt_ns t)
{
	return (double)t * 1e-9;
}

struct sync *sync_create(struct clk *clock, const struct sync_config *cfg)
{
	struct sync *s = xcalloc(1, sizeof(*s));
	struct disc_config dc;
	double ppm = 0, skew = 0;
	bool have_drift = false;

	s->clk = clock;
	s->cfg = *cfg;
	if (s->cfg.maxdistance <= 0)
		s->cfg.maxdistance = SYNC_DEFAULT_MAXDISTANCE;
	if (s->cfg.minsources <= 0)
		s->cfg.minsources = 1;
	if (s->cfg.holdover <= 0)
		s->cfg.holdover = SYNC_DEFAULT_HOLDOVER;
	if (s->cfg.maxslewrate <= 0)
		s->cfg.maxslewrate = SYNC_DEFAULT_MAXSLEWRATE;
	if (clock->ops->max_freq_ppm > 0 && s->cfg.maxslewrate > clock->ops->max_freq_ppm)
		s->cfg.maxslewrate = clock->ops->max_freq_ppm;
	if (cfg->driftfile) {
		int rc;

		s->driftfile = xstrdup(cfg->driftfile);
		s->cfg.driftfile = s->driftfile;
		rc = drift_read(s->driftfile, &ppm, &skew);
		if (rc == 0)
			have_drift = true;
		else if (rc != -ENOENT)
			LOG_WARN("drift file %s unusable (%s): starting from the clock's frequency",
				 s->driftfile, rc == -EINVAL ? "malformed" : strerror(-rc));
	}
	dc = (struct disc_config){
		.makestep_threshold = s->cfg.makestep_threshold,
		.makestep_limit = s->cfg.makestep_limit,
		.maxchange_offset = s->cfg.maxchange_offset,
		.maxchange_start = s->cfg.maxchange_start,
		.maxchange_ignore = s->cfg.maxchange_ignore,
		.maxslew = s->cfg.maxslewrate * 1e-6,
	};
	s->disc = disc_create(clock, &dc, have_drift ? &ppm : NULL, skew);
	s->src = xcalloc(SYNC_MAX_SOURCES, sizeof(*s->src));
	s->sys_peer = -1;
	s->st.stratum = 16;
	s->st.leap = CLK_LEAP_UNSYNC;
	s->st.sys_peer = -1;
	return s;
}

static void save_drift(struct sync *s)
{
	struct disc_status ds;
	int rc;

	if (!s->driftfile || !s->st.synced)
		return;
	disc_get_status(s->disc, s->last_correct, &ds);
	rc = drift_write(s->driftfile, ds.freq_ppm, ds.skew_ppm);
	if (rc < 0)
		LOG_RL(LOG_LVL_WARN, "cannot write drift file %s: %s", s->driftfile, strerror(-rc));
}

void sync_destroy(struct sync *s)
{
	if (!s)
		return;
	save_drift(s);
	if (s->kernel_leap && s->clk->ops->set_leap)
		s->clk->ops->set_leap(s->clk, CLK_LEAP_NONE);
	disc_destroy(s->disc);
	free(s->src);
	free(s->driftfile);
	free(s);
}

int sync_add_source(struct sync *s, const struct sync_source_ops *ops, void *arg,
		    const char *name, uint32_t refid, unsigned flags)
{
	struct source *src;

	if (s->n >= SYNC_MAX_SOURCES)
		return -ENOSPC;
	src = &s->src[s->n];
	memset(src, 0, sizeof(*src));
	src->ops = ops;
	src->arg = arg;
	kalman_bank_clear(&src->est);
	strlcpy_checked(src->name, name ? name : "", sizeof(src->name));
	src->refid = refid;
	src->flags = flags;
	src->state = SYNC_SRC_NONE;
	sync_filter_init(&src->filt);
	sync_asym_init(&src->asym);
	return s->n++;
}

const char *sync_source_kind(const struct sync *s, int id)
{
	if (id < 0 || id >= s->n || !s->src[id].ops || !s->src[id].ops->kind)
		return "";
	return s->src[id].ops->kind;
}

const struct sync_source_ops *sync_source_ops_of(const struct sync *s, int id, void **arg)
{
	if (id < 0 || id >= s->n)
		return NULL;
	if (arg)
		*arg = s->src[id].arg;
	return s->src[id].ops;
}

int sync_source_count(const struct sync *s)
{
	return s->n;
}

int sync_add_summary(struct sync *s, sync_summary_fn fn, void *arg)
{
	if (s->n_summaries >= SYNC_MAX_SUMMARIES)
		return -ENOSPC;
	s->summary[s->n_summaries].fn = fn;
	s->summary[s->n_summaries++].arg = arg;
	return 0;
}

void sync_write_summaries(const struct sync *s, struct json_out *j)
{
	int i;

	for (i = 0; i < s->n_summaries; i++)
		s->summary[i].fn(s->summary[i].arg, j);
}

void sync_set_update_hook(struct sync *s, sync_update_hook fn, void *arg)
{
	s->update_hook = fn;
	s->update_arg = arg;
}

/* Tell every source of a step (see struct sync_source_ops). */
static void notify_step(struct sync *s, double delta)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->src[i].ops && s->src[i].ops->clock_stepped)
			s->src[i].ops->clock_stepped(s->src[i].arg, delta);
}

/* The per-source estimator: raw offsets like the discipline's, in a bank
 * of its own. Its estimate is the centre of the source's correctness
 * interval in selection; a sample it rejects (inconsistent with the
 * source's own history) is not fed to the discipline. After
 * DISC_RESET_AFTER rejections in a row the source has moved: its estimate
 * restarts there and selection judges it anew. */
static enum kalman_verdict source_estimate(struct sync *s, struct source *src, gt_ns mono,
					   double raw, double var)
{
	enum kalman_verdict v;

	/* A source's raw offsets drift at the local clock's own rate, which
	 * the discipline knows from every source: a new or restarted source
	 * starts from that, not from a blank (a liar's jump, read as a
	 * frequency error, would otherwise widen its interval until it
	 * met the truth). */
	src->est.restart_with_prior = true;
	v = kalman_bank_measure(&src->est, disc_free_time(s->disc, mono), 0, raw, var, DISC_GATE,
				DISC_RESET_AFTER,
				disc_rate(s->disc), disc_rate_var(s->disc));

	if (v == KALMAN_RESET)
		src->resets++;
	return v;
}

/* The source estimator's prediction of the raw offset at free (the
 * discipline's time base, disc_free_time()); false before it has one. */
static bool source_predict(const struct source *src, gt_ns free, double *raw)
{
	struct kalman k;

	if (!src->est.init)
		return false;
	k = *kalman_bank_best(&src->est);
	kalman_predict(&k, free, 0);
	*raw = k.theta;
	return true;
}

static void add_sample(struct sync *s, int id, const struct sync_sample *smp, gt_ns mono_now)
{
	struct source *src;
	struct sync_filter_stage st;
	enum kalman_verdict v;
	double delay, slew, var, floor, excess, corr, pred = 0;
	bool have_pred;
	gt_ns clock_now, age, mono;

	if (id < 0 || id >= s->n || !smp)
		return;
	src = &s->src[id];
	if (smp->leap == CLK_LEAP_UNSYNC || smp->stratum == 0 || smp->stratum >= 16 ||
	    smp->delay < 0 || smp->disp < 0)
		return;
	clock_now = clk_now(s->clk);
	/* A sample next to a leap second may have been taken across it. */
	if (s->leap_done_at && llabs(smp->time - s->leap_done_at) < LEAP_GUARD)
		return;
	if (s->leap_armed && llabs(smp->time - s->leap_at) < LEAP_GUARD)
		return;
	/* The offset of an exchange is that of the middle of T1..T4: its
	 * epoch is half the round trip before T4 (residence time aside). */
	age = clock_now - smp->time;
	if (age < 0 || age > 60 * GT_NS_PER_S)
		age = 0;
	mono = mono_now - age - smp->delay / 2;
	if (src->n_samples && mono <= src->last_mono)
		mono = src->last_mono + 1;
	/* During the exchange the clock ran at 1 + slew against the
	 * reference, so the delay it measured is off by slew * delay (long
	 * when it ran fast, short when slow): the minimum-delay tracker must
	 * not take a slewing clock's shortened delays for real ones. */
	slew = disc_slew(s->disc);
	delay = ns_to_s(smp->delay) * (1 - slew);
	st.mono = mono;
	st.offset = ns_to_s(smp->offset);
	st.delay = delay;
	st.disp = ns_to_s(smp->disp);
	st.phase = disc_phase(s->disc, mono);
	if (!s->first_sample)
		s->first_sample = mono_now;
	src->n_samples++;
	src->last = *smp;
	src->last_mono = mono;
	/* A popcorn spike is kept out of the §10 output; the estimator sees
	 * every sample, because its own gate judges a sample against the
	 * uncertainty of its prediction, which the spike test (a fixed
	 * multiple of the jitter, around a drift estimate that may still be
	 * poor) cannot. */
	sync_filter_add(&src->filt, &st, disc_rate(s->disc));
	/* The queueing's part of the variance; the floor is added below. */
	var = sync_filter_variance(&src->filt, delay, 0);
	/* Jitter asymmetry (sync_asym.h): what the source's queueing adds on
	 * average to an offset of this delay excess is taken off before the
	 * estimators see it. It is learnt from the uncorrected innovation of
	 * samples the source's estimator accepts; a sample it rejects, or one
	 * that restarts it, says nothing about the path's queueing. */
	excess = fmax(0, delay - sync_filter_min_delay(&src->filt));
	corr = sync_asym_correction(&src->asym, excess);
	/* A clear lean, corrected, leaves a smaller error than the excess
	 * alone suggests (sync_asym_var_factor()). */
	floor = fmax(NOISE_FLOOR, st.disp / 2);
	var = var * sync_asym_var_factor(&src->asym, excess) + floor * floor;
	have_pred = source_predict(src, disc_free_time(s->disc, mono), &pred);
	v = source_estimate(s, src, mono, st.offset + st.phase - corr, var);
	if (v == KALMAN_REJECTED)
		return;
	if (v == KALMAN_ACCEPTED && have_pred)
		sync_asym_learn(&src->asym, excess, sync_filter_mean_excess(&src->filt),
			       st.offset + st.phase - pred);
	if (src->npend == PENDING_MAX) {
		memmove(&src->pend[0], &src->pend[1], sizeof(src->pend[0]) * (PENDING_MAX - 1));
		src->npend--;
	}
	src->pend[src->npend++] = (struct pending){ mono, st.offset - corr, var };
}

void sync_add_sample(struct sync *s, int id, const struct sync_sample *smp, gt_ns mono_now)
{
	add_sample(s, id, smp, mono_now);
	if (s->update_hook)
		s->update_hook(s->update_arg);
}

static bool source_reachable(const struct source *src, gt_ns mono_now)
{
	double poll = src->hinted ? ldexp(1, src->hint) : 1024;

	return src->n_samples > 0 &&
	       ns_to_s(mono_now - src->last_mono) < UNREACH_POLLS * poll + 10;
}

/* The source's estimate now: offset (s) and its standard deviation. */
static double source_offset(const struct sync *s, const struct source *src, gt_ns mono_now,
			    double *sd)
{
	struct kalman k = *kalman_bank_best(&src->est);

	kalman_predict(&k, disc_free_time(s->disc, mono_now), 0);
	*sd = sqrt(k.p00);
	return k.theta - disc_phase(s->disc, mono_now);
}

/* Root distance (RFC 5905 A.5.5.2), the half-width of the correctness
 * interval, with the estimator's error in place of the §10 dispersion and
 * jitter: the source's own root delay / 2 and root dispersion, half its
 * minimum delay (the largest error path asymmetry can cause), three
 * standard deviations of the estimate, the sample's dispersion and PHI
 * times the age of the last sample. */
static double root_distance(const struct source *src, double sd, gt_ns mono_now)
{
	return ns_to_s(src->last.root_delay) / 2 + ns_to_s(src->last.root_disp) +
	       sync_filter_min_delay(&src->filt) / 2 + 3 * sd + ns_to_s(src->last.disp) +
	       CLK_PHI * ns_to_s(mono_now - src->last_mono);
}

struct selection {
	struct sync_select_cand cand[SYNC_MAX_SOURCES];
	int id[SYNC_MAX_SOURCES];
	int n, peer, survivors, combined;
};

static void select_sources(struct sync *s, gt_ns mono_now, struct selection *sel)
{
	struct sync_filter_now now = { mono_now, disc_phase(s->disc, mono_now), disc_rate(s->disc) };
	double lo, hi;
	int i, prev = -1;

	sel->n = 0;
	sel->peer = -1;
	sel->survivors = 0;
	sel->combined = 0;
	for (i = 0; i < s->n; i++) {
		struct source *src = &s->src[i];
		struct sync_select_cand *c = &sel->cand[sel->n];
		struct sync_filter_out o;

		if (!src->est.init || !sync_filter_get(&src->filt, &now, &o)) {
			src->state = SYNC_SRC_NONE;
			continue;
		}
		src->state = SYNC_SRC_UNSELECTABLE;
		if ((src->flags & SYNC_SRC_NOSELECT) || !source_reachable(src, mono_now) ||
		    src->last.stratum >= 15)
			continue;
		memset(c, 0, sizeof(*c));
		/* Its latest samples disagree with its own history: until it
		 * settles (or its estimate restarts), it is not to be trusted
		 * either way. It still counts in the intersection, or two
		 * liars could outvote one honest source left alone while
		 * another is in doubt. */
		c->hold = src->est.rejected_run > 0;
		c->offset = source_offset(s, src, mono_now, &c->sd);
		c->dist = root_distance(src, c->sd, mono_now);
		c->jitter = o.jitter;
		c->stratum = src->last.stratum;
		c->prefer = src->flags & SYNC_SRC_PREFER;
		if (c->dist > s->cfg.maxdistance)
			continue;
		if (i == s->sys_peer)
			prev = sel->n;
		sel->id[sel->n++] = i;
	}
	if (sel->n == 0 || !sync_select_intersect(sel->cand, sel->n, &lo, &hi)) {
		for (i = 0; i < sel->n; i++)
			s->src[sel->id[i]].state = SYNC_SRC_FALSETICKER;
		return;
	}
	sel->survivors = sync_select_cluster(sel->cand, sel->n, SYNC_SELECT_NMIN);
	sel->combined = sync_select_consistent(sel->cand, sel->n, COMBINE_SIGMAS, prev);
	sel->peer = sync_select_peer(sel->cand, sel->n, prev);
	for (i = 0; i < sel->n; i++) {
		struct sync_select_cand *c = &sel->cand[i];
		struct source *src = &s->src[sel->id[i]];

		if (!c->truechimer)
			src->state = SYNC_SRC_FALSETICKER;
		else if (!c->survivor || c->hold)
			src->state = SYNC_SRC_JITTERY;
		else if (!c->combined)
			src->state = SYNC_SRC_CANDIDATE;
		else if (i == sel->peer)
			src->state = SYNC_SRC_SYSPEER;
		else
			src->state = SYNC_SRC_COMBINED;
	}
}

static int cmp_pending(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;

	return x->mono < y->mono ? -1 : x->mono > y->mono;
}

/* Feed the survivors' new samples to the discipline in time order;
 * returns how many it accepted. */
static int feed_survivors(struct sync *s, const struct selection *sel)
{
	struct pending all[SYNC_MAX_SOURCES * PENDING_MAX];
	int i, j, n = 0, used = 0;

	for (i = 0; i < sel->n; i++) {
		struct source *src = &s->src[sel->id[i]];

		if (!sel->cand[i].combined)
			continue;
		for (j = 0; j < src->npend; j++)
			all[n++] = src->pend[j];
	}
	qsort(all, (size_t)n, sizeof(all[0]), cmp_pending);
	for (i = 0; i < n; i++) {
		enum kalman_verdict v = disc_measure(s->disc, all[i].mono, all[i].offset, all[i].var);

		used += v != KALMAN_REJECTED;
	}
	return used;
}

static void drop_pending(struct sync *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		s->src[i].npend = 0;
}

/* RFC 5905 §11.2.3 clock_update: what we serve follows the system peer:
 * stratum + 1, its refid, root delay + its delay, and a root dispersion
 * that adds its dispersion, the jitters, its age and the offset just
 * corrected. */
static void update_system(struct sync *s, const struct selection *sel, gt_ns mono_now,
			  gt_ns clock_now, const struct disc_status *ds)
{
	const struct sync_select_cand *c = &sel->cand[sel->peer];
	const struct source *p = &s->src[sel->id[sel->peer]];
	uint8_t leaps[SYNC_MAX_SOURCES];
	double disp;
	int i, k = 0;

	s->sys_peer = sel->id[sel->peer];
	s->st.synced = true;
	s->st.stratum = (uint8_t)(p->last.stratum + 1);
	s->st.refid = p->refid;
	s->st.root_delay = p->last.root_delay + gt_from_sec(sync_filter_min_delay(&p->filt));
	disp = ns_to_s(p->last.disp) + sqrt(c->sd * c->sd + s->sys_jitter * s->sys_jitter) +
	       CLK_PHI * ns_to_s(mono_now - p->last_mono) + fabs(ds->offset);
	s->st.root_disp = p->last.root_disp + gt_from_sec(disp);
	s->st.ref_time = clock_now;
	/* RFC 5905 §11.2.3: the leap indicator of the majority of survivors. */
	for (i = 0; i < sel->n; i++)
		if (sel->cand[i].survivor)
			leaps[k++] = s->src[sel->id[i]].last.leap;
	s->st.leap = leap_vote(leaps, k);
}

static void handle_leap(struct sync *s, gt_ns mono_now, gt_ns clock_now)
{
	uint8_t want = s->st.synced ? s->st.leap : CLK_LEAP_NONE;
	enum sync_leapmode mode = s->cfg.leapsecmode;
	bool kernel = mode == SYNC_LEAP_SYSTEM && s->clk->ops->set_leap;

	if (want != CLK_LEAP_INS && want != CLK_LEAP_DEL)
		want = CLK_LEAP_NONE;
	if (!s->leap_armed && want) {
		s->leap_armed = want;
		/* An inserted second follows 23:59:59 of the month's last day,
		 * so the clock steps back at the first instant of the next
		 * month; a deleted one is 23:59:59 itself, skipped forward. */
		s->leap_at = leap_month_end(clock_now) - (want == CLK_LEAP_DEL ? GT_NS_PER_S : 0);
		LOG_INFO("leap second (%s) at the end of the month announced",
			 want == CLK_LEAP_INS ? "insert" : "delete");
		if (kernel && s->clk->ops->set_leap(s->clk, want) == 0)
			s->kernel_leap = true;
	} else if (s->leap_armed && !want && clock_now < s->leap_at) {
		/* Withdrawn before it happened. */
		s->leap_armed = CLK_LEAP_NONE;
		if (s->kernel_leap)
			s->clk->ops->set_leap(s->clk, CLK_LEAP_NONE);
		s->kernel_leap = false;
	}
	if (!s->leap_armed)
		return;
	if (clock_now < s->leap_at) {
		s->leap_mono = mono_now + (s->leap_at - clock_now);
		return;
	}
	{
		double delta = s->leap_armed == CLK_LEAP_INS ? -1.0 : 1.0;
		int rc = 0;

		if (s->kernel_leap) {
			s->clk->ops->set_leap(s->clk, CLK_LEAP_NONE);
		} else if (mode == SYNC_LEAP_SLEW) {
			rc = disc_leap(s->disc, mono_now, delta, false);
		} else if (mode != SYNC_LEAP_IGNORE) {
			rc = disc_leap(s->disc, mono_now, delta, true);
			if (rc == 0)
				notify_step(s, delta);
		}
		if (rc < 0)
			LOG_WARN("leap second not applied: %s", strerror(-rc));
		else
			LOG_INFO("leap second %s", delta < 0 ? "inserted" : "deleted");
	}
	s->leap_done_at = s->leap_at;
	s->leap_armed = CLK_LEAP_NONE;
	s->kernel_leap = false;
	/* The announcement is history; the sources will drop it. */
	s->st.leap = CLK_LEAP_NONE;
	drop_pending(s);
}

static void publish(struct sync *s, gt_ns mono_now)
{
	struct disc_status ds;

	disc_get_status(s->disc, mono_now, &ds);
	s->st.sys_peer = s->st.synced ? s->sys_peer : -1;
	s->st.last_offset = gt_from_sec(ds.offset);
	s->st.rms_offset = gt_from_sec(sqrt(s->rms_acc));
	s->st.freq_ppm = ds.freq_ppm;
	s->st.skew_ppm = ds.skew_ppm;
	s->st.residual_freq_ppm = ds.slew_ppm;
	s->st.n_steps = (int)ds.n_steps;
	s->st.offset_sd = gt_from_sec(ds.offset_sd);
	s->st.n_survivors = s->n_survivors;
	s->st.maxchange_exit = ds.maxchange_exit;
	if (!s->st.synced) {
		s->st.stratum = 16;
		s->st.leap = CLK_LEAP_UNSYNC;
	}
}

static bool startup_over(struct sync *s, gt_ns mono_now)
{
	int i;

	if (s->selecting)
		return true;
	if (!s->first_sample)
		return false;
	for (i = 0; i < s->n; i++)
		if (!(s->src[i].flags & SYNC_SRC_NOSELECT) && s->src[i].n_samples == 0 &&
		    mono_now - s->first_sample < STARTUP_WAIT)
			return false;
	s->selecting = true;
	return true;
}

void sync_update(struct sync *s, gt_ns mono_now)
{
	struct selection sel;
	struct disc_status ds;
	gt_ns clock_now = clk_now(s->clk);
	bool stepped;

	handle_leap(s, mono_now, clock_now);
	disc_tick(s->disc, mono_now);
	if (!startup_over(s, mono_now)) {
		publish(s, mono_now);
		return;
	}
	select_sources(s, mono_now, &sel);
	s->n_survivors = sel.combined;
	if (sel.peer >= 0 && sel.combined >= s->cfg.minsources) {
		double off;

		sync_select_combine(sel.cand, sel.n, sel.peer, &off, &s->sys_jitter);
		if (feed_survivors(s, &sel) > 0) {
			double gap = s->last_correct ? ns_to_s(mono_now - s->last_correct) : 2.0;

			/* The slew lasts about as long as the sources take to
			 * bring the next sample. */
			s->update_interval = s->last_correct ?
				s->update_interval + (gap - s->update_interval) / 4 : gap;
			s->last_correct = mono_now;
			stepped = disc_correct(s->disc, mono_now, s->update_interval) == DISC_STEPPED;
			disc_get_status(s->disc, mono_now, &ds);
			if (stepped)
				notify_step(s, ds.offset);
			s->rms_acc += (ds.offset * ds.offset - s->rms_acc) /
				(ds.n_updates < RMS_MEMORY ? ds.n_updates : RMS_MEMORY);
			update_system(s, &sel, mono_now, clock_now, &ds);
		}
	}
	drop_pending(s);
	if (s->st.synced && ns_to_s(mono_now - s->last_correct) > s->cfg.holdover) {
		LOG_WARN("no selectable source for %.0f s: unsynchronised", s->cfg.holdover);
		s->st.synced = false;
	}
	if (!s->drift_saved)
		s->drift_saved = mono_now;
	if (s->st.synced && mono_now - s->drift_saved >= SYNC_DRIFT_INTERVAL * GT_NS_PER_S) {
		s->drift_saved = mono_now;
		save_drift(s);
	}
	publish(s, mono_now);
}

void sync_get_state(const struct sync *s, struct sync_state *out)
{
	*out = s->st;
}

int sync_get_source(const struct sync *s, int id, struct sync_src_info *out)
{
	const struct source *src;
	struct sync_filter_out o;
	gt_ns mono = s->last_correct;

	if (id < 0 || id >= s->n)
		return -ENOENT;
	src = &s->src[id];
	memset(out, 0, sizeof(*out));
	memcpy(out->name, src->name, sizeof(out->name));
	out->state = src->state;
	out->n_samples = src->n_samples;
	out->last_offset = src->last.offset;
	out->last_delay = src->last.delay;
	out->last_time = src->last.time;
	out->stratum = src->last.stratum;
	out->refid = src->last.refid;
	out->resets = src->resets;
	if (src->last_mono > mono)
		mono = src->last_mono;
	if (src->n_samples) {
		struct sync_filter_now now = { mono, disc_phase(s->disc, mono), disc_rate(s->disc) };

		if (sync_filter_get(&src->filt, &now, &o)) {
			out->offset = gt_from_sec(o.offset);
			out->jitter = gt_from_sec(o.jitter);
			out->delay = gt_from_sec(o.delay);
			out->disp = gt_from_sec(o.disp);
		}
	}
	if (src->est.init) {
		const struct kalman *k = kalman_bank_best(&src->est);
		double sd;

		out->offset = gt_from_sec(source_offset(s, src, mono, &sd));
		out->offset_sd = gt_from_sec(sd);
		out->root_dist = gt_from_sec(root_distance(src, sd, mono));
		out->freq_ppm = (k->rate - disc_rate(s->disc)) * 1e6;
		out->skew_ppm = sqrt(k->p11) * 1e6;
	}
	return 0;
}

/* kalman_steady_sd() for a poll exponent, remembered: it iterates a
 * Riccati recursion, and the wander and noise it depends on change slowly
 * (within 10% the old answer stands). */
static double steady_sd(struct sync *s, double q, double r, int poll)
{
	struct steady_cache *c;

	if (poll < -8 || poll > 24)
		return kalman_steady_sd(q, r, ldexp(1, poll));
	c = &s->steady[poll + 8];
	if (c->q != q || !(fabs(c->r - r) <= 0.1 * r)) {
		c->q = q;
		c->r = r;
		c->sd = kalman_steady_sd(q, r, ldexp(1, poll));
	}
	return c->sd;
}

/* Whether polling every 2^p s keeps the error within bound: in the steady
 * state and from where the estimate stands now (a frequency still poorly
 * known makes the offset drift away before the next sample, which
 * arrives about 2^p / k s from now). */
static bool poll_fits(struct sync *s, const struct disc_status *ds, double r, int k, int p,
		      double bound)
{
	return steady_sd(s, ds->wander, r, p) <= bound &&
	       disc_predict_sd(s->disc, s->last_correct, ldexp(1, p) / k) <= bound;
}

int sync_poll_hint(struct sync *s, int id, int minpoll, int maxpoll)
{
	const struct kalman_bank *b = disc_bank(s->disc);
	struct disc_status ds;
	struct source *src;
	double r, bound, wr, noise;
	bool leans;
	int p, cur, want = minpoll, k = s->n_survivors > 0 ? s->n_survivors : 1;

	if (id < 0 || id >= s->n)
		return minpoll;
	src = &s->src[id];
	if (maxpoll < minpoll)
		maxpoll = minpoll;
	cur = src->hinted ? src->hint : minpoll;
	if (cur < minpoll)
		cur = minpoll;
	if (cur > maxpoll)
		cur = maxpoll;
	disc_get_status(s->disc, s->last_correct, &ds);
	/* The clock's wander against the measurements' noise (k sources
	 * sharing the work) sets the bound: POLL_ERROR_FACTOR of the error
	 * at minpoll or POLL_NOISE_FRACTION of one measurement's noise,
	 * whichever is larger; the longest poll within it is wanted. */
	if (maxpoll > minpoll && s->st.synced && b->init && ds.info > 0) {
		r = 1 / ds.info / k;
		/* Stable: the clock's own wander over one minpoll interval
		 * (sqrt(q tau^3)) well below one measurement's noise. Beyond
		 * POLL_STABLE_RATIO the noise bound shrinks with the square of
		 * the excess, so that a wandering clock keeps polling fast
		 * (continuously: no threshold to flap around). */
		wr = sqrt(kalman_bank_q_plausible(b, POLL_Q_MARGIN) * pow(ldexp(1, minpoll), 3) *
			  ds.info);
		noise = POLL_NOISE_FRACTION * sqrt(1 / ds.info);
		if (wr > POLL_STABLE_RATIO)
			noise *= (POLL_STABLE_RATIO / wr) * (POLL_STABLE_RATIO / wr);
		bound = fmax(POLL_ERROR_FACTOR * steady_sd(s, ds.wander, r, minpoll), noise);
		for (p = maxpoll; p > minpoll; p--)
			if (poll_fits(s, &ds, r, k, p, bound))
				break;
		want = p;
		/* Down: the model the bank finds most likely and the noise
		 * estimate flicker from sample to sample (a few outliers
		 * make a faster wander look likely for a while); a drop
		 * from 2^10 to 2^6 s costs a climb of four polls. The poll
		 * stays while its error is within POLL_DOWN_SLACK of the
		 * bound, steps down one while within POLL_DOWN_SLACK^2,
		 * and falls to what fits only beyond that. */
		if (want < cur) {
			if (poll_fits(s, &ds, r, k, cur, POLL_DOWN_SLACK * bound))
				want = cur;
			else if (poll_fits(s, &ds, r, k, cur,
					   POLL_DOWN_SLACK * POLL_DOWN_SLACK * bound))
				want = cur - 1;
		}
	}
	/* A path's jitter asymmetry (sync_asym.h) biases offsets in a way
	 * the error model above does not see; it is learnt per sample. Until
	 * the source has given enough samples to judge it, the poll stays
	 * within POLL_LEARN_STEPS of minpoll, so that the learning takes
	 * hours, not days. */
	if (src->asym.n < SYNC_ASYM_MIN_SAMPLES && want > minpoll + POLL_LEARN_STEPS)
		want = minpoll + POLL_LEARN_STEPS;
	/* A path found to lean: each sample's error then rests on its
	 * correction, whose own error the model above does not see (it
	 * weighs a sample by its excess, as if uncorrected); long polls leave
	 * too few low-excess samples. */
	leans = sync_asym_leans(&src->asym) && ds.info > 0 &&
		fabs(sync_asym_correction(&src->asym, src->asym.scale)) >
		POLL_LEAN_MATTERS * sqrt(b->var_avg);
	if (leans && want >= minpoll + POLL_LEAN_STEPS)
		want = minpoll + POLL_LEAN_STEPS;
	/* A lean likely but not yet clear: keep learning at the short poll. */
	if (!leans && ds.info > 0 && want > minpoll + POLL_LEARN_STEPS &&
	    fabs(sync_asym_suspected(&src->asym, src->asym.scale, POLL_SUSPECT_Z)) >
	    POLL_LEAN_MATTERS * sqrt(b->var_avg))
		want = minpoll + POLL_LEARN_STEPS;
	/* Rise one step at a time, from minpoll, and only when the longer
	 * poll has fitted POLL_RISE_AFTER times in a row: a single look
	 * through a momentarily quiet model is no reason to poll less. */
	if (want > cur && ++src->rise_wanted >= POLL_RISE_AFTER) {
		want = cur + 1;
		src->rise_wanted = 0;
	} else if (want > cur) {
		want = cur;
	} else {
		src->rise_wanted = 0;
	}
	if (want < minpoll)
		want = minpoll;
	if (want > maxpoll)
		want = maxpoll;
	src->hint = want;
	src->hinted = true;
	src->lean_capped = leans && want == minpoll + POLL_LEAN_STEPS;
	return want;
}

double sync_poll_interval(const struct sync *s, int id, int poll)
{
	double iv = ldexp(1, poll);

	if (id >= 0 && id < s->n && s->src[id].lean_capped && s->src[id].hint == poll)
		iv *= pow(2, -POLL_LEAN_HALF);
	return iv;
}

void sync_set_interval(struct sync *s, int id, int poll)
{
	if (id < 0 || id >= s->n)
		return;
	s->src[id].hint = poll;
	s->src[id].hinted = true;
}

gt_ns sync_next_update(const struct sync *s)
{
	gt_ns next = disc_next_event(s->disc);

	if (s->leap_armed && s->leap_mono && s->leap_mono < next)
		next = s->leap_mono;
	if (s->st.synced) {
		gt_ns h = s->last_correct + gt_from_sec(s->cfg.holdover) + 1;

		if (h < next)
			next = h;
	}
	return next;
}

void sync_get_quality(const struct sync *s, struct clk_quality *q)
{
	memset(q, 0, sizeof(*q));
	q->leap = s->st.synced ? s->st.leap : CLK_LEAP_UNSYNC;
	q->stratum = s->st.synced ? s->st.stratum : 16;
	q->refid = s->st.refid;
	q->root_delay = s->st.root_delay;
	q->root_disp = s->st.root_disp;
	q->ref_time = s->st.synced ? s->st.ref_time : 0;
}
