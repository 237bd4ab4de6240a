#!/usr/bin/env bash
# Run every fuzz target for a bounded time on its corpus, two at a time
# (FUZZ_JOBS; the CI machine has two cores).
#   tests/fuzz/run.sh BUILD_DIR SECONDS
set -euo pipefail
build=${1:-build-fuzz}
secs=${2:-30}
jobs=${FUZZ_JOBS:-2}
here=$(cd "$(dirname "$0")" && pwd)

# One target; its report is printed in one piece when it is done.
run_one() {
	local t=$1 work rc=0
	work=$(mktemp -d)
	cp -r "$here/corpus/$t/." "$work/" 2>/dev/null || true
	"$build/tests/fuzz/fuzz_$t" -max_total_time="$secs" -max_len=2048 -timeout=10 \
		-artifact_prefix="$here/crash-$t-" "$work" >"$work.log" 2>&1 || rc=$?
	if [ $rc -ne 0 ]; then
		{ echo "fuzz_$t (${secs}s) FAILED:"; tail -40 "$work.log"; } | cat
	else
		echo "fuzz_$t (${secs}s): $(grep -E "^(#[0-9]+.*DONE|Done)" "$work.log" | tail -1 || tail -1 "$work.log")"
	fi
	rm -rf "$work" "$work.log"
	return $rc
}
export -f run_one
export build secs here

printf '%s\n' ntp_pkt conf ctl query ntp_resp keyfile gw_msg gw_text gw_gate gw_state ntp_btab \
	http_query snmp audit_ntp audit_time audit_http audit_icmp audit_csv audit_target sb_msg \
	ptp_msg | xargs -P "$jobs" -I{} bash -c 'run_one "$1"' _ {}
