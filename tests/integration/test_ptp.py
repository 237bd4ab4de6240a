"""PTP (IEEE 1588) against linuxptp, in network namespaces on veth.

Nobody touches the machine's clock: gnomond runs on `clock virtual` (or
`clock null`, which reads the machine's clock and never sets it) without
CAP_SYS_TIME, and every ptp4l runs with `free_running 1` (it measures and
never adjusts) and software timestamps, also without CAP_SYS_TIME. A
ptp4l master therefore serves the machine's own clock, which is the truth
a gnomond slave's error is read against (`gnomonctl tracking`:
clock_minus_system).

  * gnomond slave <- ptp4l master over UDPv4, UDPv6 and L2, E2E and P2P:
    started 0.1 s and 100 ppm off, it reaches SLAVE and holds its error
    within 5 us (the median of the last reads; the worst read within
    20 us: software timestamps on a loaded 2-core machine);
  * ptp4l slave <- gnomond master: ptp4l's offsets within 5 us (median),
    its path delay positive and under 1 ms; pmc reads gnomond's data sets
    over the management socket and the values are gnomond's;
  * BMCA: two gnomond and a ptp4l with priorities 100, 110, 120 elect the
    first; killed, the second takes over within the announce timeout
    and the ptp4l follows; restored, the first is grandmaster again and
    the second changes state no more than it must;
  * malformed, truncated, wrong-domain, wrong-version and oversized
    messages are counted and dropped, and the slave stays SLAVE."""
import grp
import json
import os
import re
import shutil
import signal
import statistics
import struct
import subprocess
import tempfile
import time

import pytest

import ntp_helpers as nh
from conftest import GNOMONCTL

NET = "198.18.94."
NET6 = "fd00:94::"


def sh(*argv):
    cp = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert cp.returncode == 0, nh.describe(cp)
    return cp.stdout


def ctl(d, *args):
    cp = subprocess.run([GNOMONCTL, "-s", d.ctl, "--json"] + list(args),
                        capture_output=True, text=True, timeout=10)
    assert cp.returncode == 0, nh.describe(cp)
    return json.loads(cp.stdout)


def ptp(d):
    return ctl(d, "ptp")


def port0(d):
    return ptp(d)["ports"][0]


def tracking(d):
    return ctl(d, "tracking")


@pytest.fixture
def lan():
    """make(n): n namespaces with eth0 at 198.18.94.1.., fd00:94::1..: two
    on a direct veth, more on one bridge (in the first). Yields (make,
    procs); everything is removed at the end."""
    if os.geteuid() != 0:
        pytest.skip("needs root for network namespaces")
    nh.require_tool("ptp4l")
    nh.require_tool("pmc")
    tag = "%d" % (os.getpid() % 100000)
    made, procs = [], []

    def make(n):
        names = ["gnptp%d-%s" % (i, tag) for i in range(n)]
        br = names[0]
        for name in names:
            sh("ip", "netns", "add", name)
            made.append(name)
            sh("ip", "-n", name, "link", "set", "lo", "up")
        if n == 2:
            # two nodes: a direct veth, as the figures are for (a
            # bridge between adds its softirq's forwarding to the noise)
            sh("ip", "link", "add", "eth0", "netns", names[0], "type", "veth", "peer", "name",
               "eth0", "netns", names[1])
            for i, name in enumerate(names):
                sh("ip", "-n", name, "addr", "add", NET + "%d/24" % (i + 1), "dev", "eth0")
                sh("ip", "-n", name, "addr", "add", NET6 + "%d/64" % (i + 1), "dev", "eth0",
                   "nodad")
                sh("ip", "-n", name, "link", "set", "eth0", "up")
            return names
        sh("ip", "-n", br, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", br, "link", "set", "br0", "up")
        for i, name in enumerate(names):
            host = "gp%d%s" % (i, tag)
            sh("ip", "link", "add", host, "netns", br, "type", "veth", "peer", "name",
               "eth0", "netns", name)
            sh("ip", "-n", br, "link", "set", host, "master", "br0", "up")
            sh("ip", "-n", name, "addr", "add", NET + "%d/24" % (i + 1), "dev", "eth0")
            sh("ip", "-n", name, "addr", "add", NET6 + "%d/64" % (i + 1), "dev", "eth0",
               "nodad")
            sh("ip", "-n", name, "link", "set", "eth0", "up")
        return names

    try:
        yield make, procs
    finally:
        nh.teardown_netns(procs, made)


class Ptp4l:
    """A ptp4l that never adjusts a clock (free_running, no CAP_SYS_TIME)."""

    def __init__(self, ns, procs, transport="UDPv4", delay="E2E", extra="", summary=0):
        self.dir = tempfile.mkdtemp(prefix="gn-p4-")
        self.uds = os.path.join(self.dir, "ptp4l")
        self.conf = os.path.join(self.dir, "ptp4l.conf")
        self.logpath = os.path.join(self.dir, "ptp4l.log")
        with open(self.conf, "w") as f:
            f.write("[global]\ntime_stamping software\nfree_running 1\n"
                    "uds_address %s\nnetwork_transport %s\ndelay_mechanism %s\n"
                    "logAnnounceInterval 0\nsummary_interval %d\n%s\n"
                    % (self.uds, transport, delay, summary, extra))
        self.p = subprocess.Popen(
            ["ip", "netns", "exec", ns] + nh.NO_SYS_TIME +
            ["ptp4l", "-f", self.conf, "-i", "eth0", "-m"],
            stdout=open(self.logpath, "wb"), stderr=subprocess.STDOUT,
            start_new_session=True)
        procs.append(self.p)

    def log(self):
        with open(self.logpath, errors="replace") as f:
            return f.read()

    def offsets(self):
        """(offset ns, path delay ns) of each `master offset` line."""
        out = []
        for m in re.finditer(r"master offset\s+(-?\d+) s\d freq\s+[-+]?\d+ path delay\s+(-?\d+)",
                             self.log()):
            out.append((int(m.group(1)), int(m.group(2))))
        return out

    def kill(self):
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGKILL)
            self.p.wait(5)


def pmc(uds, *cmds):
    """pmc over a management socket; {data set name: {field: value}}.

    pmc binds its own socket mode 0660 (/var/run/pmc.PID by default); a
    gnomond that dropped to its user can answer it only when the socket's
    group is the daemon's: pmc's socket goes into a setgid directory of
    that group (doc/ptp.md), which root's ptp4l does not mind."""
    d = tempfile.mkdtemp(prefix="gn-pmc-")
    gid = grp.getgrnam("gnomon").gr_gid if _has_group("gnomon") else 0
    os.chown(d, 0, gid)
    os.chmod(d, 0o2770)
    try:
        cp = subprocess.run(["pmc", "-u", "-b", "0", "-i", os.path.join(d, "pmc"), "-s", uds] +
                            list(cmds), capture_output=True, text=True, timeout=20)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    assert cp.returncode == 0, nh.describe(cp)
    out, cur = {}, None
    for line in cp.stdout.splitlines():
        m = re.search(r"RESPONSE MANAGEMENT (\w+)", line)
        if m:
            cur = out.setdefault(m.group(1), {})
            continue
        f = line.split()
        if cur is not None and len(f) == 2:
            cur[f[0]] = f[1]
    return out, cp


def pmc_net(ns, *cmds):
    """pmc over the network (UDPv4 on eth0 of namespace ns, boundary hops
    0): {(responder port identity, data set name): {field: value}}."""
    cp = subprocess.run(["ip", "netns", "exec", ns, "pmc", "-4", "-i", "eth0", "-b", "0",
                         "-t", "0"] + list(cmds), capture_output=True, text=True, timeout=20)
    assert cp.returncode == 0, nh.describe(cp)
    out, cur = {}, None
    for line in cp.stdout.splitlines():
        m = re.search(r"(\S+) seq \d+ RESPONSE MANAGEMENT (\w+)", line)
        if m:
            cur = out.setdefault((m.group(1), m.group(2)), {})
            continue
        f = line.split()
        if cur is not None and len(f) == 2:
            cur[f[0]] = f[1]
    return out, cp


def _has_group(name):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def slave_conf(port_opts, extra=""):
    return ("clock virtual offset 0.1 freq 100\nallow all\nmakestep 0.01 3\n"
            "ptp-port eth0 role slave announce-interval 0 %s\n%s" % (port_opts, extra))


def hold_error(d, seconds):
    """Reads of the clock's error (s) every 0.5 s for seconds, while SLAVE
    throughout. (CI once saw an l2-p2p slave go SLAVE -> UNCALIBRATED ->
    SLAVE twice, each for 1 s, the same master: one exchange the core's
    estimator rejected held the source out of one selection, and ptp.c
    signalled SYNCHRONIZATION_FAULT at once. It now waits for
    PTP_FAULT_SAMPLES samples in a row.)"""
    errs = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        assert port0(d)["state"] == "SLAVE", ptp(d)
        errs.append(tracking(d)["clock_minus_system"])
        time.sleep(0.5)
    assert errs, ptp(d)
    return errs


SETTLE, HOLD = 40, 15

TRANSPORTS = [("udp4", "UDPv4", "e2e", "E2E"), ("udp6", "UDPv6", "e2e", "E2E"),
              ("l2", "L2", "e2e", "E2E"), ("udp4", "UDPv4", "p2p", "P2P"),
              ("udp6", "UDPv6", "p2p", "P2P"), ("l2", "L2", "p2p", "P2P")]
# Under ASan every transport and every delay mechanism still runs (udp4
# both, udp6 E2E, l2 P2P); these two combinations of code already run
# there are left to the plain pass, a minute each (the CI's 45 minutes).
ASAN_SKIP = {("udp6", "p2p"), ("l2", "e2e")}


def _transport_params():
    asan = bool(os.environ.get("ASAN_OPTIONS"))
    return [pytest.param(*t, id="%s-%s" % (t[0], t[2]),
                         marks=pytest.mark.skipif(asan and (t[0], t[2]) in ASAN_SKIP,
                                                  reason="run in the plain pass only"))
            for t in TRANSPORTS]


@pytest.mark.parametrize("tr,p4tr,dl,p4dl", _transport_params())
def test_slave_of_ptp4l(lan, gnomond, tr, p4tr, dl, p4dl):
    make, procs = lan
    ns = make(2)
    master = Ptp4l(ns[1], procs, p4tr, p4dl)
    d = gnomond(slave_conf("transport %s delay %s" % (tr, dl)), addr="0.0.0.0", netns=ns[0])
    nh.wait_until(lambda: port0(d)["state"] == "SLAVE", 60,
                  "gnomond's port SLAVE to ptp4l")
    # the step, then the frequency: 40 s (measured: within 2 us after
    # 35-50 s from 0.1 s and 100 ppm off)
    time.sleep(SETTLE)
    errs = hold_error(d, HOLD)
    med = statistics.median(abs(e) for e in errs)
    p90 = sorted(abs(e) for e in errs)[int(0.9 * (len(errs) - 1))]
    print("ptp %s/%s: error median %.2f us, 90th percentile %.2f us, worst %.2f us "
          "over %d reads" % (tr, dl, med * 1e6, p90 * 1e6, max(abs(e) for e in errs) * 1e6,
                             len(errs)))
    # software timestamps on both ends of a veth on a shared 2-core
    # machine: the median within the 5 us, a tenth of the
    # reads may be twice that (the path delay was seen jumping from 2
    # to 20 us while other builds ran)
    assert med <= 5e-6 and p90 <= 10e-6, (errs, port0(d))
    p = port0(d)
    assert p["master"].startswith(master_identity(master)), (p, master.log()[-2000:])
    if dl == "p2p":
        assert 0 < p["peer_mean_path_delay"] < 1e-3, p
    else:
        assert 0 < p["mean_path_delay"] < 1e-3, p
    src = [s for s in ctl(d, "sources")["sources"] if s.get("mode") == "ptp"]
    assert src and src[0]["state"] == "*", src


def master_identity(p4):
    out, _ = pmc(p4.uds, "GET DEFAULT_DATA_SET")
    return out["DEFAULT_DATA_SET"]["clockIdentity"]


def test_ptp4l_slave_of_gnomond(lan, gnomond):
    make, procs = lan
    ns = make(2)
    d = gnomond("clock null\nlocal stratum 1\nallow all\n"
                "ptp-port eth0 role master announce-interval 0 priority1 100\n",
                addr="0.0.0.0", netns=ns[0])
    slave = Ptp4l(ns[1], procs, extra="slaveOnly 1\n")
    nh.wait_until(lambda: port0(d)["state"] == "MASTER", 20, "gnomond MASTER")
    nh.wait_until(lambda: len(slave.offsets()) >= 20, 90,
                  "20 offsets from the ptp4l slave:\n" + slave.log()[-2000:])
    offs = slave.offsets()[-15:]
    med = statistics.median(abs(o) for o, _ in offs)
    delays = [dl for _, dl in offs]
    print("ptp4l slave of gnomond: |offset| median %d ns, worst %d ns, path delay "
          "median %d ns" % (med, max(abs(o) for o, _ in offs), statistics.median(delays)))
    assert med <= 5000, offs
    assert 0 < statistics.median(delays) < 1000000, offs
    assert "LISTENING to UNCALIBRATED" in slave.log() or "UNCALIBRATED" in slave.log()

    info = ptp(d)
    ident = info["clock"]["identity"]
    out, cp = pmc(info_uds(d), "GET DEFAULT_DATA_SET", "GET PARENT_DATA_SET",
                  "GET TIME_PROPERTIES_DATA_SET", "GET PORT_DATA_SET",
                  "GET CURRENT_DATA_SET")
    dds = out["DEFAULT_DATA_SET"]
    assert dds["clockIdentity"] == ident and dds["priority1"] == "100", cp.stdout
    assert dds["domainNumber"] == "0" and dds["numberPorts"] == "1", cp.stdout
    assert dds["slaveOnly"] == "0" and dds["twoStepFlag"] == "1", cp.stdout
    assert out["PARENT_DATA_SET"]["grandmasterIdentity"] == ident, cp.stdout
    assert out["PARENT_DATA_SET"]["grandmasterPriority1"] == "100", cp.stdout
    tp = out["TIME_PROPERTIES_DATA_SET"]
    assert tp["currentUtcOffset"] == "37" and tp["ptpTimescale"] == "1", cp.stdout
    pds = out["PORT_DATA_SET"]
    assert pds["portState"] == "MASTER" and pds["portIdentity"] == ident + "-1", cp.stdout
    assert pds["delayMechanism"] == "1" and pds["logAnnounceInterval"] == "0", cp.stdout
    assert out["CURRENT_DATA_SET"]["stepsRemoved"] == "0", cp.stdout
    # and the ptp4l slave's own view names gnomond as its grandmaster
    out, cp = pmc(slave.uds, "GET PARENT_DATA_SET")
    assert out["PARENT_DATA_SET"]["grandmasterIdentity"] == ident, cp.stdout
    answered = ptp(d)["management"]["answered"]
    assert answered >= 5
    # Management over the network transport (UDPv4), from the slave's side
    # of the link, as an operator's pmc on another machine asks.
    out, cp = pmc_net(ns[1], "GET DEFAULT_DATA_SET", "GET PORT_DATA_SET")
    mine = ident + "-1"
    assert out[(mine, "DEFAULT_DATA_SET")]["clockIdentity"] == ident, cp.stdout
    assert out[(mine, "DEFAULT_DATA_SET")]["priority1"] == "100", cp.stdout
    assert out[(mine, "PORT_DATA_SET")]["portState"] == "MASTER", cp.stdout
    assert ptp(d)["management"]["answered"] >= answered + 2


def info_uds(d):
    return os.path.join(d.dir, "ptp")


def test_bmca_election_and_takeover(lan, gnomond):
    make, procs = lan
    ns = make(3)
    conf = ("clock virtual\nallow all\nmakestep 0.01 -1\n"
            "ptp-port eth0 announce-interval 0 priority1 %d\n")
    a = gnomond(conf % 100, addr="0.0.0.0", netns=ns[0])
    b = gnomond(conf % 110, addr="0.0.0.0", netns=ns[1])
    c = Ptp4l(ns[2], procs, extra="priority1 120\n")
    ida, idb = ptp(a)["clock"]["identity"], ptp(b)["clock"]["identity"]

    def gm_of_c():
        try:
            out, _ = pmc(c.uds, "GET PARENT_DATA_SET")
            return out["PARENT_DATA_SET"]["grandmasterIdentity"]
        except (AssertionError, KeyError):
            return None

    nh.wait_until(lambda: port0(a)["state"] == "MASTER", 30, "A master")
    nh.wait_until(lambda: port0(b)["state"] == "SLAVE"
                  and ptp(b)["parent"]["grandmaster"] == ida, 30, "B slave of A")
    nh.wait_until(lambda: gm_of_c() == ida, 30, "ptp4l follows A")
    changes_b = port0(b)["state_changes"]

    a.kill()
    t0 = time.monotonic()
    nh.wait_until(lambda: port0(b)["state"] == "MASTER", 15, "B takes over")
    took = time.monotonic() - t0
    print("B master %.1f s after A was killed (announce timeout 3 x 1 s)" % took)
    # announceReceiptTimeout 3 x 1 s, checked four times a second, plus the
    # control socket's polling: within the timeout and one interval
    assert took <= 3 + 1 + 0.5, took
    nh.wait_until(lambda: gm_of_c() == idb, 15, "ptp4l follows B")

    a2 = gnomond(a.body, addr="0.0.0.0", netns=ns[0])
    nh.wait_until(lambda: port0(a2)["state"] == "MASTER", 30, "A master again")
    nh.wait_until(lambda: port0(b)["state"] == "SLAVE"
                  and ptp(b)["parent"]["grandmaster"] == ida, 30, "B slave of A again")
    nh.wait_until(lambda: gm_of_c() == ida, 30, "ptp4l follows A again")
    settled = port0(b)["state_changes"]
    time.sleep(8)
    states = lambda: [l for l in b.log(400).splitlines() if "ptp-port eth0:" in l]
    assert port0(b)["state_changes"] == settled, "\n".join(states())   # no flapping
    assert port0(a2)["state"] == "MASTER"
    # B: slave -> listening? -> master -> uncalibrated -> slave: a handful
    assert settled - changes_b <= 5, states()


def ptp_header(msgtype, length, domain=0, version=2, seq=1):
    return struct.pack("!BBHBBHq4s8sHHBb", msgtype & 0xF, version, length, domain, 0, 0, 0,
                       b"\0" * 4, bytes.fromhex("0a0b0cfffe0d0e0f"), 1, seq, 0, 0)


def test_malformed_messages_dropped(lan, gnomond):
    make, procs = lan
    ns = make(2)
    Ptp4l(ns[1], procs)    # the master the slave keeps following
    d = gnomond(slave_conf("transport udp4"), addr="0.0.0.0", netns=ns[0])
    nh.wait_until(lambda: port0(d)["state"] == "SLAVE", 60, "SLAVE")
    before = port0(d)["dropped"]
    sync_body = b"\0" * 10
    bad = [
        ptp_header(0, 44)[:20],                                  # truncated header
        ptp_header(0, 44, version=1) + sync_body,               # wrong version
        ptp_header(0, 200) + sync_body,                          # length > datagram
        ptp_header(0xB, 64)[:34] + b"\0" * 10,                   # announce body short
        ptp_header(0, 44, domain=7) + sync_body,                 # wrong domain
    ]
    code = ("import socket,sys\n"
            "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
            "for h in sys.argv[1:]:\n"
            "  b=bytes.fromhex(h)\n"
            "  for p in (319,320): s.sendto(b,('%s1',p))\n"
            "s.sendto(b'\\x00'*2000,('%s1',319))\n" % (NET, NET))
    for _ in range(3):
        sh("ip", "netns", "exec", ns[1], "/usr/bin/python3", "-c", code,
           *[b.hex() for b in bad])
    time.sleep(1)
    after = port0(d)["dropped"]
    print("dropped before %s after %s" % (before, after))
    assert after["malformed"] - before["malformed"] >= 3 * 2 * 4, (before, after)
    assert after["domain"] - before["domain"] >= 3 * 2, (before, after)
    assert after["truncated"] - before["truncated"] + \
        after["malformed"] - before["malformed"] >= 3 * 2 * 4 + 3, (before, after)
    # and the slave measures on: new samples from its master after the garbage
    n = port0(d)["samples"]
    nh.wait_until(lambda: port0(d)["samples"] >= n + 2, 10, "two more samples")
    assert d.alive() and port0(d)["state"] == "SLAVE"


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_interface_removed_port_faulty(lan, gnomond):
    """The port's interface goes away under it: FAULTY, logged, and the
    daemon goes on serving without spinning on the dead sockets (it once
    took half a CPU polling their error forever)."""
    make, procs = lan
    ns = make(2)
    Ptp4l(ns[1], procs, extra="priority1 1\n")   # the better master, whatever the MACs
    # role auto: once its master is silent the port turns MASTER and sends
    d = gnomond(slave_conf("transport udp4").replace(" role slave", ""), addr="0.0.0.0",
                netns=ns[0])
    nh.wait_until(lambda: port0(d)["state"] == "SLAVE", 60, "SLAVE")
    sh("ip", "-n", ns[0], "link", "del", "eth0")
    nh.wait_until(lambda: port0(d)["state"] == "FAULTY", 10, "the port FAULTY")
    before = cpu_seconds(d.proc.pid)
    time.sleep(4)
    used = cpu_seconds(d.proc.pid) - before
    assert used < 0.5, "gnomond used %.2f s of CPU in 4 s with its port gone" % used
    assert "FAULTY until gnomond is restarted" in d.log(50)
    assert tracking(d)["stratum"] <= 16 and d.alive()

