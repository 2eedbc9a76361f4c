"""The HTML comparison report's data: the differential flame tree, pruning, the verdict."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.benchdiff import compare_bench_runs
from app.core.diff import compare_profiles
from app.core.diffreport import (
    MIN_SHARE,
    _Functions,
    bench_diff_html,
    diff_flame_data,
    profile_diff_html,
)
from app.core.difftree import build_diff_tree
from app.core.model.profile import Profile, Window
from app.core.report import PRUNED, StringTable, read_report

EVIL = "<script>alert(1)</script>"


def profile(counts: dict[str, int], tiny: int = 0, windows: int = 3) -> Profile:
    """main → each function of ``counts``; plus ``tiny`` functions of 1 sample each."""
    p = Profile(rate_hz=100.0, meta={"options": {"window_s": 1}})
    t = p.add_thread(1, 1, "main")
    main = p.frames.intern("main", "/a.py", 1)
    for w in range(windows):
        p.add_window(Window(float(w), w + 1.0))
        stacks = {p.stacks.intern([main, p.frames.intern(n, "/a.py", 2)]): c
                  for n, c in counts.items()}  # fmt: skip
        for i in range(tiny if w == 0 else 0):
            stacks[p.stacks.intern([main, p.frames.intern(f"tiny{i}", "/a.py", 3)])] = 1
        p.add_samples(w, t, stacks)
    return p


def test_the_flame_tree_adds_up_and_folds_tiny_nodes() -> None:
    a = profile({"hot": 100_000, EVIL: 200_000}, tiny=50)
    b = profile({"hot": 250_000, EVIL: 50_000})
    diff = build_diff_tree(a, b)
    strings = StringTable()
    fns = _Functions(strings)
    flame = diff_flame_data(diff, fns, {})
    names = [strings.strings[fns.cols["name"][f]] for f in flame["fn"]]
    assert names[0] == "main" and sorted(names[1:]) == sorted([EVIL, "hot", PRUNED])
    assert flame["parent_gap"] == [1, 1, 2, 3]  # main is a root, the rest its children
    assert sum(flame["self"]) == pytest.approx(flame["total"])
    assert flame["total"] == pytest.approx((diff.root_a + diff.root_b) / 2)
    assert flame["delta"][names.index("hot")] == pytest.approx(750 / 900 - 300_000 / 900_050)
    assert flame["delta"][names.index(PRUNED)] < 0  # the tiny functions were only in A
    assert flame["pruned"]["nodes"] == 50 and flame["pruned"]["min_share"] == MIN_SHARE
    assert fns.cols["color"][flame["fn"][names.index(PRUNED)]] == -1


def test_profile_report_round_trip(tmp_path: Path) -> None:
    a = profile({"hot": 10, EVIL: 90})
    b = profile({"hot": 60, EVIL: 40})
    result = compare_profiles(a, b)
    out = tmp_path / "d.html"
    assert profile_diff_html(result, out, "A → B <b>") > 0
    html = out.read_text("utf-8")
    assert EVIL not in html  # names travel packed, never as markup
    data = read_report(html)
    assert data["title"] == "A → B <b>" and data["sections"][0] == "verdict"
    assert data["verdict"]["title"].lower().startswith(result.verdict)
    assert {r[0] for r in data["tables"][0]["rows"]} == {"main", "hot", EVIL}
    assert data["comparison"]["verdict"] == result.verdict


def test_bench_report_round_trip(tmp_path: Path) -> None:
    cell = {"kernel": "dot", "tier": "scalar", "size": 64, "median_s": 1e-6,
            "samples": [1e-6 * (1 + 0.001 * i) for i in range(10)]}  # fmt: skip
    slower = {**cell, "median_s": 2e-6, "samples": [2 * x for x in cell["samples"]]}
    result = compare_bench_runs(1, [cell], 2, [slower])
    out = tmp_path / "b.html"
    bench_diff_html(result, out, "runs")
    data = read_report(out.read_text("utf-8"))
    assert data["verdict"]["kind"] == "regressed"
    assert data["verdict"]["title"].startswith("Regressed: 1 of 1 cells regressed")
    (row,) = data["tables"][0]["rows"]
    assert row[:3] == ["dot", "scalar", 64] and row[7] == "regressed"
