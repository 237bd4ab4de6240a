#!/usr/bin/env bash
# bench/accuracy/run.sh - clock accuracy through an impaired network:
# gnomond vs chronyd as NTP clients of the same upstream, side by side in
# one run, neither touching the machine clock (see bench/README.md).
#
# The work is done by accuracy.py next to this file; it needs Debian's
# /usr/bin/python3 (standard library only). All options are passed on.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec /usr/bin/python3 "$HERE/accuracy.py" "$@"
