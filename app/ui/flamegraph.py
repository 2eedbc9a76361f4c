"""The flame graph: one culled graphics item in a pyqtgraph view, and its toolbar.

The geometry (layout, culling, label fitting, search, colours) lives in
``app.core.model.flame``; this module only paints it and handles the mouse.
The widget reads the shared :class:`~app.ui.state.ViewState` and writes the
selection and the search text back to it; it never talks to other views.
"""

from __future__ import annotations

import html
import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import shiboken6
from PySide6.QtCore import QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontDatabase, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

import pyqtgraph as pg  # isort: skip  (PySide6 must be imported first)

from app.core.model.calltree import CallTree, Granularity, build_calltree
from app.core.model.flame import (
    LABEL_PAD_PX,
    PALETTE_SIZE,
    FlameLayout,
    fit_label,
    hottest_lines,
    key_path,
    label_fits,
    layout_flame,
    module_color_key,
    palette_color,
    palette_index,
    search_matches,
    visible,
)
from app.core.model.frames import FrameTable
from app.ui.state import ViewState

log = logging.getLogger(__name__)

ROW_PX = 18.0
"""Height of one frame row on screen; the view shows as many rows as fit."""
MIN_FRAME_PX = 1.0
"""Frames narrower than this are not drawn (their parent still is)."""
MIN_LABEL_CHARS = 6
BREADCRUMB_TAIL = 5
"""Crumbs shown before the focus; deeper paths elide the middle."""

_QRECT_BYTES = 4 * 4  # a QRect is four ints


class FlameGraphItem(pg.GraphicsObject):  # type: ignore[misc]
    """Every frame of a flame graph, drawn by one culled, batched ``paint()``.

    Data coordinates: x in samples (0 to the layout's span), y in levels (frame
    at depth d covers [d, d + 1)).  The view's transform decides flame (y up)
    or icicle (y down); painting happens in device pixels so labels are not
    stretched.
    """

    def __init__(self) -> None:
        super().__init__()
        self.flame_layout: FlameLayout = layout_flame(CallTree(Granularity.FUNCTION))
        self.functions: Sequence[tuple[str, str]] = []
        self.palette_of_key: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self.match_mask: npt.NDArray[np.bool_] | None = None
        self.selected_key: int | None = None
        self.hover_index: int | None = None
        self.line_of: Callable[[int], int | None] = lambda key: None
        self.format_weight: Callable[[int], str] = lambda n: f"{n:,} samples"
        self.painted_frames = 0  # frames and labels drawn by the last paint (tests, bench)
        self.painted_labels = 0
        self._bounds = QRectF()
        self._hover_pos: QPointF | None = None
        self._failed = False
        self._font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self._font.setPointSizeF(9.0)
        self._font.setStyleHint(QFont.StyleHint.Monospace)
        self._metrics = QFontMetricsF(self._font)
        self._char_px = self._metrics.horizontalAdvance("0" * 10) / 10
        self._brushes = [QBrush(QColor(*palette_color(i))) for i in range(PALETTE_SIZE)]
        self._brushes += [
            QBrush(QColor(*palette_color(i, dimmed=True))) for i in range(PALETTE_SIZE)
        ]
        self._text_pen = QPen(QColor(20, 20, 20))
        self._dim_text_pen = QPen(QColor(150, 150, 150))
        self._select_pen = QPen(QColor(10, 10, 10), 2.0)
        self._select_pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        self._hover_pen = QPen(QColor(60, 60, 60), 1.0)
        self.setAcceptHoverEvents(True)

    # -- data -------------------------------------------------------------------

    def set_data(
        self,
        layout: FlameLayout,
        functions: Sequence[tuple[str, str]],
        palette_of_key: npt.NDArray[np.int64],
        match_mask: npt.NDArray[np.bool_] | None,
    ) -> None:
        """Show a new layout; ``functions[key]`` is (name, file)."""
        self.flame_layout = layout
        self.functions = functions
        self.palette_of_key = palette_of_key
        self.match_mask = match_mask
        self.hover_index = None
        self.setToolTip("")
        if self._hover_pos is not None:  # live updates keep the tooltip on what is under the mouse
            self.set_hover(self.index_at(self._hover_pos))
        bounds = QRectF(0.0, 0.0, max(layout.span, 1.0), max(layout.levels, 1))
        if bounds != self._bounds:
            self.prepareGeometryChange()
            self._bounds = bounds
        self.update()

    def set_match_mask(self, mask: npt.NDArray[np.bool_] | None) -> None:
        self.match_mask = mask
        self.update()

    def set_selected_key(self, key: int | None) -> None:
        if key != self.selected_key:
            self.selected_key = key
            self.update()

    def index_at(self, pos: QPointF) -> int | None:
        """Layout index of the frame under ``pos`` (data coordinates), if any."""
        if not math.isfinite(pos.y()) or pos.y() < 0:
            return None
        return self.flame_layout.index_at(pos.x(), int(pos.y()))

    def tooltip_text(self, index: int) -> str:
        """Rich text for a frame's tooltip; every name is escaped."""
        lay = self.flame_layout
        key = int(lay.key[index])
        name, file = self.functions[key]
        line = self.line_of(key)
        where = f"{file}:{line}" if file and line else file or "(no file)"
        total, own = int(lay.node_total[index]), int(lay.self_count[index])
        whole = max(lay.root_total, 1)
        return (
            f"<b>{html.escape(name)}</b><br>{html.escape(where)}<br>"
            f"total: {html.escape(self.format_weight(total))} ({100 * total / whole:.1f}%)<br>"
            f"self: {html.escape(self.format_weight(own))} ({100 * own / whole:.1f}%)"
        )

    # -- QGraphicsItem ----------------------------------------------------------

    def boundingRect(self) -> QRectF:
        return QRectF(self._bounds)

    def hoverEvent(self, ev: Any) -> None:
        self._hover_pos = None if ev.isExit() else QPointF(ev.pos())
        self.set_hover(None if self._hover_pos is None else self.index_at(self._hover_pos))

    def set_hover(self, index: int | None) -> None:
        """Outline a frame and point the tooltip at it (None: nothing hovered)."""
        if index == self.hover_index:
            return
        self.hover_index = index
        self.setToolTip("" if index is None else self.tooltip_text(index))
        self.update()

    def paint(self, painter: QPainter, *args: Any) -> None:
        try:
            self._paint(painter)
        except Exception:
            if not self._failed:  # once: a broken paint would flood the log every frame
                self._failed = True
                log.exception("flame graph paint failed")

    def _paint(self, p: QPainter) -> None:
        lay = self.flame_layout
        self.painted_frames = self.painted_labels = 0
        if len(lay) == 0:
            return
        tr = p.transform()
        sx, sy, dx, dy = tr.m11(), tr.m22(), tr.dx(), tr.dy()
        if sx <= 0 or sy == 0:
            return
        device = QRectF(p.viewport())
        inv, ok = tr.inverted()
        if not ok:
            return
        view = inv.mapRect(device)
        vb = self.getViewBox()
        if vb is not None:
            view = view.intersected(vb.viewRect())
        idx = visible(
            lay,
            view.left(),
            view.right(),
            view.width() * sx,
            MIN_FRAME_PX,
            depth_range=(view.top(), view.bottom()),
        )
        if idx.size == 0:
            return
        rects = self._pixel_rects(lay, idx, sx, sy, dx, dy, device)
        colors = self.palette_of_key[lay.key[idx]]
        matched = None if self.match_mask is None else self.match_mask[idx]
        if matched is not None:
            colors = np.where(matched, colors, colors + PALETTE_SIZE)
        p.save()
        p.resetTransform()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        self._fill(p, rects, colors)
        self._labels(p, lay, idx, rects, matched)
        self._outlines(p, lay, idx, rects)
        p.restore()
        self.painted_frames = int(idx.size)

    @staticmethod
    def _pixel_rects(
        lay: FlameLayout,
        idx: npt.NDArray[np.int64],
        sx: float,
        sy: float,
        dx: float,
        dy: float,
        device: QRectF,
    ) -> npt.NDArray[np.float64]:
        """(n, 4) x, y, w, h in device pixels, with a 1 px gap between frames."""
        x0 = lay.x0[idx]
        left = np.round(x0 * sx + dx)
        right = np.round((x0 + lay.width[idx]) * sx + dx)
        # frames much wider than the view: keep coordinates small for the rasterizer
        left = np.maximum(left, device.left() - 2)
        right = np.minimum(right, device.right() + 2)
        w = right - left
        w = np.where(w >= 3, w - 1, np.maximum(w, 1))
        d = lay.depth[idx].astype(np.float64)
        ya, yb = d * sy + dy, (d + 1) * sy + dy
        top = np.round(np.minimum(ya, yb))
        h = np.maximum(np.round(np.maximum(ya, yb)) - top - 1, 1)
        return np.ascontiguousarray(np.stack([left, top, w, h], axis=1))

    def _fill(self, p: QPainter, rects: npt.NDArray[np.float64], colors: Any) -> None:
        """Fill every rect: one drawRects call per colour on integer QRects."""
        boxes, colors = _merge_runs(rects, np.asarray(colors, dtype=np.uint8))
        order = np.argsort(colors, kind="stable")  # radix sort on uint8
        sorted_colors = colors[order]
        batch = np.empty((order.size, 4), dtype=np.int32)  # QRect: x1, y1, x2, y2
        batch[:] = boxes[order]
        cuts = np.flatnonzero(np.diff(sorted_colors)) + 1
        starts = np.concatenate([[0], cuts]).tolist()
        ends = np.concatenate([cuts, [order.size]]).tolist()
        base = batch.ctypes.data
        p.setPen(Qt.PenStyle.NoPen)
        for s, e in zip(starts, ends, strict=True):
            p.setBrush(self._brushes[int(sorted_colors[s])])
            first = shiboken6.wrapInstance(base + s * _QRECT_BYTES, QRect)
            p.drawRects(first, e - s)  # type: ignore[call-overload]  # PySide6 takes a pointer
        del batch  # the wrapped pointers are dead from here on

    def _labels(
        self,
        p: QPainter,
        lay: FlameLayout,
        idx: npt.NDArray[np.int64],
        rects: npt.NDArray[np.float64],
        matched: npt.NDArray[np.bool_] | None,
    ) -> None:
        if rects[0, 3] < self._metrics.height() - 4:
            return  # rows too short for text
        fits = np.flatnonzero(label_fits(rects[:, 2], self._char_px, MIN_LABEL_CHARS))
        if fits.size == 0:
            return
        p.setFont(self._font)
        ascent, descent = self._metrics.ascent(), self._metrics.descent()
        keys = lay.key[idx[fits]].tolist()
        xs = (rects[fits, 0] + LABEL_PAD_PX).tolist()
        rooms = (rects[fits, 2] - 2 * LABEL_PAD_PX).tolist()
        bases = (rects[fits, 1] + (rects[fits, 3] + ascent - descent) / 2).tolist()
        dim = [False] * fits.size if matched is None else (~matched[fits]).tolist()
        functions, char_px, metrics = self.functions, self._char_px, self._metrics
        elide = Qt.TextElideMode.ElideRight
        for want_dim, pen in ((False, self._text_pen), (True, self._dim_text_pen)):
            p.setPen(pen)
            for key, x, room, base, is_dim in zip(keys, xs, rooms, bases, dim, strict=True):
                if is_dim != want_dim:
                    continue
                name = functions[key][0]
                if name.isascii():
                    text = fit_label(name, room, char_px)
                else:  # wide or combining characters: measure for real
                    text = metrics.elidedText(name, elide, room)
                if text:
                    p.drawText(QPointF(x, base), text)
        self.painted_labels = int(fits.size)

    def _outlines(
        self,
        p: QPainter,
        lay: FlameLayout,
        idx: npt.NDArray[np.int64],
        rects: npt.NDArray[np.float64],
    ) -> None:
        p.setBrush(Qt.BrushStyle.NoBrush)
        if self.selected_key is not None:
            sel = np.flatnonzero(lay.key[idx] == self.selected_key)
            if sel.size:
                p.setPen(self._select_pen)
                for x, y, w, h in rects[sel].tolist():
                    p.drawRect(QRectF(x + 1, y + 1, max(w - 2, 1), max(h - 2, 1)))
        if self.hover_index is not None:
            at = np.flatnonzero(idx == self.hover_index)
            if at.size:
                x, y, w, h = rects[int(at[0])].tolist()
                p.setPen(self._hover_pen)
                p.drawRect(QRectF(x + 0.5, y + 0.5, max(w - 1, 1), max(h - 1, 1)))


def _merge_runs(
    rects: npt.NDArray[np.float64], colors: npt.NDArray[np.uint8]
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.uint8]]:
    """Join touching rects of one colour in a row (narrow frames have no gap).

    ``rects`` (x, y, w, h) are in layout order: by row, then left to right.
    Returns inclusive integer boxes (x1, y1, x2, y2) and their colours; the
    pixels covered are the same, with far fewer rects where many narrow
    frames of one module sit side by side.
    """
    x, y, w, h = rects[:, 0], rects[:, 1], rects[:, 2], rects[:, 3]
    joins = (y[1:] == y[:-1]) & (colors[1:] == colors[:-1]) & (x[1:] <= x[:-1] + w[:-1])
    first = np.flatnonzero(np.concatenate([[True], ~joins]))
    right = np.maximum.reduceat(x + w, first)
    boxes = np.empty((first.size, 4), dtype=np.int32)
    boxes[:, 0] = x[first]
    boxes[:, 1] = y[first]
    boxes[:, 2] = right - 1
    boxes[:, 3] = y[first] + h[first] - 1
    return boxes, colors[first]


class _FlameViewBox(pg.ViewBox):  # type: ignore[misc]
    """Wheel zooms x only, drag pans, a click reports where it landed."""

    sigClicked = Signal(QPointF, bool)  # view position, double click

    def __init__(self) -> None:
        super().__init__(enableMenu=False, defaultPadding=0.0)
        self.setMouseEnabled(x=True, y=True)

    def wheelEvent(self, ev: Any, axis: int | None = None) -> None:
        super().wheelEvent(ev, axis=0)

    def mouseDragEvent(self, ev: Any, axis: int | None = None) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        super().mouseDragEvent(ev, axis)

    def mouseClickEvent(self, ev: Any) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        ev.accept()
        self.sigClicked.emit(self.mapSceneToView(ev.scenePos()), bool(ev.double()))


class _Breadcrumb(QWidget):
    """root › … › focus as flat buttons; a click asks to zoom to that prefix."""

    pathClicked = Signal(list)

    def __init__(self) -> None:
        super().__init__()
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.setSpacing(0)
        self.crumbs: list[tuple[str, list[int]]] = []  # shown text, key path

    def set_path(self, keys: Sequence[int], name_of: Callable[[int], str]) -> None:
        while self._row.count():
            row_item = self._row.takeAt(0)
            w = row_item.widget() if row_item is not None else None
            if w is not None:
                w.setParent(None)  # gone from findChildren now, not at the next event loop
                w.deleteLater()
        self.crumbs = [("all", [])]
        start = max(0, len(keys) - BREADCRUMB_TAIL)
        if start > 1:
            self.crumbs.append((fit_label(name_of(keys[0]), 24, 1.0), list(keys[:1])))
            self.crumbs.append(("…", list(keys[:start])))
        elif start == 1:
            start = 0
        for i in range(start, len(keys)):
            self.crumbs.append((fit_label(name_of(keys[i]), 32, 1.0), list(keys[: i + 1])))
        for n, (text, path) in enumerate(self.crumbs):
            if n:
                sep = QLabel("›")
                sep.setTextFormat(Qt.TextFormat.PlainText)
                self._row.addWidget(sep)
            button = QToolButton()
            button.setAutoRaise(True)
            button.setText(text.replace("&", "&&"))  # no mnemonics from names
            button.setToolTip(html.escape(" › ".join(name_of(k) for k in path) or "all"))
            button.clicked.connect(lambda _=False, p=path: self.pathClicked.emit(p))
            self._row.addWidget(button)
        self._row.addStretch(1)


def _tool_button(text: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    return button


class FlameGraphWidget(QWidget):
    """Flame graph of ``state.view_profile()`` with zoom, search and selection.

    A click on a frame zooms to it and selects its function in the shared
    state; a double click on the background (or Back) returns to the previous
    zoom.  The zoom is kept as a path of function ids, so it survives live
    updates and filter changes (falling back to the deepest part that exists).
    """

    focusChanged = Signal()

    def __init__(self, state: ViewState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.tree = CallTree(Granularity.FUNCTION)
        self.layout_data: FlameLayout = layout_flame(self.tree)
        self.focus_path: list[int] = []
        self.matched_fraction = 0.0
        self.icicle = False
        self.unit = "samples"  # what the widths count (set_units)
        self._history: list[list[int]] = []
        self._built: tuple[int, int] | None = None  # (id of profile, generation)
        self._frames: FrameTable | None = None
        self._palette = np.zeros(0, dtype=np.int64)
        self._names: list[str] = []
        self._lines: npt.NDArray[np.int64] | None = None
        self._built_once = False
        self._build_ui()
        state.profileChanged.connect(self.rebuild)
        state.filterChanged.connect(self.rebuild)
        state.selectionChanged.connect(self._on_selection)
        state.searchChanged.connect(self._on_search)
        self.rebuild()
        self._on_selection()
        self._on_search()

    # -- construction -------------------------------------------------------------

    def _build_ui(self) -> None:
        self.back_button = _tool_button("◀ Back")
        self.back_button.setToolTip("Previous zoom (or double-click the background)")
        self.back_button.clicked.connect(self.back)
        self.reset_button = _tool_button("Reset zoom")
        self.reset_button.clicked.connect(self.reset_zoom)
        self.icicle_button = _tool_button("Icicle")
        self.icicle_button.setCheckable(True)
        self.icicle_button.setToolTip("Draw the root at the top")
        self.icicle_button.toggled.connect(self.set_icicle)
        self.search_box = QLineEdit()
        self.search_box.setPlaceholderText("Search functions and files")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setMinimumWidth(200)
        self.search_box.setMaximumWidth(320)
        self.search_box.textChanged.connect(self.state.set_search)
        self.match_label = QLabel()
        self.match_label.setTextFormat(Qt.TextFormat.PlainText)
        self.match_label.setMinimumWidth(170)
        self.breadcrumb = _Breadcrumb()
        self.breadcrumb.pathClicked.connect(self.zoom_to_key_path)
        self.breadcrumb.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        for w in (self.back_button, self.reset_button, self.icicle_button):
            bar.addWidget(w)
        bar.addWidget(self.breadcrumb, 1)
        bar.addWidget(self.search_box)
        bar.addWidget(self.match_label)

        self.view = pg.GraphicsView(background=self.palette().base().color())
        self.viewbox = _FlameViewBox()
        self.view.setCentralItem(self.viewbox)
        self.item = FlameGraphItem()
        self.item.line_of = self._line_of
        self.viewbox.addItem(self.item)
        self.viewbox.sigClicked.connect(self._on_view_clicked)
        self.viewbox.sigResized.connect(self._fit_rows)

        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addLayout(bar)
        box.addWidget(self.view, 1)

    # -- data ---------------------------------------------------------------------

    def rebuild(self) -> None:
        """Rebuild tree and layout from the view profile, keeping zoom and search."""
        profile = self.state.view_profile()
        built = (id(self.state.profile), self.state.generation)
        if built == self._built:
            return  # one change often emits several signals
        self._built = built
        if self._frames is not None and profile.frames is not self._frames:
            self.focus_path, self._history = [], []  # another profile: its ids mean other things
        self._sync_functions(profile.frames)
        old_span, old_focus = self.layout_data.span, self.layout_data.focus_path
        (x_lo, x_hi), _ = self.viewbox.viewRange()
        self.tree = build_calltree(profile)
        self._lines = None
        self._relayout()
        span = self.layout_data.span
        if self._built_once and old_focus == self.layout_data.focus_path:
            # a live update or a filter: keep the same part of the focus in view, and the
            # vertical scroll; the limits clamp both to the new graph
            full = x_lo <= 0 and x_hi >= old_span
            ratio = span / old_span if old_span > 0 and span > 0 else 1.0
            lo, hi = (0.0, max(span, 1.0)) if full else (x_lo * ratio, x_hi * ratio)
            self.viewbox.setXRange(lo, hi, padding=0)
        else:
            self._show_full_width()
        self._built_once = True

    def _sync_functions(self, frames: FrameTable) -> None:
        """Names and palette slots per function id; the table only grows."""
        if frames is not self._frames:
            self._frames = frames
            self._names = []
            self._palette = np.zeros(0, dtype=np.int64)
        new = frames.functions[len(self._names) :]
        if new:
            self._names.extend(name for name, _ in new)
            slots = [palette_index(module_color_key(file, name)) for name, file in new]
            self._palette = np.concatenate([self._palette, np.asarray(slots, dtype=np.int64)])

    def _relayout(self) -> None:
        self.layout_data = layout_flame(self.tree, self.focus_path, self._names)
        mask = self._search_mask()
        functions = self._frames.functions if self._frames is not None else []
        self.item.set_data(self.layout_data, functions, self._palette, mask)
        self._update_limits()
        self.breadcrumb.set_path(self.layout_data.focus_path, self._name_of)
        self.back_button.setEnabled(bool(self._history))
        self.focusChanged.emit()

    def _search_mask(self) -> npt.NDArray[np.bool_] | None:
        query = self.state.search
        if not query.strip() or self._frames is None:
            self.matched_fraction = 0.0
            self.match_label.setText("")
            return None
        mask, self.matched_fraction = search_matches(
            self.layout_data, self._frames.functions, query
        )
        self.match_label.setText(f"{100 * self.matched_fraction:.1f}% of {self.unit} matched")
        return mask

    def _name_of(self, key: int) -> str:
        return self._names[key] if 0 <= key < len(self._names) else "?"

    def _line_of(self, key: int) -> int | None:
        """The function's hottest line, computed once per rebuild on first hover."""
        if self._lines is None:
            self._lines = hottest_lines(self.state.view_profile())
        line = int(self._lines[key]) if 0 <= key < self._lines.size else 0
        return line or None

    def set_units(self, unit: str, format_weight: Callable[[int], str]) -> None:
        """What the widths count (``unit``, e.g. "bytes"), and a weight as text (tooltips)."""
        self.unit = unit
        self.item.format_weight = format_weight
        self.item.set_hover(None)
        self.item.set_match_mask(self._search_mask())

    # -- view range -----------------------------------------------------------------

    def _update_limits(self) -> None:
        span = max(self.layout_data.span, 1.0)
        rows = self._rows()
        self.viewbox.setLimits(
            xMin=0.0,
            xMax=span,
            minXRange=min(1.0, span),
            maxXRange=span,
            yMin=0.0,
            yMax=max(float(self.layout_data.levels), rows),
            minYRange=rows,
            maxYRange=rows,
        )

    def _rows(self) -> float:
        return max(1.0, float(self.viewbox.height()) / ROW_PX)

    def _fit_rows(self) -> None:
        """Keep rows ROW_PX high when the view is resized."""
        self._update_limits()
        _, (y_lo, _) = self.viewbox.viewRange()
        y_lo = max(0.0, min(y_lo, self.layout_data.levels - self._rows()))
        self.viewbox.setYRange(y_lo, y_lo + self._rows(), padding=0)

    def _show_full_width(self) -> None:
        """The whole focus across the view, its row near the root edge."""
        self.viewbox.setXRange(0.0, max(self.layout_data.span, 1.0), padding=0)
        self.viewbox.disableAutoRange()
        rows = self._rows()
        context = 2  # ancestor rows kept in view below a deep focus
        y_lo = max(
            0.0, min(len(self.layout_data.focus_path) - 1 - context, self.layout_data.levels - rows)
        )
        self.viewbox.setYRange(y_lo, y_lo + rows, padding=0)

    # -- zoom -----------------------------------------------------------------------

    def zoom_to_key_path(self, path: Sequence[int]) -> None:
        """Zoom to the node at ``path`` (function ids from the root down)."""
        path = [int(k) for k in path]
        if path == self.focus_path and path == list(self.layout_data.focus_path):
            self._show_full_width()
            return
        self._history.append(self.focus_path)
        self.focus_path = path
        self._relayout()
        self._show_full_width()

    def back(self) -> None:
        """Return to the previous zoom, if any."""
        if not self._history:
            return
        self.focus_path = self._history.pop()
        self._relayout()
        self._show_full_width()

    def reset_zoom(self) -> None:
        """Show the whole profile (Back returns to the zoom before)."""
        if self.focus_path:
            self.zoom_to_key_path([])
        else:
            self._show_full_width()

    def set_icicle(self, icicle: bool) -> None:
        """Root at the top (icicle) or at the bottom (flame)."""
        self.icicle = bool(icicle)
        if self.icicle_button.isChecked() != self.icicle:
            self.icicle_button.setChecked(self.icicle)
        self.viewbox.invertY(self.icicle)

    def node_at(self, pos: QPointF) -> int | None:
        """Layout index of the frame at ``pos`` in view (data) coordinates."""
        return self.item.index_at(pos)

    def click_frame(self, index: int) -> None:
        """What a click on frame ``index`` does: zoom to it and select its function."""
        lay = self.layout_data
        path = key_path(self.tree, int(lay.node[index]))
        if path != list(lay.focus_path):
            self.zoom_to_key_path(path)
        self.state.select_function(int(lay.key[index]))

    def _on_view_clicked(self, pos: QPointF, double: bool) -> None:
        index = self.node_at(pos)
        if index is not None:
            self.click_frame(index)
        elif double:
            self.back()

    # -- shared state ---------------------------------------------------------------

    def _on_selection(self) -> None:
        self.item.set_selected_key(self.state.selected_function)

    def _on_search(self) -> None:
        if self.search_box.text() != self.state.search:
            self.search_box.blockSignals(True)
            self.search_box.setText(self.state.search)
            self.search_box.blockSignals(False)
        self.item.set_match_mask(self._search_mask())
