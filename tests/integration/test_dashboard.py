"""The web dashboard (www/) in headless Chromium against a real gnomond.

Two upstream gnomond (stratum 2 and 4, `clock null`) and a client gnomond
(`clock virtual`) that follows both; the page is served by
tests/tools/dash_proxy.py, which answers /status and /history with the
client's own replies through gnomonctl, under a path prefix (so every URL
in the page must be relative). Chromium is driven over the DevTools
protocol (tests/integration/cdp.py); every request the page makes is
intercepted and recorded.

The page is loaded from gnomond's own HTTP server (the client gets an
`http` line, and the files are those built into the binary); with
GNOMON_DASH_HTTP=0 it is loaded through the harness instead, under a path
prefix (see serve_dashboard below).

Asserted: no console error and no request outside the page's origin; the
plots have data and their canvases are drawn on; the summary and the source
table show what /status says (read at the same time, within a refresh);
a click on another source plots that source; the time-range buttons ask
for that range; no horizontal scrolling at 360 px. The screenshot goes to
doc/dashboard.png.
"""

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

import cdp
import ntp_helpers as nh
from conftest import GNOMONCTL, REPO, free_loopback4
from test_client import FAST, sources, tracking, wait_for

PROXY = os.path.join(REPO, "tests", "tools", "dash_proxy.py")
SCREENSHOT = os.environ.get("GNOMON_DASH_SCREENSHOT", os.path.join(REPO, "doc", "dashboard.png"))

pytestmark = pytest.mark.skipif(cdp.find_chromium() is None,
                                reason="chromium not installed (tools/deps.sh test)")


def get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.headers.get("Content-Type", ""), r.read()


def get_json(url):
    status, ctype, body = get(url)
    assert status == 200 and ctype.startswith("application/json"), (url, status, ctype)
    return json.loads(body)


def http_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def client_http_conf():
    """The config line that makes gnomond serve the dashboard itself, when
    the test runs against gnomond's own server; none for the harness."""
    if os.environ.get("GNOMON_DASH_HTTP", "1") != "0":
        port = http_port()
        return "http 127.0.0.1:%d\n" % port, "http://127.0.0.1:%d/" % port
    return "", None


def serve_dashboard(client, url):
    """Start whatever serves the page for `client`; return (url, stop)."""
    if url:             # gnomond's own server
        return url, lambda: None
    p = subprocess.Popen([sys.executable, PROXY, "-s", client.ctl, "-p", "0",
                          "--prefix", "/gnomon/", "--gnomonctl", GNOMONCTL],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline().strip()
    if not line.startswith("http://"):
        p.kill()
        pytest.fail("dash_proxy did not start: %r %s" % (line, p.stderr.read()))

    def stop():
        p.terminate()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)
    return line, stop


def parse_shown_time(text):
    """'−18.2 µs' -> -1.82e-05 (what the page shows, back in seconds)."""
    m = re.fullmatch(r"([\u2212-]?[0-9.]+)\u00a0(s|ms|µs|ns)", text)
    assert m, "not a time as the page shows one: %r" % text
    v = float(m.group(1).replace("\u2212", "-"))
    return v * {"s": 1, "ms": 1e-3, "µs": 1e-6, "ns": 1e-9}[m.group(2)]


PLOTS = ("sys-offset", "sys-freq", "src-offset", "src-delay", "src-jitter", "srv-rate")

PLOTS_JS = """(() => { const out = {};
  for (const [id, p] of Object.entries(window.gnomonDash.plots)) {
    const c = p.fig.querySelector('canvas');
    let inked = 0;
    if (c && c.width > 0 && c.height > 0) {
      const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) inked++;
    }
    out[id] = {series: p.series, points: p.u.data[0].length,
               values: p.u.data[1].filter(v => v !== null).length,
               canvas: c ? [c.width, c.height] : null, inked: inked,
               pct: Array.from(p.fig.querySelectorAll('table.pct td')).map(td => td.dataset.raw)};
  }
  return out; })()"""

SHOWN_JS = """(() => { const raw = id => document.getElementById(id).dataset.raw;
  const rows = {};
  for (const tr of document.querySelectorAll('#sources tbody tr')) {
    const off = tr.querySelector('td[data-field=offset]');
    rows[tr.dataset.source] = {raw: off.dataset.raw, text: off.textContent,
                               stratum: tr.cells[2].dataset.raw, reach: tr.cells[4].textContent,
                               selected: tr.classList.contains('selected')};
  }
  const clients = Array.from(document.querySelectorAll('#clients tbody tr')).map(
    tr => [tr.cells[0].textContent, Number(tr.cells[1].dataset.raw)]);
  return {clients: clients, stratum: raw('stratum'), reference: raw('reference'), offset: raw('offset'),
          offset_text: document.getElementById('offset').textContent,
          sync: document.getElementById('sync').textContent, rows: rows,
          source: window.gnomonDash.source}; })()"""


@pytest.fixture
def dash_daemons(gnomond):
    up1 = free_loopback4()
    upstream1 = gnomond("clock null\nlocal stratum 2\nallow 127.0.0.0/8\n", addr=up1)
    up2 = free_loopback4(avoid=[up1])
    upstream2 = gnomond("clock null\nlocal stratum 4\nallow 127.0.0.0/8\n", addr=up2)
    http_conf, url = client_http_conf()
    client = gnomond("clock virtual offset 0.01 freq 30\nallow 127.0.0.0/8\n%s"
                     "server %s %s\nserver %s %s\n" % (http_conf, up1, FAST, up2, FAST),
                     addr=free_loopback4(avoid=[up1, up2]))
    return client, (upstream1, upstream2), (up1, up2), url


def test_dashboard_in_chromium(dash_daemons):
    client, _, (up1, up2), url = dash_daemons
    assert wait_for(lambda: tracking(client)["synchronised"] or None, 30), tracking(client)
    # Both sources have samples and their series are in the history.
    def ready():
        src = {s["name"]: s for s in sources(client)}
        hist = subprocess.run([GNOMONCTL, "-s", client.ctl, "--json", "history"],
                              capture_output=True, text=True, timeout=10)
        names = json.loads(hist.stdout)["series"]
        return all(src.get(a, {}).get("samples", 0) > 1 and
                   "source.%s.jitter" % a in names for a in (up1, up2)) or None
    assert wait_for(ready, 40), sources(client)
    # Some seconds of history for the plots, and NTP clients of the client
    # (real requests from five loopback addresses) for its request-rate
    # plot and client table.
    for i in range(16):
        for k in range(1 + i % 5):
            nh.burst(client.addr, client.port, 1 + k, src="127.0.0.%d" % (41 + k), wait=0.05)
        time.sleep(0.7)

    url, stop = serve_dashboard(client, url)
    origin = re.match(r"(https?://[^/]+)", url).group(1)
    browser = cdp.Browser(origin)
    try:
        # The data API passes the daemon's replies through: the series list
        # equals gnomonctl's (it only grows, and not within these seconds).
        hist = subprocess.run([GNOMONCTL, "-s", client.ctl, "--json", "history"],
                              capture_output=True, text=True, timeout=10)
        assert get_json(url + "history") == json.loads(hist.stdout)

        browser.open(url)
        got = browser.wait_for("window.gnomonDash && window.gnomonDash.refreshes >= 1 && "
                               "Object.keys(window.gnomonDash.plots).length >= %d" % len(PLOTS), 30)
        assert got, (browser.console, browser.requests)

        # Plots: data in uPlot, ink on the canvas, a full percentile row.
        plots = browser.eval(PLOTS_JS)
        for pid in PLOTS:
            p = plots.get(pid)
            assert p, (pid, plots.keys())
            assert p["values"] >= 3 and p["canvas"] and p["inked"] > 50, (pid, p)
            assert len(p["pct"]) == 7 and all(v != "" for v in p["pct"]), (pid, p)
            lo, *mid, hi = [float(v) for v in p["pct"]]
            assert lo <= min(mid) and mid == sorted(mid) and max(mid) <= hi, (pid, p["pct"])
        assert plots["sys-offset"]["series"] == "system.offset"

        # The figures shown are those of the /status reply the page last
        # received (exactly: the browser's own copy of the body) ...
        def compare(shown, st, tol):
            tr = st["tracking"]
            srcs = {s["name"]: s for s in st["sources"]["sources"]}
            bad = []
            if int(shown["stratum"]) != tr["stratum"]:
                bad.append(("stratum", shown["stratum"], tr["stratum"]))
            if shown["reference"] != tr["reference"]:
                bad.append(("reference", shown["reference"], tr["reference"]))
            if abs(float(shown["offset"]) - tr["last_offset"]) > tol:
                bad.append(("offset", shown["offset"], tr["last_offset"]))
            cl = sorted([c["address"], c["requests"]] for c in st["clients"]["clients"])
            if sorted(shown["clients"]) != cl:
                bad.append(("clients", shown["clients"], cl))
            if set(shown["rows"]) != set(srcs):
                bad.append(("sources", sorted(shown["rows"]), sorted(srcs)))
            def reach_ok(shown_reach, now):
                # exactly the reply's; against a later one, as the register
                # will have moved on by up to three polls (RFC 5905 §13: one
                # bit shifted in per poll), the page being up to 3 s old
                old = int(shown_reach, 8)
                return old == now or (tol > 0 and any(
                    ((old << k) | (now & ((1 << k) - 1))) & 0xFF == now for k in (1, 2, 3)))

            for name, row in shown["rows"].items():
                s = srcs.get(name)
                if s and (abs(float(row["raw"]) - s["offset"]) > tol or
                          int(row["stratum"]) != s["stratum"] or not reach_ok(row["reach"], s["reach"])):
                    bad.append((name, row, s["offset"], s["stratum"], s["reach"]))
            return bad

        shown = browser.eval(SHOWN_JS)
        received = [json.loads(b) for b in browser.bodies("/status", 2)]
        assert received, browser.finished[-5:]
        # (a reply may have arrived between the two reads, hence two)
        fails = [compare(shown, st, 0) for st in received]
        assert any(not f for f in fails), fails
        # ... and /status fetched now agrees within what a few seconds of
        # polling change: the same stratum, reference and sources, offsets
        # (microseconds on loopback) within 1 ms; the page refreshes every
        # 3 s and a source's figures change at each of its 1-4 s polls.
        st = get_json(url + "status")
        tr = st["tracking"]
        now = compare(browser.eval(SHOWN_JS), st, 1e-3)
        assert not now, now
        assert shown["sync"] == ("synchronised" if tr["synchronised"] else "unsynchronised")
        # This server's health is in the header; no standby panel without `standby`.
        assert browser.eval("document.getElementById('health').dataset.raw") == st["health"]["state"]
        assert "standby" not in st and browser.eval("document.getElementById('standby').hidden") is True
        assert {int(shown["rows"][a]["stratum"]) for a in (up1, up2)} == {2, 4}
        assert len(shown["clients"]) == 5, shown["clients"]
        # What is written is the number, in a readable unit.
        for text, raw in [(shown["offset_text"], float(shown["offset"]))] + [
                (r["text"], float(r["raw"])) for r in shown["rows"].values()]:
            v = parse_shown_time(text)
            assert abs(v - raw) <= max(abs(raw) * 0.01, 1e-12), (text, raw)

        # A click on the other source plots that source.
        other = up2 if shown["source"] == up1 else up1
        browser.click('#sources tr[data-source="%s"] button' % other)
        want = "source.%s.offset" % other
        ok = browser.wait_for(
            "(() => { const p = window.gnomonDash.plots['src-offset'];"
            " return p && p.series === %s && p.u.data[1].some(v => v !== null) &&"
            " window.gnomonDash.plots['src-jitter'].series === %s; })()" % (
                json.dumps(want), json.dumps("source.%s.jitter" % other)), 15)
        assert ok, browser.eval(PLOTS_JS)
        assert browser.eval("document.getElementById('source-name').textContent") == other
        assert browser.eval("document.querySelector('#sources tr.selected').dataset.source") == other
        assert any("series=" + want.replace(".", ".") in u for u in browser.requests), \
            browser.requests[-10:]
        # ... and keeps it across refreshes.
        n = browser.eval("window.gnomonDash.refreshes")
        assert browser.wait_for("window.gnomonDash.refreshes >= %d" % (n + 1), 10)
        assert browser.eval("window.gnomonDash.plots['src-offset'].series") == want

        # Dragging across a plot zooms in, and a refresh keeps the zoom.
        browser.drag('[data-plot="sys-offset"] .u-over', 0.3, 0.7)
        span = ("(() => { const u = window.gnomonDash.plots['sys-offset'].u, x = u.data[0];"
                " return [u.scales.x.max - u.scales.x.min, x[x.length - 1] - x[0]]; })()")
        zoomed, full = browser.eval(span)
        assert zoomed < 0.6 * full, (zoomed, full)
        n = browser.eval("window.gnomonDash.refreshes")
        assert browser.wait_for("window.gnomonDash.refreshes >= %d" % (n + 1), 10)
        zoomed2, full2 = browser.eval(span)
        assert zoomed2 < 0.6 * full2, (zoomed2, full2)
        browser.dblclick('[data-plot="sys-offset"] .u-over')     # back to all of it
        zoomed3, full3 = browser.eval(span)
        assert zoomed3 >= full3, (zoomed3, full3)

        # A time range is asked of the history in seconds.
        browser.click('#range button[data-seconds="86400"]')
        assert browser.wait_for("window.gnomonDash.seconds === 86400", 5)
        deadline = time.monotonic() + 10
        while not any("seconds=86400" in u for u in browser.requests):
            assert time.monotonic() < deadline, browser.requests[-10:]
            time.sleep(0.2)
        browser.click('#range button[data-seconds="600"]')

        # A narrow window: nothing wider than the screen (tables scroll
        # inside their own boxes).
        browser.viewport(360, 800)
        time.sleep(0.6)
        widths = browser.eval("[document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1] + 1, widths

        browser.viewport(1280, 900)
        browser.wait_for("window.gnomonDash.refreshes >= %d" % (
            browser.eval("window.gnomonDash.refreshes") + 1), 10)
        browser.screenshot(SCREENSHOT)
        assert os.path.getsize(SCREENSHOT) > 20000

        # Nothing but the page's origin was asked for, and it asked for a
        # lot (status, history, the files): the recorder saw traffic.
        assert not browser.foreign, browser.foreign
        assert sum(u.startswith(origin) and "status" in u for u in browser.requests) >= 2
        assert any("/vendor/uPlot.iife.min.js" in u for u in browser.requests)
        assert not browser.console, browser.console
    finally:
        browser.close()
        stop()


def test_dash_proxy_passes_replies_through(gnomond):
    """The harness is the daemon's replies, not a model of them: a refused
    series is refused, and status is gnomonctl's output byte for byte
    (serverstats of an idle daemon do not change between the two reads)."""
    d = gnomond("clock null\nlocal stratum 3\nallow 127.0.0.0/8\n")
    url, stop = serve_dashboard(d, None)
    try:
        cp = subprocess.run([GNOMONCTL, "-s", d.ctl, "--json", "serverstats"],
                            capture_output=True, timeout=10)
        assert get_json(url + "status")["serverstats"] == json.loads(cp.stdout)
        for q in ("history?series=no.such", "history?series=system.offset&seconds=-1",
                  "history?series=-x", "../etc/passwd", "nope/../../x"):
            try:
                get(url + q)
                raise AssertionError("%s was answered" % q)
            except urllib.error.HTTPError as e:
                assert e.code in (400, 404), (q, e.code)
        h = get_json(url + "history?series=system.offset&seconds=60&points=10")
        assert h["name"] == "system.offset" and len(h["mean"]) <= 10
        status, ctype, body = get(url)
        assert status == 200 and ctype.startswith("text/html") and b"app.js" in body
    finally:
        stop()


GW_KEY = bytes(range(0x20, 0x40))


def test_dashboard_gateway(gnomond, tmp_path):
    """A one-way gateway sender and receiver on loopback: the receiver's
    page shows the gateway section with its three plots drawn."""
    from conftest import free_port
    keys = tmp_path / "keys"
    keys.write_text("5 SHA256 HEX:%s\n" % GW_KEY.hex())
    keys.chmod(0o644)
    r_addr = free_loopback4()
    r_port = free_port(r_addr)
    gnomond("clock null\nlocal stratum 1\nkeyfile %s\n"
            "gateway-send to %s:%d interval 0.25 key 5 correction none\n" % (keys, r_addr, r_port),
            addr=free_loopback4(avoid=[r_addr]))
    recv = gnomond("clock virtual offset 0.002 freq 10\nkeyfile %s\n"
                   "gateway-receive on %s:%d sender 1 key 5\n" % (keys, r_addr, r_port),
                   addr=r_addr)

    def ready():
        cp = subprocess.run([GNOMONCTL, "-s", recv.ctl, "--json", "history"],
                            capture_output=True, text=True, timeout=10)
        return "gateway.loss_percent" in json.loads(cp.stdout)["series"] or None
    assert wait_for(ready, 30)
    time.sleep(6)

    url, stop = serve_dashboard(recv, None)
    origin = re.match(r"(https?://[^/]+)", url).group(1)
    browser = cdp.Browser(origin)
    try:
        browser.open(url)
        assert browser.wait_for("window.gnomonDash && window.gnomonDash.refreshes >= 1 && "
                                "['gw-offset', 'gw-delay', 'gw-loss'].every("
                                "k => window.gnomonDash.plots[k])", 30), browser.console
        assert browser.eval("document.getElementById('gateway').hidden") is False
        plots = browser.eval(PLOTS_JS)
        for pid in ("gw-offset", "gw-delay", "gw-loss"):
            p = plots[pid]
            assert p["values"] >= 3 and p["inked"] > 50 and len(p["pct"]) == 7, (pid, p)
        assert plots["gw-delay"]["series"] == "gateway.delay"
        # the receiver is a source too, with a space in its name
        assert browser.eval("window.gnomonDash.source").startswith("gateway ")
        text = browser.eval("document.getElementById('gw-summary').textContent")
        assert "receiving" in text and "Offset" in text, text
        # Alarms are not in /status yet: the section stays hidden until they are.
        st = get_json(url + "status")
        assert browser.eval("document.getElementById('alarms').hidden") == ("alarms" not in st)
        assert not browser.foreign, browser.foreign
        # The gateway source's name has a space ("gateway ADDR"): its
        # series is named with a '-' there and is plotted like the others.
        assert browser.console == [], browser.console
        p = plots["src-offset"]
        assert p["values"] >= 3 and p["inked"] > 50, p
    finally:
        browser.close()
        stop()


SB_KEYS = "7 SHA256 HEX:" + "a7" * 32 + "\n"
SB_PORT = 12123             # the heartbeat's default port, the same on both
RED, YELLOW, GREEN = "rgb(164, 14, 38)", "rgb(125, 78, 0)", "rgb(17, 99, 41)"   # style.css

SB_JS = """(() => { const g = id => { const e = document.getElementById(id);
    return e ? {text: e.textContent, raw: e.dataset.raw, cls: e.className,
                color: getComputedStyle(e).color} : null; };
  const sec = document.getElementById('standby');
  return {hidden: sec.hidden, section: sec.className,
          heading_color: getComputedStyle(sec.querySelector('h2')).color,
          level: document.getElementById('sb-verdict').dataset.level,
          verdict: document.getElementById('sb-verdict').textContent,
          partner_h: document.getElementById('sb-partner-h').textContent,
          state: g('sb-partner-state'), address: g('sb-partner-address'),
          health: g('sb-partner-health'), stratum: g('sb-partner-stratum'),
          heard: g('sb-partner-heard'), offset: g('sb-offset'), delay: g('sb-delay'),
          self: g('sb-health'), header: g('health'),
          refreshes: window.gnomonDash.refreshes}; })()"""


def test_dashboard_standby(gnomond, tmp_path):
    """Two gnomond on loopback as a hot-standby pair, B's clock 4 ms ahead;
    A serves the page. The panel first shows B never heard (red), then up
    with its address and the 4 ms offset gnomond measured (yellow: over
    1 ms); B is killed and the panel turns to LOST in red within the
    partner's loss time (3 intervals, at least 2 s) plus a refresh (3 s)."""
    keys = tmp_path / "keys"
    keys.write_text(SB_KEYS)
    a_ip = free_loopback4((123, SB_PORT))
    b_ip = free_loopback4((123, SB_PORT), avoid=(a_ip,))
    http_conf, url = client_http_conf()

    def conf(partner, me, clock):
        return ("%s\nlocal stratum 3\nkeyfile %s\n"
                "standby partner %s key 7 interval 0.25 bind %s\n" % (clock, keys, partner, me))
    a = gnomond(conf(b_ip, a_ip, "clock virtual") + http_conf, addr=a_ip)

    def sb_status(d):
        cp = subprocess.run([GNOMONCTL, "-s", d.ctl, "--json", "standby"],
                            capture_output=True, text=True, timeout=10)
        assert cp.returncode == 0, (cp.stdout, cp.stderr)
        return json.loads(cp.stdout)

    url, stop = serve_dashboard(a, url)
    origin = re.match(r"(https?://[^/]+)", url).group(1)
    browser = cdp.Browser(origin)
    b = None
    try:
        # A alone: the partner has never been heard, in red.
        browser.open(url)
        assert browser.wait_for("window.gnomonDash && window.gnomonDash.refreshes >= 1 && "
                                "!document.getElementById('standby').hidden", 30), browser.console
        shown = browser.eval(SB_JS)
        assert not sb_status(a)["partner"]["heard"]
        assert shown["state"]["text"] == "never heard" and shown["state"]["color"] == RED, shown
        assert shown["level"] == "bad" and shown["heading_color"] == RED, shown
        assert b_ip in shown["partner_h"] and shown["address"]["text"] == b_ip, shown
        # This server's health: in the header (every daemon) and the panel.
        st = get_json(url + "status")
        assert shown["header"]["raw"] == st["health"]["state"] == "synchronised", (shown, st["health"])
        assert shown["header"]["color"] == GREEN, shown
        assert shown["self"]["text"].startswith("synchronised: stratum 3"), shown

        b = gnomond(conf(a_ip, b_ip, "clock virtual offset 0.004"), addr=b_ip)
        assert wait_for(lambda: sb_status(a)["partner"].get("exchanges", 0) >= 8 or None, 15), \
            sb_status(a)
        n = browser.eval("window.gnomonDash.refreshes")
        assert browser.wait_for("window.gnomonDash.refreshes >= %d && "
                                "document.getElementById('sb-partner-state').textContent === 'up'"
                                % (n + 1), 15), browser.eval(SB_JS)
        shown = browser.eval(SB_JS)
        # Exactly what the /status reply the page last received says (a
        # reply may arrive between the two reads, hence two) ...
        received = [json.loads(x)["standby"]["partner"] for x in browser.bodies("/status", 2)]
        match = [p for p in received if p["up"] and float(shown["offset"]["raw"]) == p["offset"]]
        assert match, (shown, received)
        p = match[0]
        # ... which is the truth within the exchange's half round trip: B is 4 ms ahead.
        off = float(shown["offset"]["raw"])
        assert abs(off - 0.004) <= p["delay"] / 2 + 50e-6, (off, p)
        assert abs(parse_shown_time(shown["offset"]["text"]) - off) <= abs(off) * 0.01, shown
        assert shown["offset"]["text"].endswith("\u00a0ms"), shown
        assert abs(parse_shown_time(shown["delay"]["text"]) - float(shown["delay"]["raw"])) <= \
            float(shown["delay"]["raw"]) * 0.01, shown
        assert shown["address"]["text"] == b_ip and shown["state"]["color"] == GREEN, shown
        assert shown["health"]["text"] == "synchronised" and shown["stratum"]["text"] == "3", shown
        # 4 ms apart is over 1 ms: yellow, the offset and the whole panel.
        assert shown["offset"]["color"] == YELLOW and shown["level"] == "warn", shown
        assert "apart" in shown["verdict"] and shown["heading_color"] == YELLOW, shown

        # B dies: LOST, in red, within its loss time and a refresh.
        b.kill()
        b.proc.wait(5)
        t0 = time.monotonic()
        lost = browser.wait_for("document.getElementById('sb-partner-state').textContent === 'LOST'",
                                15, interval=0.1)
        took = time.monotonic() - t0
        shown = browser.eval(SB_JS)
        assert lost, (shown, sb_status(a))
        print("dashboard shows the partner LOST %.1f s after SIGKILL" % took)
        assert took <= 2 + 3 + 3, took     # 2 s loss, a 3 s refresh, 3 s of load
        assert shown["state"]["color"] == RED and shown["level"] == "bad", shown
        assert shown["heading_color"] == RED and "LOST" in shown["verdict"], shown
        assert not sb_status(a)["partner"]["up"]
        # the last figures stay, muted: what the partner said before it died
        assert shown["address"]["text"] == b_ip and shown["offset"]["raw"], shown

        assert not browser.foreign, browser.foreign
        assert not browser.console, browser.console
    finally:
        browser.close()
        stop()
