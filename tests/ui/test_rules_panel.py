"""The Rules of thumb tab runs the real suite off the GUI thread."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.ui.rules_panel import RulesPanel


def test_measure_the_rules_shows_claims_beside_measurements(qtbot: QtBot) -> None:
    panel = RulesPanel()
    qtbot.addWidget(panel)
    panel.show()
    assert "not measured yet" in panel.claims_text()
    panel.quick.setChecked(True)
    with qtbot.waitSignal(panel.finished, timeout=120_000):
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert panel.results, panel.status.text()
    assert panel.table.rowCount() == len(panel.results)
    text = panel.claims_text()
    assert "This machine" in text and "2–3×" in text
    rules_seen = {panel.table.item(r, 0).text() for r in range(panel.table.rowCount())}
    assert rules_seen == {"alignment", "algorithm", "allocation"}
