"""Report data of the kernel suites: the latest benchmark run, the calibration, and the
backend selector's display (decisions, scores, batuta's 5× rule, cost curves).

The selector part mirrors the GUI's Selector panel: every policy decides every
(kernel, size) of the benchmark grid, the calibrated policy out of sample (as
:func:`kernels.selector.evaluate` scores it), and a decision is marked wrong where it
is not of the measured-fastest tier's class nor statistically tied with it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from app.core.selector_display import (
    batuta_ratio,
    batuta_threshold,
    calibrated_ratios,
    dense_sizes,
    grid_of,
    machine_for,
    tier_order,
)
from app.core.store import Store, StoreError
from kernels import suite
from kernels.selector import (
    BatutaParams,
    CalibratedModel,
    Machine,
    Point,
    decide,
    evaluate,
)

POLICY_TITLES = {
    "batuta": "batuta (static 5× PCIe rule)",
    "batuta-moe": "batuta-moe (complexity thresholds)",
    "calibrated": "calibrated (this machine, 5× rule)",
    "measured": "measured (fastest in the benchmark)",
}
#: line colours of the tiers, as the Suites panel draws them
LINE_COLORS = {
    "scalar": "#808080",
    "sse2": "#2ea043",
    "neon": "#2ea043",
    "avx2": "#e68714",
    "avx512": "#d63031",
    "numpy": "#286ed2",
    "dask": "#8c564b",
}
#: decision-map colours, as the Selector panel draws them (SIMD in blues)
MAP_COLORS = {
    "scalar": "#bdbdbd",
    "sse2": "#9ecae1",
    "neon": "#9ecae1",
    "avx2": "#4292c6",
    "avx512": "#08519c",
    "dask": "#a6764c",
}
OPENCL_LINE = "#9450c8"
OPENCL_GPU = "#fd8d3c"
OPENCL_CPU = "#9e6acd"
OTHER_COLORS = ("#17becf", "#bcbd22", "#e377c2", "#7f7f7f")
DENSE = 60


def _colors(tiers: Sequence[str], machine: Machine) -> tuple[dict[str, str], dict[str, str]]:
    line: dict[str, str] = {}
    fill: dict[str, str] = {}
    for i, t in enumerate(tier_order(tiers)):
        other = OTHER_COLORS[i % len(OTHER_COLORS)]
        line[t] = LINE_COLORS.get(t) or (OPENCL_LINE if t.startswith("opencl") else other)
        kind = machine.tiers.get(t, "")
        opencl = OPENCL_GPU if kind == "opencl-gpu" else OPENCL_CPU
        fill[t] = MAP_COLORS.get(t) or (opencl if t.startswith("opencl") else other)
    return line, fill


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def _slim_cell(cell: Mapping[str, Any], speedup: float | None) -> dict[str, Any]:
    out = {k: v for k, v in cell.items() if k != "samples"}
    out["speedup"] = speedup
    return out


def _speedups(cells: Sequence[Mapping[str, Any]]) -> list[float | None]:
    """median(scalar) / median(cell) where both ran correctly at the same size."""

    def ok(c: Mapping[str, Any]) -> bool:
        return bool(c.get("correct")) and not c.get("error") and bool(c.get("median_s"))

    scalar = {
        (c["kernel"], int(c["size"])): float(c["median_s"])
        for c in cells
        if c.get("tier") == "scalar" and ok(c)
    }
    out: list[float | None] = []
    for c in cells:
        ref = scalar.get((c["kernel"], int(c["size"])))
        out.append(ref / float(c["median_s"]) if ref and ok(c) else None)
    return out


def _calibration_summary(cal: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per calibrated tier: the figures the roofline model uses."""
    tiers = cal.get("tiers") or {}
    rows = []
    for t in tier_order(list(tiers)):
        d = tiers.get(t) or {}
        bw = (d.get("bandwidth") or {}).get("triad") or {}
        sizes = sorted(bw, key=lambda s: int(s))
        rows.append(
            {
                "tier": t,
                "peak_flops": d.get("peak_flops"),
                "bw_small": bw[sizes[0]] if sizes else d.get("device_bandwidth"),
                "bw_small_bytes": int(sizes[0]) if sizes else None,
                "bw_large": bw[sizes[-1]] if sizes else None,
                "bw_large_bytes": int(sizes[-1]) if sizes else None,
                "overhead_s": d.get("call_overhead_s") or d.get("launch_s")
                or d.get("round_trip_s"),
                "h2d_bps": d.get("h2d_bps"),
                "d2h_bps": d.get("d2h_bps"),
                "transfer_bps": d.get("transfer_bps"),
                "device": d.get("device"),
                "type": d.get("type"),
                "workers": d.get("workers"),
            }
        )  # fmt: skip
    return rows


def _kernel_specs(names: Sequence[str]) -> list[dict[str, Any]]:
    out = []
    for name in names:
        try:
            spec = suite.get(name)
        except Exception:  # a kernel of a suite this version lacks
            out.append({"name": name, "title": name, "size_meaning": "size"})
            continue
        out.append(
            {
                "name": name,
                "title": spec.title,
                "size_meaning": spec.size_meaning,
                "complexity": spec.complexity,
                "batuta_op": spec.batuta_op,
            }
        )
    return out


def _point_dict(p: Point | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {
        "best": p.best,
        "best_s": p.best_s,
        "chosen_s": p.chosen_s,
        "exact": p.exact,
        "tie": p.tie,
        "same_class": p.same_class,
        "correct": p.correct,
        "regret": _finite(p.regret),
    }


def selector_data(
    model: CalibratedModel, grid: Mapping[str, Sequence[int]], params: BatutaParams | None = None
) -> dict[str, Any]:
    """Every policy's decision per (kernel, size), the scores, the 5× plot and cost curves."""
    params = params or BatutaParams()
    machine = machine_for(model)
    has_bench = bool(model.cells)
    policies = ["batuta", "batuta-moe"]
    if has_bench or model.tiers():
        policies.append("calibrated")
    if has_bench:
        policies.append("measured")
    scores: dict[str, Any] = {}
    points: list[Point] = []
    if has_bench:
        scored, points = evaluate(model, machine, policies, params)
        scores = {k: v.as_dict() for k, v in scored.items()}
        for s in scores.values():
            s.pop("worst", None)
            s["mean_regret"] = _finite(s["mean_regret"])
            s["total_regret"] = _finite(s["total_regret"])
    by_point = {(p.policy, p.kernel, p.size): p for p in points}
    maps: dict[str, list[dict[str, Any]]] = {}
    for policy in policies:
        rows = []
        for kernel, sizes in grid.items():
            for n in sizes:
                d = decide(policy, kernel, n, machine, model, params, n if has_bench else None)
                fallback = d.tier is not None and machine.class_of(d.tier) != d.tier_class
                rows.append(
                    {
                        "kernel": kernel,
                        "size": n,
                        "tier": d.tier,
                        "class": d.tier_class,
                        "reason": d.reason,
                        "fallback": fallback,
                        "predicted": {t: _finite(v) for t, v in d.predicted.items()},
                        "rejected": d.rejected,
                        "point": _point_dict(by_point.get((policy, kernel, n))),
                    }
                )
        maps[policy] = rows
    per_kernel: dict[str, Any] = {}
    for kernel, sizes in grid.items():
        lo, hi = (min(sizes), max(sizes)) if sizes else (1, 1 << 20)
        dense = [int(x) for x in dense_sizes(lo / 4, hi * 8, DENSE)]
        threshold = batuta_threshold(kernel, params)
        wide = [int(x) for x in dense_sizes(1, max(hi * 100, 10 * (threshold or 0)), DENSE)]
        curves: dict[str, list[float | None]] = {}
        for t in tier_order(list(machine.tiers)):
            ys = []
            for n in dense:
                p = model.predict(kernel, t, n)
                ys.append(_finite(p.total_s) if p is not None and p.total_s > 0 else None)
            if any(y is not None for y in ys):
                curves[t] = ys
        measured: dict[str, list[list[float | None]]] = {}
        for c in model.cells:
            if c["kernel"] == kernel:
                measured.setdefault(str(c["tier"]), []).append(
                    [int(c["size"]), float(c["median_s"]), c.get("ci_low_s"), c.get("ci_high_s")]
                )
        for rows_ in measured.values():
            rows_.sort(key=lambda r: float(r[0] or 0))
        spec = suite.get(kernel)
        per_kernel[kernel] = {
            "batuta_op": spec.batuta_op,
            "complexity": spec.complexity,
            "ratio_sizes": wide,
            "ratio": [_finite(float(r)) for r in batuta_ratio(kernel, wide, params)],
            "threshold": threshold,
            "calibrated_sizes": dense,
            "calibrated_ratio": {
                t: [_finite(float(r)) for r in v]
                for t, v in calibrated_ratios(model, machine, kernel, dense).items()
                if np.isfinite(v).any()
            },
            "cost_sizes": dense,
            "predicted": curves,
            "measured": measured,
        }
    return {
        "policies": policies,
        "titles": {p: POLICY_TITLES.get(p, p) for p in policies},
        "params": asdict(params),
        "machine": dict(machine.tiers),
        "grid": {k: list(v) for k, v in grid.items()},
        "maps": maps,
        "scores": scores,
        "kernels": per_kernel,
        "out_of_sample": has_bench,
    }


def kernels_sections(store: Store, run_ref: str = "latest") -> dict[str, Any]:
    """``kernels`` (the run, its cells without raw samples, the calibration) and
    ``selector`` data from the store.  ``kernels.run`` is None without a benchmark."""
    cal = store.latest_calibration()
    try:
        run_id: int | None = store.resolve_bench_run(run_ref)
    except StoreError:
        if run_ref not in ("latest", "last"):
            raise
        run_id = None
    cells = store.bench_cells(run_id) if run_id is not None else []
    run = next((r for r in store.bench_runs() if r.id == run_id), None)
    model = CalibratedModel(cal[1] if cal else None, cells)
    machine = machine_for(model)
    tiers = tier_order([str(c["tier"]) for c in cells] + list(machine.tiers))
    line, fill = _colors(tiers, machine)
    grid = grid_of(cells) if model.cells else {}
    if not grid:
        grid = {name: list(suite.get(name).default_sizes) for name in suite.names()}
    kernels = {
        "run": None
        if run is None
        else {
            "id": run.id,
            "name": run.name,
            "created": run.created,
            "status": run.status,
            "options": run.options,
            "fingerprint": run.fingerprint,
            "calibration": run.calibration,
        },
        "cells": [_slim_cell(c, s) for c, s in zip(cells, _speedups(cells), strict=True)],
        "kernels": _kernel_specs(list(grid_of(cells)) or list(grid)),
        "calibration": None
        if cal is None
        else {
            "id": cal[0],
            "created": cal[1].get("created"),
            "tiers": _calibration_summary(cal[1]),
            "problems": cal[1].get("problems") or {},
        },
        "tiers": tiers,
        "line_colors": line,
        "map_colors": fill,
    }
    return {"kernels": kernels, "selector": selector_data(model, grid)}
