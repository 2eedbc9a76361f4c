"""Help → Permissions…: what this user may profile, and copyable ways to allow more.

The model is ``app.core.privileges.PrivilegeReport`` (the same report as
``sovprof doctor``); this dialog only lays it out.  It is also offered when a
recording fails with a permission error.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.core.privileges import Option, PrivilegeReport, report

_PERMISSION_RE = re.compile(
    r"not permitted|permission denied|operation not permitted|ptrace_scope|cap_sys_ptrace|"
    r"owned by another user",
    re.IGNORECASE,
)
_PID_RE = re.compile(r"\bPID (\d+)")


def is_permission_problem(message: str) -> bool:
    """Whether a failure message is about ptrace/perf permissions."""
    return bool(_PERMISSION_RE.search(message))


def _label(text: str, *, bold: bool = False) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)  # paths and messages are never markup
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if bold:
        font = label.font()
        font.setBold(True)
        label.setFont(font)
    return label


class OptionBox(QGroupBox):
    """One option: what it costs, why, and its commands with a Copy button."""

    def __init__(self, number: int, option: Option, parent: QWidget | None = None) -> None:
        suffix = "" if option.needed else " (not needed here)"
        super().__init__(f"{number}. {option.title}{suffix}", parent)
        self.option = option
        lay = QVBoxLayout(self)
        lay.addWidget(_label(f"Privilege: {option.privilege}"))
        lay.addWidget(_label(option.explanation))
        self.commands = QPlainTextEdit("\n".join(option.commands))
        self.commands.setReadOnly(True)
        self.commands.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.commands.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        lines = max(1, len(option.commands))
        bar = self.commands.horizontalScrollBar().sizeHint().height()
        spacing = self.commands.fontMetrics().lineSpacing()
        self.commands.setFixedHeight(spacing * lines + bar + 16)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy these commands to the clipboard")
        self.copy_button.clicked.connect(self.copy)
        row = QHBoxLayout()
        row.addWidget(self.commands, 1)
        row.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignTop)
        lay.addLayout(row)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.commands.toPlainText())


class PrivilegesDialog(QDialog):
    """The permissions report: what works now, then the options."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        pid: int | None = None,
        problem: str = "",
        rep: PrivilegeReport | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Permissions")
        self.resize(760, 640)
        self.pid = pid
        self.problem = _label(problem, bold=True)
        self.problem.setVisible(bool(problem))
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.body = QWidget()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        refresh = buttons.addButton("Check again", QDialogButtonBox.ButtonRole.ActionRole)
        refresh.clicked.connect(lambda: self.show_report(report(self.pid)))
        lay = QVBoxLayout(self)
        lay.addWidget(self.problem)
        lay.addWidget(self.scroll_area, 1)
        lay.addWidget(buttons)
        self.option_boxes: list[OptionBox] = []
        self.rep: PrivilegeReport | None = None
        self.show_report(rep if rep is not None else report(pid))

    def show_report(self, rep: PrivilegeReport) -> None:
        self.rep = rep
        self.body = QWidget()
        lay = QVBoxLayout(self.body)
        f = rep.facts
        who = "root" if f.root else f"uid {f.uid}"
        yama = (
            "no Yama LSM"
            if f.ptrace_scope is None
            else f"kernel.yama.ptrace_scope={f.ptrace_scope}"
        )
        paranoid = "unreadable" if f.perf_event_paranoid is None else f.perf_event_paranoid
        lay.addWidget(
            _label(
                f"sovprof runs as {who} · {yama} · kernel.perf_event_paranoid={paranoid}\n"
                f"py-spy: {f.pyspy or 'not found'}"
                + (f" (file capabilities: {f.pyspy_caps.text()})" if f.pyspy_caps else "")
            )
        )
        lay.addWidget(_label("What works now", bold=True))
        self.ability_labels: dict[str, QLabel] = {}
        rows = [*rep.abilities, *([rep.target] if rep.target else [])]
        for a in rows:
            label = _label(f"{'✔' if a.works else '✘'}  {a.title} — {a.why}")
            self.ability_labels[a.key] = label
            lay.addWidget(label)
        for note in rep.notes:
            lay.addWidget(_label(note))
        lay.addWidget(
            _label(
                "Options, least privilege first. Each elevates only py-spy or changes one "
                "kernel setting — never run the sovprof window itself with sudo.",
                bold=True,
            )
        )
        self.option_boxes = [OptionBox(n, o) for n, o in enumerate(rep.options, 1)]
        for box in self.option_boxes:
            lay.addWidget(box)
        lay.addStretch(1)
        self.scroll_area.setWidget(self.body)  # deletes the previous body


def open_permissions(parent: QWidget, *, pid: int | None = None, problem: str = "") -> None:
    """Show the permissions dialog (one per parent window), without blocking."""
    dlg = parent.findChild(PrivilegesDialog)
    if dlg is None:
        dlg = PrivilegesDialog(parent, pid=pid, problem=problem)
    else:
        dlg.pid = pid if pid is not None else dlg.pid
        dlg.problem.setText(problem)
        dlg.problem.setVisible(bool(problem))
        dlg.show_report(report(dlg.pid))
    dlg.show()
    dlg.raise_()


def offer_permissions(parent: QWidget, message: str) -> bool:
    """Open the dialog when ``message`` is a permission failure; whether it did."""
    if not is_permission_problem(message):
        return False
    m = _PID_RE.search(message)
    open_permissions(parent, pid=int(m.group(1)) if m else None, problem=message)
    return True
