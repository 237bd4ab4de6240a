"""gnomon-snmp (doc/snmp.md): an AgentX subagent serving NTPv4-MIB (RFC 5907)
and GNOMON-MIB from gnomond's control socket, under a real Debian snmpd as
AgentX master, with notifications received by a real snmptrapd.

Every process here is the test's own: snmpd with its own config, AgentX
socket and UDP port on 127.0.0.1 (a view that includes mib-2.197 and the
gnomon subtree: Debian's default view hides them), snmptrapd with its own
config and port writing to a file, two gnomond (`clock virtual`; the
downstream one synchronised to the upstream one, which serves `local
stratum`), and gnomon-snmp pointing at the downstream's control socket and
the master's AgentX socket. Values read over SNMP are compared with
`gnomonctl --json` read around them: a value must equal what gnomonctl
showed just before or just after (the daemon may update in between).
"""

import json
import os
import socket
import re
import shutil
import signal
import struct
import calendar
import subprocess
import tempfile
import threading
import time

import pytest

import ntp_helpers as nh
from conftest import GNOMONCTL, REPO, free_port

GNOMON_SNMP = os.environ.get("GNOMON_SNMP", os.path.join(REPO, "build", "gnomon-snmp"))

NTP = ".1.3.6.1.2.1.197"
GN = ".1.3.6.1.4.1.8072.9999.9999.4664"
MODE = NTP + ".1.2.1.0"
STRATUM = NTP + ".1.2.2.0"
PEER_ID = NTP + ".1.2.3.0"
PEER_NAME = NTP + ".1.2.4.0"
ACTIVE_OFFSET = NTP + ".1.2.5.0"
NREFS = NTP + ".1.2.6.0"
UPTIME = NTP + ".1.2.8.0"
DATETIME = NTP + ".1.2.9.0"
ASSOC = NTP + ".1.3.1.1"
REACHABLE = GN + ".1.1.1.0"
TRAP_OID = ".1.3.6.1.6.3.1.1.4.1.0"
# Fast polling keeps the test short; the upstream's loss shows in reach
# after a few polls.
FAST = "iburst minpoll 0 maxpoll 1"


def _need(tool):
    path = shutil.which(tool)
    if not path:
        pytest.fail("%s not installed: run tools/deps.sh test" % tool, pytrace=False)
    return path


class Proc:
    """A background process with its output in a file, stopped at the end."""

    def __init__(self, argv, log, env=None):
        self.argv = argv
        self.log = log
        self._f = open(log, "wb")
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._f,
                                  stderr=subprocess.STDOUT, start_new_session=True,
                                  env=env)

    def alive(self):
        return self.p.poll() is None

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(5)
        self._f.close()

    def output(self):
        try:
            with open(self.log, "rb") as f:
                return f.read().decode("utf-8", "replace")[-6000:]
        except OSError:
            return "(no output)"


class Snmp:
    """snmpd (AgentX master) and snmptrapd, each with its own config."""

    def __init__(self):
        for t in ("snmpd", "snmptrapd", "snmpget", "snmpwalk"):
            _need(t)
        self.dir = tempfile.mkdtemp(prefix="gn-snmp-")
        self.port = free_port("127.0.0.1")
        self.trap_port = free_port("127.0.0.1")
        self.agentx = os.path.join(self.dir, "agentx")
        self.traps = os.path.join(self.dir, "traps.log")
        self.procs = []
        conf = os.path.join(self.dir, "snmpd.conf")
        with open(conf, "w") as f:
            f.write("agentaddress udp:127.0.0.1:%d\n"
                    "master agentx\n"
                    "agentXSocket %s\n"
                    "agentXTimeout 5\n"
                    "view gnomonview included .1.3.6.1.2.1.1\n"
                    "view gnomonview included %s\n"
                    "view gnomonview included %s\n"
                    "rocommunity public 127.0.0.1 -V gnomonview\n"
                    # a SET reaches the subagent only through a writable
                    # community: the test checks that gnomon-snmp refuses it
                    "rwcommunity private 127.0.0.1 -V gnomonview\n"
                    "trap2sink 127.0.0.1:%d public\n"
                    % (self.port, self.agentx, NTP, GN, self.trap_port))
        tconf = os.path.join(self.dir, "snmptrapd.conf")
        with open(tconf, "w") as f:
            f.write("disableAuthorization yes\n")
        # Persistent state and MIB lookups stay out of the machine's own
        # /var/lib/snmp and MIB directories.
        os.mkdir(os.path.join(self.dir, "mibs"))
        self.env = dict(os.environ, SNMP_PERSISTENT_DIR=os.path.join(self.dir, "persist"),
                        MIBS="", MIBDIRS=os.path.join(self.dir, "mibs"))
        self.trapd = self._start(["snmptrapd", "-f", "-C", "-c", tconf, "-On", "-Lf",
                                  self.traps, "-p", os.path.join(self.dir, "trapd.pid"),
                                  "udp:127.0.0.1:%d" % self.trap_port], "snmptrapd.out")
        self.snmpd = self._start(["snmpd", "-f", "-C", "-c", conf, "-Lf",
                                  os.path.join(self.dir, "snmpd.log"), "-p",
                                  os.path.join(self.dir, "snmpd.pid")], "snmpd.out")
        deadline = time.monotonic() + 15
        while not os.path.exists(self.agentx):
            if time.monotonic() > deadline or not self.snmpd.alive():
                raise AssertionError("snmpd did not open its AgentX socket:\n"
                                     + self.snmpd.output())
            time.sleep(0.1)
        self.sub = None

    def _start(self, argv, log):
        p = Proc(nh.NO_SYS_TIME + argv, os.path.join(self.dir, log), self.env)
        self.procs.append(p)
        return p

    def start_subagent(self, ctl, heartbeat=300):
        self.sub = self._start([GNOMON_SNMP, "-s", ctl, "-x", self.agentx, "-c", "1000",
                                "-H", str(heartbeat)], "gnomon-snmp.log")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if not self.sub.alive():
                raise AssertionError("gnomon-snmp exited:\n" + self.sub.output())
            if self.get(NTP + ".1.1.1.0")[0] == "STRING":
                return self.sub
            time.sleep(0.2)
        raise AssertionError("gnomon-snmp never registered with snmpd:\n%s\n--- snmpd ---\n%s"
                             % (self.sub.output(), self.snmpd.output()))

    def sub_unclean(self):
        """Stop gnomon-snmp; a description of what was wrong, or None."""
        self.sub.stop()
        self.procs.remove(self.sub)
        out = self.sub.output()
        if self.sub.p.returncode != 0 or any(m in out for m in (
                "runtime error:", "AddressSanitizer", "LeakSanitizer")):
            return "gnomon-snmp exited with %s on SIGTERM:\n%s" % (self.sub.p.returncode, out)
        return None

    def _cmd(self, tool, *oids):
        cp = subprocess.run([tool, "-v2c", "-c", "public", "-On", "-t", "3", "-r", "1",
                             "127.0.0.1:%d" % self.port] + list(oids),
                            capture_output=True, text=True, timeout=30, env=self.env)
        return cp

    def walk(self, root):
        cp = self._cmd("snmpwalk", root)
        assert cp.returncode == 0, nh.describe(cp)
        return parse_varbinds(cp.stdout.splitlines())

    def get(self, oid):
        """(type, value) of one instance; type is e.g. 'No Such Instance'."""
        cp = self._cmd("snmpget", oid)
        vb = parse_varbinds(cp.stdout.splitlines())
        return vb.get(oid, ("error", cp.stdout + cp.stderr))

    def trap_lines(self):
        try:
            with open(self.traps, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return []
        return [l for l in text.split("\n") if TRAP_OID in l]

    def wait_trap(self, notif, pred=lambda vb: True, timeout=60, since=0):
        """The first trap after the first `since` ones whose snmpTrapOID is
        notif and whose varbinds satisfy pred."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.trap_lines()[since:]:
                vb = parse_varbinds(line.split("\t"))
                if vb.get(TRAP_OID, (None, None))[1] == notif and pred(vb):
                    assert_trap_objects(vb)
                    return vb
            time.sleep(0.25)
        raise AssertionError("no %s trap within %ds; traps:\n%s\n--- gnomon-snmp ---\n%s"
                             % (notif, timeout, "\n".join(self.trap_lines()),
                                self.sub.output() if self.sub else ""))

    def stop(self):
        for p in reversed(self.procs):
            p.stop()

    def report(self):
        return "\n".join("--- %s ---\n%s" % (" ".join(p.argv[-6:]), p.output())
                         for p in self.procs)


VB_RE = re.compile(r'^\s*(\.[0-9.]+) = (?:([A-Za-z0-9 -]+): )?(.*)$')


def parse_varbinds(lines):
    """net-snmp -On output ('.OID = TYPE: value') to {oid: (type, value)};
    strings lose their quotes, Hex-STRING becomes bytes."""
    out = {}
    for line in lines:
        m = VB_RE.match(line)
        if not m:
            continue
        oid, typ, val = m.group(1), m.group(2), m.group(3).strip()
        if val.startswith("No more variables left"):
            continue        # the end of a walk, not a value
        if typ is None:
            # an empty string, or "No Such Instance currently exists ..."
            typ, val = ("STRING", "") if val == '""' else (val, val)
        if typ == "STRING" and val.startswith('"') and val.endswith('"'):
            val = val[1:-1]
        elif typ == "Hex-STRING":
            val = bytes.fromhex(val)
        elif typ in ("INTEGER", "Gauge32", "Counter32", "Counter64"):
            val = int(val.split()[0])
        elif typ == "Timeticks":
            val = int(val.split(")")[0].lstrip("("))
        out[oid] = (typ, val)
    return out


@pytest.fixture
def snmp():
    s = Snmp()
    unclean = None
    try:
        yield s
        # gnomon-snmp ends cleanly on SIGTERM (under ASan/UBSan: without a
        # report); its predecessors in a test were checked when replaced.
        if s.sub:
            unclean = s.sub_unclean()
    finally:
        s.stop()
        shutil.rmtree(s.dir, ignore_errors=True)
    if unclean:
        pytest.fail(unclean, pytrace=False)


def ctl(d, cmd):
    cp = subprocess.run([GNOMONCTL, "-s", d.ctl, "--json", cmd], capture_output=True,
                        text=True, timeout=10)
    assert cp.returncode == 0, nh.describe(cp)
    return json.loads(cp.stdout)


def ms(seconds, unit=True):
    return "%.6f%s" % (seconds * 1e3, " ms" if unit else "")


def wait_for(pred, timeout, what, step=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError("timed out after %ds waiting for %s" % (timeout, what))


def synced_to_peer(d):
    srcs = ctl(d, "sources")["sources"]
    return ctl(d, "tracking")["synchronised"] and any(s["state"] == "*" for s in srcs)


def start_pair(gnomond, up_stratum=1):
    up_port = free_port("127.0.0.1")
    up = gnomond("clock virtual\nlocal stratum %d\nallow 127.0.0.0/8\n" % up_stratum,
                 addr="127.0.0.1", port=up_port)
    dn = gnomond("clock virtual offset 0.01\nserver 127.0.0.1 port %d %s\n"
                 "allow 127.0.0.0/8\n" % (up_port, FAST),
                 addr="127.0.0.1", port=free_port("127.0.0.1"))
    wait_for(lambda: synced_to_peer(dn), 30, "the downstream gnomond to select its upstream")
    return up, dn


class Recorder(threading.Thread):
    """Reads `gnomonctl --json tracking` and `sources` in a loop: every
    state gnomond showed while it ran."""

    def __init__(self, d):
        super().__init__(daemon=True)
        self.d = d
        self.done = threading.Event()
        self.tracking, self.sources = [], []

    def run(self):
        while not self.done.is_set():
            self.tracking.append(ctl(self.d, "tracking"))
            self.sources.append(ctl(self.d, "sources")["sources"])

    def stop(self):
        self.done.set()
        self.join(30)


def one_of(value, candidates, what):
    assert value in candidates, "%s: SNMP shows %r, gnomonctl showed %r" % (
        what, value, sorted(set(candidates), key=str)[:8])


def assert_walk_matches(snmp, d, tries=3):
    """Each NTPv4-MIB value of a walk equals what `gnomonctl --json` showed
    at some moment between one cache period (1 s) before the walk and its
    end: the subagent's poll lies in that window. gnomonctl is read in a
    loop over it, so a daemon that updates often (a gateway source four
    times a second) is compared with its real states, not with a guess."""
    last = None
    for _ in range(tries):
        rec = Recorder(d)
        rec.start()
        time.sleep(1.3)
        walk = snmp.walk(NTP)
        rec.stop()
        try:
            check_walk(walk, rec.tracking, rec.sources)
            return walk, rec.tracking[-1], rec.sources[-1]
        except AssertionError as e:
            last = e
    raise AssertionError("SNMP walk never matched gnomonctl: %s" % last)


def check_walk(w, trs, srcss):
    srcs = srcss[-1]
    one_of(w[MODE][1], [6 if any(s["state"] == "*" for s in ss) else
                        4 if tr["synchronised"] else 2 for tr, ss in zip(trs, srcss)], "mode")
    one_of(w[STRATUM], [("Gauge32", tr["stratum"] if tr["synchronised"] else 16)
                        for tr in trs], "stratum")
    assert w[NREFS][1] == len(srcs)
    one_of(w[NTP + ".1.1.7.0"][1], [ms(tr["root_delay"] / 2 + tr["root_dispersion"])
                                    for tr in trs], "ntpEntTimeDistance")
    one_of(w[NTP + ".1.2.7.0"][1], [ms(tr["root_dispersion"], False) for tr in trs],
           "ntpEntStatusDispersion")
    # association table: one row per source, in order, ids 1..n
    rows = sorted({int(o.rsplit(".", 1)[1]) for o in w if o.startswith(ASSOC + ".2.")})
    assert len(rows) == len(srcs), (rows, srcs)
    for i, (row, s) in enumerate(zip(rows, srcs)):
        col = lambda c: w[ASSOC + ".%d.%d" % (c, row)][1]
        seen = [ss[i] for ss in srcss if len(ss) == len(srcs)]
        assert col(2) == s["name"]
        assert col(3) == s["refid"]
        if s.get("address"):
            assert col(4) == 1                          # ipv4
            assert col(5) == bytes(int(x) for x in s["address"].split("."))
        else:                                           # a gateway: no address
            assert col(4) == 0 and col(5) == ""
        one_of(col(6), [ms(x["offset"]) for x in seen], "ntpAssocOffset.%d" % row)
        one_of(col(7), [x["stratum"] if 0 < x["stratum"] < 16 else 16 for x in seen],
               "ntpAssocStratum.%d" % row)
        one_of(col(8), [ms(x["jitter"], False) for x in seen], "ntpAssocStatusJitter.%d" % row)
        one_of(col(9), [ms(x["delay"], False) for x in seen], "ntpAssocStatusDelay.%d" % row)
        one_of(col(10), [ms(x["dispersion"], False) for x in seen],
               "ntpAssocStatusDispersion.%d" % row)
        if "received" in s:
            one_of(w[NTP + ".1.3.2.1.1.%d" % row][1], [x["received"] % 2**32 for x in seen],
                   "ntpAssocStatInPkts.%d" % row)
        if "sent" in s:
            one_of(w[NTP + ".1.3.2.1.2.%d" % row][1], [x["sent"] % 2**32 for x in seen],
                   "ntpAssocStatOutPkts.%d" % row)
    peers = [(rows[i], x) for ss in srcss if len(ss) == len(srcs)
             for i, x in enumerate(ss) if x["state"] == "*"]
    if w[PEER_ID][1]:
        one_of(w[PEER_ID][1], [r for r, _ in peers], "ntpEntStatusActiveRefSourceId")
        one_of(w[PEER_NAME][1], [x["name"] for _, x in peers], "ntpEntStatusActiveRefSourceName")
        one_of(w[ACTIVE_OFFSET][1], [ms(x["offset"]) for _, x in peers],
               "ntpEntStatusActiveOffset")


# --------------------------------------------------------------------------
# every instance served is an object of the MIB texts, with its type

# Wire type (as net-snmp prints it) of each base type and textual convention
# the two MIBs use.
WIRE = {"Integer32": "INTEGER", "Enumeration": "INTEGER", "TruthValue": "INTEGER",
        "InetAddressType": "INTEGER", "Unsigned32": "Gauge32", "Gauge32": "Gauge32",
        "NtpStratum": "Gauge32", "Counter32": "Counter32", "Counter64": "Counter64",
        "TimeTicks": "Timeticks", "OctetString": "octets", "DisplayString": "octets",
        "Utf8String": "octets", "InetAddress": "octets", "NtpDateTime": "octets",
        "Bits": "octets"}
_MIB = {}
_NOTIF = {}     # notification oid -> [oid of each of its OBJECTS, in order]


def mib_objects():
    """{oid: (name, nodetype, wire type)} of the scalars and columns in
    mibs/, read with smidump (smitools) - the same texts smilint checks."""
    if _MIB:
        return _MIB
    _need("smidump")
    env = dict(os.environ, SMIPATH="%s/mibs/ietf:/usr/share/snmp/mibs" % REPO)
    for m in ("NTPv4-MIB", "GNOMON-MIB"):
        cp = subprocess.run(["smidump", "-f", "python", os.path.join(REPO, "mibs", m + ".txt")],
                            capture_output=True, text=True, timeout=30, env=env)
        assert cp.returncode == 0, nh.describe(cp)
        ns = {}
        exec(cp.stdout, ns)     # smidump's python format is a dict literal
        nodes = ns["MIB"]["nodes"]
        for notif in ns["MIB"].get("notifications", {}).values():
            _NOTIF["." + notif["oid"]] = ["." + nodes[o]["oid"] for o in notif["objects"]]
        for name, node in nodes.items():
            if node.get("nodetype") not in ("scalar", "column"):
                continue
            t = node["syntax"]["type"]
            key = t.get("name") or t.get("basetype")
            if key not in WIRE:
                key = t.get("basetype") or key
            _MIB["." + node["oid"]] = (name, node["nodetype"], WIRE.get(key, key),
                                       node.get("access"))
    return _MIB


def assert_trap_objects(vb):
    """A notification carries sysUpTime.0, snmpTrapOID.0, then an instance
    of each of its OBJECTS in the MIB's order (RFC 3416 §4.2.6)."""
    mib_objects()
    oids = list(vb)
    notif = vb[TRAP_OID][1]
    assert notif in _NOTIF, "%s is not a notification of mibs/" % notif
    assert oids[:2] == [".1.3.6.1.2.1.1.3.0", TRAP_OID], oids
    want = _NOTIF[notif]
    got = [o.rsplit(".", 1)[0] for o in oids[2:]]
    assert got == want, "%s carries %s, the MIB says %s" % (notif, got, want)


def assert_defined(walk):
    """Each instance: a scalar's OID plus .0, or a column's plus one index;
    readable in the MIB; and of the MIB's type on the wire."""
    objs = mib_objects()
    for oid, (typ, _) in walk.items():
        base, idx = oid.rsplit(".", 1)
        assert base in objs, "%s is not an object of mibs/" % oid
        name, kind, wire, access = objs[base]
        assert kind == "column" or idx == "0", "%s: scalar %s without .0" % (oid, name)
        assert access in ("readonly", "readwrite"), "%s: %s is %s" % (oid, name, access)
        got = "octets" if typ in ("STRING", "Hex-STRING") else typ
        assert got == wire, "%s (%s): served as %s, the MIB says %s" % (oid, name, typ, wire)


def ntp_date_to_unix(b):
    era, off, hi, lo = struct.unpack(">iIII", b)
    return era * 2**32 + off + (hi * 2**32 + lo) / 2**64 - 2208988800


def test_walk_equals_gnomonctl(gnomond, snmp):
    up, dn = start_pair(gnomond)
    t_start = time.time()
    snmp.start_subagent(dn.ctl)
    walk, tr, srcs = assert_walk_matches(snmp, dn)
    assert_defined(walk)
    assert walk[STRATUM][1] == 2
    assert walk[NTP + ".1.1.1.0"] == ("STRING", "gnomon")
    assert walk[NTP + ".1.2.16.0"][0] == "Counter32"
    # date-time: the daemon's (virtual) clock, within the read's span
    now = time.time()
    shown = ntp_date_to_unix(walk[DATETIME][1])
    assert abs(shown - (now + tr["clock_minus_system"])) < 5, (shown, now)
    # uptime: since gnomond started (before t_start), in hundredths
    assert 0 < walk[UPTIME][1] / 100 < time.time() - t_start + 60
    # the private MIB: reachable, fresh
    g = snmp.walk(GN)
    assert_defined(g)
    assert g[REACHABLE] == ("INTEGER", 1)
    assert g[GN + ".1.1.4.0"][0] == "Gauge32" and g[GN + ".1.1.4.0"][1] < 3000, g
    # GET of an instance that does not exist, and a SET refused by
    # gnomon-snmp itself (the community allows it)
    assert snmp.get(NTP + ".1.2.99.0")[0].startswith("No Such")
    cp = subprocess.run(["snmpset", "-v2c", "-c", "private", "127.0.0.1:%d" % snmp.port,
                         NTP + ".1.4.1.0", "u", "5"], capture_output=True, text=True,
                        timeout=30, env=snmp.env)
    assert cp.returncode != 0 and "notWritable" in cp.stdout + cp.stderr, nh.describe(cp)
    assert snmp.get(NTP + ".1.4.1.0") == ("Gauge32", 300)
    assert snmp.sub.alive()


def test_traps_and_daemon_restart(gnomond, snmp):
    up, dn = start_pair(gnomond)
    snmp.start_subagent(dn.ctl)
    assert_walk_matches(snmp, dn)
    n0 = len(snmp.trap_lines())

    # The upstream stops: its reach runs out and the downstream loses its
    # sys peer (gnomond holds its stratum over for an hour, so the stratum
    # does not move yet).
    up.stop()
    vb = snmp.wait_trap(NTP + ".0.3", lambda v: v.get(PEER_ID, (0, -1))[1] == 0,
                        timeout=90, since=n0)
    assert "-> none" in vb[NTP + ".1.5.1.0"][1]

    # A new upstream of stratum 4 on the same port: the downstream comes
    # back at stratum 5.
    n1 = len(snmp.trap_lines())
    up2 = gnomond("clock virtual\nlocal stratum 4\nallow 127.0.0.0/8\n",
                  addr="127.0.0.1", port=up.port)
    vb = snmp.wait_trap(NTP + ".0.2", lambda v: v.get(STRATUM, (0, 0))[1] == 5,
                        timeout=60, since=n1)
    assert vb[NTP + ".1.5.1.0"][1] == "stratum 2 -> 5"
    snmp.wait_trap(NTP + ".0.3", lambda v: v.get(PEER_ID, (0, 0))[1] == 1,
                   timeout=30, since=n1)
    assert_walk_matches(snmp, dn)

    # gnomond stops: mode notRunning, and nothing from it is served stale.
    n2 = len(snmp.trap_lines())
    dn.stop()
    vb = snmp.wait_trap(NTP + ".0.1", lambda v: v.get(MODE, (0, 0))[1] == 1,
                        timeout=30, since=n2)
    snmp.wait_trap(GN + ".0.1", timeout=10, since=n2)
    time.sleep(1.2)     # past the subagent's cache
    assert snmp.get(MODE) == ("INTEGER", 1)
    assert snmp.get(STRATUM)[0].startswith("No Such")
    assert snmp.get(ASSOC + ".2.1")[0].startswith("No Such")
    assert snmp.get(REACHABLE) == ("INTEGER", 2)

    # gnomond comes back: the subagent never stopped, serves it again and
    # says so (mode change, gnomond reachable, configuration changed: a
    # new process).
    n3 = len(snmp.trap_lines())
    dn.start()
    wait_for(lambda: synced_to_peer(dn), 30, "the restarted gnomond to resynchronise")
    assert snmp.sub.alive(), snmp.sub.output()
    snmp.wait_trap(NTP + ".0.1", lambda v: v.get(MODE, (0, 0))[1] in (2, 6),
                   timeout=30, since=n3)
    snmp.wait_trap(GN + ".0.2", timeout=10, since=n3)
    vb = snmp.wait_trap(NTP + ".0.6", timeout=30, since=n3)
    assert "restarted" in vb[NTP + ".1.5.1.0"][1]
    walk, tr, srcs = assert_walk_matches(snmp, dn)
    assert walk[STRATUM][1] == 5
    up2.stop()


KEY_ID = 5
KEYS = "%d SHA256 HEX:%s\n" % (KEY_ID, bytes(range(0x20, 0x40)).hex())
GW_RECV = GN + ".1.2"
GW_RESULT = GN + ".1.2.17.1"
GW_SENDER = GN + ".1.3.1.1"


def between(before, value, after, what):
    assert before <= value <= after, "%s: %s not within [%s, %s]" % (what, value, before,
                                                                     after)


def test_gateway_objects(gnomond, snmp):
    """A gateway sender and receiver on loopback: the receiver's GNOMON-MIB
    objects follow `gnomonctl gateway`, junk sent to it shows in the
    packets-by-result table, and the sender's row follows its counters."""
    keydir = tempfile.mkdtemp(prefix="gn-snmp-k-")
    try:
        keys = os.path.join(keydir, "keys")
        with open(keys, "w") as f:
            f.write(KEYS)
        os.chmod(keydir, 0o755)
        os.chmod(keys, 0o644)
        port = free_port("127.0.0.1")
        sender = gnomond("clock virtual\nlocal stratum 1\nkeyfile %s\n"
                         "gateway-send to 127.0.0.1:%d interval 0.25 key %d correction none\n"
                         % (keys, port, KEY_ID), addr="127.0.0.1",
                         port=free_port("127.0.0.1"))
        recv = gnomond("clock virtual offset 0.2\nkeyfile %s\n"
                       "gateway-receive on 127.0.0.1:%d sender 1 key %d\n"
                       % (keys, port, KEY_ID), addr="127.0.0.1", port=free_port("127.0.0.1"))
        wait_for(lambda: ctl(recv, "gateway")["receiver"]["accepted"] >= 8, 30,
                 "the receiver to accept gateway messages")
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for junk in (b"x", b"GNMG" + bytes(20), b"not a gateway message" * 3):
            s.sendto(junk, ("127.0.0.1", port))
        s.close()
        wait_for(lambda: sum(v for k, v in ctl(recv, "gateway")["receiver"]["rejected"].items())
                 >= 3, 10, "the junk to be counted")

        snmp.start_subagent(recv.ctl)
        # The walk is served from a poll at most one cache period (1 s) old:
        # waiting longer than that after reading `before` puts the poll
        # between the two gnomonctl reads.
        b = ctl(recv, "gateway")["receiver"]
        time.sleep(1.2)
        g = snmp.walk(GN)
        a = ctl(recv, "gateway")["receiver"]
        assert_defined(g)
        val = lambda n: g[GW_RECV + ".%d.0" % n][1]
        between(b["received"], val(1), a["received"], "received")
        between(b["accepted"], val(2), a["accepted"], "accepted")
        for n, k in ((3, "gaps"), (4, "lost"), (7, "replays"), (8, "restarts")):
            between(b["sequence"][k], val(n), a["sequence"][k], k)
        assert val(9) == sum(b["rejected"].get(k, 0) for k in (
            "unauthenticated", "unknown_key", "bad_key_type", "key_not_accepted", "bad_mac"))
        assert val(10) == (1 if b["silent"] else 2)
        assert val(12) == (1 if b["loss_alarm"] else 2)
        # packets by result: accepted first, then every verdict by name
        rows = {g[o][1]: g[o.replace(GW_RESULT + ".2.", GW_RESULT + ".3.")][1]
                for o in g if o.startswith(GW_RESULT + ".2.")}
        assert set(rows) == {"accepted"} | set(b["rejected"]), rows
        for name, count in rows.items():
            if name != "accepted":
                between(b["rejected"][name], count, a["rejected"][name], name)
        assert sum(v for k, v in rows.items() if k != "accepted") >= 3
        # the receiver is an association of NTPv4-MIB too
        assert_walk_matches(snmp, recv)

        # The sender stops: the receiver's silence alarm is raised, and
        # cleared when the sender is back (GNOMON-MIB notifications).
        n0 = len(snmp.trap_lines())
        sender.stop()
        vb = snmp.wait_trap(GN + ".0.3", timeout=30, since=n0)
        # raised after 3 silent intervals of 0.25 s (the receiver's default
        # `silent 3`): the trap says it has been 750 ms or more (867 ms seen
        # when the subagent's poll came right after the raise)
        assert vb[GW_RECV + ".11.0"][1] >= 750, vb
        assert snmp.get(GW_RECV + ".10.0") == ("INTEGER", 1)
        n1 = len(snmp.trap_lines())
        sender.start()
        snmp.wait_trap(GN + ".0.4", timeout=30, since=n1)
        assert snmp.get(GW_RECV + ".10.0") == ("INTEGER", 2)

        # the sender's row
        unclean = snmp.sub_unclean()
        assert not unclean, unclean
        snmp.start_subagent(sender.ctl)
        bs = ctl(sender, "gateway")["senders"][0]
        time.sleep(1.2)
        g = snmp.walk(GN)
        as_ = ctl(sender, "gateway")["senders"][0]
        assert_defined(g)
        assert g[GW_SENDER + ".2.1"][1] == "127.0.0.1"
        assert g[GW_SENDER + ".3.1"][1] == port
        between(bs["sent"], g[GW_SENDER + ".4.1"][1], as_["sent"], "sent")
        assert g[GW_SENDER + ".9.1"][1] == "none"
        # The sender's first path check comes about a second after its
        # start, which was just now: the walk may hold the health before
        # or after it (CI under ASan: 0 read before, 23 walked).
        assert g[GW_SENDER + ".7.1"][1] in (bs["health"], as_["health"]), (bs, as_)
        assert not any(o.startswith(GW_RECV + ".1.") for o in g)    # no receiver there
    finally:
        shutil.rmtree(keydir, ignore_errors=True)


class LeapServer(threading.Thread):
    """A stratum-1 NTP server on 127.0.0.1 (the machine's clock) whose
    replies announce a leap second insertion (LI = 1, RFC 5905 §7.3) once
    `leap` is set."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.done = threading.Event()
        self.answered = 0
        self.leap = 0

    def run(self):
        while not self.done.is_set():
            try:
                req, peer = self.sock.recvfrom(1024)
            except socket.timeout:
                continue
            t2 = time.time()
            if len(req) < 48:
                continue
            head = struct.pack("!BBbbII4s", (self.leap << 6) | (4 << 3) | 4, 1, 0, -20, 0, 16,
                               b"GPS\0")
            reply = head + struct.pack("!Q", nh.unix_to_ntp(t2 - 1)) + req[40:48] + \
                struct.pack("!QQ", nh.unix_to_ntp(t2), nh.unix_to_ntp(time.time()))
            self.sock.sendto(reply, peer)
            self.answered += 1

    def stop(self):
        self.done.set()
        self.join(5)
        self.sock.close()


def test_leap_announced_and_heartbeat(gnomond, snmp):
    """An upstream announces a leap second: LeapSecondAnnounced, and the
    leap objects show the direction and the end of this month. The
    heartbeat comes every ntpEntHeartbeatInterval seconds."""
    srv = LeapServer()
    srv.start()
    try:
        dn = gnomond("clock virtual\nserver 127.0.0.1 port %d %s\nallow 127.0.0.0/8\n"
                     % (srv.port, FAST), addr="127.0.0.1", port=free_port("127.0.0.1"))
        snmp.start_subagent(dn.ctl, heartbeat=2)
        wait_for(lambda: snmp.get(MODE) == ("INTEGER", 6), 30, "syncToRemoteServer")
        assert snmp.get(NTP + ".1.2.11.0") == ("INTEGER", 0)
        assert snmp.get(NTP + ".1.2.10.0") == ("Hex-STRING", bytes(16))
        n = len(snmp.trap_lines())
        srv.leap = 1
        vb = snmp.wait_trap(NTP + ".0.7", timeout=60, since=n)
        assert vb[NTP + ".1.5.1.0"][1] == "leap second announced (insert)"
        assert ctl(dn, "tracking")["leap"] == "insert"
        time.sleep(1.2)
        assert snmp.get(NTP + ".1.2.11.0") == ("INTEGER", 1)
        when = ntp_date_to_unix(snmp.get(NTP + ".1.2.10.0")[1])
        now = time.gmtime()
        y, m = (now.tm_year + 1, 1) if now.tm_mon == 12 else (now.tm_year, now.tm_mon + 1)
        assert when == calendar.timegm((y, m, 1, 0, 0, 0)), time.gmtime(when)
        # heartbeats, 2 s apart, with the current mode and the interval
        n = len(snmp.trap_lines())
        a = snmp.wait_trap(NTP + ".0.8", timeout=10, since=n)
        assert a[NTP + ".1.4.1.0"][1] == 2 and a[MODE][1] == 6
        t0 = time.monotonic()
        snmp.wait_trap(NTP + ".0.8", timeout=10, since=len(snmp.trap_lines()))
        assert 1.0 < time.monotonic() - t0 < 4.0
        assert srv.answered > 0
    finally:
        srv.stop()


ALARM = GN + ".1.5.1.1"         # gnomonAlarmEntry
ALARM_RAISED = GN + ".0.7"
ALARM_CLEARED = GN + ".0.8"
SEV = {"none": 1, "info": 2, "warning": 3, "critical": 4}
STATE = {"unset": 1, "raised": 2, "cleared": 3}


def alarm_text(v):
    """gnomonAlarmValue/Threshold: "%.9g" of the JSON number, "" for null."""
    return "" if v is None else "%.9g" % v


def trap_alarm(vb):
    """(name, severity) of a gnomonAlarmRaised/Cleared trap."""
    name = [v for o, (_, v) in vb.items() if o.startswith(ALARM + ".2.")]
    sev = [v for o, (_, v) in vb.items() if o.startswith(ALARM + ".4.")]
    return (name[0] if name else None, sev[0] if sev else None)


def alarm_traps(snmp, notif, name, since):
    out = []
    for line in snmp.trap_lines()[since:]:
        vb = parse_varbinds(line.split("\t"))
        if vb.get(TRAP_OID, (None, None))[1] == notif and trap_alarm(vb)[0] == name:
            out.append(vb)
    return out


def expected_alarm_row(al, rule):
    """The gnomonAlarmTable row `gnomonctl --json alarms` calls for."""
    active = {a["name"]: a for a in al["active"]}
    if rule["name"] in active:
        thr, msg = active[rule["name"]]["threshold"], active[rule["name"]]["message"]
    else:
        t = rule["thresholds"]
        thr = next((t[k] for k in ("info", "warning", "critical") if k in t), None)
        msg = next((e["message"] for e in al["recent"] if e["name"] == rule["name"]), "")
    return {2: rule["name"], 3: STATE[rule["state"]], 4: SEV[rule["severity"]],
            5: alarm_text(rule["value"]), 6: alarm_text(thr), 7: msg, 8: rule["raises"],
            9: rule["clears"], 10: 1 if rule["enabled"] else 2}


class AlarmRecorder(threading.Thread):
    """`gnomonctl --json alarms` read in a loop: every state gnomond showed
    (values such as the offset change at every evaluation, once a second)."""

    def __init__(self, d):
        super().__init__(daemon=True)
        self.d = d
        self.done = threading.Event()
        self.seen = []

    def run(self):
        while not self.done.is_set():
            self.seen.append(ctl(self.d, "alarms"))

    def stop(self):
        self.done.set()
        self.join(30)


def assert_alarm_table(snmp, d, tries=3):
    """The walked gnomonAlarmTable equals `gnomonctl --json alarms`: each
    cell as gnomonctl showed it at some moment between one cache period
    (1 s) before the walk and its end, where the subagent's poll lies."""
    last = None
    for _ in range(tries):
        rec = AlarmRecorder(d)
        rec.start()
        time.sleep(1.3)
        walk = snmp.walk(ALARM)
        rec.stop()
        try:
            assert_defined(walk)
            rules = rec.seen[-1]["rules"]
            rows = sorted({int(o.rsplit(".", 1)[1]) for o in walk})
            assert rows == list(range(1, len(rules) + 1)), (rows, rules)
            for row in rows:
                want = [expected_alarm_row(al, al["rules"][row - 1]) for al in rec.seen]
                for col in range(2, 11):
                    got = walk[ALARM + ".%d.%d" % (col, row)][1]
                    one_of(got, [w[col] for w in want], "gnomonAlarmEntry.%d.%d (%s)"
                           % (col, row, want[-1][2]))
            return walk, rec.seen[-1]
        except AssertionError as e:
            last = e
    raise AssertionError("gnomonAlarmTable never matched gnomonctl: %s" % last)


def test_alarm_traps_and_table(gnomond, snmp):
    """gnomond's alarms over SNMP: a client whose upstream does not exist
    raises unsynchronised (critical) and no_selectable_source (warning);
    gnomonAlarmRaised comes once for each, gnomonAlarmCleared once when the
    upstream starts, and gnomonAlarmTable equals `gnomonctl alarms`."""
    # The upstream's port is held by a socket that answers nothing until
    # the upstream starts: no other process on this shared machine can
    # answer there in the meantime (a free 127.0.0.X:123 can be taken).
    hold = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    hold.bind(("127.0.0.1", 0))
    up_port = hold.getsockname()[1]
    try:
        _alarm_traps_and_table(gnomond, snmp, hold, up_port)
    finally:
        hold.close()


def _alarm_traps_and_table(gnomond, snmp, hold, up_port):
    cli = gnomond("clock virtual\nallow 127.0.0.0/8\nserver 127.0.0.1 port %d %s\n"
                  "alarm unsynchronised minage 2\nalarm no_selectable_source minage 2\n"
                  % (up_port, FAST), addr="127.0.0.1", port=free_port("127.0.0.1"))
    active = lambda: {a["name"] for a in ctl(cli, "alarms")["active"]}
    wait_for(lambda: {"unsynchronised", "no_selectable_source"} <= active(), 20,
             "the alarms to be raised")
    # gnomond ran before gnomon-snmp: the raises it lists are a baseline,
    # not sent again (a previous gnomon-snmp may have sent them) ...
    snmp.start_subagent(cli.ctl)
    n0 = len(snmp.trap_lines())
    assert_alarm_table(snmp, cli)
    time.sleep(2)
    assert not alarm_traps(snmp, ALARM_RAISED, "unsynchronised", 0), snmp.trap_lines()
    assert snmp.get(ALARM + ".3.%d" % (
        [r["name"] for r in ctl(cli, "alarms")["rules"]].index("unsynchronised") + 1)) \
        == ("INTEGER", 2)

    # ... a restarted gnomond is a new process: every event it lists is new.
    cli.stop()
    cli.start()
    vb = snmp.wait_trap(ALARM_RAISED, lambda v: trap_alarm(v)[0] == "unsynchronised",
                        timeout=30, since=n0)
    assert trap_alarm(vb) == ("unsynchronised", 4), vb
    al = ctl(cli, "alarms")
    ev = next(e for e in al["recent"] if e["name"] == "unsynchronised")
    row = [r["name"] for r in al["rules"]].index("unsynchronised") + 1
    assert vb[ALARM + ".5.%d" % row][1] == alarm_text(ev["value"]) == "1"
    assert vb[ALARM + ".6.%d" % row][1] == alarm_text(ev["threshold"])
    assert vb[ALARM + ".7.%d" % row][1] == ev["message"]
    vb = snmp.wait_trap(ALARM_RAISED, lambda v: trap_alarm(v)[0] == "no_selectable_source",
                        timeout=30, since=n0)
    assert trap_alarm(vb) == ("no_selectable_source", 3), vb
    assert_alarm_table(snmp, cli)

    # The upstream starts: the clock synchronises and both alarms clear.
    n1 = len(snmp.trap_lines())
    hold.close()
    gnomond("clock null\nlocal stratum 3\nallow 127.0.0.0/8\n", addr="127.0.0.1", port=up_port)
    vb = snmp.wait_trap(ALARM_CLEARED, lambda v: trap_alarm(v)[0] == "unsynchronised",
                        timeout=60, since=n1)
    assert trap_alarm(vb) == ("unsynchronised", 4), vb       # the severity it had
    vb = snmp.wait_trap(ALARM_CLEARED, lambda v: trap_alarm(v)[0] == "no_selectable_source",
                        timeout=30, since=n1)
    assert trap_alarm(vb) == ("no_selectable_source", 3), vb
    walk, al = assert_alarm_table(snmp, cli)
    assert walk[ALARM + ".3.%d" % row][1] == STATE["cleared"]
    # one trap per event of the new process, none twice
    time.sleep(2)
    for name in ("unsynchronised", "no_selectable_source"):
        events = [e["event"] for e in al["recent"] if e["name"] == name]
        assert len(alarm_traps(snmp, ALARM_RAISED, name, n0)) == events.count("raised"), name
        assert len(alarm_traps(snmp, ALARM_CLEARED, name, n0)) == events.count("cleared"), name
        assert events.count("raised") == events.count("cleared") == 1, al["recent"]
