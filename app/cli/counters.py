"""Read the hardware and software counters of a running process.

perf_event counters (task-clock, context switches, page faults, and the CPU's
hardware counters where the machine provides them), process metrics from
psutil, and GPU metrics where present.  Counters this machine cannot read are
listed with the reason and the fix — never shown as zero.

Examples:
  sovprof counters --pid 1234 --duration 5
  sovprof counters --pid 1234 --json
"""

from __future__ import annotations

import argparse
import threading
import time
from typing import Any

from app.cli.errors import CliError, UsageError
from app.cli.output import print_json, table
from app.core.counters.base import CounterSpec, TargetGoneError, Unsupported
from app.core.counters.derived import derive
from app.core.counters.recorder import CounterRecorder
from app.core.processes import TargetError, check_target

HELP = "read a process's perf_event, psutil and GPU counters"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pid", type=int, required=True, help="the process to count")
    p.add_argument("--duration", type=float, default=5.0, metavar="S", help="seconds (default 5)")
    p.add_argument("--interval", type=float, default=1.0, metavar="S", help="read every S seconds")
    p.add_argument(
        "--syscalls",
        action="store_true",
        help="also trace the target's syscalls with strace over the same interval",
    )
    p.add_argument("--json", action="store_true", help="print one JSON document")


def _trace_syscalls(pid: int, seconds: float, out: dict[str, Any]) -> None:
    """Runs in a thread beside the counter reads; fills ``out``."""
    from app.core.counters.syscalls import SyscallTraceError, syscall_summary

    try:
        out["summary"] = syscall_summary(pid, seconds)
    except (SyscallTraceError, TargetGoneError) as exc:
        out["error"] = " ".join(str(exc).split())


def run(args: argparse.Namespace) -> int:
    if args.duration <= 0 or args.interval <= 0:
        raise UsageError("--duration and --interval must be positive")
    try:
        check_target(args.pid)
    except TargetError as exc:
        if "not a Python process" not in str(exc):  # counters work on any process
            raise CliError(str(exc)) from None
    try:
        recorder = CounterRecorder(args.pid)
    except TargetGoneError as exc:
        raise CliError(str(exc)) from None
    intervals: list[tuple[float, float, dict[str, float]]] = []
    traced: dict[str, Any] = {}
    tracer = None
    if args.syscalls:
        tracer = threading.Thread(
            target=_trace_syscalls, args=(args.pid, args.duration, traced), daemon=True
        )
        tracer.start()
    try:
        t_end = time.time() + args.duration
        while not recorder.target_exited:
            time.sleep(max(0.0, min(args.interval, t_end - time.time())))
            intervals.append(recorder.read_window())
            if time.time() >= t_end - 1e-3:
                break
    except KeyboardInterrupt:
        pass
    finally:
        recorder.close()
    if tracer is not None:
        tracer.join(args.duration + 15)
        if "error" in traced:
            raise CliError(traced["error"])
    doc = _document(args.pid, recorder.specs(), recorder.unsupported(), intervals)
    doc["target_exited"] = recorder.target_exited
    if "summary" in traced:
        doc["syscalls"] = traced["summary"].as_dict()
    if args.json:
        print_json(doc)
    else:
        _print(doc)
    return 0


def _document(
    pid: int,
    specs: list[CounterSpec],
    unsupported: list[Unsupported],
    intervals: list[tuple[float, float, dict[str, float]]],
) -> dict[str, Any]:
    wall = sum(e - s for s, e, _ in intervals)
    totals: dict[str, dict[str, Any]] = {}
    summed: dict[str, float] = {}
    for spec in sorted(specs, key=lambda s: s.name):
        vals = [v[spec.name] for _, _, v in intervals if spec.name in v]
        if not vals:
            continue
        value = sum(vals) if spec.kind == "delta" else vals[-1]
        if spec.kind == "delta":
            summed[spec.name] = value
        totals[spec.name] = {
            "unit": spec.unit,
            "kind": spec.kind,
            "value": value,
            "per_second": value / wall if spec.kind == "delta" and wall > 0 else None,
            "description": spec.description,
        }
    return {
        "pid": pid,
        "duration_s": round(wall, 3),
        "counters": totals,
        "derived": derive(summed, wall),
        "unsupported": [
            {"name": u.name, "reason": u.reason, "fix": u.fix}
            for u in sorted(unsupported, key=lambda u: u.name)
        ],
        "intervals": [{"start": s, "end": e, "values": v} for s, e, v in intervals],
    }


def _fmt(value: float, unit: str) -> str:
    if unit == "ns":
        return f"{value / 1e9:.3f} s"
    if unit == "bytes":
        for scale, name in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
            if abs(value) >= scale:
                return f"{value / scale:.1f} {name}"
        return f"{value:.0f} B"
    if unit in ("s", "seconds"):
        return f"{value:.3f} s"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _print(doc: dict[str, Any]) -> None:
    print(
        f"PID {doc['pid']}: counters over {doc['duration_s']:.1f} s"
        + (" (target exited)" if doc["target_exited"] else "")
    )
    rows = []
    for name, c in doc["counters"].items():
        rate = "" if c["per_second"] is None else _fmt(c["per_second"], c["unit"]) + "/s"
        rows.append([name, _fmt(c["value"], c["unit"]), rate, c["kind"]])
    print()
    print(table(["counter", "value", "rate", "kind"], rows, {1, 2}))
    if doc["derived"]:
        print()
        for name, value in doc["derived"].items():
            print(f"{name}: {value:.3f}")
    if "syscalls" in doc:
        sc = doc["syscalls"]
        print()
        print(f"top syscalls over {sc['elapsed_s']:.1f} s (strace):")
        rows = [
            [r["name"], r["calls"], f"{r['seconds']:.4f}", r["errors"] or ""]
            for r in sorted(sc["rows"], key=lambda r: -r["calls"])[:10]
        ]
        print(table(["syscall", "calls", "seconds", "errors"], rows, {1, 2, 3}))
    if doc["unsupported"]:
        print()
        print("unsupported here (never shown as zero):")
        for u in doc["unsupported"]:
            fix = f" — fix: {u['fix']}" if u["fix"] else ""
            print(f"  {u['name']}: {u['reason']}{fix}")
