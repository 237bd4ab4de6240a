/* ptp_net: the transports of a PTP port (IEEE 1588-2019 Annex C UDP/IPv4,
 * Annex D UDP/IPv6, Annex E IEEE 802.3 Ethernet) with their timestamps:
 * SO_TIMESTAMPING receive timestamps in the control messages, transmit
 * timestamps of event messages from the socket's error queue; software
 * timestamps, or hardware ones (SIOCSHWTSTAMP on the interface, times on
 * its PHC) when asked for and supported.
 *
 * A port opens one ptp_net on its interface, as root before privileges
 * are dropped; afterwards only recvmsg/sendmsg/poll are used. Addresses:
 * event port 319, general port 320; primary groups 224.0.1.129, ff0e::181
 * (scope from the config: ff0e by default), 01-1B-19-00-00-00; the peer
 * delay groups 224.0.0.107, ff02::6b, 01-80-C2-00-00-0E. */
#ifndef GNOMON_PTP_NET_H
#define GNOMON_PTP_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "lib/gtime.h"

enum ptp_transport { PTP_TR_UDP4, PTP_TR_UDP6, PTP_TR_L2 };
enum ptp_tsmode { PTP_TSM_SOFTWARE, PTP_TSM_HARDWARE };

/* Event (319) or general (320) channel; L2 has one socket for both. */
enum ptp_chan { PTP_CH_EVENT, PTP_CH_GENERAL };
/* Where a message goes: the primary group (every message but the peer
 * delay ones), the peer delay group, or back to one sender (unicast:
 * the address a ptp_net_recv() returned). */
enum ptp_dest { PTP_DST_PRIMARY, PTP_DST_PDELAY, PTP_DST_UNICAST };

#define PTP_EVENT_PORT 319
#define PTP_GENERAL_PORT 320

/* A peer's address as received: IPv4/IPv6 sockaddr or sockaddr_ll. */
struct ptp_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

struct ptp_net_config {
	const char *ifname;
	enum ptp_transport transport;
	enum ptp_tsmode tsmode;
	uint16_t event_port, general_port;	/* 0: 319 and 320 (tests use others) */
	uint8_t udp6_scope;			/* 0: 0xE (global, ff0e::181) */
	int ttl;				/* multicast TTL / hop limit; 0: 1 */
	int tx_timeout_ms;			/* wait for a transmit timestamp; 0: 10 */
};

struct ptp_net;

/* Open the sockets on cfg->ifname: bound to the interface, joined to the
 * groups, timestamps enabled (hardware: the interface set to timestamp
 * every PTP packet, or every packet if that is all it does). 0 or
 * -errno with why in err. */
int ptp_net_open(struct ptp_net **out, const struct ptp_net_config *cfg, char *err,
		 size_t errlen);
void ptp_net_close(struct ptp_net *n);

/* The fds to watch for input (at most 2; L2: 1). Returns how many. */
int ptp_net_fds(const struct ptp_net *n, int fds[2], enum ptp_chan chans[2]);
/* The interface's MAC (for the clock identity); 0 or -errno. */
int ptp_net_mac(const struct ptp_net *n, uint8_t mac[6]);
/* The PHC index of the interface (ethtool's get_ts_info), -1 if none. */
int ptp_net_phc_index(const struct ptp_net *n);
/* true when timestamps are the hardware's (on the PHC), false for
 * software ones (CLOCK_REALTIME). */
bool ptp_net_hw(const struct ptp_net *n);

/* One datagram from the channel's socket without blocking: its bytes
 * into buf, the sender into *from (may be NULL), the receive timestamp
 * into *rx_ts (0 when the kernel gave none: an event message without
 * a timestamp cannot be used). Returns the length, -EAGAIN when nothing
 * waits, -EMSGSIZE for a truncated datagram (dropped), other -errno. */
ssize_t ptp_net_recv(struct ptp_net *n, enum ptp_chan ch, uint8_t *buf, size_t cap,
		     struct ptp_addr *from, gt_ns *rx_ts);

/* Send len bytes on the channel to dest (to: for PTP_DST_UNICAST). For
 * an event message pass tx_ts: the call waits up to tx_timeout_ms for
 * the transmit timestamp from the error queue and stores it (on the
 * clock the receive timestamps are on), or returns -ETIME when none came
 * (the message was sent). 0 or -errno. */
int ptp_net_send(struct ptp_net *n, enum ptp_chan ch, enum ptp_dest dest,
		 const struct ptp_addr *to, const uint8_t *buf, size_t len, gt_ns *tx_ts);

/* After poll reported POLLERR on a channel's socket: drop what waits on
 * its error queue (transmit timestamps nobody waited for) and read the
 * socket's pending error. 0, or -errno when the socket has failed for
 * good: the interface is gone or down (-ENODEV, -ENETDOWN, -ENXIO). */
int ptp_net_check_error(struct ptp_net *n, enum ptp_chan ch);
/* Whether err (from a send or the socket) means the interface is gone
 * or down for good. */
bool ptp_net_dead(int err);

/* Counters for gnomonctl and metrics. */
struct ptp_net_stats {
	uint64_t rx, tx, rx_trunc, rx_no_ts, tx_no_ts, tx_err;
};
void ptp_net_get_stats(const struct ptp_net *n, struct ptp_net_stats *st);

/* "udp4", "udp6", "l2". */
const char *ptp_transport_name(enum ptp_transport t);

#endif
