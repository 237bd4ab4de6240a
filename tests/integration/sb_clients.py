"""The clients of test_standby.py, run inside the client namespace
(`ip netns exec NS python3 sb_clients.py ADDR OUTFILE`).

Every 200 ms (start to start) two clients ask ADDR:123 for the time:
  raw     one NTP mode-3 request from this script, with its own t1..t4,
          so each answer's offset comes with its round trip (the bound of
          its error);
  ntpdig  ntpsec's ntpdig, one process per tick (a tick is skipped while
          two are still running).
Each result is a JSON line in OUTFILE, stamped with CLOCK_MONOTONIC
(system-wide, so the test compares it with the times of its own
actions). The script runs until it is killed."""
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ntp_helpers as nh  # noqa: E402

PERIOD = 0.2
LEAPS = {"no-leap": 0, "add-leap": 1, "del-leap": 2, "unsync": 3}


def main():
    addr, out = sys.argv[1], sys.argv[2]
    f = open(out, "a", buffering=1)
    lock = threading.Lock()

    def emit(rec):
        with lock:
            f.write(json.dumps(rec) + "\n")

    def dig(t0):
        cp = subprocess.run(["ntpdig", "-j", "-t", "1", addr], capture_output=True,
                            text=True, timeout=10)
        rec = {"k": "dig", "t": t0, "t_end": time.monotonic(), "ok": False}
        try:
            o = json.loads(cp.stdout.strip().splitlines()[-1])
            rec.update(ok=True, off=o["offset"], stratum=o["stratum"],
                       leap=LEAPS.get(o["leap"], -1))
        except (ValueError, IndexError, KeyError):
            rec["err"] = (cp.stdout + cp.stderr)[-200:]
        emit(rec)

    running = []
    nxt = time.monotonic()
    while True:
        t0 = time.monotonic()
        running = [t for t in running if t.is_alive()]
        if len(running) < 2:
            th = threading.Thread(target=dig, args=(t0,), daemon=True)
            th.start()
            running.append(th)
        rec = {"k": "raw", "t": t0, "ok": False}
        try:
            rep = nh.query(addr, 123, timeout=0.15)
        except (OSError, AssertionError) as e:
            rep = None
            rec["err"] = str(e)
        if rep is not None:
            rec.update(ok=True, off=rep.offset(), delay=rep.delay(), leap=rep.li,
                       stratum=rep.stratum)
        emit(rec)
        nxt += PERIOD
        time.sleep(max(0.0, nxt - time.monotonic()))


if __name__ == "__main__":
    main()
