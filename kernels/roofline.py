"""Every result as a percentage of its bound: ``time_bound / measured_time``.

``time_bound = max(flops / peak, bytes / bandwidth)`` with the tier's calibrated peak and
the bandwidth of the memory level its working set fits in. OpenCL results use the
kernel-only time from profiling events against the device's own peak and bandwidth;
Dask results are bounded by sending the data to the workers.
"""

from __future__ import annotations

from typing import Any

from kernels import isa, suite
from kernels.calibrate import bandwidth_at, best_cpu_tier, canonical_all


def bound(kernel: str, tier: str, size: int, cal: dict[str, Any]) -> tuple[float, str] | None:
    """(seconds, "compute"|"memory"|"transfer") or None when the tier is not calibrated."""
    spec = suite.get(kernel)
    tiers = canonical_all(cal).get("tiers") or {}
    flops, nbytes = spec.flops(size), spec.bytes_moved(size)
    key = best_cpu_tier(cal) if tier == "numpy" else tier
    data = tiers.get(key or "")
    if not data:
        return None
    if isa.level(key or "") is not None:
        peak = float(data.get("peak_flops") or 0)
        bw = bandwidth_at(data, spec.working_set(size))
    elif tier.startswith("opencl:"):
        peak = float(data.get("peak_flops") or 0)
        bw = data.get("device_bandwidth")
    elif tier == "dask":
        best = tiers.get(best_cpu_tier(cal) or "", {})
        peak = float(best.get("peak_flops") or 0) * int(data.get("workers") or 1)
        bw = data.get("transfer_bps")
        nbytes = spec.transfer_bytes(size)
    else:
        return None
    if not peak or not bw:
        return None
    t_compute, t_memory = flops / peak, nbytes / float(bw)
    kind = "compute" if t_compute >= t_memory else ("transfer" if tier == "dask" else "memory")
    return max(t_compute, t_memory), kind


def apply(cell: Any, cal: dict[str, Any] | None) -> None:
    """Fill ``cell.roofline_pct`` and ``cell.bound`` (a kernels.runner.Cell)."""
    if not cal or not cell.median_s:
        return
    b = bound(cell.kernel, cell.tier, cell.size, cal)
    if b is None:
        return
    seconds = cell.median_s
    if cell.tier.startswith("opencl:") and cell.phases.get("kernel_s"):
        seconds = cell.phases["kernel_s"]
    cell.roofline_pct = 100.0 * b[0] / seconds
    cell.bound = b[1]
