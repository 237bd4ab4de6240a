/* loop: the main event loop: poll() over file descriptors plus timers on
 * CLOCK_MONOTONIC, so a step of the disciplined clock never moves a timer.
 * poll() (not epoll) keeps the daemon runnable under syscall-level clock and
 * network simulators. Signals only set flags (see loop_signal_flag). */
#ifndef GNOMON_LOOP_H
#define GNOMON_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/gtime.h"

struct loop;
struct loop_timer;

/* revents: POLLIN/POLLOUT/POLLPRI/POLLERR bits as returned by poll(). */
typedef void (*loop_fd_cb)(int fd, short revents, void *arg);
typedef void (*loop_timer_cb)(struct loop_timer *t, void *arg);

struct loop *loop_create(void);
void loop_destroy(struct loop *l);

/* Watch fd for events (POLLIN, POLLPRI...). One watch per fd. 0 or -errno. */
int loop_add_fd(struct loop *l, int fd, short events, loop_fd_cb cb, void *arg);
void loop_del_fd(struct loop *l, int fd);

/* Create a timer firing after delay ns, then every period ns (0: once).
 * The timer is owned by the loop until loop_timer_cancel(). */
struct loop_timer *loop_timer_add(struct loop *l, gt_ns delay, gt_ns period,
				  loop_timer_cb cb, void *arg);
void loop_timer_cancel(struct loop *l, struct loop_timer *t);

/* Run until loop_stop() or a fatal poll error. Returns 0 or -errno. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);
/* One iteration waiting at most max_wait ns (-1: until an event). */
int loop_run_once(struct loop *l, gt_ns max_wait);

/* Install a sigaction handler for sig that sets a flag; the loop calls cb
 * from its own context after poll() returns (EINTR). */
int loop_on_signal(struct loop *l, int sig, void (*cb)(int sig, void *arg), void *arg);

#endif
