"""The differential flame graph: the call trees of two profiles merged, and its colours.

Functions are matched by (name, file) across the two profiles (their ids differ).
Each node of the merged tree keeps its samples in A and in B, self and total.  The
tree's own ``total`` (what the layout makes widths of) is ``a·Nb + b·Na``, with Na
and Nb the two profiles' sample counts: an exact integer proportional to the mean
of the node's two shares.  Frames that exist in only one profile are therefore
still drawn, and every total is its self plus its children's, as for any tree.

Colours run from blue (the node's share shrank) through a neutral grey to red (it
grew), in :data:`DIFF_STEPS` steps a side, scaled to the largest change in view;
frames of functions whose change was not significant are faded.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from app.core.model.calltree import ROOT, CallTree, Granularity, build_calltree
from app.core.model.profile import Profile

DIFF_STEPS = 20
"""Colour steps from neutral to full red (or blue)."""
NEUTRAL_RGB = (222, 222, 222)
GROW_RGB = (240, 96, 84)
SHRINK_RGB = (96, 146, 240)
FADED = 0.35
"""Colour strength of a change that was not found significant."""
MIN_SCALE = 0.02
"""Changes are coloured relative to the largest one, but never to less than 2 points."""


@dataclass
class DiffTree:
    """Merged call tree; per node the samples of A and B (see the module docstring).

    ``tree.key`` holds indices into ``functions`` ((name, file) pairs).
    """

    functions: list[tuple[str, str]]
    tree: CallTree
    a_total: list[int] = field(default_factory=list)
    b_total: list[int] = field(default_factory=list)
    a_self: list[int] = field(default_factory=list)
    b_self: list[int] = field(default_factory=list)

    @property
    def root_a(self) -> int:
        return self.a_total[ROOT]

    @property
    def root_b(self) -> int:
        return self.b_total[ROOT]

    def share_a(self, node: int) -> float:
        return self.a_total[node] / self.root_a if self.root_a else 0.0

    def share_b(self, node: int) -> float:
        return self.b_total[node] / self.root_b if self.root_b else 0.0

    def delta(self, node: int) -> float:
        """Change of the node's total share, B minus A (+ = grew)."""
        return self.share_b(node) - self.share_a(node)

    def scale(self) -> float:
        """The change that gets the strongest colour: the largest, at least MIN_SCALE."""
        biggest = max((abs(self.delta(n)) for n in range(1, len(self.tree))), default=0.0)
        return max(biggest, MIN_SCALE)

    def check(self) -> None:
        """The merged tree and both profiles' trees inside it add up."""
        self.tree.check()
        for total, own in ((self.a_total, self.a_self), (self.b_total, self.b_self)):
            for i, kids in enumerate(self.tree.children):
                if total[i] != own[i] + sum(total[c] for c in kids.values()):
                    raise AssertionError(f"node {i}: one side's totals do not add up")

    def as_json(self) -> dict[str, object]:
        """Columns, one entry per node (node 0 is the root, whose parent is -1)."""
        return {
            "functions": [[name, file] for name, file in self.functions],
            "parent": list(self.tree.parent),
            "function": list(self.tree.key),
            "a_total": list(self.a_total),
            "b_total": list(self.b_total),
            "a_self": list(self.a_self),
            "b_self": list(self.b_self),
            "a_samples": self.root_a,
            "b_samples": self.root_b,
        }


def build_diff_tree(a: Profile, b: Profile) -> DiffTree:
    """Merge the top-down trees of ``a`` (before) and ``b`` (after)."""
    functions: list[tuple[str, str]] = []
    ids: dict[tuple[str, str], int] = {}

    def merged_ids(profile: Profile) -> list[int]:
        out = []
        for fn in profile.frames.functions:
            if fn not in ids:
                ids[fn] = len(functions)
                functions.append(fn)
            out.append(ids[fn])
        return out

    sides = [(build_calltree(p), merged_ids(p)) for p in (a, b)]
    out = DiffTree(functions, CallTree(Granularity.FUNCTION), [0], [0], [0], [0])
    for side, (tree, fmap) in enumerate(sides):
        node_of = {ROOT: ROOT}
        for i in range(1, len(tree)):  # parents come before their children
            node = out.tree.child(node_of[tree.parent[i]], fmap[tree.key[i]])
            node_of[i] = node
            while len(out.a_total) < len(out.tree):
                for col in (out.a_total, out.b_total, out.a_self, out.b_self):
                    col.append(0)
        for i, node in node_of.items():
            totals, selves = (out.a_total, out.a_self) if side == 0 else (out.b_total, out.b_self)
            totals[node] += tree.total[i]
            selves[node] += tree.self_count[i]
    na, nb = out.root_a, out.root_b
    wa, wb = (nb, na) if na and nb else (1, 1)
    for i in range(len(out.tree)):
        out.tree.total[i] = out.a_total[i] * wa + out.b_total[i] * wb
        out.tree.self_count[i] = out.a_self[i] * wa + out.b_self[i] * wb
    return out


def diff_bucket(delta: float, scale: float) -> int:
    """Colour step of a change: 0 is full blue, DIFF_STEPS neutral, 2·DIFF_STEPS full red."""
    if scale <= 0:
        return DIFF_STEPS
    step = round(DIFF_STEPS * max(-1.0, min(1.0, delta / scale)))
    return DIFF_STEPS + int(step)


def diff_ramp() -> list[tuple[int, int, int]]:
    """RGB of every colour step, blue to neutral to red (2·DIFF_STEPS + 1 entries)."""
    out = []
    for i in range(2 * DIFF_STEPS + 1):
        t = (i - DIFF_STEPS) / DIFF_STEPS
        end = GROW_RGB if t > 0 else SHRINK_RGB
        f = abs(t)
        out.append(
            (
                round(NEUTRAL_RGB[0] + f * (end[0] - NEUTRAL_RGB[0])),
                round(NEUTRAL_RGB[1] + f * (end[1] - NEUTRAL_RGB[1])),
                round(NEUTRAL_RGB[2] + f * (end[2] - NEUTRAL_RGB[2])),
            )
        )
    return out


def node_buckets(
    diff: DiffTree,
    nodes: Iterable[int],
    scale: float | None = None,
    significant: Collection[int] | None = None,
) -> list[int]:
    """Colour step of each node in ``nodes``.

    With ``significant`` (function ids whose change was called), a frame is drawn at
    FADED of its colour unless its function or one of its callers on the path is in
    ``significant``: a change that may be chance does not shout, while the callees
    of a function that did change carry its colour.
    """
    s = diff.scale() if scale is None else scale
    strong: list[bool] | None = None
    if significant is not None:
        tree = diff.tree
        strong = [False] * len(tree)
        for n in range(1, len(tree)):  # parents come before their children
            strong[n] = tree.key[n] in significant or strong[tree.parent[n]]
    out = []
    for n in nodes:
        step = diff_bucket(diff.delta(n), s)
        if strong is not None and not strong[n]:
            step = DIFF_STEPS + round((step - DIFF_STEPS) * FADED)
        out.append(step)
    return out


def node_keyed(diff: DiffTree) -> CallTree:
    """The merged tree with every node its own key (its index): for painters that colour
    by key, as each node of a differential flame graph has a colour of its own."""
    tree = diff.tree
    return CallTree(
        tree.granularity,
        key=[-1, *range(1, len(tree))],
        parent=list(tree.parent),
        self_count=list(tree.self_count),
        total=list(tree.total),
        children=[{c: c for c in kids.values()} for kids in tree.children],
    )
