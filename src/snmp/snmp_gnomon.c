#include "snmp/snmp_gnomon.h"

#include <math.h>
#include <string.h>

const uint32_t snmp_gnomon_mib[SNMP_GNOMON_MIB_LEN] = { 1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 4664 };

static const uint32_t agent[] = { 1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 4664, 1, 1 };
static const uint32_t recv[] = { 1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 4664, 1, 2 };
static const uint32_t result_entry[] = { 1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 4664, 1, 2, 17, 1 };
static const uint32_t sender_entry[] = { 1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 4664, 1, 3, 1, 1 };
static const uint32_t alarm_entry[] = { 1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 4664, 1, 5, 1, 1 };
static const uint32_t journal[] = { 1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 4664, 1, 4 };

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define SCALAR(n) ((const uint32_t[]){ (n), 0 }), 2
#define CELL(col, row) ((const uint32_t[]){ (col), (row) }), 2

int64_t snmp_sec_to_ns32(double s)
{
	double ns = s * 1e9;

	if (isnan(ns))
		return 0;
	return ns >= 2147483647.0 ? INT32_MAX : ns <= -2147483648.0 ? INT32_MIN : (int64_t)lround(ns);
}

static void add_c64(struct snmp_vbl *l, const uint32_t *b, size_t bl, uint32_t n, int64_t v)
{
	if (v >= 0)
		snmp_vbl_add_uns(l, b, bl, SCALAR(n), SNMP_VT_COUNTER64, (uint64_t)v);
}

static void add_truth(struct snmp_vbl *l, const uint32_t *b, size_t bl, uint32_t n, int v)
{
	if (v >= 0)	/* TruthValue: true(1), false(2) */
		snmp_vbl_add_int(l, b, bl, SCALAR(n), v ? 1 : 2);
}

static void build_receiver(const struct snmp_gw_recv *g, struct snmp_vbl *l)
{
	size_t bl = LEN(recv);
	int i;

	add_c64(l, recv, bl, 1, g->received);
	add_c64(l, recv, bl, 2, g->accepted);
	add_c64(l, recv, bl, 3, g->gaps);
	add_c64(l, recv, bl, 4, g->lost);
	add_c64(l, recv, bl, 5, g->reordered);
	add_c64(l, recv, bl, 6, g->duplicates);
	add_c64(l, recv, bl, 7, g->replays);
	add_c64(l, recv, bl, 8, g->restarts);
	add_c64(l, recv, bl, 9, g->auth_failures);
	add_truth(l, recv, bl, 10, g->silent);
	if (!isnan(g->since_last) && g->since_last >= 0)
		snmp_vbl_add_uns(l, recv, bl, SCALAR(11), SNMP_VT_GAUGE,
				 (uint64_t)llround(fmin(g->since_last * 1e3, 4294967295.0)));
	add_truth(l, recv, bl, 12, g->loss_alarm);
	if (!isnan(g->loss_percent) && g->loss_percent >= 0)
		snmp_vbl_add_uns(l, recv, bl, SCALAR(13), SNMP_VT_GAUGE,
				 (uint64_t)llround(fmin(g->loss_percent, 100) * 100));
	if (!isnan(g->offset))
		snmp_vbl_add_int(l, recv, bl, SCALAR(14), snmp_sec_to_ns32(g->offset));
	if (!isnan(g->delay))
		snmp_vbl_add_int(l, recv, bl, SCALAR(15), snmp_sec_to_ns32(g->delay));
	if (!isnan(g->jitter))
		snmp_vbl_add_int(l, recv, bl, SCALAR(16), snmp_sec_to_ns32(g->jitter));
	for (i = 0; i < g->n_results; i++) {
		const struct snmp_result *r = &g->results[i];
		uint32_t row = (uint32_t)i + 1;

		snmp_vbl_add_str(l, result_entry, LEN(result_entry), CELL(2, row), r->name,
				 strlen(r->name));
		snmp_vbl_add_uns(l, result_entry, LEN(result_entry), CELL(3, row),
				 SNMP_VT_COUNTER64, (uint64_t)r->count);
	}
}

static void build_sender(const struct snmp_sender *s, uint32_t row, struct snmp_vbl *l)
{
	const uint32_t *e = sender_entry;
	size_t el = LEN(sender_entry);

	snmp_vbl_add_str(l, e, el, CELL(2, row), s->to, strlen(s->to));
	if (s->port >= 0)
		snmp_vbl_add_uns(l, e, el, CELL(3, row), SNMP_VT_GAUGE, (uint64_t)s->port);
	if (s->sent >= 0)
		snmp_vbl_add_uns(l, e, el, CELL(4, row), SNMP_VT_COUNTER64, (uint64_t)s->sent);
	if (s->send_errors >= 0)
		snmp_vbl_add_uns(l, e, el, CELL(5, row), SNMP_VT_COUNTER64,
				 (uint64_t)s->send_errors);
	if (s->seq >= 0)
		snmp_vbl_add_uns(l, e, el, CELL(6, row), SNMP_VT_COUNTER64, (uint64_t)s->seq);
	if (s->health >= 0)
		snmp_vbl_add_uns(l, e, el, CELL(7, row), SNMP_VT_GAUGE, (uint64_t)s->health);
	snmp_vbl_add_str(l, e, el, CELL(8, row), s->problem, strlen(s->problem));
	snmp_vbl_add_str(l, e, el, CELL(9, row), s->method, strlen(s->method));
	if (!isnan(s->correction))
		snmp_vbl_add_int(l, e, el, CELL(10, row), snmp_sec_to_ns32(s->correction));
	if (s->tx_timestamps >= 0)
		snmp_vbl_add_uns(l, e, el, CELL(11, row), SNMP_VT_COUNTER64,
				 (uint64_t)s->tx_timestamps);
}

static void build_alarm(const struct snmp_alarm_rule *r, uint32_t row, struct snmp_vbl *l)
{
	const uint32_t *e = alarm_entry;
	size_t el = LEN(alarm_entry);
	char buf[32];

	snmp_vbl_add_str(l, e, el, CELL(2, row), r->name, strlen(r->name));
	if (r->state > 0)
		snmp_vbl_add_int(l, e, el, CELL(3, row), r->state);
	if (r->sev > 0)
		snmp_vbl_add_int(l, e, el, CELL(4, row), r->sev);
	snmp_fmt_alarm(r->value, buf, sizeof(buf));
	snmp_vbl_add_str(l, e, el, CELL(5, row), buf, strlen(buf));
	snmp_fmt_alarm(r->threshold, buf, sizeof(buf));
	snmp_vbl_add_str(l, e, el, CELL(6, row), buf, strlen(buf));
	/* DisplayString (SIZE (0..255)) */
	snmp_vbl_add_str(l, e, el, CELL(7, row), r->msg, strlen(r->msg));
	if (r->raises >= 0)
		snmp_vbl_add_uns(l, e, el, CELL(8, row), SNMP_VT_COUNTER64, (uint64_t)r->raises);
	if (r->clears >= 0)
		snmp_vbl_add_uns(l, e, el, CELL(9, row), SNMP_VT_COUNTER64, (uint64_t)r->clears);
	if (r->enabled >= 0)
		snmp_vbl_add_int(l, e, el, CELL(10, row), r->enabled ? 1 : 2);
}

void snmp_gnomon_build(const struct snmp_state *st, const struct snmp_gnomon_ctx *ctx,
		       struct snmp_vbl *out)
{
	int i;

	add_truth(out, agent, LEN(agent), 1, st->reachable);
	snmp_vbl_add_str(out, agent, LEN(agent), SCALAR(2), st->error, strlen(st->error));
	snmp_vbl_add_uns(out, agent, LEN(agent), SCALAR(3), SNMP_VT_COUNTER32, ctx->poll_failures);
	if (!st->reachable)
		return;
	snmp_vbl_add_uns(out, agent, LEN(agent), SCALAR(4), SNMP_VT_GAUGE, ctx->data_age_ms);
	for (i = 0; st->alarms.present && i < st->alarms.n_rules; i++)
		build_alarm(&st->alarms.rules[i], (uint32_t)i + 1, out);
	if (!st->has_gateway)
		return;
	if (st->recv.present)
		build_receiver(&st->recv, out);
	for (i = 0; i < st->n_senders; i++)
		build_sender(&st->senders[i], (uint32_t)i + 1, out);
	add_c64(out, journal, LEN(journal), 1, st->journal_written);
	add_c64(out, journal, LEN(journal), 2, st->journal_lost);
}
