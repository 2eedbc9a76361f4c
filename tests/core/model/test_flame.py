"""Flame-graph layout, culling, labels, search and colours (Qt-free)."""

from __future__ import annotations

import dataclasses
import os
import random
import subprocess
import sys

import numpy as np
import pytest

from app.core.model.calltree import CallTree, Granularity, build_calltree, top_functions
from app.core.model.flame import (
    PALETTE_SIZE,
    FlameLayout,
    LayoutCheckError,
    fit_label,
    hottest_lines,
    key_path,
    label_fits,
    layout_flame,
    module_color,
    module_color_key,
    palette_color,
    palette_index,
    search_matches,
    visible,
)
from app.core.model.profile import Profile, Window, filter_threads
from sovprof_testing import ROOT

# function ids used as keys below, with their names (sorted order differs from id order)
NAMES = ["main", "zeta", "alpha", "leaf", "mid"]
MAIN, ZETA, ALPHA, LEAF, MID = range(5)


def make_tree(paths: list[tuple[list[int], int]]) -> CallTree:
    tree = CallTree(Granularity.FUNCTION)
    for keys, n in paths:
        tree.add_path(keys, n)
    tree.check()
    return tree


PATHS = [
    ([MAIN, ZETA], 10),
    ([MAIN, ZETA, LEAF], 30),
    ([MAIN, ALPHA, MID, LEAF], 20),
    ([MAIN, ALPHA, LEAF], 5),
    ([MAIN], 5),
    ([MID], 30),
]


def frame(layout: FlameLayout, tree: CallTree, keys: list[int]) -> int:
    """Layout index of the frame whose key path from the root is ``keys``."""
    for i in range(len(layout)):
        if key_path(tree, int(layout.node[i])) == keys:
            return i
    raise KeyError(keys)


def test_layout_widths_positions_and_stable_order() -> None:
    tree = make_tree(PATHS)
    tree.check(expected_total=100)
    lay = layout_flame(tree, None, NAMES)
    lay.check(tree)
    assert len(lay) == len(tree) - 1 and lay.span == 100 and lay.levels == 4
    # depth 0: main (70) then mid (30), by name
    main, mid = frame(lay, tree, [MAIN]), frame(lay, tree, [MID])
    assert (lay.x0[main], lay.width[main], lay.depth[main]) == (0, 70, 0)
    assert (lay.x0[mid], lay.width[mid]) == (70, 30)
    # under main: alpha (25) before zeta (40) although zeta's id is lower
    alpha, zeta = frame(lay, tree, [MAIN, ALPHA]), frame(lay, tree, [MAIN, ZETA])
    assert (lay.x0[alpha], lay.width[alpha]) == (0, 25)
    assert (lay.x0[zeta], lay.width[zeta]) == (25, 40)
    assert lay.parent[zeta] == main and lay.parent[main] == -1
    leaf = frame(lay, tree, [MAIN, ALPHA, LEAF])  # alpha's children: leaf(5) < mid(20)
    assert (lay.x0[leaf], lay.depth[leaf], lay.self_count[leaf]) == (0, 2, 5)
    assert lay.x0[frame(lay, tree, [MAIN, ALPHA, MID])] == 5


def test_order_does_not_depend_on_insertion_order() -> None:
    a = make_tree(PATHS)
    b = make_tree(list(reversed(PATHS)))
    la, lb = layout_flame(a, None, NAMES), layout_flame(b, None, NAMES)
    assert geometry(a, la) == geometry(b, lb)


def geometry(tree: CallTree, lay: FlameLayout) -> dict[tuple[int, ...], tuple[float, float]]:
    return {
        tuple(key_path(tree, int(lay.node[i]))): (float(lay.x0[i]), float(lay.width[i]))
        for i in range(len(lay))
    }


def test_without_names_siblings_are_ordered_by_key() -> None:
    tree = make_tree(PATHS)
    lay = layout_flame(tree)
    lay.check(tree)
    zeta, alpha = frame(lay, tree, [MAIN, ZETA]), frame(lay, tree, [MAIN, ALPHA])
    assert lay.x0[zeta] == 0 and lay.x0[alpha] == 40


def test_focus_spans_full_width_with_full_width_ancestors() -> None:
    tree = make_tree(PATHS)
    lay = layout_flame(tree, [MAIN, ALPHA], NAMES)
    lay.check(tree)
    assert lay.focus_path == (MAIN, ALPHA) and lay.span == 25 and lay.root_total == 100
    main, alpha = frame(lay, tree, [MAIN]), frame(lay, tree, [MAIN, ALPHA])
    assert lay.ancestor[main] and not lay.ancestor[alpha]
    assert (lay.x0[main], lay.width[main], lay.node_total[main]) == (0, 25, 70)
    assert (lay.x0[alpha], lay.width[alpha]) == (0, 25)
    kept = {tuple(key_path(tree, int(n))) for n in lay.node}
    assert kept == {(MAIN,), (MAIN, ALPHA), (MAIN, ALPHA, LEAF), (MAIN, ALPHA, MID),
                    (MAIN, ALPHA, MID, LEAF)}  # fmt: skip
    assert lay.focus_node == tree.children[tree.children[0][MAIN]][ALPHA]


def test_missing_focus_falls_back_to_deepest_prefix() -> None:
    tree = make_tree(PATHS)
    lay = layout_flame(tree, [MAIN, ALPHA, ZETA, LEAF], NAMES)
    lay.check(tree)
    assert lay.focus_path == (MAIN, ALPHA) and lay.span == 25
    lay = layout_flame(tree, [LEAF], NAMES)
    assert lay.focus_path == () and lay.span == 100
    assert layout_flame(tree, [], NAMES).span == 100


def test_focus_survives_rebuilding_the_tree() -> None:
    p = Profile(rate_hz=100)
    t = p.add_thread(1, 1, "main")
    s = p.stacks.intern([p.frames.intern("main", "a.py", 1), p.frames.intern("hot", "a.py", 9)])
    cold = p.stacks.intern([p.frames.intern("main", "a.py", 1)])
    p.add_samples(p.add_window(Window(0, 1)), t, {s: 40, cold: 10})
    tree = build_calltree(p)
    tree.check(expected_total=p.total_samples)
    names = [f[0] for f in p.frames.functions]
    focus = key_path(tree, tree.children[tree.children[0][0]][1])
    p.add_samples(p.add_window(Window(1, 2)), t, {s: 60})
    tree2 = build_calltree(p)
    tree2.check(expected_total=110)
    lay = layout_flame(tree2, focus, names)
    lay.check(tree2)
    assert lay.focus_path == tuple(focus) and lay.span == 100


def test_empty_tree_gives_empty_layout() -> None:
    lay = layout_flame(CallTree(Granularity.FUNCTION), [1, 2])
    lay.check()
    assert len(lay) == 0 and lay.span == 0 and lay.levels == 0
    assert visible(lay, 0, 1, 100).size == 0
    assert lay.index_at(0, 0) is None
    assert search_matches(lay, [], "x")[1] == 0.0


def test_random_trees_check() -> None:
    rng = random.Random(7)
    paths = [([rng.randrange(30) for _ in range(rng.randrange(1, 12))], rng.randrange(1, 9))
             for _ in range(500)]  # fmt: skip
    tree = make_tree(paths)
    names = [f"f{rng.randrange(10)}" for _ in range(30)]
    lay = layout_flame(tree, None, names)
    lay.check(tree)
    assert len(lay) == len(tree) - 1 and lay.span == tree.total_samples
    deep = int(np.argmax(lay.depth))
    zoom = layout_flame(tree, key_path(tree, int(lay.node[deep])), names)
    zoom.check(tree)
    assert zoom.span == lay.node_total[deep]


def test_check_catches_bad_geometry() -> None:
    tree = make_tree(PATHS)
    lay = layout_flame(tree, None, NAMES)
    leaf = frame(lay, tree, [MAIN, ZETA, LEAF])
    x0 = lay.x0.copy()
    x0[leaf] += 11  # sticks out of zeta's right edge
    with pytest.raises(LayoutCheckError, match="outside its parent"):
        dataclasses.replace(lay, x0=x0).check()
    width = lay.width.copy()
    width[leaf] -= 1
    with pytest.raises(LayoutCheckError, match="width"):
        dataclasses.replace(lay, width=width).check()
    other = make_tree([*PATHS, ([MAIN, ZETA, LEAF], 1)])
    with pytest.raises(LayoutCheckError, match="differ from the tree"):
        lay.check(other)


def test_index_at() -> None:
    tree = make_tree(PATHS)
    lay = layout_flame(tree, None, NAMES)
    assert lay.index_at(69.5, 0) == frame(lay, tree, [MAIN])
    assert lay.index_at(70, 0) == frame(lay, tree, [MID])
    assert lay.index_at(50, 2) == frame(lay, tree, [MAIN, ZETA, LEAF])
    assert lay.index_at(60, 2) is None  # zeta's own 10 samples: nothing above
    assert lay.index_at(-1, 0) is None and lay.index_at(100, 0) is None
    assert lay.index_at(1, 9) is None


def test_visible_culls_by_range_pixels_and_depth() -> None:
    tree = make_tree(PATHS)
    lay = layout_flame(tree, None, NAMES)
    assert len(visible(lay, 0, 100, 1000)) == len(lay)
    # only frames overlapping [75, 100]: mid at depth 0
    assert [int(lay.key[i]) for i in visible(lay, 75, 100, 1000)] == [MID]
    # 10 px for the whole graph: 1 px = 10 samples; leaf (5) under alpha is culled
    kept = {tuple(key_path(tree, int(lay.node[i]))) for i in visible(lay, 0, 100, 10)}
    assert (MAIN, ALPHA, LEAF) not in kept and (MAIN, ALPHA, MID) in kept
    # min_px 0 keeps everything; depth range keeps levels 1 and 2 only
    assert len(visible(lay, 0, 100, 10, min_px=0)) == len(lay)
    depths = set(lay.depth[visible(lay, 0, 100, 1000, depth_range=(1, 3))].tolist())
    assert depths == {1, 2}
    assert visible(lay, 0, 100, 1000, depth_range=(7, 9)).size == 0
    assert visible(lay, 10, 10, 1000).size == 0


def test_labels() -> None:
    assert label_fits(6 * 7 + 6, 7.0) and not label_fits(6 * 7 + 5, 7.0)
    assert label_fits(30.0, 4.0, min_chars=3)
    fits = label_fits(np.array([10.0, 100.0]), 7.0)
    assert fits.tolist() == [False, True]
    assert fit_label("compute_everything", 200, 7) == "compute_everything"
    assert fit_label("compute_everything", 70, 7) == "compute_e…"
    assert len(fit_label("compute_everything", 70, 7)) == 10
    assert fit_label("abc", 7, 7) == "" and fit_label("abc", 21, 7) == "abc"
    assert fit_label("<script>alert(1)</script>", 56, 7) == "<script…"


def test_search_counts_nested_matches_once() -> None:
    tree = make_tree(PATHS)
    lay = layout_flame(tree, None, NAMES)
    funcs = [(n, "lib.py" if n in ("leaf", "mid") else "app.py") for n in NAMES]
    mask, frac = search_matches(lay, funcs, "LEAF")
    assert {tuple(key_path(tree, int(lay.node[i]))) for i in np.flatnonzero(mask)} == {
        (MAIN, ZETA, LEAF), (MAIN, ALPHA, MID, LEAF), (MAIN, ALPHA, LEAF)}  # fmt: skip
    assert frac == pytest.approx(55 / 100)
    # mid matches at depth 0 (30) and under alpha (20); leaf under mid is inside it
    _, frac = search_matches(lay, funcs, "lib.py")
    assert frac == pytest.approx((30 + 30 + 20 + 5) / 100)
    _, frac = search_matches(lay, funcs, "a")  # main covers all but mid (30, in lib.py)
    assert frac == pytest.approx(0.7)
    mask, frac = search_matches(lay, funcs, "  ")
    assert not mask.any() and frac == 0.0
    _, frac = search_matches(lay, NAMES, "zeta")  # plain names work too
    assert frac == pytest.approx(0.4)


def test_search_is_relative_to_the_zoom() -> None:
    tree = make_tree(PATHS)
    lay = layout_flame(tree, [MAIN, ALPHA], NAMES)
    _, frac = search_matches(lay, NAMES, "leaf")
    assert frac == pytest.approx(25 / 25)  # 5 + 20 of the 25 samples under alpha
    _, frac = search_matches(lay, NAMES, "main")  # an ancestor: all of the zoom
    assert frac == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("file", "name", "key"),
    [
        ("/home/u/.venv/lib/python3.11/site-packages/numpy/core/numeric.py", "f", "numpy"),
        ("/usr/lib/python3/dist-packages/six.py", "f", "six"),
        ("C:\\Py\\Lib\\site-packages\\pandas\\core\\frame.py", "f", "pandas"),
        ("/usr/lib/python3.11/threading.py", "run", "stdlib"),
        ("/opt/py/lib/python3.13t/json/decoder.py", "decode", "stdlib"),
        ("C:\\Python311\\Lib\\json\\decoder.py", "decode", "stdlib"),
        ("<frozen importlib._bootstrap>", "_find", "stdlib"),
        ("/home/u/proj/app/work.py", "work", "work"),
        ("C:\\proj\\pkg\\mod.py", "f", "mod"),
        ("", "<no Python frames>", "<no Python frames>"),
    ],
)
def test_module_color_key(file: str, name: str, key: str) -> None:
    assert module_color_key(file, name) == key


def test_colors_are_stable_and_pleasant() -> None:
    idx = palette_index("numpy")
    assert 0 <= idx < PALETTE_SIZE
    code = (
        "from app.core.model.flame import module_color; "
        "print(module_color('/x/site-packages/numpy/a.py', 'f'))"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert outs == {f"{palette_color(idx)}\n"}
    assert module_color("/a/site-packages/numpy/x.py", "f") == module_color(
        "/b/site-packages/numpy/y.py", "g"
    )
    for i in range(PALETTE_SIZE):
        r, g, b = palette_color(i)
        assert 0.299 * r + 0.587 * g + 0.114 * b > 160  # light enough for dark text
        assert min(palette_color(i, dimmed=True)) > 200


def random_profile(seed: int) -> Profile:
    rng = random.Random(seed)
    p = Profile(rate_hz=100)
    frames = [
        p.frames.intern(f"f{rng.randrange(8)}", "m.py", rng.randrange(1, 6)) for _ in range(30)
    ]
    threads = [p.add_thread(1, t, f"t{t}") for t in range(2)]
    w = p.add_window(Window(0, 1))
    for _ in range(200):
        stack = p.stacks.intern(rng.choice(frames) for _ in range(rng.randrange(0, 9)))
        if stack >= 0:
            p.add_samples(w, rng.choice(threads), {stack: rng.randrange(1, 20)})
    return p


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_hottest_lines_agree_with_top_functions(seed: int) -> None:
    p = random_profile(seed)
    for view in (p, filter_threads(p, [1])):
        lines = hottest_lines(view)
        rows = top_functions(view)
        assert rows and {r.function_id: r.line for r in rows} == {
            fn: int(lines[fn]) for fn in range(lines.size) if lines[fn]
        }
    assert hottest_lines(Profile()).size == 0
