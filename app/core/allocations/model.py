"""What an allocation capture holds, in sovprof's own model.

Two Profiles share one set of frame, stack, thread and window tables: in
``bytes_profile`` a stack's weight is the bytes allocated with it on the stack, in
``count_profile`` the number of allocations.  So the flame graph, call trees and top
tables work on them unchanged.  Windows are time bins of about a second; the finer
:class:`AllocationSeries` gives allocations per second over time for the timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.core.model.calltree import top_functions
from app.core.model.profile import Profile

UNIT_BYTES = "bytes"
UNIT_ALLOCATIONS = "allocations"


@dataclass
class AllocationSeries:
    """Allocations and bytes per time bin; ``timed`` is False when there is one bin
    spanning the whole capture (``memray attach``: no clock in the target)."""

    starts: list[float] = field(default_factory=list)
    ends: list[float] = field(default_factory=list)
    allocations: list[int] = field(default_factory=list)
    bytes: list[int] = field(default_factory=list)
    timed: bool = True

    def __len__(self) -> int:
        return len(self.starts)

    def append(self, start: float, end: float, allocations: int, nbytes: int) -> None:
        self.starts.append(start)
        self.ends.append(end)
        self.allocations.append(allocations)
        self.bytes.append(nbytes)

    def rates(self) -> list[tuple[float, float, float, float]]:
        """(start, end, allocations per second, bytes per second) per bin."""
        out = []
        for t0, t1, n, b in zip(self.starts, self.ends, self.allocations, self.bytes, strict=True):
            d = t1 - t0
            out.append((t0, t1, n / d if d > 0 else 0.0, b / d if d > 0 else 0.0))
        return out

    def rate_in(self, t0: float, t1: float) -> tuple[float, float]:
        """Allocations and bytes per second over [t0, t1] (bins count pro rata).

        Puts the series on another time axis, e.g. the CPU profile's windows.
        """
        span = t1 - t0
        if span <= 0:
            return 0.0, 0.0
        n = b = 0.0
        for s, e, na, nb in zip(self.starts, self.ends, self.allocations, self.bytes, strict=True):
            overlap = min(e, t1) - max(s, t0)
            if overlap > 0 and e > s:
                f = overlap / (e - s)
                n += na * f
                b += nb * f
        return n / span, b / span


@dataclass(frozen=True)
class HotLoopFinding:
    """A function that is hot in the CPU samples and allocates heavily in its own lines."""

    function: str
    file: str
    line: int
    cpu_self_share: float
    cpu_total_share: float
    allocations: int
    bytes: int
    allocations_per_s: float
    bytes_per_s: float
    why: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "file": self.file,
            "line": self.line,
            "cpu_self_share": round(self.cpu_self_share, 4),
            "cpu_total_share": round(self.cpu_total_share, 4),
            "allocations": self.allocations,
            "bytes": self.bytes,
            "allocations_per_s": round(self.allocations_per_s, 1),
            "bytes_per_s": round(self.bytes_per_s, 1),
            "why": self.why,
        }


@dataclass
class AllocationCapture:
    """One recording's allocations: two weighted profiles, a rate series, and findings.

    ``meta`` holds at least ``mode`` (launch or attach), ``start``, ``end``,
    ``duration_s``, ``total_allocations``, ``total_bytes``, ``peak_memory``,
    ``native`` and ``memray_version``.
    """

    bytes_profile: Profile
    count_profile: Profile
    series: AllocationSeries
    meta: dict[str, Any] = field(default_factory=dict)
    hot_loops: list[HotLoopFinding] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return float(self.meta.get("duration_s") or 0.0)

    @property
    def total_allocations(self) -> int:
        return self.count_profile.total_samples

    @property
    def total_bytes(self) -> int:
        return self.bytes_profile.total_samples


def counts_view(bytes_profile: Profile, counts: dict[tuple[int, int], dict[int, int]]) -> Profile:
    """A profile sharing ``bytes_profile``'s tables, with other weights per cell."""
    out = Profile(
        frames=bytes_profile.frames,
        stacks=bytes_profile.stacks,
        threads=bytes_profile.threads,
        windows=bytes_profile.windows,
        rate_hz=0.0,
        meta={**bytes_profile.meta, "unit": UNIT_ALLOCATIONS},
        _thread_ids=bytes_profile._thread_ids,
    )
    out.counts = counts
    return out


@dataclass(frozen=True)
class AllocatingFunction:
    """One row of the top allocating functions: own lines (self) and with callees (total)."""

    function_id: int
    function: str
    file: str
    line: int
    self_bytes: int
    self_allocations: int
    total_bytes: int
    total_allocations: int

    def as_dict(self, duration_s: float) -> dict[str, Any]:
        per_s = (1.0 / duration_s) if duration_s > 0 else 0.0
        return {
            "function": self.function,
            "file": self.file,
            "line": self.line,
            "self_bytes": self.self_bytes,
            "self_allocations": self.self_allocations,
            "total_bytes": self.total_bytes,
            "total_allocations": self.total_allocations,
            "self_bytes_per_s": round(self.self_bytes * per_s, 1),
            "self_allocations_per_s": round(self.self_allocations * per_s, 1),
        }


def allocating_functions(capture: AllocationCapture) -> list[AllocatingFunction]:
    """Every function with its allocations, by self bytes (then self count) descending."""
    by_count = {r.function_id: r for r in top_functions(capture.count_profile)}
    rows = []
    for r in top_functions(capture.bytes_profile):
        c = by_count.get(r.function_id)
        rows.append(
            AllocatingFunction(
                r.function_id,
                r.function,
                r.file,
                r.line,
                r.self_samples,
                c.self_samples if c else 0,
                r.total_samples,
                c.total_samples if c else 0,
            )
        )
    rows.sort(key=lambda a: (-a.self_bytes, -a.self_allocations, a.function, a.file))
    return rows


def summary_dict(capture: AllocationCapture, limit: int = 20) -> dict[str, Any]:
    """The JSON summary: totals and rates, top functions by bytes and by count, the
    allocation rate over time, and the hot-loop findings."""
    duration = capture.duration_s
    rows = allocating_functions(capture)
    by_count = sorted(rows, key=lambda a: (-a.self_allocations, -a.self_bytes, a.function))
    series = capture.series
    return {
        "mode": capture.meta.get("mode", ""),
        "duration_s": round(duration, 3),
        "total_allocations": capture.total_allocations,
        "total_bytes": capture.total_bytes,
        "allocations_per_s": round(capture.total_allocations / duration, 1) if duration else 0.0,
        "bytes_per_s": round(capture.total_bytes / duration, 1) if duration else 0.0,
        "peak_memory": capture.meta.get("peak_memory", 0),
        "native": bool(capture.meta.get("native", False)),
        "memray_version": capture.meta.get("memray_version", ""),
        "timed": series.timed,
        "top_by_bytes": [r.as_dict(duration) for r in rows[:limit]],
        "top_by_count": [r.as_dict(duration) for r in by_count[:limit]],
        "rate": [
            {
                "start": round(t0, 3),
                "end": round(t1, 3),
                "allocations_per_s": round(a, 1),
                "bytes_per_s": round(b, 1),
            }
            for t0, t1, a, b in series.rates()
        ],
        "hot_loops": [f.as_dict() for f in capture.hot_loops],
    }
