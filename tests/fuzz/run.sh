#!/usr/bin/env bash
# Run every fuzz target for a bounded time on its corpus.
#   tests/fuzz/run.sh BUILD_DIR SECONDS
set -euo pipefail
build=${1:-build-fuzz}
secs=${2:-30}
here=$(cd "$(dirname "$0")" && pwd)
fail=0
for t in ntp_pkt conf ctl query ntp_resp keyfile gw_msg gw_text gw_gate gw_state ntp_btab http_query snmp \
	 audit_ntp audit_time audit_http audit_icmp audit_csv audit_target sb_msg ptp_msg; do
	work=$(mktemp -d)
	cp -r "$here/corpus/$t/." "$work/" 2>/dev/null || true
	echo "fuzz_$t: ${secs}s"
	if ! "$build/tests/fuzz/fuzz_$t" -max_total_time="$secs" -max_len=2048 -timeout=10 \
		-artifact_prefix="$here/crash-$t-" "$work" >"$work.log" 2>&1; then
		echo "fuzz_$t FAILED:"; tail -40 "$work.log"; fail=1
	else
		grep -E "^(#[0-9]+.*DONE|Done)" "$work.log" | tail -1 || tail -2 "$work.log"
	fi
	rm -rf "$work" "$work.log"
done
exit $fail
