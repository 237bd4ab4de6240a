#!/usr/bin/env bash
# Re-fetch the vendored uPlot release (www/vendor/) from the npm registry and
# check it against the pinned tarball digest, so the files served by the
# dashboard are exactly the published release and nothing else.
#   tools/vendor-uplot.sh          fetch, verify, copy into www/vendor/
#   tools/vendor-uplot.sh --check  fetch, verify, and compare with www/vendor/
set -euo pipefail

VERSION=1.6.32
# sha256 of uplot-$VERSION.tgz as the registry serves it (npm pack)
TGZ_SHA256=4b8a8191e425658e3ea8c8c1314b0fc679c861ee3a1af2b20c7b16ba50b5133d

repo=$(cd "$(dirname "$0")/.." && pwd)
dest="$repo/www/vendor"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent "uplot@$VERSION" >/dev/null)
tgz="$tmp/uplot-$VERSION.tgz"
echo "$TGZ_SHA256  $tgz" | sha256sum -c --quiet - || {
	echo "uplot-$VERSION.tgz does not match the pinned sha256" >&2
	exit 1
}
tar -xzf "$tgz" -C "$tmp"

files=(dist/uPlot.iife.min.js dist/uPlot.min.css LICENSE)
if [ "${1:-}" = --check ]; then
	rc=0
	for f in "${files[@]}"; do
		b=$(basename "$f")
		[ "$b" = LICENSE ] && b=uPlot.LICENSE
		cmp -s "$tmp/package/$f" "$dest/$b" || { echo "differs: www/vendor/$b" >&2; rc=1; }
	done
	[ $rc -eq 0 ] && echo "www/vendor matches uplot $VERSION"
	exit $rc
fi

mkdir -p "$dest"
cp "$tmp/package/dist/uPlot.iife.min.js" "$tmp/package/dist/uPlot.min.css" "$dest/"
cp "$tmp/package/LICENSE" "$dest/uPlot.LICENSE"
echo "uplot $VERSION" > "$dest/VERSION"
echo "www/vendor: uplot $VERSION installed"
