"""Profile comparison: per-function verdicts across windows, the overall verdict, the
merged tree and its colours, and benchmark runs cell by cell."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from app.core.benchdiff import compare_bench_runs
from app.core.diff import (
    MAX_BLOCKS,
    FunctionChange,
    ProfileDiff,
    _ticks,
    compare_profiles,
    usable_windows,
)
from app.core.difftree import (
    DIFF_STEPS,
    FADED,
    build_diff_tree,
    diff_bucket,
    diff_ramp,
    node_buckets,
)
from app.core.model.calltree import build_calltree
from app.core.model.profile import Profile, Window

Counts = dict[str, int]


def make(
    windows: Sequence[Counts],
    *,
    second_thread: Sequence[Counts] = (),
    window_s: float = 1.0,
    idle: bool = False,
    name: str = "p",
) -> Profile:
    """One window per entry: ``{function: samples}`` under main(), in thread 1."""
    p = Profile(rate_hz=100.0, meta={"name": name, "options": {"window_s": 1, "idle": idle}})
    t1 = p.add_thread(7, 1, "MainThread")
    t2 = p.add_thread(7, 2, "worker")
    main = p.frames.intern("main", "/src/app.py", 1)
    for w, counts in enumerate(windows):
        p.add_window(Window(1000.0 + w * window_s, 1000.0 + (w + 1) * window_s))
        for thread, cells in ((t1, counts), (t2, second_thread[w] if second_thread else {})):
            stacks = {}
            for fn, n in cells.items():
                stacks[p.stacks.intern([main, p.frames.intern(fn, "/src/app.py", 10)])] = n
            p.add_samples(w, thread, stacks)
    return p


def jitter(base: Counts, k: int) -> Counts:
    """``base`` with a deterministic wobble of a few samples per window."""
    wobble = [0, 2, -1, 1, -2, 1][k % 6]
    out = dict(base)
    first, second = sorted(base)[:2]
    out[first] += wobble
    out[second] -= wobble
    return out


def fn(diff: ProfileDiff, name: str) -> FunctionChange:
    (row,) = [f for f in diff.functions if f.function == name]
    return row


BEFORE = {"hot": 10, "cold": 60, "steady": 30}
AFTER = {"hot": 40, "cold": 30, "steady": 30}


def test_shares_that_moved_are_called_and_the_rest_is_noise() -> None:
    a = make([jitter(BEFORE, k) for k in range(5)])
    b = make([jitter(AFTER, k + 3) for k in range(5)])
    d = compare_profiles(a, b)
    hot, cold, steady = fn(d, "hot"), fn(d, "cold"), fn(d, "steady")
    assert hot.verdict == "regressed" and hot.total.a == pytest.approx(0.1, abs=0.01)
    assert hot.total.b == pytest.approx(0.4, abs=0.01) and hot.total.delta > 0.28
    assert hot.total.p_adjusted is not None and hot.total.p_adjusted < 1e-4
    assert cold.verdict == "improved" and steady.verdict == "noise"
    assert steady.total.p_value == 1.0  # identical in every window: certain
    assert fn(d, "main").verdict == "noise" and fn(d, "main").total.a == 1.0
    assert hot.self.verdict == "regressed"  # leaves: self share = total share
    assert {f.function for f in d.functions[:2]} == {"cold", "hot"}  # called changes first
    assert d.a.usable_windows == 5 and d.a.samples == 500


def test_a_significant_change_inside_the_noise_threshold_is_noise() -> None:
    a = make([{"hot": 200 + k % 2, "cold": 800 - k % 2} for k in range(6)])
    b = make([{"hot": 205 + k % 2, "cold": 795 - k % 2} for k in range(6)])  # +0.5 point
    hot = fn(compare_profiles(a, b), "hot")
    assert hot.total.p_adjusted is not None and hot.total.p_adjusted < 0.001
    assert hot.verdict == "noise"


def test_noisy_shares_need_more_than_a_small_p_value() -> None:
    """Raw p < 0.05 for one of many varying functions is not enough after Holm."""
    names = [f"f{i}" for i in range(8)]
    rng = np.random.default_rng(122)  # a seed where one function's raw p is below 0.01
    a = make([{n: int(rng.integers(40, 60)) for n in names} for _ in range(4)])
    b = make([{n: int(rng.integers(40, 60)) for n in names} for _ in range(4)])
    d = compare_profiles(a, b)
    f1 = fn(d, "f1")
    assert f1.total.p_value is not None and f1.total.p_value < 0.01
    assert f1.total.ci_high is not None and f1.total.ci_high < -0.01  # outside the threshold
    assert f1.total.p_adjusted is not None and f1.total.p_adjusted > 0.05
    assert all(f.verdict == "noise" for f in d.functions)


def test_partial_windows_are_left_out_of_the_test() -> None:
    assert usable_windows([100, 98, 2, 101, 0, 30]) == [0, 1, 3, 5]
    assert usable_windows([]) == [] and usable_windows([0, 0]) == []
    a = make([jitter(BEFORE, k) for k in range(4)] + [{"hot": 2}])
    b = make([jitter(AFTER, k) for k in range(4)] + [{"cold": 1}])
    d = compare_profiles(a, b)
    assert d.a.windows == 5 and d.a.usable_windows == 4
    assert fn(d, "hot").verdict == "regressed"


def test_one_window_a_side_is_untested() -> None:
    d = compare_profiles(make([BEFORE]), make([AFTER]))
    assert fn(d, "hot").verdict == "untested" and fn(d, "hot").total.p_value is None
    assert d.verdict == "inconclusive" and "too few usable windows" in d.sentence


def test_recursion_counts_a_sample_once_per_function() -> None:
    p = make([{"x": 1}])
    main = p.frames.intern("main", "/src/app.py", 1)
    f = p.frames.intern("f", "/src/app.py", 20)
    g = p.frames.intern("g", "/src/app.py", 30)
    for w in range(3):
        p.add_window(Window(2000.0 + w, 2001.0 + w))
        p.add_samples(len(p.windows) - 1, 0, {p.stacks.intern([main, f, g, f]): 50})
    d = compare_profiles(p, p)
    assert fn(d, "f").total.a == pytest.approx(150 / 151)  # not 300 / 151
    assert fn(d, "f").self.a == pytest.approx(150 / 151)
    assert fn(d, "g").total.a == pytest.approx(150 / 151) and fn(d, "g").self.a == 0.0


def test_long_recordings_are_grouped_into_blocks() -> None:
    windows = [jitter(BEFORE, k) for k in range(3 * MAX_BLOCKS + 5)]
    d = compare_profiles(make(windows), make([jitter(AFTER, k) for k in range(10)]))
    hot = fn(d, "hot")
    assert hot.verdict == "regressed" and hot.total.a == pytest.approx(0.1, abs=0.01)


# -- the overall verdict -----------------------------------------------------------------


def test_less_cpu_per_second_is_an_improvement() -> None:
    busy = make([{"hot": 40 + k % 3, "cold": 40} for k in range(5)])  # main thread 80 % busy
    light = make([{"hot": 20 + k % 2, "cold": 20} for k in range(5)])
    d = compare_profiles(busy, light)
    assert d.verdict == "improved" and d.basis == "cpu_load"
    assert d.load is not None and not d.load.saturated
    assert d.load.a == pytest.approx(0.81, abs=0.01) and d.load.change < -0.4
    assert d.sentence.startswith("improved: the target used less CPU")
    back = compare_profiles(light, busy)
    assert back.verdict == "regressed"
    same = compare_profiles(busy, make([{"hot": 41 - k % 3, "cold": 40} for k in range(5)]))
    assert same.verdict == "noise" and same.basis == "cpu_load"


def test_a_cpu_bound_target_whose_profile_changed_is_inconclusive() -> None:
    a = make([jitter(BEFORE, k) for k in range(5)])  # busy in every tick
    b = make([jitter(AFTER, k) for k in range(5)])
    d = compare_profiles(a, b)
    assert d.load is not None and d.load.saturated
    assert d.verdict == "inconclusive" and "CPU-bound" in d.sentence
    assert "hot" in d.sentence and "regressed" in d.sentence
    assert compare_profiles(a, a).verdict == "noise"


def test_idle_recordings_have_no_load() -> None:
    a = make([{"hot": 40, "cold": 40 + k} for k in range(4)], idle=True)
    b = make([{"hot": 20, "cold": 20 + k} for k in range(4)])
    d = compare_profiles(a, b)
    assert d.load is None and "--idle" in d.sentence


def test_ticks_follow_pyspy_not_the_clipped_timeline() -> None:
    p = make([{"hot": 99}, {"hot": 99}, {"hot": 20}])
    p.windows[1] = Window(p.windows[1].start, p.windows[1].start + 0.85)  # clipped
    p.windows[2] = Window(p.windows[2].start, p.windows[2].start + 0.2)  # the last one
    assert _ticks(p) == pytest.approx([100.0, 100.0, 20.0])


def test_json_document() -> None:
    d = compare_profiles(make([BEFORE] * 3, name="a"), make([AFTER] * 3, name="b"))
    doc = d.as_json()
    assert doc["verdict"] == d.verdict and doc["a"]["name"] == "a"
    assert {f["function"] for f in doc["functions"]} == {"main", "hot", "cold", "steady"}
    assert doc["tree"]["a_samples"] == 300 and len(doc["tree"]["parent"]) == 5


# -- the merged tree ---------------------------------------------------------------------


def test_diff_tree_merges_by_name_and_file() -> None:
    a = make([{"hot": 10, "gone": 90}])
    b = make([{"hot": 30, "new": 10}])
    tree = build_diff_tree(a, b)
    tree.check()
    names = {tree.functions[tree.tree.key[n]][0]: n for n in range(1, len(tree.tree))}
    assert set(names) == {"main", "hot", "gone", "new"}
    hot, gone, new = names["hot"], names["gone"], names["new"]
    assert (tree.a_total[hot], tree.b_total[hot]) == (10, 30)
    assert tree.share_a(hot) == pytest.approx(0.1) and tree.share_b(hot) == pytest.approx(0.75)
    assert tree.a_total[new] == 0 and tree.b_total[gone] == 0
    # widths: a·Nb + b·Na, proportional to the mean of the two shares
    assert tree.tree.total[hot] == 10 * 40 + 30 * 100
    assert tree.delta(gone) == pytest.approx(-0.9) and tree.scale() == pytest.approx(0.9)
    build_calltree(a).check()


def test_diff_colours_run_blue_to_grey_to_red() -> None:
    ramp = diff_ramp()
    assert len(ramp) == 2 * DIFF_STEPS + 1
    red, blue, grey = ramp[-1], ramp[0], ramp[DIFF_STEPS]
    assert red[0] > red[2] + 100 and blue[2] > blue[0] + 100 and len(set(grey)) == 1
    assert diff_bucket(0.0, 0.1) == DIFF_STEPS
    assert diff_bucket(0.5, 0.1) == 2 * DIFF_STEPS and diff_bucket(-0.5, 0.1) == 0
    assert DIFF_STEPS < diff_bucket(0.02, 0.1) < 2 * DIFF_STEPS


def test_changes_that_were_not_called_are_faded() -> None:
    a = make([jitter(BEFORE, k) for k in range(5)])
    b = make([jitter(AFTER, k) for k in range(5)])
    d = compare_profiles(a, b)
    called = d.significant_keys()
    assert {d.tree.functions[k][0] for k in called} == {"hot", "cold"}
    nodes = {d.tree.functions[d.tree.tree.key[n]][0]: n for n in range(1, len(d.tree.tree))}
    full = node_buckets(d.tree, [nodes["hot"], nodes["cold"]])
    assert node_buckets(d.tree, [nodes["hot"], nodes["cold"]], significant=called) == full
    assert node_buckets(d.tree, [nodes["hot"]], significant=set()) == [
        DIFF_STEPS + round((full[0] - DIFF_STEPS) * FADED)
    ]
    # a callee takes its caller's strength: main → hot → leaf
    p, q = make([{"hot": 10}] * 3), make([{"hot": 10}] * 3)
    path = [q.frames.intern(n, "/src/app.py", ln) for n, ln in (("main", 1), ("hot", 10))]
    leaf = q.stacks.intern([*path, q.frames.intern("leaf", "/src/app.py", 99)])
    for w in range(3):
        q.add_samples(w, 0, {leaf: 30})
    tree = build_diff_tree(p, q)
    key = {name: k for k, (name, _) in enumerate(tree.functions)}
    node = next(n for n in range(1, len(tree.tree)) if tree.tree.key[n] == key["leaf"])
    full = node_buckets(tree, [node])
    assert node_buckets(tree, [node], significant={key["hot"]}) == full
    assert node_buckets(tree, [node], significant=set()) != full


# -- benchmark runs ----------------------------------------------------------------------


def cell(tier: str, size: int, median: float, spread: float = 0.002) -> dict[str, object]:
    samples = [median * (1 + spread * ((i % 5) - 2)) for i in range(20)]
    return {"kernel": "saxpy", "tier": tier, "size": size, "median_s": median,
            "samples": samples}  # fmt: skip


def test_bench_runs_are_compared_cell_by_cell() -> None:
    a = [cell("scalar", 1000, 1e-6), cell("numpy", 1000, 2e-6), cell("numpy", 4096, 5e-6)]
    b = [cell("scalar", 1000, 1.2e-6), cell("numpy", 1000, 2e-6), cell("avx2", 1000, 1e-7)]
    d = compare_bench_runs(1, a, 2, b)
    verdicts = {(c.tier, c.size): c.verdict for c in d.cells}
    assert verdicts == {
        ("scalar", 1000): "regressed",
        ("numpy", 1000): "no change",
        ("numpy", 4096): "not compared",
        ("avx2", 1000): "not compared",
    }
    assert d.verdict == "regressed" and d.sentence.startswith("regressed: 1 of 2 cells")
    assert "scalar/1000 +20.0 %" in d.sentence and "2 not compared" in d.sentence
    notes = {c.tier: c.note for c in d.cells if c.note}
    assert notes == {"numpy": "only in run 1", "avx2": "only in run 2"}
    both = compare_bench_runs(1, a, 2, [cell("scalar", 1000, 1.2e-6), cell("numpy", 1000, 1e-6)])
    assert both.verdict == "mixed"
    assert compare_bench_runs(1, a, 1, a).verdict == "no change"


def test_a_failed_cell_is_not_compared() -> None:
    failed = {"kernel": "saxpy", "tier": "scalar", "size": 1000, "median_s": None, "samples": []}
    d = compare_bench_runs(1, [cell("scalar", 1000, 1e-6)], 2, [failed])
    (c,) = d.cells
    assert c.verdict == "not compared" and "failed" in c.note and d.verdict == "no change"
    assert d.as_json()["cells"][0]["comparison"] is None
