"""Counters on the same time axis as the timeline, and what this machine cannot count."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

import pyqtgraph as pg  # type: ignore[import-untyped]  # isort: skip  (after PySide6)

from app.core.counters.series import CounterSeries
from app.ui.state import ViewState
from app.ui.tables import ViewRefresher, plain_tooltip

# (counter, plot title, scale to apply to the per-second rate, unit label); first found wins
PLOTS: tuple[tuple[str, str, float, str], ...] = (
    ("perf.task-clock", "CPU (perf task-clock)", 1e-9 * 100, "% of a core"),
    ("perf.context-switches", "context switches", 1.0, "/s"),
    ("perf.page-faults", "page faults", 1.0, "/s"),
    ("perf.instructions", "instructions", 1e-6, "M/s"),
    ("perf.cache-misses", "cache misses", 1.0, "/s"),
    ("proc.rss", "RSS", 1.0 / (1 << 20), "MiB"),
)


def counter_points(
    series: CounterSeries, name: str, origin: float, scale: float
) -> tuple[np.ndarray, np.ndarray]:
    """x (seconds since ``origin``, interval mids) and y for one counter.

    Delta counters become rates (value / interval length); gauges are levels.
    """
    spec = series.specs.get(name)
    xs: list[float] = []
    ys: list[float] = []
    for w, value in series.column(name):
        start, end = series.intervals[w]
        if spec is not None and spec.kind == "delta":
            span = end - start
            if span <= 0:
                continue
            value = value / span
        xs.append((start + end) / 2 - origin)
        ys.append(value * scale)
    return np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)


class _RangeMarks:
    """The selected time range drawn as two dashed lines on a counter plot."""

    def __init__(self) -> None:
        pen = pg.mkPen(color=(60, 120, 220), width=1, style=Qt.PenStyle.DashLine)
        self.lines = (pg.InfiniteLine(angle=90, pen=pen), pg.InfiniteLine(angle=90, pen=pen))
        self.range: tuple[float, float] | None = None

    def add_to(self, plot: pg.PlotItem) -> None:
        for line in self.lines:
            plot.addItem(line, ignoreBounds=True)
            line.setVisible(False)

    def set(self, span: tuple[float, float] | None) -> None:
        self.range = span
        for line, x in zip(self.lines, span or (0.0, 0.0), strict=True):
            line.setVisible(span is not None)
            line.setValue(x)

    def isVisible(self) -> bool:
        return self.range is not None

    def getRegion(self) -> tuple[float, float]:
        return self.range or (0.0, 0.0)


class CountersWidget(QWidget):
    """Small plots, one per counter, x linked to the timeline; the selected range shaded."""

    def __init__(self, state: ViewState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.graphics = QWidget()
        self._plots_layout = QVBoxLayout(self.graphics)
        self._plots_layout.setContentsMargins(0, 0, 0, 0)
        self._plots_layout.setSpacing(0)
        self._widgets: list[pg.PlotWidget] = []
        self.plots: dict[str, pg.PlotItem] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.regions: dict[str, _RangeMarks] = {}
        self.empty = QLabel("No counters in this session.")
        self.empty.setTextFormat(Qt.TextFormat.PlainText)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.unsupported = QTreeWidget()
        self.unsupported.setHeaderLabels(["unsupported here", "why", "fix"])
        self.unsupported.setRootIsDecorated(False)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.graphics)
        split.addWidget(self.unsupported)
        split.setSizes([300, 60])
        self.unsupported.setMaximumHeight(110)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.empty)
        lay.addWidget(split, 1)
        self._unsupported_rows: list[tuple[str, str, str]] = []
        self._refresher = ViewRefresher(
            self,
            self.refresh,
            lambda: (
                id(state.counters),
                len(state.counters.values),
                state.time_range,
                state.generation,
            ),
        )
        self._refresher.follow(state.countersChanged, state.filterChanged, state.profileChanged)

    def refresh(self) -> None:
        series = self.state.counters
        shown = [p for p in PLOTS if p[0] in series.specs]
        if [p[0] for p in shown] != list(self.plots):
            self._build(shown)
        origin = self.state.profile.start
        for name, _title, scale, _unit in shown:
            x, y = counter_points(series, name, origin, scale)
            self.curves[name].setData(x, y)
            region = self.regions[name]
            if self.state.time_range is None:
                region.set(None)
            else:
                t0, t1 = self.state.time_range
                region.set((t0 - origin, t1 - origin))
        span = max(self.state.profile.end - origin, 1e-3)  # the timeline's extent
        for p in self.plots.values():
            p.setXRange(0.0, span, padding=0.02)
        self.empty.setVisible(not shown and not series.unsupported)
        self._fill_unsupported(series)
        self._refresher.done()

    def _build(self, shown: list[tuple[str, str, float, str]]) -> None:
        for w in self._widgets:
            self._plots_layout.removeWidget(w)
            w.deleteLater()
        self._widgets.clear()
        self.plots.clear()
        self.curves.clear()
        self.regions.clear()
        pen = pg.mkPen(color=(40, 110, 200), width=1.5)
        for i, (name, title, _scale, unit) in enumerate(shown):
            widget = pg.PlotWidget()
            widget.setMinimumHeight(40)
            self._widgets.append(widget)
            self._plots_layout.addWidget(widget)
            plot = widget.getPlotItem()
            plot.getAxis("left").setWidth(48)
            plot.showAxis("bottom", i == len(shown) - 1)  # one time axis, under the last
            caption = pg.TextItem(f"{title} · {unit}", color=(90, 90, 90), anchor=(0, 0))
            caption.setParentItem(plot.getViewBox())  # pinned to the corner, not to data
            caption.setPos(4, 0)
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.setMouseEnabled(x=False, y=False)
            plot.enableAutoRange(x=False)  # x follows the profile's time span, as the timeline
            self.curves[name] = plot.plot([], [], pen=pen)
            region = _RangeMarks()
            region.add_to(plot)
            self.regions[name] = region
            self.plots[name] = plot

    def _fill_unsupported(self, series: CounterSeries) -> None:
        rows = [(u.name, u.reason, u.fix) for u in series.unsupported]
        if rows == self._unsupported_rows:
            return  # unchanged: keep the items (and any the user is hovering)
        self._unsupported_rows = rows
        self.unsupported.clear()
        for u in series.unsupported:
            item = QTreeWidgetItem([u.name, u.reason, u.fix])  # item text is never markup
            item.setToolTip(1, plain_tooltip(u.reason))
            self.unsupported.addTopLevelItem(item)
        self.unsupported.setVisible(bool(series.unsupported))
