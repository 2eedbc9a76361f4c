"""What the selector's pictures are drawn from, shared by the GUI panel and the report.

Tier order for legends, the benchmark grid, batuta's compute ÷ transfer ratio and the
size where it crosses the dispatch ratio, and the calibrated policy's compute saving ÷
overhead per non-CPU tier.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from kernels import isa, suite
from kernels.selector import BatutaParams, CalibratedModel, Machine, batuta_cost

Sizes = Sequence[float] | np.ndarray
DENSE = 80  # points of a drawn curve


def tier_order(tiers: Sequence[str]) -> list[str]:
    """scalar, SIMD narrow to wide, OpenCL, Dask, numpy, anything else (no repeats)."""
    simd = [lv.tier for lv in (*isa.X86_LEVELS, *isa.ARM_LEVELS)]

    def key(t: str) -> tuple[int, int, str]:
        if t == "scalar":
            return (0, 0, t)
        if t in simd:
            return (1, simd.index(t), t)
        if t.startswith("opencl"):
            return (2, 0, t)
        if t == "dask":
            return (3, 0, t)
        if t == "numpy":
            return (4, 0, t)
        return (5, 0, t)

    return sorted(set(tiers), key=key)


def grid_of(cells: Sequence[Mapping[str, Any]]) -> dict[str, list[int]]:
    """kernel -> sorted sizes of a benchmark run, kernels in the suite's order."""
    known = suite.names()
    per: dict[str, set[int]] = {}
    for c in cells:
        k = str(c.get("kernel"))
        if k in known:
            per.setdefault(k, set()).add(int(c["size"]))
    return {k: sorted(per[k]) for k in known if k in per}


def machine_for(model: CalibratedModel | None) -> Machine:
    """The benchmarked tiers; without a benchmark the calibrated ones, else this CPU's."""
    if model is not None and model.cells:
        return Machine.from_cells(model.cells)
    tiers = model.tiers() if model is not None else {}
    if tiers:
        gpus = [t for t, d in tiers.items() if str((d or {}).get("type", "")).upper() == "GPU"]
        return Machine.from_ids(tiers, gpus)
    return Machine.from_ids(["scalar", *(lv.tier for lv in isa.available_levels())])


def dense_sizes(lo: float, hi: float, n: int = DENSE) -> np.ndarray:
    """About ``n`` whole sizes spread evenly in log between ``lo`` and ``hi``."""
    lo, hi = max(1.0, lo), max(1.0, hi)
    if hi <= lo:
        hi = lo * 2
    return np.unique(np.round(np.logspace(math.log10(lo), math.log10(hi), n)))


def batuta_ratio(kernel: str, sizes: Sizes, params: BatutaParams) -> np.ndarray:
    """batuta's (flops / gpu_flops) ÷ (bytes / pcie_bw) at each size (NaN: no bytes)."""
    spec = suite.get(kernel)
    out = []
    for n in sizes:
        flops, nbytes = batuta_cost(spec, int(n))
        out.append((flops / params.gpu_flops) / (nbytes / params.pcie_bw) if nbytes else np.nan)
    return np.asarray(out, dtype=float)


def batuta_threshold(kernel: str, params: BatutaParams) -> float | None:
    """The smallest size batuta sends to the GPU (None: it never or always does)."""
    if suite.get(kernel).batuta_op == "elementwise":
        return None
    xs = np.logspace(0, 13, 1301)
    above = batuta_ratio(kernel, xs, params) > params.ratio
    if above.all() or not above.any():
        return None
    i = int(np.argmax(above))
    lo, hi = float(xs[i - 1]), float(xs[i])
    for _ in range(60):  # bisect in log space
        mid = math.sqrt(lo * hi)
        if batuta_ratio(kernel, [mid], params)[0] > params.ratio:
            hi = mid
        else:
            lo = mid
    return hi


def calibrated_ratios(
    model: CalibratedModel, machine: Machine, kernel: str, sizes: Sizes
) -> dict[str, np.ndarray]:
    """compute saving ÷ overhead of every non-CPU tier, as the calibrated policy weighs it.

    NaN where the tier saves nothing (or cannot be predicted); infinite where it saves
    time but has no overhead to recoup (no calibrated transfers or launch).
    """
    cpu = [t for t, k in machine.tiers.items() if k in ("scalar", "simd")]
    others = tier_order([t for t, k in machine.tiers.items() if k not in ("scalar", "simd")])
    out = {t: np.full(len(sizes), np.nan) for t in others}
    for i, n in enumerate(sizes):
        totals = [p.total_s for p in (model.predict(kernel, t, int(n)) for t in cpu) if p]
        if not totals:
            continue
        t_cpu = min(totals)
        for t in others:
            p = model.predict(kernel, t, int(n))
            if p is None:
                continue
            saving = t_cpu - p.compute_s
            if saving > 0:
                out[t][i] = saving / p.overhead_s if p.overhead_s > 0 else math.inf
    return out
