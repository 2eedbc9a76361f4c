"""Top-functions table and the caller/callee (sandwich) view.

Both read the shared :class:`~app.ui.state.ViewState` only: selecting a row
selects that function in the state, and a selection made elsewhere selects the
row here.  Text is shown as plain text everywhere (function and file names come
from the profiled program and may hold anything, markup included).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6 import QtGui
from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    SignalInstance,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.counters.attribution import attribute
from app.core.counters.series import CounterSeries
from app.core.model.calltree import FunctionRow, top_functions
from app.core.model.profile import Profile
from app.core.model.sandwich import sandwich
from app.ui.state import ViewState

SORT_ROLE = Qt.ItemDataRole.UserRole
FILTER_ROLE = Qt.ItemDataRole.UserRole + 1
FUNCTION_ID_ROLE = Qt.ItemDataRole.UserRole + 2

_Index = QModelIndex | QPersistentModelIndex


def plain_tooltip(text: str) -> str:
    """A tooltip that shows ``text`` literally (Qt guesses rich text in tooltips)."""
    # convertFromPlainText lives in QtGui's copy of the Qt namespace
    return QtGui.Qt.convertFromPlainText(text, Qt.WhiteSpaceMode.WhiteSpaceNormal)


class ViewRefresher(QObject):
    """Refreshes a view on the state's signals: at once, once per change, never hidden.

    A new profile emits three signals in a row: ``key`` (the state's
    generation, plus the selection where the view shows it) tells a change
    from an echo, so the view recomputes once.  A hidden view (a dock tabbed
    away) recomputes when it is next shown, not on every live window.
    """

    def __init__(
        self, widget: QWidget, refresh: Callable[[], None], key: Callable[[], object]
    ) -> None:
        super().__init__(widget)
        self._widget, self._refresh, self._key = widget, refresh, key
        self._last: object = None
        self._stale = False
        widget.installEventFilter(self)

    def follow(self, *signals: SignalInstance) -> None:
        """Request a refresh whenever any of ``signals`` fires."""
        for signal in signals:
            signal.connect(self.request)

    def request(self) -> None:
        """Refresh now if something changed since the last refresh (later if hidden)."""
        if not self._widget.isVisible():
            self._stale = True
        elif self._key() != self._last:
            self._refresh()

    def done(self) -> None:
        """Called by the refresh itself: the view is up to date."""
        self._last = self._key()
        self._stale = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._widget and event.type() == QEvent.Type.Show and self._stale:
            self._stale = False
            self.request()
        return False


def percent(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 0.0


def _align_right(column_is_number: bool) -> Qt.AlignmentFlag:
    if column_is_number:
        return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    return Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


class TopFunctionsModel(QAbstractTableModel):
    """Rows of :func:`top_functions`: function, file:line, self, self %, total, total %.

    ``SORT_ROLE`` gives numbers for numeric columns (so they sort numerically),
    ``FILTER_ROLE`` gives "function\\nfile" on every column for the filter box.
    """

    HEADERS = ("function", "file:line", "self", "self %", "total", "total %")
    NUMERIC = (False, False, True, True, True, True)
    # Per-function counter estimates shown when the session has the counter:
    # (counter, header, scale).  Each window's delta is shared by self samples.
    ESTIMATES = (
        ("perf.task-clock", "CPU s (est.)", 1e-9),
        ("perf.instructions", "instr. M (est.)", 1e-6),
        ("perf.cache-misses", "cache misses (est.)", 1.0),
        ("perf.page-faults", "page faults (est.)", 1.0),
        ("perf.context-switches", "ctx switches (est.)", 1.0),
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[FunctionRow] = []
        self._total = 0
        self._row_of: dict[int, int] = {}
        self._extra: list[tuple[str, str, float]] = []
        self._estimates: dict[int, dict[str, float]] = {}

    # -- content ----------------------------------------------------------------

    def set_profile(self, profile: Profile, counters: CounterSeries | None = None) -> None:
        """Recompute the rows from ``profile`` (one model reset)."""
        extra: list[tuple[str, str, float]] = []
        estimates: dict[int, dict[str, float]] = {}
        if counters is not None and counters.values:
            extra = [e for e in self.ESTIMATES if e[0] in counters.specs]
            if extra:
                estimates = attribute(profile, counters)
        self.set_rows(top_functions(profile), profile.total_samples, extra, estimates)

    def set_rows(
        self,
        rows: Sequence[FunctionRow],
        total_samples: int,
        extra: Sequence[tuple[str, str, float]] = (),
        estimates: dict[int, dict[str, float]] | None = None,
    ) -> None:
        self.beginResetModel()
        self._extra = list(extra)
        self._estimates = estimates or {}
        self._rows = list(rows)
        self._total = total_samples
        self._row_of = {r.function_id: i for i, r in enumerate(self._rows)}
        self.endResetModel()

    def total_samples(self) -> int:
        return self._total

    def row_of(self, function_id: int | None) -> int | None:
        """The source row of a function id, or None when it has no samples here."""
        return None if function_id is None else self._row_of.get(function_id)

    def function_id(self, row: int) -> int:
        return self._rows[row].function_id

    def function_row(self, row: int) -> FunctionRow:
        return self._rows[row]

    # -- QAbstractTableModel ----------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS) + len(self._extra)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        base = len(self.HEADERS)
        if role == Qt.ItemDataRole.DisplayRole:
            if 0 <= section < base:
                return self.HEADERS[section]
            if base <= section < base + len(self._extra):
                return self._extra[section - base][1]
        if role == Qt.ItemDataRole.ToolTipRole and section >= base:
            return plain_tooltip(
                "Estimate: each window's counter delta shared out by the function's "
                "self samples in that window."
            )
        return None

    def estimate(self, function_id: int, counter: str) -> float | None:
        return self._estimates.get(function_id, {}).get(counter)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        r, col = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(r, col)
        if role == SORT_ROLE:
            return self._sort_key(r, col)
        if role == FILTER_ROLE:
            return f"{r.function}\n{r.file}"
        if role == FUNCTION_ID_ROLE:
            return r.function_id
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _align_right(col >= len(self.NUMERIC) or self.NUMERIC[col])
        if role == Qt.ItemDataRole.ToolTipRole and col in (0, 1):
            return plain_tooltip(f"{r.function}\n{r.file}:{r.line}")
        return None

    def _extra_value(self, r: FunctionRow, col: int) -> float | None:
        name, _header, scale = self._extra[col - len(self.HEADERS)]
        value = self.estimate(r.function_id, name)
        return None if value is None else value * scale

    def _display(self, r: FunctionRow, col: int) -> str:
        if col >= len(self.HEADERS):
            value = self._extra_value(r, col)
            if value is None:
                return ""
            return f"{value:.3f}" if value < 100 else f"{value:,.0f}"
        if col == 0:
            return r.function
        if col == 1:
            return f"{r.file}:{r.line}" if r.file else ""
        if col == 2:
            return str(r.self_samples)
        if col == 3:
            return f"{percent(r.self_samples, self._total):.1f} %"
        if col == 4:
            return str(r.total_samples)
        return f"{percent(r.total_samples, self._total):.1f} %"

    def _sort_key(self, r: FunctionRow, col: int) -> Any:
        if col >= len(self.HEADERS):
            return self._extra_value(r, col) or 0.0
        if col == 0:
            return r.function.casefold()
        if col == 1:
            return f"{r.file.casefold()}\x00{r.line:010d}"
        if col in (2, 3):
            return r.self_samples
        return r.total_samples


class FunctionFilterProxy(QSortFilterProxyModel):
    """Numeric sorting on ``SORT_ROLE``; case-insensitive filter on function and file."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setFilterRole(FILTER_ROLE)
        self.setFilterKeyColumn(0)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setDynamicSortFilter(True)


def _make_table(parent: QWidget) -> QTableView:
    view = QTableView(parent)
    view.setSortingEnabled(True)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 6)
    return view


class _SelectionSync:
    """Keeps a table's selected row and ``state.selected_function`` in step.

    ``syncing`` is set while the table is changed from the state, so that the
    table's own selection signal does not echo back into the state.
    """

    def __init__(self, state: ViewState, view: QTableView, proxy: QSortFilterProxyModel) -> None:
        self.state, self.view, self.proxy = state, view, proxy
        self.syncing = False
        view.selectionModel().currentRowChanged.connect(self._on_current)

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self.syncing or not current.isValid():
            return
        fid = self.proxy.data(current, FUNCTION_ID_ROLE)
        if isinstance(fid, int):
            self.state.select_function(fid)

    def show_function(self, source_row: int | None, scroll: bool = True) -> None:
        """Select (and scroll to) ``source_row`` without feeding back into the state."""
        sel = self.view.selectionModel()
        self.syncing = True
        try:
            if source_row is None:
                sel.clear()
                return
            src = self.proxy.sourceModel().index(source_row, 0)
            idx = self.proxy.mapFromSource(src)
            if not idx.isValid():  # filtered out
                sel.clear()
                return
            flags = (
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows
            )
            sel.setCurrentIndex(idx, flags)
            if scroll:
                self.view.scrollTo(idx, QAbstractItemView.ScrollHint.EnsureVisible)
        finally:
            self.syncing = False


class TopFunctionsWidget(QWidget):
    """The top-functions table over ``state.view_profile()``, with a filter box."""

    def __init__(self, state: ViewState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.model = TopFunctionsModel(self)
        self.proxy = FunctionFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter functions and files…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._on_filter_text)
        self.summary = QLabel(self)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        # the backend selector's advice when the selected function calls a kernel's op
        self.advice = QLabel(self)
        self.advice.setTextFormat(Qt.TextFormat.PlainText)
        self.advice.setWordWrap(True)
        self.advice.setVisible(False)
        self._advice_model: Any = None

        self.view = _make_table(self)
        self.view.setModel(self.proxy)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        for col in range(2, self.model.columnCount()):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.resizeSection(1, 170)
        self.view.sortByColumn(2, Qt.SortOrder.DescendingOrder)
        self._sync = _SelectionSync(state, self.view, self.proxy)

        top = QHBoxLayout()
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.summary)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.view)
        layout.addWidget(self.advice)

        self._refresher = ViewRefresher(self, self.refresh, lambda: state.generation)
        self._refresher.follow(state.profileChanged, state.filterChanged, state.countersChanged)
        state.selectionChanged.connect(self._on_selection)
        self.refresh()

    def refresh(self) -> None:
        """Recompute the rows, keeping sort order, filter, selection and scroll position."""
        self._refresher.done()
        scroll = self.view.verticalScrollBar().value()
        self._sync.syncing = True
        try:
            self.model.set_profile(self.state.view_profile(), self.state.counters)
        finally:
            self._sync.syncing = False
        self._sync.show_function(self.model.row_of(self.state.selected_function), scroll=False)
        self.view.verticalScrollBar().setValue(scroll)
        self.refresh_summary()

    def _on_filter_text(self, text: str) -> None:
        self.proxy.setFilterFixedString(text)
        self._sync.show_function(self.model.row_of(self.state.selected_function))
        self.refresh_summary()

    def refresh_summary(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        text = f"{total} functions" if shown == total else f"{shown} of {total} functions"
        self.summary.setText(f"{text} · {self.model.total_samples()} samples")

    def _on_selection(self) -> None:
        if not self._sync.syncing:
            self._sync.show_function(self.model.row_of(self.state.selected_function))
        self.show_advice()

    def show_advice(self) -> None:
        """The selector's advice for the selected function, if it calls a kernel's op."""
        from app.core.advice import advice_for_row

        row = self.model.row_of(self.state.selected_function)
        text = None
        if row is not None:
            if self._advice_model is None:
                from kernels.selector import load_model

                self._advice_model = load_model() or False
            text = advice_for_row(
                self.model.function_row(row), self._advice_model or None, self.model.total_samples()
            )
        self.advice.setText(f"Selector: {text}" if text else "")
        self.advice.setVisible(bool(text))


# -- caller / callee ------------------------------------------------------------


@dataclass(frozen=True)
class CountRow:
    function_id: int
    function: str
    file: str
    samples: int


class FunctionCountsModel(QAbstractTableModel):
    """Functions with a sample count and its share of a reference total."""

    HEADERS = ("function", "file", "samples", "%")
    NUMERIC = (False, False, True, True)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[CountRow] = []
        self._whole = 0

    def set_rows(self, rows: Sequence[CountRow], whole: int) -> None:
        self.beginResetModel()
        self._rows, self._whole = list(rows), whole
        self.endResetModel()

    def rows(self) -> list[CountRow]:
        return list(self._rows)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(self.HEADERS):
            return self.HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        r, col = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                r.function,
                r.file,
                str(r.samples),
                f"{percent(r.samples, self._whole):.1f} %",
            )[col]
        if role == SORT_ROLE:
            return (r.function.casefold(), r.file.casefold(), r.samples, r.samples)[col]
        if role == FUNCTION_ID_ROLE:
            return r.function_id
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _align_right(self.NUMERIC[col])
        if role == Qt.ItemDataRole.ToolTipRole and col in (0, 1):
            return plain_tooltip(f"{r.function}\n{r.file}")
        return None


class CallerCalleeWidget(QWidget):
    """Callers and callees of the selected function; clicking one selects it."""

    def __init__(self, state: ViewState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.title = QLabel(self)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setWordWrap(True)
        self.callers_model = FunctionCountsModel(self)
        self.callees_model = FunctionCountsModel(self)
        callers_box, self.callers_view = self._table(
            self.callers_model, "Callers (called it directly)"
        )
        callees_box, self.callees_view = self._table(
            self.callees_model, "Callees (called by it directly)"
        )
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(callers_box)
        splitter.addWidget(callees_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(splitter, 1)

        self._refresher = ViewRefresher(
            self, self.refresh, lambda: (state.generation, state.selected_function)
        )
        self._refresher.follow(state.profileChanged, state.filterChanged, state.selectionChanged)
        self.refresh()

    def _table(self, model: FunctionCountsModel, caption: str) -> tuple[QWidget, QTableView]:
        box = QWidget(self)
        label = QLabel(caption, box)
        label.setTextFormat(Qt.TextFormat.PlainText)
        proxy = QSortFilterProxyModel(box)
        proxy.setSortRole(SORT_ROLE)
        proxy.setSourceModel(model)
        view = _make_table(box)
        view.setModel(proxy)
        header = view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(1, 150)
        for col in (2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        view.sortByColumn(2, Qt.SortOrder.DescendingOrder)
        view.clicked.connect(self._on_clicked)
        view.activated.connect(self._on_clicked)
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(label)
        lay.addWidget(view)
        return box, view

    def _on_clicked(self, index: QModelIndex) -> None:
        fid = index.data(FUNCTION_ID_ROLE)
        if isinstance(fid, int):
            self.state.select_function(fid)

    def refresh(self) -> None:
        self._refresher.done()
        fid = self.state.selected_function
        functions = self.state.profile.frames.functions
        if fid is None or not 0 <= fid < len(functions):
            self.title.setText("Select a function to see its callers and callees.")
            self.callers_model.set_rows([], 0)
            self.callees_model.set_rows([], 0)
            return
        s = sandwich(self.state.view_profile(), fid)
        name, file = functions[fid]
        total = self.state.view_profile().total_samples
        self.title.setText(
            f"{name} — {file}\n"
            f"total {s.total_samples} samples ({percent(s.total_samples, total):.1f} %), "
            f"self {s.self_samples}; % columns are shares of its total"
        )

        def rows(pairs: list[tuple[int, int]]) -> list[CountRow]:
            return [CountRow(f, *functions[f], n) for f, n in pairs]

        self.callers_model.set_rows(rows(s.callers), s.total_samples)
        self.callees_model.set_rows(rows(s.callees), s.total_samples)
