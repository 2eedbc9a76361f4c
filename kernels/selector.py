"""The backend selector: which tier should run this kernel at this size, and why.

Four policies, shown side by side:

- ``batuta``: the Sovereign AI Stack's static model, reproduced exactly, flaws included.
  PCIe 32e9 B/s, GPU 20e12 FLOP/s, dispatch ratio 5; GPU iff
  ``flops / gpu_flops > ratio × bytes / pcie_bw``, otherwise SIMD. matmul (square n):
  ``(mk + kn + mn)·4`` bytes and ``2mnk`` FLOPs; reductions: ``3n·4`` bytes and ``2n``
  FLOPs; elementwise: SIMD above 1,000,000 elements, else Scalar, never GPU.
- ``batuta-moe``: batuta's complexity thresholds (strictly "above"): low → SIMD above
  1e6 else Scalar; medium → GPU above 1e5, SIMD above 1e4, else Scalar; high → GPU above
  1e4, SIMD above 1e3, else Scalar.
- ``calibrated``: predicted time of every available tier from this machine's calibration
  and benchmark, then the 5× rule applied honestly: a GPU or distributed tier is chosen
  only if its overhead (transfers + launch or scheduling) is recouped at least 5× by its
  compute saving over the best CPU tier.
- ``measured``: the oracle, the tier that was fastest in the benchmark.

A policy names a *class* (scalar, simd, gpu, distributed); :class:`Machine` maps it to a
real tier of this machine (SIMD → the widest SIMD tier; GPU → an OpenCL GPU device; a
class the machine lacks falls back, and the decision says so).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from kernels import isa, suite
from kernels.calibrate import bandwidth_at, best_cpu_tier, canonical_all
from kernels.spec import KernelSpec

#: the seed's tiers: Scalar, SIMD (any ISA level), GPU, Distributed — plus OpenCL on a
#: CPU device, which is neither a GPU nor numba's SIMD
TierClass = Literal["scalar", "simd", "gpu", "opencl", "distributed"]
POLICIES = ("batuta", "batuta-moe", "calibrated", "measured")
MOE_THRESHOLDS: dict[str, tuple[float | None, float]] = {
    # complexity: (GPU above, SIMD above); None = never GPU
    "low": (None, 1_000_000),
    "medium": (100_000, 10_000),
    "high": (10_000, 1_000),
}
ELEMENTWISE_SIMD_ABOVE = 1_000_000
MODEL_FILE = "selector-model.json"


@dataclass(frozen=True)
class BatutaParams:
    pcie_bw: float = 32e9
    gpu_flops: float = 20e12
    ratio: float = 5.0


@dataclass
class Decision:
    policy: str
    kernel: str
    size: int
    tier_class: TierClass
    #: the concrete tier id on this machine (None when nothing can run it)
    tier: str | None
    reason: str
    predicted: dict[str, float] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    rejected: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- the machine -------------------------------------------------------------------


@dataclass
class Machine:
    """The tiers a decision can map to: ids with their kind and device type."""

    tiers: dict[str, str]  # id -> kind: scalar | simd | opencl-gpu | opencl-cpu | dask

    @classmethod
    def from_ids(cls, ids: Iterable[str], gpu_ids: Iterable[str] = ()) -> Machine:
        gpus = set(gpu_ids)
        out: dict[str, str] = {}
        for t in ids:
            if t == "scalar":
                out[t] = "scalar"
            elif isa.level(t) is not None:
                out[t] = "simd"
            elif t.startswith("opencl:"):
                out[t] = "opencl-gpu" if t in gpus else "opencl-cpu"
            elif t == "dask":
                out[t] = "dask"
        return cls(out)

    @classmethod
    def from_cells(cls, cells: Sequence[Mapping[str, Any]]) -> Machine:
        ids = {str(c["tier"]) for c in cells}
        gpus = {
            str(c["tier"])
            for c in cells
            if str((c.get("info") or {}).get("type", "")).upper() == "GPU"
        }
        return cls.from_ids(ids, gpus)

    def best_simd(self) -> str | None:
        order = [lv.tier for lv in (*isa.X86_LEVELS, *isa.ARM_LEVELS)]
        simd = [t for t, k in self.tiers.items() if k == "simd"]
        return max(simd, key=order.index) if simd else None

    def gpu(self) -> str | None:
        return next((t for t, k in sorted(self.tiers.items()) if k == "opencl-gpu"), None)

    def concrete(self, cls_: TierClass) -> tuple[str | None, str]:
        """The tier for a class, and a note when the machine lacks it."""
        if cls_ == "gpu":
            gpu = self.gpu()
            if gpu:
                return gpu, ""
            simd = self.best_simd()
            return simd, f"no GPU here: falls back to {simd or 'scalar'}"
        if cls_ == "distributed":
            if "dask" in self.tiers:
                return "dask", ""
            return self.best_simd(), "no Dask here: falls back to SIMD"
        if cls_ == "simd":
            simd = self.best_simd()
            if simd:
                return simd, ""
            return ("scalar" if "scalar" in self.tiers else None), "no SIMD tier: scalar"
        return ("scalar" if "scalar" in self.tiers else None), ""

    def class_of(self, tier: str) -> TierClass:
        kind = self.tiers.get(tier, "")
        if kind == "scalar":
            return "scalar"
        if kind == "simd":
            return "simd"
        if kind == "dask":
            return "distributed"
        if kind == "opencl-cpu":
            return "opencl"
        return "gpu"


# -- batuta ------------------------------------------------------------------------


def batuta_cost(spec: KernelSpec, n: int) -> tuple[float, float]:
    """(flops, bytes) exactly as batuta's cost model computes them."""
    if spec.batuta_op == "matmul":
        m = k = nn = n
        return 2.0 * m * nn * k, float((m * k + k * nn + m * nn) * 4)
    if spec.batuta_op == "reduction":
        return 2.0 * n, 3.0 * n * 4
    return float(n), 3.0 * n * 4  # elementwise: not used by the rule, shown for reference


def batuta_class(
    spec: KernelSpec, n: int, params: BatutaParams
) -> tuple[TierClass, str, dict[str, float]]:
    flops, nbytes = batuta_cost(spec, n)
    compute_s = flops / params.gpu_flops
    transfer_s = nbytes / params.pcie_bw
    inputs = {"flops": flops, "bytes": nbytes, "gpu_compute_s": compute_s,
              "pcie_transfer_s": transfer_s, **asdict(params)}  # fmt: skip
    if spec.batuta_op == "elementwise":
        if n > ELEMENTWISE_SIMD_ABOVE:
            return "simd", f"elementwise, {n:,} > 1,000,000 elements: SIMD (never GPU)", inputs
        return "scalar", f"elementwise, {n:,} ≤ 1,000,000 elements: Scalar (never GPU)", inputs
    lhs, rhs = compute_s, params.ratio * transfer_s
    at = f"{fmt_time(compute_s)} at {params.gpu_flops / 1e12:g} TFLOP/s"
    rule = f"{params.ratio:g} × PCIe transfer {fmt_time(transfer_s)} = {fmt_time(rhs)}"
    if lhs > rhs:
        return "gpu", f"GPU: compute {at} > {rule}", inputs
    return "simd", f"SIMD: GPU rejected, compute {at} ≤ {rule}", inputs


def moe_class(spec: KernelSpec, n: int) -> tuple[TierClass, str]:
    gpu_above, simd_above = MOE_THRESHOLDS[spec.complexity]
    if gpu_above is not None and n > gpu_above:
        return "gpu", f"{spec.complexity} complexity, {n:,} > {gpu_above:,.0f}: GPU"
    if n > simd_above:
        return "simd", f"{spec.complexity} complexity, {n:,} > {simd_above:,.0f}: SIMD"
    return "scalar", f"{spec.complexity} complexity, {n:,} ≤ {simd_above:,.0f}: Scalar"


def fmt_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.3g} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.3g} µs"
    return f"{seconds * 1e9:.3g} ns"


# -- the calibrated model ----------------------------------------------------------


@dataclass
class Prediction:
    total_s: float
    compute_s: float
    overhead_s: float
    how: str


class CalibratedModel:
    """Predicted time of (kernel, tier, size) from calibration and measured results.

    Every tier has a *roof* from the calibration: CPU tiers ``call overhead +
    max(flops / peak, bytes / bandwidth at the working set)``; OpenCL adds launch
    latency and host↔device copies; Dask adds scheduling and sending the data. The
    benchmark tells how close to its roof each (kernel, tier) gets: that efficiency is
    interpolated in log size between the measured sizes (leaving out the size being
    predicted, when asked to, so accuracy is measured out of sample).
    """

    def __init__(self, calibration: Mapping[str, Any] | None, cells: Sequence[Mapping[str, Any]]):
        self.cal: dict[str, Any] = canonical_all(dict(calibration or {}))
        self.cells = [c for c in cells if _usable(c)]
        self._by: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
        for c in self.cells:
            self._by.setdefault((str(c["kernel"]), str(c["tier"])), []).append(c)
        for rows in self._by.values():
            rows.sort(key=lambda c: int(c["size"]))

    def tiers(self) -> dict[str, Any]:
        return dict(self.cal.get("tiers") or {})

    # the roof: (compute part, overhead part) in seconds
    def roof(self, spec: KernelSpec, tier: str, n: int) -> tuple[float, float] | None:
        tiers = self.tiers()
        flops, nbytes = spec.flops(n), spec.bytes_moved(n)
        if isa.level(tier) is not None:
            d = tiers.get(tier)
            if not d or not d.get("peak_flops"):
                return None
            bw = bandwidth_at(d, spec.working_set(n)) or 0.0
            if not bw:
                return None
            compute = max(flops / float(d["peak_flops"]), nbytes / bw)
            return compute, float(d.get("call_overhead_s") or 0.0)
        if tier.startswith("opencl:"):
            d = tiers.get(tier)
            if not d or not d.get("peak_flops") or not d.get("device_bandwidth"):
                return None
            compute = max(flops / float(d["peak_flops"]), nbytes / float(d["device_bandwidth"]))
            tb = spec.transfer_bytes(n)
            h2d = float(d.get("h2d_bps") or 0) or 1e12
            d2h = float(d.get("d2h_bps") or 0) or h2d
            out_share = 1.0 / 3.0  # a kernel's output is about a third of its traffic
            copies = tb * (1 - out_share) / h2d + tb * out_share / d2h
            return compute, float(d.get("launch_s") or 0.0) + copies
        if tier == "dask":
            d = tiers.get("dask")
            best = tiers.get(best_cpu_tier(self.cal) or "")
            if not d or not best or not d.get("transfer_bps"):
                return None
            workers = max(1, int(d.get("workers") or 1))
            bw = bandwidth_at(best, spec.working_set(n) / workers) or 0.0
            if not bw or not best.get("peak_flops"):
                return None
            compute = max(flops / float(best["peak_flops"]), nbytes / bw) / workers
            overhead = float(d.get("round_trip_s") or d.get("task_overhead_s") or 0.0)
            overhead += spec.transfer_bytes(n) / float(d["transfer_bps"])
            return compute, overhead
        return None

    def predict(
        self, kernel: str, tier: str, n: int, leave_out: int | None = None
    ) -> Prediction | None:
        spec = suite.get(kernel)
        roof = self.roof(spec, tier, n)
        rows = [c for c in self._by.get((kernel, tier), []) if int(c["size"]) != leave_out]
        if roof is None:
            if not rows:
                return None
            # no calibration: interpolate the measured times themselves (log-log)
            lx = np.log([float(c["size"]) for c in rows])
            ly = np.log([float(c["median_s"]) for c in rows])
            t = float(np.exp(np.interp(math.log(n), lx, ly)))
            return Prediction(t, t, 0.0, "interpolated from measured times (no calibration)")
        compute, overhead = roof
        if not rows:
            eff = 0.5
            how = "roofline at an assumed 50 % efficiency (never benchmarked)"
        else:
            xs: list[float] = []
            ys: list[float] = []
            for c in rows:
                m = int(c["size"])
                r = self.roof(spec, tier, m)
                if r is None:
                    continue
                measured = float(c["median_s"])
                if tier.startswith("opencl:") and (c.get("phases") or {}).get("kernel_s"):
                    # the device's own time is what the compute roof bounds
                    measured_compute = float(c["phases"]["kernel_s"])
                else:
                    measured_compute = max(measured - r[1], measured * 0.05)
                xs.append(math.log(m))
                ys.append(math.log(max(1e-6, min(r[0] / measured_compute, 10.0))))
            if not xs:
                return None
            eff = float(np.exp(np.interp(math.log(n), xs, ys)))
            where = "other sizes" if leave_out is not None else "sizes"
            how = f"roofline × {eff:.0%} efficiency measured at {len(xs)} {where}"
            factor = _overhead_factor(self, spec, tier, rows, n)
            if factor is not None:
                # host-side costs the calibration cannot see (driver, copies of pageable
                # memory), as the benchmark measured them around the kernel itself
                overhead *= factor
                how += f"; overhead × {factor:.2g} as measured around the kernel"
        compute_s = compute / eff
        return Prediction(compute_s + overhead, compute_s, overhead, how)

    def decide(
        self,
        spec: KernelSpec,
        n: int,
        machine: Machine,
        ratio: float = 5.0,
        leave_out: int | None = None,
    ) -> Decision:
        preds: dict[str, Prediction] = {}
        for tier in machine.tiers:
            p = self.predict(spec.name, tier, n, leave_out)
            if p is not None:
                preds[tier] = p
        predicted = {t: p.total_s for t, p in preds.items()}
        cpu = {t: p for t, p in preds.items() if machine.tiers[t] in ("scalar", "simd")}
        rejected: dict[str, str] = {}
        if not cpu:
            return Decision("calibrated", spec.name, n, "scalar", machine.concrete("scalar")[0],
                            "no CPU tier has a prediction: run `sovprof calibrate` and "
                            "`sovprof bench`", predicted)  # fmt: skip
        best_cpu = min(cpu, key=lambda t: cpu[t].total_s)
        t_cpu = cpu[best_cpu].total_s
        choice, reason = best_cpu, (f"{best_cpu}: fastest CPU tier, predicted {fmt_time(t_cpu)}")
        best_total = t_cpu
        for tier, p in preds.items():
            if tier in cpu:
                continue
            saving = t_cpu - p.compute_s
            label = (
                "GPU"
                if machine.tiers[tier] == "opencl-gpu"
                else ("Dask" if tier == "dask" else "OpenCL CPU device")
            )
            if saving <= 0:
                rejected[tier] = (
                    f"{label} rejected: its compute alone ({fmt_time(p.compute_s)}) is no "
                    f"faster than {best_cpu} ({fmt_time(t_cpu)})"
                )
                continue
            if saving < ratio * p.overhead_s:
                rejected[tier] = (
                    f"{label} rejected: compute saving {fmt_time(saving)} < "
                    f"{ratio:g} × overhead {fmt_time(p.overhead_s)}"
                )
                continue
            if p.total_s < best_total:
                choice, best_total = tier, p.total_s
                reason = (
                    f"{tier}: compute saving {fmt_time(saving)} ≥ {ratio:g} × overhead "
                    f"{fmt_time(p.overhead_s)}; predicted {fmt_time(p.total_s)} "
                    f"vs {best_cpu} {fmt_time(t_cpu)}"
                )
        if choice == best_cpu and rejected:
            reason += "; " + "; ".join(rejected.values())
        inputs = {
            "flops": spec.flops(n),
            "bytes": spec.bytes_moved(n),
            "transfer_bytes": spec.transfer_bytes(n),
            "ratio": ratio,
            "how": {t: p.how for t, p in preds.items()},
            "overhead_s": {t: p.overhead_s for t, p in preds.items()},
            "compute_s": {t: p.compute_s for t, p in preds.items()},
        }
        return Decision("calibrated", spec.name, n, machine.class_of(choice), choice, reason,
                        predicted, inputs, rejected)  # fmt: skip


def _overhead_factor(
    model: CalibratedModel, spec: KernelSpec, tier: str, rows: Sequence[Mapping[str, Any]], n: int
) -> float | None:
    """measured / calibrated overhead of OpenCL cells, interpolated (log-log) at ``n``.

    The measured overhead is end-to-end minus device time: the copies and launches as
    this program really pays them (pageable memory, driver calls). Scaling the
    calibrated overhead by it keeps the calibration's growth with size beyond the
    measured range.
    """
    pts = []
    for c in rows:
        kernel_s = float((c.get("phases") or {}).get("kernel_s") or 0.0)
        r = model.roof(spec, tier, int(c["size"]))
        if kernel_s <= 0 or r is None or r[1] <= 0:
            continue
        measured = max(1e-9, float(c["median_s"]) - kernel_s)
        pts.append((math.log(int(c["size"])), math.log(measured / r[1])))
    if not pts:
        return None
    pts.sort()
    return float(np.exp(np.interp(math.log(n), [p[0] for p in pts], [p[1] for p in pts])))


def _usable(c: Mapping[str, Any]) -> bool:
    if c.get("error") or not c.get("correct") or not c.get("median_s"):
        return False
    asm = c.get("asm") or {}
    return not asm.get("problem")


# -- policies ------------------------------------------------------------------------


def decide(
    policy: str,
    kernel: str,
    n: int,
    machine: Machine,
    model: CalibratedModel | None = None,
    params: BatutaParams | None = None,
    leave_out: int | None = None,
) -> Decision:
    spec = suite.get(kernel)
    params = params or BatutaParams()
    if policy == "batuta":
        cls_, why, inputs = batuta_class(spec, n, params)
        tier, note = machine.concrete(cls_)
        predicted = {
            "gpu_compute": inputs["gpu_compute_s"],
            "pcie_transfer": inputs["pcie_transfer_s"],
        }
        return Decision("batuta", kernel, n, cls_, tier, why + (f" ({note})" if note else ""),
                        predicted, inputs)  # fmt: skip
    if policy == "batuta-moe":
        cls_, why = moe_class(spec, n)
        tier, note = machine.concrete(cls_)
        return Decision("batuta-moe", kernel, n, cls_, tier, why + (f" ({note})" if note else ""),
                        {}, {"complexity": spec.complexity, "size": n})  # fmt: skip
    if policy == "calibrated":
        if model is None:
            raise ValueError("the calibrated policy needs a calibration and a benchmark")
        return model.decide(spec, n, machine, params.ratio, leave_out)
    if policy == "measured":
        if model is None:
            raise ValueError("the measured policy needs a benchmark")
        return measured(model, kernel, n, machine)
    raise ValueError(f"unknown policy {policy!r} (known: {', '.join(POLICIES)})")


def measured(model: CalibratedModel, kernel: str, n: int, machine: Machine) -> Decision:
    rows = {
        str(c["tier"]): c
        for c in model.cells
        if c["kernel"] == kernel and int(c["size"]) == n and str(c["tier"]) in machine.tiers
    }
    if not rows:
        return Decision(
            "measured", kernel, n, "scalar", None, f"{kernel} was not measured at {n:,}"
        )
    times = {t: float(c["median_s"]) for t, c in rows.items()}
    best = min(times, key=times.__getitem__)
    others = sorted((v, t) for t, v in times.items() if t != best)
    why = f"{best} measured fastest: {fmt_time(times[best])}"
    if others:
        why += f" (next {others[0][1]} {fmt_time(others[0][0])})"
    return Decision("measured", kernel, n, machine.class_of(best), best, why, times)


# -- accuracy and regret -------------------------------------------------------------


@dataclass
class Point:
    kernel: str
    size: int
    policy: str
    chosen: str | None
    best: str
    chosen_s: float | None
    best_s: float
    exact: bool
    #: the chosen tier is statistically indistinguishable from the best (CIs overlap)
    tie: bool
    regret: float  # relative time lost, chosen / best - 1
    #: the chosen tier is of the fastest tier's class (scalar, SIMD, GPU, …)
    same_class: bool = False

    @property
    def correct(self) -> bool:
        """Right at the seed's granularity: the fastest tier's class (or a tie)."""
        return self.exact or self.tie or self.same_class


@dataclass
class Score:
    policy: str
    points: int
    accuracy: float  # the fastest tier's class (scalar / SIMD / GPU / …), or tied with it
    exact_accuracy: float  # the fastest tier itself
    tier_accuracy: float  # the fastest tier, or one statistically tied with it
    mean_regret: float
    total_regret: float
    worst: list[Point]

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["worst"] = [asdict(p) for p in self.worst]
        return d


def evaluate(
    model: CalibratedModel,
    machine: Machine | None = None,
    policies: Sequence[str] = ("batuta", "batuta-moe", "calibrated"),
    params: BatutaParams | None = None,
    out_of_sample: bool = True,
) -> tuple[dict[str, Score], list[Point]]:
    """Score each policy on every (kernel, size) point of the benchmark grid.

    By default the calibrated policy is scored out of sample: the size being judged is
    left out of its efficiency fit, as for a size that was never benchmarked. With
    ``out_of_sample=False`` it sees the whole grid, as it does when asked about a
    benchmarked size.
    """
    machine = machine or Machine.from_cells(model.cells)
    keys = sorted({(str(c["kernel"]), int(c["size"])) for c in model.cells})
    points: list[Point] = []
    for kernel, n in keys:
        rows = {
            str(c["tier"]): c
            for c in model.cells
            if c["kernel"] == kernel and int(c["size"]) == n and str(c["tier"]) in machine.tiers
        }
        if not rows:
            continue
        best = min(rows, key=lambda t: float(rows[t]["median_s"]))
        best_s = float(rows[best]["median_s"])
        for policy in policies:
            d = decide(policy, kernel, n, machine, model, params,
                       leave_out=n if out_of_sample else None)  # fmt: skip
            chosen = d.tier
            row = rows.get(chosen or "")
            if row is None:
                points.append(Point(kernel, n, policy, chosen, best, None, best_s, False, False,
                                    float("inf")))  # fmt: skip
                continue
            cs = float(row["median_s"])
            tie = chosen != best and _overlap(row, rows[best])
            same = chosen is not None and machine.class_of(chosen) == machine.class_of(best)
            points.append(Point(kernel, n, policy, chosen, best, cs, best_s, chosen == best, tie,
                                cs / best_s - 1.0, same))  # fmt: skip
    scores: dict[str, Score] = {}
    for policy in policies:
        pts = [p for p in points if p.policy == policy]
        if not pts:
            continue
        finite = [p for p in pts if p.chosen_s is not None]
        total_best = sum(p.best_s for p in finite) or 1.0
        scores[policy] = Score(
            policy,
            len(pts),
            sum(p.correct for p in pts) / len(pts),
            sum(p.exact for p in pts) / len(pts),
            sum(p.exact or p.tie for p in pts) / len(pts),
            float(np.mean([p.regret for p in finite])) if finite else float("inf"),
            sum((p.chosen_s or 0) - p.best_s for p in finite) / total_best,
            sorted(pts, key=lambda p: -p.regret)[:5],
        )
    return scores, points


def _overlap(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    lo_a, hi_a = a.get("ci_low_s"), a.get("ci_high_s")
    lo_b, hi_b = b.get("ci_low_s"), b.get("ci_high_s")
    if None in (lo_a, hi_a, lo_b, hi_b):
        return False
    return float(lo_a) <= float(hi_b) and float(lo_b) <= float(hi_a)  # type: ignore[arg-type]


# -- the model file user code reads --------------------------------------------------


def default_model_path() -> Path:
    home = os.environ.get("SOVPROF_HOME")
    if home:
        return Path(home).expanduser() / MODEL_FILE
    import platformdirs

    return Path(platformdirs.user_data_dir("sovprof", appauthor=False)) / MODEL_FILE


def save_model(
    calibration: Mapping[str, Any] | None,
    cells: Sequence[Mapping[str, Any]],
    path: Path | None = None,
) -> Path:
    """Write what ``kernels.select`` needs (no raw samples) for user code to read."""
    path = path or default_model_path()
    slim = [{k: v for k, v in c.items() if k != "samples"} for c in cells]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"calibration": calibration or {}, "cells": slim}, default=str))
    tmp.replace(path)
    return path


def load_model(path: Path | None = None) -> CalibratedModel | None:
    path = path or default_model_path()
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return CalibratedModel(doc.get("calibration"), doc.get("cells") or [])
