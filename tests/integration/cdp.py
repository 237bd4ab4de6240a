"""A small Chrome DevTools Protocol client for headless Chromium (Debian's
`chromium` package), over --remote-debugging-pipe: no websocket library,
no npm, no browser download.

Chromium reads NUL-terminated JSON commands on fd 3 and writes replies and
events on fd 4. Every request the page makes is paused by the Fetch domain
and recorded; requests to another origin are failed and reported, so a
test can assert that nothing leaves the host.
"""

import base64
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def find_chromium():
    exe = os.environ.get("CHROMIUM")
    if exe:
        return exe
    for name in CHROMIUM_CANDIDATES:
        p = shutil.which(name)
        if p:
            return p
    return None


class CDPError(Exception):
    pass


class Browser:
    def __init__(self, allowed_origin, width=1280, height=900):
        self.allowed_origin = allowed_origin.rstrip("/")
        self.profile = tempfile.mkdtemp(prefix="gn-cdp-")
        cmd_r, cmd_w = os.pipe()        # we write commands, Chromium reads fd 3
        res_r, res_w = os.pipe()        # Chromium writes fd 4, we read
        # above 4, so that putting them on 3 and 4 in the child cannot
        # overwrite one with the other
        hi_r = fcntl.fcntl(cmd_r, fcntl.F_DUPFD_CLOEXEC, 10)
        hi_w = fcntl.fcntl(res_w, fcntl.F_DUPFD_CLOEXEC, 10)

        def child():
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        exe = find_chromium()
        if not exe:
            raise CDPError("chromium not found (tools/deps.sh test installs it)")
        argv = [exe, "--headless=new", "--remote-debugging-pipe", "--no-sandbox",
                "--disable-gpu", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-default-apps",
                "--disable-breakpad", "--metrics-recording-only", "--mute-audio",
                "--user-data-dir=" + self.profile,
                "--window-size=%d,%d" % (width, height), "about:blank"]
        self.log = open(os.path.join(self.profile, "chromium.log"), "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, preexec_fn=child,
                                     pass_fds=(3, 4), start_new_session=True)
        for fd in (cmd_r, res_w, hi_r, hi_w):
            os.close(fd)
        self.wfd = cmd_w
        self.rfd = res_r
        self.lock = threading.Lock()
        self.cond = threading.Condition()
        self.next_id = 0
        self.replies = {}
        self.events = []            # (method, params, sessionId)
        self.requests = []          # every URL the page asked for
        self.foreign = []           # those refused: not the allowed origin
        self.console = []           # console errors/warnings, exceptions, log errors
        self.finished = []          # (requestId, url) of responses fully received
        self.urls = {}              # requestId -> url
        self.session = None
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    # -- transport ------------------------------------------------------

    def _send(self, method, params=None, session=None):
        with self.lock:
            self.next_id += 1
            mid = self.next_id
            msg = {"id": mid, "method": method, "params": params or {}}
            if session:
                msg["sessionId"] = session
            data = json.dumps(msg).encode() + b"\0"
            while data:
                n = os.write(self.wfd, data)
                data = data[n:]
        return mid

    def call(self, method, params=None, session="page", timeout=30):
        sess = self.session if session == "page" else session
        mid = self._send(method, params, sess)
        deadline = time.monotonic() + timeout
        with self.cond:
            while mid not in self.replies:
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise CDPError("%s: no reply within %ss (chromium %s)" % (
                        method, timeout, "alive" if self.proc.poll() is None else "exited"))
                self.cond.wait(min(left, 0.5))
            r = self.replies.pop(mid)
        if "error" in r:
            raise CDPError("%s: %s" % (method, r["error"]))
        return r.get("result", {})

    def _read(self):
        buf = b""
        while True:
            try:
                chunk = os.read(self.rfd, 65536)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                try:
                    msg = json.loads(raw)
                except ValueError:
                    continue
                if "id" in msg:
                    with self.cond:
                        self.replies[msg["id"]] = msg
                        self.cond.notify_all()
                else:
                    self._event(msg.get("method"), msg.get("params", {}), msg.get("sessionId"))

    def _event(self, method, p, session):
        with self.cond:
            self.events.append((method, p, session))
        if method == "Fetch.requestPaused":
            url = p["request"]["url"]
            self.requests.append(url)
            if self.same_origin(url):
                self._send("Fetch.continueRequest", {"requestId": p["requestId"]}, session)
            else:
                self.foreign.append(url)
                self._send("Fetch.failRequest", {"requestId": p["requestId"],
                                                 "errorReason": "BlockedByClient"}, session)
        elif method == "Network.requestWillBeSent":
            url = p["request"]["url"]
            if not self.same_origin(url) and not url.startswith(("data:", "about:", "blob:")):
                if url not in self.foreign:
                    self.foreign.append(url)
            self.urls[p["requestId"]] = url
        elif method == "Network.loadingFinished":
            if p["requestId"] in self.urls:
                self.finished.append((p["requestId"], self.urls[p["requestId"]]))
        elif method == "Runtime.consoleAPICalled":
            if p.get("type") in ("error", "warning", "assert"):
                self.console.append("console.%s: %s" % (p["type"], " ".join(
                    str(a.get("value", a.get("description", ""))) for a in p.get("args", []))))
        elif method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            self.console.append("exception: %s %s" % (
                d.get("text", ""), d.get("exception", {}).get("description", "")))
        elif method == "Log.entryAdded":
            e = p.get("entry", {})
            if e.get("level") in ("error", "warning"):
                self.console.append("log %s (%s): %s %s" % (
                    e.get("level"), e.get("source"), e.get("text"), e.get("url", "")))

    def same_origin(self, url):
        return url == self.allowed_origin or url.startswith(self.allowed_origin + "/")

    # -- page -----------------------------------------------------------

    def open(self, url):
        t = self.call("Target.createTarget", {"url": "about:blank"}, session=None)
        a = self.call("Target.attachToTarget", {"targetId": t["targetId"], "flatten": True},
                      session=None)
        self.session = a["sessionId"]
        for m in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            self.call(m)
        self.call("Fetch.enable", {"patterns": [{"urlPattern": "*"}]})
        self.call("Page.navigate", {"url": url})

    def bodies(self, suffix, n):
        """The bodies of the last n responses whose URL ends in suffix, as
        the page received them, newest first."""
        out = []
        for rid, url in reversed(list(self.finished)):
            if url.split("?")[0].endswith(suffix):
                try:
                    r = self.call("Network.getResponseBody", {"requestId": rid})
                except CDPError:
                    continue
                out.append(base64.b64decode(r["body"]) if r.get("base64Encoded")
                           else r["body"].encode())
                if len(out) == n:
                    break
        return out

    def eval(self, expr, timeout=30):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                           "awaitPromise": True}, timeout=timeout)
        if "exceptionDetails" in r:
            raise CDPError("evaluate %r: %s" % (expr[:80], r["exceptionDetails"]))
        return r["result"].get("value")

    def wait_for(self, expr, timeout=30, interval=0.2):
        """Poll a JS expression until it is truthy; return its value."""
        deadline = time.monotonic() + timeout
        v = None
        while time.monotonic() < deadline:
            v = self.eval(expr)
            if v:
                return v
            time.sleep(interval)
        return v

    def click(self, selector):
        """A real mouse click (pressed and released) at the element's centre."""
        box = self.eval("""(() => { const e = document.querySelector(%s);
            if (!e) return null; e.scrollIntoView({block: 'center'});
            const r = e.getBoundingClientRect();
            return [r.left + r.width / 2, r.top + r.height / 2]; })()""" % json.dumps(selector))
        if not box:
            raise CDPError("nothing matches %s" % selector)
        for t in ("mouseMoved", "mousePressed", "mouseReleased"):
            p = {"type": t, "x": box[0], "y": box[1]}
            if t != "mouseMoved":
                p.update(button="left", clickCount=1)
            self.call("Input.dispatchMouseEvent", p)

    def dblclick(self, selector):
        """Two real clicks at the element's centre, the second a double-click."""
        box = self.eval("""(() => { const e = document.querySelector(%s);
            if (!e) return null; const r = e.getBoundingClientRect();
            return [r.left + r.width / 2, r.top + r.height / 2]; })()""" % json.dumps(selector))
        if not box:
            raise CDPError("nothing matches %s" % selector)
        for n in (1, 2):
            for t in ("mousePressed", "mouseReleased"):
                self.call("Input.dispatchMouseEvent", {"type": t, "x": box[0], "y": box[1],
                                                       "button": "left", "clickCount": n})

    def drag(self, selector, x0, x1, y=0.5):
        """Press, move and release the mouse across an element, from x0 to
        x1 (fractions of its width) at height y."""
        box = self.eval("""(() => { const e = document.querySelector(%s);
            if (!e) return null; e.scrollIntoView({block: 'center'});
            const r = e.getBoundingClientRect();
            return [r.left, r.top, r.width, r.height]; })()""" % json.dumps(selector))
        if not box:
            raise CDPError("nothing matches %s" % selector)
        yy = box[1] + box[3] * y
        a, b = box[0] + box[2] * x0, box[0] + box[2] * x1
        self.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": a, "y": yy})
        self.call("Input.dispatchMouseEvent", {"type": "mousePressed", "x": a, "y": yy,
                                               "button": "left", "clickCount": 1})
        for i in range(1, 6):
            self.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": a + (b - a) * i / 5,
                                                   "y": yy, "button": "left", "buttons": 1})
        self.call("Input.dispatchMouseEvent", {"type": "mouseReleased", "x": b, "y": yy,
                                               "button": "left", "clickCount": 1})

    def viewport(self, width, height):
        self.call("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def screenshot(self, path, width=1280):
        h = self.eval("Math.ceil(document.documentElement.scrollHeight)")
        self.viewport(width, int(h))
        time.sleep(0.5)                 # let uPlot redraw at the new size
        r = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))

    def close(self):
        try:
            self.call("Browser.close", session=None, timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        for fd in (self.wfd, self.rfd):
            try:
                os.close(fd)
            except OSError:
                pass
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)
