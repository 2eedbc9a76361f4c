"""Import a profile file into the session store.

Reads py-spy speedscope JSON and raw output, collapsed stacks, and sovprof's
own exports; the format is recognised from the content.
"""

from __future__ import annotations

import argparse
import os

from app.cli.common import open_store
from app.cli.errors import CliError
from app.cli.output import print_json
from app.core.formats import ImportFormatError, import_file
from app.core.store import StoreError

HELP = "import a py-spy speedscope/raw or collapsed-stacks file"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE")
    p.add_argument("--name", help="session name (default: the file name)")
    p.add_argument("--json", action="store_true", help="print one JSON document")


def run(args: argparse.Namespace) -> int:
    if not os.path.exists(args.file):
        raise CliError(f"{args.file}: no such file")
    if os.path.isdir(args.file):
        raise CliError(f"{args.file}: is a directory, not a profile file")
    try:
        profile = import_file(args.file)
    except ImportFormatError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"{args.file}: {exc.strerror or exc}") from None
    name = args.name or os.path.basename(args.file)
    store = open_store(args)
    try:
        session = store.save_profile(profile, name=name, target=os.path.abspath(args.file))
    except StoreError as exc:
        raise CliError(str(exc)) from None
    finally:
        store.close()
    if args.json:
        print_json(
            {
                "session": session,
                "name": name,
                "samples": profile.total_samples,
                "threads": len(profile.threads),
                "windows": len(profile.windows),
            }
        )
    else:
        print(f"imported {profile.total_samples} samples as session {session} ({name})")
    return 0
