"""Offset accuracy as seen by real NTP clients, and by `gnomonctl query`.

gnomond runs with `clock null` (it reads the machine's clock and never
touches it) and `serve-offset S`: every reply is shifted by S seconds, so the
exact truth is S.  Each of ntpdig (-j JSON), sntp, `ntpdate -q`, python3
ntplib and `chronyd -Q` must report S within 1 ms.
"""

import json
import re
import subprocess

import pytest

import ntp_helpers as nh
from conftest import BASE, GNOMONCTL

OFFSETS = [0.0, 3.5, -1000.25]


def offset_id(v):
    return "offset%+g" % v


@pytest.fixture(scope="module", params=OFFSETS, ids=offset_id)
def offset_server(request, daemon_factory):
    start, finish = daemon_factory()
    off = request.param
    d = start(BASE + "serve-offset %s\n" % repr(off))
    yield off, d
    finish()


@pytest.mark.parametrize("client", list(nh.CLIENTS))
def test_client_measures_serve_offset(offset_server, client):
    expected, d = offset_server
    attempts = 2 if client == "chronyd" else 3
    details = []

    def one():
        off, info, cp = nh.CLIENTS[client](d)
        details.append((off, info, cp))
        return off, info, cp

    seen = nh.measure_within(one, expected, attempts=attempts)
    assert abs(seen[-1] - expected) <= nh.OFFSET_TOL, (
        "%s measured %r (attempts), expected %r +/- 1 ms; last run:\n%s" % (
            client, seen, expected,
            nh.describe(details[-1][2]) if details[-1][2] else details[-1][1]))

    # what else each tool tells us about the server
    off, info, cp = details[-1]
    if client == "ntpdig":
        assert info["stratum"] == 10 and info["leap"] == "no-leap", info
        assert info["ip"] == d.addr, info
    elif client in ("sntp", "ntpdate"):
        assert info["stratum"] == "10" and info["leap"] == "no-leap", info
    elif client == "ntplib":
        assert info.stratum == 10 and info.leap == 0, vars(info)
        assert info.ref_id == 0x7F7F0101, hex(info.ref_id)
        assert info.root_delay == 0, info.root_delay
        # ntplib's own delay: a loopback round trip, well under 10 ms
        assert 0 <= info.delay < 0.01, info.delay


# --------------------------------------------------------------------------
# gnomonctl query

def gnomonctl(*args, timeout=30):
    return subprocess.run([GNOMONCTL] + list(args), capture_output=True,
                          text=True, timeout=timeout)


REFID_FORMS = {"127.127.1.1", "7F7F0101", "7f7f0101", "0x7f7f0101", "0x7F7F0101"}


@pytest.mark.parametrize("order", ["json-first", "json-last"])
def test_gnomonctl_query_json(offset_server, order):
    expected, d = offset_server
    before = d.stats()
    if order == "json-first":  # as in the contract
        cp = gnomonctl("--json", "query", d.addr, "-p", str(d.port), "-n", "3")
    else:  # option after the host, as people type it
        cp = gnomonctl("query", d.addr, "-p", str(d.port), "--json", "-n", "3")
    assert cp.returncode == 0, nh.describe(cp)
    try:
        obj = json.loads(cp.stdout)
    except ValueError:
        raise AssertionError("query --json output is not one JSON object:\n"
                             + nh.describe(cp))
    assert obj["server"] == d.addr and obj["port"] == d.port, obj
    samples = obj["samples"]
    assert len(samples) == 3, obj
    for s in samples:
        # each sample is within its own error bound (half its delay) ...
        assert abs(s["offset"] - expected) <= s["delay"] / 2 + 1e-4, (s, expected)
        assert 0 <= s["delay"] < 0.05, s
        assert s["stratum"] == 10 and s["leap"] == 0 and s["version"] == 4, s
        assert s["refid"] in REFID_FORMS, s
    best = min(samples, key=lambda s: s["delay"])
    assert obj["offset"] == best["offset"] and obj["delay"] == best["delay"], (
        "top-level figures must come from the smallest-delay sample", obj)
    # ... and the chosen one within 1 ms
    assert abs(obj["offset"] - expected) <= nh.OFFSET_TOL, obj
    assert obj["stratum"] == 10 and obj["leap"] == 0, obj
    assert obj["refid"] in REFID_FORMS, obj
    assert obj["root_delay"] == 0, obj
    assert 0 <= obj["root_dispersion"] < 1, obj
    dl = nh.delta(before, d.stats())
    assert dl["received"] == 3 and dl["answered"] == 3 and dl["version.4"] == 3, dl


OFFSET_WORD_RE = re.compile(r"offset[\s:=]*([-+]?\d+\.\d+(?:[eE][-+]?\d+)?)\s*(ms|s)?",
                            re.IGNORECASE)


def test_gnomonctl_query_human(offset_server):
    expected, d = offset_server
    cp = gnomonctl("query", d.addr, "-p", str(d.port), "-n", "3")
    assert cp.returncode == 0, nh.describe(cp)
    assert d.addr in cp.stdout, nh.describe(cp)
    assert "{" not in cp.stdout, "human output looks like JSON:\n" + cp.stdout
    # The human format is free, but it names the offset: "offset N" (s or ms)
    found = [(float(x), unit) for x, unit in OFFSET_WORD_RE.findall(cp.stdout)]
    ok = [n for n, unit in found
          if abs(n * (1e-3 if unit.lower() == "ms" else 1) - expected) <= nh.OFFSET_TOL]
    assert ok, "offset %r not found in human output:\n%s" % (expected, nh.describe(cp))


def test_gnomonctl_query_no_server_fails(gnomonctl_bin):
    """No reply at all -> exit status non-zero (contract: 0 only if at least
    one valid reply)."""
    from conftest import free_loopback4
    addr = free_loopback4(123)
    cp = gnomonctl("--json", "query", addr, "-p", "123", "-n", "1", timeout=60)
    assert cp.returncode != 0, nh.describe(cp)
