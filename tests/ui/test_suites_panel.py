"""The Suites panel, offscreen, with the real engine: real workers, a real segfault."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from app.core.store import Store
from app.ui.main_window import MainWindow
from app.ui.suites import SuitesWidget, SuiteTableModel, shown_tier, status_of
from kernels import suite
from kernels.runner import Cell
from sovprof_testing import TARGETS

RUN_TIMEOUT_MS = 60000
MakePanel = Callable[[], SuitesWidget]


@pytest.fixture
def store_path(sovprof_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(suite.EXTRA_ENV, str(TARGETS / "kernels_faulty.py"))
    return sovprof_home / "sessions.sqlite"


@pytest.fixture
def make_panel(qtbot: QtBot, store_path: Path) -> Iterator[MakePanel]:
    panels: list[SuitesWidget] = []

    def make() -> SuitesWidget:
        panel = SuitesWidget(store_path)
        qtbot.addWidget(panel)
        panel.resize(1300, 850)
        panel.show()  # the first show loads the registry, the tiers and the latest run
        qtbot.waitUntil(lambda: panel.tiers_ready, timeout=30000)
        panels.append(panel)
        return panel

    yield make
    for p in panels:
        p.shutdown()


def quick(panel: SuitesWidget, kernels: list[str], tiers: list[str], sizes: str = "") -> None:
    panel.set_checked(panel.kernel_list, kernels)
    panel.set_checked(panel.tier_list, tiers)
    if sizes:
        panel.size_custom.setChecked(True)
        panel.custom_sizes.setText(sizes)
    else:
        panel.size_quick.setChecked(True)
    panel.samples.setValue(3)
    panel.warmup.setValue(0.01)
    panel.max_s.setValue(0.05)


def run(qtbot: QtBot, panel: SuitesWidget) -> None:
    assert panel.run_button.isEnabled()
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert panel.running  # the GUI thread is free while the suite runs
    assert panel.cancel_button.isEnabled() and not panel.run_button.isEnabled()
    qtbot.waitUntil(lambda: not panel.running, timeout=RUN_TIMEOUT_MS)


def rows(panel: SuitesWidget) -> list[dict[str, str]]:
    m = panel.model
    return [
        {m.HEADERS[c]: m.text(r, c) for c in range(m.columnCount())} for r in range(m.rowCount())
    ]


def test_run_stream_store_fail_and_reopen(qtbot: QtBot, make_panel: MakePanel) -> None:
    panel = make_panel()
    assert panel.model.rowCount() == 0  # a fresh store: nothing to show yet
    tier_items = {
        panel.tier_list.item(i).data(Qt.ItemDataRole.UserRole): panel.tier_list.item(i)
        for i in range(panel.tier_list.count())
    }
    assert {"scalar", "numpy"} <= set(tier_items)
    for item in tier_items.values():  # an unavailable tier cannot be checked and says why
        if not item.flags() & Qt.ItemFlag.ItemIsUserCheckable:
            assert item.toolTip()

    # 1. saxpy on scalar + numpy, quick sizes: every cell streams into the table
    quick(panel, ["saxpy"], ["scalar", "numpy"])
    seen: list[int] = []
    panel.model.rowsInserted.connect(lambda *_: seen.append(panel.model.rowCount()))
    run(qtbot, panel)
    sizes = list(suite.get("saxpy").test_sizes)
    table = rows(panel)
    assert len(table) == 2 * len(sizes)
    assert seen == list(range(1, len(table) + 1))  # one row per finished cell, as they came
    assert [r["tier"] for r in table] == ["scalar"] * len(sizes) + ["numpy"] * len(sizes)
    for r in table:
        assert r["status"] == "ok", r
        for col in ("median", "±CI", "GFLOP/s", "GB/s", "× scalar"):
            assert r[col], (col, r)
        assert r["median"].split()[-1] in ("ns", "µs", "ms", "s")
    assert {r["× scalar"] for r in table if r["tier"] == "scalar"} == {"1.00×"}
    assert panel.kernel_combo.currentText() == "saxpy"
    assert set(panel.time_curves) == {"scalar", "numpy"}
    for curve in panel.time_curves.values():
        assert list(curve.xData) == [float(n) for n in sizes]
        assert all(y > 0 for y in curve.yData)
    assert panel.time_curves["numpy"].opts["pen"].style() == Qt.PenStyle.DashLine
    assert set(panel.speedup_curves) == {"numpy"} and len(panel.speedup_curves["numpy"].xData)
    assert set(panel.roof_points) == {"scalar", "numpy"}
    assert "sovprof calibrate" in panel.roof_note.text()  # no calibration in this store
    assert "0 failed" in panel.progress_label.text()
    first_run = panel.run_id
    assert first_run is not None

    # 2. a kernel whose worker segfaults at one size: that cell fails, the others run
    quick(panel, ["crashy"], ["scalar"], "100, 666, 1000")
    run(qtbot, panel)
    by_size = {r["size"]: r for r in rows(panel)}
    assert sorted(by_size, key=int) == ["100", "666", "1000"]
    assert "SIGSEGV" in by_size["666"]["status"] and by_size["666"]["median"] == ""
    assert by_size["100"]["status"] == "ok" and by_size["1000"]["status"] == "ok"
    assert by_size["1000"]["median"]  # a fresh worker took the sizes after the crash
    assert len(panel.time_curves["scalar"].xData) == 2
    second_run = panel.run_id
    with Store(panel.store_path) as store:
        saved = {c["size"]: c for c in store.bench_cells(second_run or 0)}
        runs = {r.id: r for r in store.bench_runs()}
    assert "SIGSEGV" in (saved[666]["error"] or "") and saved[1000]["median_s"]
    assert runs[second_run or 0].status == "complete"

    # 3. a new panel on the same store (the app restarted) shows the last run
    again = make_panel()
    assert again.run_id == second_run
    assert rows(again) == rows(panel)
    assert again.run_combo.count() == 2
    # and any earlier run can be picked again
    again.run_combo.activated.emit(again.run_combo.findData(first_run))
    assert again.run_id == first_run and len(rows(again)) == 2 * len(sizes)
    assert set(again.time_curves) == {"scalar", "numpy"}


def test_cancel_ends_the_worker_thread(qtbot: QtBot, make_panel: MakePanel) -> None:
    panel = make_panel()
    quick(panel, ["saxpy"], ["scalar", "numpy"], "1000, 2000, 3000, 4000, 5000, 6000")
    panel.max_s.setValue(0.3)
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    worker = panel.worker
    assert worker is not None
    qtbot.waitUntil(lambda: panel.model.rowCount() >= 1, timeout=RUN_TIMEOUT_MS)
    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.running, timeout=10000)
    assert worker.isFinished()
    assert "cancelled" in panel.progress_label.text()
    assert panel.model.rowCount() < 12
    assert panel.run_button.isEnabled() and not panel.cancel_button.isEnabled()
    with Store(panel.store_path) as store:
        (last,) = store.bench_runs()
    assert last.status == "cancelled" and last.cells == panel.model.rowCount()


def test_plan_errors_are_shown_not_run(qtbot: QtBot, make_panel: MakePanel) -> None:
    panel = make_panel()
    quick(panel, ["saxpy"], ["scalar"], "12, 4x")
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert not panel.running
    assert "bad size '4x'" in panel.message.text() and panel.message.isVisible()


def test_a_tier_whose_assembly_disproves_it_is_not_shown_as_that_tier() -> None:
    cell = Cell(
        "saxpy",
        "avx512",
        4096,
        correct=True,
        median_s=1e-6,
        ci_low_s=0.9e-6,
        ci_high_s=1.1e-6,
        effective_tier="avx2",
        asm={"problem": "no zmm arithmetic", "effective_tier": "avx2"},
    )
    assert shown_tier(cell) == "avx2 (asked avx512)"
    text, level = status_of(cell)
    assert text == "⚠ not avx512: no zmm arithmetic" and level == "warn"
    model = SuiteTableModel()
    model.add(cell)
    assert model.text(0, 1) == "avx2 (asked avx512)"
    assert "avx512" not in model.text(0, 1).split(" (")[0]


def test_main_window_has_the_suites_dock(
    qtbot: QtBot, sovprof_home: Path, store_path: Path
) -> None:
    win = MainWindow(
        store_path, QSettings(str(sovprof_home / "gui.ini"), QSettings.Format.IniFormat)
    )
    qtbot.addWidget(win)
    win.show()
    try:
        assert not win.suites_dock.isVisible()
        action = next(
            a
            for menu in win.menuBar().actions()
            if menu.menu() is not None
            for a in menu.menu().actions()
            if a.text() == "Kernel suites…"
        )
        action.trigger()
        dock = win.suites_dock
        assert dock.isVisible() and dock.windowTitle() == "Kernels"
        assert win.kernel_tabs.currentWidget() is win.suites
        assert dock.isFloating() or dock.width() >= 900  # room for the table and the plots
        qtbot.waitUntil(lambda: win.suites.tiers_ready, timeout=30000)
        assert win.suites.kernel_list.count() >= 3
        win.act_selector.trigger()
        assert win.kernel_tabs.currentWidget() is win.selector
        assert win.selector.isVisible()
    finally:
        win.suites.shutdown()
