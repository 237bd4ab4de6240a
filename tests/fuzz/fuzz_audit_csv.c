/* Fuzz the audit's CSV device-list reader (audit_csv) with arbitrary file
 * contents: a list exactly when there is no error, every error naming the
 * file and a line, and every accepted list written back and read again to
 * the same devices. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf_errors errs, errs2;
	struct audit_device *d = NULL, *d2 = NULL;
	size_t n = 0, n2 = 0, i, len = 0;
	char *text = NULL;
	FILE *f;
	int rc = audit_csv_parse((const char *)data, size, "fuzz.csv", &d, &n, &errs);

	if (rc != errs.count || (rc && (d || n)))
		__builtin_trap();
	for (i = 0; i < (size_t)errs.count && i < CONF_MAX_ERRORS; i++)
		if (strncmp(errs.msg[i], "fuzz.csv:", 9))
			__builtin_trap();
	if (rc)
		return 0;
	for (i = 0; i < n; i++)
		if (!d[i].name[0] || !d[i].address[0] || !(d[i].tolerance > 0) ||
		    d[i].method >= AUDIT_METHOD_COUNT)
			__builtin_trap();
	f = open_memstream(&text, &len);
	if (!f || audit_csv_write_devices(f, d, n))
		__builtin_trap();
	fclose(f);
	if (audit_csv_parse(text, len, "again.csv", &d2, &n2, &errs2) || n2 != n)
		__builtin_trap();
	for (i = 0; i < n; i++)
		if (strcmp(d[i].name, d2[i].name) || strcmp(d[i].address, d2[i].address) ||
		    strcmp(d[i].group, d2[i].group) || d[i].port != d2[i].port ||
		    d[i].method != d2[i].method || d[i].enabled != d2[i].enabled)
			__builtin_trap();
	free(text);
	free(d);
	free(d2);
	return 0;
}
