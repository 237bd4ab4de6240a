/* journal_arch: archive naming, gzip compression and cleanup (see
 * lib/journal_arch.h). Runs on the journal's writer thread only. */
#include "lib/journal_arch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/util.h"

#define ZCHUNK 65536

static void split_path(const char *path, char *dir, size_t n, const char **base)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		snprintf(dir, n, ".");
		*base = path;
	} else if (slash == path) {
		snprintf(dir, n, "/");
		*base = slash + 1;
	} else {
		snprintf(dir, n, "%.*s", (int)(slash - path), path);
		*base = slash + 1;
	}
}

static void fmt_stamp(char out[JARCH_STAMP_LEN + 1], gt_ns t)
{
	time_t sec = (time_t)(t / GT_NS_PER_S);
	gt_ns frac = t % GT_NS_PER_S;
	char ymd[24];
	struct tm tm;

	if (frac < 0) {
		frac += GT_NS_PER_S;
		sec--;
	}
	if (!gmtime_r(&sec, &tm) || !strftime(ymd, sizeof(ymd), "%Y%m%dT%H%M%S", &tm) ||
	    strlen(ymd) != 15)
		snprintf(ymd, sizeof(ymd), "00000000T000000");
	snprintf(out, JARCH_STAMP_LEN + 1, "%s.%06dZ", ymd, (int)(frac / GT_NS_PER_US));
}

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

gt_ns jarch_parse(const char *base, const char *name, int *kind)
{
	size_t bl = strlen(base);
	const char *s, *rest;
	struct tm tm = { 0 };
	time_t sec;

	if (strncmp(name, base, bl) || name[bl] != '.')
		return -1;
	s = name + bl + 1;
	if (strlen(s) < JARCH_STAMP_LEN || !digits(s, 8) || s[8] != 'T' ||
	    !digits(s + 9, 6) || s[15] != '.' || !digits(s + 16, 6) || s[22] != 'Z')
		return -1;
	rest = s + JARCH_STAMP_LEN;
	if (!*rest)
		*kind = 0;
	else if (!strcmp(rest, ".gz"))
		*kind = 1;
	else if (!strcmp(rest, ".gz.tmp"))
		*kind = 2;
	else
		return -1;
	tm.tm_year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0') - 1900;
	tm.tm_mon = (s[4] - '0') * 10 + (s[5] - '0') - 1;
	tm.tm_mday = (s[6] - '0') * 10 + (s[7] - '0');
	tm.tm_hour = (s[9] - '0') * 10 + (s[10] - '0');
	tm.tm_min = (s[11] - '0') * 10 + (s[12] - '0');
	tm.tm_sec = (s[13] - '0') * 10 + (s[14] - '0');
	sec = timegm(&tm);
	return (gt_ns)sec * GT_NS_PER_S + atoi(s + 16) * GT_NS_PER_US;
}

int jarch_rotate(const struct jarch *a, gt_ns t, char *archive, size_t n)
{
	char stamp[JARCH_STAMP_LEN + 1], gz[PATH_MAX];
	struct stat st;

	for (int tries = 0; tries < 1000; tries++, t += GT_NS_PER_US) {
		fmt_stamp(stamp, t);
		if (snprintf(archive, n, "%s.%s", a->path, stamp) >= (int)n ||
		    snprintf(gz, sizeof(gz), "%s.gz", archive) >= (int)sizeof(gz))
			return -ENAMETOOLONG;
		if (lstat(archive, &st) == 0 || lstat(gz, &st) == 0)
			continue;
		return rename(a->path, archive) ? -errno : 0;
	}
	return -EEXIST;
}

static int write_all(const struct jarch *a, int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = a->write_fn ? a->write_fn(fd, p, n, a->hook_arg) : write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int sync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *base;
	int fd, rc = 0;

	split_path(path, dir, sizeof(dir), &base);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		rc = -errno;
	close(fd);
	return rc;
}

/* Deflate in (an open file) into out with a gzip header (windowBits 31). */
static int deflate_fd(const struct jarch *a, int in, int out)
{
	unsigned char *ibuf = xmalloc(ZCHUNK), *obuf = xmalloc(ZCHUNK);
	z_stream zs = { 0 };
	int rc = 0, flush = Z_NO_FLUSH, zrc;

	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK) {
		free(ibuf);
		free(obuf);
		return -ENOMEM;
	}
	do {
		ssize_t r = read(in, ibuf, ZCHUNK);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			break;
		}
		zs.next_in = ibuf;
		zs.avail_in = (uInt)r;
		flush = r == 0 ? Z_FINISH : Z_NO_FLUSH;
		do {
			zs.next_out = obuf;
			zs.avail_out = ZCHUNK;
			zrc = deflate(&zs, flush);
			if (zrc == Z_STREAM_ERROR) {
				rc = -EIO;
				break;
			}
			rc = write_all(a, out, obuf, ZCHUNK - zs.avail_out);
		} while (!rc && zs.avail_out == 0);
	} while (!rc && flush != Z_FINISH);
	deflateEnd(&zs);
	free(ibuf);
	free(obuf);
	return rc;
}

int jarch_compress(const struct jarch *a, const char *archive)
{
	char tmp[PATH_MAX], gz[PATH_MAX];
	int in, out, rc;

	if (snprintf(tmp, sizeof(tmp), "%s.gz.tmp", archive) >= (int)sizeof(tmp) ||
	    snprintf(gz, sizeof(gz), "%s.gz", archive) >= (int)sizeof(gz))
		return -ENAMETOOLONG;
	in = open(archive, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (out < 0) {
		rc = -errno;
		close(in);
		return rc;
	}
	rc = deflate_fd(a, in, out);
	close(in);
	if (!rc && fsync(out))
		rc = -errno;
	if (close(out) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, gz))
		rc = -errno;
	if (rc) {
		unlink(tmp);
		return rc;
	}
	/* The .gz is durable before the only other copy goes away. */
	rc = sync_dir(gz);
	if (!rc && unlink(archive))
		rc = -errno;
	return rc;
}

struct entry {
	gt_ns t;
	int kind;
	off_t size;
	char name[NAME_MAX + 1];
};

static int cmp_entry(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;

	/* Equal stamps: plain before gz, so a pair is adjacent. */
	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	return a->kind - b->kind;
}

/* Archives of a->path in the directory, oldest first; *count set. */
static struct entry *scan(const struct jarch *a, char *dir, size_t dn, size_t *count,
			  struct jarch_result *r)
{
	struct entry *v = NULL;
	size_t n = 0, cap = 0;
	const char *base;
	struct dirent *de;
	DIR *d;

	split_path(a->path, dir, dn, &base);
	*count = 0;
	d = opendir(dir);
	if (!d) {
		r->errors++;
		r->last_error = errno;
		return NULL;
	}
	while ((de = readdir(d))) {
		struct entry e;
		struct stat st;

		e.t = jarch_parse(base, de->d_name, &e.kind);
		if (e.t < 0 || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISREG(st.st_mode))
			continue;
		e.size = st.st_size;
		snprintf(e.name, sizeof(e.name), "%s", de->d_name);
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[n++] = e;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_entry);
	*count = n;
	return v;
}

static bool remove_entry(const char *dir, const struct entry *e, struct jarch_result *r)
{
	char p[PATH_MAX + NAME_MAX + 2];

	snprintf(p, sizeof(p), "%s/%s", dir, e->name);
	if (unlink(p) && errno != ENOENT) {
		r->errors++;
		r->last_error = errno;
		return false;
	}
	return true;
}

/* Remove .tmp leftovers; finish or redo interrupted compressions. */
static void repair(const struct jarch *a, bool compress, struct jarch_result *r)
{
	char dir[PATH_MAX], p[PATH_MAX + NAME_MAX + 2];
	size_t n, i;
	struct entry *v = scan(a, dir, sizeof(dir), &n, r);

	for (i = 0; i < n; i++) {
		if (v[i].kind == 2) {
			remove_entry(dir, &v[i], r);
		} else if (v[i].kind == 0 && i + 1 < n && v[i + 1].t == v[i].t &&
			   v[i + 1].kind == 1) {
			/* NAME.gz is complete (renamed after fsync): NAME is a duplicate. */
			remove_entry(dir, &v[i], r);
		} else if (v[i].kind == 0 && compress) {
			int rc;

			snprintf(p, sizeof(p), "%s/%s", dir, v[i].name);
			rc = jarch_compress(a, p);
			if (rc) {
				r->errors++;
				r->last_error = -rc;
			} else {
				r->created++;
			}
		}
	}
	free(v);
}

void jarch_maintain(const struct jarch *a, gt_ns now, bool compress,
		    uint64_t keep_age, uint64_t keep_total, struct jarch_result *r)
{
	char dir[PATH_MAX];
	uint64_t total = 0;
	size_t n, i;
	struct entry *v;

	repair(a, compress, r);
	if (!keep_age && !keep_total)
		return;
	v = scan(a, dir, sizeof(dir), &n, r);
	for (i = 0; i < n; i++)
		total += (uint64_t)v[i].size;
	for (i = 0; i < n; i++) {
		bool too_old = keep_age && v[i].t < now - (gt_ns)keep_age * GT_NS_PER_S;
		bool too_big = keep_total && total > keep_total;

		if (!too_old && !too_big)
			break;  /* oldest first: the rest are newer and fit */
		if (remove_entry(dir, &v[i], r)) {
			r->removed++;
			total -= (uint64_t)v[i].size;
		}
	}
	free(v);
}
