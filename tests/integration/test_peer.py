"""Symmetric mode (issue 3): `peer HOST key ID` sends symmetric active
(mode 1) packets; gnomond answers an authenticated symmetric active peer
passively (mode 2) and drops an unauthenticated one. Truth is the machine
clock (`clock virtual`, clock_minus_system); nothing here can change it.
"""

import os
import shutil
import socket
import subprocess
import tempfile

import ntp_helpers as nh
from conftest import free_loopback4
from test_client import FAST, converged_within, sources, tracking, wait_for

KEYS = "1 SHA1 HEX:4c6f6e672073686172656420736563726574206f6e65\n" \
       "2 AES128 HEX:000102030405060708090a0b0c0d0e0f\n"


def keyfile(tmp_path, text=KEYS, name="keys"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_peers_synchronise_one_way_and_detect_the_loop(gnomond, tmp_path):
    """A (the machine clock at local stratum 4) and B (a virtual clock
    0.3 s and 15 ppm off) are each other's peers with a shared key. B
    learns A's time through the symmetric exchange and serves stratum 5;
    A sees that B is synchronised to it (refid loop) and stays put."""
    keys = keyfile(tmp_path)
    a_addr = free_loopback4()
    b_addr = free_loopback4(avoid=[a_addr])
    a = gnomond("clock null\nlocal stratum 4\nallow 127.0.0.0/8\nkeyfile %s\n"
                "peer %s key 1 %s\n" % (keys, b_addr, FAST), addr=a_addr)
    b = gnomond("clock virtual offset 0.3 freq 15\nallow 127.0.0.0/8\nkeyfile %s\n"
                "peer %s key 1 %s\nmakestep 0.1 3\n" % (keys, a_addr, FAST), addr=b_addr)
    converged_within(b, 1e-3, 60)
    tr = tracking(b)
    assert tr["stratum"] == 5 and tr["refid"] == a_addr, tr
    src = sources(b)
    assert len(src) == 1 and src[0]["mode"] == "peer" and src[0]["state"] == "*", src
    assert src[0]["auth_fail"] == 0 and src[0]["accepted"] > 0, src
    # A answered B's mode-1 packets passively, each one authenticated.
    st = a.stats()
    assert st["answered"] > 0 and st["dropped.peer_unauthenticated"] == 0, st
    assert st["auth_ok"] > 0, st
    # A hears from B too, but B's time comes from A: never a sample.
    a_src = wait_for(lambda: [s for s in sources(a) if s["loops"] > 0], 20)
    assert a_src and a_src[0]["accepted"] >= a_src[0]["loops"], sources(a)
    assert a_src[0]["state"] != "*", a_src
    assert tracking(a)["stratum"] == 4, tracking(a)


def test_unauthenticated_peer_is_not_answered(gnomond, tmp_path):
    """A peer without a key gets no answer (counted as
    peer_unauthenticated), so it never synchronises; a wrong key is an
    authentication failure and gets none either."""
    keys = keyfile(tmp_path)
    other = keyfile(tmp_path, "1 SHA1 HEX:0000000000000000000000000000000000000001\n",
                    name="other")
    a = gnomond("clock null\nlocal stratum 4\nallow 127.0.0.0/8\nkeyfile %s\n" % keys)
    b = gnomond("clock virtual offset 0.3\nallow 127.0.0.0/8\npeer %s %s\n"
                % (a.addr, FAST), addr=free_loopback4(avoid=[a.addr]))
    c = gnomond("clock virtual offset 0.3\nallow 127.0.0.0/8\nkeyfile %s\n"
                "peer %s key 1 %s\n" % (other, a.addr, FAST),
                addr=free_loopback4(avoid=[a.addr, b.addr]))
    assert wait_for(lambda: a.stats()["dropped.peer_unauthenticated"] >= 3 and
                    a.stats()["auth_fail"] >= 3, 20), a.stats()
    for d in (b, c):
        src = sources(d)
        assert src[0]["sent"] >= 3 and src[0]["accepted"] == 0, src
        assert not tracking(d)["synchronised"], tracking(d)
    # A raw mode-1 packet without a MAC gets no reply at all.
    assert nh.query(a.addr, a.port, mode=1, timeout=1) is None


def chronyd_peer(addr, peer_addr, keyline):
    """chronyd -x with `peer peer_addr key 1`, as an RFC 5905 symmetric
    peer that has gnomond configured too."""
    d = tempfile.mkdtemp(prefix="gn-chrony-peer-")
    with open(os.path.join(d, "keys"), "w") as f:
        f.write(keyline + "\n")
    conf = os.path.join(d, "chrony.conf")
    with open(conf, "w") as f:
        f.write("port 123\nbindaddress %s\nallow 127.0.0.0/8\nlocal stratum 3\n"
                "cmdport 0\npidfile %s/chronyd.pid\nkeyfile %s/keys\n"
                "peer %s key 1 minpoll 0 maxpoll 0 xleave\n" % (addr, d, d, peer_addr))
    with open(os.path.join(d, "chronyd.log"), "wb") as log:
        proc = subprocess.Popen(nh.NO_SYS_TIME + ["chronyd", "-x", "-d", "-f", conf],
                                stdout=subprocess.DEVNULL, stderr=log,
                                start_new_session=True)
    return proc, d


def test_peer_with_chronyd(gnomond, tmp_path):
    """gnomond and chronyd as each other's authenticated symmetric peers:
    gnomond synchronises to chronyd's local stratum 3 through the
    exchange, and chronyd's own mode-1 packets are answered passively."""
    nh.require_tool("chronyd")
    keys = keyfile(tmp_path)
    c_addr = free_loopback4()
    g_addr = free_loopback4(avoid=[c_addr])
    proc, tmp = chronyd_peer(c_addr, g_addr, KEYS.splitlines()[0])
    try:
        g = gnomond("clock virtual offset -0.2 freq 10\nallow 127.0.0.0/8\nkeyfile %s\n"
                    "peer %s key 1 %s\nmakestep 0.1 3\n" % (keys, c_addr, FAST), addr=g_addr)
        converged_within(g, 1e-3, 60)
        tr = tracking(g)
        assert tr["stratum"] == 4 and tr["refid"] == c_addr, tr
        assert wait_for(lambda: g.stats()["auth_ok"] > 0, 20), g.stats()
        assert g.stats()["dropped.peer_unauthenticated"] == 0, g.stats()
    finally:
        proc.terminate()
        proc.wait(5)
        shutil.rmtree(tmp, ignore_errors=True)
