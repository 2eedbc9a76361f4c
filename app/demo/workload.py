"""A small program with a few distinct hot functions, for a first profile.

parse_records takes the largest share, then render_report, compute_statistics and
checksum, plus a worker thread that sleeps and hashes.  Runs for
``--seconds`` (default: until interrupted).
"""

from __future__ import annotations

import argparse
import hashlib
import math
import threading
import time


def parse_records(n: int) -> list[tuple[str, float]]:
    out = []
    for i in range(n):
        line = f"sensor-{i % 17},{i * 0.5:.3f},ok"
        name, value, _ = line.split(",")
        out.append((name.upper(), float(value)))
    return out


def compute_statistics(values: list[float]) -> tuple[float, float]:
    mean = sum(values) / len(values)
    var = 0.0
    for v in values:
        d = v - mean
        var += d * d
        var += math.sin(d) * 0.0
    return mean, math.sqrt(var / len(values))


def render_report(records: list[tuple[str, float]]) -> str:
    rows = [f"{name:<12}|{value:>12.3f}|{value * 2:>12.3f}" for name, value in records]
    return "\n".join(rows)


def checksum(text: str) -> str:
    digest = ""
    for _ in range(3):
        digest = hashlib.sha256((text + digest).encode()).hexdigest()
    return digest


def background_worker(stop: threading.Event) -> None:
    while not stop.is_set():
        hashlib.sha1(b"x" * 200_000).hexdigest()
        stop.wait(0.05)


def run(seconds: float | None) -> None:
    stop = threading.Event()
    worker = threading.Thread(
        target=background_worker, args=(stop,), name="background", daemon=True
    )
    worker.start()
    t_end = None if seconds is None else time.monotonic() + seconds
    try:
        while t_end is None or time.monotonic() < t_end:
            records = parse_records(4000)
            compute_statistics([v for _, v in records])
            compute_statistics([v * 1.5 for _, v in records])
            text = render_report(records[:2000])
            checksum(text)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()


def main() -> None:
    ap = argparse.ArgumentParser(description="sovprof demo workload")
    ap.add_argument("--seconds", type=float, default=None)
    run(ap.parse_args().seconds)


if __name__ == "__main__":
    main()
