#!/usr/bin/env bash
# audit-db-bench.sh - the whole `gnomonctl audit run --db` at fleet scale:
# the engine, the writer thread and the store, on an SQLite file and on a
# PostgreSQL server started here, over the simulated fleet of
# bench/audit-bench.sh (one `fleet` responder for 198.18.0.0/16 in a
# network namespace, each address with its own known truth). Prints the
# wall time of each run and checks every device's status against the truth.
#
#   bench/audit-db-bench.sh [-n DEVICES]
#
# As root (a namespace; PostgreSQL runs as user postgres). Everything is
# deleted on any exit. Only clocks are read; nothing sets one.
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/bench/fleet.sh"
FLEET=${FLEET:-$ROOT/build/tests/tools/fleet}
FLEET_AUDIT=${FLEET_AUDIT:-$ROOT/build/tests/tools/fleet_audit}
GNOMONCTL=${GNOMONCTL:-$ROOT/build/gnomonctl}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
N=10000

while getopts "n:h" opt; do
    case $opt in
    n) N=$OPTARG ;;
    *) echo "usage: bench/audit-db-bench.sh [-n DEVICES]" >&2; exit 2 ;;
    esac
done

[ "$(id -u)" = 0 ] || { echo "audit-db-bench: needs root (a network namespace)" >&2; exit 2; }
for b in "$FLEET" "$FLEET_AUDIT" "$GNOMONCTL" "$PG_BIN/initdb"; do
    [ -x "$b" ] || { echo "audit-db-bench: $b missing (ninja -C build; tools/deps.sh test)" >&2; exit 2; }
done

NS=adb$$
TMP=$(mktemp -d)
FLEET_PID=
PG_UP=
cleanup() {
    [ -n "$PG_UP" ] && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$TMP/pg/data" -m immediate -w stop >/dev/null 2>&1
    fleet_down
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fleet_up "$FLEET" "$TMP"

# The device list and its truth.
"$FLEET_AUDIT" -T -n "$N" >"$TMP/truth"
awk 'BEGIN { print "name,address" } { printf "d%05d,%s\n", NR, $1 }' "$TMP/truth" >"$TMP/devices.csv"

# PostgreSQL in the namespace (its loopback), its own data directory.
mkdir "$TMP/pg"
chown postgres "$TMP/pg"
chmod 711 "$TMP"
runuser -u postgres -- "$PG_BIN/initdb" -D "$TMP/pg/data" -A trust -U gnomon --no-sync >/dev/null
ip netns exec "$NS" runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$TMP/pg/data" -l "$TMP/pg/log" -w \
    -o "-p 55999 -k $TMP/pg -c listen_addresses=127.0.0.1" start >/dev/null
PG_UP=1

check() {   # check NAME OUT.csv: statuses against the truth
    /usr/bin/python3 - "$TMP/truth" "$2" "$1" <<'PY'
import csv, sys
truth = {}
for i, line in enumerate(open(sys.argv[1]), 1):
    addr, status = line.split()[:2]
    truth["d%05d" % i] = status
got = {r["name"]: r["status"] for r in csv.DictReader(open(sys.argv[2]))}
exact = sum(1 for n, s in truth.items() if got.get(n) == s)
print("%-11s exact %d / %d" % (sys.argv[3], exact, len(truth)))
PY
}

for db in "$TMP/audit.db" "postgresql://gnomon@127.0.0.1:55999/postgres"; do
    name=sqlite; case $db in postgresql*) name=postgresql ;; esac
    ip netns exec "$NS" "$GNOMONCTL" audit import --db "$db" "$TMP/devices.csv" >/dev/null
    echo "== gnomonctl audit run --db ($name): $N devices, defaults (4 samples 2 s apart, 5000/s)"
    t0=$(date +%s.%N)
    rc=0
    ip netns exec "$NS" "$GNOMONCTL" audit run --db "$db" --csv >"$TMP/$name.csv" || rc=$?
    t1=$(date +%s.%N)
    [ "$rc" -le 1 ] || { echo "audit-db-bench: run failed ($rc)" >&2; exit 1; }
    awk -v n="$name" -v a="$t0" -v b="$t1" 'BEGIN { printf "%-11s wall %.2f s (run and store)\n", n, b - a }'
    check "$name" "$TMP/$name.csv"
done
