"""`gnomond --check-config -f FILE`: exit 0 for a good file; for a bad line
exit 1 and print `FILE:LINE: message` on stderr naming that line."""

import subprocess

import pytest

HEAD = "# gnomond test config\nclock null\nallow 127.0.0.0/8\n"  # lines 1-3
TAIL = "local stratum 10\n"


def check(gnomond_bin, tmp_path, text):
    path = tmp_path / "gnomond.conf"
    path.write_text(text)
    cp = subprocess.run([gnomond_bin, "--check-config", "-f", str(path)],
                        capture_output=True, text=True, timeout=20)
    return str(path), cp


def show(cp):
    return "rc=%s\nstdout:\n%s\nstderr:\n%s" % (cp.returncode, cp.stdout, cp.stderr)


BAD = [
    "port 99999",
    "port -1",
    "port abc",
    "port",
    "frobnicate 1",
    "allow 300.1.2.3",
    "allow 127.0.0.0/33",
    "deny 10.0.0.0/x",
    "allow ::1/129",
    "bindaddress 1.2.3",
    "bindaddress localhost:123",
    "local stratum 0",
    "local stratum 16",
    "serve-offset abc",
    "serve-offset",
    "ratelimit interval 13 burst 4",
    "ratelimit interval -5 burst 4",
    "ratelimit interval 1 burst 0",
    "ratelimit interval 1 burst 257",
    "ratelimit interval 1.5 burst 4",
    "ratelimit leak 0",
    "ratelimit leak 9",
    "ratelimit ipv4prefix 33",
    "ratelimit ipv6prefix 129",
    "ratelimit ipv6prefix 7",
    "ratelimit leak",
    "kod maybe",
    "workers -1",
    "workers many",
    "clock atomic",
    "loglevel chatty",
    "log carrier-pigeon",
    "port 123 456",
]


@pytest.mark.parametrize("bad", BAD)
def test_bad_line_named(gnomond_bin, tmp_path, bad):
    path, cp = check(gnomond_bin, tmp_path, HEAD + bad + "\n" + TAIL)
    assert cp.returncode == 1, "accepted %r:\n%s" % (bad, show(cp))
    assert "%s:4:" % path in cp.stderr, "no '%s:4:' for %r:\n%s" % (path, bad, show(cp))


def test_every_bad_line_reported(gnomond_bin, tmp_path):
    text = "# two mistakes\nport 99999\nclock null\nallow 127.0.0.0/8\nfrobnicate 1\n"
    path, cp = check(gnomond_bin, tmp_path, text)
    assert cp.returncode == 1, show(cp)
    assert "%s:2:" % path in cp.stderr and "%s:5:" % path in cp.stderr, show(cp)


GOOD = {
    "minimal": HEAD + TAIL,
    "empty": "",
    "comments-and-blanks": "\n# only comments\n   \n\t# indented comment\n",
    "everything": """
port 12345
bindaddress 127.0.0.1
bindaddress ::1
allow 127.0.0.0/8
allow ::1
deny 127.0.0.99/32
deny all
allow all
local stratum 10
serve-offset -1000.25
ratelimit interval 1 burst 4
kod off
workers 2
control /tmp/gnomond-check-config-test.sock
user nobody
clock virtual offset 0.5 freq 10
logfile /tmp/gnomond-check-config-test.log
log stderr
loglevel debug
""",
    "signed-offset": HEAD + "serve-offset +3.5\n",
    "clock-virtual-plain": "clock virtual\nallow 127.0.0.0/8\n",
    "clock-system": "clock system\nallow 127.0.0.1\n",
    "ratelimit-low": HEAD + "ratelimit interval -4 burst 1\n",
    "ratelimit-high": HEAD + "ratelimit interval 12 burst 256\n",
    "ratelimit-leak-prefix": HEAD + "ratelimit leak 4 ipv4prefix 24 ipv6prefix 56\n",
    "trailing-comment": HEAD + "local stratum 10 # served locally\n",
}


@pytest.mark.parametrize("name", list(GOOD))
def test_good_file(gnomond_bin, tmp_path, name):
    path, cp = check(gnomond_bin, tmp_path, GOOD[name])
    assert cp.returncode == 0, "rejected good config %s:\n%s\n%s" % (name, GOOD[name], show(cp))
    assert path + ":" not in cp.stderr, show(cp)


def test_missing_file(gnomond_bin, tmp_path):
    cp = subprocess.run([gnomond_bin, "--check-config", "-f", str(tmp_path / "nope.conf")],
                        capture_output=True, text=True, timeout=20)
    assert cp.returncode != 0, show(cp)
    assert cp.stderr.strip(), "no message for a missing file"
