"""The Allocations dock on a real `sovprof record --allocations` session, offscreen."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from app.core.model.profile import Profile, Window
from app.core.store import Store
from app.ui.main_window import MainWindow
from sovprof_testing import TARGETS, run_cli

pytestmark = pytest.mark.pyspy


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A store holding one real session recorded with --allocations, and its id."""
    home = tmp_path_factory.mktemp("alloc-home")
    res = run_cli(
        "record", "--allocations", "--duration", "2", "--json", "--",
        sys.executable, str(TARGETS / "alloc_hot_loop.py"), home=home, timeout=180,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    return home / "sessions.sqlite", int(json.loads(res.stdout)["session"])


@pytest.fixture
def window(qtbot: QtBot, recorded: tuple[Path, int], tmp_path: Path) -> Iterator[MainWindow]:
    settings = QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat)
    win = MainWindow(recorded[0], settings, restore=False)
    qtbot.addWidget(win)
    win.resize(1600, 1000)
    win.show()
    yield win
    win.recorder.shutdown()


def _not_blank(image: QImage) -> bool:
    ptr = image.convertToFormat(QImage.Format.Format_RGB32).constBits()
    return float(np.frombuffer(ptr, dtype=np.uint8).std()) > 10.0


def _flame_names(win: MainWindow) -> set[str]:
    view = win.allocations
    names = view.shown_profile().frames.functions
    return {names[int(k)][0] for k in view.flame.layout_data.key}


def test_a_session_with_allocations_offers_them(
    qtbot: QtBot, window: MainWindow, recorded: tuple[Path, int]
) -> None:
    store_path, session = recorded
    dock, view = window.allocations_dock, window.allocations
    assert not dock.isVisible()  # the start page
    [view_menu] = [a.menu() for a in window.menuBar().actions() if a.text() == "&View"]
    assert dock.toggleViewAction() in view_menu.actions()
    window.open_session(session)
    qtbot.waitUntil(dock.isVisible, timeout=5000)
    capture = view.capture
    assert capture is not None and view.body.isVisible() and not view.empty.isVisible()

    # allocations inside hot loops: build_buffers, with its reason
    assert view.hot_loop_names()[0] == "build_buffers"
    why = view.hot_why.text()
    assert why.startswith("build_buffers has") and "allocate once outside the loop" in why
    assert "alloc_hot_loop.py" in view.hot_list.topLevelItem(0).text(4)

    # the flame graph weighs by bytes, then by count
    assert view.mode == "bytes"
    assert view.flame.layout_data.root_total == capture.total_bytes
    assert "build_buffers" in _flame_names(window)
    assert "samples" not in view.flame.item.tooltip_text(0)
    view.count_button.click()
    assert view.mode == "count" and view.shown_profile() is capture.count_profile
    assert view.flame.layout_data.root_total == capture.total_allocations
    assert capture.total_allocations != capture.total_bytes
    assert "allocations" in view.flame.item.tooltip_text(0)
    view.bytes_button.click()
    assert view.flame.layout_data.root_total == capture.total_bytes

    # top allocating functions: build_buffers allocates the most bytes in its own lines
    first = view.top_list.topLevelItem(0)
    assert first is not None and first.text(0) == "build_buffers"
    view.top_list.setCurrentItem(first)
    fid = view.alloc_state.selected_function
    assert fid is not None and capture.bytes_profile.frames.functions[fid][0] == "build_buffers"

    # allocations per second, on the session's time axis (seconds since its first window)
    x, y = view.curve.getData()
    profile = window.state.profile
    assert x is not None and y is not None and len(x) == len(capture.series) + 1
    assert x[0] == pytest.approx(capture.series.starts[0] - profile.start)
    assert -0.5 < x[0] < 1.0 and abs(x[-1] - profile.duration) < 1.0
    assert float(np.max(y)) > 0
    (x0, x1), _ = view.plot.viewRange()
    assert x0 <= 0.0 and x1 >= profile.duration
    first_window = profile.windows[0]
    window.state.set_time_range((first_window.start, first_window.start + 0.5))
    assert view.region.isVisible()
    assert view.region.getRegion()[0] == pytest.approx(first_window.start - profile.start)

    window.resizeDocks([dock], [700], Qt.Orientation.Horizontal)
    qtbot.wait(50)
    assert _not_blank(dock.grab().toImage())

    # a session without allocations hides the dock; the one with them shows it again
    quiet = Profile(rate_hz=100.0)
    quiet.add_window(Window(10.0, 11.0, 100))
    with Store(store_path) as store:
        other = store.save_profile(quiet, "no allocations", "nothing")
    try:
        window.open_session(other)
        assert not dock.isVisible() and view.capture is None and not view.empty.isHidden()
        window.open_session(session)
        assert dock.isVisible() and view.capture is not None
    finally:
        with Store(store_path) as store:
            store.delete(other)
    window.show_start()
    assert not dock.isVisible()
