/* audit: names and defaults shared by the parts of the device audit. */
#include "audit/audit.h"

#include <errno.h>
#include <string.h>

static const char *const method_names[AUDIT_METHOD_COUNT] = {
	[AUDIT_NTP] = "ntp", [AUDIT_TIME] = "time", [AUDIT_HTTP] = "http", [AUDIT_ICMP] = "icmp",
};

static const char *const status_names[AUDIT_STATUS_COUNT] = {
	[AUDIT_OK] = "ok", [AUDIT_OFF] = "off", [AUDIT_UNREACHABLE] = "unreachable",
};

const char *audit_method_name(enum audit_method m)
{
	return (unsigned)m < AUDIT_METHOD_COUNT ? method_names[m] : "?";
}

int audit_method_parse(const char *s, enum audit_method *m)
{
	unsigned i;

	if (!s)
		return -EINVAL;
	for (i = 0; i < AUDIT_METHOD_COUNT; i++) {
		if (strcmp(s, method_names[i]) == 0) {
			*m = (enum audit_method)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *audit_status_name(enum audit_status s)
{
	return (unsigned)s < AUDIT_STATUS_COUNT ? status_names[s] : "?";
}

uint16_t audit_method_default_port(enum audit_method m)
{
	switch (m) {
	case AUDIT_NTP:
		return AUDIT_DEFAULT_PORT_NTP;
	case AUDIT_TIME:
		return 37;	/* RFC 868 */
	case AUDIT_HTTP:
		return 80;
	case AUDIT_ICMP:	/* no port: ICMP */
	case AUDIT_METHOD_COUNT:
		break;
	}
	return 0;
}
