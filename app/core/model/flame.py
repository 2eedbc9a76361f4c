"""Flame-graph layout derived from a CallTree, and the maths the flame view needs.

The layout is a set of parallel numpy arrays with one entry per drawn frame:
``x0`` and ``width`` in samples, ``depth`` (0 for the root's children), the
node's ``key`` (a function id by default) and its ``node`` index in the tree.
Frames are stored level by level (depth ascending) and, within a level, from
left to right, so a level is a contiguous slice and ``x0`` is sorted inside it.

Children are laid out in a stable order (function name, then key) so frames do
not jump around when the tree is rebuilt on every live update.  A zoom target
is a path of keys from the root down (it survives rebuilding the tree): the
focused node spans the whole width, its ancestors are drawn full-width above
it, and everything outside its subtree is left out.

Culling (:func:`visible`), label fitting, search and colours are plain
functions so the Qt item stays a thin painter over them.
"""

from __future__ import annotations

import colorsys
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import overload

import numpy as np
import numpy.typing as npt

from app.core.model.calltree import ROOT, CallTree
from app.core.model.profile import Profile

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

ELLIPSIS = "…"
LABEL_PAD_PX = 3.0
"""Space kept free on each side of a label inside its frame."""


class LayoutCheckError(AssertionError):
    """A layout whose geometry does not match its tree."""


@dataclass(frozen=True, eq=False)
class FlameLayout:
    """Frames of one flame graph as parallel arrays (see the module docstring).

    ``node_total`` and ``self_count`` are the tree's numbers for each frame;
    ``width`` equals ``node_total`` except for the ancestors of a zoom target
    (``ancestor`` is True), which are drawn as wide as the target.  ``parent``
    is the layout index of the frame below (-1 at depth 0).  ``level_start``
    has ``levels + 1`` offsets: level ``d`` is ``level_start[d]:level_start[d+1]``.
    """

    x0: FloatArray
    width: FloatArray
    depth: IntArray
    key: IntArray
    node: IntArray
    parent: IntArray
    node_total: IntArray
    self_count: IntArray
    ancestor: BoolArray
    level_start: IntArray
    span: float
    focus_path: tuple[int, ...]
    focus_node: int
    root_total: int

    def __len__(self) -> int:
        return int(self.x0.shape[0])

    @property
    def levels(self) -> int:
        """Number of depth levels (0 for an empty layout)."""
        return int(self.level_start.shape[0]) - 1

    def level(self, depth: int) -> slice:
        """The slice of the arrays that holds the frames at ``depth``."""
        if not 0 <= depth < self.levels:
            return slice(0, 0)
        return slice(int(self.level_start[depth]), int(self.level_start[depth + 1]))

    def index_at(self, x: float, depth: int) -> int | None:
        """Layout index of the frame covering sample position ``x`` at ``depth``."""
        sl = self.level(depth)
        if sl.start == sl.stop:
            return None
        i = int(np.searchsorted(self.x0[sl], x, side="right")) - 1
        if i < 0:
            return None
        j = sl.start + i
        return j if x < self.x0[j] + self.width[j] else None

    def check(self, tree: CallTree | None = None) -> None:
        """Raise LayoutCheckError unless the geometry is consistent.

        Every frame lies inside its parent's x-range, frames of a level do not
        overlap, widths equal node totals (the span for zoom ancestors) and,
        given the tree, node totals and keys are the tree's.
        """
        n = len(self)
        if n == 0:
            return
        expected = np.where(self.ancestor, self.span, self.node_total.astype(np.float64))
        bad = np.flatnonzero(self.width != expected)
        if bad.size:
            i = int(bad[0])
            raise LayoutCheckError(f"frame {i}: width {self.width[i]} != {expected[i]}")
        has_parent = self.parent >= 0
        if np.any(self.parent[self.depth == 0] != -1) or not np.all(has_parent[self.depth > 0]):
            raise LayoutCheckError("depth-0 frames must have no parent, deeper frames one")
        kids = np.flatnonzero(has_parent)
        par = self.parent[kids]
        if np.any(self.depth[par] != self.depth[kids] - 1):
            raise LayoutCheckError("a frame's parent is not one level below it")
        left_out = self.x0[kids] < self.x0[par]
        right_out = self.x0[kids] + self.width[kids] > self.x0[par] + self.width[par]
        bad = np.flatnonzero(left_out | right_out)
        if bad.size:
            i = int(kids[bad[0]])
            raise LayoutCheckError(f"frame {i} lies outside its parent {int(self.parent[i])}")
        for d in range(self.levels):
            sl = self.level(d)
            ends = self.x0[sl][:-1] + self.width[sl][:-1]
            if np.any(self.x0[sl][1:] < ends):
                raise LayoutCheckError(f"frames overlap at depth {d}")
        if tree is not None:
            totals = np.asarray(tree.total, dtype=np.int64)[self.node]
            keys = np.asarray(tree.key, dtype=np.int64)[self.node]
            if np.any(totals != self.node_total) or np.any(keys != self.key):
                raise LayoutCheckError("node totals or keys differ from the tree")


def _empty_layout(root_total: int) -> FlameLayout:
    f = np.zeros(0, dtype=np.float64)
    i = np.zeros(0, dtype=np.int64)
    return FlameLayout(
        x0=f,
        width=f.copy(),
        depth=i,
        key=i.copy(),
        node=i.copy(),
        parent=i.copy(),
        node_total=i.copy(),
        self_count=i.copy(),
        ancestor=np.zeros(0, dtype=np.bool_),
        level_start=np.zeros(1, dtype=np.int64),
        span=0.0,
        focus_path=(),
        focus_node=ROOT,
        root_total=root_total,
    )


def resolve_focus(tree: CallTree, focus_path: Sequence[int] | None) -> list[int]:
    """Node indices along the deepest existing prefix of ``focus_path`` (keys)."""
    nodes: list[int] = []
    node = ROOT
    for k in focus_path or ():
        child = tree.children[node].get(k)
        if child is None:
            break
        nodes.append(child)
        node = child
    return nodes


def key_ranks(keys: IntArray, names: Sequence[str] | None) -> IntArray:
    """Rank of every key in ``keys`` ordered by (name, key); indexed by key."""
    size = int(keys.max()) + 1 if keys.size else 0
    ranks = np.zeros(size, dtype=np.int64)
    uniq = np.unique(keys)
    if names is None:
        ranks[uniq] = np.arange(uniq.size)
        return ranks
    labels = np.array([names[int(k)] for k in uniq], dtype=str)
    order = np.lexsort((uniq, labels))
    ranks[uniq[order]] = np.arange(uniq.size)
    return ranks


def layout_flame(
    tree: CallTree, focus_path: Sequence[int] | None = None, names: Sequence[str] | None = None
) -> FlameLayout:
    """Lay out ``tree`` zoomed on ``focus_path`` (keys from the root down, or None).

    ``names[key]`` orders siblings (by name, then key); without it siblings are
    ordered by key.  A path that no longer exists falls back to its deepest
    existing prefix, which the layout's ``focus_path`` reports.
    """
    root_total = tree.total[ROOT]
    chain = resolve_focus(tree, focus_path)
    focus = chain[-1] if chain else ROOT
    span = tree.total[focus]
    if span <= 0:
        return _empty_layout(root_total)
    key_arr = np.asarray(tree.key, dtype=np.int64)
    total_arr = np.asarray(tree.total, dtype=np.int64)
    ranks = key_ranks(key_arr[1:], names)
    x0_full = np.zeros(len(tree), dtype=np.int64)
    pos_full = np.full(len(tree), -1, dtype=np.int64)  # layout index of each drawn node

    levels: list[IntArray] = [np.asarray([n], dtype=np.int64) for n in chain]
    parents: list[IntArray] = [np.asarray([p], dtype=np.int64) for p in [ROOT, *chain][:-1]]
    frontier = [focus]
    while frontier:
        kids = [c for n in frontier for c in tree.children[n].values()]
        if not kids:
            break
        nodes = np.asarray(kids, dtype=np.int64)
        par = np.asarray([tree.parent[c] for c in kids], dtype=np.int64)
        levels.append(nodes)
        parents.append(par)
        frontier = kids
    n_anc = max(0, len(chain) - 1)
    out_nodes: list[IntArray] = []
    out_parents: list[IntArray] = []
    offset = 0
    for d, (nodes, par) in enumerate(zip(levels, parents, strict=True)):
        if d >= len(chain):  # below the focus: order siblings and stack them
            order = np.lexsort((ranks[key_arr[nodes]], pos_full[par]))
            nodes, par = nodes[order], par[order]
            w = total_arr[nodes]
            csum = np.cumsum(w)
            starts = np.ones(nodes.size, dtype=np.bool_)
            starts[1:] = par[1:] != par[:-1]
            group = np.cumsum(starts) - 1
            before = (csum - w)[np.flatnonzero(starts)]
            x0_full[nodes] = x0_full[par] + (csum - w - before[group])
        pos_full[nodes] = offset + np.arange(nodes.size)
        offset += nodes.size
        out_nodes.append(nodes)
        out_parents.append(par)
    node = np.concatenate(out_nodes)
    par_node = np.concatenate(out_parents)
    sizes = np.asarray([a.size for a in out_nodes], dtype=np.int64)
    level_start = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(sizes)])
    depth = np.repeat(np.arange(sizes.size, dtype=np.int64), sizes)
    ancestor = depth < n_anc
    node_total = total_arr[node]
    width = np.where(ancestor, float(span), node_total.astype(np.float64))
    return FlameLayout(
        x0=x0_full[node].astype(np.float64),
        width=width,
        depth=depth,
        key=key_arr[node],
        node=node,
        parent=np.where(depth == 0, -1, pos_full[par_node]),
        node_total=node_total,
        self_count=np.asarray(tree.self_count, dtype=np.int64)[node],
        ancestor=ancestor,
        level_start=level_start,
        span=float(span),
        focus_path=tuple(tree.key[n] for n in chain),
        focus_node=focus,
        root_total=root_total,
    )


def key_path(tree: CallTree, node: int) -> list[int]:
    """Keys from the root down to ``node``: the focus path that zooms on it."""
    return [tree.key[n] for n in tree.path(node)]


def hottest_lines(profile: Profile) -> IntArray:
    """Per function id, the line with the most samples (0 where none were seen).

    A frame's weight is every sample whose stack passes through it, so this
    agrees with ``top_functions``; it is computed on the stack prefix tree in
    O(stacks + frames) numpy work, cheap enough to run on the first hover.
    """
    frames = profile.frames
    n_fn = len(frames.functions)
    out = np.zeros(n_fn, dtype=np.int64)
    stacks = profile.stacks
    if len(stacks) == 0 or n_fn == 0:
        return out
    total = np.zeros(len(stacks), dtype=np.float64)
    counts = profile.stack_counts()
    if counts:
        total[np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))] = np.fromiter(
            counts.values(), dtype=np.float64, count=len(counts)
        )
    parent = np.asarray(stacks.parent, dtype=np.int64)
    depth = np.asarray(stacks.depth, dtype=np.int64)
    by_depth = np.argsort(depth, kind="stable")
    bounds = np.searchsorted(depth[by_depth], np.arange(int(depth.max()) + 2))
    for d in range(int(depth.max()), 1, -1):  # children before parents
        ids = by_depth[bounds[d] : bounds[d + 1]]
        total += np.bincount(parent[ids], weights=total[ids], minlength=total.size)
    frame_of = np.asarray(stacks.frame, dtype=np.int64)
    weight = np.bincount(frame_of, weights=total, minlength=len(frames))
    fn = np.asarray(frames.frame_function, dtype=np.int64)
    line = np.fromiter((f.line for f in frames.frames), dtype=np.int64, count=len(frames))
    order = np.lexsort((line, -weight, fn))  # per function: heaviest, then lowest line
    first = order[np.flatnonzero(np.concatenate([[True], fn[order][1:] != fn[order][:-1]]))]
    seen = first[weight[first] > 0]
    out[fn[seen]] = line[seen]
    return out


# -- culling and labels -----------------------------------------------------------


def visible(
    layout: FlameLayout,
    x_min: float,
    x_max: float,
    px_width: float,
    min_px: float = 1.0,
    depth_range: tuple[float, float] | None = None,
) -> IntArray:
    """Indices of frames that overlap [x_min, x_max] and are at least ``min_px`` wide.

    ``px_width`` is how many pixels the range [x_min, x_max] covers.  With
    ``depth_range`` (lo, hi), only levels that overlap [lo, hi) are kept.
    """
    if len(layout) == 0 or x_max <= x_min or px_width <= 0:
        return np.zeros(0, dtype=np.int64)
    start, stop = 0, len(layout)
    if depth_range is not None:
        lo = max(0, int(np.floor(depth_range[0])))
        hi = min(layout.levels, int(np.ceil(depth_range[1])))
        if hi <= lo:
            return np.zeros(0, dtype=np.int64)
        start, stop = int(layout.level_start[lo]), int(layout.level_start[hi])
    x0 = layout.x0[start:stop]
    w = layout.width[start:stop]
    min_w = min_px * (x_max - x_min) / px_width
    keep = (x0 < x_max) & (x0 + w > x_min) & (w >= min_w)
    return np.flatnonzero(keep).astype(np.int64) + start


@overload
def label_fits(width_px: float, char_px: float, min_chars: int = 6) -> bool: ...
@overload
def label_fits(width_px: FloatArray, char_px: float, min_chars: int = 6) -> BoolArray: ...
def label_fits(
    width_px: float | FloatArray, char_px: float, min_chars: int = 6
) -> bool | BoolArray:
    """Whether ``min_chars`` characters (padding included) fit in ``width_px``."""
    room = width_px - 2 * LABEL_PAD_PX
    if isinstance(room, np.ndarray):
        return np.asarray(room >= min_chars * char_px, dtype=np.bool_)
    return bool(room >= min_chars * char_px)


def fit_label(text: str, width_px: float, char_px: float) -> str:
    """``text`` cut to ``width_px`` at ``char_px`` per character, elided with "…".

    The width is the room for the text itself (no padding is subtracted).
    Returns "" when not even one character and the ellipsis fit.
    """
    if char_px <= 0:
        return text
    n = int(width_px // char_px)
    if n >= len(text):
        return text
    if n < 2:
        return ""
    return text[: n - 1] + ELLIPSIS


# -- search ------------------------------------------------------------------------


def search_matches(
    layout: FlameLayout, names: Sequence[str | tuple[str, str]], query: str
) -> tuple[BoolArray, float]:
    """Frames whose function matches ``query``, and the share of samples under them.

    ``names[key]`` is a function name or a (name, file) pair; the match is a
    case-insensitive substring of either.  The share is of the layout's span
    (all samples, or those of the zoom target): a matching frame nested inside
    a matching frame is not counted twice.  An empty query matches nothing.
    """
    mask = np.zeros(len(layout), dtype=np.bool_)
    q = query.strip().casefold()
    if not q or len(layout) == 0:
        return mask, 0.0
    uniq, inverse = np.unique(layout.key, return_inverse=True)
    hit = np.fromiter((_matches(names[int(k)], q) for k in uniq), dtype=np.bool_, count=uniq.size)
    mask = hit[inverse.reshape(-1)]
    covered = np.zeros(len(layout), dtype=np.bool_)  # a strict ancestor matches
    for d in range(1, layout.levels):
        sl = layout.level(d)
        par = layout.parent[sl]
        covered[sl] = mask[par] | covered[par]
    top = mask & ~covered
    return mask, float(layout.width[top].sum()) / layout.span


def _matches(entry: str | tuple[str, str], query: str) -> bool:
    if isinstance(entry, str):
        return query in entry.casefold()
    return any(query in part.casefold() for part in entry)


# -- colours -----------------------------------------------------------------------

_SITE_RE = re.compile(r"[\\/](?:site|dist)-packages[\\/]([^\\/]+)")
_STDLIB_RE = re.compile(
    r"[\\/]lib(?:64)?[\\/]python\d[\d.]*t?[\\/]|[\\/]python\d*[\\/]lib[\\/]", re.IGNORECASE
)
_STDLIB_PREFIXES = ("<frozen ", "<frozen>")

HUES = 24
SHADES = 2
PALETTE_SIZE = HUES * SHADES
MIN_LUMA = 165.0


def module_color_key(file: str, name: str) -> str:
    """The package or module a frame is coloured by.

    The top package for files under site-packages/dist-packages, "stdlib" for
    the standard library and frozen modules, else the file's stem; frames with
    no file (native code, idle threads) are grouped by their name.
    """
    if not file:
        return name or "?"
    site = _SITE_RE.search(file)
    if site:
        top = site.group(1)
        return top[:-3] if top.endswith(".py") else top
    if file.startswith(_STDLIB_PREFIXES) or _STDLIB_RE.search(file):
        return "stdlib"
    pure = PureWindowsPath(file) if "\\" in file else PurePosixPath(file)
    return pure.stem or pure.name or file


def palette_index(color_key: str) -> int:
    """A stable palette slot for ``color_key`` (crc32; never Python's salted hash)."""
    return zlib.crc32(color_key.encode("utf-8", "surrogatepass")) % PALETTE_SIZE


def palette_color(index: int, dimmed: bool = False) -> tuple[int, int, int]:
    """RGB of a palette slot: a pastel hue light enough for dark text, or pale grey."""
    hue = (index % HUES) / HUES
    shade = index // HUES % SHADES
    if dimmed:
        return _rgb(colorsys.hls_to_rgb(hue, 0.90, 0.12))
    sat = 0.70 - 0.15 * shade
    light = 0.66 + 0.06 * shade
    rgb = _rgb(colorsys.hls_to_rgb(hue, light, sat))
    while _luma(rgb) < MIN_LUMA and light < 0.95:  # blues and purples read darker
        light += 0.02
        rgb = _rgb(colorsys.hls_to_rgb(hue, light, sat))
    return rgb


def _rgb(c: tuple[float, float, float]) -> tuple[int, int, int]:
    return round(c[0] * 255), round(c[1] * 255), round(c[2] * 255)


def _luma(c: tuple[int, int, int]) -> float:
    return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]


def module_color(file: str, name: str) -> tuple[int, int, int]:
    """The colour of a function's frames: its module's palette slot."""
    return palette_color(palette_index(module_color_key(file, name)))
