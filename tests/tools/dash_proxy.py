#!/usr/bin/env python3
"""Serve the dashboard (www/) and its data API from a running gnomond,
until gnomond serves HTTP itself.

    tests/tools/dash_proxy.py -s /run/gnomond.sock [-l 127.0.0.1] [-p 8123]
                              [--prefix /gnomon/] [--gnomonctl build/gnomonctl]

GET PREFIX            index.html; PREFIX<file> the files under www/
GET PREFIXstatus      the output of `gnomonctl --json status`, byte for byte
GET PREFIXhistory     `gnomonctl --json history`
GET PREFIXhistory?series=NAME[&seconds=S[&points=P]]
                      `gnomonctl --json history NAME S P`

This is a harness in front of the real daemon, not a mock: each request
runs gnomonctl against the control socket and passes the daemon's reply
through unchanged (gnomonctl validates the arguments; its refusal becomes
400, an unreachable daemon 502). It prints its URL on the first line of
standard output once it listens (port 0 picks a free one).
"""

import argparse
import mimetypes
import os
import posixpath
import subprocess
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".png": "image/png", ".svg": "image/svg+xml"}


class Handler(BaseHTTPRequestHandler):
    server_version = "gnomon-dash-proxy"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):      # quiet unless asked
        if self.server.verbose:
            sys.stderr.write("dash_proxy: " + (fmt % args) + "\n")

    def send(self, code, body, ctype="text/plain; charset=utf-8"):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def ctl(self, args):
        cmd = [self.server.gnomonctl, "-s", self.server.ctl_socket, "--json"] + args
        try:
            cp = subprocess.run(cmd, capture_output=True, timeout=10)
        except subprocess.TimeoutExpired:
            return self.send(504, "gnomonctl timed out\n")
        if cp.returncode == 0:
            return self.send(200, cp.stdout, "application/json")
        # gnomonctl exits 1 when the daemon refuses the request (bad series
        # name or number), 2 or more when it cannot reach it.
        code = 400 if cp.returncode == 1 and os.path.exists(self.server.ctl_socket) else 502
        return self.send(code, cp.stderr or b"gnomonctl failed\n")

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        prefix = self.server.prefix
        if path + "/" == prefix:
            self.send_response(301)
            self.send_header("Location", prefix)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if not path.startswith(prefix):
            return self.send(404, "not found\n")
        rel = path[len(prefix):]
        if rel == "status":
            return self.ctl(["status"])
        if rel == "history":
            q = urllib.parse.parse_qs(url.query, keep_blank_values=True)
            args = []
            for key in ("series", "seconds", "points"):
                v = q.get(key)
                if v is None:
                    break
                # one value each; never one gnomonctl could take for an option
                if len(v) != 1 or not v[0] or v[0].startswith("-") and key == "series":
                    return self.send(400, "bad %s\n" % key)
                args.append(v[0])
            return self.ctl(["history"] + args)
        return self.static(rel or "index.html")

    def static(self, rel):
        rel = urllib.parse.unquote(rel)
        norm = posixpath.normpath("/" + rel).lstrip("/")
        if norm != rel or "\0" in rel:
            return self.send(404, "not found\n")
        full = os.path.join(self.server.root, *norm.split("/"))
        if not os.path.isfile(full):
            return self.send(404, "not found\n")
        ext = os.path.splitext(full)[1]
        with open(full, "rb") as f:
            body = f.read()
        return self.send(200, body, TYPES.get(ext) or mimetypes.guess_type(full)[0]
                         or "application/octet-stream")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-s", "--socket", required=True, help="gnomond's control socket")
    ap.add_argument("-l", "--listen", default="127.0.0.1")
    ap.add_argument("-p", "--port", type=int, default=8123)
    ap.add_argument("--prefix", default="/", help="URL path the page is served under")
    ap.add_argument("--gnomonctl", default=os.environ.get(
        "GNOMONCTL", os.path.join(REPO, "build", "gnomonctl")))
    ap.add_argument("--root", default=os.path.join(REPO, "www"))
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    prefix = "/" + a.prefix.strip("/") + "/" if a.prefix.strip("/") else "/"

    srv = ThreadingHTTPServer((a.listen, a.port), Handler)
    srv.daemon_threads = True
    srv.ctl_socket = a.socket
    srv.gnomonctl, srv.root, srv.prefix, srv.verbose = a.gnomonctl, a.root, prefix, a.verbose
    host, port = srv.server_address[:2]
    print("http://%s:%d%s" % (host if ":" not in host else "[%s]" % host, port, prefix),
          flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
