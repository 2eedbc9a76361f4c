"""The Profile: the raw samples every view is derived from.

Samples are kept as counts per (window, thread, stack).  A window is one
sampling interval with wall-clock start and end times (seconds since the
epoch); the live sampler produces one per py-spy run.  Call trees, top tables,
flame layouts and diffs are pure functions of a Profile.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.core.model.frames import FrameTable, StackTable, remap_stacks


@dataclass(frozen=True)
class ThreadInfo:
    """A sampled thread; ``pid`` tells processes apart with --subprocesses."""

    pid: int
    tid: int
    name: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.tid})" if self.name else f"thread {self.tid}"


@dataclass(frozen=True)
class Window:
    """One sampling window.  ``expected`` is rate × duration (0 when unknown)."""

    start: float
    end: float
    expected: int = 0
    errors: int = 0

    @property
    def duration(self) -> float:
        return max(0.0, self.end - self.start)


@dataclass
class Profile:
    """Interned frames and stacks plus sample counts per window × thread."""

    frames: FrameTable = field(default_factory=FrameTable)
    stacks: StackTable = field(default_factory=StackTable)
    threads: list[ThreadInfo] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)
    counts: dict[tuple[int, int], dict[int, int]] = field(default_factory=dict)
    rate_hz: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)
    renamed_threads: set[int] = field(default_factory=set, repr=False)
    # Counts per stack over everything, kept up to date by add_samples once built.
    _all_counts: dict[int, int] | None = field(default=None, repr=False)
    _thread_ids: dict[tuple[int, int, str], int] = field(default_factory=dict, repr=False)

    # -- building -------------------------------------------------------------

    def add_thread(self, pid: int, tid: int, name: str) -> int:
        """Intern a thread and return its index.

        py-spy can see a thread before Python has named it: an unnamed thread
        and the named one with the same (pid, tid) are one thread, which takes
        the name (its index is then in ``renamed_threads``).  Two different
        names are two threads, since the OS reuses thread ids.
        """
        key = (pid, tid, name)
        idx = self._thread_ids.get(key)
        if idx is not None:
            return idx
        unnamed = self._thread_ids.get((pid, tid, ""))
        if name and unnamed is not None and self.threads[unnamed].name == "":
            self.threads[unnamed] = ThreadInfo(pid, tid, name)
            self._thread_ids[key] = unnamed
            self.renamed_threads.add(unnamed)
            return unnamed
        if not name:
            for (p, t, _), i in self._thread_ids.items():
                if p == pid and t == tid:
                    self._thread_ids[key] = i
                    return i
        idx = len(self.threads)
        self._thread_ids[key] = idx
        self.threads.append(ThreadInfo(pid, tid, name))
        return idx

    def add_window(self, window: Window) -> int:
        self.windows.append(window)
        return len(self.windows) - 1

    def add_samples(self, window: int, thread: int, stack_counts: Mapping[int, int]) -> None:
        """Add counts of stacks seen in ``thread`` during ``window``."""
        if not 0 <= window < len(self.windows) or not 0 <= thread < len(self.threads):
            raise IndexError(f"no window {window} or thread {thread} in this profile")
        nonzero = {s: n for s, n in stack_counts.items() if n}
        if not nonzero:
            return
        cell = self.counts.setdefault((window, thread), {})
        agg = self._all_counts
        for stack, n in nonzero.items():
            cell[stack] = cell.get(stack, 0) + n
            if agg is not None:
                agg[stack] = agg.get(stack, 0) + n

    # -- reading --------------------------------------------------------------

    def cells(
        self, windows: Iterable[int] | None = None, threads: Iterable[int] | None = None
    ) -> Iterable[tuple[int, int, dict[int, int]]]:
        """(window, thread, stack counts) for the selected windows and threads."""
        wsel = None if windows is None else set(windows)
        tsel = None if threads is None else set(threads)
        for (w, t), cell in self.counts.items():
            if (wsel is None or w in wsel) and (tsel is None or t in tsel):
                yield w, t, cell

    def stack_counts(
        self, windows: Iterable[int] | None = None, threads: Iterable[int] | None = None
    ) -> dict[int, int]:
        """Sample count per stack over the selected windows and threads.

        With no selection the answer is cached and kept current as samples are
        added (live views ask for it after every window); treat it as read-only.
        """
        if windows is None and threads is None:
            if self._all_counts is None:
                self._all_counts = self._sum_cells(self.counts.values())
            return self._all_counts
        return self._sum_cells(cell for _, _, cell in self.cells(windows, threads))

    @staticmethod
    def _sum_cells(cells: Iterable[dict[int, int]]) -> dict[int, int]:
        out: dict[int, int] = {}
        for cell in cells:
            for stack, n in cell.items():
                out[stack] = out.get(stack, 0) + n
        return out

    @property
    def total_samples(self) -> int:
        return sum(sum(cell.values()) for cell in self.counts.values())

    @property
    def expected_samples(self) -> int:
        return sum(w.expected for w in self.windows)

    @property
    def lost_samples(self) -> int:
        """Expected minus received samples (never negative); 0 when unknown."""
        expected = self.expected_samples
        return max(0, expected - self.total_samples) if expected else 0

    @property
    def start(self) -> float:
        return min((w.start for w in self.windows), default=0.0)

    @property
    def end(self) -> float:
        return max((w.end for w in self.windows), default=0.0)

    @property
    def duration(self) -> float:
        return max(0.0, self.end - self.start)

    def thread_totals(self) -> list[int]:
        out = [0] * len(self.threads)
        for (_, t), cell in self.counts.items():
            out[t] += sum(cell.values())
        return out

    def window_totals(self, threads: Iterable[int] | None = None) -> list[int]:
        """Samples per window (the timeline), optionally for some threads only."""
        out = [0] * len(self.windows)
        for w, _, cell in self.cells(None, threads):
            out[w] += sum(cell.values())
        return out

    def window_samples(self, window: int) -> int:
        """Samples in one window, over all threads (cost: one lookup per thread)."""
        total = 0
        for t in range(len(self.threads)):
            cell = self.counts.get((window, t))
            if cell:
                total += sum(cell.values())
        return total

    # -- derived profiles -----------------------------------------------------

    def _derived(self, keep: Iterable[tuple[int, int]]) -> Profile:
        """A profile that shares this one's tables and keeps some cells."""
        out = Profile(
            frames=self.frames,
            stacks=self.stacks,
            threads=self.threads,
            windows=self.windows,
            rate_hz=self.rate_hz,
            meta=dict(self.meta),
            _thread_ids=self._thread_ids,
        )
        out.counts = {key: self.counts[key] for key in keep}
        return out


def filter_threads(profile: Profile, threads: Iterable[int]) -> Profile:
    """Only the samples of the given thread indices (tables are shared)."""
    keep = set(threads)
    return profile._derived(k for k in profile.counts if k[1] in keep)


def windows_in_range(profile: Profile, t0: float, t1: float) -> list[int]:
    """Indices of windows that overlap the wall-clock range [t0, t1]."""
    return [i for i, w in enumerate(profile.windows) if w.end >= t0 and w.start <= t1]


def filter_time(profile: Profile, t0: float, t1: float) -> Profile:
    """Only the windows that overlap [t0, t1] (window granularity)."""
    keep = set(windows_in_range(profile, t0, t1))
    return profile._derived(k for k in profile.counts if k[0] in keep)


def merge(profiles: Iterable[Profile]) -> Profile:
    """One profile holding every window, thread and sample of the inputs."""
    out = Profile()
    for p in profiles:
        if not out.rate_hz:
            out.rate_hz = p.rate_hz
        frame_map = [out.frames.intern(*f) for f in p.frames.frames]
        needed = {s for cell in p.counts.values() for s in cell}
        stack_map = remap_stacks(p.stacks, out.stacks, frame_map, needed)
        thread_map = [out.add_thread(t.pid, t.tid, t.name) for t in p.threads]
        window_map = [out.add_window(w) for w in p.windows]
        for (w, t), cell in p.counts.items():
            out.add_samples(
                window_map[w], thread_map[t], {stack_map[s]: n for s, n in cell.items()}
            )
    return out
