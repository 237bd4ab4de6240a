"""PTP through the impairment relay: gnomond's slave against ptp4l's own,
1 ms +- 200 us each way (uniform), measured in the same run.

Two chains side by side, each master -- relay -- slave in three network
namespaces joined by veth pairs; the relay (tests/tools/relay --bridge)
carries every Ethernet frame between its two interfaces (PTP's multicast,
ARP) with the delay drawn per frame, the same spec and seed in both:

  * chain G: ptp4l master -> relay -> gnomond slave on `clock virtual`
    started 0.1 s and 100 ppm off; its error is the truth
    (clock_minus_system: the master serves the machine's clock);
  * chain P: ptp4l master -> relay -> ptp4l slave, free running (nobody
    may adjust this machine's clock and there is no PHC here): both ends
    share the machine's clock, so every `master offset` it reports is its
    error.

What is compared: the RMS of gnomond's clock error over the last
MEASURE s against the RMS of ptp4l's offsets over the same span. ptp4l's
figure is its measurement error; a PI servo adjusting a clock would pass
it through its low-pass, so the comparison is in ptp4l's favour only in
that it cannot show its own clock (doc/ptp.md says so with the figures).
"""
import json
import os
import subprocess
import tempfile
import time

import pytest

import ntp_helpers as nh
from conftest import GNOMOND, GNOMONCTL
from test_ptp import Ptp4l, ctl, port0, ptp, tracking

RELAY = os.environ.get("RELAY", os.path.join(os.path.dirname(GNOMONCTL), "tests", "tools",
                                             "relay"))
SPEC = "delay=1ms,jitter=200us,dist=uniform"
SEED = 20261205
# The sender thread spins from the moment a frame is queued (its release is
# at most 1.2 ms away): on this VM a thread that sleeps between sparse
# frames wakes up to 5 ms late (1 % of releases, measured with the
# adaptive spin), which would put a tail on the impairment.
SPIN = "2ms"
SYNC_LOG = -3                 # 8 Sync a second, and as many Delay_Req
SETTLE, MEASURE = 60, 40


def sh(*argv):
    cp = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert cp.returncode == 0, nh.describe(cp)
    return cp


class Chain:
    """master ns -- relay ns -- slave ns; eth0 at NET.1 and NET.2."""

    def __init__(self, tag, net, procs, made):
        self.ns = ["gnpr%s-%s" % (tag, r) for r in ("m", "r", "s")]
        m, r, s = self.ns
        for name in self.ns:
            sh("ip", "netns", "add", name)
            made.append(name)
            sh("ip", "-n", name, "link", "set", "dev", "lo", "up")
        sh("ip", "link", "add", "eth0", "netns", m, "type", "veth", "peer", "name", "pm",
           "netns", r)
        sh("ip", "link", "add", "eth0", "netns", s, "type", "veth", "peer", "name", "ps",
           "netns", r)
        for i, name in enumerate((m, s)):
            sh("ip", "-n", name, "addr", "add", net + "%d/24" % (i + 1), "dev", "eth0")
            sh("ip", "-n", name, "link", "set", "dev", "eth0", "up")
        for ifn in ("pm", "ps"):
            sh("ip", "-n", r, "link", "set", "dev", ifn, "up")
        self.stats = tempfile.mktemp(prefix="gn-relay-", suffix=".json")
        self.relay = subprocess.Popen(
            ["ip", "netns", "exec", r, RELAY, "--bridge", "pm,ps", "--fwd", SPEC, "--rev", SPEC,
             "--seed", str(SEED), "--stats-file", self.stats, "--spin", SPIN],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        procs.append(self.relay)
        line = self.relay.stdout.readline()
        assert line.startswith("relay: bridging"), (line, self.relay.stderr.read())

    def stop(self):
        """Stop the relay; a line on how late its releases were."""
        self.relay.terminate()
        self.relay.wait(10)
        with open(self.stats) as f:
            st = json.load(f)
        os.unlink(self.stats)
        return " ".join("%s: %d frames, %d late on arrival, release error p99 %.0f us" % (
            d, st[d]["forwarded"], st[d]["late_on_arrival"],
            st[d]["release_error_ns"]["p99"] / 1e3) for d in ("fwd", "rev"))


def p4(ns, procs, extra):
    """test_ptp's free-running ptp4l with 8 Sync and Delay_Req a second.
    Its summary interval the Sync's (else it prints RMS summaries); free
    running, it prints a `master offset` line per frequency estimate
    (freq_est_interval, 2 s): the offset of that Sync, in servo state s0."""
    return Ptp4l(ns, procs, extra="logSyncInterval %d\nlogMinDelayReqInterval %d\n%s"
                 % (SYNC_LOG, SYNC_LOG, extra), summary=SYNC_LOG)


def rms(xs):
    return (sum(x * x for x in xs) / len(xs)) ** 0.5


@pytest.fixture
def chains():
    if os.geteuid() != 0:
        pytest.skip("needs root for network namespaces")
    nh.require_tool("ptp4l")
    if not os.access(RELAY, os.X_OK):
        pytest.skip("relay not built: %s" % RELAY)
    tag = "%d" % (os.getpid() % 100000)
    procs, made = [], []
    try:
        yield ([Chain(tag + x, net, procs, made)
                for x, net in (("g", "198.18.96."), ("p", "198.18.97."), ("i", "198.18.98."))],
               procs)
    finally:
        nh.teardown_netns(procs, made)


SLAVE_CONF = ("clock virtual offset 0.1 freq 100\nallow all\nmakestep 0.01 3\n"
              "ptp-port eth0 role slave announce-interval 0 delayreq-interval %d\n" % SYNC_LOG)


# An accuracy comparison of 100 s a chain: it runs once, in the plain
# integration run. The code it drives runs under ASan in test_ptp (the
# port, E2E) and in the unit build's sim (the PI servo as `ptp-servo pi`
# feeds it); the CI's 45 minutes are better spent elsewhere.
@pytest.mark.skipif(bool(os.environ.get("ASAN_OPTIONS")),
                    reason="accuracy comparison: once, in the plain integration run")
def test_slave_through_relay_vs_ptp4l(chains, gnomond):
    (cg, cp, ci), procs = chains
    # `ptp-servo pi` adjusts the clock itself: with another source the two
    # would fight over the clock, and gnomond says so and does not start.
    tmp = tempfile.mkdtemp(prefix="gn-pi-")
    conf = os.path.join(tmp, "gnomond.conf")
    with open(conf, "w") as f:
        f.write(SLAVE_CONF + "ptp-servo pi\nserver 198.18.96.1\nport 0\ncontrol %s/ctl\n"
                "ptp-uds off\n" % tmp)
    r = subprocess.run(["ip", "netns", "exec", ci.ns[2]] + nh.NO_SYS_TIME +
                       [GNOMOND, "-n", "-f", conf], capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "ptp-servo pi adjusts the clock by itself" in r.stderr, \
        nh.describe(r)
    for c in (cg, cp, ci):
        p4(c.ns[0], procs, "priority1 100")
    p4slave = p4(cp.ns[2], procs, "slaveOnly 1")
    d = gnomond(SLAVE_CONF, addr="0.0.0.0", netns=cg.ns[2])
    dpi = gnomond(SLAVE_CONF + "ptp-servo pi\n", addr="0.0.0.0", netns=ci.ns[2])
    for x in (d, dpi):
        nh.wait_until(lambda: port0(x)["state"] == "SLAVE", 60,
                      "gnomond's port SLAVE through the relay")
    time.sleep(SETTLE)
    errs, pierrs, t0 = [], [], time.monotonic()
    while time.monotonic() - t0 < MEASURE:
        assert port0(d)["state"] == "SLAVE", ptp(d)
        errs.append(tracking(d)["clock_minus_system"])
        pierrs.append(tracking(dpi)["clock_minus_system"])
        time.sleep(0.25)
    # ptp4l's offsets of the whole run but its first two (a measurement
    # error: with no servo there is nothing to settle)
    window = [o for o, _ in p4slave.offsets()[2:]]
    assert len(window) >= (SETTLE + MEASURE) / 2 / 2, (len(window), p4slave.log()[-3000:])
    g_rms, p_rms, i_rms = rms(errs), rms(window) * 1e-9, rms(pierrs)
    print("ptp-servo pi (linuxptp's servo on the same kind of clock): RMS %.1f us (max %.1f); "
          "%s" % (i_rms * 1e6, max(abs(e) for e in pierrs) * 1e6, ptp(dpi)["clock"]))
    p = port0(d)
    print("through the relay (%s each way): gnomond's clock error RMS %.1f us (max %.1f, "
          "%d reads); ptp4l's offsets RMS %.1f us (max %.1f, %d); path delay gnomond %.1f us"
          % (SPEC, g_rms * 1e6, max(abs(e) for e in errs) * 1e6, len(errs), p_rms * 1e6,
             max(abs(o) for o in window) / 1e3, len(window), p["mean_path_delay"] * 1e6))
    # The relays' own timing, for the record: a loaded machine makes some
    # frames late in every chain alike (they run at the same time).
    for name, c in (("core", cg), ("ptp4l", cp), ("pi", ci)):
        print("relay of the %s chain: %s" % (name, c.stop()))
    # the path is 1 ms +- 200 us each way: gnomond's estimate within it
    assert 0.8e-3 < p["mean_path_delay"] < 1.3e-3, p
    # No worse than ptp4l's offsets, nor than linuxptp's servo on a clock
    # of its own (measured: 6-12 us, 31 us, 127-550 us: ptp4l's lines
    # carry every outlier the load makes, which the core's filter drops).
    assert g_rms <= p_rms, (errs, window)
    assert g_rms <= i_rms, (errs, pierrs)
    assert ptp(dpi)["clock"]["servo"] == "pi" and ptp(dpi)["clock"]["servo_steps"] == 1, ptp(dpi)
    src = [s for s in ctl(d, "sources")["sources"] if s.get("mode") == "ptp"]
    assert src and src[0]["state"] == "*", src
