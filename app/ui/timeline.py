"""Samples over time per thread, a time-range selection and the thread filter.

Drag on the plot (or drag the shaded region's edges) to select a time range:
``state.set_time_range`` gets the wall-clock range when the drag ends, and
every other view re-aggregates.  Double-click, or "Clear range", selects all
time again.  The thread list beside the plot sets ``state.threads``.

The plot stacks one step curve per thread (the busiest few; the rest lumped
together), drawn from :class:`~app.core.model.timeline.TimelineModel`, which is
updated incrementally while a recording appends windows.  The region is kept
in seconds since the profile's start, so it stays put as the profile grows.

For a Dask cluster profile the thread list is a tree, host → worker → thread
(:mod:`app.core.model.workers`): a host's or a worker's check box shows or hides
all its threads, and a double-click on any row shows that host, worker or thread
alone.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

import pyqtgraph as pg  # type: ignore[import-untyped]  # isort: skip  (after PySide6)

from app.core.model.profile import ThreadInfo
from app.core.model.timeline import OTHER_THREADS, TimelineData, TimelineModel
from app.core.model.workers import host_groups, is_cluster_profile, series_label, short_label
from app.ui.state import ViewState
from app.ui.tables import ViewRefresher, plain_tooltip

# Okabe–Ito colours (distinguishable with colour-blindness), then grey for the rest.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#999999",
)
THREAD_ROLE = Qt.ItemDataRole.UserRole
GROUP_ROLE = Qt.ItemDataRole.UserRole + 1  # a host's or worker's rows: its thread indices


class RangeSelectViewBox(pg.ViewBox):  # type: ignore[misc]
    """A ViewBox where a left-drag selects an x-range instead of panning.

    ``rangeDragged(x0, x1, finished)`` is emitted while dragging and once more
    with ``finished`` true; a left double-click emits ``cleared``.  The wheel
    zooms along x; the right button keeps pyqtgraph's menu.
    """

    rangeDragged = Signal(float, float, bool)
    cleared = Signal()

    def mouseDragEvent(self, ev: Any, axis: Any = None) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        x0 = self.mapSceneToView(ev.buttonDownScenePos()).x()
        x1 = self.mapSceneToView(ev.scenePos()).x()
        self.rangeDragged.emit(min(x0, x1), max(x0, x1), bool(ev.isFinish()))

    def mouseClickEvent(self, ev: Any) -> None:
        if ev.button() == Qt.MouseButton.LeftButton and ev.double():
            ev.accept()
            self.cleared.emit()
            return
        super().mouseClickEvent(ev)


class TimelineWidget(QWidget):
    """Stacked samples per thread over time, a range selector and a thread filter."""

    def __init__(self, state: ViewState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.model = TimelineModel()
        self.data: TimelineData = self.model.data()
        self._curves: list[pg.PlotDataItem] = []
        self._syncing = False  # set while the widget itself changes the thread checks
        self._items: list[QTreeWidgetItem] = []  # the thread rows, by thread index
        self._groups: list[QTreeWidgetItem] = []  # host and worker rows (cluster profiles)
        self._cluster = False
        self._dragging = False  # a range drag on the plot is in progress

        self.view_box = RangeSelectViewBox()
        self.view_box.setMouseEnabled(x=True, y=False)
        # The background comes from the theme (app.ui.app.apply_theme), light or dark.
        self.plot_widget = pg.PlotWidget(viewBox=self.view_box)
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setLabel("bottom", "time", units="s")
        self.plot.setLabel("left", "samples")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.legend = self.plot.addLegend(
            offset=(10, 5), labelTextColor="k", brush=pg.mkBrush(255, 255, 255, 210)
        )
        self.region = pg.LinearRegionItem(
            values=(0, 1),
            brush=pg.mkBrush(0, 90, 200, 40),
            hoverBrush=pg.mkBrush(0, 90, 200, 60),
            pen=pg.mkPen("#0050b0", width=2),
        )
        self.region.setZValue(10)
        self.region.hide()
        self.plot.addItem(self.region, ignoreBounds=True)
        self.empty_text = pg.TextItem("", color="#666666", anchor=(0.5, 0.5))
        self.plot.addItem(self.empty_text, ignoreBounds=True)

        self.range_label = QLabel(self)
        self.range_label.setTextFormat(Qt.TextFormat.PlainText)
        self.clear_button = QPushButton("Clear range", self)
        self.clear_button.setToolTip("Show all samples again (or double-click the plot)")
        self.clear_button.clicked.connect(self.clear_range)

        self.threads_list = QTreeWidget(self)
        self.threads_list.setColumnCount(2)
        self.threads_list.setHeaderLabels(["thread", "samples"])
        self.threads_list.setRootIsDecorated(False)
        self.threads_list.setUniformRowHeights(True)
        self.threads_list.setMinimumWidth(220)
        header = self.threads_list.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.threads_list.itemChanged.connect(self._on_thread_checked)
        self.threads_list.itemDoubleClicked.connect(self._solo)
        self.all_button = QPushButton("All threads", self)
        self.all_button.clicked.connect(lambda: state.set_threads(None))

        self._layout()
        self.view_box.rangeDragged.connect(self._on_drag)
        self.view_box.cleared.connect(self.clear_range)
        self.region.sigRegionChangeFinished.connect(self._on_region_finished)

        self._refresher = ViewRefresher(self, self.refresh, lambda: state.generation)
        self._refresher.follow(state.profileChanged, state.filterChanged)
        self.refresh()

    def _layout(self) -> None:
        left = QWidget(self)
        bar = QHBoxLayout()
        bar.addWidget(self.range_label, 1)
        bar.addWidget(self.clear_button)
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.plot_widget, 1)
        lv.addLayout(bar)
        right = QWidget(self)
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(self.threads_list, 1)
        rv.addWidget(self.all_button)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    # -- from the state ----------------------------------------------------------

    def refresh(self) -> None:
        """Redraw from the state: curves, region, thread list."""
        self._refresher.done()
        self.model.update(self.state.profile)
        self.data = self.model.data(self.state.threads)
        self._draw_curves()
        self._sync_region()
        self._sync_threads()

    def _draw_curves(self) -> None:
        for curve in self._curves:
            self.plot.removeItem(curve)
        self.legend.clear()
        self._curves = []
        data = self.data
        edges, is_window = data.step_edges()
        stacked = data.stacked()
        if not data.series or data.duration <= 0:
            self.empty_text.setText(
                "No samples yet" if not data.series else "No timing information in this profile"
            )
            self.empty_text.setPos(0.5, 0.5)
            self.empty_text.show()
            return
        self.empty_text.hide()
        # Top of the stack first, so that each lower fill is drawn over the one above.
        for i in reversed(range(len(data.series))):
            s = data.series[i]
            colour = QColor(thread_colour(s.thread))
            fill = colour.lighter(135)  # opaque: each band shows its own colour only
            curve = pg.PlotDataItem(
                edges,
                data.step_values(stacked[i], is_window),
                stepMode="center",
                fillLevel=0,
                brush=pg.mkBrush(fill),
                pen=pg.mkPen(colour.darker(120), width=1),
                # LegendItem renders names as HTML: escape them
                name=html.escape(f"{self._series_label(s.thread, s.label)} · {s.total} samples"),
            )
            self.plot.addItem(curve)
            self._curves.append(curve)
        # headroom above the highest stack for the legend, one row per series
        top = float(stacked[-1].max()) if stacked.size else 0.0
        self.plot.setYRange(0, max(1.0, top) * (1.1 + 0.12 * len(data.series)), padding=0)

    def _series_label(self, thread: int, label: str) -> str:
        """Cluster threads are named after their worker: the legend keeps it short."""
        threads = self.state.profile.threads
        if thread == OTHER_THREADS or not 0 <= thread < len(threads):
            return label
        return series_label(threads[thread])

    def _user_moving_region(self) -> bool:
        return self._dragging or bool(
            self.region.moving or any(line.moving for line in self.region.lines)
        )

    def _sync_region(self) -> None:
        if self._user_moving_region():
            return  # a live update must not yank the region out of the user's hand
        tr = self.state.time_range
        if tr is None or not self.data.n_windows:
            self.region.hide()
            self.range_label.setText("All time · drag on the plot to select a range")
            self.clear_button.setEnabled(False)
            return
        x0, x1 = self.data.to_x(*tr)
        with QSignalBlocker(self.region):
            self.region.setRegion((x0, x1))
        self.region.show()
        self.clear_button.setEnabled(True)
        samples = self.state.view_profile().total_samples
        self.range_label.setText(f"{x0:.2f} s – {x1:.2f} s · {samples} samples selected")

    def _sync_threads(self) -> None:
        totals = self.model.thread_totals()
        threads = self.state.profile.threads
        chosen = self.state.threads
        self._syncing = True
        try:
            if len(self._items) != len(threads):
                self._build_threads(threads)
            drawn = {s.thread for s in self.data.series}
            for t, item in enumerate(self._items):
                # a thread can get its name after its first window
                label = short_label(threads[t]) if self._cluster else threads[t].label
                if item.text(0) != label:
                    item.setText(0, label)
                    item.setToolTip(0, plain_tooltip(_thread_tip(threads[t])))
                item.setIcon(0, _swatch(thread_colour(t if t in drawn else OTHER_THREADS)))
                item.setText(1, str(totals[t] if t < len(totals) else 0))
                on = chosen is None or t in chosen
                item.setCheckState(0, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            for group in self._groups:
                members = group.data(0, GROUP_ROLE)
                group.setText(1, str(sum(totals[t] for t in members if t < len(totals))))
                shown = len(members) if chosen is None else len(chosen.intersection(members))
                group.setCheckState(
                    0,
                    Qt.CheckState.Checked
                    if shown == len(members)
                    else Qt.CheckState.Unchecked
                    if shown == 0
                    else Qt.CheckState.PartiallyChecked,
                )
        finally:
            self._syncing = False
        self.all_button.setEnabled(chosen is not None)

    def _build_threads(self, threads: list[ThreadInfo]) -> None:
        """One row per thread; under host and worker rows for a cluster profile."""
        lst = self.threads_list
        lst.clear()
        self._items = [_thread_item(t, info) for t, info in enumerate(threads)]
        self._groups = []
        self._cluster = is_cluster_profile(threads)
        lst.setRootIsDecorated(self._cluster)
        if not self._cluster:
            lst.addTopLevelItems(self._items)
            return
        hosts, loose = host_groups(threads)
        for host in hosts:
            host_item = self._group_item(host.label, host.threads, "host")
            lst.addTopLevelItem(host_item)
            for worker in host.workers:
                worker_item = self._group_item(worker.label, worker.threads, "worker")
                host_item.addChild(worker_item)
                worker_item.addChildren([self._items[t] for t in worker.threads])
        lst.addTopLevelItems([self._items[t] for t in loose])
        lst.expandAll()

    def _group_item(self, label: str, members: tuple[int, ...], kind: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem([label, ""])
        item.setData(0, GROUP_ROLE, members)
        item.setToolTip(0, plain_tooltip(f"{label}\nDouble-click to show this {kind} only"))
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight)
        self._groups.append(item)
        return item

    # -- from the user -------------------------------------------------------------

    def select_range(self, x0: float, x1: float) -> None:
        """Select [x0, x1] seconds since the profile's start (as a finished drag does)."""
        if not self.data.n_windows:
            return
        self.state.set_time_range(self.data.to_wall(x0, x1))
        self._sync_region()

    def clear_range(self) -> None:
        self.state.set_time_range(None)
        self._sync_region()

    def _on_drag(self, x0: float, x1: float, finished: bool) -> None:
        if not self.data.n_windows:
            return
        self._dragging = not finished
        with QSignalBlocker(self.region):
            self.region.setRegion((x0, x1))
        self.region.show()
        if finished:
            if x1 - x0 <= 0:
                self.clear_range()
            else:
                self.select_range(x0, x1)

    def _on_region_finished(self) -> None:
        x0, x1 = self.region.getRegion()
        self.select_range(float(x0), float(x1))

    def _thread_items(self) -> list[QTreeWidgetItem]:
        return list(self._items)

    def _on_thread_checked(self, item: QTreeWidgetItem, column: int) -> None:
        if self._syncing or column != 0:
            return
        members = item.data(0, GROUP_ROLE)
        if members is not None:  # a host or worker row: all its threads follow
            chosen = set(
                range(len(self._items)) if self.state.threads is None else self.state.threads
            )
            if item.checkState(0) == Qt.CheckState.Checked:
                chosen.update(members)
            else:
                chosen.difference_update(members)
            self._set_threads(chosen)
            return
        self._set_threads(
            {
                int(it.data(0, THREAD_ROLE))
                for it in self._items
                if it.checkState(0) == Qt.CheckState.Checked
            }
        )

    def _solo(self, item: QTreeWidgetItem, column: int) -> None:
        """Show only the double-clicked host, worker or thread."""
        members = item.data(0, GROUP_ROLE)
        if members is None:
            members = (int(item.data(0, THREAD_ROLE)),)
        self._set_threads(set(members))

    def _set_threads(self, chosen: set[int]) -> None:
        every = len(chosen) == len(self._items)
        self.state.set_threads(None if every else frozenset(chosen))
        self._sync_threads()  # group rows show the new state even when it did not change


def _thread_item(t: int, info: ThreadInfo) -> QTreeWidgetItem:
    # QTreeWidgetItem text is never interpreted as markup
    item = QTreeWidgetItem([info.label, ""])
    item.setData(0, THREAD_ROLE, t)
    item.setToolTip(0, plain_tooltip(_thread_tip(info)))
    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
    item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight)
    return item


def _thread_tip(info: ThreadInfo) -> str:
    return f"{info.label}\npid {info.pid}"


def _swatch(colour: str) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(colour))
    return QIcon(pixmap)


def thread_colour(thread: int) -> str:
    """A thread's colour, the same whichever threads are shown; grey for the rest."""
    return PALETTE[-1] if thread == OTHER_THREADS else PALETTE[thread % (len(PALETTE) - 1)]
