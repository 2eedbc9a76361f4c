"""List saved sessions (newest first); rename or delete one."""

from __future__ import annotations

import argparse
import dataclasses
import time

from app.cli.common import open_store, resolve_session
from app.cli.errors import CliError
from app.cli.output import print_json, shorten, table
from app.core.store import SessionInfo, StoreError

HELP = "list, rename or delete saved sessions"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--rename", nargs=2, metavar=("SESSION", "NAME"), help="rename a session")
    p.add_argument("--delete", metavar="SESSION", help="delete a session and its samples")


def run(args: argparse.Namespace) -> int:
    store = open_store(args)
    try:
        if args.rename:
            store.rename(resolve_session(store, args.rename[0]), args.rename[1])
        if args.delete:
            store.delete(resolve_session(store, args.delete))
        infos = store.list_sessions()[::-1]  # newest first
    except StoreError as exc:
        raise CliError(str(exc)) from None
    finally:
        store.close()
    if args.json:
        print_json({"sessions": [_as_dict(i) for i in infos]})
        return 0
    if not infos:
        print("no sessions yet: try `sovprof record --demo`")
        return 0
    rows = [
        [
            i.id,
            time.strftime("%Y-%m-%d %H:%M", time.localtime(i.started)) if i.started else "",
            i.status,
            f"{i.duration:.1f}s" if i.duration else "",
            i.samples,
            shorten(i.name or "", 50),
        ]
        for i in infos
    ]
    print(table(["id", "started", "status", "length", "samples", "name"], rows, {0, 3, 4}))
    return 0


def _as_dict(i: SessionInfo) -> dict[str, object]:
    return dataclasses.asdict(i)
