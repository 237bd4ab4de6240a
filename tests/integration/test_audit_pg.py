"""gnomonctl audit on PostgreSQL: the test starts its own server (Debian's
postgresql-15: initdb and pg_ctl as user postgres, its own data directory
in a temporary directory, its own port on 127.0.0.1), runs the same audit
as test_audit.py against the same kind of real peers, and checks what a
lost database does: a server that is not there is a clear error (exit 2),
and a server stopped in the middle of a run ends the run with exit 2, the
results measured so far printed and those stored before the loss still in
the database afterwards. The server is stopped at the end, also on
failure."""

import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

import audit_peers as ap
from conftest import GNOMONCTL
from test_audit import RUN_OPTS, ctl, describe, no_sanitizer_report

PG_BIN = "/usr/lib/postgresql/15/bin"
PG_USER = "postgres"        # PostgreSQL refuses to run as root


def _free_tcp_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class PgServer:
    def __init__(self):
        if not os.path.exists(os.path.join(PG_BIN, "initdb")):
            pytest.fail("PostgreSQL 15 server binaries are needed in %s (tools/deps.sh test: "
                        "postgresql)" % PG_BIN, pytrace=False)
        pw = pwd.getpwnam(PG_USER)
        self.dir = tempfile.mkdtemp(prefix="gn-audit-pg-")
        os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.dir, 0o700)
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "server.log")
        self.port = _free_tcp_port()
        self.running = False
        self._as_pg(["initdb", "-D", self.data, "-A", "trust", "-U", "gnomon", "-E", "UTF8",
                     "--no-sync"])

    def _as_pg(self, argv, timeout=60):
        cp = subprocess.run(["runuser", "-u", PG_USER, "--", os.path.join(PG_BIN, argv[0])] +
                            argv[1:], capture_output=True, text=True, timeout=timeout)
        assert cp.returncode == 0, "%s failed:\n%s\n%s\n%s" % (argv[0], cp.stdout, cp.stderr,
                                                              self.server_log())
        return cp

    def server_log(self):
        try:
            with open(self.log) as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def start(self):
        self._as_pg(["pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "30", "-o",
                     "-p %d -k %s -c listen_addresses=127.0.0.1" % (self.port, self.dir),
                     "start"])
        self.running = True

    def stop(self, mode="fast"):
        if self.running:
            self._as_pg(["pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "30", "stop"])
            self.running = False

    def url(self, db):
        return "postgresql://gnomon@127.0.0.1:%d/%s" % (self.port, db)

    def create_db(self, name):
        self.psql("postgres", "CREATE DATABASE %s" % name)
        return self.url(name)

    def psql(self, db, sql):
        cp = subprocess.run([os.path.join(PG_BIN, "psql"), self.url(db), "-tAqX", "-c", sql],
                            capture_output=True, text=True, timeout=20)
        assert cp.returncode == 0, "psql %r: %s" % (sql, cp.stderr)
        return cp.stdout.strip()

    def cleanup(self):
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def peers(gnomond_module):
    p = ap.Peers()
    try:
        yield p.start(gnomond_module)
    finally:
        p.stop()


def test_audit_postgresql(pg, peers, tmp_path):
    url = pg.create_db("audit_same")
    f = tmp_path / "devices.csv"
    f.write_text(peers.csv())
    cp = ctl("import", "--db", url, str(f))
    assert cp.returncode == 0, describe(cp)
    cp = ctl("run", "--db", url, "--json", *RUN_OPTS)
    assert cp.returncode == 1, describe(cp)
    by = ap.check_results(json.loads(cp.stdout))

    # What is stored, read with psql: one finished run, a row per device.
    want = [sum(1 for e in ap.EXPECTED.values() if e[1] == s) for s in ("ok", "off",
                                                                       "unreachable")]
    row = pg.psql("audit_same", "SELECT devices, ok, off, unreachable, finished IS NOT NULL,"
                  " error IS NULL FROM runs")
    assert row == "|".join(str(x) for x in [len(by)] + want + ["t", "t"]), row
    rows = pg.psql("audit_same", "SELECT name, status FROM results ORDER BY name")
    assert dict(line.split("|") for line in rows.splitlines()) == \
        {n: r["status"] for n, r in by.items()}, rows

    cp = ctl("report", "--db", url, "--nonstandard", "--json")
    assert cp.returncode == 1, describe(cp)
    got = json.loads(cp.stdout)
    assert {r["name"] for r in got} == {n for n, e in ap.EXPECTED.items() if e[1] != "ok"}
    assert all(r == by[r["name"]] for r in got), got

    # An export from PostgreSQL is the list as SQLite would give it.
    sq = str(tmp_path / "same.db")
    assert ctl("import", "--db", sq, str(f)).returncode == 0
    a, b = ctl("export", "--db", url), ctl("export", "--db", sq)
    assert a.returncode == 0 and a.stdout == b.stdout, describe(a) + describe(b)


def test_unreachable_postgresql(tmp_path):
    url = "postgresql://gnomon:secret@127.0.0.1:%d/audit" % _free_tcp_port()
    for args in (["run", "--db", url], ["import", "--db", url, "-"],
                 ["report", "--db", url, "--nonstandard", "--json"]):
        cp = ctl(*args, stdin="name,address\na,127.0.0.1\n")
        assert cp.returncode == 2, describe(cp)
        assert cp.stderr.startswith("gnomonctl: cannot open DB postgresql://gnomon:***@"
                                    "127.0.0.1:"), describe(cp)
        assert "secret" not in cp.stderr and cp.stdout == "", describe(cp)


def test_database_lost_mid_run(pg, gnomond, tmp_path):
    """Devices measured one after another (rate cap, spaced samples); the
    server is stopped once a few results are stored."""
    url = pg.create_db("audit_lost")
    g = gnomond(ap.BASE + "serve-offset 0.3\n")
    n = 12
    f = tmp_path / "devices.csv"
    f.write_text("name,address\n" + "".join("dev%02d,%s\n" % (i, g.addr) for i in range(n)))
    assert ctl("import", "--db", url, str(f)).returncode == 0
    run = subprocess.Popen([GNOMONCTL, "audit", "run", "--db", url, "--json", "--samples", "2",
                            "--spacing", "0.2", "--rate", "4"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        stored = 0
        while stored < 3 and time.monotonic() < deadline and run.poll() is None:
            time.sleep(0.05)
            stored = int(pg.psql("audit_lost", "SELECT COUNT(*) FROM results"))
        assert stored >= 3 and run.poll() is None, "the run ended before the database " \
            "was stopped (stored %d)" % stored
        pg.stop("fast")
        out, err = run.communicate(timeout=30)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        if not pg.running:
            pg.start()
    no_sanitizer_report(err)
    assert run.returncode == 2, (run.returncode, out, err)
    printed = json.loads(out)
    assert all(r["status"] == "off" and abs(r["offset"] - 0.3) < 0.005 for r in printed), out
    assert "gnomonctl: audit run 1 stopped: DB postgresql://gnomon@127.0.0.1:%d/audit_lost: " \
        "storing" % pg.port in err, err
    # What was stored before the loss is there, and was printed with what
    # was measured but could not be stored; the run stopped there.
    in_db = pg.psql("audit_lost", "SELECT name FROM results WHERE run_id = 1 ORDER BY name")
    in_db = in_db.split()
    names = sorted(r["name"] for r in printed)
    assert len(in_db) >= 3 and set(in_db) < set(names), (in_db, names)
    assert len(names) < n, (in_db, names)
    assert "%d of %d device(s) measured (printed above), %d stored" % (
        len(names), n, len(in_db)) in err, err
    # The run was never finished: report shows none.
    assert pg.psql("audit_lost", "SELECT finished IS NULL FROM runs WHERE id = 1") == "t"


def test_store_unit_tests_on_postgresql(pg):
    """The store's unit tests (tests/unit/test_audit_db.c: devices, runs,
    exact read-back, batches, prune), on this server instead of SQLite."""
    exe = os.path.join(os.path.dirname(GNOMONCTL), "tests", "unit", "test_audit_db")
    if not os.access(exe, os.X_OK):
        pytest.fail("%s not built (ninja -C build)" % exe, pytrace=False)
    url = pg.create_db("audit_unit")
    cp = subprocess.run([exe], capture_output=True, text=True, timeout=60,
                        env=dict(os.environ, AUDIT_TEST_DB=url))
    assert cp.returncode == 0, cp.stdout + cp.stderr
    # cmocka prints its summary on stderr
    assert "[  PASSED  ] 3 test(s)." in cp.stdout + cp.stderr, cp.stdout + cp.stderr
    assert pg.psql("audit_unit", "SELECT value FROM audit_meta") == "1"
