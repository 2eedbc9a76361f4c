"""Sum ``Σ x`` in float32: the one-input, bandwidth-bound reduction."""

from __future__ import annotations

from typing import Any

import numpy as np

from kernels.spec import Arrays, KernelSpec, Setup, f32

#: Elements summed in float32 before the partial sum is added to a float64 total (see
#: kernels.suite.dot): keeps the serial scalar-tier sum accurate at any n.
CHUNK = 8192


def make_inputs(n: int, rng: np.random.Generator) -> Arrays:
    return (rng.random(n, dtype=np.float32),)


def reference(x: np.ndarray) -> np.floating[Any]:
    return np.sum(x)


def numba_impl() -> tuple[Setup, list[Any]]:
    import numba

    @numba.njit(fastmath=True, nogil=True, boundscheck=False)
    def total_sum(x: np.ndarray) -> float:
        n = x.shape[0]
        total = 0.0
        for start in range(0, n, CHUNK):
            # a slice: indices from 0 are provably non-negative (no wraparound code)
            xs = x[start : start + CHUNK]
            acc = np.float32(0.0)
            for i in range(xs.shape[0]):
                acc += xs[i]
            total += acc
        return total

    def setup(inputs: Arrays) -> Any:
        (x,) = inputs

        def call() -> float:
            return total_sum(x)

        return call

    return setup, [total_sum]


SPEC = KernelSpec(
    name="sum",
    title="Sum (Σ x)",
    complexity="medium",
    batuta_op="reduction",
    size_meaning="elements",
    flops=lambda n: 1.0 * n,
    bytes_moved=lambda n: f32(n),
    transfer_bytes=lambda n: f32(n) + 4.0,
    make_inputs=make_inputs,
    reference=reference,
    numba=numba_impl,
    rtol=1e-3,
    atol=1e-5,
    default_sizes=(1 << 12, 1 << 16, 1 << 20, 1 << 24, 1 << 25),
    test_sizes=(1000, 4099, 70001),
)
