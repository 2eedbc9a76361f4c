"""What recording allocations with memray costs: the target's throughput with and without
memray (through sovprof's launcher), the capture's size, and the time to read it.

Prints one JSON document.  Targets report their passes in a fixed time, so the slowdown
is throughput lost, not wall time.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from _common import ROOT, TARGETS

from app.core.allocations.command import launch_command
from app.core.allocations.reader import read_capture

SECONDS = 4.0
REPEATS = 3


def _passes(cmd: list[str]) -> int:
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT, check=True)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("passes ")]
    return int(lines[-1].split()[1])


def _measure(target: str) -> dict[str, object]:
    script = [sys.executable, str(TARGETS / f"{target}.py"), str(SECONDS)]
    plain: list[int] = []
    traced: list[int] = []
    read_s: list[float] = []
    sizes: list[int] = []
    rates: list[float] = []
    for _ in range(REPEATS):
        plain.append(_passes(script))
        with tempfile.TemporaryDirectory(prefix="sovprof-bench-") as tmp:
            out = os.path.join(tmp, "cap.bin")
            traced.append(_passes(launch_command(script, out)))
            sizes.append(os.path.getsize(out))
            t0 = time.perf_counter()
            cap = read_capture(out)
            read_s.append(time.perf_counter() - t0)
            rates.append(cap.total_allocations / cap.duration_s)
    p, t = statistics.median(plain), statistics.median(traced)
    return {
        "target": target,
        "passes_plain": plain,
        "passes_memray": traced,
        "throughput_kept_pct": round(100 * t / p, 1),
        "allocations_per_s": round(statistics.median(rates)),
        "capture_mb_per_s": round(statistics.median(sizes) / SECONDS / 1e6, 2),
        "read_s_per_recorded_s": round(statistics.median(read_s) / SECONDS, 2),
    }


def main() -> None:
    results = [_measure(t) for t in ("alloc_hot_loop", "waste_copies")]
    print(json.dumps({"seconds": SECONDS, "repeats": REPEATS, "results": results}, indent=2))


if __name__ == "__main__":
    main()
