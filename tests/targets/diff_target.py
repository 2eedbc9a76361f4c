"""A before/after pair in one program: ``diff_target.py MODE SECONDS [--duty F] [--threaded]``.

The main thread loops over hot() and cold(), busy 10 ms an iteration in both modes;
only the split moves:

    mode     hot    cold
    before   2 ms   8 ms
    after    8 ms   2 ms

so a comparison of the two calls hot() regressed and cold() improved.

``--threaded`` adds a thread that runs steady() for the whole run, inside one long
C call that releases the GIL.  py-spy samples both threads at every tick, so
steady() holds exactly half of the samples in every window of both modes: the
function a comparison must call unchanged, with no sampling noise to argue about.

``--duty F`` sleeps after each iteration so that the main thread is busy a
fraction F of the wall time: the CPU load a sampler sees.
"""

import hashlib
import sys
import threading
import time

SPLIT_MS = {"before": (2.0, 8.0), "after": (8.0, 2.0)}


def spin(ms: float) -> None:
    end = time.perf_counter() + ms / 1000.0
    while time.perf_counter() < end:
        pass


def hot(ms: float) -> None:
    spin(ms)


def cold(ms: float) -> None:
    spin(ms)


def steady() -> None:
    while True:  # each call runs for seconds without the GIL
        hashlib.pbkdf2_hmac("sha256", b"steady", b"salt", 20_000_000)


def main(mode: str, seconds: float, duty: float, threaded: bool) -> None:
    hot_ms, cold_ms = SPLIT_MS[mode]
    pause_s = (hot_ms + cold_ms) / 1000.0 * (1.0 / duty - 1.0)
    if threaded:
        threading.Thread(target=steady, name="steady", daemon=True).start()
    print("ready", flush=True)
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        hot(hot_ms)
        cold(cold_ms)
        if pause_s > 0:
            time.sleep(pause_s)


if __name__ == "__main__":
    args = sys.argv[1:]
    threaded = "--threaded" in args
    args = [a for a in args if a != "--threaded"]
    duty = 1.0
    if "--duty" in args:
        i = args.index("--duty")
        duty = float(args[i + 1])
        del args[i : i + 2]
    mode = args[0] if args else "before"
    main(mode, float(args[1]) if len(args) > 1 else 60.0, duty, threaded)
