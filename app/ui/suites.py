"""The Suites panel: run the kernel suites across tiers and look at the results.

The user picks kernels, tiers and sizes; the suite runs in a worker thread (the GUI
never waits for it) which saves every finished cell through
:func:`app.core.suites.run_and_store` in its own :class:`~app.core.store.Store`, and
sends the cell here with a queued signal.  The table and the three plots (time against
size, speedup over scalar, roofline) follow cell by cell.  The latest saved run is
loaded when the panel is first shown, so it is not empty after a restart.

A SIMD tier whose compiled code did not prove its width is never shown as that tier:
the table names the tier the assembly really is, with a warning.
"""

from __future__ import annotations

import html
import math
import re
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QThread,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

import pyqtgraph as pg  # type: ignore[import-untyped]  # isort: skip  (after PySide6)

from app.core.store import Store, StoreError
from app.core.store.bench import BenchRun
from app.core.suites import (
    BenchOutcome,
    Cell,
    Options,
    Plan,
    PlanError,
    cells_from_store,
    make_plan,
    run_and_store,
    speedup_over_scalar,
)
from app.ui.tables import plain_tooltip
from kernels import isa, suite, tiers
from kernels.calibrate import bandwidth_at, best_cpu_tier, dram_bandwidth

SORT_ROLE = Qt.ItemDataRole.UserRole
CellKey = tuple[str, str, int]
_Index = QModelIndex | QPersistentModelIndex
_SUFFIX = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}

#: fixed colours, so a tier looks the same in every plot and every run
TIER_COLORS: dict[str, tuple[int, int, int]] = {
    "scalar": (128, 128, 128),
    "sse2": (46, 160, 67),
    "neon": (46, 160, 67),
    "avx2": (230, 135, 20),
    "avx512": (214, 48, 49),
    "numpy": (40, 110, 210),
    "dask": (140, 86, 75),
}
ERROR_COLOR = QColor(200, 40, 40)
WARN_COLOR = QColor(200, 120, 0)


# -- formatting (pure functions) --------------------------------------------------


def tier_color(tier: str) -> tuple[int, int, int]:
    if tier in TIER_COLORS:
        return TIER_COLORS[tier]
    if tier.startswith("opencl"):
        return (148, 80, 200)
    color = pg.intColor(abs(hash(tier)) % 9, hues=9)
    return (color.red(), color.green(), color.blue())


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return ""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def fmt_size(n: int) -> str:
    for suffix, scale in (("M", 1 << 20), ("k", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale}{suffix}"
    return str(n)


def parse_sizes(text: str) -> list[int]:
    """``"4096, 64k, 1M"`` → ``[4096, 65536, 1048576]``; ValueError names the bad part."""
    out: list[int] = []
    for part in re.split(r"[,\s]+", text.strip()):
        if not part:
            continue
        m = re.fullmatch(r"(\d+)([kKmMgG]?)", part)
        if not m:
            raise ValueError(f"bad size {part!r} (use e.g. 4096, 64k, 1M)")
        out.append(int(m.group(1)) * _SUFFIX[m.group(2).lower()])
    if not out:
        raise ValueError("no sizes given (use e.g. 4096, 64k, 1M)")
    return out


def ci_percent(cell: Cell) -> float | None:
    """Half the width of the 95 % CI of the median, as a percentage of the median."""
    if not cell.median_s or cell.ci_low_s is None or cell.ci_high_s is None:
        return None
    return 100.0 * (cell.ci_high_s - cell.ci_low_s) / 2.0 / cell.median_s


def asm_problem(cell: Cell) -> str | None:
    return str(cell.asm["problem"]) if cell.asm and cell.asm.get("problem") else None


def shown_tier(cell: Cell) -> str:
    """The tier as the panel names it: never a SIMD width the assembly did not prove."""
    if asm_problem(cell):
        really = cell.effective_tier or "?"
        return f"{really} (asked {cell.tier})"
    return cell.tier


def tier_label(tier: str, cells: Sequence[Cell] = ()) -> str:
    """A legend entry: numpy is the vendor library; an unproven tier says what it is."""
    if tier == "numpy":
        return "numpy (vendor library)"
    for c in cells:
        if c.tier == tier and asm_problem(c):
            return f"{c.effective_tier or '?'} — not {tier}"
    return tier


def status_of(cell: Cell) -> tuple[str, str]:
    """(text, level) with level "error", "warn" or "ok"."""
    if cell.error:
        first = cell.error.strip().splitlines()[0] if cell.error.strip() else "failed"
        return f"failed: {first}", "error"
    if not cell.correct:
        return "failed: wrong result", "error"
    if cell.median_s is None:
        return "failed: no timing", "error"
    parts: list[str] = []
    level = "ok"
    problem = asm_problem(cell)
    if problem:
        parts.append(f"⚠ not {cell.tier}: {problem}")
        level = "warn"
    if cell.comparison:
        cmp = cell.comparison
        parts.append(
            f"{cmp.get('verdict', '?')} {100 * float(cmp.get('change', 0.0)):+.1f} % "
            f"(p={float(cmp.get('p_value', 1.0)):.2f})"
        )
        if cmp.get("verdict") == "regressed" and level == "ok":
            level = "warn"
    return (" · ".join(parts) if parts else "ok"), level


def cell_details(cell: Cell) -> str:
    """Everything about one cell, for a tooltip."""
    lines = [f"{cell.kernel} · {shown_tier(cell)} · n = {cell.size}"]
    text, _level = status_of(cell)
    lines.append(text)
    if cell.error:
        lines.append(cell.error.strip())
    if cell.median_s is not None:
        lines.append(
            f"median {fmt_time(cell.median_s)}, 95 % CI [{fmt_time(cell.ci_low_s)}, "
            f"{fmt_time(cell.ci_high_s)}], {cell.n_samples} samples × {cell.iters} calls"
        )
    outliers = sum(int(v) for v in cell.outliers.values())
    if outliers:
        lines.append(f"{outliers} outliers (Tukey)")
    if cell.compile_s is not None:
        lines.append(f"compile {fmt_time(cell.compile_s)}")
    if cell.asm and cell.asm.get("counts"):
        lines.append(f"assembly: {cell.asm['counts']}")
    if cell.roofline_pct is not None:
        lines.append(f"{cell.roofline_pct:.0f} % of the {cell.bound or ''} bound")
    return "\n".join(lines)


# -- the results table ----------------------------------------------------------------


class SuiteTableModel(QAbstractTableModel):
    """One row per cell; rows are added and updated as cells arrive."""

    HEADERS = (
        "kernel",
        "tier",
        "size",
        "median",
        "±CI",
        "GFLOP/s",
        "GB/s",
        "× scalar",
        "roofline",
        "status",
    )
    NUMERIC = (False, False, True, True, True, True, True, True, True, False)
    SPEEDUP_COLUMN = 7
    STATUS_COLUMN = 9

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cells: list[Cell] = []
        self._row_of: dict[CellKey, int] = {}
        self.speedup: dict[CellKey, float] = {}

    def set_cells(self, cells: Sequence[Cell]) -> None:
        self.beginResetModel()
        self.cells = list(cells)
        self._row_of = {(c.kernel, c.tier, c.size): i for i, c in enumerate(self.cells)}
        self.speedup = speedup_over_scalar(self.cells)
        self.endResetModel()

    def add(self, cell: Cell) -> None:
        key = (cell.kernel, cell.tier, cell.size)
        row = self._row_of.get(key)
        if row is None:
            row = len(self.cells)
            self.beginInsertRows(QModelIndex(), row, row)
            self.cells.append(cell)
            self._row_of[key] = row
            self.endInsertRows()
        else:
            self.cells[row] = cell
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.HEADERS) - 1))
        speedup = speedup_over_scalar(self.cells)
        if speedup != self.speedup and self.cells:
            self.speedup = speedup
            col = self.SPEEDUP_COLUMN
            self.dataChanged.emit(self.index(0, col), self.index(len(self.cells) - 1, col))

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.cells)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.HEADERS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return {
                "median": "median time of one call",
                "±CI": "half the bootstrap 95 % confidence interval of the median",
                "× scalar": "median of the scalar tier / median of this tier, same size",
                "roofline": "share of the calibrated bound reached (`sovprof calibrate`)",
            }.get(self.HEADERS[section])
        return None

    def text(self, row: int, column: int) -> str:
        c = self.cells[row]
        name = self.HEADERS[column]
        if name == "kernel":
            return c.kernel
        if name == "tier":
            return shown_tier(c)
        if name == "size":
            return str(c.size)
        if name == "status":
            return status_of(c)[0]
        if not c.ok:
            return ""
        if name == "median":
            return fmt_time(c.median_s)
        if name == "±CI":
            ci = ci_percent(c)
            if ci is None:
                return ""
            return f"±{ci:.1f} %" if ci < 100 else f"±{ci:.0f} %"
        if name == "GFLOP/s":
            return "" if c.gflops is None else f"{c.gflops:.3g}"
        if name == "GB/s":
            return "" if c.gbps is None else f"{c.gbps:.3g}"
        if name == "× scalar":
            sp = self.speedup.get((c.kernel, c.tier, c.size))
            return "" if sp is None else f"{sp:.2f}×"
        if name == "roofline":
            if c.roofline_pct is None:
                return ""
            return f"{c.roofline_pct:.0f} % {c.bound or ''}".rstrip()
        return ""

    def sort_value(self, row: int, column: int) -> Any:
        c = self.cells[row]
        name = self.HEADERS[column]
        numbers: dict[str, float | None] = {
            "size": float(c.size),
            "median": c.median_s,
            "±CI": ci_percent(c),
            "GFLOP/s": c.gflops,
            "GB/s": c.gbps,
            "× scalar": self.speedup.get((c.kernel, c.tier, c.size)),
            "roofline": c.roofline_pct,
        }
        if name in numbers:
            value = numbers[name]
            return -math.inf if value is None or (not c.ok and name != "size") else float(value)
        return self.text(row, column)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(row, col)
        if role == SORT_ROLE:
            return self.sort_value(row, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(cell_details(self.cells[row]))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if self.NUMERIC[col]:
                return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            return Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.ForegroundRole and col in (1, self.STATUS_COLUMN):
            level = status_of(self.cells[row])[1]
            if level == "error" and col == self.STATUS_COLUMN:
                return QBrush(ERROR_COLOR)
            if level == "warn" and (col == self.STATUS_COLUMN or asm_problem(self.cells[row])):
                return QBrush(WARN_COLOR)
        return None


# -- worker threads -----------------------------------------------------------------


class SuiteRun(QThread):
    """Runs one plan in this thread, with its own Store; reports through queued signals."""

    progressed = Signal(int, int, str)
    cellFinished = Signal(object)  # Cell
    succeeded = Signal(object)  # BenchOutcome
    failed = Signal(str)

    def __init__(
        self,
        store_path: Path,
        plan: Plan,
        options: Options,
        detected: Sequence[tiers.Tier] | None,
        baseline: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.store_path = store_path
        self.plan = plan
        self.options = options
        self.detected = list(detected) if detected is not None else None
        self.baseline = baseline
        self.cancel = threading.Event()

    def run(self) -> None:
        try:
            with Store(self.store_path) as store:
                base = None
                if self.baseline:
                    base = store.bench_cells(store.resolve_bench_run(self.baseline))
                outcome = run_and_store(
                    store,
                    self.plan,
                    self.options,
                    progress=self.progressed.emit,
                    on_cell=self.cellFinished.emit,
                    cancel=self.cancel,
                    detected=self.detected,
                    baseline=base,
                )
        except StoreError as exc:
            self.failed.emit(str(exc))
            return
        except Exception as exc:  # the panel must hear of it; the thread must not die silently
            self.failed.emit(f"the suite stopped: {type(exc).__name__}: {exc}")
            return
        self.succeeded.emit(outcome)


#: threads started here, held by this module (not by a widget) so that closing the panel
#: never destroys a running QThread; finished ones are let go at the next start, from
#: the GUI thread.
_LIVE: list[QThread] = []


def _keep(thread: QThread) -> None:
    _LIVE[:] = [t for t in _LIVE if not t.isFinished()]
    _LIVE.append(thread)


class _Call(QThread):
    """Calls ``fn`` off the GUI thread; ``done`` carries its result, ``failed`` why not."""

    done = Signal(object)
    failed = Signal(str)

    def __init__(self, fn: Callable[[], object], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._fn = fn

    def run(self) -> None:
        try:
            result = self._fn()
        except Exception as exc:
            self.failed.emit(f"{type(exc).__name__}: {exc}")
            return
        self.done.emit(result)


# -- plots --------------------------------------------------------------------------


class LogAxis(pg.AxisItem):  # type: ignore[misc]  # pyqtgraph is untyped
    """Log-axis labels only at 1, 2 and 5 × 10ⁿ: a short range keeps readable labels."""

    def logTickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        strings: list[str] = super().logTickStrings(values, scale, spacing)
        out = []
        for v, text in zip(values, strings, strict=True):
            mantissa = round(10 ** (float(v) - math.floor(float(v) + 1e-9)), 3)
            out.append(text if mantissa in (1.0, 2.0, 5.0, 10.0) else "")
        return out


def _plot(title: str, left: str, bottom: str) -> pg.PlotWidget:
    widget = pg.PlotWidget(axisItems={"left": LogAxis("left"), "bottom": LogAxis("bottom")})
    widget.setMinimumSize(110, 150)
    plot = widget.getPlotItem()
    plot.setTitle(title, size="10pt")
    plot.setLabel("left", left)
    plot.setLabel("bottom", bottom)
    plot.showGrid(x=True, y=True, alpha=0.25)
    plot.setMenuEnabled(False)
    plot.hideButtons()
    for axis in ("left", "bottom"):
        plot.getAxis(axis).enableAutoSIPrefix(False)
    plot.getAxis("left").setWidth(48)
    return widget


def legend_html(entries: Sequence[tuple[str, str]]) -> str:
    """One legend for the three plots: (tier, label) → coloured line samples and names."""
    parts = []
    for tier, label in entries:
        r, g, b = tier_color(tier)
        sample = "╍╍" if tier == "numpy" else "━━"
        parts.append(
            f'<span style="color:#{r:02x}{g:02x}{b:02x}; font-weight:bold">{sample}</span>'
            f"&nbsp;{html.escape(label)}"
        )
    return "&nbsp;&nbsp;&nbsp; ".join(parts)


def time_unit(seconds: Sequence[float]) -> tuple[str, float]:
    """The unit (and its size in seconds) for ``seconds``: the middle of their range >= 1."""
    positive = [s for s in seconds if s > 0]
    middle = math.sqrt(min(positive) * max(positive)) if positive else 1.0
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if middle >= scale:
            return unit, scale
    return "ns", 1e-9


def _pen(tier: str, width: float = 2.0) -> Any:
    style = Qt.PenStyle.DashLine if tier == "numpy" else Qt.PenStyle.SolidLine
    return pg.mkPen(color=tier_color(tier), width=width, style=style)


def _check_list() -> QListWidget:
    lst = QListWidget()
    lst.setTextElideMode(Qt.TextElideMode.ElideRight)
    lst.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    lst.setUniformItemSizes(True)
    return lst


#: the order tiers run and show in: the baseline first, the vendor library last
KIND_ORDER = {"scalar": 0, "simd": 1, "opencl": 2, "dask": 3, "reference": 4}


def _by_tier(cells: Sequence[Cell], kernel: str) -> dict[str, list[Cell]]:
    out: dict[str, list[Cell]] = {}
    for c in cells:
        if c.kernel == kernel and c.ok:
            out.setdefault(c.tier, []).append(c)
    for rows in out.values():
        rows.sort(key=lambda c: c.size)
    return out


class SuitesWidget(QWidget):
    """Pick kernels, tiers and sizes; run; watch the table and the plots fill in."""

    runFinished = Signal(int)  # the run id

    def __init__(self, store_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store_path = store_path
        self.detected: list[tiers.Tier] | None = None
        self.run_id: int | None = None
        self.calibration: dict[str, Any] | None = None
        self.worker: SuiteRun | None = None
        self._detector: _Call | None = None
        self._loaded = False
        self._kernel_order: list[str] = []
        self._tier_order: list[str] = []
        self._runs: dict[int, BenchRun] = {}
        self._started = time.monotonic()
        self.time_curves: dict[str, Any] = {}
        self.speedup_curves: dict[str, Any] = {}
        self.roof_points: dict[str, Any] = {}
        self.roof_lines: list[Any] = []
        self.legend_entries: list[tuple[str, str]] = []
        self._redraw = QTimer(self)
        self._redraw.setSingleShot(True)
        self._redraw.setInterval(60)
        self._redraw.timeout.connect(self.refresh_plots)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self._build_controls())
        split.addWidget(self._build_results())
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([290, 1000])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(split)
        self._update_buttons()

    # -- construction ---------------------------------------------------------------

    def _build_controls(self) -> QWidget:
        box = QWidget()
        box.setMinimumWidth(200)
        box.setMaximumWidth(360)
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 4, 0)

        kernels = QGroupBox("Kernels")
        self.kernel_list = _check_list()
        self.kernel_list.itemChanged.connect(self._update_buttons)
        QVBoxLayout(kernels).addWidget(self.kernel_list)
        lay.addWidget(kernels, 3)

        tier_box = QGroupBox("Tiers")
        self.tier_list = _check_list()
        self.tier_list.itemChanged.connect(self._update_buttons)
        self.tier_list.addItem("detecting…")
        QVBoxLayout(tier_box).addWidget(self.tier_list)
        lay.addWidget(tier_box, 3)

        sizes = QGroupBox("Sizes")
        slay = QVBoxLayout(sizes)
        self.size_default = QRadioButton("per-kernel defaults")
        self.size_quick = QRadioButton("quick (test sizes)")
        self.size_custom = QRadioButton("custom:")
        self.size_default.setChecked(True)
        self.size_group = QButtonGroup(self)
        self.custom_sizes = QLineEdit()
        self.custom_sizes.setPlaceholderText("e.g. 4096, 64k, 1M")
        self.custom_sizes.textEdited.connect(lambda _t: self.size_custom.setChecked(True))
        for b in (self.size_default, self.size_quick):
            self.size_group.addButton(b)
            slay.addWidget(b)
        self.size_group.addButton(self.size_custom)
        row = QHBoxLayout()
        row.addWidget(self.size_custom)
        row.addWidget(self.custom_sizes, 1)
        slay.addLayout(row)
        lay.addWidget(sizes)

        opts = QGroupBox("Measurement")
        form = QFormLayout(opts)
        self.samples = QSpinBox(minimum=1, maximum=10000, value=20)
        self.warmup = QDoubleSpinBox(minimum=0.0, maximum=60.0, value=0.2, singleStep=0.05)
        self.warmup.setSuffix(" s")
        self.max_s = QDoubleSpinBox(minimum=0.01, maximum=600.0, value=2.0, singleStep=0.5)
        self.max_s.setSuffix(" s")
        self.cell_timeout = QDoubleSpinBox(minimum=1.0, maximum=3600.0, value=120.0)
        self.cell_timeout.setDecimals(0)
        self.cell_timeout.setSuffix(" s")
        self.baseline = QComboBox()
        self.baseline.setToolTip("compare every cell with the same cell of a saved baseline")
        form.addRow("samples", self.samples)
        form.addRow("warm-up", self.warmup)
        form.addRow("time per size", self.max_s)
        form.addRow("cell timeout", self.cell_timeout)
        form.addRow("baseline", self.baseline)
        lay.addWidget(opts)

        buttons = QHBoxLayout()
        self.run_button = QPushButton("▶ Run")
        self.run_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("■ Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        lay.addLayout(buttons)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        lay.addWidget(self.progress)
        self.progress_label = QLabel("")
        self.progress_label.setTextFormat(Qt.TextFormat.PlainText)
        self.progress_label.setWordWrap(True)
        lay.addWidget(self.progress_label)
        return box

    def _build_results(self) -> QWidget:
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(4, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(QLabel("Run"))
        self.run_combo = QComboBox()
        self.run_combo.setMinimumContentsLength(12)
        self.run_combo.activated.connect(self._run_chosen)
        top.addWidget(self.run_combo, 1)
        lay.addLayout(top)
        self.message = QLabel("")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.message.setVisible(False)
        lay.addWidget(self.message)

        self.model = SuiteTableModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col, width in enumerate((70, 130, 80, 78, 66, 72, 66, 70, 116)):
            header.resizeSection(col, width)

        plots = QWidget()
        outer = QVBoxLayout(plots)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Plots for kernel"))
        self.kernel_combo = QComboBox()
        self.kernel_combo.setMinimumContentsLength(10)
        self.kernel_combo.activated.connect(self._kernel_chosen)
        self.kernel_combo.currentIndexChanged.connect(lambda _i: self.refresh_plots())
        bar.addWidget(self.kernel_combo)
        bar.addSpacing(16)
        self.legend = QLabel("")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)  # wraps rather than widening the panel
        bar.addWidget(self.legend, 1)
        outer.addLayout(bar)
        play = QHBoxLayout()
        play.setContentsMargins(0, 0, 0, 0)
        outer.addLayout(play, 1)
        self.time_plot = _plot("time per call", "time per call", "size")
        self.time_plot.getPlotItem().setLogMode(x=True, y=True)
        self.speedup_plot = _plot("speedup over scalar", "× scalar", "size")
        self.speedup_plot.getPlotItem().setLogMode(x=True, y=False)
        self.roof_plot = _plot("roofline", "GFLOP/s", "arithmetic intensity (flop/byte)")
        self.roof_plot.getPlotItem().setLogMode(x=True, y=True)
        roof_box = QWidget()
        rlay = QVBoxLayout(roof_box)
        rlay.setContentsMargins(0, 0, 0, 0)
        rlay.setSpacing(0)
        rlay.addWidget(self.roof_plot, 1)
        self.roof_note = QLabel("")
        self.roof_note.setTextFormat(Qt.TextFormat.PlainText)
        self.roof_note.setWordWrap(True)
        rlay.addWidget(self.roof_note)
        play.addWidget(self.time_plot, 1)
        play.addWidget(self.speedup_plot, 1)
        play.addWidget(roof_box, 1)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(plots)
        split.setSizes([330, 330])
        lay.addWidget(split, 1)
        return box

    # -- loading ----------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._loaded:
            self._loaded = True
            self.reload()

    def reload(self) -> None:
        """Kernels from the registry, tiers (in the background), runs and the latest run."""
        self._fill_kernels()
        self._detect_tiers()
        self._load_store(select_latest=True)

    def _fill_kernels(self) -> None:
        checked = {
            self.kernel_list.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.kernel_list.count())
            if self.kernel_list.item(i).checkState() == Qt.CheckState.Checked
        }
        self.kernel_list.blockSignals(True)
        self.kernel_list.clear()
        try:
            specs = [suite.get(n) for n in suite.names()]
        except Exception as exc:  # a broken kernel module must not take the panel down
            self._say(f"cannot load the kernel registry: {type(exc).__name__}: {exc}", "error")
            specs = []
        for spec in specs:
            item = QListWidgetItem(f"{spec.name} — {spec.title}")
            item.setData(Qt.ItemDataRole.UserRole, spec.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            on = spec.name in checked if checked else spec.name in ("saxpy", "dot", "sum")
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            sizes = ", ".join(fmt_size(n) for n in spec.default_sizes)
            quick = ", ".join(fmt_size(n) for n in spec.test_sizes)
            item.setToolTip(
                plain_tooltip(
                    f"{spec.title}\nsizes count {spec.size_meaning}\n"
                    f"defaults: {sizes}\nquick: {quick}" + (f"\n{spec.notes}" if spec.notes else "")
                )
            )
            self.kernel_list.addItem(item)
        self.kernel_list.blockSignals(False)
        self._update_buttons()

    def _detect_tiers(self) -> None:
        if self._detector is not None:
            return
        self._detector = _Call(lambda: tiers.detect(prove=False))
        _keep(self._detector)
        self._detector.done.connect(self._tiers_detected, Qt.ConnectionType.QueuedConnection)
        self._detector.failed.connect(
            lambda why: self._say(f"cannot detect the tiers: {why}", "error"),
            Qt.ConnectionType.QueuedConnection,
        )
        self._detector.finished.connect(self._detector_done)
        self._detector.start()

    def _detector_done(self) -> None:
        self._detector = None

    @property
    def tiers_ready(self) -> bool:
        return self.detected is not None

    def _tiers_detected(self, detected: object) -> None:
        assert isinstance(detected, list)
        self.detected = detected
        self.tier_list.blockSignals(True)
        self.tier_list.clear()
        default_on = {"scalar", "numpy", "sse2", "avx2", "avx512", "neon"}
        for t in sorted(self.detected, key=lambda t: KIND_ORDER.get(t.kind, 5)):
            item = QListWidgetItem(t.id if t.id == t.title else f"{t.id} — {t.title}")
            item.setData(Qt.ItemDataRole.UserRole, t.id)
            if t.available:
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                on = t.id in default_on
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
                item.setToolTip(plain_tooltip(f"{t.title}\n{t.evidence}"))
            else:
                item.setFlags(Qt.ItemFlag.NoItemFlags)
                item.setCheckState(Qt.CheckState.Unchecked)
                item.setText(f"{t.id} — unavailable")
                item.setToolTip(plain_tooltip(f"{t.title}: {t.problem or 'unavailable'}"))
            self.tier_list.addItem(item)
        self.tier_list.blockSignals(False)
        self._update_buttons()

    def _load_store(self, select_latest: bool) -> None:
        """The run list, the baselines and the calibration; the latest run if asked."""
        try:
            with Store(self.store_path) as store:
                runs = store.bench_runs()
                baselines = store.baselines()
                cal = store.latest_calibration()
                latest: int | None = None
                rows: list[dict[str, Any]] = []
                if select_latest and any(r.cells for r in runs):
                    latest = store.resolve_bench_run("latest")
                    rows = store.bench_cells(latest)
        except StoreError as exc:
            self._say(str(exc), "error")
            return
        self.calibration = cal[1] if cal else None
        self._fill_runs(runs)
        current = self.baseline.currentData()
        self.baseline.clear()
        self.baseline.addItem("(none)", None)
        for name, run in baselines.items():
            self.baseline.addItem(f"{name} (run {run})", name)
        idx = self.baseline.findData(current)
        self.baseline.setCurrentIndex(max(idx, 0))
        if latest is not None:
            self._show_run(latest, cells_from_store(rows), runs)

    def _fill_runs(self, runs: Sequence[BenchRun]) -> None:
        self._runs = {r.id: r for r in runs}
        self.run_combo.blockSignals(True)
        self.run_combo.clear()
        for r in reversed(runs):
            if not r.cells:
                continue
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created))
            name = f" “{r.name}”" if r.name else ""
            self.run_combo.addItem(
                f"run {r.id}{name} · {when} · {r.status} · {r.cells} cells", r.id
            )
        if self.run_id is not None:
            self.run_combo.setCurrentIndex(max(self.run_combo.findData(self.run_id), 0))
        self.run_combo.blockSignals(False)

    def _run_chosen(self, index: int) -> None:
        run = self.run_combo.itemData(index)
        if run is None or self.running:
            return
        try:
            with Store(self.store_path) as store:
                rows = store.bench_cells(int(run))
                cal = store.latest_calibration()
        except StoreError as exc:
            self._say(str(exc), "error")
            return
        self.calibration = cal[1] if cal else None
        self._show_run(int(run), cells_from_store(rows), list(self._runs.values()))

    def _show_run(self, run_id: int, cells: list[Cell], runs: Sequence[BenchRun]) -> None:
        info = next((r for r in runs if r.id == run_id), None)
        opts = info.options if info is not None else {}
        self._kernel_order = [str(k) for k in opts.get("kernels") or []]
        self._tier_order = [str(t) for t in opts.get("tiers") or []]
        cells.sort(key=self._plan_order)
        self.run_id = run_id
        self.run_combo.setCurrentIndex(max(self.run_combo.findData(run_id), 0))
        self.model.set_cells(cells)
        self._fill_kernel_combo()
        self.refresh_plots()
        failed = sum(1 for c in cells if not c.ok)
        self.progress.setRange(0, 1)
        self.progress.setValue(1 if cells else 0)
        self.progress.setFormat(f"saved run {run_id}")
        status = f" ({info.status})" if info is not None and info.status != "complete" else ""
        self.progress_label.setText(
            f"run {run_id}{status}: {len(cells)} cells, {failed} failed"
            if cells
            else f"run {run_id}: no results"
        )

    def _plan_order(self, c: Cell) -> tuple[int, int, int]:
        def pos(order: list[str], name: str) -> int:
            return order.index(name) if name in order else len(order)

        return pos(self._kernel_order, c.kernel), pos(self._tier_order, c.tier), c.size

    # -- running ----------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.worker is not None

    def checked(self, lst: QListWidget) -> list[str]:
        return [
            str(lst.item(i).data(Qt.ItemDataRole.UserRole))
            for i in range(lst.count())
            if lst.item(i).checkState() == Qt.CheckState.Checked
            and lst.item(i).data(Qt.ItemDataRole.UserRole) is not None
        ]

    def set_checked(self, lst: QListWidget, names: Sequence[str]) -> None:
        """Check exactly ``names`` (those that can be checked)."""
        for i in range(lst.count()):
            item = lst.item(i)
            if item.flags() & Qt.ItemFlag.ItemIsUserCheckable:
                on = item.data(Qt.ItemDataRole.UserRole) in names
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def options(self) -> Options:
        return Options(
            samples=self.samples.value(),
            warmup_s=self.warmup.value(),
            max_s_per_size=self.max_s.value(),
            cell_timeout_s=self.cell_timeout.value(),
        )

    def plan(self) -> Plan:
        """The plan the controls describe; PlanError says what is wrong with them."""
        kernels = self.checked(self.kernel_list)
        chosen = self.checked(self.tier_list)
        if not kernels:
            raise PlanError("pick at least one kernel")
        if not chosen:
            raise PlanError("pick at least one tier")
        sizes = None
        if self.size_custom.isChecked():
            try:
                sizes = parse_sizes(self.custom_sizes.text())
            except ValueError as exc:
                raise PlanError(str(exc)) from None
        kinds = {t.id: KIND_ORDER.get(t.kind, 5) for t in self.detected or ()}
        chosen.sort(key=lambda t: kinds.get(t, 5))  # stable: detection order within a kind
        return make_plan(kernels, chosen, sizes, quick=self.size_quick.isChecked())

    def start(self) -> None:
        if self.running:
            return
        try:
            plan = self.plan()
        except PlanError as exc:
            self._say(str(exc), "error")
            return
        self._say("")
        self._kernel_order, self._tier_order = list(plan.kernels), list(plan.tiers)
        self.run_id = None
        self.model.set_cells([])
        self._fill_kernel_combo()
        self.refresh_plots()
        worker = SuiteRun(
            self.store_path,
            plan,
            self.options(),
            self.detected,
            self.baseline.currentData(),
        )
        _keep(worker)
        # closing the panel mid-run cancels the suite (the thread then ends on its own)
        self.destroyed.connect(lambda *_args, event=worker.cancel: event.set())
        queued = Qt.ConnectionType.QueuedConnection
        worker.progressed.connect(self._on_progress, queued)
        worker.cellFinished.connect(self._on_cell, queued)
        worker.succeeded.connect(self._on_done, queued)
        worker.failed.connect(self._on_failed, queued)
        worker.finished.connect(self._on_thread_finished, queued)
        self.worker = worker
        self.progress.setRange(0, max(plan.total, 1))
        self.progress.setValue(0)
        self.progress.setFormat("%v / %m cells")
        self.progress_label.setText(f"starting {plan.total} cells…")
        self._started = time.monotonic()
        self._update_buttons()
        worker.start()

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel.set()
            self.progress_label.setText("cancelling…")
            self.cancel_button.setEnabled(False)

    def shutdown(self, timeout_ms: int = 30000) -> None:
        """Cancel a running suite and wait for the threads (closing the window)."""
        self._redraw.stop()
        if self.worker is not None:
            self.worker.cancel.set()
            self.worker.wait(timeout_ms)
        if self._detector is not None:
            self._detector.wait(timeout_ms)

    def _on_progress(self, done: int, total: int, label: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        if self.worker is not None and not self.worker.cancel.is_set():
            elapsed = time.monotonic() - self._started
            self.progress_label.setText(f"{done}/{total} · {label} · {elapsed:.0f} s")

    def _on_cell(self, cell: object) -> None:
        assert isinstance(cell, Cell)
        self.model.add(cell)
        if self.kernel_combo.findText(cell.kernel) < 0:
            self._fill_kernel_combo()
        if cell.kernel == self.kernel_combo.currentText() and not self._redraw.isActive():
            self._redraw.start()

    def _on_done(self, outcome: object) -> None:
        assert isinstance(outcome, BenchOutcome)
        self.run_id = outcome.run_id
        cells = outcome.cells
        failed = sum(1 for c in cells if not c.ok)
        state = "cancelled" if outcome.cancelled else "finished"
        elapsed = time.monotonic() - self._started
        self.progress_label.setText(
            f"run {outcome.run_id} {state} in {elapsed:.0f} s: {len(cells)} cells, {failed} failed"
        )
        if not outcome.cancelled:
            self.progress.setValue(self.progress.maximum())
        self._load_store(select_latest=False)
        self.refresh_plots()
        self.runFinished.emit(outcome.run_id)

    def _on_failed(self, message: str) -> None:
        self._say(message, "error")
        self.progress_label.setText("the suite stopped")

    def _on_thread_finished(self) -> None:
        self.worker = None
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = self.worker is not None
        ready = bool(self.checked(self.kernel_list)) and bool(self.checked(self.tier_list))
        self.run_button.setEnabled(not running and ready)
        self.cancel_button.setEnabled(running)
        self.run_combo.setEnabled(not running)
        for w in (self.kernel_list, self.tier_list, self.samples, self.warmup, self.max_s):
            w.setEnabled(not running)

    def _say(self, text: str, level: str = "info") -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
        color = {"error": ERROR_COLOR.name(), "warn": WARN_COLOR.name()}.get(level)
        self.message.setStyleSheet(f"color: {color};" if color else "")

    # -- plots ------------------------------------------------------------------

    def _fill_kernel_combo(self) -> None:
        seen = list(dict.fromkeys(c.kernel for c in self.model.cells))
        ordered = [k for k in self._kernel_order if k in seen] + [
            k for k in seen if k not in self._kernel_order
        ]
        if not ordered:
            ordered = list(self._kernel_order)
        current = self.kernel_combo.currentText()
        self.kernel_combo.blockSignals(True)
        self.kernel_combo.clear()
        self.kernel_combo.addItems(ordered)
        if current in ordered:
            self.kernel_combo.setCurrentText(current)
        self.kernel_combo.blockSignals(False)
        if self.kernel_combo.currentText() != current:
            self.refresh_plots()

    def _kernel_chosen(self, _index: int) -> None:
        """The user picked a kernel for the plots: bring its rows into view too."""
        kernel = self.kernel_combo.currentText()
        for row in range(self.proxy.rowCount()):
            if self.proxy.index(row, 0).data() == kernel:
                self.table.scrollTo(
                    self.proxy.index(row, 0), QAbstractItemView.ScrollHint.PositionAtTop
                )
                break

    def _tiers_in_order(self, tiers_seen: Sequence[str]) -> list[str]:
        known = [t for t in self._tier_order if t in tiers_seen]
        return known + sorted(t for t in tiers_seen if t not in known)

    def refresh_plots(self) -> None:
        kernel = self.kernel_combo.currentText()
        cells = self.model.cells
        by_tier = _by_tier(cells, kernel) if kernel else {}
        order = self._tiers_in_order(list(by_tier))
        speedup = self.model.speedup
        self.legend_entries = [(t, tier_label(t, cells)) for t in order]
        self.legend.setText(legend_html(self.legend_entries))
        self._draw_time(kernel, by_tier, order, cells)
        self._draw_speedup(kernel, by_tier, order, speedup, cells)
        self._draw_roofline(kernel, by_tier, order, cells)

    def _draw_time(
        self,
        kernel: str,
        by_tier: dict[str, list[Cell]],
        order: list[str],
        cells: Sequence[Cell],
    ) -> None:
        plot = self.time_plot.getPlotItem()
        plot.clear()
        self.time_curves = {}
        meaning = self._size_meaning(kernel)
        plot.setLabel("bottom", f"size ({meaning})" if meaning else "size")
        plot.setTitle(f"{kernel}: time per call" if kernel else "time per call", size="10pt")
        unit, scale = time_unit(
            [float(c.median_s) for rows in by_tier.values() for c in rows if c.median_s]
        )
        plot.setLabel("left", f"time per call ({unit})")
        for tier in order:
            rows = [c for c in by_tier[tier] if c.median_s and c.median_s > 0]
            if not rows:
                continue
            curve = plot.plot(
                [float(c.size) for c in rows],
                [float(c.median_s or 0.0) / scale for c in rows],
                pen=_pen(tier),
                symbol="o",
                symbolSize=5,
                symbolBrush=tier_color(tier),
                symbolPen=None,
                name=tier_label(tier, cells),
            )
            self.time_curves[tier] = curve

    def _draw_speedup(
        self,
        kernel: str,
        by_tier: dict[str, list[Cell]],
        order: list[str],
        speedup: dict[CellKey, float],
        cells: Sequence[Cell],
    ) -> None:
        plot = self.speedup_plot.getPlotItem()
        plot.clear()
        self.speedup_curves = {}
        meaning = self._size_meaning(kernel)
        plot.setLabel("bottom", f"size ({meaning})" if meaning else "size")
        plot.addItem(
            pg.InfiniteLine(
                pos=1.0,
                angle=0,
                pen=pg.mkPen(color=tier_color("scalar"), width=1, style=Qt.PenStyle.DotLine),
            ),
            ignoreBounds=True,
        )
        for tier in order:
            if tier == "scalar":
                continue
            pts = [
                (float(c.size), speedup[(kernel, tier, c.size)])
                for c in by_tier[tier]
                if (kernel, tier, c.size) in speedup
            ]
            if not pts:
                continue
            curve = plot.plot(
                [p[0] for p in pts],
                [p[1] for p in pts],
                pen=_pen(tier),
                symbol="o",
                symbolSize=5,
                symbolBrush=tier_color(tier),
                symbolPen=None,
                name=tier_label(tier, cells),
            )
            self.speedup_curves[tier] = curve
        top = max((max(c.yData) for c in self.speedup_curves.values() if len(c.yData)), default=2.0)
        plot.setYRange(0.0, max(top * 1.1, 1.5), padding=0.0)

    def _draw_roofline(
        self,
        kernel: str,
        by_tier: dict[str, list[Cell]],
        order: list[str],
        cells: Sequence[Cell],
    ) -> None:
        plot = self.roof_plot.getPlotItem()
        plot.clear()
        self.roof_points = {}
        self.roof_lines = []
        plot.setTitle(f"{kernel}: roofline" if kernel else "roofline", size="10pt")
        ais: list[float] = []
        ys: list[float] = []
        for tier in order:
            rows = [c for c in by_tier[tier] if c.gflops and c.bytes > 0 and c.flops > 0]
            if not rows:
                continue
            x = [c.flops / c.bytes for c in rows]
            y = [float(c.gflops or 0.0) for c in rows]
            ais += x
            ys += y
            self.roof_points[tier] = plot.plot(
                x,
                y,
                pen=None,
                symbol="t" if tier == "numpy" else "o",
                symbolSize=8,
                symbolBrush=tier_color(tier),
                symbolPen=None,
                name=tier_label(tier, cells),
            )
        roofs = self._roofs()
        if roofs is None:
            self.roof_note.setText(
                "No calibration yet: run `sovprof calibrate` for the roof."
                if kernel
                else "Run a suite to see its roofline."
            )
            if ais:  # at least two decades, so the log axis has readable ticks
                plot.setXRange(math.log10(min(ais) / 10), math.log10(max(ais) * 10), padding=0)
                plot.setYRange(math.log10(min(ys) / 3), math.log10(max(ys) * 3), padding=0)
            return
        peaks, bandwidths = roofs
        top_peak = max(peaks.values())
        slow_bw = min(bandwidths.values())
        lo = min([*ais, 0.1]) / 10.0
        hi = max([*ais, top_peak / slow_bw]) * 10.0
        xs = [lo * (hi / lo) ** (i / 95) for i in range(96)]
        dram = bandwidths.get("DRAM", slow_bw)
        labels: list[tuple[float, list[str]]] = []  # close peaks share one label
        for tier, peak in sorted(peaks.items(), key=lambda kv: kv[1]):
            ridge = peak / dram  # the ceiling starts where the DRAM slope reaches it
            line = plot.plot(
                [ridge, hi],
                [peak, peak],
                pen=pg.mkPen(color=tier_color(tier), width=1.5, style=Qt.PenStyle.DashLine),
            )
            self.roof_lines.append(line)
            if labels and peak < labels[-1][0] * 1.25:
                labels[-1][1].append(tier)
            else:
                labels.append((peak, [tier]))
        for peak, names in labels:
            text = pg.TextItem(
                f"{'/'.join(names)} peak {peak:.3g}", color=tier_color(names[-1]), anchor=(1, 1)
            )
            text.setPos(math.log10(hi), math.log10(peak))
            plot.addItem(text, ignoreBounds=True)
        grey = (140, 140, 140)
        for name, bw in bandwidths.items():
            end = top_peak / bw
            sx = [x for x in xs if x < end] + [end]
            line = plot.plot(
                sx,
                [x * bw for x in sx],
                pen=pg.mkPen(color=grey, width=1.2, style=Qt.PenStyle.SolidLine),
            )
            self.roof_lines.append(line)
            text = pg.TextItem(f"{name} {bw:.3g} GB/s", color=grey, anchor=(0, 0))
            text.setPos(math.log10(lo), math.log10(lo * bw))
            text.setAngle(0)
            plot.addItem(text, ignoreBounds=True)
        ylo = min([*ys, lo * slow_bw]) / 2.0
        plot.setXRange(math.log10(lo), math.log10(hi), padding=0.0)
        plot.setYRange(math.log10(ylo), math.log10(top_peak * 2.0), padding=0.0)
        when = self.calibration.get("created") if self.calibration else None
        stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(float(when))) if when else "?"
        self.roof_note.setText(f"roofs from the calibration of {stamp}")

    def _roofs(self) -> tuple[dict[str, float], dict[str, float]] | None:
        """({cpu tier: peak GFLOP/s}, {"cache"/"DRAM": GB/s}) from the calibration."""
        cal = self.calibration
        if not cal:
            return None
        peaks = {
            str(t): float(d["peak_flops"]) / 1e9
            for t, d in (cal.get("tiers") or {}).items()
            if isinstance(d, dict) and d.get("peak_flops") and isa.level(str(t)) is not None
        }
        bandwidths: dict[str, float] = {}
        dram = dram_bandwidth(cal)
        best = best_cpu_tier(cal)
        if best is not None:
            cache = bandwidth_at(cal["tiers"][best], 0.0)
            if cache and (dram is None or cache > dram * 1.2):
                bandwidths["cache"] = cache / 1e9
        if dram:
            bandwidths["DRAM"] = dram / 1e9
        if not peaks or not bandwidths:
            return None
        return peaks, bandwidths

    def _size_meaning(self, kernel: str) -> str:
        if not kernel:
            return ""
        try:
            return suite.get(kernel).size_meaning
        except Exception:
            return ""
