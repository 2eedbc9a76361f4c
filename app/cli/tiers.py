"""List the execution tiers this machine really has, with the evidence for each.

Scalar and one SIMD tier per ISA level the CPU has (each proven by compiling a probe
kernel and reading its assembly), every OpenCL device (proven by building and running
a tiny kernel; a device that lists but cannot build is shown unavailable with the
compiler's message), and Dask (an embedded LocalCluster, or --scheduler ADDRESS /
$SOVPROF_DASK_SCHEDULER).

Examples:
  sovprof tiers
  sovprof tiers --json
  sovprof tiers --scheduler tcp://10.0.0.5:8786
"""

from __future__ import annotations

import argparse
from typing import Any

from app.cli.output import print_json, table
from kernels import tiers

HELP = "list the tiers (scalar, SIMD per ISA, OpenCL devices, Dask) with evidence"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print one JSON document")
    add_scheduler_argument(p)


def add_scheduler_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="an existing Dask scheduler (default: $SOVPROF_DASK_SCHEDULER, else an "
        "embedded LocalCluster)",
    )


def evidence_line(t: tiers.Tier) -> str:
    ev: dict[str, Any] = t.evidence
    if t.kind in ("scalar", "simd"):
        asm = ev.get("asm") or {}
        regs = ", ".join(f"{k} {v}" for k, v in asm.items() if v and k != "scalar_fp")
        flags = ",".join(ev.get("flags") or []) or "-"
        return f"flags {flags}; packed arithmetic: {regs or 'none'}; LLVM {ev.get('llvm')}"
    if t.kind == "opencl":
        if not ev.get("device"):
            return ""
        return (
            f"{ev.get('platform', '?')} {ev.get('driver_version', '')}; "
            f"{ev.get('compute_units', '?')} compute units; "
            f"{'host-unified memory' if ev.get('host_unified_memory') else 'own memory'}"
        )
    if t.kind == "dask":
        versions = ev.get("versions") or {}
        return (
            f"{ev.get('scheduler', '?')}; {ev.get('workers', '?')} workers × "
            f"{ev.get('threads_per_worker', '?')} threads on "
            f"{', '.join(ev.get('worker_hosts') or []) or '?'}; dask {versions.get('dask')}"
        )
    return f"numpy {ev.get('numpy')}; BLAS {ev.get('blas')}"


def run(args: argparse.Namespace) -> int:
    found = tiers.detect(scheduler=args.scheduler)
    if args.json:
        print_json({"tiers": [t.as_dict() for t in found], "fingerprint": tiers.fingerprint(found)})
        return 0
    rows = [
        [t.id, "yes" if t.available else "no", t.title,
         evidence_line(t) if t.available else (t.problem or "")]
        for t in found
    ]  # fmt: skip
    print(table(["TIER", "OK", "WHAT", "EVIDENCE / WHY NOT"], rows))
    return 0
