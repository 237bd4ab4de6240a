"""gnomond's journal (doc/journal.md) end to end: records in the file,
logrotate's rename + SIGHUP, rotation by size into gzip archives, and a
configuration mistake named with its line."""

import gzip
import os
import signal
import subprocess

import ntp_helpers as nh
from test_client import wait_for


def records(path, code):
    return [l for l in path.read_text().splitlines() if l.split(" ")[2:3] == [code]]


def test_journal_reopen_and_rotate(gnomond, user_dir):
    # gnomond rotates as its user (gnomon): the directory is that user's.
    jdir = user_dir
    path = jdir / "journal.log"
    d = gnomond("clock null\nallow 127.0.0.0/8\n"
                "journal file %s maxsize 600 keepsize 100000\n" % path)
    assert wait_for(lambda: path.exists() and records(path, "START"), 10)
    # logrotate: rename, then SIGHUP: a new file is started.
    os.rename(path, jdir / "journal.log.1")
    d.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: path.exists() and records(path, "REOPEN"), 10), os.listdir(jdir)
    assert records(jdir / "journal.log.1", "START")
    # Rotation by size: SIGHUPs write a record each until the file rotates.
    for _ in range(12):
        d.proc.send_signal(signal.SIGHUP)
        if wait_for(lambda: [f for f in os.listdir(jdir) if f.endswith(".gz")], 0.5, 0.1):
            break
    gz = [f for f in os.listdir(jdir) if f.startswith("journal.log.") and f.endswith(".gz")]
    assert gz, os.listdir(jdir)
    with gzip.open(jdir / gz[0], "rt") as f:
        text = f.read()
    assert "REOPEN" in text and len(text) <= 600, text


def test_journal_config_errors(gnomond_bin, tmp_path):
    conf = tmp_path / "c.conf"
    conf.write_text("clock null\njournal maxsize 100\n")
    cp = subprocess.run([gnomond_bin, "--check-config", "-f", str(conf)],
                        capture_output=True, text=True, timeout=10)
    assert cp.returncode != 0 and "c.conf:2" in cp.stderr and "file PATH, syslog" in cp.stderr, \
        nh.describe(cp)
    conf.write_text("clock null\njournal file /tmp/x.log rotate 3\n")
    cp = subprocess.run([gnomond_bin, "--check-config", "-f", str(conf)],
                        capture_output=True, text=True, timeout=10)
    assert cp.returncode != 0 and "allowed: file PATH" in cp.stderr, nh.describe(cp)
