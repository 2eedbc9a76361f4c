"""SAXPY, ``out = a·x + y`` in float32: the elementwise, bandwidth-bound kernel."""

from __future__ import annotations

from typing import Any

import numpy as np

from kernels.spec import Arrays, KernelSpec, Setup, f32

ALPHA = np.float32(2.5)


def make_inputs(n: int, rng: np.random.Generator) -> Arrays:
    x = rng.standard_normal(n, dtype=np.float32)
    y = rng.standard_normal(n, dtype=np.float32)
    return x, y


def reference(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return ALPHA * x + y


def numba_impl() -> tuple[Setup, list[Any]]:
    import numba

    @numba.njit(fastmath=True, nogil=True, boundscheck=False)
    def saxpy(a: float, x: np.ndarray, y: np.ndarray, out: np.ndarray) -> None:
        for i in range(x.shape[0]):
            out[i] = a * x[i] + y[i]

    def setup(inputs: Arrays) -> Any:
        x, y = inputs
        out = np.empty_like(x)

        def call() -> np.ndarray:
            saxpy(ALPHA, x, y, out)
            return out

        return call

    return setup, [saxpy]


SPEC = KernelSpec(
    name="saxpy",
    title="SAXPY (a·x + y)",
    complexity="low",
    batuta_op="elementwise",
    size_meaning="elements",
    flops=lambda n: 2.0 * n,
    bytes_moved=lambda n: f32(3 * n),
    transfer_bytes=lambda n: f32(3 * n),
    make_inputs=make_inputs,
    reference=reference,
    numba=numba_impl,
    rtol=1e-6,
    atol=1e-6,
    default_sizes=(1 << 12, 1 << 16, 1 << 20, 1 << 24),
    test_sizes=(1000, 4099),
)
