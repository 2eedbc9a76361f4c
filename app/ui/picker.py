"""The process picker: searchable list of Python processes and whether each can be attached."""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.core.processes import ProcessInfo, python_processes

_Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("PID", "Name", "CPU %", "Attach", "Command line")


class ProcessTableModel(QAbstractTableModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[ProcessInfo] = []

    def set_rows(self, rows: list[ProcessInfo]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> object:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = 0) -> object:
        if not index.isValid():
            return None
        p = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                str(p.pid),
                p.name,
                f"{p.cpu_percent:.0f}",
                "yes" if p.attachable else "no — " + p.reason,
                p.cmdline,
            )[col]
        if role == Qt.ItemDataRole.UserRole:  # sort key
            return (p.pid, p.name.lower(), p.cpu_percent, p.attachable, p.cmdline.lower())[col]
        if role == Qt.ItemDataRole.ToolTipRole:
            return None  # command lines may hold markup; no rich-text tooltips
        if role == Qt.ItemDataRole.ForegroundRole and not p.attachable:
            return QColor(150, 150, 150)
        return None


class ProcessPickerDialog(QDialog):
    """Pick a PID to attach to; unattachable processes say why."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Attach to process")
        self.resize(900, 480)
        self.model = ProcessTableModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)
        self.search = QLineEdit(placeholderText="Filter by PID, name or command line…")
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(2, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.doubleClicked.connect(lambda _i: self.accept())
        self.hint = QLabel()
        self.hint.setTextFormat(Qt.TextFormat.PlainText)
        self.hint.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Attach")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.table.selectionModel().selectionChanged.connect(self._update_hint)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(refresh)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.hint)
        lay.addWidget(self.buttons)
        self.refresh()

    def refresh(self) -> None:
        self.model.set_rows(python_processes())
        self.table.resizeColumnsToContents()
        self._update_hint()

    def selected(self) -> ProcessInfo | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.model.rows[self.proxy.mapToSource(rows[0]).row()]

    def select_pid(self, pid: int) -> bool:
        for r in range(self.proxy.rowCount()):
            src = self.proxy.mapToSource(self.proxy.index(r, 0))
            if self.model.rows[src.row()].pid == pid:
                self.table.selectRow(r)
                return True
        return False

    def _update_hint(self) -> None:
        p = self.selected()
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(p is not None and p.attachable)
        if p is None:
            self.hint.setText(f"{self.model.rowCount()} Python processes")
        elif p.attachable:
            self.hint.setText(f"PID {p.pid} can be attached.")
        else:
            self.hint.setText(f"PID {p.pid} cannot be attached: {p.reason}")
