"""Helpers for the gnomond integration tests: NTP wire format, raw UDP
queries, peer-tool runners and their output parsers.

Everything here is written for these tests; no code is taken from other
projects.  Peer tools are always started without CAP_SYS_TIME (see
/work/shared/TESTING.md): a mistake then fails with EPERM instead of moving
the machine's clock.
"""

import json
import os
import random
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import time

import pytest

NTP_UNIX_DELTA = 2208988800  # seconds from 1900-01-01 to 1970-01-01
HDR = struct.Struct("!BBbbII4sQQQQ")  # 48 bytes
assert HDR.size == 48

LOCAL_REFID = bytes([127, 127, 1, 1])
OFFSET_TOL = 1e-3  # every offset check: within 1 ms

# Drop CAP_SYS_TIME from every capability set a child could use.
NO_SYS_TIME = ["setpriv", "--bounding-set", "-sys_time", "--inh-caps",
               "-sys_time", "--ambient-caps", "-sys_time", "--"]

# Debian package that provides each peer tool (for failure messages).
TOOL_PACKAGES = {
    "setpriv": "util-linux",
    "ntpdig": "ntpsec-ntpdig",
    "sntp": "sntp",
    "ntpdate": "ntpsec-ntpdate",
    "chronyd": "chrony",
    "ptp4l": "linuxptp",
    "pmc": "linuxptp",
    "keepalived": "keepalived",
}


# --------------------------------------------------------------------------
# time and wire format

def unix_to_ntp(t):
    """float POSIX seconds -> 64-bit NTP timestamp (era 0)."""
    return int(round((t + NTP_UNIX_DELTA) * 2**32)) & 0xFFFFFFFFFFFFFFFF


def ntp_to_unix(ts):
    return ts / 2**32 - NTP_UNIX_DELTA


def now_ntp():
    return unix_to_ntp(time.time())


class Reply:
    """A parsed 48-byte NTP header (plus whatever trailed it)."""

    def __init__(self, data):
        if len(data) < 48:
            raise ValueError("reply of %d bytes is shorter than 48" % len(data))
        (self.lvm, self.stratum, self.poll, self.precision, self.root_delay,
         self.root_disp, self.refid, self.ref, self.org, self.rx,
         self.tx) = HDR.unpack_from(data)
        self.raw = bytes(data)
        self.length = len(data)
        self.li = self.lvm >> 6
        self.version = (self.lvm >> 3) & 7
        self.mode = self.lvm & 7
        self.t4 = None  # local POSIX time of reception, set by query()
        self.t1 = None  # local POSIX time put into the request

    @property
    def poll_byte(self):
        return self.raw[2]

    def offset(self):
        """theta = ((T2-T1)+(T3-T4))/2 in seconds."""
        t2 = ntp_to_unix(self.rx)
        t3 = ntp_to_unix(self.tx)
        return ((t2 - self.t1) + (t3 - self.t4)) / 2

    def delay(self):
        return (self.t4 - self.t1) - (ntp_to_unix(self.tx) - ntp_to_unix(self.rx))

    def __repr__(self):
        return ("Reply(len=%d li=%d vn=%d mode=%d stratum=%d poll=%d refid=%r "
                "ref=%#x org=%#x rx=%#x tx=%#x)" % (
                    self.length, self.li, self.version, self.mode,
                    self.stratum, self.poll, self.refid, self.ref, self.org,
                    self.rx, self.tx))


def build_request(version=4, mode=3, li=0, poll=6, stratum=0, precision=-20,
                  xmt=None, trailer=b""):
    """Return (bytes, transmit timestamp, POSIX time of that timestamp).

    The transmit timestamp is the current time with random low-order bits,
    so every request is unique and replies can be matched by origin.
    """
    t1 = time.time()
    if xmt is None:
        xmt = (unix_to_ntp(t1) & ~0xFFFF) | random.getrandbits(16)
    lvm = ((li & 3) << 6) | ((version & 7) << 3) | (mode & 7)
    pkt = HDR.pack(lvm, stratum, poll, precision, 0, 0, b"\0\0\0\0", 0, 0, 0,
                   xmt)
    return pkt + trailer, xmt, ntp_to_unix(xmt)


def udp_socket(server_addr, src=None):
    fam = socket.AF_INET6 if ":" in server_addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if src is not None:
        s.bind((src, 0))
    return s


def query(server, port, payload=None, *, src=None, timeout=1.0, **req_kw):
    """Send one datagram and wait for one reply.

    payload: raw bytes to send; if None a request is built from req_kw.
    Returns a Reply or None on timeout.  Replies whose origin does not match
    the request's transmit timestamp are ignored.  The Reply carries
    t1 (the request's transmit timestamp as POSIX time), t_send (the local
    clock read just before sending) and t4 (read just after receiving).
    """
    if payload is None:
        payload = build_request(**req_kw)[0]
    xmt = int.from_bytes(payload[40:48], "big") if len(payload) >= 48 else None
    s = udp_socket(server, src)
    try:
        t_send = time.time()
        s.sendto(payload, (server, port))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([s], [], [], left)
            if not r:
                return None
            data, _ = s.recvfrom(65536)
            t4 = time.time()
            if len(data) < 48:
                raise AssertionError("short reply (%d bytes): %r" % (len(data), data))
            rep = Reply(data)
            if xmt is not None and rep.org != xmt:
                continue
            rep.t1 = ntp_to_unix(xmt) if xmt is not None else t_send
            rep.t_send = t_send
            rep.t4 = t4
            return rep
    finally:
        s.close()


CAUSAL_EPS = 5e-6  # float rounding of 64-bit NTP timestamps, seconds


def assert_causal(rep, serve_offset):
    """gnomond with `clock null` reads the machine's clock: its receive and
    transmit timestamps, less the serve-offset, must fall between our send
    and our receive (same clock).  Unlike a single offset figure this holds
    however loaded the machine is."""
    rx = ntp_to_unix(rep.rx) - serve_offset
    tx = ntp_to_unix(rep.tx) - serve_offset
    assert rep.t_send - CAUSAL_EPS <= rx <= tx <= rep.t4 + CAUSAL_EPS, (
        "server timestamps (less serve-offset %r) outside our send/receive "
        "window: send %.6f rx %+.6f tx %+.6f recv %+.6f" % (
            serve_offset, rep.t_send, rx - rep.t_send, tx - rep.t_send,
            rep.t4 - rep.t_send))


def assert_best_offset(reps, expected, tol=OFFSET_TOL):
    """Every reply causal, and the smallest-delay one within tol (what an
    NTP client would use)."""
    for r in reps:
        assert_causal(r, expected)
    best = min(reps, key=lambda r: r.delay())
    assert abs(best.offset() - expected) <= tol, (
        "best-delay sample: offset %r delay %r, expected %r" % (
            best.offset(), best.delay(), expected))


def send_only(server, port, payloads, *, src=None, wait=0.3):
    """Send each payload from one socket; return every datagram received back
    within `wait` seconds after the last send."""
    s = udp_socket(server, src)
    got = []
    try:
        for p in payloads:
            s.sendto(p, (server, port))
        deadline = time.monotonic() + wait
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([s], [], [], left)
            if not r:
                break
            got.append(s.recvfrom(65536)[0])
    finally:
        s.close()
    return got


def burst(server, port, n, *, src="127.0.0.1", wait=0.5, separate_sockets=False,
          version=4):
    """Send n client requests back to back, then collect the replies.

    Returns (list of (request xmt), dict xmt -> Reply).  With
    separate_sockets each request leaves from its own source port (so that
    SO_REUSEPORT spreads them over workers)."""
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    socks = []
    xmts = []
    try:
        if separate_sockets:
            for _ in range(n):
                s = socket.socket(fam, socket.SOCK_DGRAM)
                s.bind((src, 0))
                socks.append(s)
        else:
            s = socket.socket(fam, socket.SOCK_DGRAM)
            s.bind((src, 0))
            socks = [s]
        for i in range(n):
            pkt, xmt, _ = build_request(version=version)
            xmts.append(xmt)
            socks[i % len(socks)].sendto(pkt, (server, port))
        replies = {}
        deadline = time.monotonic() + wait
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select(socks, [], [], left)
            if not r:
                break
            for s in r:
                data = s.recv(65536)
                rep = Reply(data)
                rep.t4 = time.time()
                replies[rep.org] = rep
        return xmts, replies
    finally:
        for s in socks:
            s.close()


def is_kod_rate(rep):
    return rep.stratum == 0 and rep.refid == b"RATE" and rep.li == 3


# --------------------------------------------------------------------------
# peer tools

def require_tool(name):
    path = shutil.which(name) or (
        "/usr/sbin/" + name if os.path.exists("/usr/sbin/" + name) else None)
    if path is None:
        pytest.fail("peer tool %r is not installed (Debian package %s); the "
                    "integration suite needs it: apt-get install %s" % (
                        name, TOOL_PACKAGES.get(name, "?"),
                        TOOL_PACKAGES.get(name, "?")), pytrace=False)
    return path


def run_peer(argv, timeout=20):
    """Run a peer tool without CAP_SYS_TIME; return CompletedProcess."""
    require_tool("setpriv")
    require_tool(argv[0])
    try:
        return subprocess.run(NO_SYS_TIME + argv, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise AssertionError("%s timed out after %ss; stdout=%r stderr=%r" % (
            " ".join(argv), timeout, e.stdout, e.stderr))


def describe(cp):
    return "argv=%r rc=%s\n--- stdout ---\n%s\n--- stderr ---\n%s" % (
        cp.args, cp.returncode, cp.stdout, cp.stderr)


def ntpdig_json_offset(addr, extra=()):
    """`ntpdig -j ADDR` prints one JSON object per line with "offset"."""
    cp = run_peer(["ntpdig", "-t", "2", "-j"] + list(extra) + [addr])
    assert cp.returncode == 0, "ntpdig failed:\n" + describe(cp)
    lines = [l for l in cp.stdout.splitlines() if l.startswith("{")]
    assert len(lines) == 1, "expected one JSON line:\n" + describe(cp)
    obj = json.loads(lines[0])
    return float(obj["offset"]), obj, cp


# ntpdig's plain report, shared by sntp and ntpdate (both are ntpdig):
#   2026-11-21 06:30:34.363442 (+0000) +0.000067 +/- 0.000126 127.0.0.2 s10 no-leap
PLAIN_RE = re.compile(
    r"^(?P<date>\d{4}-\d\d-\d\d) (?P<tod>\d\d:\d\d:\d\d(?:\.\d+)?) "
    r"\((?P<tz>[+-]\d{4})\) (?P<offset>[+-]\d+\.\d+) \+/- (?P<err>\d+\.\d+) "
    r"(?P<host>\S+)(?: (?P<ip>\S+))? s(?P<stratum>\d+) (?P<leap>\S+)$")


def parse_plain(cp, tool):
    assert cp.returncode == 0, "%s failed:\n%s" % (tool, describe(cp))
    m = [PLAIN_RE.match(l.strip()) for l in cp.stdout.splitlines()]
    m = [x for x in m if x]
    assert len(m) == 1, "%s: expected one report line:\n%s" % (tool, describe(cp))
    return float(m[0].group("offset")), m[0].groupdict(), cp


def sntp_offset(addr):
    return parse_plain(run_peer(["sntp", "-t", "2", addr]), "sntp")


def ntpdate_q_offset(addr):
    # -q: query only.  NEVER run ntpdate without -q (it would set the clock).
    return parse_plain(run_peer(["ntpdate", "-q", addr]), "ntpdate -q")


def ntplib_offset(addr, port, version=4):
    try:
        import ntplib
    except ImportError:
        pytest.fail("python3-ntplib is not installed for /usr/bin/python3: "
                    "apt-get install python3-ntplib", pytrace=False)
    r = ntplib.NTPClient().request(addr, version=version, port=port, timeout=2)
    return float(r.offset), r, None


CHRONY_WRONG_RE = re.compile(r"System clock wrong by (-?\d+\.\d+) seconds")


def chronyd_q(addr, port, timeout=10, options="iburst", extra_args=()):
    """chronyd -Q: measure once, print 'System clock wrong by X seconds
    (ignored)'.  No config file, nothing written; never touches the clock
    (-Q) and also runs without CAP_SYS_TIME."""
    argv = ["chronyd", "-Q", "-t", str(timeout), "-f", "/dev/null", "-L", "0"]
    argv += list(extra_args)
    argv.append("server %s port %d %s" % (addr, port, options))
    return run_peer(argv, timeout=timeout + 15)


def chronyd_offset(addr, port):
    cp = chronyd_q(addr, port)
    out = cp.stdout + cp.stderr
    m = CHRONY_WRONG_RE.findall(out)
    assert cp.returncode == 0 and len(m) == 1, (
        "chronyd -Q gave no measurement:\n" + describe(cp))
    return float(m[0]), None, cp


CLIENTS = {
    "ntpdig": lambda d: ntpdig_json_offset(d.addr),
    "sntp": lambda d: sntp_offset(d.addr),
    "ntpdate": lambda d: ntpdate_q_offset(d.addr),
    "ntplib": lambda d: ntplib_offset(d.addr, d.port),
    "chronyd": lambda d: chronyd_offset(d.addr, d.port),
}


def teardown_netns(procs, namespaces):
    """Kill the peers a namespace test started (each in its own process
    group) and delete its namespaces, whatever state they are in."""
    for p in procs:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            p.wait(5)
    for n in namespaces:
        subprocess.run(["ip", "netns", "del", n], capture_output=True)


def wait_until(cond, timeout, what, step=0.1):
    """cond()'s first true value within timeout s, polled every step s; the
    test fails naming `what` if there is none."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(step)
    pytest.fail("%s: not within %.0f s" % (what, timeout), pytrace=False)


def measure_within(fn, expected, tol=OFFSET_TOL, attempts=3):
    """Run a measuring client up to `attempts` times; return the list of
    offsets seen, stopping at the first within tol of expected.

    The Python clients (ntpdig, ntplib) take their own timestamps in Python,
    so a cold start or a descheduling can add a few hundred microseconds of
    one-sided error; a systematic server error fails every attempt."""
    seen = []
    for _ in range(attempts):
        off, _, _ = fn()
        seen.append(off)
        if abs(off - expected) <= tol:
            break
    return seen


# --------------------------------------------------------------------------
# stats

def flatten(obj, prefix=""):
    out = {}
    for k, v in obj.items():
        key = prefix + str(k)
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def delta(before, after):
    keys = set(before) | set(after)
    return {k: after.get(k, 0) - before.get(k, 0) for k in keys}


def udp_sockets_of(pid, addr, port):
    """Inodes of the UDP sockets of process `pid` bound to addr:port
    (read from /proc, so no dependency on ss/netstat)."""
    import ipaddress
    ip = ipaddress.ip_address(addr)
    table = "/proc/net/udp6" if ip.version == 6 else "/proc/net/udp"
    raw = ip.packed
    # the kernel prints each 32-bit word of the address in host byte order
    words = [raw[i:i + 4] for i in range(0, len(raw), 4)]
    if __import__("sys").byteorder == "little":
        words = [w[::-1] for w in words]
    want = "%s:%04X" % ("".join(w.hex().upper() for w in words), port)
    inodes = set()
    with open(table) as f:
        next(f)
        for line in f:
            fields = line.split()
            if fields[1] == want:
                inodes.add(fields[9])
    mine = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            mine.add(target[8:-1])
    return mine


STATS_KEYS = {
    "received", "answered", "kod_sent", "ratelimited", "ratelimit_leaked", "send_errors",
    "dropped.short", "dropped.bad_version", "dropped.bad_length",
    "dropped.oversized", "dropped.mode_control", "dropped.mode_private",
    "dropped.mode_other", "dropped.denied", "dropped.ratelimited",
    "dropped.auth", "dropped.peer_unauthenticated", "auth_ok", "auth_fail", "crypto_nak",
    "version.1", "version.2", "version.3", "version.4",
}


class Hammer:
    """Background client that keeps sending requests from `src` every
    `period` seconds (to keep a per-address rate limit exhausted) and counts
    what comes back."""

    def __init__(self, server, port, src="127.0.0.1", period=0.02):
        import threading
        self.server, self.port, self.src, self.period = server, port, src, period
        self.sent = 0
        self.normal = 0
        self.kod = 0
        self.other = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        s = udp_socket(self.server, self.src)
        try:
            next_send = time.monotonic()
            drain_until = None
            while True:
                now = time.monotonic()
                if self._stop.is_set():
                    if drain_until is None:
                        drain_until = now + 0.3
                    if now >= drain_until:
                        break
                elif now >= next_send:
                    s.sendto(build_request()[0], (self.server, self.port))
                    self.sent += 1
                    next_send = now + self.period
                r, _, _ = select.select([s], [], [], 0.005)
                if r:
                    rep = Reply(s.recv(65536))
                    if is_kod_rate(rep):
                        self.kod += 1
                    elif rep.stratum != 0:
                        self.normal += 1
                    else:
                        self.other += 1
        finally:
            s.close()

    def __enter__(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(5)

    def __exit__(self, *exc):
        self.stop()

    def __repr__(self):
        return "Hammer(sent=%d normal=%d kod=%d other=%d)" % (
            self.sent, self.normal, self.kod, self.other)
