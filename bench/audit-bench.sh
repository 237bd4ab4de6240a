#!/usr/bin/env bash
# audit-bench.sh - the device time audit at fleet scale: gnomon's audit
# engine over 10,000 simulated devices, against ntpdig (ntpsec) run on
# 100 of the same devices one after another, in the same namespace and
# the same run (see bench/README.md, "Device audit").
#
# A network namespace (ab<PID>) gets the whole of 198.18.0.0/16 as local
# addresses (AnyIP: `ip route add local 198.18.0.0/16 dev lo`); one `fleet`
# process answers NTP for all of them, each address with its own offset and
# behaviour (tests/tools/fleet.h). Everything stays inside the namespace,
# which is deleted on any exit. Only clocks are read; nothing sets one.
#
#   bench/audit-bench.sh [-n DEVICES] [-p PEER_DEVICES]
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/bench/fleet.sh"
FLEET=${FLEET:-$ROOT/build/tests/tools/fleet}
FLEET_AUDIT=${FLEET_AUDIT:-$ROOT/build/tests/tools/fleet_audit}
NTPDIG=${NTPDIG:-ntpdig}
N=${AUDIT_BENCH_DEVICES:-10000}
PEER_N=${AUDIT_BENCH_PEER:-100}

while getopts "n:p:h" opt; do
    case $opt in
    n) N=$OPTARG ;;
    p) PEER_N=$OPTARG ;;
    *) echo "usage: bench/audit-bench.sh [-n DEVICES] [-p PEER_DEVICES]" >&2; exit 2 ;;
    esac
done

[ "$(id -u)" = 0 ] || { echo "audit-bench: needs root (a network namespace)" >&2; exit 2; }
for b in "$FLEET" "$FLEET_AUDIT"; do
    [ -x "$b" ] || { echo "audit-bench: $b missing: ninja -C build" >&2; exit 2; }
done
command -v "$NTPDIG" >/dev/null || { echo "audit-bench: ntpdig missing: apt-get install ntpsec-ntpdig" >&2; exit 2; }

NS=ab$$
TMP=$(mktemp -d)
FLEET_PID=
cleanup() {
    fleet_down
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fleet_up "$FLEET" "$TMP"

echo "== gnomon audit engine: $N devices, 4 samples 2 s apart, rate cap 5000/s, timeout 1 s"
rc=0
ip netns exec "$NS" "$FLEET_AUDIT" -n "$N" -j >"$TMP/engine.json" || rc=$?
[ "$rc" -le 1 ] || { echo "audit-bench: fleet_audit failed ($rc)" >&2; exit 1; }
/usr/bin/python3 - "$TMP/engine.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("devices             %d" % r["devices"])
print("wall time           %.2f s (cpu %.2f s)" % (r["wall_s"], r["cpu_s"]))
print("requests            %d (%.0f/s), replies taken %d" % (r["requests"], r["requests_per_s"], r["replies"]))
print("exact               %d / %d (ok %d, off %d, unreachable %d)" % (r["exact"], r["devices"], r["ok"], r["off"], r["unreachable"]))
print("dropped             malformed %d, unmatched %d; KoD %d, unsynchronised %d, timeouts %d" % (r["malformed"], r["unmatched"], r["kod"], r["unsync"], r["timeouts"]))
print("peak RSS            %.1f MB" % (r["peak_rss_kb"] / 1024))
PY

echo "== ntpdig (ntpsec), one device after another: $PEER_N devices, timeout 1 s"
ip netns exec "$NS" "$FLEET_AUDIT" -T -n "$PEER_N" >"$TMP/truth"
t0=$(date +%s.%N)
while read -r addr _ _ _; do
    ip netns exec "$NS" "$NTPDIG" -t 1 -j "$addr" >>"$TMP/ntpdig.out" 2>/dev/null || echo '{"ip":"'"$addr"'","failed":true}' >>"$TMP/ntpdig.out"
done <"$TMP/truth"
t1=$(date +%s.%N)
/usr/bin/python3 - "$TMP/truth" "$TMP/ntpdig.out" "$t0" "$t1" "$TMP/engine.json" <<'PY'
import json, sys
truth = {}
for line in open(sys.argv[1]):
    a, status, off, kind = line.split()
    truth[a] = (status, float(off), kind)
got = {}
for line in open(sys.argv[2]):
    line = line.strip()
    if not line.startswith("{"):
        continue
    j = json.loads(line)
    ip = j.get("ip") or j.get("host")
    if j.get("failed"):
        got.setdefault(ip, "unreachable")
    else:
        got[ip] = "off" if abs(j["offset"]) > 0.1 else "ok"
exact = sum(1 for a, t in truth.items() if got.get(a, "unreachable") == t[0])
missed = {}
for a, t in truth.items():
    if got.get(a, "unreachable") != t[0]:
        missed[t[2]] = missed.get(t[2], 0) + 1
wall = float(sys.argv[4]) - float(sys.argv[3])
n = len(truth)
eng = json.load(open(sys.argv[5]))
extra = wall / n * eng["devices"]
print("devices             %d" % n)
print("wall time           %.2f s (%.3f s a device)" % (wall, wall / n))
print("exact               %d / %d (ntpdig's one reply, ok within 0.1 s)%s" % (exact, n,
      "; missed: " + ", ".join("%s %d" % kv for kv in sorted(missed.items())) if missed else ""))
print("extrapolated        %.0f s for %d devices" % (extra, eng["devices"]))
print("== ratio: ntpdig serial (extrapolated) / engine = %.0fx" % (extra / eng["wall_s"]))
PY
kill "$FLEET_PID" && wait "$FLEET_PID" || true
FLEET_PID=
cat "$TMP/fleet.err"
[ "$rc" = 0 ] || { echo "audit-bench: the engine misclassified devices (see above)" >&2; exit 1; }
