#!/bin/sh
# smilint the MIB modules in mibs/ at level 3 (smitools). smilint exits 0
# even when it reports errors, so any output is a failure.
#   tests/mibs/lint.sh [MIB...]     (default: mibs/GNOMON-MIB.txt mibs/NTPv4-MIB.txt)
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
command -v smilint >/dev/null || { echo "smilint not installed (package smitools)"; exit 77; }
[ $# -gt 0 ] || set -- "$here/mibs/GNOMON-MIB.txt" "$here/mibs/NTPv4-MIB.txt"
# The IETF modules they import ship in mibs/ietf (Debian has them only in the
# non-free snmp-mibs-downloader); NET-SNMP-MIB comes with libsnmp-base.
SMIPATH="$here/mibs/ietf:/usr/share/snmp/mibs"
export SMIPATH
out=$(smilint -l 3 -s -m "$@" 2>&1)
if [ -n "$out" ]; then
	printf '%s\n' "$out"
	exit 1
fi
echo "smilint -l 3: $* clean"
