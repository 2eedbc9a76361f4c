"""The counters panel and the per-function estimate columns, offscreen."""

from __future__ import annotations

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from app.core.counters.base import CounterSpec, Unsupported
from app.core.counters.series import CounterSeries
from app.core.model.profile import Profile, Window
from app.ui.counters_panel import CountersWidget, counter_points
from app.ui.state import ViewState


def _session() -> tuple[Profile, CounterSeries]:
    p = Profile(rate_hz=100)
    hot = p.stacks.intern([p.frames.intern("hot", "m.py", 1)])
    cold = p.stacks.intern([p.frames.intern("cold", "m.py", 9)])
    t = p.add_thread(1, 1, "main")
    series = CounterSeries(
        specs={
            "perf.task-clock": CounterSpec("perf.task-clock", "ns", "delta", ""),
            "proc.rss": CounterSpec("proc.rss", "bytes", "gauge", ""),
        },
        unsupported=[Unsupported("perf.cycles", "not supported by this VM <b>(ENOENT)</b>", "")],
    )
    for w in range(4):
        idx = p.add_window(Window(100.0 + w, 101.0 + w, 100))
        p.add_samples(idx, t, {hot: 75, cold: 25})
        series.add(
            idx, 100.0 + w, 100.5 + w, {"perf.task-clock": 0.25e9, "proc.rss": 2**20 * (w + 1)}
        )
    return p, series


def test_counter_points_are_rates_on_the_timeline_axis() -> None:
    p, series = _session()
    x, y = counter_points(series, "perf.task-clock", p.start, 1e-9 * 100)
    assert np.allclose(x, [0.25, 1.25, 2.25, 3.25])
    assert np.allclose(y, 50.0)  # 0.25 s of CPU in 0.5 s: 50 % of a core
    _, rss = counter_points(series, "proc.rss", p.start, 1 / 2**20)
    assert list(rss) == [1, 2, 3, 4]  # gauges are levels, not rates


def test_panel_plots_counters_and_explains_unsupported(qtbot: QtBot) -> None:
    state = ViewState()
    panel = CountersWidget(state)
    qtbot.addWidget(panel)
    panel.show()
    p, series = _session()
    state.set_profile(p, series)
    assert set(panel.plots) == {"perf.task-clock", "proc.rss"}
    xs, _ys = panel.curves["perf.task-clock"].getData()
    assert len(xs) == 4
    item = panel.unsupported.topLevelItem(0)
    assert (
        item.text(0) == "perf.cycles" and item.text(1) == "not supported by this VM <b>(ENOENT)</b>"
    )
    state.set_time_range((101.0, 102.0))
    region = panel.regions["perf.task-clock"]
    assert region.isVisible() and region.getRegion() == pytest.approx((1.0, 2.0))
