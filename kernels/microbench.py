"""CPU calibration microkernels for the roofline: memory bandwidth and FMA peak.

They run inside a tier's worker process (numba reads the tier's ISA settings once per
process), so the numbers are what that tier's code can reach on one core:

* :func:`stream` — STREAM ``copy`` (``b = a``, 2 arrays × 4 B per element) or ``triad``
  (``a = b + s·c``, 3 arrays) at a chosen working-set size, best of several repetitions;
* :func:`fma_peak` — fp32 fused multiply-add throughput with many independent
  accumulators, so it is bound by the FMA units rather than by their latency;
* :func:`footprints` — working-set sizes that land in each level of the memory
  hierarchy, for a hierarchical roofline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cache
from typing import Any, Literal

import numpy as np

KiB = 1024
MiB = 1024 * KiB

#: arrays each STREAM kernel moves per element (the STREAM byte-counting convention)
STREAM_ARRAYS = {"copy": 2, "triad": 3}
#: FMA kernel: lanes (array length), independent chains per lane, steps per chain
_FMA_LANES = 2048
_FMA_CHAINS = 8
_FMA_STEPS = 8
#: shortest timed block: long enough that the clock and call overhead do not matter
_MIN_BLOCK_S = 0.002


def footprints() -> list[int]:
    """Working sets (bytes) for L1, L2, L3 and DRAM (two sizes) on current CPUs."""
    return [16 * KiB, 256 * KiB, 4 * MiB, 64 * MiB, 256 * MiB]


@cache
def _kernels() -> dict[str, Any]:
    import numba

    # copy is compiled without fastmath and adds a run-time zero: LLVM cannot turn the
    # loop into a memcpy call, so it runs as this tier's own loads and stores.
    @numba.njit(nogil=True, boundscheck=False)
    def copy(a: np.ndarray, b: np.ndarray, zero: float, reps: int) -> None:
        z = np.float32(zero)
        for _ in range(reps):
            for i in range(a.shape[0]):
                b[i] = a[i] + z

    @numba.njit(fastmath=True, nogil=True, boundscheck=False)
    def triad(a: np.ndarray, b: np.ndarray, c: np.ndarray, s: float, reps: int) -> None:
        q = np.float32(s)
        for _ in range(reps):
            for i in range(a.shape[0]):
                a[i] = b[i] + q * c[i]

    # contraction only: with full fastmath LLVM reassociates the eight affine chains
    # into one, which is no longer a throughput test.
    @numba.njit(fastmath={"contract"}, nogil=True, boundscheck=False)
    def fma(x: np.ndarray, y: np.ndarray, mul: float, add: float, reps: int) -> None:
        m = np.float32(mul)
        d = np.float32(add)
        for _ in range(reps):
            for j in range(x.shape[0]):
                v0 = x[j]
                v1 = v0 + np.float32(1.0)
                v2 = v0 + np.float32(2.0)
                v3 = v0 + np.float32(3.0)
                v4 = v0 + np.float32(4.0)
                v5 = v0 + np.float32(5.0)
                v6 = v0 + np.float32(6.0)
                v7 = v0 + np.float32(7.0)
                for _s in range(_FMA_STEPS):
                    v0 = v0 * m + d
                    v1 = v1 * m + d
                    v2 = v2 * m + d
                    v3 = v3 * m + d
                    v4 = v4 * m + d
                    v5 = v5 * m + d
                    v6 = v6 * m + d
                    v7 = v7 * m + d
                y[j] = ((v0 + v1) + (v2 + v3)) + ((v4 + v5) + (v6 + v7))

    return {"copy": copy, "triad": triad, "fma": fma}


def _best_rate(run: Callable[[int], None], work_per_rep: float, min_time_s: float) -> float:
    """``work_per_rep`` / (best seconds per repetition), over blocks of ``run(reps)``."""
    run(1)  # compile, fault the pages in, warm the caches
    t = time.perf_counter()
    run(1)
    once = max(time.perf_counter() - t, 1e-9)
    reps = max(1, int(_MIN_BLOCK_S / once))
    best = float("inf")
    blocks = 0
    deadline = time.perf_counter() + min_time_s
    while blocks < 3 or time.perf_counter() < deadline:
        t = time.perf_counter()
        run(reps)
        best = min(best, (time.perf_counter() - t) / reps)
        blocks += 1
        if blocks >= 1000:
            break
    return work_per_rep / best


#: one buffer per process for the STREAM arrays, grown to the largest footprint asked
#: for: a DRAM-sized working set is paged in once, not on every call
_pool: np.ndarray | None = None


def _arrays(count: int, n: int) -> list[np.ndarray]:
    """``count`` float32 arrays of ``n`` elements (n a multiple of 16) from the pool.

    They start 64-byte aligned, each 64 bytes further from a 4 KiB boundary than the
    last, so loads and stores of the same element do not alias in the L1.
    """
    global _pool
    need = count * (n + 16)
    if _pool is None or _pool.size < need:
        _pool = None
        pool = np.empty(need + 16, dtype=np.float32)
        pool.fill(1.0)  # page it in now, not inside a timed block
        _pool = pool
    base = (-_pool.ctypes.data % 64) // 4  # first 64-byte aligned element
    return [_pool[base + k * (n + 16) : base + k * (n + 16) + n] for k in range(count)]


def release() -> None:
    """Drop the STREAM buffer (it holds the largest footprint measured so far)."""
    global _pool
    _pool = None


def stream(kind: Literal["copy", "triad"], footprint_bytes: int, min_time_s: float = 0.2) -> float:
    """Bytes per second of a STREAM kernel whose arrays total ``footprint_bytes``."""
    if kind not in STREAM_ARRAYS:
        raise ValueError(f"unknown STREAM kernel {kind!r} (copy or triad)")
    arrays = STREAM_ARRAYS[kind]
    n = max(16, int(footprint_bytes) // (4 * arrays) // 16 * 16)
    k = _kernels()
    bufs = _arrays(arrays, n)
    for buf, value in zip(bufs, (1.0, 2.0, 0.5), strict=False):
        buf.fill(value)
    if kind == "copy":
        a, b = bufs

        def run(reps: int) -> None:
            k["copy"](a, b, 0.0, reps)

    else:
        a, b, c = bufs

        def run(reps: int) -> None:
            k["triad"](a, b, c, 3.0, reps)

    return _best_rate(run, 4.0 * arrays * n, min_time_s)


def fma_peak(min_time_s: float = 0.2) -> float:
    """fp32 FLOP/s of multiply-add chains on one core, at this tier's vector width."""
    k = _kernels()
    x = np.linspace(0.0, 1.0, _FMA_LANES, dtype=np.float32)
    y = np.empty_like(x)

    def run(reps: int) -> None:
        k["fma"](x, y, 0.999, 0.001, reps)

    flops = 2.0 * _FMA_LANES * _FMA_CHAINS * _FMA_STEPS
    return _best_rate(run, flops, min_time_s)


def dispatchers() -> list[Any]:
    """The compiled microkernels (for checking their assembly reaches the tier's width)."""
    return list(_kernels().values())
