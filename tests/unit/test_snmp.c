/* Unit tests for gnomon-snmp's pure parts: the JSON model (src/snmp/
 * snmp_model.c), the NTPv4-MIB and GNOMON-MIB instance builders, the sorted
 * instance list that GET/GETNEXT walk, and the notifications found between
 * polls. The JSON texts are replies gnomond really gave (gnomonctl --json),
 * then broken in every way a reply could be. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "snmp/snmp_events.h"
#include "snmp/snmp_gnomon.h"
#include "snmp/snmp_model.h"
#include "snmp/snmp_ntp.h"
#include "snmp/snmp_vb.h"

static const char TRACKING[] =
	"{\"reference\":\"127.0.0.1\",\"refid\":\"127.0.0.1\",\"stratum\":2,\"leap\":\"normal\","
	"\"synchronised\":true,\"ref_time\":1796392518.720315,\"root_delay\":3.6869e-05,"
	"\"root_dispersion\":8.4242e-05,\"clock\":\"virtual\",\"clock_minus_system\":1.252e-05,"
	"\"last_offset\":-3.297e-06,\"rms_offset\":0.005772988,\"frequency_ppm\":1.73,"
	"\"residual_freq_ppm\":-1.64,\"skew_ppm\":2.32,\"steps\":0}";

static const char SOURCES[] =
	"{\"sources\":[{\"name\":\"127.0.0.1\",\"address\":\"127.0.0.1\",\"port\":12301,"
	"\"mode\":\"server\",\"state\":\"*\",\"stratum\":1,\"refid\":\"GPS\",\"samples\":3,"
	"\"last_offset\":-3.621e-06,\"last_delay\":4.2481e-05,\"offset\":-3.297e-06,"
	"\"delay\":3.6869e-05,\"jitter\":2.559e-06,\"dispersion\":1.937522564,\"freq_ppm\":0,"
	"\"skew_ppm\":2.32,\"poll\":0,\"reach\":3,\"kod_stopped\":false,\"last_rx_ago\":1.9,"
	"\"sent\":3,\"received\":3,\"accepted\":3,\"timeouts\":0,\"loops\":0,\"auth_fail\":0,"
	"\"rejected\":{\"malformed\":1,\"mode\":0,\"bogus\":2}},"
	"{\"name\":\"ntp6\",\"address\":\"::1\",\"port\":123,\"mode\":\"peer\",\"state\":\"-\","
	"\"stratum\":3,\"refid\":\"10.0.0.1\",\"offset\":0.0015,\"delay\":0.002,\"jitter\":0.0001,"
	"\"dispersion\":0.01,\"sent\":10,\"received\":9,\"rejected\":{}}]}";

static const char SERVERSTATS[] =
	"{\"received\":100,\"answered\":90,\"kod_sent\":5,\"ratelimited\":5,"
	"\"ratelimit_leaked\":0,\"send_errors\":0,\"auth_ok\":0,\"auth_fail\":0,\"crypto_nak\":1,"
	"\"dropped\":{\"short\":1,\"bad_version\":2,\"bad_length\":0,\"oversized\":0,"
	"\"mode_control\":3,\"mode_private\":0,\"mode_other\":0,\"denied\":7,\"ratelimited\":5,"
	"\"auth\":0,\"peer_unauthenticated\":0},\"version\":{\"1\":0,\"2\":0,\"3\":10,\"4\":90}}";

static const char GATEWAY[] =
	"{\"senders\":[{\"to\":\"198.18.0.2\",\"port\":4460,\"interval\":0.25,\"key\":1,\"id\":1,"
	"\"correction_method\":\"fixed\",\"correction\":0.000123,\"boot_id\":\"00ff\",\"seq\":77,"
	"\"sent\":77,\"send_errors\":1,\"tx_timestamps\":70,\"health\":0,\"problem\":\"\"}],"
	"\"receiver\":{\"on\":\"127.0.0.1\",\"port\":4460,\"filter\":\"median\",\"window\":8,"
	"\"received\":50,\"accepted\":40,\"rejected\":{\"short\":1,\"bad_mac\":4,"
	"\"unknown_key\":2,\"stale\":3},\"sequence\":{\"in_order\":40,\"gaps\":2,\"lost\":5,"
	"\"reordered\":1,\"duplicates\":0,\"replays\":6,\"restarts\":1},\"silent\":false,"
	"\"loss_alarm\":true,\"loss_percent\":12.5,\"since_last\":0.2,\"last_offset\":-3.5,"
	"\"last_delay\":0.000250,\"jitter\":0.00001},"
	"\"journal\":{\"written\":10,\"lost_queue_full\":1,\"lost_write_error\":2}}";

static const uint32_t NTP_STATUS[] = { 1, 3, 6, 1, 2, 1, 197, 1, 2 };
static const uint32_t NTP_INFO[] = { 1, 3, 6, 1, 2, 1, 197, 1, 1 };
static const uint32_t ASSOC[] = { 1, 3, 6, 1, 2, 1, 197, 1, 3, 1, 1 };
static const uint32_t ASTAT[] = { 1, 3, 6, 1, 2, 1, 197, 1, 3, 2, 1 };
static const uint32_t PKTMODE[] = { 1, 3, 6, 1, 2, 1, 197, 1, 2, 17, 1 };
static const uint32_t GN_AGENT[] = { 1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 4664, 1, 1 };
static const uint32_t GN_RECV[] = { 1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 4664, 1, 2 };
static const uint32_t GN_RESULT[] = { 1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 4664, 1, 2, 17, 1 };
static const uint32_t GN_SENDER[] = { 1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 4664, 1, 3, 1, 1 };
static const uint32_t GN_JOURNAL[] = { 1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 4664, 1, 4 };

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

static const struct snmp_ntp_ctx CTX = {
	.version = "gnomon 0.1.0", .system_type = "Linux", .resolution = 1000000000,
	.precision = -25, .heartbeat = 60, .notif_bits = 0x1fe, .notifications = 3,
	.now = 1796392520.5,
};

/* The instance base.a(.b), or NULL. */
static const struct snmp_vb *at(const struct snmp_vbl *l, const uint32_t *base, size_t blen,
				uint32_t a, uint32_t b)
{
	uint32_t o[SNMP_OID_MAX];

	memcpy(o, base, blen * sizeof(*o));
	o[blen] = a;
	o[blen + 1] = b;
	return snmp_vbl_get(l, o, blen + 2);
}

static void assert_str(const struct snmp_vb *vb, const char *want)
{
	char got[SNMP_VB_STR + 1];

	assert_non_null(vb);
	assert_int_equal(vb->type, SNMP_VT_OCTETS);
	memcpy(got, vb->s, vb->slen);
	got[vb->slen] = '\0';
	assert_string_equal(got, want);
}

static void full_state(struct snmp_state *st, struct snmp_idmap *ids)
{
	snmp_state_init(st);
	assert_int_equal(snmp_parse_tracking(st, TRACKING), 0);
	assert_int_equal(snmp_parse_sources(st, SOURCES), 0);
	assert_int_equal(snmp_parse_serverstats(st, SERVERSTATS), 0);
	assert_int_equal(snmp_parse_gateway(st, GATEWAY), 0);
	st->reachable = true;
	st->pid = 42;
	st->start_time = 1796392500;
	snmp_ids_assign(ids, st);
}

static void build(const struct snmp_state *st, struct snmp_vbl *l)
{
	struct snmp_gnomon_ctx gc = { .poll_failures = 2, .data_age_ms = 300 };

	snmp_vbl_init(l);
	snmp_ntp_build(st, &CTX, l);
	snmp_gnomon_build(st, &gc, l);
	snmp_vbl_sort(l);
}

static void test_ntp_mib_from_real_replies(void **unused)
{
	static struct snmp_state st;
	static struct snmp_idmap ids;
	struct snmp_vbl l;
	const struct snmp_vb *vb;
	uint8_t date[16];

	(void)unused;
	snmp_ids_init(&ids);
	full_state(&st, &ids);
	build(&st, &l);
	assert_str(at(&l, NTP_INFO, LEN(NTP_INFO), 1, 0), "gnomon");
	assert_str(at(&l, NTP_INFO, LEN(NTP_INFO), 2, 0), "gnomon 0.1.0");
	assert_int_equal(at(&l, NTP_INFO, LEN(NTP_INFO), 6, 0)->i, -25);
	/* distance = 36.869 us / 2 + 84.242 us = 102.6765 us */
	assert_str(at(&l, NTP_INFO, LEN(NTP_INFO), 7, 0), "0.102677 ms");
	assert_int_equal(at(&l, NTP_STATUS, LEN(NTP_STATUS), 1, 0)->i, SNMP_MODE_SYNC_REMOTE);
	vb = at(&l, NTP_STATUS, LEN(NTP_STATUS), 2, 0);
	assert_int_equal(vb->type, SNMP_VT_GAUGE);
	assert_int_equal(vb->u, 2);
	assert_int_equal(at(&l, NTP_STATUS, LEN(NTP_STATUS), 3, 0)->u, 1);	/* sys peer id */
	assert_str(at(&l, NTP_STATUS, LEN(NTP_STATUS), 4, 0), "127.0.0.1");
	assert_str(at(&l, NTP_STATUS, LEN(NTP_STATUS), 5, 0), "-0.003297 ms");
	assert_int_equal(at(&l, NTP_STATUS, LEN(NTP_STATUS), 6, 0)->u, 2);
	assert_str(at(&l, NTP_STATUS, LEN(NTP_STATUS), 7, 0), "0.084242");
	vb = at(&l, NTP_STATUS, LEN(NTP_STATUS), 8, 0);
	assert_int_equal(vb->type, SNMP_VT_TIMETICKS);
	assert_int_equal(vb->u, 2050);	/* 20.5 s */
	snmp_ntp_date(CTX.now + 1.252e-05, date);
	vb = at(&l, NTP_STATUS, LEN(NTP_STATUS), 9, 0);
	assert_int_equal(vb->slen, 16);
	assert_memory_equal(vb->s, date, 16);
	assert_int_equal(at(&l, NTP_STATUS, LEN(NTP_STATUS), 11, 0)->i, 0);
	/* in: server 100 + sources 3 + 9; out: 90 + 5 + 1 + 3 + 10 */
	assert_int_equal(at(&l, NTP_STATUS, LEN(NTP_STATUS), 12, 0)->u, 112);
	assert_int_equal(at(&l, NTP_STATUS, LEN(NTP_STATUS), 13, 0)->u, 109);
	assert_int_equal(at(&l, NTP_STATUS, LEN(NTP_STATUS), 14, 0)->u, 2);
	/* server short 1 + control 3, source rejected 1 + 2 */
	assert_int_equal(at(&l, NTP_STATUS, LEN(NTP_STATUS), 15, 0)->u, 7);
	assert_int_equal(at(&l, NTP_STATUS, LEN(NTP_STATUS), 16, 0)->u, 3);
	/* per mode: peer 10 sent/9 received, client 3 sent, server 96 sent */
	assert_int_equal(at(&l, PKTMODE, LEN(PKTMODE), 2, 1)->u, 10);
	assert_int_equal(at(&l, PKTMODE, LEN(PKTMODE), 3, 1)->u, 9);
	assert_int_equal(at(&l, PKTMODE, LEN(PKTMODE), 2, 3)->u, 3);
	assert_int_equal(at(&l, PKTMODE, LEN(PKTMODE), 3, 3)->u, 100);
	assert_int_equal(at(&l, PKTMODE, LEN(PKTMODE), 2, 4)->u, 96);
	assert_int_equal(at(&l, PKTMODE, LEN(PKTMODE), 3, 4)->u, 3);
	assert_int_equal(at(&l, PKTMODE, LEN(PKTMODE), 3, 6)->u, 3);
	/* association table: rows 1 and 2 */
	assert_str(at(&l, ASSOC, LEN(ASSOC), 2, 1), "127.0.0.1");
	assert_str(at(&l, ASSOC, LEN(ASSOC), 3, 1), "GPS");
	assert_int_equal(at(&l, ASSOC, LEN(ASSOC), 4, 1)->i, 1);
	assert_memory_equal(at(&l, ASSOC, LEN(ASSOC), 5, 1)->s, "\x7f\0\0\x01", 4);
	assert_str(at(&l, ASSOC, LEN(ASSOC), 6, 1), "-0.003297 ms");
	assert_int_equal(at(&l, ASSOC, LEN(ASSOC), 7, 1)->u, 1);
	assert_str(at(&l, ASSOC, LEN(ASSOC), 8, 1), "0.002559");
	assert_str(at(&l, ASSOC, LEN(ASSOC), 9, 1), "0.036869");
	assert_str(at(&l, ASSOC, LEN(ASSOC), 10, 1), "1937.522564");
	assert_str(at(&l, ASSOC, LEN(ASSOC), 2, 2), "ntp6");
	assert_int_equal(at(&l, ASSOC, LEN(ASSOC), 4, 2)->i, 2);
	assert_int_equal(at(&l, ASSOC, LEN(ASSOC), 5, 2)->slen, 16);
	assert_str(at(&l, ASSOC, LEN(ASSOC), 6, 2), "1.500000 ms");
	assert_int_equal(at(&l, ASTAT, LEN(ASTAT), 1, 1)->u, 3);
	assert_int_equal(at(&l, ASTAT, LEN(ASTAT), 3, 1)->u, 3);
	assert_int_equal(at(&l, ASTAT, LEN(ASTAT), 3, 2)->u, 0);
	assert_null(at(&l, ASSOC, LEN(ASSOC), 2, 3));
	snmp_vbl_free(&l);
}

static void test_gnomon_mib_gateway(void **unused)
{
	static struct snmp_state st;
	static struct snmp_idmap ids;
	struct snmp_vbl l;
	const struct snmp_vb *vb;

	(void)unused;
	snmp_ids_init(&ids);
	full_state(&st, &ids);
	build(&st, &l);
	assert_int_equal(at(&l, GN_AGENT, LEN(GN_AGENT), 1, 0)->i, 1);
	assert_int_equal(at(&l, GN_AGENT, LEN(GN_AGENT), 3, 0)->u, 2);
	assert_int_equal(at(&l, GN_AGENT, LEN(GN_AGENT), 4, 0)->u, 300);
	vb = at(&l, GN_RECV, LEN(GN_RECV), 1, 0);
	assert_int_equal(vb->type, SNMP_VT_COUNTER64);
	assert_int_equal(vb->u, 50);
	assert_int_equal(at(&l, GN_RECV, LEN(GN_RECV), 4, 0)->u, 5);
	assert_int_equal(at(&l, GN_RECV, LEN(GN_RECV), 7, 0)->u, 6);
	assert_int_equal(at(&l, GN_RECV, LEN(GN_RECV), 9, 0)->u, 6);	/* bad_mac 4 + key 2 */
	assert_int_equal(at(&l, GN_RECV, LEN(GN_RECV), 10, 0)->i, 2);	/* false */
	assert_int_equal(at(&l, GN_RECV, LEN(GN_RECV), 11, 0)->u, 200);
	assert_int_equal(at(&l, GN_RECV, LEN(GN_RECV), 12, 0)->i, 1);
	assert_int_equal(at(&l, GN_RECV, LEN(GN_RECV), 13, 0)->u, 1250);
	assert_int_equal(at(&l, GN_RECV, LEN(GN_RECV), 14, 0)->i, INT32_MIN);	/* -3.5 s saturates */
	assert_int_equal(at(&l, GN_RECV, LEN(GN_RECV), 15, 0)->i, 250000);
	assert_str(at(&l, GN_RESULT, LEN(GN_RESULT), 2, 1), "accepted");
	assert_int_equal(at(&l, GN_RESULT, LEN(GN_RESULT), 3, 1)->u, 40);
	assert_non_null(at(&l, GN_RESULT, LEN(GN_RESULT), 3, 5));
	assert_null(at(&l, GN_RESULT, LEN(GN_RESULT), 3, 6));
	assert_str(at(&l, GN_SENDER, LEN(GN_SENDER), 2, 1), "198.18.0.2");
	assert_int_equal(at(&l, GN_SENDER, LEN(GN_SENDER), 4, 1)->u, 77);
	assert_str(at(&l, GN_SENDER, LEN(GN_SENDER), 9, 1), "fixed");
	assert_int_equal(at(&l, GN_SENDER, LEN(GN_SENDER), 10, 1)->i, 123000);
	assert_int_equal(at(&l, GN_JOURNAL, LEN(GN_JOURNAL), 2, 0)->u, 3);
	snmp_vbl_free(&l);
}

/* A walk: GETNEXT from the root visits every instance once, in strictly
 * increasing order, tables column by column, and ends. */
static void test_walk_order(void **unused)
{
	static struct snmp_state st;
	static struct snmp_idmap ids;
	struct snmp_vbl l;
	const struct snmp_vb *vb, *prev = NULL;
	uint32_t root[] = { 1, 3, 6, 1, 2, 1, 197 };
	size_t n = 0;

	(void)unused;
	snmp_ids_init(&ids);
	full_state(&st, &ids);
	build(&st, &l);
	for (vb = snmp_vbl_next(&l, root, LEN(root)); vb;
	     vb = snmp_vbl_next(&l, vb->oid, vb->oid_len)) {
		if (prev)
			assert_true(snmp_oid_cmp(prev->oid, prev->oid_len, vb->oid, vb->oid_len) < 0);
		prev = vb;
		n++;
	}
	assert_int_equal(n, l.n);
	/* column 2 of both rows comes before column 3 of the first */
	vb = snmp_vbl_next(&l, (const uint32_t[]){ 1, 3, 6, 1, 2, 1, 197, 1, 3, 1, 1, 2, 1 }, 13);
	assert_int_equal(vb->oid[11], 2);
	assert_int_equal(vb->oid[12], 2);
	/* GET on an object (no instance) and past the end */
	assert_null(snmp_vbl_get(&l, (const uint32_t[]){ 1, 3, 6, 1, 2, 1, 197, 1, 2, 2 }, 10));
	assert_null(snmp_vbl_get(&l, root, LEN(root)));
	assert_null(snmp_vbl_next(&l, (const uint32_t[]){ 2 }, 1));
	snmp_vbl_free(&l);
}

/* gnomond does not answer: only what the subagent knows itself is
 * served; nothing from an older poll. */
static void test_unreachable_serves_nothing_stale(void **unused)
{
	static struct snmp_state st;
	struct snmp_vbl l;

	(void)unused;
	snmp_state_init(&st);
	snprintf(st.error, sizeof(st.error), "ctl.sock: Connection refused");
	build(&st, &l);
	assert_int_equal(at(&l, NTP_STATUS, LEN(NTP_STATUS), 1, 0)->i, SNMP_MODE_NOT_RUNNING);
	assert_null(at(&l, NTP_STATUS, LEN(NTP_STATUS), 2, 0));
	assert_null(at(&l, NTP_STATUS, LEN(NTP_STATUS), 9, 0));
	assert_null(at(&l, NTP_INFO, LEN(NTP_INFO), 7, 0));
	assert_null(at(&l, ASSOC, LEN(ASSOC), 2, 1));
	assert_null(at(&l, PKTMODE, LEN(PKTMODE), 2, 1));
	assert_str(at(&l, NTP_INFO, LEN(NTP_INFO), 1, 0), "gnomon");
	assert_int_equal(at(&l, GN_AGENT, LEN(GN_AGENT), 1, 0)->i, 2);
	assert_str(at(&l, GN_AGENT, LEN(GN_AGENT), 2, 0), "ctl.sock: Connection refused");
	assert_null(at(&l, GN_AGENT, LEN(GN_AGENT), 4, 0));
	assert_null(at(&l, GN_RECV, LEN(GN_RECV), 1, 0));
	snmp_vbl_free(&l);
}

static void test_malformed_replies(void **unused)
{
	/* text, and whether it is still an object a parser may take members
	 * from (absent ones stay absent) */
	static const struct { const char *text; bool object; } bad[] = {
		{ NULL, false }, { "", false }, { "not json", false }, { "[1,2,3]", false },
		{ "42", false }, { "\"str\"", false }, { "{", false },
		{ "{\"a\":1,\"a\":2}", false }, { "{\"error\":\"unknown command\"}", false },
		{ "{\"error\":5}", false }, { "{\"sources\":5}", true },
		{ "{\"sources\":{}}", true }, { "{\"senders\":\"x\"}", true },
		{ "{\"a\":\"\\u0000\"}", false },
	};
	static struct snmp_state st;
	size_t i;

	(void)unused;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snmp_state_init(&st);
		assert_int_equal(snmp_parse_tracking(&st, bad[i].text), bad[i].object ? 0 : -EINVAL);
		if (!bad[i].object)
			assert_true(st.error[0]);
		assert_int_equal(snmp_parse_sources(&st, bad[i].text), -EINVAL);
		assert_true(st.error[0]);
		snmp_parse_serverstats(&st, bad[i].text);
		snmp_parse_gateway(&st, bad[i].text);
		assert_int_equal(st.n_assoc, 0);
		assert_int_equal(st.n_senders, 0);
		assert_int_equal(st.stratum, -1);
		assert_false(st.reachable);
	}
	snmp_state_init(&st);
	assert_int_equal(snmp_parse_tracking(&st, "{\"error\":\"gnomond busy\"}"), -EINVAL);
	assert_string_equal(st.error, "tracking: gnomond busy");
}

/* Members missing or of the wrong type: no crash, and the objects they
 * feed are absent instead of 0. */
static void test_missing_and_mistyped_fields(void **unused)
{
	static struct snmp_state st;
	static struct snmp_idmap ids;
	struct snmp_vbl l;

	(void)unused;
	snmp_ids_init(&ids);
	snmp_state_init(&st);
	assert_int_equal(snmp_parse_tracking(&st, "{\"stratum\":\"two\",\"leap\":7,"
					     "\"synchronised\":\"yes\",\"root_delay\":null}"), 0);
	assert_int_equal(snmp_parse_sources(&st, "{\"sources\":[5,null,\"x\",{},"
					    "{\"name\":7,\"offset\":\"1\",\"received\":-4,"
					    "\"rejected\":[1],\"stratum\":1e300}]}"), 0);
	st.reachable = true;
	snmp_ids_assign(&ids, &st);
	assert_int_equal(st.n_assoc, 2);
	assert_int_equal(st.stratum, -1);
	assert_int_equal(st.leap, -1);
	assert_int_equal(st.synchronised, -1);
	build(&st, &l);
	assert_int_equal(at(&l, NTP_STATUS, LEN(NTP_STATUS), 1, 0)->i, SNMP_MODE_UNKNOWN);
	assert_null(at(&l, NTP_STATUS, LEN(NTP_STATUS), 2, 0));
	assert_null(at(&l, NTP_STATUS, LEN(NTP_STATUS), 7, 0));
	assert_null(at(&l, NTP_STATUS, LEN(NTP_STATUS), 9, 0));
	assert_null(at(&l, NTP_STATUS, LEN(NTP_STATUS), 10, 0));
	assert_null(at(&l, NTP_INFO, LEN(NTP_INFO), 7, 0));
	assert_str(at(&l, ASSOC, LEN(ASSOC), 2, 1), "");
	assert_int_equal(at(&l, ASSOC, LEN(ASSOC), 4, 1)->i, 0);	/* unknown(0) */
	assert_int_equal(at(&l, ASSOC, LEN(ASSOC), 5, 1)->slen, 0);
	assert_null(at(&l, ASSOC, LEN(ASSOC), 6, 2));
	assert_null(at(&l, ASSOC, LEN(ASSOC), 7, 2));
	assert_null(at(&l, ASTAT, LEN(ASTAT), 1, 2));
	assert_null(at(&l, ASTAT, LEN(ASTAT), 3, 2));
	snmp_vbl_free(&l);
}

static void test_mode(void **unused)
{
	static struct snmp_state st;

	(void)unused;
	snmp_state_init(&st);
	assert_int_equal(snmp_state_mode(&st), SNMP_MODE_NOT_RUNNING);
	st.reachable = true;
	st.synchronised = 0;
	assert_int_equal(snmp_state_mode(&st), SNMP_MODE_NONE_CONFIGURED);
	st.n_assoc = 1;
	assert_int_equal(snmp_state_mode(&st), SNMP_MODE_NOT_SYNC);
	st.n_assoc = 0;
	st.synchronised = 1;	/* `local stratum`: no source, synchronised */
	assert_int_equal(snmp_state_mode(&st), SNMP_MODE_SYNC_LOCAL);
}

static void test_ids_stable(void **unused)
{
	static struct snmp_state st;
	static struct snmp_idmap ids;

	(void)unused;
	snmp_ids_init(&ids);
	full_state(&st, &ids);
	assert_int_equal(st.assoc[0].id, 1);
	assert_int_equal(st.assoc[1].id, 2);
	/* the first source goes, a new one comes, the first returns */
	assert_int_equal(snmp_parse_sources(&st, "{\"sources\":[{\"name\":\"ntp6\","
				"\"address\":\"::1\",\"port\":123,\"mode\":\"peer\"},{\"name\":\"new\","
				"\"address\":\"10.1.1.1\",\"mode\":\"server\"}]}"), 0);
	snmp_ids_assign(&ids, &st);
	assert_int_equal(st.assoc[0].id, 2);
	assert_int_equal(st.assoc[1].id, 3);
	assert_int_equal(snmp_parse_sources(&st, SOURCES), 0);
	snmp_ids_assign(&ids, &st);
	assert_int_equal(st.assoc[0].id, 1);
	assert_int_equal(st.assoc[1].id, 2);
	/* the same source twice in one reply: two rows, never one id twice
	 * (found by fuzz_snmp) */
	assert_int_equal(snmp_parse_sources(&st, "{\"sources\":[{\"name\":\"a\"},"
					    "{\"name\":\"a\"},{\"name\":\"a\"}]}"), 0);
	snmp_ids_assign(&ids, &st);
	assert_int_equal(st.assoc[0].id, 4);
	assert_int_equal(st.assoc[1].id, 5);
	assert_int_equal(st.assoc[2].id, 6);
}

static int has(const struct snmp_event *ev, int n, bool gnomon, int which)
{
	int i, c = 0;

	for (i = 0; i < n; i++)
		if (ev[i].gnomon == gnomon && ev[i].n == which)
			c++;
	return c;
}

static void test_events(void **unused)
{
	static struct snmp_state a, b, down;
	static struct snmp_idmap ids;
	static struct snmp_event ev[SNMP_MAX_EVENTS];
	int n;

	(void)unused;
	snmp_ids_init(&ids);
	full_state(&a, &ids);
	/* first poll: nothing to compare with */
	assert_int_equal(snmp_events_diff(NULL, NULL, &a, ev, SNMP_MAX_EVENTS), 0);
	/* the same again: nothing */
	full_state(&b, &ids);
	assert_int_equal(snmp_events_diff(&a, &a, &b, ev, SNMP_MAX_EVENTS), 0);

	/* the upstream goes: no sys peer, stratum 16, mode notSynchronized */
	b.synchronised = 0;
	strcpy(b.assoc[0].state, "?");
	n = snmp_events_diff(&a, &a, &b, ev, SNMP_MAX_EVENTS);
	assert_int_equal(has(ev, n, false, SNMP_NTP_NOTIF_MODE), 1);
	assert_int_equal(has(ev, n, false, SNMP_NTP_NOTIF_STRATUM), 1);
	assert_int_equal(has(ev, n, false, SNMP_NTP_NOTIF_SYSPEER), 1);
	assert_int_equal(has(ev, n, false, SNMP_NTP_NOTIF_ADD_ASSOC), 0);
	assert_string_equal(ev[1].msg, "stratum 2 -> 16");

	/* gnomond down: mode change and unreachable, no association events */
	snmp_state_init(&down);
	n = snmp_events_diff(&a, &a, &down, ev, SNMP_MAX_EVENTS);
	assert_int_equal(n, 2);
	assert_int_equal(has(ev, n, false, SNMP_NTP_NOTIF_MODE), 1);
	assert_int_equal(has(ev, n, true, SNMP_GN_NOTIF_UNREACHABLE), 1);
	/* back with another pid and one source fewer, a leap announced, the
	 * gateway silent */
	full_state(&b, &ids);
	b.pid = 43;
	b.n_assoc = 1;
	b.leap = 1;
	b.recv.silent = 1;
	n = snmp_events_diff(&down, &a, &b, ev, SNMP_MAX_EVENTS);
	assert_int_equal(has(ev, n, false, SNMP_NTP_NOTIF_MODE), 1);
	assert_int_equal(has(ev, n, true, SNMP_GN_NOTIF_REACHABLE), 1);
	assert_int_equal(has(ev, n, false, SNMP_NTP_NOTIF_REMOVE_ASSOC), 1);
	assert_int_equal(has(ev, n, false, SNMP_NTP_NOTIF_CONFIG), 1);
	assert_int_equal(has(ev, n, false, SNMP_NTP_NOTIF_LEAP), 1);
	assert_int_equal(has(ev, n, true, SNMP_GN_NOTIF_GW_SILENT), 1);
	assert_int_equal(has(ev, n, false, SNMP_NTP_NOTIF_STRATUM), 0);
	/* the sink is bounded */
	assert_int_equal(snmp_events_diff(&down, &a, &b, ev, 2), 2);
}

static void test_conversions(void **unused)
{
	uint8_t d[16];
	char buf[64];
	struct snmp_vbl l;
	int type;

	(void)unused;
	snmp_ntp_date(0, d);	/* 1970 = NTP 2208988800 = 0x83aa7e80, era 0 */
	assert_memory_equal(d, "\0\0\0\0\x83\xaa\x7e\x80\0\0\0\0\0\0\0\0", 16);
	snmp_ntp_date(2085978496.5, d);	/* 2036-02-07 06:28:16.5: era 1, offset 0 */
	assert_memory_equal(d, "\0\0\0\x01\0\0\0\0\x80\0\0\0\0\0\0\0", 16);
	snmp_ntp_date(-2208988800.0 - 1, d);	/* before 1900: era -1 */
	assert_memory_equal(d, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
	assert_true(snmp_ntp_leap_time(1481760000.0) == 1483228800.0);	/* 2016-12-15 -> 2017 */
	assert_true(snmp_ntp_leap_time(1435622400.0) == 1435708800.0);	/* 2015-06-30 -> 07-01 */
	assert_string_equal(snmp_fmt_ms(0.000032, true, buf, sizeof(buf)), "0.032000 ms");
	assert_string_equal(snmp_fmt_ms(-1.232, false, buf, sizeof(buf)), "-1232.000000");
	assert_string_equal(snmp_fmt_ms(NAN, true, buf, sizeof(buf)), "");
	assert_int_equal(snmp_sec_to_ns32(1.5), 1500000000);
	assert_int_equal(snmp_sec_to_ns32(2.5), INT32_MAX);
	assert_int_equal(snmp_sec_to_ns32(-0.000000001), -1);
	assert_int_equal(snmp_sec_to_ns32(NAN), 0);
	assert_int_equal(snmp_inet_address("fe80::1%eth0", &type, d), 16);
	assert_int_equal(type, 2);
	assert_int_equal(snmp_inet_address("gateway", &type, d), 0);
	assert_int_equal(type, 0);
	/* Counter32 wraps, Gauge32 latches */
	snmp_vbl_init(&l);
	snmp_vbl_add_uns(&l, (const uint32_t[]){ 1 }, 1, NULL, 0, SNMP_VT_COUNTER32,
			 0x100000005ull);
	snmp_vbl_add_uns(&l, (const uint32_t[]){ 2 }, 1, NULL, 0, SNMP_VT_GAUGE, 0x100000005ull);
	snmp_vbl_add_int(&l, (const uint32_t[]){ 3 }, 1, NULL, 0, -5000000000ll);
	assert_int_equal(l.v[0].u, 5);
	assert_int_equal(l.v[1].u, 0xffffffffu);
	assert_int_equal(l.v[2].i, INT32_MIN);
	/* an OID too long for the list is refused, not truncated */
	assert_null(snmp_vbl_add(&l, (const uint32_t[SNMP_OID_MAX]){ 0 }, SNMP_OID_MAX,
				 (const uint32_t[]){ 1 }, 1, SNMP_VT_GAUGE));
	snmp_vbl_free(&l);
}

/* `gnomonctl --json alarms` of a client whose upstream does not exist (a real
 * reply, cut to four rules). */
static const char ALARMS[] =
	"{\"active\":[{\"name\":\"no_selectable_source\",\"severity\":\"warning\",\"value\":1,"
	"\"threshold\":1,\"since\":1796396648.1124003,\"age\":0.998244624,"
	"\"message\":\"no source is selectable\"},{\"name\":\"unsynchronised\","
	"\"severity\":\"critical\",\"value\":1,\"threshold\":1,\"since\":1796396648.1124003,"
	"\"age\":0.998244624,\"message\":\"the clock is not synchronised\"}],"
	"\"recent\":[{\"time\":1796396648.1124003,\"age\":0.998244624,\"name\":\"unsynchronised\","
	"\"event\":\"raised\",\"severity\":\"critical\",\"prev\":\"none\",\"value\":1,"
	"\"threshold\":1,\"message\":\"the clock is not synchronised\"},"
	"{\"time\":1796396648.1124003,\"age\":0.998244624,\"name\":\"no_selectable_source\","
	"\"event\":\"raised\",\"severity\":\"warning\",\"prev\":\"none\",\"value\":1,"
	"\"threshold\":1,\"message\":\"no source is selectable\"}],"
	"\"rules\":[{\"name\":\"offset\",\"enabled\":true,\"state\":\"unset\","
	"\"severity\":\"none\",\"known\":false,\"value\":null,"
	"\"thresholds\":{\"warning\":0.001,\"critical\":0.01},"
	"\"clear\":0.0005,\"minage\":10,\"raises\":0,\"clears\":0},"
	"{\"name\":\"no_selectable_source\",\"enabled\":true,\"state\":\"raised\","
	"\"severity\":\"warning\",\"known\":true,\"value\":1,\"thresholds\":{\"warning\":1},"
	"\"clear\":0.5,\"minage\":1,\"raises\":1,\"clears\":0,\"last_raised\":1796396648.1124003,"
	"\"last_raised_age\":0.998244624},{\"name\":\"unsynchronised\",\"enabled\":true,"
	"\"state\":\"raised\",\"severity\":\"critical\",\"known\":true,\"value\":1,"
	"\"thresholds\":{\"critical\":1},\"clear\":0.5,\"minage\":1,\"raises\":1,\"clears\":0},"
	"{\"name\":\"auth_failures\",\"enabled\":false,\"state\":\"unset\",\"severity\":\"none\","
	"\"known\":true,\"value\":0,\"thresholds\":{\"warning\":5,\"critical\":100},\"clear\":2.5,"
	"\"minage\":10,\"window\":60,\"raises\":0,\"clears\":0}]}";

static const uint32_t GN_ALARM[] = { 1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 4664, 1, 5, 1, 1 };

/* An `alarms` reply with the given "recent" members and the four rules. */
static const char *alarms_with(const char *recent)
{
	static char buf[8192];
	const char *rules = strstr(ALARMS, "\"rules\"");

	snprintf(buf, sizeof(buf), "{\"active\":[],\"recent\":[%s],%s", recent, rules);
	return buf;
}

static void alarm_state(struct snmp_state *st, pid_t pid, int64_t start, const char *text,
			double now)
{
	snmp_state_init(st);
	st->reachable = true;
	st->pid = pid;
	st->start_time = start;
	snmp_parse_alarms(st, text, now);
}

static void test_alarm_table(void **unused)
{
	static struct snmp_state st;
	static struct snmp_idmap ids;
	struct snmp_vbl l;

	(void)unused;
	snmp_ids_init(&ids);
	full_state(&st, &ids);
	assert_int_equal(snmp_parse_alarms(&st, ALARMS, 1000.0), 0);
	assert_true(st.alarms.present);
	assert_int_equal(st.alarms.n_rules, 4);
	assert_int_equal(st.alarms.n_events, 2);
	assert_true(fabs(st.alarms.events[0].t - (1000.0 - 0.998244624)) < 1e-9);
	build(&st, &l);
	/* offset: never raised, unknown value, would raise at 1 ms */
	assert_str(at(&l, GN_ALARM, LEN(GN_ALARM), 2, 1), "offset");
	assert_int_equal(at(&l, GN_ALARM, LEN(GN_ALARM), 3, 1)->i, SNMP_AL_UNSET);
	assert_int_equal(at(&l, GN_ALARM, LEN(GN_ALARM), 4, 1)->i, SNMP_AL_NONE);
	assert_str(at(&l, GN_ALARM, LEN(GN_ALARM), 5, 1), "");
	assert_str(at(&l, GN_ALARM, LEN(GN_ALARM), 6, 1), "0.001");
	assert_str(at(&l, GN_ALARM, LEN(GN_ALARM), 7, 1), "");
	assert_int_equal(at(&l, GN_ALARM, LEN(GN_ALARM), 10, 1)->i, 1);
	/* unsynchronised: raised, critical, with its message */
	assert_str(at(&l, GN_ALARM, LEN(GN_ALARM), 2, 3), "unsynchronised");
	assert_int_equal(at(&l, GN_ALARM, LEN(GN_ALARM), 3, 3)->i, SNMP_AL_RAISED);
	assert_int_equal(at(&l, GN_ALARM, LEN(GN_ALARM), 4, 3)->i, SNMP_AL_CRITICAL);
	assert_str(at(&l, GN_ALARM, LEN(GN_ALARM), 5, 3), "1");
	assert_str(at(&l, GN_ALARM, LEN(GN_ALARM), 7, 3), "the clock is not synchronised");
	assert_int_equal(at(&l, GN_ALARM, LEN(GN_ALARM), 8, 3)->type, SNMP_VT_COUNTER64);
	assert_int_equal(at(&l, GN_ALARM, LEN(GN_ALARM), 8, 3)->u, 1);
	assert_int_equal(at(&l, GN_ALARM, LEN(GN_ALARM), 9, 3)->u, 0);
	assert_int_equal(at(&l, GN_ALARM, LEN(GN_ALARM), 4, 2)->i, SNMP_AL_WARNING);
	/* switched off: false(2) */
	assert_int_equal(at(&l, GN_ALARM, LEN(GN_ALARM), 10, 4)->i, 2);
	assert_null(at(&l, GN_ALARM, LEN(GN_ALARM), 2, 5));
	snmp_vbl_free(&l);

	/* not reachable: no table (nothing stale) */
	st.reachable = false;
	build(&st, &l);
	assert_null(at(&l, GN_ALARM, LEN(GN_ALARM), 2, 1));
	snmp_vbl_free(&l);
}

static int count_notif(const struct snmp_event *ev, int n, int notif, const char *name)
{
	int i, c = 0;

	for (i = 0; i < n; i++)
		c += ev[i].gnomon && ev[i].n == notif && !strcmp(ev[i].alarm_name, name);
	return c;
}

#define RAISED_UNSYNC(age) \
	"{\"time\":0,\"age\":" #age ",\"name\":\"unsynchronised\",\"event\":\"raised\"," \
	"\"severity\":\"critical\",\"prev\":\"none\",\"value\":1,\"threshold\":1," \
	"\"message\":\"the clock is not synchronised\"}"
#define CLEARED_UNSYNC(age) \
	"{\"time\":0,\"age\":" #age ",\"name\":\"unsynchronised\",\"event\":\"cleared\"," \
	"\"severity\":\"critical\",\"value\":0,\"threshold\":0.5," \
	"\"message\":\"the clock is synchronised again\"}"

static void test_alarm_events(void **unused)
{
	static struct snmp_state st;
	static struct snmp_event ev[SNMP_MAX_EVENTS];
	struct snmp_alarm_track tr;
	int n;

	(void)unused;
	/* gnomond ran before the subagent (started 500, agent 600): what it
	 * lists at the first poll is not sent again */
	snmp_alarm_track_init(&tr);
	alarm_state(&st, 42, 500, ALARMS, 1000.0);
	assert_int_equal(snmp_alarm_events(&tr, &st, 600, ev, SNMP_MAX_EVENTS), 0);
	/* one poll later, the same events a second older: nothing */
	alarm_state(&st, 42, 500, alarms_with(RAISED_UNSYNC(1.999)), 1001.0);
	assert_int_equal(snmp_alarm_events(&tr, &st, 600, ev, SNMP_MAX_EVENTS), 0);
	/* raised again and cleared between two polls: both, oldest first */
	alarm_state(&st, 42, 500, alarms_with(CLEARED_UNSYNC(0.2) "," RAISED_UNSYNC(1.2) ","
					      RAISED_UNSYNC(12.0)), 1011.0);
	n = snmp_alarm_events(&tr, &st, 600, ev, SNMP_MAX_EVENTS);
	assert_int_equal(n, 2);
	assert_int_equal(ev[0].n, SNMP_GN_NOTIF_ALARM_RAISED);
	assert_int_equal(ev[1].n, SNMP_GN_NOTIF_ALARM_CLEARED);
	assert_true(ev[1].gnomon);
	assert_int_equal(ev[1].alarm_index, 3);
	assert_string_equal(ev[1].alarm_name, "unsynchronised");
	assert_int_equal(ev[1].alarm_sev, SNMP_AL_CRITICAL);
	assert_true(ev[1].alarm_value == 0 && ev[1].alarm_threshold == 0.5);
	assert_string_equal(ev[1].msg, "the clock is synchronised again");
	/* the next poll, ages grown by a little less than the time between
	 * the polls (the reply was read a little later): nothing new */
	alarm_state(&st, 42, 500, alarms_with(CLEARED_UNSYNC(1.1) "," RAISED_UNSYNC(2.1)),
		    1011.95);
	assert_int_equal(snmp_alarm_events(&tr, &st, 600, ev, SNMP_MAX_EVENTS), 0);
	/* a poll without the alarms (unreachable, or `alarms` failed) changes
	 * nothing; the next one sends what came in between */
	alarm_state(&st, 42, 500, "{\"error\":\"busy\"}", 1013.0);
	assert_int_equal(snmp_alarm_events(&tr, &st, 600, ev, SNMP_MAX_EVENTS), 0);
	st.reachable = false;
	assert_int_equal(snmp_alarm_events(&tr, &st, 600, ev, SNMP_MAX_EVENTS), 0);
	alarm_state(&st, 42, 500, alarms_with(RAISED_UNSYNC(0.5) "," CLEARED_UNSYNC(4.0)),
		    1015.0);
	n = snmp_alarm_events(&tr, &st, 600, ev, SNMP_MAX_EVENTS);
	assert_int_equal(n, 1);
	assert_int_equal(count_notif(ev, n, SNMP_GN_NOTIF_ALARM_RAISED, "unsynchronised"), 1);
	/* gnomond restarted (a new pid): all of its events are new, even
	 * older ones than the last seen of the old process */
	alarm_state(&st, 43, 1014, alarms_with(RAISED_UNSYNC(0.1) "," CLEARED_UNSYNC(3.0) ","
					       RAISED_UNSYNC(4.0)), 1018.0);
	n = snmp_alarm_events(&tr, &st, 600, ev, SNMP_MAX_EVENTS);
	assert_int_equal(n, 3);
	assert_int_equal(count_notif(ev, n, SNMP_GN_NOTIF_ALARM_RAISED, "unsynchronised"), 2);
	assert_int_equal(ev[1].n, SNMP_GN_NOTIF_ALARM_CLEARED);
	alarm_state(&st, 43, 1014, alarms_with(RAISED_UNSYNC(1.1) "," CLEARED_UNSYNC(4.0) ","
					       RAISED_UNSYNC(5.0)), 1019.0);
	assert_int_equal(snmp_alarm_events(&tr, &st, 600, ev, SNMP_MAX_EVENTS), 0);
	/* a gnomond started after the subagent: everything it lists is new */
	snmp_alarm_track_init(&tr);
	alarm_state(&st, 44, 700, ALARMS, 1000.0);
	n = snmp_alarm_events(&tr, &st, 600, ev, SNMP_MAX_EVENTS);
	assert_int_equal(n, 2);
	/* the same second, in the order gnomond emitted them (oldest first
	 * is the reverse of its list) */
	assert_string_equal(ev[0].alarm_name, "no_selectable_source");
	assert_int_equal(ev[0].alarm_sev, SNMP_AL_WARNING);
	assert_string_equal(ev[1].alarm_name, "unsynchronised");
	/* an unknown start time counts as "ran before" */
	snmp_alarm_track_init(&tr);
	alarm_state(&st, 44, -1, ALARMS, 1000.0);
	assert_int_equal(snmp_alarm_events(&tr, &st, 600, ev, SNMP_MAX_EVENTS), 0);
	/* no room: at most max, and no overflow */
	snmp_alarm_track_init(&tr);
	alarm_state(&st, 44, 700, ALARMS, 1000.0);
	assert_int_equal(snmp_alarm_events(&tr, &st, 600, ev, 1), 1);
}

static void test_alarms_malformed(void **unused)
{
	static const char *const bad[] = {
		"", "null", "[]", "{", "{\"error\":\"unknown command alarms\"}", "{\"rules\":5}",
		"{\"active\":[],\"recent\":[]}", "{\"rules\":{},\"recent\":[]}",
		"{\"rules\":[1,\"x\",null,{},{\"name\":7}],\"recent\":[{\"name\":\"x\"}]}",
		"{\"rules\":[{\"name\":\"a\"}],\"recent\":{\"name\":\"a\",\"event\":\"raised\"}}",
		"{\"rules\":[{\"name\":\"a\"}],\"recent\":[{\"name\":\"a\",\"event\":\"raised\","
		"\"severity\":\"critical\"}]}",
		"{\"rules\":[{\"name\":\"a\"}],\"recent\":[{\"name\":\"a\",\"event\":\"raised\","
		"\"severity\":\"critical\",\"age\":-1}]}",
		"{\"rules\":[{\"name\":\"a\"}],\"recent\":[{\"name\":\"a\",\"event\":\"raised\","
		"\"severity\":\"critical\",\"age\":\"1\"}]}",
		"{\"rules\":[{\"name\":\"a\"}],\"recent\":[{\"name\":\"a\",\"event\":\"flapped\","
		"\"severity\":\"critical\",\"age\":1}]}",
		"{\"rules\":[{\"name\":\"a\"}],\"recent\":[{\"name\":\"a\",\"event\":\"raised\","
		"\"severity\":\"dire\",\"age\":1}]}",
		"{\"rules\":[{\"name\":\"a\"}],\"recent\":[{\"name\":\"b\",\"event\":\"raised\","
		"\"severity\":\"info\",\"age\":1}]}",
		"{\"rules\":[{\"name\":\"a\"}],\"recent\":[{\"name\":[],\"event\":\"raised\","
		"\"severity\":\"info\",\"age\":1}]}",
		"{\"rules\":[{\"name\":\"a\"}],\"recent\":[{\"name\":\"a\",\"event\":\"raised\","
		"\"severity\":\"info\",\"age\":1e400}]}",
	};
	static struct snmp_state st;
	static struct snmp_event ev[SNMP_MAX_EVENTS];
	struct snmp_alarm_track tr;
	struct snmp_vbl l;
	char big[16384];
	size_t i, o;

	(void)unused;
	for (i = 0; i < LEN(bad); i++) {
		/* a gnomond started after the subagent: any event would be sent */
		snmp_alarm_track_init(&tr);
		alarm_state(&st, 42, 700, bad[i], 1000.0);
		assert_int_equal(snmp_alarm_events(&tr, &st, 600, ev, SNMP_MAX_EVENTS), 0);
		build(&st, &l);
		snmp_vbl_free(&l);
	}
	snmp_state_init(&st);
	assert_int_equal(snmp_parse_alarms(&st, NULL, 0), -EINVAL);
	assert_false(st.alarms.present);
	assert_int_equal(snmp_parse_alarms(&st, "{\"error\":\"x\"}", 0), -EINVAL);
	assert_string_equal(st.error, "alarms: x");
	/* mistyped members are absent, not 0 */
	alarm_state(&st, 42, 700, "{\"rules\":[{\"name\":\"a\",\"state\":\"odd\",\"severity\":1,"
		    "\"value\":\"1\",\"raises\":-4,\"enabled\":\"yes\"}],\"recent\":[]}", 1000.0);
	assert_int_equal(st.alarms.n_rules, 1);
	build(&st, &l);
	assert_null(at(&l, GN_ALARM, LEN(GN_ALARM), 3, 1));
	assert_null(at(&l, GN_ALARM, LEN(GN_ALARM), 4, 1));
	assert_str(at(&l, GN_ALARM, LEN(GN_ALARM), 5, 1), "");
	assert_null(at(&l, GN_ALARM, LEN(GN_ALARM), 8, 1));
	assert_null(at(&l, GN_ALARM, LEN(GN_ALARM), 10, 1));
	snmp_vbl_free(&l);
	/* too many rules and events, overlong strings: bounded and cut */
	o = (size_t)snprintf(big, sizeof(big), "{\"rules\":[");
	for (i = 0; i < 20; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, "%s{\"name\":\"r%02zu%s\"}",
				      i ? "," : "", i,
				      i == 0 ? "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" : "");
	o += (size_t)snprintf(big + o, sizeof(big) - o, "],\"recent\":[");
	for (i = 0; i < 40; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, "%s{\"name\":\"r01\","
				      "\"event\":\"raised\",\"severity\":\"info\",\"age\":%zu,"
				      "\"message\":\"%0300d\"}", i ? "," : "", i, 0);
	snprintf(big + o, sizeof(big) - o, "]}");
	assert_true(strlen(big) < sizeof(big) - 1);
	snmp_alarm_track_init(&tr);
	alarm_state(&st, 42, 700, big, 1000.0);
	assert_int_equal(st.alarms.n_rules, SNMP_MAX_ALARMS);
	assert_int_equal(st.alarms.n_events, SNMP_MAX_ALARM_EVENTS);
	assert_int_equal(strlen(st.alarms.rules[0].name), 31);
	assert_int_equal(strlen(st.alarms.events[0].msg), SNMP_ALARM_MSG - 1);
	assert_int_equal(snmp_alarm_events(&tr, &st, 600, ev, SNMP_MAX_EVENTS),
			 SNMP_MAX_ALARM_EVENTS);
	build(&st, &l);
	for (i = 0; i < l.n; i++)
		assert_true(l.v[i].slen <= 255);
	snmp_vbl_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ntp_mib_from_real_replies),
		cmocka_unit_test(test_gnomon_mib_gateway),
		cmocka_unit_test(test_walk_order),
		cmocka_unit_test(test_unreachable_serves_nothing_stale),
		cmocka_unit_test(test_malformed_replies),
		cmocka_unit_test(test_missing_and_mistyped_fields),
		cmocka_unit_test(test_mode),
		cmocka_unit_test(test_ids_stable),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_conversions),
		cmocka_unit_test(test_alarm_table),
		cmocka_unit_test(test_alarm_events),
		cmocka_unit_test(test_alarms_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
