"""2-D five-point stencil (one Jacobi step) on an ``n × n`` float32 grid.

``out[i, j] = C0·u[i, j] + C1·(u[i-1, j] + u[i+1, j] + u[i, j-1] + u[i, j+1])`` on the
interior; the boundary is copied.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kernels.spec import Arrays, KernelSpec, Setup, f32

C0 = np.float32(0.5)
C1 = np.float32(0.125)


def make_inputs(n: int, rng: np.random.Generator) -> Arrays:
    return (rng.random((n, n), dtype=np.float32),)


def reference(u: np.ndarray) -> np.ndarray:
    out = u.copy()
    out[1:-1, 1:-1] = C0 * u[1:-1, 1:-1] + C1 * (
        u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:]
    )
    return out


def numba_impl() -> tuple[Setup, list[Any]]:
    import numba

    @numba.njit(fastmath=True, nogil=True, boundscheck=False)
    def stencil(u: np.ndarray, out: np.ndarray) -> None:
        n = u.shape[0]
        m = u.shape[1]
        for j in range(m):
            out[0, j] = u[0, j]
            out[n - 1, j] = u[n - 1, j]
        for i in range(1, n - 1):
            up = u[i - 1]
            mid = u[i]
            down = u[i + 1]
            dst = out[i]
            dst[0] = mid[0]
            for j in range(1, m - 1):
                dst[j] = C0 * mid[j] + C1 * (up[j] + down[j] + mid[j - 1] + mid[j + 1])
            dst[m - 1] = mid[m - 1]

    def setup(inputs: Arrays) -> Any:
        (u,) = inputs
        out = np.empty_like(u)

        def call() -> np.ndarray:
            stencil(u, out)
            return out

        return call

    return setup, [stencil]


SPEC = KernelSpec(
    name="stencil",
    title="2-D 5-point stencil (n×n)",
    complexity="medium",
    batuta_op="elementwise",
    size_meaning="side n of the square grid",
    flops=lambda n: 6.0 * max(n - 2, 0) ** 2,
    bytes_moved=lambda n: f32(2 * n * n),
    transfer_bytes=lambda n: f32(2 * n * n),
    make_inputs=make_inputs,
    reference=reference,
    numba=numba_impl,
    rtol=1e-5,
    atol=1e-6,
    default_sizes=(64, 256, 1024, 4096),
    test_sizes=(3, 67, 130),
)
