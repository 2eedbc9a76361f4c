"""Help → Permissions…: the real report of this machine, laid out offscreen."""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from app.core.privileges import report
from app.ui.main_window import MainWindow
from app.ui.privileges_dialog import PrivilegesDialog, is_permission_problem


def test_dialog_lists_what_works_and_the_options(qtbot: QtBot) -> None:
    rep = report()
    dlg = PrivilegesDialog(rep=rep)
    qtbot.addWidget(dlg)
    dlg.show()
    titles = [box.title() for box in dlg.option_boxes]
    assert len(titles) == len(rep.options) >= 5
    assert titles[0].startswith("1. Let sovprof launch the program")
    assert any("CAP_SYS_PTRACE" in t for t in titles)
    assert any("sudo or pkexec" in t for t in titles)
    assert any("perf_event_paranoid" in t for t in titles)
    setcap = next(b for b in dlg.option_boxes if b.option.key == "setcap_ptrace")
    assert "sudo setcap cap_sys_ptrace+ep" in setcap.commands.toPlainText()
    assert setcap.commands.isReadOnly()
    assert set(dlg.ability_labels) >= {"own", "other_users", "hardware_counters"}
    own = dlg.ability_labels["own"].text()
    assert own.startswith("✔" if rep.ability("own").works else "✘")
    if rep.facts.ptrace_scope is None:
        texts = [w.text() for w in dlg.body.findChildren(QLabel)]
        assert any("no Yama LSM" in t for t in texts)


def test_copy_puts_the_commands_on_the_clipboard(qtbot: QtBot) -> None:
    dlg = PrivilegesDialog(rep=report())
    qtbot.addWidget(dlg)
    box = next(b for b in dlg.option_boxes if b.option.key == "perf_paranoid")
    qtbot.mouseClick(box.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == "\n".join(box.option.commands)


def test_help_menu_and_a_permission_failure_open_it(qtbot: QtBot, sovprof_home: Path) -> None:
    settings = QSettings(str(sovprof_home / "gui.ini"), QSettings.Format.IniFormat)
    win = MainWindow(sovprof_home / "sessions.sqlite", settings)
    qtbot.addWidget(win)
    win.show()
    try:
        help_menu = next(a.menu() for a in win.menuBar().actions() if a.text() == "&Help")
        action = next(a for a in help_menu.actions() if a.text() == "Permissions…")
        action.trigger()
        dlg = win.findChild(PrivilegesDialog)
        assert dlg is not None and dlg.isVisible() and not dlg.problem.isVisible()
        dlg.close()

        win._on_failed("py-spy failed on PID 1: something else")
        assert not dlg.isVisible()  # not a permission problem: no dialog
        message = (
            "not permitted to trace PID 1 (Permission Denied); run as the same user with "
            "ptrace allowed"
        )
        assert is_permission_problem(message)
        win._on_failed(message)
        assert dlg.isVisible() and win.findChildren(PrivilegesDialog) == [dlg]
        assert dlg.problem.isVisible() and dlg.problem.text() == message
        assert dlg.pid == 1 and "target" in dlg.ability_labels
        body = dlg.body
        win._on_failed(message)  # again: the same dialog, rebuilt with a fresh report
        assert win.findChildren(PrivilegesDialog) == [dlg] and dlg.body is not body
        assert not shiboken6.isValid(body)  # the old body is gone, not stacked under the new
    finally:
        win.recorder.shutdown()
