/*
 * relay: a user-space UDP impairment relay for gnomon's tests.
 *
 * This kernel has no netem (shared/TESTING.md), so delay, jitter, asymmetry,
 * loss, duplication and reordering come from here.  Clients send to
 * --listen; each client address gets its own upstream socket connected to
 * --to, so replies find their way back to the right client through the
 * listen socket.  A one-way stream (data diode) simply never has replies.
 *
 * Timing: a packet's release time is its KERNEL receive timestamp (software
 * SO_TIMESTAMPING, CLOCK_REALTIME, mapped onto CLOCK_MONOTONIC with a
 * freshly measured offset) plus the impairment delay, so the relay's own
 * scheduling latency on receive does not add to the configured delay.  One
 * sender thread keeps a min-heap of pending packets, sleeps until shortly
 * before the next release with an absolute CLOCK_MONOTONIC timeout and
 * busy-waits the last stretch ("spin"), whose length adapts to the observed
 * wake-up lateness.  The error of every release (send time minus scheduled
 * time) is measured and reported.
 *
 * Both threads ask for SCHED_FIFO (--rt-priority, default 1) when
 * permitted; see set_fifo() for why.  The relay only reads clocks (never
 * sets or slews one) and only talks to the addresses it is given.
 * Standalone: no project libraries.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/net_tstamp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include "relay.h"

#define MAX_DGRAM 65536
#define RECV_BATCH 64        /* datagrams read per readiness event */
#define SEND_BATCH 64        /* packets released per lock round */
#define SPIN_MIN_NS 10000LL
#define SPIN_INITIAL_NS 100000LL
#define WAKE_BINS 512        /* wake-up lateness histogram, 1 us bins */
#define WAKE_RECOMPUTE 256   /* timed wake-ups between spin updates */

struct flow {
	struct sockaddr_storage client;
	socklen_t client_len;
	int up_fd;
	uint32_t ovfl_seen;     /* SO_RXQ_OVFL total last seen */
};

struct pkt {
	int64_t release_ns;     /* CLOCK_MONOTONIC */
	int64_t rx_ns;          /* kernel receive time, CLOCK_MONOTONIC */
	uint64_t order;         /* FIFO among equal release times */
	struct flow *flow;
	enum dir dir;
	size_t len;
	unsigned char data[];
};

struct relay {
	struct relay_options opt;
	int listen_fd, epoll_fd, signal_fd;
	uint32_t listen_ovfl_seen;
	int64_t start_ns;

	/* --bridge: one pseudo-flow per interface, a packet socket each */
	struct flow *port[DIR_COUNT];

	/* client flows: open addressing, never removed before exit */
	struct flow **flow_tab;
	size_t flow_cap, nflows;

	/* REALTIME -> MONOTONIC mapping for kernel timestamps */
	int64_t rt_to_mono_ns, rt_measured_at;

	uint64_t pkt_index[DIR_COUNT];  /* per-direction random streams */
	unsigned char rxbuf[MAX_DGRAM];

	/* shared with the sender thread, under lock */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct pkt **heap;
	size_t heap_len, heap_cap;
	uint64_t order_seq;
	bool stopping;
	_Atomic int64_t top_release;    /* heap[0]'s release, INT64_MAX if none */

	/* sender thread only */
	pthread_t sender;
	bool sender_fifo, receiver_fifo;
	int64_t spin_ns;
	uint32_t wake_bins[WAKE_BINS + 1];
	uint32_t wake_count;
	uint64_t late_wakeups, timed_wakeups;
	/* --warm: where warm-up datagrams go (127.0.0.1 and ::1, -1 if none) */
	int warm_fd[2];
	struct sockaddr_storage warm_addr[2];
	socklen_t warm_len[2];
	uint64_t warmups;

	struct dir_stats st[DIR_COUNT];
};

/* ------------------------------------------------------------------------ */
/* time */

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static int64_t mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static struct timespec ns_to_timespec(int64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / NS_PER_SEC),
			       .tv_nsec = (long)(ns % NS_PER_SEC) };
	return ts;
}

/* Offset MONOTONIC - REALTIME, from the tightest of a few REALTIME,
 * MONOTONIC, REALTIME sandwiches (each a few tens of ns wide). */
static int64_t measure_rt_to_mono(void)
{
	int64_t best_width = INT64_MAX, best = 0;

	for (int i = 0; i < 5; i++) {
		int64_t rt1 = clock_ns(CLOCK_REALTIME);
		int64_t mono = clock_ns(CLOCK_MONOTONIC);
		int64_t rt2 = clock_ns(CLOCK_REALTIME);

		if (rt2 - rt1 < best_width) {
			best_width = rt2 - rt1;
			best = mono - (rt1 + (rt2 - rt1) / 2);
		}
	}
	return best;
}

/* ------------------------------------------------------------------------ */
/* randomness: splitmix64, one stream per (seed, direction, packet index) so
 * a packet's fate depends only on its position in its direction */

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* uniform in [0, 1) */
static double rng_unit(uint64_t *state)
{
	return (double)(splitmix64(state) >> 11) * 0x1.0p-53;
}

static double rng_jitter(uint64_t *state, const struct impair_spec *s)
{
	double j = (double)s->jitter_ns;
	double u1 = rng_unit(state), u2 = rng_unit(state);

	switch (s->dist) {
	case DIST_NORMAL:  /* Box-Muller; 1 - u1 is in (0, 1] */
		return j * sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * M_PI * u2);
	case DIST_EXP:
		return -j * log(1.0 - u1);
	case DIST_UNIFORM:
	default:
		return j * (2.0 * u1 - 1.0);
	}
}

/* ------------------------------------------------------------------------ */
/* heap of pending packets, ordered by (release_ns, order); under lock */

static bool pkt_before(const struct pkt *a, const struct pkt *b)
{
	return a->release_ns < b->release_ns ||
	       (a->release_ns == b->release_ns && a->order < b->order);
}

static void heap_push(struct relay *r, struct pkt *p)
{
	size_t i = r->heap_len++;

	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!pkt_before(p, r->heap[parent]))
			break;
		r->heap[i] = r->heap[parent];
		i = parent;
	}
	r->heap[i] = p;
}

static struct pkt *heap_pop(struct relay *r)
{
	struct pkt *top = r->heap[0], *last = r->heap[--r->heap_len];
	size_t i = 0, n = r->heap_len;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && pkt_before(r->heap[c + 1], r->heap[c]))
			c++;
		if (!pkt_before(r->heap[c], last))
			break;
		r->heap[i] = r->heap[c];
		i = c;
	}
	if (n > 0)
		r->heap[i] = last;
	return top;
}

static void publish_top(struct relay *r)
{
	atomic_store_explicit(&r->top_release,
			      r->heap_len ? r->heap[0]->release_ns : INT64_MAX,
			      memory_order_release);
}

/* ------------------------------------------------------------------------ */
/* sender thread */

/* Under SCHED_OTHER a spinning sender is preempted by every task that wakes
 * on its CPU (up to milliseconds of release error), and a receive thread
 * left in SCHED_OTHER is starved by the spinning sender on a small machine
 * (packets read after their release time), so both threads run SCHED_FIFO
 * when permitted.  The spin is bounded and the kernel's RT throttling still
 * leaves CPU time to others, so this cannot lock the machine up. */
static bool set_fifo(int priority)
{
	struct sched_param sp = { .sched_priority = priority };

	return priority > 0 &&
	       pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0;
}

/* Take the lock without ever sleeping on it: a futex sleep costs as much as
 * a timer wake-up (tens of us on a VM), and the receive thread holds the
 * lock only for a heap insertion. */
static void lock_spinning(struct relay *r)
{
	while (pthread_mutex_trylock(&r->lock) != 0)
		__builtin_ia32_pause();
}

/* Adapt the spin to the wake-up lateness of the timed sleeps: spin long
 * enough to cover 99.5 % of them, so a release is late only when the
 * kernel woke us later than that.  Old samples decay by halving. */
static void spin_update(struct relay *r, int64_t late_ns)
{
	int64_t us = late_ns / 1000;

	r->timed_wakeups++;
	if (late_ns > r->spin_ns)
		r->late_wakeups++;
	if (r->opt.spin_ns)
		return;
	r->wake_bins[us < 0 ? 0 : us > WAKE_BINS ? WAKE_BINS : us]++;
	if (++r->wake_count < WAKE_RECOMPUTE)
		return;
	uint64_t total = 0, seen = 0;
	for (size_t i = 0; i <= WAKE_BINS; i++)
		total += r->wake_bins[i];
	size_t i;
	for (i = 0; i <= WAKE_BINS; i++) {
		seen += r->wake_bins[i];
		if (seen * 1000 >= total * 995)
			break;
	}
	int64_t spin = (int64_t)(i + 1) * 1000 + 5000;
	r->spin_ns = spin < SPIN_MIN_NS ? SPIN_MIN_NS :
		     spin > SPIN_MAX_NS ? SPIN_MAX_NS : spin;
	for (size_t k = 0; k <= WAKE_BINS; k++)
		r->wake_bins[k] /= 2;
	r->wake_count = 0;
}

static void send_pkt(struct relay *r, struct pkt *p)
{
	struct dir_stats *st = &r->st[p->dir];
	int64_t now = mono_ns();
	ssize_t n;

	if (r->opt.bridge)	/* out of the other interface */
		n = send(r->port[p->dir == DIR_FWD ? DIR_REV : DIR_FWD]->up_fd, p->data, p->len, 0);
	else if (p->dir == DIR_FWD)
		n = send(p->flow->up_fd, p->data, p->len, 0);
	else
		n = sendto(r->listen_fd, p->data, p->len, 0,
			   (const struct sockaddr *)&p->flow->client,
			   p->flow->client_len);
	if (n < 0) {
		st->send_errors++;
	} else {
		st->forwarded++;
		relay_hist_add(&st->err, now - p->release_ns);
		if (st->n_applied < RELAY_APPLIED_MAX)
			st->applied[st->n_applied++] = now - p->rx_ns;
	}
	free(p);
}

/* --warm: a datagram out of the socket that will send the next release, to
 * the relay's own sink on loopback. On these VMs a send after a quarter of a
 * second's rest takes 30-50 us to reach the device, more or less with what
 * else ran meanwhile; one send 100 us earlier brings it to 4-5 us with a
 * spread of about 1 us, so the path's own latency stops drifting. */
static void warm_path(struct relay *r, const struct flow *f, enum dir d)
{
	int fd = d == DIR_FWD ? f->up_fd : r->listen_fd;
	int v6 = (d == DIR_FWD ? r->opt.to_addr.ss_family : f->client.ss_family) == AF_INET6;

	if (r->warm_fd[v6] < 0)
		return;
	if (sendto(fd, "w", 1, 0, (const struct sockaddr *)&r->warm_addr[v6],
		   r->warm_len[v6]) == 1)
		r->warmups++;
}

static void warm_drain(struct relay *r)
{
	char buf[16];

	for (int k = 0; k < 2; k++)
		while (r->warm_fd[k] >= 0 &&
		       recv(r->warm_fd[k], buf, sizeof(buf), MSG_DONTWAIT) >= 0)
			;
}

static void *sender_main(void *arg)
{
	struct relay *r = arg;
	struct pkt *batch[SEND_BATCH];

	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	r->sender_fifo = set_fifo(r->opt.rt_priority);
	pthread_mutex_lock(&r->lock);
	while (!r->stopping) {
		if (r->heap_len == 0) {
			pthread_cond_wait(&r->cond, &r->lock);
			continue;
		}
		int64_t release = r->heap[0]->release_ns;
		int64_t wake = release - r->spin_ns - r->opt.warm_ns;
		if (mono_ns() < wake) {
			/* An absolute CLOCK_MONOTONIC timeout (the same hrtimer
			 * as clock_nanosleep(TIMER_ABSTIME), 1 ns slack), but on
			 * a condition variable so that a newly queued packet due
			 * earlier wakes us at once. */
			struct timespec ts = ns_to_timespec(wake);
			int rc = pthread_cond_timedwait(&r->cond, &r->lock, &ts);
			if (rc == ETIMEDOUT)
				spin_update(r, mono_ns() - wake);
			continue;
		}
		/* flows live until exit: safe to use unlocked */
		const struct flow *top_flow = r->heap[0]->flow;
		enum dir top_dir = r->heap[0]->dir;
		pthread_mutex_unlock(&r->lock);
		/* Busy-wait the last stretch; give up if an earlier packet
		 * became due in the meantime. A warm-up goes out --warm
		 * before the release, if there is still half that time. */
		int64_t now;
		bool warm = r->opt.warm_ns > 0 &&
			    release - mono_ns() >= r->opt.warm_ns / 2;
		while ((now = mono_ns()) < release &&
		       atomic_load_explicit(&r->top_release,
					    memory_order_acquire) == release) {
			if (warm && now >= release - r->opt.warm_ns) {
				warm_path(r, top_flow, top_dir);
				warm = false;
			}
			__builtin_ia32_pause();
		}
		lock_spinning(r);
		size_t n = 0;
		while (n < SEND_BATCH && r->heap_len > 0 &&
		       r->heap[0]->release_ns <= now)
			batch[n++] = heap_pop(r);
		publish_top(r);
		pthread_mutex_unlock(&r->lock);
		for (size_t i = 0; i < n; i++)
			send_pkt(r, batch[i]);
		warm_drain(r);
		lock_spinning(r);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* receive side */

static void queue_copy(struct relay *r, struct flow *f, enum dir d,
		       size_t len, int64_t rx_ns, int64_t release)
{
	struct dir_stats *st = &r->st[d];
	struct pkt *p;

	if (!(p = malloc(sizeof(*p) + len))) {
		st->overflow++;
		return;
	}
	p->release_ns = release;
	p->rx_ns = rx_ns;
	p->flow = f;
	p->dir = d;
	p->len = len;
	memcpy(p->data, r->rxbuf, len);
	pthread_mutex_lock(&r->lock);
	if (r->heap_len >= r->opt.max_pending) {
		pthread_mutex_unlock(&r->lock);
		st->overflow++;
		free(p);
		return;
	}
	p->order = r->order_seq++;
	if (release < mono_ns())
		st->late_on_arrival++;
	heap_push(r, p);
	if (r->heap[0] == p) {
		publish_top(r);
		pthread_cond_signal(&r->cond);
	}
	pthread_mutex_unlock(&r->lock);
}

/* Decide a packet's fate from its own random stream and queue 0, 1 or 2
 * copies.  Every packet draws the same numbers whatever the spec says. */
static void impair(struct relay *r, struct flow *f, enum dir d, size_t len,
		   int64_t rx_ns)
{
	const struct impair_spec *s = &r->opt.spec[d];
	struct dir_stats *st = &r->st[d];
	uint64_t state = r->opt.seed ^ ((uint64_t)(d + 1) << 62);

	state ^= splitmix64(&(uint64_t){ r->pkt_index[d]++ * 0xd1b54a32d192ed03ULL });
	splitmix64(&state);

	double u_loss = rng_unit(&state), u_dup = rng_unit(&state);
	double u_reorder = rng_unit(&state);
	double jit[2] = { rng_jitter(&state, s), rng_jitter(&state, s) };

	st->received++;
	if (u_loss < s->loss) {
		st->dropped++;
		return;
	}
	int64_t hold = 0;
	if (u_reorder < s->reorder) {
		st->reordered++;
		hold = s->reorder_delay_ns;
	}
	int copies = 1;
	if (u_dup < s->dup) {
		st->duplicated++;
		copies = 2;
	}
	for (int c = 0; c < copies; c++) {
		double delay = (double)s->delay_ns + (s->jitter_ns ? jit[c] : 0.0);
		if (delay < 0)
			delay = 0;
		queue_copy(r, f, d, len, rx_ns, rx_ns + (int64_t)llround(delay) + hold);
	}
}

/* The kernel's receive time of a datagram on CLOCK_MONOTONIC; the time of
 * reading it if the kernel gave none or it looks wrong (clock stepped). */
static int64_t rx_time(struct relay *r, struct msghdr *msg, enum dir d,
		       uint32_t *ovfl_seen)
{
	struct dir_stats *st = &r->st[d];
	int64_t now = mono_ns(), rt = -1;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SO_TIMESTAMPING) {
			struct timespec ts[3];
			memcpy(ts, CMSG_DATA(c), sizeof(ts));
			if (ts[0].tv_sec || ts[0].tv_nsec)
				rt = (int64_t)ts[0].tv_sec * NS_PER_SEC + ts[0].tv_nsec;
		} else if (c->cmsg_type == SO_TIMESTAMPNS) {
			struct timespec ts;
			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			rt = (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
		} else if (c->cmsg_type == SO_RXQ_OVFL) {
			uint32_t drops;
			memcpy(&drops, CMSG_DATA(c), sizeof(drops));
			/* the socket's running total: add what is new */
			st->kernel_drops += (uint32_t)(drops - *ovfl_seen);
			*ovfl_seen = drops;
		}
	}
	/* realtime may be slewed by up to 500 ppm: re-measure every 10 ms */
	if (now - r->rt_measured_at > 10000000) {
		r->rt_to_mono_ns = measure_rt_to_mono();
		r->rt_measured_at = now;
	}
	if (rt >= 0) {
		int64_t mono = rt + r->rt_to_mono_ns;
		if (mono <= now + 1000 && mono > now - NS_PER_SEC) {
			st->kernel_ts++;
			relay_hist_add(&st->rx_lat, mono < now ? now - mono : 0);
			return mono < now ? mono : now;
		}
	}
	st->fallback_ts++;
	return now;
}

static size_t addr_hash(const struct sockaddr_storage *a)
{
	const unsigned char *b = (const unsigned char *)a;
	size_t len = a->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					      : sizeof(struct sockaddr_in);
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return (size_t)h;
}

static void enable_rx_options(int fd)
{
	int flags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
	int on = 1, size = 4 << 20;

	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof(flags)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
	setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof(on));
	/* FORCE needs CAP_NET_ADMIN; the plain call is capped by rmem_max */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

/* --warm: the sinks warm-up datagrams go to, on 127.0.0.1 and ::1 (either
 * may be missing: its slot stays -1 and flows of that family go unwarmed). */
static void warm_open(struct relay *r)
{
	if (!r->opt.warm_ns)
		return;
	for (int k = 0; k < 2; k++) {
		struct sockaddr_storage *a = &r->warm_addr[k];
		int fd;

		memset(a, 0, sizeof(*a));
		if (k == 0) {
			struct sockaddr_in in = { .sin_family = AF_INET,
						  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
			memcpy(a, &in, sizeof(in));
			r->warm_len[k] = sizeof(in);
		} else {
			struct sockaddr_in6 in6 = { .sin6_family = AF_INET6,
						    .sin6_addr = IN6ADDR_LOOPBACK_INIT };
			memcpy(a, &in6, sizeof(in6));
			r->warm_len[k] = sizeof(in6);
		}
		fd = socket(a->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (bind(fd, (struct sockaddr *)a, r->warm_len[k]) < 0 ||
		    getsockname(fd, (struct sockaddr *)a, &r->warm_len[k]) < 0) {
			close(fd);
			continue;
		}
		r->warm_fd[k] = fd;
	}
	if (r->warm_fd[0] < 0 && r->warm_fd[1] < 0)
		fprintf(stderr, "relay: warning: no loopback sink for --warm; "
			"releases go unwarmed\n");
}

/* The kernel turns receive timestamps on for the whole machine only when
 * the first socket asks, and then lazily, from a work queue: until that
 * work has run, datagrams arrive without a stamp. On a loaded machine that
 * takes long enough for a test's first datagrams to miss it. So before
 * saying it is ready, the relay sends itself datagrams on loopback until
 * one comes back stamped (at most 2 s; a warning after that). */
static void wait_for_rx_timestamps(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	enable_rx_options(fd);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		goto out;
	for (int tries = 0; tries < 2000; tries++) {
		char data[8], ctrl[256];
		struct iovec iov = { data, sizeof(data) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = ctrl, .msg_controllen = sizeof(ctrl) };
		struct timespec ms = { 0, 1000000 };

		if (sendto(fd, "probe", 5, 0, (struct sockaddr *)&a, sizeof(a)) < 0)
			break;
		nanosleep(&ms, NULL);
		while (recvmsg(fd, &m, 0) >= 0) {
			for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
				struct timespec ts;

				if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SO_TIMESTAMPING)
					continue;
				memcpy(&ts, CMSG_DATA(c), sizeof(ts));
				if (ts.tv_sec || ts.tv_nsec)
					goto out;
			}
			m.msg_controllen = sizeof(ctrl);
		}
	}
	fprintf(stderr, "relay: warning: no kernel receive timestamps yet "
		"(loopback down?); datagrams may use the fallback\n");
out:
	close(fd);
}

static struct flow *flow_get(struct relay *r, const struct sockaddr_storage *a,
			     socklen_t len)
{
	size_t mask = r->flow_cap - 1, i = addr_hash(a) & mask;
	struct flow *f;

	for (; (f = r->flow_tab[i]); i = (i + 1) & mask)
		if (f->client_len == len && memcmp(&f->client, a, len) == 0)
			return f;
	if (r->nflows >= r->opt.max_flows || !(f = calloc(1, sizeof(*f))))
		return NULL;
	f->up_fd = socket(r->opt.to_addr.ss_family,
			  SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (f->up_fd < 0)
		goto fail;
	enable_rx_options(f->up_fd);
	if (connect(f->up_fd, (struct sockaddr *)&r->opt.to_addr, r->opt.to_len) < 0)
		goto fail_fd;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = f };
	if (epoll_ctl(r->epoll_fd, EPOLL_CTL_ADD, f->up_fd, &ev) < 0)
		goto fail_fd;
	memcpy(&f->client, a, len);
	f->client_len = len;
	r->flow_tab[i] = f;
	r->nflows++;
	return f;
fail_fd:
	close(f->up_fd);
fail:
	fprintf(stderr, "relay: cannot open upstream socket: %s\n", strerror(errno));
	free(f);
	return NULL;
}

/* Read what is waiting on fd: the listen socket (f == NULL, forward
 * direction) or a flow's upstream socket (reverse direction); with
 * --bridge, the packet socket of port[0] (forward) or port[1]. */
static void drain(struct relay *r, int fd, struct flow *f)
{
	enum dir d = r->opt.bridge ? (f == r->port[DIR_FWD] ? DIR_FWD : DIR_REV)
				   : f ? DIR_REV : DIR_FWD;
	union {
		char buf[CMSG_SPACE(3 * sizeof(struct timespec)) +
			 CMSG_SPACE(sizeof(uint32_t)) + 64];
		struct cmsghdr align;
	} ctl;

	for (int k = 0; k < RECV_BATCH; k++) {
		struct sockaddr_storage src;
		struct iovec iov = { .iov_base = r->rxbuf, .iov_len = sizeof(r->rxbuf) };
		struct msghdr msg = {
			.msg_name = &src, .msg_namelen = sizeof(src),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
		};
		ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			continue;  /* e.g. ECONNREFUSED from an earlier ICMP error */
		}
		int64_t rx = rx_time(r, &msg, d,
				     f ? &f->ovfl_seen : &r->listen_ovfl_seen);
		if (r->opt.bridge) {
			/* PACKET_IGNORE_OUTGOING keeps our own sends out where
			 * the kernel has it; this check where it has not */
			if (((struct sockaddr_ll *)&src)->sll_pkttype != PACKET_OUTGOING)
				impair(r, f, d, (size_t)n, rx);
		} else if (!f) {
			struct flow *cf = flow_get(r, &src, msg.msg_namelen);
			if (!cf) {
				r->st[d].received++;
				r->st[d].no_flow++;
				continue;
			}
			impair(r, cf, d, (size_t)n, rx);
		} else {
			impair(r, f, d, (size_t)n, rx);
		}
	}
}

/* ------------------------------------------------------------------------ */
/* set-up, main loop, tear-down */

/* A packet socket that reads every frame arriving on the interface (all
 * destinations: the endpoints address each other, not the relay) and
 * sends frames out of it unchanged. */
static int bridge_port_open(struct relay *r, enum dir d)
{
	const char *name = r->opt.bridge_if[d];
	unsigned idx = if_nametoindex(name);
	struct flow *f;
	int on = 1;

	if (!idx) {
		fprintf(stderr, "relay: no interface %s: %s\n", name, strerror(errno));
		return -ENODEV;
	}
	if (!(f = calloc(1, sizeof(*f))))
		return -ENOMEM;
	r->port[d] = f;
	f->up_fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (f->up_fd < 0)
		return -errno;
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				  .sll_ifindex = (int)idx };
	struct packet_mreq mr = { .mr_ifindex = (int)idx, .mr_type = PACKET_MR_PROMISC };
	if (bind(f->up_fd, (struct sockaddr *)&ll, sizeof(ll)) < 0 ||
	    setsockopt(f->up_fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
		int e = errno;

		fprintf(stderr, "relay: cannot open %s: %s\n", name, strerror(e));
		return -e;
	}
	/* A frame from a local stack (veth) usually carries a checksum still
	 * to be computed (CHECKSUM_PARTIAL): read as bytes and sent as they
	 * are it would arrive with a wrong one and be dropped. With a virtio
	 * header in front, read and handed back on the other socket, the
	 * kernel keeps that state across the relay. */
	if (setsockopt(f->up_fd, SOL_PACKET, PACKET_VNET_HDR, &on, sizeof(on)) < 0) {
		int e = errno;

		fprintf(stderr, "relay: PACKET_VNET_HDR on %s: %s\n", name, strerror(e));
		return -e;
	}
	setsockopt(f->up_fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &on, sizeof(on));
	enable_rx_options(f->up_fd);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = f };
	if (epoll_ctl(r->epoll_fd, EPOLL_CTL_ADD, f->up_fd, &ev) < 0)
		return -errno;
	return 0;
}

static int bridge_open(struct relay *r)
{
	int rc;

	if ((rc = bridge_port_open(r, DIR_FWD)) < 0 || (rc = bridge_port_open(r, DIR_REV)) < 0)
		return rc;
	wait_for_rx_timestamps();
	return 0;
}

/* The UDP socket clients send to (--listen). */
static int listen_open(struct relay *r)
{
	char buf[INET6_ADDRSTRLEN + 16];

	r->listen_fd = socket(r->opt.listen_addr.ss_family,
			      SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->listen_fd < 0)
		return -errno;
	enable_rx_options(r->listen_fd);
	wait_for_rx_timestamps();
	if (bind(r->listen_fd, (struct sockaddr *)&r->opt.listen_addr,
		 r->opt.listen_len) < 0) {
		int e = -errno;
		relay_format_addr(&r->opt.listen_addr, buf, sizeof(buf));
		fprintf(stderr, "relay: cannot bind %s: %s\n", buf, strerror(errno));
		return e;
	}
	socklen_t len = sizeof(r->opt.listen_addr);
	getsockname(r->listen_fd, (struct sockaddr *)&r->opt.listen_addr, &len);

	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	if (epoll_ctl(r->epoll_fd, EPOLL_CTL_ADD, r->listen_fd, &ev) < 0)
		return -errno;
	return 0;
}

static int relay_open(struct relay *r)
{
	sigset_t sigs;
	char buf[INET6_ADDRSTRLEN + 16], to[INET6_ADDRSTRLEN + 16];

	r->flow_cap = 16;
	while (r->flow_cap < 2 * r->opt.max_flows)
		r->flow_cap *= 2;
	r->heap_cap = r->opt.max_pending;
	r->flow_tab = calloc(r->flow_cap, sizeof(*r->flow_tab));
	r->heap = calloc(r->heap_cap, sizeof(*r->heap));
	if (!r->flow_tab || !r->heap)
		return -ENOMEM;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	/* blocked before the sender thread exists, so it inherits the mask */
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	r->signal_fd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	r->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (r->signal_fd < 0 || r->epoll_fd < 0)
		return -errno;
	struct epoll_event evs = { .events = EPOLLIN, .data.ptr = r };
	warm_open(r);
	int rc = r->opt.bridge ? bridge_open(r) : listen_open(r);
	if (rc < 0)
		return rc;
	if (epoll_ctl(r->epoll_fd, EPOLL_CTL_ADD, r->signal_fd, &evs) < 0)
		return -errno;

	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&r->lock, NULL);
	atomic_init(&r->top_release, INT64_MAX);
	r->spin_ns = r->opt.spin_ns ? r->opt.spin_ns : SPIN_INITIAL_NS;
	r->receiver_fifo = set_fifo(r->opt.rt_priority);
	r->rt_to_mono_ns = measure_rt_to_mono();
	r->rt_measured_at = r->start_ns = mono_ns();
	rc = pthread_create(&r->sender, NULL, sender_main, r);
	if (rc)
		return -rc;

	if (r->opt.bridge) {
		printf("relay: bridging %s to %s\n", r->opt.bridge_if[DIR_FWD],
		       r->opt.bridge_if[DIR_REV]);
		fflush(stdout);
		return 0;
	}
	relay_format_addr(&r->opt.listen_addr, buf, sizeof(buf));
	relay_format_addr(&r->opt.to_addr, to, sizeof(to));
	printf("relay: listening on %s to %s\n", buf, to);
	fflush(stdout);
	return 0;
}

static void relay_run(struct relay *r)
{
	int64_t deadline = r->opt.duration_s > 0 ?
		r->start_ns + llround(r->opt.duration_s * 1e9) : INT64_MAX;

	for (;;) {
		struct epoll_event evs[16];
		int timeout = -1;
		if (deadline != INT64_MAX) {
			int64_t left = deadline - mono_ns();
			if (left <= 0)
				return;
			timeout = (int)((left + 999999) / 1000000);
		}
		int n = epoll_wait(r->epoll_fd, evs, 16, timeout);
		if (n < 0 && errno != EINTR) {
			perror("relay: epoll_wait");
			return;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == r)
				return;  /* SIGTERM or SIGINT */
			struct flow *f = evs[i].data.ptr;
			drain(r, f ? f->up_fd : r->listen_fd, f);
		}
	}
}

static void relay_close(struct relay *r)
{
	pthread_mutex_lock(&r->lock);
	r->stopping = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->sender, NULL);
	while (r->heap_len > 0) {
		struct pkt *p = heap_pop(r);
		r->st[p->dir].pending_at_exit++;
		free(p);
	}
}

static void relay_free(struct relay *r)
{
	for (size_t i = 0; r->flow_tab && i < r->flow_cap; i++) {
		if (r->flow_tab[i]) {
			close(r->flow_tab[i]->up_fd);
			free(r->flow_tab[i]);
		}
	}
	for (int d = 0; d < DIR_COUNT; d++) {
		if (r->port[d]) {
			if (r->port[d]->up_fd >= 0)
				close(r->port[d]->up_fd);
			free(r->port[d]);
		}
	}
	for (int k = 0; k < 2; k++)
		if (r->warm_fd[k] >= 0)
			close(r->warm_fd[k]);
	free(r->flow_tab);
	free(r->heap);
	if (r->listen_fd >= 0)
		close(r->listen_fd);
	if (r->epoll_fd >= 0)
		close(r->epoll_fd);
	if (r->signal_fd >= 0)
		close(r->signal_fd);
}

int main(int argc, char **argv)
{
	static struct relay relay;  /* large (receive buffer): not on the stack */
	struct relay *r = &relay;
	int status = 0;

	r->listen_fd = r->epoll_fd = r->signal_fd = -1;
	r->warm_fd[0] = r->warm_fd[1] = -1;
	if (relay_parse_options(argc, argv, &r->opt) < 0)
		return 2;
	/* timer slack is per thread and inherited: 1 ns for both threads */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	int rc = relay_open(r);
	if (rc < 0) {
		fprintf(stderr, "relay: start-up failed: %s\n", strerror(-rc));
		relay_free(r);
		return 1;
	}
	relay_run(r);
	relay_close(r);

	struct relay_summary sum = {
		.opt = &r->opt, .st = r->st,
		.elapsed_s = (double)(mono_ns() - r->start_ns) / 1e9,
		.clients = r->nflows,
		.sched = r->sender_fifo && r->receiver_fifo ? "fifo" :
			 r->sender_fifo || r->receiver_fifo ? "mixed" : "other",
		.spin_ns = r->spin_ns, .spin_adaptive = r->opt.spin_ns == 0,
		.timed_wakeups = r->timed_wakeups, .late_wakeups = r->late_wakeups,
		.warmups = r->warmups,
	};
	relay_print_summary(&sum, stderr, false);
	if (r->opt.stats_file &&
	    (rc = relay_write_summary(&sum, r->opt.stats_file)) < 0) {
		fprintf(stderr, "relay: cannot write %s: %s\n", r->opt.stats_file,
			strerror(-rc));
		status = 1;
	}
	relay_free(r);
	return status;
}
