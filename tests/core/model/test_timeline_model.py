"""The timeline model: per-thread samples per window, x-range ↔ wall-clock."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.model.profile import Profile, Window, filter_time
from app.core.model.timeline import OTHER_THREADS, TimelineModel, build_timeline


def make_profile() -> Profile:
    """Three windows (the third after a 1 s gap, listed out of order), two threads."""
    p = Profile(rate_hz=100)
    f = p.frames.intern("f", "a.py", 1)
    s = p.stacks.intern([f])
    t0 = p.add_thread(1, 11, "MainThread")
    t1 = p.add_thread(1, 12, "worker")
    w0 = p.add_window(Window(100.0, 101.0))
    w2 = p.add_window(Window(103.0, 104.0))  # appended out of time order
    w1 = p.add_window(Window(101.0, 102.0))
    p.add_samples(w0, t0, {s: 10})
    p.add_samples(w0, t1, {s: 1})
    p.add_samples(w1, t0, {s: 20})
    p.add_samples(w2, t1, {s: 30})
    return p


def test_series_per_thread_in_time_order() -> None:
    data = build_timeline(make_profile())
    assert data.origin == 100.0
    np.testing.assert_allclose(data.starts, [0, 1, 3])
    np.testing.assert_allclose(data.mids, [0.5, 1.5, 3.5])
    assert data.duration == 4.0
    by_label = {s.label: s.samples.tolist() for s in data.series}
    assert by_label == {"MainThread (11)": [10, 20, 0], "worker (12)": [1, 0, 30]}
    assert [s.total for s in data.series] == [31, 30]  # busiest first (worker)
    assert [s.label for s in data.series] == ["worker (12)", "MainThread (11)"]
    assert data.stacked().tolist() == [[1, 0, 30], [11, 20, 30]]
    assert data.totals().tolist() == [11, 20, 30]


def test_thread_selection_and_lumping() -> None:
    p = make_profile()
    only = build_timeline(p, threads=[1])
    assert [s.thread for s in only.series] == [1]
    for i in range(5):
        t = p.add_thread(1, 100 + i, f"extra{i}")
        p.add_samples(0, t, {0: i + 1})
    lumped = build_timeline(p, max_series=3)
    assert [s.thread for s in lumped.series] == [1, 0, OTHER_THREADS]
    assert lumped.series[-1].label == "5 other threads"
    assert lumped.series[-1].samples.tolist() == [15, 0, 0]
    assert lumped.totals().sum() == p.total_samples


def test_step_edges_mark_gaps() -> None:
    data = build_timeline(make_profile())
    edges, is_window = data.step_edges()
    np.testing.assert_allclose(edges, [0, 1, 2, 3, 4])
    assert is_window.tolist() == [True, True, False, True]
    y = data.step_values(data.totals(), is_window)
    assert y.tolist() == [11, 20, 0, 30]
    edges, is_window = data.step_edges(gap=5.0)  # small gaps stretch the window before
    np.testing.assert_allclose(edges, [0, 1, 3, 4])
    assert is_window.all()


def test_x_range_maps_to_wall_clock_and_filter_time_agrees() -> None:
    p = make_profile()
    data = build_timeline(p)
    t0, t1 = data.to_wall(1.8, 1.2)
    assert (t0, t1) == pytest.approx((101.2, 101.8))
    assert data.to_x(t0, t1) == pytest.approx((1.2, 1.8))
    assert data.samples_in(1.2, 1.8) == 20
    assert filter_time(p, t0, t1).total_samples == 20
    assert data.samples_in(0.5, 3.5) == filter_time(p, *data.to_wall(0.5, 3.5)).total_samples


def test_incremental_update_matches_full_rebuild() -> None:
    p = make_profile()
    model = TimelineModel()
    model.update(p)
    f = p.frames.intern("g", "a.py", 2)
    s = p.stacks.intern([f])
    p.add_samples(2, 0, {s: 5})  # the last window seen grows
    w = p.add_window(Window(104.0, 105.0))
    t = p.add_thread(1, 13, "late")
    p.add_samples(w, t, {s: 7})
    model.update(p)
    full = TimelineModel()
    full.update(p)
    np.testing.assert_array_equal(model.matrix, full.matrix)
    assert model.thread_totals() == p.thread_totals()
    other = Profile()  # another profile: starts again
    model.update(other)
    assert model.data().n_windows == 0 and model.data().series == ()


def test_empty_and_zero_duration_profiles() -> None:
    empty = build_timeline(Profile())
    assert empty.n_windows == 0 and empty.duration == 0.0
    assert empty.step_edges()[0].size == 0
    p = Profile()
    f = p.frames.intern("f", "a.py", 1)
    p.add_thread(1, 1, "t")
    p.add_window(Window(5.0, 5.0))  # collapsed-stack imports have no timing
    p.add_samples(0, 0, {p.stacks.intern([f]): 3})
    data = build_timeline(p)
    assert data.duration == 0.0 and data.totals().tolist() == [3]
