"""Reading every counter source of one process once per sampling window."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence

from app.core.counters.base import CounterSource, CounterSpec, TargetGoneError, Unsupported

SourceFactory = Callable[[int], CounterSource]


def default_factories() -> list[tuple[str, SourceFactory]]:
    """perf_event, psutil and GPU sources, imported lazily."""
    from app.core.counters.gpu import GpuSource
    from app.core.counters.perf_event import PerfEventSource
    from app.core.counters.process import ProcessSource

    return [("perf", PerfEventSource), ("proc", ProcessSource), ("gpu", GpuSource)]


class CounterRecorder:
    """Opens the sources on ``pid``; ``read_window()`` gives one window's values.

    Delta counters are reported as their increase since the previous read,
    gauges as their current level.  When the target exits, sources that can
    still read their final counts (perf_event fds) do; the others keep their
    last values, so nothing counted before the exit is lost.
    """

    def __init__(
        self, pid: int, factories: Sequence[tuple[str, SourceFactory]] | None = None
    ) -> None:
        self.pid = pid
        self.sources: list[CounterSource] = []
        self._unsupported: list[Unsupported] = []
        for name, factory in factories if factories is not None else default_factories():
            try:
                self.sources.append(factory(pid))
            except TargetGoneError:
                self.close()
                raise
            except Exception as exc:
                self._unsupported.append(
                    Unsupported(name, f"could not open: {type(exc).__name__}: {exc}", "")
                )
        self._specs = {s.name: s for src in self.sources for s in src.specs()}
        self._prev: dict[str, float] = {}
        self._prev_t = time.time()
        self.target_exited = False
        self._prev = self._read_all()
        self._prev_t = time.time()

    def specs(self) -> list[CounterSpec]:
        return list(self._specs.values())

    def unsupported(self) -> list[Unsupported]:
        out = list(self._unsupported)
        for src in self.sources:
            out.extend(src.unsupported())
        return out

    def _read_all(self) -> dict[str, float]:
        values: dict[str, float] = {}
        for src in self.sources:
            try:
                values.update(src.read())
            except TargetGoneError:
                self.target_exited = True
                # keep this source's last values: its gauges stay, its deltas add 0
                values.update(
                    {
                        k: v
                        for k, v in self._prev.items()
                        if k in self._specs and k.startswith(src.source + ".")
                    }
                )
        return values

    def read_window(self) -> tuple[float, float, dict[str, float]]:
        """(start, end, values) since the previous call."""
        start = self._prev_t
        cur = self._read_all()
        end = time.time()
        out: dict[str, float] = {}
        for name, value in cur.items():
            spec = self._specs.get(name)
            if spec is None:
                continue
            if spec.kind == "gauge":
                out[name] = value
            elif name in self._prev:
                out[name] = max(0.0, value - self._prev[name])
        self._prev, self._prev_t = cur, end
        return start, end, out

    def close(self) -> None:
        for src in self.sources:
            with contextlib.suppress(Exception):
                src.close()
