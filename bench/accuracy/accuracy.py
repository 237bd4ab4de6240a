#!/usr/bin/python3
"""Clock accuracy benchmark: gnomond vs chronyd as NTP clients, side by
side in one run (see bench/README.md, section "Accuracy").

One upstream gnomond (`clock null`, `local stratum 2`) serves the machine
clock. Each client reaches it through its own instance of the project's
impairment relay (tests/tools/relay), both relays with the same spec and
seed, so the two clients see statistically identical networks and neither
one's packets shift the other's random draws.

* gnomond runs on `clock virtual`, started with a known error; its true
  error is `clock_minus_system` from `gnomonctl --json tracking`.
* chronyd runs with -x (no clock control): its "System time" is its
  estimate of how far the machine clock lies from NTP time. The machine
  clock is the truth, so that estimate is chronyd's error; in
  `chronyc -c tracking` it is the signed 5th field, NTP clock minus machine
  clock (the same sign convention as gnomond's clock_minus_system).

Both are sampled every second. Several pairs (gnomond + chronyd, each pair
with its own relay seed) run at once and their samples are pooled. Each
phase (symmetric jitter, then asymmetric delays) starts fresh clients and
relays; the upstream lives for the whole run. No process started here can change the machine clock:
every daemon runs under setpriv with CAP_SYS_TIME dropped from all sets,
and the script checks each daemon's bounding set after it starts.
"""

import argparse
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
GNOMOND = os.environ.get("GNOMOND", os.path.join(ROOT, "build", "gnomond"))
GNOMONCTL = os.environ.get("GNOMONCTL", os.path.join(ROOT, "build", "gnomonctl"))
RELAY = os.environ.get("RELAY", os.path.join(ROOT, "build", "tests", "tools", "relay"))
CHRONYD = os.environ.get("CHRONYD", "/usr/sbin/chronyd")
CHRONYC = os.environ.get("CHRONYC", "/usr/bin/chronyc")

NOCLOCK = ["setpriv", "--bounding-set", "-sys_time", "--inh-caps", "-sys_time",
           "--ambient-caps", "-sys_time", "--"]
CAP_SYS_TIME = 25

PHASES = {
    # name: (forward spec, reverse spec). fwd = client -> server.
    "sym": ("delay=1ms,jitter=200us,dist=exp", "delay=1ms,jitter=200us,dist=exp"),
    "asym": ("delay=1ms,jitter=100us,dist=exp", "delay=1.2ms,jitter=300us,dist=exp"),
    # Not run by default: the fixed and the jitter asymmetry point opposite
    # ways (see the README on chronyd's jitter-asymmetry correction).
    "asym2": ("delay=1.2ms,jitter=100us,dist=exp", "delay=1ms,jitter=300us,dist=exp"),
}


def log(msg):
    print("accuracy: %s" % msg, file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


# --------------------------------------------------------------------------
# impairment specs

UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def parse_duration(text):
    if text == "0":
        return 0.0
    m = re.fullmatch(r"([0-9]*\.?[0-9]+)(ns|us|ms|s)", text)
    if not m:
        raise ValueError("bad duration %r" % text)
    return float(m.group(1)) * UNITS[m.group(2)]


def parse_spec(spec):
    """{'delay': s, 'jitter': s, 'dist': ...} from a relay SPEC string."""
    out = {"delay": 0.0, "jitter": 0.0, "dist": "uniform"}
    for item in filter(None, spec.split(",")):
        key, _, val = item.partition("=")
        if key in ("delay", "jitter"):
            out[key] = parse_duration(val)
        else:                       # dist, loss, ...: kept as text
            out[key] = val
    return out


def mean_delay(s):
    # exp: mean = jitter; uniform and normal are centred on the delay.
    return s["delay"] + (s["jitter"] if s["dist"] == "exp" else 0.0)


def biases(fwd, rev):
    """Where an ideal client ends up: offset = ((T2-T1) + (T3-T4)) / 2 is
    (d_fwd - d_rev) / 2 for a correct clock, so a client that zeroes it has
    clock - truth = (d_fwd - d_rev) / 2. With the fixed delays (what a
    minimum-delay filter sees) and with the mean delays."""
    f, r = parse_spec(fwd), parse_spec(rev)
    return (f["delay"] - r["delay"]) / 2, (mean_delay(f) - mean_delay(r)) / 2


# --------------------------------------------------------------------------
# addresses and ports

def used_ipv4():
    """Local IPv4 addresses that any UDP or TCP socket is bound to."""
    used = set()
    for path in ("/proc/net/udp", "/proc/net/tcp"):
        try:
            with open(path) as f:
                next(f)
                for line in f:
                    hexaddr = line.split()[1].split(":")[0]
                    used.add(socket.inet_ntoa(int(hexaddr, 16).to_bytes(4, "little")))
        except OSError:
            pass
    return used


def pick_addresses(n, first):
    """n loopback addresses 127.0.0.X that no socket uses, counting down
    from 127.0.0.first (the integration tests count up from .2)."""
    used = used_ipv4()
    out = []
    for x in range(first, 1, -1):
        a = "127.0.0.%d" % x
        if a not in used:
            out.append(a)
            if len(out) == n:
                return out
    raise BenchError("fewer than %d free loopback addresses" % n)


def port_free(addr, port):
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind((addr, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def pick_port(addr, rng):
    """A free port below the kernel's ephemeral range, so that no
    short-lived client socket takes it between the check and the bind."""
    for _ in range(200):
        port = rng.randrange(20000, 32000)
        if port_free(addr, port):
            return port
    raise BenchError("no free port on %s" % addr)


# --------------------------------------------------------------------------
# processes

class Procs:
    """Every process started here, stopped on exit whatever happens."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.procs = {}     # name -> (Popen, log path)

    def start(self, name, argv, noclock=True, stdout_pipe=False):
        path = os.path.join(self.tmp, name + ".log")
        logf = open(path, "wb")
        full = (NOCLOCK if noclock else []) + argv
        p = subprocess.Popen(full, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE if stdout_pipe else logf,
                             stderr=logf, start_new_session=True)
        logf.close()
        self.procs[name] = (p, path)
        return p

    def alive(self, name):
        return self.procs[name][0].poll() is None

    def tail(self, name, n=20):
        try:
            with open(self.procs[name][1], "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError:
            return "(no log)"

    def check_no_sys_time(self, name):
        pid = self.procs[name][0].pid
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("CapBnd:") and int(line.split()[1], 16) & (1 << CAP_SYS_TIME):
                    raise BenchError("%s still has CAP_SYS_TIME; refusing to go on" % name)

    def stop(self, name, timeout=5.0):
        p = self.procs.pop(name, (None, None))[0]
        if p is None:
            return
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        if p.stdout:
            p.stdout.close()

    def stop_all(self):
        names = list(self.procs)
        for name in names:
            p = self.procs[name][0]
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 5
        for name in names:
            p = self.procs[name][0]
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
            if p.stdout:
                p.stdout.close()
        self.procs.clear()


def run(argv, timeout=5):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None


def gnomond_json(sock, what):
    cp = run([GNOMONCTL, "-s", sock, "--json", what])
    if cp is None or cp.returncode != 0:
        return None
    try:
        return json.loads(cp.stdout)
    except ValueError:
        return None


def chronyc_tracking(addr, port):
    """(synchronised, NTP clock - machine clock) from `chronyc -c tracking`."""
    cp = run([CHRONYC, "-c", "-n", "-h", addr, "-p", str(port), "tracking"])
    if cp is None or cp.returncode != 0:
        return None
    line = cp.stdout.strip().splitlines()
    if not line:
        return None
    f = line[-1].split(",")
    if len(f) < 14:
        return None
    synced = f[0] != "00000000" and f[13] != "Not synchronised"
    return synced, float(f[4])


def wait_until(pred, timeout, what, procs=None, name=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if procs is not None and not procs.alive(name):
            raise BenchError("%s exited during start-up:\n%s" % (name, procs.tail(name)))
        r = pred()
        if r:
            return r
        time.sleep(0.05)
    tail = "\n" + procs.tail(name) if procs is not None else ""
    raise BenchError("%s not ready within %.0f s%s" % (what, timeout, tail))


def check_config(path):
    cp = run([GNOMOND, "--check-config", "-f", path])
    if cp is None or cp.returncode != 0:
        raise BenchError("gnomond rejects %s:\n%s" % (path, cp and cp.stderr))


def start_gnomond(procs, tmp, name, addr, port, body):
    conf = os.path.join(tmp, name + ".conf")
    sock = os.path.join(tmp, name + ".sock")
    with open(conf, "w") as f:
        f.write("port %d\nbindaddress %s\ncontrol %s\n%s" % (port, addr, sock, body))
    check_config(conf)
    procs.start(name, [GNOMOND, "-n", "-f", conf])
    wait_until(lambda: os.path.exists(sock) and gnomond_json(sock, "serverstats"),
               10, name, procs, name)
    procs.check_no_sys_time(name)
    return sock


def start_chronyd(procs, tmp, name, addr, cmdport, server_line):
    conf = os.path.join(tmp, name + ".conf")
    with open(conf, "w") as f:
        f.write("# NTP client only: no server port, no clock control (-x)\n"
                "%s\nmakestep 0.1 3\nport 0\nbindacqaddress %s\n"
                "cmdport %d\nbindcmdaddress %s\ncmdallow 127.0.0.0/8\n"
                "pidfile %s\n" % (server_line, addr, cmdport, addr,
                                  os.path.join(tmp, name + ".pid")))
    procs.start(name, [CHRONYD, "-x", "-d", "-f", conf])
    wait_until(lambda: chronyc_tracking(addr, cmdport), 10, name, procs, name)
    procs.check_no_sys_time(name)


def start_relay(procs, tmp, name, listen, to, fwd, rev, seed):
    stats = os.path.join(tmp, name + ".json")
    p = procs.start(name, [RELAY, "--listen", "%s:0" % listen, "--to", to,
                           "--fwd", fwd, "--rev", rev, "--seed", str(seed),
                           "--stats-file", stats], stdout_pipe=True)
    line = p.stdout.readline().decode("utf-8", "replace")
    if not line.startswith("relay: listening on "):
        raise BenchError("%s did not start: %r\n%s" % (name, line, procs.tail(name)))
    procs.check_no_sys_time(name)
    host, port = line.split()[3].rsplit(":", 1)
    return host, int(port), stats


def relay_summary(path):
    """'fwd N / rev N packets, release error p99 X us' from a stats file."""
    try:
        with open(path) as f:
            st = json.load(f)
    except (OSError, ValueError):
        return "no statistics"
    parts = []
    for d in ("fwd", "rev"):
        s = st.get(d, {})
        h = s.get("release_error_ns", {})
        parts.append("%s %d pkts (late %d, release err p99 %.1f max %.1f us)" % (
            d, s.get("forwarded", 0), s.get("late_on_arrival", 0),
            h.get("p99", 0) / 1e3, h.get("max", 0) / 1e3))
    return "; ".join(parts) + ", sched %s" % st.get("sched", "?")


# --------------------------------------------------------------------------
# statistics

def rms(xs):
    return math.sqrt(sum(x * x for x in xs) / len(xs)) if xs else float("nan")


def mean(xs):
    return sum(xs) / len(xs) if xs else float("nan")


def median(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def convergence(samples, start, bias, thr, hold):
    """(converged, settled): seconds from the client's start to the first
    sample from which it stays synchronised with |error - bias| <= thr for
    `hold` seconds of samples; and to the sample after the last one
    outside that bound (None: never)."""
    ok = [(t - start, s and abs(e - bias) <= thr) for t, s, e in samples]
    conv = None
    for i, (t, good) in enumerate(ok):
        # near the end of the run, a shorter stretch has to do
        if good and all(g for tt, g in ok[i:] if tt - t <= hold):
            conv = t
            break
    bad = [i for i, (_, g) in enumerate(ok) if not g]
    if not ok:
        settled = None
    elif not bad:
        settled = ok[0][0]
    elif bad[-1] + 1 < len(ok):
        settled = ok[bad[-1] + 1][0]
    else:
        settled = None
    return conv, settled


class Client:
    """One NTP client under test and its samples (t, synchronised, error)."""

    def __init__(self, kind, pair, seed, name):
        self.kind, self.pair, self.seed, self.name = kind, pair, seed, name
        self.start = None
        self.samples = []
        self.fail = 0
        self.relay_stats = None
        self.ctl = None         # gnomond: control socket; chronyd: (addr, cmdport)
        self.addrs = None       # (own address, relay address, relay port)

    def query(self):
        if self.kind == "gnomond":
            tr = gnomond_json(self.ctl, "tracking")
            if tr is None or "clock_minus_system" not in tr:
                return None
            return bool(tr.get("synchronised")), float(tr["clock_minus_system"])
        return chronyc_tracking(*self.ctl)

    def used(self, skip):
        """Errors after the skipped start, synchronised samples only."""
        return [e for t, s, e in self.samples if t - self.start >= skip and s]

    def unsync(self, skip):
        return sum(1 for t, s, e in self.samples if t - self.start >= skip and not s)


def pooled_stats(clients, skip, bias, thr, hold):
    """One kind of client over all pairs: every sample after `skip` of
    every pair, pooled; the SD is about each client's own mean."""
    errs, dev = [], []
    for c in clients:
        u = c.used(skip)
        errs += u
        m = mean(u)
        dev += [e - m for e in u]
    conv = [convergence(c.samples, c.start, bias, thr, hold) for c in clients]
    return {
        "n": len(errs), "unsync": sum(c.unsync(skip) for c in clients),
        "fail": sum(c.fail for c in clients),
        "rms": rms(errs), "rms_unbiased": rms([e - bias for e in errs]),
        "mean": mean(errs), "sd": rms(dev),
        "max": max((abs(e) for e in errs), default=float("nan")),
        "max_unbiased": max((abs(e - bias) for e in errs), default=float("nan")),
        "conv": [c for c, _ in conv], "settled": [s for _, s in conv],
        "per_pair": [(rms(c.used(skip)), mean(c.used(skip))) for c in clients],
    }


def fmt_us(x, prec=1):
    return "n/a" if x is None or math.isnan(x) else "%.*f" % (prec, x * 1e6)


def fmt_s(x):
    return "never" if x is None else "%.0f" % x


def ratio(a, b):
    if a is None or b is None or math.isnan(a) or math.isnan(b) or b <= 0:
        return float("nan")
    return a / b


def fmt_ratio(r):
    return "n/a" if math.isnan(r) else "%.3f" % r


# --------------------------------------------------------------------------
# one phase

def run_phase(args, procs, tmp, phase, pair_addrs, upstream, rng, csvf):
    fwd, rev = getattr(args, phase + "_fwd"), getattr(args, phase + "_rev")
    bias, bias_mean = biases(fwd, rev)
    if args.bias_us is not None and phase != "sym":
        bias = args.bias_us * 1e-6
    poll = "iburst minpoll %d maxpoll %d%s" % (args.minpoll, args.maxpoll,
                                               " xleave" if args.xleave else "")
    log("phase %s: fwd %s, rev %s, %d pair(s), relay seeds %d..%d" % (
        phase, fwd, rev, args.pairs, args.seed, args.seed + args.pairs - 1))

    # Relays first (both of a pair with the same spec and seed), then the
    # clients, gnomond and chronyd of a pair started back to back.
    gs, cs = [], []
    for i, (g_addr, c_addr, rg_addr, rc_addr) in enumerate(pair_addrs):
        seed = args.seed + i
        g = Client("gnomond", i, seed, "gnomond-%s-%d" % (phase, i))
        c = Client("chronyd", i, seed, "chronyd-%s-%d" % (phase, i))
        rg = start_relay(procs, tmp, "relay-" + g.name, rg_addr, upstream, fwd, rev, seed)
        rc = start_relay(procs, tmp, "relay-" + c.name, rc_addr, upstream, fwd, rev, seed)
        g.relay_stats, c.relay_stats = rg[2], rc[2]
        g.addrs = (g_addr, rg[0], rg[1])
        c.addrs = (c_addr, rc[0], rc[1])
        gs.append(g)
        cs.append(c)
    for g, c in zip(gs, cs):
        g_addr, r_host, r_port = g.addrs
        g.start = time.monotonic()
        g.ctl = start_gnomond(
            procs, tmp, g.name, g_addr, pick_port(g_addr, rng),
            "clock virtual offset %s freq %s\nserver %s port %d %s\nmakestep 0.1 3\n" % (
                args.g_offset, args.g_freq, r_host, r_port, poll))
        c_addr, r_host, r_port = c.addrs
        cmdport = pick_port(c_addr, rng)
        c.start = time.monotonic()
        start_chronyd(procs, tmp, c.name, c_addr, cmdport,
                      "server %s port %d %s" % (r_host, r_port, poll))
        c.ctl = (c_addr, cmdport)
        log("pair %d (seed %d): gnomond %s via relay %s:%d, chronyd %s via relay %s:%d" % (
            g.pair, g.seed, g.addrs[0], g.addrs[1], g.addrs[2],
            c.addrs[0], c.addrs[1], c.addrs[2]))
    clients = gs + cs

    load0 = os.getloadavg()[0]
    t0 = time.monotonic()
    end = gs[-1].start + args.duration
    k = 0
    while True:
        due = t0 + k * args.interval
        if due > end:
            break
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        k += 1
        for cl in clients:
            if not procs.alive(cl.name):
                raise BenchError("%s died:\n%s" % (cl.name, procs.tail(cl.name)))
            q = cl.query()
            t = time.monotonic()
            if q is None:
                cl.fail += 1
            else:
                cl.samples.append((t, q[0], q[1]))
            if csvf:
                csvf.write("%s,%d,%d,%s,%.3f,%s,%s\n" % (
                    phase, cl.pair, cl.seed, cl.kind, t - cl.start,
                    "" if q is None else int(q[0]), "" if q is None else repr(q[1])))
        if args.verbose:
            log("t=%4.0f " % (time.monotonic() - t0) + " ".join(
                "%s%d %+8.1f" % (cl.kind[0], cl.pair, cl.samples[-1][2] * 1e6)
                for cl in clients if cl.samples))
    load1 = os.getloadavg()[0]

    g_src = [gnomond_json(g.ctl, "sources") for g in gs]
    for cl in clients:
        procs.stop(cl.name)
    for cl in clients:
        procs.stop("relay-" + cl.name)

    thr = args.threshold_us * 1e-6
    return {
        "phase": phase, "fwd": fwd, "rev": rev, "bias": bias, "bias_mean": bias_mean,
        "g": pooled_stats(gs, args.skip, bias, thr, args.hold),
        "c": pooled_stats(cs, args.skip, bias, thr, args.hold),
        "relays": [(cl.name, relay_summary(cl.relay_stats)) for cl in clients],
        "load": (load0, load1), "g_sources": g_src, "seeds": [g.seed for g in gs],
    }


def row(label, g, c, r=""):
    print("  %-34s %16s %16s %10s" % (label, g, c, r))


def report_phase(args, r):
    g, c = r["g"], r["c"]
    print()
    print("==== phase %s: fwd %s | rev %s ====" % (r["phase"], r["fwd"], r["rev"]))
    print("  %d pair(s), relay seeds %s; %d s per client, first %d s skipped; "
          "poll 2^%d..2^%d s; load avg %.2f -> %.2f" % (
              len(r["seeds"]), ",".join(map(str, r["seeds"])), args.duration, args.skip,
              args.minpoll, args.maxpoll, r["load"][0], r["load"][1]))
    print("  bias (half the asymmetry): %s us from the fixed delays (removed below), "
          "%s us from the mean delays" % (fmt_us(r["bias"]), fmt_us(r["bias_mean"])))
    if args.xleave:
        srcs = [x for d in r["g_sources"] if d for x in d.get("sources", [])]
        print("  xleave: gnomond clients' interleaved replies %d of %d received" % (
            sum(x.get("interleaved_replies", 0) for x in srcs),
            sum(x.get("received", 0) for x in srcs)))
    row("all pairs pooled", "gnomond", "chronyd", "ratio g/c")
    row("RMS error vs truth, us", fmt_us(g["rms"], 2), fmt_us(c["rms"], 2),
        fmt_ratio(ratio(g["rms"], c["rms"])))
    row("RMS error - bias, us", fmt_us(g["rms_unbiased"], 2), fmt_us(c["rms_unbiased"], 2),
        fmt_ratio(ratio(g["rms_unbiased"], c["rms_unbiased"])))
    row("mean error, us", fmt_us(g["mean"], 2), fmt_us(c["mean"], 2))
    row("SD about each client's mean, us", fmt_us(g["sd"], 2), fmt_us(c["sd"], 2),
        fmt_ratio(ratio(g["sd"], c["sd"])))
    row("max |error|, us", fmt_us(g["max"]), fmt_us(c["max"]))
    row("max |error - bias|, us", fmt_us(g["max_unbiased"]), fmt_us(c["max_unbiased"]))
    row("samples (unsynchronised)", "%d (%d)" % (g["n"], g["unsync"]),
        "%d (%d)" % (c["n"], c["unsync"]))
    row("failed queries", str(g["fail"]), str(c["fail"]))
    row("converged after, s (+-%g us)" % args.threshold_us,
        " ".join(map(fmt_s, g["conv"])), " ".join(map(fmt_s, c["conv"])))
    row("settled after, s", " ".join(map(fmt_s, g["settled"])),
        " ".join(map(fmt_s, c["settled"])))
    for seed, (grms, gmean), (crms, cmean) in zip(r["seeds"], g["per_pair"], c["per_pair"]):
        row("seed %d: RMS (mean), us" % seed, "%s (%s)" % (fmt_us(grms), fmt_us(gmean)),
            "%s (%s)" % (fmt_us(crms), fmt_us(cmean)), fmt_ratio(ratio(grms, crms)))
    for name, text in r["relays"]:
        print("  relay of %s: %s" % (name, text))
    for seed, src in zip(r["seeds"], r["g_sources"]):
        for s in (src or {}).get("sources", []):
            print("  gnomond (seed %d) source at the end: %s state %s reach %s delay %s" % (
                seed, s.get("address"), s.get("state"), s.get("reach"), s.get("delay")))


def summary(args, results, failed):
    print()
    print("==== gnomon accuracy benchmark: gnomond vs chronyd, RMS error vs truth after "
          "%d s, %d pair(s) pooled; goal: ratio <= %.2f ====" % (args.skip, args.pairs, args.goal))
    hdr = "  %-6s %11s %11s %7s %12s %12s %7s %9s %9s %11s %11s"
    print(hdr % ("phase", "gnomond us", "chronyd us", "ratio", "g-bias us", "c-bias us",
                 "ratio", "g max us", "c max us", "conv g/c s", "samples"))
    fields = []
    goal_met = bool(results) and not failed
    for r in results:
        g, c = r["g"], r["c"]
        rr = ratio(g["rms"], c["rms"])
        ru = ratio(g["rms_unbiased"], c["rms_unbiased"])
        if math.isnan(rr) or rr > args.goal:
            goal_met = False
        gconv, cconv = median(g["conv"]), median(c["conv"])
        print(hdr % (
            r["phase"], fmt_us(g["rms"], 2), fmt_us(c["rms"], 2), fmt_ratio(rr),
            fmt_us(g["rms_unbiased"], 2), fmt_us(c["rms_unbiased"], 2), fmt_ratio(ru),
            fmt_us(g["max"]), fmt_us(c["max"]), "%s/%s" % (fmt_s(gconv), fmt_s(cconv)),
            "%d/%d" % (g["n"], c["n"])))
        p = r["phase"]
        fields += ["%s_rms_us_gnomond=%s" % (p, fmt_us(g["rms"], 2)),
                   "%s_rms_us_chronyd=%s" % (p, fmt_us(c["rms"], 2)),
                   "%s_ratio=%s" % (p, fmt_ratio(rr)),
                   "%s_unbiased_rms_us_gnomond=%s" % (p, fmt_us(g["rms_unbiased"], 2)),
                   "%s_unbiased_rms_us_chronyd=%s" % (p, fmt_us(c["rms_unbiased"], 2)),
                   "%s_unbiased_ratio=%s" % (p, fmt_ratio(ru)),
                   "%s_max_us_gnomond=%s" % (p, fmt_us(g["max"])),
                   "%s_max_us_chronyd=%s" % (p, fmt_us(c["max"])),
                   "%s_conv_s_gnomond=%s" % (p, fmt_s(gconv)),
                   "%s_conv_s_chronyd=%s" % (p, fmt_s(cconv))]
    print("  ratio: gnomond / chronyd; the first (raw error against the machine clock) is "
          "the goal figure, the second has the known bias removed; conv: median over pairs")
    print("SUMMARY " + " ".join(fields) +
          " goal=%.2f goal_met=%s failed=%d" % (args.goal, "yes" if goal_met else "no", failed))


# --------------------------------------------------------------------------

def parse_args():
    ap = argparse.ArgumentParser(
        prog="bench/accuracy/run.sh",
        description="gnomond vs chronyd clock accuracy behind the impairment relay "
                    "(see bench/README.md).")
    ap.add_argument("--duration", type=int, default=int(os.environ.get("ACC_DURATION", 170)),
                    help="seconds per phase, from each client's start (default 170; ACC_DURATION)")
    ap.add_argument("--skip", type=int, default=int(os.environ.get("ACC_SKIP", 60)),
                    help="seconds of convergence left out of the RMS (default 60; ACC_SKIP)")
    ap.add_argument("--phases", default=os.environ.get("ACC_PHASES", "sym,asym"),
                    help="comma-separated, from sym, asym, asym2 (default sym,asym; ACC_PHASES)")
    ap.add_argument("--minpoll", type=int, default=int(os.environ.get("ACC_MINPOLL", 0)),
                    help="both clients' minpoll (default 0; ACC_MINPOLL)")
    ap.add_argument("--maxpoll", type=int, default=int(os.environ.get("ACC_MAXPOLL", 0)),
                    help="both clients' maxpoll (default 0; ACC_MAXPOLL)")
    ap.add_argument("--pairs", type=int, default=int(os.environ.get("ACC_PAIRS", 3)),
                    help="gnomond/chronyd pairs run at once, pair i with relay seed "
                         "SEED+i (default 3; ACC_PAIRS)")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("ACC_SEED", 1)),
                    help="relay seed of the first pair; both relays of a pair share "
                         "theirs (default 1; ACC_SEED)")
    ap.add_argument("--g-offset", default=os.environ.get("ACC_G_OFFSET", "0.01"),
                    help="gnomond virtual clock's initial error, s (default 0.01)")
    ap.add_argument("--g-freq", default=os.environ.get("ACC_G_FREQ", "20"),
                    help="gnomond virtual clock's frequency error, ppm (default 20)")
    for p, (f, r) in PHASES.items():
        ap.add_argument("--%s-fwd" % p, default=f, help="relay spec client->server (%s)" % f)
        ap.add_argument("--%s-rev" % p, default=r, help="relay spec server->client (%s)" % r)
    ap.add_argument("--bias-us", type=float, default=None,
                    help="asym phases: bias to remove, us (default: half the fixed-delay asymmetry)")
    ap.add_argument("--threshold-us", type=float, default=100.0,
                    help="convergence bound on |error - bias|, us (default 100)")
    ap.add_argument("--hold", type=float, default=10.0,
                    help="seconds the error must stay within the bound to count as "
                         "converged (default 10)")
    ap.add_argument("--interval", type=float, default=1.0, help="sampling interval, s (default 1)")
    ap.add_argument("--goal", type=float, default=0.7, help="target ratio (default 0.7)")
    ap.add_argument("--samples", metavar="CSV", help="write every sample to this CSV file")
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: 40 s phases, 20 s skipped")
    ap.add_argument("--xleave", action="store_true",
                    default=os.environ.get("ACC_XLEAVE", "") not in ("", "0"),
                    help="both clients in interleaved mode (RFC 9769; `xleave` on their "
                         "server lines; ACC_XLEAVE=1)")
    ap.add_argument("-v", "--verbose", action="store_true", help="log every sample")
    args = ap.parse_args()
    if args.quick:
        args.duration, args.skip = 40, 20
    args.phase_list = [p for p in args.phases.split(",") if p]
    for p in args.phase_list:
        if p not in PHASES:
            ap.error("unknown phase %r (sym, asym, asym2)" % p)
    if not 1 <= args.pairs <= 10:
        ap.error("--pairs takes 1..10")
    if args.skip >= args.duration:
        ap.error("--skip must be shorter than --duration")
    for spec in (args.sym_fwd, args.sym_rev, args.asym_fwd, args.asym_rev):
        try:
            parse_spec(spec)
        except ValueError as e:
            ap.error(str(e))
    return args


def main():
    args = parse_args()
    for path, what in ((GNOMOND, "gnomond (GNOMOND)"), (GNOMONCTL, "gnomonctl (GNOMONCTL)"),
                       (RELAY, "relay (RELAY; ninja -C build)"),
                       (CHRONYD, "chronyd (apt-get install chrony)"), (CHRONYC, "chronyc")):
        if not os.access(path, os.X_OK):
            log("error: %s not found at %s" % (what, path))
            return 1
    if shutil.which("setpriv") is None:
        log("error: setpriv (util-linux) not found")
        return 1

    def on_signal(signum, frame):
        raise KeyboardInterrupt
    # Explicitly: a shell starts background jobs with SIGINT ignored.
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    tmp = tempfile.mkdtemp(prefix="gnomon-acc.")
    os.chmod(tmp, 0o755)        # chronyd runs as _chrony and reads its files here
    procs = Procs(tmp)
    rng = random.Random()
    csvf = None
    results = []
    failed = 0
    try:
        if args.samples:
            csvf = open(args.samples, "w")
            csvf.write("phase,pair,seed,client,t,synchronised,error_s\n")
        addrs = pick_addresses(1 + 4 * args.pairs, 250)
        up_addr = addrs[0]
        pair_addrs = [tuple(addrs[1 + 4 * i:5 + 4 * i]) for i in range(args.pairs)]
        up_port = pick_port(up_addr, rng)
        start_gnomond(procs, tmp, "upstream", up_addr, up_port,
                      "allow 127.0.0.0/8\nlocal stratum 2\nclock null\n")
        log("upstream gnomond (clock null, stratum 2) on %s port %d" % (up_addr, up_port))
        for phase in args.phase_list:
            r = run_phase(args, procs, tmp, phase, pair_addrs,
                          "%s:%d" % (up_addr, up_port), rng, csvf)
            results.append(r)
            report_phase(args, r)
            if not procs.alive("upstream"):
                raise BenchError("upstream gnomond died:\n%s" % procs.tail("upstream"))
    except BenchError as e:
        log("error: %s" % e)
        failed = 1
    except KeyboardInterrupt:
        log("interrupted")
        failed = 130
    finally:
        # a second Ctrl-C must not cut the clean-up short
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        procs.stop_all()
        if csvf:
            csvf.close()
        shutil.rmtree(tmp, ignore_errors=True)
    if failed != 130:
        summary(args, results, failed)
    return failed


if __name__ == "__main__":
    sys.exit(main())
