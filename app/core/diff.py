"""Before/after comparison of two profiles: per-function verdicts and the overall one.

**Per function.**  A function's *share* is the fraction of samples whose stack
contains it (total) or ends in it (self).  Samples inside one window are not
independent (a program runs in phases, py-spy samples on a clock), so the unit of
the test is the window: every window is one measurement of each share, and the
shares of A's windows are compared with B's by Welch's t-test.  Partial windows
(the last one of a recording, a target that exited) hold too few samples to say
much and are left out of the test (see :func:`usable_windows`); very long
recordings are grouped into at most :data:`MAX_BLOCKS` runs of consecutive
windows.  The p-values of all functions are corrected for multiple testing
(Holm), over the functions whose mean share could clear the noise threshold at
all (leaving the others out loses nothing and keeps the correction fair), and
whose shares vary at all (a share that is the same constant in every window has
p = 1 or 0 with certainty, and cannot be a chance finding).  As in
Criterion (:mod:`kernels.stats`), a change is called only when it is significant
*and* its 95 % confidence interval lies outside the noise threshold, here
:data:`SHARE_NOISE` = 1 percentage point: B's share grew → ``regressed``, shrank
→ ``improved``, else ``noise``; ``untested`` when a side has fewer than two
usable windows.  A function's verdict is that of its total share; the self share
has its own.

Shares are compositional: when one function grows, the others' shares shrink even
if their own cost is unchanged.  Each function's *load* (its samples per sampling
tick: how many threads were in it on average) tells those cases apart when the
target is not CPU-bound.

**Overall: did the change make it faster?**  A sampling profiler sees time, not
work done.  The one quantity two recordings can be compared on is the CPU load:
busy threads per sampling tick, i.e. the samples of a window divided by the ticks
py-spy took in it (rate × the time it sampled; py-spy samples only threads that
run, unless ``--idle``).  Dividing by the ticks, not counting raw samples, makes
windows of different lengths and recordings at different rates comparable.  For
a target that does a steady amount of work per second (a server under a fixed
load, a frame loop, a poller), less CPU per second *is* faster code, so the
overall verdict is the load's: ``improved`` when it fell, ``regressed`` when it
rose, ``noise`` otherwise (threshold :data:`LOAD_NOISE`, 5 %, relative: the
number of ticks per window is itself only known to a few percent).  A target
whose busiest thread is busy in nearly every tick (≥ 90 %, :data:`SATURATED`) is
CPU-bound: its load is pinned whatever its speed, and extra threads raise it
while finishing sooner.  There, and when the load cannot be measured (no rate,
``--idle``, too few windows), the overall verdict is ``inconclusive`` if any
function's share changed (the profile changed, but samples cannot say whether
it got faster: time it, or use ``sovprof bench``) and ``noise`` if none did.

Benchmark runs are compared in :mod:`app.core.benchdiff`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from app.core.difftree import DiffTree, build_diff_tree
from app.core.model.calltree import top_functions
from app.core.model.frames import NO_PARENT
from app.core.model.profile import Profile
from app.core.welch import TTest, holm, welch

SIGNIFICANCE = 0.05
SHARE_NOISE = 0.01
"""Changes of a share smaller than this (1 percentage point) are noise."""
LOAD_NOISE = 0.05
"""Relative changes of the CPU load smaller than this (5 %) are noise."""
SATURATED = 0.90
"""A thread busy in this fraction of the sampling ticks makes the target CPU-bound."""
MAX_BLOCKS = 64
"""More usable windows than this are grouped into this many runs of consecutive windows."""
MIN_WINDOW_FRACTION = 0.25
"""A window with fewer samples than this fraction of the median window is partial."""
MIN_WINDOW_SAMPLES = 3

Verdict = Literal["improved", "regressed", "noise", "untested"]
Overall = Literal["improved", "regressed", "noise", "inconclusive"]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ShareChange:
    """One share (self or total) of one function in A and in B, and the test."""

    a: float
    b: float
    delta: float
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    p_adjusted: float | None
    verdict: Verdict


@dataclass(frozen=True)
class FunctionChange:
    """How one function (matched by name and file) changed from A to B."""

    function: str
    file: str
    line: int
    total: ShareChange
    self: ShareChange
    a_total_samples: int
    b_total_samples: int
    a_self_samples: int
    b_self_samples: int
    a_load: float | None
    b_load: float | None

    @property
    def verdict(self) -> Verdict:
        return self.total.verdict

    def as_json(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "file": self.file,
            "line": self.line,
            "verdict": self.verdict,
            "total": asdict(self.total),
            "self": asdict(self.self),
            "samples": {
                "a_total": self.a_total_samples,
                "b_total": self.b_total_samples,
                "a_self": self.a_self_samples,
                "b_self": self.b_self_samples,
            },
            "load": {"a": self.a_load, "b": self.b_load},
        }


@dataclass(frozen=True)
class LoadChange:
    """CPU load in A and B: busy threads per sampling tick (means over full windows).

    ``change`` and its CI are relative to A; ``*_busiest_thread`` is the share of
    ticks in which the busiest thread was busy.
    """

    a: float
    b: float
    change: float
    ci_low: float
    ci_high: float
    p_value: float
    verdict: Verdict
    a_busiest_thread: float
    b_busiest_thread: float

    @property
    def saturated(self) -> bool:
        return min(self.a_busiest_thread, self.b_busiest_thread) >= SATURATED


@dataclass(frozen=True)
class SideInfo:
    """What was compared on one side."""

    session: int | None
    name: str
    samples: int
    windows: int
    usable_windows: int
    duration_s: float
    rate_hz: float

    def label(self) -> str:
        which = f"session {self.session}" if self.session is not None else "profile"
        name = f" {self.name!r}" if self.name else ""
        return (
            f"{which}{name}: {self.samples} samples in {self.windows} windows "
            f"({self.usable_windows} tested)"
        )


@dataclass(frozen=True)
class ProfileDiff:
    """Everything ``sovprof diff`` reports about two profiles."""

    verdict: Overall
    basis: str
    sentence: str
    a: SideInfo
    b: SideInfo
    load: LoadChange | None
    functions: list[FunctionChange]
    tree: DiffTree

    @property
    def changed(self) -> list[FunctionChange]:
        return [f for f in self.functions if f.verdict in ("improved", "regressed")]

    def significant_keys(self) -> set[int]:
        """Ids in ``tree.functions`` of the functions whose change was called."""
        index = {fn: i for i, fn in enumerate(self.tree.functions)}
        return {index[(f.function, f.file)] for f in self.changed}

    def as_json(self, with_tree: bool = True) -> dict[str, Any]:
        """The ``sovprof diff --json`` document (``tree``: the merged tree's columns)."""
        load = None
        if self.load is not None:
            load = {**asdict(self.load), "saturated": self.load.saturated}
        doc: dict[str, Any] = {
            "kind": "profiles",
            "verdict": self.verdict,
            "basis": self.basis,
            "sentence": self.sentence,
            "significance": SIGNIFICANCE,
            "noise_threshold": SHARE_NOISE,
            "load_noise_threshold": LOAD_NOISE,
            "a": asdict(self.a),
            "b": asdict(self.b),
            "load": load,
            "functions": [f.as_json() for f in self.functions],
        }
        if with_tree:
            doc["tree"] = self.tree.as_json()
        return doc


# -- windows ---------------------------------------------------------------------------


def usable_windows(totals: Sequence[int]) -> list[int]:
    """Indices of windows with enough samples to measure shares in.

    A window is partial when it holds fewer than MIN_WINDOW_SAMPLES samples or
    less than MIN_WINDOW_FRACTION of the median window's.
    """
    nonzero = [n for n in totals if n > 0]
    if not nonzero:
        return []
    floor = max(MIN_WINDOW_SAMPLES, MIN_WINDOW_FRACTION * float(np.median(nonzero)))
    return [i for i, n in enumerate(totals) if n >= floor]


def _blocks(windows: list[int]) -> list[list[int]]:
    """Consecutive usable windows grouped into at most MAX_BLOCKS runs."""
    if len(windows) <= MAX_BLOCKS:
        return [[w] for w in windows]
    edges = np.linspace(0, len(windows), MAX_BLOCKS + 1).round().astype(int)
    return [windows[edges[i] : edges[i + 1]] for i in range(MAX_BLOCKS)]


@dataclass(frozen=True)
class _Shares:
    """Per block (rows) and function (columns, merged ids): self and total counts."""

    self_counts: FloatArray
    total_counts: FloatArray
    block_totals: FloatArray

    def shares(self, which: str) -> FloatArray:
        counts = self.total_counts if which == "total" else self.self_counts
        return counts / np.maximum(self.block_totals, 1.0)[:, None]


def _cell_arrays(
    profile: Profile, block_of: dict[int, int]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], FloatArray]:
    """(stack, block, count) of every sample count in a usable window, as arrays."""
    sids: list[npt.NDArray[np.int64]] = []
    blks: list[npt.NDArray[np.int64]] = []
    vals: list[FloatArray] = []
    for (w, _t), cell in profile.counts.items():
        block = block_of.get(w)
        if block is None or not cell:
            continue
        n = len(cell)
        sids.append(np.fromiter(cell.keys(), dtype=np.int64, count=n))
        vals.append(np.fromiter(cell.values(), dtype=np.float64, count=n))
        blks.append(np.full(n, block, dtype=np.int64))
    if not sids:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), np.zeros(0, dtype=np.float64)
    sid, blk, val = np.concatenate(sids), np.concatenate(blks), np.concatenate(vals)
    keep = (sid != NO_PARENT) & (val > 0)
    return sid[keep], blk[keep], val[keep]


def _block_shares(profile: Profile, fmap: list[int], n_functions: int) -> _Shares:
    """Self and total samples per (block of usable windows, merged function id).

    One pass over the cells builds the counts per (stack, block); totals come from
    the stack prefix tree: a stack's subtree count lands on its function at the
    topmost frame of that function on the path (a sample counts once per function
    under recursion).
    """
    blocks = _blocks(usable_windows(profile.window_totals()))
    block_of = {w: i for i, ws in enumerate(blocks) for w in ws}
    n_blocks = len(blocks)
    sid, blk, val = _cell_arrays(profile, block_of)
    self_c = np.zeros((n_blocks, n_functions), dtype=np.float64)
    total_c = np.zeros((n_blocks, n_functions), dtype=np.float64)
    block_totals = np.bincount(blk, weights=val, minlength=n_blocks).astype(np.float64)
    if sid.size == 0:
        return _Shares(self_c, total_c, block_totals)
    parent = profile.stacks.parent
    needed: set[int] = set()
    for s in np.unique(sid).tolist():
        while s != NO_PARENT and s not in needed:
            needed.add(s)
            s = parent[s]
    order = np.asarray(sorted(needed), dtype=np.int64)  # parents before children
    pos = np.full(len(profile.stacks), -1, dtype=np.int64)
    pos[order] = np.arange(order.size)
    counts = np.zeros((order.size, n_blocks), dtype=np.float64)  # stack rows, block columns
    np.add.at(counts, (pos[sid], blk), val)
    frame_of = np.asarray(profile.stacks.frame, dtype=np.int64)[order]
    fn_of = np.asarray(fmap, dtype=np.int64)[
        np.asarray(profile.frames.frame_function, dtype=np.int64)[frame_of]
    ]
    np.add.at(self_c.T, fn_of, counts)
    parents = np.asarray(profile.stacks.parent, dtype=np.int64)[order]
    par = np.where(parents >= 0, pos[np.maximum(parents, 0)], -1)
    depth = np.asarray(profile.stacks.depth, dtype=np.int64)[order]
    sub = counts.copy()
    for d in range(int(depth.max()), 1, -1):  # children before parents, a level at a time
        ids = np.flatnonzero(depth == d)
        np.add.at(sub, par[ids], sub[ids])
    topmost = _topmost(par, fn_of)
    np.add.at(total_c.T, fn_of[topmost], sub[topmost])
    return _Shares(self_c, total_c, block_totals)


def _topmost(par: npt.NDArray[np.int64], fn_of: npt.NDArray[np.int64]) -> Any:
    """Rows whose function does not occur again above them on their path."""
    keep = np.zeros(par.size, dtype=np.bool_)
    children: dict[int, list[int]] = {}
    for i, p in enumerate(par.tolist()):
        children.setdefault(p, []).append(i)
    fns = fn_of.tolist()
    active: dict[int, int] = {}
    todo: list[tuple[int, bool]] = [(i, False) for i in children.get(-1, [])]
    while todo:  # depth-first, counting the functions on the current path
        i, leaving = todo.pop()
        fn = fns[i]
        if leaving:
            active[fn] -= 1
            continue
        keep[i] = not active.get(fn)
        active[fn] = active.get(fn, 0) + 1
        todo.append((i, True))
        todo.extend((c, False) for c in children.get(i, ()))
    return np.flatnonzero(keep)


# -- tests -----------------------------------------------------------------------------


def _share_verdict(test: TTest | None, p_adj: float | None) -> Verdict:
    if test is None or p_adj is None:
        return "untested"
    if p_adj < SIGNIFICANCE:
        if test.ci_low > SHARE_NOISE:
            return "regressed"
        if test.ci_high < -SHARE_NOISE:
            return "improved"
    return "noise"


def _test_shares(
    a: FloatArray, b: FloatArray, pooled_a: FloatArray, pooled_b: FloatArray
) -> list[ShareChange]:
    """One ShareChange per function column of the per-block shares ``a`` and ``b``."""
    n = pooled_a.size
    tests: list[TTest | None] = [None] * n
    for f in range(n):
        if (pooled_a[f] + pooled_b[f]) / 2.0 >= SHARE_NOISE / 2.0:
            tests[f] = welch(a[:, f], b[:, f])
    # A share that is the same constant in every window on both sides (a thread's root
    # frames, a function alone in its thread) gives p = 1 with certainty: it can never be a
    # false positive, so it is left out of the correction instead of diluting it.
    varied = [None if t is None or math.isinf(t.df) else t.p_value for t in tests]
    adjusted = holm(varied)
    for f, t in enumerate(tests):
        if t is not None and varied[f] is None:
            adjusted[f] = t.p_value
    out = []
    for f in range(n):
        t, p_adj = tests[f], adjusted[f]
        delta = float(pooled_b[f] - pooled_a[f])
        if t is None and a.shape[0] >= 2 and b.shape[0] >= 2:
            verdict: Verdict = "noise"  # too small a share to ever clear the threshold
        else:
            verdict = _share_verdict(t, p_adj)
        out.append(
            ShareChange(
                a=float(pooled_a[f]),
                b=float(pooled_b[f]),
                delta=delta,
                ci_low=None if t is None else t.ci_low,
                ci_high=None if t is None else t.ci_high,
                p_value=None if t is None else t.p_value,
                p_adjusted=p_adj,
                verdict=verdict,
            )
        )
    return out


def _ticks(profile: Profile) -> list[float]:
    """Sampling ticks in each window: rate × the time py-spy sampled, less its errors.

    The live sampler runs py-spy for ``window_s`` seconds a window and starts the
    next one a little early, so on the timeline a window is clipped where the next
    begins; its samples still span the whole ``window_s``.  Only the last window
    (interrupted when the recording stops) ran for its own duration.  A tick in
    which py-spy failed to read the stacks (an error) sampled no thread.  A tick
    count is never below the samples of the window's busiest thread (py-spy may
    take a few more than rate × time).
    """
    options = profile.meta.get("options")
    window_s = options.get("window_s") if isinstance(options, dict) else None
    full = float(window_s) if isinstance(window_s, int | float) and window_s > 0 else None
    last = max(range(len(profile.windows)), key=lambda i: profile.windows[i].start, default=-1)
    busiest = [0] * len(profile.windows)
    for (w, _t), cell in profile.counts.items():
        busiest[w] = max(busiest[w], sum(cell.values()))
    out = []
    for i, win in enumerate(profile.windows):
        seconds = full if full is not None and i != last else win.duration
        out.append(max(profile.rate_hz * seconds - win.errors, float(busiest[i])))
    return out


def _load_samples(profile: Profile) -> tuple[FloatArray, float]:
    """Busy threads per sampling tick in each full window, and the busiest thread's
    share of the ticks over those windows."""
    ticks = _ticks(profile)
    positive = [t for t in ticks if t > 0]
    if not positive:
        return np.zeros(0), 0.0
    floor = 0.5 * float(np.median(positive))
    full = [w for w, t in enumerate(ticks) if t >= floor and t > 0]
    totals = profile.window_totals()
    load = np.asarray([totals[w] / ticks[w] for w in full], dtype=np.float64)
    per_thread = [0] * len(profile.threads)
    keep = set(full)
    for (w, t), cell in profile.counts.items():
        if w in keep:
            per_thread[t] += sum(cell.values())
    all_ticks = sum(ticks[w] for w in full)
    busiest = max(per_thread, default=0) / all_ticks if all_ticks > 0 else 0.0
    return load, busiest


def _load_unmeasurable(a: Profile, b: Profile) -> str | None:
    """Why the CPU load of these profiles cannot be compared, or None."""
    for side, p in (("A", a), ("B", b)):
        options = p.meta.get("options")
        if isinstance(options, dict) and options.get("idle"):
            return f"{side} was recorded with --idle (idle threads are sampled too)"
        if p.rate_hz <= 0:
            return f"{side} has no sampling rate"
    return None


def compare_load(a: Profile, b: Profile) -> LoadChange | None:
    """The CPU-load comparison, or None when it cannot be made."""
    if _load_unmeasurable(a, b) is not None:
        return None
    (la, busy_a), (lb, busy_b) = _load_samples(a), _load_samples(b)
    test = welch(la, lb)
    if test is None or la.size == 0 or lb.size == 0:
        return None
    base = float(la.mean())
    if base <= 0:
        return None
    change, lo, hi = test.delta / base, test.ci_low / base, test.ci_high / base
    verdict: Verdict = "noise"
    if test.p_value < SIGNIFICANCE:
        if lo > LOAD_NOISE:
            verdict = "regressed"
        elif hi < -LOAD_NOISE:
            verdict = "improved"
    return LoadChange(base, float(lb.mean()), change, lo, hi, test.p_value, verdict,
                      busy_a, busy_b)  # fmt: skip


# -- the comparison --------------------------------------------------------------------


def _side(profile: Profile) -> SideInfo:
    sid = profile.meta.get("session_id")
    name = profile.meta.get("name")
    return SideInfo(
        session=sid if isinstance(sid, int) else None,
        name=name if isinstance(name, str) else "",
        samples=profile.total_samples,
        windows=len(profile.windows),
        usable_windows=len(usable_windows(profile.window_totals())),
        duration_s=round(profile.duration, 3),
        rate_hz=profile.rate_hz,
    )


def _per_tick(samples: int, ticks: float) -> float | None:
    return samples / ticks if ticks > 0 else None


def compare_profiles(a: Profile, b: Profile) -> ProfileDiff:
    """Compare ``a`` (before) with ``b`` (after); see the module docstring."""
    tree = build_diff_tree(a, b)
    n_fn = len(tree.functions)
    index = {fn: i for i, fn in enumerate(tree.functions)}
    fmaps = [[index[fn] for fn in p.frames.functions] for p in (a, b)]
    sa, sb = (_block_shares(p, m, n_fn) for p, m in zip((a, b), fmaps, strict=True))
    rows = [_function_rows(p, m, n_fn) for p, m in zip((a, b), fmaps, strict=True)]
    (a_self, a_total, a_line), (b_self, b_total, b_line) = rows
    na, nb = max(a.total_samples, 1), max(b.total_samples, 1)
    total = _test_shares(sa.shares("total"), sb.shares("total"), a_total / na, b_total / nb)
    own = _test_shares(sa.shares("self"), sb.shares("self"), a_self / na, b_self / nb)
    ticks_a, ticks_b = sum(_ticks(a)), sum(_ticks(b))
    functions = []
    for f in range(n_fn):
        if a_total[f] == 0 and b_total[f] == 0:
            continue
        name, file = tree.functions[f]
        functions.append(
            FunctionChange(
                function=name,
                file=file,
                line=int(b_line[f] or a_line[f]),
                total=total[f],
                self=own[f],
                a_total_samples=int(a_total[f]),
                b_total_samples=int(b_total[f]),
                a_self_samples=int(a_self[f]),
                b_self_samples=int(b_self[f]),
                a_load=_per_tick(int(a_total[f]), ticks_a),
                b_load=_per_tick(int(b_total[f]), ticks_b),
            )
        )
    functions.sort(key=_rank)
    load = compare_load(a, b)
    verdict, basis, sentence = _overall(a, b, load, functions)
    return ProfileDiff(verdict, basis, sentence, _side(a), _side(b), load, functions, tree)


def _function_rows(
    profile: Profile, fmap: list[int], n_fn: int
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.int64]]:
    """Self samples, total samples and hottest line per merged function id."""
    own = np.zeros(n_fn, dtype=np.float64)
    total = np.zeros(n_fn, dtype=np.float64)
    line = np.zeros(n_fn, dtype=np.int64)
    for r in top_functions(profile):
        f = fmap[r.function_id]
        own[f], total[f], line[f] = r.self_samples, r.total_samples, r.line
    return own, total, line


def _rank(f: FunctionChange) -> tuple[int, float, str, str]:
    """Called changes first, then by the size of the change."""
    called = f.verdict in ("improved", "regressed")
    return (0 if called else 1, -abs(f.total.delta), f.function, f.file)


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def _moved(functions: Sequence[FunctionChange], limit: int = 3) -> str:
    parts = []
    for f in functions[:limit]:
        parts.append(
            f"{f.function} {_pct(f.total.a)} → {_pct(f.total.b)} ({f.verdict}, "
            f"{p_text(f.total.p_adjusted)})"
        )
    more = len(functions) - limit
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def format_p(p: float | None) -> str:
    """A p-value for a table cell: "n/a", "<0.0001", "0.0023" or "0.412"."""
    if p is None or not math.isfinite(p):
        return "n/a"
    if p < 1e-4:
        return "<0.0001"
    return f"{p:.2g}" if p < 0.01 else f"{p:.3f}"


def p_text(p: float | None) -> str:
    """A p-value in a sentence: "p = 0.012", "p < 0.0001" or "p n/a"."""
    shown = format_p(p)
    if shown == "n/a":
        return "p n/a"
    return f"p < {shown[1:]}" if shown.startswith("<") else f"p = {shown}"


def _overall(
    a: Profile, b: Profile, load: LoadChange | None, functions: list[FunctionChange]
) -> tuple[Overall, str, str]:
    changed = [f for f in functions if f.verdict in ("improved", "regressed")]
    untested = any(f.verdict == "untested" for f in functions)
    shares = f"the profile changed: {_moved(changed)}" if changed else "no function's share changed"
    if load is not None and not load.saturated:
        load_text = (
            f"CPU load {load.a:.2f} → {load.b:.2f} busy threads "
            f"({100 * load.change:+.1f} %, {p_text(load.p_value)})"
        )
        if load.verdict in ("improved", "regressed"):
            word = "less" if load.verdict == "improved" else "more"
            head = f"{load.verdict}: the target used {word} CPU per second"
            return load.verdict, "cpu_load", f"{head}: {load_text}; {shares}"
        return "noise", "cpu_load", f"noise: no change in {load_text}; {shares}"
    if load is not None:
        why = (
            f"the target is CPU-bound (its busiest thread was busy in "
            f"{_pct(load.a_busiest_thread)} → {_pct(load.b_busiest_thread)} of the ticks), so "
            "samples cannot tell faster from slower"
        )
    elif untested:
        why = "too few usable windows to test (need 2 on each side; record longer)"
    else:
        why = f"the CPU load cannot be compared ({_load_unmeasurable(a, b) or 'too few windows'})"
    if changed:
        return "inconclusive", "shares", f"inconclusive: {why}; {shares}"
    if untested:
        return "inconclusive", "none", f"inconclusive: {why}"
    return "noise", "shares", f"noise: {shares}; {why}"
