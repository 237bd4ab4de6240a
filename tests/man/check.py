#!/usr/bin/env python3
"""The man pages: every directive of gnomond's configuration table (as
`gnomond --help-config` lists it) has an entry in gnomond.conf(5) and the
page documents none that does not exist; every page is clean for
`mandoc -T lint` and `groff -ww -man -z` (each skipped, with a note, when
the tool is missing; the CI installs both: tools/deps.sh).

usage: check.py GNOMOND MANDIR"""

import re
import shutil
import subprocess
import sys


def table_names(gnomond):
    out = subprocess.run([gnomond, "--help-config"], capture_output=True, text=True,
                         check=True, timeout=20).stdout
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    if len(names) < 10:
        sys.exit("check.py: `%s --help-config` listed only %d directives:\n%s"
                 % (gnomond, len(names), out))
    return names


def page_names(text):
    """The directive of each entry: the first bold word of the line after .TP."""
    names = []
    lines = text.splitlines()
    for i, line in enumerate(lines[:-1]):
        if line.strip() != ".TP":
            continue
        m = re.match(r"^\\fB((?:[a-z0-9]|\\-)+)", lines[i + 1])
        if m:
            names.append(m.group(1).replace("\\-", "-"))
    return names


def lint(path):
    errors = []
    if shutil.which("mandoc"):
        cp = subprocess.run(["mandoc", "-T", "lint", path], capture_output=True, text=True)
        if cp.returncode != 0 or cp.stdout.strip() or cp.stderr.strip():
            errors.append("mandoc -T lint %s:\n%s%s" % (path, cp.stdout, cp.stderr))
    else:
        print("note: mandoc not installed, mandoc -T lint skipped")
    if shutil.which("groff"):
        cp = subprocess.run(["groff", "-ww", "-man", "-z", path], capture_output=True,
                            text=True)
        if cp.returncode != 0 or cp.stderr.strip():
            errors.append("groff -ww -man -z %s:\n%s" % (path, cp.stderr))
    else:
        print("note: groff not installed, groff -ww skipped")
    return errors


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    gnomond, mandir = sys.argv[1:]
    errors = []
    table = table_names(gnomond)
    with open(mandir + "/gnomond.conf.5") as f:
        page = page_names(f.read())
    missing = [n for n in table if n not in page]
    stale = [n for n in page if n not in table]
    if missing:
        errors.append("directives of the configuration table missing from "
                      "man/gnomond.conf.5: " + " ".join(missing))
    if stale:
        errors.append("man/gnomond.conf.5 documents directives gnomond does not know: "
                      + " ".join(stale))
    for page_file in ("gnomond.8", "gnomond.conf.5", "gnomonctl.1", "gnomon-snmp.8"):
        errors += lint(mandir + "/" + page_file)
    if errors:
        print("\n".join(errors))
        return 1
    print("gnomond.conf.5 documents all %d directives; the pages lint clean" % len(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
