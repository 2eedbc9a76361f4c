"""What a kernel is: its cost model, inputs, numpy reference and implementations.

Every kernel module in :mod:`kernels.suite` exposes ``SPEC: KernelSpec``. Sizes are one
integer per kernel; ``size_meaning`` says what it counts (elements, or the side of a
square matrix / grid).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Complexity = Literal["low", "medium", "high"]
#: How batuta's static cost model sees the kernel (see kernels.selector).
BatutaOp = Literal["elementwise", "reduction", "matmul"]

Arrays = tuple[np.ndarray, ...]
Result = Any  # an ndarray or a numpy scalar
#: ``setup(inputs) -> call``: allocate everything, return a closure that runs the
#: kernel once and returns its result. Only the closure is timed.
Setup = Callable[[Arrays], Callable[[], Result]]


@dataclass(frozen=True)
class KernelSpec:
    name: str
    title: str
    complexity: Complexity
    batuta_op: BatutaOp
    size_meaning: str
    #: floating-point operations of one call at size n
    flops: Callable[[int], float]
    #: bytes that must cross the memory bus at size n (compulsory traffic)
    bytes_moved: Callable[[int], float]
    #: bytes of host data a device (GPU, cluster) must receive and send back
    transfer_bytes: Callable[[int], float]
    make_inputs: Callable[[int, np.random.Generator], Arrays]
    reference: Callable[..., Result]
    #: numba implementation factory: imports numba, returns (setup, dispatchers) where
    #: the dispatchers are the @njit functions whose assembly proves the tier.
    #: (OpenCL host code lives in kernels.opencl, Dask code in kernels.dask_tier, both
    #: keyed by the kernel's name.)
    numba: Callable[[], tuple[Setup, list[Any]]]
    rtol: float = 1e-4
    atol: float = 1e-5
    default_sizes: tuple[int, ...] = ()
    test_sizes: tuple[int, ...] = ()
    #: sizes must be a multiple of this (e.g. whole rows)
    size_multiple: int = 1
    dtype: str = "float32"
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def size_problem(self, n: int) -> str | None:
        if n % self.size_multiple:
            return f"size {n} is not a multiple of {self.size_multiple} ({self.size_meaning})"
        return None

    def working_set(self, n: int) -> float:
        """Bytes the kernel touches (for choosing the cache level of its bound)."""
        return float(self.bytes_moved(n))

    def check(self, result: Result, expected: Result) -> str | None:
        """None when ``result`` matches the numpy reference, else why not."""
        got = np.asarray(result)
        want = np.asarray(expected)
        if got.shape != want.shape:
            return f"shape {got.shape} != reference {want.shape}"
        if not np.all(np.isfinite(got)):
            return "result has NaN or infinity"
        if np.issubdtype(want.dtype, np.integer):
            if not np.array_equal(got, want):
                bad = int(np.count_nonzero(got != want))
                return f"{bad} of {want.size} counts differ from numpy"
            return None
        if np.allclose(got, want, rtol=self.rtol, atol=self.atol):
            return None
        err = np.abs(got.astype(np.float64) - want.astype(np.float64))
        scale = np.abs(want.astype(np.float64)) * self.rtol + self.atol
        worst = int(np.argmax(err - scale))
        return (
            f"differs from numpy: max abs error {float(err.max()):.3g} "
            f"(element {worst}: {got.flat[worst]!r} vs {want.flat[worst]!r}; "
            f"rtol {self.rtol:g}, atol {self.atol:g})"
        )


def f32(n: int) -> float:
    """Bytes of ``n`` float32 values."""
    return 4.0 * n
