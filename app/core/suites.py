"""Kernel suites for the CLI and the GUI: plan, run, store, compare with a baseline.

The kernels themselves live in :mod:`kernels`; this module adds what the application
needs around them: choosing tiers by name, saving every cell as it finishes, the
roofline and the comparison with a saved baseline.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from app.core.store import Store
from kernels import roofline, stats, tiers
from kernels.runner import Cell, Options, Plan, PlanError, make_plan, run_suite

__all__ = ["Cell", "Options", "Plan", "PlanError", "make_plan"]

#: names users can give to --tiers besides tier ids
ALIASES = {
    "cpu": ("scalar", "simd"),
    "simd": ("simd",),
    "opencl": ("opencl",),
    "gpu": ("opencl",),
    "all": ("reference", "scalar", "simd", "opencl", "dask"),
}


class TierChoiceError(ValueError):
    pass


def choose_tiers(requested: Sequence[str] | None, detected: Sequence[tiers.Tier]) -> list[str]:
    """Tier ids to run: the requested ones (ids or aliases), or every available tier."""
    available = [t for t in detected if t.available]
    if not requested:
        return [t.id for t in available]
    out: list[str] = []
    for name in requested:
        name = name.strip()
        if not name:
            continue
        if name in ALIASES:
            kinds = ALIASES[name]
            ids = [t.id for t in available if t.kind in kinds]
            if name == "gpu":
                ids = [
                    t.id
                    for t in available
                    if t.kind == "opencl" and t.evidence.get("type") == "GPU"
                ]
            if not ids:
                raise TierChoiceError(f"no available tier matches {name!r} on this machine")
            out += ids
            continue
        match = next((t for t in detected if t.id == name), None)
        if match is None:
            known = ", ".join(t.id for t in detected)
            raise TierChoiceError(f"unknown tier {name!r} (this machine has: {known})")
        if not match.available:
            raise TierChoiceError(f"tier {name!r} is unavailable: {match.problem}")
        out.append(match.id)
    return list(dict.fromkeys(out))


@dataclass
class BenchOutcome:
    run_id: int
    cells: list[Cell]
    cancelled: bool


def run_and_store(
    store: Store,
    plan: Plan,
    options: Options,
    scheduler: str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    on_cell: Callable[[Cell], None] | None = None,
    cancel: threading.Event | None = None,
    detected: Sequence[tiers.Tier] | None = None,
    baseline: Sequence[dict[str, Any]] | None = None,
    name: str = "",
) -> BenchOutcome:
    """Run the plan; every finished cell is committed at once (nothing is lost)."""
    cancel = cancel or threading.Event()
    calibration = store.latest_calibration()
    cal = calibration[1] if calibration else None
    fingerprint = tiers.fingerprint(list(detected) if detected is not None else None)
    opts = {**options.job(), "cell_timeout_s": options.cell_timeout_s,
            "kernels": plan.kernels, "tiers": plan.tiers, "sizes": plan.sizes}  # fmt: skip
    run_id = store.create_bench_run(
        fingerprint, opts, calibration[0] if calibration else None, name
    )
    base = {(c["kernel"], c["tier"], int(c["size"])): c for c in baseline or ()}

    def finished(cell: Cell) -> None:
        roofline.apply(cell, cal)
        old = base.get((cell.kernel, cell.tier, cell.size))
        if old is not None and old.get("samples") and cell.samples:
            cell.comparison = stats.compare(old["samples"], cell.samples).as_dict()
        store.add_bench_cell(run_id, cell.as_dict())
        if on_cell is not None:
            on_cell(cell)

    status = "failed"
    try:
        cells = run_suite(plan, options, scheduler, progress, finished, cancel)
        status = "cancelled" if cancel.is_set() else "complete"
    finally:
        store.finish_bench_run(run_id, status)
        refresh_model_file(store)
    return BenchOutcome(run_id, cells, cancel.is_set())


def speedup_over_scalar(cells: Sequence[Cell]) -> dict[tuple[str, str, int], float]:
    """median(scalar) / median(tier) for every cell that has a scalar twin."""
    scalar = {(c.kernel, c.size): c.median_s for c in cells if c.tier == "scalar" and c.ok}
    out: dict[tuple[str, str, int], float] = {}
    for c in cells:
        ref = scalar.get((c.kernel, c.size))
        if ref and c.ok and c.median_s:
            out[(c.kernel, c.tier, c.size)] = ref / c.median_s
    return out


def cells_from_store(rows: Sequence[dict[str, Any]]) -> list[Cell]:
    return [Cell.from_dict(r) for r in rows]


def load_selector_model(store: Store, run_ref: str = "latest") -> tuple[int | None, Any]:
    """(run id, CalibratedModel) from the latest calibration and the given benchmark run.

    The run id is None when there is no benchmark yet (the model then has no cells).
    """
    from app.core.store import StoreError
    from kernels.selector import CalibratedModel

    cal = store.latest_calibration()
    try:
        run_id: int | None = store.resolve_bench_run(run_ref)
    except StoreError:
        if run_ref not in ("latest", "last"):
            raise
        run_id = None
    cells = store.bench_cells(run_id) if run_id is not None else []
    return run_id, CalibratedModel(cal[1] if cal else None, cells)


def refresh_model_file(store: Store) -> None:
    """Rewrite the model file ``kernels.select`` reads in user code (best effort)."""
    from kernels import selector

    try:
        _, model = load_selector_model(store)
        selector.save_model(model.cal, model.cells)
    except Exception:
        pass
