/* Fuzz gnomon-snmp's reading of gnomond's replies: every parser of the model
 * on the same text, then the MIB builders and the notification diff over the
 * result. jansson parses; the mapping of its tree (types, ranges, sizes) is
 * ours and is what this exercises. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "snmp/snmp_events.h"
#include "snmp/snmp_gnomon.h"
#include "snmp/snmp_model.h"
#include "snmp/snmp_ntp.h"
#include "snmp/snmp_vb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct snmp_state st, prev;
	static struct snmp_idmap ids;
	static struct snmp_event ev[SNMP_MAX_EVENTS];
	struct snmp_alarm_track tr;
	struct snmp_ntp_ctx nc = { .version = "v", .system_type = "s", .heartbeat = 60,
				   .notif_bits = 0x1fe, .now = 1.8e9 };
	struct snmp_gnomon_ctx gc = { 0 };
	struct snmp_vbl l;
	char *text = malloc(size + 1);
	size_t i;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	snmp_ids_init(&ids);
	snmp_state_init(&prev);
	snmp_state_init(&st);
	snmp_parse_tracking(&st, text);
	snmp_parse_sources(&st, text);
	snmp_parse_serverstats(&st, text);
	snmp_parse_gateway(&st, text);
	snmp_parse_alarms(&st, text, 1000.0);
	st.reachable = true;
	st.pid = 42;
	st.start_time = 700;
	snmp_ids_assign(&ids, &st);
	snmp_vbl_init(&l);
	snmp_ntp_build(&st, &nc, &l);
	snmp_gnomon_build(&st, &gc, &l);
	snmp_vbl_sort(&l);
	for (i = 1; i < l.n; i++)
		if (snmp_oid_cmp(l.v[i - 1].oid, l.v[i - 1].oid_len, l.v[i].oid, l.v[i].oid_len) >= 0)
			__builtin_trap();	/* duplicate or unsorted instance */
	for (i = 0; i < l.n; i++)
		if (l.v[i].slen > SNMP_VB_STR)
			__builtin_trap();
	snmp_vbl_free(&l);
	prev = st;
	prev.reachable = true;
	snmp_events_diff(&prev, &prev, &st, ev, SNMP_MAX_EVENTS);
	/* A gnomond started after the subagent: every event is sent; then
	 * the same reply a poll later: none again. */
	snmp_alarm_track_init(&tr);
	if (snmp_alarm_events(&tr, &st, 600, ev, SNMP_MAX_EVENTS) > SNMP_MAX_ALARM_EVENTS)
		__builtin_trap();
	if (snmp_alarm_events(&tr, &st, 600, ev, SNMP_MAX_EVENTS) != 0)
		__builtin_trap();
	free(text);
	return 0;
}
