#!/usr/bin/python3
"""UDP endpoints that time datagrams with CLOCK_MONOTONIC in user space.

Used by tests/integration/test_relay.py to measure the impairment relay from
outside, with no kernel timestamps (the relay schedules from those).
CLOCK_MONOTONIC is one clock for every process on the machine, so a stamp
taken in one process minus a stamp taken in another is a one-way delay.

    udp_probe.py echo HOST          print the bound port, then answer each
                                    datagram with its receive time t1 and
                                    send time t2 filled in
    udp_probe.py sink HOST          print the bound port, never answer;
                                    on SIGTERM print [[seq, t1], ...] as JSON
    udp_probe.py client HOST PORT N GAP_NS LINGER_NS
                                    send N datagrams GAP_NS apart, collect
                                    replies until LINGER_NS after the last,
                                    print {"sent": [t0...], "replies":
                                    [[seq, t0, t1, t2, t3], ...]} as JSON

Datagrams are 48 bytes (an NTP packet's size): seq, t0, t1, t2 as unsigned
64-bit big-endian integers, then zeros.  Each endpoint asks for SCHED_FIFO
priority 1 (when permitted) so that other processes on a small machine do
not delay its time stamps by a scheduler slice; all of them block between
datagrams, so they never hold a CPU.
"""

import json
import os
import select
import signal
import socket
import struct
import sys
import time

HDR = struct.Struct("!QQQQ")
PAD = b"\0" * 16


def realtime_priority():
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
    except (OSError, AttributeError):
        pass


def udp_socket(host):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    return s


def serve(mode, host):
    s = udp_socket(host)
    s.bind((host, 0))
    got = []

    def stop(*_):
        print(json.dumps(got), flush=True)
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop)
    print(s.getsockname()[1], flush=True)
    while True:
        d, a = s.recvfrom(2048)
        t1 = time.monotonic_ns()
        if len(d) < HDR.size:
            continue
        got.append([HDR.unpack_from(d)[0], t1])
        if mode == "echo":
            s.sendto(d[:16] + struct.pack("!QQ", t1, time.monotonic_ns()) + d[32:], a)


def client(host, port, n, gap_ns, linger_ns):
    s = udp_socket(host)
    s.connect((host, port))
    s.setblocking(False)
    sent, replies = [], []
    next_send = time.monotonic_ns()
    end = None
    while True:
        now = time.monotonic_ns()
        if len(sent) < n and now >= next_send:
            t0 = time.monotonic_ns()
            s.send(HDR.pack(len(sent), t0, 0, 0) + PAD)
            sent.append(t0)
            next_send += gap_ns
            if len(sent) == n:
                end = now + linger_ns
            continue
        if end is not None and now >= end:
            break
        wait = (next_send if len(sent) < n else end) - now
        if select.select([s], [], [], max(wait, 0) / 1e9)[0]:
            while True:
                try:
                    d = s.recv(2048)
                except BlockingIOError:
                    break
                t3 = time.monotonic_ns()
                replies.append(list(HDR.unpack_from(d)) + [t3])
    print(json.dumps({"sent": sent, "replies": replies}), flush=True)


def main(argv):
    realtime_priority()
    if len(argv) == 3 and argv[1] in ("echo", "sink"):
        serve(argv[1], argv[2])
    elif len(argv) == 7 and argv[1] == "client":
        client(argv[2], int(argv[3]), int(argv[4]), int(argv[5]), int(argv[6]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
