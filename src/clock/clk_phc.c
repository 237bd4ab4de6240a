/* clk_phc: a PTP hardware clock (/dev/ptpN) as the disciplined clock, for
 * ports with hardware timestamps (their times are on the PHC). The PHC is
 * a dynamic POSIX clock: clock_gettime/clock_adjtime on the clock id
 * made from its file descriptor (FD_TO_CLOCKID, as linuxptp's phc.c);
 * adjusting it needs the device opened for writing, not CAP_SYS_TIME.
 * Untested on this machine: veth and the test VMs have no PHC. */
#include <errno.h>
#include <fcntl.h>
#include <linux/ptp_clock.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/timex.h>
#include <unistd.h>

#include "clock/clk.h"
#include "lib/util.h"

/* The kernel's dynamic clock ids (include/linux/posix-timers.h). */
#define CLOCKFD 3
#define FD_TO_CLOCKID(fd) ((clockid_t)((((unsigned int)~(fd)) << 3) | CLOCKFD))

struct clk_phc {
	struct clk base;
	int fd;
	clockid_t id;
	double max_ppm;
	struct clk_ops ops;	/* max_freq_ppm is the device's */
};

clockid_t clk_phc_clockid(int fd)
{
	return FD_TO_CLOCKID(fd);
}

static gt_ns phc_now(struct clk *c)
{
	struct clk_phc *p = container_of(c, struct clk_phc, base);

	return gt_now(p->id);
}

/* The PHC against CLOCK_REALTIME: of five reads of the PHC between two
 * of the system clock, the shortest bracket (as phc2sys measures). */
static int phc_get_map(struct clk *c, struct clk_map *m)
{
	struct clk_phc *p = container_of(c, struct clk_phc, base);
	gt_ns best = INT64_MAX;
	int i;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < 5; i++) {
		gt_ns a = gt_now(CLOCK_REALTIME), t = gt_now(p->id), b = gt_now(CLOCK_REALTIME);

		if (b - a < best) {
			best = b - a;
			m->base_real = a + (b - a) / 2;
			m->offset = t - m->base_real;
		}
	}
	return 0;
}

static int phc_step(struct clk *c, gt_ns delta)
{
	struct clk_phc *p = container_of(c, struct clk_phc, base);
	struct timex tx = { .modes = ADJ_SETOFFSET | ADJ_NANO };
	struct timespec ts = gt_to_timespec(delta);

	tx.time.tv_sec = ts.tv_sec;
	tx.time.tv_usec = ts.tv_nsec;
	return clock_adjtime(p->id, &tx) < 0 ? -errno : 0;
}

static int phc_set_freq(struct clk *c, double ppm)
{
	struct clk_phc *p = container_of(c, struct clk_phc, base);
	struct timex tx = { .modes = ADJ_FREQUENCY };

	if (!isfinite(ppm) || fabs(ppm) > p->max_ppm)
		return -ERANGE;
	tx.freq = (long)llround(ppm * 65536.0);
	return clock_adjtime(p->id, &tx) < 0 ? -errno : 0;
}

static int phc_get_freq(struct clk *c, double *ppm)
{
	struct clk_phc *p = container_of(c, struct clk_phc, base);
	struct timex tx = { .modes = 0 };

	if (clock_adjtime(p->id, &tx) < 0)
		return -errno;
	*ppm = (double)tx.freq / 65536.0;
	return 0;
}

static void phc_destroy(struct clk *c)
{
	struct clk_phc *p = container_of(c, struct clk_phc, base);

	close(p->fd);
	free(p);
}

struct clk *clk_create_phc(const char *path, char *err, size_t len)
{
	struct ptp_clock_caps caps;
	struct clk_phc *p;
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, len, "clock phc %s: %s", path, strerror(errno));
		return NULL;
	}
	memset(&caps, 0, sizeof(caps));
	if (ioctl(fd, PTP_CLOCK_GETCAPS, &caps) < 0) {
		snprintf(err, len, "clock phc %s: not a PTP hardware clock (%s)", path,
			 strerror(errno));
		close(fd);
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	p->fd = fd;
	p->id = FD_TO_CLOCKID(fd);
	/* max_adj is in ppb; some drivers report 0: take ADJ_FREQUENCY's own
	 * 500 ppm then. */
	p->max_ppm = caps.max_adj > 0 ? caps.max_adj / 1000.0 : 500.0;
	p->ops = (struct clk_ops){
		.name = "phc", .get_map = phc_get_map, .step = phc_step, .set_freq = phc_set_freq,
		.get_freq = phc_get_freq, .destroy = phc_destroy, .now = phc_now,
		.max_freq_ppm = p->max_ppm, .mono_slewed = false,
	};
	p->base.ops = &p->ops;
	return &p->base;
}
