#!/usr/bin/env bash
# Install the Debian packages gnomon needs, only those missing.
#   tools/deps.sh build   compiler and libraries
#   tools/deps.sh test    build + unit/integration/fuzz test tools and real NTP peers
set -euo pipefail

build_pkgs=(gcc pkg-config meson ninja-build libcap-dev libseccomp-dev libjansson-dev libssl-dev
	    zlib1g-dev libmicrohttpd-dev libsnmp-dev
	    libsqlite3-dev libpq-dev)  # the device audit's store (src/audit/audit_db*.c)
test_pkgs=(libcmocka-dev clang libclang-rt-14-dev chrony ntpsec-ntpdig sntp ntpsec-ntpdate
	   python3 python3-ntplib python3-pytest python3-pytest-xdist iproute2 nftables faketime procps util-linux
	   curl prometheus snmpd snmp snmptrapd smitools
	   libestr0 libfastjson4 liblognorm5
	   chromium  # chromium: the dashboard test (headless, DevTools protocol)
	   keepalived  # the hot-standby test (VRRP), never started as a service
	   linuxptp  # ptp4l and pmc: the PTP tests (free_running, never adjusting a clock)
	   postgresql sqlite3  # the audit tests' own PostgreSQL server; sqlite3 to inspect
	   mandoc groff-base  # man page lint (tests/man/check.py)
	   # the package proof (tests/integration/test_package.py): build the .deb,
	   # lintian, a Debian 12 root booted with systemd-nspawn, systemd-analyze
	   dpkg-dev debhelper fakeroot lintian mmdebstrap systemd systemd-container)

want=("${build_pkgs[@]}")
[ "${1:-build}" = test ] && want+=("${test_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

# gnomond drops root to this system user by default (`user` directive):
# `make run` and the integration suite need it to exist.
ensure_user() {
	getent passwd gnomon >/dev/null && return 0
	echo "creating the system user gnomon"
	$SUDO useradd --system --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin --user-group gnomon
}

# A real syslog daemon for tests/integration/test_alarm_syslog.py: rsyslog
# unpacked, never installed (installing it would start a host daemon on
# /dev/log); its libraries are in test_pkgs.
RSYSLOG_DIR=/opt/gnomon-test/rsyslog
ensure_rsyslog() {
	[ "$1" = test ] || return 0
	[ -x "$RSYSLOG_DIR/usr/sbin/rsyslogd" ] && return 0
	local tmp
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -qq rsyslog)
	$SUDO mkdir -p "$RSYSLOG_DIR"
	$SUDO dpkg-deb -x "$tmp"/rsyslog_*.deb "$RSYSLOG_DIR"
	rm -rf "$tmp"
}

if [ ${#missing[@]} -eq 0 ]; then
	ensure_user
	ensure_rsyslog "${1:-build}"
	exit 0
fi

echo "installing: ${missing[*]}"
# Installing chrony must never start a daemon that could adjust this
# machine's clock: forbid service starts for the duration of the install
# (this also keeps Debian's snmpd and snmptrapd services from starting: the
# SNMP tests run their own).
created_policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod 755 /usr/sbin/policy-rc.d
	created_policy=1
fi
trap '[ -n "$created_policy" ] && $SUDO rm -f /usr/sbin/policy-rc.d' EXIT
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Belt and braces: if a chronyd was started anyway, stop it.
if pgrep -x chronyd >/dev/null 2>&1 && command -v systemctl >/dev/null; then
	$SUDO systemctl stop chrony 2>/dev/null || true
fi
ensure_user
ensure_rsyslog "${1:-build}"
