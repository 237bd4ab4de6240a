/* drift: the drift file, which carries the clock's frequency correction
 * across restarts so that the discipline starts where it left off instead
 * of learning the frequency again (up to hundreds of ppm).
 *
 * Format: one line "FREQ_PPM [SKEW_PPM]": the correction that set_freq
 * needs (ppm, positive = the clock must run faster) and its standard
 * uncertainty. A bare frequency (ntpd's drift file) is accepted too. */
#ifndef GNOMON_DRIFT_H
#define GNOMON_DRIFT_H

#include <stddef.h>

/* A correction beyond 1% is no oscillator's drift but a corrupt file. */
#define DRIFT_MAX_PPM 10000.0
/* Skew assumed when the file gives none. */
#define DRIFT_DEFAULT_SKEW_PPM 5.0

/* Parse len bytes (no NUL needed). 0, or -EINVAL for a malformed or
 * out-of-range content; the outputs are written only on success. */
int drift_parse(const char *buf, size_t len, double *freq_ppm, double *skew_ppm);
/* Read and parse the file: 0, -ENOENT (none yet), -EINVAL or -errno. */
int drift_read(const char *path, double *freq_ppm, double *skew_ppm);
/* Write atomically (temporary file + rename): 0 or -errno. */
int drift_write(const char *path, double freq_ppm, double skew_ppm);

#endif
