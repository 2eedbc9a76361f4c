"""What this machine can do, measured: the numbers behind the roofline and the selector.

Per CPU tier: STREAM copy/triad bandwidth at several working-set sizes (a hierarchical
roofline: L1, L2, L3, DRAM) and the peak of an FMA microkernel. Per OpenCL device:
host↔device bandwidth, launch latency, device bandwidth and peak. Dask: per-task
overhead, round trip and transfer rate. Each tier is calibrated in its own worker
process, like the benchmarks, so the numbers belong to the same compiled code.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

from kernels import isa
from kernels.procs import run_json, worker_command
from kernels.runner import dask_scheduler

CALIBRATE_TIMEOUT_S = 180.0


#: other names the tier modules use for the same quantity -> the one name used here
ALIASES = {
    "h2d_bytes_per_s": "h2d_bps",
    "d2h_bytes_per_s": "d2h_bps",
    "launch_latency_s": "launch_s",
    "device_bandwidth_bytes_per_s": "device_bandwidth",
    "device_type": "type",
    "transfer_Bps": "transfer_bps",
    "scatter_Bps": "scatter_bps",
    "gather_Bps": "gather_bps",
}


def canonical(data: dict[str, Any]) -> dict[str, Any]:
    """One tier's calibration with the canonical key names (idempotent)."""
    out = dict(data)
    for old, new in ALIASES.items():
        if old in out and new not in out:
            out[new] = out[old]
    return out


def canonical_all(cal: dict[str, Any] | None) -> dict[str, Any]:
    cal = dict(cal or {})
    cal["tiers"] = {t: canonical(d) for t, d in (cal.get("tiers") or {}).items()}
    return cal


def calibrate_tier(
    tier: str, scheduler: str | None = None, min_time_s: float = 0.2
) -> dict[str, Any]:
    job = {"mode": "calibrate", "tier": tier, "min_time_s": min_time_s, "scheduler": scheduler}
    events, problem = run_json(
        worker_command(), json.dumps(job), isa.tier_env(tier), CALIBRATE_TIMEOUT_S
    )
    if problem is not None:
        return {"problem": problem}
    for ev in events:
        if ev.get("event") == "calibration":
            return canonical(dict(ev.get("data") or {}))
    return {"problem": "the worker returned no calibration"}


def calibrate(
    tiers: Sequence[str],
    scheduler: str | None = None,
    min_time_s: float = 0.2,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict[str, Any]:
    """Calibrate every tier in ``tiers`` (ids as kernels.tiers reports them)."""
    wanted = [t for t in tiers if t != "numpy"]
    out: dict[str, Any] = {"created": time.time(), "tiers": {}, "problems": {}}
    with dask_scheduler(wanted, scheduler) as address:
        for i, tier in enumerate(wanted):
            if progress is not None:
                progress(i, len(wanted), f"calibrating {tier}")
            data = calibrate_tier(tier, address, min_time_s)
            if "problem" in data and len(data) == 1:
                out["problems"][tier] = data["problem"]
            else:
                out["tiers"][tier] = data
    if progress is not None:
        progress(len(wanted), len(wanted), "calibrated")
    return out


def bandwidth_at(tier_cal: dict[str, Any], footprint: float, kind: str = "triad") -> float | None:
    """Calibrated bandwidth for a working set of ``footprint`` bytes.

    Between two calibrated working sets the bandwidth is interpolated in log-log (a set
    a little larger than a cache level still hits it partly); beyond the ends it is the
    end's value.
    """
    table = (tier_cal.get("bandwidth") or {}).get(kind) or {}
    points = sorted((int(k), float(v)) for k, v in table.items() if v)
    if not points:
        return None
    if footprint <= points[0][0]:
        return points[0][1]
    for (f0, b0), (f1, b1) in itertools.pairwise(points):
        if footprint <= f1:
            t = (math.log(footprint) - math.log(f0)) / (math.log(f1) - math.log(f0))
            return math.exp(math.log(b0) + t * (math.log(b1) - math.log(b0)))
    return points[-1][1]


def dram_bandwidth(cal: dict[str, Any]) -> float | None:
    """The largest-footprint triad bandwidth of the best CPU tier: main memory."""
    best = None
    for data in (cal.get("tiers") or {}).values():
        bw = bandwidth_at(data, float("inf"))
        if bw and (best is None or bw > best):
            best = bw
    return best


def best_cpu_tier(cal: dict[str, Any]) -> str | None:
    cpu = [
        (float(d.get("peak_flops") or 0), t)
        for t, d in (cal.get("tiers") or {}).items()
        if isa.level(t) is not None
    ]
    return max(cpu)[1] if cpu else None
