/*
 * loadgen - standalone NTP (mode 3) load generator for benchmarking servers.
 *
 * Build: cc -O2 -Wall -Wextra -o build/bench/loadgen bench/loadgen.c -lpthread
 *
 * Every request carries a unique 64-bit cookie in its transmit timestamp;
 * a correct server echoes it in the origin timestamp, which lets us match
 * replies to requests without trusting anything else in the reply.
 * Cookie layout: [63..48] per-run tag, [47..40] socket index, [39..0] seq.
 *
 * With --xleave each socket is an interleaved client (RFC 9769) from its own
 * loopback address (127.77.X.Y): once it has a reply, its requests carry
 * origin = the server's receive timestamp of its last reply, the cookie
 * in the receive field and the cookie's complement in the transmit field,
 * so an interleaved reply echoes the cookie and a basic one its
 * complement. Use window 1: a server keeps one exchange per client.
 *
 * Two modes:
 *   saturation (default): each socket keeps at most --window requests in
 *     flight and refills as soon as replies arrive;
 *   paced (--rate R): R requests/s in total, spread evenly over the sockets.
 *
 * The program only reads clocks; it never sets or slews the system clock.
 * Durations and pacing use CLOCK_MONOTONIC.  Round-trip times compare the
 * CLOCK_REALTIME send time with the kernel's receive timestamp
 * (SO_TIMESTAMPNS, also CLOCK_REALTIME), so they stay exact even when a
 * reply sits in the socket buffer until the paced loop next wakes up.
 * It stops by itself after --duration plus at most --drain seconds.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* recvmmsg, sendmmsg, ppoll; meson passes it already */
#endif
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NTP_LEN 48
#define RECV_BUF 1024          /* larger than NTP_LEN so oversized replies show */
#define MAX_BATCH 256
#define MAX_SOCKETS 256
#define RING_BITS 16           /* outstanding requests remembered per socket */
#define RING_SIZE (1u << RING_BITS)
#define SEQ_BITS 40
#define SEQ_MASK ((UINT64_C(1) << SEQ_BITS) - 1)

/* RTT histogram: 1 us buckets below 1 ms, 1 ms buckets below 1 s, overflow. */
#define HIST_FINE 1000
#define HIST_COARSE 999
#define HIST_SIZE (HIST_FINE + HIST_COARSE + 1)

struct options {
    const char *host;
    const char *port;
    int family;
    unsigned sockets;
    unsigned threads;
    double duration;
    double drain;
    double timeout;
    unsigned window;
    double rate;               /* 0: saturation mode */
    unsigned batch;
    unsigned version;
    bool quiet;
    bool xleave;
};

struct stats {
    uint64_t sent;
    uint64_t answered;          /* matched a cookie (valid or not) */
    uint64_t replies;           /* valid, non-KoD */
    uint64_t replies_in_window; /* valid replies received before end of run */
    uint64_t kod;
    uint64_t invalid;           /* every datagram that is not a valid reply/KoD */
    uint64_t bad_len, bad_mode, bad_version, bad_stratum, bad_ts;
    uint64_t unmatched;         /* unknown, stale or duplicate cookie */
    uint64_t interleaved;       /* --xleave: replies in interleaved mode */
    uint64_t expired;           /* gave up waiting (window accounting only) */
    uint64_t send_err, send_again, recv_err, refused;
    uint64_t client_drops;      /* replies our own full socket buffers dropped */
    uint64_t rtt_sum_ns;
    uint64_t hist[HIST_SIZE];
};

/* Slot states in the per-socket ring of outstanding requests. */
enum { SLOT_PENDING = 1, SLOT_ANSWERED = 2, SLOT_EXPIRED = 3 };

struct slot {
    uint64_t seq;
    uint64_t sent_ns;           /* CLOCK_REALTIME */
    uint8_t state;
};

struct sock_state {
    int fd;
    unsigned index;
    uint64_t next_seq;          /* sequence numbers start at 1 */
    uint64_t oldest;            /* oldest seq that may still be pending */
    unsigned inflight;          /* pending and not expired */
    uint32_t rxq_drops;         /* last SO_RXQ_OVFL count seen (cumulative) */
    double pace_phase_ns;       /* paced mode: offset spreading the sockets */
    double pace_rate;           /* paced mode: requests/s on this socket */
    uint64_t last_rx;           /* --xleave: receive timestamp of the last reply */
    struct slot *ring;
};

struct worker {
    pthread_t thread;
    const struct options *opt;
    struct sock_state *socks;
    unsigned nsocks;
    uint64_t start_ns, end_ns, stop_ns;  /* CLOCK_MONOTONIC */
    uint64_t end_real;                   /* end_ns on CLOCK_REALTIME */
    struct stats st;
};

static uint16_t run_tag;
static volatile sig_atomic_t interrupted;

static uint64_t ts_ns(const struct timespec *ts)
{
    return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts_ns(&ts);
}

/* Read only: the comparison base for kernel receive timestamps. */
static uint64_t real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts_ns(&ts);
}

static void put_be64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)v;
        v >>= 8;
    }
}

static uint64_t get_be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t make_cookie(unsigned sock_index, uint64_t seq)
{
    return ((uint64_t)run_tag << 48) | ((uint64_t)(sock_index & 0xff) << 40) |
           (seq & SEQ_MASK);
}

/* A client request: LI 0, the configured version, mode 3; only the transmit
 * timestamp is set, so the server has to answer in basic (not interleaved)
 * mode and copy it to the origin field. */
static void build_request(unsigned char *pkt, unsigned version, uint64_t cookie,
                          uint64_t xleave_org)
{
    memset(pkt, 0, NTP_LEN);
    pkt[0] = (unsigned char)((version << 3) | 3);
    pkt[2] = 6;                 /* poll: 64 s, a plausible client value */
    pkt[3] = (unsigned char)-20; /* precision ~1 us */
    if (xleave_org) {
        put_be64(pkt + 24, xleave_org);
        put_be64(pkt + 32, cookie);
        put_be64(pkt + 40, ~cookie);
    } else {
        put_be64(pkt + 40, cookie);
    }
}

static void hist_add(struct stats *st, uint64_t rtt_ns)
{
    uint64_t us = rtt_ns / 1000;
    size_t i;

    if (us < HIST_FINE)
        i = (size_t)us;
    else if (us < 1000000)
        i = HIST_FINE + (size_t)(us / 1000) - 1;
    else
        i = HIST_SIZE - 1;
    st->hist[i]++;
    st->rtt_sum_ns += rtt_ns;
}

/* Lower bound, in microseconds, of the bucket holding the q-quantile. */
static uint64_t hist_quantile(const struct stats *st, double q)
{
    uint64_t total = 0, acc = 0, want;

    for (size_t i = 0; i < HIST_SIZE; i++)
        total += st->hist[i];
    if (total == 0)
        return 0;
    want = (uint64_t)(q * (double)total);
    if (want >= total)
        want = total - 1;
    for (size_t i = 0; i < HIST_SIZE; i++) {
        acc += st->hist[i];
        if (acc > want) {
            if (i < HIST_FINE)
                return i;
            return (uint64_t)(i - HIST_FINE + 1) * 1000;
        }
    }
    return 0;
}

/* ---- outstanding-request bookkeeping ---------------------------------- */

/* Retire ring entries that were answered or waited too long, so the
 * saturation window cannot be clogged forever by lost requests.  Also
 * forces out entries about to be overwritten by new sequence numbers. */
static void expire_old(struct sock_state *s, struct stats *st, uint64_t now_real,
                       uint64_t timeout_ns)
{
    while (s->oldest < s->next_seq) {
        struct slot *sl = &s->ring[s->oldest & (RING_SIZE - 1)];
        bool full = s->next_seq - s->oldest >= RING_SIZE;

        if (sl->state == SLOT_PENDING) {
            if (!full && (int64_t)(now_real - sl->sent_ns) < (int64_t)timeout_ns)
                break;
            sl->state = SLOT_EXPIRED;
            s->inflight--;
            st->expired++;
        }
        s->oldest++;
    }
}

static void register_sent(struct sock_state *s, uint64_t seq, uint64_t t)
{
    struct slot *sl = &s->ring[seq & (RING_SIZE - 1)];

    sl->seq = seq;
    sl->sent_ns = t;
    sl->state = SLOT_PENDING;
    s->inflight++;
}

/* Returns the slot for a cookie echoed by the server, or NULL when the
 * cookie was never sent on this socket, was overwritten, or was already
 * answered (a duplicate). */
static struct slot *match_cookie(struct sock_state *s, uint64_t cookie)
{
    uint64_t seq = cookie & SEQ_MASK;
    struct slot *sl;

    if ((cookie >> 48) != run_tag || ((cookie >> 40) & 0xff) != (s->index & 0xff))
        return NULL;
    if (seq == 0 || seq >= s->next_seq)
        return NULL;
    sl = &s->ring[seq & (RING_SIZE - 1)];
    if (sl->seq != seq || sl->state == SLOT_ANSWERED || sl->state == 0)
        return NULL;
    return sl;
}

/* ---- reply validation -------------------------------------------------- */

/* Checks a matched reply; returns true if valid.  KoD replies (stratum 0)
 * are valid packets but counted apart by the caller. */
static bool validate_reply(const unsigned char *p, size_t len, unsigned version,
                           struct stats *st, bool *kod)
{
    unsigned mode = p[0] & 7, vn = (p[0] >> 3) & 7, stratum = p[1];

    *kod = false;
    if (len != NTP_LEN) {
        st->bad_len++;
        return false;
    }
    if (mode != 4) {
        st->bad_mode++;
        return false;
    }
    if (vn != version) {
        st->bad_version++;
        return false;
    }
    if (stratum == 0) {
        /* KoD: the reference id holds four printable ASCII characters. */
        for (int i = 12; i < 16; i++)
            if (p[i] < 'A' || p[i] > 'Z') {
                st->bad_stratum++;
                return false;
            }
        *kod = true;
        return true;
    }
    if (get_be64(p + 32) == 0 || get_be64(p + 40) == 0) {
        st->bad_ts++;
        return false;
    }
    return true;
}

static void handle_datagram(struct sock_state *s, struct stats *st,
                            const struct options *opt, const unsigned char *p,
                            size_t len, bool truncated, uint64_t rx_real,
                            bool in_window)
{
    struct slot *sl;
    bool kod;

    if (len < NTP_LEN) {
        st->bad_len++;
        st->invalid++;
        return;
    }
    sl = match_cookie(s, get_be64(p + 24));
    if (sl && opt->xleave && s->last_rx)
        st->interleaved++;
    if (!sl && opt->xleave)
        sl = match_cookie(s, ~get_be64(p + 24));
    if (!sl) {
        st->unmatched++;
        st->invalid++;
        return;
    }
    if (sl->state == SLOT_PENDING)
        s->inflight--;
    sl->state = SLOT_ANSWERED;
    st->answered++;
    if (truncated || !validate_reply(p, len, opt->version, st, &kod)) {
        if (truncated)
            st->bad_len++;
        st->invalid++;
        return;
    }
    if (kod) {
        st->kod++;
        return;
    }
    st->replies++;
    if (opt->xleave)
        s->last_rx = get_be64(p + 32);
    if (in_window)
        st->replies_in_window++;
    if (rx_real > sl->sent_ns)
        hist_add(st, rx_real - sl->sent_ns);
    else
        hist_add(st, 0);
}

/* ---- socket I/O -------------------------------------------------------- */

/* Sends up to n requests in one sendmmsg call; returns how many left. */
static unsigned send_batch(struct sock_state *s, struct stats *st,
                           const struct options *opt, unsigned n)
{
    unsigned char pkts[MAX_BATCH][NTP_LEN];
    struct iovec iov[MAX_BATCH];
    struct mmsghdr msgs[MAX_BATCH];
    uint64_t t;
    int rc;

    if (n > opt->batch)
        n = opt->batch;
    if (n == 0)
        return 0;
    memset(msgs, 0, sizeof(msgs[0]) * n);
    for (unsigned i = 0; i < n; i++) {
        build_request(pkts[i], opt->version, make_cookie(s->index, s->next_seq + i),
                      opt->xleave ? s->last_rx : 0);
        iov[i].iov_base = pkts[i];
        iov[i].iov_len = NTP_LEN;
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    t = real_ns();
    rc = sendmmsg(s->fd, msgs, n, 0);
    if (rc < 0) {
        if (errno == EAGAIN || errno == ENOBUFS)
            st->send_again++;
        else if (errno == ECONNREFUSED)
            st->refused++;
        else
            st->send_err++;
        return 0;
    }
    for (int i = 0; i < rc; i++)
        register_sent(s, s->next_seq + (uint64_t)i, t);
    s->next_seq += (uint64_t)rc;
    st->sent += (uint64_t)rc;
    return (unsigned)rc;
}

/* Reads a datagram's control messages: returns its kernel receive time
 * (CLOCK_REALTIME), or fallback without SO_TIMESTAMPNS; updates the
 * socket's drop count from SO_RXQ_OVFL, so losses on our side are not
 * blamed on the server. */
static uint64_t rx_control(struct sock_state *s, struct msghdr *mh, uint64_t fallback)
{
    uint64_t t = fallback;

    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level != SOL_SOCKET)
            continue;
        if (c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof(ts));
            t = ts_ns(&ts);
        } else if (c->cmsg_type == SO_RXQ_OVFL) {
            uint32_t d;
            memcpy(&d, CMSG_DATA(c), sizeof(d));
            if (d > s->rxq_drops)
                s->rxq_drops = d;
        }
    }
    return t;
}

/* Drains the socket's receive queue in recvmmsg batches; returns the
 * number of datagrams read. */
static unsigned recv_all(struct sock_state *s, struct stats *st,
                         const struct options *opt, uint64_t end_real)
{
    static _Thread_local unsigned char bufs[MAX_BATCH][RECV_BUF];
    /* CMSG_SPACE is a multiple of the cmsghdr alignment, so every row of
     * an aligned array is aligned too. */
    static _Thread_local _Alignas(struct cmsghdr)
        unsigned char ctl[MAX_BATCH][CMSG_SPACE(sizeof(struct timespec)) +
                                     CMSG_SPACE(sizeof(uint32_t)) + 64];
    struct iovec iov[MAX_BATCH];
    struct mmsghdr msgs[MAX_BATCH];
    unsigned total = 0;

    for (;;) {
        unsigned n = opt->batch;
        uint64_t fallback;
        int rc;

        memset(msgs, 0, sizeof(msgs[0]) * n);
        for (unsigned i = 0; i < n; i++) {
            iov[i].iov_base = bufs[i];
            iov[i].iov_len = RECV_BUF;
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_control = ctl[i];
            msgs[i].msg_hdr.msg_controllen = sizeof(ctl[i]);
        }
        rc = recvmmsg(s->fd, msgs, n, MSG_DONTWAIT, NULL);
        if (rc < 0) {
            if (errno == ECONNREFUSED)
                st->refused++;
            else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                st->recv_err++;
            return total;
        }
        fallback = real_ns();
        for (int i = 0; i < rc; i++) {
            uint64_t rx = rx_control(s, &msgs[i].msg_hdr, fallback);

            handle_datagram(s, st, opt, bufs[i], msgs[i].msg_len,
                            (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0, rx,
                            rx < end_real);
        }
        total += (unsigned)rc;
        if ((unsigned)rc < n)
            return total;
    }
}

/* Sleeps until a socket is readable or the deadline passes. */
static void wait_readable(struct worker *w, uint64_t deadline_ns)
{
    struct pollfd pfd[MAX_SOCKETS];
    uint64_t now = now_ns();
    struct timespec ts = { 0, 0 };

    if (deadline_ns > now) {
        uint64_t d = deadline_ns - now;
        ts.tv_sec = (time_t)(d / 1000000000u);
        ts.tv_nsec = (long)(d % 1000000000u);
    }
    for (unsigned i = 0; i < w->nsocks; i++) {
        pfd[i].fd = w->socks[i].fd;
        pfd[i].events = POLLIN;
        pfd[i].revents = 0;
    }
    ppoll(pfd, w->nsocks, &ts, NULL);
}

/* Paced mode sleeps until the next request is due without waking for
 * every reply: replies wait in the socket buffer (their kernel timestamps
 * keep RTTs exact), which halves the client's wake-ups and keeps the
 * client from starving the server of CPU on a small machine. */
static void sleep_until(uint64_t deadline_ns)
{
    struct timespec ts = { (time_t)(deadline_ns / 1000000000u),
                           (long)(deadline_ns % 1000000000u) };

    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* ---- the two load patterns -------------------------------------------- */

/* Requests this socket should have sent by time t in paced mode. */
static uint64_t pace_due(const struct sock_state *s, uint64_t start_ns, uint64_t t)
{
    double el = (double)(t - start_ns) - s->pace_phase_ns;

    if (el < 0)
        return 0;
    return (uint64_t)(el * s->pace_rate / 1e9) + 1;
}

/* Monotonic time at which request number k (0-based) becomes due. */
static uint64_t pace_time(const struct sock_state *s, uint64_t start_ns, uint64_t k)
{
    return start_ns + (uint64_t)(s->pace_phase_ns + (double)k * 1e9 / s->pace_rate);
}

static bool send_phase_step(struct worker *w, uint64_t now, uint64_t *wake)
{
    const struct options *opt = w->opt;
    uint64_t timeout_ns = (uint64_t)(opt->timeout * 1e9);
    uint64_t now_real = real_ns();
    bool did = false;

    for (unsigned i = 0; i < w->nsocks; i++) {
        struct sock_state *s = &w->socks[i];
        uint64_t sent = s->next_seq - 1, want;

        expire_old(s, &w->st, now_real, timeout_ns);
        if (opt->rate > 0) {
            want = pace_due(s, w->start_ns, now);
            if (want > sent)
                did |= send_batch(s, &w->st, opt, (unsigned)(want - sent > MAX_BATCH ?
                                                             MAX_BATCH : want - sent)) > 0;
            sent = s->next_seq - 1;
            uint64_t next = pace_time(s, w->start_ns, sent);
            if (next < *wake)
                *wake = next;
        } else {
            if (s->inflight < opt->window)
                did |= send_batch(s, &w->st, opt, opt->window - s->inflight) > 0;
            /* Wake up now and then so a window full of lost requests
             * gets expired instead of stalling the socket. */
            if (now + 10000000u < *wake)
                *wake = now + 10000000u;
        }
    }
    return did;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    const struct options *opt = w->opt;

    /* Tight pacing needs short sleeps; the default 50 us slack would
     * bunch paced requests together. */
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
    /* Replies count toward the rate by kernel arrival time, not by when
     * this loop gets around to reading them. */
    w->end_real = real_ns() + (w->end_ns - now_ns());
    while (now_ns() < w->start_ns)
        wait_readable(w, w->start_ns);

    for (;;) {
        uint64_t now = now_ns();
        bool sending = now < w->end_ns && !interrupted;
        uint64_t wake = sending ? w->end_ns : w->stop_ns;
        bool did = false;

        if (!sending && (now >= w->stop_ns || w->st.answered >= w->st.sent))
            break;
        if (sending)
            did = send_phase_step(w, now, &wake);
        for (unsigned i = 0; i < w->nsocks; i++)
            did |= recv_all(&w->socks[i], &w->st, opt, w->end_real) > 0;
        if (!sending && w->st.answered >= w->st.sent)
            continue;           /* everything answered: leave the drain now */
        /* Paced: sleep until the next request is due.  Saturation and
         * drain: re-check right after any progress, else sleep until a
         * reply arrives (or the expiry tick). */
        if (sending && opt->rate > 0)
            sleep_until(wake);
        else if (!did) {
            if (!sending && wake > w->stop_ns)
                wake = w->stop_ns;
            wait_readable(w, wake);
        }
    }
    return NULL;
}

/* ---- set-up ------------------------------------------------------------ */

static void usage(FILE *f)
{
    fprintf(f,
"usage: loadgen [options]\n"
"  -H, --host ADDR        server address or name (default 127.0.0.1)\n"
"  -p, --port N           server UDP port (default 123)\n"
"  -4 / -6                force IPv4 / IPv6\n"
"  -s, --sockets N        connected UDP sockets, distinct source ports (default 8)\n"
"  -t, --threads N        threads sharing the sockets (default 2)\n"
"  -d, --duration SEC     sending time (default 10)\n"
"  -w, --window N         saturation mode: max in flight per socket (default 32)\n"
"  -r, --rate R           paced mode: R requests/s in total, spread evenly\n"
"  -b, --batch N          sendmmsg/recvmmsg batch size (default 32, max %d)\n"
"  -D, --drain SEC        wait for late replies after sending stops (default 1)\n"
"  -T, --timeout SEC      a request unanswered this long frees its window slot\n"
"                         (default 1); a later reply still counts\n"
"  -V, --ntp-version N    version field of requests, 1..4 (default 4)\n"
"  -q, --quiet            only print the RESULT line\n"
"  -X, --xleave           interleaved clients (RFC 9769), socket i from 127.77.i/254.i%%254+1\n"
"                         (IPv4 loopback servers; use -w 1)\n"
"Prints a human summary and a final line:\n"
"  RESULT mode=.. sent=.. replies=.. invalid=.. kod=.. lost=.. rate=.. ...\n"
"Exit status: 0 if any valid reply or KoD arrived, 1 if none, 2 on usage error.\n",
            MAX_BATCH);
}

static bool parse_num(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static bool parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
    double v;

    if (!parse_num(s, lo, hi, &v) || v != (double)(unsigned)v)
        return false;
    *out = (unsigned)v;
    return true;
}

static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        { "host", required_argument, NULL, 'H' },
        { "port", required_argument, NULL, 'p' },
        { "sockets", required_argument, NULL, 's' },
        { "threads", required_argument, NULL, 't' },
        { "duration", required_argument, NULL, 'd' },
        { "window", required_argument, NULL, 'w' },
        { "rate", required_argument, NULL, 'r' },
        { "batch", required_argument, NULL, 'b' },
        { "drain", required_argument, NULL, 'D' },
        { "timeout", required_argument, NULL, 'T' },
        { "ntp-version", required_argument, NULL, 'V' },
        { "quiet", no_argument, NULL, 'q' },
        { "xleave", no_argument, NULL, 'X' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    int c;
    bool ok = true;

    *o = (struct options){ .host = "127.0.0.1", .port = "123", .family = AF_UNSPEC,
                           .sockets = 8, .threads = 2, .duration = 10, .drain = 1,
                           .timeout = 1, .window = 32, .batch = 32, .version = 4 };
    while ((c = getopt_long(argc, argv, "H:p:46s:t:d:w:r:b:D:T:V:qXh", longopts, NULL)) != -1) {
        switch (c) {
        case 'H': o->host = optarg; break;
        case 'p': o->port = optarg; break;
        case '4': o->family = AF_INET; break;
        case '6': o->family = AF_INET6; break;
        case 's': ok = parse_uint(optarg, 1, MAX_SOCKETS, &o->sockets); break;
        case 't': ok = parse_uint(optarg, 1, 64, &o->threads); break;
        case 'd': ok = parse_num(optarg, 0.01, 86400, &o->duration); break;
        case 'w': ok = parse_uint(optarg, 1, RING_SIZE / 2, &o->window); break;
        case 'r': ok = parse_num(optarg, 0, 1e8, &o->rate); break;
        case 'b': ok = parse_uint(optarg, 1, MAX_BATCH, &o->batch); break;
        case 'D': ok = parse_num(optarg, 0, 60, &o->drain); break;
        case 'T': ok = parse_num(optarg, 0.001, 60, &o->timeout); break;
        case 'V': ok = parse_uint(optarg, 1, 4, &o->version); break;
        case 'q': o->quiet = true; break;
        case 'X': o->xleave = true; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
        if (!ok) {
            fprintf(stderr, "loadgen: bad value for -%c: %s\n", c, optarg);
            return -1;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return -1;
    }
    if (o->threads > o->sockets)
        o->threads = o->sockets;
    return 0;
}

/* Larger socket buffers keep client-side drops out of the "lost" figure;
 * the FORCE variants work as root and exceed net.core.*mem_max. */
static void grow_buffers(int fd)
{
    int sz = 4 << 20;

    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
}

/* Each socket is connect()ed, so the kernel picks a distinct ephemeral
 * source port and filters out datagrams from anyone but the server. */
static int open_socket(const struct addrinfo *ai, int xleave_index)
{
    int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    /* One client address per socket: servers keep interleaved state
     * per client address. */
    if (xleave_index >= 0 && ai->ai_family == AF_INET) {
        struct sockaddr_in sa = { .sin_family = AF_INET };

        sa.sin_addr.s_addr = htonl(0x7f4d0000u | (uint32_t)(xleave_index / 254) << 8 |
                                   (uint32_t)(xleave_index % 254 + 1));
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
            close(fd);
            return -1;
        }
    }
    grow_buffers(fd);
    /* Kernel receive timestamps make RTTs independent of when we read. */
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &(int){ 1 }, sizeof(int));
    setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &(int){ 1 }, sizeof(int));
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int open_sockets(const struct options *o, struct sock_state *socks)
{
    struct addrinfo hints = { .ai_family = o->family, .ai_socktype = SOCK_DGRAM,
                              .ai_flags = AI_NUMERICSERV };
    struct addrinfo *res;
    int rc = getaddrinfo(o->host, o->port, &hints, &res);

    if (rc != 0) {
        fprintf(stderr, "loadgen: %s port %s: %s\n", o->host, o->port, gai_strerror(rc));
        return -1;
    }
    for (unsigned i = 0; i < o->sockets; i++) {
        socks[i].fd = open_socket(res, o->xleave ? (int)i : -1);
        if (socks[i].fd < 0) {
            perror("loadgen: socket/connect");
            freeaddrinfo(res);
            return -1;
        }
        socks[i].index = i;
        socks[i].next_seq = 1;
        socks[i].oldest = 1;
        socks[i].ring = calloc(RING_SIZE, sizeof(struct slot));
        if (!socks[i].ring) {
            perror("loadgen: calloc");
            freeaddrinfo(res);
            return -1;
        }
        if (o->rate > 0) {
            /* Stagger the sockets so their requests interleave evenly. */
            socks[i].pace_rate = o->rate / o->sockets;
            socks[i].pace_phase_ns = 1e9 * i / o->rate;
        }
    }
    freeaddrinfo(res);
    return 0;
}

static void merge_stats(struct stats *dst, const struct stats *src)
{
    const uint64_t *s = (const uint64_t *)src;
    uint64_t *d = (uint64_t *)dst;

    /* struct stats holds only uint64_t fields, so sum it as an array. */
    _Static_assert(sizeof(struct stats) % sizeof(uint64_t) == 0, "stats layout");
    for (size_t i = 0; i < sizeof(*dst) / sizeof(uint64_t); i++)
        d[i] += s[i];
}

/* The client's own CPU time, so a benchmark can tell whether loadgen
 * rather than the server was the bottleneck. */
static double self_cpu_seconds(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) < 0)
        return 0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void report(const struct options *o, const struct stats *st, double elapsed)
{
    uint64_t lost = st->sent > st->answered ? st->sent - st->answered : 0;
    double rate = (double)st->replies_in_window / o->duration;
    double avg_us = st->replies ? (double)st->rtt_sum_ns / (double)st->replies / 1000 : 0;

    if (!o->quiet) {
        printf("loadgen: %s %s port %s, %u sockets, %u threads, %.1f s: "
               "sent %" PRIu64 " (%.0f/s), %" PRIu64 " valid replies (%.0f/s), "
               "%" PRIu64 " KoD, %" PRIu64 " invalid, %" PRIu64 " lost (%.3f%%), "
               "rtt avg %.0f us p50 %" PRIu64 " us p99 %" PRIu64 " us\n",
               o->rate > 0 ? "paced" : "saturation", o->host, o->port, o->sockets,
               o->threads, elapsed, st->sent, (double)st->sent / o->duration,
               st->replies, rate, st->kod, st->invalid, lost,
               st->sent ? 100.0 * (double)lost / (double)st->sent : 0.0, avg_us,
               hist_quantile(st, 0.5), hist_quantile(st, 0.99));
        if (st->invalid || st->send_err || st->recv_err || st->refused)
            printf("loadgen: invalid breakdown: bad_len=%" PRIu64 " bad_mode=%" PRIu64
                   " bad_version=%" PRIu64 " bad_stratum=%" PRIu64 " bad_ts=%" PRIu64
                   " unmatched=%" PRIu64 "; errors: send=%" PRIu64 " recv=%" PRIu64
                   " refused=%" PRIu64 "\n",
                   st->bad_len, st->bad_mode, st->bad_version, st->bad_stratum,
                   st->bad_ts, st->unmatched, st->send_err, st->recv_err, st->refused);
    }
    printf("RESULT mode=%s offered=%.0f duration=%.3f sockets=%u sent=%" PRIu64
           " replies=%" PRIu64 " invalid=%" PRIu64 " kod=%" PRIu64 " lost=%" PRIu64
           " rate=%.0f send_rate=%.0f rtt_avg_us=%.1f rtt_p50_us=%" PRIu64
           " rtt_p99_us=%" PRIu64 " unmatched=%" PRIu64 " send_again=%" PRIu64
           " errors=%" PRIu64 " client_drops=%" PRIu64 " client_cpu_s=%.2f"
           " interleaved=%" PRIu64 "\n",
           o->rate > 0 ? "paced" : "saturation", o->rate, o->duration, o->sockets,
           st->sent, st->replies, st->invalid, st->kod, lost, rate,
           (double)st->sent / o->duration, avg_us, hist_quantile(st, 0.5),
           hist_quantile(st, 0.99), st->unmatched, st->send_again,
           st->send_err + st->recv_err + st->refused, st->client_drops,
           self_cpu_seconds(), st->interleaved);
    fflush(stdout);
}

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

int main(int argc, char **argv)
{
    struct options o;
    struct sock_state *socks;
    struct worker *workers;
    struct stats total;
    uint64_t start, t0;

    if (parse_options(argc, argv, &o) < 0)
        return 2;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    srand((unsigned)(now_ns() ^ (uint64_t)getpid()));
    run_tag = (uint16_t)(rand() | 1);   /* never 0, so no cookie is all-zero */

    socks = calloc(o.sockets, sizeof(*socks));
    workers = calloc(o.threads, sizeof(*workers));
    if (!socks || !workers || open_sockets(&o, socks) < 0)
        return 2;

    /* A common start time a little ahead lets all threads begin together. */
    t0 = now_ns();
    start = t0 + 20000000u;
    for (unsigned t = 0; t < o.threads; t++) {
        struct worker *w = &workers[t];
        /* Contiguous slices of the socket array, as even as possible. */
        unsigned lo = t * o.sockets / o.threads, hi = (t + 1) * o.sockets / o.threads;

        w->opt = &o;
        w->socks = &socks[lo];
        w->nsocks = hi - lo;
        w->start_ns = start;
        w->end_ns = start + (uint64_t)(o.duration * 1e9);
        w->stop_ns = w->end_ns + (uint64_t)(o.drain * 1e9);
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            perror("loadgen: pthread_create");
            return 2;
        }
    }
    memset(&total, 0, sizeof(total));
    for (unsigned t = 0; t < o.threads; t++) {
        pthread_join(workers[t].thread, NULL);
        merge_stats(&total, &workers[t].st);
    }
    for (unsigned i = 0; i < o.sockets; i++)
        total.client_drops += socks[i].rxq_drops;
    report(&o, &total, (double)(now_ns() - start) / 1e9);
    return (total.replies + total.kod) > 0 ? 0 : 1;
}
