"""Run the bundled kernel suites on the tiers this machine has.

Every (kernel, tier) runs in its own worker process with that tier's environment;
each size is a cell with Criterion-style statistics (warm-up, N samples, median and
bootstrap 95 % CI, Tukey outliers), GFLOP/s, GB/s, the roofline percentage (after
`sovprof calibrate`) and the assembly proof of its SIMD width. A cell that crashes or
hangs is marked failed and the suite goes on. Results are saved in the session store.

Examples:
  sovprof bench --quick
  sovprof bench --kernels dot,matmul --tiers scalar,avx512,numpy --sizes 4096,1M
  sovprof bench --save-baseline before
  sovprof bench --baseline before --json
  sovprof bench --list
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from app.cli.common import open_store
from app.cli.errors import CliError, UsageError
from app.cli.output import print_json, table
from app.cli.progress import ProgressBar
from app.cli.tiers import add_scheduler_argument
from app.core.store import StoreError
from app.core.suites import (
    Options,
    PlanError,
    TierChoiceError,
    choose_tiers,
    make_plan,
    run_and_store,
    speedup_over_scalar,
)
from kernels import isa, suite, tiers
from kernels.runner import Cell

HELP = "run kernel suites across tiers (scalar, SIMD, OpenCL, Dask) with statistics"
_SUFFIX = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--kernels", metavar="K,..", help=f"kernels (default all: {', '.join(suite.BUILTIN)})"
    )
    p.add_argument(
        "--tiers",
        metavar="T,..",
        help="tier ids or cpu/simd/opencl/gpu/all (default: all available)",
    )
    p.add_argument("--sizes", metavar="N,..", help="sizes, e.g. 4096,64k,1M (default: per kernel)")
    p.add_argument("--quick", action="store_true", help="small sizes, few samples: a smoke test")
    p.add_argument("--samples", type=int, metavar="N", help="samples per cell (default 20)")
    p.add_argument("--timeout", type=float, metavar="S", help="per-cell time limit (default 120)")
    p.add_argument("--save-baseline", metavar="NAME", help="save this run as baseline NAME")
    p.add_argument("--baseline", metavar="NAME", help="compare with baseline NAME (or a run id)")
    p.add_argument("--list", action="store_true", help="list saved runs and baselines")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument(
        "--rules",
        action="store_true",
        help="measure the seed's rules of thumb (alignment, algorithm, allocation)",
    )
    add_scheduler_argument(p)


def parse_sizes(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        m = re.fullmatch(r"\s*(\d+)\s*([kKmMgG]?)\s*", part)
        if not m:
            raise UsageError(f"bad size {part.strip()!r} in --sizes (use e.g. 4096,64k,1M)")
        out.append(int(m.group(1)) * _SUFFIX[m.group(2).lower()])
    return out


def _t(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _note(c: Cell) -> str:
    if c.error:
        return c.error.splitlines()[0][:90]
    if c.asm and c.asm.get("problem"):
        return f"NOT {c.tier}: {c.asm['problem']}"
    if c.comparison:
        cmp = c.comparison
        return f"{cmp['verdict']} {100 * cmp['change']:+.1f}% (p={cmp['p_value']:.2f})"
    return ""


def result_json(c: Cell) -> dict[str, Any]:
    d = c.as_dict(with_samples=False)
    d["tier_verified"] = not (c.asm and c.asm.get("problem"))
    return d


def _rules(args: argparse.Namespace) -> int:
    from kernels import rules

    simd = None
    if args.tiers:
        simd = [t.strip() for t in args.tiers.split(",") if isa.level(t.strip())]
        if not simd:
            raise UsageError("--rules takes SIMD tiers, e.g. --tiers avx2,avx512")
    bar = ProgressBar()
    try:
        results, problems = rules.run_rules(simd, quick=args.quick, progress=bar)
    finally:
        bar.close()
    sentences = rules.summary(results)
    if args.json:
        print_json({
            "claims": rules.CLAIMS,
            "summary": sentences,
            "results": [r.as_dict() for r in results],
            "problems": problems,
        })  # fmt: skip
        return 0
    rows = [
        [r.rule, r.tier, r.case, f"{r.size:,}", _t(r.fast_s), _t(r.slow_s),
         f"{r.ratio:.2f}× [{r.ci_low:.2f}, {r.ci_high:.2f}]", r.verdict]
        for r in results
    ]  # fmt: skip
    print(table(["RULE", "TIER", "CASE", "SIZE", "FAST", "SLOW", "SLOW/FAST (95% CI)", "VERDICT"],
                rows, right={3, 4, 5}))  # fmt: skip
    print()
    for rule, claim in rules.CLAIMS.items():
        print(f"{rule}: the seed says “{claim}”. Here: {sentences.get(rule, 'not measured')}")
    for what, why in problems.items():
        print(f"{what}: failed: {why}")
    return 0


def _list(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        runs = store.bench_runs()
        baselines = store.baselines()
    by_run: dict[int, list[str]] = {}
    for name, run in baselines.items():
        by_run.setdefault(run, []).append(name)
    if args.json:
        print_json({"runs": [r.__dict__ for r in runs], "baselines": baselines})
        return 0
    import time

    rows = [
        [r.id, time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created)), r.status, r.cells,
         ",".join(by_run.get(r.id, []))]
        for r in runs
    ]  # fmt: skip
    print(table(["RUN", "WHEN", "STATUS", "CELLS", "BASELINES"], rows, right={0, 3}))
    return 0


def run(args: argparse.Namespace) -> int:
    if args.rules:
        return _rules(args)
    if args.list:
        return _list(args)
    if args.samples is not None and args.samples < 1:
        raise UsageError("--samples must be at least 1")
    if args.timeout is not None and args.timeout <= 0:
        raise UsageError("--timeout must be positive")
    sizes = parse_sizes(args.sizes) if args.sizes else None
    kernels = [k.strip() for k in args.kernels.split(",") if k.strip()] if args.kernels else None
    detected = tiers.detect(scheduler=args.scheduler, prove=False)
    try:
        chosen = choose_tiers(args.tiers.split(",") if args.tiers else None, detected)
        plan = make_plan(kernels, chosen, sizes, quick=args.quick)
    except (TierChoiceError, PlanError) as exc:
        raise CliError(str(exc)) from None
    options = Options()
    if args.quick:
        options = Options(samples=5, warmup_s=0.02, max_s_per_size=0.1)
    if args.samples is not None:
        options.samples = args.samples
    if args.timeout is not None:
        options.cell_timeout_s = args.timeout
    with open_store(args) as store:
        baseline = None
        if args.baseline:
            try:
                baseline = store.bench_cells(store.resolve_bench_run(args.baseline))
            except StoreError as exc:
                raise CliError(str(exc)) from None
        bar = ProgressBar()
        try:
            outcome = run_and_store(
                store, plan, options, args.scheduler, bar, detected=detected, baseline=baseline
            )
        except StoreError as exc:
            raise CliError(str(exc)) from None
        finally:
            bar.close()
        if args.save_baseline:
            store.save_baseline(args.save_baseline, outcome.run_id)
    cells = outcome.cells
    speed = speedup_over_scalar(cells)
    if args.json:
        print_json({
            "run": outcome.run_id,
            "baseline": args.baseline,
            "saved_baseline": args.save_baseline,
            "fingerprint": tiers.fingerprint(detected),
            "results": [
                {**result_json(c), "speedup_vs_scalar": speed.get((c.kernel, c.tier, c.size))}
                for c in cells
            ],
        })  # fmt: skip
        return 0
    rows = []
    for c in cells:
        ci = (
            f"±{100 * (c.ci_high_s - c.ci_low_s) / 2 / c.median_s:.1f}%"
            if c.median_s and c.ci_high_s and c.ci_low_s
            else ""
        )
        sp = speed.get((c.kernel, c.tier, c.size))
        rows.append([
            c.kernel, c.tier, c.size, _t(c.median_s), ci,
            f"{c.gflops:.2f}" if c.gflops else "-", f"{c.gbps:.1f}" if c.gbps else "-",
            f"{sp:.1f}×" if sp else "-",
            f"{c.roofline_pct:.0f}% {c.bound}" if c.roofline_pct else "-",
            "ok" if c.ok else "FAIL", _note(c),
        ])  # fmt: skip
    print(table(
        ["KERNEL", "TIER", "SIZE", "MEDIAN", "CI95", "GFLOP/S", "GB/S", "VS SCALAR", "ROOFLINE",
         "", "NOTE"], rows, right={2, 3, 4, 5, 6, 7, 8},
    ))  # fmt: skip
    failed = sum(1 for c in cells if not c.ok)
    tail = f"run {outcome.run_id}: {len(cells)} cells, {failed} failed"
    if args.save_baseline:
        tail += f"; saved as baseline {args.save_baseline!r}"
    print("\n" + tail)
    return 0
