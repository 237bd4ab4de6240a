/* Fuzz the gateway's text parsers: the calibration file (operator input,
 * gw_calibration_parse, then format and parse again), and the readers of
 * /proc/net/route and /proc/net/arp used by the sender's path check. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "gw/gw_corr.h"
#include "gw/gw_health.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_calibration cal, again;
	struct conf_errors errs;
	struct gw_route r;
	char text[1024];
	int n, i;

	n = gw_calibration_parse((const char *)data, size, "fuzz.cal", &cal, &errs);
	for (i = 0; i < errs.count && i < CONF_MAX_ERRORS; i++)
		if (strncmp(errs.msg[i], "fuzz.cal:", 9))
			__builtin_trap();
	if (n == 0) {
		/* What was accepted is in range and survives a round trip. */
		if (!isfinite(cal.delay) || fabs(cal.delay) > 10 || cal.filter.window < 1 ||
		    cal.filter.window > GW_FILTER_MAX_WINDOW)
			__builtin_trap();
		n = gw_calibration_format(&cal, text, sizeof(text));
		if (n < 0 || gw_calibration_parse(text, (size_t)n, "again", &again, &errs) ||
		    fabs(again.delay - cal.delay) > 1e-9 || again.filter.kind != cal.filter.kind ||
		    again.filter.window != cal.filter.window)
			__builtin_trap();
	}
	/* The /proc readers take NUL-terminated text. */
	if (size >= sizeof(text))
		size = sizeof(text) - 1;
	memcpy(text, data, size);
	text[size] = '\0';
	if (gw_health_route(text, 0xc6120902u, "", &r) && (r.prefix < 0 || r.prefix > 32))
		__builtin_trap();
	gw_health_route(text, 0x08080808u, "veth0", &r);
	gw_health_neigh_static(text, 0xc6120902u, "");
	gw_health_neigh_static(text, 0xc6120902u, "veth0");
	return 0;
}
