/* gnomonctl audit: the device time audit from the command line
 * (audit_cmd.c, doc/audit.md). */
#ifndef GNOMON_AUDIT_CMD_H
#define GNOMON_AUDIT_CMD_H

#include <stdbool.h>

/* argv[0] is "audit"; returns the exit status: 0 every device ok, 1 some
 * device off or unreachable (run, report), 2 an error of the audit itself
 * (database, file, usage). */
int audit_main(int argc, char **argv);

/* Whether `gnomonctl audit ...` is this command (a --db option, or import,
 * export, report, --help) rather than a request to gnomond's audit service
 * (`gnomonctl audit`, `gnomonctl audit run` without --db). */
bool audit_cmd_is_local(int argc, char **argv);

#endif
