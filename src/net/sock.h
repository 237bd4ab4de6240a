/* sock: UDP sockets with kernel receive timestamps and, on wildcard
 * sockets, packet info so a reply leaves from the address the request was
 * sent to. Sockets are made with socket(AF, SOCK_DGRAM, 0) and fcntl, which
 * syscall-level simulators intercept (DESIGN.md). */
#ifndef GNOMON_SOCK_H
#define GNOMON_SOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "lib/gtime.h"
#include "net/addr.h"

#define SOCK_REUSEPORT 1u
#define SOCK_RX_TIMESTAMP 2u
/* A deep receive queue (SOCK_SERVER_RCVBUF) for busy servers: absorbs the
 * bursts that arrive while a worker is descheduled. */
#define SOCK_BIG_RCVBUF 4u
#define SOCK_SERVER_RCVBUF (2 * 1024 * 1024)
/* SO_REUSEADDR: lets a broadcast client bind a broadcast or group address
 * on the NTP port next to a server's wildcard socket (both must set it). */
#define SOCK_REUSEADDR 8u
/* Transmit timestamps through the error queue (interleaved NTP, RFC 9769):
 * SOCK_TX_TIMESTAMP_ON_REQUEST numbers them (OPT_ID) but only a send
 * carrying sock_build_txts() control data makes one, so the sends that do
 * not need one cost nothing; SOCK_TX_TIMESTAMP stamps every send. */
#define SOCK_TX_TIMESTAMP_ON_REQUEST 16u
#define SOCK_TX_TIMESTAMP 32u

/* Open, configure and bind a UDP socket. Returns fd or -errno. */
int sock_udp_open(const struct net_addr *a, uint16_t port, unsigned flags);
/* Bound port of a socket (for port 0), or -errno. */
int sock_bound_port(int fd);

/* Room for the control messages sock_parse_cmsg understands. */
#define SOCK_CMSG_SPACE 256

struct sock_rx_info {
	gt_ns rx_real;		/* kernel receive time on CLOCK_REALTIME, 0 if none */
	uint16_t src_port;	/* the sender's port (sock_recv_one, sock_drain) */
	bool have_dst;
	struct net_addr dst;	/* local address the packet was sent to */
	int ifindex;
};

/* One datagram from fd without blocking: its bytes into buf, the sender
 * into *from, and the receive time (the kernel's, else the time now, on
 * CLOCK_REALTIME) and destination into *rx. Returns the length, -1 when
 * nothing is waiting (or on an error: the caller's loop ends), or -2 for
 * a datagram to skip (truncated: *trunc set; or an unknown address family). */
ssize_t sock_recv_one(int fd, void *buf, size_t len, struct net_addr *from,
		      struct sock_rx_info *rx, bool *trunc);

/* What sock_drain() hands over for each datagram: len bytes in buf, or
 * truncated (then buf holds the first bytes only and the caller counts
 * the datagram as malformed). */
typedef void (*sock_datagram_fn)(void *arg, const uint8_t *buf, size_t len, bool truncated,
				 const struct net_addr *from, const struct sock_rx_info *rx);

/* The receive loop of every source: read up to max datagrams waiting on
 * a non-blocking fd (max bounds the time one socket holds the loop) into
 * buf, handing each to fn. Returns how many were handed over. */
int sock_drain(int fd, uint8_t *buf, size_t cap, int max, sock_datagram_fn fn, void *arg);

/* Extract receive timestamp and destination address from msg's cmsgs. */
void sock_parse_cmsg(const struct msghdr *msg, struct sock_rx_info *info);
/* Write a packet-info cmsg making a reply leave from info->dst; returns the
 * control length used (0 when none is needed). */
size_t sock_build_pktinfo(const struct sock_rx_info *info, void *buf, size_t len);

/* Append to a send's control data (buf, whose first used bytes are
 * already filled) a request for a software transmit timestamp; returns
 * the new control length, used unchanged when there is no room. */
size_t sock_build_txts(void *buf, size_t used, size_t cap);
/* One transmit timestamp from fd's error queue without blocking: its
 * OPT_ID key (the count of timestamped sends before it) and the kernel's
 * CLOCK_REALTIME time. Returns 1, 0 for an error-queue message that is
 * not a timestamp, -1 when the queue is empty. */
int sock_read_txts(int fd, uint32_t *key, gt_ns *ts);
/* Restart the OPT_ID count of a socket opened with flags (the
 * SOCK_TX_TIMESTAMP ones) at 0: after a failed send, which the kernel may
 * or may not have counted. */
void sock_txts_restart(int fd, unsigned flags);

#endif
