"""Broadcast and multicast mode (issue 3): a gnomond broadcast server and a
gnomond broadcast client in two network namespaces joined by a veth pair
(198.18.7.0/24, the benchmarking range). Authentication is required unless
waived; forged, unsigned and replayed packets are counted and change
nothing. Truth is the machine clock (server `clock null`, client `clock
virtual` started off); nothing here can change it.
"""

import hashlib
import json
import os
import struct
import subprocess
import time

import pytest

import ntp_helpers as nh
from conftest import GNOMONCTL
from test_client import converged_within, freq_settles, sources, tracking, wait_for

SRV_IP, CLI_IP, BCAST = "198.18.7.1", "198.18.7.2", "198.18.7.255"
GROUP = "239.255.7.1"
SECRET = "broadcast-md5-secret"
KEYS = "7 MD5 %s\n8 SHA1 HEX:00112233445566778899aabbccddeeff00112233\n" % SECRET


def sh(*argv):
    cp = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    assert cp.returncode == 0, nh.describe(cp)
    return cp


def seg_ifs():
    """The segment's interface names: server side, client side."""
    tag = "%d" % (os.getpid() % 100000)
    return "gnbcs" + tag, "gnbcc" + tag


@pytest.fixture
def segment():
    """Two namespaces, server and client, on one veth segment with a
    multicast route each; removed at the end, also on failure."""
    if os.geteuid() != 0:
        pytest.skip("needs root for network namespaces")
    tag = "%d" % (os.getpid() % 100000)
    ns_s, ns_c = "gnbc-s-" + tag, "gnbc-c-" + tag
    if_s, if_c = seg_ifs()
    try:
        sh("ip", "netns", "add", ns_s)
        sh("ip", "netns", "add", ns_c)
        sh("ip", "link", "add", if_s, "netns", ns_s, "type", "veth", "peer", "name", if_c,
           "netns", ns_c)
        for ns, ifn, ip in ((ns_s, if_s, SRV_IP), (ns_c, if_c, CLI_IP)):
            sh("ip", "-n", ns, "addr", "add", ip + "/24", "brd", "+", "dev", ifn)
            sh("ip", "-n", ns, "link", "set", ifn, "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            sh("ip", "-n", ns, "route", "add", "224.0.0.0/4", "dev", ifn)
        yield ns_s, ns_c
    finally:
        for ns in (ns_s, ns_c):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def bclient_stats(d):
    cp = subprocess.run([GNOMONCTL, "-s", d.ctl, "--json", "sources"],
                        capture_output=True, text=True, timeout=10)
    assert cp.returncode == 0, nh.describe(cp)
    return json.loads(cp.stdout)["broadcastclient"]


def md5_packet(xmt, stratum=2, key=7, secret=SECRET, sign=True):
    """A mode-5 v4 packet with transmit time xmt (POSIX s), signed with
    an MD5 key the way RFC 5905 §7.3 says (digest of secret + packet)."""
    era = int((xmt + 2208988800) * 2**32)
    hdr = struct.pack("!BBbbIIIQQQQ", (4 << 3) | 5, stratum, 6, -20, 0, 0,
                      0x7f7f0101, era, 0, 0, era)
    if not sign:
        return hdr
    return hdr + struct.pack("!I", key) + hashlib.md5(secret.encode() + hdr).digest()


def send_in(ns, dst, packets):
    """Send raw datagrams to dst:123 from inside namespace ns."""
    code = ("import socket,sys\n"
            "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
            "s.setsockopt(socket.SOL_SOCKET,socket.SO_BROADCAST,1)\n"
            "for h in sys.argv[2:]:\n"
            "    s.sendto(bytes.fromhex(h),(sys.argv[1],123))\n")
    sh("ip", "netns", "exec", ns, "/usr/bin/python3", "-c", code, dst,
       *[p.hex() for p in packets])


@pytest.mark.parametrize("dest", [BCAST, GROUP], ids=["broadcast", "multicast"])
def test_broadcast_client_follows_server(gnomond, segment, tmp_path, dest):
    """The client, 0.2 s and 20 ppm off, synchronises to the signed
    broadcasts (1 s interval) and serves stratum 4; unsigned, wrong-key
    and replayed packets are rejected, counted, and move nothing."""
    ns_s, ns_c = segment
    keys = tmp_path / "keys"
    keys.write_text(KEYS)
    srv = gnomond("clock null\nlocal stratum 3\nallow 198.18.0.0/15\nkeyfile %s\n"
                  "broadcast %s interval 1 key 7\n" % (keys, dest), addr=SRV_IP, netns=ns_s)
    # Broadcast with a configured delay; multicast with the delay measured
    # by signed client exchanges with the sender (as ntpd calibrates).
    opts = " delay 0.00003" if dest == BCAST else " group %s" % GROUP
    cli = gnomond("clock virtual offset 0.2 freq 20\nallow 198.18.0.0/15\nkeyfile %s\n"
                  "broadcastclient key 7%s\nmakestep 0.1 3\n" % (keys, opts),
                  addr=CLI_IP, netns=ns_c)
    converged_within(cli, 500e-6, 60)
    tr = tracking(cli)
    assert tr["stratum"] == 4 and tr["refid"] == SRV_IP and tr["synchronised"], tr
    src = sources(cli)
    assert len(src) == 1 and src[0]["mode"] == "broadcast" and src[0]["state"] == "*", src
    assert src[0]["key"] == 7 and src[0]["poll"] == 0 and src[0]["reach"] > 0, src
    if dest == BCAST:
        assert src[0]["delay_calibration"] == "configured", src
        assert abs(src[0]["oneway_delay"] - 30e-6) < 1e-9, src
    else:
        assert src[0]["delay_calibration"] == "measured", src
        assert src[0]["calibration_exchanges"] >= 1 and 0 < src[0]["oneway_delay"] < 1e-3, src
        # The sender's NTP server saw the signed exchanges.
        assert srv.stats()["auth_ok"] >= src[0]["calibration_exchanges"], srv.stats()
    assert freq_settles(cli, -20, 2.0, 40), tracking(cli)
    assert srv.stats()["broadcast.sent"] >= src[0]["accepted"] >= 3, (srv.stats(), src)

    # Forgeries, each 1000 s off: unsigned, signed with a wrong secret,
    # with a key the client does not take (8 is in its file, 7 is
    # required), and a replay of an old signed packet.
    before = bclient_stats(cli)
    now = time.time()
    forged = [md5_packet(now + 1000, sign=False),
              md5_packet(now + 1000, secret="guess"),
              md5_packet(now + 1000, key=8),
              md5_packet(now - 1000)]
    send_in(ns_s, dest, forged)
    after = wait_for(lambda: (lambda b: b if b["rejected"]["auth"] - before["rejected"]["auth"]
                              >= 3 else None)(bclient_stats(cli)), 10)
    assert after, bclient_stats(cli)
    assert after["rejected"]["auth"] - before["rejected"]["auth"] == 3, (before, after)
    assert after["rejected"]["stale"] - before["rejected"]["stale"] == 1, (before, after)
    for _ in range(6):
        t = tracking(cli)
        assert abs(t["clock_minus_system"]) < 1e-3 and t["steps"] == 1, t
        time.sleep(0.5)
    # The client serves what it learnt, to an ordinary NTP client.
    cp = subprocess.run(["ip", "netns", "exec", ns_c, "ntpdig", "-t", "2", "-j", CLI_IP],
                        capture_output=True, text=True, timeout=20)
    line = [l for l in cp.stdout.splitlines() if l.startswith("{")]
    assert cp.returncode == 0 and line, nh.describe(cp)
    rep = json.loads(line[0])
    # The precise figure is the tracking check above; ntpdig's includes the
    # server's reply-path asymmetry, a millisecond or more under ASan.
    assert rep["stratum"] == 4 and abs(rep["offset"]) < 5e-3, rep


def test_unsigned_broadcasts_need_noauth(gnomond, segment, tmp_path):
    """Unsigned broadcasts are refused by default and taken with noauth. The
    sender's NTP server denies the client: the delay calibration gets no
    answer, and the client goes on with delay 0."""
    ns_s, ns_c = segment
    keys = tmp_path / "keys"
    keys.write_text(KEYS)
    gnomond("clock null\nlocal stratum 3\nallow 198.18.0.0/15\ndeny %s\n"
            "broadcast %s interval 1\n" % (CLI_IP, BCAST), addr=SRV_IP, netns=ns_s)
    strict = gnomond("clock virtual offset 0.05\nallow 198.18.0.0/15\nkeyfile %s\n"
                     "broadcastclient\n" % keys, addr=CLI_IP, netns=ns_c)
    st = wait_for(lambda: (lambda b: b if b["rejected"]["auth"] >= 3 else None)(
        bclient_stats(strict)), 15)
    assert st and st["accepted"] == 0, bclient_stats(strict)
    assert not tracking(strict)["synchronised"] and sources(strict) == [], sources(strict)
    strict.stop()
    lax = gnomond("clock virtual offset 0.05\nallow 198.18.0.0/15\n"
                  "broadcastclient noauth\nmakestep 0.1 3\n", addr=CLI_IP, netns=ns_c)
    converged_within(lax, 1e-3, 60)
    assert tracking(lax)["stratum"] == 4
    src = sources(lax)
    assert src[0]["delay_calibration"] == "failed" and src[0]["oneway_delay"] == 0, src
    assert "did not answer the delay calibration" in lax.log()


def test_broadcastclient_config_errors(gnomond_bin, tmp_path):
    """Configuration mistakes are named: noauth with a key, a non-multicast
    group, no keyfile without noauth."""
    def check(body):
        conf = tmp_path / "c.conf"
        conf.write_text(body)
        return subprocess.run([gnomond_bin, "--check-config", "-f", str(conf)],
                              capture_output=True, text=True, timeout=10)
    cp = check("broadcastclient key 3 noauth\n")
    assert cp.returncode != 0 and "c.conf:1" in cp.stderr and "noauth" in cp.stderr, cp.stderr
    cp = check("broadcastclient group 10.1.2.3\n")
    assert cp.returncode != 0 and "multicast" in cp.stderr, cp.stderr
    cp = check("broadcast 198.18.7.255 interval 0\n")
    assert cp.returncode != 0 and "c.conf:1" in cp.stderr, cp.stderr
    conf = tmp_path / "run.conf"
    conf.write_text("port 0\ncontrol %s/ctl\nclock null\nbroadcastclient\n" % tmp_path)
    cp = subprocess.run(nh.NO_SYS_TIME + [gnomond_bin, "-n", "-f", str(conf)],
                        capture_output=True, text=True, timeout=10)
    assert cp.returncode != 0 and "keyfile" in cp.stderr, nh.describe(cp)


# ----------------------------------------------------------------------
# replay from other source addresses (issue 8 §2, CVE-2015-7973 class)

ATTACKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bcast_attacker.py")


def attacker(ns, *args, **kw):
    return ["ip", "netns", "exec", ns, "/usr/bin/python3", ATTACKER] + [str(a) for a in args]


def spoof_addresses(ns_s, n):
    """n addresses 198.18.7.10... on the attacker's (server side) interface."""
    addrs = ["198.18.7.%d" % (10 + i) for i in range(n)]
    for a in addrs:
        sh("ip", "-n", ns_s, "addr", "add", a + "/24", "dev", seg_ifs()[0])
    return addrs


def capture(ns_c, dest, seconds):
    """Authentic packets of the genuine sender, heard in the client's
    namespace beside the client."""
    cp = subprocess.run(attacker(ns_c, "capture", dest, seconds, SRV_IP),
                        capture_output=True, text=True, timeout=seconds + 20)
    assert cp.returncode == 0, nh.describe(cp)
    return [bytes.fromhex(l) for l in cp.stdout.split()]


def genuine_selected(cli):
    src = {s["address"]: s for s in sources(cli)}
    return SRV_IP in src and src[SRV_IP]["state"] == "*", src


def watch(cli, seconds, steps):
    """For seconds: no step, the clock error stays below 1 ms (truth is
    the machine clock), no other source is ever selected, and the genuine
    sender is selected at four reads in five and at the end (on an ASan
    build under the attack's load it was seen unselected for a moment,
    with nothing else selected and the clock unmoved)."""
    end = time.monotonic() + seconds
    worst, reads, selected, unselected = 0.0, 0, 0, []
    while time.monotonic() < end:
        t = tracking(cli)
        worst = max(worst, abs(t["clock_minus_system"]))
        assert t["steps"] == steps and abs(t["clock_minus_system"]) < 1e-3, (t, cli.log(40))
        ok, src = genuine_selected(cli)
        others = [a for a, s in src.items() if a != SRV_IP and s["state"] == "*"]
        assert SRV_IP in src and not others, {a: s["state"] for a, s in src.items()}
        reads += 1
        selected += ok
        if not ok:
            unselected.append({a: (s["state"], s.get("reach")) for a, s in src.items()})
        time.sleep(0.5)
    # 12 of 14 was seen on a loaded machine: a moment unselected is not the
    # attacker's doing while nothing else is selected and the clock holds
    assert selected >= 0.8 * reads, (selected, reads, unselected)
    assert wait_for(lambda: genuine_selected(cli)[0], 5), genuine_selected(cli)[1]
    return worst


def st_key_conflicts(cli):
    return bclient_stats(cli)["key_conflicts"]


def synced_client(gnomond, segment, tmp_path, dest, extra=""):
    ns_s, ns_c = segment
    keys = tmp_path / "keys"
    keys.write_text(KEYS)
    gnomond("clock null\nlocal stratum 3\nallow 198.18.0.0/15\nkeyfile %s\n"
            "broadcast %s interval 1 key 7\n" % (keys, dest), addr=SRV_IP, netns=ns_s)
    opts = " delay 0.00003" if dest == BCAST else " group %s" % GROUP
    # Steps always allowed: the attacker's best case.
    cli = gnomond("clock virtual offset 0.2 freq 20\nallow 198.18.0.0/15\nkeyfile %s\n"
                  "broadcastclient key 7%s%s\nmakestep 0.1 -1\n" % (keys, opts, extra),
                  addr=CLI_IP, netns=ns_c)
    converged_within(cli, 500e-6, 60)
    assert genuine_selected(cli)[0], sources(cli)
    return cli


@pytest.mark.parametrize("dest", [BCAST, GROUP], ids=["broadcast", "multicast"])
def test_replay_from_spoofed_addresses(gnomond, segment, tmp_path, dest):
    """Authentic packets recorded on the segment and sent again about 30 s
    later from three other addresses (198.18.7.10-12), as three senders
    agreeing on a clock 30 s slow: refused as stale (the key's transmit
    time must grow, whatever the address), no step, no new source, the
    genuine sender stays selected."""
    ns_s, ns_c = segment
    cli = synced_client(gnomond, segment, tmp_path, dest)
    steps = tracking(cli)["steps"]
    spoofed = spoof_addresses(ns_s, 3)
    recorded = capture(ns_c, dest, 12)
    assert len(recorded) >= 8, recorded
    time.sleep(20)
    before = bclient_stats(cli)
    replay = subprocess.Popen(attacker(ns_s, "replay", dest, 1, ",".join(spoofed),
                                       *[p.hex() for p in recorded]))
    try:
        worst = watch(cli, len(recorded) + 8, steps)
    finally:
        replay.wait(timeout=60)
    after = bclient_stats(cli)
    assert after["rejected"]["stale"] - before["rejected"]["stale"] >= 3 * len(recorded), after
    assert [s["address"] for s in sources(cli)] == [SRV_IP], sources(cli)
    print("replayed %d packets x 3 addresses; worst clock error %.1f us; stale %d"
          % (len(recorded), worst * 1e6, after["rejected"]["stale"]))


def test_spoofed_senders_cannot_take_the_slots(gnomond, segment, tmp_path):
    """Slot exhaustion: ten addresses (198.18.7.10-19) send the genuine
    sender's authentic packets, each relayed at once as it is heard and
    older ones recorded before. None becomes a sender (the key's transmit
    time must grow, and key 7 has its one sender); the genuine sender
    keeps its slot and stays selected, the clock does not move."""
    ns_s, ns_c = segment
    cli = synced_client(gnomond, segment, tmp_path, GROUP)
    steps = tracking(cli)["steps"]
    spoofed = ",".join(spoof_addresses(ns_s, 10))
    recorded = capture(ns_c, GROUP, 6)
    assert len(recorded) >= 4, recorded
    time.sleep(4)
    before = bclient_stats(cli)
    cap = subprocess.Popen(attacker(ns_c, "capture", GROUP, 14, SRV_IP), stdout=subprocess.PIPE)
    relay = subprocess.Popen(attacker(ns_s, "relay", GROUP, spoofed), stdin=cap.stdout)
    cap.stdout.close()
    replay = subprocess.Popen(attacker(ns_s, "replay", GROUP, 1, spoofed,
                                       *[p.hex() for p in recorded]))
    try:
        worst = watch(cli, 16, steps)
    finally:
        for p in (replay, cap, relay):
            p.wait(timeout=60)
    after = bclient_stats(cli)
    refused = sum(after["rejected"][k] - before["rejected"][k] for k in ("stale", "duplicate"))
    # Ten copies of each recorded packet and of each of about 12 relayed.
    assert refused >= 10 * (len(recorded) + 8), (before, after)
    assert [s["address"] for s in sources(cli)] == [SRV_IP], sources(cli)
    print("slot exhaustion: %d packets refused; worst clock error %.1f us"
          % (refused, worst * 1e6))


def test_admission_per_key_and_clock_check(gnomond, segment, tmp_path):
    """maxsenders 2, and an insider holding key 7: while the client is
    synchronised, a new address whose packets are 5 s off is refused
    (new_sender_offset); one on time is admitted as the key's second
    sender; a third address for the key is refused (key_senders_full).
    The genuine sender stays selected and the clock does not move."""
    ns_s, ns_c = segment
    cli = synced_client(gnomond, segment, tmp_path, BCAST, " maxsenders 2")
    assert st_key_conflicts(cli) == 0
    steps = tracking(cli)["steps"]
    a, b = spoof_addresses(ns_s, 2)
    before = bclient_stats(cli)
    off = subprocess.Popen(attacker(ns_s, "sign", BCAST, 1, a, 6, 5.0, 7, SECRET))
    try:
        watch(cli, 7, steps)
    finally:
        off.wait(timeout=30)
    st = bclient_stats(cli)
    assert st["new_sender_offset"] - before["new_sender_offset"] >= 5, st
    assert [s["address"] for s in sources(cli)] == [SRV_IP], sources(cli)
    good = subprocess.Popen(attacker(ns_s, "sign", BCAST, 1, a, 14, 0.0, 7, SECRET))
    try:
        # Trusted after its probation (4 packets over 3 intervals); until
        # then a newer packet of the key from a third address would
        # displace it (test_fresh_client_not_taken_by_a_recording).
        assert wait_for(lambda: [s["address"] for s in sources(cli) if s["trusted"]] ==
                        [SRV_IP, a], 10), (sources(cli), cli.log(20))
        third = subprocess.Popen(attacker(ns_s, "sign", BCAST, 1, b, 4, 0.0, 7, SECRET))
        third.wait(timeout=30)
    finally:
        good.wait(timeout=30)
    st = bclient_stats(cli)
    assert st["key_senders_full"] - before["key_senders_full"] >= 3, st
    assert sorted(s["address"] for s in sources(cli)) == [SRV_IP, a], sources(cli)
    t = tracking(cli)
    assert t["steps"] == steps and abs(t["clock_minus_system"]) < 1e-3, t
    assert "198.18.7.10 (key 7) refused: +5.0" in cli.log(), cli.log(40)
    assert st_key_conflicts(cli) == 0, bclient_stats(cli)


def test_fresh_client_not_taken_by_a_recording(gnomond, segment, tmp_path):
    """A client started while a recording of the sender, made about 30 s
    earlier, is played to it from 198.18.7.10 (a burst, 4 a second, so
    that some of it comes before the live sender's next packet). The
    client is not synchronised yet, so no clock check can help: the
    recording may take key 7's slot first, but on probation, and the live
    sender's next packet, newer than anything recorded, displaces it
    (key_conflicts) before it has moved the clock. No 30 s step; the
    genuine sender is the one selected."""
    ns_s, ns_c = segment
    keys = tmp_path / "keys"
    keys.write_text(KEYS)
    gnomond("clock null\nlocal stratum 3\nallow 198.18.0.0/15\nkeyfile %s\n"
            "broadcast %s interval 1 key 7\n" % (keys, BCAST), addr=SRV_IP, netns=ns_s)
    spoofed = spoof_addresses(ns_s, 1)
    recorded = capture(ns_c, BCAST, 12)
    assert len(recorded) >= 8, recorded
    time.sleep(18)
    cli = gnomond("clock virtual offset 0.2 freq 20\nallow 198.18.0.0/15\nkeyfile %s\n"
                  "broadcastclient key 7 delay 0.00003\nmakestep 0.1 -1\n" % keys,
                  addr=CLI_IP, netns=ns_c)
    replay = subprocess.Popen(attacker(ns_s, "replay", BCAST, 0.25, spoofed[0],
                                       *[p.hex() for p in recorded]))
    try:
        converged_within(cli, 500e-6, 60)
    finally:
        replay.wait(timeout=60)
    st = bclient_stats(cli)
    t = tracking(cli)
    assert "stepped by -2" not in cli.log() and "stepped by -3" not in cli.log(), cli.log(40)
    assert t["steps"] <= 1 and abs(t["clock_minus_system"]) < 1e-3, t
    # Converged means stepped and near: the genuine sender is the system
    # peer then or a moment later (CI saw it not yet '*' at the first
    # read, the only source listed), and nothing else ever is.
    sel = wait_for(lambda: genuine_selected(cli)[0], 15)
    assert sel, json.dumps(sources(cli))
    assert [s["address"] for s in sources(cli)] == [SRV_IP], sources(cli)
    # Every recorded packet was refused as stale, or was the displaced
    # sender's (key_conflicts counts the displacement).
    assert st["rejected"]["stale"] + st["key_conflicts"] >= 1, st
    print("fresh client: stale %d, key_conflicts %d, steps %d, log: %s" % (
        st["rejected"]["stale"], st["key_conflicts"], t["steps"],
        [l for l in cli.log().splitlines() if "replay" in l or "new sender" in l]))
