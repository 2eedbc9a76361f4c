"""Sleeps and wakes up 100 times a second (context switches, little CPU)."""

import sys
import time


def main(seconds: float) -> None:
    print("ready", flush=True)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.01)


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 30.0)
