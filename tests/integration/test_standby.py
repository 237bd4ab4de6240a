"""Hot standby with keepalived: two gnomond serve one virtual address.

Four network namespaces on one bridge (198.18.77.0/24): the upstream
(gnomond, stratum 1, the machine's clock read through `clock null`), the
primary A and the standby B (gnomond on virtual clocks, disciplined from
the upstream, with the authenticated heartbeat between them, each beside
its own keepalived 2.2 doing VRRP for 198.18.77.100), and the clients:
a raw NTP client and ntpdig asking the virtual address every 200 ms
(sb_clients.py), and chronyd polling it every 125 ms (-x: it never
touches the clock).

keepalived is configured as doc/standby.md recommends: both BACKUP with
nopreempt, priority 150 and 100, `gnomonctl health --degraded-ok` as the
track_script (a failure is FAULT: the address leaves), the notify hooks
calling `gnomonctl standby notify`.

One test walks through the failures in order, since each starts from the
state the previous one left:
  1. A's gnomond is killed (SIGKILL): B answers on the address within 4 s;
  2. A's gnomond comes back: the address stays on B (no flap), A is backup;
  3. B's upstream is cut: B says unsynchronised after `health maxage`,
     A takes the address while B's own answers are still good (leap 0,
     stratum 2): no client ever sees a bad answer;
  4. the whole of A dies (gnomond and keepalived, SIGKILL): B answers
     within 4 s.
Throughout, no client sees the time jump by more than the pair's
measured offset (the heartbeat's, with half its round trip) plus 1 ms,
plus the half round trips of the two answers compared (their own error
bound): the raw client and chronyd give each answer's round trip; ntpdig
does not, so its samples are compared as medians of five either side of
each takeover."""
import json
import os
import signal
import statistics
import subprocess
import tempfile
import time

import pytest

import ntp_helpers as nh
from conftest import Gnomond, GNOMONCTL, _sanitizer_report

NET = "198.18.77."
UP, A_IP, B_IP, CL_IP, VIP = NET + "1", NET + "2", NET + "3", NET + "10", NET + "100"
KEY = "7 SHA256 HEX:" + "5c" * 32 + "\n"
HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"


def sh(*argv):
    cp = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert cp.returncode == 0, nh.describe(cp)
    return cp.stdout


wait_for = nh.wait_until


@pytest.fixture
def net():
    """Namespaces up, a, b, cl on a bridge in `up`; removed at the end."""
    if os.geteuid() != 0:
        pytest.skip("needs root for network namespaces")
    for tool in ("keepalived", "ntpdig", "chronyd"):
        nh.require_tool(tool)
    tag = "%d" % (os.getpid() % 100000)
    ns = {n: "gnsb-%s-%s" % (n, tag) for n in ("up", "a", "b", "cl")}
    procs = []
    try:
        for n in ns.values():
            sh("ip", "netns", "add", n)
            sh("ip", "-n", n, "link", "set", "lo", "up")
        sh("ip", "-n", ns["up"], "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", ns["up"], "link", "set", "br0", "up")
        sh("ip", "-n", ns["up"], "addr", "add", UP + "/24", "dev", "br0")
        for n, ip in (("a", A_IP), ("b", B_IP), ("cl", CL_IP)):
            host = "gnsb%s%s" % (n, tag)
            sh("ip", "link", "add", host, "netns", ns["up"], "type", "veth", "peer", "name",
               "eth0", "netns", ns[n])
            sh("ip", "-n", ns["up"], "link", "set", host, "master", "br0", "up")
            sh("ip", "-n", ns[n], "addr", "add", ip + "/24", "dev", "eth0")
            sh("ip", "-n", ns[n], "link", "set", "eth0", "up")
        yield ns, procs
    finally:
        nh.teardown_netns(procs, ns.values())


def keepalived_conf(d, me, peer, prio):
    ctl = "%s -s %s" % (GNOMONCTL, d.ctl)
    return """global_defs {
  script_user root
  vrrp_version 3
}
vrrp_script chk_gnomon {
  script "%(ctl)s health --degraded-ok"
  interval 1
  timeout 2
  fall 1
  rise 2
}
vrrp_instance TIME {
  state BACKUP
  nopreempt
  interface eth0
  virtual_router_id 77
  priority %(prio)d
  advert_int 0.5
  unicast_src_ip %(me)s
  unicast_peer {
    %(peer)s
  }
  virtual_ipaddress {
    %(vip)s/24 dev eth0
  }
  track_script {
    chk_gnomon
  }
  notify_master "%(ctl)s standby notify master"
  notify_backup "%(ctl)s standby notify backup"
  notify_fault "%(ctl)s standby notify fault"
}
""" % dict(ctl=ctl, prio=prio, me=me, peer=peer, vip=VIP)


class Node:
    """One server of the pair: gnomond and keepalived in namespace ns."""

    def __init__(self, name, ns, me, peer, prio, keys, extra=""):
        self.name, self.ns, self.me = name, ns, me
        self.g = Gnomond("clock virtual%s\nallow all\n"
                         "server %s iburst minpoll 0 maxpoll 0\nmakestep 0.1 -1\n"
                         "keyfile %s\nhealth maxage 6 degradedage 3\n"
                         "standby partner %s key 7 priority %d interval 0.5 bind %s\n"
                         % (extra, UP, keys, peer, prio, me),
                         addr="0.0.0.0", netns=ns)
        self.kconf = os.path.join(self.g.dir, "keepalived.conf")
        with open(self.kconf, "w") as f:
            f.write(keepalived_conf(self.g, me, peer, prio))
        self.klog = os.path.join(self.g.dir, "keepalived.log")
        self.k = None

    def start_keepalived(self, procs):
        d = self.g.dir
        self.k = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, "keepalived", "-n", "-l", "-D", "-P",
             "-f", self.kconf, "-p", d + "/ka.pid", "-r", d + "/vrrp.pid"],
            stdout=open(self.klog, "ab"), stderr=subprocess.STDOUT,
            start_new_session=True)
        procs.append(self.k)

    def holds_vip(self):
        out = subprocess.run(["ip", "-n", self.ns, "-br", "addr", "show", "eth0"],
                             capture_output=True, text=True).stdout
        return VIP + "/" in out

    def ctl(self, *args):
        cp = subprocess.run([GNOMONCTL, "-s", self.g.ctl] + list(args),
                            capture_output=True, text=True, timeout=10)
        return cp

    def standby(self):
        cp = self.ctl("--json", "standby")
        assert cp.returncode == 0, nh.describe(cp)
        return json.loads(cp.stdout)

    def health(self):
        return self.ctl("health").returncode

    def logs(self):
        try:
            with open(self.klog, errors="replace") as f:
                k = f.read()[-3000:]
        except OSError:
            k = ""
        return "--- %s gnomond ---\n%s--- %s keepalived ---\n%s" % (
            self.name, self.g.log(60), self.name, k)


def records(path, kind):
    out = []
    with open(path) as f:
        for line in f:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if r["k"] == kind:
                out.append(r)
    return out


def takeover(path, t_event):
    """Seconds from t_event to the first raw request answered after the
    answers stopped (0 when they never stopped), or None; and the gap:
    from the last request answered before they stopped to that one."""
    raw = [r for r in records(path, "raw") if r["t"] >= t_event - 1]
    last_ok, failed = None, False
    for r in raw:
        if not r["ok"]:
            failed = failed or r["t"] >= t_event
        elif failed:
            return r["t"] - t_event, r["t"] - (last_ok if last_ok is not None else t_event)
        else:
            last_ok = r["t"]
    return (0.0, 0.0) if raw and last_ok is not None and last_ok >= t_event else (None, None)


def chronyd_samples(logdir):
    """(offset, peer delay) of each chronyd measurement, in order."""
    out = []
    path = os.path.join(logdir, "measurements.log")
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) < 14 or not p[0][0].isdigit() or p[2] != VIP:
                continue
            out.append((float(p[12]), float(p[13])))
    return out


def test_keepalived_pair_takeovers(net, gnomond, tmp_path, request):
    ns, procs = net
    keys = tmp_path / "keys"
    keys.write_text(KEY)
    os.chmod(keys, 0o640)
    gnomond("clock null\nlocal stratum 1\nallow all\n", addr=UP, netns=ns["up"])
    a = Node("A", ns["a"], A_IP, B_IP, 150, keys)
    b = Node("B", ns["b"], B_IP, A_IP, 100, keys, extra=" offset 0.3 freq 10")
    nodes = (a, b)
    # started (and restarted) here, not by the fixture that stops its own:
    # stopped however the test ends (stop() twice changes nothing)
    request.addfinalizer(lambda: [n.g.stop() for n in nodes])
    mutual = []         # (|offset|, delay) of the heartbeat exchanges read

    def diag():
        return "\n".join(n.logs() for n in nodes)

    def read_mutual(n):
        p = n.standby()["partner"]
        if "offset" in p:
            mutual.append((abs(p["offset"]), p["delay"]))
        return p

    try:
        for n in nodes:
            n.g.start()
        wait_for(lambda: a.health() == 0 and b.health() == 0, 40,
                 "both servers synchronised (gnomonctl health 0)\n" + diag())
        a.start_keepalived(procs)
        wait_for(a.holds_vip, 20, "A takes the address first\n" + diag())
        b.start_keepalived(procs)
        wait_for(lambda: b.standby()["role"] == "backup", 20, "B is backup\n" + diag())
        p = wait_for(lambda: read_mutual(b).get("offset") is not None and read_mutual(a),
                     10, "heartbeat exchanges\n" + diag())
        assert p["up"] and p["health"] == "synchronised" and p["role"] == "backup", p

        # The clients, on the virtual address.
        out = str(tmp_path / "clients.jsonl")
        procs.append(subprocess.Popen(
            ["ip", "netns", "exec", ns["cl"]] + nh.NO_SYS_TIME +
            [PY, os.path.join(HERE, "sb_clients.py"), VIP, out],
            stdout=subprocess.DEVNULL, stderr=open(str(tmp_path / "clients.err"), "wb"),
            start_new_session=True))
        cdir = tempfile.mkdtemp(prefix="gn-sb-chrony-")
        with open(os.path.join(cdir, "chrony.conf"), "w") as f:
            f.write("server %s minpoll -3 maxpoll -3 iburst\ncmdport 0\nport 0\n"
                    "pidfile %s/chronyd.pid\nlogdir %s\nlog measurements\n"
                    % (VIP, cdir, cdir))
        procs.append(subprocess.Popen(
            ["ip", "netns", "exec", ns["cl"]] + nh.NO_SYS_TIME +
            ["chronyd", "-x", "-d", "-u", "root", "-f", os.path.join(cdir, "chrony.conf")],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(cdir, "err"), "wb"),
            start_new_session=True))
        wait_for(lambda: os.path.exists(out) and
                 sum(r["ok"] for r in records(out, "raw")) >= 10, 20,
                 "the clients' first answers")
        events = []

        # 1. A's gnomond dies: its health check fails, A goes to FAULT.
        read_mutual(b)
        t = time.monotonic()
        os.kill(a.g.proc.pid, signal.SIGKILL)
        a.g.proc.wait(5)
        wait_for(b.holds_vip, 15, "B takes the address after A's gnomond died\n" + diag())
        wait_for(lambda: takeover(out, t)[0] is not None and
                 any(r["ok"] and r["t"] > t + 0.5 for r in records(out, "raw")), 15,
                 "answers on the address again")
        events.append(("gnomond of A killed", t, takeover(out, t)))
        assert b.standby()["role"] == "master"

        # 2. A's gnomond returns: the address stays on B.
        a.g.start()
        t = time.monotonic()
        moved = []
        while time.monotonic() < t + 10:
            if not b.holds_vip() or a.holds_vip():
                moved.append(time.monotonic() - t)
            time.sleep(0.2)
        assert not moved, "the address moved after A's return (at %s s)\n%s" % (moved, diag())
        wait_for(lambda: a.standby()["role"] == "backup", 15, "A backup after its return\n"
                 + diag())
        lost = [r for r in records(out, "raw") if r["t"] >= t and not r["ok"]]
        assert len(lost) <= 1, "answers lost after A's return: %s" % lost
        wait_for(lambda: a.health() == 0, 30, "A synchronised again")
        read_mutual(b)
        read_mutual(a)

        # 3. B (master) loses its upstream: it must give the address up
        # while its own answers are still good.
        sh("ip", "-n", b.ns, "route", "add", "blackhole", UP + "/32")
        t = time.monotonic()
        wait_for(a.holds_vip, 25, "A takes the address after B lost its upstream\n" + diag())
        t_moved = time.monotonic() - t
        own = nh.run_peer(["ip", "netns", "exec", ns["cl"], "ntpdig", "-j", "-t", "1", B_IP])
        o = json.loads(own.stdout.strip().splitlines()[-1])
        assert o["leap"] == "no-leap" and o["stratum"] == 2, \
            "B's own answers went bad before the takeover: %s" % o
        hb = b.ctl("health")
        assert hb.returncode == 2, nh.describe(hb)
        events.append(("upstream of B cut (address moved after %.1f s)" % t_moved, t,
                       takeover(out, t)))
        read_mutual(a)
        sh("ip", "-n", b.ns, "route", "del", "blackhole", UP + "/32")
        wait_for(lambda: b.health() == 0, 30, "B synchronised again\n" + diag())
        wait_for(lambda: b.standby()["role"] == "backup", 15, "B backup again\n" + diag())
        read_mutual(b)

        # 4. The whole of A dies at once.
        t = time.monotonic()
        os.killpg(a.k.pid, signal.SIGKILL)
        os.kill(a.g.proc.pid, signal.SIGKILL)
        a.g.proc.wait(5)
        wait_for(b.holds_vip, 15, "B takes the address after A died\n" + diag())
        wait_for(lambda: any(r["ok"] and r["t"] > t + 0.5 for r in records(out, "raw")), 15,
                 "answers on the address again")
        events.append(("A (gnomond and keepalived) killed", t, takeover(out, t)))
        time.sleep(2)
        read_mutual(b)
    except BaseException:
        print(diag())
        raise

    for what, t, (took, gap) in events:
        print("%s: answers again after %s s (no answer for %s s)" % (
            what, "%.2f" % took if took is not None else "?",
            "%.2f" % gap if gap is not None else "?"))
    raw = [r for r in records(out, "raw") if r["ok"]]
    dig = [r for r in records(out, "dig") if r["ok"]]
    chrony = chronyd_samples(cdir)
    m = max(o + d / 2 for o, d in mutual)
    print("pair's measured offset (max |offset| + delay/2 over %d readings): %.1f us"
          % (len(mutual), m * 1e6))
    print("answers: raw %d, ntpdig %d, chronyd %d" % (len(raw), len(dig), len(chrony)))
    for what, t, (took, gap) in events:
        if "upstream" not in what:
            assert took is not None and took <= 4.0, \
                "%s: the address answered again only after %s s" % (what, took)

    # Never a bad answer.
    bad = [r for r in raw + dig if r["leap"] != 0 or r["stratum"] != 2]
    assert not bad, "answers with leap or stratum gone bad: %s" % bad[:5]

    # No jump beyond the pair's offset + 1 ms (+ each answer's own error).
    worst = 0
    for prev, cur in zip(raw, raw[1:]):
        jump = abs(cur["off"] - prev["off"])
        allowed = m + 1e-3 + (prev["delay"] + cur["delay"]) / 2
        worst = max(worst, jump - allowed)
        assert jump <= allowed, "raw client: a jump of %.1f us (allowed %.1f) at %s" % (
            jump * 1e6, allowed * 1e6, cur)
    for prev, cur in zip(chrony, chrony[1:]):
        jump = abs(cur[0] - prev[0])
        allowed = m + 1e-3 + (prev[1] + cur[1]) / 2
        assert jump <= allowed, "chronyd: a jump of %.1f us (allowed %.1f)" % (
            jump * 1e6, allowed * 1e6)
    for what, t, (took, gap) in events:
        # ntpdig gives no round trip: its first answers after a takeover
        # may wait for the client's ARP entry on the way out only, and
        # its Python timestamps take the machine's load. So: medians of
        # seven, from a second after the takeover on.
        before = [r["off"] for r in dig if r["t"] < t][-7:]
        after = [r["off"] for r in dig if r["t"] > t + (took or 0) + 1][:7]
        assert len(before) >= 3 and len(after) >= 3, \
            "%s: too few ntpdig answers around it (%d, %d)" % (what, len(before), len(after))
        jump = abs(statistics.median(after) - statistics.median(before))
        print("%s: ntpdig median jump %.1f us" % (what, jump * 1e6))
        assert jump <= m + 1e-3, "%s: ntpdig saw a jump of %.1f us (before %s, after %s)" % (
            what, jump * 1e6, before, after)
    assert len(chrony) >= 50, "chronyd measured only %d answers:\n%s" % (
        len(chrony), open(os.path.join(cdir, "err"), errors="replace").read()[-2000:])

    # The survivors exit cleanly (ASan: no report).
    b.g.stop()
    assert b.g.proc.returncode == 0 and not _sanitizer_report(b.g.log()), b.g.log()
    for n in nodes:
        n.g.cleanup()
