#!/bin/bash
# gnomond vs chronyd as NTP clients under clknetsim (mlichvar/clknetsim),
# the LD_PRELOAD clock and network simulator of chrony's test suite.
#
#   bench/clknetsim-bench.sh CLKNETSIM_DIR [options]
#
# CLKNETSIM_DIR holds a build of clknetsim (`make` there: clknetsim.so and
# the clknetsim server). Each scenario runs, for every seed, one simulation
# with gnomond as the client (node 2) and one with chronyd as the client,
# both of the same server (node 1: chronyd `local stratum 1`, or gnomond
# with --server gnomond), with the same network and clock expressions and
# the same CLKNETSIM_RANDOM_SEED. The simulator's own log of each client's
# true clock error gives RMS and maximum error after convergence (stats
# reset at --reset s), and its packet log the requests each client sent.
# Printed: both, and the ratio gnomond/chronyd. The check: in every
# scenario gnomond sends no more requests than chronyd (polling faster is
# not an accuracy win); exit status 1 if it does not.
#
# Safety: the daemons' clocks are clknetsim's. The script refuses to start
# unless clknetsim.so interposes every clock-setting call the daemons make,
# and runs every daemon without CAP_SYS_TIME (setpriv), so a call that
# escaped the simulator would fail with EPERM instead of touching this
# machine's clock. Network: clknetsim's own, no real packet is sent.
set -u

usage() {
	cat <<EOF
usage: $0 CLKNETSIM_DIR [--seeds N] [--limit S] [--reset S] [--poll N]
          [--server chronyd|gnomond] [--scenario NAME]... [--conv S] [--no-iburst] [--keep]
  --seeds N      seeds 1..N per scenario (default 5)
  --limit S      simulated seconds per run (default 40000)
  --reset S      statistics start at S, after convergence (default 4000)
  --poll N       minpoll = maxpoll = N for both clients (default: their defaults)
  --server X     the server's daemon (default chronyd)
  --scenario X   only these scenarios (repeatable): $(echo "${!SCEN[@]}" | tr ' ' '\n' | sort | tr '\n' ' ')
  --conv S       convergence: |error| below S for the rest of the run
                 (default: the scenario's, 1 ms; 2 ms asym; 5 ms jitter)
  --no-iburst    both clients without iburst (first update at the poll's pace)
  --keep         keep the temporary directory (logs of every run)
environment: GNOMOND (default build/gnomond), CHRONYD (default /usr/sbin/chronyd)
EOF
	exit 2
}

# Scenarios, chrony test-suite style: base delay, jitter (exponential),
# jitter asymmetry, frequency wander, initial offset and frequency error
# (chrony's defaults: 0.1 s and 100 ppm off, no makestep for either), and
# the error bound that counts as converged (a few times the jitter).
#   name     base   jitter asym  wander offset freq  conv
declare -A SCEN=(
	[lan]="   1e-4   1e-5   0.0   1e-9   0.1    1e-4  1e-3"
	[jitter]="1e-4   1e-3   0.0   1e-9   0.1    1e-4  5e-3"
	[asym]="  1e-4   5e-4   0.47  1e-9   0.1    1e-4  2e-3"
	[wander]="1e-4   1e-5   0.0   1e-7   0.1    1e-4  1e-3"
	[quiet]=" 1e-4   1e-6   0.0   0      0.1    1e-4  1e-4"
)
SCEN_ORDER="lan jitter asym wander quiet"

[ $# -ge 1 ] || usage
CS=$1
shift
SEEDS=5 LIMIT=40000 RESET=4000 POLL="" SERVER=chronyd ONLY="" CONV="" KEEP=0 IBURST=iburst
while [ $# -gt 0 ]; do
	case $1 in
	--seeds) SEEDS=$2; shift ;;
	--limit) LIMIT=$2; shift ;;
	--reset) RESET=$2; shift ;;
	--poll) POLL=$2; shift ;;
	--server) SERVER=$2; shift ;;
	--scenario) ONLY="$ONLY $2"; shift ;;
	--conv) CONV=$2; shift ;;
	--no-iburst) IBURST="" ;;
	--keep) KEEP=1 ;;
	*) usage ;;
	esac
	shift
done
[ -n "$ONLY" ] && SCEN_ORDER=$ONLY
for s in $SCEN_ORDER; do
	[ -n "${SCEN[$s]:-}" ] || { echo "unknown scenario $s" >&2; usage; }
done
case $SERVER in chronyd|gnomond) ;; *) usage ;; esac

ROOT=$(cd "$(dirname "$0")/.." && pwd)
GNOMOND=${GNOMOND:-$ROOT/build/gnomond}
CHRONYD=${CHRONYD:-/usr/sbin/chronyd}
CS=$(cd "$CS" 2>/dev/null && pwd) || { echo "no directory $1" >&2; exit 2; }
for f in "$CS/clknetsim" "$CS/clknetsim.so" "$GNOMOND" "$CHRONYD"; do
	[ -e "$f" ] || { echo "missing $f" >&2; exit 2; }
done
# Every call through which either daemon sets or adjusts the clock must be
# the simulator's, or nothing runs.
for sym in clock_adjtime adjtimex ntp_adjtime adjtime settimeofday clock_settime \
	   clock_gettime poll select socket fcntl recvmsg sendmsg; do
	nm -D --defined-only "$CS/clknetsim.so" | grep -qw "$sym" ||
		{ echo "$CS/clknetsim.so does not interpose $sym: refusing to run" >&2; exit 2; }
done
# The two known traps (DESIGN.md): a gnomond that calls fcntl64 bypasses
# the simulator's fcntl.
if nm -D "$GNOMOND" | grep -qw fcntl64; then
	echo "$GNOMOND imports fcntl64, which clknetsim does not interpose" >&2
	exit 2
fi
NOSYS=(setpriv --bounding-set -sys_time --inh-caps -sys_time --ambient-caps -sys_time --)
CS_COMMIT=$(git -C "$CS" rev-parse --short HEAD 2>/dev/null || echo "unknown (not a git tree)")

TMP=$(mktemp -d /tmp/gnomon-csbench-XXXXXX)
# The simulation and daemons of the current run, stopped by process id on
# any exit (the simulation runs in the background and the script waits for
# it, so an interrupt is handled at once).
PIDS=""
cleanup() {
	local p
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	[ -n "$PIDS" ] && sleep 0.2
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	[ $KEEP = 1 ] && echo "logs kept in $TMP" >&2 || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# node1 server, node2 client; delays up (2->1) and down (1->2).
write_net() {
	local dir=$1 base jitter asym wander offset freq up down
	read -r base jitter asym wander offset freq _ <<<"${SCEN[$2]}"
	up=$(awk "BEGIN {print 1 - 2 * $asym}")
	down=$(awk "BEGIN {print 1 + 2 * $asym}")
	cat >"$dir/net.conf" <<-EOF
		node2_offset = $offset
		node2_freq = (+ $freq (sum (* $wander (normal))))
		node2_delay1 = (+ $base (* $up $jitter (exponential)))
		node1_delay2 = (+ $base (* $down $jitter (exponential)))
	EOF
}

# argv of a daemon in role server|client, config in $dir.
daemon_argv() {
	local dir=$1 daemon=$2 role=$3 node=$4 opts=""
	[ -n "$POLL" ] && opts="minpoll $POLL maxpoll $POLL"
	if [ "$daemon" = chronyd ]; then
		{
			echo "pidfile $dir/chronyd.$node.pid"
			echo "cmdport 0"
			echo "bindcmdaddress /"
			if [ "$role" = server ]; then
				echo "local stratum 1"
				echo "allow"
			else
				echo "port 0"
				echo "server 192.168.123.1 $IBURST $opts"
			fi
		} >"$dir/chrony.$node.conf"
		echo "$CHRONYD -d -f $dir/chrony.$node.conf"
	else
		# seccomp off: clknetsim's syscall() knows only a few system call
		# numbers (chronyd's own filter is off in chrony's simulations too).
		# The control socket cannot exist in the simulator: gnomond warns
		# and runs without it.
		{
			echo "workers 0"
			echo "seccomp off"
			echo "control $dir/gnomond.$node.sock"
			echo "statedir $dir/state.$node"
			if [ "$role" = server ]; then
				# IPv4 only: the simulated network has no IPv6 unless
				# CLKNETSIM_IP_FAMILY=6, and the default `::` fails.
				echo "bindaddress 0.0.0.0"
				echo "clock null"
				echo "local stratum 1"
				echo "allow all"
			else
				echo "clock system"
				echo "port 0"
				echo "server 192.168.123.1 $IBURST $opts"
				# GNOMOND_CLIENT_CONF: more client lines (a study's
				# `logdir`/`log`, with --keep), never in the figures.
				[ -z "${GNOMOND_CLIENT_CONF:-}" ] || printf '%b\n' "$GNOMOND_CLIENT_CONF"
			fi
		} >"$dir/gnomond.$node.conf"
		echo "$GNOMOND -n -f $dir/gnomond.$node.conf"
	fi
}

# run_one SCENARIO SEED CLIENT -> "rms max mean conv requests" in $dir/result
run_one() {
	local scen=$1 seed=$2 client=$3 dir p1 p2 sim rc stats conv n
	conv=${CONV:-$(awk '{print $7}' <<<"${SCEN[$scen]}")}
	dir=$TMP/$scen.$seed.$client
	mkdir -p "$dir"
	write_net "$dir" "$scen"
	export CLKNETSIM_SOCKET=$dir/sock CLKNETSIM_RANDOM_SEED=$seed
	# setpriv before LD_PRELOAD: the preloaded library connects to the
	# server in every process it is loaded into, setpriv included.
	"${NOSYS[@]}" env LD_PRELOAD="$CS/clknetsim.so" CLKNETSIM_NODE=1 \
		$(daemon_argv "$dir" "$SERVER" server 1) >"$dir/log.1" 2>&1 &
	p1=$!
	"${NOSYS[@]}" env LD_PRELOAD="$CS/clknetsim.so" CLKNETSIM_NODE=2 \
		$(daemon_argv "$dir" "$client" client 2) >"$dir/log.2" 2>&1 &
	p2=$!
	PIDS="$p1 $p2"
	timeout 600 "$CS/clknetsim" -s "$dir/sock" -o "$dir/log.offset" -p "$dir/log.packets" \
		-l "$LIMIT" -r "$RESET" "$dir/net.conf" 2 >"$dir/stats" 2>"$dir/log" &
	sim=$!
	PIDS="$sim $p1 $p2"
	wait $sim
	rc=$?
	kill $p1 $p2 2>/dev/null
	wait $p1 $p2 2>/dev/null
	PIDS=""
	# Both daemons must have run to the end of the simulation: they exit
	# (with a log line saying so) only when the simulator stops.
	if [ $rc -ne 0 ] || grep -q "failed" "$dir/log" ||
	   ! grep -q "exiting" "$dir/log.1" || ! grep -q "exiting" "$dir/log.2"; then
		echo "$scen seed $seed: simulation with $client failed (clknetsim rc $rc):" >&2
		tail -n 5 "$dir/log" "$dir/log.1" "$dir/log.2" >&2
		return 1
	fi
	# requests: NTP packets from the client (node 2) to the server's port;
	# none means the client never got its socket working in the simulator
	# (a gnomond calling fcntl64 logged EBADF and ran without a source).
	n=$(awk '$2 == 2 && $3 == 1 && $6 == 123 { n++ } END { print n + 0 }' "$dir/log.packets")
	if [ "$n" -eq 0 ]; then
		echo "$scen seed $seed: $client sent no request:" >&2
		tail -n 5 "$dir/log.2" >&2
		return 1
	fi
	stats=$(sed -n '/Node 2/,$p' "$dir/stats")
	awk -v conv="$conv" -v stats="$stats" -v n="$n" '
		BEGIN { last = -1; t = 0 }
		{ o = $2 < 0 ? -$2 : $2; if (o >= conv) last = t; t++ }
		END {
			split(stats, l, "\n")
			for (i in l) {
				split(l[i], f, "\t")
				if (f[1] ~ /^RMS offset/) rms = f[2]
				if (f[1] ~ /^Maximum absolute offset/) max = f[2]
				if (f[1] ~ /^Mean offset/) mean = f[2]
			}
			printf "%s %s %s %d %d\n", rms, max, mean, last + 1, n
		}' "$dir/log.offset" >"$dir/result"
}

echo "clknetsim $CS_COMMIT ($CS); gnomond $GNOMOND; $($CHRONYD -v 2>&1 | head -1 | cut -d' ' -f1-4)"
if [ -n "$CONV" ]; then convd="$CONV s"; else convd="each scenario's bound"; fi
if [ -n "$POLL" ]; then polling="minpoll = maxpoll = $POLL"; else polling="each client's default"; fi
echo "server: $SERVER local stratum 1; $LIMIT s per run, statistics from $RESET s; seeds 1..$SEEDS;" \
	"polling: $polling, ${IBURST:-no iburst}; converged: |error| below $convd to the end"
echo
printf "%-8s %4s %-8s %10s %10s %10s %8s %8s\n" scenario seed client "rms_us" "max_us" "mean_us" "conv_s" requests
FAILED=0
SUMMARY=""
for scen in $SCEN_ORDER; do
	rows=""
	for seed in $(seq 1 "$SEEDS"); do
		for client in gnomond chronyd; do
			run_one "$scen" "$seed" "$client" || exit 1
			r=$(cat "$TMP/$scen.$seed.$client/result")
			rows+="$client $r"$'\n'
			awk -v s="$scen" -v seed="$seed" -v c="$client" '{
				printf "%-8s %4d %-8s %10.2f %10.2f %10.2f %8d %8d\n",
					s, seed, c, $1 * 1e6, $2 * 1e6, $3 * 1e6, $4, $5 }' <<<"$r"
		done
	done
	# Over the seeds: RMS of the RMS errors (equal durations), the worst
	# maximum, the median convergence time, requests summed.
	line=$(awk -v s="$scen" '
		NF == 6 {
			n[$1]++; ss[$1] += $2 * $2
			if ($3 > mx[$1]) mx[$1] = $3
			cv[$1, n[$1]] = $5; rq[$1] += $6
		}
		function median(c,   i, j, t, a, k) {
			k = n[c]; for (i = 1; i <= k; i++) a[i] = cv[c, i]
			for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++)
				if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
			return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
		}
		function ratio(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "inf" }
		END {
			g = "gnomond"; c = "chronyd"
			rg = sqrt(ss[g] / n[g]) * 1e6; rc = sqrt(ss[c] / n[c]) * 1e6
			printf "%-8s %8.2f %8.2f %6s | %8.2f %8.2f %6s | %7.0f %7.0f %6s | %7d %7d %6s | %s\n",
				s, rg, rc, ratio(rg, rc), mx[g] * 1e6, mx[c] * 1e6, ratio(mx[g], mx[c]),
				median(g), median(c), ratio(median(g), median(c)),
				rq[g], rq[c], ratio(rq[g], rq[c]),
				rq[g] <= rq[c] ? "ok" : "FAIL: gnomond sends more requests"
		}' <<<"$rows")
	SUMMARY+="$line"$'\n'
	grep -q FAIL <<<"$line" && FAILED=1
done
echo
echo "gnomond/chronyd over the seeds: RMS of the per-run RMS error, worst error, median convergence time, requests (sum)"
printf "%-8s %8s %8s %6s | %8s %8s %6s | %7s %7s %6s | %7s %7s %6s | %s\n" scenario \
	"rms_g" "rms_c" ratio "max_g" "max_c" ratio "conv_g" "conv_c" ratio "req_g" "req_c" ratio "requests check"
printf "%s" "$SUMMARY"
exit $FAILED
