"""The UDP impairment relay (tests/tools/relay.c) measured from outside.

This kernel has no netem (shared/TESTING.md), so the tests that need delay,
jitter, asymmetry, loss, duplication or reordering put the relay between
gnomond and its peers.  Here the relay itself is checked with user-space
timestamps only (time.monotonic_ns, shared by all processes on the machine),
never with the kernel timestamps the relay schedules from; the endpoints are
tests/tools/udp_probe.py processes:

    client -> relay --fwd SPEC -> echo server (own process)
    client <- relay --rev SPEC <- echo server

The echo server stamps each request on arrival (t1) and just before the
reply (t2); the client stamps the send (t0) and the reply's arrival (t3), so
t1 - t0 is the forward delay and t3 - t2 the reverse one.  A one-way sink
stands in for the receiving side of a data diode.

Binary: $RELAY, default build/tests/tools/relay.  About 10 s.
"""

import json
import os
import select
import shutil
import signal
import statistics
import subprocess
import tempfile
import time

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RELAY = os.environ.get("RELAY", os.path.join(REPO, "build", "tests", "tools", "relay"))
PYTHON = "/usr/bin/python3"

MS = 1_000_000
US = 1_000
SANITIZER_MARKS = ("runtime error:", "AddressSanitizer", "LeakSanitizer",
                   "ThreadSanitizer")

# The endpoints (their own processes, see the file for the datagram layout).
PROBE = os.path.join(REPO, "tests", "tools", "udp_probe.py")


def _fail_missing():
    if not (os.path.isfile(RELAY) and os.access(RELAY, os.X_OK)):
        pytest.fail("relay not found or not executable at %s (ninja -C build, "
                    "or set $RELAY)" % RELAY, pytrace=False)


def _read_line(proc, timeout, what, errtext=lambda: ""):
    """First line of proc's stdout within timeout seconds."""
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    if not ready:
        proc.kill()
        pytest.fail("%s printed nothing within %.0f s" % (what, timeout), pytrace=False)
    line = proc.stdout.readline()
    if not line:
        err = errtext()
        pytest.fail("%s exited at start-up (status %s):\n%s" % (
            what, proc.wait(), err), pytrace=False)
    return line.strip()


class Peer:
    def __init__(self, mode, host="127.0.0.1"):
        self.host = host
        self.proc = subprocess.Popen([PYTHON, PROBE, mode, host],
                                     stdout=subprocess.PIPE, text=True)
        self.port = int(_read_line(self.proc, 10, "%s peer" % mode))

    def stop(self):
        """Arrivals as [(seq, t_arrival_ns)]."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=10)
        lines = out.strip().splitlines()
        return [tuple(x) for x in json.loads(lines[-1])] if lines else []

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Relay:
    def __init__(self, to_host, to_port, fwd=None, rev=None, seed=None,
                 listen_host="127.0.0.1", extra=()):
        self.dir = tempfile.mkdtemp(prefix="gn-relay-")
        self.stats_path = os.path.join(self.dir, "stats.json")
        fmt = "[%s]:%d" if ":" in to_host else "%s:%d"
        lfmt = "[%s]:0" if ":" in listen_host else "%s:0"
        self.argv = [RELAY, "--listen", lfmt % listen_host,
                     "--to", fmt % (to_host, to_port),
                     "--stats-file", self.stats_path]
        if fwd:
            self.argv += ["--fwd", fwd]
        if rev:
            self.argv += ["--rev", rev]
        if seed is not None:
            self.argv += ["--seed", str(seed)]
        self.argv += list(extra)
        self.errpath = os.path.join(self.dir, "stderr.log")
        self._err = open(self.errpath, "w")
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE,
                                     stderr=self._err, text=True)
        try:
            line = _read_line(self.proc, 10, "relay", self.stderr)
        except BaseException:
            self.cleanup()
            raise
        # "relay: listening on 127.0.0.1:PORT to ..."
        assert line.startswith("relay: listening on "), line
        self.host = listen_host
        self.port = int(line.split()[3].rsplit(":", 1)[1])

    def stderr(self):
        """The relay's stderr so far (its statistics once it has stopped)."""
        with open(self.errpath) as f:
            return f.read()

    def stop(self):
        """SIGTERM; the relay must exit 0, cleanly, and write its stats."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            pytest.fail("relay ignored SIGTERM for 10 s")
        self._err.close()
        err = self.stderr()
        assert self.proc.returncode == 0, "relay exited %s:\n%s" % (
            self.proc.returncode, err)
        assert not any(m in err for m in SANITIZER_MARKS), err
        with open(self.stats_path) as f:
            return json.load(f)

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if not self._err.closed:
            self._err.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def spawn():
    """spawn(cls, *args, **kw): start a Peer or Relay, stopped at teardown."""
    _fail_missing()
    made = []

    def start(cls, *args, **kw):
        obj = cls(*args, **kw)
        made.append(obj)
        return obj
    yield start
    for obj in made:
        obj.cleanup()


def exchange(host, port, n, gap_ns, linger_ns=60 * MS):
    """Send n datagrams, one every gap_ns, from a client process and collect
    what comes back for linger_ns after the last.  Returns (sent {seq: t0},
    replies [(seq, t0, t1, t2, t3)] in arrival order)."""
    cp = subprocess.run([PYTHON, PROBE, "client", host, str(port), str(n),
                         str(gap_ns), str(linger_ns)],
                        capture_output=True, text=True,
                        timeout=30 + n * gap_ns / 1e9)
    assert cp.returncode == 0, cp.stderr
    out = json.loads(cp.stdout)
    return dict(enumerate(out["sent"])), [tuple(r) for r in out["replies"]]


def one_way(replies):
    fwd = [t1 - t0 for _, t0, t1, _, _ in replies]
    rev = [t3 - t2 for _, _, _, t2, t3 in replies]
    return fwd, rev


def us(ns_list):
    return "mean %.1f us, median %.1f us, sd %.1f us, min %.1f, max %.1f (n=%d)" % (
        statistics.mean(ns_list) / US, statistics.median(ns_list) / US,
        statistics.pstdev(ns_list) / US, min(ns_list) / US, max(ns_list) / US,
        len(ns_list))


def check_stats_consistent(st, sent, echoed, replies):
    """The relay's counters against what the endpoints saw."""
    f, r = st["fwd"], st["rev"]
    for d in (f, r):
        copies = d["received"] - d["dropped"] + d["duplicated"]
        assert d["forwarded"] + d["send_errors"] + d["overflow"] + \
            d["pending_at_exit"] == copies, d
        assert d["send_errors"] == d["overflow"] == d["no_flow"] == 0, d
        assert d["kernel_timestamps"] == d["received"], d
        assert d["release_error_ns"]["count"] == d["forwarded"], d
    assert f["received"] == len(sent), (f, len(sent))
    assert f["forwarded"] == len(echoed), (f, len(echoed))
    assert r["received"] == len(echoed), (r, len(echoed))
    assert r["forwarded"] == len(replies), (r, len(replies))
    assert st["clients"] == 1, st


# --------------------------------------------------------------------------
# delay and asymmetry
#
# What the Python endpoints measure is the relay's delay plus their own
# latency, which is never negative (t0 is taken before the kernel's receive
# timestamp that the relay schedules from, t1 after the relay's send) and
# usually a few tens of microseconds, but a descheduled interpreter now and
# then adds milliseconds to a handful of datagrams.  So lower bounds are
# exact, and means and spreads are taken over the central 98 % of samples.

def trimmed(xs, frac=0.01):
    s = sorted(xs)
    k = int(len(s) * frac)
    return s[k:len(s) - k]


def quantile(sorted_xs, p):
    return sorted_xs[int(round(p * (len(sorted_xs) - 1)))]


def measure_until_undisturbed(run, attempts=3):
    """Bounds on the relay's timing hold where the machine let it run: a
    measurement whose relay reports that it was kept from running (its
    release errors' p99 beyond 500 us in a direction) is taken again, up
    to three times. CI once saw a 0.6 s run with 37 of 624 timed wake-ups
    late and releases up to 2.8 ms late, the forward mean 234 us over
    while its median was 18 us over. run() returns (None, _) when every
    bound holds, else (what failed, with the figures; disturbed). A relay
    that is late by itself is late in every attempt and fails; one that
    fails undisturbed fails at once."""
    reports = []
    for attempt in range(attempts):
        failure, disturbed = run()
        if failure is None:
            return
        reports.append("attempt %d%s:\n%s" % (
            attempt + 1, " (relay kept from running)" if disturbed else "", failure))
        if not disturbed:
            break
    pytest.fail("\n\n".join(reports), pytrace=False)


def relay_disturbed(st):
    return any(st[d]["release_error_ns"]["p99"] > 500 * US
               for d in ("fwd", "rev") if st[d]["release_error_ns"]["count"])


def test_fixed_delay_each_direction(spawn):
    """fwd 1 ms, rev 2.5 ms (asymmetric): each one-way mean within 100 us of
    its delay, and no datagram ever early (measure_until_undisturbed)."""
    measure_until_undisturbed(lambda: _fixed_delay_run(spawn))


def _fixed_delay_run(spawn):
    """One measurement: (None, _) when every bound holds, else (what
    failed with the figures, whether the relay reports it was kept from
    running)."""
    echo = spawn(Peer, "echo")
    # Baseline without the relay: what the Python endpoints add by
    # themselves (reported on failure).
    _, direct = exchange("127.0.0.1", echo.port, 200, 1 * MS)
    relay = spawn(Relay, "127.0.0.1", echo.port, fwd="delay=1ms", rev="delay=2.5ms")
    sent, replies = exchange("127.0.0.1", relay.port, 600, 1 * MS)
    st = relay.stop()
    echoed = echo.stop()
    fwd, rev = one_way(replies)
    bf, br = one_way(direct)
    info = "fwd: %s\nrev: %s\ndirect fwd: %s\ndirect rev: %s\nrelay:\n%s" % (
        us(fwd), us(rev), us(bf), us(br), relay.stderr())
    print(info.split("\nrelay:")[0])
    disturbed = relay_disturbed(st)
    # The counters and the lower bounds hold however loaded the machine.
    assert len(replies) == 600, info
    assert min(fwd) >= 1 * MS - 2 * US and min(rev) >= 2.5 * MS - 2 * US, info
    check_stats_consistent(st, sent, echoed[200:], replies)
    # Against the truth measured here: the delay plus what the endpoints
    # and the stacks add without the relay (tens of us, more under load:
    # CI saw the reverse mean 112 us over 2.5 ms with a direct path of 84).
    for name, got, base, delay in (("fwd", fwd, bf, 1 * MS), ("rev", rev, br, 2.5 * MS)):
        off = statistics.mean(trimmed(got)) - delay - statistics.mean(trimmed(base))
        if abs(off) > 100 * US:
            return "%s trimmed mean %.1f us off\n%s" % (name, off / US, info), disturbed
        off = statistics.median(got) - delay - statistics.median(base)
        if abs(off) > 100 * US:
            return "%s median %.1f us off\n%s" % (name, off / US, info), disturbed
    for d in ("fwd", "rev"):
        e = st[d]["release_error_ns"]
        assert e["count"] == 600, (d, e)
        if not (e["p50"] < 20 * US and e["mean"] < 100 * US):
            return "%s release error %s\n%s" % (d, e, info), disturbed
    return None, disturbed


# --------------------------------------------------------------------------
# jitter distributions

JITTER = 300 * US
DELAY = 2 * MS


def model_sample(dist, n=200000):
    """The configured delay distribution, sampled here (Python's own
    generator, seeded), to compare robust statistics like for like."""
    import random
    rnd = random.Random(42)
    draw = {"uniform": lambda: rnd.uniform(-JITTER, JITTER),
            "normal": lambda: rnd.gauss(0, JITTER),
            "exp": lambda: rnd.expovariate(1 / JITTER)}[dist]
    return sorted(max(0.0, DELAY + draw()) for _ in range(n))


@pytest.mark.parametrize("dist", ["uniform", "normal", "exp"])
def test_jitter_distribution(spawn, dist):
    echo = spawn(Peer, "echo")
    relay = spawn(Relay, "127.0.0.1", echo.port, seed=7,
                  fwd="delay=2ms,jitter=300us,dist=%s" % dist)
    sent, replies = exchange("127.0.0.1", relay.port, 1500, 400 * US)
    st = relay.stop()
    echoed = echo.stop()
    fwd, rev = one_way(replies)
    # The distribution is judged on the delays the relay really applied
    # (kernel receive to send, recorded by the relay for each datagram): the
    # Python endpoints' own scheduling latency, which a loaded 2-core VM
    # inflates by hundreds of microseconds in the upper tail (q95-q50 785 us
    # against 494 in one run here), is not the relay's doing.  The
    # end-to-end times are then checked to agree with what was applied.
    applied = sorted(st["fwd"]["applied_delay_ns"])
    got, want = applied, model_sample(dist)
    tg, tw = trimmed(got), trimmed(want)

    def span(xs, lo, hi):
        return quantile(xs, hi) - quantile(xs, lo)
    figures = {
        "trimmed mean": (statistics.mean(tg), statistics.mean(tw)),
        "trimmed sd": (statistics.pstdev(tg), statistics.pstdev(tw)),
        "q25..q75": (span(got, .25, .75), span(want, .25, .75)),
        "q05..q95": (span(got, .05, .95), span(want, .05, .95)),
        "q50-q05": (span(got, .05, .5), span(want, .05, .5)),
        "q95-q50": (span(got, .5, .95), span(want, .5, .95)),
    }
    path = statistics.median(rev)
    excess = statistics.median(fwd) - statistics.median(applied)
    info = "%s applied: %s\n%s\nend-to-end fwd: %s\nrev: %s\n" \
        "end-to-end median - applied median %.1f us (path %.1f us)\nrelay:\n%s" % (
            dist, us(applied), "\n".join(
                "  %-12s applied %7.1f us, model %7.1f us" % (k, g / US, w / US)
                for k, (g, w) in figures.items()),
            us(fwd), us(rev), excess / US, path / US, relay.stderr())
    print(info.split("\nrelay:")[0])
    assert len(replies) == 1500 and len(applied) == 1500, info
    g, w = figures["trimmed mean"]
    assert abs(g - w) <= 100 * US, info
    for k in ("trimmed sd", "q25..q75", "q05..q95", "q50-q05", "q95-q50"):
        g, w = figures[k]
        assert 0.8 * w <= g <= 1.25 * w, "%s\n%s" % (k, info)
    # exact lower bounds: the relay never releases a datagram early, and
    # the measurement never makes one faster
    low = {"uniform": DELAY - JITTER, "exp": DELAY, "normal": 0}[dist]
    assert applied[0] >= low - 2 * US and sorted(fwd)[0] >= low - 2 * US, info
    # what the endpoints saw is what the relay applied plus the path's own
    # latency (the unimpaired reverse direction's median, same run)
    assert -2 * US <= excess <= path + 200 * US, info
    # the reverse direction had no impairment: it stays fast
    assert statistics.median(rev) < 300 * US, info
    check_stats_consistent(st, sent, echoed, replies)


# --------------------------------------------------------------------------
# loss, duplication, reordering

def lost_seqs(seed, loss="0.2", n=2000):
    echo = Peer("echo")
    relay = None
    try:
        relay = Relay("127.0.0.1", echo.port, seed=seed, fwd="loss=%s" % loss)
        sent, replies = exchange("127.0.0.1", relay.port, n, 150 * US)
        st = relay.stop()
        echoed = echo.stop()
    finally:
        for p in (relay, echo):
            if p is not None:
                p.cleanup()
    check_stats_consistent(st, sent, echoed, replies)
    return set(sent) - {r[0] for r in replies}, st


def test_loss_seeded_and_reproducible(spawn):
    _fail_missing()
    lost_a, st_a = lost_seqs(1234)
    lost_b, st_b = lost_seqs(1234)
    lost_c, _ = lost_seqs(99)
    n = 2000
    # binomial(2000, 0.2): sd 0.9 %; 4.5 sd either way
    assert 0.16 * n <= len(lost_a) <= 0.24 * n, len(lost_a)
    assert st_a["fwd"]["dropped"] == len(lost_a), st_a["fwd"]
    assert st_a["rev"]["dropped"] == 0, st_a["rev"]
    # same seed, same datagrams: exactly the same ones lost
    assert lost_a == lost_b, (len(lost_a), len(lost_b), sorted(lost_a ^ lost_b)[:20])
    assert st_a["seed"] == st_b["seed"] == 1234
    # another seed: about as many, but others
    assert 0.16 * n <= len(lost_c) <= 0.24 * n, len(lost_c)
    assert len(lost_a & lost_c) < 0.1 * n, len(lost_a & lost_c)


def test_duplication(spawn):
    echo = spawn(Peer, "echo")
    relay = spawn(Relay, "127.0.0.1", echo.port, seed=5, fwd="dup=0.1,delay=200us")
    sent, replies = exchange("127.0.0.1", relay.port, 2000, 150 * US)
    st = relay.stop()
    echoed = echo.stop()
    seen = {}
    for r in replies:
        seen[r[0]] = seen.get(r[0], 0) + 1
    dups = sum(c - 1 for c in seen.values())
    assert set(seen) == set(sent), "every datagram got through at least once"
    assert max(seen.values()) == 2, max(seen.values())
    assert 0.07 * 2000 <= dups <= 0.13 * 2000, dups
    assert st["fwd"]["duplicated"] == dups, (st["fwd"], dups)
    check_stats_consistent(st, sent, echoed, replies)


def test_reordering(spawn):
    """reorder=0.1 holds a datagram 2 ms more; at one datagram every 150 us
    about 13 later ones overtake it, so each held datagram arrives after a
    higher sequence number."""
    echo = spawn(Peer, "echo")
    relay = spawn(Relay, "127.0.0.1", echo.port, seed=11,
                  fwd="delay=500us,reorder=0.1")
    sent, replies = exchange("127.0.0.1", relay.port, 2000, 150 * US)
    st = relay.stop()
    echoed = echo.stop()
    high, late, held_delay = -1, 0, []
    for seq, t0, t1, _, _ in replies:
        if seq < high:
            late += 1
            held_delay.append(t1 - t0)
        high = max(high, seq)
    held = st["fwd"]["reordered"]
    assert 0.07 * 2000 <= held <= 0.13 * 2000, st["fwd"]
    # the last few held datagrams have nothing left to overtake them
    assert held - 3 <= late <= held, (late, held)
    assert abs(statistics.median(held_delay) - 2.5 * MS) <= 100 * US, us(held_delay)
    assert len(replies) == 2000
    check_stats_consistent(st, sent, echoed, replies)


def test_replies_go_back_to_their_client(spawn):
    """Three clients at once: each has its own upstream socket, so each gets
    exactly its own replies back."""
    echo = spawn(Peer, "echo")
    relay = spawn(Relay, "127.0.0.1", echo.port, fwd="delay=300us", rev="delay=300us")
    argv = [PYTHON, PROBE, "client", "127.0.0.1", str(relay.port), "500",
            str(400 * US), str(60 * MS)]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
             for _ in range(3)]
    outs = [json.loads(p.communicate(timeout=30)[0]) for p in procs]
    st = relay.stop()
    echo.stop()
    for out in outs:
        sent = out["sent"]
        assert len(out["replies"]) == 500
        # a reply carries the request's own t0: it must be one we sent
        assert all(sent[seq] == t0 for seq, t0, _, _, _ in out["replies"])
    assert st["clients"] == 3, st
    assert st["fwd"]["forwarded"] == st["rev"]["forwarded"] == 1500, st


# --------------------------------------------------------------------------
# one-way stream (data diode), IPv6

def test_one_way_stream_ipv6(spawn):
    """sender -> relay -> receiver with nothing coming back: every datagram
    arrives, delayed, and the reverse direction stays silent (the timing
    bounds as measure_until_undisturbed says)."""
    measure_until_undisturbed(lambda: _one_way_stream_run(spawn))


def _one_way_stream_run(spawn):
    sink = spawn(Peer, "sink", "::1")
    relay = spawn(Relay, "::1", sink.port, listen_host="::1",
                  fwd="delay=1ms,jitter=50us,dist=normal", rev="delay=1ms", seed=3)
    sent, replies = exchange("::1", relay.port, 1000, 200 * US, linger_ns=100 * MS)
    st = relay.stop()
    got = sink.stop()
    assert replies == [], "a one-way stream got %d replies" % len(replies)
    assert sorted(s for s, _ in got) == list(range(1000)), len(got)
    assert st["fwd"]["forwarded"] == 1000 and st["rev"]["received"] == 0, st
    assert st["rev"]["forwarded"] == 0, st
    delays = [t - sent[s] for s, t in got]
    # The distribution is judged on the delays the relay applied (kernel
    # receive to send, as test_jitter_distribution does): end to end, the
    # Python endpoints' scheduling on a loaded VM put a tail on it (CI: a
    # trimmed mean of 1218 us, median 1052, sd 568 us). Normal, sd 50 us:
    # an interquartile range of 67 us. The end-to-end delays agree with it
    # where the tail is not (the median).
    applied = sorted(st["fwd"]["applied_delay_ns"])
    assert len(applied) == 1000, len(applied)
    iqr = quantile(applied, 0.75) - quantile(applied, 0.25)
    info = "applied %s, interquartile %.1f us\nend to end %s\nrelay:\n%s" % (
        us(applied), iqr / US, us(delays), relay.stderr())
    if abs(statistics.mean(trimmed(applied)) - 1 * MS) > 20 * US or \
            not 45 * US <= iqr <= 90 * US or \
            abs(statistics.median(delays) - 1 * MS) > 100 * US:
        return info, relay_disturbed(st)
    return None, False


# --------------------------------------------------------------------------
# precision of the relay itself, start-up and shutdown

def test_release_precision_reported(spawn):
    """2,000 datagrams/s through a 1 ms delay: the relay's own release error
    (its send time minus the scheduled time, from its stats) stays small."""
    sink = spawn(Peer, "sink")
    relay = spawn(Relay, "127.0.0.1", sink.port, fwd="delay=1ms")
    sent, _ = exchange("127.0.0.1", relay.port, 4000, 500 * US, linger_ns=20 * MS)
    st = relay.stop()
    sink.stop()
    e = st["fwd"]["release_error_ns"]
    print("relay release error at 2 kHz, 1 ms delay (sched %s, spin %d ns): %s"
          % (st["sched"], st["spin_ns"], e))
    assert e["count"] == 4000, e
    # The median is the relay's own precision. The mean is the machine's:
    # under ASan with the other core busy, stalls of the whole VM (one of
    # 14 ms seen) took it to 76 us while the median stayed at 0.4 us.
    assert e["p50"] <= 5 * US, (st["sched"], e)
    assert st["fwd"]["late_on_arrival"] <= 40, st["fwd"]


def test_warm_up_before_each_release(spawn):
    """--warm: one warm-up datagram per release, out of the same socket to
    the relay's own loopback sink, none of them reaching the receiver."""
    sink = spawn(Peer, "sink")
    relay = spawn(Relay, "127.0.0.1", sink.port, fwd="delay=1ms",
                  extra=("--warm", "100us", "--spin", "1ms"))
    sent, _ = exchange("127.0.0.1", relay.port, 50, 20 * MS, linger_ns=50 * MS)
    st = relay.stop()
    got = sink.stop()
    assert sorted(s for s, _ in got) == list(range(50)), got
    assert st["warm_ns"] == 100 * US, st
    # A datagram read with less than half the lead left goes unwarmed: at
    # 1 ms delay that is one read 950 us late, rare even on a busy machine.
    assert st["fwd"]["forwarded"] == 50 and 45 <= st["warmups"] <= 50, st


def test_duration_ends_run(spawn):
    _fail_missing()
    with tempfile.TemporaryDirectory(prefix="gn-relay-") as d:
        path = os.path.join(d, "s.json")
        t = time.monotonic()
        cp = subprocess.run([RELAY, "--listen", "127.0.0.1:0", "--to", "127.0.0.1:9",
                             "--duration", "0.5", "--stats-file", path],
                            capture_output=True, text=True, timeout=10)
        took = time.monotonic() - t
        assert cp.returncode == 0, cp.stderr
        assert 0.45 <= took <= 3, took
        with open(path) as f:
            st = json.load(f)
        assert st["fwd"]["received"] == 0 and st["elapsed_s"] >= 0.5, st
        assert "release error" in cp.stderr, cp.stderr


@pytest.mark.parametrize("args", [
    ["--fwd", "delay=5"],                  # no unit
    ["--fwd", "loss=1.5"],                 # not a probability
    ["--fwd", "dist=cauchy"],
    ["--fwd", "latency=1ms"],              # unknown key
    ["--to", "localhost:123"],             # literals only
    ["--to", "[::1]:70000"],
    ["--warm", "2ms"],                     # longer than 1 ms
], ids=["no-unit", "loss>1", "dist", "key", "name", "port", "warm"])
def test_bad_arguments(args):
    _fail_missing()
    argv = [RELAY, "--listen", "127.0.0.1:0", "--to", "127.0.0.1:9"] + args
    cp = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    assert cp.returncode == 2, (args, cp.returncode, cp.stderr)
    assert "relay:" in cp.stderr or "usage" in cp.stderr, cp.stderr


@pytest.mark.parametrize("args", [
    ["--bridge", "veth0"],                 # two interfaces
    ["--bridge", "a,a"],                   # two different ones
    ["--bridge", "a,"],
    ["--bridge", "a,b,c"],
    ["--bridge", "a,%s" % ("x" * 16)],     # longer than IFNAMSIZ
    ["--bridge", "a,b", "--listen", "127.0.0.1:0"],  # one mode or the other
    ["--bridge", "a,b", "--warm", "100us"],          # UDP only
], ids=["one", "same", "empty", "three", "long", "both-modes", "warm"])
def test_bad_bridge_arguments(args):
    """--bridge (Ethernet frames between two interfaces; used by
    test_ptp_relay.py) checks its value and excludes --listen/--to."""
    _fail_missing()
    cp = subprocess.run([RELAY] + args, capture_output=True, text=True, timeout=10)
    assert cp.returncode == 2, (args, cp.returncode, cp.stderr)
    assert "relay:" in cp.stderr or "usage" in cp.stderr, cp.stderr


def test_bridge_unknown_interface():
    _fail_missing()
    cp = subprocess.run([RELAY, "--bridge", "gnnoif0,gnnoif1", "--duration", "1"],
                        capture_output=True, text=True, timeout=10)
    assert cp.returncode == 1 and "no interface gnnoif0" in cp.stderr, cp.stderr
