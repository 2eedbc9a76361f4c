"""Write a saved session as one self-contained HTML report.

The file works offline and makes no network request: summary, interactive flame
graph, top functions, the waste breakdown, timeline, counters, the allocations (when
the session was recorded with --allocations), and (unless --no-kernels) the latest
kernel-suite run with the backend selector's decisions.
"""

from __future__ import annotations

import argparse
import os
import time

from app.cli.common import open_store, resolve_session
from app.cli.errors import CliError
from app.cli.output import print_json
from app.core.report import ReportTemplateError, session_report, write_html
from app.core.store import StoreError

HELP = "write a self-contained HTML report of a session"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("session", metavar="SESSION", help="session id, name, or 'last'")
    p.add_argument("-o", "--output", metavar="FILE.html", required=True, help="file to write")
    p.add_argument(
        "--no-kernels",
        action="store_true",
        help="leave out the kernel-suite results and the selector display",
    )
    p.add_argument(
        "--json", action="store_true", help="print one JSON document describing the report"
    )


def run(args: argparse.Namespace) -> int:
    out_dir = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(out_dir):
        raise CliError(f"cannot write {args.output}: no directory {out_dir}")
    started = time.perf_counter()
    store = open_store(args)
    try:
        session = resolve_session(store, args.session)
        report = session_report(store, session, kernels=not args.no_kernels)
    except StoreError as exc:
        raise CliError(str(exc)) from None
    finally:
        store.close()
    try:
        size = write_html(args.output, report.title, report.data, report.sections)
    except ReportTemplateError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    seconds = time.perf_counter() - started
    samples = int(report.data["summary"]["samples"])
    if args.json:
        print_json(
            {
                "session": session,
                "output": os.path.abspath(args.output),
                "bytes": size,
                "samples": samples,
                "sections": report.sections,
                "pruned_nodes": report.data["flame"]["pruned"]["nodes"],
                "seconds": round(seconds, 3),
            }
        )
    else:
        print(
            f"wrote report of session {session} ({samples} samples, {size / 1e6:.2f} MB) "
            f"to {args.output}"
        )
        pruned = report.data["flame"]["pruned"]
        if pruned["nodes"]:
            print(
                f"pruned {pruned['nodes']} call paths under {pruned['min_samples']} samples "
                f"each ({pruned['samples']} samples) into '(pruned)' frames"
            )
    return 0
