#include "ntp/ntp_resp.h"

#include <math.h>
#include <string.h>

#include "clock/clk.h"
#include "lib/bytes.h"

static const char *const names[NTP_RESP_COUNT] = {
	[NTP_RESP_OK] = "ok",
	[NTP_RESP_MALFORMED] = "malformed",
	[NTP_RESP_MODE] = "mode",
	[NTP_RESP_BOGUS] = "bogus",
	[NTP_RESP_DUPLICATE] = "duplicate",
	[NTP_RESP_ZERO_TS] = "zero_timestamp",
	[NTP_RESP_KOD_RATE] = "kod_rate",
	[NTP_RESP_KOD_DENY] = "kod_deny",
	[NTP_RESP_KOD_OTHER] = "kod_other",
	[NTP_RESP_UNSYNC] = "unsynchronised",
	[NTP_RESP_BAD_DELAY] = "bad_delay",
	[NTP_RESP_AUTH] = "auth",
	[NTP_RESP_STALE] = "stale",
	[NTP_RESP_XLEAVE_UNPAIRED] = "interleaved_unpaired",
};

const char *ntp_resp_verdict_name(enum ntp_resp_verdict v)
{
	return v < NTP_RESP_COUNT ? names[v] : "unknown";
}

static gt_ns precision_ns(int8_t p)
{
	return (gt_ns)ldexp(1e9, p < -40 ? -40 : p > 10 ? 10 : p);
}

enum ntp_resp_verdict ntp_resp_process(const struct ntp_resp_ctx *ctx, const uint8_t *buf,
				       size_t len, gt_ns t4, struct ntp_pkt *pkt,
				       struct sync_sample *smp)
{
	gt_ns t1 = ctx->t1, t2, t3, delay, prec;
	bool xl;

	memset(smp, 0, sizeof(*smp));
	if (ntp_pkt_decode(buf, len, pkt) != NTP_PKT_OK)
		return NTP_RESP_MALFORMED;
	if (ctx->symmetric ? pkt->mode != NTP_MODE_SYM_PASSIVE && pkt->mode != NTP_MODE_SYM_ACTIVE
			   : pkt->mode != NTP_MODE_SERVER)
		return NTP_RESP_MODE;
	/* Test 2: a reply must echo the transmit timestamp of the one request
	 * we have outstanding; anything else is forged or stale. */
	if (!ctx->waiting || (pkt->org != ctx->sent_xmt && !ntp_resp_is_interleaved(ctx, pkt)))
		return NTP_RESP_BOGUS;
	xl = pkt->org != ctx->sent_xmt;
	if (pkt->stratum == 0) {
		switch (pkt->refid) {
		case 0x52415445u: return NTP_RESP_KOD_RATE;	/* RATE */
		case 0x44454e59u:				/* DENY */
		case 0x52535452u: return NTP_RESP_KOD_DENY;	/* RSTR */
		default: return NTP_RESP_KOD_OTHER;
		}
	}
	/* Test 3 before test 1: a zero transmit timestamp is no evidence of a
	 * replay, and 0 is also the "nothing received yet" value. */
	if (!pkt->rec || !pkt->xmt)
		return NTP_RESP_ZERO_TS;
	/* Test 1: a replayed reply carries a transmit timestamp seen before.
	 * An interleaved one may repeat the last reply's transmit field (the
	 * server had no better time for it): its origin, the nonce of this
	 * request, already tells a replay. */
	if (pkt->xmt == ctx->last_rx_xmt && !xl)
		return NTP_RESP_DUPLICATE;
	if (pkt->leap == CLK_LEAP_UNSYNC || pkt->stratum >= 16)
		return NTP_RESP_UNSYNC;

	if (xl) {
		/* RFC 9769 §2: T3 of the previous reply, with that exchange's
		 * T1, T2 and T4. A previous exchange already sampled in basic
		 * mode would count twice (chrony refuses it too). */
		if (!ctx->prev.valid || ctx->prev.used)
			return NTP_RESP_XLEAVE_UNPAIRED;
		t1 = ctx->prev.t1;
		t4 = ctx->prev.t4;
		t2 = ntp_ts_to_ns(ctx->prev.t2, t1);
		t3 = ntp_ts_to_ns(pkt->xmt, t4);
		/* The server held its reply for more than a poll: not the
		 * reply to that request (a server that lost its table entry). */
		if (t3 < t2 || t3 - t2 > 4 * GT_NS_PER_S)
			return NTP_RESP_XLEAVE_UNPAIRED;
	} else {
		/* Server timestamps are placed in the era nearest our own times. */
		t2 = ntp_ts_to_ns(pkt->rec, t1);
		t3 = ntp_ts_to_ns(pkt->xmt, t4);
	}
	delay = (t4 - t1) - (t3 - t2);
	prec = precision_ns(ctx->local_precision) + precision_ns(pkt->precision);
	if (delay < -prec)
		return NTP_RESP_BAD_DELAY;
	smp->time = t4;
	smp->offset = ((t2 - t1) + (t3 - t4)) / 2;
	smp->delay = delay > prec ? delay : prec;	/* RFC 5905 §8: at least the precision */
	/* §8: sample dispersion = both precisions + PHI * (T4 - T1). */
	smp->disp = prec + (gt_ns)((double)(t4 - t1) * CLK_PHI);
	smp->root_delay = ntp_short_to_ns(pkt->root_delay);
	smp->root_disp = ntp_short_to_ns(pkt->root_disp);
	smp->stratum = pkt->stratum;
	smp->leap = pkt->leap;
	smp->refid = pkt->refid;
	return NTP_RESP_OK;
}

bool ntp_resp_is_interleaved(const struct ntp_resp_ctx *ctx, const struct ntp_pkt *pkt)
{
	return ctx->sent_rec && pkt->org == ctx->sent_rec && pkt->org != ctx->sent_xmt;
}

/* The MAC after the header and extension fields: none (0), valid (1), or
 * anything else (-1), with the key id it names. */
static int bcast_mac(const struct ntp_bcast_ctx *ctx, const uint8_t *buf, size_t len,
		     uint32_t *key_id)
{
	size_t off = ntp_pkt_mac_offset(buf, len);

	*key_id = 0;
	if (off >= len)
		return 0;
	if (len - off < 4 + 16)
		return -1;
	*key_id = get_be32(buf + off);
	if (!ctx->keys || !*key_id || (ctx->key && *key_id != ctx->key))
		return -1;
	return auth_verify(ctx->keys, *key_id, buf, off, buf + off + 4, len - off - 4) ==
	       AUTH_OK ? 1 : -1;
}

enum ntp_resp_verdict ntp_resp_broadcast(const struct ntp_bcast_ctx *ctx, const uint8_t *buf,
					 size_t len, gt_ns t4, struct ntp_pkt *pkt,
					 struct sync_sample *smp, uint32_t *key_id)
{
	gt_ns t3, prec;
	int mac;

	memset(smp, 0, sizeof(*smp));
	*key_id = 0;
	if (ntp_pkt_decode(buf, len, pkt) != NTP_PKT_OK)
		return NTP_RESP_MALFORMED;
	if (pkt->mode != NTP_MODE_BROADCAST)
		return NTP_RESP_MODE;
	/* Anyone on the segment can send a broadcast: authenticity comes
	 * first, before any field is believed. */
	mac = bcast_mac(ctx, buf, len, key_id);
	if (mac < 0 || (mac == 0 && !ctx->noauth))
		return NTP_RESP_AUTH;
	if (pkt->stratum == 0)
		return NTP_RESP_KOD_OTHER;
	if (!pkt->xmt)
		return NTP_RESP_ZERO_TS;
	if (pkt->xmt == ctx->last_xmt)
		return NTP_RESP_DUPLICATE;
	/* Test 1's broadcast form: a recorded packet sent again, or one
	 * overtaken by a newer one, carries an older transmit time. The
	 * comparison is modular, as NTP timestamps wrap in 2036. */
	if (ctx->last_xmt && (int64_t)(pkt->xmt - ctx->last_xmt) < 0)
		return NTP_RESP_STALE;
	if (pkt->leap == CLK_LEAP_UNSYNC || pkt->stratum >= 16)
		return NTP_RESP_UNSYNC;
	t3 = ntp_ts_to_ns(pkt->xmt, t4);
	prec = precision_ns(ctx->local_precision) + precision_ns(pkt->precision);
	smp->time = t4;
	smp->offset = t3 + ctx->delay - t4;
	/* The round trip a client exchange would have seen; the jitter of
	 * the one-way delay, which no exchange measures here, goes into the
	 * dispersion. */
	smp->delay = 2 * ctx->delay > prec ? 2 * ctx->delay : prec;
	smp->disp = prec + 2 * (ctx->jitter > 0 ? ctx->jitter : 0);
	smp->root_delay = ntp_short_to_ns(pkt->root_delay);
	smp->root_disp = ntp_short_to_ns(pkt->root_disp);
	smp->stratum = pkt->stratum;
	smp->leap = pkt->leap;
	smp->refid = pkt->refid;
	return NTP_RESP_OK;
}
