"""The waste bar: compute / waiting / transport shares of the shown samples, live.

One stacked bar for every thread shown, a legend with the shares, and (behind the
"Per thread" button) one small bar per thread.  Hovering a segment lists the frames
that put the most samples in that class, and why.  The numbers come from
:func:`app.core.waste.waste_breakdown` on the view profile; the rules are the built-in
table plus ``$SOVPROF_HOME/waste-rules.toml`` when there is one.
"""

from __future__ import annotations

import html
import os

from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QHelpEvent,
    QMoveEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from app.core.waste import (
    BUILTIN_RULES,
    CLASSES,
    COMPUTE,
    TRANSPORT,
    WAITING,
    WasteBreakdown,
    WasteClassifier,
    WasteRulesError,
    bar_segments,
    rules_for,
    segment_at,
    waste_breakdown,
)
from app.ui.state import ViewState
from app.ui.tables import ViewRefresher, plain_tooltip

COLORS: dict[str, tuple[int, int, int]] = {
    COMPUTE: (76, 120, 168),
    WAITING: (245, 133, 24),
    TRANSPORT: (178, 121, 162),
}
MEANING = {
    COMPUTE: "on-CPU work",
    WAITING: "sleeps, locks, queues, I/O, GIL",
    TRANSPORT: "copies, conversions, serialization",
}
BAR_PX = 20
ROW_PX = 18
THREAD_LABEL_PX = 190
MAX_THREAD_ROWS = 8


def _share_text(counts: dict[str, int], cls: str) -> str:
    total = sum(counts.values())
    return f"{100 * counts.get(cls, 0) / total:.1f}%" if total else "–"


def _paint_bar(p: QPainter, rect: QRect, counts: dict[str, int], empty: QColor) -> None:
    """One stacked bar in ``rect``; labels inside segments wide enough for them."""
    p.fillRect(rect, empty)
    segs = bar_segments(counts)
    x = float(rect.left())
    for i, (cls, _, width) in enumerate(segs):
        # the last segment ends exactly at the right edge (no rounding gap)
        right = rect.right() + 1 if i == len(segs) - 1 else x + width * rect.width()
        seg = QRect(round(x), rect.top(), max(1, round(right) - round(x)), rect.height())
        p.fillRect(seg, QColor(*COLORS[cls]))
        label = f"{cls} {100 * width:.0f}%"
        if p.fontMetrics().horizontalAdvance(label) + 8 <= seg.width():
            p.setPen(QPen(QColor(255, 255, 255)))
            p.drawText(seg, Qt.AlignmentFlag.AlignCenter, label)
        x = right


class WasteBar(QWidget):
    """The stacked bar itself; hover a segment for its top causes."""

    geometryChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.breakdown = WasteBreakdown()
        self.setMouseTracking(True)
        self.setMinimumWidth(160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(480, BAR_PX)

    def set_breakdown(self, breakdown: WasteBreakdown) -> None:
        self.breakdown = breakdown
        self.update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.geometryChanged.emit()

    def moveEvent(self, event: QMoveEvent) -> None:
        super().moveEvent(event)
        self.geometryChanged.emit()

    def class_at(self, pos: QPoint) -> str | None:
        if self.width() <= 0:
            return None
        return segment_at(self.breakdown.counts, pos.x() / self.width())

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        try:
            empty = self.palette().mid().color()
            _paint_bar(p, self.rect(), self.breakdown.counts, empty)
            if not self.breakdown.total:
                p.setPen(QPen(self.palette().text().color()))
                p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "no samples yet")
        finally:
            p.end()

    def event(self, e: QEvent) -> bool:
        if isinstance(e, QHelpEvent):
            cls = self.class_at(e.pos())
            if cls is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(e.globalPos(), self.tooltip_for(cls), self)
            return True
        return bool(super().event(e))

    def tooltip_for(self, cls: str) -> str:
        b = self.breakdown
        lines = [
            f"{cls}: {100 * b.share(cls):.1f}% of {b.total} samples "
            f"({b.counts.get(cls, 0)}) — {MEANING[cls]}"
        ]
        for c in b.causes.get(cls, [])[:6]:
            where = f"{os.path.basename(c.file)}:{c.line}" if c.file else ""
            lines.append(f"  {c.samples:6d}  {c.function}  {where}  {c.why}")
        return plain_tooltip("\n".join(lines))


class ThreadBars(QWidget):
    """One small bar per thread, busiest first."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.breakdown = WasteBreakdown()
        self.bar_span: tuple[int, int] | None = None  # x range of the bars (under the main bar)
        self.setMouseTracking(True)

    def set_breakdown(self, breakdown: WasteBreakdown) -> None:
        self.breakdown = breakdown
        self.setFixedHeight(max(1, len(breakdown.threads)) * ROW_PX)
        self.update()

    def set_bar_span(self, left: int, right: int) -> None:
        if (left, right) != self.bar_span:
            self.bar_span = (left, right)
            self.update()

    def sizeHint(self) -> QSize:
        return QSize(480, max(1, len(self.breakdown.threads)) * ROW_PX)

    def row_at(self, pos: QPoint) -> int | None:
        row = pos.y() // ROW_PX
        return row if 0 <= row < len(self.breakdown.threads) else None

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        try:
            text = self.palette().text().color()
            empty = self.palette().mid().color()
            fm = p.fontMetrics()
            left, right = self.bar_span or (THREAD_LABEL_PX, self.width() - 4)
            for i, t in enumerate(self.breakdown.threads):
                top = i * ROW_PX
                label_rect = QRect(0, top, left - 6, ROW_PX)
                p.setPen(QPen(text))
                label = fm.elidedText(
                    f"{t.label}  {t.total}", Qt.TextElideMode.ElideMiddle, label_rect.width()
                )
                p.drawText(label_rect, Qt.AlignmentFlag.AlignVCenter, label)
                bar = QRect(left, top + 3, right - left, ROW_PX - 6)
                if bar.width() > 0:
                    _paint_bar(p, bar, t.counts, empty)
        finally:
            p.end()

    def event(self, e: QEvent) -> bool:
        if isinstance(e, QHelpEvent):
            row = self.row_at(e.pos())
            if row is None:
                QToolTip.hideText()
            else:
                t = self.breakdown.threads[row]
                text = f"{t.label}: {t.total} samples\n" + "\n".join(
                    f"  {c:9s} {100 * t.share(c):5.1f}%  ({t.counts.get(c, 0)})" for c in CLASSES
                )
                QToolTip.showText(e.globalPos(), plain_tooltip(text), self)
            return True
        return bool(super().event(e))


class WasteBarWidget(QWidget):
    """The bar, its legend and the per-thread bars, following the shared view state."""

    breakdownChanged = Signal()

    def __init__(self, state: ViewState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.rules_note = ""
        try:
            rules = rules_for()
        except WasteRulesError as exc:  # a broken user file: say so, keep the built-ins
            rules = BUILTIN_RULES
            self.rules_note = str(exc)
        self.classifier = WasteClassifier(rules)
        self.breakdown = WasteBreakdown()

        self.bar = WasteBar(self)
        self.bar.geometryChanged.connect(self._align_threads)
        self.title = QLabel(self)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setFixedWidth(THREAD_LABEL_PX - 6)
        self.legend = QLabel(self)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.thread_button = QToolButton(self)
        self.thread_button.setText("Per thread")
        self.thread_button.setCheckable(True)
        self.thread_button.setToolTip("One bar per thread")
        self.thread_button.toggled.connect(self._show_threads)
        self.threads = ThreadBars(self)
        self.thread_area = QScrollArea(self)
        self.thread_area.setWidget(self.threads)
        self.thread_area.setWidgetResizable(True)
        self.thread_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.thread_area.setVisible(False)

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.title)
        row.addWidget(self.bar, 1)
        row.addWidget(self.legend)
        row.addWidget(self.thread_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 3, 6, 3)
        layout.setSpacing(3)
        layout.addLayout(row)
        layout.addWidget(self.thread_area)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

        self._refresher = ViewRefresher(self, self.refresh, lambda: state.generation)
        self._refresher.follow(state.profileChanged, state.filterChanged)
        self.refresh()

    def refresh(self) -> None:
        """Classify the shown samples again (cached per stack: cheap on live updates)."""
        self._refresher.done()
        self.breakdown = waste_breakdown(self.state.view_profile(), self.classifier)
        self.bar.set_breakdown(self.breakdown)
        self.threads.set_breakdown(self.breakdown)
        self._fit_scroll()
        counts = self.breakdown.counts
        self.title.setText(f"all threads  {self.breakdown.total}")
        self.legend.setText(
            "&nbsp;&nbsp;".join(
                f'<span style="color:rgb{COLORS[c]}">■</span>&nbsp;{html.escape(c)} '
                f"<b>{_share_text(counts, c)}</b>"
                for c in CLASSES
            )
        )
        tip = [f"{c}: {MEANING[c]}" for c in CLASSES]
        tip.append("Waiting is sampled only when recording with 'idle'.")
        if self.rules_note:
            tip.append(f"Rules file ignored: {self.rules_note}")
        self.legend.setToolTip(plain_tooltip("\n".join(tip)))
        self.breakdownChanged.emit()

    def _show_threads(self, on: bool) -> None:
        self.thread_area.setVisible(on)
        self._fit_scroll()
        self._align_threads()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._align_threads()

    def _align_threads(self) -> None:
        """Per-thread bars start and end where the main bar does."""
        origin = self.threads.mapTo(self, QPoint(0, 0)).x()
        left = self.bar.mapTo(self, QPoint(0, 0)).x() - origin
        self.threads.set_bar_span(left, left + self.bar.width())

    def _fit_scroll(self) -> None:
        rows = min(MAX_THREAD_ROWS, max(1, len(self.breakdown.threads)))
        self.thread_area.setFixedHeight(rows * ROW_PX + 2)
