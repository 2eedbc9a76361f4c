"""The comparison view, offscreen: two real recordings of a real target, real widgets."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from pathlib import Path

import numpy as np
import pytest
from diff_recordings import DiffStore, diff_store
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.core.diff import compare_profiles
from app.core.difftree import DIFF_STEPS
from app.core.model.profile import Profile, Window
from app.core.store import Store
from app.ui.compare import CompareWidget, CompareWindow, SessionPairDialog
from app.ui.main_window import MainWindow


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> DiffStore:
    return diff_store(tmp_path_factory, ("before", "after"))


def _not_blank(image: QImage) -> bool:
    ptr = image.convertToFormat(QImage.Format.Format_RGB32).constBits()
    return float(np.frombuffer(ptr, dtype=np.uint8).std()) > 10.0


def _frame(widget: CompareWidget, name: str) -> int:
    """Layout index of the (first) frame of function ``name``."""
    for i, key in enumerate(widget.layout_data.key.tolist()):
        if widget.functions[key][0] == name:
            return i
    raise KeyError(name)


@pytest.mark.pyspy
def test_the_window_shows_the_verdict_and_the_changed_function(
    qtbot: QtBot, recorded: DiffStore, tmp_path: Path
) -> None:
    win = CompareWindow(recorded.store_path, recorded.ids["before"], recorded.ids["after"])
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    qtbot.waitUntil(lambda: win.widget is not None, timeout=20000)
    w = win.widget
    assert w is not None
    # the verdict first, above everything else
    text = w.verdict_label.text()
    assert text == w.result.sentence and text.startswith(w.result.verdict + ": ")
    assert "hot" in text and "regressed" in text
    assert w.layout().indexOf(w.verdict_label) == 0
    # the table: changed functions first, with their verdicts
    rows = {w.table.item(r, 0).text(): r for r in range(w.table.rowCount())}
    assert w.table.item(rows["hot"], 5).text() == "regressed"
    assert w.table.item(rows["cold"], 5).text() == "improved"
    assert w.table.item(rows["steady"], 5).text() == "noise"
    assert {w.table.item(0, 0).text(), w.table.item(1, 0).text()} == {"hot", "cold"}
    # the differential flame graph: hot red, cold blue, steady grey
    hot, cold, steady = (_frame(w, n) for n in ("hot", "cold", "steady"))
    bucket = w.buckets[w.layout_data.key]
    assert bucket[hot] > DIFF_STEPS + 5 and bucket[cold] < DIFF_STEPS - 5
    assert bucket[steady] == DIFF_STEPS
    assert "after:" in w.item.tooltip_text(hot) and "points" in w.item.tooltip_text(hot)
    qtbot.waitUntil(lambda: w.item.painted_frames > 0, timeout=5000)
    shot = tmp_path / "compare.png"
    assert win.grab().save(str(shot)) and _not_blank(QImage(str(shot)))

    # selecting a row highlights that function's frames; a click zooms
    assert w.select_function("hot")
    mask = w.item.match_mask
    assert mask is not None and mask[hot] and not mask[cold]
    hot_node = int(w.layout_data.node[hot])
    w.zoom_to(hot)
    assert w.layout_data.span == w.tree.total[hot_node]
    assert w.focus_path and w.functions[w.focus_path[-1]][0] == "hot"
    w.reset_zoom()
    assert w.focus_path == []


def _profile(names: dict[str, int], windows: int = 3) -> Profile:
    p = Profile(rate_hz=100.0, meta={"options": {"window_s": 1}})
    t = p.add_thread(1, 2, "<b>thread</b>")
    root = p.frames.intern("<module>", "/tmp/<x>.py", 1)
    for w in range(windows):
        p.add_window(Window(10.0 + w, 11.0 + w))
        stacks = {p.stacks.intern([root, p.frames.intern(n, "/tmp/a.py", 2)]): c
                  for n, c in names.items()}  # fmt: skip
        p.add_samples(w, t, stacks)
    return p


def test_hostile_names_stay_plain_text(qtbot: QtBot) -> None:
    evil = "<img src=x onerror=alert(1)>"
    a = _profile({evil: 10, "a;b c": 90})
    b = _profile({evil: 60, "a;b c": 40})
    w = CompareWidget(compare_profiles(a, b))
    qtbot.addWidget(w)
    assert w.table.item(0, 0).text() in (evil, "a;b c")
    tip = w.item.tooltip_text(_frame(w, evil))
    assert "&lt;img src=x onerror=alert(1)&gt;" in tip and "<img" not in tip
    assert w.verdict_label.textFormat().name == "PlainText"


def test_the_session_dialog_picks_the_last_two(qtbot: QtBot, tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as store:
        ids = [store.save_profile(_profile({"f": 5}), name=f"s{i}", target="t") for i in range(3)]
        sessions = store.list_sessions()
    dialog = SessionPairDialog(sessions)
    qtbot.addWidget(dialog)
    assert dialog.chosen() == (ids[1], ids[2])
    dialog.before.setCurrentIndex(0)
    assert dialog.chosen() == (ids[0], ids[2])


def test_file_compare_sessions_opens_the_comparison(qtbot: QtBot, sovprof_home: Path) -> None:
    store_path = sovprof_home / "sessions.sqlite"
    with Store(store_path) as store:
        store.save_profile(_profile({"hot": 10, "cold": 90}), name="before", target="t")
        store.save_profile(_profile({"hot": 60, "cold": 40}), name="after", target="t")
    settings = QSettings(str(sovprof_home / "gui.ini"), QSettings.Format.IniFormat)
    win = MainWindow(store_path, settings, restore=False)
    qtbot.addWidget(win)
    file_menu = win.menuBar().actions()[0].menu()
    (action,) = [a for a in file_menu.actions() if a.text() == "Compare sessions…"]

    def accept() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, SessionPairDialog)
        assert [dialog.before.currentText()[:9], dialog.after.currentText()[:8]] == [
            "1: before",
            "2: after",
        ]
        dialog.accept()

    QTimer.singleShot(0, accept)
    action.trigger()
    (compare,) = win.findChildren(CompareWindow)
    qtbot.waitUntil(lambda: compare.widget is not None, timeout=10000)
    assert compare.widget is not None
    assert compare.widget.result.verdict == "inconclusive"  # CPU-bound, and hot grew
    assert "hot" in compare.widget.verdict_label.text()
    compare.close()
    win.recorder.shutdown()
