"""Flood an NTP server with client requests and count what comes back.

    python3 rl_flood.py SERVER PORT N SOURCES [--sockets K] [--wait S]

SOURCES is one address, or PREFIX::/64:COUNT for COUNT addresses of that
IPv6 /64 (PREFIX::1 .. PREFIX::COUNT, offset by 0x1000 so the server's own
PREFIX::1 is not among them); request i leaves from source i % COUNT.
Those addresses need not be configured: the socket sets IPV6_FREEBIND and
picks the source of each datagram with IPV6_PKTINFO, and the replies come
back through a `local` route for the /64 (AnyIP), which the caller sets up
in a network namespace of its own.  Requests leave from K sockets (distinct
source ports, so SO_REUSEPORT spreads them over workers).  Prints one JSON
object: sent, replies, normal, kod, other, unmatched, duration (first to
last send, s), elapsed (first send to end of drain, s).

Run as a separate process so a test can start it inside a namespace with
`ip netns exec`.
"""

import ipaddress
import json
import os
import select
import socket
import struct
import sys
import time

IPV6_FREEBIND = getattr(socket, "IPV6_FREEBIND", 78)
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)


def sources(spec):
    if "/64:" in spec:
        net, count = spec.split("/64:")
        base = int(ipaddress.IPv6Address(net))
        return [str(ipaddress.IPv6Address(base + 0x1000 + i)) for i in range(int(count))], True
    return [spec], False


def main():
    args = sys.argv[1:]
    nsock, wait = 8, 0.5
    if "--sockets" in args:
        k = args.index("--sockets")
        nsock = int(args[k + 1])
        del args[k:k + 2]
    if "--wait" in args:
        k = args.index("--wait")
        wait = float(args[k + 1])
        del args[k:k + 2]
    server, port, n, spec = args[0], int(args[1]), int(args[2]), args[3]
    srcs, many = sources(spec)
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    socks = []
    for _ in range(nsock):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        try:
            s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)
        except OSError:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        if many:
            s.setsockopt(socket.IPPROTO_IPV6, IPV6_FREEBIND, 1)
            s.bind(("::", 0))
        else:
            s.bind((srcs[0], 0))
        s.setblocking(False)
        socks.append(s)
    pktinfo = [socket.inet_pton(socket.AF_INET6, a) + struct.pack("@I", 0) for a in srcs] \
        if many else None
    sent_xmt = set()
    counts = {"normal": 0, "kod": 0, "other": 0, "unmatched": 0}
    per_src = {}

    def drain():
        for s in socks:
            while True:
                try:
                    data, addr = s.recvfrom(2048)
                except BlockingIOError:
                    break
                if len(data) < 48:
                    counts["other"] += 1
                    continue
                xmt = data[24:32]
                if xmt not in sent_xmt:
                    counts["unmatched"] += 1
                    continue
                sent_xmt.discard(xmt)  # a duplicate then counts as unmatched
                if data[1] == 0 and data[12:16] == b"RATE":
                    counts["kod"] += 1
                elif data[1] != 0:
                    counts["normal"] += 1
                else:
                    counts["other"] += 1

    t0 = time.monotonic()
    for i in range(n):
        xmt = os.urandom(8)
        sent_xmt.add(xmt)
        pkt = bytes([0x23, 0, 6, 0xec]) + bytes(36) + xmt
        s = socks[i % nsock]
        dest = (server, port)
        if many:
            s.sendmsg([pkt], [(socket.IPPROTO_IPV6, socket.IPV6_PKTINFO,
                               pktinfo[i % len(srcs)])], 0, dest)
        else:
            s.sendto(pkt, dest)
        if i % 64 == 63:
            drain()
    t1 = time.monotonic()
    quiet_until = time.monotonic() + wait
    while time.monotonic() < quiet_until:
        r, _, _ = select.select(socks, [], [], max(0.0, quiet_until - time.monotonic()))
        if r:
            drain()
            quiet_until = time.monotonic() + wait
    t2 = time.monotonic()
    out = dict(counts, sent=n, replies=counts["normal"] + counts["kod"] + counts["other"],
               duration=t1 - t0, elapsed=t2 - t0, sources=len(srcs))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
