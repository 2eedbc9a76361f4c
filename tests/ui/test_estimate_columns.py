"""Per-function counter estimates as columns of the top-functions table."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from test_counters_panel import _session

from app.ui.state import ViewState
from app.ui.tables import TopFunctionsWidget


def test_top_functions_gets_estimate_columns(qtbot: QtBot) -> None:
    state = ViewState()
    widget = TopFunctionsWidget(state)
    qtbot.addWidget(widget)
    widget.show()
    p, series = _session()
    state.set_profile(p, series)
    model = widget.model
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert "CPU s (est.)" in headers
    col = headers.index("CPU s (est.)")
    hot = p.frames.function_id("hot", "m.py")
    row = model.row_of(hot)
    assert row is not None
    assert float(model.data(model.index(row, col))) == pytest.approx(0.75)  # 75 % of 1 s CPU
    state.set_profile(p)  # no counters: no estimate columns
    assert model.columnCount() == len(model.HEADERS)
