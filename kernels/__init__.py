"""Compute-kernel suites across the tiers this machine really has.

``kernels`` never imports ``app`` and never imports Qt. numba, pyopencl and dask are
imported lazily, inside the worker process that runs a tier, because numba reads its
target (CPU name, features, vectorization) once per process.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from kernels.selector import BatutaParams, CalibratedModel, Decision, Machine
    from kernels.spec import Setup

__all__ = ["run", "run_with_decision", "select"]


def select(
    kernel: str,
    size: int,
    policy: str = "calibrated",
    *,
    model: CalibratedModel | None = None,
    machine: Machine | None = None,
    params: BatutaParams | None = None,
) -> Decision:
    """Which tier should run ``kernel`` at ``size`` on this machine, and why.

    ``calibrated`` and ``measured`` read the model that ``sovprof calibrate`` and
    ``sovprof bench`` leave in the sovprof home directory (or ``model=``).
    """
    from kernels import isa, selector

    if model is None and policy in ("calibrated", "measured"):
        model = selector.load_model()
        if model is None:
            raise RuntimeError(
                f"the {policy} policy needs a calibration and a benchmark: run "
                "`sovprof calibrate` and `sovprof bench` first (or use policy='batuta')"
            )
    if machine is None:
        if model is not None and model.cells:
            machine = selector.Machine.from_cells(model.cells)
        else:
            machine = selector.Machine.from_ids(
                ["scalar", *(lv.tier for lv in isa.available_levels())]
            )
    return selector.decide(policy, kernel, int(size), machine, model, params)


def _size_of(kernel: str, arrays: tuple[np.ndarray, ...]) -> int:
    from kernels import suite

    spec = suite.get(kernel)
    first = arrays[0]
    return int(first.shape[0]) if spec.size_meaning.startswith("side") else int(first.size)


@cache
def _numba_setup(kernel: str) -> Setup:
    from kernels import suite

    return suite.get(kernel).numba()[0]


def run_with_decision(
    kernel: str, *arrays: np.ndarray, policy: str = "calibrated", scheduler: str | None = None
) -> tuple[Any, Decision]:
    """Run ``kernel`` on ``arrays`` on the tier the policy selects.

    CPU tiers run in this process with numba compiled for this CPU (numba's target is
    fixed per process, so "scalar" and the SIMD levels all run the native build here);
    OpenCL tiers run on their device, Dask on the scheduler (``scheduler`` or
    ``$SOVPROF_DASK_SCHEDULER``).
    """
    try:
        decision = select(kernel, _size_of(kernel, arrays), policy)
    except RuntimeError:
        if policy != "calibrated":
            raise
        decision = select(kernel, _size_of(kernel, arrays), "batuta")
    tier = decision.tier or "scalar"
    if tier.startswith("opencl:"):
        from kernels import opencl

        setup = opencl.setup_for(kernel, tier)
    elif tier == "dask":
        from kernels import dask_tier

        address = dask_tier.resolve_address(scheduler)
        if address is None:
            raise RuntimeError("the Dask tier needs a scheduler: set $SOVPROF_DASK_SCHEDULER")
        setup = dask_tier.setup_for(kernel, address)
    else:
        setup = _numba_setup(kernel)
    return setup(tuple(arrays))(), decision


def run(kernel: str, *arrays: np.ndarray, policy: str = "calibrated") -> Any:
    """Run ``kernel`` on the selected tier and return its result (see run_with_decision)."""
    return run_with_decision(kernel, *arrays, policy=policy)[0]
