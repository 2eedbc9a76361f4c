"""Which tiers this machine really has, each with the evidence that it is real.

- ``numpy``: the reference and the "vendor library" line.
- ``scalar`` and one SIMD tier per ISA level the CPU has: proven by compiling a tiny
  kernel in a worker with that tier's environment and reading its assembly.
- ``opencl:P:D``: every OpenCL device, proven by building and running a tiny kernel.
- ``dask``: an embedded LocalCluster, or an existing scheduler by address.
"""

from __future__ import annotations

import json
import platform
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from importlib import metadata
from typing import Any, Literal

from kernels import isa
from kernels.procs import run_json, worker_command

Kind = Literal["reference", "scalar", "simd", "opencl", "dask"]
PROBE_KERNEL = "saxpy"
SIMD_PROOF_TIMEOUT_S = 60.0
OPENCL_PROBE_TIMEOUT_S = 60.0


@dataclass
class Tier:
    id: str
    kind: Kind
    title: str
    available: bool
    problem: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def version_of(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _numpy_tier() -> Tier:
    import numpy as np

    blas = "unknown"
    try:
        cfg = np.show_config(mode="dicts")  # numpy >= 1.26
        info = (cfg or {}).get("Build Dependencies", {}).get("blas", {})
        blas = f"{info.get('name', '?')} {info.get('version', '')}".strip()
    except Exception:
        pass
    return Tier(
        "numpy",
        "reference",
        "numpy (reference, vendor library)",
        True,
        evidence={"numpy": np.__version__, "blas": blas, "threads": 1},
    )


def _llvm_version() -> str | None:
    try:
        from llvmlite import binding

        return ".".join(str(v) for v in binding.llvm_version_info)
    except Exception:
        return None


def prove_cpu_tier(level: isa.IsaLevel, timeout_s: float = SIMD_PROOF_TIMEOUT_S) -> Tier:
    """Compile the probe kernel in a worker with the tier's environment; read its asm."""
    kind: Kind = "scalar" if level.tier == "scalar" else "simd"
    evidence: dict[str, Any] = {
        "flags": list(level.needs),
        "numba": version_of("numba"),
        "llvm": _llvm_version(),
        "env": dict(level.env),
        "expected_registers": level.width or "none (no packed arithmetic)",
    }
    if evidence["numba"] is None:
        return Tier(level.tier, kind, level.title, False, "numba is not installed", evidence)
    missing = isa.missing_flags(level)
    if missing:
        return Tier(
            level.tier, kind, level.title, False, f"CPU lacks {', '.join(missing)}", evidence
        )
    job = {"kernel": PROBE_KERNEL, "tier": level.tier, "sizes": [1000], "timing": False}
    events, problem = run_json(
        worker_command(), json.dumps(job), isa.tier_env(level.tier), timeout_s
    )
    rows = [e for e in events if e.get("event") == "result"]
    if problem is None and (not rows or not rows[0].get("correct")):
        problem = (rows[0].get("error") if rows else None) or "the probe kernel did not run"
    if problem is None:
        asm = rows[0].get("asm") or {}
        evidence["asm"] = asm.get("counts")
        evidence["compile_s"] = rows[0].get("compile_s")
        if asm.get("problem"):
            problem = f"compiled code is not {level.tier}: {asm['problem']}"
    return Tier(level.tier, kind, level.title, problem is None, problem, evidence)


def _opencl_tiers(timeout_s: float = OPENCL_PROBE_TIMEOUT_S) -> list[Tier]:
    if version_of("pyopencl") is None:
        return [Tier("opencl", "opencl", "OpenCL", False, "pyopencl is not installed")]
    events, problem = run_json(
        worker_command("kernels.opencl", "probe"), "", isa.tier_env("opencl"), timeout_s
    )
    if problem is not None:
        return [Tier("opencl", "opencl", "OpenCL", False, f"OpenCL probe failed: {problem}")]
    report = events[0] if events else {}
    devices = report.get("devices", []) if isinstance(report, dict) else []
    if not devices:
        why = (
            report.get("unavailable_reason")
            or report.get("problem")
            or "no OpenCL platform or device found"
        )
        return [
            Tier("opencl", "opencl", "OpenCL", False, why, {"pyopencl": version_of("pyopencl")})
        ]
    tiers = []
    for dev in devices:
        dtype = str(dev.get("type", "?"))
        title = f"OpenCL {dtype}: {dev.get('device', '?')}"
        evidence = {k: v for k, v in dev.items() if k not in ("tier", "available", "problem")}
        tiers.append(
            Tier(
                str(dev["tier"]),
                "opencl",
                title,
                bool(dev.get("available")),
                dev.get("problem"),
                evidence,
            )
        )
    return tiers


def _dask_tier(scheduler: str | None) -> Tier:
    if version_of("distributed") is None:
        return Tier("dask", "dask", "Dask", False, "dask[distributed] is not installed")
    from kernels import dask_tier

    address = dask_tier.resolve_address(scheduler)
    if address is None:
        with dask_tier.start_local_cluster() as cluster:
            ev = dask_tier.probe(cluster.address)
        ev["mode"] = "embedded LocalCluster (started for this run)"
    else:
        ev = dask_tier.probe(address)
        ev["mode"] = "existing scheduler"
    title = f"Dask ({ev.get('workers', 0)} workers, {ev['mode']})"
    return Tier("dask", "dask", title, bool(ev.get("available")), ev.get("problem"), ev)


def _flag_tier(level: isa.IsaLevel) -> Tier:
    """Availability from the CPU flags alone (the benchmark proves the code per cell)."""
    kind: Kind = "scalar" if level.tier == "scalar" else "simd"
    missing = isa.missing_flags(level)
    problem = f"CPU lacks {', '.join(missing)}" if missing else None
    if version_of("numba") is None:
        problem = "numba is not installed"
    return Tier(
        level.tier, kind, level.title, problem is None, problem, {"flags": list(level.needs)}
    )


def _dask_installed(scheduler: str | None) -> Tier:
    if version_of("distributed") is None:
        return Tier("dask", "dask", "Dask", False, "dask[distributed] is not installed")
    return Tier("dask", "dask", "Dask", True, None, {"scheduler": scheduler or "embedded"})


def detect(
    scheduler: str | None = None, dask: bool = True, opencl: bool = True, prove: bool = True
) -> list[Tier]:
    """Every tier, available or not (with the reason).

    ``prove=False`` skips compiling the SIMD probes and starting a cluster: enough to
    plan a benchmark, whose every cell carries its own proof.
    """
    levels = [isa.SCALAR, *isa.levels_for_machine()]
    cpu_fn = prove_cpu_tier if prove else _flag_tier
    dask_fn = _dask_tier if prove else _dask_installed
    with ThreadPoolExecutor(max_workers=4) as pool:
        cpu = [pool.submit(cpu_fn, lv) for lv in levels]
        ocl = pool.submit(_opencl_tiers) if opencl else None
        dsk = pool.submit(dask_fn, scheduler) if dask else None
        tiers = [_numpy_tier(), *(f.result() for f in cpu)]
        if ocl is not None:
            tiers += ocl.result()
        if dsk is not None:
            tiers.append(dsk.result())
    return tiers


def fingerprint(tiers: list[Tier] | None = None) -> dict[str, Any]:
    """The environment a benchmark ran in, to judge whether two runs are comparable."""
    fp: dict[str, Any] = {
        "cpu": isa.cpu_model(),
        "machine": isa.machine(),
        "simd_flags": sorted(
            f for f in isa.cpu_flags() if f.startswith(("sse", "avx", "fma", "asimd", "sve"))
        ),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "numpy": version_of("numpy"),
        "numba": version_of("numba"),
        "llvm": _llvm_version(),
        "pyopencl": version_of("pyopencl"),
        "dask": version_of("dask"),
        "distributed": version_of("distributed"),
    }
    if tiers is not None:
        fp["opencl_devices"] = [
            {
                "tier": t.id,
                "device": t.evidence.get("device"),
                "driver": t.evidence.get("driver_version"),
                "platform": t.evidence.get("platform_version"),
            }
            for t in tiers
            if t.kind == "opencl" and t.id != "opencl"
        ]
        fp["blas"] = next((t.evidence.get("blas") for t in tiers if t.id == "numpy"), None)
    return fp
