/* audit_writer: `gnomonctl audit run` stores its results from a thread of
 * its own, so that a slow database (PostgreSQL's commit waits for its WAL
 * flush, a few ms; a remote server adds its round trip) never holds up the
 * engine's loop: a reply left unread while the loop is blocked could time
 * out and turn a good device into an unreachable one.
 *
 * Results are written in the order they come, as soon as the thread is
 * free: one transaction for whatever queued while the previous commit
 * was in progress (one result each when the database keeps up). On the
 * first failure the thread stops and says so through notify_fd. */
#ifndef GNOMON_AUDIT_WRITER_H
#define GNOMON_AUDIT_WRITER_H

#include <stdbool.h>
#include <stddef.h>

#include "audit/audit_db.h"

struct audit_writer;

/* Store the results of devs/res (n of them) in run run_id of db, which the
 * thread uses alone until audit_writer_finish. notify_fd (an eventfd) is
 * written once when a store fails. NULL with -errno in *err. */
struct audit_writer *audit_writer_start(struct audit_db *db, int64_t run_id,
					const struct audit_device *devs,
					const struct audit_result *res, size_t n, int notify_fd,
					int *err);

/* Queue result i (complete in res[i]); from the loop's thread. */
void audit_writer_push(struct audit_writer *w, size_t i);

/* Results stored so far. */
size_t audit_writer_stored(struct audit_writer *w);

/* Store what is queued (unless a store failed), end the thread and free
 * w. 0, or -errno with the database's message in err. *stored: results
 * in the database. */
int audit_writer_finish(struct audit_writer *w, size_t *stored, char *err, size_t len);

#endif
