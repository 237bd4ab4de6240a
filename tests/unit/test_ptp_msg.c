/* Unit tests of the PTP message codec (src/ptp/ptp_msg.c) and the data
 * set encodings pmc reads (src/ptp/ptp_ds.c): round trips of every type,
 * byte layouts checked against IEEE 1588-2019 §13 and §15.5.3 (and a
 * Sync as ptp4l 3.1.1 sent it, captured on a veth), and malformed input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ptp/ptp_ds.h"
#include "ptp/ptp_msg.h"

static const struct ptp_port_id src_id = { { { 0x0a, 0x0b, 0x0c, 0xff, 0xfe, 0x0d, 0x0e, 0x0f } }, 1 };

static void base(struct ptp_msg *m, unsigned type)
{
	memset(m, 0, sizeof(*m));
	m->h.type = (uint8_t)type;
	m->h.version = 2;
	m->h.domain = 3;
	m->h.flags = PTP_FLAG_TWO_STEP | PTP_FLAG_TIMESCALE;
	m->h.correction = -123456789;
	m->h.source = src_id;
	m->h.seq = 0xBEEF;
	m->h.log_interval = -3;
}

static size_t roundtrip(struct ptp_msg *m, struct ptp_msg *r, uint8_t *buf, size_t cap)
{
	size_t n = ptp_msg_encode(buf, cap, m);

	assert_true(n >= PTP_HDR_LEN);
	assert_int_equal(ptp_msg_parse(buf, n, r), PTP_OK);
	assert_int_equal(r->h.type, m->h.type);
	assert_int_equal(r->h.version, 2);
	assert_int_equal(r->h.length, n);
	assert_int_equal(r->h.domain, 3);
	assert_int_equal(r->h.flags, m->h.flags);
	assert_true(r->h.correction == m->h.correction);
	assert_true(ptp_port_id_eq(&r->h.source, &src_id));
	assert_int_equal(r->h.seq, 0xBEEF);
	assert_int_equal(r->h.log_interval, -3);
	return n;
}

static void test_roundtrip_event_and_general(void **state)
{
	static const unsigned types[] = { PTP_SYNC, PTP_DELAY_REQ, PTP_FOLLOW_UP, PTP_PDELAY_REQ };
	static const size_t lens[] = { 44, 44, 44, 54 };
	static const uint8_t controls[] = { 0, 1, 2, 5 };
	uint8_t buf[PTP_MAX_MSG];
	struct ptp_msg m, r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		base(&m, types[i]);
		m.u.origin.sec = 0xABCD12345678ull;
		m.u.origin.ns = 999999999;
		assert_int_equal(roundtrip(&m, &r, buf, sizeof(buf)), lens[i]);
		assert_true(r.u.origin.sec == 0xABCD12345678ull);
		assert_int_equal(r.u.origin.ns, 999999999);
		assert_int_equal(buf[32], controls[i]);	/* §13.3.2.13 */
		assert_int_equal(buf[0], types[i]);
		assert_int_equal(buf[1], 2);
	}
}

static void test_roundtrip_responses(void **state)
{
	static const unsigned types[] = { PTP_DELAY_RESP, PTP_PDELAY_RESP, PTP_PDELAY_RESP_FUP };
	struct ptp_port_id req = { { { 1, 2, 3, 4, 5, 6, 7, 8 } }, 0x1234 };
	uint8_t buf[PTP_MAX_MSG];
	struct ptp_msg m, r;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		base(&m, types[i]);
		m.u.resp.ts.sec = 1700000000;
		m.u.resp.ts.ns = 42;
		m.u.resp.requesting = req;
		assert_int_equal(roundtrip(&m, &r, buf, sizeof(buf)), 54);
		assert_true(r.u.resp.ts.sec == 1700000000);
		assert_int_equal(r.u.resp.ts.ns, 42);
		assert_true(ptp_port_id_eq(&r.u.resp.requesting, &req));
	}
}

static void test_roundtrip_announce(void **state)
{
	uint8_t buf[PTP_MAX_MSG];
	struct ptp_msg m, r;
	const struct ptp_announce *a = &r.u.announce;

	(void)state;
	base(&m, PTP_ANNOUNCE);
	m.u.announce.origin.sec = 5;
	m.u.announce.utc_offset = 37;
	m.u.announce.gm_priority1 = 100;
	m.u.announce.gm_quality = (struct ptp_clock_quality){ 6, 0x21, 0x4e5d };
	m.u.announce.gm_priority2 = 200;
	memcpy(m.u.announce.gm_identity.id, "\x11\x22\x33\xff\xfe\x44\x55\x66", 8);
	m.u.announce.steps_removed = 2;
	m.u.announce.time_source = PTP_TS_GNSS;
	assert_int_equal(roundtrip(&m, &r, buf, sizeof(buf)), 64);
	assert_int_equal(a->utc_offset, 37);
	assert_int_equal(a->gm_priority1, 100);
	assert_int_equal(a->gm_quality.clock_class, 6);
	assert_int_equal(a->gm_quality.accuracy, 0x21);
	assert_int_equal(a->gm_quality.variance, 0x4e5d);
	assert_int_equal(a->gm_priority2, 200);
	assert_memory_equal(a->gm_identity.id, "\x11\x22\x33\xff\xfe\x44\x55\x66", 8);
	assert_int_equal(a->steps_removed, 2);
	assert_int_equal(a->time_source, PTP_TS_GNSS);
	/* §13.5.1 Table 43 offsets */
	assert_int_equal(buf[44], 0);
	assert_int_equal(buf[45], 37);
	assert_int_equal(buf[47], 100);
	assert_int_equal(buf[48], 6);
	assert_int_equal(buf[63], PTP_TS_GNSS);
}

static void test_roundtrip_management(void **state)
{
	uint8_t buf[PTP_MAX_MSG], data[20];
	struct ptp_msg m, r;
	struct ptp_default_ds d = { .two_step = true, .num_ports = 1, .priority1 = 128,
				    .priority2 = 127, .quality = { 248, 0xfe, 0xffff },
				    .identity = { { 9, 8, 7, 0xff, 0xfe, 6, 5, 4 } }, .domain = 3 };
	struct ptp_default_ds back;

	(void)state;
	base(&m, PTP_MANAGEMENT);
	memset(m.u.mgmt.target.clock.id, 0xff, 8);
	m.u.mgmt.target.port = 0xffff;
	m.u.mgmt.starting_hops = 1;
	m.u.mgmt.action = PTP_MGMT_RESPONSE;
	m.u.mgmt.has_tlv = true;
	m.u.mgmt.tlv_type = PTP_TLV_MANAGEMENT;
	m.u.mgmt.id = PTP_MID_DEFAULT_DATA_SET;
	assert_int_equal(ptp_ds_put_default(data, sizeof(data), &d), 20);
	m.u.mgmt.data = data;
	m.u.mgmt.data_len = 20;
	assert_int_equal(roundtrip(&m, &r, buf, sizeof(buf)), 34 + 14 + 4 + 22);
	assert_int_equal(buf[32], 4);
	assert_true(r.u.mgmt.has_tlv);
	assert_int_equal(r.u.mgmt.id, PTP_MID_DEFAULT_DATA_SET);
	assert_int_equal(r.u.mgmt.action, PTP_MGMT_RESPONSE);
	assert_int_equal(r.u.mgmt.starting_hops, 1);
	assert_int_equal(r.u.mgmt.data_len, 20);
	assert_int_equal(ptp_ds_get_default(r.u.mgmt.data, r.u.mgmt.data_len, &back), 0);
	assert_true(back.two_step && !back.slave_only);
	assert_int_equal(back.priority2, 127);
	assert_int_equal(back.quality.clock_class, 248);
	assert_int_equal(back.domain, 3);
	assert_memory_equal(back.identity.id, d.identity.id, 8);
	/* §15.5.3.3.1: flags, reserved, numberPorts, priority1, quality... */
	assert_memory_equal(data, "\x01\x00\x00\x01\x80\xf8\xfe\xff\xff\x7f", 10);

	/* An error status TLV: id and error, no data. */
	m.u.mgmt.tlv_type = PTP_TLV_MANAGEMENT_ERROR;
	m.u.mgmt.error = PTP_MERR_NO_SUCH_ID;
	m.u.mgmt.data_len = 0;
	roundtrip(&m, &r, buf, sizeof(buf));
	assert_int_equal(r.u.mgmt.tlv_type, PTP_TLV_MANAGEMENT_ERROR);
	assert_int_equal(r.u.mgmt.error, PTP_MERR_NO_SUCH_ID);
	assert_int_equal(r.u.mgmt.id, PTP_MID_DEFAULT_DATA_SET);

	/* Without a TLV. */
	m.u.mgmt.has_tlv = false;
	assert_int_equal(roundtrip(&m, &r, buf, sizeof(buf)), 48);
	assert_false(r.u.mgmt.has_tlv);
}

/* A Sync of ptp4l 3.1.1 (two-step, software timestamps) as captured on a
 * veth: the header fields land where §13.3 puts them. */
static void test_captured_ptp4l_sync(void **state)
{
	static const uint8_t sync[44] = {
		0x00, 0x02, 0x00, 0x2c, 0x00, 0x00, 0x02, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0x02, 0xaf, 0x0c, 0xff, 0xfe, 0xc0, 0x47, 0xe7, 0x00, 0x01,
		0x00, 0x07, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	struct ptp_msg m;
	char id[40];

	(void)state;
	assert_int_equal(ptp_msg_parse(sync, sizeof(sync), &m), PTP_OK);
	assert_int_equal(m.h.type, PTP_SYNC);
	assert_int_equal(m.h.flags, PTP_FLAG_TWO_STEP);
	assert_int_equal(m.h.seq, 7);
	assert_string_equal(ptp_port_id_str(&m.h.source.clock, m.h.source.port, id, sizeof(id)),
			    "02af0c.fffe.c047e7-1");
	assert_string_equal(ptp_port_id_str(&m.h.source.clock, -1, id, sizeof(id)),
			    "02af0c.fffe.c047e7");
}

static void test_malformed(void **state)
{
	uint8_t buf[PTP_MAX_MSG + 10], good[64];
	struct ptp_msg m;
	size_t n;

	(void)state;
	base(&m, PTP_ANNOUNCE);
	n = ptp_msg_encode(good, sizeof(good), &m);
	assert_int_equal(n, 64);
	/* truncated header, truncated body */
	assert_int_equal(ptp_msg_parse(good, 0, &m), PTP_E_SHORT);
	assert_int_equal(ptp_msg_parse(good, 33, &m), PTP_E_SHORT);
	memcpy(buf, good, 64);
	buf[3] = 50;	/* messageLength inside the datagram but short of the body */
	assert_int_equal(ptp_msg_parse(buf, 64, &m), PTP_E_SHORT);
	/* messageLength beyond the datagram, below the header */
	assert_int_equal(ptp_msg_parse(good, 63, &m), PTP_E_LENGTH);
	buf[2] = 0;
	buf[3] = 20;
	assert_int_equal(ptp_msg_parse(buf, 64, &m), PTP_E_LENGTH);
	/* padding after messageLength is ignored (Ethernet minimum frames) */
	memcpy(buf, good, 64);
	memset(buf + 64, 0xAA, 10);
	assert_int_equal(ptp_msg_parse(buf, 74, &m), PTP_OK);
	/* oversized datagram */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, good, 64);
	assert_int_equal(ptp_msg_parse(buf, PTP_MAX_MSG + 1, &m), PTP_E_LENGTH);
	/* versions 1 and 3; minor version 1 is fine */
	memcpy(buf, good, 64);
	buf[1] = 1;
	assert_int_equal(ptp_msg_parse(buf, 64, &m), PTP_E_VERSION);
	buf[1] = 3;
	assert_int_equal(ptp_msg_parse(buf, 64, &m), PTP_E_VERSION);
	buf[1] = 0x12;
	assert_int_equal(ptp_msg_parse(buf, 64, &m), PTP_OK);
	assert_int_equal(m.h.minor_version, 1);
	/* reserved message types */
	buf[1] = 2;
	buf[0] = 0x4;
	assert_int_equal(ptp_msg_parse(buf, 64, &m), PTP_E_TYPE);
	buf[0] = 0xF;
	assert_int_equal(ptp_msg_parse(buf, 64, &m), PTP_E_TYPE);
	/* nanoseconds >= 10^9 */
	memcpy(buf, good, 64);
	buf[40] = 0x3b;
	buf[41] = 0x9a;
	buf[42] = 0xca;
	buf[43] = 0x00;
	assert_int_equal(ptp_msg_parse(buf, 64, &m), PTP_E_FIELD);
	assert_string_equal(ptp_parse_err_name(PTP_E_FIELD), "field");
}

static void test_malformed_tlvs(void **state)
{
	uint8_t buf[128];
	struct ptp_msg m;
	size_t n;

	(void)state;
	base(&m, PTP_SIGNALING);
	n = ptp_msg_encode(buf, sizeof(buf), &m);
	assert_int_equal(n, 44);
	/* a TLV of 4 value bytes after the body: fine, and skipped */
	memcpy(buf + 44, "\x00\x03\x00\x04\x01\x02\x03\x04", 8);
	buf[3] = 52;
	assert_int_equal(ptp_msg_parse(buf, 52, &m), PTP_OK);
	/* its length runs past messageLength */
	buf[47] = 6;
	assert_int_equal(ptp_msg_parse(buf, 52, &m), PTP_E_TLV);
	/* an odd length */
	buf[47] = 3;
	assert_int_equal(ptp_msg_parse(buf, 52, &m), PTP_E_TLV);
	/* a TLV header cut short */
	buf[3] = 46;
	assert_int_equal(ptp_msg_parse(buf, 52, &m), PTP_E_TLV);
	/* a management TLV without room for its id */
	base(&m, PTP_MANAGEMENT);
	n = ptp_msg_encode(buf, sizeof(buf), &m);
	assert_int_equal(n, 48);
	memcpy(buf + 48, "\x00\x01\x00\x00", 4);
	buf[3] = 52;
	assert_int_equal(ptp_msg_parse(buf, 52, &m), PTP_E_TLV);
	/* an error TLV shorter than its fixed part */
	memcpy(buf + 48, "\x00\x02\x00\x04\x00\x02\x20\x00", 8);
	buf[3] = 56;
	assert_int_equal(ptp_msg_parse(buf, 56, &m), PTP_E_TLV);
}

static void test_encode_limits(void **state)
{
	uint8_t buf[64], data[8];
	struct ptp_msg m;

	(void)state;
	base(&m, PTP_ANNOUNCE);
	assert_int_equal(ptp_msg_encode(buf, 63, &m), 0);
	base(&m, 0x5);
	assert_int_equal(ptp_msg_encode(buf, sizeof(buf), &m), 0);
	/* a management TLV's data is padded to an even length (§14.1.1) */
	base(&m, PTP_MANAGEMENT);
	m.u.mgmt.has_tlv = true;
	m.u.mgmt.tlv_type = PTP_TLV_MANAGEMENT;
	m.u.mgmt.id = 1;
	m.u.mgmt.data = data;
	memset(data, 7, sizeof(data));
	m.u.mgmt.data_len = 3;
	assert_int_equal(ptp_msg_encode(buf, sizeof(buf), &m), 48 + 4 + 6);
	assert_int_equal(buf[51], 6);
	assert_int_equal(buf[57], 0);
}

static void test_time_helpers(void **state)
{
	struct ptp_ts t = ptp_ts_from_ns(INT64_C(1700000000123456789));
	struct ptp_clock_id c;
	static const uint8_t mac[6] = { 0x02, 0xaf, 0x0c, 0xc0, 0x47, 0xe7 };

	(void)state;
	assert_true(t.sec == 1700000000);
	assert_int_equal(t.ns, 123456789);
	assert_true(ptp_ts_to_ns(&t) == INT64_C(1700000000123456789));
	assert_true(ptp_corr_to_ns(ptp_corr_from_ns(-1234)) == -1234);
	assert_true(ptp_corr_to_ns(0x18000) == 2);	/* 1.5 ns rounds away from zero */
	assert_true(ptp_corr_to_ns(-0x18000) == -2);
	assert_true(ptp_corr_to_ns(INT64_MAX) == INT64_MAX);
	ptp_clock_id_from_mac(&c, mac);
	assert_memory_equal(c.id, "\x02\xaf\x0c\xff\xfe\xc0\x47\xe7", 8);
	assert_string_equal(ptp_msgtype_name(PTP_PDELAY_RESP_FUP), "PDELAY_RESP_FOLLOW_UP");
}

static void test_data_sets(void **state)
{
	uint8_t b[64];
	struct ptp_current_ds c = { 3, -65536, 65536 * 1000 }, c2;
	struct ptp_parent_ds p = { .parent = src_id, .parent_stats = false,
				   .obs_parent_offset_variance = 0xffff,
				   .obs_parent_phase_rate = 0x7fffffff, .gm_priority1 = 1,
				   .gm_priority2 = 2, .gm_quality = { 6, 0x22, 0x1234 },
				   .gm_identity = { { 1, 2, 3, 4, 5, 6, 7, 8 } } }, p2;
	struct ptp_time_props_ds t = { 37, false, true, true, true, false, true, PTP_TS_NTP }, t2;
	struct ptp_port_ds po = { src_id, PTP_PS_SLAVE, -1, 65536 * 5, 1, 3, 0, PTP_DELAY_P2P, 0, 2 };
	struct ptp_port_ds po2;

	(void)state;
	assert_int_equal(ptp_ds_put_current(b, sizeof(b), &c), 18);
	assert_int_equal(ptp_ds_get_current(b, 18, &c2), 0);
	assert_true(c2.offset_from_master == -65536 && c2.mean_path_delay == 65536 * 1000);
	assert_int_equal(ptp_ds_get_current(b, 17, &c2), -EINVAL);
	assert_int_equal(ptp_ds_put_parent(b, sizeof(b), &p), 32);
	assert_int_equal(ptp_ds_get_parent(b, 32, &p2), 0);
	assert_true(ptp_port_id_eq(&p2.parent, &src_id));
	assert_int_equal(p2.gm_quality.variance, 0x1234);
	assert_int_equal(p2.obs_parent_phase_rate, 0x7fffffff);
	assert_int_equal(ptp_ds_get_parent(b, 31, &p2), -EINVAL);
	assert_int_equal(ptp_ds_put_time_props(b, sizeof(b), &t), 4);
	assert_int_equal(b[2], 0x02 | 0x04 | 0x08 | 0x20);	/* §15.5.3.5.1 flags */
	assert_int_equal(ptp_ds_get_time_props(b, 4, &t2), 0);
	assert_true(t2.leap59 && !t2.leap61 && t2.ptp_timescale && t2.freq_traceable);
	assert_int_equal(t2.utc_offset, 37);
	assert_int_equal(ptp_ds_put_port(b, sizeof(b), &po), 26);
	assert_int_equal(ptp_ds_get_port(b, 26, &po2), 0);
	assert_int_equal(po2.state, PTP_PS_SLAVE);
	assert_int_equal(po2.log_min_delay_req, -1);
	assert_true(po2.peer_mean_path_delay == 65536 * 5);
	assert_int_equal(po2.delay_mechanism, PTP_DELAY_P2P);
	assert_int_equal(po2.version, 2);
	assert_int_equal(ptp_ds_get_port(b, 25, &po2), -EINVAL);
	assert_int_equal(ptp_ds_put_port(b, 25, &po), 0);
	assert_string_equal(ptp_port_state_name(PTP_PS_UNCALIBRATED), "UNCALIBRATED");
	assert_string_equal(ptp_port_state_name(0), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_event_and_general),
		cmocka_unit_test(test_roundtrip_responses),
		cmocka_unit_test(test_roundtrip_announce),
		cmocka_unit_test(test_roundtrip_management),
		cmocka_unit_test(test_captured_ptp4l_sync),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_malformed_tlvs),
		cmocka_unit_test(test_encode_limits),
		cmocka_unit_test(test_time_helpers),
		cmocka_unit_test(test_data_sets),
	};

	return cmocka_run_group_tests_name("ptp_msg", tests, NULL, NULL);
}
