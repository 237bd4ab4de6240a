"""The hot-standby heartbeat between two gnomond on loopback, without
keepalived (test_standby.py runs the pair with it), and `gnomonctl
health`, keepalived's track_script.

* Each side reports the other (health, stratum, root distance, priority,
  role told by `gnomonctl standby notify`) and their mutual offset: two
  virtual clocks set 4 ms apart are measured 4 ms apart, within the
  exchange's half round trip, and partner_disagree is raised.
* An attacker on the path, with captured heartbeats and the partner's
  address: a replay is counted and changes nothing; after the receiver
  restarts, captures of the partner's earlier heartbeats are never
  believed (the partner is not heard); altered, short and foreign
  datagrams are counted by cause.
* A partner that goes silent raises partner_lost, and the metrics say so.
* `gnomonctl health` exits 0 synchronised, 1 degraded (0 with
  --degraded-ok), 2 unsynchronised, 3 when gnomond does not answer.
* A heartbeat key that is not a SHA256 key stops gnomond at start with a
  message naming it."""
import json
import socket
import struct
import subprocess
import threading
import time


import ntp_helpers as nh
from conftest import GNOMOND, GNOMONCTL, free_loopback4

KEYS = "7 SHA256 HEX:" + "a7" * 32 + "\n8 MD5 HEX:" + "11" * 16 + "\n"
PORT = 12123


def ctl(d, *args):
    return subprocess.run([GNOMONCTL, "-s", d.ctl] + list(args), capture_output=True,
                          text=True, timeout=10)


def standby(d):
    cp = ctl(d, "--json", "standby")
    assert cp.returncode == 0, nh.describe(cp)
    return json.loads(cp.stdout)


def metric(d, name):
    cp = ctl(d, "--json", "metrics")
    assert cp.returncode == 0, nh.describe(cp)
    return json.loads(cp.stdout)["metrics"][name]


wait_for = nh.wait_until


def conf(keys, partner, me, prio=100, clock="clock virtual\nlocal stratum 3"):
    return ("%s\nkeyfile %s\nstandby partner %s key 7 priority %d interval 0.25 bind %s\n"
            "alarm partner_lost minage 1\nalarm partner_disagree minage 1\n"
            % (clock, keys, partner, prio, me))


def addrs():
    a = free_loopback4((123, PORT))
    b = free_loopback4((123, PORT), avoid=(a,))
    return a, b


class Sniffer:
    """Heartbeats from src to dst:PORT seen on lo (AF_PACKET)."""

    def __init__(self, src, dst):
        self.src, self.dst = socket.inet_aton(src), socket.inet_aton(dst)
        self.got = []
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
        self.s.bind(("lo", 0))
        self.s.settimeout(0.2)
        self.stop = False
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while not self.stop:
            try:
                f = self.s.recv(65535)
            except socket.timeout:
                continue
            ip = f[14:]
            if len(ip) < 28 or ip[9] != 17 or ip[12:16] != self.src or ip[16:20] != self.dst:
                continue
            ihl = (ip[0] & 15) * 4
            dport = struct.unpack("!H", ip[ihl + 2:ihl + 4])[0]
            if dport == PORT:
                self.got.append(bytes(ip[ihl + 8:]))

    def close(self):
        self.stop = True
        self.t.join(2)
        self.s.close()


def send_from(src, dst, payloads):
    """Datagrams to dst:PORT from src (any port: the partner's address is
    all an attacker on the segment needs to spoof)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    for p in payloads:
        s.sendto(p, (dst, PORT))
    s.close()


def test_pair_reports_each_other(gnomond, tmp_path):
    keys = tmp_path / "keys"
    keys.write_text(KEYS)
    a_ip, b_ip = addrs()
    a = gnomond(conf(keys, b_ip, a_ip, prio=150), addr=a_ip)
    b = gnomond(conf(keys, a_ip, b_ip, clock="clock virtual offset 0.004\nlocal stratum 4"),
                addr=b_ip)
    p = wait_for(lambda: standby(a)["partner"].get("exchanges", 0) >= 8 and
                 standby(a)["partner"], 15, "eight heartbeat exchanges")
    assert p["up"] and p["heard"] and p["health"] == "synchronised"
    assert p["stratum"] == 4 and p["priority"] == 100 and p["role"] == "unknown", p
    assert 0 < p["root_distance"] < 0.01, p
    # B's clock runs 4 ms ahead: A measures +4 ms, B -4 ms.
    assert abs(p["offset"] - 0.004) <= p["delay"] / 2 + 50e-6, p
    q = standby(b)["partner"]
    assert abs(q["offset"] + 0.004) <= q["delay"] / 2 + 50e-6, q
    assert q["priority"] == 150 and q["stratum"] == 3, q
    # keepalived's notify hook: the role is kept, told to the partner.
    cp = ctl(a, "standby", "notify", "master")
    assert cp.returncode == 0, nh.describe(cp)
    wait_for(lambda: standby(b)["partner"]["role"] == "master", 5, "B sees A as master")
    assert standby(a)["role"] == "master" and standby(a)["role_changes"] == 1
    cp = ctl(a, "standby", "notify", "sovereign")
    assert cp.returncode == 1 and "master|backup|fault" in cp.stderr, nh.describe(cp)
    # 4 ms apart is over partner_disagree's warning (1 ms), under critical.
    wait_for(lambda: any(x["name"] == "partner_disagree" and x["severity"] == "warning"
                         for x in json.loads(ctl(a, "--json", "alarms").stdout)["active"]),
             15, "partner_disagree raised")
    # The plain output.
    cp = ctl(a, "standby")
    assert cp.returncode == 0 and "Partner         : %s port 12123, up" % b_ip in cp.stdout, \
        cp.stdout
    assert metric(a, "gnomon_standby_partner_up") == 1
    assert metric(a, 'gnomon_standby_role{role="master"}') == 1


def test_replay_and_forgery(gnomond, tmp_path):
    keys = tmp_path / "keys"
    keys.write_text(KEYS)
    a_ip, b_ip = addrs()
    a = gnomond(conf(keys, b_ip, a_ip), addr=a_ip)
    sniff = Sniffer(a_ip, b_ip)
    try:
        b = gnomond(conf(keys, a_ip, b_ip), addr=b_ip)
        wait_for(lambda: standby(b)["partner"]["up"] and len(sniff.got) >= 12, 10,
                 "B hears A and heartbeats are captured")
    finally:
        sniff.close()
    caps = [c for c in sniff.got if len(c) == 112]
    assert len(caps) >= 12, "captured %d heartbeats" % len(caps)

    # Replays while A is alive: counted, nothing else moves.
    before = standby(b)
    send_from(a_ip, b_ip, caps)
    time.sleep(0.5)
    after = standby(b)
    assert after["heartbeats"]["replay"] - before["heartbeats"]["replay"] == len(caps), after
    assert after["partner"]["node_id"] == before["partner"]["node_id"]
    assert after["partner"]["restarts"] == 0

    # Altered, short, foreign: each counted by its cause.
    flip = bytearray(caps[-1])
    flip[40] ^= 1                                  # the org timestamp
    bad_key = bytearray(caps[-1])
    bad_key[15] = 9                                # key id 9
    send_from(a_ip, b_ip, [bytes(flip), bytes(bad_key), caps[-1][:60], caps[-1] + b"\0",
                           b"x" * 150, b"x" * 200])
    other = free_loopback4(PORT, avoid=(a_ip, b_ip))
    send_from(other, b_ip, [caps[-1]])
    time.sleep(0.5)
    hb = standby(b)["heartbeats"]
    assert hb["bad_mac"] == 1 and hb["wrong_key"] == 1 and hb["short"] == 1, hb
    assert hb["bad_length"] == 1 and hb["bad_magic"] == 1 and hb["wrong_source"] == 1, hb
    assert hb["truncated"] == 1, hb     # over the largest datagram read

    # A dies; B restarts; the captures of A's run are replayed to the new
    # B: none echoes a transmit time of B's new run, so A is never heard.
    a.kill()
    b.stop()
    b2 = gnomond(conf(keys, a_ip, b_ip), addr=b_ip)
    for i in range(0, len(caps), 3):
        send_from(a_ip, b_ip, caps[i:i + 3])
        time.sleep(0.1)
    time.sleep(0.5)
    s = standby(b2)
    assert not s["partner"]["heard"] and not s["partner"]["up"], s
    assert s["heartbeats"]["ok"] == 0 and s["heartbeats"]["unproven"] == len(caps), s
    # The dead partner is reported lost.
    wait_for(lambda: any(x["name"] == "partner_lost"
                         for x in json.loads(ctl(b2, "--json", "alarms").stdout)["active"]),
             10, "partner_lost raised")
    assert metric(b2, "gnomon_standby_partner_up") == 0


def test_health_exit_codes(gnomond, tmp_path):
    d = gnomond("clock virtual\nlocal stratum 5\n")
    cp = ctl(d, "health")
    assert cp.returncode == 0 and cp.stdout.startswith("synchronised: stratum 5"), \
        nh.describe(cp)
    j = json.loads(ctl(d, "health", "--json").stdout)
    assert j["state"] == "synchronised" and j["code"] == 0, j

    # Degraded: the root distance over a 1 us limit. `local stratum`'s
    # distance starts at 0 at its reference time and grows at 15 us/s
    # (RFC 5905 PHI), so it passes 1 us some 70 ms after the start.
    d2 = gnomond("clock virtual\nlocal stratum 5\nhealth degraded 0.000001\n")
    cp = wait_for(lambda: (lambda c: c if c.returncode != 0 else None)(ctl(d2, "health")), 5,
                  "the root distance past 1 us")
    assert cp.returncode == 1 and cp.stdout.startswith("degraded: root distance"), \
        nh.describe(cp)
    assert ctl(d2, "health", "--degraded-ok").returncode == 0

    # Unsynchronised: a source that never answers, no local reference.
    silent = free_loopback4()
    d3 = gnomond("clock virtual\nserver %s iburst\n" % silent)
    cp = ctl(d3, "health")
    assert cp.returncode == 2 and cp.stdout.startswith("unsynchronised:"), nh.describe(cp)
    assert ctl(d3, "health", "--degraded-ok").returncode == 2
    assert metric(d3, "gnomon_health") == 2

    # No answer: 3, for keepalived as for a failure.
    cp = subprocess.run([GNOMONCTL, "-s", str(tmp_path / "none.sock"), "health"],
                        capture_output=True, text=True, timeout=10)
    assert cp.returncode == 3, nh.describe(cp)


def test_heartbeat_key_must_be_sha256(tmp_path):
    keys = tmp_path / "keys"
    keys.write_text(KEYS)
    c = tmp_path / "g.conf"
    c.write_text("port 0\nclock null\nuser root\ncontrol %s\nkeyfile %s\n"
                 "standby partner 127.0.0.2 key 8\n" % (tmp_path / "s.sock", keys))
    cp = subprocess.run(nh.NO_SYS_TIME + [GNOMOND, "-n", "-f", str(c)], capture_output=True,
                        text=True, timeout=20)
    assert cp.returncode != 0 and "not a SHA256 key" in cp.stderr, nh.describe(cp)
    c.write_text("standby partner 127.0.0.2\n")
    cp = subprocess.run([GNOMOND, "--check-config", "-f", str(c)], capture_output=True,
                        text=True, timeout=20)
    assert cp.returncode == 1 and "`key ID` is required" in cp.stderr, nh.describe(cp)
