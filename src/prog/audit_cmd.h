/* gnomonctl audit: the device time audit from the command line
 * (audit_cmd.c, doc/audit.md). */
#ifndef GNOMON_AUDIT_CMD_H
#define GNOMON_AUDIT_CMD_H

/* argv[0] is "audit"; returns the exit status: 0 every device ok, 1 some
 * device off or unreachable (run, report), 2 an error of the audit itself
 * (database, file, usage). */
int audit_main(int argc, char **argv);

#endif
