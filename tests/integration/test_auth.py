"""Symmetric-key authentication (RFC 5905 §7.3 MAC, RFC 8573 AES-CMAC).

gnomond runs with `keyfile` and `serve-offset 3.5` (clock null), so the
truth every client must measure is +3.5 s.

* chronyd as a client (`chronyd -Q` with `keyfile` and `server ... key N`)
  measures gnomond with MD5, SHA1, AES128 and AES256 keys: gnomond answers
  with a MAC of the same key, which chronyd checks;
* with a wrong key (same id, other secret; or an id gnomond lacks) chronyd
  gets no usable reply and gnomond counts auth_fail and dropped.auth
  (chrony's behaviour as a server: no reply, no crypto-NAK);
* hand-made requests with an MD5 or SHA1 MAC (computed here with hashlib)
  get a reply whose MAC verifies and whose length equals the request's;
* `crypto-nak on`: a failed MAC gets a 52-byte crypto-NAK, never longer
  than the request, which chronyd ignores;
* ntpdig (`-a KEYID -k KEYFILE`, ntpsec key file syntax) with MD5, SHA1
  and AES128-CMAC keys verifies gnomond's reply MAC;
* `gnomond --check-config` names bad key file lines as FILE:LINE.
"""

import hashlib
import os
import re
import struct
import time
import subprocess

import pytest

import ntp_helpers as nh
from conftest import BASE

OFFSET = 3.5
NO_REPLY_WAIT = 0.3

# name: (key id, chrony/gnomon type, key bytes). Keys of 80 bits or more,
# so chronyd does not warn about short keys.
KEYS = {
    "MD5": (1, "MD5", b"gnomon-md5-secret"),
    "SHA1": (2, "SHA1", bytes.fromhex("00112233445566778899aabbccddeeff01234567")),
    "AES128": (3, "AES128", bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")),
    "AES256": (4, "AES256", bytes.fromhex(
        "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4")),
    "SHA256": (5, "SHA256", bytes.fromhex(
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")),
}
# The same keys as ntpsec reads them: a bare key is ASCII up to 20
# characters, hexadecimal when longer; AES-CMAC types have their own names.
# (ntpdig 1.2.2 fails on AES256CMAC keys itself, so that one is left out.)
NTPSEC_TYPES = {"MD5": "MD5", "SHA1": "SHA1", "AES128": "AES128CMAC"}


def gnomon_key_line(name):
    kid, ktype, key = KEYS[name]
    if name == "MD5":
        return "%d %s %s" % (kid, ktype, key.decode())  # bare ASCII form
    return "%d %s HEX:%s" % (kid, ktype, key.hex())


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)
    return str(path)


@pytest.fixture(scope="module")
def keydir(tmp_path_factory):
    return tmp_path_factory.mktemp("keys")


@pytest.fixture(scope="module")
def keyfile(keydir):
    text = "# gnomond test keys\n" + "".join(gnomon_key_line(n) + "\n" for n in KEYS)
    return write(keydir / "gnomond.keys", text)


@pytest.fixture(scope="module")
def server(daemon_factory, keyfile):
    start, finish = daemon_factory()
    yield start(BASE + "serve-offset %r\nkeyfile %s\n" % (OFFSET, keyfile))
    finish()


# --------------------------------------------------------------------------
# chronyd as the client

def chronyd_with_key(keydir, d, key_text, key_id, timeout):
    """chronyd -Q with a config file naming a key file and `key N`."""
    keys = write(keydir / ("chrony-%d.keys" % key_id), key_text)
    conf = write(keydir / ("chrony-%d.conf" % key_id),
                 "keyfile %s\nserver %s port %d iburst key %d\n" % (
                     keys, d.addr, d.port, key_id))
    return nh.run_peer(["chronyd", "-Q", "-t", str(timeout), "-f", conf, "-L", "0"],
                       timeout=timeout + 15)


@pytest.mark.parametrize("name", list(KEYS))
def test_chronyd_authenticated(server, keydir, name):
    kid = KEYS[name][0]
    before = server.stats()
    seen, last = [], None
    for _ in range(2):
        last = chronyd_with_key(keydir, server, gnomon_key_line(name) + "\n", kid, 10)
        m = nh.CHRONY_WRONG_RE.findall(last.stdout + last.stderr)
        assert len(m) == 1, "chronyd gave no measurement with %s key %d:\n%s" % (
            name, kid, nh.describe(last))
        seen.append(float(m[0]))
        if abs(seen[-1] - OFFSET) <= nh.OFFSET_TOL:
            break
    assert abs(seen[-1] - OFFSET) <= nh.OFFSET_TOL, (
        "chronyd with %s measured %r, expected %r +/- 1 ms:\n%s" % (
            name, seen, OFFSET, nh.describe(last)))
    dl = nh.delta(before, server.stats())
    assert dl["auth_ok"] >= 1 and dl["auth_ok"] == dl["answered"], dl
    assert dl["auth_fail"] == 0 and dl["dropped.auth"] == 0, dl


WRONG = {
    # same key id, another secret: the MAC does not verify
    "wrong-secret": (1, "1 MD5 not-the-gnomon-secret\n"),
    # a key id gnomond does not have
    "unknown-id": (7, "7 SHA1 HEX:%s\n" % KEYS["SHA1"][2].hex()),
}


@pytest.mark.parametrize("case", list(WRONG))
def test_chronyd_wrong_key_rejected(server, keydir, case):
    kid, text = WRONG[case]
    before = server.stats()
    cp = chronyd_with_key(keydir, server, text, kid, 5)
    out = cp.stdout + cp.stderr
    assert not nh.CHRONY_WRONG_RE.search(out), (
        "chronyd measured gnomond with a wrong key:\n" + nh.describe(cp))
    dl = nh.delta(before, server.stats())
    assert dl["received"] >= 1, dl
    assert dl["auth_fail"] == dl["received"] and dl["dropped.auth"] == dl["received"], dl
    assert dl["answered"] == 0 and dl["auth_ok"] == 0 and dl["crypto_nak"] == 0, dl


# --------------------------------------------------------------------------
# hand-made packets, MACs computed here

def mac_request(version, name, key_id=None, digest=None, key=None):
    kid, _, k = KEYS[name]
    kid = kid if key_id is None else key_id
    k = k if key is None else key
    payload, xmt, _ = nh.build_request(version=version)
    h = hashlib.md5 if name == "MD5" else hashlib.sha1
    if digest is None:
        digest = h(k + payload).digest()
    return payload + struct.pack("!I", kid) + digest, xmt


@pytest.mark.parametrize("version", [4, 3])
@pytest.mark.parametrize("name", ["MD5", "SHA1"])
def test_raw_mac_reply_verifies(server, name, version):
    kid, _, key = KEYS[name]
    h = hashlib.md5 if name == "MD5" else hashlib.sha1
    before = server.stats()
    payload, xmt = mac_request(version, name)
    rep = nh.query(server.addr, server.port, payload)
    assert rep is not None, "no reply to a request with a valid %s MAC" % name
    assert rep.length == len(payload) == 48 + 4 + h().digest_size, (rep.length, len(payload))
    assert rep.mode == 4 and rep.version == version and rep.org == xmt, rep
    assert struct.unpack("!I", rep.raw[48:52])[0] == kid, rep.raw[48:52].hex()
    want = h(key + rep.raw[:48]).digest()
    assert rep.raw[52:] == want, "reply MAC %s, expected %s" % (rep.raw[52:].hex(), want.hex())
    nh.assert_causal(rep, OFFSET)
    dl = nh.delta(before, server.stats())
    assert dl["auth_ok"] == 1 and dl["answered"] == 1 and dl["auth_fail"] == 0, dl


@pytest.mark.parametrize("version,dlen", [(4, 20), (3, 32), (4, 32)])
def test_raw_sha256_reply_matches_request(server, version, dlen):
    """A SHA256 key: the MAC is SHA256(key || packet), cut to 20 bytes as
    chrony sends it in NTPv4, or whole (32 bytes) as chrony sends it in
    NTPv3; the reply's MAC has the request's length."""
    kid, _, key = KEYS["SHA256"]
    payload, xmt, _ = nh.build_request(version=version)
    req = payload + struct.pack("!I", kid) + hashlib.sha256(key + payload).digest()[:dlen]
    rep = nh.query(server.addr, server.port, req)
    assert rep is not None, "no reply to a request with a %d-byte SHA256 MAC" % dlen
    assert rep.length == len(req) == 48 + 4 + dlen, (rep.length, len(req))
    assert rep.raw[52:] == hashlib.sha256(key + rep.raw[:48]).digest()[:dlen], rep.raw.hex()


BAD_REQUESTS = {
    "flipped-digest": lambda: mac_request(4, "MD5", digest=bytes(16)),
    "wrong-key": lambda: mac_request(4, "SHA1", key=b"guessed"),
    "unknown-id": lambda: mac_request(4, "MD5", key_id=99),
    "md5-digest-for-sha1-key": lambda: mac_request(3, "MD5", key_id=KEYS["SHA1"][0]),
    "bare-key-id": lambda: (nh.build_request()[0] + struct.pack("!I", 1), None),
    "crypto-nak-as-request": lambda: (nh.build_request()[0] + bytes(4), None),
}


@pytest.mark.parametrize("case", list(BAD_REQUESTS))
def test_raw_bad_mac_dropped(server, case):
    payload, _ = BAD_REQUESTS[case]()
    before = server.stats()
    got = nh.send_only(server.addr, server.port, [payload], wait=NO_REPLY_WAIT)
    assert got == [], "a request with a bad MAC was answered: %r" % got
    dl = nh.delta(before, server.stats())
    assert dl["received"] == 1 and dl["auth_fail"] == 1 and dl["dropped.auth"] == 1, dl
    assert dl["answered"] == 0 and dl["crypto_nak"] == 0, dl


def test_unauthenticated_still_served(server):
    """Keys change nothing for clients that send no MAC."""
    before = server.stats()
    rep = nh.query(server.addr, server.port)
    assert rep is not None and rep.length == 48 and rep.mode == 4, rep
    nh.assert_causal(rep, OFFSET)
    dl = nh.delta(before, server.stats())
    assert dl["answered"] == 1 and dl["auth_ok"] == 0 and dl["auth_fail"] == 0, dl


# --------------------------------------------------------------------------
# crypto-nak on

def test_crypto_nak(gnomond, keyfile, keydir):
    d = gnomond(BASE + "serve-offset %r\nkeyfile %s\ncrypto-nak on\n" % (OFFSET, keyfile))
    before = d.stats()
    payload, xmt = mac_request(4, "SHA1", key=b"guessed")
    rep = nh.query(d.addr, d.port, payload)
    assert rep is not None, "no crypto-NAK with crypto-nak on"
    # RFC 5905 §9.2: an ordinary reply followed by a zero key id, no digest.
    assert rep.length == 52 and rep.raw[48:] == bytes(4), rep.raw[48:].hex()
    assert rep.length <= len(payload)
    assert rep.mode == 4 and rep.org == xmt and rep.stratum == 10, rep
    dl = nh.delta(before, d.stats())
    assert dl["crypto_nak"] == 1 and dl["auth_fail"] == 1, dl
    assert dl["answered"] == 0 and dl["dropped.auth"] == 0, dl
    # A valid MAC is still answered with a MAC.
    payload, xmt = mac_request(3, "MD5")
    rep = nh.query(d.addr, d.port, payload)
    assert rep is not None and rep.length == len(payload), rep
    assert rep.raw[52:] == hashlib.md5(KEYS["MD5"][2] + rep.raw[:48]).digest()
    # chronyd does not take a crypto-NAK for an answer.
    kid, text = WRONG["wrong-secret"]
    cp = chronyd_with_key(keydir, d, text, kid, 5)
    assert not nh.CHRONY_WRONG_RE.search(cp.stdout + cp.stderr), nh.describe(cp)
    assert d.stats()["crypto_nak"] >= 2


# --------------------------------------------------------------------------
# ntpdig -a KEYID -k KEYFILE

@pytest.fixture(scope="module")
def ntpsec_keyfile(keydir):
    lines = []
    for name, ktype in NTPSEC_TYPES.items():
        kid, _, key = KEYS[name]
        lines.append("%d %s %s" % (kid, ktype, key.decode() if name == "MD5" else key.hex()))
    return write(keydir / "ntpsec.keys", "\n".join(lines) + "\n")


@pytest.mark.parametrize("name", list(NTPSEC_TYPES))
def test_ntpdig_authenticated(server, ntpsec_keyfile, name):
    """ntpdig drops a reply whose MAC does not verify ("server is
    untrusted"), so a measurement is itself proof of a good MAC; one more
    run with -d shows the verification."""
    kid = KEYS[name][0]
    argv = ["-a", str(kid), "-k", ntpsec_keyfile]
    before = server.stats()
    runs = []

    def one():
        off, obj, cp = nh.ntpdig_json_offset(server.addr, extra=argv)
        runs.append(cp)
        return off, obj, cp

    seen = nh.measure_within(one, OFFSET)
    assert abs(seen[-1] - OFFSET) <= nh.OFFSET_TOL, (seen, nh.describe(runs[-1]))
    _, _, cp = nh.ntpdig_json_offset(server.addr, extra=["-d"] + argv)
    assert re.search(r"MAC verification on reply from \S+ succeeded", cp.stderr), (
        nh.describe(cp))
    dl = nh.delta(before, server.stats())
    assert dl["auth_ok"] == len(runs) + 1 and dl["auth_fail"] == 0, dl


def test_ntpdig_wrong_key(server, keydir):
    keys = write(keydir / "ntpsec-wrong.keys", "1 MD5 not-the-secret\n")
    before = server.stats()
    cp = nh.run_peer(["ntpdig", "-t", "1", "-j", "-a", "1", "-k", keys, server.addr])
    assert cp.returncode != 0 and "offset" not in cp.stdout, nh.describe(cp)
    dl = nh.delta(before, server.stats())
    assert dl["auth_fail"] >= 1 and dl["answered"] == 0, dl


# --------------------------------------------------------------------------
# configuration

def test_check_config_names_key_file_lines(gnomond_bin, tmp_path):
    keys = write(tmp_path / "bad.keys",
                 "1 MD5 fine-secret\n"
                 "2 AES128 HEX:00\n"              # line 2: wrong AES key length
                 "1 SHA1 HEX:0011\n"              # line 3: duplicate id
                 "3 SHA384 secret-secret\n")      # line 4: unsupported type
    conf = write(tmp_path / "gnomond.conf",
                 "clock null\nallow 127.0.0.0/8\nkeyfile %s\n" % keys)
    cp = subprocess.run([gnomond_bin, "--check-config", "-f", conf],
                        capture_output=True, text=True, timeout=20)
    assert cp.returncode == 1, nh.describe(cp)
    err = cp.stderr
    assert "%s:3: keyfile %s: 3 errors" % (conf, keys) in err, err
    assert "%s:2: key 2: AES128 needs a key of exactly 16 bytes" % keys in err, err
    assert "%s:3: key 1 defined again (first on line 1" % keys in err, err
    assert "%s:4: key 3: type SHA384 is not supported (allowed: MD5" % keys in err, err
    assert "secret" not in err.replace(keys, ""), "key material in errors:\n" + err
    # a missing key file
    conf2 = write(tmp_path / "g2.conf", "clock null\nkeyfile %s/none.keys\n" % tmp_path)
    cp = subprocess.run([gnomond_bin, "--check-config", "-f", conf2],
                        capture_output=True, text=True, timeout=20)
    assert cp.returncode == 1 and "cannot open the key file" in cp.stderr, nh.describe(cp)
    # and a good one
    good = write(tmp_path / "good.keys", "".join(gnomon_key_line(n) + "\n" for n in KEYS))
    conf3 = write(tmp_path / "g3.conf", "clock null\nkeyfile %s\n" % good)
    cp = subprocess.run([gnomond_bin, "--check-config", "-f", conf3],
                        capture_output=True, text=True, timeout=20)
    assert cp.returncode == 0, nh.describe(cp)


def test_key_file_mode_warning(gnomond, tmp_path):
    """A key file others can read is named in a warning; mode 600 is not."""
    loose = tmp_path / "loose.keys"
    loose.write_text(gnomon_key_line("SHA1") + "\n")
    os.chmod(loose, 0o644)
    d = gnomond(BASE + "keyfile %s\n" % loose)
    assert wait_for_log(d, "can be read by group or others (mode 0644)"), d.log()
    tight = tmp_path / "tight.keys"
    write(tight, gnomon_key_line("SHA1") + "\n")
    d2 = gnomond(BASE + "keyfile %s\n" % tight)
    assert "can be read by group or others" not in d2.log(), d2.log()


def wait_for_log(d, text, timeout=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in d.log():
            return True
        time.sleep(0.1)
    return False
