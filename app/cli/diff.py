"""Compare two sessions (before → after), or two benchmark runs with --bench.

The first line is the verdict.  For sessions, the share of samples of every
function is tested across windows (Welch's t-test, Holm-corrected, 1-point noise
threshold): regressed (its share grew), improved (it shrank) or noise; the overall
verdict compares the CPU load (busy threads per sampling tick), which is what
"faster" means for a target doing a steady amount of work per second, and says
"inconclusive" for a CPU-bound target whose profile changed.  For benchmark runs
every cell is compared on its raw timings (improved / regressed / no change).

Examples:
  sovprof diff before after
  sovprof diff 3 last -o diff.svg
  sovprof diff 3 4 --json
  sovprof diff --bench baseline-name latest
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

from app.cli.common import open_store, resolve_session
from app.cli.errors import CliError, UsageError
from app.cli.output import print_json, shorten, table
from app.core.benchdiff import BenchDiff, compare_bench_runs
from app.core.diff import FunctionChange, ProfileDiff, compare_profiles, format_p
from app.core.diffreport import bench_diff_html, profile_diff_html
from app.core.formats.svg import diff_flame_svg
from app.core.report import ReportTemplateError
from app.core.store import StoreError
from app.core.waste import overprocessing_flags

HELP = "compare two sessions (or benchmark runs): verdict, changed functions, diff flame graph"
OUTPUTS = (".svg", ".html")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("a", metavar="A", help="before: session id, name or 'last' (--bench: run)")
    p.add_argument("b", metavar="B", help="after: session id, name or 'last' (--bench: run)")
    p.add_argument(
        "--bench",
        action="store_true",
        help="A and B are benchmark runs: run ids, baseline names or 'latest'",
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="also write FILE.svg (differential flame graph) or FILE.html (report)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument(
        "--changed",
        metavar="FUNC,..",
        help="the functions you changed: flagged when their share is too small to matter",
    )
    p.add_argument(
        "--limit", type=int, default=15, metavar="N", help="functions (or cells) shown (15)"
    )


def _check_output(args: argparse.Namespace) -> str | None:
    path: str | None = args.output
    if path is None:
        return None
    ext = os.path.splitext(path)[1].lower()
    if ext not in OUTPUTS:
        raise UsageError(f"-o {path}: the file name must end in .svg or .html")
    if ext == ".svg" and args.bench:
        raise UsageError("a benchmark comparison has no flame graph: use -o FILE.html or --json")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise CliError(f"cannot write {path}: no directory {folder}")
    return path


def _write_html(write: Callable[[], int], path: str) -> None:
    try:
        write()
    except ReportTemplateError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None


def _write(path: str, data: bytes) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def run(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise UsageError("--limit must be at least 1")
    output = _check_output(args)
    if args.bench:
        return _run_bench(args, output)
    with open_store(args) as store:
        try:
            ids = [resolve_session(store, ref) for ref in (args.a, args.b)]
            a, b = (store.load_profile(i) for i in ids)
        except StoreError as exc:
            raise CliError(str(exc)) from None
    result = compare_profiles(a, b)
    # Overprocessing: the functions that changed (or that the user says they changed)
    # whose share of the samples is too small for the change to matter.
    changed: list[tuple[str, str] | str] = [
        (f.function, f.file) for f in result.functions if f.verdict in ("improved", "regressed")
    ]
    if args.changed:
        changed += [name.strip() for name in args.changed.split(",") if name.strip()]
    flags = overprocessing_flags(a, b, changed)
    if output is not None:
        title = f"sovprof diff: session {ids[0]} → session {ids[1]} — {result.verdict}"
        if output.lower().endswith(".html"):
            _write_html(lambda: profile_diff_html(result, output, title), output)
        else:
            svg = diff_flame_svg(result.tree, title, result.sentence, result.significant_keys())
            _write(output, svg)
    if args.json:
        doc: dict[str, Any] = result.as_json()
        doc["output"] = os.path.abspath(output) if output else None
        doc["overprocessing"] = [f.as_dict() for f in flags]
        print_json(doc)
    else:
        print(_profile_text(result, args.limit))
        for flag in flags:
            print(f"overprocessing: {flag.message}")
        if output is not None:
            what = "report" if output.lower().endswith(".html") else "differential flame graph"
            print(f"\nwrote the {what} to {output}")
    return 0


def _run_bench(args: argparse.Namespace, output: str | None) -> int:
    with open_store(args) as store:
        try:
            runs = [store.resolve_bench_run(ref) for ref in (args.a, args.b)]
            cells = [store.bench_cells(r) for r in runs]
        except StoreError as exc:
            raise CliError(str(exc)) from None
    for ref, run_id, found in zip((args.a, args.b), runs, cells, strict=True):
        if not found:
            raise CliError(f"benchmark run {run_id} ({ref!r}) has no results")
    result = compare_bench_runs(runs[0], cells[0], runs[1], cells[1])
    if output is not None:
        title = f"sovprof diff: run {runs[0]} → run {runs[1]} — {result.verdict}"
        _write_html(lambda: bench_diff_html(result, output, title), output)
    if args.json:
        doc: dict[str, Any] = result.as_json()
        doc["output"] = os.path.abspath(output) if output else None
        print_json(doc)
    else:
        print(_bench_text(result, args.limit))
        if output is not None:
            print(f"\nwrote the report to {output}")
    return 0


# -- text ------------------------------------------------------------------------------


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _function_row(f: FunctionChange) -> list[object]:
    name = os.path.basename(f.file)
    where = f"{shorten(name, 32)}:{f.line}" if f.file and f.line else shorten(name, 32)
    return [
        shorten(" ".join(f.function.split()), 40),
        f"{_pct(f.total.a)} → {_pct(f.total.b)}",
        f"{100 * f.total.delta:+.1f}",
        format_p(f.total.p_adjusted),
        f.verdict,
        f"{_pct(f.self.a)} → {_pct(f.self.b)}",
        where,
    ]


def _profile_text(result: ProfileDiff, limit: int) -> str:
    lines = [f"verdict: {result.sentence}", ""]
    lines.append(f"before: {result.a.label()}")
    lines.append(f"after:  {result.b.label()}")
    lines.append("")
    rows = [_function_row(f) for f in result.functions[:limit]]
    headers = ["function", "total before → after", "Δ points", "p", "verdict", "self", "where"]
    lines.append(table(headers, rows, right={1, 2, 3}))
    hidden = len(result.functions) - limit
    if hidden > 0:
        lines.append(f"… and {hidden} more functions (--limit, or --json for all)")
    lines.append("")
    lines.append(
        "p: Welch's t-test of per-window shares, Holm-corrected; a change is called when "
        "p < 0.05 and its 95 % CI clears ±1 point"
    )
    return "\n".join(lines)


def _t(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _bench_text(result: BenchDiff, limit: int) -> str:
    lines = [f"verdict: {result.sentence}", "", f"run {result.a_run} → run {result.b_run}", ""]
    rows = []
    for c in result.cells[:limit]:
        cmp = c.comparison
        rows.append(
            [
                c.kernel,
                c.tier,
                c.size,
                f"{_t(c.a_median_s)} → {_t(c.b_median_s)}",
                "-" if cmp is None else f"{100 * cmp.change:+.1f}%",
                "-" if cmp is None else format_p(cmp.p_value),
                c.verdict,
                c.note,
            ]
        )
    headers = ["kernel", "tier", "size", "median before → after", "change", "p", "verdict", "note"]
    lines.append(table(headers, rows, right={2, 3, 4, 5}))
    hidden = len(result.cells) - limit
    if hidden > 0:
        lines.append(f"… and {hidden} more cells (--limit, or --json for all)")
    return "\n".join(lines)
