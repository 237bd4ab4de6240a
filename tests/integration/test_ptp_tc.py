"""gnomond as an end-to-end transparent clock (`ptp-tc`) between a ptp4l
master and a gnomond slave, three network namespaces in a row:

    ptp4l master (A) --veth-- gnomond ptp-tc eth0 eth1 (T) --veth-- gnomond slave (B)

The transparent clock forwards every message through user space, so each
Sync and Delay_Req spends tens of microseconds in it with software
timestamps; that residence goes into the Follow_Up's and the Delay_Resp's
correctionField. The slave must then see the link's delay only, not the
residence: its mean path delay is asserted below the transparent clock's
mean residence time, and its clock error (on `clock virtual` started 0.1 s
and 100 ppm off, the truth being the machine's clock that ptp4l serves)
within the 5 us of the direct-link test. Nobody touches the machine's
clock (free-running ptp4l, no CAP_SYS_TIME anywhere)."""
import os
import statistics
import subprocess
import time

import pytest

import ntp_helpers as nh
from conftest import GNOMONCTL
from test_ptp import Ptp4l, ctl, hold_error, master_identity, port0, ptp, sh

SETTLE, HOLD = 40, 10


@pytest.fixture
def line():
    """Three namespaces A - T - B; yields (names, procs)."""
    if os.geteuid() != 0:
        pytest.skip("needs root for network namespaces")
    nh.require_tool("ptp4l")
    tag = "%d" % (os.getpid() % 100000)
    names = ["gntc%s-%s" % (x, tag) for x in ("a", "t", "b")]
    procs, made = [], []
    try:
        for n in names:
            sh("ip", "netns", "add", n)
            made.append(n)
            sh("ip", "-n", n, "link", "set", "dev", "lo", "up")
        a, t, b = names
        sh("ip", "link", "add", "eth0", "netns", a, "type", "veth", "peer", "name", "eth0",
           "netns", t)
        sh("ip", "link", "add", "eth1", "netns", t, "type", "veth", "peer", "name", "eth0",
           "netns", b)
        for ns, ifn, addr in ((a, "eth0", "198.18.93.1/24"), (t, "eth0", "198.18.93.2/24"),
                              (t, "eth1", "198.18.92.2/24"), (b, "eth0", "198.18.92.1/24")):
            sh("ip", "-n", ns, "addr", "add", addr, "dev", ifn)
            sh("ip", "-n", ns, "link", "set", "dev", ifn, "up")
        yield names, procs
    finally:
        nh.teardown_netns(procs, made)


@pytest.mark.parametrize("tr,p4tr", [("udp4", "UDPv4"), ("l2", "L2")], ids=["udp4", "l2"])
def test_transparent_clock_between_ptp4l_and_slave(line, gnomond, tr, p4tr):
    (a, t, b), procs = line
    master = Ptp4l(a, procs, p4tr, "E2E")
    tc = gnomond("clock null\nptp-tc eth0 eth1 transport %s\n" % tr, addr="0.0.0.0", netns=t)
    d = gnomond("clock virtual offset 0.1 freq 100\nallow all\nmakestep 0.01 3\n"
                "ptp-port eth0 role slave announce-interval 0 transport %s\n" % tr,
                addr="0.0.0.0", netns=b)
    nh.wait_until(lambda: port0(d)["state"] == "SLAVE", 60,
                  "the slave SLAVE through the transparent clock")
    # transparent: the slave's master is ptp4l itself
    p = port0(d)
    assert p["master"].startswith(master_identity(master)), (p, master.log()[-2000:])
    time.sleep(SETTLE)
    errs = hold_error(d, HOLD)
    med = statistics.median(abs(e) for e in errs)
    info = ctl(tc, "ptp")
    c = info["transparent_clock"]
    p = port0(d)
    print("%s through the transparent clock: error median %.2f us, worst %.2f us; slave's "
          "mean path delay %.2f us; residence mean %.1f us, max %.1f us, %d corrected, "
          "%d unmatched" % (tr, med * 1e6, max(abs(e) for e in errs) * 1e6,
                            p["mean_path_delay"] * 1e6, c["residence_mean"] * 1e6,
                            c["residence_max"] * 1e6, c["corrected"], c["unmatched"]))
    assert c["corrected"] >= 20 and c["residences"] >= 20, info
    fwd = {x["interface"]: x["forwarded"] for x in info["ports"]}
    assert fwd["eth1"].get("SYNC", 0) > 0 and fwd["eth1"].get("FOLLOW_UP", 0) > 0, info
    assert fwd["eth0"].get("DELAY_REQ", 0) > 0 and fwd["eth1"].get("DELAY_RESP", 0) > 0, info
    # The residence is taken out: what is left of the path is the links'
    # (about a microsecond each on veth), well below the residence itself.
    assert 0 < p["mean_path_delay"] < c["residence_mean"], (p, c)
    assert med <= 5e-6, (errs, p)
    assert all(x["dropped"]["malformed"] == 0 for x in info["ports"]), info
    text = subprocess.run([GNOMONCTL, "-s", tc.ctl, "ptp"], capture_output=True, text=True,
                          timeout=10).stdout
    assert "Transparent clock: e2e, %s" % tr in text and "Residence time" in text, text
    m = ctl(tc, "metrics")["metrics"]
    assert m["gnomon_ptp_tc_corrected_total"] >= c["corrected"], m
    assert m["gnomon_ptp_tc_residence_mean_seconds"] > 0, m
