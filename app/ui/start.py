"""The start screen: what a newcomer sees first."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.store import SessionInfo

_COLUMNS = ("Name", "Status", "Started", "Length", "Samples")


class StartPage(QWidget):
    """Actions to begin a profile, and the recent sessions."""

    attachRequested = Signal()
    launchRequested = Signal()
    clusterRequested = Signal()
    demoRequested = Signal()
    openFileRequested = Signal()
    sessionActivated = Signal(int)
    renameRequested = Signal(int)
    deleteRequested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("Sovereign Profiler")
        f = QFont(title.font())
        f.setPointSizeF(f.pointSizeF() * 1.8)
        f.setBold(True)
        title.setFont(f)
        subtitle = QLabel(
            "Measure → hypothesize → change → measure again. Keep the change only if the "
            "numbers say so."
        )
        subtitle.setWordWrap(True)
        self.demo_button = self._big("Profile the demo workload", "Ctrl+D", self.demoRequested)
        self.attach_button = self._big("Attach to process…", "Ctrl+Shift+A", self.attachRequested)
        self.launch_button = self._big("Launch program…", "Ctrl+L", self.launchRequested)
        self.cluster_button = self._big(
            "Profile Dask cluster…", "Ctrl+Shift+C", self.clusterRequested
        )
        self.open_button = self._big("Open file…", "Ctrl+O", self.openFileRequested)
        actions = QVBoxLayout()
        for b in (
            self.demo_button,
            self.attach_button,
            self.launch_button,
            self.cluster_button,
            self.open_button,
        ):
            actions.addWidget(b)
        actions.addStretch(1)

        self.sessions = QTableWidget(0, len(_COLUMNS))
        self.sessions.setHorizontalHeaderLabels(list(_COLUMNS))
        self.sessions.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.sessions.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.sessions.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.sessions.verticalHeader().setVisible(False)
        self.sessions.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.sessions.doubleClicked.connect(self._activate)
        self.open_session = QPushButton("Open")
        self.open_session.clicked.connect(self._activate)
        self.rename_session = QPushButton("Rename…")
        self.rename_session.clicked.connect(lambda: self._emit_selected(self.renameRequested))
        self.delete_session = QPushButton("Delete")
        self.delete_session.clicked.connect(lambda: self._emit_selected(self.deleteRequested))
        self.empty = QLabel(
            "No sessions yet — profile the demo workload to see a live flame graph."
        )
        session_buttons = QHBoxLayout()
        for b in (self.open_session, self.rename_session, self.delete_session):
            session_buttons.addWidget(b)
        session_buttons.addStretch(1)
        recent = QVBoxLayout()
        recent.addWidget(QLabel("Recent sessions"))
        recent.addWidget(self.sessions, 1)
        recent.addWidget(self.empty)
        recent.addLayout(session_buttons)

        body = QHBoxLayout()
        body.addLayout(actions, 0)
        body.addSpacing(24)
        body.addLayout(recent, 1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(32, 24, 32, 24)
        outer.addWidget(title)
        outer.addWidget(subtitle)
        outer.addSpacing(16)
        outer.addLayout(body, 1)
        self._ids: list[int] = []

    def _big(self, text: str, shortcut: str, signal: Signal) -> QPushButton:
        b = QPushButton(f"{text}    ({shortcut})")
        b.setMinimumHeight(44)
        b.setMinimumWidth(300)
        b.clicked.connect(signal.emit)
        return b

    def set_sessions(self, sessions: list[SessionInfo]) -> None:
        """Show sessions newest first."""
        rows = sorted(sessions, key=lambda s: s.started or 0.0, reverse=True)
        self._ids = [s.id for s in rows]
        self.sessions.setRowCount(len(rows))
        for r, s in enumerate(rows):
            started = (
                time.strftime("%Y-%m-%d %H:%M", time.localtime(s.started)) if s.started else ""
            )
            cells = (
                s.name or "",
                s.status,
                started,
                f"{s.duration:.1f} s" if s.duration else "",
                str(s.samples),
            )
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c >= 3:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.sessions.setItem(r, c, item)
        self.sessions.resizeColumnsToContents()
        self.sessions.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.empty.setVisible(not rows)
        for b in (self.open_session, self.rename_session, self.delete_session):
            b.setEnabled(bool(rows))

    def selected_session(self) -> int | None:
        rows = self.sessions.selectionModel().selectedRows()
        if not rows:
            return self._ids[0] if self._ids else None
        return self._ids[rows[0].row()]

    def _activate(self) -> None:
        self._emit_selected(self.sessionActivated)

    def _emit_selected(self, signal: Signal) -> None:
        sid = self.selected_session()
        if sid is not None:
            signal.emit(sid)
