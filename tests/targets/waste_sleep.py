"""Mostly asleep: the main thread and a helper thread nap between small bits of work."""

import sys
import threading
import time


def tidy_up(n: int) -> int:
    return sum(i * i for i in range(n))


def nap_loop(stop: float) -> None:
    while time.monotonic() < stop:
        time.sleep(0.05)
        tidy_up(200)


def main(seconds: float) -> None:
    stop = time.monotonic() + seconds
    helper = threading.Thread(target=nap_loop, args=(stop,), name="napper")
    helper.start()
    print("ready", flush=True)
    nap_loop(stop)
    helper.join()


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 30.0)
