"""The waste breakdown of a session: compute, waiting and transport shares.

Every sample is classified by its stack with one table of rules (see
`app/core/waste_rules.py`); add your own with --waste-rules FILE or
$SOVPROF_HOME/waste-rules.toml.  Waiting is only sampled with `record --idle`.

Examples:
  sovprof waste last
  sovprof waste 12 --json --waste-rules my-rules.toml
"""

from __future__ import annotations

import argparse
from typing import Any

from app.cli.common import open_store, resolve_session
from app.cli.errors import CliError
from app.cli.output import print_json, shorten, table
from app.core.store import StoreError
from app.core.waste import CLASSES, WasteClassifier, WasteRulesError, rules_for, waste_breakdown

HELP = "waste breakdown of a session: compute / waiting / transport"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("session", metavar="SESSION", help="session id, name, or 'last'")
    p.add_argument(
        "--waste-rules",
        metavar="FILE",
        help="extra rules (TOML or JSON), tried before the built-in ones",
    )
    p.add_argument("--json", action="store_true", help="print one JSON document")


def run(args: argparse.Namespace) -> int:
    try:
        rules = rules_for(args.waste_rules)
    except WasteRulesError as exc:
        raise CliError(str(exc)) from None
    store = open_store(args)
    try:
        session = resolve_session(store, args.session)
        profile = store.load_profile(session)
    except StoreError as exc:
        raise CliError(str(exc)) from None
    finally:
        store.close()
    breakdown = waste_breakdown(profile, WasteClassifier(rules))
    doc: dict[str, Any] = {
        "session": session,
        "idle_sampled": bool(profile.meta.get("options", {}).get("idle", False)),
        **breakdown.as_dict(),
    }
    if args.json:
        print_json(doc)
        return 0
    shares = "  ".join(f"{c} {100 * breakdown.share(c):.1f}%" for c in CLASSES)
    print(f"session {session}: {breakdown.total} samples — {shares}")
    if not doc["idle_sampled"]:
        print("(recorded without --idle: blocked threads were not sampled, so waiting is low)")
    rows = [
        [t.label, t.total, *(f"{100 * t.share(c):.1f}%" for c in CLASSES)]
        for t in breakdown.threads
    ]
    print()
    print(table(["thread", "samples", *CLASSES], rows, {1, 2, 3, 4}))
    for c in CLASSES:
        causes = breakdown.causes.get(c, [])
        if causes:
            print(f"\ntop {c}:")
            for k in causes[:5]:
                where = f"{shorten(k.file, 50)}:{k.line}" if k.file else ""
                print(f"  {k.samples:6d}  {k.function}  {where}  — {k.why}")
    return 0
