"""Busy at a stack DEPTH frames deep (default 10,000), reached after DELAY seconds.

``fault_deep.py DEPTH SECONDS DELAY``: prints "ready" at once, spins near the top
of the stack for DELAY seconds (default 0), then recurses DEPTH frames deep and
spins at the bottom until SECONDS have passed since the start.
"""

import sys
import time


def spin(until: float) -> int:
    x = 0
    while time.monotonic() < until:
        for i in range(1000):
            x += i * i % 7
    return x


def descend(depth: int, until: float) -> None:
    if depth > 1:
        descend(depth - 1, until)
        return
    spin(until)


def main(depth: int, seconds: float, delay: float) -> None:
    sys.setrecursionlimit(depth + 1000)
    start = time.monotonic()
    print("ready", flush=True)
    spin(start + delay)
    descend(depth, start + seconds)


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 10_000,
        float(sys.argv[2]) if len(sys.argv) > 2 else 60.0,
        float(sys.argv[3]) if len(sys.argv) > 3 else 0.0,
    )
