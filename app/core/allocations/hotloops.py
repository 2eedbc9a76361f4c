"""Allocations inside hot loops: functions hot in the CPU samples that allocate heavily.

"Allocation is the silent killer": a buffer allocated on every pass of a loop costs a
malloc and a free (and often a zero-fill) each time, and shows in neither the code nor
a CPU profile as such.  A function is reported when both hold:

- hot: its self share of the CPU samples is at least ``hot_self`` or its total share is
  at least ``hot_total``;
- allocating heavily in its own lines (self, not through callees): at least
  ``min_bytes_per_s`` bytes or ``min_allocations_per_s`` allocations per second.

Functions are matched between the two profiles by file and name (py-spy writes methods
as ``Class.method``, memray only ``method``: the last dotted part is compared).
Findings are ranked by allocations per second, then bytes per second.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.allocations.model import AllocationCapture, HotLoopFinding, allocating_functions
from app.core.model.calltree import top_functions
from app.core.model.profile import Profile


@dataclass(frozen=True)
class HotLoopThresholds:
    hot_self: float = 0.05
    hot_total: float = 0.10
    min_bytes_per_s: float = 16 * 1024 * 1024
    min_allocations_per_s: float = 5_000.0

    def as_dict(self) -> dict[str, float]:
        return {
            "hot_self": self.hot_self,
            "hot_total": self.hot_total,
            "min_bytes_per_s": self.min_bytes_per_s,
            "min_allocations_per_s": self.min_allocations_per_s,
        }


def _key(function: str, file: str) -> tuple[str, str]:
    return function.rsplit(".", 1)[-1], file


def cpu_shares(cpu: Profile) -> dict[tuple[str, str], tuple[float, float, str]]:
    """(self share, total share, py-spy's name) per function key of the CPU profile."""
    total = cpu.total_samples
    out: dict[tuple[str, str], tuple[float, float, str]] = {}
    if not total:
        return out
    for r in top_functions(cpu):
        key = _key(r.function, r.file)
        s, t, name = out.get(key, (0.0, 0.0, r.function))
        out[key] = (s + r.self_samples / total, max(t, r.total_samples / total), name)
    return out


def hot_loop_allocations(
    cpu: Profile,
    capture: AllocationCapture,
    thresholds: HotLoopThresholds | None = None,
    *,
    limit: int = 20,
) -> list[HotLoopFinding]:
    """The functions that are hot in ``cpu`` and allocate heavily in ``capture``, ranked."""
    th = thresholds or HotLoopThresholds()
    duration = capture.duration_s
    if duration <= 0:
        return []
    shares = cpu_shares(cpu)
    found: list[HotLoopFinding] = []
    for row in allocating_functions(capture):
        cpu_self, cpu_total, name = shares.get(_key(row.function, row.file), (0.0, 0.0, ""))
        if cpu_self < th.hot_self and cpu_total < th.hot_total:
            continue
        bps = row.self_bytes / duration
        aps = row.self_allocations / duration
        if bps < th.min_bytes_per_s and aps < th.min_allocations_per_s:
            continue
        found.append(
            HotLoopFinding(
                function=name or row.function,
                file=row.file,
                line=row.line,
                cpu_self_share=cpu_self,
                cpu_total_share=cpu_total,
                allocations=row.self_allocations,
                bytes=row.self_bytes,
                allocations_per_s=aps,
                bytes_per_s=bps,
                why=(
                    f"{name or row.function} has {100 * cpu_self:.0f}% of the CPU samples "
                    f"({100 * cpu_total:.0f}% with callees) and allocates {aps:,.0f} blocks/s "
                    f"({bps / 1e6:,.1f} MB/s) in its own lines, hottest at line {row.line}: "
                    "allocate once outside the loop and reuse the buffer"
                ),
            )
        )
    found.sort(key=lambda f: (-f.allocations_per_s, -f.bytes_per_s, f.function))
    return found[:limit]
