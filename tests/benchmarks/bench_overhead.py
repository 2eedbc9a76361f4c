"""(b) Throughput of a CPU-bound target: unprofiled, under one continuous
`py-spy record`, and under `sovprof record`, all at 100 Hz.
Goal: sovprof's slowdown is at most 0.5 points more than py-spy's alone.

Conditions are interleaved over several rounds and the median rate of the
steady middle of each run is used, since this machine is shared and noisy.
"""

from __future__ import annotations

import statistics
import threading

from _common import pyspy_continuous, sovprof_record, start_target, verdict

SECONDS = 10
ROUNDS = 3


def measure(condition: str) -> float:
    target = start_target("throughput", str(SECONDS + 1))
    profiler: threading.Thread | None = None
    if condition == "py-spy":
        profiler = threading.Thread(target=pyspy_continuous, args=(target.pid, SECONDS))
    elif condition == "sovprof":
        profiler = threading.Thread(target=sovprof_record, args=(target.pid, SECONDS))
    if profiler:
        profiler.start()
    assert target.stdout is not None
    rates = []
    for line in target.stdout:
        t, n = line.split()
        if 2.0 <= float(t) <= SECONDS - 0.5:
            rates.append(int(n) / 0.5)
    target.wait()
    if profiler:
        profiler.join()
    return statistics.median(rates)


def main() -> None:
    results: dict[str, list[float]] = {"unprofiled": [], "py-spy": [], "sovprof": []}
    for rnd in range(ROUNDS):
        conds = list(results) if rnd % 2 == 0 else list(reversed(results))
        for c in conds:
            results[c].append(measure(c))
    base = statistics.median(results["unprofiled"])
    print(f"{'condition':<11} {'units/s (median of rounds)':>27} {'slowdown':>9}   rounds")
    slow = {}
    for c, vals in results.items():
        med = statistics.median(vals)
        slow[c] = 100 * (1 - med / base)
        print(f"{c:<11} {med:>27.0f} {slow[c]:>8.2f}%   " + ", ".join(f"{v:.0f}" for v in vals))
    extra = slow["sovprof"] - slow["py-spy"]
    print(
        f"sovprof costs {extra:+.2f} points more than py-spy alone (goal <= 0.5) "
        f"{verdict(extra <= 0.5)}"
    )


if __name__ == "__main__":
    main()
