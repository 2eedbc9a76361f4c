"""Histogram of float32 values in [0, 1) into 256 equal bins, int64 counts.

The numba version works in chunks, in two passes: a vectorizable pass computes each
value's bin into a uint32 buffer (unsigned, so numba adds no negative-index wraparound
to the counting loads), then a scalar pass counts the buffer into four interleaved
tables (so consecutive increments of one bin do not wait on each other).
Values outside [0, 1] and NaN are not counted, 1.0 falls in the last bin: as in
``np.histogram(x, bins=256, range=(0, 1))``, whose edges ``k/256`` are exact in float32,
so ``int(x·256)`` is the bin numpy picks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kernels.spec import Arrays, KernelSpec, Setup, f32

BINS = 256
#: values per chunk: the int32 bin buffer (16 KiB) stays in L1
CHUNK = 4096


def make_inputs(n: int, rng: np.random.Generator) -> Arrays:
    return (rng.random(n, dtype=np.float32),)


def reference(x: np.ndarray) -> np.ndarray:
    counts, _ = np.histogram(x, bins=BINS, range=(0.0, 1.0))
    return counts.astype(np.int64)


def numba_impl() -> tuple[Setup, list[Any]]:
    import numba

    @numba.njit(fastmath=True, nogil=True, boundscheck=False)
    def histogram(x: np.ndarray, idx: np.ndarray, tables: np.ndarray, out: np.ndarray) -> None:
        n = x.shape[0]
        scale = np.float32(BINS)
        tables[:] = 0
        t0 = tables[0]
        t1 = tables[1]
        t2 = tables[2]
        t3 = tables[3]
        for start in range(0, n, CHUNK):
            m = min(CHUNK, n - start)
            src = x[start : start + m]
            # pass 1 (vectorized): bin of every value; BINS marks "not counted"
            for i in range(m):
                v = src[i]
                b = min(np.int32(v * scale), np.int32(BINS - 1))
                idx[i] = np.uint32(b if (v >= np.float32(0.0)) & (v <= np.float32(1.0)) else BINS)
            # pass 2 (scalar): count
            i = 0
            while i + 4 <= m:
                t0[idx[i]] += 1
                t1[idx[i + 1]] += 1
                t2[idx[i + 2]] += 1
                t3[idx[i + 3]] += 1
                i += 4
            while i < m:
                t0[idx[i]] += 1
                i += 1
        for b in range(BINS):
            out[b] = t0[b] + t1[b] + t2[b] + t3[b]

    def setup(inputs: Arrays) -> Any:
        (x,) = inputs
        idx = np.empty(CHUNK, dtype=np.uint32)
        tables = np.zeros((4, BINS + 1), dtype=np.int64)
        out = np.empty(BINS, dtype=np.int64)

        def call() -> np.ndarray:
            histogram(x, idx, tables, out)
            return out

        return call

    return setup, [histogram]


SPEC = KernelSpec(
    name="histogram",
    title=f"Histogram ({BINS} bins)",
    complexity="medium",
    batuta_op="reduction",
    size_meaning="elements",
    flops=lambda n: 1.0 * n,
    bytes_moved=lambda n: f32(n) + 8.0 * BINS,
    transfer_bytes=lambda n: f32(n) + 8.0 * BINS,
    make_inputs=make_inputs,
    reference=reference,
    numba=numba_impl,
    default_sizes=(1 << 12, 1 << 16, 1 << 20, 1 << 24, 1 << 25),
    test_sizes=(1000, 4099, 70001),
)
