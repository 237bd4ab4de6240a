#include "snmp/snmp_model.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void snmp_state_init(struct snmp_state *st)
{
	int i;

	memset(st, 0, sizeof(*st));
	st->start_time = -1;
	st->synchronised = -1;
	st->stratum = -1;
	st->leap = -1;
	st->ref_time = st->root_delay = st->root_disp = NAN;
	st->clock_minus_system = st->last_offset = NAN;
	st->srv_received = st->srv_answered = st->srv_kod = st->srv_crypto_nak = -1;
	st->srv_bad_version = st->srv_errors = st->srv_mode_control = st->bcast_sent = -1;
	st->bc_received = -1;
	st->journal_written = st->journal_lost = -1;
	st->recv.silent = st->recv.loss_alarm = -1;
	for (i = 0; i < SNMP_MAX_ASSOC; i++)
		st->assoc[i].stratum = -1;
}

/* Typed getters: a member of the wrong type counts as missing. */
static double get_real(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static int64_t get_count(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) && json_integer_value(v) >= 0 ? json_integer_value(v) : -1;
}

static int get_bool(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_boolean(v) ? json_is_true(v) : -1;
}

static void get_str(json_t *o, const char *k, char *dst, size_t len)
{
	const char *s = json_string_value(json_object_get(o, k));

	snprintf(dst, len, "%s", s ? s : "");
}

/* Sum of the non-negative integer members of an object, -1 if it is not one. */
static int64_t sum_members(json_t *o, const char *const *only)
{
	const char *key;
	json_t *v;
	int64_t sum = 0;

	if (!json_is_object(o))
		return -1;
	json_object_foreach(o, key, v) {
		if (only) {
			int i;

			for (i = 0; only[i] && strcmp(only[i], key); i++)
				;
			if (!only[i])
				continue;
		}
		if (json_is_integer(v) && json_integer_value(v) > 0 &&
		    sum <= INT64_MAX - json_integer_value(v))
			sum += json_integer_value(v);
	}
	return sum;
}

static int64_t add(int64_t a, int64_t b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a <= INT64_MAX - b ? a + b : INT64_MAX;
}

/* Load text as an object; an {"error": ...} reply is an error too. */
static json_t *load(struct snmp_state *st, const char *text, const char *what)
{
	json_t *o;
	json_error_t je;

	if (!text) {
		snprintf(st->error, sizeof(st->error), "%s: no reply", what);
		return NULL;
	}
	o = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	if (!o || !json_is_object(o)) {
		snprintf(st->error, sizeof(st->error), "%s: malformed reply", what);
		json_decref(o);
		return NULL;
	}
	if (json_object_get(o, "error")) {
		const char *m = json_string_value(json_object_get(o, "error"));

		snprintf(st->error, sizeof(st->error), "%s: %s", what, m ? m : "error");
		json_decref(o);
		return NULL;
	}
	return o;
}

int snmp_parse_tracking(struct snmp_state *st, const char *text)
{
	static const char *const leaps[] = { "normal", "insert", "delete", "unsynchronised" };
	json_t *o = load(st, text, "tracking");
	const char *leap;
	int i;

	if (!o)
		return -EINVAL;
	st->synchronised = get_bool(o, "synchronised");
	st->stratum = get_count(o, "stratum");
	get_str(o, "refid", st->refid, sizeof(st->refid));
	get_str(o, "reference", st->reference, sizeof(st->reference));
	leap = json_string_value(json_object_get(o, "leap"));
	st->leap = -1;
	for (i = 0; leap && i < 4; i++)
		if (!strcmp(leap, leaps[i]))
			st->leap = i;
	st->ref_time = get_real(o, "ref_time");
	st->root_delay = get_real(o, "root_delay");
	st->root_disp = get_real(o, "root_dispersion");
	st->clock_minus_system = get_real(o, "clock_minus_system");
	st->last_offset = get_real(o, "last_offset");
	json_decref(o);
	return 0;
}

static void parse_assoc(json_t *s, struct snmp_assoc *a)
{
	uint32_t id = a->id;

	memset(a, 0, sizeof(*a));
	a->id = id;
	get_str(s, "name", a->name, sizeof(a->name));
	get_str(s, "address", a->address, sizeof(a->address));
	a->port = get_count(s, "port");
	get_str(s, "mode", a->mode, sizeof(a->mode));
	get_str(s, "state", a->state, sizeof(a->state));
	get_str(s, "refid", a->refid, sizeof(a->refid));
	a->stratum = get_count(s, "stratum");
	a->offset = get_real(s, "offset");
	a->delay = get_real(s, "delay");
	a->jitter = get_real(s, "jitter");
	a->disp = get_real(s, "dispersion");
	a->in = get_count(s, "received");
	a->out = get_count(s, "sent");
	/* Every packet of this association that could not be used. */
	a->errors = sum_members(json_object_get(s, "rejected"), NULL);
	if (!strcmp(a->mode, "gateway")) {
		/* The gateway's message counts are in the gateway block; its
		 * receiver sends nothing (there is no return path). */
		a->out = 0;
		if (a->in < 0)
			a->in = get_count(s, "accepted");
	}
}

int snmp_parse_sources(struct snmp_state *st, const char *text)
{
	json_t *o = load(st, text, "sources"), *arr, *s;
	size_t i;

	if (!o)
		return -EINVAL;
	arr = json_object_get(o, "sources");
	if (!json_is_array(arr)) {
		snprintf(st->error, sizeof(st->error), "sources: no \"sources\" array");
		json_decref(o);
		return -EINVAL;
	}
	st->n_assoc = 0;
	json_array_foreach(arr, i, s) {
		if (!json_is_object(s))
			continue;
		if (st->n_assoc == SNMP_MAX_ASSOC)
			break;
		st->assoc[st->n_assoc].id = 0;
		parse_assoc(s, &st->assoc[st->n_assoc++]);
	}
	/* Broadcast packets arrive on the broadcast client's own sockets,
	 * counted once for all senders. */
	st->bc_received = get_count(json_object_get(o, "broadcastclient"), "received");
	json_decref(o);
	return 0;
}

int snmp_parse_serverstats(struct snmp_state *st, const char *text)
{
	static const char *const errs[] = { "short", "bad_length", "oversized", "mode_control",
		"mode_private", "mode_other", "auth", "peer_unauthenticated", NULL };
	json_t *o = load(st, text, "serverstats"), *d;

	st->has_server = false;
	if (!o)
		return -EINVAL;
	d = json_object_get(o, "dropped");
	st->has_server = true;
	st->srv_received = get_count(o, "received");
	st->srv_answered = get_count(o, "answered");
	st->srv_kod = get_count(o, "kod_sent");
	st->srv_crypto_nak = get_count(o, "crypto_nak");
	st->srv_bad_version = get_count(d, "bad_version");
	st->srv_mode_control = get_count(d, "mode_control");
	st->srv_errors = sum_members(d, errs);
	st->bcast_sent = get_count(json_object_get(o, "broadcast"), "sent");
	json_decref(o);
	return 0;
}

static void parse_receiver(json_t *r, struct snmp_gw_recv *g)
{
	static const char *const auth[] = { "unauthenticated", "unknown_key", "bad_key_type",
		"key_not_accepted", "bad_mac", NULL };
	json_t *seq = json_object_get(r, "sequence"), *rej = json_object_get(r, "rejected"), *v;
	const char *key;

	g->present = true;
	g->received = get_count(r, "received");
	g->accepted = get_count(r, "accepted");
	g->gaps = get_count(seq, "gaps");
	g->lost = get_count(seq, "lost");
	g->reordered = get_count(seq, "reordered");
	g->duplicates = get_count(seq, "duplicates");
	g->replays = get_count(seq, "replays");
	g->restarts = get_count(seq, "restarts");
	g->auth_failures = sum_members(rej, auth);
	g->silent = get_bool(r, "silent");
	g->loss_alarm = get_bool(r, "loss_alarm");
	g->since_last = get_real(r, "since_last");
	g->loss_percent = get_real(r, "loss_percent");
	g->offset = get_real(r, "last_offset");
	g->delay = get_real(r, "last_delay");
	g->jitter = get_real(r, "jitter");
	g->n_results = 0;
	if (g->accepted >= 0) {
		snprintf(g->results[0].name, sizeof(g->results[0].name), "accepted");
		g->results[0].count = g->accepted;
		g->n_results = 1;
	}
	json_object_foreach(rej, key, v) {
		struct snmp_result *res;

		if (g->n_results == SNMP_MAX_RESULTS)
			break;
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			continue;
		res = &g->results[g->n_results++];
		snprintf(res->name, sizeof(res->name), "%s", key);
		res->count = json_integer_value(v);
	}
}

int snmp_parse_gateway(struct snmp_state *st, const char *text)
{
	json_t *o = load(st, text, "gateway"), *arr, *x, *r, *j;
	size_t i;

	st->has_gateway = false;
	st->n_senders = 0;
	memset(&st->recv, 0, sizeof(st->recv));
	st->recv.silent = st->recv.loss_alarm = -1;
	st->journal_written = st->journal_lost = -1;
	if (!o)
		return -EINVAL;
	st->has_gateway = true;
	arr = json_object_get(o, "senders");
	json_array_foreach(arr, i, x) {
		struct snmp_sender *s;

		if (!json_is_object(x))
			continue;
		if (st->n_senders == SNMP_MAX_SENDERS)
			break;
		s = &st->senders[st->n_senders++];
		get_str(x, "to", s->to, sizeof(s->to));
		s->port = get_count(x, "port");
		s->sent = get_count(x, "sent");
		s->send_errors = get_count(x, "send_errors");
		s->seq = get_count(x, "seq");
		s->health = get_count(x, "health");
		s->tx_timestamps = get_count(x, "tx_timestamps");
		get_str(x, "correction_method", s->method, sizeof(s->method));
		get_str(x, "problem", s->problem, sizeof(s->problem));
		s->correction = get_real(x, "correction");
	}
	r = json_object_get(o, "receiver");
	if (json_is_object(r))
		parse_receiver(r, &st->recv);
	j = json_object_get(o, "journal");
	if (json_is_object(j)) {
		st->journal_written = get_count(j, "written");
		st->journal_lost = add(get_count(j, "lost_queue_full"),
				       get_count(j, "lost_write_error"));
	}
	json_decref(o);
	return 0;
}

const struct snmp_assoc *snmp_state_syspeer(const struct snmp_state *st)
{
	int i;

	if (!st->reachable)
		return NULL;
	for (i = 0; i < st->n_assoc; i++)
		if (!strcmp(st->assoc[i].state, "*"))
			return &st->assoc[i];
	return NULL;
}

enum snmp_mode snmp_state_mode(const struct snmp_state *st)
{
	const struct snmp_assoc *peer;

	if (!st->reachable)
		return SNMP_MODE_NOT_RUNNING;
	if (st->synchronised < 0)
		return SNMP_MODE_UNKNOWN;
	if (!st->synchronised)
		return st->n_assoc ? SNMP_MODE_NOT_SYNC : SNMP_MODE_NONE_CONFIGURED;
	peer = snmp_state_syspeer(st);
	/* Synchronised with no selected source: gnomond serves its own clock
	 * (`local stratum`), or holds over after losing its sources. */
	if (!peer)
		return st->reference[0] ? SNMP_MODE_SYNC_REMOTE : SNMP_MODE_SYNC_LOCAL;
	/* Every source kind gnomond has today is remote (NTP server, peer,
	 * broadcast, one-way gateway); syncToRefclock waits for the first
	 * local reference clock driver. */
	return SNMP_MODE_SYNC_REMOTE;
}

void snmp_ids_init(struct snmp_idmap *m)
{
	memset(m, 0, sizeof(*m));
	m->next = 1;
}

void snmp_ids_assign(struct snmp_idmap *m, struct snmp_state *st)
{
	int i, k;

	for (i = 0; i < st->n_assoc; i++) {
		struct snmp_assoc *a = &st->assoc[i];
		char key[sizeof(m->e[0].key)];

		int dup = 0, j;

		/* The same source twice in one reply (a server configured
		 * twice) still needs two rows: the k-th copy has its own key. */
		for (j = 0; j < i; j++)
			if (!strcmp(st->assoc[j].mode, a->mode) && !strcmp(st->assoc[j].name, a->name) &&
			    !strcmp(st->assoc[j].address, a->address) && st->assoc[j].port == a->port)
				dup++;
		snprintf(key, sizeof(key), "%s|%s|%s|%lld#%d", a->mode, a->name, a->address,
			 (long long)a->port, dup);
		for (k = 0; k < m->n && strcmp(m->e[k].key, key); k++)
			;
		if (k == m->n) {
			if (m->n == SNMP_IDMAP_SIZE) {
				/* Full: forget the oldest; its source has not been
				 * seen for 256 new ones. */
				memmove(&m->e[0], &m->e[1], sizeof(m->e[0]) * (SNMP_IDMAP_SIZE - 1));
				k = --m->n;
			}
			snprintf(m->e[k].key, sizeof(m->e[k].key), "%s", key);
			/* RFC 5907 ntpAssocId is 1..99999; wrap far beyond any
			 * realistic number of sources. */
			m->e[k].id = m->next;
			m->next = m->next >= 99999 ? 1 : m->next + 1;
			m->n++;
		}
		a->id = m->e[k].id;
	}
}

const char *snmp_fmt_ms(double s, bool unit, char *buf, size_t len)
{
	if (isnan(s) || isinf(s))
		snprintf(buf, len, "%s", "");
	else
		snprintf(buf, len, "%.6f%s", s * 1e3, unit ? " ms" : "");
	return buf;
}

static int alarm_sev(const char *s)
{
	static const char *const names[] = { "none", "info", "warning", "critical" };
	int i;

	for (i = 0; s && i < 4; i++)
		if (!strcmp(s, names[i]))
			return SNMP_AL_NONE + i;
	return -1;
}

static int alarm_state(const char *s)
{
	static const char *const names[] = { "unset", "raised", "cleared" };
	int i;

	for (i = 0; s && i < 3; i++)
		if (!strcmp(s, names[i]))
			return SNMP_AL_UNSET + i;
	return -1;
}

static struct snmp_alarm_rule *find_rule(struct snmp_alarms *a, const char *name)
{
	int i;

	for (i = 0; name && i < a->n_rules; i++)
		if (!strcmp(a->rules[i].name, name))
			return &a->rules[i];
	return NULL;
}

static void parse_rule(json_t *r, struct snmp_alarm_rule *out)
{
	static const char *const levels[] = { "info", "warning", "critical" };
	json_t *thr = json_object_get(r, "thresholds");
	int l;

	get_str(r, "name", out->name, sizeof(out->name));
	out->enabled = get_bool(r, "enabled");
	out->state = alarm_state(json_string_value(json_object_get(r, "state")));
	out->sev = alarm_sev(json_string_value(json_object_get(r, "severity")));
	out->value = get_real(r, "value");
	/* Not raised: the threshold it would be raised at (the lowest level
	 * in use); raised, the active list gives the current level's. */
	out->threshold = NAN;
	for (l = 0; l < 3 && isnan(out->threshold); l++)
		out->threshold = get_real(thr, levels[l]);
	out->raises = get_count(r, "raises");
	out->clears = get_count(r, "clears");
	out->msg[0] = '\0';
}

int snmp_parse_alarms(struct snmp_state *st, const char *text, double now_mono)
{
	struct snmp_alarms *a = &st->alarms;
	json_t *o, *arr, *x;
	size_t i;

	memset(a, 0, sizeof(*a));
	o = load(st, text, "alarms");
	if (!o)
		return -EINVAL;
	arr = json_object_get(o, "rules");
	if (!json_is_array(arr)) {
		snprintf(st->error, sizeof(st->error), "alarms: no \"rules\" array");
		json_decref(o);
		return -EINVAL;
	}
	json_array_foreach(arr, i, x) {
		if (a->n_rules == SNMP_MAX_ALARMS)
			break;
		/* A row without a name would be a row nobody can read. */
		if (!json_is_object(x) || !json_is_string(json_object_get(x, "name")))
			continue;
		parse_rule(x, &a->rules[a->n_rules++]);
	}
	json_array_foreach(json_object_get(o, "recent"), i, x) {
		struct snmp_alarm_event *e;
		const char *name = json_string_value(json_object_get(x, "name"));
		const char *kind = json_string_value(json_object_get(x, "event"));
		double age = get_real(x, "age");
		int sev = alarm_sev(json_string_value(json_object_get(x, "severity")));

		if (a->n_events == SNMP_MAX_ALARM_EVENTS)
			break;
		if (!name || !kind || (strcmp(kind, "raised") && strcmp(kind, "cleared")) ||
		    sev < 0 || isnan(age) || isinf(age) || age < 0)
			continue;
		e = &a->events[a->n_events++];
		e->t = now_mono - age;
		snprintf(e->name, sizeof(e->name), "%s", name);
		e->cleared = !strcmp(kind, "cleared");
		e->sev = sev;
		e->value = get_real(x, "value");
		e->threshold = get_real(x, "threshold");
		get_str(x, "message", e->msg, sizeof(e->msg));
	}
	/* gnomonAlarmMessage: the active alarm's, else the newest event's. */
	for (i = (size_t)a->n_events; i-- > 0;) {
		struct snmp_alarm_rule *r = find_rule(a, a->events[i].name);

		if (r)
			snprintf(r->msg, sizeof(r->msg), "%s", a->events[i].msg);
	}
	json_array_foreach(json_object_get(o, "active"), i, x) {
		const char *name = json_string_value(json_object_get(x, "name"));
		struct snmp_alarm_rule *r = find_rule(a, name);
		double thr = get_real(x, "threshold");

		if (!r)
			continue;
		if (!isnan(thr))
			r->threshold = thr;
		if (json_is_string(json_object_get(x, "message")))
			get_str(x, "message", r->msg, sizeof(r->msg));
	}
	a->present = true;
	json_decref(o);
	return 0;
}

const char *snmp_fmt_alarm(double v, char *buf, size_t len)
{
	if (isnan(v) || isinf(v))
		snprintf(buf, len, "%s", "");
	else
		snprintf(buf, len, "%.9g", v);
	return buf;
}
