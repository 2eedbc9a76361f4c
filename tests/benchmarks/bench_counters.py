"""Cost of one full counter read per window.

All supported perf_event counters of a target with several threads, read 1000
times (median and p95; goal: under 1 ms), side by side with psutil's
``cpu_times() + memory_info() + num_ctx_switches()`` and with spawning
``perf stat`` once (if it is installed).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time

import psutil
from _common import ROOT, start_target, verdict

sys.path.insert(0, str(ROOT))

from app.core.counters.perf_event import PerfEventSource

READS = 1000
GOAL_MS = 1.0


def timed(fn: object, n: int = READS) -> list[float]:
    assert callable(fn)
    out = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        fn()
        out.append((time.perf_counter_ns() - t0) / 1e6)
    return out


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20)[-1]


def row(label: str, xs: list[float]) -> str:
    return f"{label:<44} {statistics.median(xs):>10.3f} {p95(xs):>10.3f}"


def main() -> None:
    target = start_target("counters_busy", "60", "4")  # 4 hashing threads + main
    try:
        src = PerfEventSource(target.pid)
        names = [s.name for s in src.specs()]
        print(
            f"target: {src.threads_at_attach} threads; {len(names)} supported perf events "
            f"({', '.join(n[5:] for n in names)}); {src.fd_count()} fds; "
            f"{len(src.unsupported())} unsupported"
        )
        src.read()
        perf_ms = timed(src.read)

        ps = psutil.Process(target.pid)

        def psutil_read() -> None:
            ps.cpu_times()
            ps.memory_info()
            ps.num_ctx_switches()

        psutil_ms = timed(psutil_read)

        print(f"{'one read of (ms)':<44} {'median':>10} {'p95':>10}")
        print(row(f"perf_event: {len(names)} events x {src.threads_at_attach} threads", perf_ms))
        print(row("psutil: cpu_times+memory_info+ctx_switches", psutil_ms))
        perf_bin = shutil.which("perf")
        if perf_bin:
            events = ",".join(n[5:] for n in names) or "task-clock"
            cmd = [perf_bin, "stat", "-x,", "-e", events, "-p", str(target.pid), "--", "true"]
            spawn = []
            for _ in range(5):
                t0 = time.perf_counter_ns()
                subprocess.run(cmd, capture_output=True, check=False)
                spawn.append((time.perf_counter_ns() - t0) / 1e6)
            print(row("perf stat -p PID -- true (spawn, 5 runs)", spawn))
        else:
            print(f"{'perf stat':<44} {'(not installed)':>21}")
        src.close()
        med, tail = statistics.median(perf_ms), p95(perf_ms)
        print(
            f"perf_event read: median {med:.3f} ms, p95 {tail:.3f} ms "
            f"(goal < {GOAL_MS:g} ms) {verdict(tail < GOAL_MS)}"
        )
    finally:
        target.kill()
        target.wait()


if __name__ == "__main__":
    main()
