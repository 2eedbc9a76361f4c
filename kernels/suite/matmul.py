"""Square matrix product ``C = A·B`` in float32: the compute-bound kernel.

The numba version is a small BLAS-style GEMM. B is packed, one ``KC × NB`` block at a
time, into a contiguous buffer; each call of the micro-kernel updates an ``MR × NB``
strip of C held in a contiguous tile, for ``KU`` values of k per pass, so every loaded
vector of B feeds ``MR`` fused multiply-adds and every tile load/store carries ``KU`` of
them. The innermost loop runs over the ``NB`` columns of the strip (a compile-time trip
count), which LLVM turns into full-width vector FMAs with the ``MR·KU`` A values held in
broadcast registers. Sizes that are not multiples of the blocking are zero-padded.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kernels.spec import Arrays, KernelSpec, Setup, f32

#: rows of C per micro-kernel call (the A values it broadcasts: MR·KU registers)
MR = 3
#: k values per pass over the C tile
KU = 4
#: columns of C per strip: the innermost loop's trip count
NB = 128
#: k-block: a packed B block is KC × NB floats (128 KiB, L2-resident)
KC = 256


def make_inputs(n: int, rng: np.random.Generator) -> Arrays:
    a = rng.random((n, n), dtype=np.float32)
    b = rng.random((n, n), dtype=np.float32)
    return a, b


def reference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a @ b


def _round_up(n: int, m: int) -> int:
    return (n + m - 1) // m * m


def numba_impl() -> tuple[Setup, list[Any]]:
    import numba

    jit = numba.njit(fastmath=True, nogil=True, boundscheck=False)

    @jit
    def micro(ap: np.ndarray, bp: np.ndarray, ct: np.ndarray, kc: int, kb: int, ib: int) -> None:
        """``ct[r, :] += Σ_k ap[ib + r, kb + k] · bp[k, :]`` for r < MR, k < kc."""
        c0 = ct[0]
        c1 = ct[1]
        c2 = ct[2]
        ar0 = ap[ib]
        ar1 = ap[ib + 1]
        ar2 = ap[ib + 2]
        for k in range(0, kc, KU):
            kk = kb + k
            a00 = ar0[kk]
            a01 = ar0[kk + 1]
            a02 = ar0[kk + 2]
            a03 = ar0[kk + 3]
            a10 = ar1[kk]
            a11 = ar1[kk + 1]
            a12 = ar1[kk + 2]
            a13 = ar1[kk + 3]
            a20 = ar2[kk]
            a21 = ar2[kk + 1]
            a22 = ar2[kk + 2]
            a23 = ar2[kk + 3]
            b0 = bp[k]
            b1 = bp[k + 1]
            b2 = bp[k + 2]
            b3 = bp[k + 3]
            for j in range(NB):
                x0 = b0[j]
                x1 = b1[j]
                x2 = b2[j]
                x3 = b3[j]
                c0[j] += a00 * x0 + a01 * x1 + a02 * x2 + a03 * x3
                c1[j] += a10 * x0 + a11 * x1 + a12 * x2 + a13 * x3
                c2[j] += a20 * x0 + a21 * x1 + a22 * x2 + a23 * x3

    @jit
    def gemm(
        a: np.ndarray,
        b: np.ndarray,
        c: np.ndarray,
        ap: np.ndarray,
        bp: np.ndarray,
        ct: np.ndarray,
    ) -> None:
        n = a.shape[0]
        rows = ap.shape[0]  # n rounded up to MR
        depth = ap.shape[1]  # n rounded up to KU
        zero = np.float32(0.0)
        # pack A, zero-padded
        for i in range(n):
            src = a[i]
            dst = ap[i]
            for k in range(n):
                dst[k] = src[k]
            for k in range(n, depth):
                dst[k] = zero
        for i in range(n, rows):
            dst = ap[i]
            for k in range(depth):
                dst[k] = zero
        for jb in range(0, n, NB):
            width = min(NB, n - jb)
            for kb in range(0, depth, KC):
                kc = min(KC, depth - kb)
                # pack the KC × NB block of B, zero-padded
                for k in range(kc):
                    dst = bp[k]
                    if kb + k < n:
                        src = b[kb + k]
                        for j in range(width):
                            dst[j] = src[jb + j]
                        for j in range(width, NB):
                            dst[j] = zero
                    else:
                        for j in range(NB):
                            dst[j] = zero
                for ib in range(0, rows, MR):
                    for r in range(MR):
                        tile = ct[r]
                        if kb == 0 or ib + r >= n:
                            for j in range(NB):
                                tile[j] = zero
                        else:
                            crow = c[ib + r]
                            for j in range(width):
                                tile[j] = crow[jb + j]
                    micro(ap, bp, ct, kc, kb, ib)
                    for r in range(MR):
                        if ib + r < n:
                            tile = ct[r]
                            crow = c[ib + r]
                            for j in range(width):
                                crow[jb + j] = tile[j]

    def setup(inputs: Arrays) -> Any:
        a, b = inputs
        n = a.shape[0]
        a = np.ascontiguousarray(a)
        b = np.ascontiguousarray(b)
        c = np.empty((n, n), dtype=np.float32)
        ap = np.empty((_round_up(n, MR), _round_up(n, KU)), dtype=np.float32)
        bp = np.zeros((KC, NB), dtype=np.float32)
        ct = np.zeros((MR, NB), dtype=np.float32)

        def call() -> np.ndarray:
            gemm(a, b, c, ap, bp, ct)
            return c

        return call

    return setup, [micro, gemm]


SPEC = KernelSpec(
    name="matmul",
    title="Matrix product (n×n · n×n)",
    complexity="high",
    batuta_op="matmul",
    size_meaning="side n of the square matrices",
    flops=lambda n: 2.0 * n**3,
    bytes_moved=lambda n: f32(3 * n * n),
    transfer_bytes=lambda n: f32(3 * n * n),
    make_inputs=make_inputs,
    reference=reference,
    numba=numba_impl,
    # inputs in [0, 1): every entry is a sum of n positive products, no cancellation;
    # fp32 summation-order differences stay far below 1e-4 relative up to n = 4096
    rtol=1e-4,
    atol=1e-5,
    default_sizes=(64, 128, 256, 512, 1024),
    test_sizes=(1, 5, 67, 130, 200),
    notes=f"packed GEMM, micro-kernel {MR}×{NB} strip, {KU} k per pass, k-block {KC}",
)
