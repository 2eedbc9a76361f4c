"""The timeline widget: series per thread, range selection, thread filter."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QTreeWidgetItem
from pytestqt.qtbot import QtBot

from app.core.model.calltree import top_functions
from app.core.model.profile import Profile, Window
from app.ui.state import ViewState
from app.ui.timeline import TimelineWidget

HOSTILE = "<script>alert(1)</script>"


def make_profile(windows: int = 6) -> Profile:
    """Three threads, one window per second; the hostile thread is busy late."""
    p = Profile(rate_hz=100)
    main = p.frames.intern("main", "app.py", 10)
    work = p.frames.intern("work", "app.py", 20)
    s_main = p.stacks.intern([main])
    s_work = p.stacks.intern([main, work])
    p.add_thread(1, 11, "MainThread")
    p.add_thread(1, 12, "worker")
    p.add_thread(1, 13, HOSTILE)
    for i in range(windows):
        add_window(p, i, s_main, s_work)
    return p


def add_window(p: Profile, i: int, s_main: int = 0, s_work: int = 1) -> None:
    w = p.add_window(Window(1000.0 + i, 1001.0 + i))
    p.add_samples(w, 0, {s_main: 50 + 10 * i})
    p.add_samples(w, 1, {s_work: 30})
    p.add_samples(w, 2, {s_work: 5 * i})


@pytest.fixture
def widget(qtbot: QtBot) -> TimelineWidget:
    state = ViewState()
    state.set_profile(make_profile())
    w = TimelineWidget(state)
    qtbot.addWidget(w)
    w.resize(900, 300)
    w.show()
    qtbot.waitExposed(w)
    return w


def legend_texts(w: TimelineWidget) -> list[str]:
    return [label.item.toPlainText() for _, label in w.legend.items]


def test_one_series_per_thread_with_a_literal_legend(widget: TimelineWidget) -> None:
    assert len(widget.data.series) == 3
    assert len(widget._curves) == 3
    texts = legend_texts(widget)
    assert len(texts) == 3
    # The legend renders HTML: the hostile name must come out as typed, not as markup.
    assert any(t.startswith(HOSTILE) for t in texts)
    labels = [widget.threads_list.topLevelItem(i).text(0) for i in range(3)]
    assert labels == ["MainThread (11)", "worker (12)", f"{HOSTILE} (13)"]
    assert widget.threads_list.topLevelItem(0).text(1) == str(sum(50 + 10 * i for i in range(6)))


def test_selecting_a_range_filters_every_view(widget: TimelineWidget) -> None:
    state = widget.state
    before = state.view_profile().total_samples
    assert before == make_profile().total_samples
    widget.region.setRegion((2.2, 3.8))  # as the user drags the region's edges
    widget.region.sigRegionChangeFinished.emit(widget.region)
    assert state.time_range == pytest.approx((1002.2, 1003.8))
    after = state.view_profile()
    # windows 2 and 3 only: (70 + 30 + 10) + (80 + 30 + 15)
    assert after.total_samples == 235 < before
    main_row = next(r for r in top_functions(after) if r.function == "main")
    assert main_row.total_samples == 235
    assert "235 samples selected" in widget.range_label.text()
    widget.clear_button.click()
    assert state.time_range is None
    assert not widget.region.isVisible()


def _drag(qtbot: QtBot, widget: TimelineWidget, x0: float, x1: float) -> None:
    vb = widget.view_box
    y = 0.5 * sum(vb.viewRange()[1])

    def to_widget(x: float) -> QPoint:
        scene = vb.mapViewToScene(QPointF(x, y))
        return widget.plot_widget.mapFromScene(scene)

    viewport = widget.plot_widget.viewport()
    start, end = to_widget(x0), to_widget(x1)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    for k in range(1, 11):
        qtbot.mouseMove(viewport, start + (end - start) * (k / 10))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=end)


def test_mouse_drag_on_the_plot_selects_a_range(qtbot: QtBot, widget: TimelineWidget) -> None:
    _drag(qtbot, widget, 1.5, 4.5)
    qtbot.waitUntil(lambda: widget.state.time_range is not None)
    t0, t1 = widget.state.time_range  # type: ignore[misc]
    assert t0 == pytest.approx(1001.5, abs=0.1) and t1 == pytest.approx(1004.5, abs=0.1)
    assert widget.region.isVisible()
    assert widget.state.view_profile().total_samples < widget.state.profile.total_samples


def test_region_survives_live_updates(qtbot: QtBot, widget: TimelineWidget) -> None:
    state = widget.state
    widget.select_range(1.2, 2.8)
    selected = state.view_profile().total_samples
    for i in range(6, 9):  # recording goes on
        add_window(state.profile, i)
        state.samples_added()
    qtbot.waitUntil(lambda: widget.data.n_windows == 9)
    assert widget.region.getRegion() == pytest.approx((1.2, 2.8))
    assert state.time_range == pytest.approx((1001.2, 1002.8))
    assert state.view_profile().total_samples == selected
    assert widget.data.duration == 9.0


def test_thread_filter_sets_state_threads(qtbot: QtBot, widget: TimelineWidget) -> None:
    state = widget.state
    item: QTreeWidgetItem = widget.threads_list.topLevelItem(2)
    item.setCheckState(0, Qt.CheckState.Unchecked)
    assert state.threads == frozenset({0, 1})
    qtbot.waitUntil(lambda: len(widget.data.series) == 2)
    assert state.view_profile().total_samples == make_profile().thread_totals()[0] + 180
    assert widget.all_button.isEnabled()
    state.set_threads(frozenset({2}))  # from elsewhere: the checks follow
    qtbot.waitUntil(lambda: len(widget.data.series) == 1)
    checks = [widget.threads_list.topLevelItem(i).checkState(0) for i in range(3)]
    assert checks == [Qt.CheckState.Unchecked, Qt.CheckState.Unchecked, Qt.CheckState.Checked]
    widget.all_button.click()
    assert state.threads is None


def test_empty_profile_shows_a_message(qtbot: QtBot) -> None:
    state = ViewState()
    w = TimelineWidget(state)
    qtbot.addWidget(w)
    assert w.empty_text.isVisible() or w.empty_text.textItem.toPlainText() == "No samples yet"
    w.select_range(0, 1)  # nothing to select: no error, no range
    assert state.time_range is None


def test_grab_timeline_png(qtbot: QtBot, widget: TimelineWidget) -> None:
    widget.select_range(2.2, 3.8)
    qtbot.wait(50)
    assert widget.grab().save("/tmp/timeline.png")


def test_double_click_clears_the_range(qtbot: QtBot, widget: TimelineWidget) -> None:
    widget.select_range(1.2, 2.8)
    assert widget.state.time_range is not None
    vb = widget.view_box
    y = 0.5 * sum(vb.viewRange()[1])
    pos = widget.plot_widget.mapFromScene(vb.mapViewToScene(QPointF(4.5, y)))
    viewport = widget.plot_widget.viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=pos)
    # QTest's double click ends without a release; pyqtgraph reports clicks on release
    qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: widget.state.time_range is None)
    assert not widget.region.isVisible()
