"""The audit engine over a simulated fleet (tests/tools/fleet.h): one
`fleet` responder answers NTP for every address of 198.18.0.0/16 inside a
network namespace (AnyIP), each address with its own known offset and
behaviour (good, off, silent, garbage, wrong protocol, KoD, unsynchronised,
lossy). `fleet_audit` runs the engine over 2,000 of them and checks every
device's status, reason and offset against that truth.

No timing bound: the figure is bench/audit-bench.sh's (10,000 devices).
"""

import json
import os
import subprocess
import time

import pytest

from conftest import GNOMOND

TOOLS = os.path.join(os.path.dirname(os.path.abspath(GNOMOND)), "tests", "tools")
FLEET = os.path.join(TOOLS, "fleet")
FLEET_AUDIT = os.path.join(TOOLS, "fleet_audit")
DEVICES = 2000


@pytest.fixture
def fleet_ns():
    if os.geteuid() != 0:
        pytest.fail("needs root (a network namespace)", pytrace=False)
    for b in (FLEET, FLEET_AUDIT):
        if not os.access(b, os.X_OK):
            pytest.fail("%s missing (ninja -C build)" % b, pytrace=False)
    ns = "taf%d" % os.getpid()
    subprocess.run(["ip", "netns", "add", ns], check=True)
    proc = None
    try:
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        subprocess.run(["ip", "-n", ns, "route", "add", "local", "198.18.0.0/16", "dev", "lo"],
                       check=True)
        proc = subprocess.Popen(["ip", "netns", "exec", ns, FLEET], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        line = proc.stdout.readline()
        assert "ready" in line, "fleet did not start: %r %s" % (line, proc.stderr.read())
        yield ns, proc
    finally:
        if proc and proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)
        subprocess.run(["ip", "netns", "del", ns], check=False)


def test_fleet_exact_classification(fleet_ns):
    ns, proc = fleet_ns
    t0 = time.monotonic()
    r = subprocess.run(["ip", "netns", "exec", ns, FLEET_AUDIT, "-n", str(DEVICES), "-j"],
                       capture_output=True, text=True, timeout=120)
    elapsed = time.monotonic() - t0
    assert r.returncode in (0, 1), r.stderr
    res = json.loads(r.stdout)
    # Every device exactly: status, reason of an unreachable one, offset
    # within delay/2 + 1 ms of the truth (fleet_audit prints mismatches).
    assert res["exact"] == DEVICES, r.stderr
    assert r.returncode == 0
    # The truth has every kind in 2,000 devices; the counts tie up.
    truth = subprocess.run([FLEET_AUDIT, "-T", "-n", str(DEVICES)], capture_output=True,
                           text=True, check=True).stdout.split("\n")
    want = {"ok": 0, "off": 0, "unreachable": 0}
    kinds = {}
    for line in truth:
        if line:
            _, status, _, kind = line.split()
            want[status] += 1
            kinds[kind] = kinds.get(kind, 0) + 1
    assert len(kinds) == 8, kinds
    assert (res["ok"], res["off"], res["unreachable"]) == (want["ok"], want["off"],
                                                          want["unreachable"])
    # Four requests a device, less one for each KoD (no more after it).
    assert res["requests"] == 4 * DEVICES - 3 * kinds["kod"]
    assert res["kod"] == kinds["kod"]
    assert res["unsync"] == 4 * kinds["unsync"]
    # Nothing unexplained reached the engine.
    assert res["unmatched"] == 0
    # The responder saw every request.
    proc.terminate()
    _, err = proc.communicate(timeout=10)
    assert "rx %d " % res["requests"] in err, err
    print("fleet of %d: %.1f s, %s" % (DEVICES, elapsed, r.stdout.strip()))
