#!/bin/sh
# shellcheck disable=SC2016  # single-quoted programs for sh -c and awk, on purpose
# Runs inside a fresh Debian 12 root booted with systemd-nspawn (systemd is
# PID 1 there, the network is the container's own loopback, CAP_SYS_TIME
# is not in its bounding set): installs /ci/gnomon.deb, checks what it put
# where, starts gnomond.service as installed (its hardening, on the
# installed default configuration plus `clock virtual`, a drop-in), queries
# it, purges the package and checks nothing is left. Each check prints
# `ok NAME` or `FAIL NAME: why` to /ci/result; the last line is `done`.
# Started by ci-inside.service; tests/integration/test_package.py reads
# the result.
set -u
out=/ci/result
: > "$out"
ok() { echo "ok $1" >> "$out"; }
fail() { echo "FAIL $1: $2" >> "$out"; }
check() {  # check NAME COMMAND...: ok when COMMAND succeeds, else its output
	name=$1; shift
	if o=$("$@" 2>&1); then ok "$name"; else fail "$name" "$(echo "$o" | tr '\n' '|' | cut -c1-1500)"; fi
}
mode() {  # mode NAME PATH OWNER:GROUP:MODE
	got=$(stat -c %U:%G:%a "$2" 2>&1)
	if [ "$got" = "$3" ]; then ok "$1"; else fail "$1" "$2 is $got, want $3"; fi
}

# Never the real clock: the daemon's clock is virtual (this drop-in is in
# place before the package's postinst starts the service), and the
# container has no CAP_SYS_TIME anyway. Port 123 on the container's own
# loopback, answered for 127.0.0.1 only.
mkdir -p /etc/systemd/system/gnomond.service.d
cat > /etc/systemd/system/gnomond.service.d/ci.conf <<'CONF'
[Service]
ExecStart=
ExecStart=/usr/sbin/gnomond -n -f /etc/gnomon/gnomond.conf -e "clock virtual offset 0.5" -e "allow 127.0.0.1" -e "journal file /var/log/gnomon/journal.log maxsize 0 maxage 0"
CONF
systemctl daemon-reload

echo "capabilities of PID 1: $(grep CapBnd /proc/1/status)" >> /ci/log
if grep -q "^CapBnd:.*" /proc/1/status && [ $(( 0x$(awk '/^CapBnd/ {print $2}' /proc/1/status) >> 25 & 1 )) -eq 0 ]; then
	ok no-cap-sys-time
else
	fail no-cap-sys-time "CAP_SYS_TIME is in the container's bounding set"
fi

check dpkg-install dpkg -i /ci/gnomon.deb
check user getent passwd gnomon
check group getent group gnomon
check nologin sh -c 'getent passwd gnomon | grep -q ":/usr/sbin/nologin$"'
for f in /usr/sbin/gnomond /usr/bin/gnomonctl /usr/sbin/gnomon-snmp \
	 /usr/share/man/man8/gnomond.8.gz /usr/share/man/man5/gnomond.conf.5.gz \
	 /usr/share/man/man1/gnomonctl.1.gz /usr/share/man/man8/gnomon-snmp.8.gz \
	 /lib/systemd/system/gnomond.service /lib/systemd/system/gnomon-snmp.service \
	 /usr/lib/sysusers.d/gnomon.conf /usr/lib/tmpfiles.d/gnomon.conf \
	 /etc/logrotate.d/gnomon /usr/share/doc/gnomon/examples/public-server.conf; do
	check "file $f" test -f "$f"
done
mode etc-dir /etc/gnomon root:root:755
mode config /etc/gnomon/gnomond.conf root:root:644
mode keys /etc/gnomon/keys root:gnomon:640
mode statedir /var/lib/gnomon gnomon:gnomon:750
mode logdir /var/log/gnomon gnomon:gnomon:750
mode controldir /run/gnomond gnomon:gnomon:750
check man-renders sh -c 'MANWIDTH=80 man --warnings -l /usr/share/man/man5/gnomond.conf.5.gz 2>&1 >/dev/null | (! grep .)'
check analyze-verify systemd-analyze verify /lib/systemd/system/gnomond.service /lib/systemd/system/gnomon-snmp.service
check check-config gnomond --check-config
check logrotate-config logrotate --debug /etc/logrotate.d/gnomon
check enabled systemctl is-enabled gnomond.service
check snmp-disabled sh -c '! systemctl is-enabled gnomon-snmp.service'

# The postinst started it; wait for its control socket.
i=0
while [ $i -lt 100 ] && ! [ -S /run/gnomond/gnomond.sock ]; do sleep 0.1; i=$((i + 1)); done
check active systemctl is-active gnomond.service
systemctl status --no-pager gnomond.service >> /ci/log 2>&1
journalctl -b --no-pager -u gnomond.service >> /ci/log 2>&1
pid=$(systemctl show -p MainPID --value gnomond.service)
echo "gnomond pid $pid" >> /ci/log
cat /proc/"$pid"/status >> /ci/log 2>&1
check running-as-gnomon sh -c "grep -q \"^Uid:[[:space:]]*$(id -u gnomon)[[:space:]]\" /proc/$pid/status"
check no-capabilities grep -q "^CapEff:[[:space:]]*0000000000000000" /proc/"$pid"/status
check no-ambient-capabilities grep -q "^CapAmb:[[:space:]]*0000000000000000" /proc/"$pid"/status
check no-permitted-capabilities grep -q "^CapPrm:[[:space:]]*0000000000000000" /proc/"$pid"/status
# The unit's bounding set: CAP_NET_BIND_SERVICE (10) and CAP_SYS_TIME (25),
# the latter absent here since the container has none to give.
check bounding-set sh -c 'b=$(awk "/^CapBnd/ {print \$2}" /proc/'"$pid"'/status); [ $(( 0x$b & ~((1 << 10) | (1 << 25)) )) -eq 0 ] && [ $(( 0x$b >> 10 & 1 )) -eq 1 ]'
check no-new-privs grep -q "^NoNewPrivs:[[:space:]]*1" /proc/"$pid"/status
check seccomp grep -q "^Seccomp:[[:space:]]*2" /proc/"$pid"/status
check tracking sh -c 'gnomonctl tracking > /ci/tracking 2>&1'
check virtual-clock grep -q "^Clock.*virtual" /ci/tracking
check ntp-query sh -c 'gnomonctl query 127.0.0.1 -p 123 -n 2 > /ci/query 2>&1'
# The answer carries the virtual clock's +0.5 s: the daemon serves its
# clock, and the container's (the host's) clock was left alone.
check served-virtual-offset awk '/^offset/ { o = $2 } END { exit !(o > 0.4 && o < 0.6) }' /ci/query
check reload systemctl reload gnomond.service
sleep 0.5
check active-after-reload systemctl is-active gnomond.service
check same-pid-after-reload test "$(systemctl show -p MainPID --value gnomond.service)" = "$pid"
# The journal file in /var/log/gnomon (ReadWritePaths), rotated by the
# package's logrotate file: the postrotate SIGHUP makes gnomond reopen it.
mode journal-file /var/log/gnomon/journal.log gnomon:gnomon:640
check journal-start grep -q "START" /var/log/gnomon/journal.log
check logrotate-run logrotate -f /etc/logrotate.d/gnomon
i=0
while [ $i -lt 50 ] && ! [ -e /var/log/gnomon/journal.log ]; do sleep 0.1; i=$((i + 1)); done
check rotated test -s /var/log/gnomon/journal.log.1
check reopened test -e /var/log/gnomon/journal.log
mode reopened-mode /var/log/gnomon/journal.log gnomon:gnomon:640
check active-after-rotate systemctl is-active gnomond.service
journalctl -b --no-pager -u gnomond.service > /ci/journal 2>&1
check no-seccomp-kill sh -c '! grep -q "forbidden system call\|SIGSYS\|status=159" /ci/journal'

# gnomon-snmp.service (installed, not enabled) under its own sandbox,
# behind the container's snmpd: set up as gnomon-snmp(8) says, a GET of
# ntpEntStatusStratum must come from gnomond through it (16:
# unsynchronised, it has no source here).
cat >> /etc/snmp/snmpd.conf <<'CONF'
master agentx
agentXSocket /var/agentx/master
agentXPerms 0660 0555 Debian-snmp gnomon
view systemonly included .1.3.6.1.2.1.197
CONF
# snmpd made /var/agentx (root's, 0700) at boot: agentXPerms applies to
# a directory it creates (gnomon-snmp(8)).
systemctl stop snmpd.service
rm -rf /var/agentx
check snmpd-restart systemctl start snmpd.service
check snmp-start systemctl start gnomon-snmp.service
i=0
while [ $i -lt 100 ]; do
	stratum=$(snmpget -v2c -c public -Oqv 127.0.0.1 .1.3.6.1.2.1.197.1.2.2.0 2>&1)
	[ "$stratum" = 16 ] && break
	sleep 0.1; i=$((i + 1))
done
echo "snmpget ntpEntStatusStratum: $stratum" >> /ci/log
check snmp-stratum test "$stratum" = 16
check snmp-active systemctl is-active gnomon-snmp.service
journalctl -b --no-pager -u gnomon-snmp.service >> /ci/log 2>&1
check snmp-stop systemctl stop gnomon-snmp.service

check dpkg-purge dpkg --purge gnomon
sleep 0.5
# No gnomond left (no procps in the root: /proc read directly).
check no-process sh -c 'for c in /proc/[0-9]*/comm; do [ "$(cat "$c" 2>/dev/null)" != gnomond ] || exit 1; done'
# Only the package's files count: not this test's drop-in, nor man-db's
# cache of the pages rendered above.
rm -rf /etc/systemd/system/gnomond.service.d
check no-files-named-gnomon sh -c 'f=$(find / -xdev -name "*gnomon*" -not -path "/ci/*" -not -path "/var/cache/man/*" 2>/dev/null); [ -z "$f" ] || { echo "$f"; exit 1; }'
for f in /etc/gnomon /var/lib/gnomon /var/log/gnomon /run/gnomond /usr/sbin/gnomond \
	 /lib/systemd/system/gnomond.service /etc/logrotate.d/gnomon \
	 /etc/systemd/system/multi-user.target.wants/gnomond.service; do
	check "gone $f" sh -c "! test -e $f"
done
echo "done" >> "$out"
