"""The suite runner with real worker processes: crashes, hangs, wrong answers, stats."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kernels import runner, suite
from sovprof_testing import TARGETS

FAULTY = f"{TARGETS / 'kernels_faulty.py'},{TARGETS / 'kernels_wrong.py'}"


@pytest.fixture
def faulty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(suite.EXTRA_ENV, FAULTY)


QUICK = runner.Options(samples=3, warmup_s=0.01, max_s_per_size=0.05, cell_timeout_s=5)


def test_a_crash_and_a_hang_fail_their_cells_and_the_suite_finishes(faulty: None) -> None:
    plan = runner.make_plan(["crashy"], ["scalar"], [100, 666, 777, 1000])
    seen: list[tuple[int, int]] = []
    t0 = time.monotonic()
    cells = runner.run_suite(plan, QUICK, progress=lambda d, t, _: seen.append((d, t)))
    elapsed = time.monotonic() - t0
    by_size = {c.size: c for c in cells}
    assert sorted(by_size) == [100, 666, 777, 1000]
    assert by_size[100].ok and by_size[1000].ok, (by_size[100].error, by_size[1000].error)
    assert not by_size[666].ok
    assert "SIGSEGV" in (by_size[666].error or "")
    assert not by_size[777].ok
    assert "timed out after 5 s" in (by_size[777].error or "")
    assert seen[-1] == (4, 4)
    assert elapsed < 40


def test_a_wrong_answer_is_reported_not_timed_as_correct(faulty: None) -> None:
    cells = runner.run_suite(runner.make_plan(["wrong"], ["scalar"], [100]), QUICK)
    (cell,) = cells
    assert not cell.correct
    assert "differs from numpy" in (cell.error or "")


def test_statistics_come_from_the_raw_samples() -> None:
    plan = runner.make_plan(["saxpy"], ["scalar", "numpy"], [4096])
    opts = runner.Options(samples=12, warmup_s=0.01, max_s_per_size=0.2)
    cells = runner.run_suite(plan, opts)
    for c in cells:
        assert c.ok, c.error
        assert len(c.samples) == c.n_samples >= 5
        assert c.ci_low_s is not None and c.ci_high_s is not None and c.median_s is not None
        assert c.ci_low_s <= c.median_s <= c.ci_high_s
        assert c.gbps == pytest.approx(3 * 4 * 4096 / c.median_s / 1e9)
        assert sum(c.outliers.values()) <= c.n_samples
    scalar = next(c for c in cells if c.tier == "scalar")
    assert scalar.asm is not None and scalar.asm["problem"] is None
    assert scalar.effective_tier == "scalar"


def test_plans_refuse_bad_input() -> None:
    with pytest.raises(runner.PlanError, match="unknown kernel 'nope'"):
        runner.make_plan(["nope"], ["scalar"])
    with pytest.raises(runner.PlanError, match="not positive"):
        runner.make_plan(["saxpy"], ["scalar"], [0])
    with pytest.raises(runner.PlanError, match="no tiers"):
        runner.make_plan(["saxpy"], [])


def test_cancel_stops_between_cells(tmp_path: Path) -> None:
    import threading

    cancel = threading.Event()
    plan = runner.make_plan(["saxpy"], ["scalar", "numpy"], [1000, 2000, 3000])
    cells: list[runner.Cell] = []

    def on_cell(c: runner.Cell) -> None:
        cells.append(c)
        cancel.set()

    out = runner.run_suite(plan, QUICK, on_cell=on_cell, cancel=cancel)
    assert 1 <= len(out) < plan.total
