#!/bin/sh
# meson install script: the default configuration and the key file
# template, only where none exists yet (they are the operator's once
# installed). $1: dist/ in the source tree, $2: the configuration
# directory (sysconfdir/gnomon). Honours DESTDIR.
set -eu
src=$1
dir=${DESTDIR:-}$2
mkdir -p "$dir"
chmod 0755 "$dir"
if [ ! -e "$dir/gnomond.conf" ]; then
	install -m 0644 "$src/gnomond.conf" "$dir/gnomond.conf"
	echo "Installing $src/gnomond.conf to $dir/gnomond.conf"
else
	echo "Keeping $dir/gnomond.conf"
fi
if [ ! -e "$dir/keys" ]; then
	# Secrets: nobody but root reads it until the package (or the
	# operator) gives it to the group gnomon (gnomond(8), FILES).
	install -m 0600 "$src/keys" "$dir/keys"
	echo "Installing $src/keys to $dir/keys (mode 0600)"
else
	echo "Keeping $dir/keys"
fi
