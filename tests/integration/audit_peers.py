"""Real peers for the device-audit tests (test_audit.py, test_audit_pg.py),
each with a known offset from this machine's clock (the truth):

  gnomond    `serve-offset` +0.3 s, -2 s, +0.05 s (clock null), NTP
  chronyd    a plain server (-x, no clock control), NTP, offset 0
  chronyd    under faketime +5 s (beyond 1 s, where libfaketime is right:
             shared/TESTING.md), NTP
  TIME       RFC 868 over TCP, a small server in this process, 0 s and +10 s
  HTTP       python http.server, 0 s in this process and +30 s under faketime
  silent     a UDP socket that never answers (NTP), a closed TCP port (TIME)

Everything listens on its own 127.0.0.X address (loopback only)."""

import http.server
import os
import shutil
import signal
import socket
import socketserver
import struct
import subprocess
import tempfile
import threading
import time

import pytest

import ntp_helpers as nh
from conftest import free_loopback4

PY = "/usr/bin/python3"
NTP_UNIX = 2208988800

BASE = "clock null\nlocal stratum 10\nallow 127.0.0.0/8\n"

# name: (method, expected status, expected offset (None: unreachable),
#        tolerance (None: default 0.1))
EXPECTED = {
    "gn-plus300ms": ("ntp", "off", 0.3, None),
    "gn-plus300ms-tol": ("ntp", "ok", 0.3, 0.5),      # same server, wider tolerance
    "gn-minus2s": ("ntp", "off", -2.0, None),
    "gn-plus50ms": ("ntp", "ok", 0.05, None),
    "chrony": ("ntp", "ok", 0.0, None),
    "chrony-faked-5s": ("ntp", "off", 5.0, None),
    "time-ok": ("time", "ok", 0.0, None),
    "time-plus10s": ("time", "off", 10.0, None),
    "http-ok": ("http", "ok", 0.0, None),
    "http-faked-30s": ("http", "off", 30.0, None),
    "silent-ntp": ("ntp", "unreachable", None, None),
    "closed-time": ("time", "unreachable", None, None),
}
DISABLED = "disabled-one"


class _TimeHandler(socketserver.BaseRequestHandler):
    def handle(self):
        t = time.time() + self.server.shift + NTP_UNIX
        self.request.sendall(struct.pack("!I", int(t) & 0xFFFFFFFF))


class _TCP(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


class Peers:
    """Start with start(gnomond_factory); stop() ends everything (also the
    half that started before a failure)."""

    def __init__(self):
        self.procs = []
        self.servers = []
        self.socks = []
        self.dirs = []
        self.devices = []       # (name, address, port, method, tolerance, group, enabled)
        self.used = []

    def addr(self, port=123):
        a = free_loopback4(port, avoid=self.used)
        self.used.append(a)
        return a

    def _chronyd(self, faked):
        d = tempfile.mkdtemp(prefix="gn-audit-chrony-")
        self.dirs.append(d)
        a = self.addr()
        conf = os.path.join(d, "chrony.conf")
        with open(conf, "w") as f:
            f.write("port 123\nbindaddress %s\nallow 127.0.0.0/8\nlocal stratum 8\n"
                    "cmdport 0\npidfile %s/chronyd.pid\n" % (a, d))
        argv = nh.NO_SYS_TIME + (["faketime", "-f", "+5s"] if faked else []) + \
            ["chronyd", "-x", "-d", "-f", conf]
        log = open(os.path.join(d, "chronyd.log"), "wb")
        self.procs.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=log,
                                           start_new_session=True))
        return a

    def _time_server(self, shift):
        a = self.addr()
        srv = _TCP((a, 0), _TimeHandler)
        srv.shift = shift
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.servers.append(srv)
        return a, srv.server_address[1]

    def _http_ok(self):
        a = self.addr()
        d = tempfile.mkdtemp(prefix="gn-audit-www-")
        self.dirs.append(d)
        srv = http.server.ThreadingHTTPServer(
            (a, 0), lambda *x: _Quiet(*x, directory=d))
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.servers.append(srv)
        return a, srv.server_address[1]

    def _http_faked(self):
        a = self.addr()
        d = tempfile.mkdtemp(prefix="gn-audit-www-")
        self.dirs.append(d)
        s = socket.socket()
        s.bind((a, 0))
        port = s.getsockname()[1]
        s.close()
        self.faked_argv = nh.NO_SYS_TIME + ["faketime", "-f", "+30s", PY, "-m", "http.server",
                                            str(port), "--bind", a, "--directory", d]
        self.faked_err = os.path.join(d, "server.err")
        self._start_faked()
        return a, port

    def _start_faked(self):
        self.faked = subprocess.Popen(self.faked_argv, stdout=subprocess.DEVNULL,
                                      stderr=open(self.faked_err, "ab"),
                                      start_new_session=True)
        self.procs.append(self.faked)

    def _faked_report(self):
        with open(self.faked_err, errors="replace") as f:
            err = f.read()[-2000:]
        return "the faked web server: exit status %s, stderr:\n%s" % (self.faked.poll(), err)

    def start(self, gnomond):
        for tool in ("chronyd", "faketime"):
            if not shutil.which(tool):
                pytest.fail("%s is needed (tools/deps.sh test)" % tool, pytrace=False)
        dev = self.devices
        g1 = gnomond(BASE + "serve-offset 0.3\n", addr=self.addr()).addr
        dev.append(("gn-plus300ms", g1, "", "ntp", "", "", ""))
        dev.append(("gn-plus300ms-tol", g1, "123", "ntp", "0.5", "tolerant", "yes"))
        dev.append(("gn-minus2s", gnomond(BASE + "serve-offset -2\n", addr=self.addr()).addr,
                    "", "", "", "", ""))
        dev.append(("gn-plus50ms", gnomond(BASE + "serve-offset 0.05\n",
                                           addr=self.addr()).addr, "", "", "", "", ""))
        dev.append(("chrony", self._chronyd(False), "", "ntp", "", "chrony", ""))
        dev.append(("chrony-faked-5s", self._chronyd(True), "", "ntp", "", "chrony", ""))
        a, p = self._time_server(0.0)
        dev.append(("time-ok", a, str(p), "time", "", "", ""))
        a, p = self._time_server(10.0)
        dev.append(("time-plus10s", a, str(p), "time", "", "", ""))
        a, p = self._http_ok()
        dev.append(("http-ok", a, str(p), "http", "", "web", ""))
        a, p = self._http_faked()
        dev.append(("http-faked-30s", a, str(p), "http", "", "web", ""))
        # silent: bound, never read; closed: nothing listens on the port
        a = self.addr()
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((a, 123))
        self.socks.append(s)
        dev.append(("silent-ntp", a, "", "ntp", "", "", ""))
        a = self.addr()
        dev.append(("closed-time", a, "3737", "time", "", "", ""))
        dev.append((DISABLED, a, "", "ntp", "", "", "no"))
        self._wait_ready()
        return self

    def _wait_ready(self):
        """Every answering peer answers before the audit starts. (The
        web server under faketime once never bound in 15 s at the start of
        a CI run: it gets 30 s, is started again once if it died, and its
        stderr is in the failure.)"""
        deadline = time.monotonic() + 30
        restarted = False
        for name, a, port, method, _, _, _ in self.devices:
            if EXPECTED.get(name, ("", "unreachable"))[1] == "unreachable":
                continue
            while True:
                try:
                    if method == "http":
                        socket.create_connection((a, int(port)), timeout=1).close()
                    elif method == "time":
                        socket.create_connection((a, int(port)), timeout=1).close()
                    else:
                        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                        s.settimeout(0.5)
                        s.sendto(b"\x23" + b"\0" * 47, (a, 123))
                        s.recv(100)
                        s.close()
                    break
                except OSError:
                    if name == "http-faked-30s" and self.faked.poll() is not None and \
                            not restarted:
                        restarted = True
                        print("restarting it: " + self._faked_report())
                        self._start_faked()
                    if time.monotonic() > deadline:
                        pytest.fail("peer %s (%s) does not answer%s" % (
                            name, a, "; " + self._faked_report() if name == "http-faked-30s"
                            else ""))
                    time.sleep(0.1)

    def csv(self):
        lines = ["name,address,port,method,tolerance,group,enabled"]
        lines += [",".join(d) for d in self.devices]
        return "\n".join(lines) + "\n"

    def stop(self):
        for srv in self.servers:
            srv.shutdown()
            srv.server_close()
        for s in self.socks:
            s.close()
        for p in self.procs:
            # The whole session: faketime runs its command as a child.
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(p.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    p.wait(5)
                    if sig == signal.SIGTERM:
                        time.sleep(0.2)     # the child's own exit
                except subprocess.TimeoutExpired:
                    pass
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)


def check_results(results):
    """Exact classification; offsets within the method's resolution: NTP
    within half the measured delay (plus 0.5 ms) of the configured shift,
    TIME and HTTP within 1 s."""
    by = {r["name"]: r for r in results}
    assert set(by) == set(EXPECTED), sorted(by)
    bad = []
    for name, (method, status, off, tol) in EXPECTED.items():
        r = by[name]
        for k in ("name", "address", "status", "offset", "delay", "method", "stratum", "leap",
                  "error", "measured"):
            assert k in r, (k, r)
        if r["method"] != method or r["status"] != status:
            bad.append("%s: %s %s, expected %s %s (%r)" % (name, r["method"], r["status"],
                                                           method, status, r))
            continue
        if off is None:
            if r["offset"] is not None or not r["error"]:
                bad.append("%s: unreachable needs offset null and an error: %r" % (name, r))
            continue
        if method == "ntp":
            bound = r["delay"] / 2 + 0.0005
            if not (0 <= r["delay"] < 0.05) or r["stratum"] not in (8, 10) or r["leap"] != 0:
                bad.append("%s: delay/stratum/leap %r" % (name, r))
        else:
            bound = 1.0 + r["delay"]
            if r["stratum"] is not None:
                bad.append("%s: stratum for a 1 s method %r" % (name, r))
        if abs(r["offset"] - off) > bound:
            bad.append("%s: offset %.6f, truth %.3f, bound %.6f" % (name, r["offset"], off,
                                                                      bound))
        if tol is not None and abs(r.get("tolerance", tol) - tol) > 1e-12:
            bad.append("%s: tolerance %r" % (name, r.get("tolerance")))
    assert not bad, "\n".join(bad)
    return by
