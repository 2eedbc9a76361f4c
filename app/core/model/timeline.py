"""Samples over time, per thread: the model under the timeline view.

The x axis is seconds since the profile's first window starts, so that a range
the user selects stays put while a live profile grows at its end.  Counts are
kept per window (in time order) and per thread as numpy arrays; the view draws
them as stacked step curves, and maps a selected x-range back to the
wall-clock range that :func:`app.core.model.profile.filter_time` understands.

:class:`TimelineModel` updates incrementally: the live sampler only ever
appends windows, so every window before the last one known is final and only
the newest windows are summed again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.core.model.profile import Profile

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

OTHER_THREADS = -1
"""The ``thread`` of the series that lumps together threads beyond ``max_series``."""


@dataclass(frozen=True)
class ThreadSeries:
    """Samples of one thread (or of the lumped remaining threads) per window."""

    thread: int  # index into Profile.threads, or OTHER_THREADS
    label: str
    samples: IntArray  # one count per window, in time order

    @property
    def total(self) -> int:
        return int(self.samples.sum())


@dataclass(frozen=True)
class TimelineData:
    """An immutable snapshot of the timeline, windows in time order."""

    origin: float  # wall-clock time of x = 0 (the profile's start)
    starts: FloatArray  # window starts, seconds since origin
    ends: FloatArray  # window ends, seconds since origin
    series: tuple[ThreadSeries, ...]  # largest total first

    @property
    def n_windows(self) -> int:
        return int(self.starts.size)

    @property
    def mids(self) -> FloatArray:
        """Window mid-times, seconds since origin."""
        return (self.starts + self.ends) / 2.0

    @property
    def duration(self) -> float:
        return float(self.ends.max()) if self.ends.size else 0.0

    def stacked(self) -> IntArray:
        """Cumulative counts, shape (series, windows): row i is series 0..i summed."""
        if not self.series:
            return np.zeros((0, self.n_windows), dtype=np.int64)
        return np.cumsum(np.vstack([s.samples for s in self.series]), axis=0)

    def totals(self) -> IntArray:
        """Samples per window over every series."""
        stacked = self.stacked()
        return stacked[-1] if stacked.shape[0] else np.zeros(self.n_windows, dtype=np.int64)

    def step_edges(self, gap: float | None = None) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
        """Edges for a step plot and which of its segments are windows (not gaps).

        Returns ``(edges, is_window)``: ``len(edges) == len(is_window) + 1``.
        Gaps between windows longer than ``gap`` seconds (default: half the
        median window duration) become segments of their own, drawn at zero;
        shorter gaps stretch the window before them.
        """
        n = self.n_windows
        if n == 0:
            return np.zeros(0), np.zeros(0, dtype=bool)
        if gap is None:
            durations = self.ends - self.starts
            gap = 0.5 * float(np.median(durations)) if durations.size else 0.0
        edges: list[float] = [float(self.starts[0])]
        is_window: list[bool] = []
        for i in range(n):
            right = float(self.ends[i])
            if i + 1 < n:
                nxt = float(self.starts[i + 1])
                if nxt - right > gap:
                    edges += [max(right, edges[-1]), nxt]
                    is_window += [True, False]
                    continue
                right = nxt  # stretch over a small gap, clip an overlap
            edges.append(max(right, edges[-1]))
            is_window.append(True)
        return np.asarray(edges, dtype=np.float64), np.asarray(is_window, dtype=bool)

    @staticmethod
    def step_values(values: npt.ArrayLike, is_window: npt.NDArray[np.bool_]) -> FloatArray:
        """Spread per-window ``values`` over the segments of :meth:`step_edges` (gaps: 0)."""
        out = np.zeros(is_window.size, dtype=np.float64)
        out[is_window] = values
        return out

    def to_wall(self, x0: float, x1: float) -> tuple[float, float]:
        """Wall-clock (t0, t1) of an x-range, ordered."""
        lo, hi = (x0, x1) if x0 <= x1 else (x1, x0)
        return self.origin + lo, self.origin + hi

    def to_x(self, t0: float, t1: float) -> tuple[float, float]:
        """The x-range of a wall-clock range."""
        return t0 - self.origin, t1 - self.origin

    def windows_in(self, x0: float, x1: float) -> npt.NDArray[np.intp]:
        """Positions (in time order) of windows that overlap the x-range [x0, x1]."""
        lo, hi = min(x0, x1), max(x0, x1)
        return np.flatnonzero((self.ends >= lo) & (self.starts <= hi))

    def samples_in(self, x0: float, x1: float) -> int:
        """Samples of every series in windows that overlap [x0, x1]."""
        return int(self.totals()[self.windows_in(x0, x1)].sum())


def _cell_matrix(profile: Profile, first_window: int, out: IntArray) -> None:
    """Fill ``out[t, w]`` with the samples of thread t in window w >= first_window."""
    for (w, t), cell in profile.counts.items():
        if w >= first_window:
            out[t, w] = sum(cell.values())


class TimelineModel:
    """Per-thread samples per window for one Profile, updated incrementally.

    Call :meth:`update` after windows were appended (or with another profile)
    and :meth:`data` for a snapshot.  Windows before the last one seen are
    assumed final, as the live sampler only appends windows.
    """

    def __init__(self) -> None:
        self._profile: Profile | None = None
        self._matrix: IntArray = np.zeros((0, 0), dtype=np.int64)  # threads × windows
        self._n_windows = 0

    @property
    def matrix(self) -> IntArray:
        """Samples as (thread, window), windows in the profile's own order."""
        return self._matrix

    def update(self, profile: Profile) -> None:
        """Bring the counts up to date with ``profile``."""
        n_threads, n_windows = len(profile.threads), len(profile.windows)
        if profile is not self._profile or n_windows < self._n_windows:
            self._profile, self._n_windows = profile, 0
            self._matrix = np.zeros((0, 0), dtype=np.int64)
        first = max(0, self._n_windows - 1)  # the last window seen may have grown
        grown = np.zeros((n_threads, n_windows), dtype=np.int64)
        old = self._matrix
        grown[: old.shape[0], :first] = old[:, :first]
        _cell_matrix(profile, first, grown)
        self._matrix, self._n_windows = grown, n_windows

    def data(self, threads: Iterable[int] | None = None, max_series: int = 8) -> TimelineData:
        """A snapshot of the selected threads (all when None), at most ``max_series``.

        Threads beyond the ``max_series - 1`` busiest are lumped into one
        series labelled "other threads" (thread ``OTHER_THREADS``).
        """
        profile = self._profile
        if profile is None or self._n_windows == 0:
            empty = np.zeros(0, dtype=np.float64)
            return TimelineData(0.0, empty, empty.copy(), ())
        origin = profile.start
        starts = np.array([w.start for w in profile.windows], dtype=np.float64) - origin
        ends = np.array([w.end for w in profile.windows], dtype=np.float64) - origin
        order = np.argsort(starts, kind="stable")
        matrix = self._matrix[:, order]
        chosen = range(matrix.shape[0]) if threads is None else sorted(set(threads))
        chosen = [t for t in chosen if 0 <= t < matrix.shape[0]]
        totals = matrix.sum(axis=1)
        chosen.sort(key=lambda t: (-int(totals[t]), t))
        if len(chosen) > max_series:
            keep, rest = chosen[: max_series - 1], chosen[max_series - 1 :]
        else:
            keep, rest = chosen, []
        series = [ThreadSeries(t, profile.threads[t].label, matrix[t].copy()) for t in keep]
        if rest:
            lumped = matrix[rest].sum(axis=0)
            series.append(ThreadSeries(OTHER_THREADS, f"{len(rest)} other threads", lumped))
        return TimelineData(origin, starts[order], ends[order], tuple(series))

    def thread_totals(self) -> list[int]:
        """Samples per thread over the whole profile."""
        return [int(n) for n in self._matrix.sum(axis=1)]


def build_timeline(
    profile: Profile, threads: Iterable[int] | None = None, max_series: int = 8
) -> TimelineData:
    """A one-off snapshot of ``profile``'s timeline (see :class:`TimelineModel`)."""
    model = TimelineModel()
    model.update(profile)
    return model.data(threads, max_series)
