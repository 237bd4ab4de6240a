#!/usr/bin/env python3
"""The systemd units as built (build/dist/*.service):

* `systemd-analyze verify` is clean, with ExecStart pointing at the built
  programs and the man pages of Documentation= found in man/;
* gnomond.service's SystemCallFilter allows every system call gnomond's
  own seccomp filter allows (src/prog/sandbox.c): the unit's filter is a
  second wall and must never kill a call the daemon's filter lets through
  (the start-up as root, before that filter, is proven by booting the
  package: tests/integration/test_package.py).

Exit 77 (skipped) without systemd-analyze.
usage: check_units.py BUILD_DIST_DIR SOURCE_DIR BUILD_DIR"""

import os
import re
import shutil
import subprocess
import sys
import tempfile


def analyze(*args):
    return subprocess.run(["systemd-analyze", *args], capture_output=True, text=True,
                          timeout=60)


def expand(item, seen=None):
    """The system calls of a name or @group (systemd-analyze syscall-filter)."""
    if not item.startswith("@"):
        return {item}
    seen = seen if seen is not None else set()
    if item in seen:
        return set()
    seen.add(item)
    out = analyze("syscall-filter", item).stdout
    calls = set()
    for line in out.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or line == item:
            continue
        calls |= expand(line.split()[0], seen)
    return calls


def unit_filter(text):
    allowed, denied = set(), set()
    for line in text.splitlines():
        if not line.startswith("SystemCallFilter="):
            continue
        value = line.split("=", 1)[1].strip()
        target = allowed
        if value.startswith("~"):
            target, value = denied, value[1:]
        for item in value.split():
            target |= expand(item)
    return allowed - denied


def sandbox_calls(src):
    with open(os.path.join(src, "src", "prog", "sandbox.c")) as f:
        text = f.read()
    calls = set()
    for name in ("base_calls", "file_calls", "audit_calls", "clock_calls"):
        m = re.search(r"static const char \*const %s\[\] = \{(.*?)\};" % name, text, re.S)
        if not m:
            sys.exit("check_units.py: %s not found in sandbox.c" % name)
        calls |= set(re.findall(r'"([a-z0-9_]+)"', m.group(1)))
    # Added with argument conditions (socket families, ioctl requests); and
    # what installing the filter takes (libseccomp: seccomp(2) with TSYNC,
    # prctl for no_new_privs).
    calls |= {"socket", "ioctl", "seccomp", "prctl"}
    return calls


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    dist, src, build = (os.path.abspath(a) for a in sys.argv[1:])
    if not shutil.which("systemd-analyze"):
        print("systemd-analyze not installed: skipped")
        return 77
    errors = []
    units = [u for u in ("gnomond.service", "gnomon-snmp.service")
             if os.path.exists(os.path.join(dist, u))]
    with tempfile.TemporaryDirectory() as tmp:
        mandir = os.path.join(tmp, "man")
        for page in os.listdir(os.path.join(src, "man")):
            m = re.match(r".*\.(\d)$", page)
            if m:
                os.makedirs(os.path.join(mandir, "man" + m.group(1)), exist_ok=True)
                os.symlink(os.path.join(src, "man", page),
                           os.path.join(mandir, "man" + m.group(1), page))
        paths = []
        for unit in units:
            with open(os.path.join(dist, unit)) as f:
                text = f.read()
            for prog in ("gnomond", "gnomonctl", "gnomon-snmp"):
                text = re.sub(r"=\S*/%s\b" % prog, "=" + os.path.join(build, prog), text)
            text = re.sub(r"(ExecReload=)\S*/gnomonctl\b", r"\1" + os.path.join(build, "gnomonctl"),
                          text)
            path = os.path.join(tmp, unit)
            with open(path, "w") as f:
                f.write(text)
            paths.append(path)
        env = dict(os.environ, MANPATH=mandir)
        cp = subprocess.run(["systemd-analyze", "verify", *paths], capture_output=True,
                            text=True, timeout=60, env=env)
        # Lines about units verify pulls in from this host are not ours.
        ours = [l for l in (cp.stdout + cp.stderr).splitlines()
                if l.startswith(tuple(units)) or "gnomon" in l]
        if cp.returncode != 0 or ours:
            errors.append("systemd-analyze verify (rc %d):\n%s%s"
                          % (cp.returncode, cp.stdout, cp.stderr))
    with open(os.path.join(dist, "gnomond.service")) as f:
        allowed = unit_filter(f.read())
    if len(allowed) < 100:
        errors.append("the unit's SystemCallFilter expanded to %d calls only" % len(allowed))
    missing = sorted(sandbox_calls(src) - allowed)
    if missing:
        errors.append("gnomond's seccomp filter allows calls gnomond.service's "
                      "SystemCallFilter kills: " + " ".join(missing))
    if errors:
        print("\n".join(errors))
        return 1
    print("%s verify clean; the unit's filter (%d calls) covers gnomond's"
          % (" ".join(units), len(allowed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
