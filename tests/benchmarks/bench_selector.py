"""Selector accuracy and regret on this machine's benchmark grid, policy beside policy.

Calibrates every tier, benchmarks every kernel at its default sizes (cache-resident to
memory-bound) on every available tier, then scores batuta, batuta-moe and the
calibrated policy against the measured-fastest tier (the calibrated policy out of
sample: the size being judged is left out of its fit).

Run: python tests/benchmarks/bench_selector.py [--tiers T,..] [--kernels K,..]
     [--samples N] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kernels import calibrate, runner, selector, tiers


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tiers")
    ap.add_argument("--kernels")
    ap.add_argument("--samples", type=int, default=10)
    ap.add_argument("--max-s", type=float, default=1.0)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    t0 = time.time()
    found = tiers.detect(prove=False, dask="dask" in (args.tiers or "dask"))
    ids = args.tiers.split(",") if args.tiers else [t.id for t in found if t.available]
    ids = [t for t in ids if t != "numpy"]
    gpus = [t.id for t in found if t.kind == "opencl" and t.evidence.get("type") == "GPU"]
    print("tiers:", ", ".join(ids), "| GPUs:", ", ".join(gpus) or "none")
    cal = calibrate.calibrate(ids, min_time_s=0.2)
    for tier, why in cal["problems"].items():
        print(f"calibration of {tier} failed: {why}")
    kernels = args.kernels.split(",") if args.kernels else None
    plan = runner.make_plan(kernels, ids)
    opts = runner.Options(samples=args.samples, warmup_s=0.05, max_s_per_size=args.max_s)
    cells = runner.run_suite(plan, opts)
    failed = [c for c in cells if not c.ok]
    for c in failed:
        print(f"failed: {c.kernel} {c.tier} {c.size}: {c.error}")
    rows = [c.as_dict() for c in cells]
    for r in rows:
        if r["tier"] in gpus:
            r.setdefault("info", {})["type"] = "GPU"
    model = selector.CalibratedModel(cal, rows)
    machine = selector.Machine.from_ids(ids, gpus)
    scores, points = selector.evaluate(model, machine)
    in_sample, _ = selector.evaluate(model, machine, ["calibrated"], out_of_sample=False)
    scores["calibrated (in sample)"] = in_sample["calibrated"]
    print(f"\ngrid: {len({(p.kernel, p.size) for p in points})} (kernel, size) points, "
          f"{len(cells)} cells, {time.time() - t0:.0f} s")  # fmt: skip
    print(f"{'policy':24} {'accuracy':>9} {'tier':>7} {'exact':>7} {'mean regret':>12} "
          f"{'total regret':>13}")  # fmt: skip
    for name, s in scores.items():
        print(f"{name:24} {100 * s.accuracy:8.1f}% {100 * s.tier_accuracy:6.1f}% "
              f"{100 * s.exact_accuracy:6.1f}% {100 * s.mean_regret:11.1f}% "
              f"{100 * s.total_regret:12.1f}%")  # fmt: skip
    print(
        "accuracy = fastest tier's class or tied; tier = fastest tier or tied (95 % CIs); "
        "calibrated judged out of sample unless marked"
    )
    print("\ncalibrated misses:")
    for p in points:
        if p.policy == "calibrated" and not (p.exact or p.tie):
            print(f"  {p.kernel:9} n={p.size:>10,}: chose {p.chosen}, fastest {p.best} "
                  f"(+{100 * p.regret:.1f} %)")  # fmt: skip
    print("\nfastest tier per point:")
    for p in points:
        if p.policy == "calibrated":
            print(f"  {p.kernel:9} n={p.size:>10,}: {p.best:12} calibrated → {p.chosen}")
    if args.json:
        args.json.write_text(json.dumps({
            "calibration": cal, "cells": rows,
            "scores": {k: v.as_dict() for k, v in scores.items()},
            "points": [p.__dict__ for p in points],
        }, default=str))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
