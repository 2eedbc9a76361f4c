"""Spends ~70 % of its CPU time in seventy() and ~30 % in thirty()."""

import sys
import time


def seventy() -> None:
    end = time.perf_counter() + 0.007
    while time.perf_counter() < end:
        pass


def thirty() -> None:
    end = time.perf_counter() + 0.003
    while time.perf_counter() < end:
        pass


def main(seconds: float) -> None:
    print("ready", flush=True)
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        seventy()
        thirty()


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0)
