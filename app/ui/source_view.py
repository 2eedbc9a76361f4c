"""The selected function's source, with samples per line and its complexity.

The header names the function and shows a badge with its cyclomatic
complexity (radon) and its share of the samples, so that code that is both hot
and complex stands out.  The text view tints each sampled line by its total
samples and shows self and total counts in the gutter; below it, a table lists
the file's functions by samples with their complexity.  Everything that comes
from the profiled program (names, paths, source) is shown as plain text.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.core.model.calltree import line_counts
from app.core.source import (
    COMPLEX_CC,
    HOT_SHARE,
    FileFunctionRow,
    FunctionComplexity,
    SourceError,
    SourceFile,
    file_functions,
    file_line_counts,
    find_complexity,
    function_complexities,
    load_source,
)
from app.ui.state import ViewState
from app.ui.tables import ViewRefresher, percent, plain_tooltip

HEAT = QColor(230, 80, 0)
HOT_COMPLEX_BG = QColor(255, 214, 204)
CACHE_SIZE = 16


@dataclass(frozen=True)
class _Loaded:
    """A file as read, with the stat it was read at and its functions' complexity."""

    stamp: tuple[int, int] | None  # (mtime_ns, size) or None when unreadable
    source: SourceFile | SourceError
    functions: tuple[FunctionComplexity, ...]


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_mtime_ns, st.st_size


class _Gutter(QWidget):
    def __init__(self, editor: CodeView) -> None:
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self) -> QSize:
        return QSize(self.editor.gutter_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        self.editor.paint_gutter(event)


class CodeView(QPlainTextEdit):
    """Read-only monospace text with a gutter: line number, self, total, heat bar."""

    BAR = 6  # heat bar width in pixels

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setStyleHint(QFont.StyleHint.Monospace)
        self.setFont(font)
        self.counts: dict[int, tuple[int, int]] = {}
        self.max_total = 0
        self.gutter = _Gutter(self)
        self.gutter.setToolTip(plain_tooltip("line · self samples · total samples"))
        self.blockCountChanged.connect(self._update_margins)
        self.updateRequest.connect(self._on_update_request)
        self._update_margins()

    # -- content ------------------------------------------------------------------

    def set_counts(self, counts: dict[int, tuple[int, int]]) -> None:
        """Per line (1-based): (self, total) samples; tints lines by total."""
        self.counts = counts
        self.max_total = max((t for _, t in counts.values()), default=0)
        self._update_margins()
        selections = []
        blocks = self.document().blockCount()
        for line, (_, total) in sorted(counts.items()):
            if not 1 <= line <= blocks or total <= 0:
                continue
            sel = QTextEdit.ExtraSelection()
            colour = QColor(HEAT)
            colour.setAlpha(25 + int(150 * total / self.max_total))
            sel.format.setBackground(colour)
            sel.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            cursor = QTextCursor(self.document().findBlockByNumber(line - 1))
            sel.cursor = cursor
            selections.append(sel)
        self.setExtraSelections(selections)
        self.gutter.update()

    def scroll_to_line(self, line: int) -> None:
        """Put ``line`` (1-based) near the top third of the view, cursor on it."""
        block = self.document().findBlockByNumber(max(0, line - 1))
        if not block.isValid():
            return
        self.setTextCursor(QTextCursor(block))
        bar = self.verticalScrollBar()
        bar.setValue(max(0, block.blockNumber() - self._visible_lines() // 3))

    def _visible_lines(self) -> int:
        height = self.fontMetrics().lineSpacing() or 1
        return max(1, self.viewport().height() // height)

    def first_visible_line(self) -> int:
        return self.firstVisibleBlock().blockNumber() + 1

    # -- gutter -------------------------------------------------------------------

    def _count_width(self) -> int:
        digits = len(str(self.max_total)) if self.max_total else 1
        return self.fontMetrics().horizontalAdvance("9" * max(3, digits)) + 8

    def gutter_width(self) -> int:
        digits = len(str(max(1, self.blockCount())))
        number = self.fontMetrics().horizontalAdvance("9" * max(3, digits)) + 8
        return number + 2 * self._count_width() + self.BAR + 6

    def _update_margins(self) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _on_update_request(self, rect: QRect, dy: int) -> None:
        if dy:
            self.gutter.scroll(0, dy)
        else:
            self.gutter.update(0, rect.y(), self.gutter.width(), rect.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        cr = self.contentsRect()
        self.gutter.setGeometry(QRect(cr.left(), cr.top(), self.gutter_width(), cr.height()))

    def paint_gutter(self, event: QPaintEvent) -> None:
        painter = QPainter(self.gutter)
        try:
            self._paint_gutter(painter, event.rect())
        finally:
            painter.end()

    def _paint_gutter(self, painter: QPainter, clip: QRect) -> None:
        pal = self.palette()
        painter.fillRect(clip, pal.color(pal.ColorRole.AlternateBase))
        fm = self.fontMetrics()
        cw = self._count_width()
        number_w = self.gutter_width() - 2 * cw - self.BAR - 6
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        dim, strong = pal.color(pal.ColorRole.PlaceholderText), pal.color(pal.ColorRole.Text)
        while block.isValid() and top <= clip.bottom():
            height = round(self.blockBoundingRect(block).height())
            if block.isVisible() and top + height >= clip.top():
                line = block.blockNumber() + 1
                h = fm.height()
                painter.setPen(dim)
                right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                painter.drawText(0, top, number_w - 4, h, right, str(line))
                self_n, total_n = self.counts.get(line, (0, 0))
                if total_n:
                    painter.setPen(strong)
                    if self_n:
                        painter.drawText(number_w, top, cw - 4, h, right, str(self_n))
                    painter.drawText(number_w + cw, top, cw - 4, h, right, str(total_n))
                    frac = total_n / self.max_total if self.max_total else 0.0
                    bar_h = max(2, round(h * frac))
                    x = number_w + 2 * cw + 2
                    painter.fillRect(x, top + h - bar_h, self.BAR, bar_h, HEAT)
            block = block.next()
            top += height


def _item(text: str, number: float | None = None) -> QTableWidgetItem:
    """A read-only table cell; numbers sort numerically."""
    item = QTableWidgetItem()
    if number is None:
        item.setText(text)
    else:
        item.setData(Qt.ItemDataRole.DisplayRole, number)
        if text:
            item.setText(text)
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    return item


class SourceViewWidget(QWidget):
    """Source of the selected function with line heat, complexity and the file's functions."""

    HEADERS = ("function", "line", "complexity", "self", "total", "% of samples")

    def __init__(self, state: ViewState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self._cache: dict[str, _Loaded] = {}
        self._shown_path: str | None = None
        self._shown_function: int | None = None
        self.loaded: _Loaded | None = None
        self.rows: list[FileFunctionRow] = []

        self.title = self._label(bold=True)
        self.location = self._label()
        self.badge = self._label()
        self.badge.setContentsMargins(6, 2, 6, 2)
        self.message = self._label()
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.code = CodeView(self)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.message)
        self.stack.addWidget(self.code)

        self.functions_table = QTableWidget(0, len(self.HEADERS), self)
        self.functions_table.setHorizontalHeaderLabels(list(self.HEADERS))
        self.functions_table.verticalHeader().setVisible(False)
        self.functions_table.verticalHeader().setDefaultSectionSize(
            self.functions_table.fontMetrics().height() + 6
        )
        self.functions_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.functions_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.functions_table.setWordWrap(False)
        header = self.functions_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, len(self.HEADERS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSortIndicator(4, Qt.SortOrder.DescendingOrder)
        self.functions_table.cellClicked.connect(self._on_function_clicked)

        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.badge)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.stack)
        splitter.addWidget(self.functions_table)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([600, 180])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.location)
        layout.addWidget(splitter, 1)

        self._refresher = ViewRefresher(
            self, self.refresh, lambda: (state.generation, state.selected_function)
        )
        self._refresher.follow(state.profileChanged, state.filterChanged, state.selectionChanged)
        self.refresh()

    def _label(self, bold: bool = False) -> QLabel:
        label = QLabel(self)
        label.setTextFormat(Qt.TextFormat.PlainText)  # names and paths are never markup
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if bold:
            font = label.font()
            font.setBold(True)
            label.setFont(font)
        return label

    # -- loading --------------------------------------------------------------------

    def _load(self, path: str) -> _Loaded:
        stamp = _stamp(path)
        cached = self._cache.get(path)
        if cached is not None and cached.stamp == stamp and stamp is not None:
            return cached
        source = load_source(path)
        functions = (
            () if isinstance(source, SourceError) else tuple(function_complexities(source.text))
        )
        loaded = _Loaded(stamp, source, functions)
        if len(self._cache) >= CACHE_SIZE:
            self._cache.pop(next(iter(self._cache)))
        self._cache[path] = loaded
        return loaded

    # -- refreshing -------------------------------------------------------------------

    def refresh(self) -> None:
        """Show the selected function: text, heat, header and the file's functions."""
        self._refresher.done()
        fid = self.state.selected_function
        functions = self.state.profile.frames.functions
        if fid is None or not 0 <= fid < len(functions):
            self._show_nothing("Select a function to see its source.")
            return
        name, path = functions[fid]
        loaded = self._load(path)
        if loaded is not self.loaded or path != self._shown_path:
            self._show_source(loaded, path)  # a new text: scroll to the function again
        selection_moved = fid != self._shown_function
        self._shown_function = fid
        profile = self.state.view_profile()
        per_line = line_counts(profile, fid)
        hottest = max(per_line, key=lambda ln: (per_line[ln][1], per_line[ln][0], -ln), default=0)
        fc = find_complexity(loaded.functions, name, hottest or None)
        self.rows = file_functions(profile, path, loaded.functions)
        total = next((r.total_samples for r in self.rows if r.function_id == fid), 0)
        self._show_header(name, path, fc, total, profile.total_samples, hottest)
        self._fill_table(self.rows, profile.total_samples)
        if isinstance(loaded.source, SourceError):
            return
        self.code.set_counts(file_line_counts(profile, path))
        if selection_moved:
            target = hottest or (fc.first_line if fc else 0) or self._any_line(fid)
            if target:
                self.code.scroll_to_line(target)

    def _any_line(self, fid: int) -> int:
        frames = self.state.profile.frames
        lines = [f.line for i, f in enumerate(frames.frames) if frames.frame_function[i] == fid]
        return min(lines, default=0)

    def _show_nothing(self, text: str) -> None:
        self._shown_path = self._shown_function = None
        self.loaded = None
        self.title.setText("No function selected")
        self.location.setText("")
        self.badge.hide()
        self.message.setText(text)
        self.stack.setCurrentWidget(self.message)
        self._fill_table([], 0)

    def _show_source(self, loaded: _Loaded, path: str) -> None:
        self.loaded, self._shown_path = loaded, path
        self._shown_function = None  # a new file: scroll to the function again
        if isinstance(loaded.source, SourceError):
            self.code.setPlainText("")
            self.code.set_counts({})
            self.message.setText(loaded.source.message)
            self.stack.setCurrentWidget(self.message)
            return
        # joined lines: no empty block after a final newline
        self.code.setPlainText("\n".join(loaded.source.lines))
        self.stack.setCurrentWidget(self.code)

    def _show_header(
        self,
        name: str,
        path: str,
        fc: FunctionComplexity | None,
        total: int,
        profile_total: int,
        hottest: int,
    ) -> None:
        self.title.setText(name)
        where = f"{path}:{fc.first_line}–{fc.last_line}" if fc else path
        hot = f" · hottest line {hottest}" if hottest else ""
        self.location.setText(f"{where}{hot}")
        share = percent(total, profile_total)
        cc = "complexity n/a" if fc is None else f"complexity {fc.complexity}"
        self.badge.setText(f"{cc} · {share:.0f} % of samples ({total})")
        complex_ = fc is not None and fc.complexity > COMPLEX_CC
        hot_ = share >= 100 * HOT_SHARE
        bg = "#f4c7bd" if complex_ and hot_ else "#fbe3b0" if complex_ else "#e4e4e4"
        self.badge.setStyleSheet(f"QLabel {{ background: {bg}; border-radius: 4px; }}")
        self.badge.setToolTip(
            plain_tooltip(
                f"Cyclomatic complexity from radon (over {COMPLEX_CC} is complex); "
                "share of the samples shown that have this function on the stack."
            )
        )
        self.badge.show()

    def _fill_table(self, rows: list[FileFunctionRow], profile_total: int) -> None:
        table = self.functions_table
        table.setSortingEnabled(False)
        table.setRowCount(len(rows))
        bold = table.font()
        bold.setBold(True)
        for i, r in enumerate(rows):
            cc = "—" if r.complexity is None else str(r.complexity)
            share = percent(r.total_samples, profile_total)
            cells = [
                _item(r.name),
                _item("", r.first_line),
                _item(cc, -1 if r.complexity is None else r.complexity),
                _item("", r.self_samples),
                _item("", r.total_samples),
                _item(f"{share:.1f} %", share),
            ]
            hot = r.hot_and_complex(profile_total)
            cells[0].setToolTip(plain_tooltip(r.name))
            cells[0].setData(Qt.ItemDataRole.UserRole, r.function_id)
            cells[1].setData(Qt.ItemDataRole.UserRole, r.first_line)
            for col, cell in enumerate(cells):
                if hot:
                    cell.setBackground(HOT_COMPLEX_BG)
                    cell.setFont(bold)
                table.setItem(i, col, cell)
        header = table.horizontalHeader()
        table.setSortingEnabled(True)  # sorts by the user's column, "total" at first
        table.sortItems(header.sortIndicatorSection(), header.sortIndicatorOrder())
        fid = self.state.selected_function
        for row in range(table.rowCount()):
            if self._cell_data(row, 0) == fid:
                table.selectRow(row)  # no feedback: only clicks select in the state
                break
        else:
            table.clearSelection()

    def _cell_data(self, row: int, column: int) -> object:
        item = self.functions_table.item(row, column)
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def _on_function_clicked(self, row: int, _column: int) -> None:
        fid, line = self._cell_data(row, 0), self._cell_data(row, 1)
        if isinstance(fid, int):
            self.state.select_function(fid)
        elif isinstance(line, int):
            self.code.scroll_to_line(line)
