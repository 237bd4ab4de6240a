"""The Debian package, proven on a fresh Debian 12 (issue 13).

Builds gnomon_*.deb with `dpkg-buildpackage -us -uc -b` from a copy of the
tree (the checkout stays clean), runs lintian on it, then installs it into
a fresh Debian 12 root made by mmdebstrap from the package registry and
booted with systemd-nspawn: systemd is PID 1 in the container, which has
its own network namespace (loopback only) and no CAP_SYS_TIME.
tests/package/inside.sh runs there as a service: dpkg -i, the files, their
modes, the user, `systemd-analyze verify`, `gnomond --check-config` of the
installed configuration, gnomond.service started by the postinst with its
hardening (on the installed configuration plus `clock virtual`, a
drop-in), a control query and an NTP query, a reload, then dpkg --purge:
no process, no file left.

The root is cached as a tarball in /var/cache/gnomon-ci (GNOMON_CI_CACHE),
keyed by the packages it holds; without a cached root and with the
registry unreachable the test is skipped, saying so. It runs once, in the
plain integration run (not again under ASan: it builds its own binaries).
"""

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = os.environ.get("GNOMON_CI_CACHE", "/var/cache/gnomon-ci")
SUITE = "bookworm"
# What the root holds besides minbase and the package's dependencies:
# systemd to boot, man-db for `man` and systemd-analyze's Documentation=
# check, logrotate for the logrotate file, snmpd and snmpget for the SNMP
# subagent's unit.
BASE_PACKAGES = ["systemd", "systemd-sysv", "man-db", "logrotate", "snmpd", "snmp"]
TOOLS = ["dpkg-buildpackage", "lintian", "mmdebstrap", "systemd-nspawn", "dpkg-deb"]

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (dpkg-buildpackage, nspawn)"),
    pytest.mark.skipif(bool(os.environ.get("ASAN_OPTIONS")),
                       reason="the package proof runs once, in the plain integration run"),
]


def _missing_tools():
    return [t for t in TOOLS if not shutil.which(t)]


def _mirror():
    """The Debian mirror this machine's apt uses (sources.list*)."""
    paths = ["/etc/apt/sources.list"]
    d = "/etc/apt/sources.list.d"
    if os.path.isdir(d):
        paths += [os.path.join(d, f) for f in sorted(os.listdir(d))]
    for path in paths:
        try:
            text = open(path).read()
        except OSError:
            continue
        if path.endswith(".sources"):
            for stanza in re.split(r"\n\s*\n", text):
                uris = re.search(r"^URIs:\s*(\S+)", stanza, re.M)
                suites = re.search(r"^Suites:\s*(.*)$", stanza, re.M)
                if uris and suites and SUITE in suites.group(1).split():
                    return uris.group(1).rstrip("/")
        else:
            for line in text.splitlines():
                f = line.split()
                if len(f) >= 3 and f[0] == "deb" and SUITE in f[2:] and "security" not in f[1]:
                    return f[1].rstrip("/")
                if (len(f) >= 4 and f[0] == "deb" and f[1].startswith("[")
                        and SUITE in f and "security" not in f[2]):
                    return f[2].rstrip("/")
    return "http://deb.debian.org/debian"


def _reachable(mirror):
    try:
        with urllib.request.urlopen("%s/dists/%s/Release" % (mirror, SUITE), timeout=15) as r:
            return r.status == 200
    except Exception:
        return False


def _copy_tree(dest):
    """The checkout as git sees it (tracked and new files, not ignored ones)."""
    ls = subprocess.run(["git", "-C", ROOT, "ls-files", "-co", "--exclude-standard", "-z"],
                        capture_output=True, check=True)
    for rel in ls.stdout.decode().split("\0"):
        if not rel or not os.path.lexists(os.path.join(ROOT, rel)):
            continue
        os.makedirs(os.path.join(dest, os.path.dirname(rel)), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, rel), os.path.join(dest, rel), follow_symlinks=False)


def _git_status():
    return subprocess.run(["git", "-C", ROOT, "status", "--porcelain"],
                          capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def deb(tmp_path_factory):
    missing = _missing_tools()
    if missing:
        pytest.skip("not installed: %s (tools/deps.sh test installs them)" % " ".join(missing))
    work = tmp_path_factory.mktemp("deb")
    src = work / "gnomon"
    before = _git_status()
    _copy_tree(str(src))
    t0 = time.monotonic()
    env = dict(os.environ, DEB_BUILD_OPTIONS="parallel=2")
    for k in ("GNOMOND", "GNOMONCTL", "GNOMON_SNMP"):
        env.pop(k, None)
    cp = subprocess.run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=str(src), env=env,
                        capture_output=True, text=True, timeout=900)
    assert cp.returncode == 0, "dpkg-buildpackage failed:\n%s\n%s" % (
        cp.stdout[-6000:], cp.stderr[-4000:])
    print("dpkg-buildpackage: %.1f s" % (time.monotonic() - t0))
    assert _git_status() == before, "building the package changed the checkout"
    debs = [p for p in work.iterdir() if re.match(r"gnomon_.*\.deb$", p.name)]
    assert len(debs) == 1, list(work.iterdir())
    yield debs[0]
    shutil.rmtree(str(work), ignore_errors=True)  # the build: some 200 MB


def test_lintian_no_errors(deb):
    cp = subprocess.run(["lintian", "--fail-on", "error", str(deb)], capture_output=True,
                        text=True, timeout=300)
    print(cp.stdout)
    assert cp.returncode == 0, "lintian:\n%s%s" % (cp.stdout, cp.stderr)
    assert not re.search(r"^E: ", cp.stdout, re.M), cp.stdout


def test_deb_contents(deb):
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True,
                             check=True).stdout
    files = {l.split()[-1].lstrip("."): l.split()[0] for l in listing.splitlines()}
    assert files.get("/etc/gnomon/keys") == "-rw-------", listing
    for f in ("/usr/sbin/gnomond", "/usr/bin/gnomonctl", "/etc/gnomon/gnomond.conf",
              "/lib/systemd/system/gnomond.service", "/usr/share/man/man5/gnomond.conf.5.gz",
              "/usr/lib/sysusers.d/gnomon.conf", "/usr/lib/tmpfiles.d/gnomon.conf",
              "/etc/logrotate.d/gnomon"):
        assert f in files, "%s not in the package:\n%s" % (f, listing)
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["dpkg-deb", "-e", str(deb), d], check=True)
        conffiles = open(os.path.join(d, "conffiles")).read().split()
    assert {"/etc/gnomon/gnomond.conf", "/etc/gnomon/keys",
            "/etc/logrotate.d/gnomon"} <= set(conffiles), conffiles


def _root_tarball(deb):
    depends = subprocess.run(["dpkg-deb", "-f", str(deb), "Depends"], capture_output=True,
                             text=True, check=True).stdout
    pkgs = sorted(set(BASE_PACKAGES) | {d.split("|")[0].split("(")[0].strip()
                                        for d in depends.split(",") if d.strip()})
    key = hashlib.sha256((SUITE + " " + " ".join(pkgs)).encode()).hexdigest()[:16]
    path = os.path.join(CACHE, "%s-%s.tar" % (SUITE, key))
    if os.path.exists(path):
        return path
    mirror = _mirror()
    if not _reachable(mirror):
        pytest.skip("the package registry %s is unreachable and no Debian root is cached "
                    "in %s" % (mirror, CACHE))
    os.makedirs(CACHE, exist_ok=True)
    tmp = "%s.part%d.tar" % (path[:-4], os.getpid())
    t0 = time.monotonic()
    cp = subprocess.run(["mmdebstrap", "--variant=minbase", "--format=tar", "--include=" + ",".join(pkgs),
                         SUITE, tmp, mirror], capture_output=True, text=True, timeout=900)
    if cp.returncode != 0:
        subprocess.run(["rm", "-rf", tmp])
        pytest.fail("mmdebstrap failed:\n%s" % cp.stderr[-4000:])
    os.rename(tmp, path)
    print("mmdebstrap: %.1f s, cached as %s" % (time.monotonic() - t0, path))
    return path


def _kill_container(rootdir):
    """Processes left in the container (its root is our directory), by pid."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.readlink("/proc/%s/root" % pid) == rootdir:
                os.kill(int(pid), signal.SIGKILL)
        except OSError:
            pass


def test_install_boot_purge(deb, tmp_path):
    tarball = _root_tarball(deb)
    rootdir = str(tmp_path / "gnomon-ci-root")
    os.mkdir(rootdir)
    t0 = time.monotonic()
    subprocess.run(["tar", "-C", rootdir, "-xf", tarball], check=True)
    ci = os.path.join(rootdir, "ci")
    os.mkdir(ci)
    shutil.copy(str(deb), os.path.join(ci, "gnomon.deb"))
    shutil.copy(os.path.join(ROOT, "tests", "package", "inside.sh"), ci)
    units = os.path.join(rootdir, "etc", "systemd", "system")
    shutil.copy(os.path.join(ROOT, "tests", "package", "ci-inside.service"), units)
    os.makedirs(os.path.join(units, "multi-user.target.wants"), exist_ok=True)
    os.symlink("/etc/systemd/system/ci-inside.service",
               os.path.join(units, "multi-user.target.wants", "ci-inside.service"))
    cmd = ["systemd-nspawn", "--quiet", "--directory", rootdir, "--register=no",
           "--keep-unit", "--private-network", "--drop-capability=CAP_SYS_TIME",
           "--boot"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    try:
        console, _ = proc.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        proc.kill()
        _kill_container(rootdir)
        console, _ = proc.communicate()
    finally:
        _kill_container(rootdir)
    elapsed = time.monotonic() - t0
    try:
        result = open(os.path.join(ci, "result")).read()
    except OSError:
        result = ""
    try:
        log = open(os.path.join(ci, "log")).read()
    except OSError:
        log = ""
    report = "result:\n%s\nlog:\n%s\nconsole (tail):\n%s" % (
        result, log[-8000:], console.decode(errors="replace")[-3000:])
    print("container run: %.1f s\n%s" % (elapsed, result))
    subprocess.run(["rm", "-rf", "--one-file-system", rootdir])  # some 600 MB
    fails = [l for l in result.splitlines() if l.startswith("FAIL")]
    assert result.rstrip().endswith("done") and not fails, report
    for name in ("dpkg-install", "keys", "analyze-verify", "check-config", "active",
                 "running-as-gnomon", "no-capabilities", "no-ambient-capabilities", "bounding-set",
                 "seccomp", "ntp-query", "served-virtual-offset",
                 "snmp-stratum", "dpkg-purge", "no-process", "no-files-named-gnomon"):
        assert "ok %s" % name in result.splitlines(), report


def test_meson_install_destdir(gnomond_bin, tmp_path):
    """`meson install` (what `make install` runs) into DESTDIR, from the build
    the suite runs: every file under the prefix and sysconfdir, the key file
    0600, and a second install keeps an operator's configuration."""
    build = os.path.dirname(os.path.abspath(gnomond_bin))
    if not os.path.exists(os.path.join(build, "build.ninja")):
        pytest.skip("%s is not a meson build directory" % build)
    opts = subprocess.run(["meson", "introspect", "--buildoptions", build],
                          capture_output=True, text=True, check=True).stdout
    opt = {o["name"]: o["value"] for o in json.loads(opts)}
    prefix, etc = opt["prefix"], opt["sysconfdir"]
    etc = etc if etc.startswith("/") else os.path.join(prefix, etc)
    dest = str(tmp_path / "dest")

    def install():
        cp = subprocess.run(["meson", "install", "-C", build, "--no-rebuild", "--destdir",
                             dest], capture_output=True, text=True, timeout=120)
        assert cp.returncode == 0, cp.stdout + cp.stderr
        return cp.stdout

    install()
    d = lambda p: dest + p  # noqa: E731
    for p in (prefix + "/sbin/gnomond", prefix + "/bin/gnomonctl",
              etc + "/gnomon/gnomond.conf", etc + "/gnomon/keys",
              etc + "/logrotate.d/gnomon", prefix + "/share/man/man5/gnomond.conf.5",
              prefix + "/share/man/man8/gnomond.8", prefix + "/share/man/man1/gnomonctl.1",
              prefix + "/lib/sysusers.d/gnomon.conf", prefix + "/lib/tmpfiles.d/gnomon.conf",
              prefix + "/share/doc/gnomon/examples/lan.conf"):
        assert os.path.isfile(d(p)), "%s not installed" % p
    for p in ("/var/lib/gnomon", "/var/log/gnomon"):
        assert os.path.isdir(d(p)), "%s not installed" % p
        assert oct(os.stat(d(p)).st_mode & 0o7777) == "0o750", p
    unitdir = opt.get("systemdunitdir") or prefix + "/lib/systemd/system"
    unit = open(d(unitdir + "/gnomond.service")).read()
    assert "ExecStart=%s/sbin/gnomond -n -f %s/gnomon/gnomond.conf" % (prefix, etc) in unit
    assert oct(os.stat(d(etc + "/gnomon/keys")).st_mode & 0o7777) == "0o600"
    assert oct(os.stat(d(etc + "/gnomon/gnomond.conf")).st_mode & 0o7777) == "0o644"
    # The compiled-in default is the installed file.
    assert (etc + "/gnomon/gnomond.conf").encode() in open(gnomond_bin, "rb").read()
    with open(d(etc + "/gnomon/gnomond.conf"), "a") as f:
        f.write("allow 192.0.2.0/24\n")
    install()
    assert "allow 192.0.2.0/24" in open(d(etc + "/gnomon/gnomond.conf")).read()
