#include "lib/loop.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

struct fd_watch {
	int fd;
	short events;
	loop_fd_cb cb;
	void *arg;
};

struct loop_timer {
	gt_ns due;		/* CLOCK_MONOTONIC */
	gt_ns period;
	loop_timer_cb cb;
	void *arg;
	struct loop_timer *next;
};

#define MAX_SIGNALS 65

struct sig_handler {
	void (*cb)(int sig, void *arg);
	void *arg;
};

struct loop {
	struct fd_watch *watches;
	struct pollfd *pfds;
	size_t n_watches, cap_watches;
	struct loop_timer *timers;	/* sorted by due */
	bool stop;
	struct sig_handler sigs[MAX_SIGNALS];
};

/* Set by the async-signal handler, consumed by the loop. */
static volatile sig_atomic_t sig_pending[MAX_SIGNALS];

struct loop *loop_create(void)
{
	return xcalloc(1, sizeof(struct loop));
}

void loop_destroy(struct loop *l)
{
	struct loop_timer *t, *next;

	if (!l)
		return;
	for (t = l->timers; t; t = next) {
		next = t->next;
		free(t);
	}
	free(l->watches);
	free(l->pfds);
	free(l);
}

int loop_add_fd(struct loop *l, int fd, short events, loop_fd_cb cb, void *arg)
{
	size_t i;

	for (i = 0; i < l->n_watches; i++)
		if (l->watches[i].fd == fd)
			return -EEXIST;
	if (l->n_watches == l->cap_watches) {
		l->cap_watches = l->cap_watches ? 2 * l->cap_watches : 8;
		l->watches = xrealloc(l->watches, l->cap_watches * sizeof(*l->watches));
		l->pfds = xrealloc(l->pfds, l->cap_watches * sizeof(*l->pfds));
	}
	l->watches[l->n_watches++] = (struct fd_watch){ fd, events, cb, arg };
	return 0;
}

void loop_del_fd(struct loop *l, int fd)
{
	size_t i;

	for (i = 0; i < l->n_watches; i++) {
		if (l->watches[i].fd == fd) {
			l->watches[i] = l->watches[--l->n_watches];
			/* Mark a pfd of the current iteration dead, if any. */
			if (i < l->cap_watches)
				l->pfds[i].fd = -1;
			return;
		}
	}
}

static void timer_insert(struct loop *l, struct loop_timer *t)
{
	struct loop_timer **p = &l->timers;

	while (*p && (*p)->due <= t->due)
		p = &(*p)->next;
	t->next = *p;
	*p = t;
}

static bool timer_unlink(struct loop *l, struct loop_timer *t)
{
	struct loop_timer **p;

	for (p = &l->timers; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			return true;
		}
	}
	return false;
}

struct loop_timer *loop_timer_add(struct loop *l, gt_ns delay, gt_ns period,
				  loop_timer_cb cb, void *arg)
{
	struct loop_timer *t = xcalloc(1, sizeof(*t));

	t->due = gt_now(CLOCK_MONOTONIC) + (delay > 0 ? delay : 0);
	t->period = period;
	t->cb = cb;
	t->arg = arg;
	timer_insert(l, t);
	return t;
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	if (t && timer_unlink(l, t))
		free(t);
}

static void run_timers(struct loop *l)
{
	gt_ns now = gt_now(CLOCK_MONOTONIC);
	struct loop_timer *t;

	while ((t = l->timers) && t->due <= now) {
		l->timers = t->next;
		if (t->period > 0) {
			/* Keep the phase; skip missed periods instead of bursting. */
			t->due += t->period;
			if (t->due <= now)
				t->due = now + t->period;
			timer_insert(l, t);
			t->cb(t, t->arg);
		} else {
			t->cb(t, t->arg);
			free(t);
		}
	}
}

static void signal_flag_handler(int sig)
{
	if (sig > 0 && sig < MAX_SIGNALS)
		sig_pending[sig] = 1;
}

int loop_on_signal(struct loop *l, int sig, void (*cb)(int sig, void *arg), void *arg)
{
	struct sigaction sa;

	if (sig <= 0 || sig >= MAX_SIGNALS)
		return -EINVAL;
	l->sigs[sig] = (struct sig_handler){ cb, arg };
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = signal_flag_handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) < 0)
		return -errno;
	return 0;
}

static void run_signals(struct loop *l)
{
	int sig;

	/* The flags are the process's: a loop takes only the signals it
	 * handles, so that a second loop on another thread (the audit's)
	 * never eats the main loop's SIGTERM. */
	for (sig = 1; sig < MAX_SIGNALS; sig++) {
		if (l->sigs[sig].cb && sig_pending[sig]) {
			sig_pending[sig] = 0;
			l->sigs[sig].cb(sig, l->sigs[sig].arg);
		}
	}
}

int loop_run_once(struct loop *l, gt_ns max_wait)
{
	/* A signal landing between run_signals() and poll() is seen at the
	 * next wake-up; capping the wait at 1 s bounds that delay without
	 * needing ppoll(), which simulators do not intercept. */
	gt_ns wait = GT_NS_PER_S, now;
	size_t i, n;
	int rc;

	run_signals(l);
	run_timers(l);
	if (l->timers) {
		now = gt_now(CLOCK_MONOTONIC);
		if (l->timers->due - now < wait)
			wait = l->timers->due > now ? l->timers->due - now : 0;
	}
	if (max_wait >= 0 && max_wait < wait)
		wait = max_wait;
	n = l->n_watches;
	for (i = 0; i < n; i++)
		l->pfds[i] = (struct pollfd){ l->watches[i].fd, l->watches[i].events, 0 };
	rc = poll(l->pfds, n, (int)((wait + GT_NS_PER_MS - 1) / GT_NS_PER_MS));
	if (rc < 0) {
		if (errno == EINTR) {
			run_signals(l);
			return 0;
		}
		return -errno;
	}
	for (i = 0; i < n && i < l->n_watches && rc > 0; i++) {
		struct pollfd p = l->pfds[i];

		if (p.fd < 0 || !p.revents)
			continue;
		rc--;
		/* The callback may delete watches; find it again by fd. */
		if (l->watches[i].fd == p.fd)
			l->watches[i].cb(p.fd, p.revents, l->watches[i].arg);
	}
	run_timers(l);
	return 0;
}

int loop_run(struct loop *l)
{
	int rc = 0;

	l->stop = false;
	while (!l->stop && rc == 0)
		rc = loop_run_once(l, -1);
	return rc;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}
