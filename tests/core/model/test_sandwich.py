"""Callers and callees of one function, recursion counted once per sample."""

from __future__ import annotations

from app.core.model.calltree import top_functions
from app.core.model.profile import Profile, Window
from app.core.model.sandwich import callers_callees, sandwich


def make_profile() -> Profile:
    p = Profile(rate_hz=100)
    main = p.frames.intern("main", "app.py", 10)
    work = p.frames.intern("work", "app.py", 20)
    leaf = p.frames.intern("leaf", "lib.py", 5)
    rec = p.frames.intern("rec", "lib.py", 30)
    rec2 = p.frames.intern("rec", "lib.py", 31)
    t = p.add_thread(1, 11, "MainThread")
    w = p.add_window(Window(0.0, 1.0))
    p.add_samples(
        w,
        t,
        {
            p.stacks.intern([main, work, leaf]): 30,
            p.stacks.intern([main, work]): 10,
            p.stacks.intern([main, rec, rec2, rec, leaf]): 20,  # rec -> rec -> rec -> leaf
            p.stacks.intern([main, rec]): 5,
            p.stacks.intern([main, leaf]): 7,
        },
    )
    return p


def named(p: Profile, pairs: list[tuple[int, int]]) -> dict[str, int]:
    return {p.frames.functions[f][0]: n for f, n in pairs}


def test_callers_and_callees_of_a_plain_function() -> None:
    p = make_profile()
    leaf = p.frames.function_id("leaf", "lib.py")
    assert leaf is not None
    callers, callees, self_n, total_n = callers_callees(p, leaf)
    assert named(p, callers) == {"work": 30, "rec": 20, "main": 7}
    assert [n for _, n in callers] == [30, 20, 7]  # busiest first
    assert callees == []
    assert (self_n, total_n) == (57, 57)


def test_recursion_counts_each_sample_once() -> None:
    p = make_profile()
    rec = p.frames.function_id("rec", "lib.py")
    assert rec is not None
    s = sandwich(p, rec)
    assert named(p, s.callers) == {"main": 25, "rec": 20}  # not 40 for rec
    assert named(p, s.callees) == {"rec": 20, "leaf": 20}
    assert (s.self_samples, s.total_samples) == (5, 25)
    row = next(r for r in top_functions(p) if r.function_id == rec)
    assert (row.self_samples, row.total_samples) == (s.self_samples, s.total_samples)


def test_root_function_and_unknown_function() -> None:
    p = make_profile()
    main = p.frames.function_id("main", "app.py")
    assert main is not None
    callers, callees, self_n, total_n = callers_callees(p, main)
    assert callers == [] and total_n == p.total_samples and self_n == 0
    assert named(p, callees) == {"work": 40, "rec": 25, "leaf": 7}
    assert callers_callees(p, 999) == ([], [], 0, 0)
