"""The ``sovprof`` member we add to speedscope files, so that an import gets back
what speedscope's format has no place for: windows (wall-clock start and end,
expected samples, errors), each thread's pid, the sampling rate and the meta.

The speedscope schema does not forbid extra members (no
``additionalProperties: false``), so the file stays valid and speedscope itself
ignores the member.  Layout (version 1)::

    "sovprof": {
      "format": "sovprof-speedscope", "version": 1,
      "rate_hz": 100.0,
      "meta": "<the meta dict as a JSON string>",
      "windows": [[start, end, expected, errors], ...],
      "threads": [[pid, tid, "name"], ...],
      "profiles": [[thread index, [[window index, samples], ...]], ...]
    }

``profiles`` has one entry per speedscope profile, in file order: that
profile's samples are the concatenation of one run per listed window.  The
meta is a string so that user keys can never look like speedscope members.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from app.core.formats.base import ImportFormatError
from app.core.model.profile import ThreadInfo, Window

KEY = "sovprof"
FORMAT = "sovprof-speedscope"
VERSION = 1


@dataclass(frozen=True)
class ProfileLayout:
    """Which thread one speedscope profile holds and how many samples per window."""

    thread: int
    runs: tuple[tuple[int, int], ...]

    @property
    def total(self) -> int:
        return sum(n for _, n in self.runs)


@dataclass(frozen=True)
class Extension:
    rate_hz: float
    meta: dict[str, Any]
    windows: tuple[Window, ...]
    threads: tuple[ThreadInfo, ...]
    profiles: tuple[ProfileLayout, ...]


def _finite(x: float) -> float:
    return x if math.isfinite(x) else 0.0


def encode(ext: Extension) -> bytes:
    """The member's value as compact JSON (one line: no raw line breaks)."""
    meta = orjson.dumps(ext.meta, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
    obj = {
        "format": FORMAT,
        "version": VERSION,
        "rate_hz": _finite(ext.rate_hz),
        "meta": meta,
        "windows": [[_finite(w.start), _finite(w.end), w.expected, w.errors] for w in ext.windows],
        "threads": [[t.pid, t.tid, t.name] for t in ext.threads],
        "profiles": [[p.thread, [list(r) for r in p.runs]] for p in ext.profiles],
    }
    return orjson.dumps(obj)


class _Bad(Exception):
    """Internal: the member is malformed; the message says where."""


def _int(x: Any, where: str) -> int:
    if isinstance(x, bool) or not isinstance(x, int):
        raise _Bad(f"{where} is not an integer")
    return x


def _num(x: Any, where: str) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
        raise _Bad(f"{where} is not a number")
    return float(x)


def _list(x: Any, where: str, length: int | None = None) -> Sequence[Any]:
    if not isinstance(x, list) or (length is not None and len(x) != length):
        size = "" if length is None else f" of {length}"
        raise _Bad(f"{where} is not a list{size}")
    return x


def _window(x: Any, i: int) -> Window:
    where = f"windows[{i}]"
    start, end, expected, errors = _list(x, where, 4)
    return Window(_num(start, where), _num(end, where), _int(expected, where), _int(errors, where))


def _thread(x: Any, i: int) -> ThreadInfo:
    where = f"threads[{i}]"
    pid, tid, name = _list(x, where, 3)
    if not isinstance(name, str):
        raise _Bad(f"{where} has no name")
    return ThreadInfo(_int(pid, where), _int(tid, where), name)


def _layout(x: Any, i: int, n_threads: int, n_windows: int) -> ProfileLayout:
    where = f"profiles[{i}]"
    thread, runs = _list(x, where, 2)
    if not 0 <= _int(thread, where) < n_threads:
        raise _Bad(f"{where} names no thread")
    out: list[tuple[int, int]] = []
    for run in _list(runs, where):
        w, n = _list(run, where, 2)
        if not 0 <= _int(w, where) < n_windows or _int(n, where) < 0:
            raise _Bad(f"{where} has a bad window run")
        out.append((w, n))
    return ProfileLayout(thread, tuple(out))


def _meta(x: Any) -> dict[str, Any]:
    if not isinstance(x, str):
        raise _Bad("meta is not a string")
    try:
        meta = orjson.loads(x)
    except orjson.JSONDecodeError:
        raise _Bad("meta is not JSON") from None
    if not isinstance(meta, dict):
        raise _Bad("meta is not an object")
    return meta


def _decode(obj: Any) -> Extension:
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise _Bad(f"it is not a {FORMAT} member")
    version = obj.get("version")
    if version != VERSION:
        raise _Bad(f"version {version!r}; this sovprof reads version {VERSION}")
    windows = tuple(_window(w, i) for i, w in enumerate(_list(obj.get("windows"), "windows")))
    threads = tuple(_thread(t, i) for i, t in enumerate(_list(obj.get("threads"), "threads")))
    if len(set(threads)) != len(threads):
        raise _Bad("a thread is listed twice")
    profiles = tuple(
        _layout(p, i, len(threads), len(windows))
        for i, p in enumerate(_list(obj.get("profiles"), "profiles"))
    )
    return Extension(
        _num(obj.get("rate_hz"), "rate_hz"), _meta(obj.get("meta")), windows, threads, profiles
    )


def decode(obj: Any, name_hint: str) -> Extension:
    """The extension from the member's parsed value; ImportFormatError when malformed."""
    try:
        return _decode(obj)
    except _Bad as exc:
        if (
            isinstance(obj, dict)
            and isinstance(obj.get("version"), int)
            and (obj["version"] > VERSION)
        ):
            raise ImportFormatError(
                name_hint,
                f"written by a newer sovprof (extension version {obj['version']}; this one"
                f" reads version {VERSION}); upgrade sovprof to import it",
            ) from None
        raise ImportFormatError(
            name_hint, f"the '{KEY}' member of this speedscope file is malformed ({exc})"
        ) from None
