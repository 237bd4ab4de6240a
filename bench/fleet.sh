# fleet.sh - sourced by the audit benchmarks (audit-bench.sh,
# audit-db-bench.sh, audit-svc-bench.sh): the simulated fleet they measure.
#
# fleet_up FLEET TMP: network namespace $NS, in which all of
# 198.18.0.0/16 is a local address (AnyIP), and one `fleet` process
# (tests/tools/fleet.h) answering NTP on every one of them; its output in
# TMP/fleet.out and TMP/fleet.err, its pid in FLEET_PID. Exits the script
# when the fleet does not come up within 5 s.
# fleet_down: stop the fleet and delete the namespace (for the EXIT trap).

fleet_up() {
    ip netns add "$NS"
    ip -n "$NS" link set lo up
    ip -n "$NS" route add local 198.18.0.0/16 dev lo
    ip netns exec "$NS" "$1" >"$2/fleet.out" 2>"$2/fleet.err" &
    FLEET_PID=$!
    for _ in $(seq 50); do
        grep -q ready "$2/fleet.out" 2>/dev/null && break
        sleep 0.1
    done
    grep -q ready "$2/fleet.out" || {
        echo "${0##*/}: fleet did not start" >&2
        cat "$2/fleet.err" >&2
        exit 1
    }
}

fleet_down() {
    [ -n "${FLEET_PID:-}" ] && kill "$FLEET_PID" 2>/dev/null && wait "$FLEET_PID" 2>/dev/null
    ip netns del "$NS" 2>/dev/null || true
}
