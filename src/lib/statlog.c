#include "lib/statlog.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/util.h"

struct statlog {
	FILE *f;
	char path[512];
	const char *header;
	uint64_t lines, failures;
};

static FILE *open_with_header(const char *path, const char *header)
{
	FILE *f = fopen(path, "ae");

	if (!f)
		return NULL;
	setvbuf(f, NULL, _IOLBF, 0);
	fprintf(f, "# %s\n", header);
	return f;
}

struct statlog *statlog_open(const char *dir, const char *name, const char *header,
			     int *err)
{
	struct statlog *l = xcalloc(1, sizeof(*l));

	if (snprintf(l->path, sizeof(l->path), "%s/%s.log", dir, name) >= (int)sizeof(l->path)) {
		free(l);
		*err = -ENAMETOOLONG;
		return NULL;
	}
	l->header = header;
	l->f = open_with_header(l->path, header);
	if (!l->f) {
		*err = -errno;
		free(l);
		return NULL;
	}
	return l;
}

void statlog_close(struct statlog *l)
{
	if (!l)
		return;
	if (l->f)
		fclose(l->f);
	free(l);
}

void statlog_write(struct statlog *l, long long unix_ns, const char *fmt, ...)
{
	char stamp[32];
	time_t sec = (time_t)(unix_ns / 1000000000);
	long long frac = unix_ns % 1000000000;
	struct tm tm;
	va_list ap;
	int rc;

	if (frac < 0) {
		frac += 1000000000;
		sec--;
	}
	if (!l || !l->f) {
		if (l)
			l->failures++;
		return;
	}
	gmtime_r(&sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	rc = fprintf(l->f, "%s.%06lld ", stamp, frac / 1000);
	va_start(ap, fmt);
	if (rc >= 0)
		rc = vfprintf(l->f, fmt, ap);
	va_end(ap);
	if (rc >= 0)
		rc = fputc('\n', l->f);
	if (rc < 0 || ferror(l->f)) {
		l->failures++;
		clearerr(l->f);
		return;
	}
	l->lines++;
}

int statlog_reopen(struct statlog *l)
{
	FILE *f = open_with_header(l->path, l->header);

	if (!f)
		return -errno;
	if (l->f)
		fclose(l->f);
	l->f = f;
	return 0;
}

uint64_t statlog_lines(const struct statlog *l) { return l->lines; }
uint64_t statlog_failures(const struct statlog *l) { return l->failures; }
