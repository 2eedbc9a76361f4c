"""One worker process: runs one kernel on one tier, for a list of sizes.

Started by :mod:`kernels.runner` as ``python -m kernels.worker`` with the tier's
environment already set (numba reads it once, at import). Reads one JSON job on stdin
and writes JSON lines on stdout: ``start``, then ``result`` per size (so a crash or a
hang later loses only the size in flight), then ``done``.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

from kernels import isa, suite
from kernels.asm import AsmProfile, analyse, verdict
from kernels.spec import KernelSpec, Setup

_OUT = sys.stdout


def emit(event: str, **fields: Any) -> None:
    _OUT.write(json.dumps({"event": event, **fields}) + "\n")
    _OUT.flush()


def _tier_setup(spec: KernelSpec, tier: str, job: dict[str, Any]) -> tuple[Setup, list[Any]]:
    if tier == "numpy":
        ref = spec.reference

        def setup(inputs: tuple[np.ndarray, ...]) -> Callable[[], Any]:
            return lambda: ref(*inputs)

        return setup, []
    if isa.level(tier) is not None:
        return spec.numba()
    if tier.startswith("opencl:"):
        from kernels import opencl

        return opencl.setup_for(spec.name, tier), []
    if tier == "dask":
        from kernels import dask_tier

        return dask_tier.setup_for(spec.name, job.get("scheduler") or ""), []
    raise ValueError(f"unknown tier {tier!r}")


def _asm_evidence(tier: str, dispatchers: list[Any]) -> dict[str, Any] | None:
    lv = isa.level(tier)
    if lv is None or not dispatchers:
        return None
    total = AsmProfile()
    for disp in dispatchers:
        for sig in disp.signatures:
            total = total + analyse(disp.inspect_asm(sig))
    problem = verdict(total, lv.width)
    effective = tier
    if problem is not None:
        effective = {"": "scalar", "xmm": "sse2", "ymm": "avx2", "zmm": "avx512", "q": "neon"}[
            total.widest
        ]
    return {
        "counts": total.as_dict(),
        "expected": lv.width or "none",
        "problem": problem,
        "effective_tier": effective,
    }


def _measure(call: Callable[[], Any], job: dict[str, Any]) -> tuple[list[float], int]:
    warmup_s = float(job.get("warmup_s", 0.2))
    min_sample_s = float(job.get("min_sample_s", 0.002))
    budget_s = float(job.get("max_s_per_size", 2.0))
    want = int(job.get("samples", 20))
    min_samples = min(want, int(job.get("min_samples", 5)))
    calls = 0
    t0 = time.perf_counter()
    while True:
        call()
        calls += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= warmup_s:
            break
    est = elapsed / calls
    iters = max(1, math.ceil(min_sample_s / max(est, 1e-9)))
    n = max(min_samples, min(want, int(budget_s / max(est * iters, 1e-12))))
    samples: list[float] = []
    clock = time.perf_counter
    for _ in range(n):
        t = clock()
        for _ in range(iters):
            call()
        samples.append((clock() - t) / iters)
    return samples, iters


def run_job(job: dict[str, Any]) -> None:
    t_import = time.perf_counter()
    spec = suite.get(job["kernel"])
    tier = job["tier"]
    setup, dispatchers = _tier_setup(spec, tier, job)
    emit(
        "start",
        pid=os.getpid(),
        kernel=spec.name,
        tier=tier,
        import_s=time.perf_counter() - t_import,
    )
    asm_done = False
    for n in job["sizes"]:
        emit("size", size=n)
        try:
            rng = np.random.default_rng(int(job.get("seed", 0)) + n)
            inputs = spec.make_inputs(n, rng)
            expected = spec.reference(*inputs)
            t0 = time.perf_counter()
            call = setup(inputs)
            t1 = time.perf_counter()
            result = call()
            t2 = time.perf_counter()
        except Exception as exc:
            emit(
                "result",
                size=n,
                error=f"{type(exc).__name__}: {exc}".strip(),
                detail=traceback.format_exc(limit=4),
            )
            continue
        problem = spec.check(result, expected)
        row: dict[str, Any] = {"size": n, "correct": problem is None, "error": problem}
        if not asm_done and dispatchers:
            asm_done = True
            try:
                row["asm"] = _asm_evidence(tier, dispatchers)
            except Exception as exc:
                row["asm"] = {
                    "problem": f"cannot read the assembly: {exc}",
                    "effective_tier": "unknown",
                }
        if job.get("timing", True):
            phases_fn = getattr(call, "phases", None)
            if callable(phases_fn):
                phases_fn(reset=True)
            samples, iters = _measure(call, job)
            row["samples"] = samples
            row["iters"] = iters
            median = float(np.median(samples))
            row["compile_s"] = max(0.0, (t1 - t0) + (t2 - t1) - median)
            if callable(phases_fn):
                row["phases"] = {k: float(np.median(v)) for k, v in phases_fn().items() if v}
        else:
            row["compile_s"] = (t1 - t0) + (t2 - t1)
        info = getattr(call, "info", None)
        if isinstance(info, dict):
            row["info"] = info
        emit("result", **row)


def _call_overhead() -> float:
    """Seconds to call a compiled function with two array arguments from Python."""
    import numba

    @numba.njit(nogil=True)
    def noop(x: np.ndarray, y: np.ndarray) -> int:
        return x.shape[0] + y.shape[0]

    a = np.zeros(8, np.float32)
    noop(a, a)
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(2000):
            noop(a, a)
        best = min(best, (time.perf_counter() - t) / 2000)
    return best


def calibrate_job(job: dict[str, Any]) -> dict[str, Any]:
    """Calibration of the tier this worker runs (see kernels.calibrate)."""
    tier = job["tier"]
    if isa.level(tier) is not None:
        from kernels import microbench

        quick = float(job.get("min_time_s", 0.2))
        bandwidth: dict[str, dict[str, float]] = {"copy": {}, "triad": {}}
        for fp in microbench.footprints():
            for kind in ("copy", "triad"):
                bandwidth[kind][str(fp)] = microbench.stream(kind, fp, quick)
        return {
            "peak_flops": microbench.fma_peak(quick),
            "bandwidth": bandwidth,
            "call_overhead_s": _call_overhead(),
        }
    if tier.startswith("opencl:"):
        from kernels import opencl

        return dict(opencl.calibrate(tier))
    if tier == "dask":
        from kernels import dask_tier

        return dict(dask_tier.calibrate(job.get("scheduler") or ""))
    raise ValueError(f"tier {tier!r} has nothing to calibrate")


def main() -> int:
    try:
        job = json.loads(sys.stdin.read())
    except ValueError as exc:
        emit("fatal", error=f"bad job: {exc}")
        return 2
    try:
        if job.get("mode") == "calibrate":
            emit("calibration", tier=job["tier"], data=calibrate_job(job))
        elif job.get("mode") == "rules":
            from kernels import rules

            emit("rules", rule=job["rule"], rows=rules.run_in_worker(job))
        else:
            run_job(job)
    except Exception as exc:
        emit("fatal", error=f"{type(exc).__name__}: {exc}", detail=traceback.format_exc(limit=6))
        return 1
    emit("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
