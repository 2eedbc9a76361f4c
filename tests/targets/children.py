"""A parent busy in parent_work() with two child processes busy in child_work()."""

import multiprocessing
import sys
import time


def child_work(seconds: float) -> None:
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        sum(i * i for i in range(1000))


def parent_work(stop: float) -> None:
    while time.monotonic() < stop:
        sorted(range(2000), key=lambda x: -x)


def main(seconds: float) -> None:
    ctx = multiprocessing.get_context("fork")
    kids = [ctx.Process(target=child_work, args=(seconds,)) for _ in range(2)]
    for k in kids:
        k.start()
    print("ready", flush=True)
    parent_work(time.monotonic() + seconds)
    for k in kids:
        k.join()


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0)
