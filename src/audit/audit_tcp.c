/* audit_tcp: the 1 s methods over TCP, RFC 868 TIME (the server writes
 * four bytes on accept and closes) and the Date header of an HTTP HEAD
 * (RFC 9110 §6.6.1). Each sample is one connection; at most
 * opts.inflight are open at once, the rest wait their turn. */
#include "audit/audit_probe_int.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/loop.h"
#include "lib/util.h"

static void tcp_cb(int fd, short revents, void *arg);
static void conn_done(struct audit_probe *p, struct ap_conn *c);
static void conn_read(struct audit_probe *p, struct ap_conn *c);

void ap_tcp_init(struct audit_probe *p)
{
	unsigned k;

	p->conns = xcalloc(p->o.inflight, sizeof(*p->conns));
	p->conn_free = xcalloc(p->o.inflight, sizeof(*p->conn_free));
	for (k = 0; k < p->o.inflight; k++) {
		p->conns[k].fd = -1;
		p->conns[k].p = p;
		p->conn_free[k] = p->o.inflight - 1 - k;
	}
}

static void conn_close(struct audit_probe *p, struct ap_conn *c)
{
	if (c->fd < 0)
		return;
	loop_del_fd(p->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	p->d[c->dev].conn = -1;
	p->conn_free[p->o.inflight - p->inflight] = (unsigned)(c - p->conns);
	p->inflight--;
}

void ap_tcp_close(struct audit_probe *p)
{
	unsigned k;

	if (!p->conns)
		return;
	for (k = 0; k < p->o.inflight; k++)
		conn_close(p, &p->conns[k]);
	free(p->conns);
	free(p->conn_free);
	p->conns = NULL;
	p->conn_free = NULL;
}

void ap_tcp_send(struct audit_probe *p, uint32_t i)
{
	struct ap_dev *d = &p->d[i];
	struct sockaddr_storage ss;
	socklen_t sl = net_addr_to_sockaddr(&d->addr, d->port, &ss);
	struct ap_conn *c;
	int fd, rc;

	fd = socket(d->addr.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ap_send_failed(p, i, AP_FAIL_NET, errno);
		return;
	}
	d->t1_mono = gt_now(CLOCK_MONOTONIC);
	d->t1_real = gt_now(CLOCK_REALTIME);
	rc = connect(fd, (struct sockaddr *)&ss, sl);
	if (rc < 0 && errno != EINPROGRESS) {
		int err = errno;

		close(fd);
		ap_send_failed(p, i, err == ECONNREFUSED ? AP_FAIL_REFUSED : AP_FAIL_NET, err);
		return;
	}
	c = &p->conns[p->conn_free[p->o.inflight - 1 - p->inflight]];
	p->inflight++;
	c->fd = fd;
	c->dev = i;
	c->connected = false;
	c->len = 0;
	c->t4_real = 0;
	d->conn = (int)(c - p->conns);
	/* Writable once connected (or failed): the reply is awaited after. */
	rc = loop_add_fd(p->loop, fd, POLLOUT, tcp_cb, c);
	if (rc) {
		conn_close(p, c);
		ap_send_failed(p, i, AP_FAIL_NET, -rc);
		return;
	}
	ap_sent(p, i);
}

void ap_tcp_timeout(struct audit_probe *p, uint32_t i)
{
	struct ap_conn *c = p->d[i].conn >= 0 ? &p->conns[p->d[i].conn] : NULL;
	uint32_t gen = p->d[i].gen;

	/* An answer may be waiting unread after a stall of the loop: read it
	 * first (its late T4 only widens the exchange, and so the margin). */
	if (c && c->connected) {
		conn_read(p, c);
		if (p->d[i].gen != gen)
			return;
	}
	/* A TIME server that sent its four bytes but keeps the connection
	 * open has still answered (RFC 868 says it closes; not all do). */
	if (c && p->d[i].method == AUDIT_TIME && c->len == 4) {
		conn_done(p, c);
		return;
	}
	if (c)
		conn_close(p, c);
	ap_failed(p, i, AP_FAIL_TIMEOUT, 0);
}

/* "Host: name[:port]" as the device was written (RFC 9110 §7.2), an IPv6
 * literal in brackets. */
static size_t http_request(const struct audit_probe *p, uint32_t i, char *buf, size_t cap)
{
	const struct audit_device *dv = &p->devs[i];
	const struct ap_dev *d = &p->d[i];
	bool v6lit = strchr(dv->address, ':') != NULL;
	char port[8] = "";
	const char *c;
	int n;

	/* The name goes into a header line: no spaces or controls in it. */
	for (c = dv->address; *c; c++)
		if ((unsigned char)*c <= 0x20 || *c == 0x7f)
			return 0;
	if (d->port != 80)
		snprintf(port, sizeof(port), ":%u", d->port);
	n = snprintf(buf, cap,
		     "HEAD / HTTP/1.1\r\nHost: %s%s%s%s\r\nUser-Agent: gnomon-audit\r\n"
		     "Connection: close\r\n\r\n",
		     v6lit ? "[" : "", dv->address, v6lit ? "]" : "", port);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static void conn_done(struct audit_probe *p, struct ap_conn *c)
{
	uint32_t i = c->dev;
	struct ap_dev *d = &p->d[i];
	gt_ns dev_time, mid, t4 = c->t4_real;
	int rc;

	if (d->method == AUDIT_TIME)
		rc = audit_parse_time((const uint8_t *)c->buf, c->len, t4, &dev_time);
	else
		rc = audit_parse_http_date(c->buf, c->len, &dev_time);
	conn_close(p, c);
	if (rc < 0 || !t4) {
		p->st.malformed++;
		ap_failed(p, i, AP_FAIL_MALFORMED, 0);
		return;
	}
	/* The device read a clock counting whole seconds somewhere in
	 * [T1, T4]: take the middle of both (its second, and the exchange). */
	dev_time += GT_NS_PER_S / 2;
	mid = d->t1_real + (t4 - d->t1_real) / 2;
	ap_sample(p, i, (double)(dev_time - mid) / 1e9, (double)(t4 - d->t1_real) / 1e9);
}

static void conn_read(struct audit_probe *p, struct ap_conn *c)
{
	struct ap_dev *d = &p->d[c->dev];
	ssize_t got;

	for (;;) {
		if (c->len == sizeof(c->buf) - 1) {
			conn_done(p, c);	/* a head this long: parse what we have */
			return;
		}
		got = read(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
		if (got < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			if (c->len) {
				conn_done(p, c);
				return;
			}
			{
				int err = errno;
				uint32_t i = c->dev;

				conn_close(p, c);
				ap_failed(p, i, AP_FAIL_NET, err);
			}
			return;
		}
		if (got == 0) {
			conn_done(p, c);
			return;
		}
		if (!c->t4_real)
			c->t4_real = gt_now(CLOCK_REALTIME);
		c->len += (size_t)got;
		c->buf[c->len] = '\0';
		/* HTTP: the head is all we need (a HEAD has no body). TIME: read
		 * to the close, so a longer answer shows it is something else. */
		if (d->method == AUDIT_HTTP &&
		    (strstr(c->buf, "\r\n\r\n") || strstr(c->buf, "\n\n"))) {
			conn_done(p, c);
			return;
		}
	}
}

static void conn_connected(struct audit_probe *p, struct ap_conn *c)
{
	uint32_t i = c->dev;
	struct ap_dev *d = &p->d[i];
	socklen_t sl = sizeof(int);
	int err = 0;
	char req[AUDIT_ADDR_MAX + 128];
	size_t len;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0)
		err = errno;
	if (err) {
		conn_close(p, c);
		ap_failed(p, i, err == ECONNREFUSED ? AP_FAIL_REFUSED : AP_FAIL_NET, err);
		return;
	}
	c->connected = true;
	loop_del_fd(p->loop, c->fd);
	if (d->method == AUDIT_HTTP) {
		len = http_request(p, i, req, sizeof(req));
		/* The exchange that brackets the Date starts with the request. */
		d->t1_real = gt_now(CLOCK_REALTIME);
		errno = 0;
		if (!len || write(c->fd, req, len) != (ssize_t)len) {
			err = !len ? EINVAL : errno ? errno : EMSGSIZE;
			conn_close(p, c);
			ap_failed(p, i, AP_FAIL_NET, err);
			return;
		}
	}
	err = loop_add_fd(p->loop, c->fd, POLLIN, tcp_cb, c);
	if (err) {
		conn_close(p, c);
		ap_failed(p, i, AP_FAIL_NET, -err);
	}
}

static void tcp_cb(int fd, short revents, void *arg)
{
	struct ap_conn *c = arg;
	struct audit_probe *p = c->p;

	(void)fd;
	if (c->fd < 0)
		return;
	if (!c->connected)
		conn_connected(p, c);
	else
		conn_read(p, c);
	(void)revents;
	ap_arm(p);
}
