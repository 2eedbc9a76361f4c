"""Which tier would the backend selector pick for a kernel at a size, and why.

Policies: batuta (the Sovereign AI Stack's static 5× PCIe rule, reproduced exactly),
batuta-moe (its complexity thresholds), calibrated (this machine's calibration and
benchmark, with the 5× rule applied honestly) and measured (the fastest tier in the
latest benchmark). `--accuracy` scores every policy on the latest benchmark grid:
accuracy (picks the measured-fastest tier, or one statistically tied with it) and
regret (time lost against the oracle).

Examples:
  sovprof select matmul --size 1024
  sovprof select dot --size 1M --policy all --json
  sovprof select matmul --size 20000 --policy batuta --pcie-bw 64e9
  sovprof select --accuracy
  sovprof select --session last      # advice beside a profile's hot numpy calls
"""

from __future__ import annotations

import argparse
from typing import Any

from app.cli.bench import parse_sizes
from app.cli.common import open_store
from app.cli.errors import CliError, UsageError
from app.cli.output import print_json, table
from app.core.selector_display import machine_for
from app.core.store import StoreError
from app.core.suites import load_selector_model
from kernels import selector, suite

HELP = "show the tier each selector policy picks for a kernel and size, and why"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("kernel", nargs="?", help=f"one of: {', '.join(suite.BUILTIN)}")
    p.add_argument("--size", metavar="N", help="the kernel's size (e.g. 1024, 64k, 1M)")
    p.add_argument(
        "--policy",
        default="all",
        choices=[*selector.POLICIES, "all"],
        help="which policy (default: all, side by side)",
    )
    p.add_argument("--accuracy", action="store_true", help="score the policies on the grid")
    p.add_argument(
        "--session",
        metavar="SESSION",
        help="advice for a profile's hot frames that call a bundled kernel's operation",
    )
    p.add_argument("--run", default="latest", help="benchmark run or baseline (default latest)")
    p.add_argument("--pcie-bw", type=float, metavar="B/S", help="batuta: PCIe bytes/s (32e9)")
    p.add_argument("--gpu-flops", type=float, metavar="F", help="batuta: GPU FLOP/s (20e12)")
    p.add_argument("--ratio", type=float, metavar="R", help="dispatch ratio (5)")
    p.add_argument("--json", action="store_true", help="print one JSON document")


def _params(args: argparse.Namespace) -> selector.BatutaParams:
    base = selector.BatutaParams()
    for name in ("pcie_bw", "gpu_flops", "ratio"):
        v = getattr(args, name)
        if v is not None and v <= 0:
            raise UsageError(f"--{name.replace('_', '-')} must be positive")
    return selector.BatutaParams(
        pcie_bw=args.pcie_bw or base.pcie_bw,
        gpu_flops=args.gpu_flops or base.gpu_flops,
        ratio=args.ratio or base.ratio,
    )


def _model(args: argparse.Namespace) -> tuple[int | None, selector.CalibratedModel]:
    with open_store(args) as store:
        try:
            return load_selector_model(store, args.run)
        except StoreError as exc:
            raise CliError(str(exc)) from None


def _accuracy(args: argparse.Namespace) -> int:
    run_id, model = _model(args)
    if run_id is None or not model.cells:
        raise CliError("no benchmark to score against: run `sovprof bench` first")
    scores, points = selector.evaluate(model, params=_params(args))
    if args.json:
        print_json({
            "run": run_id,
            "calibrated": bool(model.tiers()),
            "scores": {k: v.as_dict() for k, v in scores.items()},
            "points": [p.__dict__ for p in points],
        })  # fmt: skip
        return 0
    rows = [
        [s.policy, s.points, f"{100 * s.accuracy:.0f}%", f"{100 * s.tier_accuracy:.0f}%",
         f"{100 * s.exact_accuracy:.0f}%", f"{100 * s.mean_regret:.1f}%",
         f"{100 * s.total_regret:.1f}%"]
        for s in scores.values()
    ]  # fmt: skip
    print(
        f"benchmark run {run_id}: {len({(p.kernel, p.size) for p in points})} (kernel, size) points"
    )
    print(table(["POLICY", "POINTS", "ACCURACY", "TIER", "EXACT", "MEAN REGRET", "TOTAL REGRET"],
                rows, right={1, 2, 3, 4, 5, 6}))  # fmt: skip
    print(
        "\naccuracy: the pick is of the fastest tier's class (scalar, SIMD, GPU, OpenCL, "
        "Dask) or tied with the fastest; tier: the fastest tier or tied with it (95 % CIs); "
        "exact: the fastest tier itself. The calibrated policy is judged out of sample."
    )
    if not model.tiers():
        print("\n(no calibration: the calibrated policy interpolated measured times; "
              "run `sovprof calibrate`)")  # fmt: skip
    misses = [p for p in points if p.policy == "calibrated" and not (p.exact or p.tie)]
    if misses:
        print("\ncalibrated misses:")
        for p in misses:
            print(f"  {p.kernel} n={p.size:,}: chose {p.chosen}, fastest {p.best} "
                  f"(+{100 * p.regret:.1f}%)")  # fmt: skip
    return 0


def _advice(args: argparse.Namespace) -> int:
    from app.cli.common import resolve_session
    from app.core.advice import advise

    with open_store(args) as store:
        try:
            profile = store.load_profile(resolve_session(store, args.session))
            _run_id, model = load_selector_model(store, args.run)
        except StoreError as exc:
            raise CliError(str(exc)) from None
    found = advise(profile, model, machine_for(model), params=_params(args))
    if args.json:
        print_json({
            "session": args.session,
            "advice": [
                {"function": a.function, "file": a.file, "kernel": a.kernel,
                 "self_share": a.self_share, "total_share": a.total_share,
                 "ranges": {p: [r.__dict__ for r in rs] for p, rs in a.ranges.items()},
                 "sentence": a.sentence()}
                for a in found
            ],
        })  # fmt: skip
        return 0
    if not found:
        print("no hot frame (≥ 1 % of samples) is a call into a bundled kernel's operation")
        return 0
    for a in found:
        print(f"{100 * a.total_share:5.1f}%  {a.sentence()}")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.accuracy:
        return _accuracy(args)
    if args.session:
        return _advice(args)
    if not args.kernel or not args.size:
        raise UsageError("give a KERNEL and --size N, or --accuracy, or --session SESSION")
    try:
        suite.get(args.kernel)
    except suite.UnknownKernel as exc:
        raise CliError(str(exc)) from None
    (size,) = parse_sizes(args.size)[:1] or [0]
    if size <= 0:
        raise UsageError("--size must be positive")
    params = _params(args)
    policies = list(selector.POLICIES) if args.policy == "all" else [args.policy]
    needs_data = {"calibrated", "measured"} & set(policies)
    run_id, model = _model(args) if needs_data else (None, selector.CalibratedModel(None, []))
    machine = machine_for(model)
    decisions: list[dict[str, Any]] = []
    for policy in policies:
        if policy in needs_data and not model.cells and not model.tiers():
            if args.policy != "all":
                raise CliError(
                    f"the {policy} policy needs data: run `sovprof calibrate` and `sovprof bench`"
                )
            continue
        decisions.append(
            selector.decide(policy, args.kernel, size, machine, model, params).as_dict()
        )
    if args.json:
        print_json({"kernel": args.kernel, "size": size, "run": run_id, "decisions": decisions})
        return 0
    rows = [[d["policy"], d["tier"] or "-", d["tier_class"], d["reason"]] for d in decisions]
    print(table(["POLICY", "TIER", "CLASS", "WHY"], rows))
    cal = next((d for d in decisions if d["policy"] == "calibrated"), None)
    if cal and cal["predicted"]:
        ranked = sorted(cal["predicted"].items(), key=lambda x: x[1])
        print("\npredicted (calibrated): "
              + ", ".join(f"{t} {selector.fmt_time(s)}" for t, s in ranked))  # fmt: skip
    return 0
