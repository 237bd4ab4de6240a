#include "clock/drift.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A drift file line is short; anything longer is not ours. */
#define LINE_MAX_LEN 128

static const char *skip_blank(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

int drift_parse(const char *buf, size_t len, double *freq_ppm, double *skew_ppm)
{
	char line[LINE_MAX_LEN + 1];
	const char *p;
	char *end;
	double f, s = DRIFT_DEFAULT_SKEW_PPM;
	size_t n = 0;

	while (n < len && buf[n] != '\n') {
		if (n == LINE_MAX_LEN || buf[n] == '\0')
			return -EINVAL;
		line[n] = buf[n];
		n++;
	}
	line[n] = '\0';
	if (n > 0 && line[n - 1] == '\r')
		line[n - 1] = '\0';
	p = skip_blank(line);
	errno = 0;
	f = strtod(p, &end);
	if (end == p || errno || !isfinite(f) || fabs(f) > DRIFT_MAX_PPM)
		return -EINVAL;
	p = skip_blank(end);
	if (*p) {
		s = strtod(p, &end);
		if (end == p || errno || !isfinite(s) || s < 0 || s > DRIFT_MAX_PPM)
			return -EINVAL;
		if (*skip_blank(end))
			return -EINVAL;
	}
	*freq_ppm = f;
	*skew_ppm = s;
	return 0;
}

int drift_read(const char *path, double *freq_ppm, double *skew_ppm)
{
	char buf[LINE_MAX_LEN + 2];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return -EIO;
	return drift_parse(buf, (size_t)n, freq_ppm, skew_ppm);
}

int drift_write(const char *path, double freq_ppm, double skew_ppm)
{
	char tmp[4096], line[LINE_MAX_LEN];
	int fd, len, rc = 0;

	if (!isfinite(freq_ppm) || !isfinite(skew_ppm))
		return -EINVAL;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	len = snprintf(line, sizeof(line), "%.6f %.6f\n", freq_ppm, skew_ppm);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, line, (size_t)len) != len || fsync(fd) < 0)
		rc = errno ? -errno : -EIO;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	/* rename() replaces the old file in one step: a crash leaves either
	 * the old or the new content, never a torn one. */
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}
