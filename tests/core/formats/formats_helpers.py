"""Helpers for the format tests: profiles with hostile names, sample multisets, the schema.

A plain module rather than a conftest.py, so that it does not shadow the
top-level conftest for tests that import from ``conftest``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from app.core.model.frames import Frame
from app.core.model.profile import Profile, ThreadInfo, Window

DATA = Path(__file__).resolve().parents[2] / "data"

# Every kind of text that breaks a naive writer: separators, markup, quotes,
# backslashes, line breaks, non-ASCII.
HOSTILE = [
    "semi;colon",
    "two words",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "\"double\" and 'single'",
    "back\\slash\\",
    "é中文🔥",
    "trailing space ",
    "new\nline\r\n",
    "tab\there",
    "paren (x.py:3)",
    'Thread 5 "fake"',
    "",
]

Key = tuple[ThreadInfo, tuple[Frame, ...]]


def sample_multiset(profile: Profile) -> Counter[Key]:
    """Samples per (thread, stack as frames), over all windows."""
    out: Counter[Key] = Counter()
    for (_, t), cell in profile.counts.items():
        for sid, n in cell.items():
            frames = tuple(profile.frames.frames[f] for f in profile.stacks.frames_of(sid))
            out[(profile.threads[t], frames)] += n
    return out


def window_multiset(profile: Profile) -> Counter[tuple[Window, ThreadInfo, tuple[Frame, ...]]]:
    """Samples per (window, thread, stack as frames)."""
    out: Counter[tuple[Window, ThreadInfo, tuple[Frame, ...]]] = Counter()
    for (w, t), cell in profile.counts.items():
        for sid, n in cell.items():
            frames = tuple(profile.frames.frames[f] for f in profile.stacks.frames_of(sid))
            out[(profile.windows[w], profile.threads[t], frames)] += n
    return out


def build_hostile_profile(
    names: list[str] | None = None, windows: int = 3, pids: tuple[int, ...] = (4242, 5151)
) -> Profile:
    """Threads in ``pids`` named after ``names``; frames with those function/file names."""
    names = HOSTILE if names is None else names
    p = Profile(rate_hz=250.0, meta={"name": "hostile <b>;</b>", "target": "x;y", "n": 3})
    threads = [p.add_thread(pids[i % len(pids)], 100 + i, name) for i, name in enumerate(names)]
    idle = p.add_thread(pids[0], 999, "idle " + names[0])  # never sampled: must survive
    root = p.frames.intern("<module>", "/srv/app main.py", 1)
    for w in range(windows):
        p.add_window(Window(1_700_000_000.25 + w, 1_700_000_001.0 + w, 250, w))
        for i, name in enumerate(names):
            fn = p.frames.intern(name, f"/src/{names[-1 - i]}.py", 10 + i)
            no_line = p.frames.intern(f"native {name}", names[i - 1], 0)
            s1 = p.stacks.intern([root, fn])
            s2 = p.stacks.intern([root, fn, no_line])
            thread = threads[(i + w) % len(threads)]
            p.add_samples(w, thread, {s1: 1 + i + w, s2: 2 * w + 1})
    assert idle not in {t for _, t in p.counts}
    return p


def speedscope_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((DATA / "speedscope-schema.json").read_text("utf-8"))
    return schema
