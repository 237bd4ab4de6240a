"""gnomonctl audit on an SQLite file against real peers (audit_peers.py):
import a CSV device list, run an audit, check every device's status and
offset against the truth, report the non-standard list, export and import
back; malformed CSV and an unreachable database give clear errors and
change nothing. The PostgreSQL half is test_audit_pg.py."""

import csv
import io
import json
import os
import sqlite3
import subprocess

import pytest

import audit_peers as ap
from conftest import GNOMONCTL

RUN_OPTS = ["--samples", "3", "--spacing", "0.3", "--timeout", "1"]


def no_sanitizer_report(err):
    """An ASan/UBSan build reports leaks and undefined behaviour on stderr."""
    assert "Sanitizer" not in err and "runtime error:" not in err, err


def ctl(*args, stdin=None, timeout=60):
    cp = subprocess.run([GNOMONCTL, "audit"] + list(args), capture_output=True, text=True,
                        input=stdin, timeout=timeout)
    no_sanitizer_report(cp.stderr)
    return cp


def describe(cp):
    return "exit %s\n--- stdout ---\n%s--- stderr ---\n%s" % (cp.returncode, cp.stdout,
                                                               cp.stderr)


@pytest.fixture(scope="module")
def peers(gnomond_module):
    p = ap.Peers()
    try:
        yield p.start(gnomond_module)
    finally:
        p.stop()


def import_list(db, peers, tmp_path):
    f = tmp_path / "devices.csv"
    f.write_text(peers.csv())
    cp = ctl("import", "--db", db, str(f))
    assert cp.returncode == 0, describe(cp)
    assert "imported %d device(s)" % len(peers.devices) in cp.stdout, describe(cp)
    return f


def run_and_check(db):
    """One audit run, checked against the truth; returns the results by name."""
    cp = ctl("run", "--db", db, "--json", *RUN_OPTS)
    assert cp.returncode == 1, describe(cp)     # some device off or unreachable
    assert cp.stderr == "", describe(cp)        # no progress bar when not a terminal
    by = ap.check_results(json.loads(cp.stdout))
    assert ap.DISABLED not in by
    return by


def test_audit_sqlite(peers, tmp_path):
    db = str(tmp_path / "audit.db")
    import_list(db, peers, tmp_path)
    by = run_and_check(db)

    # The store, read independently: one finished run, a row per device.
    con = sqlite3.connect(db)
    runs = con.execute("SELECT id, finished, devices, ok, off, unreachable, error"
                       " FROM runs").fetchall()
    want = [sum(1 for e in ap.EXPECTED.values() if e[1] == s)
            for s in ("ok", "off", "unreachable")]
    assert len(runs) == 1 and runs[0][1] and list(runs[0][2:6]) == [len(by)] + want, runs
    assert runs[0][6] is None, runs
    rows = dict(con.execute("SELECT name, status FROM results WHERE run_id = ?",
                            (runs[0][0],)).fetchall())
    assert rows == {n: r["status"] for n, r in by.items()}, rows
    off = con.execute('SELECT "offset" FROM results WHERE name = ?',
                      ("gn-minus2s",)).fetchone()[0]
    assert off == by["gn-minus2s"]["offset"], off
    con.close()

    # The non-standard list of the last run, in JSON and in CSV.
    cp = ctl("report", "--db", db, "--nonstandard", "--json")
    assert cp.returncode == 1, describe(cp)
    nonstd = {n for n, e in ap.EXPECTED.items() if e[1] != "ok"}
    got = json.loads(cp.stdout)
    assert {r["name"] for r in got} == nonstd, got
    assert all(r == by[r["name"]] for r in got), got
    cp = ctl("report", "--db", db, "--nonstandard", "--csv")
    assert cp.returncode == 1, describe(cp)
    rows = list(csv.DictReader(io.StringIO(cp.stdout)))
    assert {r["name"] for r in rows} == nonstd, cp.stdout
    assert {r["status"] for r in rows} == {"off", "unreachable"}
    unreach = [r for r in rows if r["status"] == "unreachable"]
    assert all(r["offset"] == "" and r["error"] for r in unreach), rows
    cp = ctl("report", "--db", db, "--run", str(runs[0][0]), "--json")
    assert cp.returncode == 1 and json.loads(cp.stdout) == list(by.values()), describe(cp)
    cp = ctl("report", "--db", db, "--run", "99")
    assert cp.returncode == 2 and "run 99 has no results" in cp.stderr, describe(cp)
    # Every device of the last run, as text.
    cp = ctl("report", "--db", db)
    assert cp.returncode == 1, describe(cp)
    for name in ap.EXPECTED:
        assert name in cp.stdout, describe(cp)
    assert "%d ok, %d off, %d unreachable" % tuple(want) in cp.stdout, describe(cp)


def test_export_import_roundtrip(peers, tmp_path):
    db1, db2 = str(tmp_path / "a.db"), str(tmp_path / "b.db")
    import_list(db1, peers, tmp_path)
    out1, out2 = tmp_path / "out1.csv", tmp_path / "out2.csv"
    cp = ctl("export", "--db", db1, str(out1))
    assert cp.returncode == 0, describe(cp)
    cp = ctl("import", "--db", db2, str(out1))
    assert cp.returncode == 0, describe(cp)
    cp = ctl("export", "--db", db2)
    assert cp.returncode == 0, describe(cp)
    assert cp.stdout == out1.read_text(), describe(cp)
    rows = list(csv.DictReader(io.StringIO(cp.stdout)))
    assert len(rows) == len(peers.devices)
    assert {r["name"]: r["enabled"] for r in rows}[ap.DISABLED] == "no"
    assert {r["name"]: r["tolerance"] for r in rows}["gn-plus300ms-tol"] == "0.5"
    # Importing the same list again updates, creates nothing.
    cp = ctl("import", "--db", db2, str(out1))
    assert cp.returncode == 0 and "0 new, %d updated" % len(rows) in cp.stdout, describe(cp)


def test_malformed_csv_imports_nothing(tmp_path):
    db = str(tmp_path / "audit.db")
    good = tmp_path / "good.csv"
    good.write_text("name,address\nkeep,127.0.0.1\n")
    assert ctl("import", "--db", db, str(good)).returncode == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("name,address,port,method,tolerance,group\n"
                   "new-one,127.0.0.2,,,,\n"
                   "x,127.0.0.3,,snmp,,\n"
                   "\"quoted,127.0.0.4\n"
                   "y,127.0.0.5,70000,,,\n")
    cp = ctl("import", "--db", db, str(bad))
    assert cp.returncode == 2, describe(cp)
    assert '%s:3: method "snmp": ntp, time, http or icmp' % bad in cp.stderr, describe(cp)
    assert "%s:4: a quoted field is not closed" % bad in cp.stderr, describe(cp)
    assert "nothing imported" in cp.stderr, describe(cp)
    cp = ctl("export", "--db", db)
    assert cp.returncode == 0 and "new-one" not in cp.stdout and "keep" in cp.stdout, \
        describe(cp)
    # An empty file, and a missing one.
    (tmp_path / "empty.csv").write_text("")
    cp = ctl("import", "--db", db, str(tmp_path / "empty.csv"))
    assert cp.returncode == 2 and "empty.csv:1: an empty file" in cp.stderr, describe(cp)
    cp = ctl("import", "--db", db, str(tmp_path / "missing.csv"))
    assert cp.returncode == 2 and "cannot read" in cp.stderr, describe(cp)


def test_unreachable_database(tmp_path):
    db = str(tmp_path / "no" / "such" / "dir" / "audit.db")
    for args in (["run", "--db", db], ["report", "--db", db, "--nonstandard"],
                 ["export", "--db", db]):
        cp = ctl(*args)
        assert cp.returncode == 2, describe(cp)
        assert cp.stderr.startswith("gnomonctl: cannot open DB %s: " % db), describe(cp)
        assert cp.stdout == "", describe(cp)
    # A database with no run yet: report says so, exit 2.
    db = str(tmp_path / "fresh.db")
    cp = ctl("report", "--db", db, "--nonstandard")
    assert cp.returncode == 2 and "no finished audit run yet" in cp.stderr, describe(cp)
    cp = ctl("run", "--db", db)
    assert cp.returncode == 2 and "no enabled device" in cp.stderr, describe(cp)
    # Usage errors are errors of the audit too.
    cp = ctl("import", str(tmp_path / "x.csv"))
    assert cp.returncode == 2 and "--db DB is needed" in cp.stderr, describe(cp)
    cp = ctl("report", "--db", db, "--samples", "3")
    assert cp.returncode == 2 and "does not apply" in cp.stderr, describe(cp)
    cp = ctl("import", "--db", db, "--json", "x.csv")
    assert cp.returncode == 2 and "does not apply" in cp.stderr, describe(cp)


def test_progress_bar_on_terminal(peers, tmp_path):
    """A progress bar on stderr when it is a terminal, erased at the end;
    the results on stdout all the same."""
    import pty
    db = str(tmp_path / "audit.db")
    f = tmp_path / "few.csv"
    f.write_text("name,address\n" + "".join(
        "%s,%s\n" % (d[0], d[1]) for d in peers.devices if d[0].startswith("gn-")))
    assert ctl("import", "--db", db, str(f)).returncode == 0
    master, slave = pty.openpty()
    try:
        cp = subprocess.run([GNOMONCTL, "audit", "run", "--db", db, "--csv", "--samples", "3",
                             "--spacing", "0.3"], stdout=subprocess.PIPE, stderr=slave,
                            text=True, timeout=60)
        os.close(slave)
        slave = None
        err = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            err += chunk
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)
    assert cp.returncode == 1, (cp.returncode, cp.stdout, err)
    text = err.decode()
    assert "audit [" in text and "/4" in text and text.endswith("\r\x1b[K"), repr(text)
    rows = list(csv.DictReader(io.StringIO(cp.stdout)))
    assert len(rows) == 4, cp.stdout
