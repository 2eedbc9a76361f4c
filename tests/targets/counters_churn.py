"""Keeps starting short-lived threads that hash for a moment and exit (thread churn)."""

import hashlib
import sys
import threading
import time


def burst() -> None:
    buf = b"\x33" * (1 << 18)
    for _ in range(20):
        hashlib.sha256(buf).digest()


def main(seconds: float) -> None:
    end = time.monotonic() + seconds
    print("ready", flush=True)
    while time.monotonic() < end:
        workers = [threading.Thread(target=burst) for _ in range(3)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 30.0)
