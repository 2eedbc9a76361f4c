"""Reading a memray capture into an :class:`~app.core.allocations.model.AllocationCapture`.

Every allocation event of the capture is read once (``FileReader.get_allocation_records``)
and counted per (time bin, thread, stack); each distinct stack is resolved once.  Frees
are skipped: the profiles weigh what was allocated, not what stayed.  The time bins come
from the launcher's clock markers (see :mod:`app.core.allocations.launcher`); without
them (``memray attach``) the whole capture is one bin.

Frames the launcher adds under the program (the launcher itself, ``runpy``) are cut from
the root of every stack; allocations made only by them, or by its clock, are left out.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.allocations import launcher
from app.core.allocations.model import (
    UNIT_BYTES,
    AllocationCapture,
    AllocationSeries,
    counts_view,
)
from app.core.model.frames import EMPTY_STACK
from app.core.model.profile import Profile, Window

WINDOW_S = 1.0
"""Time bins of the allocation profiles (the finer series keeps the clock's interval)."""

LAUNCHER_FILE = os.path.abspath(launcher.__file__)

# memray's AllocatorType values that free memory rather than allocate it.
_DEALLOCATORS = frozenset({1, 5, 15})  # PYMALLOC_FREE, FREE, MUNMAP

_USER, _TICK, _INTERNAL = 0, 1, 2


class CaptureError(RuntimeError):
    """A capture that cannot be read; the message says why."""


@dataclass(frozen=True)
class _Trace:
    kind: int
    frames: tuple[tuple[str, str, int], ...]  # root first, launcher frames cut


def read_capture(
    path: str | os.PathLike[str],
    *,
    mode: str = "launch",
    window_s: float = WINDOW_S,
) -> AllocationCapture:
    """Read the memray file at ``path`` (and ``path + '.clock'`` when there is one)."""
    import memray

    p = Path(path)
    try:
        reader = memray.FileReader(str(p))
    except (OSError, ValueError, RuntimeError) as exc:
        raise CaptureError(f"cannot read the memray capture {p}: {exc}") from None
    try:
        meta = reader.metadata
        native = bool(meta.has_native_traces)
        ticks = _read_clock(Path(str(p) + launcher.CLOCK_SUFFIX))
        counting = _Counter(native)
        truncated = counting.run(reader.get_allocation_records())
    finally:
        reader.close()
    start, end = meta.start_time.timestamp(), meta.end_time.timestamp()
    if end <= start:
        end = max(ticks[-1] if ticks else start, start + 1e-3)
    edges = _bin_edges(start, end, ticks, counting.markers)
    bytes_profile, counts = _profiles(
        counting, edges, int(meta.main_thread_id), int(meta.pid), window_s
    )
    series = _series(counting, edges, timed=len(edges) > 2)
    total_a = sum(series.allocations)
    total_b = sum(series.bytes)
    info: dict[str, Any] = {
        "mode": mode,
        "pid": int(meta.pid),
        "command_line": meta.command_line,
        "start": start,
        "end": end,
        "duration_s": end - start,
        "total_allocations": total_a,
        "total_bytes": total_b,
        "peak_memory": int(meta.peak_memory),
        "native": native,
        "python_allocator": meta.python_allocator,
        "traces_pymalloc": bool(meta.trace_python_allocators),
        "memray_version": _memray_version(),
        "clock_ticks": counting.markers,
        "left_out_allocations": counting.left_out,
        "truncated": truncated,
    }
    bytes_profile.meta = {"unit": UNIT_BYTES, "allocations": info}
    return AllocationCapture(bytes_profile, counts_view(bytes_profile, counts), series, info)


def _memray_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("memray")
    except PackageNotFoundError:
        return ""


def _read_clock(path: Path) -> list[float]:
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except OSError:
        return []
    out = []
    for line in text.splitlines():
        try:
            t = float(line)
        except ValueError:
            break  # a line cut short by a crash ends the clock
        if math.isfinite(t):
            out.append(t)
    return out


class _Counter:
    """One pass over the allocation events: counts per (bin, thread) and stack key.

    The loop runs once per allocation (millions of times): it avoids building tuples
    and keeps the current (bin, thread) cell at hand.
    """

    def __init__(self, native: bool) -> None:
        self.native = native
        self.cells: dict[tuple[int, int], dict[Any, list[int]]] = {}
        self.traces: dict[Any, _Trace] = {}
        self.thread_examples: dict[int, Any] = {}
        self.thread_names: dict[int, str] = {}
        self.markers = 0
        self.left_out = 0

    def run(self, records: Iterable[Any]) -> bool:
        """Count every record; True when the capture ended early (cut short)."""
        cells, traces = self.cells, self.traces
        kinds: dict[Any, int] = {}
        native = self.native
        deallocators = _DEALLOCATORS
        cur: dict[Any, list[int]] = {}
        cur_bin = cur_tid = -1
        try:
            for rec in records:
                if rec.allocator in deallocators:
                    continue
                key = (
                    (rec.stack_id, rec.native_stack_id, rec.native_segment_generation)
                    if native
                    else rec.stack_id
                )
                kind = kinds.get(key)
                if kind is None:
                    trace = traces[key] = self._resolve(rec)
                    kind = kinds[key] = trace.kind
                if kind:
                    if kind == _TICK:
                        self.markers += 1
                    else:
                        self.left_out += 1
                    continue
                tid = rec.tid
                if tid != cur_tid or self.markers != cur_bin:
                    cur_bin, cur_tid = self.markers, tid
                    cur = cells.setdefault((cur_bin, tid), {})
                    self.thread_examples.setdefault(tid, rec)
                cell = cur.get(key)
                if cell is None:
                    cur[key] = [1, rec.size]
                else:
                    cell[0] += 1
                    cell[1] += rec.size
        except (OSError, ValueError, RuntimeError):
            return True
        finally:
            self.thread_names = {t: str(r.thread_name) for t, r in self.thread_examples.items()}
        return False

    def _resolve(self, rec: Any) -> _Trace:
        raw: Sequence[tuple[str, str, int]] = (
            rec.hybrid_stack_trace() if self.native else rec.stack_trace()
        )
        frames = [(str(f), str(fi), int(ln)) for f, fi, ln in reversed(raw)]
        if any(fi == LAUNCHER_FILE and f == launcher.TICK_FUNCTION for f, fi, _ in frames):
            return _Trace(_TICK, ())
        if any(fi == LAUNCHER_FILE and f == launcher.CLOCK_FUNCTION for f, fi, _ in frames):
            return _Trace(_INTERNAL, ())
        cut = 0
        while cut < len(frames) and _is_launch_frame(frames[cut][1]):
            cut += 1
        if frames and cut == len(frames):
            return _Trace(_INTERNAL, ())
        return _Trace(_USER, tuple(frames[cut:]))


def _is_launch_frame(file: str) -> bool:
    return file == LAUNCHER_FILE or file == "<frozen runpy>" or file.endswith("/runpy.py")


def _bin_edges(start: float, end: float, ticks: list[float], markers: int) -> list[float]:
    """Bin j holds the allocations between marker j-1 and marker j (bin 0: before the
    first); marker j happened at ``ticks[j]``."""
    known = ticks[: min(markers, len(ticks))]
    inner = [min(max(t, start), end) for t in known]
    edges = [start, *inner, end]
    for i in range(1, len(edges)):  # clocks may step back a little; bins never do
        edges[i] = max(edges[i], edges[i - 1])
    return edges


def _bin_of(edges: list[float], b: int) -> int:
    """Markers beyond the clock file's last time (a crash between the two) join the last bin."""
    return min(b, len(edges) - 2)


def _profiles(
    counting: _Counter, edges: list[float], main_tid: int, pid: int, window_s: float
) -> tuple[Profile, dict[tuple[int, int], dict[int, int]]]:
    """The bytes profile (windows of about ``window_s``) and the counts of the other."""
    profile = Profile(rate_hz=0.0)
    start = edges[0]
    n_windows = max(1, math.ceil((edges[-1] - start) / window_s - 1e-9))
    for w in range(n_windows):
        profile.add_window(Window(start + w * window_s, min(edges[-1], start + (w + 1) * window_s)))
    if len(edges) == 2:  # one bin (no clock): one window over the whole capture
        profile.windows[:] = [Window(edges[0], edges[1])]
    threads: dict[int, int] = {}
    stacks: dict[Any, int] = {}
    counts: dict[tuple[int, int], dict[int, int]] = {}
    for b, tid, key, n, nbytes in _cell_items(counting):
        bin_ = _bin_of(edges, b)
        w = (
            0
            if len(profile.windows) == 1
            else min(len(profile.windows) - 1, int((edges[bin_] - start) / window_s))
        )
        t = threads.get(tid)
        if t is None:
            name = counting.thread_names.get(tid, "") or ("MainThread" if tid == main_tid else "")
            t = threads[tid] = profile.add_thread(pid, tid, name)
        sid = stacks.get(key)
        if sid is None:
            sid = stacks[key] = _intern_stack(profile, counting.traces[key].frames)
        profile.add_samples(w, t, {sid: nbytes})
        cell = counts.setdefault((w, t), {})
        cell[sid] = cell.get(sid, 0) + n
    return profile, counts


def _cell_items(counting: _Counter) -> Iterator[tuple[int, int, Any, int, int]]:
    """(bin, thread id, stack key, count, bytes), in bin then thread order."""
    for (b, tid), cell in sorted(counting.cells.items(), key=lambda kv: kv[0]):
        for key, (n, nbytes) in cell.items():
            yield b, tid, key, n, nbytes


def _intern_stack(profile: Profile, frames: tuple[tuple[str, str, int], ...]) -> int:
    intern = profile.frames.intern
    if not frames:
        return profile.stacks.intern([intern(*EMPTY_STACK)])
    return profile.stacks.intern(intern(f, fi, ln) for f, fi, ln in frames)


def _series(counting: _Counter, edges: list[float], *, timed: bool) -> AllocationSeries:
    n_bins = len(edges) - 1
    allocs = [0] * n_bins
    nbytes = [0] * n_bins
    for b, _, _, n, size in _cell_items(counting):
        j = _bin_of(edges, b)
        allocs[j] += n
        nbytes[j] += size
    series = AllocationSeries(timed=timed)
    for j in range(n_bins):
        series.append(edges[j], edges[j + 1], allocs[j], nbytes[j])
    return series
