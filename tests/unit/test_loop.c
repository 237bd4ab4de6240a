/* Unit tests for lib/loop: timers, fd watches and signal flags.
 *
 * The executable is linked with --wrap=clock_gettime, so every clock read
 * of the library goes through __wrap_clock_gettime below, which can shift
 * CLOCK_REALTIME (and only it) by any amount. That shows the timers run on
 * CLOCK_MONOTONIC without touching the machine's clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "lib/loop.h"

#define MS(x) ((gt_ns)(x) * GT_NS_PER_MS)
#define HOUR ((gt_ns)3600 * GT_NS_PER_S)

/* ---- CLOCK_REALTIME shift ---- */

static _Atomic int64_t realtime_shift;

int __real_clock_gettime(clockid_t id, struct timespec *ts);
int __wrap_clock_gettime(clockid_t id, struct timespec *ts);

int __wrap_clock_gettime(clockid_t id, struct timespec *ts)
{
	int rc = __real_clock_gettime(id, ts);
	int64_t shift = atomic_load(&realtime_shift);

	if (rc == 0 && shift && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE)) {
		gt_ns t = gt_from_timespec(ts) + shift;

		*ts = gt_to_timespec(t);
	}
	return rc;
}

/* Monotonic time read directly, not through the wrapper. */
static gt_ns mono(void)
{
	struct timespec ts;

	__real_clock_gettime(CLOCK_MONOTONIC, &ts);
	return gt_from_timespec(&ts);
}

/* ---- timers ---- */

struct fired {
	int count;
	gt_ns at[16];
	int order[16];
	int n_order;
};

static struct fired fired;

static int reset(void **state)
{
	(void)state;
	memset(&fired, 0, sizeof(fired));
	atomic_store(&realtime_shift, 0);
	return 0;
}

static void on_timer(struct loop_timer *t, void *arg)
{
	(void)t;
	if (fired.count < 16)
		fired.at[fired.count] = mono();
	fired.count++;
	if (fired.n_order < 16)
		fired.order[fired.n_order++] = (int)(intptr_t)arg;
}

/* Run the loop until cond() or the deadline (ms of real time). */
static void run_until(struct loop *l, bool (*cond)(void), int max_ms)
{
	gt_ns end = mono() + MS(max_ms);

	while (!cond() && mono() < end)
		assert_int_equal(loop_run_once(l, MS(5)), 0);
}

static bool fired_once(void) { return fired.count >= 1; }
static bool fired_three(void) { return fired.count >= 3; }
static bool fired_five(void) { return fired.count >= 5; }

static void test_timer_one_shot(void **state)
{
	struct loop *l = loop_create();
	gt_ns start = mono();

	(void)state;
	loop_timer_add(l, MS(30), 0, on_timer, (void *)1);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(fired.count, 0);
	run_until(l, fired_once, 2000);
	assert_int_equal(fired.count, 1);
	assert_true(fired.at[0] - start >= MS(30));
	assert_true(fired.at[0] - start < MS(1000));
	/* One-shot: never again. */
	assert_int_equal(loop_run_once(l, MS(50)), 0);
	assert_int_equal(fired.count, 1);
	loop_destroy(l);
}

static void test_timer_zero_delay(void **state)
{
	struct loop *l = loop_create();

	(void)state;
	loop_timer_add(l, 0, 0, on_timer, NULL);
	loop_timer_add(l, -MS(5), 0, on_timer, NULL);	/* negative: now */
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(fired.count, 2);
	loop_destroy(l);
}

static void test_timer_order(void **state)
{
	struct loop *l = loop_create();

	(void)state;
	loop_timer_add(l, MS(30), 0, on_timer, (void *)3);
	loop_timer_add(l, MS(10), 0, on_timer, (void *)1);
	loop_timer_add(l, MS(20), 0, on_timer, (void *)2);
	run_until(l, fired_three, 2000);
	assert_int_equal(fired.n_order, 3);
	assert_int_equal(fired.order[0], 1);
	assert_int_equal(fired.order[1], 2);
	assert_int_equal(fired.order[2], 3);
	assert_true(fired.at[0] <= fired.at[1] && fired.at[1] <= fired.at[2]);
	loop_destroy(l);
}

/* The wait in poll() is bounded by the next timer, not by max_wait -1. */
static void test_wait_bounded_by_timer(void **state)
{
	struct loop *l = loop_create();
	gt_ns start = mono();
	int i;

	(void)state;
	loop_timer_add(l, MS(40), 0, on_timer, NULL);
	for (i = 0; i < 10 && !fired.count; i++)
		assert_int_equal(loop_run_once(l, -1), 0);
	assert_int_equal(fired.count, 1);
	assert_true(mono() - start >= MS(40));
	assert_true(mono() - start < MS(900));
	loop_destroy(l);
}

static void test_max_wait(void **state)
{
	struct loop *l = loop_create();
	gt_ns start = mono(), took;

	(void)state;
	assert_int_equal(loop_run_once(l, MS(30)), 0);
	took = mono() - start;
	assert_true(took >= MS(29));
	assert_true(took < MS(900));
	loop_destroy(l);
}

static struct loop_timer *periodic;
static struct loop *periodic_loop;

static void on_periodic(struct loop_timer *t, void *arg)
{
	on_timer(t, arg);
	assert_ptr_equal(t, periodic);
	if (fired.count == 5)
		loop_timer_cancel(periodic_loop, t);	/* cancel itself */
}

static void test_timer_periodic(void **state)
{
	struct loop *l = loop_create();
	gt_ns start = mono();
	int i;

	(void)state;
	periodic_loop = l;
	periodic = loop_timer_add(l, MS(10), MS(15), on_periodic, NULL);
	run_until(l, fired_five, 3000);
	assert_int_equal(fired.count, 5);
	/* 10 ms, then every 15 ms: the fifth is at least 70 ms in. */
	assert_true(fired.at[4] - start >= MS(70));
	for (i = 1; i < 5; i++)
		assert_true(fired.at[i] > fired.at[i - 1]);
	/* Cancelled from its own callback: no more. */
	assert_int_equal(loop_run_once(l, MS(50)), 0);
	assert_int_equal(fired.count, 5);
	loop_destroy(l);
}

static struct loop_timer *victim;

static void on_cancel_other(struct loop_timer *t, void *arg)
{
	on_timer(t, arg);
	loop_timer_cancel(arg, victim);
}

static void test_timer_cancel(void **state)
{
	struct loop *l = loop_create();
	struct loop_timer *t;

	(void)state;
	t = loop_timer_add(l, MS(5), 0, on_timer, NULL);
	loop_timer_cancel(l, t);
	loop_timer_cancel(l, NULL);
	assert_int_equal(loop_run_once(l, MS(30)), 0);
	assert_int_equal(fired.count, 0);
	/* One timer cancels another that is due in the same pass. */
	loop_timer_add(l, MS(1), 0, on_cancel_other, l);
	victim = loop_timer_add(l, MS(2), 0, on_timer, NULL);
	usleep(10000);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(fired.count, 1);
	assert_int_equal(loop_run_once(l, MS(20)), 0);
	assert_int_equal(fired.count, 1);
	/* Timers still pending at destroy are freed (ASan checks). */
	loop_timer_add(l, MS(100000), 0, on_timer, NULL);
	loop_timer_add(l, MS(100000), MS(1), on_timer, NULL);
	loop_destroy(l);
}

static void on_add_timer(struct loop_timer *t, void *arg)
{
	on_timer(t, NULL);
	loop_timer_add(arg, MS(5), 0, on_timer, (void *)7);
}

static void test_timer_added_from_callback(void **state)
{
	struct loop *l = loop_create();

	(void)state;
	loop_timer_add(l, MS(1), 0, on_add_timer, l);
	run_until(l, fired_three, 50);	/* only two will fire */
	assert_int_equal(fired.count, 2);
	assert_int_equal(fired.order[1], 7);
	loop_destroy(l);
}

static void on_stop(struct loop_timer *t, void *arg)
{
	on_timer(t, NULL);
	loop_stop(arg);
}

static void test_loop_stop(void **state)
{
	struct loop *l = loop_create();
	gt_ns start = mono();

	(void)state;
	loop_timer_add(l, MS(20), 0, on_stop, l);
	alarm(10);	/* if the timer never fires, die instead of hanging */
	assert_int_equal(loop_run(l), 0);
	alarm(0);
	assert_int_equal(fired.count, 1);
	assert_true(mono() - start < MS(900));
	loop_destroy(l);
}

/* Timers are on CLOCK_MONOTONIC: a step of CLOCK_REALTIME, either way,
 * neither fires them early nor holds them back. */
static void test_timer_ignores_realtime_step(void **state)
{
	struct loop *l = loop_create();
	gt_ns start = mono(), before;

	(void)state;
	/* The wrapper is in effect for the library's clock reads. */
	before = gt_now(CLOCK_REALTIME);
	atomic_store(&realtime_shift, HOUR);
	assert_true(gt_now(CLOCK_REALTIME) - before >= HOUR);
	atomic_store(&realtime_shift, 0);

	loop_timer_add(l, MS(60), 0, on_timer, NULL);
	/* Realtime jumps an hour ahead: the timer must not fire early. */
	atomic_store(&realtime_shift, HOUR);
	assert_int_equal(loop_run_once(l, MS(10)), 0);
	assert_int_equal(fired.count, 0);
	/* Realtime jumps an hour back: the timer must not be held back. */
	atomic_store(&realtime_shift, -HOUR);
	run_until(l, fired_once, 2000);
	assert_int_equal(fired.count, 1);
	assert_true(fired.at[0] - start >= MS(60));
	assert_true(fired.at[0] - start < MS(1000));
	atomic_store(&realtime_shift, 0);
	loop_destroy(l);
}

/* ---- fd watches ---- */

struct fd_seen {
	int calls;
	int fd;
	short revents;
	void *arg;
};

static struct fd_seen seen_a, seen_b;

static void on_fd(int fd, short revents, void *arg)
{
	struct fd_seen *s = arg;
	char c;

	s->calls++;
	s->fd = fd;
	s->revents = revents;
	s->arg = arg;
	if (revents & POLLIN)
		(void)!read(fd, &c, 1);
}

static void test_fd_pipe(void **state)
{
	struct loop *l = loop_create();
	int p[2];

	(void)state;
	memset(&seen_a, 0, sizeof(seen_a));
	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	assert_int_equal(loop_add_fd(l, p[0], POLLIN, on_fd, &seen_a), 0);
	assert_int_equal(loop_add_fd(l, p[0], POLLIN, on_fd, &seen_a), -EEXIST);
	/* Nothing to read: no callback. */
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(seen_a.calls, 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(loop_run_once(l, MS(500)), 0);
	assert_int_equal(seen_a.calls, 1);
	assert_int_equal(seen_a.fd, p[0]);
	assert_true(seen_a.revents & POLLIN);
	assert_ptr_equal(seen_a.arg, &seen_a);
	/* Drained: no second call. */
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(seen_a.calls, 1);
	/* Removed: data is not reported. */
	assert_int_equal(write(p[1], "y", 1), 1);
	loop_del_fd(l, p[0]);
	assert_int_equal(loop_run_once(l, MS(10)), 0);
	assert_int_equal(seen_a.calls, 1);
	loop_del_fd(l, p[0]);		/* unknown fd: harmless */
	/* Hang-up of the writer is reported. */
	assert_int_equal(loop_add_fd(l, p[0], POLLIN, on_fd, &seen_a), 0);
	close(p[1]);
	assert_int_equal(loop_run_once(l, MS(500)), 0);
	assert_int_equal(seen_a.calls, 2);
	assert_true(seen_a.revents & (POLLHUP | POLLIN));
	loop_del_fd(l, p[0]);
	close(p[0]);
	loop_destroy(l);
}

static int other_fd;
static struct loop *fd_loop;
static struct fd_seen seen_c;

static void on_fd_delete_other(int fd, short revents, void *arg)
{
	on_fd(fd, revents, arg);
	loop_del_fd(fd_loop, other_fd);
}

/* A callback that removes another ready watch: the removed one is not
 * called in the same iteration (its arg may be gone), and a third ready
 * watch, moved by the removal, is not lost. */
static void test_fd_delete_from_callback(void **state)
{
	struct loop *l = loop_create();
	int p[2], q[2], r[2], i;

	(void)state;
	memset(&seen_a, 0, sizeof(seen_a));
	memset(&seen_b, 0, sizeof(seen_b));
	memset(&seen_c, 0, sizeof(seen_c));
	fd_loop = l;
	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	assert_int_equal(pipe2(q, O_NONBLOCK), 0);
	assert_int_equal(pipe2(r, O_NONBLOCK), 0);
	assert_int_equal(loop_add_fd(l, p[0], POLLIN, on_fd_delete_other, &seen_a), 0);
	assert_int_equal(loop_add_fd(l, q[0], POLLIN, on_fd, &seen_b), 0);
	assert_int_equal(loop_add_fd(l, r[0], POLLIN, on_fd, &seen_c), 0);
	other_fd = q[0];
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(write(q[1], "x", 1), 1);
	assert_int_equal(write(r[1], "x", 1), 1);
	for (i = 0; i < 5; i++)
		assert_int_equal(loop_run_once(l, MS(10)), 0);
	assert_int_equal(seen_a.calls, 1);
	assert_int_equal(seen_b.calls, 0);
	assert_int_equal(seen_c.calls, 1);
	assert_int_equal(seen_c.fd, r[0]);
	loop_del_fd(l, p[0]);
	loop_del_fd(l, r[0]);
	for (i = 0; i < 2; i++) {
		close(p[i]);
		close(q[i]);
		close(r[i]);
	}
	loop_destroy(l);
}

static int added_fd;
static struct fd_seen seen_d;

static void on_fd_delete_and_add(int fd, short revents, void *arg)
{
	on_fd(fd, revents, arg);
	loop_del_fd(fd_loop, other_fd);
	assert_int_equal(loop_add_fd(fd_loop, added_fd, POLLIN, on_fd, &seen_d), 0);
}

/* A callback removes one watch and adds another: the new watch takes the
 * slot of a ready watch of this iteration, but must never be called with
 * that other watch's fd and events. */
static void test_fd_replace_from_callback(void **state)
{
	struct loop *l = loop_create();
	int p[2], q[2], r[2], x[2], s[2], i;

	(void)state;
	memset(&seen_a, 0, sizeof(seen_a));
	memset(&seen_b, 0, sizeof(seen_b));
	memset(&seen_c, 0, sizeof(seen_c));
	memset(&seen_d, 0, sizeof(seen_d));
	fd_loop = l;
	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	assert_int_equal(pipe2(q, O_NONBLOCK), 0);
	assert_int_equal(pipe2(r, O_NONBLOCK), 0);
	assert_int_equal(pipe2(x, O_NONBLOCK), 0);
	assert_int_equal(pipe2(s, O_NONBLOCK), 0);
	assert_int_equal(loop_add_fd(l, p[0], POLLIN, on_fd_delete_and_add, &seen_a), 0);
	assert_int_equal(loop_add_fd(l, q[0], POLLIN, on_fd, &seen_b), 0);
	assert_int_equal(loop_add_fd(l, r[0], POLLIN, on_fd, &seen_c), 0);
	assert_int_equal(loop_add_fd(l, x[0], POLLIN, on_fd, &seen_c), 0);
	other_fd = q[0];
	added_fd = s[0];	/* never readable */
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(write(r[1], "x", 1), 1);
	assert_int_equal(write(x[1], "x", 1), 1);
	for (i = 0; i < 5; i++)
		assert_int_equal(loop_run_once(l, MS(10)), 0);
	assert_int_equal(seen_a.calls, 1);
	assert_int_equal(seen_b.calls, 0);
	assert_int_equal(seen_c.calls, 2);	/* r and x, each once */
	if (seen_d.calls)
		fail_msg("new watch of fd %d called with fd %d", s[0], seen_d.fd);
	loop_del_fd(l, p[0]);
	loop_del_fd(l, r[0]);
	loop_del_fd(l, x[0]);
	loop_del_fd(l, s[0]);
	for (i = 0; i < 2; i++) {
		close(p[i]);
		close(q[i]);
		close(r[i]);
		close(x[i]);
		close(s[i]);
	}
	loop_destroy(l);
}

/* More watches than the initial capacity. */
static void test_fd_many(void **state)
{
	struct loop *l = loop_create();
	static struct fd_seen seen[20];
	int p[20][2], i;

	(void)state;
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 20; i++) {
		assert_int_equal(pipe2(p[i], O_NONBLOCK), 0);
		assert_int_equal(loop_add_fd(l, p[i][0], POLLIN, on_fd, &seen[i]), 0);
	}
	for (i = 0; i < 20; i += 3)
		assert_int_equal(write(p[i][1], "x", 1), 1);
	assert_int_equal(loop_run_once(l, MS(500)), 0);
	for (i = 0; i < 20; i++) {
		assert_int_equal(seen[i].calls, i % 3 == 0 ? 1 : 0);
		loop_del_fd(l, p[i][0]);
		close(p[i][0]);
		close(p[i][1]);
	}
	loop_destroy(l);
}

/* ---- signals ---- */

static int sig_calls, sig_last;

static void on_sig(int sig, void *arg)
{
	sig_calls++;
	sig_last = sig;
	assert_ptr_equal(arg, &sig_calls);
}

static void restore_default(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(sig, &sa, NULL);
}

static void test_signal_flag(void **state)
{
	struct loop *l = loop_create();

	(void)state;
	sig_calls = 0;
	assert_int_equal(loop_on_signal(l, 0, on_sig, NULL), -EINVAL);
	assert_int_equal(loop_on_signal(l, 65, on_sig, NULL), -EINVAL);
	assert_int_equal(loop_on_signal(l, SIGUSR1, on_sig, &sig_calls), 0);
	assert_int_equal(loop_on_signal(l, SIGUSR2, on_sig, &sig_calls), 0);
	/* The handler only sets a flag: the callback runs from the loop. */
	raise(SIGUSR1);
	assert_int_equal(sig_calls, 0);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(sig_calls, 1);
	assert_int_equal(sig_last, SIGUSR1);
	/* Once per delivery. */
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(sig_calls, 1);
	raise(SIGUSR2);
	raise(SIGUSR1);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(sig_calls, 3);
	restore_default(SIGUSR1);
	restore_default(SIGUSR2);
	loop_destroy(l);
}

static void *kill_later(void *arg)
{
	usleep(50000);
	pthread_kill(*(pthread_t *)arg, SIGUSR1);
	return NULL;
}

/* A signal arriving while the loop sleeps in poll() wakes it at once. */
static void test_signal_wakes_poll(void **state)
{
	struct loop *l = loop_create();
	pthread_t self = pthread_self(), th;
	gt_ns start, took;

	(void)state;
	sig_calls = 0;
	assert_int_equal(loop_on_signal(l, SIGUSR1, on_sig, &sig_calls), 0);
	assert_int_equal(pthread_create(&th, NULL, kill_later, &self), 0);
	start = mono();
	while (sig_calls == 0 && mono() - start < MS(3000))
		assert_int_equal(loop_run_once(l, MS(5000)), 0);
	took = mono() - start;
	pthread_join(th, NULL);
	assert_int_equal(sig_calls, 1);
	assert_true(took >= MS(40));
	assert_true(took < MS(700));	/* well before the 1 s poll cap */
	restore_default(SIGUSR1);
	loop_destroy(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_timer_one_shot, reset),
		cmocka_unit_test_setup(test_timer_zero_delay, reset),
		cmocka_unit_test_setup(test_timer_order, reset),
		cmocka_unit_test_setup(test_wait_bounded_by_timer, reset),
		cmocka_unit_test_setup(test_max_wait, reset),
		cmocka_unit_test_setup(test_timer_periodic, reset),
		cmocka_unit_test_setup(test_timer_cancel, reset),
		cmocka_unit_test_setup(test_timer_added_from_callback, reset),
		cmocka_unit_test_setup(test_loop_stop, reset),
		cmocka_unit_test_setup(test_timer_ignores_realtime_step, reset),
		cmocka_unit_test_setup(test_fd_pipe, reset),
		cmocka_unit_test_setup(test_fd_delete_from_callback, reset),
		cmocka_unit_test_setup(test_fd_replace_from_callback, reset),
		cmocka_unit_test_setup(test_fd_many, reset),
		cmocka_unit_test_setup(test_signal_flag, reset),
		cmocka_unit_test_setup(test_signal_wakes_poll, reset),
	};

	return cmocka_run_group_tests_name("loop", tests, NULL, NULL);
}
