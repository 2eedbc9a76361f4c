"""Say what this user may profile here, and the least-privileged ways to allow more.

Reads kernel.yama.ptrace_scope, kernel.perf_event_paranoid, this process's
capabilities, py-spy's file capabilities and a live counter probe; then lists
what works now (attach to your own processes, other users', counters) and the
options, least privilege first. Nothing is changed: the commands are printed
for you to run. Never run the sovprof GUI itself with sudo.

Examples:
  sovprof doctor
  sovprof doctor --pid 1234
  sovprof doctor --json
"""

from __future__ import annotations

import argparse

from app.cli.errors import UsageError
from app.cli.output import print_json
from app.core.privileges import report

HELP = "check permissions: what can be profiled here, and how to allow more"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pid", type=int, help="also say whether this process can be attached")
    p.add_argument("--json", action="store_true", help="print one JSON document")


def run(args: argparse.Namespace) -> int:
    if args.pid is not None and args.pid <= 0:
        raise UsageError(f"--pid {args.pid} is not a valid process id")
    rep = report(args.pid)
    if args.json:
        print_json(rep.as_dict())
    else:
        print(rep.text())
    return 0
