"""`gnomonctl clients`: the NTP server's client log (like chronyc clients).

Clients on loopback addresses of their own send known numbers of requests;
the log must count each exactly (requests, rate-limit drops, KoDs), also
when SO_REUSEPORT spreads one client's requests over several worker
threads (one socket per request), and the text form must show them. The
log is bounded: `clientlog 256` with 600 clients keeps at most 256.
"""

import json
import subprocess

import pytest

import ntp_helpers as nh
from conftest import BASE, GNOMONCTL


def clients(d, *args):
    cp = subprocess.run([GNOMONCTL, "-s", d.ctl, "--json", "clients", *args],
                        capture_output=True, text=True, timeout=10)
    assert cp.returncode == 0, nh.describe(cp)
    return json.loads(cp.stdout)


def by_addr(reply):
    return {c["address"]: c for c in reply["clients"]}


@pytest.mark.parametrize("workers", [0, 3])
def test_each_client_counted(gnomond, workers):
    d = gnomond(BASE + "workers %d\n" % workers)
    counts = {"127.0.0.21": 3, "127.0.0.22": 7, "127.0.0.23": 12}
    for src, n in counts.items():
        _, replies = nh.burst(d.addr, d.port, n, src=src, separate_sockets=True)
        assert len(replies) == n, (src, replies)
    log = by_addr(clients(d))
    for src, n in counts.items():
        assert log[src]["requests"] == n, log
        assert log[src]["dropped"] == 0 and log[src]["kod"] == 0, log
        assert 0 <= log[src]["interval"] < 1 and 0 <= log[src]["last_ago"] < 30, log
    # most requests first
    order = [c["address"] for c in clients(d)["clients"] if c["address"] in counts]
    assert order == ["127.0.0.23", "127.0.0.22", "127.0.0.21"], order
    assert clients(d, "2")["clients"][0]["address"] == "127.0.0.23"
    # the text form names them
    cp = subprocess.run([GNOMONCTL, "-s", d.ctl, "clients"], capture_output=True, text=True,
                        timeout=10)
    assert cp.returncode == 0 and "127.0.0.22" in cp.stdout and "Address" in cp.stdout, cp.stdout
    cp = subprocess.run([GNOMONCTL, "-s", d.ctl, "--json", "metrics"], capture_output=True,
                        text=True, timeout=10)
    assert json.loads(cp.stdout)["metrics"]["gnomon_ntp_server_clients"] >= len(counts)


def test_rate_limit_drops_and_kods_counted(gnomond):
    d = gnomond(BASE + "ratelimit interval 1 burst 4\nkod on\n")
    before = d.stats()
    _, replies = nh.burst(d.addr, d.port, 40, src="127.0.0.31")
    dl = nh.delta(before, d.stats())
    c = by_addr(clients(d))["127.0.0.31"]
    assert c["requests"] == 40, c
    assert c["dropped"] == dl["dropped.ratelimited"], (c, dl)
    assert c["kod"] == dl["kod_sent"], (c, dl)
    assert c["dropped"] > 0, c


def test_bounded(gnomond):
    d = gnomond(BASE + "clientlog 256\n")
    for i in range(600):
        nh.query(d.addr, d.port, src="127.0.%d.%d" % (100 + i // 200, 1 + i % 200), timeout=0.5)
    r = clients(d, "300")
    assert r["total"] <= 256 and len(r["clients"]) <= 256, r["total"]
    assert r["total"] >= 150, r["total"]   # most buckets hold their four


def test_bad_arguments(gnomond):
    d = gnomond(BASE)
    for arg in ("0", "301", "x", "5 6"):
        cp = subprocess.run([GNOMONCTL, "-s", d.ctl, "clients", *arg.split()],
                            capture_output=True, text=True, timeout=10)
        assert cp.returncode == 1 and "usage: clients" in cp.stderr, (arg, cp.stderr)
