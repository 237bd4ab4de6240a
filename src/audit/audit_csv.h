/* audit_csv: device lists in and out as CSV (RFC 4180), doc/audit.md.
 *
 * The header names the columns, in any order: name and address are
 * required; port, method, tolerance, group and enabled are optional, and an
 * empty value takes the default (port: the method's, method: ntp,
 * tolerance: 0.1 s, group: "", enabled: yes). Records end in CRLF or LF;
 * a field in double quotes may hold commas, quotes written twice and line
 * breaks. Spaces around an unquoted field are dropped. */
#ifndef GNOMON_AUDIT_CSV_H
#define GNOMON_AUDIT_CSV_H

#include <stdio.h>

#include "audit/audit.h"
#include "lib/conf.h"

/* The largest list accepted in one file. */
#define AUDIT_CSV_MAX_DEVICES 1000000

/* Parse buf[0..len) (need not be NUL-terminated), named `file` in errors.
 * 0 with *devs (malloc'd, caller frees) and *n; or the error count (> 0),
 * every error "FILE:LINE: what is wrong and what is allowed" in errs, and
 * nothing returned: a list with one bad line is not imported at all. */
int audit_csv_parse(const char *buf, size_t len, const char *file,
		    struct audit_device **devs, size_t *n, struct conf_errors *errs);

/* Write a header and one record per device (all columns, enabled
 * included), so that an export imports back to the same list.
 * 0 or -errno (a write error). */
int audit_csv_write_devices(FILE *f, const struct audit_device *d, size_t n);

/* One field, in double quotes when it holds a comma, a quote, a line break
 * or leading/trailing spaces (RFC 4180 §2.6, §2.7). */
void audit_csv_field(FILE *f, const char *s);

#endif
