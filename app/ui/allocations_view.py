"""The Allocations dock: what a session recorded with ``--allocations`` allocated, and where.

- an allocation flame graph, weighted by bytes or by count (the toggle), drawn by the
  same :class:`~app.ui.flamegraph.FlameGraphWidget` as the CPU one over a
  :class:`~app.ui.state.ViewState` of its own (the capture has its own frame tables);
- "allocations inside hot loops": the functions hot in the CPU samples that allocate
  heavily in their own lines, with the reason for each;
- the top allocating functions: own lines and with callees, bytes and count;
- allocations (or bytes) per second over time, on the session's time axis: seconds
  since the CPU profile's first window, as the timeline and the counters, with the
  selected time range marked.

Names from the profiled program are shown as plain text everywhere.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTabWidget,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

import pyqtgraph as pg  # type: ignore[import-untyped]  # isort: skip  (after PySide6)

from app.core.allocations.model import AllocationCapture, HotLoopFinding, allocating_functions
from app.core.model.profile import Profile
from app.ui.flamegraph import FlameGraphWidget
from app.ui.state import ViewState
from app.ui.tables import plain_tooltip

BYTES = "bytes"
COUNT = "count"
MAX_TOP_ROWS = 1000
SORT_ROLE = Qt.ItemDataRole.UserRole
FUNCTION_ROLE = Qt.ItemDataRole.UserRole + 1
FINDING_ROLE = Qt.ItemDataRole.UserRole + 2


def format_bytes(n: float) -> str:
    """1536 → "1.5 KiB"."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.3g} {unit}"
        value /= 1024
    return f"{value:.3g} TiB"  # pragma: no cover


def format_rate(n: float) -> str:
    """225000 → "225k"."""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= scale:
            return f"{n / scale:.3g}{suffix}"
    return f"{n:.3g}"


WEIGHTS: dict[str, tuple[str, Callable[[int], str]]] = {
    BYTES: ("bytes", format_bytes),
    COUNT: ("allocations", lambda n: f"{n:,} allocations"),
}


class _Item(QTreeWidgetItem):
    """A row that sorts by the numbers behind its cells (SORT_ROLE), not their text."""

    def __lt__(self, other: QTreeWidgetItem) -> bool:
        tree = self.treeWidget()
        col = tree.sortColumn() if tree is not None else 0
        a, b = self.data(col, SORT_ROLE), other.data(col, SORT_ROLE)
        if a is None or b is None:
            return self.text(col).lower() < other.text(col).lower()
        return bool(a < b)


def _row(cells: list[tuple[str, object]], numeric: set[int]) -> _Item:
    item = _Item([text for text, _ in cells])  # item text is never markup
    for col, (_, key) in enumerate(cells):
        item.setData(col, SORT_ROLE, key)
        if col in numeric:
            item.setTextAlignment(col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


def _tree(headers: list[str]) -> QTreeWidget:
    tree = QTreeWidget()
    tree.setHeaderLabels(headers)
    tree.setRootIsDecorated(False)
    tree.setUniformRowHeights(True)
    tree.setAlternatingRowColors(True)
    tree.setSortingEnabled(True)
    header = tree.header()
    header.setStretchLastSection(True)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return tree


class AllocationsWidget(QWidget):
    """The views of one allocation capture (``set_capture``); empty without one."""

    def __init__(self, state: ViewState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state  # the session's: its time axis and selected range
        self.alloc_state = ViewState(self)
        self.capture: AllocationCapture | None = None
        self.mode = BYTES
        self._origin = 0.0

        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        self.bytes_button = QToolButton()
        self.bytes_button.setText("Bytes")
        self.bytes_button.setToolTip("Weigh the flame graph and the rate by the bytes allocated")
        self.count_button = QToolButton()
        self.count_button.setText("Count")
        self.count_button.setToolTip("Weigh the flame graph and the rate by allocations")
        self.mode_group = QButtonGroup(self)
        for button in (self.bytes_button, self.count_button):
            button.setCheckable(True)
            self.mode_group.addButton(button)
        self.bytes_button.setChecked(True)
        self.bytes_button.toggled.connect(lambda on: self.set_mode(BYTES if on else COUNT))

        self.flame = FlameGraphWidget(self.alloc_state)
        self.flame.set_units(*WEIGHTS[BYTES])

        self.plot_widget = pg.PlotWidget()
        self.plot_widget.setMinimumHeight(70)
        self.plot = self.plot_widget.getPlotItem()
        self.plot.getAxis("left").setWidth(48)  # as the timeline's: the time axes line up
        self.plot.getAxis("left").enableAutoSIPrefix(False)  # the caption names the unit
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.enableAutoRange(x=False)
        self.curve = pg.PlotDataItem(
            [0.0, 1.0], [0.0], stepMode="center", fillLevel=0,
            brush=pg.mkBrush(225, 87, 89, 110), pen=pg.mkPen((190, 50, 55), width=1),
        )  # fmt: skip
        self.plot.addItem(self.curve)
        self.caption = pg.TextItem("", color=(90, 90, 90), anchor=(0, 0))
        self.caption.setParentItem(self.plot.getViewBox())  # pinned to the corner
        self.caption.setPos(4, 0)
        self.region = pg.LinearRegionItem(
            values=(0, 1), movable=False, brush=pg.mkBrush(0, 90, 200, 40),
            pen=pg.mkPen("#0050b0", width=1),
        )  # fmt: skip
        self.region.setZValue(10)
        self.region.hide()
        self.plot.addItem(self.region, ignoreBounds=True)

        self.hot_list = _tree(["function", "CPU", "allocations/s", "bytes/s", "location"])
        self.hot_list.currentItemChanged.connect(self._on_hot_current)
        self.hot_why = QLabel()
        self.hot_why.setTextFormat(Qt.TextFormat.PlainText)
        self.hot_why.setWordWrap(True)
        self.hot_why.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hot_why.setMargin(4)
        hot = QWidget()
        hv = QVBoxLayout(hot)
        hv.setContentsMargins(0, 0, 0, 0)
        hv.addWidget(self.hot_list, 1)
        hv.addWidget(self.hot_why)
        self.top_list = _tree(
            ["function", "own bytes", "own count", "total bytes", "total count", "location"]
        )
        self.top_list.currentItemChanged.connect(self._on_function_row)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(hot, "Hot loops")
        self.tabs.addTab(self.top_list, "Top allocators")

        self.empty = QLabel(
            "No allocations in this session: record them with\n"
            "sovprof record --allocations -- python your_script.py"
        )
        self.empty.setTextFormat(Qt.TextFormat.PlainText)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._layout()
        state.profileChanged.connect(self._refresh_axis)
        state.filterChanged.connect(self._sync_region)
        self.set_capture(None)

    def _layout(self) -> None:
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        bar.addWidget(self.summary, 1)
        weigh = QLabel("Weigh by")
        bar.addWidget(weigh)
        bar.addWidget(self.bytes_button)
        bar.addWidget(self.count_button)
        self.body = QSplitter(Qt.Orientation.Vertical)
        self.body.addWidget(self.flame)
        self.body.addWidget(self.plot_widget)
        self.body.addWidget(self.tabs)
        self.body.setStretchFactor(0, 3)
        self.body.setStretchFactor(1, 1)
        self.body.setStretchFactor(2, 2)
        self.body.setSizes([380, 110, 240])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.empty, 1)
        layout.addWidget(self.body, 1)

    # -- data ------------------------------------------------------------------------

    def set_capture(self, capture: AllocationCapture | None) -> None:
        """Show ``capture`` (None: nothing, and say how to record allocations)."""
        self.capture = capture
        has = capture is not None
        self.empty.setVisible(not has)
        self.body.setVisible(has)
        for button in (self.bytes_button, self.count_button):
            button.setEnabled(has)
        self._fill_summary()
        self._fill_hot_loops()
        self._fill_top()
        self._show_mode()

    def set_mode(self, mode: str) -> None:
        """Weigh by ``"bytes"`` or ``"count"``: the flame graph and the rate plot follow."""
        if mode not in WEIGHTS:
            raise ValueError(f"unknown allocation weight {mode!r}")
        if mode == self.mode:
            return
        self.mode = mode
        button = self.bytes_button if mode == BYTES else self.count_button
        if not button.isChecked():
            button.setChecked(True)
        self._show_mode()

    def shown_profile(self) -> Profile:
        """The profile the allocation flame graph draws."""
        return self.alloc_state.profile

    def _show_mode(self) -> None:
        c = self.capture
        self.flame.set_units(*WEIGHTS[self.mode])
        if c is None:
            self.alloc_state.set_profile(Profile())
        else:
            self.alloc_state.set_profile(c.bytes_profile if self.mode == BYTES else c.count_profile)
        self.top_list.sortByColumn(1 if self.mode == BYTES else 2, Qt.SortOrder.DescendingOrder)
        self._draw_rate()

    def _fill_summary(self) -> None:
        c = self.capture
        if c is None:
            self.summary.setText("")
            return
        d = c.duration_s
        rate = (
            f" ({format_rate(c.total_allocations / d)}/s, {format_bytes(c.total_bytes / d)}/s)"
            if d > 0
            else ""
        )
        peak = int(c.meta.get("peak_memory") or 0)
        hot = len(c.hot_loops)
        self.summary.setText(
            f"{c.total_allocations:,} allocations, {format_bytes(c.total_bytes)}"
            + rate
            + f" · peak {format_bytes(peak)} · "
            + (f"{hot} hot loop{'s' if hot != 1 else ''} allocating" if hot else "no hot loop")
        )

    def _fill_hot_loops(self) -> None:
        self.hot_list.clear()
        c = self.capture
        if c is None:
            self.hot_why.setText("")
            return
        for i, f in enumerate(c.hot_loops):
            item = _row(
                [
                    (f.function, f.function.lower()),
                    (f"{100 * f.cpu_total_share:.0f}%", f.cpu_total_share),
                    (format_rate(f.allocations_per_s), f.allocations_per_s),
                    (f"{format_bytes(f.bytes_per_s)}/s", f.bytes_per_s),
                    (f"{f.file}:{f.line}", f"{f.file}:{f.line:08d}"),
                ],
                numeric={1, 2, 3},
            )
            item.setData(0, FUNCTION_ROLE, self._function_id(f))
            item.setData(0, FINDING_ROLE, i)
            tip = plain_tooltip(f.why)
            for col in range(item.columnCount()):
                item.setToolTip(col, tip)
            self.hot_list.addTopLevelItem(item)
        self.hot_list.sortByColumn(2, Qt.SortOrder.DescendingOrder)
        for col in range(4):
            self.hot_list.resizeColumnToContents(col)
        first = self.hot_list.topLevelItem(0)
        if first is not None:
            self.hot_list.setCurrentItem(first)
        else:
            self.hot_why.setText(
                "No function is both hot in the CPU samples and allocating heavily "
                "in its own lines."
            )

    def hot_loop_names(self) -> list[str]:
        """The functions in the hot-loop list, top to bottom."""
        items = (self.hot_list.topLevelItem(i) for i in range(self.hot_list.topLevelItemCount()))
        return [item.text(0) for item in items if item is not None]

    def _fill_top(self) -> None:
        self.top_list.clear()
        c = self.capture
        if c is None:
            return
        items = []
        for r in allocating_functions(c)[:MAX_TOP_ROWS]:
            item = _row(
                [
                    (r.function, r.function.lower()),
                    (format_bytes(r.self_bytes), r.self_bytes),
                    (f"{r.self_allocations:,}", r.self_allocations),
                    (format_bytes(r.total_bytes), r.total_bytes),
                    (f"{r.total_allocations:,}", r.total_allocations),
                    (f"{r.file}:{r.line}" if r.line else r.file, r.file),
                ],
                numeric={1, 2, 3, 4},
            )
            item.setData(0, FUNCTION_ROLE, r.function_id)
            item.setToolTip(0, plain_tooltip(f"{r.function}\n{r.file}:{r.line}"))
            items.append(item)
        self.top_list.addTopLevelItems(items)
        self.top_list.sortByColumn(1, Qt.SortOrder.DescendingOrder)
        for col in range(5):
            self.top_list.resizeColumnToContents(col)

    def _function_id(self, f: HotLoopFinding) -> int | None:
        """The capture's function id of a finding (matched by name and file)."""
        if self.capture is None:
            return None
        for fid, (name, file) in enumerate(self.capture.bytes_profile.frames.functions):
            if file == f.file and name.rsplit(".", 1)[-1] == f.function.rsplit(".", 1)[-1]:
                return fid
        return None

    # -- the rate over time ------------------------------------------------------------

    def _refresh_axis(self) -> None:
        if self.capture is not None:
            self._draw_rate()

    def _draw_rate(self) -> None:
        c = self.capture
        profile = self.state.profile
        if c is None or not len(c.series):
            self.curve.setData([0.0, 1.0], [0.0])
            self.caption.setText("")
            return
        rates = c.series.rates()
        self._origin = profile.start if profile.windows else c.series.starts[0]
        edges = np.asarray([r[0] for r in rates] + [rates[-1][1]], dtype=float) - self._origin
        column = 3 if self.mode == BYTES else 2
        values = np.asarray([r[column] for r in rates], dtype=float)
        if self.mode == BYTES:
            top = float(values.max()) if values.size else 0.0
            scale, unit = next(
                ((k, u) for k, u in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB"))
                 if top >= k),
                (1, "B"),
            )  # fmt: skip
            values = values / scale
            what = f"bytes allocated · {unit}/s"
        else:
            top = float(values.max()) if values.size else 0.0
            scale, unit = next(
                ((k, u) for k, u in ((1e6, "millions"), (1e3, "thousands")) if top >= 10 * k),
                (1.0, ""),
            )
            values = values / scale
            what = f"allocations · {unit + ' ' if unit else ''}per second"
        if not c.series.timed:
            what += " (no clock in an attached capture: one rate for all of it)"
        self.curve.setData(edges, values)
        self.caption.setText(what)
        end = max(float(edges[-1]), (profile.end - self._origin) if profile.windows else 0.0)
        self.plot.setXRange(0.0, max(end, 1e-3), padding=0.02)
        self.plot.setYRange(0.0, max(float(values.max()), 1e-9) * 1.25, padding=0)
        self._sync_region()

    def _sync_region(self) -> None:
        tr = self.state.time_range
        if tr is None or self.capture is None:
            self.region.hide()
            return
        self.region.setRegion((tr[0] - self._origin, tr[1] - self._origin))
        self.region.show()

    # -- from the user -----------------------------------------------------------------

    def _on_hot_current(self, item: QTreeWidgetItem | None, _previous: object) -> None:
        if item is None:
            return
        index = item.data(0, FINDING_ROLE)
        if self.capture is not None and index is not None:
            self.hot_why.setText(self.capture.hot_loops[int(index)].why)
        self._on_function_row(item, None)

    def _on_function_row(self, item: QTreeWidgetItem | None, _previous: object) -> None:
        if item is None:
            return
        fid = item.data(0, FUNCTION_ROLE)
        self.alloc_state.select_function(int(fid) if fid is not None else None)
