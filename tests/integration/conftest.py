"""Fixtures for the gnomond integration suite.

Run from the repository root with
    /usr/bin/python3 -m pytest tests/integration -q
Binaries come from $GNOMOND / $GNOMONCTL, defaulting to build/gnomond and
build/gnomonctl under the repository root.

Machine rules (shared/TESTING.md): the system clock is never stepped or
slewed (gnomond uses `clock null`, every daemon and peer tool runs without
CAP_SYS_TIME through setpriv), and only loopback addresses are used.
"""

import json
import os
import pathlib
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ntp_helpers as nh  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GNOMOND = os.environ.get("GNOMOND", os.path.join(REPO, "build", "gnomond"))
GNOMONCTL = os.environ.get("GNOMONCTL", os.path.join(REPO, "build", "gnomonctl"))

CAP_SYS_TIME = 25
START_TIMEOUT = 30.0  # an ASan build on a loaded 2-core machine starts slowly

_running = []  # daemons alive right now (for failure reports)


def _require_binary(path, what):
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail("%s not found or not executable at %s (build it first, or "
                    "set $%s)" % (what, path, what.upper()), pytrace=False)
    return path


@pytest.fixture(scope="session")
def gnomond_bin():
    if os.geteuid() != 0:
        pytest.fail("the integration suite runs gnomond on UDP port 123 of "
                    "loopback addresses (ntpdig/sntp/ntpdate talk to 123 "
                    "only): run it as root", pytrace=False)
    return _require_binary(GNOMOND, "gnomond")


@pytest.fixture(scope="session")
def gnomonctl_bin():
    return _require_binary(GNOMONCTL, "gnomonctl")


# --------------------------------------------------------------------------
# loopback addresses

def _port_free(addr, port):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    try:
        s.bind((addr, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port(addr):
    """A UDP port on addr that is free right now (for tests that need no
    peer tool, which would insist on 123)."""
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    try:
        s.bind((addr, 0))
        return s.getsockname()[1]
    finally:
        s.close()


def _worker_range():
    """The 127.0.0.X this pytest process may take: with pytest-xdist
    (`make integration` runs two workers) each worker has its own quarter
    of 64..255, so two tests never race for one address; alone, 2..254.
    The fixed addresses some tests send from (127.0.0.21, .31, .41, .201,
    .202) take ephemeral ports, so a daemon's port 123 there is no clash."""
    w = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not w.startswith("gw"):
        return range(2, 255)
    k = int(w[2:]) % 4
    return range(64 + 48 * k, 64 + 48 * (k + 1))


def free_loopback4(port=123, avoid=()):
    """First 127.0.0.X of this worker's range whose UDP `port` (a number,
    or a tuple of them) can be bound right now."""
    used = {d.addr for d in _running} | set(avoid)
    ports = port if isinstance(port, tuple) else (port,)
    r = _worker_range()
    for x in r:
        addr = "127.0.0.%d" % x
        if addr not in used and all(_port_free(addr, p) for p in ports):
            return addr
    pytest.fail("no loopback address 127.0.0.%d-%d has UDP port(s) %s free"
                % (r[0], r[-1], ports))


# --------------------------------------------------------------------------
# the daemon

class Gnomond:
    """One gnomond process in the foreground with its own config, control
    socket and log, bound to one address."""

    def __init__(self, body, addr=None, port=123, extra_args=(), netns=None):
        if addr is None:
            addr = free_loopback4(port)
        elif netns is None and not _port_free(addr, port):
            pytest.fail("UDP %s port %d is in use by another process; "
                        "the test needs it" % (addr, port), pytrace=False)
        self.addr = addr
        self.port = port
        self.body = body
        self.extra_args = list(extra_args)
        self.netns = netns          # run inside this network namespace
        # short path: unix socket paths are limited to 107 bytes
        self.dir = tempfile.mkdtemp(prefix="gn-it-")
        # root's, and readable by the daemon's group, as /etc/gnomon is: the
        # daemon re-reads its configuration there on reload (as the user it
        # dropped to) and keeps its `statedir` below it.
        _give_group(self.dir, 0o750)
        self.conf = os.path.join(self.dir, "gnomond.conf")
        self.ctl = os.path.join(self.dir, "ctl.sock")
        self.logpath = os.path.join(self.dir, "stderr.log")
        self.proc = None
        self.died_early = None
        self.killed = False         # kill(): on purpose

    def config_text(self):
        # State (the gateway's replay state) in the daemon's own directory,
        # never the machine's /var/lib/gnomon, unless the test gives one.
        state = ("" if "\nstatedir " in "\n" + self.body else
                 "statedir %s\n" % os.path.join(self.dir, "state"))
        return ("# generated by tests/integration/conftest.py\n"
                "port %d\nbindaddress %s\ncontrol %s\n%s%s\n" % (
                    self.port, self.addr, self.ctl, state, self.body.strip()))

    def start(self):
        with open(self.conf, "w") as f:
            f.write(self.config_text())
        self._log = open(self.logpath, "wb")
        argv = nh.NO_SYS_TIME + [GNOMOND, "-n", "-f", self.conf] + self.extra_args
        if self.netns:
            argv = ["ip", "netns", "exec", self.netns] + argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        _running.append(self)
        deadline = time.monotonic() + START_TIMEOUT
        last = ""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail("gnomond exited with status %s during start-up\n"
                            "--- config ---\n%s--- output ---\n%s" % (
                                self.proc.returncode, self.config_text(),
                                self.log()), pytrace=False)
            if os.path.exists(self.ctl):
                cp = subprocess.run([GNOMONCTL, "-s", self.ctl, "--json",
                                     "serverstats"], capture_output=True,
                                    text=True, timeout=5)
                if cp.returncode == 0:
                    try:
                        json.loads(cp.stdout)
                        break
                    except ValueError:
                        last = "unparsable serverstats: %r" % cp.stdout
                else:
                    last = nh.describe(cp)
            time.sleep(0.05)
        else:
            pytest.fail("gnomond did not answer `gnomonctl serverstats` on %s "
                        "within %.0fs\nlast attempt: %s\n--- config ---\n%s"
                        "--- output ---\n%s" % (self.ctl, START_TIMEOUT, last,
                                                 self.config_text(), self.log()),
                        pytrace=False)
        self._check_no_sys_time()
        return self

    def _check_no_sys_time(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("CapBnd:"):
                    if int(line.split()[1], 16) & (1 << CAP_SYS_TIME):
                        self.stop()
                        pytest.fail("gnomond still has CAP_SYS_TIME in its "
                                    "bounding set; refusing to go on")

    def stats(self):
        cp = subprocess.run([GNOMONCTL, "-s", self.ctl, "--json", "serverstats"],
                            capture_output=True, text=True, timeout=10)
        assert cp.returncode == 0, "gnomonctl serverstats failed:\n" + nh.describe(cp)
        try:
            obj = json.loads(cp.stdout)
        except ValueError:
            raise AssertionError("serverstats --json is not JSON: %r" % cp.stdout)
        flat = nh.flatten(obj)
        missing = nh.STATS_KEYS - set(flat)
        assert not missing, "serverstats lacks keys %s: %s" % (sorted(missing), cp.stdout)
        return flat

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        """SIGKILL, on purpose: the test's failure to provoke, so that the
        fixture does not report it as a crash."""
        self.proc.kill()
        self.proc.wait(5)
        self.killed = True
        if self in _running:
            _running.remove(self)
        self.died_early = None
        try:
            self._log.close()
        except Exception:
            pass

    def log(self, tail=300):
        try:
            with open(self.logpath, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return "(no log)"
        if len(lines) > tail:
            lines = ["... (%d earlier lines cut)" % (len(lines) - tail)] + lines[-tail:]
        return "\n".join(lines) + "\n"

    def stop(self):
        # A second stop (the test's, then the fixture's) changes nothing.
        if self.proc is None or self not in _running:
            return
        if self.died_early is None:
            self.died_early = self.proc.poll()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self in _running:
            _running.remove(self)
        try:
            self._log.close()
        except Exception:
            pass

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def __repr__(self):
        return "Gnomond(%s port %d, pid %s)" % (
            self.addr, self.port, self.proc.pid if self.proc else None)


def _sanitizer_report(log):
    return any(m in log for m in ("runtime error:", "AddressSanitizer", "LeakSanitizer"))


def _factory():
    made = []

    def start(body, **kw):
        d = Gnomond(body, **kw)
        made.append(d)
        return d.start()

    def finish():
        crashed, unclean = [], []
        for d in made:
            d.stop()
            log = d.log()
            if d.died_early is not None:
                crashed.append((d, log))
            elif d.proc is not None and not d.killed and (d.proc.returncode != 0 or
                                                          _sanitizer_report(log)):
                # A clean SIGTERM exit is status 0; under ASan/UBSan a leak or
                # undefined behaviour shows up here as a report and status.
                unclean.append((d, log))
            d.cleanup()
        msgs = ["%r exited on its own with status %s while under test; output:\n%s"
                % (d, d.died_early, log) for d, log in crashed]
        msgs += ["%r did not exit cleanly on SIGTERM (status %s); output:\n%s"
                 % (d, d.proc.returncode, log) for d, log in unclean]
        if msgs:
            pytest.fail("\n".join(msgs), pytrace=False)
    return start, finish


@pytest.fixture(scope="session")
def daemon_factory(gnomond_bin, gnomonctl_bin):
    """For fixtures with their own scope: daemon_factory() -> (start, finish)."""
    return _factory


@pytest.fixture
def gnomond(gnomond_bin, gnomonctl_bin):
    """Factory: gnomond(config_body, addr=None, port=123) -> running Gnomond.
    The body gets `port`, `bindaddress` and `control` lines prepended."""
    start, finish = _factory()
    yield start
    finish()


@pytest.fixture(scope="module")
def gnomond_module(gnomond_bin, gnomonctl_bin):
    """Like `gnomond`, but the daemons live for the whole module."""
    start, finish = _factory()
    yield start
    finish()


DAEMON_USER = "gnomon"     # gnomond's default `user` (tools/deps.sh creates it)


def _give_group(path, mode):
    """root:gnomon with mode: readable by the daemon after it drops root."""
    try:
        os.chown(path, 0, pwd.getpwnam(DAEMON_USER).pw_gid)
    except KeyError:
        pytest.fail("user %s does not exist: run tools/deps.sh test" % DAEMON_USER,
                    pytrace=False)
    os.chmod(path, mode)


@pytest.fixture
def user_dir():
    """A directory the daemon's user owns (mode 0750), for what gnomond
    writes after dropping root: journals, statistics logs, driftfiles.
    pytest's tmp_path is root's and not traversable by that user."""
    try:
        pw = pwd.getpwnam(DAEMON_USER)
    except KeyError:
        pytest.fail("user %s does not exist: run tools/deps.sh test" % DAEMON_USER,
                    pytrace=False)
    d = tempfile.mkdtemp(prefix="gn-it-u-")
    os.chown(d, pw.pw_uid, pw.pw_gid)
    os.chmod(d, 0o750)
    yield pathlib.Path(d)
    shutil.rmtree(d, ignore_errors=True)


BASE = """
clock null
local stratum 10
allow 127.0.0.0/8
"""


@pytest.fixture(scope="session")
def base_config():
    return BASE


# --------------------------------------------------------------------------
# put each live daemon's output into the failure report

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and call.when in ("setup", "call"):
        for d in list(_running):
            alive = "running" if d.alive() else "EXITED %s" % (
                d.proc.returncode if d.proc is not None else "?")
            rep.sections.append((
                "gnomond %s:%d (%s), config %s" % (d.addr, d.port, alive, d.conf),
                "--- config ---\n%s--- stderr ---\n%s" % (d.config_text(), d.log())))


@pytest.fixture(scope="module")
def pg():
    """A PostgreSQL server of the module's own (test_audit_pg.PgServer:
    its data directory, port and socket), stopped and removed at the end."""
    from test_audit_pg import PgServer
    server = PgServer()
    try:
        server.start()
        yield server
    finally:
        server.cleanup()
