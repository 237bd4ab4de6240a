/* journal: the bounded queue, the writer and the loss accounting (see
 * lib/journal.h; the line format is in journal_fmt.c, archives in
 * journal_arch.c).
 *
 * Ownership of the writer state (fd, sizes, pending loss reports): the
 * writer thread in async mode; in sync mode whoever holds io_lock. The
 * ring: producers write only the slot after the newest, and, when the ring
 * is full, the newest slot's drop counter; the writer reads the oldest slot
 * in place without the lock and frees it under the lock afterwards. With at
 * least two slots the newest slot of a full ring is never the one being
 * written, so the drop counter is read exactly once, when its slot is freed. */
#include "lib/journal.h"
#include "lib/fsutil.h"
/* Before <syslog.h>, as in log.c: syslog.h takes the LOG_ERR/LOG_INFO/
 * LOG_DEBUG names; this file uses only LOG_RL and LOG_WARN from log.h. */
#include "lib/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "lib/journal_arch.h"
#include "lib/util.h"

#define DEFAULT_QUEUE 1024
#define CLEANUP_EVERY (60 * GT_NS_PER_S)   /* monotonic: directory scans */

struct jslot {
	gt_ns t;
	gt_ns drop_since;        /* time of the first record dropped after this one */
	uint32_t dropped_after;  /* records dropped (ring full) right after this one */
	uint16_t len;
	uint8_t sev;
	char text[JOURNAL_TEXT_MAX + 1];
};

/* Records lost and not yet reported in the file. */
struct loss {
	uint64_t n;
	gt_ns since;
	int err;                 /* errno, or 0 for a full ring */
};

struct journal {
	struct journal_cfg cfg;  /* path and ident point into this struct's copies */
	char *path, *ident;
	struct jarch arch;
	bool archiving;          /* rotation or cleanup configured */

	/* writer state */
	int fd;
	bool regular;            /* fd is a regular file: may be rotated */
	bool need_nl;            /* a cut line is in the file: start with '\n' */
	uint64_t cur_size;
	gt_ns file_start;        /* time of the file's first record; 0 empty */
	gt_ns next_cleanup;      /* CLOCK_MONOTONIC */
	struct loss wloss, qloss;

	/* ring */
	pthread_mutex_t lock;
	pthread_cond_t wake, done;
	struct jslot *ring;
	unsigned cap, head, count;
	uint64_t enq_seq, done_seq, flush_req, flush_done;
	bool stop, reopen_req, maint_req, threaded;
	pthread_t thread;
	pthread_mutex_t io_lock; /* sync mode */

	_Atomic uint64_t written, lost_qfull, lost_werr, werrors, rotations,
		arch_created, arch_removed, arch_errors, reopens, bytes;
	_Atomic int last_error;
	_Atomic bool degraded;
};

static gt_ns j_now(const struct journal *j)
{
	return j->cfg.now_fn ? j->cfg.now_fn(j->cfg.hook_arg) : gt_now(CLOCK_REALTIME);
}

static void note_error(struct journal *j, int err)
{
	atomic_store(&j->last_error, err);
}

/* Time of the first line of an existing journal, 0 if it does not parse;
 * also whether the file ends in the middle of a line. */
static gt_ns inspect_existing(const char *path, bool *cut)
{
	char b[32];
	struct tm tm = { 0 };
	ssize_t r;
	gt_ns t = 0;
	off_t end;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	*cut = false;
	if (fd < 0)
		return 0;
	r = pread(fd, b, sizeof(b) - 1, 0);
	if (r >= 19) {
		b[r] = '\0';
		if (sscanf(b, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			   &tm.tm_hour, &tm.tm_min, &tm.tm_sec) == 6) {
			tm.tm_year -= 1900;
			tm.tm_mon -= 1;
			t = (gt_ns)timegm(&tm) * GT_NS_PER_S;
		}
	}
	end = lseek(fd, 0, SEEK_END);
	if (end > 0 && pread(fd, b, 1, end - 1) == 1)
		*cut = b[0] != '\n';
	close(fd);
	return t;
}

static int open_file(struct journal *j)
{
	struct stat st;
	/* Root may open it in the daemon user's directory: never through a
	 * planted link, and handed to that user (fsutil.h). */
	int fd = fs_open_nofollow(j->path, O_WRONLY | O_APPEND | O_CREAT, 0640,
				  j->cfg.owner_uid ? j->cfg.owner_uid : FS_NO_UID,
				  j->cfg.owner_gid);

	if (fd < 0)
		return fd;
	if (fstat(fd, &st)) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	j->fd = fd;
	/* Never rename a device (/dev/full, a fifo): only regular files rotate. */
	j->regular = S_ISREG(st.st_mode);
	j->cur_size = j->regular ? (uint64_t)st.st_size : 0;
	j->need_nl = false;
	j->file_start = 0;
	if (j->cur_size) {
		j->file_start = inspect_existing(j->path, &j->need_nl);
		if (!j->file_start)
			j->file_start = j_now(j);
	}
	return 0;
}

static void close_file(struct journal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
}

/* write(2) through the hook; *done bytes written before a failure. */
static int write_all(struct journal *j, const char *p, size_t n, size_t *done)
{
	*done = 0;
	while (n) {
		ssize_t w = j->cfg.write_fn ? j->cfg.write_fn(j->fd, p, n, j->cfg.hook_arg)
					    : write(j->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		n -= (size_t)w;
		*done += (size_t)w;
	}
	return 0;
}

/* Root does not rename, compress or remove files in a directory that
 * belongs to the daemon's user: that waits until privileges are dropped. */
static bool defer_as_root(const struct journal *j)
{
	return j->cfg.owner_uid != 0 && j->cfg.owner_uid != FS_NO_UID && geteuid() == 0;
}

static void run_archive(struct journal *j, gt_ns now)
{
	struct jarch_result r = { 0 };

	if (defer_as_root(j))
		return;
	jarch_maintain(&j->arch, now, !j->cfg.no_compress, j->cfg.keep_age,
		       j->cfg.keep_total, &r);
	atomic_fetch_add(&j->arch_created, r.created);
	atomic_fetch_add(&j->arch_removed, r.removed);
	if (r.errors) {
		atomic_fetch_add(&j->arch_errors, r.errors);
		note_error(j, r.last_error);
		LOG_RL(LOG_LVL_ERR, "journal %s: archive maintenance: %u errors, last: %s",
		       j->path, r.errors, strerror(r.last_error));
	}
	j->next_cleanup = gt_now(CLOCK_MONOTONIC) + CLEANUP_EVERY;
}

static void rotate(struct journal *j, gt_ns t)
{
	char archive[PATH_MAX];
	int rc;

	if (defer_as_root(j))
		return;
	rc = jarch_rotate(&j->arch, t, archive, sizeof(archive));
	if (rc) {
		/* Keep writing to the current file: nothing is lost, it only grows. */
		atomic_fetch_add(&j->arch_errors, 1);
		note_error(j, -rc);
		LOG_RL(LOG_LVL_ERR, "journal %s: cannot rotate: %s", j->path, strerror(-rc));
		return;
	}
	atomic_fetch_add(&j->rotations, 1);
	close_file(j);
	rc = open_file(j);
	if (rc) {
		/* The next records count as lost until the open works. */
		note_error(j, -rc);
		LOG_RL(LOG_LVL_ERR, "journal %s: cannot reopen after rotation: %s",
		       j->path, strerror(-rc));
	}
	if (j->cfg.no_compress) {
		atomic_fetch_add(&j->arch_created, 1);
	} else if ((rc = jarch_compress(&j->arch, archive))) {
		/* The uncompressed archive stays; later maintenance retries. */
		atomic_fetch_add(&j->arch_errors, 1);
		note_error(j, -rc);
		LOG_RL(LOG_LVL_ERR, "journal %s: cannot compress %s: %s", j->path, archive,
		       strerror(-rc));
	} else {
		atomic_fetch_add(&j->arch_created, 1);
	}
	run_archive(j, t);
}

static void rotate_if_due(struct journal *j, size_t n, gt_ns t)
{
	bool by_size, by_age;

	if (!j->regular || !j->cur_size)
		return;
	by_size = j->cfg.max_size && j->cur_size + n > j->cfg.max_size;
	if (by_size) {
		/* Trust the file, not the count, before renaming it. */
		struct stat st;

		if (!fstat(j->fd, &st))
			j->cur_size = (uint64_t)st.st_size;
		by_size = j->cur_size && j->cur_size + n > j->cfg.max_size;
	}
	by_age = j->cfg.max_age && j->file_start &&
		 t - j->file_start >= (gt_ns)j->cfg.max_age * GT_NS_PER_S;
	if (by_size || by_age)
		rotate(j, t);
}

/* Append one line to the file (rotating first when due). 0 or -errno. */
static int file_write_line(struct journal *j, const char *line, size_t n, gt_ns t)
{
	size_t done;
	int rc;

	if (j->fd < 0 && (rc = open_file(j)))
		return rc;
	rotate_if_due(j, n, t);
	if (j->fd < 0)
		return -EBADF;
	if (j->need_nl) {
		if ((rc = write_all(j, "\n", 1, &done)))
			goto fail;
		j->need_nl = false;
		j->cur_size++;
	}
	if ((rc = write_all(j, line, n, &done)))
		goto fail;
	if (!j->cur_size)
		j->file_start = t;
	j->cur_size += n;
	atomic_fetch_add(&j->bytes, n);
	return 0;
fail:
	atomic_fetch_add(&j->werrors, 1);
	/* A partial line would break the one-record-per-line rule: cut it off,
	 * or at least end it before the next record. With O_APPEND the offset
	 * is the end of what was written, even if someone truncated the file
	 * (logrotate copytruncate), so the cached size is not trusted here. */
	if (done) {
		off_t end = lseek(j->fd, 0, SEEK_CUR);

		if (!j->regular || end < (off_t)done || ftruncate(j->fd, end - (off_t)done))
			j->need_nl = true;
	}
	return rc;
}

static void send_syslog(const struct journal *j, enum journal_sev sev, const char *text)
{
	if (j->cfg.to_syslog)
		syslog(LOG_DAEMON | (int)sev, "%s", text);
}

static const char *errno_name(int err)
{
	const char *s = err ? strerrorname_np(err) : "queue_full";

	return s ? s : "unknown";
}

/* Write the JOURNAL_LOST record for l; clears l on success. */
static int report_loss(struct journal *j, struct loss *l, gt_ns now)
{
	char text[JOURNAL_TEXT_MAX + 1], line[JOURNAL_LINE_MAX], since[40];
	struct journal_fields f;
	size_t n;
	int rc;

	journal_fields_init(&f);
	journal_field_u64(&f, "lost", l->n);
	journal_format_time(since, sizeof(since), l->since);
	journal_field_str(&f, "since", since);
	journal_field_str(&f, "reason", errno_name(l->err));
	snprintf(line, sizeof(line), "%llu journal records lost: %s",
		 (unsigned long long)l->n, l->err ? strerror(l->err) : "queue full");
	journal_format_text(text, sizeof(text), "JOURNAL_LOST", &f, line);
	n = journal_format_line(line, sizeof(line), now, JOURNAL_ERR, text);
	rc = file_write_line(j, line, n, now);
	if (!rc)
		memset(l, 0, sizeof(*l));
	return rc;
}

/* Report pending losses in the file, write errors first (they are older). */
static int flush_reports(struct journal *j, gt_ns now)
{
	int rc;

	if (!j->path)
		return 0;
	if (j->wloss.n) {
		uint64_t n = j->wloss.n;

		if ((rc = report_loss(j, &j->wloss, now)))
			return rc;
		atomic_store(&j->degraded, false);
		LOG_WARN("journal %s: writing again; %llu records were lost", j->path,
			 (unsigned long long)n);
	}
	if (j->qloss.n && (rc = report_loss(j, &j->qloss, now)))
		return rc;
	return 0;
}

static void lose(struct journal *j, int err, gt_ns t)
{
	atomic_fetch_add(&j->lost_werr, 1);
	note_error(j, err);
	if (!j->wloss.n)
		j->wloss.since = t;
	j->wloss.n++;
	j->wloss.err = err;
	if (!atomic_exchange(&j->degraded, true))
		LOG_RL(LOG_LVL_ERR, "journal %s: %s; records are counted as lost until "
		       "writing works again", j->path, strerror(err));
}

static void write_record(struct journal *j, const struct jslot *s)
{
	char line[JOURNAL_LINE_MAX];
	size_t n;
	int rc;

	send_syslog(j, (enum journal_sev)s->sev, s->text);
	if (!j->path) {
		atomic_fetch_add(&j->written, 1);
		return;
	}
	n = journal_format_line(line, sizeof(line), s->t, (enum journal_sev)s->sev, s->text);
	rc = flush_reports(j, s->t);
	if (!rc)
		rc = file_write_line(j, line, n, s->t);
	if (rc) {
		lose(j, -rc, s->t);
		return;
	}
	atomic_store(&j->degraded, false);
	atomic_fetch_add(&j->written, 1);
}

/* Records dropped from a full ring right after the record just written. */
static void note_drops(struct journal *j, uint32_t drops, gt_ns since)
{
	char text[96];

	if (!drops)
		return;
	snprintf(text, sizeof(text), "JOURNAL_LOST lost=%u reason=queue_full \"%u journal "
		 "records lost: queue full\"", drops, drops);
	send_syslog(j, JOURNAL_ERR, text);
	if (!j->path)
		return;
	if (!j->qloss.n)
		j->qloss.since = since;
	j->qloss.n += drops;
	flush_reports(j, j_now(j));
}

static int do_reopen(struct journal *j)
{
	int rc;

	if (!j->path)
		return 0;
	close_file(j);
	rc = open_file(j);
	if (rc) {
		note_error(j, -rc);
		LOG_RL(LOG_LVL_ERR, "journal %s: cannot reopen: %s", j->path, strerror(-rc));
		return rc;
	}
	atomic_fetch_add(&j->reopens, 1);
	return 0;
}

/* Periodic work; force: archive maintenance now, not once a minute. */
static void maintain(struct journal *j, bool force)
{
	gt_ns now = j_now(j);

	if (!j->path)
		return;
	if (j->fd < 0 && open_file(j))
		return;
	flush_reports(j, now);
	if (j->cfg.max_age && j->regular && j->cur_size && j->file_start &&
	    now - j->file_start >= (gt_ns)j->cfg.max_age * GT_NS_PER_S)
		rotate(j, now);
	else if (j->archiving && (force || gt_now(CLOCK_MONOTONIC) >= j->next_cleanup))
		run_archive(j, now);
}

static void *writer_main(void *arg)
{
	struct journal *j = arg;
	struct timespec ts;

	pthread_mutex_lock(&j->lock);
	for (;;) {
		if (j->reopen_req || j->maint_req) {
			bool reopen = j->reopen_req, maint = j->maint_req;

			j->reopen_req = j->maint_req = false;
			pthread_mutex_unlock(&j->lock);
			if (reopen)
				do_reopen(j);
			if (maint)
				maintain(j, true);
			pthread_mutex_lock(&j->lock);
			continue;
		}
		if (j->count) {
			struct jslot *s = &j->ring[j->head];
			uint32_t drops;
			gt_ns since;

			pthread_mutex_unlock(&j->lock);
			write_record(j, s);
			pthread_mutex_lock(&j->lock);
			drops = s->dropped_after;
			since = s->drop_since;
			j->head = (j->head + 1) % j->cap;
			j->count--;
			j->done_seq++;
			if (drops) {
				pthread_mutex_unlock(&j->lock);
				note_drops(j, drops, since);
				pthread_mutex_lock(&j->lock);
			}
			continue;
		}
		j->flush_done = j->flush_req;
		pthread_cond_broadcast(&j->done);
		if (j->stop)
			break;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += 1;
		if (pthread_cond_timedwait(&j->wake, &j->lock, &ts) == ETIMEDOUT &&
		    !j->count && !j->stop) {
			pthread_mutex_unlock(&j->lock);
			maintain(j, false);
			pthread_mutex_lock(&j->lock);
		}
	}
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

static void event_v(struct journal *j, enum journal_sev sev, const char *code,
		    const struct journal_fields *fields, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));

static void event_v(struct journal *j, enum journal_sev sev, const char *code,
		    const struct journal_fields *fields, const char *fmt, va_list ap)
{
	char msg[2 * JOURNAL_MSG_MAX];
	struct jslot s;
	struct jslot *d;

	s.t = j_now(j);
	s.sev = (uint8_t)((unsigned)sev <= JOURNAL_DEBUG ? sev : JOURNAL_DEBUG);
	msg[0] = '\0';
	if (fmt)
		vsnprintf(msg, sizeof(msg), fmt, ap);
	s.len = (uint16_t)journal_format_text(s.text, sizeof(s.text), code, fields, msg);
	if (!j->threaded) {
		pthread_mutex_lock(&j->io_lock);
		write_record(j, &s);
		pthread_mutex_unlock(&j->io_lock);
		return;
	}
	pthread_mutex_lock(&j->lock);
	if (j->count == j->cap) {
		d = &j->ring[(j->head + j->count - 1) % j->cap];
		if (!d->dropped_after)
			d->drop_since = s.t;
		d->dropped_after++;
		pthread_mutex_unlock(&j->lock);
		atomic_fetch_add(&j->lost_qfull, 1);
		return;
	}
	d = &j->ring[(j->head + j->count) % j->cap];
	d->t = s.t;
	d->sev = s.sev;
	d->len = s.len;
	d->dropped_after = 0;
	memcpy(d->text, s.text, (size_t)s.len + 1);
	j->count++;
	j->enq_seq++;
	pthread_cond_signal(&j->wake);
	pthread_mutex_unlock(&j->lock);
}

void journal_event(struct journal *j, enum journal_sev sev, const char *code,
		   const struct journal_fields *fields, const char *fmt, ...)
{
	va_list ap;

	if (!j)
		return;
	va_start(ap, fmt);
	event_v(j, sev, code, fields, fmt, ap);
	va_end(ap);
}

void journal_event_kv(struct journal *j, enum journal_sev sev, const char *code,
		      const char *msg, ...)
{
	struct journal_fields f;
	const char *k;
	va_list ap;

	if (!j)
		return;
	journal_fields_init(&f);
	va_start(ap, msg);
	while ((k = va_arg(ap, const char *))) {
		const char *v = va_arg(ap, const char *);

		journal_field_str(&f, k, v);
	}
	va_end(ap);
	journal_event(j, sev, code, &f, "%s", msg ? msg : "");
}

struct journal *journal_open(const struct journal_cfg *cfg, int *err)
{
	struct journal *j;
	pthread_condattr_t ca;
	sigset_t all, old;
	int rc;

	if ((!cfg->path || !*cfg->path) && !cfg->to_syslog) {
		*err = -EINVAL;
		return NULL;
	}
	j = xcalloc(1, sizeof(*j));
	j->cfg = *cfg;
	j->fd = -1;
	if (cfg->path && *cfg->path) {
		j->path = xstrdup(cfg->path);
		if (strlen(j->path) + JARCH_STAMP_LEN + 16 >= PATH_MAX) {
			rc = -ENAMETOOLONG;
			goto fail;
		}
	}
	j->cfg.path = j->path;
	j->ident = cfg->ident ? xstrdup(cfg->ident) : NULL;
	j->cfg.ident = j->ident;
	j->cap = cfg->queue_len ? (cfg->queue_len < 2 ? 2 : cfg->queue_len) : DEFAULT_QUEUE;
	j->arch.path = j->path;
	j->arch.write_fn = cfg->write_fn;
	j->arch.hook_arg = cfg->hook_arg;
	j->archiving = cfg->max_size || cfg->max_age || cfg->keep_age || cfg->keep_total;
	pthread_mutex_init(&j->lock, NULL);
	pthread_mutex_init(&j->io_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->wake, &ca);
	pthread_cond_init(&j->done, &ca);
	pthread_condattr_destroy(&ca);

	if (j->path) {
		if ((rc = open_file(j)))
			goto fail_sync;
		if (j->archiving)
			run_archive(j, j_now(j));
	}
	if (cfg->to_syslog && j->ident)
		openlog(j->ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	if (!cfg->sync) {
		j->ring = xcalloc(j->cap, sizeof(*j->ring));
		/* Signals go to the main loop, never to the writer; but not the
		 * synchronous ones the writer itself may cause: with SIGSYS
		 * blocked, a call the seccomp filter traps would kill the
		 * daemon silently instead of being named (prog/sandbox.h). */
		sigfillset(&all);
		sigdelset(&all, SIGSYS);
		sigdelset(&all, SIGSEGV);
		sigdelset(&all, SIGBUS);
		sigdelset(&all, SIGFPE);
		sigdelset(&all, SIGILL);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		rc = -pthread_create(&j->thread, NULL, writer_main, j);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (rc)
			goto fail_file;
		j->threaded = true;
	}
	return j;

fail_file:
	close_file(j);
	free(j->ring);
fail_sync:
	pthread_cond_destroy(&j->wake);
	pthread_cond_destroy(&j->done);
	pthread_mutex_destroy(&j->lock);
	pthread_mutex_destroy(&j->io_lock);
fail:
	free(j->path);
	free(j->ident);
	free(j);
	*err = rc;
	return NULL;
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	if (j->threaded) {
		pthread_mutex_lock(&j->lock);
		j->stop = true;
		pthread_cond_signal(&j->wake);
		pthread_mutex_unlock(&j->lock);
		pthread_join(j->thread, NULL);
	}
	/* Last chance to put pending losses on record. */
	flush_reports(j, j_now(j));
	close_file(j);
	pthread_cond_destroy(&j->wake);
	pthread_cond_destroy(&j->done);
	pthread_mutex_destroy(&j->lock);
	pthread_mutex_destroy(&j->io_lock);
	free(j->ring);
	free(j->path);
	free(j->ident);
	free(j);
}

/* Ask the writer for work and optionally wait for it and the queue. */
static void request(struct journal *j, bool reopen, bool maint, bool wait)
{
	uint64_t target, gen;

	pthread_mutex_lock(&j->lock);
	j->reopen_req |= reopen;
	j->maint_req |= maint;
	target = j->enq_seq;
	gen = ++j->flush_req;
	pthread_cond_signal(&j->wake);
	while (wait && (j->done_seq < target || j->flush_done < gen))
		pthread_cond_wait(&j->done, &j->lock);
	pthread_mutex_unlock(&j->lock);
}

int journal_reopen(struct journal *j)
{
	int rc;

	if (!j)
		return 0;
	if (j->threaded) {
		request(j, true, false, false);
		return 0;
	}
	pthread_mutex_lock(&j->io_lock);
	rc = do_reopen(j);
	pthread_mutex_unlock(&j->io_lock);
	return rc;
}

void journal_maintain(struct journal *j)
{
	if (!j)
		return;
	if (j->threaded) {
		request(j, false, true, false);
		return;
	}
	pthread_mutex_lock(&j->io_lock);
	maintain(j, true);
	pthread_mutex_unlock(&j->io_lock);
}

void journal_flush(struct journal *j)
{
	if (j && j->threaded)
		request(j, false, false, true);
}

void journal_get_stats(struct journal *j, struct journal_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!j)
		return;
	st->written = atomic_load(&j->written);
	st->lost_queue_full = atomic_load(&j->lost_qfull);
	st->lost_write_error = atomic_load(&j->lost_werr);
	st->write_errors = atomic_load(&j->werrors);
	st->rotations = atomic_load(&j->rotations);
	st->archives_created = atomic_load(&j->arch_created);
	st->archives_removed = atomic_load(&j->arch_removed);
	st->archive_errors = atomic_load(&j->arch_errors);
	st->reopens = atomic_load(&j->reopens);
	st->bytes = atomic_load(&j->bytes);
	st->last_error = atomic_load(&j->last_error);
	st->degraded = atomic_load(&j->degraded);
	if (j->threaded) {
		pthread_mutex_lock(&j->lock);
		st->queued = j->count;
		pthread_mutex_unlock(&j->lock);
	}
}
