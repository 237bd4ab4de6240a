"""gnomond's own HTTP exports (`http`): /metrics, /status, /history and the
dashboard page, against real clients.

A client gnomond (virtual clock) follows an upstream gnomond and serves
HTTP on loopback. /metrics passes promtool and holds what gnomonctl shows
(stratum, the source's offset, the server's counters); /status is the
`status` command's JSON; /history the series; a real Prometheus started
here scrapes /metrics and its query API returns the daemon's values.
"""

import json
import os
import subprocess
import time

import ntp_helpers as nh
from conftest import GNOMONCTL, free_loopback4, free_port
from test_client import FAST, sources, tracking, wait_for
from test_http import free_tcp_port, get, metric, need, parse_metrics, prometheus, _prom_query


def ctl(d, *args):
    cp = subprocess.run([GNOMONCTL, "-s", d.ctl, "--json", *args], capture_output=True,
                        text=True, timeout=10)
    assert cp.returncode == 0, nh.describe(cp)
    return json.loads(cp.stdout)


def pair(gnomond):
    up_addr = free_loopback4()
    up = gnomond("clock null\nlocal stratum 3\nallow 127.0.0.0/8\n", addr=up_addr)
    port = free_tcp_port()
    cli = gnomond("clock virtual offset 0.001 freq 20\nallow 127.0.0.0/8\nserver %s %s\n"
                  "http 127.0.0.1:%d\n" % (up_addr, FAST, port),
                  addr=free_loopback4(avoid=[up_addr]))
    assert wait_for(lambda: tracking(cli)["synchronised"] or None, 30)
    return up, up_addr, cli, port


def test_metrics_status_history(gnomond):
    need("promtool", "prometheus")
    up, up_addr, cli, port = pair(gnomond)
    st, hdr, body = get("127.0.0.1", port, "/metrics")
    assert st == 200 and hdr["content-type"].startswith("text/plain; version=0.0.4"), hdr
    cp = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True,
                        timeout=20)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    m = parse_metrics(body.decode())
    tr = tracking(cli)
    assert metric(m, "gnomon_system_stratum") == tr["stratum"] == 4
    assert metric(m, "gnomon_system_synchronized") == 1
    assert metric(m, "gnomon_build_info", version="0.1.0") == 1
    assert metric(m, "gnomon_source_info", source=up_addr, mode="ntp", state="*") == 1
    src = [s for s in sources(cli) if s["name"] == up_addr][0]
    assert abs(metric(m, "gnomon_source_offset_seconds", source=up_addr, mode="ntp") -
               src["offset"]) < 1e-3, src
    # reach and poll as `sources` shows them, read just before and after
    # (a poll may shift the register between the reads)
    bits = lambda: bin(sources(cli)[0]["reach"] & 0xff).count("1")
    assert wait_for(lambda: bits() or None, 20)
    b0, s0 = bits(), sources(cli)[0]
    m2 = parse_metrics(get("127.0.0.1", port, "/metrics")[2].decode())
    b1, s1 = bits(), sources(cli)[0]
    reach = metric(m2, "gnomon_source_reachability_ratio", source=up_addr, mode="ntp")
    assert min(b0, b1) <= reach * 8 <= max(b0, b1) and reach > 0, (reach, b0, b1)
    assert metric(m2, "gnomon_source_poll_interval_seconds", source=up_addr, mode="ntp") in (
        2.0 ** s0["poll"], 2.0 ** s1["poll"]), (s0, s1)
    # Counters as the control socket shows them: a counter read through
    # /metrics lies between the control socket's reads before and after
    # (the server may be asked by anyone meanwhile).
    before = ctl(cli, "metrics")["metrics"]
    m3 = parse_metrics(get("127.0.0.1", port, "/metrics")[2].decode())
    after = ctl(cli, "metrics")["metrics"]
    for name in ("gnomon_ntp_server_received_total", "gnomon_clock_steps_total"):
        assert before[name] <= metric(m3, name) <= after[name], (name, before[name], after[name])
    assert metric(m, "gnomon_clock_steps_total") <= before["gnomon_clock_steps_total"]

    st, hdr, body = get("127.0.0.1", port, "/status")
    assert st == 200 and hdr["content-type"] == "application/json", hdr
    status = json.loads(body)
    assert status["serverstats"] == ctl(cli, "serverstats")
    assert status["tracking"]["reference"] == up_addr
    assert [s["name"] for s in status["sources"]["sources"]] == [up_addr]

    st, _, body = get("127.0.0.1", port, "/history")
    assert st == 200 and json.loads(body) == ctl(cli, "history")
    time.sleep(3)   # a few seconds of history
    st, _, body = get("127.0.0.1", port, "/history?series=system.frequency_ppm&seconds=30"
                      "&points=5")
    h = json.loads(body)
    assert st == 200 and h["name"] == "system.frequency_ppm" and 1 <= len(h["mean"]) <= 5, h
    for bad, code in (("/history?series=nope", 404), ("/history?series=system.offset&points=0",
                                                      400), ("/nope", 404)):
        assert get("127.0.0.1", port, bad)[0] == code, bad
    st, hdr, body = get("127.0.0.1", port, "/")
    assert st == 200 and hdr["content-type"].startswith("text/html") and b"gnomon" in body
    # Only loopback may connect by default: another address of this host.
    other = free_loopback4()
    assert get("127.0.0.1", port, "/status", source=other)[0] == 200   # 127/8 is loopback
    assert metric(parse_metrics(get("127.0.0.1", port, "/metrics")[2].decode()),
                  "gnomon_http_requests_total", code="200") >= 5


def test_prometheus_scrapes_gnomond(gnomond):
    need("prometheus", "prometheus")
    up, up_addr, cli, port = pair(gnomond)
    with prometheus("gnomond", port) as (proc, prom_port):
        res = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not res:
            assert proc.poll() is None, "prometheus exited"
            try:
                res = _prom_query(prom_port, "gnomon_system_stratum")
            except (OSError, AssertionError, ValueError):
                pass
            time.sleep(0.5)
        assert res and float(res[0]["value"][1]) == 4, res
        (upm,) = _prom_query(prom_port, 'up{job="gnomond"}')
        assert upm["value"][1] == "1"
        (info,) = _prom_query(prom_port, 'gnomon_source_info{state="*"}')
        assert info["metric"]["source"] == up_addr and info["metric"]["mode"] == "ntp", info
        # The upstream is polled: its request counter as Prometheus saw it
        # grows like the one gnomonctl shows.
        (rx,) = _prom_query(prom_port, "gnomon_ntp_server_received_total")
        assert float(rx["value"][1]) <= ctl(cli, "serverstats")["received"]


def test_every_metric_documented(gnomond, tmp_path, user_dir):
    """A daemon with every part that registers metrics (server, a source,
    gateway sender and receiver on loopback, journal, HTTP, audit, hot standby): each family
    on /metrics is listed in doc/metrics.md."""
    keys = tmp_path / "keys"
    keys.write_text("5 SHA256 HEX:%s\n" % ("ab" * 32))
    os.chmod(keys, 0o600)
    up_addr = free_loopback4()
    gnomond("clock null\nlocal stratum 3\nallow 127.0.0.0/8\n", addr=up_addr)
    port, gw = free_tcp_port(), free_tcp_port()
    addr = free_loopback4(avoid=[up_addr])
    d = gnomond("clock virtual\nallow 127.0.0.0/8\nserver %s %s\nkeyfile %s\n"
                "gateway-send to 127.0.0.1:%d interval 1 key 5\n"
                "gateway-receive on 127.0.0.1:%d sender 1 key 5\n"
                "journal file %s\nhttp 127.0.0.1:%d\naudit db %s interval 3600\n"
                "standby partner %s key 5 port %d bind %s\n"
                % (up_addr, FAST, keys, gw, gw, user_dir / "journal.log", port,
                   user_dir / "audit.db", up_addr, free_port(addr), addr),
                addr=addr)
    body = get("127.0.0.1", port, "/metrics")[2].decode()
    names = {l.split()[2] for l in body.splitlines() if l.startswith("# TYPE ")}
    doc = open(os.path.join(os.path.dirname(__file__), "..", "..", "doc", "metrics.md")).read()
    assert len(names) > 60, names
    missing = sorted(n for n in names if "`%s`" % n not in doc)
    assert not missing, "not in doc/metrics.md: %s" % missing
    assert d.ctl
