"""The selector panel on a real (tiny) benchmark and a real quick calibration, offscreen."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from app.core.store import Store
from app.core.suites import Options, load_selector_model, make_plan, run_and_store
from app.ui.selector_panel import (
    CLASS_COLORS,
    WRONG,
    SelectorPanel,
    batuta_threshold,
    crossovers,
    fmt_pct,
)
from kernels import isa, tiers
from kernels.calibrate import calibrate
from kernels.selector import POLICIES, BatutaParams, Machine, Point, Score, evaluate

SIZES = {"saxpy": [4096, 65536, 1 << 20], "dot": [4096, 65536, 1 << 20], "matmul": [16, 32, 64]}
SCORED = ("batuta", "batuta-moe", "calibrated", "measured")


@pytest.fixture(scope="module")
def bench_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A store with a real quick calibration and a real tiny benchmark run."""
    home = tmp_path_factory.mktemp("selector-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOVPROF_HOME", str(home))  # the model file run_and_store refreshes
        detected = tiers.detect(dask=False, prove=False)
        available = {t.id for t in detected if t.available}
        simd = [lv.tier for lv in isa.available_levels()]
        ids = ["scalar", *(["avx512"] if "avx512" in simd else simd[-1:])]
        if "opencl:0:0" in available:
            ids.append("opencl:0:0")
        started = time.monotonic()
        cal = calibrate(ids, min_time_s=0.02)
        path = home / "sessions.sqlite"
        with Store(path) as store:
            store.save_calibration(cal, tiers.fingerprint(detected))
            plan = make_plan(list(SIZES), ids)
            plan.sizes = {k: list(v) for k, v in SIZES.items()}
            opts = Options(samples=3, warmup_s=0.01, max_s_per_size=0.05)
            outcome = run_and_store(store, plan, opts, detected=detected)
        assert not outcome.cancelled and outcome.cells
        print(f"calibration and benchmark: {time.monotonic() - started:.1f} s, tiers {ids}")
        yield path


@pytest.fixture
def panel(qtbot: QtBot, bench_store: Path) -> SelectorPanel:
    p = SelectorPanel(bench_store)
    qtbot.addWidget(p)
    p.resize(1500, 950)
    p.show()  # loads on first show
    qtbot.waitUntil(lambda: p.data is not None)
    return p


def _truth(store_path: Path, params: BatutaParams) -> tuple[dict[str, Score], list[Point]]:
    with Store(store_path) as store:
        _run, model = load_selector_model(store)
    return evaluate(model, Machine.from_cells(model.cells), SCORED, params)


def _text(panel: SelectorPanel, row: int, col: int) -> str:
    item = panel.table.item(row, col)
    assert item is not None
    return item.text()


def _near(a: QColor, rgb: tuple[int, int, int], tol: int = 60) -> bool:
    return sum(abs(x - y) for x, y in zip((a.red(), a.green(), a.blue()), rgb, strict=True)) < tol


def _assert_marks_agree_with_evaluate(panel: SelectorPanel, params: BatutaParams) -> None:
    scores, points = _truth(panel.store_path, params)
    assert {p.policy for p in points} == set(SCORED)
    for p in points:
        cell = panel.maps[p.policy].cells[(p.kernel, p.size)]
        assert cell.decision.tier == p.chosen, (p, cell.decision.reason)
        assert cell.wrong == (not p.correct), p
    # the accuracy table shows the same scores
    rows = {_text(panel, r, 0).split(" ")[0]: r for r in range(panel.table.rowCount())}
    for policy, score in scores.items():
        shown = [_text(panel, rows[policy], c) for c in range(1, 6)]
        assert shown == [
            str(score.points),
            fmt_pct(score.accuracy),
            fmt_pct(score.exact_accuracy),
            fmt_pct(score.mean_regret),
            fmt_pct(score.total_regret),
        ], policy


# -- pure helpers ---------------------------------------------------------------------


def test_batuta_threshold_and_crossovers() -> None:
    # 2n³/20e12 > 5 · 12n²/32e9  ⇔  n > 18,750 (batuta's matmul rule)
    assert batuta_threshold("matmul", BatutaParams()) == 18751
    assert batuta_threshold("dot", BatutaParams()) is None  # never, whatever the size
    assert batuta_threshold("saxpy", BatutaParams()) is None  # elementwise: never GPU
    xs = np.array([1.0, 10.0, 100.0, 1000.0])
    cross = crossovers(xs, {"a": xs * 1.0, "b": np.full(4, 50.0)})
    assert len(cross) == 1 and (cross[0].a, cross[0].b) == ("a", "b")
    assert cross[0].size == pytest.approx(50.0, rel=1e-6)


# -- the panel on real data -----------------------------------------------------------------


def test_maps_have_a_cell_per_kernel_and_size_and_marks_agree(panel: SelectorPanel) -> None:
    assert panel.data is not None and panel.data.has_bench and panel.data.has_calibration
    keys = {(k, n) for k, sizes in SIZES.items() for n in sizes}
    for policy in POLICIES:
        m = panel.maps[policy]
        assert set(m.cells) == keys, policy
        assert all(not m.cell_rect(k, n).isEmpty() for k, n in keys)
        # each row is laid out by its own sizes
        assert [m.cell_rect("matmul", n).x() for n in SIZES["matmul"]] == [
            m.cell_rect("dot", n).x() for n in SIZES["dot"]
        ]
    _assert_marks_agree_with_evaluate(panel, BatutaParams())
    # the red outline is drawn exactly where a pick is not the measured fastest
    for policy in ("batuta", "batuta-moe", "calibrated"):
        m = panel.maps[policy]
        image = m.grab().toImage()
        for key, cell in m.cells.items():
            r = m.cell_rect(*key)
            edge = image.pixelColor(r.left() + 1, r.center().y())
            assert _near(edge, WRONG) == cell.wrong, (policy, key, edge.name())
    # the table shows evaluate()'s scores
    rows = {_text(panel, r, 0): r for r in range(panel.table.rowCount())}
    assert {"batuta", "batuta-moe", "calibrated", "measured (oracle)"} <= set(rows)
    assert _text(panel, rows["measured (oracle)"], 2) == "100.0 %"


def test_clicking_a_cell_explains_the_decision(qtbot: QtBot, panel: SelectorPanel) -> None:
    m = panel.maps["calibrated"]
    key = ("dot", SIZES["dot"][1])
    qtbot.mouseClick(m, Qt.MouseButton.LeftButton, pos=m.cell_rect(*key).center())
    d = m.cells[key].decision
    text = panel.explanation_text()
    assert d.reason in text
    assert "Predicted" in text and "Measured" in text
    assert all(t in text for t in panel.data.machine.tiers)  # type: ignore[union-attr]
    assert panel.current_kernel() == "dot"  # the plots follow the clicked kernel
    assert m.selected == key and panel.maps["batuta"].selected == key
    batuta = panel.maps["batuta"]
    qtbot.mouseClick(batuta, Qt.MouseButton.LeftButton, pos=batuta.cell_rect(*key).center())
    text = panel.explanation_text()
    assert batuta.cells[key].decision.reason in text and "PCIe transfer" in text


def test_what_if_redraws_maps_plot_and_scores(panel: SelectorPanel) -> None:
    batuta = panel.maps["batuta"]
    panel.kernel_combo.setCurrentText("matmul")  # the 5× plot of matmul
    assert "batuta sends matmul to the GPU above n ≈ 18.8k" in panel.five_note.text()
    matmul = [("matmul", n) for n in SIZES["matmul"]]
    assert all(batuta.cells[k].decision.tier_class == "simd" for k in matmul)
    # batuta's flaw: a faster GPU shrinks the GPU compute time it weighs against PCIe,
    # so a huge GPU throughput alone keeps matmul on SIMD...
    panel.gpu.setValue(1e6)
    panel.pcie.setValue(1e6)
    assert all(batuta.cells[k].decision.tier_class == "simd" for k in matmul)
    # ...and a near-free PCIe link with batuta's 20 TFLOP/s sends every matmul to the GPU
    panel.gpu.setValue(20.0)
    assert panel.params() == BatutaParams(pcie_bw=1e15, gpu_flops=20e12, ratio=5.0)
    for k in matmul:
        cell = batuta.cells[k]
        assert cell.decision.tier_class == "gpu", cell.decision.reason
        assert batuta.fill_of(k) == CLASS_COLORS["gpu"]  # a GPU here, or hatched: lacking
    assert "always sends matmul to the GPU" in panel.five_note.text()
    _assert_marks_agree_with_evaluate(panel, panel.params())
    panel.ratio.setValue(1e6)  # the ratio moves batuta and the calibrated policy
    assert all(batuta.cells[k].decision.tier_class == "simd" for k in matmul)
    _assert_marks_agree_with_evaluate(panel, panel.params())
    panel.reset_params()
    assert panel.params() == BatutaParams()
    assert all(batuta.cells[k].decision.tier_class == "simd" for k in matmul)


def test_export_png_writes_the_panel(panel: SelectorPanel, tmp_path: Path) -> None:
    panel.select("batuta", "matmul", SIZES["matmul"][-1])
    out = tmp_path / "selector.png"
    assert panel.export_png(out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = QImage(str(out))
    assert (image.width(), image.height()) == (panel.width(), panel.height())


def test_without_data_says_what_to_run(qtbot: QtBot, tmp_path: Path) -> None:
    p = SelectorPanel(tmp_path / "empty.sqlite")
    qtbot.addWidget(p)
    p.reload()
    text = p.message.text()
    assert "sovprof calibrate" in text and "sovprof bench" in text
    assert p.data is not None
    for policy in ("batuta", "batuta-moe"):
        cells = p.maps[policy].cells
        assert {k for k, _n in cells} == set(p.data.grid)
        assert all(n in p.data.grid[k] for k, n in cells)
        assert len(cells) == sum(len(s) for s in p.data.grid.values())
    for policy in ("calibrated", "measured"):
        assert not p.maps[policy].cells and "sovprof" in p.maps[policy].message
    assert _text(p, 0, 0).startswith("no benchmark")
    assert p.export_png(tmp_path / "empty.png")
