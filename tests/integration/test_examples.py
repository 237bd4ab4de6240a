"""The shipped configurations pass `gnomond --check-config`: the installed
default (dist/gnomond.conf) and one example per role in doc/examples/
(issue 13). The examples name /etc/gnomon/keys; the check reads
doc/examples/keys, the published example keys, in its place."""

import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "doc", "examples")
ROLES = ["public-server.conf", "lan.conf", "gateway-sender.conf", "gateway-receiver.conf",
         "ptp-grandmaster.conf", "standby-pair.conf", "gnomond.conf"]


def check(gnomond_bin, tmp_path, path):
    with open(path) as f:
        text = f.read().replace("/etc/gnomon/keys", os.path.join(EXAMPLES, "keys"))
    conf = tmp_path / os.path.basename(path)
    conf.write_text(text)
    return subprocess.run([gnomond_bin, "--check-config", "-f", str(conf)],
                          capture_output=True, text=True, timeout=20)


def test_every_role_has_an_example():
    have = sorted(f for f in os.listdir(EXAMPLES) if f.endswith(".conf"))
    assert have == sorted(ROLES), "doc/examples/ has %s, the roles are %s" % (have, ROLES)


@pytest.mark.parametrize("name", ROLES)
def test_example_valid(gnomond_bin, tmp_path, name):
    cp = check(gnomond_bin, tmp_path, os.path.join(EXAMPLES, name))
    assert cp.returncode == 0 and "configuration valid" in cp.stdout, \
        "%s:\n%s%s" % (name, cp.stdout, cp.stderr)


def test_default_config_valid_and_safe(gnomond_bin, tmp_path):
    path = os.path.join(ROOT, "dist", "gnomond.conf")
    cp = check(gnomond_bin, tmp_path, path)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    lines = [l.split() for l in open(path) if l.strip() and not l.lstrip().startswith("#")]
    words = [l[0] for l in lines]
    # A client of the pool that serves nobody until told to.
    assert "pool" in words or "server" in words, lines
    assert "allow" not in words and "local" not in words, lines
    assert ["driftfile", "/var/lib/gnomon/drift"] in lines, lines


def test_check_catches_a_broken_example(gnomond_bin, tmp_path):
    """The check above can fail: a typo in a copy of an example is named."""
    src = os.path.join(EXAMPLES, "lan.conf")
    with open(src) as f:
        text = f.read().replace("local stratum 10", "local stratum 99")
    bad = tmp_path / "src.conf"
    bad.write_text(text)
    cp = check(gnomond_bin, tmp_path, str(bad))
    assert cp.returncode == 1 and "local" in cp.stderr, cp.stdout + cp.stderr
