"""The report's "Allocations" section, from a session's memray capture.

- two flame trees of the same allocation stacks, weighted by bytes and by count (the
  JS toggles between them), in the flame section's format (:func:`flame_data`) with
  their own function table, since the capture has its own frames;
- the top allocating functions: own lines (self) and with callees (total), in bytes
  and allocations;
- the "allocations inside hot loops" findings, with their reasons;
- allocations and bytes per second over time, in seconds since the CPU profile's
  start, so that the chart lines up with the timeline.

Every name goes through the report's :class:`StringTable`.
"""

from __future__ import annotations

import math
from typing import Any

from app.core.allocations.model import AllocationCapture, allocating_functions
from app.core.model.profile import Profile
from app.core.report.packing import StringTable
from app.core.report.profile_data import (
    MAX_TIMELINE_POINTS,
    FunctionTable,
    PruneOptions,
    flame_data,
    threads_data,
)

MAX_ALLOCATOR_ROWS = 500


def allocations_data(
    capture: AllocationCapture,
    strings: StringTable,
    cpu: Profile | None = None,
    prune: PruneOptions | None = None,
    max_points: int = MAX_TIMELINE_POINTS,
) -> dict[str, Any]:
    """Everything the Allocations section draws (see the module doc)."""
    prune = prune or PruneOptions()
    fns = FunctionTable(capture.bytes_profile, strings)
    meta = capture.meta
    duration = capture.duration_s
    summary = {
        "mode": str(meta.get("mode", "")),
        "duration_s": round(duration, 3),
        "total_allocations": capture.total_allocations,
        "total_bytes": capture.total_bytes,
        "allocations_per_s": capture.total_allocations / duration if duration > 0 else None,
        "bytes_per_s": capture.total_bytes / duration if duration > 0 else None,
        "peak_memory": int(meta.get("peak_memory") or 0),
        "native": bool(meta.get("native", False)),
        "memray_version": str(meta.get("memray_version", "")),
        "truncated": bool(meta.get("truncated", False)),
        "left_out_allocations": int(meta.get("left_out_allocations") or 0),
        "timed": capture.series.timed,
    }
    thresholds = meta.get("hot_loop_thresholds")
    data: dict[str, Any] = {
        "summary": summary,
        "threads": threads_data(capture.bytes_profile, strings),
        "flame_bytes": flame_data(capture.bytes_profile, fns, prune),
        "flame_count": flame_data(capture.count_profile, fns, prune),
        "top": _top_data(capture, fns),
        "hot_loops": [
            {
                "function": strings(f.function),
                "file": strings(f.file),
                "line": f.line,
                "cpu_self_share": round(f.cpu_self_share, 4),
                "cpu_total_share": round(f.cpu_total_share, 4),
                "allocations": f.allocations,
                "bytes": f.bytes,
                "allocations_per_s": round(f.allocations_per_s, 1),
                "bytes_per_s": round(f.bytes_per_s, 1),
                "why": strings(f.why),
            }
            for f in capture.hot_loops
        ],
        "thresholds": thresholds if isinstance(thresholds, dict) else None,
        "rate": _rate_data(capture, cpu, max_points),
    }
    data["functions"] = fns.as_dict()
    return data


def _top_data(capture: AllocationCapture, fns: FunctionTable) -> dict[str, Any]:
    """The busiest functions by own bytes, own count and total bytes (at most
    ``MAX_ALLOCATOR_ROWS`` of each), in self-bytes order."""
    rows = allocating_functions(capture)
    chosen = {r.function_id for r in rows[:MAX_ALLOCATOR_ROWS]}
    for key in (lambda r: -r.self_allocations, lambda r: -r.total_bytes):
        chosen |= {r.function_id for r in sorted(rows, key=key)[:MAX_ALLOCATOR_ROWS]}
    shown = [r for r in rows if r.function_id in chosen]
    return {
        "fn": [fns.ref(r.function_id) for r in shown],
        "line": [r.line for r in shown],
        "self_bytes": [r.self_bytes for r in shown],
        "self_count": [r.self_allocations for r in shown],
        "total_bytes": [r.total_bytes for r in shown],
        "total_count": [r.total_allocations for r in shown],
        "functions": len(rows),
    }


def _rate_data(capture: AllocationCapture, cpu: Profile | None, max_points: int) -> dict[str, Any]:
    """Rates per time bin (merged to at most ``max_points``), in seconds since the CPU
    profile's start (the capture's own start without one), and that profile's span."""
    series = capture.series
    if cpu is not None and cpu.windows:
        origin, span = cpu.start, cpu.end - cpu.start
    else:
        origin = series.starts[0] if len(series) else 0.0
        span = (series.ends[-1] - origin) if len(series) else 0.0
    n = len(series)
    step = max(1, math.ceil(n / max_points)) if n else 1
    out: dict[str, list[float]] = {"start": [], "end": [], "allocations_per_s": [],
                                   "bytes_per_s": []}  # fmt: skip
    for a in range(0, n, step):
        b = min(n, a + step)
        t0, t1 = series.starts[a], series.ends[b - 1]
        d = t1 - t0
        allocs = sum(series.allocations[a:b])
        nbytes = sum(series.bytes[a:b])
        out["start"].append(round(t0 - origin, 4))
        out["end"].append(round(t1 - origin, 4))
        out["allocations_per_s"].append(round(allocs / d, 1) if d > 0 else 0.0)
        out["bytes_per_s"].append(round(nbytes / d, 1) if d > 0 else 0.0)
    return {**out, "timed": series.timed, "span": round(max(span, 0.0), 4), "per_bin": step}
