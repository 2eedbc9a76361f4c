"""What one OpenCL device can do, measured: the yardsticks its kernel timings are read by.

:func:`calibrate` returns (bytes per second, seconds, FLOP per second):

* ``h2d_bytes_per_s`` / ``d2h_bytes_per_s``: a 64 MiB copy between a numpy array
  (pageable memory, as the kernels' inputs are) and a device buffer, blocking, wall
  clock, best of a few;
* ``launch_latency_s``: enqueue an empty kernel and wait for it (``finish``), median;
* ``device_bandwidth_bytes_per_s``: a copy kernel between two 64 MiB device buffers,
  bytes read plus written over the kernel's profiling-event time, best of a few;
* ``peak_flops``: a kernel of 16 independent multiply-add chains per work-item (of the
  device's preferred float vector width), enough work-items to fill the device, sized to
  run ~50 ms (GPU) / ~150 ms (CPU), best of 3;
* ``host_unified_memory``, ``device_type``, ``device``, ``compute_units``, and
  ``calibrate_s``, the wall time it all took (under ~3 s on a 2-core PoCL CPU device).
"""

from __future__ import annotations

import math
import statistics
import time
from typing import Any

import numpy as np

from kernels import opencl

TRANSFER_BYTES = 64 << 20
TRANSFER_REPEATS = 3
LATENCY_REPEATS = 200
LATENCY_BUDGET_S = 0.3
FMA_CHAINS = 16  # calibrate.cl: fma_chains
FMA_TARGET_S = {"CPU": 0.15}
FMA_TARGET_DEFAULT_S = 0.05


def _event_s(ev: Any) -> float:
    return float(ev.profile.end - ev.profile.start) * 1e-9


def _transfers(cl: Any, ctx: Any, queue: Any) -> tuple[float, float, Any, Any]:
    host = np.ones(TRANSFER_BYTES // 4, dtype=np.float32)
    back = np.empty_like(host)
    mf = cl.mem_flags
    dev = cl.Buffer(ctx, mf.READ_WRITE, size=TRANSFER_BYTES)
    dev2 = cl.Buffer(ctx, mf.READ_WRITE, size=TRANSFER_BYTES)
    h2d: list[float] = []
    d2h: list[float] = []
    cl.enqueue_copy(queue, dev, host, is_blocking=True)  # first touch / page mapping
    cl.enqueue_copy(queue, back, dev, is_blocking=True)
    for _ in range(TRANSFER_REPEATS):
        t0 = time.perf_counter()
        cl.enqueue_copy(queue, dev, host, is_blocking=True)
        h2d.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        cl.enqueue_copy(queue, back, dev, is_blocking=True)
        d2h.append(time.perf_counter() - t0)
    return TRANSFER_BYTES / min(h2d), TRANSFER_BYTES / min(d2h), dev, dev2


def _launch_latency(cl: Any, prg: Any, queue: Any, buf: Any) -> float:
    k = cl.Kernel(prg, "empty")
    k.set_args(buf)
    for _ in range(3):
        cl.enqueue_nd_range_kernel(queue, k, (1,), (1,))
        queue.finish()
    times: list[float] = []
    start = time.perf_counter()
    for _ in range(LATENCY_REPEATS):
        t0 = time.perf_counter()
        cl.enqueue_nd_range_kernel(queue, k, (1,), (1,))
        queue.finish()
        times.append(time.perf_counter() - t0)
        if time.perf_counter() - start > LATENCY_BUDGET_S and len(times) >= 10:
            break
    return statistics.median(times)


def _device_bandwidth(cl: Any, prg: Any, queue: Any, src: Any, dst: Any, wg: int) -> float:
    n4 = TRANSFER_BYTES // 16
    k = cl.Kernel(prg, "copy4")
    k.set_args(src, dst, np.uint32(n4))
    gsize = -(-n4 // wg) * wg
    best = math.inf
    for _ in range(1 + TRANSFER_REPEATS):  # the first one warms up
        ev = cl.enqueue_nd_range_kernel(queue, k, (gsize,), (wg,))
        ev.wait()
        best = min(best, _event_s(ev))
    return 2.0 * TRANSFER_BYTES / best


def _vector_width(dev: Any) -> int:
    """The device's preferred float vector width (1 on NVIDIA, 8 or 16 on x86 CPUs)."""
    try:
        width = int(dev.preferred_vector_width_float)
    except Exception:
        return 1
    return width if width in (2, 4, 8, 16) else 1


def _peak_flops(
    cl: Any, ctx: Any, prg: Any, queue: Any, kind: str, cus: int, wg: int, width: int
) -> float:
    per_cu = 1024 if kind == "CPU" else 4096
    gsize = max(wg, cus * per_cu // wg * wg)
    out = cl.Buffer(ctx, cl.mem_flags.WRITE_ONLY, size=4 * width * gsize)
    k = cl.Kernel(prg, "fma_chains")
    target = FMA_TARGET_S.get(kind, FMA_TARGET_DEFAULT_S)

    def run(iters: int) -> float:
        k.set_args(out, np.float32(0.999), np.float32(0.001), np.uint32(iters))
        ev = cl.enqueue_nd_range_kernel(queue, k, (gsize,), (wg,))
        ev.wait()
        return _event_s(ev)

    iters = 64
    t = run(iters)
    while t < target / 8 and iters < (1 << 24):  # grow until a run is long enough to scale
        iters *= 4
        t = run(iters)
    iters = max(1, min(1 << 26, int(iters * target / max(t, 1e-9))))
    best = min(run(iters) for _ in range(3))
    return 2.0 * FMA_CHAINS * width * iters * gsize / best


def calibrate(tier: str) -> dict[str, float | bool | str]:
    """Measure ``tier``'s transfers, launch latency, memory bandwidth and peak FLOP/s."""
    t_start = time.perf_counter()
    cl = opencl.import_cl()
    dev = opencl.device_for(tier)
    props = opencl.device_properties(dev)
    kind = str(props["type"])
    cus = max(1, int(props["compute_units"]))
    ctx = cl.Context([dev])
    queue = cl.CommandQueue(ctx, dev, properties=cl.command_queue_properties.PROFILING_ENABLE)
    width = _vector_width(dev)
    options = [f"-DREAL=float{width}"] if width > 1 else []
    prg = opencl.build(ctx, opencl.source("calibrate"), "calibrate.cl", options)
    wg_info = cl.kernel_work_group_info.WORK_GROUP_SIZE
    max_wg = min(
        int(cl.Kernel(prg, "copy4").get_work_group_info(wg_info, dev)),
        int(cl.Kernel(prg, "fma_chains").get_work_group_info(wg_info, dev)),
        int(props["max_work_group_size"]) or 256,
    )
    wg = 1 << (min(256, max(1, max_wg)).bit_length() - 1)

    h2d, d2h, buf, buf2 = _transfers(cl, ctx, queue)
    latency = _launch_latency(cl, prg, queue, buf)
    mem_bw = _device_bandwidth(cl, prg, queue, buf, buf2, wg)
    flops = _peak_flops(cl, ctx, prg, queue, kind, cus, wg, width)
    return {
        "tier": tier,
        "device": str(props["device"]),
        "device_type": kind,
        "compute_units": float(cus),
        "host_unified_memory": bool(props["host_unified_memory"]),
        "h2d_bytes_per_s": h2d,
        "d2h_bytes_per_s": d2h,
        "launch_latency_s": latency,
        "device_bandwidth_bytes_per_s": mem_bw,
        "peak_flops": flops,
        "work_group_size": float(wg),
        "fma_vector_width": float(width),
        "calibrate_s": time.perf_counter() - t_start,
    }
