"""Wire-level behaviour of the server, with hand-made packets.

* NTPv1..v4 client requests (v1 with mode 0) are answered correctly;
* a request with a MAC the server has no key for is dropped and counted
  (dropped.auth, auth_fail);
* without `local stratum` the server says "unsynchronised" (LI 3, stratum 16);
* malformed or unwanted packets get no reply and are counted under the right
  `dropped.*` key of `gnomonctl --json serverstats`.
"""

import random
import struct

import pytest

import ntp_helpers as nh
from conftest import BASE

NO_REPLY_WAIT = 0.3  # seconds to wait for a reply that must not come


@pytest.fixture(scope="module")
def server(daemon_factory):
    start, finish = daemon_factory()
    yield start(BASE + "serve-offset 0\n")
    finish()


def check_answer(rep, req_version, poll, xmt, req_len):
    assert rep is not None, "no reply"
    assert rep.length == 48 == req_len, "reply length %d, request %d" % (rep.length, req_len)
    assert rep.mode == 4, rep
    assert rep.version == req_version, rep
    assert rep.poll_byte == poll, rep
    assert rep.org == xmt, rep
    assert rep.li == 0, rep
    assert rep.stratum == 10, rep
    assert rep.refid == nh.LOCAL_REFID, rep
    assert rep.root_delay == 0, rep
    assert -32 < rep.precision <= 0, rep
    assert 0 < rep.ref < rep.rx, "reference time must be earlier than receive: %r" % rep
    assert rep.rx <= rep.tx, rep


REQUESTS = [
    # (id, version, mode, poll)
    ("v1-mode0", 1, 0, 4),
    ("v2", 2, 3, 6),
    ("v3", 3, 3, 8),
    ("v4", 4, 3, 10),
]


@pytest.mark.parametrize("version,mode,poll", [r[1:] for r in REQUESTS],
                         ids=[r[0] for r in REQUESTS])
def test_versions_answered(server, version, mode, poll):
    before = server.stats()
    payload, xmt, t1 = nh.build_request(version=version, mode=mode, poll=poll)
    rep = nh.query(server.addr, server.port, payload)
    assert rep is not None, "no reply to a v%d mode %d request" % (version, mode)
    check_answer(rep, version, poll, xmt, len(payload))
    # clock null + serve-offset 0: the server's timestamps are the machine's
    # clock, read between our send and our receive.
    nh.assert_causal(rep, 0.0)
    dl = nh.delta(before, server.stats())
    assert dl["received"] == 1 and dl["answered"] == 1, dl
    assert dl["version.%d" % version] == 1, dl
    assert all(v == 0 for k, v in dl.items() if k.startswith("dropped.")), dl


@pytest.mark.parametrize("version,maclen", [(4, 20), (4, 24), (3, 20)],
                         ids=["v4-md5", "v4-sha1", "v3-md5"])
def test_mac_trailer_unknown_key_dropped(server, version, maclen):
    """A request carrying a MAC the server cannot check (no keyfile, so an
    unknown key id) is dropped and counted, as chronyd does: an
    unauthenticated reply would be useless to a client that asked for
    authentication. (test_auth.py covers keys and `crypto-nak on`, whose
    52-byte NAK is never longer than the request.)"""
    trailer = struct.pack("!I", 4242) + bytes(random.getrandbits(8) for _ in range(maclen - 4))
    payload, xmt, _ = nh.build_request(version=version, trailer=trailer)
    assert len(payload) == 48 + maclen
    before = server.stats()
    got = nh.send_only(server.addr, server.port, [payload], wait=NO_REPLY_WAIT)
    assert got == [], "a request with an unverifiable MAC was answered: %r" % got
    dl = nh.delta(before, server.stats())
    assert dl["received"] == 1 and dl["dropped.auth"] == 1 and dl["auth_fail"] == 1, dl


def test_unsynchronised_without_local_stratum(gnomond):
    d = gnomond("clock null\nallow 127.0.0.0/8\n")
    for version in (3, 4):
        payload, xmt, _ = nh.build_request(version=version)
        rep = nh.query(d.addr, d.port, payload)
        assert rep is not None, "no reply"
        assert rep.li == 3 and rep.stratum == 16, rep
        assert rep.mode == 4 and rep.version == version and rep.org == xmt, rep
        assert rep.length == 48, rep


# --------------------------------------------------------------------------
# garbage

def client_hdr(version=4, mode=3):
    return nh.build_request(version=version, mode=mode)[0]


def ef(ftype, length, body_len=None):
    """Extension field header claiming `length`, followed by body_len bytes."""
    if body_len is None:
        body_len = max(length - 4, 0)
    return struct.pack("!HH", ftype, length) + b"\xab" * body_len


def short_randoms():
    rnd = random.Random(20261121)
    out = []
    for _ in range(12):
        n = rnd.randint(1, 46)
        out.append(bytes([0x23]) + bytes(rnd.getrandbits(8) for _ in range(n - 1)))
    return out


def control_query():
    # NTP mode 6, version 2 (as ntpq sends), READVAR op 2, seq 1, padded to 48
    # so that only the mode is wrong.
    hdr = struct.pack("!BBHHHHH", (2 << 3) | 6, 2, 1, 0, 0, 0, 0)
    return hdr + bytes(48 - len(hdr))


def monlist(pad_to=48):
    # mode 7 (private), version 2, implementation 3 (xntpd), request 42
    # (MON_GETLIST_1): the classic amplification probe.
    hdr = bytes([(2 << 3) | 7, 0x00, 0x03, 42])
    return hdr + bytes(pad_to - len(hdr))


GARBAGE = [
    # id, list of payloads, the dropped.* key(s) that must grow by len(list)
    ("empty", [b""], ("short",)),
    ("short-random", short_randoms(), ("short",)),
    ("47-bytes", [client_hdr()[:47]], ("short",)),
    ("oversized-2000", [client_hdr() + bytes(2000 - 48)], ("oversized",)),
    ("version0", [client_hdr(version=0)], ("bad_version",)),
    ("version5", [client_hdr(version=5)], ("bad_version",)),
    ("version6", [client_hdr(version=6)], ("bad_version",)),
    ("version7", [client_hdr(version=7)], ("bad_version",)),
    ("mode6-control", [control_query()], ("mode_control",)),
    ("mode7-monlist", [monlist()], ("mode_private",)),
    # the real 8-byte monlist probe: short or private, either is right
    ("mode7-monlist-8bytes", [monlist(8)], ("mode_private", "short")),
    ("mode4-server", [client_hdr(mode=4)], ("mode_other",)),
    ("mode5-broadcast", [client_hdr(mode=5)], ("mode_other",)),
    ("mode1-peer-no-mac", [client_hdr(mode=1)], ("peer_unauthenticated",)),
    ("ef-truncated", [client_hdr() + ef(0x0104, 64, body_len=12)], ("bad_length",)),
    ("ef-length-zero", [client_hdr() + ef(0x0104, 0, body_len=12)], ("bad_length",)),
    ("ef-length-8", [client_hdr() + ef(0x0104, 8, body_len=12)], ("bad_length",)),
    # 72 trailing bytes: too long for any MAC (4 + at most 64), so they must
    # parse as extension fields, and a field of 18 bytes is invalid
    ("ef-length-unaligned", [client_hdr() + ef(0x0104, 18, body_len=68)], ("bad_length",)),
    ("ef-second-overruns", [client_hdr() + ef(0x0104, 16) + ef(0x0104, 1024, body_len=12)],
     ("bad_length",)),
    ("trailer-unaligned-50", [client_hdr() + b"\0\0"], ("bad_length",)),
]


@pytest.mark.parametrize("payloads,keys", [g[1:] for g in GARBAGE],
                         ids=[g[0] for g in GARBAGE])
def test_garbage_dropped_and_counted(server, payloads, keys):
    before = server.stats()
    got = nh.send_only(server.addr, server.port, payloads, wait=NO_REPLY_WAIT)
    assert got == [], "garbage was answered: %r" % got
    after = server.stats()
    dl = nh.delta(before, after)
    n = len(payloads)
    assert dl["received"] == n, dl
    assert dl["answered"] == 0 and dl["kod_sent"] == 0, dl
    grown = {k: v for k, v in dl.items() if k.startswith("dropped.") and v}
    want = {"dropped." + k for k in keys}
    assert set(grown) <= want and sum(grown.values()) == n, (
        "expected %d more in %s, got deltas %s" % (n, " or ".join(sorted(want)), grown))
    # and the server is still alive and answering
    rep = nh.query(server.addr, server.port)
    assert rep is not None and rep.mode == 4, "server stopped answering after garbage"
