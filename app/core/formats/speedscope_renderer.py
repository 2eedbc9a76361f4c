"""Speedscope JSON export: the faithful format.

The file validates against speedscope's published schema (unlike py-spy's,
which writes ``"col": null``).  Like py-spy we write one ``sampled`` profile
per thread, named ``Thread TID "NAME"`` (``Process PID Thread TID "NAME"``
when the profile spans several processes), with one sample per sampled stack
and equal weights of 1/rate seconds, so speedscope and our own importer read
it as they read py-spy's.  Windows, pids, the rate and the meta travel in a
``sovprof`` member (see :mod:`app.core.formats.sovprof_ext`); inside each
thread's profile the samples are ordered by window.
"""

from __future__ import annotations

from typing import Any

import orjson

from app import __version__
from app.core.formats import sovprof_ext
from app.core.formats.base import Renderer, RenderError
from app.core.model.profile import Profile

SCHEMA_URL = "https://www.speedscope.app/file-format-schema.json"
# Our files start with exactly these bytes, then the sovprof member and a line
# break; the importer uses that to read the member without parsing the samples.
PREFIX = b'{"$schema":"' + SCHEMA_URL.encode() + b'","' + sovprof_ext.KEY.encode() + b'":'
MAX_SAMPLES = 50_000_000


def profile_name(pid: int, tid: int, name: str, with_pid: bool) -> str:
    """py-spy's name for a thread's profile, which our importer parses back."""
    base = f'Thread {tid} "{name}"'
    return f"Process {pid} {base}" if with_pid else base


class _Builder:
    """Collects the compact frame table and the per-thread profiles."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.frame_index: dict[int, int] = {}
        self.frames: list[dict[str, Any]] = []
        self.stack_cache: dict[int, list[int]] = {}

    def stack(self, sid: int) -> list[int]:
        out = self.stack_cache.get(sid)
        if out is None:
            out = [self._frame(f) for f in self.profile.stacks.frames_of(sid)]
            self.stack_cache[sid] = out
        return out

    def _frame(self, fid: int) -> int:
        idx = self.frame_index.get(fid)
        if idx is None:
            f = self.profile.frames.frames[fid]
            entry: dict[str, Any] = {"name": f.function}
            if f.file:
                entry["file"] = f.file
            if f.line:
                entry["line"] = f.line
            idx = self.frame_index[fid] = len(self.frames)
            self.frames.append(entry)
        return idx

    def thread_samples(
        self, cells: list[tuple[int, dict[int, int]]]
    ) -> tuple[list[list[int]], list[tuple[int, int]]]:
        """Samples of one thread's (window, cell) list in window order, and the runs."""
        samples: list[list[int]] = []
        runs: list[tuple[int, int]] = []
        for w, cell in sorted(cells, key=lambda c: c[0]):
            before = len(samples)
            for sid, n in sorted(cell.items()):
                if n > 0 and sid >= 0:
                    samples.extend([self.stack(sid)] * n)
            if len(samples) > before:
                runs.append((w, len(samples) - before))
        return samples, runs


class SpeedscopeRenderer(Renderer):
    """Speedscope JSON with a ``sovprof`` member; keeps every sample, thread and window."""

    name = "speedscope"
    extension = ".speedscope.json"
    description = "speedscope JSON (lossless; opens in speedscope.app)"
    lossy = None

    def render(self, profile: Profile) -> bytes:
        total = profile.total_samples
        if total > MAX_SAMPLES:
            raise RenderError(
                f"{total} samples are too many for a speedscope file (at most {MAX_SAMPLES});"
                " export collapsed stacks instead"
            )
        rate = profile.rate_hz if profile.rate_hz > 0 else 0.0
        weight = 1.0 / rate if rate else 1.0
        unit = "seconds" if rate else "none"
        with_pid = len({t.pid for t in profile.threads}) > 1
        builder = _Builder(profile)
        profiles: list[dict[str, Any]] = []
        layouts: list[sovprof_ext.ProfileLayout] = []
        by_thread: dict[int, list[tuple[int, dict[int, int]]]] = {}
        for (w, t), cell in profile.counts.items():
            by_thread.setdefault(t, []).append((w, cell))
        for index, info in enumerate(profile.threads):
            samples, runs = builder.thread_samples(by_thread.get(index, []))
            if not samples:
                continue
            layouts.append(sovprof_ext.ProfileLayout(index, tuple(runs)))
            profiles.append(
                {
                    "type": "sampled",
                    "name": profile_name(info.pid, info.tid, info.name, with_pid),
                    "unit": unit,
                    "startValue": 0.0,
                    "endValue": len(samples) * weight,
                    "samples": samples,
                    "weights": [weight] * len(samples),
                }
            )
        ext = sovprof_ext.Extension(
            rate, dict(profile.meta), tuple(profile.windows), tuple(profile.threads), tuple(layouts)
        )
        title = profile.meta.get("name")
        try:
            parts = [
                PREFIX,
                sovprof_ext.encode(ext),
                b'\n,"shared":',
                orjson.dumps({"frames": builder.frames}),
                b',"profiles":',
                orjson.dumps(profiles),
                b',"name":',
                orjson.dumps(title if isinstance(title, str) else "sovprof profile"),
                b',"exporter":',
                orjson.dumps(f"sovprof@{__version__}"),
                b',"activeProfileIndex":0}\n' if profiles else b"}\n",
            ]
        except (orjson.JSONEncodeError, TypeError) as exc:
            raise RenderError(f"cannot write this profile as JSON ({exc})") from None
        return b"".join(parts)
