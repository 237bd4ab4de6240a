"""IPv6: gnomond bound to ::1 with `allow ::1` answers raw, ntplib and
ntpdig -6 queries; without an IPv6 allow it denies them."""

import pytest

import ntp_helpers as nh
from conftest import free_port

V6 = "clock null\nlocal stratum 10\nallow ::1\nserve-offset 3.5\n"


@pytest.fixture(scope="module")
def server6(daemon_factory):
    start, finish = daemon_factory()
    yield start(V6, addr="::1", port=123)
    finish()


@pytest.mark.parametrize("version", [3, 4])
def test_raw_query_v6(server6, version):
    before = server6.stats()
    rep = nh.query("::1", server6.port, version=version)
    assert rep is not None, "no reply over ::1"
    assert rep.mode == 4 and rep.version == version and rep.stratum == 10, rep
    assert rep.li == 0 and rep.refid == nh.LOCAL_REFID and rep.length == 48, rep
    nh.assert_causal(rep, 3.5)
    dl = nh.delta(before, server6.stats())
    assert dl["answered"] == 1 and dl["version.%d" % version] == 1, dl


def test_ntplib_v6(server6):
    seen = nh.measure_within(lambda: nh.ntplib_offset("::1", server6.port), 3.5)
    assert abs(seen[-1] - 3.5) <= nh.OFFSET_TOL, seen


def test_ntpdig_v6(server6):
    seen = nh.measure_within(lambda: nh.ntpdig_json_offset("::1", extra=["-6"]), 3.5)
    assert abs(seen[-1] - 3.5) <= nh.OFFSET_TOL, seen


def test_v6_not_allowed_is_denied(gnomond):
    # the module's server holds ::1 port 123; this one needs no peer tool
    d = gnomond("clock null\nlocal stratum 10\nallow 127.0.0.0/8\n", addr="::1",
                port=free_port("::1"))
    before = d.stats()
    got = nh.send_only("::1", d.port, [nh.build_request()[0]], wait=0.3)
    assert got == [], "answered ::1 although only 127.0.0.0/8 is allowed"
    dl = nh.delta(before, d.stats())
    assert dl["received"] == 1 and dl["dropped.denied"] == 1 and dl["answered"] == 0, dl
