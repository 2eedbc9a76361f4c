"""Call trees derived from a Profile: top-down, bottom-up, and top functions.

A CallTree is a flat table of nodes; node 0 is the root (no key) whose total is
every sample in the tree.  Node keys are function ids (lines merged, the
default) or frame ids (one node per executing line).  Every tree can check its
own totals with :meth:`CallTree.check`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from app.core.model.frames import NO_PARENT
from app.core.model.profile import Profile

ROOT = 0


class Granularity(str, Enum):
    FUNCTION = "function"
    LINE = "line"


class TreeCheckError(AssertionError):
    """A tree whose totals do not add up."""


@dataclass
class CallTree:
    """Nodes as parallel lists; ``children[i]`` maps a key to a node index."""

    granularity: Granularity
    inverted: bool = False
    key: list[int] = field(default_factory=lambda: [-1])
    parent: list[int] = field(default_factory=lambda: [NO_PARENT])
    self_count: list[int] = field(default_factory=lambda: [0])
    total: list[int] = field(default_factory=lambda: [0])
    children: list[dict[int, int]] = field(default_factory=lambda: [{}])

    def __len__(self) -> int:
        return len(self.key)

    @property
    def total_samples(self) -> int:
        return self.total[ROOT]

    def child(self, node: int, key: int) -> int:
        """The child of ``node`` with ``key``, created if missing."""
        idx = self.children[node].get(key)
        if idx is None:
            idx = len(self.key)
            self.children[node][key] = idx
            self.key.append(key)
            self.parent.append(node)
            self.self_count.append(0)
            self.total.append(0)
            self.children.append({})
        return idx

    def add_path(self, keys: list[int], count: int) -> None:
        """Add ``count`` samples along ``keys`` (root first); the last gets self."""
        node = ROOT
        self.total[ROOT] += count
        for k in keys:
            node = self.child(node, k)
            self.total[node] += count
        self.self_count[node] += count

    def path(self, node: int) -> list[int]:
        """Node indices from the root's child down to ``node``."""
        out: list[int] = []
        while node != ROOT:
            out.append(node)
            node = self.parent[node]
        out.reverse()
        return out

    def depth(self) -> int:
        best = 0
        stack = [(ROOT, 0)]
        while stack:
            node, d = stack.pop()
            best = max(best, d)
            stack.extend((c, d + 1) for c in self.children[node].values())
        return best

    def check(self, expected_total: int | None = None) -> None:
        """Raise TreeCheckError unless every total is self plus children's totals."""
        for i in range(len(self.key)):
            kids = sum(self.total[c] for c in self.children[i].values())
            if self.total[i] != self.self_count[i] + kids:
                raise TreeCheckError(
                    f"node {i}: total {self.total[i]} != self {self.self_count[i]} "
                    f"+ children {kids}"
                )
            if self.self_count[i] < 0:
                raise TreeCheckError(f"node {i}: negative self count")
        if expected_total is not None and self.total[ROOT] != expected_total:
            raise TreeCheckError(f"root total {self.total[ROOT]} != expected {expected_total}")


def _keys_of_stacks(
    profile: Profile, stacks: list[int], granularity: Granularity
) -> list[list[int]]:
    frame_fn = profile.frames.frame_function
    out = []
    for s in stacks:
        frames = profile.stacks.frames_of(s)
        out.append(frames if granularity is Granularity.LINE else [frame_fn[f] for f in frames])
    return out


def build_calltree(profile: Profile, granularity: Granularity = Granularity.FUNCTION) -> CallTree:
    """Top-down tree of every sample in ``profile``.

    The stack table is already a prefix tree, so each needed stack maps to a
    tree node from its parent's node in id order (parents have smaller ids):
    O(stacks), not O(stacks × depth).
    """
    tree = CallTree(granularity)
    counts = profile.stack_counts()
    parent = profile.stacks.parent
    frame = profile.stacks.frame
    keys = profile.frames.frame_function if granularity is Granularity.FUNCTION else None
    needed: set[int] = set()
    for s in counts:
        while s != NO_PARENT and s not in needed:
            needed.add(s)
            s = parent[s]
    node_of: dict[int, int] = {NO_PARENT: ROOT}
    for s in sorted(needed):
        f = frame[s]
        node_of[s] = tree.child(node_of[parent[s]], f if keys is None else keys[f])
    for s, n in counts.items():
        node = node_of.get(s, ROOT)
        tree.self_count[node] += n
    for node in range(len(tree.key) - 1, 0, -1):  # children come after their parents
        tree.total[node] += tree.self_count[node]
        tree.total[tree.parent[node]] += tree.total[node]
    tree.total[ROOT] += tree.self_count[ROOT]
    return tree


def build_bottom_up(profile: Profile, granularity: Granularity = Granularity.FUNCTION) -> CallTree:
    """Inverted tree: roots are leaf functions, children are their callers."""
    tree = CallTree(granularity, inverted=True)
    counts = profile.stack_counts()
    stacks = list(counts)
    for s, keys in zip(stacks, _keys_of_stacks(profile, stacks, granularity), strict=True):
        tree.add_path(keys[::-1], counts[s])
    return tree


@dataclass(frozen=True)
class FunctionRow:
    """One row of the top-functions table."""

    function_id: int
    function: str
    file: str
    line: int
    self_samples: int
    total_samples: int


def _subtree_totals(profile: Profile, counts: dict[int, int]) -> tuple[list[int], dict[int, int]]:
    """The stacks needed for ``counts`` (with prefixes) in id order, and per
    stack the samples of it and every stack that extends it."""
    parent = profile.stacks.parent
    needed: set[int] = set()
    for s in counts:
        while s != NO_PARENT and s not in needed:
            needed.add(s)
            s = parent[s]
    order = sorted(needed)
    sub = {s: counts.get(s, 0) for s in order}
    for s in reversed(order):  # children have larger ids than their parents
        p = parent[s]
        if p != NO_PARENT:
            sub[p] += sub[s]
    return order, sub


def top_functions(profile: Profile) -> list[FunctionRow]:
    """Self and total samples per function, sorted by self then total.

    Total counts a sample once per function even under recursion.  ``line`` is
    the function's hottest line (most samples with that line executing).
    O(stacks): one pass over the stack prefix tree, not one walk per stack.
    """
    counts = profile.stack_counts()
    parent, frame = profile.stacks.parent, profile.stacks.frame
    frame_fn = profile.frames.frame_function
    order, sub = _subtree_totals(profile, counts)
    self_c: dict[int, int] = {}
    for s, n in counts.items():
        if s != NO_PARENT:
            fn = frame_fn[frame[s]]
            self_c[fn] = self_c.get(fn, 0) + n
    line_c: dict[int, dict[int, int]] = {}
    lines_of = profile.frames.frames
    children: dict[int, list[int]] = {}
    for s in order:
        children.setdefault(parent[s], []).append(s)
        f = frame[s]
        lines = line_c.setdefault(frame_fn[f], {})
        line = lines_of[f].line
        lines[line] = lines.get(line, 0) + sub[s]
    total_c: dict[int, int] = {}
    active: dict[int, int] = {}
    todo: list[tuple[int, bool]] = [(s, False) for s in children.get(NO_PARENT, [])]
    while todo:  # depth-first, tracking which functions are already on the path
        s, leaving = todo.pop()
        fn = frame_fn[frame[s]]
        if leaving:
            active[fn] -= 1
            continue
        if not active.get(fn):
            total_c[fn] = total_c.get(fn, 0) + sub[s]
        active[fn] = active.get(fn, 0) + 1
        todo.append((s, True))
        todo.extend((c, False) for c in children.get(s, ()))
    rows = []
    for fn, total in total_c.items():
        name, file = profile.frames.functions[fn]
        lines = line_c[fn]
        hottest = max(lines, key=lambda ln: (lines[ln], -ln))
        rows.append(FunctionRow(fn, name, file, hottest, self_c.get(fn, 0), total))
    rows.sort(key=lambda r: (-r.self_samples, -r.total_samples, r.function, r.file))
    return rows


def line_counts(profile: Profile, function_id: int) -> dict[int, tuple[int, int]]:
    """Per line of one function: (self samples, total samples)."""
    frame_fn = profile.frames.frame_function
    out: dict[int, tuple[int, int]] = {}
    for s, n in profile.stack_counts().items():
        frames = profile.stacks.frames_of(s)
        seen: set[int] = set()
        last = len(frames) - 1
        for i, f in enumerate(frames):
            if frame_fn[f] != function_id:
                continue
            line = profile.frames.frames[f].line
            self_n, total_n = out.get(line, (0, 0))
            if i == last:
                self_n += n
            if line not in seen:  # a sample counts once per line, even under recursion
                seen.add(line)
                total_n += n
            out[line] = (self_n, total_n)
    return out
