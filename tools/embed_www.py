#!/usr/bin/env python3
"""Write a C file holding the files given (the dashboard, www/) as
struct www_file entries (src/mon/www.h): embed_www.py OUT.c ROOT FILE...
Paths are served relative to ROOT; the content type comes from the
suffix."""
import os
import sys

TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".png": "image/png", ".svg": "image/svg+xml",
         ".txt": "text/plain; charset=utf-8", ".json": "application/json"}


def main():
    out, root, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    lines = ['#include "mon/www.h"', ""]
    entries = []
    for i, f in enumerate(sorted(files)):
        rel = "/" + os.path.relpath(f, root).replace(os.sep, "/")
        ctype = TYPES.get(os.path.splitext(f)[1], "application/octet-stream")
        data = open(f, "rb").read()
        lines.append("static const unsigned char f%d[] = {" % i)
        for k in range(0, len(data), 16):
            lines.append("\t" + ", ".join("%d" % b for b in data[k:k + 16]) + ",")
        lines.append("\t0\n};")
        entries.append('\t{ "%s", "%s", f%d, %d },' % (rel, ctype, i, len(data)))
    lines.append("")
    lines.append("const struct www_file www_files[] = {")
    lines.extend(entries or ["\t{ 0 },"])
    lines.append("};")
    lines.append("const size_t www_n_files = %d;" % len(entries))
    open(out, "w").write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
