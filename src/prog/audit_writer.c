/* audit_writer: results stored from a thread (audit_writer.h). */
#include "prog/audit_writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* At most this many results in one transaction. */
#define WRITER_BATCH 256

struct audit_writer {
	struct audit_db *db;
	int64_t run_id;
	const struct audit_device *devs;
	const struct audit_result *res;
	int notify_fd;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* a ring of indexes, n long: each device is pushed at most once */
	size_t *queue, cap, head, count;
	size_t stored;
	bool closing, failed;
	int rc;
	char error[768];
};

static void *writer_main(void *arg)
{
	struct audit_writer *w = arg;
	size_t batch[WRITER_BATCH];

	pthread_mutex_lock(&w->lock);
	for (;;) {
		size_t k = 0;
		int rc;

		while (!w->count && !w->closing)
			pthread_cond_wait(&w->cond, &w->lock);
		if (!w->count)
			break;
		while (w->count && k < WRITER_BATCH) {
			batch[k++] = w->queue[w->head];
			w->head = (w->head + 1) % w->cap;
			w->count--;
		}
		pthread_mutex_unlock(&w->lock);
		rc = audit_db_add_results(w->db, w->run_id, w->devs, w->res, batch, k);
		pthread_mutex_lock(&w->lock);
		if (rc) {
			uint64_t one = 1;

			w->failed = true;
			w->rc = rc;
			snprintf(w->error, sizeof(w->error), "%s", audit_db_error(w->db));
			if (write(w->notify_fd, &one, sizeof(one)) < 0)
				w->rc = rc;	/* the loop still ends with the engine */
			break;
		}
		w->stored += k;
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct audit_writer *audit_writer_start(struct audit_db *db, int64_t run_id,
					const struct audit_device *devs,
					const struct audit_result *res, size_t n, int notify_fd,
					int *err)
{
	struct audit_writer *w = calloc(1, sizeof(*w));
	int rc;

	if (!w) {
		*err = -ENOMEM;
		return NULL;
	}
	w->cap = n ? n : 1;
	w->queue = calloc(w->cap, sizeof(*w->queue));
	if (!w->queue) {
		rc = ENOMEM;
		goto fail;
	}
	w->db = db;
	w->run_id = run_id;
	w->devs = devs;
	w->res = res;
	w->notify_fd = notify_fd;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	rc = pthread_create(&w->thread, NULL, writer_main, w);
	if (rc) {
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
		goto fail;
	}
	return w;

fail:
	free(w->queue);
	free(w);
	*err = -rc;
	return NULL;
}

void audit_writer_push(struct audit_writer *w, size_t i)
{
	pthread_mutex_lock(&w->lock);
	if (!w->failed && w->count < w->cap) {
		w->queue[(w->head + w->count) % w->cap] = i;
		w->count++;
		pthread_cond_signal(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
}

size_t audit_writer_stored(struct audit_writer *w)
{
	size_t n;

	pthread_mutex_lock(&w->lock);
	n = w->stored;
	pthread_mutex_unlock(&w->lock);
	return n;
}

int audit_writer_finish(struct audit_writer *w, size_t *stored, char *err, size_t len)
{
	int rc;

	pthread_mutex_lock(&w->lock);
	w->closing = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	rc = w->failed ? (w->rc ? w->rc : -EIO) : 0;
	*stored = w->stored;
	snprintf(err, len, "%s", w->error);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w->queue);
	free(w);
	return rc;
}
