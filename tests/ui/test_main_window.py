"""The whole app, offscreen: real widgets, the real py-spy, real targets."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from app.core.model.calltree import top_functions
from app.core.model.profile import Profile, Window
from app.core.store import Store
from app.ui.main_window import MainWindow
from app.ui.picker import ProcessPickerDialog
from sovprof_testing import TARGETS, run_cli


@pytest.fixture
def window(qtbot: QtBot, sovprof_home: Path) -> MainWindow:
    settings = QSettings(str(sovprof_home / "gui.ini"), QSettings.Format.IniFormat)
    win = MainWindow(sovprof_home / "sessions.sqlite", settings)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.recorder.shutdown()


def _not_blank(image: QImage) -> bool:
    ptr = image.convertToFormat(QImage.Format.Format_RGB32).constBits()
    arr = np.frombuffer(ptr, dtype=np.uint8)
    return float(arr.std()) > 10.0


def _flame_functions(win: MainWindow) -> set[str]:
    layout = win.flame.layout_data
    names = win.state.profile.frames.functions
    return {names[int(k)][0] for k in layout.key}


@pytest.mark.pyspy
def test_picker_lists_a_real_target(qtbot: QtBot, spawn_target: object) -> None:
    target = spawn_target("ratio_70_30", "30")  # type: ignore[operator]
    dlg = ProcessPickerDialog()
    qtbot.addWidget(dlg)
    assert dlg.select_pid(target.pid)
    chosen = dlg.selected()
    assert chosen is not None and chosen.pid == target.pid and chosen.attachable
    assert "ratio_70_30.py" in chosen.cmdline
    dlg.search.setText("ratio_70_30")
    assert dlg.proxy.rowCount() >= 1
    dlg.search.setText("no-such-process-name-xyz")
    assert dlg.proxy.rowCount() == 0


@pytest.mark.pyspy
def test_attach_records_live_and_every_view_follows(
    qtbot: QtBot, window: MainWindow, spawn_target: object, tmp_path: Path
) -> None:
    target = spawn_target("ratio_70_30", "60")  # type: ignore[operator]
    window.record_pid(target.pid)
    qtbot.waitUntil(lambda: len(window.state.profile.windows) >= 3, timeout=15000)
    assert window.recorder.state == "recording"
    assert "samples" in window.health.text()
    profile = window.state.profile
    assert top_functions(profile)[0].function == "seventy"
    assert "seventy" in _flame_functions(window)  # the flame-graph item holds the hot function

    # a range drag re-aggregates every view, also while recording
    first = profile.windows[0]
    window.state.set_time_range((first.start, first.start + 0.1))
    in_range = window.state.view_profile().total_samples
    assert 0 < in_range < profile.total_samples
    assert window.top.model.total_samples() == in_range

    # search highlights, and keeps across live updates (over every window: one
    # window's ~100 samples are too few for a tight bound on a 30 % share)
    window.state.set_time_range(None)
    window.flame.search_box.setText("thirty")
    assert 0.2 < window.flame.matched_fraction < 0.4
    n = len(window.state.profile.windows)
    qtbot.waitUntil(lambda: len(window.state.profile.windows) > n, timeout=5000)
    assert window.flame.search_box.text() == "thirty"
    assert 0.2 < window.flame.matched_fraction < 0.4

    window.act_pause.trigger()
    qtbot.waitUntil(lambda: window.recorder.state == "paused", timeout=10000)
    paused_at = len(window.state.profile.windows)
    window.act_pause.trigger()
    qtbot.waitUntil(lambda: len(window.state.profile.windows) > paused_at, timeout=10000)
    window.act_stop.trigger()
    qtbot.waitUntil(lambda: window.recorder.state == "stopped", timeout=10000)
    with Store(window.store_path) as store:
        (info,) = store.list_sessions()
        saved = store.load_profile(info.id)
    assert info.status == "stopped"
    assert saved.total_samples == window.state.profile.total_samples

    shot = tmp_path / "live.png"
    assert window.grab().save(str(shot))
    assert _not_blank(QImage(str(shot)))


def _hostile_profile() -> Profile:
    p = Profile(rate_hz=100)
    names = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "a;b c"]
    frames = [p.frames.intern(n, f"/tmp/{n}.py", 3) for n in names]
    t = p.add_thread(1, 2, "<b>thread</b>;x")
    w = p.add_window(Window(10.0, 11.0, 100))
    p.add_samples(w, t, {p.stacks.intern(frames[: i + 1]): 10 * (i + 1) for i in range(3)})
    return p


def test_hostile_names_show_as_plain_text(qtbot: QtBot, window: MainWindow) -> None:
    with Store(window.store_path) as store:
        sid = store.save_profile(_hostile_profile(), name="<i>hostile</i>", target="test")
    window.open_session(sid)
    model = window.top.model
    shown = {str(model.data(model.index(r, 0))) for r in range(model.rowCount())}
    assert {"<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "a;b c"} <= shown
    assert "a;b c" in _flame_functions(window)
    window.refresh_sessions()
    assert window.start_page.sessions.item(0, 0).text() == "<i>hostile</i>"


def test_start_page_lists_sessions_and_opens_them(qtbot: QtBot, window: MainWindow) -> None:
    with Store(window.store_path) as store:
        sid = store.save_profile(_hostile_profile(), name="saved one", target="test")
    window.show_start()
    assert window.start_page.sessions.rowCount() == 1
    window.start_page.sessionActivated.emit(sid)
    assert window.stack.currentWidget() is window.flame
    assert window.state.profile.total_samples == 60


def test_export_menu_is_the_renderer_table(window: MainWindow, tmp_path: Path) -> None:
    from app.core.formats import RENDERERS, import_file

    texts = [a.text() for a in window.export_menu.actions()]
    assert len(texts) == len(RENDERERS)
    assert all(any(t.startswith(name) for t in texts) for name in RENDERERS)
    window.state.set_profile(_hostile_profile())
    out = tmp_path / "x.speedscope.json"
    window.export("speedscope", str(out))
    assert import_file(out).total_samples == 60


def test_options_and_layout_are_remembered(qtbot: QtBot, sovprof_home: Path) -> None:
    path = str(sovprof_home / "remember.ini")
    first = MainWindow(sovprof_home / "s.sqlite", QSettings(path, QSettings.Format.IniFormat))
    qtbot.addWidget(first)
    first.rate.setValue(250)
    first.opt_boxes["gil"].setChecked(True)
    first.close()
    second = MainWindow(sovprof_home / "s.sqlite", QSettings(path, QSettings.Format.IniFormat))
    qtbot.addWidget(second)
    assert second.rate.value() == 250 and second.opt_boxes["gil"].isChecked()
    assert not second.opt_boxes["idle"].isChecked()


def test_no_display_is_one_line(sovprof_home: Path) -> None:
    from sovprof_testing import cli_env

    env = cli_env(sovprof_home)
    for key in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        env.pop(key, None)
    res = run_cli(env=env)
    assert res.returncode == 1
    (line,) = res.stderr.strip().splitlines()
    assert line.startswith("sovprof: error: no display")
    assert "sovprof record --demo" in line and "--screenshot" in line


@pytest.mark.pyspy
def test_gui_screenshot_of_a_live_demo(sovprof_home: Path, tmp_path: Path) -> None:
    from sovprof_testing import cli_env

    env = cli_env(sovprof_home)
    env.pop("DISPLAY", None)
    env.pop("QT_QPA_PLATFORM", None)
    shot = tmp_path / "demo.png"
    res = run_cli("gui", "--demo", "--screenshot", str(shot), "--after", "4", env=env)
    assert res.returncode == 0, res.stderr
    image = QImage(str(shot))
    assert image.width() >= 800 and _not_blank(image)
    assert TARGETS.exists() and os.path.getsize(shot) > 10_000
