"""Top-functions table and the caller/callee view: real widgets, offscreen."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QSplitter, QWidget
from pytestqt.qtbot import QtBot

from app.core.model.profile import Profile, Window
from app.ui.state import ViewState
from app.ui.tables import FUNCTION_ID_ROLE, CallerCalleeWidget, TopFunctionsWidget

HOSTILE = "<script>alert(1)</script>"


def make_profile() -> Profile:
    """Self samples 9 / 100 / 12 / 0 so that text order and numeric order differ."""
    p = Profile(rate_hz=100)
    main = p.frames.intern("main", "app.py", 10)
    a = p.frames.intern("alpha", "app.py", 20)
    b = p.frames.intern("beta", "lib.py", 5)
    c = p.frames.intern(HOSTILE, "<b>odd</b>.py", 7)
    rec = p.frames.intern("rec", "lib.py", 30)
    t0 = p.add_thread(1, 11, "MainThread")
    t1 = p.add_thread(1, 12, "worker")
    w0 = p.add_window(Window(100.0, 101.0))
    w1 = p.add_window(Window(101.0, 102.0))
    p.add_samples(w0, t0, {p.stacks.intern([main, a]): 9, p.stacks.intern([main, b]): 60})
    p.add_samples(w1, t0, {p.stacks.intern([main, b]): 40})
    p.add_samples(w1, t1, {p.stacks.intern([main, rec, rec, c]): 12})
    return p


def fid(p: Profile, name: str) -> int:
    for i, (fn, _) in enumerate(p.frames.functions):
        if fn == name:
            return i
    raise KeyError(name)


def column(w: TopFunctionsWidget, col: int) -> list[str]:
    proxy = w.proxy
    return [proxy.index(r, col).data() for r in range(proxy.rowCount())]


def make_widget(qtbot: QtBot, profile: Profile) -> tuple[ViewState, TopFunctionsWidget]:
    state = ViewState()
    state.set_profile(profile)
    w = TopFunctionsWidget(state)
    qtbot.addWidget(w)
    w.resize(800, 300)
    w.show()
    return state, w


def test_rows_numbers_and_numeric_sort(qtbot: QtBot) -> None:
    _, w = make_widget(qtbot, make_profile())
    assert column(w, 0)[:3] == ["beta", HOSTILE, "alpha"]  # by self, descending
    assert column(w, 2)[:3] == ["100", "12", "9"]
    assert column(w, 3)[0] == "82.6 %"  # 100 / 121
    w.view.sortByColumn(2, Qt.SortOrder.AscendingOrder)
    assert column(w, 2) == ["0", "0", "9", "12", "100"]  # numeric: "9" before "12"
    w.view.sortByColumn(4, Qt.SortOrder.DescendingOrder)
    assert column(w, 4)[:2] == ["121", "100"]
    w.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert column(w, 0) == [HOSTILE, "alpha", "beta", "main", "rec"]


def test_filter_box_is_case_insensitive_on_function_and_file(qtbot: QtBot) -> None:
    _, w = make_widget(qtbot, make_profile())
    qtbot.keyClicks(w.filter_edit, "BET")
    assert column(w, 0) == ["beta"]
    w.filter_edit.setText("LIB.PY")  # file names match too
    assert sorted(column(w, 0)) == ["beta", "rec"]
    assert "2 of 5 functions" in w.summary.text()
    w.filter_edit.clear()
    assert len(column(w, 0)) == 5


def test_selection_goes_both_ways_without_loops(qtbot: QtBot) -> None:
    state, w = make_widget(qtbot, make_profile())
    p = state.profile
    emitted: list[int | None] = []
    state.selectionChanged.connect(lambda: emitted.append(state.selected_function))
    row = column(w, 0).index("alpha")
    rect = w.view.visualRect(w.proxy.index(row, 0))
    qtbot.mouseClick(w.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert state.selected_function == fid(p, "alpha")
    assert emitted == [fid(p, "alpha")]
    state.select_function(fid(p, "rec"))  # from another view
    current = w.view.currentIndex()
    assert current.data(FUNCTION_ID_ROLE) == fid(p, "rec")
    assert w.view.selectionModel().isRowSelected(current.row(), QModelIndex())
    assert emitted == [fid(p, "alpha"), fid(p, "rec")]  # no echo


def test_refresh_keeps_sort_filter_and_selection(qtbot: QtBot) -> None:
    state, w = make_widget(qtbot, make_profile())
    p = state.profile
    w.view.sortByColumn(4, Qt.SortOrder.AscendingOrder)
    w.filter_edit.setText("A")  # main (app.py), alpha, beta, HOSTILE (alert)
    state.select_function(fid(p, "beta"))
    # live recording: a new window arrives
    beta = p.frames.intern("beta", "lib.py", 5)
    main = p.frames.intern("main", "app.py", 10)
    w2 = p.add_window(Window(102.0, 103.0))
    p.add_samples(w2, 0, {p.stacks.intern([main, beta]): 500})
    state.samples_added()
    qtbot.waitUntil(lambda: "621 samples" in w.summary.text())
    assert column(w, 0) == ["alpha", HOSTILE, "beta", "main"]
    assert column(w, 4) == ["9", "12", "600", "621"]
    assert w.view.horizontalHeader().sortIndicatorSection() == 4
    assert w.view.currentIndex().data(FUNCTION_ID_ROLE) == fid(p, "beta")
    assert state.selected_function == fid(p, "beta")


def test_filters_from_the_state_reaggregate(qtbot: QtBot) -> None:
    state, w = make_widget(qtbot, make_profile())
    state.set_threads(frozenset({1}))
    qtbot.waitUntil(lambda: "12 samples" in w.summary.text())
    assert column(w, 0)[0] == HOSTILE
    state.set_threads(None)
    state.set_time_range((100.2, 100.8))  # first window only
    qtbot.waitUntil(lambda: "69 samples" in w.summary.text())
    assert sorted(column(w, 0)) == ["alpha", "beta", "main"]


def _rows(view_model: object) -> list[tuple[str, int]]:
    rows = view_model.rows()  # type: ignore[attr-defined]
    return [(r.function, r.samples) for r in rows]


def test_caller_callee_widget(qtbot: QtBot) -> None:
    state = ViewState()
    p = make_profile()
    state.set_profile(p)
    w = CallerCalleeWidget(state)
    qtbot.addWidget(w)
    w.resize(600, 500)
    w.show()
    assert "Select a function" in w.title.text()
    state.select_function(fid(p, "rec"))
    qtbot.waitUntil(lambda: w.callers_model.rowCount() > 0)
    # main -> rec -> rec -> HOSTILE, 12 samples: each counted once despite recursion
    assert sorted(_rows(w.callers_model)) == [("main", 12), ("rec", 12)]
    assert sorted(_rows(w.callees_model)) == [(HOSTILE, 12), ("rec", 12)]
    assert w.title.textFormat() == Qt.TextFormat.PlainText
    # clicking a callee selects it, and the view follows
    view = w.callees_view
    row = next(
        r for r in range(view.model().rowCount()) if view.model().index(r, 0).data() == HOSTILE
    )
    rect = view.visualRect(view.model().index(row, 0))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert state.selected_function == fid(p, HOSTILE)
    qtbot.waitUntil(lambda: _rows(w.callers_model) == [("rec", 12)])
    assert w.callees_model.rowCount() == 0
    assert w.title.text().startswith(HOSTILE)


def test_grab_tables_png(qtbot: QtBot) -> None:
    state = ViewState()
    p = make_profile()
    state.set_profile(p)
    host = QSplitter()
    top = TopFunctionsWidget(state, host)
    sandwich = CallerCalleeWidget(state, host)
    host.addWidget(top)
    host.addWidget(sandwich)
    qtbot.addWidget(host)
    host.resize(1200, 420)
    host.show()
    state.select_function(fid(p, "rec"))
    qtbot.waitUntil(lambda: sandwich.callers_model.rowCount() > 0)
    assert isinstance(top, QWidget)
    assert host.grab().save("/tmp/tables.png")


def test_tooltips_are_plain_text(qtbot: QtBot) -> None:
    _, w = make_widget(qtbot, make_profile())
    row = column(w, 0).index(HOSTILE)
    tip = w.proxy.index(row, 0).data(Qt.ItemDataRole.ToolTipRole)
    doc = QTextDocument()
    doc.setHtml(tip)  # a tooltip is shown as rich text: this is what the user reads
    assert doc.toPlainText() == f"{HOSTILE}\n<b>odd</b>.py:7"


def test_a_hidden_table_refreshes_when_shown(qtbot: QtBot) -> None:
    state, w = make_widget(qtbot, make_profile())
    w.hide()
    state.set_threads(frozenset({1}))
    qtbot.wait(20)
    assert "121 samples" in w.summary.text()  # not recomputed while hidden
    w.show()
    qtbot.waitUntil(lambda: "12 samples" in w.summary.text())


def test_selected_numpy_call_shows_the_selectors_advice(qtbot: QtBot) -> None:
    p = Profile(rate_hz=100)
    main = p.frames.intern("main", "app.py", 1)
    hist = p.frames.intern("histogram", "/venv/site-packages/numpy/lib/_histograms_impl.py", 9)
    t = p.add_thread(1, 11, "MainThread")
    w = p.add_window(Window(0.0, 1.0))
    p.add_samples(w, t, {p.stacks.intern([main, hist]): 80, p.stacks.intern([main]): 20})
    state, widget = make_widget(qtbot, p)
    state.select_function(fid(p, "main"))
    assert not widget.advice.isVisible()
    state.select_function(fid(p, "histogram"))
    qtbot.waitUntil(widget.advice.isVisible, timeout=2000)
    assert "Histogram" in widget.advice.text() and "batuta" in widget.advice.text()
