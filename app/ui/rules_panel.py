"""The seed's rules of thumb, measured here: alignment, algorithm, allocation.

Runs :func:`kernels.rules.run_rules` off the GUI thread and shows, per rule, the seed's
claim beside what this machine measured (ratio with its 95 % CI and a verdict), and
every comparison in a table.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.ui.suites import _Call, _keep
from kernels import rules
from kernels.selector import fmt_time

COLUMNS = ("rule", "tier", "case", "size", "fast", "slow", "slow ÷ fast (95 % CI)", "verdict")


class RulesPanel(QWidget):
    """Run button, progress, one line per rule (claim vs measured), the comparisons."""

    finished = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.results: list[rules.Comparison] = []
        self.problems: dict[str, str] = {}
        self._thread: _Call | None = None

        self.run_button = QPushButton("▶ Measure the rules")
        self.run_button.clicked.connect(self.start)
        self.quick = QCheckBox("quick (fewer sizes and samples)")
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status = QLabel("Measures the seed's rules of thumb on this machine.")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        top = QHBoxLayout()
        top.addWidget(self.run_button)
        top.addWidget(self.quick)
        top.addWidget(self.progress, 1)
        top.addStretch(1)

        # one unwrapped label per rule: a word-wrapped label gets squeezed by the table
        self.claim_labels: dict[str, QLabel] = {}
        claims = QVBoxLayout()
        claims.setSpacing(6)
        for rule in rules.CLAIMS:
            label = QLabel()
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.claim_labels[rule] = label
            claims.addWidget(label)
        self._show_claims()

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addLayout(claims)
        layout.addWidget(self.table, 1)

    # -- running ----------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None and self._thread.isRunning():
            return
        quick = self.quick.isChecked()
        self.run_button.setEnabled(False)
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)
        self.status.setText("measuring… (each rule runs in its tier's own process)")
        thread = _Call(lambda: rules.run_rules(quick=quick))  # no parent: see _keep
        thread.done.connect(self._done)
        thread.failed.connect(self._failed)
        _keep(thread)
        self._thread = thread
        thread.start()

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def _done(self, result: Any) -> None:
        self.results, self.problems = result
        self._finish(f"{len(self.results)} comparisons")

    def _failed(self, message: str) -> None:
        self._finish(f"failed: {message}")

    def _finish(self, text: str) -> None:
        self.run_button.setEnabled(True)
        self.progress.setVisible(False)
        extra = "; ".join(f"{k}: {v}" for k, v in self.problems.items())
        self.status.setText(text + (f" — {extra}" if extra else ""))
        self._show_claims()
        self._fill()
        self.finished.emit()

    # -- views --------------------------------------------------------------------------

    def _show_claims(self) -> None:
        measured = rules.summary(self.results) if self.results else {}
        for rule, claim in rules.CLAIMS.items():
            here = measured.get(rule)
            line = f"<b>{rule}</b> — the seed says “{claim}”."
            line += (
                f"<br>&nbsp;&nbsp;&nbsp;This machine: {_escape(here)}"
                if here
                else " <i>not measured yet</i>"
            )
            self.claim_labels[rule].setText(line)

    def claims_text(self) -> str:
        return "\n".join(label.text() for label in self.claim_labels.values())

    def _fill(self) -> None:
        self.table.setRowCount(len(self.results))
        for row, r in enumerate(self.results):
            values = [r.rule, r.tier, r.case, f"{r.size:,}", fmt_time(r.fast_s),
                      fmt_time(r.slow_s), f"{r.ratio:.2f}× [{r.ci_low:.2f}, {r.ci_high:.2f}]",
                      r.verdict]  # fmt: skip
            for col, text in enumerate(values):
                item = QTableWidgetItem(text)
                if col in (3, 4, 5, 6):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if r.detail:
                    item.setToolTip("\n".join(f"{k}: {v}" for k, v in r.detail.items()))
                self.table.setItem(row, col, item)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
