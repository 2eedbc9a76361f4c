"""The source view: line heat, radon complexity, missing files, hostile names."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextFormat
from pytestqt.qtbot import QtBot

from app.core.model.profile import Profile, Window
from app.ui.source_view import SourceViewWidget
from app.ui.state import ViewState

HOSTILE = "<b>bold</b><script>alert(1)</script>"

CODE = """\
import time


def setup():
    return [1, 2, 3]


def classify(x, mode):
    if x > 10:
        return "big"
    elif x > 5:
        return "medium"
    if mode == "a":
        return "a"
    elif mode == "b":
        return "b"
    for i in range(x):
        if i % 7 == 0 and i:
            return "seven"
        while i > 100:
            i -= 1
    return "small"


class Engine:
    def run(self, items):
        total = 0
        for item in items:
            total += len(classify(item, "a"))
        return total


def main():
    Engine().run(setup() * 1000)
"""
# classify: 1 + if + elif + if + elif + for + if + and + while = 9... radon counts
# boolean operators too: 1 + 2 (if/elif) + 2 (if/elif) + 1 (for) + 1 (if) + 1 (and) + 1 (while)
CLASSIFY_CC = 9


def write_code(tmp_path: Path) -> str:
    path = tmp_path / "engine.py"
    path.write_text(CODE, encoding="utf-8")
    return str(path)


def make_profile(path: str) -> Profile:
    p = Profile(rate_hz=100)
    main = p.frames.intern("main", path, 34)
    run = p.frames.intern("Engine.run", path, 29)
    c10 = p.frames.intern("classify", path, 10)
    c19 = p.frames.intern("classify", path, 19)
    c21 = p.frames.intern("classify", path, 21)
    p.add_thread(1, 1, "MainThread")
    w0 = p.add_window(Window(10.0, 11.0))
    w1 = p.add_window(Window(11.0, 12.0))
    p.add_samples(
        w0,
        0,
        {
            p.stacks.intern([main, run, c19]): 50,
            p.stacks.intern([main, run, c21]): 20,
            p.stacks.intern([main, run]): 10,
        },
    )
    p.add_samples(w1, 0, {p.stacks.intern([main, run, c10]): 20})
    return p


def fid(p: Profile, name: str) -> int:
    return next(i for i, (fn, _) in enumerate(p.frames.functions) if fn == name)


@pytest.fixture
def state() -> ViewState:
    return ViewState()


def make_widget(qtbot: QtBot, state: ViewState) -> SourceViewWidget:
    w = SourceViewWidget(state)
    qtbot.addWidget(w)
    w.resize(900, 700)
    w.show()
    qtbot.waitExposed(w)
    return w


def heat_lines(w: SourceViewWidget) -> set[int]:
    lines = set()
    for sel in w.code.extraSelections():
        assert sel.format.property(QTextFormat.Property.FullWidthSelection)
        lines.add(sel.cursor.blockNumber() + 1)
    return lines


def test_heat_on_the_right_lines_and_scroll_to_hottest(
    qtbot: QtBot, state: ViewState, tmp_path: Path
) -> None:
    path = write_code(tmp_path)
    p = make_profile(path)
    state.set_profile(p)
    w = make_widget(qtbot, state)
    assert "Select a function" in w.message.text()
    state.select_function(fid(p, "classify"))
    qtbot.waitUntil(lambda: w.stack.currentWidget() is w.code)
    assert heat_lines(w) == {10, 19, 21, 29, 34}
    assert w.code.counts[19] == (50, 50)
    assert w.code.counts[29] == (10, 100)  # Engine.run: self 10, total 100
    assert w.code.document().findBlockByNumber(18).text().strip() == 'return "seven"'
    assert w.code.textCursor().blockNumber() + 1 == 19  # the hottest line
    first = w.code.first_visible_line()
    assert first <= 19 < first + 30
    # the time filter re-aggregates the heat
    state.set_time_range((11.2, 11.8))
    qtbot.waitUntil(lambda: 19 not in w.code.counts)
    assert heat_lines(w) == {10, 29, 34}


def test_header_shows_radon_complexity_and_share(
    qtbot: QtBot, state: ViewState, tmp_path: Path
) -> None:
    path = write_code(tmp_path)
    p = make_profile(path)
    state.set_profile(p)
    w = make_widget(qtbot, state)
    state.select_function(fid(p, "classify"))
    qtbot.waitUntil(lambda: w.badge.isVisible())
    assert w.title.text() == "classify"
    assert w.badge.text() == f"complexity {CLASSIFY_CC} · 90 % of samples (90)"
    assert f"{path}:8–22" in w.location.text()
    assert "hottest line 19" in w.location.text()
    # Engine.run is found as the method "Engine.run"
    state.select_function(fid(p, "Engine.run"))
    qtbot.waitUntil(lambda: w.title.text() == "Engine.run")
    assert w.badge.text().startswith("complexity 2 · 100 % ")


def test_functions_table_sorted_by_samples_with_complexity(
    qtbot: QtBot, state: ViewState, tmp_path: Path
) -> None:
    path = write_code(tmp_path)
    p = make_profile(path)
    state.set_profile(p)
    w = make_widget(qtbot, state)
    state.select_function(fid(p, "classify"))
    qtbot.waitUntil(lambda: w.functions_table.rowCount() > 0)
    table = w.functions_table
    names = [table.item(r, 0).text() for r in range(table.rowCount())]
    assert names == ["Engine.run", "main", "classify", "setup"]  # ties: more self first
    cc = {table.item(r, 0).text(): table.item(r, 2).text() for r in range(table.rowCount())}
    assert cc == {"main": "1", "Engine.run": "2", "classify": str(CLASSIFY_CC), "setup": "1"}
    # hot + complex is highlighted (with a lower bar, as classify is 9)
    row = next(r for r in w.rows if r.name == "classify")
    assert row.hot_and_complex(p.total_samples, min_cc=5)
    # clicking a sampled function selects it
    r = names.index("main")
    rect = table.visualItemRect(table.item(r, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert state.selected_function == fid(p, "main")


def test_hot_and_complex_is_highlighted(qtbot: QtBot, state: ViewState, tmp_path: Path) -> None:
    branches = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(14))
    path = tmp_path / "tangle.py"
    path.write_text(f"def tangle(x):\n{branches}    return -1\n", encoding="utf-8")
    p = Profile()
    f = p.frames.intern("tangle", str(path), 9)
    p.add_thread(1, 1, "MainThread")
    p.add_window(Window(0.0, 1.0))
    p.add_samples(0, 0, {p.stacks.intern([f]): 38})
    state.set_profile(p)
    w = make_widget(qtbot, state)
    state.select_function(0)
    qtbot.waitUntil(lambda: w.functions_table.rowCount() == 1)
    assert w.badge.text() == "complexity 15 · 100 % of samples (38)"
    assert "#f4c7bd" in w.badge.styleSheet()
    assert w.functions_table.item(0, 0).font().bold()


def test_missing_file_shows_a_message(qtbot: QtBot, state: ViewState) -> None:
    p = Profile()
    f = p.frames.intern("gone", "/x/y.py", 3)
    p.add_thread(1, 1, "MainThread")
    p.add_window(Window(0.0, 1.0))
    p.add_samples(0, 0, {p.stacks.intern([f]): 5})
    state.set_profile(p)
    w = make_widget(qtbot, state)
    state.select_function(0)
    qtbot.waitUntil(lambda: w.message.text().startswith("Source not available"))
    assert w.stack.currentWidget() is w.message
    assert w.message.text() == "Source not available: /x/y.py — no such file"
    assert w.badge.text() == "complexity n/a · 100 % of samples (5)"


def test_hostile_names_show_literally(qtbot: QtBot, state: ViewState, tmp_path: Path) -> None:
    odd_dir = tmp_path / "<i>dir"
    odd_dir.mkdir()
    path = odd_dir / '<b>m<b> "q".py'
    path.write_text("def f():\n    return '<script>alert(2)</script>'\n", encoding="utf-8")
    p = Profile()
    a = p.frames.intern(HOSTILE, str(path), 2)
    b = p.frames.intern(HOSTILE, "/no/<b>such</b>.py", 1)
    p.add_thread(1, 1, "MainThread")
    p.add_window(Window(0.0, 1.0))
    p.add_samples(0, 0, {p.stacks.intern([a]): 5, p.stacks.intern([b]): 1})
    state.set_profile(p)
    w = make_widget(qtbot, state)
    state.select_function(p.frames.frame_function[a])
    qtbot.waitUntil(lambda: w.title.text() == HOSTILE)
    for label in (w.title, w.location, w.badge, w.message):
        assert label.textFormat() == Qt.TextFormat.PlainText
    assert str(path) in w.location.text()
    assert "<script>alert(2)</script>" in w.code.toPlainText()
    assert w.functions_table.item(0, 0).text() == HOSTILE
    state.select_function(p.frames.frame_function[b])
    qtbot.waitUntil(lambda: w.stack.currentWidget() is w.message)
    assert w.message.text() == "Source not available: /no/<b>such</b>.py — no such file"


def test_grab_source_png(qtbot: QtBot, state: ViewState, tmp_path: Path) -> None:
    path = write_code(tmp_path)
    p = make_profile(path)
    state.set_profile(p)
    w = make_widget(qtbot, state)
    state.select_function(fid(p, "classify"))
    qtbot.waitUntil(lambda: w.functions_table.rowCount() > 0)
    qtbot.wait(50)
    assert w.grab().save("/tmp/source.png")


def test_scrolls_to_the_hottest_line_of_a_long_file(
    qtbot: QtBot, state: ViewState, tmp_path: Path
) -> None:
    path = tmp_path / "long.py"
    body = "".join(f"    x{i} = {i}\n" for i in range(600))
    path.write_text(f"def long():\n{body}", encoding="utf-8")
    p = Profile()
    hot = p.frames.intern("long", str(path), 450)
    cold = p.frames.intern("long", str(path), 20)
    p.add_thread(1, 1, "MainThread")
    p.add_window(Window(0.0, 1.0))
    p.add_samples(0, 0, {p.stacks.intern([hot]): 30, p.stacks.intern([cold]): 3})
    state.set_profile(p)
    w = make_widget(qtbot, state)
    state.select_function(0)
    qtbot.waitUntil(lambda: w.stack.currentWidget() is w.code)
    first = w.code.first_visible_line()
    assert 400 < first <= 450 < first + w.code._visible_lines()
    assert w.code.textCursor().blockNumber() + 1 == 450
    assert w.code.document().blockCount() == 601
    # a live update keeps the user's scroll position
    w.code.verticalScrollBar().setValue(0)
    p.add_samples(0, 0, {p.stacks.intern([hot]): 1})
    state.samples_added()
    assert w.code.counts[450] == (31, 31)
    assert w.code.first_visible_line() == 1
