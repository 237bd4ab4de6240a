"""`gnomonctl history`: the in-memory history the dashboard plots.

A client gnomond follows an upstream gnomond; after some seconds its
history lists the system and per-source series, whose latest points are
the figures `tracking` and `sources` show (read in the same second), and
the upstream's request-rate series counts the client's polls, compared
with the server's own counter over the same seconds.
"""

import json
import subprocess
import time

import ntp_helpers as nh
from conftest import GNOMONCTL, free_loopback4
from test_client import FAST, sources, tracking, wait_for


def history(d, *args):
    cp = subprocess.run([GNOMONCTL, "-s", d.ctl, "--json", "history", *args],
                        capture_output=True, text=True, timeout=10)
    assert cp.returncode == 0, nh.describe(cp)
    return json.loads(cp.stdout)


def last_value(series):
    vals = [v for v in series["mean"] if v is not None]
    return vals[-1] if vals else None


def test_history_follows_tracking_and_sources(gnomond):
    up_addr = free_loopback4()
    upstream = gnomond("clock null\nlocal stratum 3\nallow 127.0.0.0/8\n", addr=up_addr)
    client = gnomond("clock virtual offset 0.001 freq 20\nallow 127.0.0.0/8\n"
                     "server %s %s\n" % (up_addr, FAST), addr=free_loopback4(avoid=[up_addr]))
    assert wait_for(lambda: tracking(client)["synchronised"] or None, 30)
    # A source's series appear at the tick after it does.
    names = wait_for(lambda: (lambda n: n if "source.%s.offset" % up_addr in n else None)(
        history(client)["series"]), 5)
    names = names or history(client)["series"]
    assert "system.offset" in names and "system.frequency_ppm" in names, names
    assert "source.%s.offset" % up_addr in names, names
    assert "gateway.offset" not in names, names     # no gateway configured
    # The newest point is a sample of what tracking showed in the last
    # seconds: the frequency still moves right after synchronisation (5.7
    # ppm between a tick and the next tracking read on a loaded ASan run),
    # so tracking is read through those seconds and the point must be
    # within what it showed.
    seen, end = [], time.monotonic() + 3
    while time.monotonic() < end:
        seen.append(tracking(client)["frequency_ppm"])
        time.sleep(0.1)
    freq = history(client, "system.frequency_ppm", "60")
    seen.append(tracking(client)["frequency_ppm"])
    recent = seen[-25:]
    assert freq["step"] == 1 and len(freq["mean"]) >= 3, freq
    assert min(recent) - 0.5 <= last_value(freq) <= max(recent) + 0.5, (
        freq["mean"][-5:], recent)
    off = history(client, "source.%s.offset" % up_addr, "60")
    src = [s for s in sources(client) if s["name"] == up_addr][0]
    assert last_value(off) is not None and abs(last_value(off) - src["offset"]) < 1e-3, (
        off["mean"][-5:], src)
    # Points asked for: the series is downsampled to at most that many.
    assert len(history(client, "system.offset", "60", "4")["mean"]) <= 4

    # The upstream's request rate, summed over its life, against its own
    # counter: a second's point is the requests since the last tick over
    # the time between them, so a late tick on a loaded machine lowers a
    # point a little; the first and the last second are not in the sum.
    time.sleep(10)
    rate = history(upstream, "server.requests_per_second", "3600", "1000")
    total = upstream.stats()["received"]
    got = sum(v for v in rate["mean"] if v is not None)
    assert rate["step"] == 1 and total >= 5, (rate, total)
    assert 0.7 * total - 4 <= got <= 1.3 * total + 4, (got, total)


def test_history_bad_arguments(gnomond):
    d = gnomond("clock null\nlocal stratum 3\nallow 127.0.0.0/8\n")
    for args in (["no.such.series"], ["system.offset", "-5"], ["system.offset", "60", "0"],
                 ["system.offset", "60", "1001"], ["system.offset", "x"]):
        cp = subprocess.run([GNOMONCTL, "-s", d.ctl, "history", *args], capture_output=True,
                            text=True, timeout=10)
        assert cp.returncode == 1 and cp.stderr, (args, cp.stderr)


def test_status_holds_every_command(gnomond):
    """`status` is each command's reply under its name (the same data
    HTTP /status serves); with no traffic in between they are equal."""
    d = gnomond("clock null\nlocal stratum 3\nallow 127.0.0.0/8\n")
    _, replies = nh.burst(d.addr, d.port, 3, src="127.0.0.41")
    assert len(replies) == 3

    def run(*args):
        cp = subprocess.run([GNOMONCTL, "-s", d.ctl, "--json", *args], capture_output=True,
                            text=True, timeout=10)
        assert cp.returncode == 0, nh.describe(cp)
        return json.loads(cp.stdout)

    st = run("status")
    assert set(st) >= {"tracking", "sources", "serverstats", "clients", "gateway"}, st.keys()
    assert st["serverstats"] == run("serverstats")
    assert st["sources"] == run("sources")
    assert st["gateway"] == run("gateway")
    assert st["clients"]["clients"][0]["address"] == "127.0.0.41"
    assert st["clients"]["clients"][0]["requests"] == 3
    tr = run("tracking")
    assert {k: v for k, v in st["tracking"].items() if k != "clock_minus_system"} == \
        {k: v for k, v in tr.items() if k != "clock_minus_system"}
