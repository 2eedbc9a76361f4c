"""The Selector panel: every decision of every backend-selector policy, and why.

For each policy (batuta, batuta-moe, calibrated, measured) a *decision map*: one row per
kernel, one cell per size of the latest benchmark grid (each kernel with its own
sizes), coloured by the tier the policy picks; a red outline and ✗ where the pick is not
the measured fastest tier (a pick statistically tied with the fastest counts as
agreeing, as :func:`kernels.selector.evaluate` scores it).  Clicking a cell explains the
decision: the reason with its numbers, the predicted time of every tier, the rejected
tiers and why, and the measured times.

Beside the maps, for the selected kernel: batuta's 5× rule (GPU compute time ÷ PCIe
transfer time against size, the dispatch ratio and the region where batuta picks the
GPU) with the calibrated model's compute saving ÷ overhead of every non-CPU tier; the
predicted and measured cost curves of every tier with their crossovers; and the
accuracy and regret of every policy.  The what-if controls (PCIe bandwidth, GPU
throughput, dispatch ratio) redraw the maps, the 5× plot and the scores as they change.

The calibrated policy is shown as it is scored: out of sample (the size being judged is
left out of its efficiency fit).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

import pyqtgraph as pg  # type: ignore[import-untyped]  # isort: skip  (after PySide6)

from app.core.selector_display import (
    batuta_ratio,
    batuta_threshold,
    calibrated_ratios,
    dense_sizes,
    grid_of,
    machine_for,
    tier_order,
)
from app.core.store import Store, StoreError
from app.core.suites import load_selector_model
from app.ui.suites import fmt_size
from app.ui.tables import plain_tooltip
from kernels import suite
from kernels.selector import (
    POLICIES,
    BatutaParams,
    CalibratedModel,
    Decision,
    Machine,
    Point,
    Score,
    decide,
    evaluate,
    fmt_time,
)

RGB = tuple[int, int, int]
Key = tuple[str, int]
Sizes = Sequence[float] | np.ndarray

POLICY_TITLES = {
    "batuta": "batuta (static 5× PCIe rule)",
    "batuta-moe": "batuta-moe (complexity thresholds)",
    "calibrated": "calibrated (this machine, 5× rule)",
    "measured": "measured (fastest in the benchmark)",
}
#: colour of a concrete tier (SIMD in blues, wider darker; never red: red marks errors)
TIER_COLORS: dict[str, RGB] = {
    "scalar": (189, 189, 189),
    "sse2": (158, 202, 225),
    "neon": (158, 202, 225),
    "avx2": (66, 146, 198),
    "avx512": (8, 81, 156),
    "dask": (166, 118, 76),
}
OPENCL_GPU: RGB = (253, 141, 60)
OPENCL_CPU: RGB = (158, 106, 205)
#: colour of a class the machine lacks (the cell is hatched: it runs on a fallback)
CLASS_COLORS: dict[str, RGB] = {
    "scalar": (189, 189, 189),
    "simd": (66, 146, 198),
    "gpu": OPENCL_GPU,
    "opencl": (150, 110, 200),
    "distributed": (166, 118, 76),
}
WRONG: RGB = (220, 30, 30)
DEFAULT = BatutaParams()


# -- data (no widgets) ------------------------------------------------------------------


@dataclass
class SelectorData:
    """What the panel shows, read from the store."""

    run_id: int | None
    model: CalibratedModel
    #: every cell of the run, failed ones included (for the explanation)
    raw_cells: list[dict[str, Any]]
    #: kernel -> its sizes, in the suite's kernel order
    grid: dict[str, list[int]]
    machine: Machine
    calibration_id: int | None = None
    problem: str = ""

    @property
    def has_bench(self) -> bool:
        return self.run_id is not None and bool(self.model.cells)

    @property
    def has_calibration(self) -> bool:
        return bool(self.model.tiers())

    def policies(self) -> list[str]:
        """The policies that can be shown with this data."""
        out = ["batuta", "batuta-moe"]
        if self.has_bench or self.has_calibration:
            out.append("calibrated")
        if self.has_bench:
            out.append("measured")
        return out

    def measured_at(self, kernel: str, n: int) -> dict[str, dict[str, Any]]:
        return {
            str(c["tier"]): c
            for c in self.raw_cells
            if c.get("kernel") == kernel and int(c.get("size", -1)) == n
        }


def default_grid() -> dict[str, list[int]]:
    return {name: list(suite.get(name).default_sizes) for name in suite.names()}


def load_data(store_path: Path, run_ref: str = "latest") -> SelectorData:
    """Read the latest calibration and benchmark run (a Store of this thread's own)."""
    try:
        with Store(store_path) as store:
            run_id, model = load_selector_model(store, run_ref)
            raw = store.bench_cells(run_id) if run_id is not None else []
            cal = store.latest_calibration()
    except StoreError as exc:
        empty = CalibratedModel(None, [])
        return SelectorData(None, empty, [], default_grid(), machine_for(empty), None, str(exc))
    grid = grid_of(raw) if model.cells else {}
    return SelectorData(
        run_id, model, raw, grid or default_grid(), machine_for(model), cal[0] if cal else None
    )


def tier_color(tier: str | None, machine: Machine) -> RGB:
    if tier is None:
        return (255, 255, 255)
    if tier in TIER_COLORS:
        return TIER_COLORS[tier]
    kind = machine.tiers.get(tier, "")
    if kind == "opencl-gpu":
        return OPENCL_GPU
    if kind == "opencl-cpu" or tier.startswith("opencl"):
        return OPENCL_CPU
    c = pg.intColor(abs(hash(tier)) % 9, hues=9)
    return (c.red(), c.green(), c.blue())


def tier_title(tier: str, machine: Machine) -> str:
    kind = machine.tiers.get(tier, "")
    if kind == "opencl-gpu":
        return f"{tier} (OpenCL GPU)"
    if kind == "opencl-cpu":
        return f"{tier} (OpenCL CPU device)"
    return tier


def short_tier(tier: str | None) -> str:
    if tier is None:
        return "—"
    if tier.startswith("opencl:"):
        return "cl" + tier[len("opencl") :]
    return tier


def fmt_n(n: float) -> str:
    """A size in decimal units, for thresholds (18,750 → 18.8k)."""
    for suffix, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g}{suffix}"
    return f"{n:.3g}"


def fmt_pct(x: float) -> str:
    return "∞" if not math.isfinite(x) else f"{100 * x:.1f} %"


@dataclass
class MapCell:
    """One policy's decision at one (kernel, size), and how it scored."""

    decision: Decision
    point: Point | None = None
    #: the decision's class is not on this machine: it runs on a fallback tier
    fallback: bool = False

    @property
    def wrong(self) -> bool:
        return self.point is not None and not self.point.correct

    @property
    def tied(self) -> bool:
        return self.point is not None and self.point.tie


@dataclass
class Decisions:
    """Every map, every score: what the panel draws for one set of what-if parameters."""

    maps: dict[str, dict[Key, MapCell]] = field(default_factory=dict)
    scores: dict[str, Score] = field(default_factory=dict)
    points: list[Point] = field(default_factory=list)


def compute(data: SelectorData, params: BatutaParams) -> Decisions:
    """Decide every (kernel, size) of the grid with every policy, and score them."""
    out = Decisions()
    policies = data.policies()
    if data.has_bench:
        out.scores, out.points = evaluate(data.model, data.machine, policies, params)
    by_point = {(p.policy, p.kernel, p.size): p for p in out.points}
    for policy in policies:
        cells: dict[Key, MapCell] = {}
        for kernel, sizes in data.grid.items():
            for n in sizes:
                # as evaluate() judges it: the calibrated fit leaves the size out
                leave_out = n if data.has_bench else None
                d = decide(policy, kernel, n, data.machine, data.model, params, leave_out)
                fallback = d.tier is not None and data.machine.class_of(d.tier) != d.tier_class
                cells[(kernel, n)] = MapCell(d, by_point.get((policy, kernel, n)), fallback)
        out.maps[policy] = cells
    return out


def predicted_curves(
    model: CalibratedModel, tiers: Sequence[str], kernel: str, sizes: Sizes
) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for t in tiers:
        ys = []
        for n in sizes:
            p = model.predict(kernel, t, int(n))
            ys.append(p.total_s if p is not None and p.total_s > 0 else np.nan)
        arr = np.asarray(ys, dtype=float)
        if np.isfinite(arr).any():
            out[t] = arr
    return out


@dataclass
class Crossover:
    size: float
    seconds: float
    a: str
    b: str


def crossovers(xs: Sizes, curves: dict[str, np.ndarray]) -> list[Crossover]:
    """Where two predicted curves cross (log-log interpolation between samples)."""
    lx = np.log(np.asarray(xs, dtype=float))
    names = list(curves)
    out: list[Crossover] = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            la, lb = np.log(curves[a]), np.log(curves[b])
            d = la - lb
            for j in range(len(d) - 1):
                d0, d1 = d[j], d[j + 1]
                if not (np.isfinite(d0) and np.isfinite(d1)) or d0 == d1:
                    continue
                if (d0 < 0 < d1) or (d1 < 0 < d0):
                    f = d0 / (d0 - d1)
                    x = lx[j] + f * (lx[j + 1] - lx[j])
                    y = la[j] + f * (la[j + 1] - la[j])
                    out.append(Crossover(float(np.exp(x)), float(np.exp(y)), a, b))
    return sorted(out, key=lambda c: c.size)


# -- the explanation (HTML, every value escaped) ------------------------------------------


def _e(text: object) -> str:
    return html.escape(str(text))


def _table(header: Sequence[str] | None, rows: Sequence[Sequence[str]]) -> str:
    pad = "style='padding-right:14px'"
    head = "".join(f"<th align='left' {pad}>{_e(h)}</th>" for h in header or ())
    body = "".join("<tr>" + "".join(f"<td {pad}>{c}</td>" for c in row) + "</tr>" for row in rows)
    head_row = f"<tr>{head}</tr>" if header else ""
    return f"<table cellspacing='0' cellpadding='1'>{head_row}{body}</table>"


def explain(policy: str, cell: MapCell, data: SelectorData, others: dict[str, MapCell]) -> str:
    """The whole decision as HTML: reason, predictions, rejections, measurements."""
    d = cell.decision
    spec = suite.get(d.kernel)
    m = data.machine
    parts = [
        f"<b>{_e(policy)}</b> · <b>{_e(d.kernel)}</b> · n = {d.size:,} "
        f"<span style='color:gray'>({_e(spec.size_meaning)})</span>"
    ]
    pick = f"class <b>{_e(d.tier_class)}</b> → tier <b>{_e(d.tier or 'none')}</b>"
    if cell.fallback:
        pick += " (this machine lacks the class: it runs on the fallback)"
    parts.append(f"Picks {pick}.")
    parts.append(f"<i>{_e(d.reason)}</i>")
    if policy == "batuta" and d.inputs:
        i = d.inputs
        ratio = (i["gpu_compute_s"] / i["pcie_transfer_s"]) if i["pcie_transfer_s"] else math.nan
        rows = [
            ["FLOPs", f"{i['flops']:,.0f}"],
            ["bytes over PCIe", f"{i['bytes']:,.0f}"],
            ["GPU compute", f"{_e(fmt_time(i['gpu_compute_s']))} at {i['gpu_flops'] / 1e12:g} "
             "TFLOP/s"],
            ["PCIe transfer", f"{_e(fmt_time(i['pcie_transfer_s']))} at "
             f"{i['pcie_bw'] / 1e9:g} GB/s"],
            ["compute ÷ transfer", f"{ratio:.3g} (GPU above {i['ratio']:g})"],
        ]  # fmt: skip
        if spec.batuta_op == "elementwise":
            rows[-1][1] += " — not used: elementwise never goes to the GPU"
        parts.append("batuta's cost model:" + _table(None, rows))
    if policy == "calibrated" and d.predicted:
        how = d.inputs.get("how", {})
        comp = d.inputs.get("compute_s", {})
        over = d.inputs.get("overhead_s", {})
        rows = []
        for t in tier_order(list(d.predicted)):
            mark = " ◀" if t == d.tier else ""
            rows.append([
                f"{_e(tier_title(t, m))}{mark}",
                _e(fmt_time(d.predicted[t])),
                _e(fmt_time(comp[t])) if t in comp else "",
                _e(fmt_time(over[t])) if t in over else "",
                f"<span style='color:gray'>{_e(how.get(t, ''))}</span>",
            ])  # fmt: skip
        parts.append(
            (
                "Predicted (out of sample: this size is left out of the efficiency fit):"
                if data.has_bench
                else "Predicted (from the calibration alone):"
            )
            + _table(["tier", "total", "compute", "overhead", "how"], rows)
        )
    if d.rejected:
        items = "".join(f"<li>{_e(t)}: {_e(why)}</li>" for t, why in d.rejected.items())
        parts.append(f"Rejected:<ul style='margin-top:0'>{items}</ul>")
    measured = data.measured_at(d.kernel, d.size)
    if measured:
        rows = []
        usable = {
            t: float(c["median_s"])
            for t, c in measured.items()
            if c.get("median_s") and c.get("correct") and not c.get("error")
        }
        fastest = min(usable, key=usable.__getitem__) if usable else None
        for t in tier_order(list(measured)):
            c = measured[t]
            notes = []
            if t == fastest:
                notes.append("★ fastest")
            if t == d.tier:
                notes.append("◀ picked")
            if c.get("error") or not c.get("correct"):
                err = str(c.get("error") or "wrong result").strip().splitlines()
                notes.append("failed: " + (err[0] if err else "?"))
            elif (c.get("asm") or {}).get("problem"):
                notes.append(f"not {t}: {c['asm']['problem']}")
            lo, hi = c.get("ci_low_s"), c.get("ci_high_s")
            ci = f"{fmt_time(float(lo))} – {fmt_time(float(hi))}" if lo and hi else ""
            median = fmt_time(float(c["median_s"])) if c.get("median_s") else ""
            rows.append([_e(t), _e(median), _e(ci), _e(", ".join(notes))])
        parts.append(
            f"Measured (run #{data.run_id}):" + _table(["tier", "median", "95 % CI", ""], rows)
        )
    elif data.has_bench:
        parts.append(f"Not measured at this size in run #{data.run_id}.")
    p = cell.point
    if p is not None and policy != "measured":
        if p.exact:
            verdict = f"✓ agrees: {p.best} was measured fastest ({fmt_time(p.best_s)})."
        elif p.tie:
            verdict = (
                f"≈ agrees within the confidence intervals: {p.chosen} "
                f"{fmt_time(p.chosen_s or 0)} vs fastest {p.best} {fmt_time(p.best_s)} "
                f"(+{100 * p.regret:.0f} %)."
            )
        elif p.same_class:
            verdict = (
                f"≈ agrees on the tier class: {p.chosen} {fmt_time(p.chosen_s or 0)} vs "
                f"fastest {p.best} {fmt_time(p.best_s)} (+{100 * p.regret:.0f} %)."
            )
        elif p.chosen_s is None:
            verdict = f"✗ {p.chosen or 'nothing'} was not measured here; {p.best} was fastest."
        else:
            verdict = (
                f"✗ differs: fastest was {p.best} {fmt_time(p.best_s)}; {p.chosen} took "
                f"{fmt_time(p.chosen_s)} (regret +{100 * p.regret:.0f} %)."
            )
        color = "#1a7f37" if p.correct else "#c81e1e"
        parts.append(f"<b style='color:{color}'>{_e(verdict)}</b>")
    if others:
        picks = ", ".join(
            f"{_e(pol)} → {_e(c.decision.tier or 'none')}" + (" ✗" if c.wrong else "")
            for pol, c in others.items()
        )
        parts.append(f"<span style='color:gray'>All policies here: {picks}</span>")
    return "<p style='margin:0'>" + "</p><p style='margin:4px 0 0 0'>".join(parts) + "</p>"


# -- the decision map ----------------------------------------------------------------------


def muted(pal: QPalette) -> QColor:
    """Secondary text: between the text and the window colour, readable light or dark."""
    a, b = pal.color(QPalette.ColorRole.WindowText), pal.color(QPalette.ColorRole.Window)
    return QColor(
        round(0.65 * a.red() + 0.35 * b.red()),
        round(0.65 * a.green() + 0.35 * b.green()),
        round(0.65 * a.blue() + 0.35 * b.blue()),
    )


def _text_color(rgb: RGB) -> QColor:
    r, g, b = rgb
    return QColor(0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 140 else QColor(255, 255, 255)


class DecisionMap(QWidget):
    """One policy's decisions: a row per kernel, a cell per size (its own sizes)."""

    cellClicked = Signal(str, str, int)  # policy, kernel, size

    TITLE_H = 20
    CELL_H = 30
    GAP = 2

    def __init__(self, policy: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.policy = policy
        self.rows: list[tuple[str, list[int]]] = []
        self.cells: dict[Key, MapCell] = {}
        self.machine = Machine({})
        self.message = ""
        self.summary = ""
        self.selected: Key | None = None
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_cells(
        self,
        grid: dict[str, list[int]],
        cells: dict[Key, MapCell] | None,
        machine: Machine,
        message: str = "",
        summary: str = "",
    ) -> None:
        self.rows = list(grid.items())
        self.cells = dict(cells or {})
        self.machine = machine
        self.message = message if cells is None else ""
        self.summary = summary
        self.updateGeometry()
        self.update()

    def _label_w(self) -> int:
        fm = self.fontMetrics()
        return max((fm.horizontalAdvance(k) for k, _ in self.rows), default=40) + 10

    def _cell_w(self) -> int:
        cols = max((len(s) for _, s in self.rows), default=1)
        free = self.width() - self._label_w() - 4
        return int(max(44, min(72, free // max(cols, 1))))

    def sizeHint(self) -> QSize:
        cols = max((len(s) for _, s in self.rows), default=1)
        h = self.TITLE_H + max(len(self.rows), 1) * (self.CELL_H + self.GAP) + 4
        return QSize(self._label_w() + cols * 56, h)

    def minimumSizeHint(self) -> QSize:
        cols = max((len(s) for _, s in self.rows), default=1)
        return QSize(self._label_w() + cols * 44, self.sizeHint().height())

    def cell_rect(self, kernel: str, size: int) -> QRect:
        """Where a cell is drawn (an empty rect when it is not on the map)."""
        w = self._cell_w()
        for r, (k, sizes) in enumerate(self.rows):
            if k == kernel and size in sizes:
                x = self._label_w() + sizes.index(size) * w
                y = self.TITLE_H + r * (self.CELL_H + self.GAP)
                return QRect(x, y, w - self.GAP, self.CELL_H)
        return QRect()

    def key_at(self, pos: QPoint) -> Key | None:
        for k, sizes in self.rows:
            for n in sizes:
                if self.cell_rect(k, n).contains(pos):
                    return (k, n)
        return None

    def fill_of(self, key: Key) -> RGB:
        """The colour a cell is filled with: its tier's, or its class's when that is lacking."""
        cell = self.cells[key]
        if cell.fallback:
            return CLASS_COLORS[cell.decision.tier_class]
        return tier_color(cell.decision.tier, self.machine)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        key = self.key_at(event.position().toPoint())
        if key is not None and key in self.cells:
            self.cellClicked.emit(self.policy, key[0], key[1])
        super().mousePressEvent(event)

    def event(self, e: QEvent) -> bool:
        if e.type() == QEvent.Type.ToolTip and isinstance(e, QHelpEvent):
            key = self.key_at(e.pos())
            cell = self.cells.get(key) if key else None
            if cell is None:
                QToolTip.hideText()
                e.ignore()
                return True
            d = cell.decision
            text = f"{d.kernel} · n = {d.size:,} → {d.tier or 'none'}\n{d.reason}"
            if cell.wrong and cell.point is not None:
                text += f"\n✗ measured fastest: {cell.point.best}"
            QToolTip.showText(e.globalPos(), plain_tooltip(text), self)
            return True
        return super().event(e)

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.WindowText)
        bold = QFont(self.font())
        bold.setBold(True)
        p.setFont(bold)
        p.setPen(text)
        title = POLICY_TITLES.get(self.policy, self.policy)
        head = QRect(0, 0, self.width() - 4, self.TITLE_H - 2)
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        title_w = p.fontMetrics().horizontalAdvance(title)
        summary_w = self.fontMetrics().horizontalAdvance(self.summary) if self.summary else 0
        if title_w + summary_w + 16 > head.width():
            title = self.policy  # the short name leaves room for the score
            title_w = p.fontMetrics().horizontalAdvance(title)
        p.drawText(head, left, title)
        if self.summary:
            p.setFont(self.font())
            p.setPen(muted(pal))
            rest = head.adjusted(title_w + 10, 0, 0, 0)
            summary = p.fontMetrics().elidedText(
                self.summary, Qt.TextElideMode.ElideRight, rest.width()
            )
            p.drawText(rest, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, summary)
        p.setFont(self.font())
        lw = self._label_w()
        for r, (kernel, _sizes) in enumerate(self.rows):
            y = self.TITLE_H + r * (self.CELL_H + self.GAP)
            p.setPen(text)
            right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            p.drawText(QRect(0, y, lw - 6, self.CELL_H), right, kernel)
        if self.message:
            body = QRect(lw, self.TITLE_H, self.width() - lw - 4, self.height() - self.TITLE_H)
            p.setPen(muted(pal))
            p.drawRect(body.adjusted(0, 0, -1, -1))
            wrap = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
            p.drawText(body.adjusted(8, 4, -8, -4), wrap, self.message)
            p.end()
            return
        small = QFont(self.font())
        small.setPointSizeF(max(6.5, self.font().pointSizeF() * 0.8))
        tier_font = QFont(self.font())
        tier_font.setPointSizeF(max(7.0, self.font().pointSizeF() * 0.9))
        tier_font.setBold(True)
        for kernel, sizes in self.rows:
            for n in sizes:
                cell = self.cells.get((kernel, n))
                rect = self.cell_rect(kernel, n)
                if cell is None:
                    continue
                self._paint_cell(p, rect, (kernel, n), cell, small, tier_font)
        p.end()

    def _paint_cell(
        self, p: QPainter, rect: QRect, key: Key, cell: MapCell, small: QFont, tier_font: QFont
    ) -> None:
        rgb = self.fill_of(key)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(*rgb))
        p.drawRoundedRect(QRectF(rect), 3, 3)
        fg = _text_color(rgb)
        if cell.fallback:
            runs_on = tier_color(cell.decision.tier, self.machine)
            p.setBrush(QBrush(QColor(*runs_on), Qt.BrushStyle.BDiagPattern))
            p.drawRoundedRect(QRectF(rect), 3, 3)
        p.setPen(fg)
        p.setFont(small)
        top = QRect(rect.x() + 3, rect.y() + 1, rect.width() - 6, rect.height() // 2)
        p.drawText(top, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   fmt_size(key[1]))  # fmt: skip
        label = short_tier(cell.decision.tier)
        if cell.fallback:
            label = f"→{label}"
        p.setFont(tier_font)
        bottom = QRect(rect.x() + 2, rect.y() + rect.height() // 2 - 1, rect.width() - 4,
                       rect.height() // 2)  # fmt: skip
        label = p.fontMetrics().elidedText(label, Qt.TextElideMode.ElideRight, bottom.width())
        p.drawText(bottom, Qt.AlignmentFlag.AlignCenter, label)
        if cell.wrong or cell.tied:
            badge = QRect(rect.right() - 13, rect.y() + 1, 13, 13)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(255, 255, 255))
            p.drawEllipse(badge)
            p.setPen(QColor(*WRONG) if cell.wrong else QColor(40, 40, 40))
            bf = QFont(self.font())
            bf.setBold(True)
            bf.setPointSizeF(max(6.5, self.font().pointSizeF() * 0.8))
            p.setFont(bf)
            p.drawText(badge, Qt.AlignmentFlag.AlignCenter, "✗" if cell.wrong else "≈")
        if cell.wrong:
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(QColor(*WRONG), 2.5))
            p.drawRoundedRect(QRectF(rect).adjusted(1.25, 1.25, -1.25, -1.25), 3, 3)
        if self.selected == key:
            p.setBrush(Qt.BrushStyle.NoBrush)
            hl = self.palette().color(QPalette.ColorRole.WindowText)
            p.setPen(QPen(hl, 2, Qt.PenStyle.DashLine))
            p.drawRoundedRect(QRectF(rect).adjusted(-1, -1, 1, 1), 3, 3)


# -- plots ----------------------------------------------------------------------------------


class LogAxis(pg.AxisItem):  # type: ignore[misc]
    """A log axis that labels decades (and 2, 5 between them when few) in plain units."""

    def __init__(self, orientation: str, fmt: Callable[[float], str]) -> None:
        super().__init__(orientation)
        self._fmt = fmt
        self.enableAutoSIPrefix(False)

    def _span(self) -> float:
        lo, hi = self.range
        return float(abs(hi - lo))

    def logTickValues(
        self, minVal: float, maxVal: float, size: float, stdTicks: Any
    ) -> list[tuple[float | None, list[float]]]:
        v1, v2 = math.floor(minVal), math.ceil(maxVal)
        step = max(1, math.ceil((maxVal - minVal) / 7))
        inside = [float(v) for v in range(v1, v2 + 1) if minVal <= v <= maxVal]
        decades = [v for v in inside if int(v) % step == 0]
        mids: list[float] = []
        minor: list[float] = []
        for v in range(v1, v2 + 1):
            for m in range(2, 10):
                x = v + math.log10(m)
                if minVal < x < maxVal:
                    (mids if m in (2, 5) else minor).append(x)
        if maxVal - minVal > 2.5:
            return [(1.0, decades), (None, [v for v in inside if v not in decades] + mids + minor)]
        return [(1.0, decades), (0.5, mids), (None, minor)]

    def logTickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        few = self._span() <= 2.5
        out = []
        for v in values:
            mantissa = 10 ** (v - math.floor(v + 1e-9))
            labelled = abs(v - round(v)) < 1e-6 or (
                few and min(abs(mantissa - 2), abs(mantissa - 5)) < 1e-6
            )
            out.append(self._fmt(10**v) if labelled else "")
        return out


def _fmt_ratio(x: float) -> str:
    return f"{x:g}" if 1e-3 <= x < 1e5 else f"{x:.0e}".replace("e+0", "e").replace("e-0", "e-")


def _plot(
    title: str, left: str, bottom: str, fmt_left: Callable[[float], str], legend_y: int = 6
) -> pg.PlotWidget:
    widget = pg.PlotWidget(
        axisItems={"bottom": LogAxis("bottom", fmt_n), "left": LogAxis("left", fmt_left)}
    )
    widget.setMinimumSize(260, 200)
    plot = widget.getPlotItem()
    plot.setTitle(title, size="10pt")
    plot.setLabel("left", left)
    plot.setLabel("bottom", bottom)
    plot.showGrid(x=True, y=True, alpha=0.25)
    plot.setMenuEnabled(False)
    plot.hideButtons()
    plot.setLogMode(x=True, y=True)
    plot.getAxis("left").setWidth(56)
    back = widget.backgroundBrush().color()
    back.setAlpha(200)
    plot.addLegend(offset=(6, legend_y), labelTextSize="8pt", brush=pg.mkBrush(back), verSpacing=-4)
    return widget


def _note() -> QLabel:
    label = QLabel("")
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setContentsMargins(4, 0, 4, 2)
    pal = label.palette()
    pal.setColor(QPalette.ColorRole.WindowText, muted(pal))
    label.setPalette(pal)
    return label


def _spin(value: float, lo: float, hi: float, suffix: str, tip: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setDecimals(3)
    box.setRange(lo, hi)
    box.setValue(value)
    box.setSuffix(suffix)
    box.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)
    box.setKeyboardTracking(False)
    box.setToolTip(tip)
    box.setMinimumWidth(110)
    return box


# -- the panel ------------------------------------------------------------------------------


class SelectorPanel(QWidget):
    """Decision maps, the 5× rule, cost curves, scores, and what-if controls."""

    def __init__(self, store_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store_path = Path(store_path)
        self.data: SelectorData | None = None
        self.decisions = Decisions()
        self.selected: tuple[str, str, int] | None = None  # policy, kernel, size
        self._loaded = False

        # the what-if bar
        self.pcie = _spin(DEFAULT.pcie_bw / 1e9, 0.001, 1e9, " GB/s",
                          "batuta's PCIe bandwidth (default 32 GB/s)")  # fmt: skip
        self.gpu = _spin(DEFAULT.gpu_flops / 1e12, 0.001, 1e9, " TFLOP/s",
                         "batuta's GPU throughput (default 20 TFLOP/s)")  # fmt: skip
        self.ratio = _spin(DEFAULT.ratio, 0.01, 1e6, " ×",
                           "the dispatch ratio of batuta and of the calibrated policy "
                           "(default 5)")  # fmt: skip
        for box in (self.pcie, self.gpu, self.ratio):
            box.valueChanged.connect(self._params_changed)
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("batuta's constants: 32 GB/s, 20 TFLOP/s, 5×")
        self.reset_button.clicked.connect(self.reset_params)
        self.kernel_combo = QComboBox()
        self.kernel_combo.setMinimumContentsLength(9)
        self.kernel_combo.currentIndexChanged.connect(lambda _i: self._kernel_changed())
        self.export_button = QPushButton("Export PNG…")
        self.export_button.clicked.connect(self._export_clicked)
        self.reload_button = QPushButton("Reload")
        self.reload_button.setToolTip("read the latest calibration and benchmark again")
        self.reload_button.clicked.connect(self.reload)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        what_if = QLabel("<b>What if</b>")
        bar.addWidget(what_if)
        for label, box in (("PCIe", self.pcie), ("GPU", self.gpu), ("dispatch ratio", self.ratio)):
            bar.addSpacing(6)
            bar.addWidget(QLabel(label))
            bar.addWidget(box)
        bar.addWidget(self.reset_button)
        bar.addStretch(1)
        bar.addWidget(QLabel("Plots for kernel"))
        bar.addWidget(self.kernel_combo)
        bar.addSpacing(6)
        bar.addWidget(self.reload_button)
        bar.addWidget(self.export_button)

        self.message = QLabel("")
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)

        # the maps, the legend, the explanation
        self.maps: dict[str, DecisionMap] = {}
        maps_box = QWidget()
        grid = QGridLayout(maps_box)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(8)
        for i, policy in enumerate(POLICIES):
            m = DecisionMap(policy)
            m.cellClicked.connect(self.select)
            self.maps[policy] = m
            grid.addWidget(m, i // 2, i % 2)
        self.legend = QLabel("")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        self.explanation = QTextBrowser()
        self.explanation.setOpenLinks(False)
        self.explanation.setPlaceholderText("Click a cell of a map to see why it was chosen.")
        left = QWidget()
        llay = QVBoxLayout(left)
        llay.setContentsMargins(0, 0, 0, 0)
        llay.addWidget(maps_box)
        llay.addWidget(self.legend)
        llay.addWidget(self.explanation, 1)

        # the plots and the scores
        self.five_plot = _plot("batuta's 5× rule", "ratio", "size", _fmt_ratio, legend_y=24)
        self.five_note = _note()
        self.cost_plot = _plot("cost curves", "time per call", "size", fmt_time)
        self.cost_note = _note()
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(
            ["policy", "points", "accuracy", "exact", "mean regret", "total regret"]
        )
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setToolTip(
            "accuracy: the pick is the measured fastest tier or tied with it within the 95 % "
            "CIs; exact: it is the fastest; regret: time lost against the fastest"
        )
        self.table_title = QLabel("<b>Accuracy and regret</b> (on the benchmark grid)")
        right = QWidget()
        rlay = QVBoxLayout(right)
        rlay.setContentsMargins(0, 0, 0, 0)
        rlay.setSpacing(2)
        rlay.addWidget(self.five_plot, 3)
        rlay.addWidget(self.five_note)
        rlay.addWidget(self.cost_plot, 3)
        rlay.addWidget(self.cost_note)
        rlay.addWidget(self.table_title)
        rlay.addWidget(self.table, 2)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setSizes([1150, 850])
        split.setChildrenCollapsible(False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(bar)
        lay.addWidget(self.message)
        lay.addWidget(split, 1)

    # -- loading --------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._loaded:
            self.reload()

    def reload(self) -> None:
        """Read the latest calibration and benchmark from the store and redraw everything."""
        self._loaded = True
        self.data = load_data(self.store_path)
        self._say_status()
        current = self.kernel_combo.currentText()
        self.kernel_combo.blockSignals(True)
        self.kernel_combo.clear()
        self.kernel_combo.addItems(list(self.data.grid))
        if current in self.data.grid:
            self.kernel_combo.setCurrentText(current)
        self.kernel_combo.blockSignals(False)
        if self.selected and (self.selected[1], self.selected[2]) not in {
            (k, n) for k, s in self.data.grid.items() for n in s
        }:
            self.selected = None
        self.refresh()
        self._draw_costs()

    def _say_status(self) -> None:
        data = self.data
        assert data is not None
        if data.problem:
            text, level = f"Cannot read the store: {data.problem}", "error"
        elif not data.has_bench and not data.has_calibration:
            text, level = (
                "No benchmark and no calibration yet: run `sovprof calibrate`, then `sovprof "
                "bench` (or run a suite in the Suites panel), then Reload. Until then only "
                "batuta's static policies are shown, on each kernel's default sizes.",
                "warn",
            )
        elif not data.has_bench:
            text, level = (
                "No benchmark yet: run `sovprof bench` (or a suite in the Suites panel), then "
                "Reload. The calibrated map predicts from the calibration's roofline alone "
                "(an assumed 50 % efficiency) on each kernel's default sizes; nothing can be "
                "scored.",
                "warn",
            )
        elif not data.has_calibration:
            text, level = (
                f"Benchmark run #{data.run_id}, but no calibration: run `sovprof calibrate` "
                "(then Reload). Without it the calibrated policy only interpolates measured "
                "times and the 5× plot shows batuta's rule alone.",
                "warn",
            )
        else:
            n = sum(len(s) for s in data.grid.values())
            text, level = (
                f"Benchmark run #{data.run_id} ({len(data.grid)} kernels, {n} sizes, tiers "
                f"{', '.join(tier_order(list(data.machine.tiers)))}) and calibration "
                f"#{data.calibration_id}. Calibrated picks are judged out of sample. ✗: the "
                "pick is not the measured fastest (beyond the 95 % CIs); ≈: tied within them.",
                "info",
            )
        self.message.setText(text)
        color = {"error": "#c81e1e", "warn": "#b86e00"}.get(level)
        self.message.setStyleSheet(f"color: {color}; font-weight: bold;" if color else "")

    # -- what-if ---------------------------------------------------------------------------

    def params(self) -> BatutaParams:
        return BatutaParams(
            pcie_bw=self.pcie.value() * 1e9,
            gpu_flops=self.gpu.value() * 1e12,
            ratio=self.ratio.value(),
        )

    def set_params(
        self,
        pcie_gbs: float | None = None,
        gpu_tflops: float | None = None,
        ratio: float | None = None,
    ) -> None:
        """Set the what-if values (as the spin boxes would), redrawing once."""
        for box, v in ((self.pcie, pcie_gbs), (self.gpu, gpu_tflops), (self.ratio, ratio)):
            if v is not None:
                box.blockSignals(True)
                box.setValue(v)
                box.blockSignals(False)
        self._params_changed()

    def reset_params(self) -> None:
        self.set_params(DEFAULT.pcie_bw / 1e9, DEFAULT.gpu_flops / 1e12, DEFAULT.ratio)

    def _params_changed(self) -> None:
        if self.data is not None:
            self.refresh()

    # -- drawing ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Recompute every decision and score for the current what-if values; redraw."""
        data = self.data
        if data is None:
            return
        params = self.params()
        self.decisions = compute(data, params)
        for policy, widget in self.maps.items():
            cells = self.decisions.maps.get(policy)
            score = self.decisions.scores.get(policy)
            summary = ""
            if score is not None and policy != "measured":
                agree = sum(1 for c in (cells or {}).values() if c.point and c.point.correct)
                summary = f"{agree}/{score.points} agree · {fmt_pct(score.accuracy)}"
            message = ""
            if cells is None:
                message = (
                    "needs a benchmark: run `sovprof bench`"
                    if policy == "measured"
                    else "needs a calibration and a benchmark: run `sovprof calibrate` and "
                    "`sovprof bench`"
                )
            widget.set_cells(data.grid, cells, data.machine, message, summary)
            widget.selected = (self.selected[1], self.selected[2]) if self.selected else None
        self._fill_legend()
        self._fill_table()
        self._draw_five()
        self._explain()

    def _fill_legend(self) -> None:
        data = self.data
        assert data is not None
        used: set[str] = set()
        classes: set[str] = set()
        for cells in self.decisions.maps.values():
            for c in cells.values():
                if c.fallback:
                    classes.add(c.decision.tier_class)
                elif c.decision.tier:
                    used.add(c.decision.tier)
        used |= set(data.machine.tiers)

        def swatch(rgb: RGB, text: str, hatch: bool = False) -> str:
            r, g, b = rgb
            box = "▨" if hatch else "■"
            label = _e(text).replace(" ", "&nbsp;")  # wrap between entries only
            return f"<span style='color:rgb({r},{g},{b}); font-size:14pt'>{box}</span>&nbsp;{label}"

        items = [swatch(tier_color(t, data.machine), tier_title(t, data.machine))
                 for t in tier_order(list(used))]  # fmt: skip
        items += [
            swatch(CLASS_COLORS[c], f"{c} class, lacking here: runs on the → tier", hatch=True)
            for c in sorted(classes)
        ]  # fmt: skip
        r, g, b = WRONG
        items.append(
            f"<span style='color:rgb({r},{g},{b}); font-weight:bold'>▢&nbsp;✗</span>"
            "&nbsp;not&nbsp;the&nbsp;measured&nbsp;fastest"
        )
        items.append(
            "<b>≈</b>&nbsp;tied&nbsp;with&nbsp;the&nbsp;fastest&nbsp;(95&nbsp;%&nbsp;CIs); "
            "no&nbsp;mark&nbsp;on&nbsp;a&nbsp;tier&nbsp;of&nbsp;the&nbsp;fastest's&nbsp;class"
        )
        self.legend.setText(" &nbsp;&nbsp; ".join(items))

    def _fill_table(self) -> None:
        scores = self.decisions.scores
        self.table.setRowCount(0)
        if not scores:
            self.table.setRowCount(1)
            item = QTableWidgetItem("no benchmark to score against: run `sovprof bench`")
            self.table.setItem(0, 0, item)
            self.table.setSpan(0, 0, 1, 6)
            return
        self.table.clearSpans()
        self.table.setRowCount(len(scores))
        for row, (policy, s) in enumerate(scores.items()):
            values = [
                policy + (" (oracle)" if policy == "measured" else ""),
                str(s.points),
                fmt_pct(s.accuracy),
                fmt_pct(s.exact_accuracy),
                fmt_pct(s.mean_regret),
                fmt_pct(s.total_regret),
            ]
            worst = [p for p in s.worst if not p.correct]
            tip = "\n".join(
                f"{p.kernel} n={p.size:,}: {p.chosen or 'none'} vs fastest {p.best}, "
                f"regret {fmt_pct(p.regret)}"
                for p in worst
            )
            for col, v in enumerate(values):
                item = QTableWidgetItem(v)
                if col:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if tip:
                    item.setToolTip(plain_tooltip("worst picks:\n" + tip))
                self.table.setItem(row, col, item)

    def current_kernel(self) -> str | None:
        text = self.kernel_combo.currentText()
        return text or None

    def _kernel_changed(self) -> None:
        self._draw_five()
        self._draw_costs()

    def _draw_five(self) -> None:
        plot = self.five_plot.getPlotItem()
        plot.clear()
        kernel = self.current_kernel()
        data = self.data
        if kernel is None or data is None:
            self.five_note.setText("")
            return
        params = self.params()
        spec = suite.get(kernel)
        sizes = data.grid.get(kernel) or list(spec.default_sizes)
        lo, hi = min(sizes) / 2, max(sizes) * 2.0
        threshold = batuta_threshold(kernel, params)
        if threshold is not None:
            lo, hi = min(lo, threshold / 3), max(hi, threshold * 3)
        xs = dense_sizes(lo, hi, 200)
        ys = batuta_ratio(kernel, xs, params)
        elementwise = spec.batuta_op == "elementwise"
        style = Qt.PenStyle.DashLine if elementwise else Qt.PenStyle.SolidLine
        fg = pg.getConfigOption("foreground")
        name = "batuta: (flops/GPU) ÷ (bytes/PCIe)"
        plot.plot(xs, ys, pen=pg.mkPen(color=fg, width=2, style=style), name=name)
        marks = np.asarray(sizes, dtype=float)
        plot.plot(marks, batuta_ratio(kernel, marks, params), pen=None, symbol="o",
                  symbolSize=6, symbolBrush=fg, symbolPen=None)  # fmt: skip
        values = [v for v in ys if np.isfinite(v) and v > 0]
        notes = []
        if elementwise:
            notes.append(
                f"{kernel} is elementwise: batuta never sends it to the GPU (SIMD above "
                "1,000,000 elements), whatever this ratio; shown dashed for reference."
            )
        if data.has_calibration:
            cal = calibrated_ratios(data.model, data.machine, kernel, xs)
            for tier, arr in cal.items():
                color = tier_color(tier, data.machine)
                pen = pg.mkPen(color=color, width=2, style=Qt.PenStyle.DashLine)
                finite = np.where(np.isfinite(arr), arr, np.nan)
                name = f"calibrated {tier}: saving ÷ overhead"
                plot.plot(xs, finite, pen=pen, connect="finite",
                          name=name if np.isfinite(arr).any() else None)  # fmt: skip
                values += [v for v in finite if np.isfinite(v) and v > 0]
                if np.isinf(arr).any():
                    notes.append(
                        f"calibrated: {tier} has no calibrated overhead (its prediction comes "
                        "from measured times alone), so wherever it saves time its ratio is "
                        f"infinite and it passes the {params.ratio:g}× test (▲ at the top)."
                    )
                elif all(data.model.predict(kernel, tier, int(n)) is None for n in marks):
                    notes.append(
                        f"calibrated: {tier} cannot be predicted (its calibration is incomplete "
                        "and it was not benchmarked)."
                    )
                elif not np.isfinite(arr).any():
                    notes.append(
                        f"calibrated: {tier} never saves compute over the best CPU tier here "
                        "(no curve)."
                    )
            if not cal:
                notes.append("calibrated: no GPU, OpenCL or Dask tier in the benchmark.")
        values.append(params.ratio)
        ly0, ly1 = math.log10(min(values) / 5), math.log10(max(values) * 30)
        # headroom: the legend sits in the top 40 %, above the ratio line and its label
        ly1 = max(ly1, (math.log10(params.ratio) - 0.4 * ly0) / 0.6)
        if data.has_calibration:  # the benchmark sizes on the calibrated curves; ∞ at the top
            for tier, arr in calibrated_ratios(data.model, data.machine, kernel, marks).items():
                color = tier_color(tier, data.machine)
                ok = np.isfinite(arr)
                if ok.any():
                    plot.plot(marks[ok], arr[ok], pen=None, symbol="o", symbolSize=6,
                              symbolBrush=color, symbolPen=None)  # fmt: skip
                inf = np.isinf(arr)
                if inf.any():
                    top = np.full(int(inf.sum()), 10 ** (ly1 - 0.035 * (ly1 - ly0)))
                    plot.plot(marks[inf], top, pen=None, symbol="t1", symbolSize=10,
                              symbolBrush=color, symbolPen=None,
                              name=f"calibrated {tier}: ∞ (no overhead)")  # fmt: skip
        region = pg.LinearRegionItem(
            values=(math.log10(params.ratio), ly1 + 100),
            orientation="horizontal",
            movable=False,
            brush=pg.mkBrush(253, 141, 60, 45),
            pen=pg.mkPen(None),
        )
        plot.addItem(region, ignoreBounds=True)
        region.setZValue(-10)
        line = pg.InfiniteLine(
            pos=math.log10(params.ratio),
            angle=0,
            pen=pg.mkPen(color=(200, 90, 0), width=2),
            label=f"ratio {params.ratio:g}× · batuta: GPU above (shaded)",
            labelOpts={"position": 0.02, "color": (200, 90, 0), "anchors": [(0, 0), (0, 0)]},
        )
        plot.addItem(line, ignoreBounds=True)
        if threshold is not None:
            vline = pg.InfiniteLine(
                pos=math.log10(threshold),
                angle=90,
                pen=pg.mkPen(color=(200, 90, 0), width=1, style=Qt.PenStyle.DotLine),
                label=f"n ≈ {fmt_n(threshold)}",
                labelOpts={"position": 0.08, "color": (200, 90, 0), "anchors": [(0, 1), (0, 1)]},
            )
            plot.addItem(vline, ignoreBounds=True)
            if not elementwise:
                notes.insert(0, f"batuta sends {kernel} to the GPU above n ≈ {fmt_n(threshold)} "
                             f"({spec.size_meaning}).")  # fmt: skip
        elif not elementwise:
            above = batuta_ratio(kernel, [sizes[0]], params)[0] > params.ratio
            why = (
                "the ratio does not depend on size"
                if spec.batuta_op == "reduction"
                else "at every size"
            )
            notes.insert(0, f"batuta {'always' if above else 'never'} sends {kernel} to the GPU "
                         f"with these constants: {why}.")  # fmt: skip
        plot.setXRange(math.log10(xs[0]), math.log10(xs[-1]), padding=0.02)
        plot.setYRange(ly0, ly1, padding=0)
        plot.setTitle(f"batuta's {params.ratio:g}× rule · {kernel}", size="10pt")
        self.five_note.setText(" ".join(notes))

    def _draw_costs(self) -> None:
        plot = self.cost_plot.getPlotItem()
        plot.clear()
        kernel = self.current_kernel()
        data = self.data
        if kernel is None or data is None:
            self.cost_note.setText("")
            return
        plot.setTitle(f"cost curves · {kernel}", size="10pt")
        self.cost_plot.setVisible(data.has_bench or data.has_calibration)
        if not data.has_bench and not data.has_calibration:
            self.cost_note.setText(
                "Cost curves: nothing to draw yet. Run `sovprof calibrate` and `sovprof bench` "
                "for predicted and measured times."
            )
            return
        tiers = tier_order(list(data.machine.tiers))
        sizes = data.grid.get(kernel) or list(suite.get(kernel).default_sizes)
        xs = dense_sizes(min(sizes), max(sizes))
        predicted = predicted_curves(data.model, tiers, kernel, xs)
        fg = pg.getConfigOption("foreground")
        held_out = False
        for tier in tiers:
            color = tier_color(tier, data.machine)
            rows = sorted(
                (c for c in data.model.cells if c["kernel"] == kernel and c["tier"] == tier),
                key=lambda c: int(c["size"]),
            )
            if rows:
                mx = [float(c["size"]) for c in rows]
                my = [float(c["median_s"]) for c in rows]
                plot.plot(mx, my, pen=pg.mkPen(color=color, width=2), symbol="o", symbolSize=6,
                          symbolBrush=color, symbolPen=None, name=tier)  # fmt: skip
                # what the calibrated policy saw when judged: this size left out of the fit
                out = [data.model.predict(kernel, tier, int(n), leave_out=int(n)) for n in mx]
                ox = [n for n, q in zip(mx, out, strict=True) if q is not None]
                oy = [q.total_s for q in out if q is not None]
                if ox:
                    held_out = True
                    plot.plot(ox, oy, pen=None, symbol="o", symbolSize=9, symbolBrush=(0, 0, 0, 0),
                              symbolPen=pg.mkPen(color=color, width=1.5))  # fmt: skip
            if tier in predicted:
                plot.plot(xs, predicted[tier], connect="finite",
                          pen=pg.mkPen(color=color, width=1.5, style=Qt.PenStyle.DashLine),
                          name=None if rows else f"{tier} (predicted)")  # fmt: skip
        if predicted:
            plot.plot([], [], pen=pg.mkPen(fg, width=1.5, style=Qt.PenStyle.DashLine),
                      name="predicted (model)")  # fmt: skip
        if held_out:
            ring = pg.mkPen(fg, width=1.5)
            plot.plot([], [], pen=None, symbol="o", symbolSize=9, symbolBrush=(0, 0, 0, 0),
                      symbolPen=ring, name="predicted, size left out")  # fmt: skip
        cross = crossovers(xs, predicted)
        if cross:
            plot.plot([c.size for c in cross], [c.seconds for c in cross], pen=None,
                      symbol="x", symbolSize=13, symbolPen=pg.mkPen(fg, width=2),
                      symbolBrush=None, name="predicted crossover")  # fmt: skip
        parts = [
            "solid: measured medians; dashed: the calibrated model; hollow: its prediction "
            "with that size left out of the fit (how the calibrated policy is judged)."
        ]
        if not data.has_calibration:
            parts = ["solid: measured; dashed: interpolated (no calibration)."]
        elif not data.has_bench:
            parts = ["dashed: the calibrated model's prediction (nothing measured yet)."]
        if cross:
            shown = ", ".join(f"{c.a} = {c.b} at n ≈ {fmt_n(c.size)}" for c in cross[:6])
            more = f" (+{len(cross) - 6} more)" if len(cross) > 6 else ""
            parts.append(f"Crossovers: {shown}{more}.")
        else:
            parts.append("No predicted crossover in this size range.")
        self.cost_note.setText(" ".join(parts))

    # -- selection and explanation ----------------------------------------------------------

    def select(self, policy: str, kernel: str, size: int) -> None:
        """Show why ``policy`` picks what it picks for ``kernel`` at ``size``."""
        self.selected = (policy, kernel, size)
        for m in self.maps.values():
            m.selected = (kernel, size)
            m.update()
        if self.kernel_combo.currentText() != kernel:
            self.kernel_combo.setCurrentText(kernel)  # redraws the plots
        self._explain()

    def _explain(self) -> None:
        if self.selected is None or self.data is None:
            self.explanation.clear()
            return
        policy, kernel, size = self.selected
        cells = self.decisions.maps.get(policy, {})
        cell = cells.get((kernel, size))
        if cell is None:
            self.explanation.clear()
            return
        others = {
            pol: m[(kernel, size)] for pol, m in self.decisions.maps.items() if (kernel, size) in m
        }
        self.explanation.setHtml(explain(policy, cell, self.data, others))

    def explanation_text(self) -> str:
        return self.explanation.toPlainText()

    # -- export ------------------------------------------------------------------------------

    def export_png(self, path: Path | str) -> bool:
        """Save a picture of the whole panel; False when it could not be written."""
        return bool(self.grab().save(str(path), "PNG"))

    def _export_clicked(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self, "Export the selector panel", "selector.png", "PNG image (*.png)"
        )
        if not path:
            return
        if not path.lower().endswith(".png"):
            path += ".png"
        if not self.export_png(path):
            self.message.setText(f"Could not write {path}")
            self.message.setStyleSheet("color: #c81e1e; font-weight: bold;")
