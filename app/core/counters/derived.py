"""Metrics derived from the counter deltas of one window.

Every metric is ``None`` (never 0) when an input is missing — unsupported,
not counted in that window — or when its denominator is 0: "no data" must not
look like "no misses".  ``derive`` returns only the metrics that could be
computed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from app.core.counters.base import CounterSpec

__all__ = [
    "DERIVED_SPECS",
    "branch_miss_pct",
    "cache_miss_pct",
    "cpu_utilisation",
    "deltas",
    "derive",
    "ipc",
]

IPC = "derived.ipc"
CACHE_MISS = "derived.cache-miss-pct"
BRANCH_MISS = "derived.branch-miss-pct"
CPU_UTIL = "derived.cpu-utilisation"

DERIVED_SPECS: tuple[CounterSpec, ...] = (
    CounterSpec(IPC, "instructions/cycle", "gauge", "instructions per cycle"),
    CounterSpec(CACHE_MISS, "%", "gauge", "cache misses per cache reference"),
    CounterSpec(BRANCH_MISS, "%", "gauge", "mispredicted branches per branch"),
    CounterSpec(CPU_UTIL, "CPUs", "gauge", "task-clock per wall-clock time (2.0 = two cores busy)"),
)


def _ratio(d: Mapping[str, float], num: str, den: str, scale: float = 1.0) -> float | None:
    n = d.get(num)
    m = d.get(den)
    if n is None or m is None or m <= 0:
        return None
    return scale * n / m


def ipc(d: Mapping[str, float]) -> float | None:
    """Instructions per cycle."""
    return _ratio(d, "perf.instructions", "perf.cycles")


def cache_miss_pct(d: Mapping[str, float]) -> float | None:
    """Cache misses as a percentage of cache references."""
    return _ratio(d, "perf.cache-misses", "perf.cache-references", 100.0)


def branch_miss_pct(d: Mapping[str, float]) -> float | None:
    """Mispredicted branches as a percentage of branch instructions."""
    return _ratio(d, "perf.branch-misses", "perf.branch-instructions", 100.0)


def cpu_utilisation(d: Mapping[str, float], wall_s: float) -> float | None:
    """task-clock ns over wall-clock ns: CPUs kept busy (may exceed 1 with threads)."""
    ns = d.get("perf.task-clock")
    if ns is None or wall_s <= 0:
        return None
    return ns / (wall_s * 1e9)


_RATIOS: tuple[tuple[str, Callable[[Mapping[str, float]], float | None]], ...] = (
    (IPC, ipc),
    (CACHE_MISS, cache_miss_pct),
    (BRANCH_MISS, branch_miss_pct),
)


def derive(deltas: Mapping[str, float], wall_s: float) -> dict[str, float]:
    """The derived metrics computable from one window's deltas, by name."""
    out: dict[str, float] = {}
    for name, fn in _RATIOS:
        value = fn(deltas)
        if value is not None:
            out[name] = value
    util = cpu_utilisation(deltas, wall_s)
    if util is not None:
        out[CPU_UTIL] = util
    return out


def deltas(prev: Mapping[str, float], cur: Mapping[str, float]) -> dict[str, float]:
    """Per-window change of cumulative counters: only names in both reads, never < 0.

    A negative change (a multiplexing estimate that went down, a counter that
    restarted) is clamped to 0.
    """
    return {name: max(0.0, value - prev[name]) for name, value in cur.items() if name in prev}
