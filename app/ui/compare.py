"""The comparison view: verdict first, the differential flame graph, the change table.

The numbers come from :func:`app.core.diff.compare_profiles`; this module only shows
them.  The flame graph reuses the app's culled, batched painter
(:class:`~app.ui.flamegraph.FlameGraphItem`) on the merged tree with one key per
node, so that every frame gets the colour of its own change: red where the share
grew, blue where it shrank, grey where it stayed (width: the mean of the two
shares).  A click on a frame zooms to it, a double click on the background zooms
back out; selecting a row of the table highlights that function's frames.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, Qt, QThread, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

import pyqtgraph as pg  # isort: skip  (PySide6 must be imported first)

from app.core.diff import FunctionChange, ProfileDiff, compare_profiles, format_p
from app.core.difftree import DiffTree, diff_ramp, node_buckets, node_keyed
from app.core.model.calltree import CallTree
from app.core.model.flame import PALETTE_SIZE, FlameLayout, layout_flame
from app.core.store import SessionInfo, Store, StoreError
from app.ui.flamegraph import ROW_PX, FlameGraphItem

VERDICT_COLORS = {
    "improved": QColor(205, 232, 255),
    "regressed": QColor(255, 214, 208),
    "noise": QColor(232, 232, 232),
    "inconclusive": QColor(255, 240, 200),
    "untested": QColor(232, 232, 232),
}
COLUMNS = ["Function", "Total before", "Total after", "Δ points", "p", "Verdict",
           "Self before", "Self after", "File"]  # fmt: skip


class DiffFlameItem(FlameGraphItem):
    """The flame-graph item painting a merged tree whose keys are node indices.

    Its palette is the diff ramp (blue → grey → red) instead of the module colours,
    padded to the base palette's size so that dimming (the base adds PALETTE_SIZE)
    still works for highlighting.
    """

    def __init__(self) -> None:
        super().__init__()
        ramp = diff_ramp()
        grey = ramp[len(ramp) // 2]
        full = ramp + [grey] * (PALETTE_SIZE - len(ramp))
        dimmed = [_fade(c) for c in full]
        self._brushes = [QBrush(QColor(*c)) for c in full + dimmed]
        self.diff: DiffTree | None = None

    def tooltip_text(self, index: int) -> str:
        diff = self.diff
        if diff is None:
            return ""
        node = int(self.flame_layout.key[index])
        name, file = diff.functions[diff.tree.key[node]]
        return (
            f"<b>{html.escape(name)}</b><br>{html.escape(file or '(no file)')}<br>"
            f"before: {100 * diff.share_a(node):.2f}% ({diff.a_total[node]:,} samples)<br>"
            f"after: {100 * diff.share_b(node):.2f}% ({diff.b_total[node]:,} samples)<br>"
            f"change: {100 * diff.delta(node):+.2f} points"
        )


def _fade(c: tuple[int, int, int]) -> tuple[int, int, int]:
    return (c[0] + 2 * 245) // 3, (c[1] + 2 * 245) // 3, (c[2] + 2 * 245) // 3


class _DiffViewBox(pg.ViewBox):  # type: ignore[misc]
    """Wheel zooms x only, drag pans, a click reports where it landed."""

    sigClicked = Signal(QPointF, bool)

    def __init__(self) -> None:
        super().__init__(enableMenu=False, defaultPadding=0.0)

    def wheelEvent(self, ev: Any, axis: int | None = None) -> None:
        super().wheelEvent(ev, axis=0)

    def mouseClickEvent(self, ev: Any) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        ev.accept()
        self.sigClicked.emit(self.mapSceneToView(ev.scenePos()), bool(ev.double()))


class CompareWidget(QWidget):
    """One comparison: the verdict line, the differential flame graph, the table."""

    def __init__(self, result: ProfileDiff, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result = result
        self.diff = result.tree
        self.tree: CallTree = node_keyed(self.diff)
        self.names = ["", *(self.diff.functions[k][0] for k in self.diff.tree.key[1:])]
        self.functions = [("", ""), *(self.diff.functions[k] for k in self.diff.tree.key[1:])]
        buckets = node_buckets(self.diff, range(len(self.tree)), None, result.significant_keys())
        self.buckets = np.asarray(buckets, dtype=np.int64)
        self.focus_path: list[int] = []
        self.layout_data: FlameLayout = layout_flame(self.tree, None, self.names)
        self._build_ui()
        self._relayout()
        self._fill_table()

    # -- construction -------------------------------------------------------------

    def _build_ui(self) -> None:
        r = self.result
        self.verdict_label = QLabel(r.sentence)
        self.verdict_label.setTextFormat(Qt.TextFormat.PlainText)
        self.verdict_label.setWordWrap(True)
        font = QFont(self.verdict_label.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.verdict_label.setFont(font)
        color = VERDICT_COLORS.get(r.verdict, VERDICT_COLORS["noise"]).name()
        self.verdict_label.setStyleSheet(f"background: {color}; padding: 8px;")
        self.sides_label = QLabel(f"before: {r.a.label()}\nafter:   {r.b.label()}")
        self.sides_label.setTextFormat(Qt.TextFormat.PlainText)
        self.legend = QLabel(
            "Red: share grew · blue: shrank · faded: not a significant change · width: mean "
            "share of before and after.  Click a frame to zoom, double-click the background "
            "to zoom out; select a row to highlight its function."
        )
        self.legend.setTextFormat(Qt.TextFormat.PlainText)
        self.legend.setWordWrap(True)
        self.reset_button = QToolButton()
        self.reset_button.setText("Reset zoom")
        self.reset_button.clicked.connect(self.reset_zoom)
        bar = QHBoxLayout()
        bar.addWidget(self.legend, 1)
        bar.addWidget(self.reset_button)

        self.view = pg.GraphicsView(background=self.palette().base().color())
        self.viewbox = _DiffViewBox()
        self.view.setCentralItem(self.viewbox)
        self.item = DiffFlameItem()
        self.item.diff = self.diff
        self.viewbox.addItem(self.item)
        self.viewbox.sigClicked.connect(self._on_click)
        self.viewbox.sigResized.connect(self._fit_rows)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._on_row)

        split = QSplitter(Qt.Orientation.Vertical)
        flame = QWidget()
        fl = QVBoxLayout(flame)
        fl.setContentsMargins(0, 0, 0, 0)
        fl.addLayout(bar)
        fl.addWidget(self.view, 1)
        split.addWidget(flame)
        split.addWidget(self.table)
        # the flame graph gets the rows it needs (within reason), the table the rest
        rows = min(max(self.layout_data.levels + 2, 8), 30)
        split.setSizes([int(rows * ROW_PX) + 40, 360])
        self.splitter = split

        box = QVBoxLayout(self)
        box.addWidget(self.verdict_label)
        box.addWidget(self.sides_label)
        box.addWidget(split, 1)

    def _fill_table(self) -> None:
        rows = self.result.functions
        self.table.setRowCount(len(rows))
        for i, f in enumerate(rows):
            for col, value in enumerate(_row(f)):
                cell = QTableWidgetItem(value)
                if 1 <= col <= 4 or col in (6, 7):
                    cell.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if col == 5:
                    cell.setBackground(QBrush(VERDICT_COLORS.get(f.verdict, QColor("white"))))
                if col == 0:
                    cell.setToolTip(html.escape(f"{f.function}\n{f.file}:{f.line}"))
                self.table.setItem(i, col, cell)

    # -- flame graph --------------------------------------------------------------

    def _relayout(self, mask: Any = None) -> None:
        self.layout_data = layout_flame(self.tree, self.focus_path, self.names)
        self.item.set_data(self.layout_data, self.functions, self.buckets, mask)
        span = max(self.layout_data.span, 1.0)
        self.viewbox.setLimits(xMin=0.0, xMax=span, minXRange=min(1.0, span), maxXRange=span)
        self.viewbox.setXRange(0.0, span, padding=0)
        self._fit_rows()

    def _fit_rows(self) -> None:
        rows = max(1.0, float(self.viewbox.height()) / ROW_PX)
        self.viewbox.setYRange(0.0, rows, padding=0)

    def zoom_to(self, index: int) -> None:
        """Zoom to the frame at layout index ``index``."""
        node = int(self.layout_data.node[index])
        self.focus_path = [int(n) for n in self.tree.path(node)]
        self._relayout(self._mask())

    def reset_zoom(self) -> None:
        self.focus_path = []
        self._relayout(self._mask())

    def _on_click(self, pos: QPointF, double: bool) -> None:
        index = self.item.index_at(pos)
        if index is not None:
            self.zoom_to(index)
        elif double:
            self.reset_zoom()

    # -- table --------------------------------------------------------------------

    def select_function(self, name: str) -> bool:
        """Select the table row of function ``name`` (the first one); False if none."""
        for i, f in enumerate(self.result.functions):
            if f.function == name:
                self.table.selectRow(i)
                return True
        return False

    def _selected(self) -> FunctionChange | None:
        rows = self.table.selectionModel().selectedRows()
        return self.result.functions[rows[0].row()] if rows else None

    def _mask(self) -> Any:
        f = self._selected()
        if f is None:
            return None
        keys = self.layout_data.key
        wanted = np.asarray(
            [self.functions[int(k)] == (f.function, f.file) for k in keys], dtype=np.bool_
        )
        return wanted

    def _on_row(self) -> None:
        self.item.set_match_mask(self._mask())


def _row(f: FunctionChange) -> list[str]:
    return [
        " ".join(f.function.split()),
        f"{100 * f.total.a:.1f}%",
        f"{100 * f.total.b:.1f}%",
        f"{100 * f.total.delta:+.1f}",
        format_p(f.total.p_adjusted),
        f.verdict,
        f"{100 * f.self.a:.1f}%",
        f"{100 * f.self.b:.1f}%",
        f"{f.file}:{f.line}" if f.file and f.line else f.file,
    ]


# -- opening a comparison ---------------------------------------------------------------


class SessionPairDialog(QDialog):
    """Asks for two sessions of the store: before and after."""

    def __init__(self, sessions: Sequence[SessionInfo], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare sessions")
        self.sessions = list(sessions)
        self.before = QComboBox()
        self.after = QComboBox()
        for combo in (self.before, self.after):
            for s in self.sessions:
                combo.addItem(f"{s.id}: {s.name} ({s.samples:,} samples, {s.duration:.1f} s)", s.id)
        if len(self.sessions) >= 2:
            self.before.setCurrentIndex(len(self.sessions) - 2)
            self.after.setCurrentIndex(len(self.sessions) - 1)
        form = QFormLayout(self)
        form.addRow("Before:", self.before)
        form.addRow("After:", self.after)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def chosen(self) -> tuple[int, int]:
        return int(self.before.currentData()), int(self.after.currentData())


class _DiffJob(QThread):
    """Loads two sessions and compares them off the GUI thread."""

    done = Signal(object)  # ProfileDiff
    failed = Signal(str)

    def __init__(self, store_path: Path, a: int, b: int) -> None:
        super().__init__()
        self.store_path, self.a, self.b = store_path, a, b

    def run(self) -> None:
        try:
            with Store(self.store_path) as store:
                before, after = store.load_profile(self.a), store.load_profile(self.b)
            result = compare_profiles(before, after)
        except StoreError as exc:
            self.failed.emit(str(exc))
            return
        except Exception as exc:  # the window must hear of it
            self.failed.emit(f"the comparison failed: {type(exc).__name__}: {exc}")
            return
        self.done.emit(result)


#: running jobs, held here so that closing a window never destroys a running QThread
_LIVE: list[QThread] = []


class CompareWindow(QMainWindow):
    """A window comparing session ``a`` (before) with ``b`` (after)."""

    def __init__(self, store_path: Path, a: int, b: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Compare sessions {a} → {b}")
        self.resize(1200, 850)
        self.widget: CompareWidget | None = None
        self.status = QLabel(f"Comparing session {a} with session {b}…")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setCentralWidget(self.status)
        job = _DiffJob(store_path, a, b)
        job.done.connect(self._show)
        job.failed.connect(self.status.setText)
        _LIVE[:] = [t for t in _LIVE if not t.isFinished()]
        _LIVE.append(job)
        job.start()

    def _show(self, result: ProfileDiff) -> None:
        self.widget = CompareWidget(result)
        self.setCentralWidget(self.widget)


def open_compare(parent: QWidget, store_path: Path) -> CompareWindow | None:
    """Ask for two sessions and open their comparison (None when cancelled)."""
    try:
        with Store(store_path) as store:
            sessions = store.list_sessions()
    except StoreError as exc:
        QMessageBox.warning(parent, "Compare sessions", str(exc))
        return None
    if len(sessions) < 2:
        QMessageBox.information(
            parent, "Compare sessions", "Record or open at least two sessions to compare them."
        )
        return None
    dialog = SessionPairDialog(sessions, parent)
    if not dialog.exec():
        return None
    window = CompareWindow(store_path, *dialog.chosen(), parent=parent)
    window.setWindowFlag(Qt.WindowType.Window, True)
    window.show()
    return window
