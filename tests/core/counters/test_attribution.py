"""Per-function counter estimates from window deltas and samples."""

from __future__ import annotations

import pytest

from app.core.counters.attribution import attribute
from app.core.counters.base import CounterSpec
from app.core.counters.series import CounterSeries
from app.core.model.profile import Profile, Window


def test_each_window_shares_its_delta_by_self_samples() -> None:
    p = Profile()
    a = p.frames.intern("a", "m.py", 1)
    b = p.frames.intern("b", "m.py", 2)
    sa = p.stacks.intern([a])
    sab = p.stacks.intern([a, b])
    t = p.add_thread(1, 1, "main")
    w0 = p.add_window(Window(0, 1))
    w1 = p.add_window(Window(1, 2))
    p.add_samples(w0, t, {sa: 30, sab: 70})
    p.add_samples(w1, t, {sa: 100})
    series = CounterSeries(
        specs={
            "perf.page-faults": CounterSpec("perf.page-faults", "count", "delta", ""),
            "proc.rss": CounterSpec("proc.rss", "bytes", "gauge", ""),
        }
    )
    series.add(w0, 0, 1, {"perf.page-faults": 1000.0, "proc.rss": 5.0})
    series.add(w1, 1, 2, {"perf.page-faults": 10.0, "proc.rss": 6.0})
    est = attribute(p, series)
    fa = p.frames.frame_function[a]
    fb = p.frames.frame_function[b]
    assert est[fa]["perf.page-faults"] == pytest.approx(300 + 10)
    assert est[fb]["perf.page-faults"] == pytest.approx(700)
    assert "proc.rss" not in est[fa]  # gauges are not shared out
    total = sum(row["perf.page-faults"] for row in est.values())
    assert total == pytest.approx(series.total("perf.page-faults"))
