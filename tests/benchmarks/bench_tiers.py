"""Kernel tiers: the issue's three figures, each beside what it competes against.

- AVX-512 dot (fp32, cache-resident) against the scalar tier (goal ≥ 10×);
- streaming kernels (saxpy, dot, sum at memory-bound sizes) against STREAM bandwidth
  measured in the same run by the same tier (goal ≥ 70 %);
- matmul on the widest SIMD tier against numpy/OpenBLAS fp32 on one thread (goal ≥ 40 %).

Run: python tests/benchmarks/bench_tiers.py [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kernels import calibrate, isa, runner


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    levels = [lv.tier for lv in isa.available_levels()]
    if not levels:
        print("no SIMD tier on this CPU")
        return 1
    top = levels[-1]
    opts = runner.Options(samples=20, warmup_s=0.2, max_s_per_size=2.0)
    figures: dict[str, object] = {"simd_tier": top, "cpu": isa.cpu_model()}

    cal = calibrate.calibrate([top], min_time_s=0.3)
    data = cal["tiers"].get(top, {})
    big = max(int(k) for k in data["bandwidth"]["triad"])
    triad = float(data["bandwidth"]["triad"][str(big)])
    copy = float(data["bandwidth"]["copy"][str(big)])

    cells = runner.run_suite(runner.make_plan(["dot"], ["scalar", top], [4096, 16384]), opts)
    print(f"\n1. dot fp32, cache-resident: {top} vs scalar (goal ≥ 10×)")
    for n in (4096, 16384):
        s = next(c for c in cells if c.tier == "scalar" and c.size == n)
        v = next(c for c in cells if c.tier == top and c.size == n)
        ratio = (s.median_s or 0) / (v.median_s or 1)
        figures[f"dot_{n}_speedup"] = ratio
        print(f"   n={n:>6}: scalar {s.median_s * 1e6:8.2f} µs   {top} {v.median_s * 1e6:8.2f} µs"
              f"   → {ratio:5.1f}×  {'PASS' if ratio >= 10 else 'FAIL'}")  # fmt: skip

    measured = f"triad {triad / 1e9:.1f} GB/s, copy {copy / 1e9:.1f} GB/s at {big >> 20} MiB"
    print(f"\n2. streaming kernels vs STREAM on {top} (goal ≥ 70 %): {measured}")
    stream_plan = runner.make_plan(["saxpy", "dot", "sum"], [top, "numpy"], [1 << 25])
    for c in runner.run_suite(stream_plan, opts):
        ref = triad if c.kernel == "saxpy" else copy
        pct = 100 * (c.gbps or 0) * 1e9 / ref
        figures[f"{c.kernel}_{c.tier}_pct_bandwidth"] = pct
        verdict = ("PASS" if pct >= 70 else "FAIL") if c.tier == top else "(vendor)"
        print(f"   {c.kernel:6} {c.tier:7} {c.gbps:6.1f} GB/s = {pct:5.1f} % of "
              f"{'triad' if c.kernel == 'saxpy' else 'copy'}  {verdict}")  # fmt: skip

    print(f"\n3. matmul fp32, one thread: {top} vs numpy/OpenBLAS (goal ≥ 40 %)")
    mm = runner.run_suite(runner.make_plan(["matmul"], [top, "numpy"], [512, 1024]), opts)
    for n in (512, 1024):
        v = next(c for c in mm if c.tier == top and c.size == n)
        b = next(c for c in mm if c.tier == "numpy" and c.size == n)
        pct = 100 * (b.median_s or 0) / (v.median_s or 1)
        figures[f"matmul_{n}_pct_blas"] = pct
        print(f"   n={n:>5}: {top} {v.gflops:6.1f} GFLOP/s   numpy {b.gflops:6.1f} GFLOP/s"
              f"   → {pct:5.1f} %  {'PASS' if pct >= 40 else 'FAIL'}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
