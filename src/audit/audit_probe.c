/* audit_probe: the scheduler of the device audit's measuring engine
 * (doc/audit.md, "Probes").
 *
 * lib/loop keeps its timers in a sorted list, so one loop timer per device
 * would cost O(n) per insertion at 10,000 devices. The engine instead keeps
 * two binary heaps of its own (next sends, request timeouts) and holds one
 * loop timer armed at the earliest moment it has work: O(log n) per event.
 * An event carries its device's generation; a device that changed state
 * since (a reply beat its timeout) ignores it. */
#include "audit/audit_probe_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "lib/loop.h"
#include "lib/util.h"

#define AP_NONE UINT32_MAX

/* --- heap ---------------------------------------------------------------- */

static bool ev_before(const struct ap_event *a, const struct ap_event *b)
{
	return a->due < b->due || (a->due == b->due && a->dev < b->dev);
}

static void heap_push(struct ap_heap *h, gt_ns due, uint32_t dev, uint32_t gen)
{
	size_t i, up;

	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 256;
		h->v = xrealloc(h->v, h->cap * sizeof(*h->v));
	}
	i = h->n++;
	h->v[i] = (struct ap_event){ due, dev, gen };
	while (i > 0) {
		struct ap_event t;

		up = (i - 1) / 2;
		if (!ev_before(&h->v[i], &h->v[up]))
			break;
		t = h->v[up];
		h->v[up] = h->v[i];
		h->v[i] = t;
		i = up;
	}
}

static void heap_pop(struct ap_heap *h)
{
	size_t i = 0, c;

	h->v[0] = h->v[--h->n];
	for (;;) {
		struct ap_event t;

		c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && ev_before(&h->v[c + 1], &h->v[c]))
			c++;
		if (!ev_before(&h->v[c], &h->v[i]))
			break;
		t = h->v[c];
		h->v[c] = h->v[i];
		h->v[i] = t;
		i = c;
	}
}

static bool keymap_get(const struct ap_keymap *m, uint64_t key, uint32_t *val);

/* --- key map (linear probing, backward-shift deletion) -------------------- */

static size_t key_slot(const struct ap_keymap *m, uint64_t key)
{
	/* Fibonacci hashing: cookies are random, addresses are not. */
	return (size_t)((key * UINT64_C(0x9e3779b97f4a7c15)) >> 20) & m->mask;
}

static void keymap_init(struct ap_keymap *m, size_t entries)
{
	size_t cap = 64;

	while (cap < 2 * entries)
		cap *= 2;
	m->keys = xcalloc(cap, sizeof(*m->keys));
	m->vals = xcalloc(cap, sizeof(*m->vals));
	m->mask = cap - 1;
}

static void keymap_free(struct ap_keymap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

void ap_keymap_put(struct ap_keymap *m, uint64_t key, uint32_t val)
{
	size_t i = key_slot(m, key);

	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & m->mask;
	m->keys[i] = key;
	m->vals[i] = val;
}

static bool keymap_find(const struct ap_keymap *m, uint64_t key, size_t *slot)
{
	size_t i;

	if (!m->keys || !key)
		return false;
	for (i = key_slot(m, key); m->keys[i]; i = (i + 1) & m->mask) {
		if (m->keys[i] == key) {
			*slot = i;
			return true;
		}
	}
	return false;
}

bool ap_keymap_take(struct ap_keymap *m, uint64_t key, uint32_t *val)
{
	size_t i, j, home;

	if (!keymap_find(m, key, &i))
		return false;
	*val = m->vals[i];
	/* Shift later members of the run back so no probe chain breaks. */
	for (j = (i + 1) & m->mask; m->keys[j]; j = (j + 1) & m->mask) {
		home = key_slot(m, m->keys[j]);
		if (((j - home) & m->mask) >= ((j - i) & m->mask)) {
			m->keys[i] = m->keys[j];
			m->vals[i] = m->vals[j];
			i = j;
		}
	}
	m->keys[i] = 0;
	return true;
}

static bool keymap_get(const struct ap_keymap *m, uint64_t key, uint32_t *val)
{
	size_t i;

	if (!keymap_find(m, key, &i))
		return false;
	*val = m->vals[i];
	return true;
}

void ap_keymap_drop(struct ap_keymap *m, uint64_t key, uint32_t i)
{
	uint32_t v;

	if (keymap_get(m, key, &v) && v == i)
		ap_keymap_take(m, key, &v);
}

/* --- helpers for the method files ---------------------------------------- */

uint64_t ap_random64(struct audit_probe *p)
{
	uint64_t v;

	/* Cookies must be unguessable (an off-path forger must not match
	 * one), so they come from the kernel, a buffer at a time. */
	do {
		if (p->rnd_left < sizeof(v)) {
			ssize_t got = getrandom(p->rnd, sizeof(p->rnd), 0);

			if (got < (ssize_t)sizeof(v))
				abort();	/* getrandom on Linux >= 3.17 does not fail */
			p->rnd_left = (size_t)got;
		}
		p->rnd_left -= sizeof(v);
		memcpy(&v, p->rnd + p->rnd_left, sizeof(v));
	} while (v == 0);
	return v;
}

void ap_sent(struct audit_probe *p, uint32_t i)
{
	struct ap_dev *d = &p->d[i];

	d->sent++;
	d->state = AP_INFLIGHT;
	d->gen++;
	p->st.requests++;
	heap_push(&p->timeouts, d->t1_mono + p->timeout, i, d->gen);
}

/* The classification rule (doc/audit.md "Probes"). NTP and ICMP carry the
 * device's receive and transmit times, so their offset is bounded by the
 * round trip itself; NTP is compared with the tolerance as ntpdate and
 * check_ntp_time do, ICMP with half its millisecond on top. TIME and HTTP
 * give one reading of a 1 s clock taken somewhere inside the exchange: the
 * offset is then known only to ±(0.5 s + delay/2), and a device is `off`
 * only when it is off by more than the tolerance even so. */
static void classify(struct audit_probe *p, uint32_t i)
{
	struct ap_dev *d = &p->d[i];
	struct audit_result *r = &p->res[i];
	double margin = 0;

	r->method = d->method;
	r->samples = d->valid;
	r->stratum = d->method == AUDIT_NTP && d->valid ? d->stratum : -1;
	r->leap = d->method == AUDIT_NTP && d->valid ? d->leap : -1;
	switch (d->method) {
	case AUDIT_NTP:
		r->resolution = d->valid ? d->best_delay / 2 : NAN;
		break;
	case AUDIT_ICMP:
		r->resolution = 0.001;
		margin = 0.0005;
		break;
	default:
		r->resolution = 1.0;
		margin = 0.5 + (d->valid ? d->best_delay / 2 : 0);
		break;
	}
	if (d->valid) {
		r->offset = d->best_offset;
		r->delay = d->best_delay;
		r->measured = d->measured;
		r->status = fabs(d->best_offset) > d->tolerance + margin ? AUDIT_OFF : AUDIT_OK;
		r->error[0] = '\0';
		return;
	}
	r->status = AUDIT_UNREACHABLE;
	r->offset = NAN;
	r->delay = NAN;
	r->measured = d->t1_real;
	switch ((enum ap_fail)d->fail) {
	case AP_FAIL_SETUP:
		break;	/* set when it happened */
	case AP_FAIL_KOD: {
		char code[5];
		int k;

		for (k = 0; k < 4; k++) {
			char c = (char)(d->kod_code >> (24 - 8 * k));

			code[k] = c >= 0x20 && c < 0x7f ? c : '?';
		}
		code[4] = '\0';
		snprintf(r->error, sizeof(r->error), "KoD %s", code);
		break;
	}
	case AP_FAIL_UNSYNC:
		snprintf(r->error, sizeof(r->error), "unsynchronised (leap %d, stratum %d)",
			 d->rx_leap, d->rx_stratum);
		break;
	case AP_FAIL_MALFORMED:
		snprintf(r->error, sizeof(r->error), "malformed reply (not %s)",
			 audit_method_name(d->method));
		break;
	case AP_FAIL_REFUSED:
		snprintf(r->error, sizeof(r->error), "connection refused");
		break;
	case AP_FAIL_NET:
		snprintf(r->error, sizeof(r->error), "%s", strerror(d->fail_errno));
		break;
	case AP_FAIL_TIMEOUT:
	case AP_FAIL_NONE:
		snprintf(r->error, sizeof(r->error), "timeout (%d request%s)", d->sent,
			 d->sent == 1 ? "" : "s");
		break;
	}
}

static void wake_cb(struct loop_timer *t, void *arg)
{
	(void)t;
	(void)arg;
}

static void done_cb(struct loop_timer *t, void *arg)
{
	struct audit_probe *p = arg;

	(void)t;
	p->done_timer = NULL;
	/* lib/loop runs due timers, then polls, and only then looks at
	 * loop_stop(): an on_done that stops the loop would wait out the
	 * poll (up to 1 s, measured on every run). A timer due now makes
	 * that poll return at once. */
	loop_timer_add(p->loop, 0, 0, wake_cb, NULL);
	/* Last thing touched: on_done may destroy p. */
	if (p->o.on_done)
		p->o.on_done(p->o.arg);
}

static void finish(struct audit_probe *p, uint32_t i)
{
	struct ap_dev *d = &p->d[i];

	d->state = AP_DONE;
	d->gen++;
	classify(p, i);
	p->done++;
	if (p->o.on_result)
		p->o.on_result(p->o.arg, i, &p->res[i]);
	/* on_done runs from a timer of its own, never under an engine frame,
	 * so the caller may destroy the engine there. */
	if (p->done == p->n && !p->done_timer)
		p->done_timer = loop_timer_add(p->loop, 0, 0, done_cb, p);
}

static void next_or_finish(struct audit_probe *p, uint32_t i)
{
	struct ap_dev *d = &p->d[i];
	gt_ns now = gt_now(CLOCK_MONOTONIC), due = d->t1_mono + p->spacing;

	d->key = 0;
	/* A KoD RATE asks us to go away (RFC 5905 §7.4): no more samples. */
	if (d->sent >= p->o.samples || d->fail == AP_FAIL_KOD || d->fail == AP_FAIL_SETUP) {
		finish(p, i);
		return;
	}
	d->state = AP_WAIT;
	d->gen++;
	heap_push(&p->sends, due > now ? due : now, i, d->gen);
}

void ap_sample(struct audit_probe *p, uint32_t i, double offset, double delay)
{
	struct ap_dev *d = &p->d[i];

	p->st.replies++;
	if (delay < 0)
		delay = 0;	/* the device's clock ran fast inside one exchange */
	if (!d->valid || delay < d->best_delay) {
		d->best_offset = offset;
		d->best_delay = delay;
		d->measured = d->t1_real;
		d->stratum = d->rx_stratum;
		d->leap = d->rx_leap;
	}
	d->valid++;
	next_or_finish(p, i);
}

void ap_failed(struct audit_probe *p, uint32_t i, enum ap_fail why, int err)
{
	struct ap_dev *d = &p->d[i];

	if (why == AP_FAIL_TIMEOUT)
		p->st.timeouts++;
	else if (why == AP_FAIL_NET || why == AP_FAIL_REFUSED)
		p->st.errors++;
	if (why >= d->fail) {
		d->fail = (uint8_t)why;
		if (why == AP_FAIL_NET)
			d->fail_errno = err;
	}
	next_or_finish(p, i);
}

void ap_send_failed(struct audit_probe *p, uint32_t i, enum ap_fail why, int err)
{
	p->d[i].sent++;
	p->st.requests++;
	ap_failed(p, i, why, err);
}

/* --- the service routine ------------------------------------------------- */

static void refill(struct audit_probe *p, gt_ns now)
{
	p->tokens += (double)(now - p->tokens_at) * p->o.rate / 1e9;
	if (p->tokens > p->burst)
		p->tokens = p->burst;
	p->tokens_at = now;
}

static bool is_tcp(enum audit_method m)
{
	return m == AUDIT_TIME || m == AUDIT_HTTP;
}

static void start_request(struct audit_probe *p, uint32_t i)
{
	p->tokens -= 1;
	switch (p->d[i].method) {
	case AUDIT_NTP:
		ap_ntp_send(p, i);
		break;
	case AUDIT_TIME:
	case AUDIT_HTTP:
		ap_tcp_send(p, i);
		break;
	case AUDIT_ICMP:
		ap_icmp_send(p, i);
		break;
	case AUDIT_METHOD_COUNT:
		break;
	}
}

static void run_timeouts(struct audit_probe *p, gt_ns now)
{
	while (p->timeouts.n && p->timeouts.v[0].due <= now) {
		struct ap_event e = p->timeouts.v[0];
		struct ap_dev *d = &p->d[e.dev];

		heap_pop(&p->timeouts);
		if (d->gen != e.gen || d->state != AP_INFLIGHT)
			continue;
		switch (d->method) {
		case AUDIT_NTP:
			ap_ntp_timeout(p, e.dev);
			break;
		case AUDIT_ICMP:
			ap_icmp_timeout(p, e.dev);
			break;
		default:
			ap_tcp_timeout(p, e.dev);
			break;
		}
	}
}

static void run_sends(struct audit_probe *p, gt_ns now)
{
	/* Devices that waited for a TCP slot go first: they are the oldest. */
	while (p->tcp_wait_len && p->inflight < p->o.inflight && p->tokens >= 1) {
		uint32_t i = p->tcp_wait[p->tcp_wait_head];

		p->tcp_wait_head = (p->tcp_wait_head + 1) % p->n;
		p->tcp_wait_len--;
		start_request(p, i);
	}
	while (p->sends.n && p->sends.v[0].due <= now && p->tokens >= 1) {
		struct ap_event e = p->sends.v[0];
		struct ap_dev *d = &p->d[e.dev];

		heap_pop(&p->sends);
		if (d->gen != e.gen || d->state != AP_WAIT)
			continue;
		if (is_tcp(d->method) && (p->inflight >= p->o.inflight || p->tcp_wait_len)) {
			p->tcp_wait[(p->tcp_wait_head + p->tcp_wait_len) % p->n] = e.dev;
			p->tcp_wait_len++;
			continue;
		}
		start_request(p, e.dev);
	}
}

static void timer_cb(struct loop_timer *t, void *arg);

void ap_arm(struct audit_probe *p)
{
	gt_ns due = INT64_MAX, now;

	if (p->in_service)
		return;
	if (p->timeouts.n)
		due = p->timeouts.v[0].due;
	if (p->sends.n || (p->tcp_wait_len && p->inflight < p->o.inflight)) {
		gt_ns send_due = p->sends.n ? p->sends.v[0].due : 0;

		if (p->tcp_wait_len && p->inflight < p->o.inflight)
			send_due = 0;
		/* No token yet: wake when the next one has dripped in. */
		if (p->tokens < 1) {
			gt_ns drip = p->tokens_at +
				     (gt_ns)((1 - p->tokens) * 1e9 / p->o.rate) + 1;

			if (drip > send_due)
				send_due = drip;
		}
		if (send_due < due)
			due = send_due;
	}
	if (p->timer && p->timer_due == due)
		return;
	if (p->timer) {
		loop_timer_cancel(p->loop, p->timer);
		p->timer = NULL;
	}
	if (due == INT64_MAX)
		return;
	now = gt_now(CLOCK_MONOTONIC);
	p->timer = loop_timer_add(p->loop, due - now, 0, timer_cb, p);
	p->timer_due = due;
}

static void service(struct audit_probe *p)
{
	gt_ns now = gt_now(CLOCK_MONOTONIC);

	p->in_service = true;
	refill(p, now);
	/* The loop runs due timers before it polls: after a stall (a slow
	 * caller on the same loop, a descheduled process) replies that came
	 * in time may still be queued. Read them first, so that a request is
	 * timed out only when its reply really is missing; their kernel
	 * receive timestamps keep the measurement exact. */
	if (p->timeouts.n && p->timeouts.v[0].due <= now) {
		ap_ntp_pending(p);
		ap_icmp_pending(p);
	}
	run_timeouts(p, now);
	run_sends(p, now);
	p->in_service = false;
	ap_arm(p);
}

static void timer_cb(struct loop_timer *t, void *arg)
{
	struct audit_probe *p = arg;

	(void)t;
	p->timer = NULL;	/* a one-shot timer: the loop frees it */
	service(p);
}

/* --- set-up ---------------------------------------------------------------- */

void audit_probe_opts_default(struct audit_probe_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->samples = 4;
	o->spacing = 2;
	o->timeout = 1;
	o->rate = 5000;
	o->inflight = 256;
	o->icmp_fd = -1;
}

static uint64_t addr_key(const struct net_addr *a, uint16_t port)
{
	uint64_t h = UINT64_C(1469598103934665603);
	size_t k;

	/* FNV-1a over family, address and port; never 0. */
	for (k = 0; k < net_addr_len(a); k++)
		h = (h ^ a->a[k]) * UINT64_C(1099511628211);
	h = (h ^ (uint64_t)a->family) * UINT64_C(1099511628211);
	h = (h ^ port) * UINT64_C(1099511628211);
	return h ? h : 1;
}

/* The first NTP device probed at (a, port), to blame a reply that matched
 * no cookie on; chained through addr_next. AP_NONE if none. */
uint32_t ap_ntp_first_at(struct audit_probe *p, const struct net_addr *a, uint16_t port)
{
	uint32_t i;

	if (!keymap_get(&p->ntp_addrs, addr_key(a, port), &i))
		return AP_NONE;
	for (; i != AP_NONE; i = p->d[i].addr_next)
		if (p->d[i].port == port && p->d[i].addr.family == a->family &&
		    memcmp(p->d[i].addr.a, a->a, net_addr_len(a)) == 0)
			return i;
	return AP_NONE;
}

static void setup_fail(struct audit_probe *p, uint32_t i, const char *why, const char *detail)
{
	p->d[i].fail = AP_FAIL_SETUP;
	snprintf(p->res[i].error, sizeof(p->res[i].error), "%s%s", why, detail ? detail : "");
}

/* Resolve every address (literals without the resolver) before the first
 * packet, so no request waits behind a slow DNS answer. */
static void resolve_all(struct audit_probe *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		const struct audit_device *dv = &p->devs[i];
		struct ap_dev *d = &p->d[i];
		const char *why = NULL;
		int got;

		if (!dv->address[0]) {
			setup_fail(p, (uint32_t)i, "no address", NULL);
			continue;
		}
		if (net_addr_parse(dv->address, &d->addr) == 0)
			continue;
		got = net_resolve(dv->address, &d->addr, 1, &why);
		if (got < 1)
			setup_fail(p, (uint32_t)i, "cannot resolve: ", why ? why : "no address");
	}
}

struct audit_probe *audit_probe_start(struct loop *l, const struct audit_device *devs,
				      struct audit_result *res, size_t n,
				      const struct audit_probe_opts *o, int *err)
{
	struct audit_probe *p;
	bool want_ntp = false, want_icmp = false, want_tcp = false;
	size_t i;
	gt_ns now;
	int rc;

	if (!l || (n && (!devs || !res)) || n >= AP_NONE) {
		*err = -EINVAL;
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	p->loop = l;
	p->devs = devs;
	p->res = res;
	p->n = n;
	if (o)
		p->o = *o;
	else
		audit_probe_opts_default(&p->o);
	if (p->o.samples < 1)
		p->o.samples = 1;
	if (p->o.samples > 16)
		p->o.samples = 16;
	if (!(p->o.spacing >= 0))
		p->o.spacing = 0;
	if (!(p->o.timeout > 0))
		p->o.timeout = 1;
	if (p->o.rate < 1)
		p->o.rate = 1;
	if (p->o.inflight < 1)
		p->o.inflight = 1;
	/* Each slot holds a 2 KiB reply buffer; more than 4096 connections
	 * at once would only queue in the kernel and the poll set. */
	if (p->o.inflight > 4096)
		p->o.inflight = 4096;
	p->spacing = gt_from_sec(p->o.spacing);
	p->timeout = gt_from_sec(p->o.timeout);
	/* A burst of 50 ms worth of tokens: smooth, yet a loop woken late on
	 * a loaded machine (tens of ms) does not lose its share of the rate. */
	p->burst = p->o.rate / 20.0 > 1 ? p->o.rate / 20.0 : 1;
	p->tokens = 1;
	p->udp_fd[0] = p->udp_fd[1] = -1;
	p->icmp_fd = -1;
	p->d = xcalloc(n ? n : 1, sizeof(*p->d));
	p->tcp_wait = xcalloc(n ? n : 1, sizeof(*p->tcp_wait));

	for (i = 0; i < n; i++) {
		struct ap_dev *d = &p->d[i];
		struct audit_result *r = &res[i];

		memset(r, 0, sizeof(*r));
		r->status = AUDIT_UNREACHABLE;
		r->method = devs[i].method;
		r->offset = r->delay = r->resolution = NAN;
		r->stratum = r->leap = -1;
		snprintf(r->error, sizeof(r->error), "not measured");
		d->method = devs[i].method;
		d->port = devs[i].port ? devs[i].port : audit_method_default_port(d->method);
		d->tolerance = devs[i].tolerance > 0 ? devs[i].tolerance : AUDIT_DEFAULT_TOLERANCE;
		d->conn = -1;
		d->addr_next = AP_NONE;
		if ((unsigned)d->method >= AUDIT_METHOD_COUNT)
			setup_fail(p, (uint32_t)i, "unknown method", NULL);
	}
	resolve_all(p);

	for (i = 0; i < n; i++) {
		struct ap_dev *d = &p->d[i];

		if (d->fail == AP_FAIL_SETUP)
			continue;
		if (d->method == AUDIT_NTP)
			want_ntp = true;
		else if (d->method == AUDIT_ICMP)
			want_icmp = true;
		else
			want_tcp = true;
	}
	if (want_ntp) {
		rc = ap_ntp_open(p);
		if (rc)
			goto fail;
		keymap_init(&p->ntp_keys, n);
		keymap_init(&p->ntp_addrs, n);
		/* Chain the devices by address, in reverse so the first listed
		 * heads the chain. */
		for (i = n; i-- > 0;) {
			struct ap_dev *d = &p->d[i];
			uint64_t k;
			uint32_t head;

			if (d->method != AUDIT_NTP || d->fail == AP_FAIL_SETUP)
				continue;
			k = addr_key(&d->addr, d->port);
			d->addr_next = keymap_get(&p->ntp_addrs, k, &head) ? head : AP_NONE;
			ap_keymap_put(&p->ntp_addrs, k, (uint32_t)i);
		}
	}
	if (want_icmp) {
		ap_icmp_open(p);	/* failures are per device: needs CAP_NET_RAW */
		keymap_init(&p->icmp_keys, n);
	}
	if (want_tcp)
		ap_tcp_init(p);

	now = gt_now(CLOCK_MONOTONIC);
	p->tokens_at = now;
	for (i = 0; i < n; i++) {
		struct ap_dev *d = &p->d[i];

		if (d->fail == AP_FAIL_SETUP) {
			finish(p, (uint32_t)i);
			continue;
		}
		d->state = AP_WAIT;
		heap_push(&p->sends, now, (uint32_t)i, d->gen);
	}
	if (n == 0)
		p->done_timer = loop_timer_add(l, 0, 0, done_cb, p);
	ap_arm(p);
	return p;

fail:
	*err = rc;
	audit_probe_destroy(p);
	return NULL;
}

size_t audit_probe_done(const struct audit_probe *p)
{
	return p ? p->done : 0;
}

void audit_probe_stats(const struct audit_probe *p, struct audit_probe_stats *s)
{
	*s = p->st;
}

void audit_probe_destroy(struct audit_probe *p)
{
	if (!p)
		return;
	if (p->timer)
		loop_timer_cancel(p->loop, p->timer);
	if (p->done_timer)
		loop_timer_cancel(p->loop, p->done_timer);
	ap_ntp_close(p);
	ap_tcp_close(p);
	ap_icmp_close(p);
	keymap_free(&p->ntp_keys);
	keymap_free(&p->ntp_addrs);
	keymap_free(&p->icmp_keys);
	free(p->sends.v);
	free(p->timeouts.v);
	free(p->tcp_wait);
	free(p->d);
	free(p);
}

struct run_ctx {
	struct loop *l;
	const struct audit_probe_opts *user;
};

static void run_on_result(void *arg, size_t index, const struct audit_result *r)
{
	struct run_ctx *c = arg;

	if (c->user && c->user->on_result)
		c->user->on_result(c->user->arg, index, r);
}

static void run_on_done(void *arg)
{
	struct run_ctx *c = arg;

	if (c->user && c->user->on_done)
		c->user->on_done(c->user->arg);
	loop_stop(c->l);
}

int audit_probe_run(const struct audit_device *devs, struct audit_result *res, size_t n,
		    const struct audit_probe_opts *o)
{
	struct audit_probe_opts ro;
	struct run_ctx c;
	struct audit_probe *p;
	int rc = 0;

	if (o)
		ro = *o;
	else
		audit_probe_opts_default(&ro);
	c.l = loop_create();
	c.user = o;
	ro.on_result = run_on_result;
	ro.on_done = run_on_done;
	ro.arg = &c;
	p = audit_probe_start(c.l, devs, res, n, &ro, &rc);
	if (p) {
		rc = loop_run(c.l);
		audit_probe_destroy(p);
	}
	loop_destroy(c.l);
	return rc;
}
