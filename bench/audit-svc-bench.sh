#!/usr/bin/env bash
# audit-svc-bench.sh - gnomond's periodic audit (doc/audit.md, "Service")
# over a simulated fleet, and what it does to the NTP server of the same
# daemon: the round trip of NTP requests to gnomond while it is idle and
# while a run of N devices is in progress, in the same run.
#
# A network namespace (asb<PID>) gets 198.18.0.0/16 as local addresses;
# one `fleet` process answers NTP for all of them (tests/tools/fleet.h),
# each address with its own offset and behaviour. gnomond (clock null, no
# CAP_SYS_TIME, seccomp on) serves NTP on 127.0.0.1:11123 in the namespace
# (the fleet has port 123)
# and audits the devices from an SQLite file imported with `gnomonctl
# audit import`. Everything is deleted on exit. Nothing sets a clock.
#
#   bench/audit-svc-bench.sh [-n DEVICES]
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/bench/fleet.sh"
BUILD=${BUILD:-$ROOT/build}
N=10000
while getopts "n:h" opt; do
    case $opt in
    n) N=$OPTARG ;;
    *) echo "usage: bench/audit-svc-bench.sh [-n DEVICES]" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "audit-svc-bench: needs root (a network namespace)" >&2; exit 2; }
for b in gnomond gnomonctl libgnomon-audit.so tests/tools/fleet tests/tools/fleet_audit; do
    [ -e "$BUILD/$b" ] || { echo "audit-svc-bench: $BUILD/$b missing: ninja -C build" >&2; exit 2; }
done

NS=asb$$
TMP=$(mktemp -d /tmp/asb.XXXXXX)
FLEET_PID=
GN_PID=
cleanup() {
    [ -n "$GN_PID" ] && kill "$GN_PID" 2>/dev/null && wait "$GN_PID" 2>/dev/null
    fleet_down
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fleet_up "$BUILD/tests/tools/fleet" "$TMP"

# The device list, and the truth to compare with.
"$BUILD/tests/tools/fleet_audit" -T -n "$N" >"$TMP/truth"
{ echo "name,address,port,method,tolerance,group"
  awk '{ printf "dev%d,%s,,,,fleet\n", NR, $1 }' "$TMP/truth"; } >"$TMP/devices.csv"
"$BUILD/gnomonctl" audit import --db "$TMP/audit.db" "$TMP/devices.csv" >/dev/null
chown -R gnomon: "$TMP"

cat >"$TMP/gnomond.conf" <<EOF
port 11123
bindaddress 127.0.0.1
allow 127.0.0.0/8
local stratum 10
clock null
control $TMP/ctl.sock
audit db $TMP/audit.db interval 3600
EOF
ip netns exec "$NS" setpriv --bounding-set -sys_time --inh-caps -sys_time --ambient-caps -sys_time -- \
    "$BUILD/gnomond" -n -f "$TMP/gnomond.conf" >"$TMP/gnomond.log" 2>&1 &
GN_PID=$!

# The first run starts with the daemon; measure NTP during it, then idle.
ip netns exec "$NS" /usr/bin/python3 - "$TMP" "$BUILD/gnomonctl" <<'PY'
import json, socket, struct, subprocess, sys, time
tmp, ctl = sys.argv[1], sys.argv[2]

def audit():
    cp = subprocess.run([ctl, "-s", tmp + "/ctl.sock", "--json", "audit"], capture_output=True,
                        text=True, timeout=10)
    return json.loads(cp.stdout) if cp.returncode == 0 else None

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
def rtt():
    req = b"\x23" + b"\0" * 47
    t0 = time.perf_counter()
    s.sendto(req, ("127.0.0.1", 11123))
    s.recvfrom(512)
    return time.perf_counter() - t0

def sample(cond, limit):
    out = []
    t_end = time.monotonic() + limit
    while time.monotonic() < t_end and cond():
        try:
            out.append(rtt())
        except socket.timeout:
            out.append(1.0)
        time.sleep(0.01)
    return sorted(out)

def pct(v, p):
    return v[min(len(v) - 1, int(p / 100 * len(v)))] * 1e6

for _ in range(200):
    a = audit()
    if a and a["state"] == "running":
        break
    time.sleep(0.05)
else:
    sys.exit("gnomond did not start an audit run:\n" + open(tmp + "/gnomond.log").read())
state = {"a": a}
last = [time.monotonic()]
def running():
    if time.monotonic() - last[0] > 0.5:
        state["a"] = audit() or state["a"]
        last[0] = time.monotonic()
    return state["a"]["state"] == "running"
during = sample(running, 60)
while audit()["state"] != "idle":
    time.sleep(0.1)
idle = sample(lambda: True, 3)
a = audit()
print("devices             %d: ok %d, off %d, unreachable %d" % (a["devices"], a["ok"], a["off"], a["unreachable"]))
print("run                 %.2f s, result %s" % (a["last_run"]["duration"], a["last_run"]["result"]))
for name, v in (("NTP RTT idle", idle), ("NTP RTT during run", during)):
    print("%-19s n=%d median %.0f us, 99%% %.0f us, max %.0f us" % (
        name, len(v), pct(v, 50), pct(v, 99), v[-1] * 1e6))
PY
# Exact classification: the stored results against the fleet's truth.
kill "$GN_PID"; wait "$GN_PID" 2>/dev/null || true; GN_PID=
"$BUILD/gnomonctl" audit report --db "$TMP/audit.db" --csv >"$TMP/report.csv" || true
/usr/bin/python3 - "$TMP/truth" "$TMP/report.csv" <<'PY'
import csv, sys
truth = {l.split()[0]: l.split()[1] for l in open(sys.argv[1])}
got = {r["address"]: r["status"] for r in csv.DictReader(open(sys.argv[2]))}
exact = sum(1 for a, s in truth.items() if got.get(a) == s)
print("exact               %d / %d (stored results against the fleet's truth)" % (exact, len(truth)))
PY
grep -E "seccomp|ERROR" "$TMP/gnomond.log" || true
