"""The waste bar: real widgets offscreen, on hand-made profiles and on a live recording."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QSettings
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from app.core.model.profile import Profile, Window
from app.core.waste import COMPUTE, TRANSPORT, WAITING
from app.ui.main_window import MainWindow
from app.ui.state import ViewState
from app.ui.waste_bar import COLORS, WasteBarWidget
from sovprof_testing import TARGETS

ROOT = ("<module>", "app.py", 1)


def _profile(cells: dict[str, list[tuple[tuple[str, str, int], int]]]) -> Profile:
    """Per thread, (leaf frame under ROOT, count) in one window; the leaves' files are
    stdlib-like paths so that the built-in rules recognise them without source."""
    p = Profile(rate_hz=100.0)
    w = p.add_window(Window(0.0, 1.0))
    for i, (thread, leaves) in enumerate(cells.items()):
        t = p.add_thread(1, 10 + i, thread)
        for leaf, n in leaves:
            sid = p.stacks.intern([p.frames.intern(*ROOT), p.frames.intern(*leaf)])
            p.add_samples(w, t, {sid: n})
    return p


CRUNCH = ("crunch", "app.py", 5)
JOIN = ("Thread.join", "/usr/lib/python3.11/threading.py", 1119)
DUMPS = ("dumps", "/usr/lib/python3.11/json/__init__.py", 231)


def _pixel(image: QImage, x: int, y: int) -> tuple[int, int, int]:
    c = image.pixelColor(x, y)
    return c.red(), c.green(), c.blue()


def test_bar_shows_shares_per_class_and_thread(qtbot: QtBot) -> None:
    state = ViewState()
    w = WasteBarWidget(state)
    qtbot.addWidget(w)
    w.resize(900, 120)
    w.show()
    assert w.breakdown.total == 0
    state.set_profile(_profile({"main": [(CRUNCH, 50), (DUMPS, 20)], "waiter": [(JOIN, 30)]}))
    b = w.breakdown
    assert (b.share(COMPUTE), b.share(WAITING), b.share(TRANSPORT)) == (0.5, 0.3, 0.2)
    assert "waiting <b>30.0%</b>" in w.legend.text()
    assert w.title.text() == "all threads  100"
    # the painted bar: compute on the left, transport on the right, in their colours
    image = w.bar.grab().toImage()
    y = 1  # above the labels
    assert _pixel(image, 2, y) == COLORS[COMPUTE]
    assert _pixel(image, int(image.width() * 0.65), y) == COLORS[WAITING]
    assert _pixel(image, image.width() - 3, y) == COLORS[TRANSPORT]
    assert w.bar.class_at(QPoint(int(w.bar.width() * 0.9), 5)) == TRANSPORT
    tip = w.bar.tooltip_for(WAITING)
    assert "30.0%" in tip and "Thread.join" in tip
    # per thread, on request
    assert not w.thread_area.isVisible()
    w.thread_button.setChecked(True)
    assert w.thread_area.isVisible()
    rows = {t.label.split(" ")[0]: t for t in w.threads.breakdown.threads}
    assert rows["waiter"].share(WAITING) == 1.0
    assert w.threads.row_at(QPoint(5, 5)) == 0
    left, right = w.threads.bar_span or (0, 0)
    assert right - left == w.bar.width()  # the thread bars line up with the main bar


def test_bar_follows_live_samples_and_filters(qtbot: QtBot) -> None:
    state = ViewState()
    w = WasteBarWidget(state)
    qtbot.addWidget(w)
    w.show()
    p = _profile({"main": [(CRUNCH, 10)], "waiter": [(JOIN, 10)]})
    state.set_profile(p)
    assert w.breakdown.share(WAITING) == 0.5
    sid = p.stacks.intern([p.frames.intern(*ROOT), p.frames.intern(*DUMPS)])
    p.add_samples(0, 0, {sid: 20})
    state.samples_added()
    assert w.breakdown.counts == {COMPUTE: 10, WAITING: 10, TRANSPORT: 20}
    state.set_threads(frozenset({1}))
    assert w.breakdown.counts == {COMPUTE: 0, WAITING: 10, TRANSPORT: 0}


@pytest.mark.pyspy
def test_main_window_records_a_sleeper_and_the_bar_says_waiting(
    qtbot: QtBot, sovprof_home: Path
) -> None:
    settings = QSettings(str(sovprof_home / "gui.ini"), QSettings.Format.IniFormat)
    win = MainWindow(sovprof_home / "sessions.sqlite", settings, restore=False)
    qtbot.addWidget(win)
    win.show()
    try:
        win.opt_boxes["idle"].setChecked(True)
        win.record_command([sys.executable, str(TARGETS / "waste_sleep.py"), "20"])
        assert win.docks["waste"].isVisible()
        qtbot.waitUntil(lambda: win.waste.breakdown.total >= 200, timeout=20000)
        assert win.waste.breakdown.share(WAITING) > 0.6
        image = win.grab().toImage()
        arr = np.frombuffer(image.convertToFormat(QImage.Format.Format_RGB32).constBits(), np.uint8)
        assert float(arr.std()) > 10.0
    finally:
        win.recorder.shutdown()
