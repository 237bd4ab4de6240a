#!/usr/bin/env bash
# server-bench.sh - NTP server throughput and CPU cost: gnomond vs chronyd,
# run side by side in one script on loopback (see bench/README.md).
#
# Figures on a shared 2-core VM are only meaningful as ratios against a
# real peer measured in the same run, so every phase runs both servers
# with identical load, alternating their order between rounds.
#
# Neither daemon can touch the system clock: both run under setpriv with
# CAP_SYS_TIME removed from every capability set, gnomond uses `clock null`
# and chronyd runs with -x.
#
# Result arrays are read through a nameref, which shellcheck cannot follow:
# shellcheck disable=SC2034
set -euo pipefail
export LC_ALL=C   # a decimal point in $EPOCHREALTIME and awk output

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# ---- settings (environment, overridable by flags) -------------------------
GNOMOND=${GNOMOND:-$ROOT/build/gnomond}
GNOMONCTL=${GNOMONCTL:-$ROOT/build/gnomonctl}
CHRONYD=${CHRONYD:-/usr/sbin/chronyd}
LOADGEN=${LOADGEN:-}
SAT_DURATION=${BENCH_DURATION:-10}
ROUNDS=${BENCH_ROUNDS:-2}
RATE=${BENCH_RATE:-50000}
PACED_DURATION=${BENCH_PACED_DURATION:-10}
SOCKETS=${BENCH_SOCKETS:-8}
WINDOW=${BENCH_WINDOW:-8}
THREADS=${BENCH_THREADS:-1}
# gnomond's default (no `workers` line: `workers auto`, one worker per
# usable CPU less one, so one on this 2-core machine), which is what an
# operator gets; --workers N sets the directive (0: the main loop's path).
WORKERS=${BENCH_WORKERS:-default}
ADDR=${BENCH_ADDR:-127.0.0.1}
GNOMOND_PORT=${BENCH_GNOMOND_PORT:-11124}
CHRONYD_PORT=${BENCH_CHRONYD_PORT:-11123}
ONLY=${BENCH_ONLY:-both}
# Scrape gnomond's /metrics this many times a second during its runs (0:
# no HTTP server); issue 9 asks that this leaves the ratio unchanged.
SCRAPE=${BENCH_SCRAPE:-0}
HTTP_PORT=${BENCH_HTTP_PORT:-11180}
XLEAVE=${BENCH_XLEAVE:-0}
SOCKETS_SET=${BENCH_SOCKETS:+1}
WINDOW_SET=${BENCH_WINDOW:+1}
SCRAPE_PID=

NOCLOCK=(setpriv --bounding-set -sys_time --inh-caps -sys_time --ambient-caps -sys_time --)

usage() {
    cat <<EOF
usage: bench/server-bench.sh [options]
  --only gnomond|chronyd|both  servers to run (default both; env BENCH_ONLY)
  --duration SEC        saturation run length per server and round (default 10; BENCH_DURATION)
  --rounds N            saturation rounds, order alternates (default 2; BENCH_ROUNDS)
  --rate R              paced offered rate, requests/s (default 50000; BENCH_RATE)
  --paced-duration SEC  paced run length per server (default 10; BENCH_PACED_DURATION)
  --sockets N           loadgen sockets (default 8; BENCH_SOCKETS)
  --window N            saturation in-flight window per socket (default 8; BENCH_WINDOW)
  --threads N           loadgen threads (default 1; BENCH_THREADS)
  --workers N|auto      gnomond 'workers' directive (default: none, gnomond's default,
                        workers auto; BENCH_WORKERS)
  --addr ADDR           loopback address both servers bind (default 127.0.0.1; BENCH_ADDR)
  --scrape N            scrape gnomond's /metrics N times a second during its runs
                        (gnomond serves http on 127.0.0.1:BENCH_HTTP_PORT, 11180; BENCH_SCRAPE)
  --xleave              interleaved clients (RFC 9769): loadgen --xleave, each socket its
                        own client address 127.77.X.Y, with 64 sockets and window 1
                        unless --sockets/--window say otherwise (BENCH_XLEAVE=1)
  --quick               2 s runs, 1 round: a smoke test
Binaries: GNOMOND (build/gnomond), GNOMONCTL (build/gnomonctl), CHRONYD
(/usr/sbin/chronyd), LOADGEN (default build/bench/loadgen, compiled with cc
if missing or older than bench/loadgen.c). Ports: BENCH_GNOMOND_PORT (11124),
BENCH_CHRONYD_PORT (11123).
Exit status: 0 ok; 1 a server failed to start, died, or sent invalid replies.
EOF
}

while [ $# -gt 0 ]; do
    case $1 in
    --only) ONLY=$2; shift ;;
    --duration) SAT_DURATION=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --rate) RATE=$2; shift ;;
    --paced-duration) PACED_DURATION=$2; shift ;;
    --sockets) SOCKETS=$2; SOCKETS_SET=1; shift ;;
    --window) WINDOW=$2; WINDOW_SET=1; shift ;;
    --threads) THREADS=$2; shift ;;
    --workers) WORKERS=$2; shift ;;
    --addr) ADDR=$2; shift ;;
    --scrape) SCRAPE=$2; shift ;;
    --quick) SAT_DURATION=2; ROUNDS=1; PACED_DURATION=2 ;;
    --xleave) XLEAVE=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "server-bench: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

XLEAVE_ARGS=()
if [ "$XLEAVE" = 1 ]; then
    # A server keeps one exchange per client: one request in flight each.
    [ -n "$SOCKETS_SET" ] || SOCKETS=64
    [ -n "$WINDOW_SET" ] || WINDOW=1
    XLEAVE_ARGS=(-X)
fi

case $ONLY in
both) SERVERS=(gnomond chronyd) ;;
gnomond|chronyd) SERVERS=("$ONLY") ;;
*) echo "server-bench: --only takes gnomond, chronyd or both" >&2; exit 2 ;;
esac

log() { echo "server-bench: $*" >&2; }
die() { log "error: $*"; exit 1; }

# ---- process bookkeeping and clean-up -------------------------------------
TMP=$(mktemp -d /tmp/gnomon-bench.XXXXXX)
# chronyd drops to user _chrony and must still reach its files in here.
chmod 755 "$TMP"
declare -A PID=()
LG_PID=
FAILED=0

# shellcheck disable=SC2317  # only reached through the trap
cleanup() {
    local name pid
    if [ -n "$LG_PID" ]; then
        kill -KILL "$LG_PID" 2>/dev/null || true
        wait "$LG_PID" 2>/dev/null || true
    fi
    stop_scraper
    for name in "${!PID[@]}"; do
        pid=${PID[$name]}
        kill -TERM "$pid" 2>/dev/null || true
    done
    for name in "${!PID[@]}"; do
        pid=${PID[$name]}
        for _ in $(seq 30); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- helpers ---------------------------------------------------------------
# Float arithmetic; bash has none.  The parentheses matter: a bare '>'
# in an awk printf would be an output redirection to a file.
calc() { awk "BEGIN { printf \"%.${2:-2}f\", ($1) }"; }

# Value of key=VALUE in a loadgen RESULT line.
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

# utime+stime of a whole process (all threads, live and exited) in ticks.
# The comm field may contain spaces, so cut everything up to its ')'.
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# "pid ticks" for every user-space process except the servers under test.
# Kernel threads (pid 2 and its children) are left out: ksoftirqd work is
# caused by our own traffic.  cat carries on past processes that vanish.
cpu_snapshot() {
    cat /proc/[0-9]*/stat 2>/dev/null | awk -v skip=" ${PID[*]} " '{
        pid = $1; sub(/^.*\) /, "")
        if (pid == 2 || $2 == 2 || index(skip, " " pid " ")) next
        print pid, $12 + $13 }'
}

# CPU seconds used, between two snapshots, by processes present in both:
# other sessions' tests and fuzzers, which would skew the figures.
other_cpu_s() {
    awk -v hz="$(getconf CLK_TCK)" 'NR == FNR { t[$1] = $2; next }
        ($1 in t) { sum += $2 - t[$1] } END { printf "%.2f", sum / hz }' "$1" "$2"
}

# Datagrams the kernel dropped because a UDP receive buffer was full
# (IPv4 + IPv6, whole machine).  Lost requests that show up here were
# dropped before the server could read them.
rcvbuf_errors() {
    local v4 v6
    v4=$(awk '/^Udp:/ { if (!c) { for (i = 2; i <= NF; i++) if ($i == "RcvbufErrors") c = i }
                        else { print $c; exit } }' /proc/net/snmp)
    v6=$(awk '$1 == "Udp6RcvbufErrors" { print $2 }' /proc/net/snmp6 2>/dev/null || true)
    echo $(( ${v4:-0} + ${v6:-0} ))
}

status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

port_of() { if [ "$1" = gnomond ]; then echo "$GNOMOND_PORT"; else echo "$CHRONYD_PORT"; fi; }

alive() { kill -0 "${PID[$1]}" 2>/dev/null; }

declare -A DEATH_REPORTED=()
report_death() {
    FAILED=1
    [ -z "${DEATH_REPORTED[$1]:-}" ] || return 0
    DEATH_REPORTED[$1]=1
    log "$1 (pid ${PID[$1]}) died; last lines of its log:"
    tail -n 20 "$TMP/$1.log" >&2 || true
}

ensure_loadgen() {
    local src=$ROOT/bench/loadgen.c
    if [ -z "$LOADGEN" ]; then
        LOADGEN=$ROOT/build/bench/loadgen
        if [ ! -x "$LOADGEN" ] || [ "$src" -nt "$LOADGEN" ]; then
            mkdir -p "$(dirname "$LOADGEN")"
            log "building $LOADGEN"
            cc -O2 -Wall -Wextra -o "$LOADGEN" "$src" -lpthread
        fi
    fi
    [ -x "$LOADGEN" ] || die "loadgen not found at $LOADGEN"
}

check_port_free() {
    if ss -Huln "sport = :$1" | grep -q .; then
        die "UDP port $1 is already in use (set BENCH_GNOMOND_PORT/BENCH_CHRONYD_PORT)"
    fi
}

# Loopback clients allowed; IPv6 too in case --addr ::1 is used.
write_gnomond_conf() {
    cat >"$TMP/gnomond.conf" <<EOF
port $GNOMOND_PORT
bindaddress $ADDR
allow 127.0.0.0/8
allow ::1
local stratum 10
clock null
control $TMP/gnomond.sock
EOF
    if [ "$WORKERS" != default ]; then
        echo "workers $WORKERS" >>"$TMP/gnomond.conf"
    fi
    if [ "$SCRAPE" != 0 ]; then
        echo "http 127.0.0.1:$HTTP_PORT" >>"$TMP/gnomond.conf"
    fi
}

# A scraper like Prometheus at SCRAPE per second: one process holding one
# keep-alive connection, as Prometheus does (a process started per scrape
# would measure its own start-up, on the cores the benchmark saturates).
start_scraper() {
    [ "$SCRAPE" != 0 ] || return 0
    python3 - "$HTTP_PORT" "$SCRAPE" <<'PY' &
import http.client, sys, time
port, rate = int(sys.argv[1]), float(sys.argv[2])
c = None
while True:
    t = time.monotonic()
    try:
        if c is None:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        c.request("GET", "/metrics")
        c.getresponse().read()
    except (OSError, http.client.HTTPException):
        c = None
    time.sleep(max(0.0, 1 / rate - (time.monotonic() - t)))
PY
    SCRAPE_PID=$!
}

stop_scraper() {
    if [ -n "$SCRAPE_PID" ]; then
        kill -TERM "$SCRAPE_PID" 2>/dev/null || true
        wait "$SCRAPE_PID" 2>/dev/null || true
        SCRAPE_PID=
    fi
}

# No ratelimit directive: chronyd then answers every request.  cmdport 0
# and bindcmdaddress / disable both command channels; no driftfile.
write_chronyd_conf() {
    cat >"$TMP/chronyd.conf" <<EOF
port $CHRONYD_PORT
bindaddress $ADDR
allow 127.0.0.0/8
allow ::1
local stratum 10
cmdport 0
bindcmdaddress /
pidfile $TMP/chronyd.pid
EOF
}

# Polls the server with a tiny paced loadgen run until it answers.
wait_ready() {
    local name=$1 port
    port=$(port_of "$name")
    for _ in $(seq 50); do
        alive "$name" || { report_death "$name"; die "$name did not start"; }
        if "$LOADGEN" -H "$ADDR" -p "$port" -s 1 -t 1 -r 200 -d 0.1 -D 0.2 -q >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.2
    done
    die "$name does not answer on $ADDR port $port (log: $(tail -n 5 "$TMP/$name.log"))"
}

start_server() {
    local name=$1
    check_port_free "$(port_of "$name")"
    if [ "$name" = gnomond ]; then
        [ -x "$GNOMOND" ] || die "$GNOMOND not found (build it, or use --only chronyd)"
        write_gnomond_conf
        if ! "$GNOMOND" --check-config -f "$TMP/gnomond.conf" >"$TMP/check.log" 2>&1; then
            cat "$TMP/check.log" >&2
            die "gnomond rejects the benchmark configuration"
        fi
        "${NOCLOCK[@]}" "$GNOMOND" -n -f "$TMP/gnomond.conf" >"$TMP/gnomond.log" 2>&1 &
    else
        [ -x "$CHRONYD" ] || die "$CHRONYD not found (apt-get install chrony)"
        write_chronyd_conf
        "${NOCLOCK[@]}" "$CHRONYD" -x -d -f "$TMP/chronyd.conf" >"$TMP/chronyd.log" 2>&1 &
    fi
    # setpriv execs the daemon, so $! is the daemon's own pid.
    PID[$name]=$!
    wait_ready "$name"
    log "$name ready: pid ${PID[$name]}, $ADDR port $(port_of "$name")"
}

# Background load above a fifth of one CPU makes the figures doubtful;
# the worst case goes into the summary.
MAX_OTHER_PCT=0
note_background() {
    local pct
    pct=$(calc "100 * $LAST_OTHER / $2" 0)
    if [ "$pct" -gt "$MAX_OTHER_PCT" ]; then MAX_OTHER_PCT=$pct; fi
    if [ "$pct" -gt 20 ]; then
        log "WARNING: other processes used $pct% of a CPU during the $1 run; figures are skewed"
    fi
}

# Runs loadgen against a server; sets LAST_RESULT to its RESULT line and
# LAST_OTHER to the CPU seconds other processes used meanwhile and
# LAST_SDROPS / LAST_CDROPS to the server's and client's receive-buffer
# drops during the run.
run_load() {
    local name=$1 out
    shift
    alive "$name" || { report_death "$name"; return 1; }
    local drops0 t0
    drops0=$(rcvbuf_errors)
    t0=$EPOCHREALTIME
    cpu_snapshot >"$TMP/cpu.before"
    # In the background so a signal's trap runs at once, not after loadgen.
    if [ "$name" = gnomond ]; then start_scraper; fi
    "$LOADGEN" -H "$ADDR" -p "$(port_of "$name")" -s "$SOCKETS" -t "$THREADS" \
        "${XLEAVE_ARGS[@]}" "$@" >"$TMP/loadgen.out" &
    LG_PID=$!
    wait "$LG_PID" || true
    LG_PID=
    stop_scraper
    out=$(cat "$TMP/loadgen.out")
    cpu_snapshot >"$TMP/cpu.after"
    LAST_WALL=$(calc "$EPOCHREALTIME - $t0" 3)
    LAST_DROPS=$(( $(rcvbuf_errors) - drops0 ))
    LAST_OTHER=$(other_cpu_s "$TMP/cpu.before" "$TMP/cpu.after")
    LAST_RESULT=$(grep '^RESULT ' <<<"$out" || true)
    grep -v '^RESULT ' <<<"$out" | sed "s/^loadgen:/  $name:/" >&2 || true
    [ -n "$LAST_RESULT" ] || { log "loadgen printed no RESULT against $name"; FAILED=1; return 1; }
    # Drops loadgen saw on its own sockets are the client's; the rest of
    # the machine-wide count is, in practice, the server's socket.
    LAST_CDROPS=$(field "$LAST_RESULT" client_drops)
    LAST_SDROPS=$(( LAST_DROPS > LAST_CDROPS ? LAST_DROPS - LAST_CDROPS : 0 ))
    log "  $name: client CPU $(field "$LAST_RESULT" client_cpu_s) s, other processes $LAST_OTHER s," \
        "UDP receive-buffer drops: server $LAST_SDROPS, client $LAST_CDROPS"
    note_background "$name" "$LAST_WALL"
    if [ "$XLEAVE" = 1 ]; then
        log "  $name: interleaved replies $(field "$LAST_RESULT" interleaved) of" \
            "$(field "$LAST_RESULT" replies)"
    fi
    if [ "$(field "$LAST_RESULT" invalid)" != 0 ]; then
        log "WARNING: $name sent $(field "$LAST_RESULT" invalid) invalid replies"
        FAILED=1
    fi
    alive "$name" || { report_death "$name"; return 1; }
}

# ---- phases ----------------------------------------------------------------
# The summary reads these through get()'s nameref (see the SC2034 note above).
declare -A SAT_REPLIES=() SAT_SENT=() SAT_LOST=() SAT_INVALID=() SAT_KOD=()
declare -A SAT_MIN=() SAT_MAX=() SAT_RUNS=() SAT_DROPS=() SAT_CDROPS=() RSS=() HWM=()
declare -A P_DROPS=() P_CDROPS=()
declare -A P_RATE=() P_LOST=() P_INVALID=() P_CPU_S=() P_US_PER_REPLY=() P_P50=() P_P99=()

saturation_phase() {
    local round name rate order
    for name in "${SERVERS[@]}"; do
        SAT_REPLIES[$name]=0; SAT_SENT[$name]=0; SAT_LOST[$name]=0
        SAT_INVALID[$name]=0; SAT_KOD[$name]=0; SAT_RUNS[$name]=0
        SAT_DROPS[$name]=0; SAT_CDROPS[$name]=0
        SAT_MIN[$name]=; SAT_MAX[$name]=0
    done
    for round in $(seq "$ROUNDS"); do
        # Alternate the order so slow drifts of the VM hit both servers alike.
        order=("${SERVERS[@]}")
        if [ $((round % 2)) = 0 ] && [ ${#SERVERS[@]} = 2 ]; then
            order=("${SERVERS[1]}" "${SERVERS[0]}")
        fi
        for name in "${order[@]}"; do
            log "saturation round $round/$ROUNDS: $name, $SAT_DURATION s"
            run_load "$name" -d "$SAT_DURATION" -w "$WINDOW" || continue
            rate=$(field "$LAST_RESULT" rate)
            SAT_RUNS[$name]=$((SAT_RUNS[$name] + 1))
            SAT_REPLIES[$name]=$((SAT_REPLIES[$name] + $(field "$LAST_RESULT" replies)))
            SAT_SENT[$name]=$((SAT_SENT[$name] + $(field "$LAST_RESULT" sent)))
            SAT_LOST[$name]=$((SAT_LOST[$name] + $(field "$LAST_RESULT" lost)))
            SAT_INVALID[$name]=$((SAT_INVALID[$name] + $(field "$LAST_RESULT" invalid)))
            SAT_KOD[$name]=$((SAT_KOD[$name] + $(field "$LAST_RESULT" kod)))
            SAT_DROPS[$name]=$((SAT_DROPS[$name] + LAST_SDROPS))
            SAT_CDROPS[$name]=$((SAT_CDROPS[$name] + LAST_CDROPS))
            if [ -z "${SAT_MIN[$name]}" ] || [ "$rate" -lt "${SAT_MIN[$name]}" ]; then
                SAT_MIN[$name]=$rate
            fi
            if [ "$rate" -gt "${SAT_MAX[$name]}" ]; then SAT_MAX[$name]=$rate; fi
            RSS[$name]=$(status_kb "${PID[$name]}" VmRSS)
            HWM[$name]=$(status_kb "${PID[$name]}" VmHWM)
        done
    done
}

paced_phase() {
    local name t0 t1 hz replies
    hz=$(getconf CLK_TCK)
    for name in "${SERVERS[@]}"; do
        alive "$name" || { report_death "$name"; continue; }
        log "paced: $name, $RATE/s offered for $PACED_DURATION s"
        t0=$(cpu_ticks "${PID[$name]}")
        run_load "$name" -d "$PACED_DURATION" -r "$RATE" || continue
        t1=$(cpu_ticks "${PID[$name]}")
        replies=$(field "$LAST_RESULT" replies)
        P_RATE[$name]=$(field "$LAST_RESULT" rate)
        P_LOST[$name]=$(field "$LAST_RESULT" lost)
        P_DROPS[$name]=$LAST_SDROPS
        P_CDROPS[$name]=$LAST_CDROPS
        P_INVALID[$name]=$(field "$LAST_RESULT" invalid)
        P_P50[$name]=$(field "$LAST_RESULT" rtt_p50_us)
        P_P99[$name]=$(field "$LAST_RESULT" rtt_p99_us)
        P_CPU_S[$name]=$(calc "($t1 - $t0) / $hz" 2)
        if [ "$replies" -gt 0 ]; then
            P_US_PER_REPLY[$name]=$(calc "($t1 - $t0) / $hz * 1e6 / $replies" 3)
        else
            P_US_PER_REPLY[$name]=nan
        fi
    done
}

# ---- report ----------------------------------------------------------------
sat_mean() {
    local n=$1
    if [ "${SAT_RUNS[$n]:-0}" -gt 0 ]; then
        calc "${SAT_REPLIES[$n]} / (${SAT_RUNS[$n]} * $SAT_DURATION)" 0
    else
        echo nan
    fi
}

ratio() {
    if [[ $1 =~ ^[0-9.]+$ && $2 =~ ^[0-9.]+$ ]] && [ "$(calc "$2 > 0" 0)" = 1 ]; then
        calc "$1 / $2" 3
    else
        echo n/a
    fi
}

row() { printf '  %-34s %16s %16s %10s\n' "$@"; }

get() { local -n arr=$1; echo "${arr[$2]:-n/a}"; }

summary() {
    local g=gnomond c=chronyd gs cs
    gs=$(sat_mean $g); cs=$(sat_mean $c)
    echo
    echo "==== gnomon server benchmark: $(nproc) CPUs, $ADDR, loadgen $SOCKETS sockets, $THREADS thread(s) ===="
    row "" gnomond chronyd "ratio g/c"
    echo "  saturation: $ROUNDS round(s) x $SAT_DURATION s, window $WINDOW/socket, gnomond workers $WORKERS"
    if [ "$SCRAPE" != 0 ]; then
        echo "  gnomond's /metrics scraped $SCRAPE times a second during its runs"
    fi
    row "replies/s (mean)" "$gs" "$cs" "$(ratio "$gs" "$cs")"
    row "replies/s (min..max)" "$(get SAT_MIN $g)..$(get SAT_MAX $g)" "$(get SAT_MIN $c)..$(get SAT_MAX $c)" ""
    row "lost / sent" "$(get SAT_LOST $g)/$(get SAT_SENT $g)" "$(get SAT_LOST $c)/$(get SAT_SENT $c)" ""
    row "  rcvbuf drops server/client" "$(get SAT_DROPS $g)/$(get SAT_CDROPS $g)" "$(get SAT_DROPS $c)/$(get SAT_CDROPS $c)" ""
    row "invalid replies, KoD" "$(get SAT_INVALID $g), $(get SAT_KOD $g)" "$(get SAT_INVALID $c), $(get SAT_KOD $c)" ""
    row "VmRSS kB after load" "$(get RSS $g)" "$(get RSS $c)" "$(ratio "$(get RSS $g)" "$(get RSS $c)")"
    row "VmHWM kB (peak RSS)" "$(get HWM $g)" "$(get HWM $c)" "$(ratio "$(get HWM $g)" "$(get HWM $c)")"
    echo "  paced: $RATE/s offered for $PACED_DURATION s"
    row "replies/s" "$(get P_RATE $g)" "$(get P_RATE $c)" ""
    row "lost, invalid" "$(get P_LOST $g), $(get P_INVALID $g)" "$(get P_LOST $c), $(get P_INVALID $c)" ""
    row "  rcvbuf drops server/client" "$(get P_DROPS $g)/$(get P_CDROPS $g)" "$(get P_DROPS $c)/$(get P_CDROPS $c)" ""
    row "server CPU s (utime+stime)" "$(get P_CPU_S $g)" "$(get P_CPU_S $c)" "$(ratio "$(get P_CPU_S $g)" "$(get P_CPU_S $c)")"
    row "CPU us per reply (lower=better)" "$(get P_US_PER_REPLY $g)" "$(get P_US_PER_REPLY $c)" "$(ratio "$(get P_US_PER_REPLY $g)" "$(get P_US_PER_REPLY $c)")"
    row "RTT p50 / p99 us" "$(get P_P50 $g) / $(get P_P99 $g)" "$(get P_P50 $c) / $(get P_P99 $c)" ""
    if [ "$MAX_OTHER_PCT" -gt 20 ]; then
        echo "  background load: up to $MAX_OTHER_PCT% of a CPU used by other processes: TOO HIGH, rerun on a quiet machine"
    else
        echo "  background load: up to $MAX_OTHER_PCT% of a CPU used by other processes (ok)"
    fi
    echo "SUMMARY sat_rate_gnomond=$gs sat_rate_chronyd=$cs sat_ratio=$(ratio "$gs" "$cs")" \
         "cpu_us_per_reply_gnomond=$(get P_US_PER_REPLY $g) cpu_us_per_reply_chronyd=$(get P_US_PER_REPLY $c)" \
         "cpu_ratio=$(ratio "$(get P_US_PER_REPLY $g)" "$(get P_US_PER_REPLY $c)")" \
         "rss_kb_gnomond=$(get RSS $g) rss_kb_chronyd=$(get RSS $c)" \
         "background_pct=$MAX_OTHER_PCT failed=$FAILED"
}

# gnomond's own counters, as a cross-check of what loadgen saw.
gnomond_stats() {
    if [ -n "${PID[gnomond]:-}" ] && [ -x "$GNOMONCTL" ] && alive gnomond; then
        echo "gnomond serverstats: $("$GNOMONCTL" -s "$TMP/gnomond.sock" --json serverstats 2>&1 || true)"
    fi
}

main() {
    ensure_loadgen
    for name in "${SERVERS[@]}"; do start_server "$name"; done
    saturation_phase
    paced_phase
    summary
    gnomond_stats
    for name in "${SERVERS[@]}"; do
        alive "$name" || { report_death "$name"; }
    done
    exit "$FAILED"
}

main
