"""Alarms in a running gnomond (mon/alarm, fed by mon/alarm_feed): each
one provoked for real and seen raised and cleared on every view (the
control socket's `alarms`, `status`, /metrics, the journal).

* unsynchronised and no_selectable_source: a client whose upstream does
  not exist yet; raised after their minage; the upstream started, the
  clock synchronises and both clear.
* auth_failures: requests signed with a key the server lacks.
* replays: a validly signed gateway message with a sequence number long
  past; gateway_silent: a receiver whose sender stops, then comes back.
* journal_loss: the journal on a full file system (a 256 KiB tmpfs),
  then space again.
Minimum ages are shortened in the configuration so the test takes
seconds (the rules and their defaults are unit-tested: test_alarm.c).
"""

import json
import os
import socket
import struct
import subprocess
import time

import ntp_helpers as nh
from conftest import GNOMONCTL, free_loopback4
from test_client import FAST, tracking, wait_for
from test_gateway import forge
from test_http import free_tcp_port, get, metric, parse_metrics


def ctl(d, *args):
    cp = subprocess.run([GNOMONCTL, "-s", d.ctl, "--json", *args], capture_output=True,
                        text=True, timeout=10)
    assert cp.returncode == 0, nh.describe(cp)
    return json.loads(cp.stdout)


def active(d):
    return {a["name"]: a for a in ctl(d, "alarms")["active"]}


def journal_codes(path):
    return [l.split(" ")[2] + ":" + ([p.split("=", 1)[1] for p in l.split(" ")
                                     if p.startswith("alarm=")] or ["?"])[0]
            for l in path.read_text().splitlines() if " ALARM_" in l]


def test_unsynchronised_raised_and_cleared(gnomond, user_dir):
    up_addr = free_loopback4()
    port = free_tcp_port()
    journal = user_dir / "journal.log"
    cli = gnomond("clock virtual\nallow 127.0.0.0/8\nserver %s %s\nmakestep 0.1 3\n"
                  "alarm unsynchronised minage 2\nalarm no_selectable_source minage 2\n"
                  "alarm stratum_change minage 2\nhttp 127.0.0.1:%d\njournal file %s\n"
                  % (up_addr, FAST, port, journal), addr=free_loopback4(avoid=[up_addr]))
    a = wait_for(lambda: (lambda x: x if "unsynchronised" in x else None)(active(cli)), 20)
    assert a and a["unsynchronised"]["severity"] == "critical", ctl(cli, "alarms")
    assert "no_selectable_source" in active(cli), ctl(cli, "alarms")
    m = parse_metrics(get("127.0.0.1", port, "/metrics")[2].decode())
    assert metric(m, "gnomon_alarm_active", alarm="unsynchronised", severity="critical") == 1
    assert ctl(cli, "status")["alarms"]["active"], "status holds the alarms"

    gnomond("clock null\nlocal stratum 3\nallow 127.0.0.0/8\n", addr=up_addr)
    assert wait_for(lambda: tracking(cli)["synchronised"] or None, 30)
    gone = wait_for(lambda: not ({"unsynchronised", "no_selectable_source"} & set(active(cli)))
                    or None, 20)
    assert gone, ctl(cli, "alarms")
    m = parse_metrics(get("127.0.0.1", port, "/metrics")[2].decode())
    assert metric(m, "gnomon_alarm_active", alarm="unsynchronised", severity="critical") == 0
    assert metric(m, "gnomon_alarm_clears_total", alarm="unsynchronised") >= 1
    recent = [(e["name"], e["event"]) for e in ctl(cli, "alarms")["recent"]]
    assert ("unsynchronised", "raised") in recent and ("unsynchronised", "cleared") in recent
    codes = journal_codes(journal)
    assert "ALARM_RAISED:unsynchronised" in codes and "ALARM_CLEARED:unsynchronised" in codes, \
        codes


def test_auth_failures(gnomond, tmp_path):
    keys = tmp_path / "keys"
    keys.write_text("1 SHA1 HEX:%s\n" % ("11" * 20))
    os.chmod(keys, 0o600)
    d = gnomond("clock null\nlocal stratum 2\nallow 127.0.0.0/8\nkeyfile %s\n"
                "alarm auth_failures warn 5 minage 1 window 60\n" % keys)
    for _ in range(12):
        pkt, _, _ = nh.build_request()
        # key id 77 is not in the key file: a MAC nobody can check
        nh.query(d.addr, d.port, pkt + struct.pack("!I", 77) + b"\x22" * 20, timeout=0.2)
    assert d.stats()["auth_fail"] >= 12
    a = wait_for(lambda: active(d).get("auth_failures"), 10)
    assert a and a["severity"] == "warning" and a["value"] >= 5, ctl(d, "alarms")


def test_gateway_silent(gnomond, tmp_path):
    keys = tmp_path / "keys"
    keys.write_text("5 SHA256 HEX:%s\n" % ("ab" * 32))
    os.chmod(keys, 0o600)
    port = free_tcp_port()
    send_conf = ("clock null\nlocal stratum 1\nallow 127.0.0.0/8\nkeyfile %s\n"
                 "gateway-send to 127.0.0.1:%d interval 0.25 key 5\n" % (keys, port))
    sender = gnomond(send_conf)
    recv = gnomond("clock virtual\nallow 127.0.0.0/8\nkeyfile %s\n"
                   "gateway-receive on 127.0.0.1:%d sender 1 key 5\n"
                   "alarm gateway_silent minage 1\nalarm replays minage 1\n" % (keys, port))
    assert wait_for(lambda: ctl(recv, "gateway")["receiver"]["samples"] > 0 or None, 20)
    assert "gateway_silent" not in active(recv)
    # A replay: a message of the sender's boot, validly signed, with a
    # sequence number long past.
    g = ctl(recv, "gateway")["receiver"]
    old = forge(g["last_seq"] - 500, int(g["boot_id"], 16), time.time() - 120,
                key=bytes.fromhex("ab" * 32), key_id=5)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(old, ("127.0.0.1", port))
    a = wait_for(lambda: active(recv).get("replays"), 10)
    assert a and a["severity"] == "warning", ctl(recv, "alarms")
    sender.stop()
    a = wait_for(lambda: active(recv).get("gateway_silent"), 15)
    assert a and a["severity"] == "critical", ctl(recv, "alarms")
    gnomond(send_conf)   # the sender back (a new boot): messages again
    assert wait_for(lambda: "gateway_silent" not in active(recv) or None, 30), \
        ctl(recv, "alarms")


def test_journal_loss(gnomond, user_dir):
    small = user_dir / "small"
    small.mkdir()
    assert subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0750", "tmpfs",
                           str(small)]).returncode == 0
    try:
        os.chown(small, os.stat(user_dir).st_uid, os.stat(user_dir).st_gid)
        d = gnomond("clock null\nlocal stratum 2\nallow 127.0.0.0/8\njournal file %s\n"
                    "alarm journal_loss minage 1 window 5\n" % (small / "journal.log"))
        assert wait_for(lambda: (small / "journal.log").exists() or None, 5)
        # A counter's first reading is its baseline: losses before the
        # first evaluation (a second after start) would not count.
        time.sleep(2)
        fd = os.open(small / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
        try:                                           # the disk fills
            while os.write(fd, b"\0" * 4096) > 0:
                pass
        except OSError:
            pass
        finally:
            os.close(fd)
        # Events the journal cannot keep (the first few still fit in the
        # file's last page).
        for _ in range(400):
            subprocess.run([GNOMONCTL, "-s", d.ctl, "reload"], capture_output=True, timeout=10)
            j = ctl(d, "gateway")["journal"]
            if j["lost_write_error"] + j["lost_queue_full"] >= 20:
                break
        assert j["lost_write_error"] + j["lost_queue_full"] >= 20, j
        a = wait_for(lambda: active(d).get("journal_loss"), 10)
        assert a, (json.dumps([r for r in ctl(d, "alarms")["rules"] if r["name"] == "journal_loss"]),
                   ctl(d, "gateway")["journal"])
        os.unlink(small / "filler")                    # space again: no more losses
        assert wait_for(lambda: "journal_loss" not in active(d) or None, 20), ctl(d, "alarms")
    finally:
        subprocess.run(["umount", "-l", str(small)])
