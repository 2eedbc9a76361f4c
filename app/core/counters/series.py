"""Counter values per sampling window: what the store keeps and the views plot."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.core.counters.base import CounterSpec, Unsupported


@dataclass
class CounterSeries:
    """Per window: the interval the counters covered and each counter's value.

    A ``delta`` counter's value is its increase over the interval; a ``gauge``
    is its level at the end.  Windows are the profile's window indices.
    """

    specs: dict[str, CounterSpec] = field(default_factory=dict)
    unsupported: list[Unsupported] = field(default_factory=list)
    intervals: dict[int, tuple[float, float]] = field(default_factory=dict)
    values: dict[int, dict[str, float]] = field(default_factory=dict)

    def add(self, window: int, start: float, end: float, values: dict[str, float]) -> None:
        self.intervals[window] = (start, end)
        self.values[window] = dict(values)

    def names(self) -> list[str]:
        return sorted(self.specs)

    def column(self, name: str) -> list[tuple[int, float]]:
        """(window, value) for one counter, in window order."""
        return [(w, v[name]) for w, v in sorted(self.values.items()) if name in v]

    def total(self, name: str, windows: set[int] | None = None) -> float | None:
        """Sum of a delta counter (or mean of a gauge) over some windows."""
        spec = self.specs.get(name)
        vals = [v for w, v in self.column(name) if windows is None or w in windows]
        if spec is None or not vals:
            return None
        return sum(vals) if spec.kind == "delta" else sum(vals) / len(vals)

    def covered_seconds(self, windows: set[int] | None = None) -> float:
        return sum(
            max(0.0, e - s)
            for w, (s, e) in self.intervals.items()
            if windows is None or w in windows
        )
