"""Three named worker threads, each busy in its own function; main thread joins."""

import sys
import threading
import time


def work_alpha(stop: float) -> None:
    while time.monotonic() < stop:
        sum(i * i for i in range(500))


def work_beta(stop: float) -> None:
    while time.monotonic() < stop:
        sorted(str(i) for i in range(300))


def work_gamma(stop: float) -> None:
    while time.monotonic() < stop:
        "-".join(str(i) for i in range(400)).split("-")


def main(seconds: float) -> None:
    stop = time.monotonic() + seconds
    threads = [
        threading.Thread(target=fn, args=(stop,), name=name)
        for fn, name in ((work_alpha, "alpha"), (work_beta, "beta"), (work_gamma, "gamma"))
    ]
    for t in threads:
        t.start()
    print("ready", flush=True)
    for t in threads:
        t.join()


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0)
