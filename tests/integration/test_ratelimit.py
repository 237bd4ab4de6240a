"""Rate limiting: `ratelimit interval 1 burst 4` (one request per 2 s, bursts
of 4).  Over the limit a request is answered only with probability 2^-leak
(default leak 2: one in four), chosen at random; with `kod on` half of the
answered ones are Kiss-o'-Death RATE packets, the other half normal replies,
with `kod off` all are normal replies; the rest are dropped.  Everything is
counted.  A client is a /32 (IPv4) or a /64 (IPv6).  The KoD must also be
understood by real clients: ntpdig and chronyd.

The flood tests send 10,000 requests from one address, and from 1,000
addresses of one IPv6 /64 (in a network namespace of their own, with the
/64 routed locally), and check the replies against the bound the limiter
promises: the burst, plus one per interval of the time the flood took, plus
the leaked share of the rest, with a margin of six binomial standard
deviations (a false failure about once in 10^9 runs).
"""

import json
import math
import os
import subprocess
import sys
import time

import pytest

import ntp_helpers as nh
from conftest import BASE

RL = "ratelimit interval 1 burst 4\n"
N = 30
SRC = "127.0.0.1"  # the source the kernel gives ntpdig/chronyd on loopback
FLOOD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rl_flood.py")


def ordered(xmts, replies):
    return [replies.get(x) for x in xmts]


def six_sigma(n, p):
    return 6 * math.sqrt(n * p * (1 - p))


def check_leak_counters(dl, over):
    """The server's own account of `over` requests over the limit."""
    assert dl["ratelimited"] == over, dl
    assert dl["dropped.ratelimited"] + dl["ratelimit_leaked"] == over, dl
    assert abs(dl["ratelimit_leaked"] - over / 4) <= six_sigma(over, 0.25), (
        "leak 2 answers one in four over-limit requests", dl)


def test_kod_on_burst(gnomond):
    d = gnomond(BASE + RL + "kod on\n")
    before = d.stats()
    xmts, replies = nh.burst(d.addr, d.port, N, src=SRC)
    reps = ordered(xmts, replies)
    assert all(r is not None for r in reps[:4]), reps
    assert all(r.stratum == 10 for r in reps[:4]), "burst 4: the first 4 are answered: %r" % reps
    for r, x in zip(reps, xmts):
        assert r is None or (r.mode == 4 and r.version == 4 and r.org == x), r
    late = [r for r in reps[4:] if r is not None]
    kods = [r for r in late if r.stratum == 0]
    for k in kods:
        assert nh.is_kod_rate(k), "not a KoD RATE (want stratum 0, refid RATE, LI 3): %r" % k
    dl = nh.delta(before, d.stats())
    assert dl["received"] == N, dl
    assert dl["answered"] == 4 + len(late) - len(kods), dl
    assert dl["kod_sent"] == len(kods), dl
    assert dl["ratelimit_leaked"] == len(late), dl
    check_leak_counters(dl, N - 4)
    assert len(late) < N - 4, "no over-limit request was dropped: %r" % reps

    # the limit is per address: another source is served at once
    other = nh.query(d.addr, d.port, src="127.0.0.9")
    assert other is not None and other.stratum == 10, other
    # and after the interval (2 s) the limited source is served again
    time.sleep(2.5)
    again = nh.query(d.addr, d.port, src=SRC)
    assert again is not None and again.stratum == 10, (
        "still limited 2.5 s after the burst: %r" % again)


def test_kod_off_silent_drop(gnomond):
    d = gnomond(BASE + RL + "kod off\n")
    before = d.stats()
    xmts, replies = nh.burst(d.addr, d.port, N, src=SRC)
    reps = ordered(xmts, replies)
    got = [r for r in reps if r is not None]
    assert all(r.stratum == 10 for r in got), "kod off must never send a KoD: %r" % got
    assert all(r is not None for r in reps[:4]), "burst 4: the first 4 are answered: %r" % reps
    leaked = len(got) - 4
    dl = nh.delta(before, d.stats())
    assert dl["received"] == N, dl
    assert dl["answered"] == len(got), dl
    assert dl["kod_sent"] == 0, dl
    assert dl["ratelimit_leaked"] == leaked, dl
    assert dl["dropped.ratelimited"] == N - 4 - leaked, dl
    check_leak_counters(dl, N - 4)


# With leak 1 half of the over-limit requests are answered, half of those
# with a KoD: a peer tool's request gets one with probability 1/4, so a few
# tries find one (P(none in TRIES) = 0.75^TRIES).
RL_LEAK1 = "ratelimit interval 1 burst 4 leak 1\nkod on\n"
TRIES = 50


def test_kod_reaches_ntpdig(gnomond):
    """ntpdig has no KoD report of its own: it drops the reply with
    "Response dropped: stratum 0, probable KOD packet", exits 1, and with
    -D 2 hex-dumps the reply, whose refid column reads RATE."""
    d = gnomond(BASE + RL_LEAK1)
    before = d.stats()
    outcomes = []
    with nh.Hammer(d.addr, d.port, src=SRC) as h:
        time.sleep(0.3)  # well past the burst
        for _ in range(TRIES):
            cp = nh.run_peer(["ntpdig", "-D", "2", "-t", "1", d.addr])
            if "probable KOD packet" in cp.stderr:
                break
            outcomes.append(cp.returncode)
    dl = nh.delta(before, d.stats())
    assert "probable KOD packet" in cp.stderr, (
        "no KoD reached ntpdig in %d tries (exit codes %s)" % (TRIES, outcomes), dl)
    assert cp.returncode == 1, nh.describe(cp)
    # the dumped reply: ... 52 41 54 45 ...RATE
    assert "52 41 54 45" in cp.stdout and "RATE" in cp.stdout, nh.describe(cp)
    assert h.kod > 0, h
    assert dl["kod_sent"] - h.kod >= 1, ("gnomond sent no KoD to ntpdig", dl, h)


def test_kod_reaches_chronyd(gnomond):
    """chronyd 4.3 logs "Received KoD RATE from ADDR" for a KoD that passes
    its tests 1, 2, 3 and 5 -- in particular test 3 wants non-zero receive and
    transmit timestamps in the KoD (ntpd fills them in too).  A KoD with zero
    timestamps is silently ignored by chronyd, which then never backs off.
    chronyd may also get a measurement: the leak answers some over-limit
    requests normally, so that a client whose address an attacker spoofs
    is not cut off (what chrony's own leak is for)."""
    d = gnomond(BASE + RL_LEAK1)
    before = d.stats()
    runs = []
    with nh.Hammer(d.addr, d.port, src=SRC) as h:
        time.sleep(0.3)
        for _ in range(8):
            cp = nh.chronyd_q(d.addr, d.port, timeout=6)
            runs.append(cp)
            if "Received KoD RATE from %s" % d.addr in cp.stdout + cp.stderr:
                break
    dl = nh.delta(before, d.stats())
    to_chronyd = dl["kod_sent"] - h.kod
    assert to_chronyd >= 1, ("gnomond sent no KoD to chronyd while it queried",
                             dl, h, nh.describe(cp))
    # What do gnomond's KoDs look like?  (for the message below)
    xmts, replies = nh.burst(d.addr, d.port, 40, src=SRC)
    kods = [r for r in replies.values() if r.stratum == 0]
    assert "Received KoD RATE from %s" % d.addr in cp.stdout + cp.stderr, (
        "chronyd did not report the KoD RATE in %d runs; KoDs from gnomond look like %r\n%s"
        % (len(runs), kods[:2], nh.describe(cp)))


def test_kod_has_usable_timestamps(gnomond):
    """The property chronyd needs (see above), checked directly."""
    d = gnomond(BASE + RL_LEAK1)
    xmts, replies = nh.burst(d.addr, d.port, 200, src=SRC)
    kods = [r for r in replies.values() if r.stratum == 0]
    assert kods, replies
    for k in kods:
        assert nh.is_kod_rate(k), k
        assert k.rx != 0 and k.tx != 0, "KoD with zero receive/transmit timestamp: %r" % k


# --------------------------------------------------------------------------
# floods: what a reflection attack gets through

INTERVAL, BURST = 8.0, 8   # ratelimit interval 3 burst 8 (chrony's defaults)
FLOOD_N = 10000


def flood(server, port, n, sources, netns=None, sockets=8):
    argv = [sys.executable, FLOOD, server, str(port), str(n), sources,
            "--sockets", str(sockets)]
    if netns:
        argv = ["ip", "netns", "exec", netns] + argv
    cp = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert cp.returncode == 0, nh.describe(cp)
    return json.loads(cp.stdout)


def check_flood_bound(f, dl, kod, leak=2):
    """Replies within what the limiter promises.  Within the limit: at most
    BURST plus one per INTERVAL of the time the flood took (the server
    cannot have seen a request before the first was sent or after the last
    reply was read).  Over it: a binomial share 2^-leak of the rest."""
    p = 2.0 ** -leak
    n = f["sent"]
    passes_max = BURST + math.ceil(f["elapsed"] / INTERVAL)
    over_max = n
    bound = passes_max + over_max * p + six_sigma(over_max, p)
    msg = "flood %r, server counters %r, bound %.0f" % (f, dl, bound)
    assert f["unmatched"] == 0 and f["other"] == 0, msg
    assert f["replies"] <= bound, "more replies than the limit allows: " + msg
    # the server saw (nearly) all: a receive-buffer overflow on a loaded
    # machine only lowers the figures, which are taken from its counters
    assert 0.9 * n <= dl["received"] <= n, msg
    assert dl["answered"] + dl["kod_sent"] == f["replies"], msg
    passes = dl["received"] - dl["ratelimited"]
    assert BURST <= passes <= passes_max, msg
    over = dl["ratelimited"]
    assert dl["ratelimit_leaked"] + dl["dropped.ratelimited"] == over, msg
    # and the leak is real: the owner of a spoofed address still gets a share
    assert abs(dl["ratelimit_leaked"] - over * p) <= six_sigma(over, p), msg
    assert f["replies"] == passes + dl["ratelimit_leaked"], msg
    if kod:
        assert abs(f["kod"] - dl["ratelimit_leaked"] / 2) <= six_sigma(
            dl["ratelimit_leaked"], 0.5), "half the leak as KoD: " + msg
    else:
        assert f["kod"] == 0, msg


@pytest.mark.parametrize("workers", [0, 2])
@pytest.mark.parametrize("kod", ["on", "off"])
def test_flood_one_address(gnomond, workers, kod):
    """10,000 requests from one address as fast as Python sends them: the
    reply count is bounded (before the leak: 10,000 replies with kod on)."""
    d = gnomond(BASE + "ratelimit interval 3 burst 8\nkod %s\nworkers %d\n" % (kod, workers))
    before = d.stats()
    f = flood(d.addr, d.port, FLOOD_N, SRC)
    check_flood_bound(f, nh.delta(before, d.stats()), kod == "on")


V6NET = "2001:db8:8:64::"     # documentation prefix, only inside the namespace
V6SRV = V6NET + "1"


@pytest.fixture
def ns64():
    """A network namespace whose loopback holds the server address and a
    `local` route for the whole /64 (AnyIP), so a client with IPV6_FREEBIND
    can send from any address in it; removed at the end, also on failure."""
    if os.geteuid() != 0:
        pytest.skip("needs root for network namespaces")
    ns = "gnrl-%d" % (os.getpid() % 100000)
    subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    try:
        for argv in (["ip", "netns", "add", ns],
                     ["ip", "-n", ns, "link", "set", "lo", "up"],
                     ["ip", "-n", ns, "-6", "addr", "add", V6SRV + "/128", "dev", "lo"],
                     ["ip", "-n", ns, "-6", "route", "add", "local", V6NET + "/64",
                      "dev", "lo"]):
            cp = subprocess.run(argv, capture_output=True, text=True)
            assert cp.returncode == 0, nh.describe(cp)
        yield ns
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


@pytest.mark.parametrize("workers", [0, 2])
def test_flood_rotating_addresses_in_a_64(gnomond, ns64, workers):
    """One host cycling through 1,000 addresses of its /64 (10 requests
    each) is one client: the same bound as from one address.  Keyed by the
    whole address (before), it got 1,000 bursts: 8,000 normal replies."""
    d = gnomond("clock null\nlocal stratum 10\nallow %s/64\n"
                "ratelimit interval 3 burst 8\nkod on\nworkers %d\n" % (V6NET, workers),
                addr=V6SRV, port=123, netns=ns64)
    before = d.stats()
    f = flood(V6SRV, 123, FLOOD_N, V6NET + "/64:1000", netns=ns64)
    check_flood_bound(f, nh.delta(before, d.stats()), True)


def test_flood_ipv6prefix_128(gnomond, ns64):
    """`ipv6prefix 128` keys by the whole address again: each of the 1,000
    addresses gets its own burst (at least 8,000 normal replies)."""
    d = gnomond("clock null\nlocal stratum 10\nallow %s/64\n"
                "ratelimit interval 3 burst 8 ipv6prefix 128\nkod off\n" % V6NET,
                addr=V6SRV, port=123, netns=ns64)
    before = d.stats()
    f = flood(V6SRV, 123, FLOOD_N, V6NET + "/64:1000", netns=ns64)
    dl = nh.delta(before, d.stats())
    assert f["normal"] >= 1000 * BURST, (f, dl)
    assert dl["received"] - dl["ratelimited"] >= 1000 * BURST, (f, dl)
