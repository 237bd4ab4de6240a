"""Access control: `allow`/`deny` with CIDR, plain addresses and `all`;
most specific prefix wins, on equal prefixes the last line wins; nobody is
served until allowed.  A denied request gets no reply and counts as
dropped.denied.  Clients pick their source by binding to 127.0.0.X."""

import pytest

import ntp_helpers as nh

A, B = "127.0.0.201", "127.0.0.202"
LO = "127.0.0.1"

CASES = [
    # id, acl lines, sources served, sources denied
    ("single-cidr", "allow 127.0.0.201/32", [A], [B, LO]),
    ("plain-address", "allow 127.0.0.201", [A], [B]),
    ("nobody-by-default", "", [], [A, LO]),
    ("deny-more-specific", "allow 127.0.0.0/8\ndeny 127.0.0.202/32", [A, LO], [B]),
    ("deny-more-specific-first", "deny 127.0.0.202/32\nallow 127.0.0.0/8", [A, LO], [B]),
    ("allow-more-specific", "deny all\nallow 127.0.0.200/30", [A, B], [LO]),
    ("equal-prefix-last-deny", "allow 127.0.0.0/24\ndeny 127.0.0.0/24", [], [A, LO]),
    ("equal-prefix-last-allow", "deny 127.0.0.0/24\nallow 127.0.0.0/24", [A, LO], []),
    ("allow-all", "allow all", [A, B, LO], []),
    ("allow-all-then-deny-all", "allow all\ndeny all", [], [A, LO]),
    ("other-network-only", "allow 198.18.0.0/15", [], [A]),
]


@pytest.mark.parametrize("acl,served,denied", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_acl(gnomond, acl, served, denied):
    d = gnomond("clock null\nlocal stratum 10\n%s\n" % acl)
    for src in served:
        before = d.stats()
        rep = nh.query(d.addr, d.port, src=src)
        assert rep is not None, "%s should be served under:\n%s" % (src, acl)
        assert rep.stratum == 10 and rep.mode == 4, rep
        dl = nh.delta(before, d.stats())
        assert dl["answered"] == 1 and dl["dropped.denied"] == 0, (src, dl)
    for src in denied:
        before = d.stats()
        got = nh.send_only(d.addr, d.port, [nh.build_request()[0]], src=src, wait=0.3)
        assert got == [], "%s should be denied under:\n%s" % (src, acl)
        dl = nh.delta(before, d.stats())
        assert dl["received"] == 1 and dl["dropped.denied"] == 1 and dl["answered"] == 0, (src, dl)
