"""The attacker of test_broadcast.py, run inside a test's network namespace
(ip netns exec NS python3 bcast_attacker.py ...). capture, replay and
relay never hold a key: they record authentic broadcast packets and send
them again, from addresses that are not the sender's. sign is an insider
with the key, to try the admission rules with fresh packets.

  capture DEST SECONDS FROM     print (hex, one a line) every packet from
                                FROM to DEST:123 heard for SECONDS
  replay DEST INTERVAL SRCS HEX...
                                send each packet from every address of the
                                comma-separated SRCS, one round per INTERVAL
  relay DEST SRCS               read packets (hex lines) from stdin and send
                                each at once from every address of SRCS
                                (fed by a capture in another namespace)
  sign DEST INTERVAL SRCS COUNT OFFSET KEY SECRET
                                COUNT rounds of a mode-5 packet stamped now +
                                OFFSET s and signed with MD5 key KEY, from
                                every address of SRCS
"""

import hashlib
import socket
import struct
import sys
import time


def is_group(dest):
    return 224 <= int(dest.split(".")[0]) <= 239


def listener(dest):
    """A socket beside the client's on DEST:123 (both SO_REUSEADDR: each
    gets a copy of every broadcast or multicast datagram)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((dest, 123))
    if is_group(dest):
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                     struct.pack("4s4s", socket.inet_aton(dest), socket.inet_aton("0.0.0.0")))
    return s


def senders(srcs):
    out = []
    for a in srcs.split(","):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        s.bind((a, 0))
        out.append(s)
    return out


def heard(s, seconds, frm):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            data, (addr, _) = s.recvfrom(2048)
        except socket.timeout:
            continue
        if addr == frm:
            yield data


def signed(xmt, key, secret):
    """Mode 5, version 4, stratum 2, poll 0, transmit time xmt (POSIX s),
    MAC as RFC 5905 §7.3 has it for MD5: digest of secret + packet."""
    era = int((xmt + 2208988800) * 2**32)
    hdr = struct.pack("!BBbbIIIQQQQ", (4 << 3) | 5, 2, 0, -20, 0, 0, 0x7f7f0101,
                      era, 0, 0, era)
    return hdr + struct.pack("!I", key) + hashlib.md5(secret.encode() + hdr).digest()


def main(argv):
    cmd, dest = argv[1], argv[2]
    if cmd == "capture":
        for data in heard(listener(dest), float(argv[3]), argv[4]):
            print(data.hex(), flush=True)
    elif cmd == "replay":
        out = senders(argv[4])
        for h in argv[5:]:
            for s in out:
                s.sendto(bytes.fromhex(h), (dest, 123))
            time.sleep(float(argv[3]))
    elif cmd == "relay":
        out = senders(argv[3])
        for line in sys.stdin:
            for s in out:
                s.sendto(bytes.fromhex(line.strip()), (dest, 123))
    elif cmd == "sign":
        out = senders(argv[4])
        for _ in range(int(argv[5])):
            for s in out:
                s.sendto(signed(time.time() + float(argv[6]), int(argv[7]), argv[8]),
                         (dest, 123))
            time.sleep(float(argv[3]))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
