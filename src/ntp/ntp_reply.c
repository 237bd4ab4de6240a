#include "ntp/ntp_reply.h"

#include <string.h>

#include "lib/bytes.h"
#include "ntp/ntp_mac.h"

static const char *const verdict_names[NTP_V_COUNT] = {
	[NTP_V_REPLY] = "answered",
	[NTP_V_KOD] = "kod",
	[NTP_V_CRYPTO_NAK] = "crypto_nak",
	[NTP_V_DROP_SHORT] = "short",
	[NTP_V_DROP_VERSION] = "bad_version",
	[NTP_V_DROP_LENGTH] = "bad_length",
	[NTP_V_DROP_OVERSIZED] = "oversized",
	[NTP_V_DROP_CONTROL] = "mode_control",
	[NTP_V_DROP_PRIVATE] = "mode_private",
	[NTP_V_DROP_MODE] = "mode_other",
	[NTP_V_DROP_DENIED] = "denied",
	[NTP_V_DROP_RATE] = "ratelimited",
	[NTP_V_DROP_AUTH] = "auth",
	[NTP_V_DROP_PEER] = "peer_unauthenticated",
};

const char *ntp_verdict_name(enum ntp_verdict v)
{
	return v < NTP_V_COUNT ? verdict_names[v] : "unknown";
}

enum ntp_verdict ntp_reply_classify(const uint8_t *req, size_t len, int *version)
{
	struct ntp_pkt p;
	enum ntp_pkt_status st;
	int mode = len ? req[0] & 7 : -1, vn = len ? (req[0] >> 3) & 7 : 0;

	/* Mode 6 (RFC 9327) and mode 7 (ntpd private) have headers of 12
	 * and 8 bytes: count them as what they are, not as short NTP. */
	if ((mode == NTP_MODE_CONTROL || mode == NTP_MODE_PRIVATE) && vn >= 1 && vn <= 4 &&
	    len <= NTP_MAX_LEN) {
		*version = vn;
		return mode == NTP_MODE_CONTROL ? NTP_V_DROP_CONTROL : NTP_V_DROP_PRIVATE;
	}
	st = ntp_pkt_decode(req, len, &p);
	*version = st == NTP_PKT_SHORT || st == NTP_PKT_OVERSIZED ? 0 : p.version;
	switch (st) {
	case NTP_PKT_OK: break;
	case NTP_PKT_SHORT: return NTP_V_DROP_SHORT;
	case NTP_PKT_BAD_VERSION: *version = 0; return NTP_V_DROP_VERSION;
	case NTP_PKT_BAD_LENGTH: return NTP_V_DROP_LENGTH;
	case NTP_PKT_OVERSIZED: return NTP_V_DROP_OVERSIZED;
	}
	switch (p.mode) {
	case NTP_MODE_CLIENT:
	case NTP_MODE_SYM_ACTIVE:
		return NTP_V_REPLY;
	case NTP_MODE_RESERVED:
		/* NTPv1 (RFC 1059) has no mode field: a v1 packet with mode 0
		 * is a client request. In later versions mode 0 is reserved. */
		return p.version == 1 ? NTP_V_REPLY : NTP_V_DROP_MODE;
	case NTP_MODE_CONTROL:
		return NTP_V_DROP_CONTROL;
	case NTP_MODE_PRIVATE:
		return NTP_V_DROP_PRIVATE;
	default:
		return NTP_V_DROP_MODE;
	}
}

enum ntp_verdict ntp_reply_build(const struct ntp_reply_params *par,
				 const struct clk_snapshot *snap,
				 const uint8_t *req, gt_ns rx_clock, bool limited,
				 uint8_t *out)
{
	const struct clk_quality *q = &snap->q;
	struct ntp_pkt r;
	int version = (req[0] >> 3) & 7;
	ntp_ts req_xmt = get_be64(req + 40);

	memset(&r, 0, sizeof(r));
	r.version = (uint8_t)version;
	/* A symmetric active peer gets a passive answer: RFC 5905's passive
	 * association, kept stateless (as chrony does) because the answer
	 * depends only on the request, like a server's. */
	r.mode = (req[0] & 7) == NTP_MODE_SYM_ACTIVE ? NTP_MODE_SYM_PASSIVE : NTP_MODE_SERVER;
	r.poll = (int8_t)req[2];
	r.precision = q->precision;
	r.org = req_xmt;	/* RFC 5905 §9.2: origin = request transmit */

	if (limited) {
		if (!par->kod)
			return NTP_V_DROP_RATE;
		/* RFC 5905 §7.4: stratum 0 and an ASCII kiss code. The receive
		 * and transmit fields echo the request so the packet carries no
		 * usable time for a client that ignores the kiss. */
		r.leap = CLK_LEAP_UNSYNC;
		r.stratum = 0;
		r.refid = NTP_KISS_RATE;
		if (r.poll < par->kod_poll)
			r.poll = (int8_t)par->kod_poll;
		r.rec = req_xmt;
		r.xmt = req_xmt;
		ntp_pkt_encode(&r, out);
		return NTP_V_KOD;
	}

	if (q->leap == CLK_LEAP_UNSYNC || q->stratum == 0 || q->stratum >= 16) {
		/* Unsynchronised: LI=3, stratum 16, no reference time. */
		r.leap = CLK_LEAP_UNSYNC;
		r.stratum = 16;
		r.refid = 0;
		r.ref = 0;
		r.root_delay = ntp_short_from_ns(q->root_delay);
		r.root_disp = ntp_short_from_ns(q->root_disp);
	} else {
		r.leap = q->leap;
		r.stratum = q->stratum;
		r.refid = q->refid;
		r.root_delay = ntp_short_from_ns(q->root_delay);
		r.root_disp = ntp_short_from_ns(clk_root_disp_at(q, rx_clock));
		r.ref = ntp_ts_from_ns(q->ref_time + par->serve_offset);
	}
	r.rec = ntp_ts_from_ns(rx_clock + par->serve_offset);
	ntp_pkt_encode(&r, out);
	return NTP_V_REPLY;
}

void ntp_reply_broadcast(const struct clk_snapshot *snap, gt_ns now_clock, int poll,
			 const struct ntp_reply_params *par, uint8_t *out)
{
	uint8_t req[NTP_HEADER_LEN];

	/* The same fields as a reply to a v4 client request sent now, less
	 * the times only a request gives. */
	memset(req, 0, sizeof(req));
	req[0] = 4 << 3 | NTP_MODE_CLIENT;
	req[2] = (uint8_t)(int8_t)poll;
	ntp_reply_build(par, snap, req, now_clock, false, out);
	out[0] = (uint8_t)((out[0] & 0xf8) | NTP_MODE_BROADCAST);
	memset(out + 24, 0, 16);	/* origin and receive */
}

void ntp_reply_check_auth(const struct ntp_reply_params *par, const uint8_t *req, size_t len,
			  struct ntp_req_auth *a)
{
	size_t at = ntp_pkt_mac_offset(req, len);

	a->state = NTP_REQ_AUTH_NONE;
	a->key_id = 0;
	a->why = AUTH_OK;
	a->digest_len = 0;
	if (at >= len)
		return;
	a->key_id = get_be32(req + at);
	a->digest_len = (uint8_t)(len - at - 4 <= 255 ? len - at - 4 : 255);
	/* The MAC covers the header and the extension fields (RFC 7822 §7.5).
	 * A bare key id (a crypto-NAK, meaningless in a request) proves
	 * nothing. */
	a->why = len - at == 4 ? AUTH_BAD_MAC :
		 auth_verify(par->keys, a->key_id, req, at, req + at + 4, len - at - 4);
	a->state = a->why == AUTH_OK ? NTP_REQ_AUTH_OK : NTP_REQ_AUTH_FAIL;
}

enum ntp_verdict ntp_reply_build_auth(const struct ntp_reply_params *par,
				      const struct clk_snapshot *snap,
				      const uint8_t *req, gt_ns rx_clock, bool limited,
				      const struct ntp_req_auth *a, uint8_t *out)
{
	/* Only an authenticated peer is answered: an anonymous one is what
	 * the ephemeral-association attacks on ntpd used (CVE-2016-1549), and
	 * an operator who wants anonymous time has client mode. A bad MAC
	 * falls through to the rules below. */
	if ((req[0] & 7) == NTP_MODE_SYM_ACTIVE && a->state == NTP_REQ_AUTH_NONE)
		return NTP_V_DROP_PEER;
	if (a->state != NTP_REQ_AUTH_FAIL)
		return ntp_reply_build(par, snap, req, rx_clock, limited, out);
	/* Like chrony, say nothing by default: a crypto-NAK is itself
	 * unauthenticated, so a client cannot trust it more than silence,
	 * and CVE-2015-7871 showed clients mistaking one for a valid reply.
	 * RFC 5905 §9.2 (fast_xmit with A_CRYPTO) sends it; crypto-nak on
	 * does, but never to a client over its rate limit. */
	if (!par->crypto_nak || limited)
		return NTP_V_DROP_AUTH;
	ntp_reply_build(par, snap, req, rx_clock, false, out);
	return NTP_V_CRYPTO_NAK;
}

size_t ntp_reply_seal(const struct ntp_reply_params *par, const struct ntp_req_auth *a,
		      uint8_t *out)
{
	switch (a->state) {
	case NTP_REQ_AUTH_NONE:
		break;
	case NTP_REQ_AUTH_OK:
		/* RFC 5905 §9.2: the reply carries a MAC of the request's key.
		 * Header, key id and digest: never longer than the request. */
		return ntp_mac_append_len(par->keys, a->key_id, out, NTP_HEADER_LEN,
					       NTP_REPLY_MAX_LEN, a->digest_len);
	case NTP_REQ_AUTH_FAIL:
		put_be32(out + NTP_HEADER_LEN, 0);
		return NTP_HEADER_LEN + 4;
	}
	return NTP_HEADER_LEN;
}

void ntp_reply_stamp(uint8_t *out, gt_ns tx_clock, const struct ntp_reply_params *par)
{
	put_be64(out + 40, ntp_ts_from_ns(tx_clock + par->serve_offset));
}

ntp_ts ntp_reply_mark_rx(ntp_ts rx, unsigned thread, unsigned mark_bits)
{
	ntp_ts mask = ((ntp_ts)1 << (mark_bits + 1)) - 1;

	return (rx & ~mask) | ((ntp_ts)thread << 1 & mask) | 1;
}

unsigned ntp_reply_rx_thread(ntp_ts rx, unsigned mark_bits)
{
	return (unsigned)((rx >> 1) & (((ntp_ts)1 << mark_bits) - 1));
}

unsigned ntp_reply_mark_bits(unsigned n)
{
	unsigned b = 0;

	while (b < 16 && (1u << b) < n)
		b++;
	return b;
}

bool ntp_reply_xleave_request(const uint8_t *req, size_t len)
{
	ntp_ts org, rec;

	if (len < NTP_HEADER_LEN || (req[0] & 7) != NTP_MODE_CLIENT || ((req[0] >> 3) & 7) != 4)
		return false;
	org = get_be64(req + 24);
	rec = get_be64(req + 32);
	return (org & 1) && rec != get_be64(req + 40);
}

void ntp_reply_make_interleaved(uint8_t *out, const uint8_t *req, ntp_ts prev_tx)
{
	memcpy(out + 24, req + 32, 8);
	put_be64(out + 40, prev_tx);
}
