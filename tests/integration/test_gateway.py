"""The one-way timestamp gateway (issue 4), through a true diode.

Two network namespaces joined by a veth pair (198.18.9.0/24): the sender's
side (S) and the receiver's side (R). In R, nftables drops every packet
(and every ARP packet) leaving towards S, and a counter on S's ingress
proves that nothing ever came back; S reaches R through a static
neighbour entry, as it must behind a diode. In R the project's impairment
relay adds 500 us +- 100 us (uniform) before the receiver's port. The relay
sends a warm-up datagram 100 us before each release (`--warm`): on this VM a
send after a quarter of a second's rest takes 30-50 us to reach the device,
by an amount that drifts with whatever else ran, while a warmed one takes
4-5 us, so the path stays what the commissioning measured.

Truth is the machine clock: the sender runs `clock null` (its time is the
machine clock), the receiver `clock virtual` started 1.7 s and 80 ppm off,
and the machine clock is also the common reference of the calibration.
Nothing here can change the machine clock (setpriv without CAP_SYS_TIME).

The delay each message really had is measured too, not taken from the
relay's nominal figures: the relay's wake-up and the two network stacks
add tens of microseconds that vary with the machine's load. Two captures
(tests/tools/udp_capture.py) take the kernel's receive stamps where a
message enters R from the veth and where it reaches the receiver's port.
The first is taken in the same call chain as the sender's own transmit
stamp (veth_xmit hands the packet to the peer's netif_rx), under a
microsecond after it; a capture on S's way out would not do: the kernel
stamps a tapped outgoing packet before delivering it to the tap, and that
delivery (about 9 us here) comes before the sender's transmit stamp.
"""

import hashlib
import hmac
import json
import os
import struct
import subprocess
import time

import pytest

import ntp_helpers as nh
from conftest import GNOMONCTL
from test_client import RELAY, tracking, wait_for

S_IP, R_IP = "198.18.9.1", "198.18.9.2"
RECV_PORT = 4123
INTERVAL = 0.25
KEY_ID = 5
KEY = bytes(range(0x20, 0x40))            # 32 bytes
KEYS = "%d SHA256 HEX:%s\n6 SHA256 HEX:%s\n" % (KEY_ID, KEY.hex(), ("ab" * 32))
RELAY_DELAY, RELAY_JITTER = 500e-6, 100e-6   # uniform: 400..600 us
CAPTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools",
                       "udp_capture.py")
FILTER_WINDOW = 8          # the receiver's default filter: min over 8
# How far the receiver's clock may be from what the true delays and the
# correction predict: the discipline's own wander around the filtered
# samples (up to 35 us seen on an ASan build with one core kept busy, 60 us
# with both cores busy), with a margin. Forged or replayed time would be
# off by far more.
TRUTH_BOUND = 80e-6
# The discipline averages its samples over tens of seconds while the true
# delays drift with the machine's load (the relay's wake-up): a load change
# shifts the truth at once and the clock only over that memory (98 us from
# the last 8 s of truth seen in CI, with the samples themselves right). The
# clock is held to the range the filtered truth spanned over this window.
DISC_MEMORY = 30.0
# Issue 12's figure for the diode after commissioning: median |error|.
DIODE_MEDIAN = 20.0


def sh(*argv, check=True):
    cp = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if check:
        assert cp.returncode == 0, nh.describe(cp)
    return cp


def nft(ns, script):
    cp = subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=script,
                        capture_output=True, text=True, timeout=20)
    assert cp.returncode == 0, nh.describe(cp)


def nft_counter(ns, family, table, name):
    cp = sh("ip", "netns", "exec", ns, "nft", "-j", "list", "counter", family, table, name)
    for item in json.loads(cp.stdout)["nftables"]:
        if "counter" in item:
            return item["counter"]["packets"]
    raise AssertionError(cp.stdout)


class Diode:
    def __init__(self, tag):
        self.ns_s, self.ns_r = "gngw-s-" + tag, "gngw-r-" + tag
        self.if_s, self.if_r = "gngws" + tag, "gngwr" + tag
        self.relay = None
        self.relay_port = None

    def up(self):
        sh("ip", "netns", "add", self.ns_s)
        sh("ip", "netns", "add", self.ns_r)
        sh("ip", "link", "add", self.if_s, "netns", self.ns_s, "type", "veth", "peer", "name",
           self.if_r, "netns", self.ns_r)
        for ns, ifn, ip in ((self.ns_s, self.if_s, S_IP), (self.ns_r, self.if_r, R_IP)):
            sh("ip", "-n", ns, "addr", "add", ip + "/24", "dev", ifn)
            sh("ip", "-n", ns, "link", "set", ifn, "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        mac = json.loads(sh("ip", "-n", self.ns_r, "-j", "link", "show", self.if_r).stdout)[0]
        # A diode answers no ARP: the sender needs a permanent entry.
        sh("ip", "-n", self.ns_s, "neigh", "replace", R_IP, "lladdr", mac["address"], "dev",
           self.if_s, "nud", "permanent")
        # The diode: nothing leaves R towards S, not even ARP.
        nft(self.ns_r, """
table inet diode {
  counter dropped10 {
  }
  chain out {
    type filter hook output priority 0;
    oifname "%s" counter drop
  }
  chain in {
    type filter hook input priority 0;
  }
}
table arp diode {
  chain out {
    type filter hook output priority 0;
    counter drop
  }
}
""" % self.if_r)
        # The proof: everything that ever reaches S from the link.
        nft(self.ns_s, """
table netdev back {
  counter came_back {
  }
  chain in {
    type filter hook ingress device "%s" priority 0;
    counter name came_back
  }
}
""" % self.if_s)
        assert os.access(RELAY, os.X_OK), RELAY
        self.relay = subprocess.Popen(
            ["ip", "netns", "exec", self.ns_r] + nh.NO_SYS_TIME +
            [RELAY, "--listen", "%s:0" % R_IP, "--to", "127.0.0.1:%d" % RECV_PORT,
             "--fwd", "delay=500us,jitter=100us", "--seed", "7", "--spin", "1ms",
             "--warm", "100us"] +
            # GNOMON_GW_RELAY_STATS=FILE keeps the relay's statistics
            # (its applied delays, doc/gateway.md's study).
            (["--stats-file", os.environ["GNOMON_GW_RELAY_STATS"]]
             if os.environ.get("GNOMON_GW_RELAY_STATS") else []),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        line = self.relay.stdout.readline()
        assert line.startswith("relay: listening on "), (line, self.relay.stderr.read())
        self.relay_port = int(line.split()[3].rsplit(":", 1)[1])

    def down(self):
        if self.relay:
            self.relay.terminate()
            try:
                self.relay.wait(5)
            except subprocess.TimeoutExpired:
                self.relay.kill()
        for ns in (self.ns_s, self.ns_r):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


@pytest.fixture
def diode():
    if os.geteuid() != 0:
        pytest.skip("needs root for network namespaces")
    d = Diode("%d" % (os.getpid() % 100000))
    try:
        d.up()
        yield d
    finally:
        d.down()


def window_mins(d):
    """The receiver's filter (min over FILTER_WINDOW) over every window of
    consecutive delays."""
    return [min(d[i:i + FILTER_WINDOW]) for i in range(len(d) - FILTER_WINDOW + 1)]


class Truth:
    """The one-way delay every gateway message really had (module doc)."""

    def __init__(self, diode, tmp_path):
        self.files = (tmp_path / "capture-sender", tmp_path / "capture-receiver")
        self.procs = []
        for ifn, port, out in ((diode.if_r, diode.relay_port, self.files[0]),
                               ("lo", RECV_PORT, self.files[1])):
            p = subprocess.Popen(["ip", "netns", "exec", diode.ns_r, "/usr/bin/python3", CAPTURE,
                                  ifn, "in", str(port), str(out)], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, start_new_session=True)
            self.procs.append(p)
            line = p.stdout.readline()
            assert line.strip() == "capturing", (line, p.stderr.read())

    @staticmethod
    def _read(path):
        out = []
        for line in path.read_text().splitlines():
            parts = line.split(" ")
            if len(parts) == 2 and parts[0].isdigit() and len(parts[1]) % 2 == 0:
                out.append((int(parts[0]), parts[1]))
        return out

    def _arrivals(self):
        """(machine time of arrival, true delay), both in seconds, of every
        message captured at both ends, in the receiver's arrival order."""
        sent = {payload: t for t, payload in self._read(self.files[0])}
        return [(t / 1e9, (t - sent[payload]) / 1e9) for t, payload in self._read(self.files[1])
                if payload in sent]

    def delays(self, since=0.0, until=float("inf")):
        """True delays in seconds, in the receiver's arrival order (of the
        messages that arrived between the two machine times given)."""
        return [d for t, d in self._arrivals() if since <= t <= until]

    def by_seq(self):
        """True delay of each message by its sequence number (body offset
        16, doc/gateway-protocol.md)."""
        sent = {payload: t for t, payload in self._read(self.files[0])}
        return {int(payload[32:48], 16): (t - sent[payload]) / 1e9
                for t, payload in self._read(self.files[1]) if payload in sent}

    def filtered(self, last=32):
        """The receiver's filter (min over 8) over the true delays of the
        last `last` messages, averaged: what its samples saw lately."""
        d = self.delays()[-last:]
        assert len(d) >= FILTER_WINDOW, d
        mins = window_mins(d)
        return sum(mins) / len(mins)

    def filtered_range(self, seconds=DISC_MEMORY):
        """The lowest and highest of the receiver's filter (min over 8)
        over the true delays of the messages of the last `seconds` (at
        least the last 32 messages)."""
        d = self.delays()
        recent = self.delays(since=time.time() - seconds)
        d = d[-max(len(recent), 32):]
        assert len(d) >= FILTER_WINDOW, d
        mins = window_mins(d)
        return min(mins), max(mins)

    def filtered_slices(self, seconds=10.0):
        """The receiver's filter (min over 8) over the true delays, averaged
        over consecutive slices of `seconds` from the first message on (in
        microseconds): how the path moved during a run."""
        arr = self._arrivals()
        out = []
        k = 0
        while arr and arr[0][0] + k * seconds < arr[-1][0]:
            lo = arr[0][0] + k * seconds
            d = [x for t, x in arr if lo <= t < lo + seconds]
            if len(d) >= FILTER_WINDOW:
                mins = window_mins(d)
                out.append(round(sum(mins) / len(mins) * 1e6, 1))
            k += 1
        return out

    def stop(self):
        for p in self.procs:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.fixture
def truth(diode, tmp_path):
    t = Truth(diode, tmp_path)
    try:
        yield t
    finally:
        t.stop()


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def on_truth(recv, truth, sender):
    """(ok, tracking, (error, expected, low, high) in us): whether the
    receiver's clock error lies within TRUTH_BOUND of where the true delays
    of the last DISC_MEMORY seconds put it. The sender adds its correction
    to each label, so the receiver's offset samples are correction minus
    the true (filtered) delay, and its clock settles there; `expected` is
    that point for the last 8 s."""
    t = tracking(recv)
    corr = gateway(sender)["senders"][0]["correction"]
    lo, hi = truth.filtered_range()
    err, want = t["clock_minus_system"], corr - truth.filtered()
    ok = corr - hi - TRUTH_BOUND < err < corr - lo + TRUTH_BOUND
    return ok, t, tuple(round(x * 1e6, 1) for x in (err, want, corr - hi, corr - lo))


def off_truth(what, recv, history):
    return ("%s: receiver not within %.0f us of the truth; (error, expected, low, high) us "
            "%s\nreceiver: %s\ntracking: %s" % (what, TRUTH_BOUND * 1e6, history[-12:],
                                                json.dumps(gateway(recv)["receiver"]),
                                                json.dumps(tracking(recv))))


def settled_on_truth(recv, truth, sender, timeout, hold=5):
    """Wait until the receiver's clock error stays on_truth() for `hold`
    reads half a second apart; returns the history of (error, expected,
    low, high) in microseconds, asserting on timeout."""
    t0 = time.monotonic()
    good, history = 0, []
    while time.monotonic() - t0 < timeout:
        ok, _, h = on_truth(recv, truth, sender)
        history.append(h)
        good = good + 1 if ok else 0
        if good >= hold:
            return history
        time.sleep(0.5)
    raise AssertionError(off_truth("after %.0f s" % timeout, recv, history))


def assert_clock_held(recv, steps, truth, sender, reads=6):
    """The receiver's error stays on_truth() for `reads` reads half a second
    apart, with no new step."""
    history = []
    for _ in range(reads):
        ok, t, h = on_truth(recv, truth, sender)
        history.append(h)
        assert ok, off_truth("clock not held", recv, history)
        assert t["steps"] == steps, t
        time.sleep(0.5)


def gateway(d):
    cp = subprocess.run([GNOMONCTL, "-s", d.ctl, "--json", "gateway"], capture_output=True,
                        text=True, timeout=10)
    assert cp.returncode == 0, nh.describe(cp)
    return json.loads(cp.stdout)


def forge(seq, boot_id, tx, key=KEY, key_id=KEY_ID, flags=1, interval_ms=250, sender=1):
    """A version-1 TIME message (doc/gateway-protocol.md) with HMAC-SHA256."""
    sec, ns = int(tx), int((tx % 1) * 1e9)
    body = struct.pack("!4sBBHHHIQQQIBBbBQQqQQIIQ", b"GNMG", 1, 1, 136, flags, 0, key_id, seq,
                       boot_id, sec, ns, 2, 0, -20, 0, 0, 0, 0, 0, 0, 0, interval_ms, sender)
    assert len(body) == 104
    return body + hmac.new(key, body, hashlib.sha256).digest()


def send_from_s(diode, packets):
    code = ("import socket,sys\n"
            "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
            "for h in sys.argv[3:]:\n"
            "    s.sendto(bytes.fromhex(h),(sys.argv[1],int(sys.argv[2])))\n")
    sh("ip", "netns", "exec", diode.ns_s, "/usr/bin/python3", "-c", code, R_IP,
       str(diode.relay_port), *[p.hex() for p in packets])


def sender_conf(diode, keys, correction="none", journal=None):
    return ("clock null\nlocal stratum 1\nallow 198.18.0.0/15\nkeyfile %s\n"
            "gateway-send to %s:%d interval %g key %d correction %s\n%s"
            % (keys, R_IP, diode.relay_port, INTERVAL, KEY_ID, correction,
               "journal file %s\n" % journal if journal else ""))


def journal_records(path, code):
    """The key=value fields of every record with this code."""
    out = []
    for line in path.read_text().splitlines():
        parts = line.split(" ")
        if len(parts) >= 3 and parts[2] == code:
            out.append(dict(p.split("=", 1) for p in parts[3:] if "=" in p and
                            not p.startswith('"')))
    return out


def test_gateway_through_a_diode(gnomond, diode, truth, tmp_path, user_dir):
    keys = tmp_path / "keys"
    keys.write_text(KEYS)
    cal = tmp_path / "gw.cal"

    # 1. Commissioning: calibrate while both sides share the machine clock.
    sender = gnomond(sender_conf(diode, keys), addr=S_IP, netns=diode.ns_s)
    cp = subprocess.run(["ip", "netns", "exec", diode.ns_r] + nh.NO_SYS_TIME +
                        [GNOMONCTL, "gateway", "calibrate", "--listen", "127.0.0.1:%d" % RECV_PORT,
                         "--keyfile", str(keys), "--key", str(KEY_ID), "--duration", "12",
                         "--json", "--out", str(cal)],
                        capture_output=True, text=True, timeout=60)
    assert cp.returncode == 0, nh.describe(cp)
    c = json.loads(cp.stdout)
    print("calibration:", c)
    assert c["samples"] >= 30 and c["two_step"] >= c["samples"] - 1, c
    # The captures measured the same messages: each two-step delay the
    # calibration took is the true one within the few microseconds between
    # the capture's stamp points and the gateway's (5-9 us seen, idle or
    # loaded: 2-3 us per message); the first message's one-step figure (its label, taken
    # before sending) is left out. The relay's nominal figures (a median
    # of 500 us) say little under load: the relay's wake-up adds more.
    true = truth.by_seq()
    diffs = sorted(delay - true[seq] for seq, delay, two in c["messages"] if two)
    print("calibration minus truth, per message (us): median %.1f, range %.1f..%.1f" % (
        median(diffs) * 1e6, diffs[0] * 1e6, diffs[-1] * 1e6))
    assert len(diffs) >= c["samples"] - 2, (len(diffs), c["samples"])
    # A rare message is off by more (28 us seen with both cores busy): the
    # bound is on nine in ten.
    assert abs(median(diffs)) < 10e-6, diffs
    assert sum(abs(x) < 25e-6 for x in diffs) >= 0.9 * len(diffs), diffs
    # The correction written is the receiver's filter (min over 8) over the
    # calibration's delays in order: over the true delays of the same
    # messages it gives the same figure.
    seq_true = [true[seq] for seq, _, _ in c["messages"]]
    mins = window_mins(seq_true)
    assert abs(c["delay"] - sum(mins) / len(mins)) < 10e-6, (c["delay"], mins)
    # No message can be faster than the relay's least delay.
    assert min(d for _, d, two in c["messages"] if two) > RELAY_DELAY - RELAY_JITTER, c
    assert "gnomon-gateway-calibration 1" in cal.read_text()
    st = gateway(sender)["senders"][0]
    assert st["tx_timestamps"] > 0 and st["send_errors"] == 0, st
    sender.stop()

    # 2. The receiver, 1.7 s and 80 ppm off, follows the calibrated sender.
    # Journals are written and rotated by gnomond's user.
    s_journal, r_journal = user_dir / "sender.journal", user_dir / "receiver.journal"
    sender = gnomond(sender_conf(diode, keys, "calibrated %s" % cal, s_journal), addr=S_IP,
                     netns=diode.ns_s)
    recv = gnomond("clock virtual offset 1.7 freq 80\nallow 198.18.0.0/15\nkeyfile %s\n"
                   "gateway-receive on 127.0.0.1:%d sender 1 key %d 6 maxloss 1\nmakestep 0.1 3\n"
                   "journal file %s\n" % (keys, RECV_PORT, KEY_ID, r_journal),
                   addr=R_IP, netns=diode.ns_r)
    # Held for 10 s, not entered: while the discipline still learns the
    # 80 ppm the clock swings through the band at ~100 us/s (CI saw five
    # reads in it, 74 to -148 us, and the next one out).
    hist = settled_on_truth(recv, truth, sender, 90, hold=20)
    print("receiver on the truth; (error, expected) history (us): %s" % hist[-10:])
    # After commissioning, the clock's error against the truth (the
    # machine clock): 20 reads half a second apart, once settled, printed
    # for doc/gateway.md; the clock is held as on_truth() holds it. Issue
    # 12 asks a median <= 20 us; over a minute it measured 3.8-21.1 us
    # (doc/gateway.md). The first 10 s after settling, all the CI has time
    # for, still carry the end of the approach (9.7-32.2 us seen, one core
    # kept busy or not; 25.8 and 37.2 us on the ASan build with another
    # test running), so that block is held to 3 times the figure: a path
    # that drifts from its calibration as it did before the relay's
    # warm-up (40-76 us in that block) can fail it.
    # GNOMON_GW_BLOCKS=N measures N such blocks of 10 s in a row, each
    # printed (doc/gateway.md's table; not in the CI, whose time it is).
    blocks = max(1, int(os.environ.get("GNOMON_GW_BLOCKS", "1")))
    all_errs = []
    for block in range(blocks):
        errs, offs = [], []
        for _ in range(20):
            ok, _, h = on_truth(recv, truth, sender)
            assert ok, off_truth("clock not held after commissioning", recv, [h])
            errs.append(abs(h[0]))
            offs.append(abs(h[0] - h[1]))
            time.sleep(0.5)
        print("after commissioning, block %d (%d-%d s after settling): median |error| %.1f us "
              "(max %.1f), median |error - expected| %.1f us"
              % (block + 1, 10 * block, 10 * block + 10, median(errs), max(errs),
                 median(offs)))
        all_errs += errs
        if block == 0:
            assert median(errs) <= 3 * DIODE_MEDIAN, (
                "median |error| %.1f us over the first 10 s after settling" % median(errs))
    if blocks > 1:
        print("after commissioning, %d s: median |error| %.1f us, 90th percentile %.1f us"
              % (10 * blocks, median(all_errs), sorted(all_errs)[int(0.9 * len(all_errs))]))
        print("the path, min over 8 of the true delays in slices of 10 s from the "
              "calibration on (us): %s; calibrated %.1f us"
              % (truth.filtered_slices(), c["delay"] * 1e6))
    tr = tracking(recv)
    assert tr["stratum"] == 2 and tr["synchronised"], tr
    g = gateway(recv)["receiver"]
    assert g["two_step"] > 0 and g["rejected"]["bad_mac"] == 0, g
    src = json.loads(subprocess.run([GNOMONCTL, "-s", recv.ctl, "--json", "sources"],
                                    capture_output=True, text=True, timeout=10).stdout)
    assert [s["mode"] for s in src["sources"]] == ["gateway"], src
    assert src["sources"][0]["state"] == "*" and src["sources"][0]["stratum"] == 1, src
    # ... and serves it to an ordinary NTP client on the protected side.
    cp = subprocess.run(["ip", "netns", "exec", diode.ns_r, "ntpdig", "-t", "2", "-j", R_IP],
                        capture_output=True, text=True, timeout=20)
    line = [l for l in cp.stdout.splitlines() if l.startswith("{")]
    assert cp.returncode == 0 and line, nh.describe(cp)
    assert json.loads(line[0])["stratum"] == 2, line

    # 3. Every 10th message dropped: the gap count is exactly the drops.
    lost0 = gateway(recv)["receiver"]["sequence"]["lost"]
    nft(diode.ns_r, "add rule inet diode in udp dport %d numgen inc mod 10 == 0 "
                    "counter name dropped10 drop\n" % diode.relay_port)
    time.sleep(6)
    sh("ip", "netns", "exec", diode.ns_r, "nft", "flush", "chain", "inet", "diode", "in")
    time.sleep(1)
    dropped = nft_counter(diode.ns_r, "inet", "diode", "dropped10")
    lost = gateway(recv)["receiver"]["sequence"]["lost"] - lost0
    assert dropped >= 2 and lost == dropped, (dropped, lost)
    # 2 or 3 of the last 100 expected lost is above maxloss 1 %: the alarm.
    assert gateway(recv)["receiver"]["loss_alarms"] >= 1
    assert journal_records(r_journal, "GW_LOSS_ALARM")
    # ... and journalled, gap by gap.
    gaps = journal_records(r_journal, "GW_GAP")
    assert sum(int(g["lost"]) for g in gaps) == dropped, gaps

    # 4. Forged, replayed and truncated messages: counted, and the clock
    # does not move.
    g0 = gateway(recv)["receiver"]
    boot = int(g0["boot_id"], 16)
    now = time.time()
    send_from_s(diode, [
        forge(g0["last_seq"] + 1000, boot, now + 100, key=b"\x01" * 32),     # wrong key
        forge(g0["last_seq"] + 1001, boot, now + 100, key_id=99),            # unknown key
        forge(g0["last_seq"] - 1000, boot, now - 12.5),                      # replay
        forge(g0["last_seq"] + 2000, boot, now + 3)[:60],                    # truncated
    ])
    g1 = wait_for(lambda: (lambda g: g if g["sequence"]["replays"] > g0["sequence"]["replays"]
                           else None)(gateway(recv)["receiver"]), 10)
    assert g1, gateway(recv)["receiver"]
    assert g1["rejected"]["bad_mac"] - g0["rejected"]["bad_mac"] == 1, g1
    assert g1["rejected"]["unknown_key"] - g0["rejected"]["unknown_key"] == 1, g1
    assert g1["rejected"]["short"] - g0["rejected"]["short"] == 1, g1
    assert g1["sequence"]["replays"] - g0["sequence"]["replays"] == 1, g1
    reasons = [r["reason"] for r in journal_records(r_journal, "GW_REJECT")]
    for why in ("bad_mac", "unknown_key", "short", "replay"):
        assert why in reasons, reasons
    assert_clock_held(recv, tracking(recv)["steps"], truth, sender)

    # 5. The sender dies: "gateway silent" within its 3 intervals (and the
    # 0.25 s watch); it comes back as a restart.
    g5 = gateway(recv)["receiver"]
    restarts, seq_before = g5["sequence"]["restarts"], g5["last_seq"]
    sender.stop()
    t0 = time.monotonic()
    assert wait_for(lambda: gateway(recv)["receiver"]["silent"], 5, step=0.1)
    assert time.monotonic() - t0 < 3 * INTERVAL + 1.5
    assert "gateway silent" in recv.log()
    assert journal_records(r_journal, "GW_SILENT"), r_journal.read_text()
    # It comes back unsynchronised (no `local`): heartbeats, flagged, keep
    # the gateway alive but give the discipline nothing.
    unsync = gnomond(sender_conf(diode, keys, "calibrated %s" % cal).replace(
        "local stratum 1\n", ""), addr=S_IP, netns=diode.ns_s)
    g = wait_for(lambda: (lambda g: g if not g["silent"] and g["sender_unsync"] >= 4
                          else None)(gateway(recv)["receiver"]), 10)
    assert g and g["sequence"]["restarts"] == restarts + 1, g
    assert g["sender_stratum"] == 16 and g["sender_flags"] & 1 == 0, g
    # The sequence goes on across restarts (monotonic, new boot id).
    assert g["last_seq"] > seq_before and g["boot_id"] != g5["boot_id"], (g5, g)
    samples = g["samples"]
    time.sleep(1)
    assert gateway(recv)["receiver"]["samples"] == samples
    unsync.stop()
    # Back with the formula method given the relay's nominal figures: the
    # least of 8 delays of 400..600 us averages 400 + 200/9 us; the frame
    # (136 + 66 bytes at 1 Gbit/s) adds 1.6 us. The clock settles where that
    # correction and the true delays put it.
    predicted = RELAY_DELAY - RELAY_JITTER + 2 * RELAY_JITTER / 9
    formula = "formula bitrate 1e9 latency %.7f" % (predicted - 202 * 8 / 1e9)
    sender = gnomond(sender_conf(diode, keys, formula, s_journal), addr=S_IP, netns=diode.ns_s)
    g = wait_for(lambda: (lambda g: g if g["sequence"]["restarts"] == restarts + 2 and
                          g["samples"] > samples else None)(gateway(recv)["receiver"]), 10)
    assert g, gateway(recv)["receiver"]
    st = gateway(sender)["senders"][0]
    assert st["correction_method"] == "formula" and abs(st["correction"] - predicted) < 1e-7, st
    # The switch moves the target by the two figures' difference (tens of
    # microseconds): the clock follows.
    settled_on_truth(recv, truth, sender, 30)
    assert g["silent_alarms"] >= 1, g
    assert journal_records(r_journal, "GW_RECOVERED") and journal_records(r_journal, "GW_RESTART")
    # The sender's path check: a static neighbour, carrier, timestamps.
    health = journal_records(s_journal, "GW_HEALTH")
    assert health and int(health[-1]["health"], 16) & 0x1f == 0x1f, s_journal.read_text()

    # The same counters in the metrics registry (for HTTP and SNMP later).
    cp = subprocess.run([GNOMONCTL, "-s", recv.ctl, "--json", "metrics"], capture_output=True,
                        text=True, timeout=10)
    met = json.loads(cp.stdout)["metrics"]
    g = gateway(recv)["receiver"]
    assert met["gnomon_gateway_rx_lost_total"] == g["sequence"]["lost"], met
    assert met["gnomon_gateway_rx_rejected_bad_mac_total"] == g["rejected"]["bad_mac"], met
    assert met["gnomon_gateway_rx_silent"] == 0 and met["gnomon_journal_written_total"] > 0, met

    text = subprocess.run([GNOMONCTL, "-s", recv.ctl, "gateway"], capture_output=True,
                          text=True, timeout=10).stdout
    assert "Receiver on 127.0.0.1 port %d, filter min over 8" % RECV_PORT in text, text
    assert "receiving" in text and "restarts 2" in text, text

    # 6. Nothing ever came back through the diode.
    assert nft_counter(diode.ns_s, "netdev", "back", "came_back") == 0
