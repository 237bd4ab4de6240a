/* NTPv4-MIB (RFC 5907): what each object is made from is listed in
 * doc/snmp.md; the comments here say why where it is not obvious. */
#include "snmp/snmp_ntp.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

const uint32_t snmp_ntp_mib[SNMP_NTP_MIB_LEN] = { 1, 3, 6, 1, 2, 1, 197 };

/* ntpSnmpMIBObjects groups: ntpEntInfo 1, ntpEntStatus 2, ntpAssociation 3,
 * ntpEntControl 4. */
static const uint32_t ent_info[] = { 1, 3, 6, 1, 2, 1, 197, 1, 1 };
static const uint32_t ent_status[] = { 1, 3, 6, 1, 2, 1, 197, 1, 2 };
static const uint32_t mode_entry[] = { 1, 3, 6, 1, 2, 1, 197, 1, 2, 17, 1 };
static const uint32_t assoc_entry[] = { 1, 3, 6, 1, 2, 1, 197, 1, 3, 1, 1 };
static const uint32_t astat_entry[] = { 1, 3, 6, 1, 2, 1, 197, 1, 3, 2, 1 };
static const uint32_t ent_control[] = { 1, 3, 6, 1, 2, 1, 197, 1, 4 };

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define SCALAR(n) ((const uint32_t[]){ (n), 0 }), 2
#define CELL(col, row) ((const uint32_t[]){ (col), (row) }), 2

static void add_text(struct snmp_vbl *l, const uint32_t *base, size_t blen, uint32_t n,
		     const char *s)
{
	snmp_vbl_add_str(l, base, blen, SCALAR(n), s, strlen(s));
}

/* NtpStratum is 1..16, 16 meaning none: the unspecified stratum 0 (a kiss
 * code or not yet known) is shown as 16 too. */
static uint32_t ntp_stratum(int64_t s)
{
	return s <= 0 || s >= 16 ? 16 : (uint32_t)s;
}

static uint64_t nonneg(int64_t v)
{
	return v > 0 ? (uint64_t)v : 0;
}

void snmp_ntp_date(double t, uint8_t out[16])
{
	/* NTP prime epoch 1900; era 0 ends in 2036. */
	double ntp = t + 2208988800.0, secs = floor(ntp);
	int64_t whole = (int64_t)secs;
	int32_t era = (int32_t)(whole >> 32);
	uint32_t off = (uint32_t)(whole & 0xffffffff);
	double f = ldexp(ntp - secs, 64);
	/* A fraction that rounds up to 2^64 must not overflow the cast. */
	uint64_t frac = f >= 18446744073709549568.0 ? UINT64_MAX : (uint64_t)f;
	int i;

	for (i = 0; i < 4; i++) {
		out[i] = (uint8_t)((uint32_t)era >> (24 - 8 * i));
		out[4 + i] = (uint8_t)(off >> (24 - 8 * i));
	}
	for (i = 0; i < 8; i++)
		out[8 + i] = (uint8_t)(frac >> (56 - 8 * i));
}

double snmp_ntp_leap_time(double t)
{
	time_t s = (time_t)floor(t);
	struct tm tm;

	gmtime_r(&s, &tm);
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mon++;
	if (tm.tm_mon == 12) {
		tm.tm_mon = 0;
		tm.tm_year++;
	}
	return (double)timegm(&tm);
}

size_t snmp_inet_address(const char *text, int *type, uint8_t out[16])
{
	char buf[64];
	char *pct;

	*type = 0;
	if (inet_pton(AF_INET, text, out) == 1) {
		*type = 1;	/* ipv4 */
		return 4;
	}
	/* A zone ("%eth0") is left out: ipv6z would need the interface index
	 * of gnomond's host, which a name does not give here. */
	snprintf(buf, sizeof(buf), "%s", text);
	pct = strchr(buf, '%');
	if (pct)
		*pct = '\0';
	if (inet_pton(AF_INET6, buf, out) == 1) {
		*type = 2;	/* ipv6 */
		return 16;
	}
	return 0;
}

static void build_info(const struct snmp_state *st, const struct snmp_ntp_ctx *ctx,
		       struct snmp_vbl *l)
{
	char buf[64];

	add_text(l, ent_info, LEN(ent_info), 1, "gnomon");
	add_text(l, ent_info, LEN(ent_info), 2, ctx->version);
	add_text(l, ent_info, LEN(ent_info), 3, "gnomon project");
	add_text(l, ent_info, LEN(ent_info), 4, ctx->system_type);
	snmp_vbl_add_uns(l, ent_info, LEN(ent_info), SCALAR(5), SNMP_VT_GAUGE, ctx->resolution);
	snmp_vbl_add_int(l, ent_info, LEN(ent_info), SCALAR(6), ctx->precision);
	/* Root synchronisation distance, RFC 5905 §11.2: delay / 2 + dispersion. */
	if (st->reachable && !isnan(st->root_delay) && !isnan(st->root_disp))
		add_text(l, ent_info, LEN(ent_info), 7,
			 snmp_fmt_ms(st->root_delay / 2 + st->root_disp, true, buf, sizeof(buf)));
}

static void build_pkt_modes(const struct snmp_state *st, struct snmp_vbl *l)
{
	uint64_t sent[7] = { 0 }, recv[7] = { 0 };
	int i;

	for (i = 0; i < st->n_assoc; i++) {
		const struct snmp_assoc *a = &st->assoc[i];

		if (!strcmp(a->mode, "peer")) {
			sent[1] += nonneg(a->out);	/* symmetric active */
			recv[1] += nonneg(a->in);
		} else if (!strcmp(a->mode, "server")) {
			sent[3] += nonneg(a->out);	/* our client requests */
			recv[4] += nonneg(a->in);	/* their server replies */
		}
	}
	/* Requests to our server arrive in client mode (3) and are answered in
	 * server mode (4). */
	recv[3] += nonneg(st->srv_received);
	sent[4] += nonneg(st->srv_answered) + nonneg(st->srv_kod) + nonneg(st->srv_crypto_nak);
	sent[5] += nonneg(st->bcast_sent);
	recv[5] += nonneg(st->bc_received);
	/* RFC 5907 calls mode 6 "broadcastclient"; on the wire (RFC 5905
	 * §7.3) mode 6 is the control message, which gnomond counts and drops
	 * and never sends. */
	recv[6] += nonneg(st->srv_mode_control);
	for (i = 1; i <= 6; i++) {
		snmp_vbl_add_uns(l, mode_entry, LEN(mode_entry), CELL(2, (uint32_t)i),
				 SNMP_VT_COUNTER32, sent[i]);
		snmp_vbl_add_uns(l, mode_entry, LEN(mode_entry), CELL(3, (uint32_t)i),
				 SNMP_VT_COUNTER32, recv[i]);
	}
}

static void build_status(const struct snmp_state *st, const struct snmp_ntp_ctx *ctx,
			 struct snmp_vbl *l)
{
	const struct snmp_assoc *peer = snmp_state_syspeer(st);
	const uint32_t *b = ent_status;
	size_t bl = LEN(ent_status);
	uint64_t in = 0, out = 0, err = 0;
	uint8_t date[16];
	char buf[64];
	int i;

	snmp_vbl_add_int(l, b, bl, SCALAR(1), snmp_state_mode(st));
	snmp_vbl_add_uns(l, b, bl, SCALAR(16), SNMP_VT_COUNTER32, ctx->notifications);
	/* A daemon that does not answer has no values: nothing below is
	 * served from an older poll as if it were current. */
	if (!st->reachable)
		return;
	/* Unsynchronised is stratum 16 whatever the daemon's number says. */
	if (st->synchronised == 0 || (st->synchronised == 1 && st->stratum >= 0))
		snmp_vbl_add_uns(l, b, bl, SCALAR(2), SNMP_VT_GAUGE,
				 st->synchronised == 1 ? ntp_stratum(st->stratum) : 16);
	snmp_vbl_add_uns(l, b, bl, SCALAR(3), SNMP_VT_GAUGE, peer ? peer->id : 0);
	add_text(l, b, bl, 4, peer ? peer->name : "");
	if (peer && !isnan(peer->offset))
		add_text(l, b, bl, 5, snmp_fmt_ms(peer->offset, true, buf, sizeof(buf)));
	snmp_vbl_add_uns(l, b, bl, SCALAR(6), SNMP_VT_GAUGE,
			 st->n_assoc > 99 ? 99 : (uint64_t)st->n_assoc);
	if (!isnan(st->root_disp))
		add_text(l, b, bl, 7, snmp_fmt_ms(st->root_disp, false, buf, sizeof(buf)));
	if (st->start_time >= 0 && ctx->now >= (double)st->start_time)
		snmp_vbl_add_uns(l, b, bl, SCALAR(8), SNMP_VT_TIMETICKS,
				 (uint64_t)((ctx->now - (double)st->start_time) * 100));
	/* The daemon's clock (which may be a virtual one) is the machine's
	 * plus the offset tracking reports; unsynchronised: empty (RFC 5907). */
	if (st->synchronised == 1 && !isnan(st->clock_minus_system)) {
		snmp_ntp_date(ctx->now + st->clock_minus_system, date);
		snmp_vbl_add_str(l, b, bl, SCALAR(9), date, sizeof(date));
	} else if (st->synchronised == 0) {
		snmp_vbl_add_str(l, b, bl, SCALAR(9), "", 0);
	}
	if (st->leap >= 0) {
		memset(date, 0, sizeof(date));
		if (st->leap == 1 || st->leap == 2)
			snmp_ntp_date(snmp_ntp_leap_time(ctx->now), date);
		snmp_vbl_add_str(l, b, bl, SCALAR(10), date, sizeof(date));
		snmp_vbl_add_int(l, b, bl, SCALAR(11), st->leap == 1 ? 1 : st->leap == 2 ? -1 : 0);
	}
	for (i = 0; i < st->n_assoc; i++) {
		const struct snmp_assoc *a = &st->assoc[i];

		if (strcmp(a->mode, "gateway")) {
			in += nonneg(a->in);
			out += nonneg(a->out);
		}
		err += nonneg(a->errors);
	}
	in += nonneg(st->srv_received) + nonneg(st->bc_received);
	out += nonneg(st->srv_answered) + nonneg(st->srv_kod) + nonneg(st->srv_crypto_nak) +
	       nonneg(st->bcast_sent);
	err += nonneg(st->srv_errors);
	snmp_vbl_add_uns(l, b, bl, SCALAR(12), SNMP_VT_COUNTER32, in);
	snmp_vbl_add_uns(l, b, bl, SCALAR(13), SNMP_VT_COUNTER32, out);
	snmp_vbl_add_uns(l, b, bl, SCALAR(14), SNMP_VT_COUNTER32, nonneg(st->srv_bad_version));
	snmp_vbl_add_uns(l, b, bl, SCALAR(15), SNMP_VT_COUNTER32, err);
	build_pkt_modes(st, l);
}

/* A table cell of seconds shown as milliseconds text; absent when NaN.
 * (Formatted before its length is taken: argument order is unspecified.) */
static void add_ms(struct snmp_vbl *l, const uint32_t *e, size_t el, uint32_t col, uint32_t id,
		   double s, bool unit)
{
	char buf[64];

	if (isnan(s))
		return;
	snmp_fmt_ms(s, unit, buf, sizeof(buf));
	snmp_vbl_add_str(l, e, el, CELL(col, id), buf, strlen(buf));
}

static void build_assoc(const struct snmp_state *st, struct snmp_vbl *l)
{
	const uint32_t *e = assoc_entry, *s = astat_entry;
	size_t el = LEN(assoc_entry), sl = LEN(astat_entry);
	int i;

	if (!st->reachable)
		return;
	for (i = 0; i < st->n_assoc; i++) {
		const struct snmp_assoc *a = &st->assoc[i];
		uint32_t id = a->id;
		uint8_t addr[16];
		int type;
		size_t alen;

		if (!id)
			continue;
		alen = snmp_inet_address(a->address, &type, addr);
		snmp_vbl_add_str(l, e, el, CELL(2, id), a->name, strlen(a->name));
		snmp_vbl_add_str(l, e, el, CELL(3, id), a->refid, strlen(a->refid));
		snmp_vbl_add_int(l, e, el, CELL(4, id), type);
		snmp_vbl_add_str(l, e, el, CELL(5, id), addr, alen);
		add_ms(l, e, el, 6, id, a->offset, true);
		if (a->stratum >= 0)
			snmp_vbl_add_uns(l, e, el, CELL(7, id), SNMP_VT_GAUGE,
					 ntp_stratum(a->stratum));
		add_ms(l, e, el, 8, id, a->jitter, false);
		add_ms(l, e, el, 9, id, a->delay, false);
		add_ms(l, e, el, 10, id, a->disp, false);
		if (a->in >= 0)
			snmp_vbl_add_uns(l, s, sl, CELL(1, id), SNMP_VT_COUNTER32, (uint64_t)a->in);
		if (a->out >= 0)
			snmp_vbl_add_uns(l, s, sl, CELL(2, id), SNMP_VT_COUNTER32, (uint64_t)a->out);
		if (a->errors >= 0)
			snmp_vbl_add_uns(l, s, sl, CELL(3, id), SNMP_VT_COUNTER32,
					 (uint64_t)a->errors);
	}
}

void snmp_ntp_build(const struct snmp_state *st, const struct snmp_ntp_ctx *ctx,
		    struct snmp_vbl *out)
{
	/* BITS (RFC 2578 §7.1.4): bit 0 is the high bit of the first octet. */
	uint8_t bits[2] = { 0, 0 };
	int n;

	for (n = 0; n <= 8; n++)
		if (ctx->notif_bits & (1u << n))
			bits[n / 8] |= (uint8_t)(0x80 >> (n % 8));
	build_info(st, ctx, out);
	build_status(st, ctx, out);
	build_assoc(st, out);
	snmp_vbl_add_uns(out, ent_control, LEN(ent_control), SCALAR(1), SNMP_VT_GAUGE,
			 ctx->heartbeat);
	snmp_vbl_add_str(out, ent_control, LEN(ent_control), SCALAR(2), bits, sizeof(bits));
}
