"""The flame graph widget, offscreen: real widgets, real mouse events, real paints."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QTextDocument, QWheelEvent
from PySide6.QtWidgets import QApplication, QToolButton
from pytestqt.qtbot import QtBot

from app.core.model.flame import key_path
from app.core.model.profile import Profile, Window
from app.ui.flamegraph import FlameGraphWidget, _merge_runs
from app.ui.state import ViewState

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


def make_profile() -> Profile:
    """main → work → (seventy 60 | thirty 25 | self 5) in one thread, worker → thirty 10."""
    p = Profile(rate_hz=100)
    main = p.frames.intern("main", "/home/u/app.py", 3)
    work = p.frames.intern("work", "/home/u/app.py", 9)
    seventy = p.frames.intern("seventy", "/home/u/hot.py", 12)
    thirty = p.frames.intern("thirty", "/home/u/cold.py", 20)
    worker = p.frames.intern("worker", "/usr/lib/python3.11/threading.py", 1010)
    t0 = p.add_thread(1, 11, "MainThread")
    t1 = p.add_thread(1, 12, "worker")
    w = p.add_window(Window(100.0, 101.0, 100))
    s = p.stacks.intern
    p.add_samples(
        w, t0, {s([main, work, seventy]): 60, s([main, work, thirty]): 25, s([main, work]): 5}
    )
    p.add_samples(w, t1, {s([worker, thirty]): 10})
    return p


def fid(state: ViewState, name: str) -> int:
    for i, (n, _) in enumerate(state.profile.frames.functions):
        if n == name:
            return i
    raise KeyError(name)


def index_of(widget: FlameGraphWidget, names: list[str]) -> int:
    """Layout index of the frame at the path ``names`` from the root."""
    keys = [fid(widget.state, n) for n in names]
    lay = widget.layout_data
    for i in range(len(lay)):
        if key_path(widget.tree, int(lay.node[i])) == keys:
            return i
    raise KeyError(names)


def frame_center(widget: FlameGraphWidget, index: int) -> QPoint:
    """Viewport pixel at the centre of a frame, as a user would click it."""
    lay = widget.layout_data
    x = float(lay.x0[index] + lay.width[index] / 2)
    y = float(lay.depth[index]) + 0.5
    scene = widget.viewbox.mapViewToScene(QPointF(x, y))
    return widget.view.mapFromScene(scene)


def not_blank(image: QImage) -> bool:
    ptr = image.convertToFormat(QImage.Format.Format_RGB32).constBits()
    return float(np.frombuffer(ptr, dtype=np.uint8).std()) > 10.0


@pytest.fixture
def state() -> ViewState:
    st = ViewState()
    st.set_profile(make_profile())
    return st


@pytest.fixture
def widget(qtbot: QtBot, state: ViewState) -> Iterator[FlameGraphWidget]:
    w = FlameGraphWidget(state)
    qtbot.addWidget(w)
    w.resize(900, 400)
    w.show()
    qtbot.waitExposed(w)
    yield w


def x_range(widget: FlameGraphWidget) -> tuple[float, float]:
    (lo, hi), _ = widget.viewbox.viewRange()
    return lo, hi


def test_item_holds_every_frame_and_paints_it(widget: FlameGraphWidget) -> None:
    lay = widget.layout_data
    lay.check(widget.tree)
    widget.tree.check(expected_total=100)
    names = {widget.state.profile.frames.functions[int(k)][0] for k in lay.key}
    assert names == {"main", "work", "seventy", "thirty", "worker"}
    assert widget.item.flame_layout is lay and len(lay) == 6 and lay.span == 100
    hot = index_of(widget, ["main", "work", "seventy"])
    assert lay.width[hot] == 60 and lay.depth[hot] == 2
    assert x_range(widget) == pytest.approx((0, 100))
    assert not_blank(widget.grab().toImage())
    assert widget.item.painted_frames == 6 and widget.item.painted_labels == 6


def test_click_zooms_back_restores(
    qtbot: QtBot, widget: FlameGraphWidget, state: ViewState
) -> None:
    hot = index_of(widget, ["main", "work", "seventy"])
    widget.click_frame(hot)
    keys = [fid(state, n) for n in ("main", "work", "seventy")]
    assert widget.focus_path == keys and widget.layout_data.focus_path == tuple(keys)
    assert widget.layout_data.span == 60 and x_range(widget) == pytest.approx((0, 60))
    assert state.selected_function == keys[-1]
    assert widget.item.selected_key == keys[-1]
    main = index_of(widget, ["main"])
    assert widget.layout_data.ancestor[main] and widget.layout_data.width[main] == 60
    assert [t for t, _ in widget.breadcrumb.crumbs] == ["all", "main", "work", "seventy"]
    assert widget.back_button.isEnabled()
    widget.back()
    assert widget.focus_path == [] and widget.layout_data.span == 100
    assert x_range(widget) == pytest.approx((0, 100))
    assert not widget.back_button.isEnabled()


def test_real_mouse_click_zooms_and_double_click_on_background_goes_back(
    qtbot: QtBot, widget: FlameGraphWidget, state: ViewState
) -> None:
    work = index_of(widget, ["main", "work"])
    click_at = frame_center(widget, work)
    qtbot.mouseClick(widget.view.viewport(), Qt.MouseButton.LeftButton, pos=click_at)
    assert widget.focus_path == [fid(state, "main"), fid(state, "work")]
    assert widget.layout_data.span == 90 and state.selected_function == fid(state, "work")
    # high above the deepest frame: background
    empty = widget.view.mapFromScene(widget.viewbox.mapViewToScene(QPointF(45.0, 10.5)))
    assert widget.node_at(widget.viewbox.mapSceneToView(widget.view.mapToScene(empty))) is None
    viewport = widget.view.viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=empty)  # a single one: no-op
    assert widget.layout_data.span == 90
    qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=empty)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=empty)  # QTest sends none
    assert widget.focus_path == [] and widget.layout_data.span == 100


def test_breadcrumb_and_reset_zoom(widget: FlameGraphWidget, state: ViewState) -> None:
    widget.click_frame(index_of(widget, ["main", "work", "thirty"]))
    crumbs = widget.breadcrumb.findChildren(QToolButton)
    assert [b.text() for b in crumbs] == ["all", "main", "work", "thirty"]
    crumbs[2].click()  # "work"
    assert widget.focus_path == [fid(state, "main"), fid(state, "work")]
    widget.reset_button.click()
    assert widget.focus_path == [] and widget.layout_data.span == 100
    widget.back_button.click()
    assert widget.focus_path == [fid(state, "main"), fid(state, "work")]


def test_search_highlights_and_counts_matches(widget: FlameGraphWidget, state: ViewState) -> None:
    widget.search_box.setText("THIRTY")
    assert state.search == "THIRTY"
    assert widget.matched_fraction == pytest.approx(0.35)  # 25 under work + 10 under worker
    assert widget.match_label.text() == "35.0% of samples matched"
    mask = widget.item.match_mask
    assert mask is not None
    assert {int(widget.layout_data.key[i]) for i in np.flatnonzero(mask)} == {fid(state, "thirty")}
    state.set_search("hot.py")  # by file, from elsewhere: the box follows
    assert widget.search_box.text() == "hot.py"
    assert widget.matched_fraction == pytest.approx(0.60)
    widget.click_frame(index_of(widget, ["main", "work"]))  # relative to the zoom
    assert widget.matched_fraction == pytest.approx(60 / 90)
    widget.search_box.clear()
    assert widget.item.match_mask is None and widget.match_label.text() == ""
    assert not_blank(widget.grab().toImage())


def test_live_update_keeps_zoom_search_and_selection(
    widget: FlameGraphWidget, state: ViewState
) -> None:
    widget.click_frame(index_of(widget, ["main", "work"]))
    widget.search_box.setText("seventy")
    assert widget.matched_fraction == pytest.approx(60 / 90)
    p = state.profile
    fr = p.frames
    seventy = p.stacks.intern(
        [fr.intern("main", "/home/u/app.py", 3), fr.intern("work", "/home/u/app.py", 9),
         fr.intern("seventy", "/home/u/hot.py", 14)]
    )  # fmt: skip
    fresh = p.stacks.intern([fr.intern("main", "/home/u/app.py", 3), fr.intern("new", "n.py", 1)])
    w = p.add_window(Window(101.0, 102.0, 100))
    p.add_samples(w, 0, {seventy: 30, fresh: 7})
    state.samples_added()
    keys = [fid(state, "main"), fid(state, "work")]
    assert widget.focus_path == keys and widget.layout_data.focus_path == tuple(keys)
    assert widget.layout_data.span == 120 and x_range(widget) == pytest.approx((0, 120))
    assert widget.search_box.text() == "seventy"
    assert widget.matched_fraction == pytest.approx(90 / 120)
    assert state.selected_function == fid(state, "work") == widget.item.selected_key
    widget.layout_data.check(widget.tree)
    widget.tree.check(expected_total=137)


def test_filter_falls_back_and_restores_the_zoom(
    widget: FlameGraphWidget, state: ViewState
) -> None:
    widget.click_frame(index_of(widget, ["main", "work", "seventy"]))
    state.set_threads(frozenset({1}))  # the worker thread never ran main
    assert widget.layout_data.focus_path == () and widget.layout_data.span == 10
    assert [t for t, _ in widget.breadcrumb.crumbs] == ["all"]
    state.set_threads(None)
    assert widget.layout_data.span == 60
    assert len(widget.focus_path) == 3
    state.set_profile(make_profile())  # another profile: zoom and history start over
    assert widget.focus_path == [] and widget.layout_data.span == 100
    assert not widget.back_button.isEnabled()


def test_selection_from_elsewhere_outlines_frames(
    widget: FlameGraphWidget, state: ViewState
) -> None:
    state.select_function(fid(state, "thirty"))
    assert widget.item.selected_key == fid(state, "thirty")
    plain = widget.grab().toImage()
    state.select_function(None)
    assert widget.item.selected_key is None
    assert widget.grab().toImage() != plain  # the outline was drawn


def test_icicle_puts_the_root_at_the_top(qtbot: QtBot, widget: FlameGraphWidget) -> None:
    main = index_of(widget, ["main"])
    flame_y = frame_center(widget, main).y()
    widget.icicle_button.click()
    assert widget.icicle and widget.viewbox.yInverted()
    icicle_y = frame_center(widget, main).y()
    assert icicle_y < widget.view.height() / 2 < flame_y
    assert not_blank(widget.grab().toImage())


def test_wheel_zooms_x_only(widget: FlameGraphWidget) -> None:
    _, y_before = widget.viewbox.viewRange()
    pos = QPointF(widget.view.viewport().width() / 2, widget.view.viewport().height() / 2)
    event = QWheelEvent(
        pos,
        widget.view.viewport().mapToGlobal(pos),
        QPoint(0, 0),
        QPoint(0, 240),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget.view.viewport(), event)
    lo, hi = x_range(widget)
    _, y_after = widget.viewbox.viewRange()
    assert lo >= 0 and hi <= 100 and hi - lo < 100
    assert y_after == pytest.approx(y_before)


def hostile_state() -> ViewState:
    p = Profile(rate_hz=100)
    frames = [p.frames.intern(n, f"/tmp/{n}.py", 3) for n in ("outer", SCRIPT, IMG)]
    t = p.add_thread(1, 2, "<b>thread</b>")
    w = p.add_window(Window(10.0, 11.0, 100))
    p.add_samples(w, t, {p.stacks.intern(frames[: i + 1]): 10 * (i + 1) for i in range(3)})
    st = ViewState()
    st.set_profile(p)
    return st


def test_hostile_names_stay_plain_text(qtbot: QtBot) -> None:
    state = hostile_state()
    widget = FlameGraphWidget(state)
    qtbot.addWidget(widget)
    widget.resize(1200, 300)
    widget.show()
    qtbot.waitExposed(widget)
    img = index_of(widget, ["outer", SCRIPT, IMG])
    tip = widget.item.tooltip_text(img)
    assert SCRIPT not in tip and IMG not in tip  # escaped, so Qt cannot run it as markup
    doc = QTextDocument()
    doc.setHtml(tip)
    shown = doc.toPlainText()
    assert IMG in shown and f"/tmp/{IMG}.py:3" in shown
    assert "total: 30 samples (50.0%)" in shown and "self: 30 samples (50.0%)" in shown
    # a real hover puts the same text on the item
    qtbot.mouseMove(widget.view.viewport(), frame_center(widget, img))
    qtbot.waitUntil(lambda: widget.item.hover_index == img)
    assert widget.item.toolTip() == tip
    widget.click_frame(img)
    crumbs = [b.text() for b in widget.breadcrumb.findChildren(QToolButton)]
    assert crumbs == ["all", "outer", SCRIPT, IMG]
    widget.search_box.setText("<script>")
    assert widget.matched_fraction == pytest.approx(1.0)


def test_paint_never_raises(
    qtbot: QtBot, widget: FlameGraphWidget, caplog: pytest.LogCaptureFixture
) -> None:
    widget.item.palette_of_key = np.zeros(0, dtype=np.int64)  # corrupt on purpose
    with caplog.at_level(logging.ERROR, logger="app.ui.flamegraph"):
        widget.grab()
        widget.grab()
    assert [r.message for r in caplog.records] == ["flame graph paint failed"]


def test_empty_profile_and_screenshot(qtbot: QtBot, tmp_path: Path) -> None:
    state = ViewState()
    widget = FlameGraphWidget(state)
    qtbot.addWidget(widget)
    widget.show()
    assert len(widget.layout_data) == 0 and widget.node_at(QPointF(0.5, 0.5)) is None
    widget.back()
    widget.reset_zoom()
    state.set_profile(make_profile())
    widget.resize(1000, 360)
    widget.click_frame(index_of(widget, ["main", "work"]))
    state.select_function(fid(state, "seventy"))
    widget.search_box.setText("thirty")
    shot = tmp_path / "flame.png"
    assert widget.grab().save(str(shot))
    assert not_blank(QImage(str(shot)))


def test_touching_narrow_frames_of_one_colour_are_filled_as_one_rect() -> None:
    rects = np.array(
        [
            [0, 0, 1, 17],  # three 1-2 px frames side by side, one colour: one box
            [1, 0, 2, 17],
            [3, 0, 1, 17],
            [4, 0, 1, 17],  # same row, other colour
            [5, 0, 9, 17],  # wide frames keep their 1 px gap: not joined
            [15, 0, 9, 17],
            [0, 18, 2, 17],  # next row
        ],
        dtype=np.float64,
    )
    colors = np.array([3, 3, 3, 4, 4, 4, 3], dtype=np.uint8)
    boxes, merged = _merge_runs(rects, colors)
    assert boxes.tolist() == [
        [0, 0, 3, 16],
        [4, 0, 13, 16],  # the 1 px frame touches the wide one: same pixels either way
        [15, 0, 23, 16],
        [0, 18, 1, 34],
    ]
    assert merged.tolist() == [3, 4, 4, 3]


def test_deep_focus_is_scrolled_into_view_and_live_updates_keep_the_scroll(
    qtbot: QtBot,
) -> None:
    p = Profile(rate_hz=100)
    chain = [p.frames.intern(f"level{d}", "/srv/deep.py", d + 1) for d in range(60)]
    t = p.add_thread(1, 1, "main")
    p.add_samples(p.add_window(Window(0, 1)), t, {p.stacks.intern(chain): 10})
    state = ViewState()
    state.set_profile(p)
    widget = FlameGraphWidget(state)
    qtbot.addWidget(widget)
    widget.resize(800, 300)
    widget.show()
    qtbot.waitExposed(widget)
    _, (y_lo, y_hi) = widget.viewbox.viewRange()
    assert y_lo == pytest.approx(0) and 10 < y_hi < 20  # rows of ROW_PX, root in view
    widget.click_frame(index_of(widget, [f"level{d}" for d in range(51)]))
    _, (y_lo, y_hi) = widget.viewbox.viewRange()
    assert y_lo <= 50 < y_hi - 1  # the focus row and some of what it calls
    widget.viewbox.setYRange(30, 30 + (y_hi - y_lo), padding=0)  # the user scrolls
    p.add_samples(p.add_window(Window(1, 2)), t, {p.stacks.intern(chain): 5})
    state.samples_added()
    _, (y_lo2, _) = widget.viewbox.viewRange()
    assert y_lo2 == pytest.approx(30) and widget.layout_data.span == 15
