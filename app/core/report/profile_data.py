"""Report data derived from one Profile: summary, flame tree, top functions, timeline, counters.

Every function here is a pure function of its inputs and returns plain JSON-able
dicts whose names are indices into the report's :class:`StringTable`.

The flame graph travels as a prefix tree of *functions* (lines merged, as the app's
default flame graph): nodes in parent-before-child order with the distance to their
parent, their function, and their self samples (also per thread, for the thread
filter).  Large profiles are pruned: nodes with fewer than ``min_samples`` samples are
folded into one "(pruned)" child of their nearest kept ancestor, so every total still
adds up to the profile's samples.
"""

from __future__ import annotations

import math
import os
import platform
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import numpy as np

from app import __version__
from app.core.counters.derived import DERIVED_SPECS, derive
from app.core.counters.series import CounterSeries
from app.core.model.calltree import top_functions
from app.core.model.flame import (
    PALETTE_SIZE,
    hottest_lines,
    module_color_key,
    palette_color,
    palette_index,
)
from app.core.model.frames import EMPTY_STACK, NO_PARENT
from app.core.model.profile import Profile
from app.core.model.timeline import build_timeline
from app.core.report.packing import StringTable, delta_encode

PRUNED = "(pruned)"
"""The name of the node that holds the samples of the stacks pruned under its parent."""

MAX_TIMELINE_POINTS = 1000
MAX_TOP_ROWS = 1000


@dataclass(frozen=True)
class PruneOptions:
    """How much of the flame tree a report keeps.

    A node is kept when it has at least ``min_share`` of all samples; if more than
    ``max_nodes`` nodes pass, the threshold rises until at most ``max_nodes`` do.
    """

    min_share: float = 1e-5
    max_nodes: int = 150_000


def palette() -> dict[str, list[str]]:
    """The app's flame-graph palette as CSS colours (normal and dimmed)."""
    return {
        "normal": [_hex(palette_color(i)) for i in range(PALETTE_SIZE)],
        "dimmed": [_hex(palette_color(i, dimmed=True)) for i in range(PALETTE_SIZE)],
    }


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


class FunctionTable:
    """The report's functions: a profile function id maps to a dense report index.

    Only the functions the report refers to are listed; special entries (the pruned
    node) have no file, line 0 and colour -1 (grey in the JS).
    """

    def __init__(self, profile: Profile, strings: StringTable) -> None:
        self._profile = profile
        self._strings = strings
        self._ids: dict[int, int] = {}
        self._special: dict[str, int] = {}
        self._lines = hottest_lines(profile)
        self.name: list[int] = []
        self.file: list[int] = []
        self.line: list[int] = []
        self.color: list[int] = []

    def ref(self, fn_id: int) -> int:
        """The report index of profile function ``fn_id``."""
        idx = self._ids.get(fn_id)
        if idx is None:
            name, file = self._profile.frames.functions[fn_id]
            line = int(self._lines[fn_id]) if fn_id < len(self._lines) else 0
            idx = self._add(name, file, line, palette_index(module_color_key(file, name)))
            self._ids[fn_id] = idx
        return idx

    def special(self, name: str) -> int:
        idx = self._special.get(name)
        if idx is None:
            idx = self._add(name, "", 0, -1)
            self._special[name] = idx
        return idx

    def _add(self, name: str, file: str, line: int, color: int) -> int:
        self.name.append(self._strings(name))
        self.file.append(self._strings(file))
        self.line.append(line)
        self.color.append(color)
        return len(self.name) - 1

    def as_dict(self) -> dict[str, list[int]]:
        return {"name": self.name, "file": self.file, "line": self.line, "color": self.color}


# -- the flame tree -------------------------------------------------------------------


@dataclass
class _Tree:
    """Function-keyed prefix tree; ``fn`` is a profile function id, or -1 for
    samples with no stack at all.  ``self_nt`` maps ``node * threads + thread``."""

    parent: list[int]
    fn: list[int]
    self_nt: dict[int, int]
    n_threads: int


def _function_tree(profile: Profile) -> _Tree:
    n_threads = max(1, len(profile.threads))
    by_stack: dict[int, int] = {}  # (stack + 1) * n_threads + thread -> samples
    for (_, t), cell in profile.counts.items():
        for s, n in cell.items():
            key = (s + 1) * n_threads + t
            by_stack[key] = by_stack.get(key, 0) + n
    s_parent, s_frame = profile.stacks.parent, profile.stacks.frame
    frame_fn = profile.frames.frame_function
    needed: set[int] = set()
    for key in by_stack:
        s = key // n_threads - 1
        while s != NO_PARENT and s not in needed:
            needed.add(s)
            s = s_parent[s]
    parent: list[int] = []
    fn: list[int] = []
    child_of: dict[tuple[int, int], int] = {}
    node_of: dict[int, int] = {NO_PARENT: NO_PARENT}

    def child(p: int, f: int) -> int:
        node = child_of.get((p, f))
        if node is None:
            node = len(parent)
            child_of[(p, f)] = node
            parent.append(p)
            fn.append(f)
        return node

    for s in sorted(needed):  # a stack's parent has a smaller id
        node_of[s] = child(node_of[s_parent[s]], frame_fn[s_frame[s]])
    self_nt: dict[int, int] = {}
    for key, n in by_stack.items():
        s, t = key // n_threads - 1, key % n_threads
        node = node_of[s] if s != NO_PARENT else child(NO_PARENT, -1)
        k = node * n_threads + t
        self_nt[k] = self_nt.get(k, 0) + n
    return _Tree(parent, fn, self_nt, n_threads)


def _threshold(total: np.ndarray[Any, np.dtype[np.int64]], grand: int, prune: PruneOptions) -> int:
    min_count = max(1, math.ceil(prune.min_share * grand))
    if int(np.count_nonzero(total >= min_count)) > prune.max_nodes:
        kth = np.sort(total)[::-1][prune.max_nodes]
        min_count = max(min_count, int(kth) + 1)
    return min_count


@dataclass
class _Pruned:
    """The kept tree: ``parent`` (new ids), ``fn`` (report function indices), and for
    every node of the full tree the new node its samples go to (``target``)."""

    parent: list[int]
    fn: list[int]
    target: np.ndarray[Any, np.dtype[np.int64]]
    pruned_nodes: list[int]


def _prune(tree: _Tree, keep: np.ndarray[Any, np.dtype[np.bool_]], fns: FunctionTable) -> _Pruned:
    """Keep the nodes in ``keep`` (closed under ancestors); fold every dropped subtree
    into one "(pruned)" child of its nearest kept ancestor."""
    kept = np.flatnonzero(keep)
    new_id = np.full(len(tree.parent), -1, dtype=np.int64)
    new_id[kept] = np.arange(kept.size)
    parent = [int(new_id[tree.parent[i]]) if tree.parent[i] != NO_PARENT else -1 for i in kept]
    fn = [fns.ref(tree.fn[i]) if tree.fn[i] >= 0 else fns.special(EMPTY_STACK.function)
          for i in kept]  # fmt: skip
    target = new_id.copy()
    pruned_of: dict[int, int] = {}
    anc = np.full(len(tree.parent), -1, dtype=np.int64)  # nearest kept ancestor (new id)
    for j in np.flatnonzero(~keep).tolist():  # parents come before their children
        p = tree.parent[j]
        a = -1 if p == NO_PARENT else int(new_id[p] if keep[p] else anc[p])
        anc[j] = a
        slot = pruned_of.get(a)
        if slot is None:
            slot = pruned_of[a] = len(parent)
            parent.append(a)
            fn.append(fns.special(PRUNED))
        target[j] = slot
    return _Pruned(parent, fn, target, list(pruned_of.values()))


def flame_data(profile: Profile, fns: FunctionTable, prune: PruneOptions) -> dict[str, Any]:
    """The flame tree of every sample, pruned as ``prune`` says (see the module doc)."""
    tree = _function_tree(profile)
    n, nt = len(tree.parent), tree.n_threads
    total = np.zeros(n, dtype=np.int64)
    for k, c in tree.self_nt.items():
        total[k // nt] += c
    grand = int(total.sum())
    for i in range(n - 1, -1, -1):  # children come after their parents
        if tree.parent[i] != NO_PARENT:
            total[tree.parent[i]] += total[i]
    min_count = _threshold(total, grand, prune)
    kept = _prune(tree, total >= min_count, fns)
    out_self = [0] * len(kept.parent)
    per_thread: list[dict[int, int]] = [{} for _ in range(nt)]
    for k, c in tree.self_nt.items():
        node = int(kept.target[k // nt])
        out_self[node] += c
        row = per_thread[k % nt]
        row[node] = row.get(node, 0) + c
    dropped = n - (len(kept.parent) - len(kept.pruned_nodes))
    out: dict[str, Any] = {
        "total": grand,
        "parent_gap": [i - p if p >= 0 else i + 1 for i, p in enumerate(kept.parent)],
        "fn": kept.fn,
        "self": out_self,
        "pruned": {
            "min_samples": min_count if dropped else 0,
            "min_share": prune.min_share,
            "nodes": dropped,
            "samples": sum(out_self[s] for s in kept.pruned_nodes),
            "kept": n - dropped,
        },
    }
    if len(profile.threads) > 1:
        out["threads"] = [
            {"thread": t, "node": delta_encode(sorted(row)), "self": [row[x] for x in sorted(row)]}
            for t, row in enumerate(per_thread)
        ]
    return out


# -- tables and series ----------------------------------------------------------------


def top_data(profile: Profile, fns: FunctionTable, max_rows: int = MAX_TOP_ROWS) -> dict[str, Any]:
    """Self and total samples per function: the busiest ``max_rows`` by self and by total."""
    rows = top_functions(profile)
    chosen = {r.function_id for r in rows[:max_rows]}
    chosen |= {r.function_id for r in sorted(rows, key=lambda r: -r.total_samples)[:max_rows]}
    shown = [r for r in rows if r.function_id in chosen]
    return {
        "fn": [fns.ref(r.function_id) for r in shown],
        "line": [r.line for r in shown],
        "self": [r.self_samples for r in shown],
        "total": [r.total_samples for r in shown],
        "functions": len(rows),
    }


def threads_data(profile: Profile, strings: StringTable) -> list[dict[str, Any]]:
    totals = profile.thread_totals()
    return [
        {"label": strings(t.label), "name": strings(t.name), "pid": t.pid, "tid": t.tid,
         "samples": totals[i]}
        for i, t in enumerate(profile.threads)
    ]  # fmt: skip


def _bins(n: int, limit: int) -> list[tuple[int, int]]:
    step = max(1, math.ceil(n / limit))
    return [(i, min(n, i + step)) for i in range(0, n, step)]


def timeline_data(
    profile: Profile, strings: StringTable, max_points: int = MAX_TIMELINE_POINTS
) -> dict[str, Any]:
    """Samples per window (binned to at most ``max_points``) per thread, in time order."""
    tl = build_timeline(profile, max_series=8)
    order = np.argsort([w.start for w in profile.windows], kind="stable")
    expected = [profile.windows[int(i)].expected for i in order]
    bins = _bins(tl.n_windows, max_points)
    series = []
    for s in tl.series:
        series.append(
            {
                "label": strings(s.label),
                "thread": s.thread,
                "samples": [int(s.samples[a:b].sum()) for a, b in bins],
            }
        )
    return {
        "start": [round(float(tl.starts[a]), 4) for a, _ in bins],
        "end": [round(float(tl.ends[b - 1]), 4) for _, b in bins],
        "expected": [int(sum(expected[a:b])) for a, b in bins],
        "series": series,
        "per_bin": bins[0][1] - bins[0][0] if bins else 1,
    }


def counters_data(
    profile: Profile, counters: CounterSeries, max_points: int = MAX_TIMELINE_POINTS
) -> dict[str, Any]:
    """Every counter per window as a rate (delta counters) or a level (gauges), plus the
    derived metrics, and the counters this machine could not read with the reason."""
    origin = profile.start
    windows = sorted(counters.values)
    derived: dict[int, dict[str, float]] = {}
    for w in windows:
        start, end = counters.intervals.get(w, (0.0, 0.0))
        derived[w] = derive(counters.values[w], end - start)
    specs = [(s, counters.column(s.name)) for s in (counters.specs[n] for n in counters.names())]
    specs += [
        (s, [(w, derived[w][s.name]) for w in windows if s.name in derived[w]])
        for s in DERIVED_SPECS
    ]
    series = []
    for spec, column in specs:
        if not column:
            continue
        t: list[float] = []
        v: list[float] = []
        for w, value in column:
            start, end = counters.intervals.get(w, (origin, origin))
            wall = end - start
            if spec.kind == "delta":
                if wall <= 0:
                    continue
                value = value / wall
            t.append(round((start + end) / 2 - origin, 4))
            v.append(float(value))
        step = max(1, math.ceil(len(t) / max_points))
        series.append(
            {
                "name": spec.name,
                "unit": spec.unit + ("/s" if spec.kind == "delta" else ""),
                "kind": spec.kind,
                "description": spec.description,
                "t": t[::step],
                "v": v[::step],
            }
        )
    return {
        "series": series,
        "unsupported": [
            {"name": u.name, "reason": u.reason, "fix": u.fix} for u in counters.unsupported
        ],
    }


def environment() -> dict[str, Any]:
    """Where the report was written: sovprof, py-spy, Python, OS and CPU."""
    from kernels import isa

    def version(dist: str) -> str | None:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return None

    return {
        "sovprof": __version__,
        "py-spy": version("py-spy"),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "machine": platform.machine(),
        "cpu": isa.cpu_model(),
        "cpus": os.cpu_count(),
    }


def summary_data(profile: Profile, strings: StringTable) -> dict[str, Any]:
    """What was profiled, for how long, how many samples and how many were lost."""
    meta = profile.meta
    samples = profile.total_samples
    expected = profile.expected_samples
    lost = profile.lost_samples
    raw_options = meta.get("options")
    options: dict[str, Any] = raw_options if isinstance(raw_options, dict) else {}
    return {
        "name": strings(str(meta.get("name") or "")),
        "target": strings(str(meta.get("target") or "")),
        "session": meta.get("session_id"),
        "status": meta.get("status"),
        "message": strings(str(meta.get("message") or "")),
        "pid": meta.get("pid"),
        "started": profile.start if profile.windows else meta.get("started"),
        "duration": profile.duration,
        "samples": samples,
        "expected": expected,
        "lost": lost,
        "lost_pct": (100.0 * lost / expected) if expected else None,
        "windows": len(profile.windows),
        "errors": sum(w.errors for w in profile.windows),
        "rate_hz": profile.rate_hz,
        "threads": len(profile.threads),
        "functions": len(profile.frames.functions),
        "stacks": len(profile.stacks),
        "options": {str(k): v for k, v in sorted(options.items())},
        "environment": environment(),
    }


def profile_sections(
    profile: Profile,
    strings: StringTable,
    counters: CounterSeries | None = None,
    prune: PruneOptions | None = None,
) -> dict[str, Any]:
    """The profile's part of a report's data: every key the profile sections read."""
    fns = FunctionTable(profile, strings)
    data: dict[str, Any] = {
        "summary": summary_data(profile, strings),
        "threads": threads_data(profile, strings),
        "flame": flame_data(profile, fns, prune or PruneOptions()),
        "top": top_data(profile, fns),
        "timeline": timeline_data(profile, strings),
        "palette": palette(),
    }
    if counters is not None:
        data["counters"] = counters_data(profile, counters)
    data["functions"] = fns.as_dict()
    return data
