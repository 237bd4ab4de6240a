"""Least privilege (issue 8 section 3, README "Privileges"): what a running
gnomond holds, read from /proc/PID/status, in each role; the seccomp filter
stopping a forbidden call by name; links planted where root would write
refused; and the two ways out (`seccomp off`, `user root`) doing what they
say.

Every daemon runs, as in the whole suite, under setpriv without CAP_SYS_TIME
in its bounding set, so even `clock system` cannot move this machine's clock:
there gnomond documents that it keeps no capability at all.
"""

import json
import os
import pwd
import socket
import subprocess
import tempfile
import time

import pytest

import ntp_helpers as nh
from conftest import GNOMOND, GNOMONCTL, _port_free, free_loopback4, free_port
from test_gateway import KEYS, KEY_ID, forge

CAP_SYS_TIME = 25
SANDBOX_EXIT = 159          # 128 + SIGSYS (src/prog/sandbox.h)


def status(pid, task=None):
    path = "/proc/%d/status" % pid if task is None else "/proc/%d/task/%s/status" % (pid, task)
    out = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def assert_confined(d, threads=1):
    """Every thread: not root, no capability, no_new_privs, filter on."""
    user = pwd.getpwnam("gnomon")
    tasks = os.listdir("/proc/%d/task" % d.proc.pid)
    assert len(tasks) >= threads, tasks
    for t in tasks:
        st = status(d.proc.pid, t)
        uids = [int(x) for x in st["Uid"].split()]
        gids = [int(x) for x in st["Gid"].split()]
        assert uids == [user.pw_uid] * 4, (t, st["Uid"])
        assert gids == [user.pw_gid] * 4, (t, st["Gid"])
        assert st["Groups"] == "", (t, st["Groups"])
        for cap in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
            assert int(st[cap], 16) == 0, (t, cap, st[cap])
        assert st["NoNewPrivs"] == "1", (t, st["NoNewPrivs"])
        assert st["Seccomp"] == "2", (t, st["Seccomp"])
    return tasks


def ntp_answer(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    try:
        s.sendto(b"\x23" + b"\0" * 47, (addr, port))
        data, _ = s.recvfrom(512)
        return data
    finally:
        s.close()


def test_server_only(gnomond, base_config):
    d = gnomond(base_config + "workers 2\n")
    # The main loop and both NTP workers, all created before the filter
    # (TSYNC put it on every thread).
    assert len(assert_confined(d, threads=3)) >= 3
    assert "running as gnomon" in d.log()
    # The control socket: the user's, owner and group may connect (0660
    # whatever the umask), nobody else.
    st = os.lstat(d.ctl)
    assert st.st_uid == pwd.getpwnam("gnomon").pw_uid and st.st_mode & 0o777 == 0o660, st
    assert "seccomp filter installed" in d.log()
    # ... and it still serves.
    assert len(ntp_answer(d.addr, d.port)) == 48


def test_client_with_system_clock(gnomond, base_config):
    """`clock system` with a source wants CAP_SYS_TIME; under a parent that
    removed it from the bounding set it cannot have it: documented as a
    warning and no capability at all (never a failure to start)."""
    up = gnomond(base_config)
    d = gnomond("clock system\nallow 127.0.0.0/8\nserver %s port %d minpoll -4 maxpoll -4\n"
                % (up.addr, up.port), addr=free_loopback4(avoid=[up.addr]))
    st = status(d.proc.pid)
    assert not int(st["CapBnd"], 16) & (1 << CAP_SYS_TIME), st["CapBnd"]
    assert_confined(d)
    assert "CAP_SYS_TIME is not available" in d.log(), d.log()
    # The filter lets the client poll: samples arrive (gnomonctl sources).
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        cp = subprocess.run([GNOMONCTL, "-s", d.ctl, "--json", "sources"],
                            capture_output=True, text=True, timeout=10)
        if cp.returncode == 0 and any(s["reach"] for s in json.loads(cp.stdout)["sources"]):
            break
        time.sleep(0.5)
    else:
        pytest.fail("no sample from the source under the filter: %s" % cp.stdout)
    assert d.alive()


def test_gateway_receiver(gnomond, user_dir):
    keys = user_dir / "keys"
    keys.write_text(KEYS)
    os.chmod(keys, 0o600)
    port = free_port("127.0.0.1")
    journal = user_dir / "receiver.journal"
    d = gnomond("clock virtual offset 0.5\nallow 127.0.0.0/8\nkeyfile %s\n"
                "gateway-receive on 127.0.0.1:%d sender 1 key %d\njournal file %s\n"
                % (keys, port, KEY_ID, journal))
    assert_confined(d)
    # The journal was opened by root and handed to the daemon's user.
    assert journal.stat().st_uid == pwd.getpwnam("gnomon").pw_uid
    # Authentic messages go through the receive path under the filter.
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    boot = int(time.time() * 1000)
    for seq in range(1, 6):
        s.sendto(forge(seq, boot, time.time()), ("127.0.0.1", port))
        time.sleep(0.25)
    s.close()
    cp = subprocess.run([GNOMONCTL, "-s", d.ctl, "--json", "gateway"], capture_output=True,
                        text=True, timeout=10)
    assert cp.returncode == 0, nh.describe(cp)
    assert d.alive(), d.log()


def run_to_exit(conf_text, tmpdir, env=None, timeout=15):
    conf = os.path.join(tmpdir, "gnomond.conf")
    with open(conf, "w") as f:
        f.write(conf_text)
    cp = subprocess.run(nh.NO_SYS_TIME + [GNOMOND, "-n", "-f", conf], capture_output=True,
                        text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL)
    return cp


def base_conf(tmpdir, extra=""):
    return ("port %d\nbindaddress 127.0.0.1\ncontrol %s/ctl.sock\nclock null\n"
            "local stratum 10\nallow 127.0.0.0/8\n%s" % (free_port("127.0.0.1"), tmpdir, extra))


def test_forbidden_syscall_is_stopped_and_named(tmp_path):
    """GNOMON_TEST_FORBIDDEN_SYSCALL makes the started daemon call
    personality(2), which no filter allows: the trap names it and the
    daemon exits with 159."""
    env = dict(os.environ, GNOMON_TEST_FORBIDDEN_SYSCALL="1")
    cp = run_to_exit(base_conf(tmp_path), str(tmp_path), env=env)
    assert cp.returncode == SANDBOX_EXIT, nh.describe(cp)
    assert "forbidden system call personality (number" in cp.stderr, cp.stderr
    # With the filter off the same hook returns and the daemon goes on.
    logf = tmp_path / "off.log"
    conf = tmp_path / "off.conf"
    conf.write_text(base_conf(tmp_path, "seccomp off\n"))
    with open(logf, "wb") as out:
        p = subprocess.Popen(nh.NO_SYS_TIME + [GNOMOND, "-n", "-f", str(conf)], env=env,
                             stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        time.sleep(1.5)
        assert p.poll() is None, logf.read_text()
        assert "the filter is off" in logf.read_text()
    finally:
        p.terminate()
        p.wait(5)


def test_seccomp_off(gnomond, base_config):
    d = gnomond(base_config + "seccomp off\n")
    st = status(d.proc.pid)
    assert st["Seccomp"] == "0", st["Seccomp"]
    assert st["NoNewPrivs"] == "1"
    assert int(st["Uid"].split()[0]) == pwd.getpwnam("gnomon").pw_uid
    assert "seccomp off" in d.log()


def test_user_root(gnomond, base_config):
    d = gnomond(base_config + "user root\n")
    st = status(d.proc.pid)
    assert [int(x) for x in st["Uid"].split()] == [0, 0, 0, 0], st["Uid"]
    assert "WARN running as root" in d.log(), d.log()
    assert st["NoNewPrivs"] == "1" and st["Seccomp"] == "2", st


def test_missing_user_says_how_to_create_it(tmp_path):
    cp = run_to_exit(base_conf(tmp_path, "user gnomon-no-such-user\n"), str(tmp_path))
    assert cp.returncode == 1, nh.describe(cp)
    assert "user 'gnomon-no-such-user' does not exist" in cp.stderr, cp.stderr
    assert "useradd --system" in cp.stderr, cp.stderr


def planted_dir():
    """A directory the daemon's user owns, as /run/gnomond is after a first
    run: whoever runs as that user can plant links there."""
    d = tempfile.mkdtemp(prefix="gn-it-plant-")
    user = pwd.getpwnam("gnomon")
    os.chown(d, user.pw_uid, user.pw_gid)
    os.chmod(d, 0o750)
    return d


def test_symlink_in_control_socket_place_is_refused(tmp_path):
    target = tmp_path / "precious"
    target.write_text("root's\n")
    os.chmod(target, 0o600)
    run = planted_dir()
    try:
        link = os.path.join(run, "ctl.sock")
        os.symlink(str(target), link)
        conf = ("port %d\nbindaddress 127.0.0.1\ncontrol %s\nclock null\nallow 127.0.0.0/8\n"
                % (free_port("127.0.0.1"), link))
        cp = run_to_exit(conf, str(tmp_path))
        assert cp.returncode == 1, nh.describe(cp)
        assert "a symbolic link is in its place (refused" in cp.stderr, cp.stderr
        # Neither removed nor followed: the link is there, its target root's.
        assert os.path.islink(link)
        st = os.stat(target)
        assert st.st_uid == 0 and st.st_mode & 0o777 == 0o600, st
        assert target.read_text() == "root's\n"
    finally:
        subprocess.run(["rm", "-rf", run])


def test_symlink_as_journal_is_refused(tmp_path):
    """Root opens the journal before dropping: a link planted in the
    user's directory must not make it append to (or hand over) a file."""
    target = tmp_path / "precious"
    target.write_text("root's\n")
    os.chmod(target, 0o600)
    run = planted_dir()
    try:
        link = os.path.join(run, "gnomond.journal")
        os.symlink(str(target), link)
        cp = run_to_exit(base_conf(tmp_path, "journal file %s\n" % link), str(tmp_path))
        assert cp.returncode == 1, nh.describe(cp)
        assert "cannot open the journal" in cp.stderr, cp.stderr
        st = os.stat(target)
        assert st.st_uid == 0 and target.read_text() == "root's\n"
    finally:
        subprocess.run(["rm", "-rf", run])


def test_group_writable_control_directory_is_refused(tmp_path):
    d = tmp_path / "ctl"
    d.mkdir()
    os.chmod(d, 0o770)
    conf = ("port %d\nbindaddress 127.0.0.1\ncontrol %s/ctl.sock\nclock null\n"
            "allow 127.0.0.0/8\n" % (free_port("127.0.0.1"), d))
    cp = run_to_exit(conf, str(tmp_path))
    assert cp.returncode == 1, nh.describe(cp)
    assert "writable by group or others (mode 0770)" in cp.stderr, cp.stderr


def start_until_socket(conf, ctl, poll):
    """Start gnomond (no CAP_SYS_TIME) on conf, output to a pipe, and
    return once its control socket ctl exists, looking every poll seconds
    (10 s at most)."""
    p = subprocess.Popen(nh.NO_SYS_TIME + [GNOMOND, "-n", "-f", str(conf)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not os.path.exists(ctl) and time.monotonic() < deadline:
        time.sleep(poll)
    return p


def test_created_control_directory_belongs_to_the_user(gnomond, base_config, tmp_path):
    """The daemon creates a missing control directory for its user (mode
    0750), so that it can remove its socket at exit."""
    base = tempfile.mkdtemp(prefix="gn-it-ctl-")
    os.chmod(base, 0o755)
    try:
        ctl = os.path.join(base, "run", "ctl.sock")
        conf = tmp_path / "c.conf"
        conf.write_text("port %d\nbindaddress 127.0.0.1\ncontrol %s\nclock null\n"
                        "allow 127.0.0.0/8\n" % (free_port("127.0.0.1"), ctl))
        p = start_until_socket(conf, ctl, 0.05)
        st = os.lstat(os.path.dirname(ctl))
        assert st.st_uid == pwd.getpwnam("gnomon").pw_uid and st.st_mode & 0o7777 == 0o750, st
        p.terminate()
        out = p.communicate(timeout=5)[0].decode()
        assert p.returncode == 0, out
        assert not os.path.exists(ctl), "the socket was not removed at exit:\n" + out
    finally:
        subprocess.run(["rm", "-rf", base])


def test_terminated_during_startup_cleans_up(tmp_path):
    """A SIGTERM that lands the moment the control socket appears, while
    the daemon is still starting (dropping privileges, the filter, the
    other services), ends it through its cleanup: exit 0 and the socket
    removed. The handlers used to go in after startup, so the default
    action killed it there and left the socket (CI under ASan, where
    startup is slow, caught this once; polling at 0.5 ms made it every
    time)."""
    base = tempfile.mkdtemp(prefix="gn-it-term-")
    os.chmod(base, 0o755)
    try:
        for k in range(5):
            # A directory the daemon creates, so that its user may unlink.
            ctl = os.path.join(base, "run%d" % k, "ctl.sock")
            conf = tmp_path / ("t%d.conf" % k)
            conf.write_text("port %d\nbindaddress 127.0.0.1\ncontrol %s\nclock null\n"
                            "allow 127.0.0.0/8\n" % (free_port("127.0.0.1"), ctl))
            p = start_until_socket(conf, ctl, 0.0005)
            assert os.path.exists(ctl), "no control socket in 10 s"
            p.terminate()
            out = p.communicate(timeout=10)[0].decode()
            assert p.returncode == 0, "run %d: %s" % (k, out)
            assert "signal 15: exiting" in out, out
            assert not os.path.exists(ctl), "run %d: the socket was left:\n%s" % (k, out)
    finally:
        subprocess.run(["rm", "-rf", base])


def test_demo_mode_runs_and_cleans_up():
    """`make run` (`gnomond -n`, the built-in configuration): the demo's
    temporary control directory is the user's, and the daemon removes it
    at exit under the filter (rmdir was once missing from it)."""
    if not _port_free("127.0.0.1", 11123):
        pytest.fail("UDP 127.0.0.1 port 11123 (the demo's) is in use", pytrace=False)
    p = subprocess.Popen(nh.NO_SYS_TIME + [GNOMOND, "-n"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
    lines = []
    try:
        for line in p.stdout:
            lines.append(line)
            if "server stats:" in line:
                break
        ctl = lines[-1].split("-s", 1)[1].split()[0]
        st = os.lstat(os.path.dirname(ctl))
        assert st.st_uid == pwd.getpwnam("gnomon").pw_uid, st
        assert status(p.pid)["Seccomp"] == "2"
    finally:
        p.terminate()
        out = p.communicate(timeout=5)[0]
    assert p.returncode == 0, "".join(lines) + out
    assert not os.path.exists(os.path.dirname(ctl)), "".join(lines) + out


def test_world_writable_journal_directory_is_refused(tmp_path):
    """Root opens the journal: in a directory anyone can write (/tmp-like),
    a name could be swapped under it, so the directory is refused."""
    d = tempfile.mkdtemp(prefix="gn-it-ww-")
    os.chmod(d, 0o1777)
    try:
        cp = run_to_exit(base_conf(tmp_path, "journal file %s/j.log\n" % d), str(tmp_path))
        assert cp.returncode == 1, nh.describe(cp)
        assert "journal directory %s is writable by group or others" % d in cp.stderr, cp.stderr
        assert not os.path.exists(os.path.join(d, "j.log"))
    finally:
        subprocess.run(["rm", "-rf", d])


def test_started_unprivileged_with_ambient_capabilities(user_dir):
    """As gnomond.service starts it: already the user gnomon, with
    CAP_NET_BIND_SERVICE as an ambient capability (and CAP_SYS_TIME, which
    this suite never grants). It binds port 123, then gives up every
    capability, ambient ones included: nothing is left to a flaw after
    start-up."""
    user = pwd.getpwnam("gnomon")
    addr = free_loopback4()
    conf = user_dir / "gnomond.conf"
    conf.write_text("port 123\nbindaddress %s\ncontrol %s/ctl.sock\nclock null\n"
                    "local stratum 10\nallow 127.0.0.0/8\n" % (addr, user_dir))
    os.chown(conf, user.pw_uid, user.pw_gid)
    logf = user_dir / "gnomond.log"
    cmd = ["setpriv", "--reuid", str(user.pw_uid), "--regid", str(user.pw_gid),
           "--clear-groups", "--bounding-set", "-all,+net_bind_service",
           "--inh-caps", "-all,+net_bind_service", "--ambient-caps", "+net_bind_service",
           "--", GNOMOND, "-n", "-f", str(conf)]
    with open(logf, "wb") as out:
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while not os.path.exists("%s/ctl.sock" % user_dir):
            assert p.poll() is None and time.monotonic() < deadline, logf.read_text()
            time.sleep(0.1)
        data = ntp_answer(addr, 123)
        assert len(data) == 48 and data[1] == 10, data
        st = status(p.pid)
        assert [int(x) for x in st["Uid"].split()] == [user.pw_uid] * 4, st["Uid"]
        # The ambient capability was there to bind with: the start-up had it.
        assert int(st["CapBnd"], 16) == 1 << 10, st["CapBnd"]
        for cap in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
            assert int(st[cap], 16) == 0, (cap, st[cap], logf.read_text())
        assert st["NoNewPrivs"] == "1" and st["Seccomp"] == "2", st
        assert "not started as root: running as uid %d, no capabilities" % user.pw_uid \
            in logf.read_text(), logf.read_text()
    finally:
        p.terminate()
        p.wait(5)
