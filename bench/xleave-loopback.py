#!/usr/bin/python3
"""bench/xleave-loopback.py [SECONDS] - interleaved mode's gain without a
relay (issue 12): four clients of one gnomond server (clock null) on
loopback, side by side: gnomond basic, chronyd basic, gnomond xleave,
chronyd xleave, each polling every second. After 40 s, once a second, each
client's error against the machine clock (gnomond: clock_minus_system of
its virtual clock; chronyd -x: "System time" of chronyc -c tracking, as in
bench/accuracy) and the delay it measures. Prints RMS and max error, mean
delay and how many replies were interleaved.

Safety: nothing can touch the machine clock (setpriv without CAP_SYS_TIME,
gnomond clock null/virtual, chronyd -x); addresses 127.0.79.1, .10, .11
only; every process is stopped at the end. Run as root from the source
tree after ninja -C build (GNOMOND, GNOMONCTL override the binaries)."""
import json, os, subprocess, sys, time, statistics, shutil
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
G = os.environ.get("GNOMOND", ROOT + "/build/gnomond")
C = os.environ.get("GNOMONCTL", ROOT + "/build/gnomonctl")
NS = ["setpriv", "--bounding-set", "-sys_time", "--inh-caps", "-sys_time", "--ambient-caps", "-sys_time", "--"]
import tempfile
D = tempfile.mkdtemp(prefix="gnomon-xleave-")
procs = []
def gn(name, addr, body):
    conf = "%s/%s.conf" % (D, name)
    open(conf, "w").write("port 123\nbindaddress %s\ncontrol %s/%s.sock\nstatedir %s/%s.st\n%s" % (addr, D, name, D, name, body))
    procs.append(subprocess.Popen(NS + [G, "-n", "-f", conf], stdout=subprocess.DEVNULL, stderr=open("%s/%s.log" % (D, name), "w")))
    return "%s/%s.sock" % (D, name)
def ch(name, line):
    d = "%s/%s" % (D, name); os.makedirs(d); os.chmod(d, 0o700)
    open(d + "/c.conf", "w").write("%s\nbindcmdaddress %s/s\ncmdport 0\npidfile %s/p\nport 0\n" % (line, d, d))
    procs.append(subprocess.Popen(NS + ["chronyd", "-x", "-d", "-u", "root", "-f", d + "/c.conf"], stdout=subprocess.DEVNULL, stderr=open(d + "/log", "w")))
    return d + "/s"
def q(sock, what):
    return json.loads(subprocess.run([C, "-s", sock, "--json", what], capture_output=True, text=True).stdout)
def chrony_tracking(sock):
    out = subprocess.run(["chronyc", "-c", "-h", sock, "tracking"], capture_output=True, text=True).stdout.split(",")
    return float(out[4]) if len(out) > 5 else None
def chrony_delay(sock):
    for l in subprocess.run(["chronyc", "-h", sock, "ntpdata"], capture_output=True, text=True).stdout.splitlines():
        if l.startswith("Peer delay"):
            return float(l.split(":")[1].split()[0])
srv = "127.0.79.1"
gn("srv", srv, "clock null\nlocal stratum 2\nallow 127.0.0.0/8\n")
time.sleep(1)
cl = {}
for mode, xl in (("basic", ""), ("xleave", " xleave")):
    a = "127.0.79.%d" % (10 if mode == "basic" else 11)
    cl["gnomond-" + mode] = ("g", gn("g" + mode, a, "clock virtual offset 0.001 freq 5\nserver %s iburst minpoll 0 maxpoll 0%s\n" % (srv, xl)))
    cl["chronyd-" + mode] = ("c", ch("c" + mode, "server %s iburst minpoll 0 maxpoll 0%s" % (srv, xl)))
DUR = int(sys.argv[1]) if len(sys.argv) > 1 else 120; SKIP = 40
err = {k: [] for k in cl}; dl = {k: [] for k in cl}
t0 = time.monotonic()
try:
    while time.monotonic() - t0 < DUR:
        time.sleep(1)
        if time.monotonic() - t0 < SKIP: continue
        for k, (kind, s) in cl.items():
            try:
                if kind == "g":
                    err[k].append(q(s, "tracking")["clock_minus_system"]); src = q(s, "sources")["sources"][0]
                    dl[k].append(src["last_delay"]); cl_src = src
                else:
                    e = chrony_tracking(s); d = chrony_delay(s)
                    if e is not None: err[k].append(e)
                    if d is not None: dl[k].append(d)
            except Exception as ex:
                pass
    for k, (kind, s) in cl.items():
        e = err[k]; rms = (sum(x * x for x in e) / len(e)) ** 0.5 if e else float("nan")
        extra = ""
        if kind == "g":
            src = q(s, "sources")["sources"][0]; extra = "interleaved_replies=%d/%d" % (src["interleaved_replies"], src["received"])
        else:
            extra = "Interleaved=" + [l for l in subprocess.run(["chronyc", "-h", s, "ntpdata"], capture_output=True, text=True).stdout.splitlines() if l.startswith("Interleaved")][0].split(":")[1].strip()
        print("%-16s RMS err %7.3f us  max %7.3f us  mean delay %7.3f us  n=%d  %s" % (k, rms * 1e6, max(abs(x) for x in e) * 1e6 if e else 0, statistics.mean(dl[k]) * 1e6 if dl[k] else 0, len(e), extra))
    print("serverstats:", json.dumps({k: v for k, v in q("%s/srv.sock" % D, "serverstats").items() if k in ("answered", "interleaved", "tx_timestamps")}))
finally:
    for p in procs: p.terminate()
    for p in procs: p.wait()
    shutil.rmtree(D, ignore_errors=True)
