"""The HTML report of a comparison: the verdict first, the differential flame graph, the
per-function (or per-cell) table.

It is written through the report machinery (:mod:`app.core.report`): the same page,
payload packing and Content-Security-Policy as a session's report, with the
``verdict``, ``flame`` and ``tables`` sections.  The flame graph is the merged call
tree of :mod:`app.core.difftree`: a frame's width is the mean of its two shares
(expressed in samples of an average of the two recordings), its colour the change of
its share.  Nodes under :data:`MIN_SHARE` of both recordings are folded into one
"(pruned)" frame under their nearest kept ancestor, so every total still adds up.
"""

from __future__ import annotations

import os
from typing import Any

from app.core.benchdiff import BenchDiff
from app.core.diff import ProfileDiff
from app.core.difftree import DiffTree
from app.core.model.flame import module_color_key, palette_index
from app.core.report import PRUNED, StringTable, write_html
from app.core.report.profile_data import palette

MIN_SHARE = 1e-5
VERDICT_KIND = {"improved": "improved", "regressed": "regressed", "noise": "noise",
                "no change": "noise"}  # fmt: skip


def _verdict(sentence: str, verdict: str, extra: list[str]) -> dict[str, Any]:
    """The headline: the sentence's first clause as the title, the others as lines."""
    head, *rest = sentence.split("; ", 1)
    return {
        "kind": VERDICT_KIND.get(verdict, "info"),
        "title": head[:1].upper() + head[1:],
        "lines": rest + extra,
    }


class _Functions:
    def __init__(self, strings: StringTable) -> None:
        self.strings = strings
        self.ids: dict[tuple[str, str], int] = {}
        self.cols: dict[str, list[int]] = {"name": [], "file": [], "line": [], "color": []}

    def ref(self, name: str, file: str, line: int = 0, special: bool = False) -> int:
        key = (name, file if not special else "\0special")
        idx = self.ids.get(key)
        if idx is None:
            idx = self.ids[key] = len(self.cols["name"])
            self.cols["name"].append(self.strings(name))
            self.cols["file"].append(self.strings(file))
            self.cols["line"].append(line)
            self.cols["color"].append(
                -1 if special else palette_index(module_color_key(file, name))
            )
        return idx


def diff_flame_data(
    diff: DiffTree, functions: _Functions, lines: dict[tuple[str, str], int]
) -> dict[str, Any]:
    """The ``flame`` section of a differential flame graph (see the module docstring)."""
    na, nb = max(diff.root_a, 1), max(diff.root_b, 1)
    scale = (diff.root_a + diff.root_b) / 2.0

    def weight(a: int, b: int) -> float:
        return (a / na + b / nb) / 2.0 * scale

    tree = diff.tree
    n = len(tree)
    keep = [i > 0 and max(diff.share_a(i), diff.share_b(i)) >= MIN_SHARE for i in range(n)]
    out_of = [-1] * n  # report index of each kept node
    parent: list[int] = []
    fn: list[int] = []
    own: list[float] = []
    delta: list[float | None] = []
    pruned_of: dict[int, int] = {}  # report index of a kept node → its "(pruned)" child
    pruned_ab: dict[int, list[int]] = {}
    for i in range(1, n):  # parents come before their children
        p = tree.parent[i]
        if keep[i]:
            out_of[i] = len(parent)
            parent.append(out_of[p] if p > 0 else -1)
            name, file = diff.functions[tree.key[i]]
            fn.append(functions.ref(name, file, lines.get((name, file), 0)))
            own.append(weight(diff.a_self[i], diff.b_self[i]))
            delta.append(diff.delta(i))
        elif p == 0 or keep[p]:  # the top of a dropped subtree: fold it into "(pruned)"
            anchor = out_of[p] if p > 0 else -1
            slot = pruned_of.get(anchor)
            if slot is None:
                slot = pruned_of[anchor] = len(parent)
                parent.append(anchor)
                fn.append(functions.ref(PRUNED, "", special=True))
                own.append(0.0)
                delta.append(None)
                pruned_ab[slot] = [0, 0]
            own[slot] += weight(diff.a_total[i], diff.b_total[i])
            pruned_ab[slot][0] += diff.a_total[i]
            pruned_ab[slot][1] += diff.b_total[i]
    for slot, (a, b) in pruned_ab.items():
        delta[slot] = b / nb - a / na
    dropped = sum(1 for i in range(1, n) if not keep[i])
    return {
        "total": sum(own),
        "parent_gap": [i - p if p >= 0 else i + 1 for i, p in enumerate(parent)],
        "fn": fn,
        "self": own,
        "delta": delta,
        "delta_scale": diff.scale(),
        "pruned": {
            "min_samples": 0,
            "min_share": MIN_SHARE,
            "nodes": dropped,
            "samples": sum(own[s] for s in pruned_ab),
            "kept": n - 1 - dropped,
        },
    }


def _share(x: float | None) -> float | None:
    return None if x is None else float(x)


def profile_diff_html(result: ProfileDiff, path: str | os.PathLike[str], title: str) -> int:
    """Write the comparison report of two profiles; returns the bytes written."""
    strings = StringTable()
    functions = _Functions(strings)
    lines = {(f.function, f.file): f.line for f in result.functions}
    flame = diff_flame_data(result.tree, functions, lines)
    extra = [
        f"Before: {result.a.label()}",
        f"After: {result.b.label()}",
        "Flame graph: a frame's width is the mean of its two shares; red grew, blue shrank.",
    ]
    rows = [
        [
            f.function, f.total.a, f.total.b, f.total.delta, f.total.p_adjusted, f.verdict,
            f.self.a, f.self.b, f"{f.file}:{f.line}" if f.file and f.line else f.file,
        ]
        for f in result.functions
    ]  # fmt: skip
    table = {
        "title": "Per function",
        "note": (
            "Share of samples whose stack holds the function (total) or ends in it (self), "
            "before and after.  p: Welch's t-test of the per-window shares, Holm-corrected; "
            "a change is called when p < 0.05 and its 95 % confidence interval clears "
            "±1 point."
        ),
        "columns": [
            {"title": "function"}, {"title": "total before", "kind": "pct"},
            {"title": "total after", "kind": "pct"}, {"title": "change", "kind": "signed_pct"},
            {"title": "p", "kind": "float"}, {"title": "verdict"},
            {"title": "self before", "kind": "pct"}, {"title": "self after", "kind": "pct"},
            {"title": "where"},
        ],
        "rows": rows,
    }  # fmt: skip
    data: dict[str, Any] = {
        "verdict": _verdict(result.sentence, result.verdict, extra),
        "flame": flame,
        "functions": functions.cols,
        "palette": palette(),
        "tables": [table],
        "tables_title": "Functions",
        "comparison": result.as_json(with_tree=False),
        "strings": strings.strings,
    }
    return write_html(path, title, data, ["verdict", "flame", "tables"])


def bench_diff_html(result: BenchDiff, path: str | os.PathLike[str], title: str) -> int:
    """Write the comparison report of two benchmark runs; returns the bytes written."""
    rows = []
    for c in result.cells:
        cmp = c.comparison
        rows.append(
            [
                c.kernel, c.tier, c.size, c.a_median_s, c.b_median_s,
                None if cmp is None else cmp.change, None if cmp is None else cmp.p_value,
                c.verdict, c.note,
            ]
        )  # fmt: skip
    table = {
        "title": f"Run {result.a_run} → run {result.b_run}",
        "note": (
            "Median time per call; change of the median with a bootstrap CI and a permutation "
            "test (Criterion's rule: p < 0.05 and the CI outside ±1 %)."
        ),
        "columns": [
            {"title": "kernel"}, {"title": "tier"}, {"title": "size", "kind": "int"},
            {"title": "median before", "kind": "time"}, {"title": "median after", "kind": "time"},
            {"title": "change", "kind": "signed_pct"}, {"title": "p", "kind": "float"},
            {"title": "verdict"}, {"title": "note"},
        ],
        "rows": rows,
    }  # fmt: skip
    data: dict[str, Any] = {
        "verdict": _verdict(result.sentence, result.verdict, []),
        "tables": [table],
        "tables_title": "Cells",
        "comparison": result.as_json(),
    }
    return write_html(path, title, data, ["verdict", "tables"])
