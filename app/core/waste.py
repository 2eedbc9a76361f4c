"""The waste breakdown: every sample classified as compute, waiting or transport.

- **waiting**: the thread is blocked, not working: sleeps, locks, conditions, queues,
  ``select``/``poll``, socket and pipe reads, subprocess waits, the GIL.
- **transport**: the thread is working, but only moving or reshaping data: copies,
  layout and dtype conversions, ``tolist``, serialization (pickle, json, marshal),
  ``memcpy``/``memmove``.
- **compute**: everything else (the default).

A sample is classified by its stack, from the leaf up: the deepest frame that a rule
matches decides.  The rules are one table, :data:`app.core.waste_rules.BUILTIN_RULES`,
which users extend with a TOML or JSON file (see :mod:`app.core.waste_rules`).

Waiting is only visible where it was sampled: py-spy skips idle threads unless it runs
with ``--idle``.  With ``--native``, ``take_gil`` frames show GIL waits.

Overprocessing shows in comparisons: :func:`overprocessing_flags` flags changes to code
that had too small a share of the samples to matter.
"""

from __future__ import annotations

import linecache
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.core.model.calltree import top_functions
from app.core.model.frames import EMPTY_STACK, NO_PARENT, Frame
from app.core.model.profile import Profile
from app.core.waste_rules import (
    BUILTIN_RULES,
    CLASSES,
    COMPUTE,
    TRANSPORT,
    WAITING,
    WasteRule,
    WasteRulesError,
    load_rules,
    rules_for,
)

__all__ = [
    "BUILTIN_RULES",
    "CLASSES",
    "COMPUTE",
    "TRANSPORT",
    "WAITING",
    "OverprocessingFlag",
    "ThreadWaste",
    "WasteBreakdown",
    "WasteCause",
    "WasteClassifier",
    "WasteRule",
    "WasteRulesError",
    "bar_segments",
    "load_rules",
    "overprocessing_flags",
    "rules_for",
    "segment_at",
    "waste_breakdown",
]

_PY_SUFFIXES = (".py", ".pyw", ".pyi")


# -- classification -------------------------------------------------------------------------


def is_native(frame: Frame) -> bool:
    """A native (C/C++/Cython) frame, as py-spy --native reports them (a library as file)."""
    file = frame.file
    return bool(file) and not file.endswith(_PY_SUFFIXES) and not file.startswith("<")


@dataclass(frozen=True)
class Verdict:
    """Why one stack got its class: the rule and the frame it matched (None: compute)."""

    waste_class: str
    rule: WasteRule | None = None
    frame: int | None = None


_COMPUTE = Verdict(COMPUTE)


class WasteClassifier:
    """Classifies the stacks of one profile; verdicts are cached per stack and frame.

    ``read_line(file, line)`` gives a source line (``linecache`` by default); the cache
    assumes the profile's frame and stack tables only grow, as they do while recording.
    """

    def __init__(
        self,
        rules: Sequence[WasteRule] = BUILTIN_RULES,
        read_line: Callable[[str, int], str] | None = None,
    ) -> None:
        self.rules = tuple(rules)
        self._read_line = read_line or _linecache_line
        self._frame_rule: dict[int, WasteRule | None] = {}
        self._code_rule: dict[int, WasteRule | None] = {}
        self._stack: dict[int, Verdict] = {}
        self._tables: tuple[int, int] | None = None

    def classify(self, profile: Profile, stack: int) -> Verdict:
        """The verdict for one stack id of ``profile``."""
        tables = (id(profile.frames), id(profile.stacks))
        if tables != self._tables:
            self._tables = tables
            self._frame_rule.clear()
            self._code_rule.clear()
            self._stack.clear()
        hit = self._stack.get(stack)
        if hit is None:
            hit = self._classify(profile, stack)
            self._stack[stack] = hit
        return hit

    def _classify(self, profile: Profile, stack: int) -> Verdict:
        frames = profile.frames.frames
        innermost_python_seen = False
        sid = stack
        while sid != NO_PARENT:
            fid = profile.stacks.frame[sid]
            frame = frames[fid]
            native = is_native(frame)
            rule = self._match_frame(fid, frame, native)
            if rule is None and not native and not innermost_python_seen and frame != EMPTY_STACK:
                rule = self._match_code(fid, frame)
            if not native:
                innermost_python_seen = True
            if rule is not None:
                return Verdict(rule.waste_class, rule, fid)
            sid = profile.stacks.parent[sid]
        return _COMPUTE

    def _match_frame(self, fid: int, frame: Frame, native: bool) -> WasteRule | None:
        if fid in self._frame_rule:
            return self._frame_rule[fid]
        found = next((r for r in self.rules if r.matches_frame(frame, native)), None)
        self._frame_rule[fid] = found
        return found

    def _match_code(self, fid: int, frame: Frame) -> WasteRule | None:
        if fid in self._code_rule:
            return self._code_rule[fid]
        found = None
        text = self._read_line(frame.file, frame.line) if frame.line > 0 else ""
        if text:
            found = next((r for r in self.rules if r.matches_code(frame, text)), None)
        self._code_rule[fid] = found
        return found


def _linecache_line(file: str, line: int) -> str:
    return linecache.getline(file, line).strip() if file and not file.startswith("<") else ""


# -- the breakdown ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WasteCause:
    """A frame that decided a class for many samples (for compute: a hot leaf function)."""

    waste_class: str
    function: str
    file: str
    line: int
    samples: int
    why: str


@dataclass(frozen=True)
class ThreadWaste:
    """One thread's samples per class."""

    thread: int
    label: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def share(self, waste_class: str) -> float:
        return self.counts.get(waste_class, 0) / self.total if self.total else 0.0


@dataclass(frozen=True)
class WasteBreakdown:
    """Samples per class overall and per thread, and the top causes per class."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CLASSES, 0))
    threads: list[ThreadWaste] = field(default_factory=list)
    causes: dict[str, list[WasteCause]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def share(self, waste_class: str) -> float:
        return self.counts.get(waste_class, 0) / self.total if self.total else 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: shares, counts, per-thread counts and top causes."""
        return {
            "samples": self.total,
            "shares": {c: round(self.share(c), 4) for c in CLASSES},
            "counts": dict(self.counts),
            "threads": [
                {
                    "thread": t.thread,
                    "label": t.label,
                    "samples": t.total,
                    "counts": dict(t.counts),
                    "shares": {c: round(t.share(c), 4) for c in CLASSES},
                }
                for t in self.threads
            ],
            "causes": {
                c: [
                    {
                        "function": k.function,
                        "file": k.file,
                        "line": k.line,
                        "samples": k.samples,
                        "why": k.why,
                    }
                    for k in self.causes.get(c, [])
                ]
                for c in CLASSES
            },
        }


def bar_segments(counts: Mapping[str, int]) -> list[tuple[str, float, float]]:
    """(class, start, width) as fractions of a bar, in :data:`CLASSES` order; empty
    classes are left out and the widths add up to 1 (nothing at all: no segments)."""
    total = sum(counts.get(c, 0) for c in CLASSES)
    out: list[tuple[str, float, float]] = []
    x = 0.0
    for c in CLASSES:
        n = counts.get(c, 0)
        if n > 0 and total > 0:
            out.append((c, x, n / total))
            x += n / total
    return out


def segment_at(counts: Mapping[str, int], fraction: float) -> str | None:
    """The class whose segment covers ``fraction`` (0..1) of the bar, if any."""
    for c, x0, w in bar_segments(counts):
        if x0 <= fraction < x0 + w or (fraction >= 1.0 and x0 + w >= 1.0 - 1e-9):
            return c
    return None


def waste_breakdown(
    profile: Profile,
    classifier: WasteClassifier | None = None,
    *,
    top: int = 8,
) -> WasteBreakdown:
    """Classify every sample of ``profile``; shares overall and per thread, top causes."""
    clf = classifier or WasteClassifier()
    counts = dict.fromkeys(CLASSES, 0)
    per_thread: dict[int, dict[str, int]] = {}
    cause_counts: dict[tuple[str, int, str], int] = {}
    threads = profile.threads
    for (_, t), cell in profile.counts.items():
        tc = per_thread.setdefault(t, dict.fromkeys(CLASSES, 0))
        for stack, n in cell.items():
            v = clf.classify(profile, stack)
            counts[v.waste_class] += n
            tc[v.waste_class] += n
            if v.rule is not None and v.frame is not None:
                key = (v.waste_class, v.frame, v.rule.why)
            elif stack != NO_PARENT:
                key = (COMPUTE, profile.stacks.frame[stack], "")
            else:
                continue
            cause_counts[key] = cause_counts.get(key, 0) + n
    return WasteBreakdown(
        counts=counts,
        threads=[
            ThreadWaste(t, threads[t].label, per_thread[t])
            for t in sorted(per_thread, key=lambda i: (-sum(per_thread[i].values()), i))
        ],
        causes=_top_causes(profile, cause_counts, top),
    )


def _top_causes(
    profile: Profile, cause_counts: Mapping[tuple[str, int, str], int], top: int
) -> dict[str, list[WasteCause]]:
    """The frames (function and line) that account for most samples of each class."""
    out: dict[str, list[WasteCause]] = {c: [] for c in CLASSES}
    ranked = sorted(cause_counts.items(), key=lambda kv: (-kv[1], kv[0]))
    for (cls, fid, why), n in ranked:
        if len(out[cls]) < top:
            f = profile.frames.frames[fid]
            out[cls].append(
                WasteCause(cls, f.function, f.file, f.line, n, why or "on-CPU work (no rule)")
            )
    return out


# -- overprocessing ---------------------------------------------------------------------------

OVERPROCESSING_SHARE = 0.05
"""A changed function with less than this share of samples (total, before and after) cannot
make the program much faster: removing it entirely would save at most that share."""


@dataclass(frozen=True)
class OverprocessingFlag:
    """A change to code that had a small share of the samples: unlikely to matter."""

    function: str
    file: str
    share_before: float
    share_after: float
    max_saving: float
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "file": self.file,
            "share_before": round(self.share_before, 4),
            "share_after": round(self.share_after, 4),
            "max_saving": round(self.max_saving, 4),
            "message": self.message,
        }


ChangedFunction = str | tuple[str, str]
"""A function name (every file), or (name, file)."""


def function_shares(profile: Profile) -> dict[tuple[str, str], float]:
    """Total (inclusive) share of samples per (function, file)."""
    total = profile.total_samples
    if not total:
        return {}
    return {(r.function, r.file): r.total_samples / total for r in top_functions(profile)}


def overprocessing_flags(
    before: Profile,
    after: Profile,
    changed_functions: Iterable[ChangedFunction],
    *,
    threshold: float = OVERPROCESSING_SHARE,
) -> list[OverprocessingFlag]:
    """Flag the changed functions whose share of samples is below ``threshold``.

    By Amdahl's law a function with share ``s`` of the run time can save at most ``s`` of
    it, however much faster it gets: optimizing it is overprocessing.  The share used is
    the larger of before and after (a change that made a function hot is not flagged).
    Functions are matched by (name, file), or by name alone when no file is given.
    Returns the flags, smallest share first.
    """
    shares_before, shares_after = function_shares(before), function_shares(after)
    flags: list[OverprocessingFlag] = []
    seen: set[tuple[str, str]] = set()
    for changed in changed_functions:
        for key in _matching_keys(changed, shares_before, shares_after):
            if key in seen:
                continue
            seen.add(key)
            sb, sa = shares_before.get(key, 0.0), shares_after.get(key, 0.0)
            share = max(sb, sa)
            if share >= threshold:
                continue
            name, file = key
            flags.append(
                OverprocessingFlag(
                    name,
                    file,
                    sb,
                    sa,
                    share,
                    f"{name} had {100 * sb:.1f}% of the samples before the change and "
                    f"{100 * sa:.1f}% after: even if it took no time at all the program "
                    f"would be at most {100 * share:.1f}% faster — unlikely to matter "
                    f"(below {100 * threshold:.0f}%)",
                )
            )
    flags.sort(key=lambda f: (f.max_saving, f.function, f.file))
    return flags


def _matching_keys(
    changed: ChangedFunction,
    before: Mapping[tuple[str, str], float],
    after: Mapping[tuple[str, str], float],
) -> list[tuple[str, str]]:
    if isinstance(changed, tuple):
        return [changed]
    keys = sorted({k for k in (*before, *after) if k[0] == changed})
    return keys or [(changed, "")]
