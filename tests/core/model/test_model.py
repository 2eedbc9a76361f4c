"""The Qt-free profile model: interning, trees that check themselves, transforms."""

from __future__ import annotations

import pytest

from app.core.model.calltree import (
    Granularity,
    TreeCheckError,
    build_bottom_up,
    build_calltree,
    line_counts,
    top_functions,
)
from app.core.model.frames import NO_PARENT, FrameTable, StackTable
from app.core.model.profile import Profile, Window, filter_threads, filter_time, merge


def make_profile() -> Profile:
    """Two windows, two threads; main -> work -> (inner | inner@other line), recursion."""
    p = Profile(rate_hz=100)
    main = p.frames.intern("main", "app.py", 10)
    work = p.frames.intern("work", "app.py", 20)
    inner_a = p.frames.intern("inner", "lib.py", 5)
    inner_b = p.frames.intern("inner", "lib.py", 7)
    rec = p.frames.intern("rec", "lib.py", 30)
    s_work = p.stacks.intern([main, work])
    s_a = p.stacks.intern([main, work, inner_a])
    s_b = p.stacks.intern([main, work, inner_b])
    s_rec = p.stacks.intern([main, rec, rec, rec])
    t0 = p.add_thread(1, 11, "MainThread")
    t1 = p.add_thread(1, 12, "worker")
    w0 = p.add_window(Window(100.0, 101.0, expected=120))
    w1 = p.add_window(Window(101.0, 102.0, expected=100))
    p.add_samples(w0, t0, {s_work: 10, s_a: 30, s_b: 20})
    p.add_samples(w0, t1, {s_rec: 40})
    p.add_samples(w1, t0, {s_a: 50})
    p.add_samples(w1, t1, {s_rec: 25, s_work: 5})
    return p


def test_frames_and_functions_are_interned() -> None:
    ft = FrameTable()
    a = ft.intern("f", "x.py", 1)
    b = ft.intern("f", "x.py", 2)
    assert ft.intern("f", "x.py", 1) == a and a != b
    assert ft.frame_function[a] == ft.frame_function[b]
    assert ft.function_id("f", "x.py") == ft.frame_function[a]
    assert ft.function_id("g", "x.py") is None


def test_stacks_are_a_prefix_tree() -> None:
    st = StackTable()
    full = st.intern([1, 2, 3])
    prefix = st.intern([1, 2])
    assert st.parent[full] == prefix
    assert st.frames_of(full) == [1, 2, 3]
    assert st.intern([1, 2, 3]) == full
    assert st.depth[full] == 3
    assert st.intern([]) == NO_PARENT


def test_totals_and_lost_samples() -> None:
    p = make_profile()
    assert p.total_samples == 180
    assert p.expected_samples == 220
    assert p.lost_samples == 40
    assert p.thread_totals() == [110, 70]
    assert p.window_totals() == [100, 80]
    assert p.window_totals(threads=[1]) == [40, 30]
    assert [p.window_samples(w) for w in range(2)] == [100, 80]
    assert p.duration == pytest.approx(2.0)


def test_calltree_checks_itself_and_aggregates_lines() -> None:
    p = make_profile()
    tree = build_calltree(p)
    tree.check(expected_total=p.total_samples)
    fn = p.frames.function_id
    main = tree.children[0][fn("main", "app.py")]  # type: ignore[index]
    work = tree.children[main][fn("work", "app.py")]  # type: ignore[index]
    inner = tree.children[work][fn("inner", "lib.py")]  # type: ignore[index]
    assert tree.total[main] == 180
    assert tree.total[work] == 115 and tree.self_count[work] == 15
    assert tree.total[inner] == 100 and tree.self_count[inner] == 100
    assert tree.depth() == 4
    by_line = build_calltree(p, Granularity.LINE)
    by_line.check(expected_total=180)
    assert len(by_line) > len(tree)


def test_check_detects_broken_totals() -> None:
    tree = build_calltree(make_profile())
    tree.total[1] += 1
    with pytest.raises(TreeCheckError):
        tree.check()
    tree.total[1] -= 1
    tree.check()
    with pytest.raises(TreeCheckError):
        tree.check(expected_total=1)


def test_bottom_up_roots_are_leaves() -> None:
    p = make_profile()
    bu = build_bottom_up(p)
    bu.check(expected_total=180)
    roots = {p.frames.functions[k][0]: bu.total[i] for k, i in bu.children[0].items()}
    assert roots == {"inner": 100, "work": 15, "rec": 65}


def test_top_functions_self_total_and_recursion() -> None:
    p = make_profile()
    rows = {r.function: r for r in top_functions(p)}
    assert rows["inner"].self_samples == 100 and rows["inner"].total_samples == 100
    assert rows["inner"].line == 5  # 80 samples at line 5, 20 at line 7
    assert rows["rec"].self_samples == 65 and rows["rec"].total_samples == 65  # not 3 × 65
    assert rows["main"].self_samples == 0 and rows["main"].total_samples == 180
    assert sum(r.self_samples for r in rows.values()) == p.total_samples
    order = [r.function for r in top_functions(p)]
    assert order[0] == "inner"
    inner = p.frames.function_id("inner", "lib.py")
    assert inner is not None
    assert line_counts(p, inner) == {5: (80, 80), 7: (20, 20)}


def test_filter_by_thread_and_time() -> None:
    p = make_profile()
    worker = filter_threads(p, [1])
    assert worker.total_samples == 70
    build_calltree(worker).check(expected_total=70)
    late = filter_time(p, 101.5, 103.0)
    assert late.total_samples == 80
    build_calltree(late).check(expected_total=80)
    assert filter_time(p, 200.0, 300.0).total_samples == 0
    both = filter_time(filter_threads(p, [0]), 100.0, 100.5)
    assert both.total_samples == 60
    assert p.total_samples == 180  # the source is untouched


def test_merge_keeps_every_sample() -> None:
    a = make_profile()
    b = make_profile()
    extra = b.frames.intern("only_in_b", "b.py", 1)
    b.add_samples(0, 0, {b.stacks.intern([extra]): 7})
    m = merge([a, b])
    assert m.total_samples == a.total_samples + b.total_samples
    assert len(m.windows) == 4
    assert len(m.threads) == 2  # same (pid, tid, name) threads are one
    tree = build_calltree(m)
    tree.check(expected_total=m.total_samples)
    rows = {r.function: r for r in top_functions(m)}
    assert rows["inner"].self_samples == 200
    assert rows["only_in_b"].self_samples == 7


def test_add_samples_rejects_unknown_window() -> None:
    p = make_profile()
    with pytest.raises(IndexError):
        p.add_samples(9, 0, {0: 1})


def test_window_delta_round_trip_into_another_profile() -> None:
    from app.core.model.delta import apply_delta, extract_window

    src = make_profile()
    dst = Profile()
    dst.frames.intern("unrelated", "z.py", 1)  # ids differ between the two profiles
    for w in range(len(src.windows)):
        delta = extract_window(src, w)
        assert delta.total == src.window_samples(w)
        assert apply_delta(dst, delta) == w
    assert dst.total_samples == src.total_samples
    assert dst.window_totals() == src.window_totals()
    assert {r.function: r.self_samples for r in top_functions(dst)} == {
        r.function: r.self_samples for r in top_functions(src)
    }
    build_calltree(dst).check(expected_total=dst.total_samples)


def test_unnamed_thread_takes_its_name_when_python_names_it() -> None:
    p = Profile()
    early = p.add_thread(7, 70, "")
    named = p.add_thread(7, 70, "MainThread")
    assert early == named and p.threads[named].name == "MainThread"
    assert p.renamed_threads == {named}
    assert p.add_thread(7, 70, "") == named  # a later unnamed sample joins it too
    reused = p.add_thread(7, 70, "worker")  # the OS reused the id: another thread
    assert reused != named and len(p.threads) == 2


def test_line_counts_under_recursion() -> None:
    p = make_profile()
    rec = p.frames.function_id("rec", "lib.py")
    assert rec is not None
    assert line_counts(p, rec) == {30: (65, 65)}  # self at the leaf, total once per sample
