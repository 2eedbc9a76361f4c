"""Measure what this machine can do, for the roofline and the backend selector.

Per CPU tier: STREAM copy/triad bandwidth at working sets from L1 to main memory and the
peak of an FMA microkernel. Per OpenCL device: host↔device bandwidth, launch latency,
device bandwidth and peak. Dask: per-task overhead and transfer rate. Saved in the
session store; `sovprof bench` and `sovprof select` use the latest calibration.

Examples:
  sovprof calibrate
  sovprof calibrate --tiers scalar,avx512 --json
"""

from __future__ import annotations

import argparse
from typing import Any

from app.cli.common import open_store
from app.cli.errors import CliError
from app.cli.output import print_json, table
from app.cli.progress import ProgressBar
from app.cli.tiers import add_scheduler_argument
from app.core.store import StoreError
from app.core.suites import TierChoiceError, choose_tiers, refresh_model_file
from kernels import calibrate, tiers

HELP = "measure bandwidth, peak FLOP/s, launch and transfer costs per tier"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tiers", metavar="T,..", help="tiers to calibrate (default: all available)")
    p.add_argument("--quick", action="store_true", help="shorter measurements (less precise)")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    add_scheduler_argument(p)


def _fmt(v: Any, unit: str) -> str:
    if not isinstance(v, int | float) or isinstance(v, bool) or not v:
        return "-"
    return f"{v / 1e9:.1f} G{unit}"


def summary_rows(cal: dict[str, Any]) -> list[list[str]]:
    rows = []
    for tier, d in (cal.get("tiers") or {}).items():
        if "bandwidth" in d:
            bw = d["bandwidth"].get("triad", {})
            pts = sorted((int(k), v) for k, v in bw.items())
            levels = "  ".join(f"{k // 1024}K:{v / 1e9:.0f}" for k, v in pts)
            rows.append([tier, _fmt(d.get("peak_flops"), "FLOP/s"), f"triad GB/s {levels}"])
        elif tier.startswith("opencl:"):
            rows.append([
                tier, _fmt(d.get("peak_flops"), "FLOP/s"),
                f"device {_fmt(d.get('device_bandwidth'), 'B/s')}, "
                f"h2d {_fmt(d.get('h2d_bps'), 'B/s')}, d2h {_fmt(d.get('d2h_bps'), 'B/s')}, "
                f"launch {1e6 * float(d.get('launch_s') or 0):.0f} µs",
            ])  # fmt: skip
        else:
            rows.append([
                tier, "-",
                f"task overhead {1e6 * float(d.get('task_overhead_s') or 0):.0f} µs, "
                f"transfer {_fmt(d.get('transfer_bps'), 'B/s')}, workers {d.get('workers')}",
            ])  # fmt: skip
    for tier, why in (cal.get("problems") or {}).items():
        rows.append([tier, "-", f"failed: {why}"])
    return rows


def run(args: argparse.Namespace) -> int:
    detected = tiers.detect(scheduler=args.scheduler, prove=False)
    try:
        chosen = choose_tiers(args.tiers.split(",") if args.tiers else None, detected)
    except TierChoiceError as exc:
        raise CliError(str(exc)) from None
    with open_store(args) as store:
        bar = ProgressBar()
        try:
            cal = calibrate.calibrate(chosen, args.scheduler, 0.05 if args.quick else 0.2, bar)
        finally:
            bar.close()
        try:
            cal_id = store.save_calibration(cal, tiers.fingerprint(detected))
            refresh_model_file(store)
        except StoreError as exc:
            raise CliError(str(exc)) from None
    if args.json:
        print_json({"calibration": cal_id, **cal})
    else:
        print(table(["TIER", "PEAK", "BANDWIDTH / COSTS"], summary_rows(cal)))
        print(f"\nsaved as calibration {cal_id}")
    return 0
