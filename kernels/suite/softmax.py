"""Row softmax of a ``rows × 256`` float32 matrix: reductions plus a transcendental.

Numerically stable: every row is shifted by its maximum before ``exp``. numba has no
vector ``exp`` without Intel's SVML, so the numba version evaluates ``exp`` itself
(Cody–Waite range reduction, a degree-6 polynomial and an exponent built with integer
arithmetic), which LLVM vectorizes like any other arithmetic.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kernels.spec import Arrays, KernelSpec, Setup, f32

#: columns per row; the size must be a multiple of it
ROW = 256

_LOG2E = np.float32(1.4426950408889634)
_LN2_HI = np.float32(0.693359375)
_LN2_LO = np.float32(-2.12194440e-4)
#: below this exp underflows: clamping keeps the built exponent a normal float32
_MIN_ARG = np.float32(-87.0)


def make_inputs(n: int, rng: np.random.Generator) -> Arrays:
    if n % ROW:
        raise ValueError(f"softmax size {n} is not a multiple of the row length {ROW}")
    return (rng.standard_normal((n // ROW, ROW), dtype=np.float32) * np.float32(2.0),)


def reference(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def numba_impl() -> tuple[Setup, list[Any]]:
    import numba

    @numba.njit(fastmath=True, nogil=True, boundscheck=False)
    def softmax(x: np.ndarray, out: np.ndarray) -> None:
        one = np.float32(1.0)
        for r in range(x.shape[0]):
            src = x[r]
            dst = out[r]
            m = src[0]
            for j in range(ROW):
                # a plain compare-select (numba's max() adds NaN handling that LLVM
                # cannot turn into a vector max reduction)
                v = src[j]
                m = v if v > m else m
            s = np.float32(0.0)
            for j in range(ROW):
                t = max(src[j] - m, _MIN_ARG)
                # t = k·ln2 + f with |f| <= ln2/2 (t <= 0, so truncating t·log2e - 0.5
                # rounds); kb = k + 127 is the biased exponent of 2**k. Converting kb,
                # not k, back to float keeps LLVM from doing the scalar-tier
                # float→int→float round trip with packed cvttps2dq/cvtdq2ps.
                kb = np.int32(t * _LOG2E - np.float32(0.5)) + np.int32(127)
                kf = np.float32(kb) - np.float32(127.0)
                f = t - kf * _LN2_HI - kf * _LN2_LO
                p = np.float32(1.0 / 720.0)
                p = p * f + np.float32(1.0 / 120.0)
                p = p * f + np.float32(1.0 / 24.0)
                p = p * f + np.float32(1.0 / 6.0)
                p = p * f + np.float32(0.5)
                p = p * f + one
                p = p * f + one
                e = p * np.int32(kb << 23).view(np.float32)
                dst[j] = e
                s += e
            inv = one / s
            for j in range(ROW):
                dst[j] *= inv

    def setup(inputs: Arrays) -> Any:
        (x,) = inputs
        out = np.empty_like(x)

        def call() -> np.ndarray:
            softmax(x, out)
            return out

        return call

    return setup, [softmax]


SPEC = KernelSpec(
    name="softmax",
    title=f"Row softmax (rows × {ROW})",
    complexity="medium",
    batuta_op="reduction",
    size_meaning=f"elements (rows × {ROW}; a multiple of {ROW})",
    # max, subtract, exp (counted as ~10 operations), sum, scale
    flops=lambda n: 14.0 * n,
    bytes_moved=lambda n: f32(2 * n),
    transfer_bytes=lambda n: f32(2 * n),
    make_inputs=make_inputs,
    reference=reference,
    numba=numba_impl,
    rtol=1e-4,
    atol=1e-7,
    default_sizes=(ROW * 16, ROW * 256, ROW * 4096, ROW * 65536),
    test_sizes=(ROW, ROW * 17),
    size_multiple=ROW,
)
