"""`workers 2`: two threads with SO_REUSEPORT sockets answer as the main loop
does; counters and the rate limit are shared between them."""

import os
import time

import pytest

import ntp_helpers as nh
from conftest import BASE

W = BASE + "workers 2\nserve-offset 3.5\n"


@pytest.fixture(scope="module")
def wserver(daemon_factory):
    start, finish = daemon_factory()
    yield start(W)
    finish()


def test_two_sockets_bound(wserver):
    socks = nh.udp_sockets_of(wserver.proc.pid, wserver.addr, wserver.port)
    assert len(socks) >= 2, (
        "workers 2 should bind one SO_REUSEPORT socket each; gnomond has %d "
        "UDP socket(s) on %s:%d" % (len(socks), wserver.addr, wserver.port))


def test_ntplib_offset_workers(wserver):
    for _ in range(5):  # ntplib uses a new socket (source port) every time
        seen = nh.measure_within(lambda: nh.ntplib_offset(wserver.addr, wserver.port), 3.5)
        assert abs(seen[-1] - 3.5) <= nh.OFFSET_TOL, seen


@pytest.mark.parametrize("version,mode", [(1, 0), (2, 3), (3, 3), (4, 3)],
                         ids=["v1-mode0", "v2", "v3", "v4"])
def test_versions_workers(wserver, version, mode):
    before = wserver.stats()
    reps = []
    for i in range(8):  # new socket each time: spread over both workers
        payload, xmt, _ = nh.build_request(version=version, mode=mode, poll=6)
        rep = nh.query(wserver.addr, wserver.port, payload)
        assert rep is not None, "request %d got no reply" % i
        assert rep.mode == 4 and rep.version == version and rep.poll_byte == 6, rep
        assert rep.org == xmt and rep.stratum == 10 and rep.li == 0, rep
        assert rep.refid == nh.LOCAL_REFID and rep.length == 48, rep
        assert 0 < rep.ref < rep.rx <= rep.tx, rep
        reps.append(rep)
    nh.assert_best_offset(reps, 3.5)
    dl = nh.delta(before, wserver.stats())
    assert dl["received"] == 8 and dl["answered"] == 8, dl
    assert dl["version.%d" % version] == 8, dl


def test_counters_summed_over_workers(wserver):
    before = wserver.stats()
    xmts, replies = nh.burst(wserver.addr, wserver.port, 40, separate_sockets=True)
    assert len(replies) == 40, "%d of 40 answered" % len(replies)
    got = []
    for i in range(10):  # garbage from 10 source ports
        got += nh.send_only(wserver.addr, wserver.port, [b"\x23" * 20], wait=0.0)
    time.sleep(0.3)
    assert got == [], got
    dl = nh.delta(before, wserver.stats())
    assert dl["answered"] == 40 and dl["dropped.short"] == 10 and dl["received"] == 50, dl


def test_ratelimit_shared_between_workers(gnomond):
    d = gnomond(BASE + "workers 2\nratelimit interval 1 burst 4\nkod on\n")
    before = d.stats()
    # every request from its own port, so the kernel spreads them over both
    # workers; the limit is per address and must hold across them
    xmts, replies = nh.burst(d.addr, d.port, 30, separate_sockets=True)
    normal = [r for r in replies.values() if r.stratum != 0]
    kods = [r for r in replies.values() if nh.is_kod_rate(r)]
    dl = nh.delta(before, d.stats())
    # over the limit, a random one in four is answered (leak 2), half of
    # those with a KoD: what passed the limit itself is what is left
    assert dl["received"] == 30 and dl["ratelimited"] + 4 == 30, (
        "burst 4 but %d passed the limit: is the limiter per worker?"
        % (dl["received"] - dl["ratelimited"]), dl)
    assert dl["kod_sent"] == len(kods), dl
    assert len(normal) + len(kods) == 4 + dl["ratelimit_leaked"], (len(normal), len(kods), dl)
    assert dl["ratelimit_leaked"] + dl["dropped.ratelimited"] == 26, dl


@pytest.mark.parametrize("cpus", [1, 2])
def test_workers_auto_is_the_default(gnomond, cpus):
    """No `workers` line is `workers auto`: one worker per CPU gnomond may
    use, less one (taskset-style affinity, inherited from this process):
    none on one CPU (the main loop's path), one on two."""
    usable = sorted(os.sched_getaffinity(0))
    if len(usable) < cpus:
        pytest.skip("needs %d CPUs" % cpus)
    old = os.sched_getaffinity(0)
    os.sched_setaffinity(0, set(usable[:cpus]))
    try:
        d = gnomond(BASE)
    finally:
        os.sched_setaffinity(0, old)
    assert "%d worker(s) (auto)" % (cpus - 1) in d.log(), d.log()
    socks = nh.udp_sockets_of(d.proc.pid, d.addr, d.port)
    assert len(socks) == max(1, cpus - 1), socks
    rep = nh.query(d.addr, d.port)
    assert rep is not None and rep.stratum != 0, rep
