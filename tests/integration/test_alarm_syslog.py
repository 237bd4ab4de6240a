"""The alarm engine's syslog sink, heard on a real syslog socket.

tests/tools/alarm_demo runs the engine with the real syslog(3) sink and a
sequence of offsets (raise, escalate, fall back, clear). It runs in a
private mount namespace (unshare -m) whose /dev is a small tmpfs holding
only `log`, a symbolic link to a datagram socket this test has bound:
exactly what a syslog daemon reads, while the host's /dev is never
touched. The test checks each datagram as RFC 3164 (`<PRI>Mmm dd
hh:mm:ss ident[pid]: text`): PRI = facility * 8 + severity, computed here
independently, and the text in the journal's format.

The same sequence is also sent to a real rsyslogd (Debian's rsyslog,
unpacked by tools/deps.sh into /opt/gnomon-test/rsyslog and never
installed, so no host daemon starts) listening on /dev/log in such a
namespace: its own parse of each message (PRI, facility and severity
names, tag) is compared with ours.

Binaries: $ALARM_DEMO, default build/tests/tools/alarm_demo; $RSYSLOGD,
default /opt/gnomon-test/rsyslog/usr/sbin/rsyslogd. Root (for the mount
namespace); about 3 s.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEMO = os.environ.get("ALARM_DEMO", os.path.join(REPO, "build", "tests", "tools", "alarm_demo"))
GNOMONCTL = os.environ.get("GNOMONCTL", os.path.join(REPO, "build", "gnomonctl"))
RSYSLOGD = os.environ.get("RSYSLOGD", "/opt/gnomon-test/rsyslog/usr/sbin/rsyslogd")

# RFC 3164 §4.1: PRI, TIMESTAMP ("Mmm dd hh:mm:ss", day space-padded),
# then the TAG (glibc: ident[pid]) and ": ".
LINE = re.compile(r"^<(\d{1,3})>([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) "
                  r"([A-Za-z0-9_]+)\[(\d+)\]: (.*)$", re.S)

# <syslog.h> numbers; ntp (12) is RFC 5424 §6.2.1's, absent from glibc.
FACILITY = {"ntp": 12, "local3": 19, "daemon": 3}
LOG_CRIT, LOG_WARNING, LOG_NOTICE = 2, 4, 5


@pytest.fixture
def syslog_socket():
    if os.geteuid() != 0:
        pytest.skip("a private mount namespace needs root")
    if not (os.path.isfile(DEMO) and os.access(DEMO, os.X_OK)):
        pytest.fail("alarm_demo not found at %s (ninja -C build, or set $ALARM_DEMO)" % DEMO,
                    pytrace=False)
    d = tempfile.mkdtemp(prefix="gn-alarm-syslog-")
    path = os.path.join(d, "log")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    os.chmod(path, 0o666)
    s.settimeout(5.0)
    yield s, path
    s.close()
    shutil.rmtree(d, ignore_errors=True)


def run_demo(sock_path, *args):
    """alarm_demo ARGS inside a private mount namespace whose /dev/log is
    sock_path; returns (stdout lines, pid seen in the namespace)."""
    host_dev_log = os.path.lexists("/dev/log")
    script = ('mount -t tmpfs -o size=64k,mode=0755 gn-alarm-dev /dev && '
              'ln -s "$0" /dev/log && exec "$@"')
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script,
                        sock_path, DEMO] + list(args),
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    # The host's /dev is as it was.
    assert os.path.lexists("/dev/log") == host_dev_log
    return p.stdout.split("\n")[:-1]


def receive(sock, n):
    out = []
    for _ in range(n):
        data = sock.recv(65536).decode("ascii")
        m = LINE.match(data.rstrip("\0\n"))
        assert m, "not an RFC 3164 line: %r" % data
        out.append((int(m.group(1)), m.group(3), int(m.group(4)), m.group(5)))
    return out


def assert_nothing_more(sock):
    sock.settimeout(0.3)
    with pytest.raises(socket.timeout):
        sock.recv(65536)


def test_raise_and_clear_default_facility(syslog_socket):
    sock, path = syslog_socket
    lines = run_demo(path, "-i", "gnomon_alarm")
    assert lines == ["raised offset critical 98", "cleared offset critical 101"]
    got = receive(sock, 2)
    assert_nothing_more(sock)
    (pri1, tag1, pid1, text1), (pri2, tag2, pid2, text2) = got
    assert pri1 == FACILITY["ntp"] * 8 + LOG_CRIT == 98
    assert pri2 == FACILITY["ntp"] * 8 + LOG_NOTICE == 101
    assert tag1 == tag2 == "gnomon_alarm" and pid1 == pid2
    assert text1 == ('ALARM_RAISED alarm=offset severity=critical value=0.02 '
                     'threshold=0.01 "system offset 20.000 ms reached 10.000 ms"')
    assert text2 == ('ALARM_CLEARED alarm=offset severity=critical value=0 '
                     'threshold=0.0005 "system offset 0.000 ms below 0.500 ms for 0 s"')


def test_levels_and_facility(syslog_socket):
    """warning -> critical -> warning (falling back) -> cleared, facility local3."""
    sock, path = syslog_socket
    lines = run_demo(path, "-F", "local3", "0.002", "0.02", "0.004", "0")
    assert len(lines) == 4
    got = receive(sock, 4)
    assert_nothing_more(sock)
    want = [(LOG_WARNING, "ALARM_RAISED", "severity=warning value=0.002 threshold=0.001"),
            (LOG_CRIT, "ALARM_RAISED", "severity=critical prev=warning value=0.02"),
            (LOG_WARNING, "ALARM_RAISED", "severity=warning prev=critical value=0.004"),
            (LOG_NOTICE, "ALARM_CLEARED", "severity=warning value=0 threshold=0.0005")]
    for (pri, tag, _, text), line, (sev, code, fields) in zip(got, lines, want):
        assert pri == FACILITY["local3"] * 8 + sev
        assert line.endswith(" %d" % pri)     # what the demo meant to send
        assert tag == "alarm_demo"
        assert text.startswith(code + " alarm=offset " + fields), text


def test_process_default_stays_daemon(syslog_socket):
    """The alarm facility travels with each alarm message: a plain
    syslog(LOG_INFO) (lib/log.c's kind) keeps facility daemon."""
    sock, path = syslog_socket
    lines = run_demo(path, "-F", "local3", "-p")
    assert len(lines) == 2
    got = receive(sock, 3)
    assert_nothing_more(sock)
    assert got[0][0] == FACILITY["daemon"] * 8 + 6 and got[0][3] == "plain message"
    assert got[1][0] == FACILITY["local3"] * 8 + LOG_CRIT
    assert got[2][0] == FACILITY["local3"] * 8 + LOG_NOTICE


def test_minage_holds_back(syslog_socket):
    """With minage 10 s, a 5 s excursion sends nothing at all."""
    sock, path = syslog_socket
    lines = run_demo(path, "-m", "10", *(["0.05"] * 5 + ["0"] * 20))
    assert lines == []
    assert_nothing_more(sock)


def test_off_sends_nothing(syslog_socket):
    sock, path = syslog_socket
    lines = run_demo(path, "-F", "off")
    assert lines == ["raised offset critical -", "cleared offset critical -"]
    assert_nothing_more(sock)


def test_metrics_accepted_by_promtool(tmp_path):
    """gnomon_alarm_active{alarm,severity} and the raise/clear counters as
    the exporter renders them (mon/prom.c), checked by promtool. No syslog
    (-F off), so no namespace is needed."""
    promtool = shutil.which("promtool")
    if not promtool:
        pytest.fail("promtool not found (tools/deps.sh test installs prometheus)",
                    pytrace=False)
    out = tmp_path / "metrics.txt"
    p = subprocess.run([DEMO, "-F", "off", "-P", str(out), "0.002", "0.02", "0.02"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    text = out.read_text()
    check = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                           text=True, timeout=30)
    assert check.returncode == 0 and not (check.stdout + check.stderr).strip(), \
        check.stdout + check.stderr
    samples = dict(line.rsplit(" ", 1) for line in text.splitlines()
                   if line and not line.startswith("#"))
    assert samples['gnomon_alarm_active{alarm="offset",severity="critical"}'] == "1"
    assert samples['gnomon_alarm_active{alarm="offset",severity="warning"}'] == "0"
    assert samples['gnomon_alarm_raises_total{alarm="offset"}'] == "2"   # warning, critical
    assert samples['gnomon_alarm_clears_total{alarm="offset"}'] == "0"
    active = [k for k in samples if k.startswith("gnomon_alarm_active{")]
    assert len(active) == 22       # bounded: every level of every rule, defaults
    assert sum(float(samples[k]) for k in active) == 1


# rsyslogd inside the namespace: /dev is a tmpfs with null and urandom
# nodes; rsyslogd creates /dev/log there; the demo runs once the socket
# exists; the script waits for the expected number of alarm lines.
RSYSLOG_SCRIPT = r"""
set -e
D=$1; R=$2; N=$3; shift 3
mount -t tmpfs -o size=64k,mode=0755 gn-alarm-dev /dev
mknod -m 666 /dev/null c 1 3
mknod -m 444 /dev/urandom c 1 9
"$R" -n -M "$(dirname "$R")/../lib/x86_64-linux-gnu/rsyslog" -f "$D/rsyslog.conf" -i "$D/pid" \
    </dev/null 2>"$D/rsyslogd.err" &
pid=$!
i=0
while [ ! -S /dev/log ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
[ -S /dev/log ] || { echo "rsyslogd made no /dev/log" >&2; kill $pid; exit 1; }
"$@"
i=0
while [ "$(grep -c ALARM_ "$D/out.log" 2>/dev/null || true)" -lt "$N" ] && [ $i -lt 200 ]; do
    sleep 0.05; i=$((i + 1))
done
kill $pid
wait $pid || true
"""

# What rsyslog itself parsed: PRI, facility and severity names, tag, text.
RSYSLOG_TEMPLATE = "%pri% %syslogfacility-text% %syslogseverity-text% %syslogtag%%msg%\\n"


def test_real_rsyslogd():
    if os.geteuid() != 0:
        pytest.skip("a private mount namespace needs root")
    for path, what in ((DEMO, "alarm_demo"), (RSYSLOGD, "rsyslogd")):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            pytest.fail("%s not found at %s (tools/deps.sh test unpacks rsyslog; ninja -C "
                        "build for alarm_demo)" % (what, path), pytrace=False)
    d = tempfile.mkdtemp(prefix="gn-alarm-rsyslog-")
    try:
        with open(os.path.join(d, "rsyslog.conf"), "w") as f:
            f.write('global(workDirectory="%s")\n'
                    'module(load="imuxsock" SysSock.Name="/dev/log")\n'
                    'template(name="gn" type="string" string="%s")\n'
                    '*.* action(type="omfile" file="%s/out.log" template="gn")\n'
                    % (d, RSYSLOG_TEMPLATE, d))
        host_dev_log = os.path.lexists("/dev/log")
        p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                            RSYSLOG_SCRIPT, "sh", d, RSYSLOGD, "4", DEMO, "-F", "ntp",
                            "0.002", "0.02", "0.004", "0"],
                           capture_output=True, text=True, timeout=60)
        assert os.path.lexists("/dev/log") == host_dev_log
        err = open(os.path.join(d, "rsyslogd.err")).read() if os.path.exists(
            os.path.join(d, "rsyslogd.err")) else ""
        assert p.returncode == 0, p.stderr + err
        with open(os.path.join(d, "out.log")) as f:
            got = [line.rstrip("\n") for line in f if "ALARM_" in line]
        demo_pid = None
        want = [(LOG_WARNING, "warning", "ALARM_RAISED alarm=offset severity=warning value=0.002"),
                (LOG_CRIT, "crit", "ALARM_RAISED alarm=offset severity=critical prev=warning"),
                (LOG_WARNING, "warning", "ALARM_RAISED alarm=offset severity=warning prev=critical"),
                (LOG_NOTICE, "notice", "ALARM_CLEARED alarm=offset severity=warning value=0")]
        assert len(got) == len(want), "\n".join(got) + err
        for line, (sev, sev_name, text) in zip(got, want):
            m = re.match(r"^(\d+) (\S+) (\S+) alarm_demo\[(\d+)\]: (.*)$", line)
            assert m, line
            assert int(m.group(1)) == FACILITY["ntp"] * 8 + sev
            assert m.group(2) == "ntp"        # rsyslog's own name for facility 12
            assert m.group(3) == sev_name
            demo_pid = demo_pid or m.group(4)
            assert m.group(4) == demo_pid
            assert m.group(5).startswith(text), line
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_gnomonctl_alarms(tmp_path):
    """The control socket's `alarms` command (and `status`) served by the
    real ctl module, read by the real gnomonctl, human and JSON."""
    sock = str(tmp_path / "ctl.sock")
    demo = subprocess.Popen([DEMO, "-F", "off", "-S", sock, "0.002", "0.02", "0.004", "0.004"],
                            stdout=subprocess.PIPE, text=True)
    try:
        events = [demo.stdout.readline().strip() for _ in range(3)]
        assert events == ["raised offset warning -", "raised offset critical -",
                          "raised offset warning -"]
        assert demo.stdout.readline().strip() == "ready"
        human = subprocess.run([GNOMONCTL, "-s", sock, "alarms"], capture_output=True,
                               text=True, timeout=30)
        assert human.returncode == 0, human.stderr
        lines = human.stdout.splitlines()
        assert lines[0] == "1 active alarm(s); 14 rule(s), 0 off"
        row = lines[2].split(None, 3)
        assert row[:2] == ["warning", "offset"] and 0 <= float(row[2]) <= 30
        assert row[3] == "system offset 4.000 ms under 5.000 ms for 0 s: back to warning"
        assert "Recent events (newest first):" in lines
        j = json.loads(subprocess.run([GNOMONCTL, "-s", sock, "--json", "alarms"],
                                      capture_output=True, text=True, timeout=30).stdout)
        st = json.loads(subprocess.run([GNOMONCTL, "-s", sock, "--json", "status"],
                                       capture_output=True, text=True, timeout=30).stdout)
        assert [e["event"] + " " + e["severity"] for e in j["recent"]] == \
            ["raised warning", "raised critical", "raised warning"]
        assert [e["prev"] for e in j["recent"]] == ["critical", "warning", "none"]
        # /status carries the same alarms (times move on between the calls).
        strip = lambda o: json.dumps(o, sort_keys=True) if not isinstance(o, dict) else \
            {k: strip(v) for k, v in o.items() if k not in ("age", "since", "time",
                                                            "last_raised", "last_raised_age")}
        assert strip(st["alarms"]["active"][0]) == strip(j["active"][0])
        assert len(st["alarms"]["rules"]) == len(j["rules"]) == 14
        assert abs(j["active"][0]["since"] - (time.time() - j["active"][0]["age"])) < 5
    finally:
        demo.terminate()
        assert demo.wait(timeout=10) == 0
