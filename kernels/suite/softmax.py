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
#: fast-math without reassociation for exp: reassociating the Cody–Waite reduction
#: costs a factor 20 in accuracy (~5e-6 relative instead of ~2e-7, as good as np.exp)
_NO_REASSOC = {"nnan", "ninf", "nsz", "arcp", "contract", "afn"}


def make_inputs(n: int, rng: np.random.Generator) -> Arrays:
    if n % ROW:
        raise ValueError(f"softmax size {n} is not a multiple of the row length {ROW}")
    return (rng.standard_normal((n // ROW, ROW), dtype=np.float32) * np.float32(2.0),)


def reference(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def numba_impl() -> tuple[Setup, list[Any]]:
    import numba

    @numba.njit(fastmath=_NO_REASSOC, nogil=True, boundscheck=False)
    def row_exp(src: np.ndarray, dst: np.ndarray, half: np.ndarray) -> None:
        """``dst = exp(src - max(src))`` for one row."""
        one = np.float32(1.0)
        # row max as a pairwise tree of elementwise maxima: numba puts no fast-math
        # flags on select, so LLVM would leave a running-max reduction scalar
        for j in range(ROW // 2):
            a = src[j]
            b = src[j + ROW // 2]
            half[j] = a if a > b else b
        w = ROW // 4
        while w >= 8:
            for j in range(w):
                a = half[j]
                b = half[j + w]
                half[j] = a if a > b else b
            w //= 2
        m = half[0]
        for j in range(1, 8):
            m = half[j] if half[j] > m else m
        for j in range(ROW):
            t = max(src[j] - m, _MIN_ARG)
            # t = k·ln2 + f with |f| <= ln2/2 (t <= 0, so truncating t·log2e - 0.5
            # rounds); kb = k + 127 is the biased exponent of 2**k. Converting kb, not
            # k, back to float keeps LLVM from doing the scalar tier's float→int→float
            # round trip with packed cvttps2dq/cvtdq2ps. (The outer np.int32: int32 +
            # int32 is int64 in numba.)
            kb = np.int32(np.int32(t * _LOG2E - np.float32(0.5)) + np.int32(127))
            kf = np.float32(kb) - np.float32(127.0)
            f = t - kf * _LN2_HI - kf * _LN2_LO
            p = np.float32(1.0 / 720.0)
            p = p * f + np.float32(1.0 / 120.0)
            p = p * f + np.float32(1.0 / 24.0)
            p = p * f + np.float32(1.0 / 6.0)
            p = p * f + np.float32(0.5)
            p = p * f + one
            p = p * f + one
            dst[j] = p * np.int32(kb << 23).view(np.float32)

    @numba.njit(fastmath=True, nogil=True, boundscheck=False)
    def softmax(x: np.ndarray, out: np.ndarray, half: np.ndarray) -> None:
        for r in range(x.shape[0]):
            dst = out[r]
            row_exp(x[r], dst, half)
            s = np.float32(0.0)
            for j in range(ROW):
                s += dst[j]
            inv = np.float32(1.0) / s
            for j in range(ROW):
                dst[j] *= inv

    def setup(inputs: Arrays) -> Any:
        (x,) = inputs
        out = np.empty_like(x)
        half = np.empty(ROW // 2, dtype=np.float32)

        def call() -> np.ndarray:
            softmax(x, out, half)
            return out

        return call

    return setup, [row_exp, softmax]


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
    # exp here and np.exp are both within ~2e-6 of the exact softmax
    rtol=2e-5,
    atol=1e-7,
    default_sizes=(ROW * 16, ROW * 256, ROW * 4096, ROW * 65536),
    test_sizes=(ROW, ROW * 17),
    size_multiple=ROW,
)
