"""Rate limiting: `ratelimit interval 1 burst 4` (one request per 2 s, bursts
of 4) with `kod on` answers the excess with Kiss-o'-Death RATE packets, with
`kod off` drops it silently; both are counted.  The KoD must also be
understood by real clients: ntpdig and chronyd.
"""

import time

import ntp_helpers as nh
from conftest import BASE

RL = "ratelimit interval 1 burst 4\n"
N = 30
SRC = "127.0.0.1"  # the source the kernel gives ntpdig/chronyd on loopback


def ordered(xmts, replies):
    return [replies.get(x) for x in xmts]


def test_kod_on_burst(gnomond):
    d = gnomond(BASE + RL + "kod on\n")
    before = d.stats()
    xmts, replies = nh.burst(d.addr, d.port, N, src=SRC)
    reps = ordered(xmts, replies)
    assert all(r is not None for r in reps), (
        "with kod on every request gets a reply (normal or KoD); missing %d of %d"
        % (sum(r is None for r in reps), N))
    normal = [r for r in reps if r.stratum != 0]
    kods = [r for r in reps if r.stratum == 0]
    assert len(normal) == 4, "burst 4: %d normal replies" % len(normal)
    assert reps[:len(normal)] == normal, "the first requests of the burst are the answered ones"
    for r, x in zip(reps, xmts):
        assert r.mode == 4 and r.version == 4 and r.org == x, r
    for k in kods:
        assert nh.is_kod_rate(k), "not a KoD RATE (want stratum 0, refid RATE, LI 3): %r" % k
    dl = nh.delta(before, d.stats())
    assert dl["received"] == N, dl
    assert dl["answered"] == len(normal), dl
    assert dl["kod_sent"] == len(kods), dl
    assert dl["ratelimited"] == len(kods), dl
    assert dl["dropped.ratelimited"] == 0, dl

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
    reps = [r for r in ordered(xmts, replies) if r is not None]
    assert all(r.stratum == 10 for r in reps), "kod off must never send a KoD: %r" % reps
    assert len(reps) == 4, "burst 4: %d replies" % len(reps)
    dropped = N - len(reps)
    dl = nh.delta(before, d.stats())
    assert dl["received"] == N, dl
    assert dl["answered"] == len(reps), dl
    assert dl["kod_sent"] == 0, dl
    assert dl["ratelimited"] == dropped, dl
    assert dl["dropped.ratelimited"] == dropped, dl


def test_kod_reaches_ntpdig(gnomond):
    """ntpdig has no KoD report of its own: it drops the reply with
    "Response dropped: stratum 0, probable KOD packet", exits 1, and with
    -D 2 hex-dumps the reply, whose refid column reads RATE."""
    d = gnomond(BASE + RL + "kod on\n")
    before = d.stats()
    with nh.Hammer(d.addr, d.port, src=SRC) as h:
        time.sleep(0.3)  # well past the burst
        cp = nh.run_peer(["ntpdig", "-D", "2", "-t", "2", d.addr])
    dl = nh.delta(before, d.stats())
    assert cp.returncode == 1, nh.describe(cp)
    assert "probable KOD packet" in cp.stderr, nh.describe(cp)
    # the dumped reply: ... 52 41 54 45 ...RATE
    assert "52 41 54 45" in cp.stdout and "RATE" in cp.stdout, nh.describe(cp)
    assert h.kod > 0, h
    assert dl["kod_sent"] - h.kod >= 1, ("gnomond sent no KoD to ntpdig", dl, h)


def test_kod_reaches_chronyd(gnomond):
    """chronyd 4.3 logs "Received KoD RATE from ADDR" for a KoD that passes
    its tests 1, 2, 3 and 5 -- in particular test 3 wants non-zero receive and
    transmit timestamps in the KoD (ntpd fills them in too).  A KoD with zero
    timestamps is silently ignored by chronyd, which then never backs off."""
    d = gnomond(BASE + RL + "kod on\n")
    before = d.stats()
    with nh.Hammer(d.addr, d.port, src=SRC) as h:
        time.sleep(0.3)
        cp = nh.chronyd_q(d.addr, d.port, timeout=6)
    dl = nh.delta(before, d.stats())
    to_chronyd = dl["kod_sent"] - h.kod
    assert to_chronyd >= 1, ("gnomond sent no KoD to chronyd while it queried",
                             dl, h, nh.describe(cp))
    assert "System clock wrong" not in cp.stdout + cp.stderr, (
        "chronyd got a measurement through the rate limit:\n" + nh.describe(cp))
    # What do gnomond's KoDs look like?  (for the message below)
    pkt, xmt, _ = nh.build_request()
    kod = nh.query(d.addr, d.port, pkt, src=SRC)
    assert "Received KoD RATE from %s" % d.addr in cp.stdout + cp.stderr, (
        "chronyd did not report the KoD RATE; a KoD from gnomond looks like %r\n%s"
        % (kod, nh.describe(cp)))


def test_kod_has_usable_timestamps(gnomond):
    """The property chronyd needs (see above), checked directly."""
    d = gnomond(BASE + RL + "kod on\n")
    xmts, replies = nh.burst(d.addr, d.port, 10, src=SRC)
    kods = [r for r in replies.values() if r.stratum == 0]
    assert kods, replies
    for k in kods:
        assert k.rx != 0 and k.tx != 0, "KoD with zero receive/transmit timestamp: %r" % k
