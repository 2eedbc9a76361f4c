"""Dot product ``sum(x·y)`` in float32: the two-input, bandwidth-bound reduction."""

from __future__ import annotations

from typing import Any

import numpy as np

from kernels.spec import Arrays, KernelSpec, Setup, f32

#: Elements summed in float32 before the partial sum is added to a float64 total: long
#: enough that the fp32 inner loop runs at full vector speed, short enough that a
#: serial (scalar tier) fp32 sum of ~U[0,1) products stays accurate at any n.
CHUNK = 8192


def make_inputs(n: int, rng: np.random.Generator) -> Arrays:
    x = rng.random(n, dtype=np.float32)
    y = rng.random(n, dtype=np.float32)
    return x, y


def reference(x: np.ndarray, y: np.ndarray) -> np.floating[Any]:
    return np.dot(x, y)


def numba_impl() -> tuple[Setup, list[Any]]:
    import numba

    @numba.njit(fastmath=True, nogil=True, boundscheck=False)
    def dot(x: np.ndarray, y: np.ndarray) -> float:
        n = x.shape[0]
        total = 0.0
        for start in range(0, n, CHUNK):
            # slices: indices from 0 are provably non-negative (no wraparound code)
            xs = x[start : start + CHUNK]
            ys = y[start : start + CHUNK]
            acc = np.float32(0.0)
            for i in range(xs.shape[0]):
                acc += xs[i] * ys[i]
            total += acc
        return total

    def setup(inputs: Arrays) -> Any:
        x, y = inputs

        def call() -> float:
            return dot(x, y)

        return call

    return setup, [dot]


SPEC = KernelSpec(
    name="dot",
    title="Dot product (Σ x·y)",
    complexity="medium",
    batuta_op="reduction",
    size_meaning="elements",
    flops=lambda n: 2.0 * n,
    bytes_moved=lambda n: f32(2 * n),
    transfer_bytes=lambda n: f32(2 * n),
    make_inputs=make_inputs,
    reference=reference,
    numba=numba_impl,
    rtol=1e-3,
    atol=1e-5,
    default_sizes=(1 << 12, 1 << 16, 1 << 20, 1 << 24, 1 << 25),
    test_sizes=(1000, 4099, 70001),
)
