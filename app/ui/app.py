"""Starting the desktop app: QApplication, theme, settings, the main window."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from app.resources import ICON_SIZES, icon_path


@dataclass
class GuiRequest:
    """What `sovprof gui` was asked to open."""

    store_path: Path
    pid: int | None = None
    demo: bool = False
    dask: str | None = None  # a scheduler address, or "embedded"
    command: list[str] = field(default_factory=list)
    session: int | None = None
    screenshot: str | None = None
    after_s: float = 3.0
    select: str | None = None


def settings_for(store_path: Path) -> QSettings:
    """Settings beside the store when $SOVPROF_HOME is set (tests, portable use)."""
    home = os.environ.get("SOVPROF_HOME")
    if home:
        return QSettings(str(Path(home) / "gui-settings.ini"), QSettings.Format.IniFormat)
    return QSettings("sovprof", "sovprof")


def apply_theme(app: QApplication) -> None:
    """Fusion style, light or dark following the system; pyqtgraph to match."""
    import pyqtgraph as pg

    app.setStyle("Fusion")
    dark = QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark
    palette = app.palette()
    if dark:
        palette = QPalette()
        for role, color in (
            (QPalette.ColorRole.Window, "#2b2b2b"),
            (QPalette.ColorRole.WindowText, "#e6e6e6"),
            (QPalette.ColorRole.Base, "#1f1f1f"),
            (QPalette.ColorRole.AlternateBase, "#2b2b2b"),
            (QPalette.ColorRole.Text, "#e6e6e6"),
            (QPalette.ColorRole.Button, "#353535"),
            (QPalette.ColorRole.ButtonText, "#e6e6e6"),
            (QPalette.ColorRole.Highlight, "#3d7bd9"),
            (QPalette.ColorRole.HighlightedText, "#ffffff"),
            (QPalette.ColorRole.ToolTipBase, "#353535"),
            (QPalette.ColorRole.ToolTipText, "#e6e6e6"),
        ):
            palette.setColor(role, color)
        app.setPalette(palette)
    base = palette.color(QPalette.ColorRole.Base)
    text = palette.color(QPalette.ColorRole.Text)
    pg.setConfigOptions(background=base, foreground=text, antialias=False)


def app_icon() -> QIcon:
    """The window icon, from the rendered PNGs (no SVG plugin needed)."""
    icon = QIcon()
    for size in ICON_SIZES:
        path = icon_path(size)
        if path.is_file():
            icon.addFile(str(path), QSize(size, size))
    return icon


def run(req: GuiRequest) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Sovereign Profiler")
    app.setOrganizationName("sovprof")
    app.setDesktopFileName("sovprof")  # matches packaging/sovprof.desktop (Wayland app id)
    app.setWindowIcon(app_icon())
    apply_theme(app)
    from app.ui.main_window import MainWindow

    # A screenshot (docs, tests) uses the default layout, not the user's saved one.
    window = MainWindow(
        req.store_path, settings_for(req.store_path), restore=req.screenshot is None
    )
    window.show()
    if req.pid is not None:
        window.record_pid(req.pid)
    elif req.demo:
        window.record_demo()
    elif req.dask:
        window.record_cluster(req.dask)
    elif req.command:
        window.record_command(req.command)
    elif req.session is not None:
        window.open_session(req.session)
    if req.select:
        window.select_when_seen(req.select)
    if req.screenshot:
        target = req.screenshot

        def grab() -> None:
            window.grab().save(target)
            window.close()
            app.quit()

        QTimer.singleShot(int(req.after_s * 1000), grab)
    return int(app.exec())
