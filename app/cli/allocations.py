"""Show the allocations recorded with a session (`sovprof record --allocations`).

Top allocating functions by bytes and by count (their own lines), the allocation rate,
and "allocations inside hot loops": functions that are both hot in the CPU samples
and allocate heavily.

Examples:
  sovprof allocations last
  sovprof allocations 12 --json
"""

from __future__ import annotations

import argparse
import subprocess
from collections.abc import Sequence
from typing import Any

from app.cli.common import open_store, resolve_session
from app.cli.errors import CliError
from app.cli.output import print_json, shorten, table
from app.core.allocations.command import AllocationError
from app.core.allocations.model import AllocationCapture, summary_dict
from app.core.allocations.recorder import AllocationOptions, AllocationRecording
from app.core.model.profile import Profile
from app.core.store import Store, StoreError

HELP = "allocations recorded with a session: top functions, rate, hot loops"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("session", metavar="SESSION", help="session id, name, or 'last'")
    p.add_argument("--limit", type=int, default=15, metavar="N", help="rows per table (default 15)")
    p.add_argument("--json", action="store_true", help="print one JSON document")


def run(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise CliError("--limit must be at least 1")
    store = open_store(args)
    try:
        session = resolve_session(store, args.session)
        capture = store.load_allocations(session)
    except StoreError as exc:
        raise CliError(str(exc)) from None
    finally:
        store.close()
    if capture is None:
        raise CliError(
            f"session {session} has no allocations; record them with "
            "`sovprof record --allocations -- python your_script.py`"
        )
    summary = {"session": session, **summary_dict(capture, args.limit)}
    if args.json:
        print_json(summary)
    else:
        _print_text(summary, capture)
    return 0


# -- the hook `sovprof record --allocations` calls --------------------------------------


def start(
    args: argparse.Namespace, *, pid: int | None = None, command: Sequence[str] | None = None
) -> AllocationRecording | None:
    """None without ``--allocations``; else memray attached to ``pid`` now, or ready to
    launch ``command`` (run ``.command`` instead).  Errors become CliError."""
    if not getattr(args, "allocations", False):
        return None
    options = AllocationOptions(native=bool(getattr(args, "native", False)))
    try:
        if command is not None:
            return AllocationRecording.launch(command, options)
        if pid is None:
            raise CliError("--allocations needs --pid PID or a command after --")
        return AllocationRecording.attach(pid, options)
    except AllocationError as exc:
        raise CliError(str(exc)) from None


def finish(
    alloc: AllocationRecording | None,
    profile: Profile,
    child: subprocess.Popen[Any] | None,
    store: Store,
    session: int,
) -> dict[str, Any] | None:
    """Stop memray, read, save in the session; the JSON summary (None without one)."""
    if alloc is None:
        return None
    try:
        return alloc.finish(profile, child=child, store=store, session=session)
    except (AllocationError, StoreError) as exc:
        raise CliError(
            f"allocations not recorded: {exc} (the CPU samples are saved in session {session})"
        ) from None


def close(alloc: AllocationRecording | None) -> None:
    if alloc is not None:
        alloc.close()


def brief_text(doc: dict[str, Any] | None) -> str:
    """Two or three lines for `record`'s text output."""
    if not doc:
        return ""
    lines = [
        f"allocations: {doc['total_allocations']:,} ({doc['allocations_per_s']:,.0f}/s), "
        f"{_size(doc['total_bytes'])} ({_size(doc['bytes_per_s'])}/s), "
        f"peak {_size(doc['peak_memory'])} — `sovprof allocations SESSION` for details"
    ]
    for f in doc["hot_loops"][:3]:
        lines.append(
            f"  allocation in a hot loop: {f['function']} ({shorten(f['file'], 40)}:{f['line']}) "
            f"{f['allocations_per_s']:,.0f} allocations/s at {100 * f['cpu_total_share']:.0f}% CPU"
        )
    return "\n".join(lines)


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def _print_text(summary: dict[str, Any], capture: AllocationCapture) -> None:
    mode = summary["mode"] or "?"
    print(
        f"session {summary['session']}: {summary['total_allocations']:,} allocations, "
        f"{_size(summary['total_bytes'])} in {summary['duration_s']:.1f} s "
        f"({summary['allocations_per_s']:,.0f}/s, {_size(summary['bytes_per_s'])}/s), "
        f"peak {_size(summary['peak_memory'])}; memray {summary['memray_version']} ({mode})"
    )
    if not summary["timed"]:
        print("rate over time: not available (memray attach has no clock in the target)")
    else:
        rates = [r["allocations_per_s"] for r in summary["rate"]]
        if rates:
            print(f"rate over time: {min(rates):,.0f} to {max(rates):,.0f} allocations/s")
    for title, key in (("by bytes", "top_by_bytes"), ("by count", "top_by_count")):
        print(f"\ntop allocating functions {title} (own lines):")
        rows = [
            [
                _size(r["self_bytes"]),
                f"{r['self_allocations']:,}",
                _size(r["self_bytes_per_s"]) + "/s",
                f"{r['self_allocations_per_s']:,.0f}/s",
                r["function"],
                f"{shorten(r['file'], 44)}:{r['line']}" if r["file"] else "",
            ]
            for r in summary[key]
        ]
        print(
            table(
                ["bytes", "count", "bytes/s", "count/s", "function", "location"], rows, {0, 1, 2, 3}
            )
        )
    hot = summary["hot_loops"]
    print("\nallocations inside hot loops:" if hot else "\nallocations inside hot loops: none")
    for i, f in enumerate(hot, 1):
        print(f"  {i}. {f['why']} ({shorten(f['file'], 60)}:{f['line']})")
