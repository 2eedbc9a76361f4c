"""List Python processes this user can profile, with why when one cannot be."""

from __future__ import annotations

import argparse

from app.cli.output import print_json, shorten, table
from app.core.processes import python_processes

HELP = "list Python processes and whether they can be attached"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--all", action="store_true", help="list non-Python processes too")


def run(args: argparse.Namespace) -> int:
    procs = python_processes(include_all=args.all)
    if args.json:
        print_json({"processes": [p.as_dict() for p in procs]})
        return 0
    if not procs:
        print("no Python processes found")
        return 0
    rows = [
        [
            p.pid,
            f"{p.cpu_percent:.0f}",
            p.user,
            "yes" if p.attachable else "no",
            shorten(p.cmdline, 60) + (f"  ({p.reason})" if p.reason else ""),
        ]
        for p in procs
    ]
    print(table(["pid", "cpu%", "user", "attach", "command"], rows, {0, 1}))
    return 0
