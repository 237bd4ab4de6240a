"""Reload without restart (issue 8, part 5): SIGHUP and `gnomonctl reload`
re-read the key file and allow/deny, as the unprivileged user gnomond
dropped to: key files are root's with the daemon's group (0640), in a
directory that user can reach (the `user_dir` fixture).

* A key rotated on a running NTP client/server pair (the same key id, a
  new secret, both sides reloaded between two polls): no sample lost, no
  MAC failure, and the old secret no longer opens the server.
* The same on a gateway sender/receiver pair on loopback.
* A broken key file: `gnomonctl reload` fails naming file:line, and the
  service goes on with the old keys.
* Access lists swapped while two worker threads serve a flood (the swap
  is lock-free for them); a change to another directive is reported as
  needing a restart and not applied.

Truth is the machine clock (`clock null` servers, `clock virtual` clients);
nothing here can change it (setpriv without CAP_SYS_TIME).
"""

import json
import os
import pwd
import signal
import subprocess
import threading
import time

import ntp_helpers as nh
from conftest import DAEMON_USER, GNOMONCTL, free_loopback4
from test_client import sources, tracking, wait_for

OLD = "5 SHA1 HEX:0123456789abcdef0123456789abcdef01234567\n"
NEW = "5 SHA1 HEX:89abcdef0123456789abcdef0123456789abcdef\n"
GW_OLD = "5 SHA256 HEX:%s\n" % ("20" * 32)
GW_NEW = "5 SHA256 HEX:%s\n" % ("7e" * 32)


def ctl(d, *args):
    return subprocess.run([GNOMONCTL, "-s", d.ctl] + list(args), capture_output=True,
                          text=True, timeout=10)


def reload_ok(d):
    cp = ctl(d, "reload")
    assert cp.returncode == 0 and "key(s)" in cp.stdout, nh.describe(cp)
    return cp.stdout


def write_keys(path, text):
    """Replace the key file as an operator's tool would: a new file renamed
    into place, root's and readable by the daemon's group (0640), since
    gnomond re-reads it after dropping root."""
    tmp = str(path) + ".new"
    with open(tmp, "w") as f:
        f.write(text)
    os.chown(tmp, 0, pwd.getpwnam(DAEMON_USER).pw_gid)
    os.chmod(tmp, 0o640)
    os.rename(tmp, str(path))


def right_after(pred_value, timeout=15):
    """Wait until pred_value() changes: the moment just after an event."""
    v0 = pred_value()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.02)
        if pred_value() != v0:
            return
    raise AssertionError("nothing happened in %d s" % timeout)


def source(client):
    return sources(client)[0]


def test_key_rotation_ntp_pair(gnomond, user_dir):
    s_keys, c_keys = user_dir / "server.keys", user_dir / "client.keys"
    write_keys(s_keys, OLD)
    write_keys(c_keys, OLD)
    server = gnomond("clock null\nlocal stratum 2\nallow 127.0.0.0/8\nkeyfile %s\nworkers 2\n"
                     % s_keys)
    client = gnomond("clock virtual offset 0.05\nallow 127.0.0.0/8\nkeyfile %s\n"
                     "server %s key 5 iburst minpoll 1 maxpoll 1\nmakestep 0.1 3\n"
                     % (c_keys, server.addr), addr=free_loopback4(avoid=[server.addr]))
    assert wait_for(lambda: source(client)["accepted"] >= 4, 30), source(client)
    s0, c0 = server.stats(), source(client)

    # Rotate between two polls (2 s apart): both files, both daemons.
    right_after(lambda: source(client)["accepted"])
    write_keys(s_keys, NEW)
    write_keys(c_keys, NEW)
    reload_ok(server)
    client.proc.send_signal(signal.SIGHUP)      # the other way to ask
    assert wait_for(lambda: "reloaded: 1 key(s)" in client.log(), 5, step=0.1), client.log()

    assert wait_for(lambda: source(client)["accepted"] >= c0["accepted"] + 4, 20), source(client)
    s1, c1 = server.stats(), source(client)
    print("server before/after:", nh.delta(s0, s1))
    assert c1["auth_fail"] == c0["auth_fail"] and c1["timeouts"] == c0["timeouts"], (c0, c1)
    assert s1["dropped.auth"] == s0["dropped.auth"], nh.delta(s0, s1)
    assert s1["auth_ok"] > s0["auth_ok"]
    assert tracking(client)["synchronised"]

    # The old secret opens nothing any more: a client still holding it is
    # dropped as a MAC failure.
    stale = user_dir / "stale.keys"
    write_keys(stale, OLD)
    late = gnomond("clock virtual\nallow 127.0.0.0/8\nkeyfile %s\nserver %s key 5 iburst "
                   "minpoll 0 maxpoll 0\n" % (stale, server.addr),
                   addr=free_loopback4(avoid=[server.addr, client.addr]))
    assert wait_for(lambda: server.stats()["dropped.auth"] > s1["dropped.auth"], 10)
    assert source(late)["accepted"] == 0


def test_broken_key_file_keeps_old_keys(gnomond, user_dir):
    s_keys, c_keys = user_dir / "server.keys", user_dir / "client.keys"
    write_keys(s_keys, OLD)
    write_keys(c_keys, OLD)
    server = gnomond("clock null\nlocal stratum 2\nallow 127.0.0.0/8\nkeyfile %s\n" % s_keys)
    client = gnomond("clock virtual\nallow 127.0.0.0/8\nkeyfile %s\n"
                     "server %s key 5 iburst minpoll 0 maxpoll 0\n"
                     % (c_keys, server.addr), addr=free_loopback4(avoid=[server.addr]))
    assert wait_for(lambda: source(client)["accepted"] >= 3, 20), source(client)

    write_keys(s_keys, OLD + "6 SHA1 HEX:nothex\n7 MD6 secret\n")
    cp = ctl(server, "reload")
    assert cp.returncode == 1, nh.describe(cp)
    assert "%s:2:" % s_keys in cp.stderr, nh.describe(cp)
    assert "reload refused, nothing changed" in server.log()
    # SIGHUP with the same file: refused the same way, and the daemon lives.
    server.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: server.log().count("reload refused") >= 2, 5, step=0.1)
    c0, s0 = source(client), server.stats()
    assert wait_for(lambda: source(client)["accepted"] >= c0["accepted"] + 3, 15)
    c1, s1 = source(client), server.stats()
    assert c1["auth_fail"] == c0["auth_fail"] and s1["dropped.auth"] == s0["dropped.auth"]
    assert server.alive()

    # Mended: the reload goes through and says what it loaded.
    write_keys(s_keys, OLD + "6 SHA1 HEX:00112233445566778899aabbccddeeff00112233\n")
    assert "2 key(s)" in reload_ok(server)


def gateway(d):
    cp = ctl(d, "--json", "gateway")
    assert cp.returncode == 0, nh.describe(cp)
    return json.loads(cp.stdout)


def test_key_rotation_gateway_pair(gnomond, user_dir):
    """A sender and a receiver on loopback (no diode needed for keys)."""
    port = 4000 + os.getpid() % 1000
    s_keys, r_keys = user_dir / "sender.keys", user_dir / "receiver.keys"
    write_keys(s_keys, GW_OLD)
    write_keys(r_keys, GW_OLD)
    recv = gnomond("clock virtual offset 0.2\nallow 127.0.0.0/8\nkeyfile %s\n"
                   "gateway-receive on 127.0.0.1:%d sender 1 key 5\nmakestep 0.1 3\n"
                   % (r_keys, port))
    sender = gnomond("clock null\nlocal stratum 1\nallow 127.0.0.0/8\nkeyfile %s\n"
                     "gateway-send to 127.0.0.1:%d interval 1 key 5 correction none\n"
                     % (s_keys, port), addr=free_loopback4(avoid=[recv.addr]))
    assert wait_for(lambda: gateway(recv)["receiver"]["samples"] >= 4, 40), gateway(recv)
    g0 = gateway(recv)["receiver"]
    steps = tracking(recv)["steps"]

    right_after(lambda: gateway(recv)["receiver"]["last_seq"])
    write_keys(s_keys, GW_NEW)
    write_keys(r_keys, GW_NEW)
    reload_ok(recv)
    reload_ok(sender)

    # Messages go on being accepted under the new key (one sample per
    # window of 8 messages reaches the discipline: doc/gateway.md).
    assert wait_for(lambda: gateway(recv)["receiver"]["last_seq"] >= g0["last_seq"] + 8 and
                    gateway(recv)["receiver"]["samples"] > g0["samples"], 25), gateway(recv)
    g1 = gateway(recv)["receiver"]
    print("receiver before/after:", g0, g1)
    assert g1["rejected"] == g0["rejected"], (g0["rejected"], g1["rejected"])
    assert g1["sequence"]["lost"] == g0["sequence"]["lost"], (g0, g1)
    assert tracking(recv)["steps"] == steps


def test_acl_reload_under_flood(gnomond):
    """Allow and deny swapped while two workers serve a flood from
    127.0.0.1; a changed serve-offset is reported, not applied."""
    body = "clock null\nlocal stratum 2\nworkers 2\nallow 127.0.0.0/8\n"
    server = gnomond(body)
    assert nh.query(server.addr, 123) is not None

    stop = threading.Event()

    def flood():
        s = nh.udp_socket(server.addr)
        req = nh.build_request()[0]
        deadline = time.monotonic() + 30
        while not stop.is_set() and time.monotonic() < deadline:
            for _ in range(50):
                s.sendto(req, (server.addr, 123))
            time.sleep(0.001)
        s.close()

    t = threading.Thread(target=flood)
    t.start()
    try:
        for i in range(10):
            deny = i % 2 == 0
            with open(server.conf, "w") as f:
                server.body = body + ("deny 127.0.0.1\n" if deny else "")
                f.write(server.config_text())
            assert "access rule(s)" in reload_ok(server)
            if deny:
                s0 = server.stats()["dropped.denied"]
                assert nh.query(server.addr, 123, timeout=0.5) is None
                assert server.stats()["dropped.denied"] > s0
            else:
                assert nh.query(server.addr, 123, timeout=2) is not None
    finally:
        stop.set()
        t.join()
    # Served all along (the flood's own rate depends on the machine's load).
    assert server.stats()["answered"] > 100

    # Not reloadable: reported, the old value kept.
    with open(server.conf, "w") as f:
        server.body = body + "serve-offset 5\n"
        f.write(server.config_text())
    out = reload_ok(server)
    assert "need a restart" in out, out
    rep = nh.query(server.addr, 123, timeout=2)
    assert rep is not None
    assert abs(rep.offset()) < 1, rep


def test_reload_refuses_a_key_file_without_a_key_in_use(gnomond, user_dir):
    """A client's `server ... key 5`: a new key file without key 5 would
    leave it signing nothing. Refused, naming the key, the old keys kept."""
    s_keys, c_keys = user_dir / "server.keys", user_dir / "client.keys"
    write_keys(s_keys, OLD)
    write_keys(c_keys, OLD)
    server = gnomond("clock null\nlocal stratum 1\nallow 127.0.0.0/8\nkeyfile %s\n" % s_keys)
    client = gnomond("clock virtual\nkeyfile %s\nserver %s iburst minpoll 0 maxpoll 0 key 5\n"
                     % (c_keys, server.addr), addr=free_loopback4(avoid=[server.addr]))
    assert wait_for(lambda: source(client)["accepted"] >= 2, 20), source(client)
    write_keys(c_keys, NEW.replace("5 ", "6 ", 1))
    cp = ctl(client, "reload")
    assert cp.returncode == 1, nh.describe(cp)
    assert "key 5, used by source %s, is not in the new key file" % server.addr in cp.stderr, \
        nh.describe(cp)
    assert "reload refused" in client.log()
    # Still authenticated with the old key: samples go on, no MAC failure.
    a0 = source(client)["accepted"]
    assert wait_for(lambda: source(client)["accepted"] >= a0 + 2, 10), source(client)
    assert source(client)["auth_fail"] == 0, source(client)


def test_gateway_receiver_takes_a_new_key_id(gnomond, user_dir):
    """Key-id rotation on the gateway: the receiver (no explicit `key`
    list: every SHA256 key of its file) gets key 6 by a reload, without a
    restart; then the sender moves to key 6 (its `key` is a config
    directive: the sender restarts, the protected side does not)."""
    port = 5000 + os.getpid() % 1000
    s_keys, r_keys = user_dir / "sender.keys", user_dir / "receiver.keys"
    key6 = "6 SHA256 HEX:%s\n" % ("5a" * 32)
    write_keys(s_keys, GW_OLD + key6)
    write_keys(r_keys, GW_OLD)
    recv = gnomond("clock virtual offset 0.2\nallow 127.0.0.0/8\nkeyfile %s\n"
                   "gateway-receive on 127.0.0.1:%d sender 1\nmakestep 0.1 3\n"
                   % (r_keys, port))
    body = ("clock null\nlocal stratum 1\nallow 127.0.0.0/8\nkeyfile %s\n"
            "gateway-send to 127.0.0.1:%d interval 0.25 key %%d correction none\n"
            % (s_keys, port))
    sender = gnomond(body % 5, addr=free_loopback4(avoid=[recv.addr]))
    assert wait_for(lambda: gateway(recv)["receiver"]["samples"] >= 4, 40), gateway(recv)
    write_keys(r_keys, GW_OLD + key6)
    reload_ok(recv)
    g0 = gateway(recv)["receiver"]
    addr = sender.addr
    sender.stop()
    sender = gnomond(body % 6, addr=addr)
    assert wait_for(lambda: gateway(recv)["receiver"]["last_key"] == 6 and
                    gateway(recv)["receiver"]["samples"] >= g0["samples"] + 4, 30), \
        gateway(recv)
    g1 = gateway(recv)["receiver"]
    print("receiver before/after the key id change:", g0["rejected"], g1["rejected"])
    assert g1["rejected"] == g0["rejected"], (g0["rejected"], g1["rejected"])
