/* journal_arch: the journal's archives (internal to lib/journal.c).
 *
 * An archive of PATH is PATH.YYYYMMDDTHHMMSS.uuuuuuZ (UTC time of the
 * rotation), compressed to that name plus ".gz". The fixed-width stamp makes
 * the names sort in time order; a collision moves the stamp on by 1 us.
 * Compression writes NAME.gz.tmp, fsyncs it, renames it to NAME.gz, fsyncs
 * the directory and only then removes NAME: so after a crash a NAME.gz is
 * always complete, a NAME.gz.tmp never is, and a lone NAME still needs
 * compressing. Only names of exactly this pattern are ever touched. */
#ifndef GNOMON_JOURNAL_ARCH_H
#define GNOMON_JOURNAL_ARCH_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/journal.h"

#define JARCH_STAMP_LEN 23   /* YYYYMMDDTHHMMSS.uuuuuuZ */

struct jarch {
	const char *path;        /* the journal file */
	journal_write_fn write_fn;
	void *hook_arg;
};

struct jarch_result {
	unsigned created, removed, errors;
	int last_error;          /* errno of the last error */
};

/* Rename the journal file to a free archive name for time t; the name in
 * archive[n]. 0 or -errno. */
int jarch_rotate(const struct jarch *a, gt_ns t, char *archive, size_t n);
/* Compress one archive to archive.gz, then remove it. 0 or -errno (the
 * uncompressed archive is then kept, and the .tmp removed). */
int jarch_compress(const struct jarch *a, const char *archive);
/* Scan the directory: remove stale .gz.tmp, finish or redo interrupted
 * compressions (when compress), then remove archives older than keep_age
 * seconds and the oldest ones while the total exceeds keep_total bytes
 * (0: no limit). Counts into r. */
void jarch_maintain(const struct jarch *a, gt_ns now, bool compress,
		    uint64_t keep_age, uint64_t keep_total, struct jarch_result *r);
/* Time of an archive name's stamp (ns), or -1 when name is not an archive
 * of base (plain, ".gz" or ".gz.tmp"); kind: 0 plain, 1 gz, 2 tmp. */
gt_ns jarch_parse(const char *base, const char *name, int *kind);

#endif
