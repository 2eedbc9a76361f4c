"""Burns CPU, then prints "done".

    counters_busy.py SECONDS [THREADS] [START_DELAY] [THREAD_SECONDS]

THREADS == 0 (default): the main thread spins in pure Python.  THREADS > 0: that
many worker threads hash big buffers (hashlib releases the GIL, so they run in
parallel) while the main thread waits.  They start before "ready" when
START_DELAY is 0 (default), else START_DELAY s after it; each stops after
THREAD_SECONDS (default: when SECONDS are up).
"""

import hashlib
import sys
import threading
import time


def spin(stop: float) -> None:
    x = 0
    while time.monotonic() < stop:
        for i in range(10_000):
            x += i * i


def hash_loop(stop: float) -> None:
    buf = b"\x5a" * (1 << 20)
    while time.monotonic() < stop:
        hashlib.sha256(buf).digest()


def main(seconds: float, threads: int, delay: float, thread_seconds: float | None) -> None:
    end = time.monotonic() + seconds
    if threads == 0:
        print("ready", flush=True)
        spin(end)
    else:
        if delay > 0:
            print("ready", flush=True)
            time.sleep(delay)
        stop = end if thread_seconds is None else min(end, time.monotonic() + thread_seconds)
        workers = [threading.Thread(target=hash_loop, args=(stop,)) for _ in range(threads)]
        for t in workers:
            t.start()
        if delay <= 0:
            print("ready", flush=True)
        for t in workers:
            t.join()
        time.sleep(max(0.0, end - time.monotonic()))
    print("done", flush=True)


if __name__ == "__main__":
    a = sys.argv[1:]
    main(
        float(a[0]) if a else 30.0,
        int(a[1]) if len(a) > 1 else 0,
        float(a[2]) if len(a) > 2 else 0.0,
        float(a[3]) if len(a) > 3 else None,
    )
