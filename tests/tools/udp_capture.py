#!/usr/bin/python3
"""Kernel timestamps of UDP datagrams seen on one interface: a measured
truth for one-way delays (tests/tools/README.md).

    udp_capture.py IFACE in|out DPORT FILE

Opens an AF_PACKET socket on IFACE (run it inside the namespace with
`ip netns exec`), keeps the IPv4 UDP datagrams to DPORT that go the given
way, and stamps each with the kernel's own receive timestamp of the packet
(SO_TIMESTAMPNS, CLOCK_REALTIME): for an incoming packet the same stamp a
socket receive timestamp gives, for an outgoing one the moment the packet
reached the device. Prints `capturing` on stdout when ready, then appends
one line `STAMP_NS PAYLOAD_HEX` to FILE per datagram, flushed at once so
that a test can read the truth while the capture goes on; SIGTERM or
SIGINT ends it. It only listens.
"""

import signal
import socket
import struct
import sys

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SOL_PACKET = 263
PACKET_IGNORE_OUTGOING = 23
SO_TIMESTAMPNS = 35


def main():
    iface, way, dport = sys.argv[1], sys.argv[2], int(sys.argv[3])
    out = open(sys.argv[4], "a", encoding="ascii")
    want_out = way == "out"
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    if not want_out:
        # Not called on the way out at all: a tap that takes outgoing
        # packets runs (and wakes this process) inside the sender's
        # transmit call, before the receive stamp of a looped-back packet,
        # and so would lengthen the very path it measures.
        s.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
    s.bind((iface, 0))
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    s.settimeout(0.2)
    print("capturing", flush=True)
    while not stop:
        try:
            data, anc, _flags, addr = s.recvmsg(65536, socket.CMSG_SPACE(16))
        except socket.timeout:
            continue
        except InterruptedError:
            continue
        if (addr[2] == PACKET_OUTGOING) != want_out:
            continue
        # Ethernet (loopback has a zero Ethernet header too) + IPv4 + UDP.
        if len(data) < 14 + 20 + 8 or data[12:14] != b"\x08\x00":
            continue
        ip = data[14:]
        ihl = (ip[0] & 0x0F) * 4
        if ip[9] != 17 or len(ip) < ihl + 8:
            continue
        if struct.unpack("!H", ip[ihl + 2:ihl + 4])[0] != dport:
            continue
        stamp = None
        for level, kind, value in anc:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                sec, nsec = struct.unpack("qq", value[:16])
                stamp = sec * 1000000000 + nsec
        if stamp is not None:
            out.write("%d %s\n" % (stamp, ip[ihl + 8:].hex()))
            out.flush()
    out.close()


if __name__ == "__main__":
    main()
