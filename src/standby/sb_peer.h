/* sb_peer: what one server of a hot-standby pair knows of the other, from
 * the heartbeats (sb_msg.h): which heartbeats to accept, and the pair's
 * mutual offset and round trip from the timestamps they carry.
 *
 * Pure: every function is given the times it needs (the clock's time of a
 * receive, the monotonic time) and does no I/O, so replay and timing are
 * unit-tested without sockets. */
#ifndef GNOMON_SB_PEER_H
#define GNOMON_SB_PEER_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/gtime.h"
#include "standby/sb_msg.h"

#define SB_SENT_RING 16		/* our recent transmit times an echo may name */
#define SB_FILTER 8		/* exchanges the offset is chosen from (min delay) */

/* Why an authentic heartbeat was still refused. */
enum sb_accept {
	SB_ACC_OK = 0,
	SB_ACC_OWN,		/* our own node id: a loop, or a partner configured as us */
	SB_ACC_REPLAY,		/* not newer than what was accepted from the partner */
	SB_ACC_UNPROVEN,	/* a node id not yet accepted, its heartbeat echoing none of
				 * ours: kept as the candidate we echo next, not believed */
};

struct sb_sample { gt_ns offset, delay; };

struct sb_peer {
	/* ours */
	gt_ns sent[SB_SENT_RING];	/* xmt of our last heartbeats (clock time) */
	unsigned sent_head;
	/* the partner's, once heard */
	bool heard;
	uint64_t node_id, seq;
	gt_ns last_xmt;			/* its xmt of the last heartbeat accepted */
	gt_ns last_rx;			/* our clock when we received it (echoed as rec) */
	gt_ns last_heard_mono;		/* monotonic */
	struct sb_msg last;		/* the last heartbeat accepted */
	/* What our next heartbeat echoes (org, rec): the last heartbeat
	 * accepted, or a new node's that must see itself echoed before its
	 * own echo of us is believed. */
	gt_ns echo_xmt, echo_rx;
	uint64_t restarts;		/* node ids after the first */
	/* exchanges */
	struct sb_sample filt[SB_FILTER];
	unsigned n_filt, filt_head;
	struct sb_sample latest;
	uint64_t exchanges;
};

void sb_peer_init(struct sb_peer *p);
/* Remember a heartbeat we sent at clock time xmt (its echo is recognised). */
void sb_peer_sent(struct sb_peer *p, gt_ns xmt);
/* The verdict on an authentic heartbeat m received at clock time rx and
 * monotonic time mono (own: our node id; lost: whether the partner heard
 * so far counts as lost now, sb_peer_lost()). On OK the partner's state is
 * taken from m.
 *
 * Replay: one node id's sequence only grows. A node id not heard before
 * (the partner started, or restarted) is believed only when its heartbeat
 * echoes one of our last SB_SENT_RING transmit times, which exist only in
 * this run of ours: a recorded heartbeat of an earlier run cannot. Until
 * then it is UNPROVEN and becomes the candidate our next heartbeat echoes
 * (while no partner is heard now, or the one heard is lost), so that a
 * real new partner proves itself within two intervals. */
enum sb_accept sb_peer_accept(struct sb_peer *p, const struct sb_msg *m, uint64_t own,
			      gt_ns rx, gt_ns mono, bool lost);
/* One exchange from an accepted heartbeat m received at clock time t4, if
 * it echoes one of our recent heartbeats: the partner's clock minus ours
 * (RFC 5905 §8: ((t2 - t1) + (t3 - t4)) / 2) and the round trip
 * ((t4 - t1) - (t3 - t2)). false when m echoes nothing we know or the
 * timestamps are inconsistent (a negative round trip beyond max_neg, or
 * sums beyond 64 bits). */
bool sb_peer_exchange(struct sb_peer *p, const struct sb_msg *m, gt_ns t4, gt_ns max_neg,
		      struct sb_sample *out);
/* The filtered figure: the sample of least round trip among the last
 * SB_FILTER (RFC 5905 §10's clock filter, simplified). false: none yet. */
bool sb_peer_offset(const struct sb_peer *p, struct sb_sample *out);
/* Lost: heard never, or not for `misses` of its intervals (at least
 * min_lost) before mono. */
bool sb_peer_lost(const struct sb_peer *p, gt_ns mono, unsigned misses, gt_ns min_lost);
const char *sb_accept_name(enum sb_accept a);	/* "ok", "own", "replay", "unproven" */

#endif
