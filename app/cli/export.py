"""Export a saved session: speedscope JSON (lossless) or collapsed stacks."""

from __future__ import annotations

import argparse
import os
import sys

from app.cli.common import open_store, resolve_session
from app.cli.errors import CliError
from app.cli.output import print_json
from app.core.formats import RENDERERS, RenderError
from app.core.model.profile import Profile
from app.core.store import StoreError

HELP = "export a session (" + "|".join(RENDERERS) + ")"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("session", metavar="SESSION", help="session id, name, or 'last'")
    p.add_argument("--format", "-f", choices=sorted(RENDERERS), default="speedscope")
    p.add_argument(
        "-o", "--output", metavar="FILE", required=True, help="file to write ('-' for stdout)"
    )
    p.add_argument(
        "--json", action="store_true", help="print one JSON document describing the export"
    )


def write_export(profile: Profile, fmt: str, path: str) -> int:
    """Render ``profile`` as ``fmt`` into ``path``; returns bytes written."""
    renderer = RENDERERS[fmt]
    try:
        data = renderer.render(profile)
    except RenderError as exc:
        raise CliError(str(exc)) from None
    for warning in renderer.warnings(profile):
        sys.stderr.write(f"sovprof: warning: {warning}\n")
    try:
        if path == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:
            tmp = f"{path}.tmp-{os.getpid()}"
            with open(tmp, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None
    return len(data)


def run(args: argparse.Namespace) -> int:
    store = open_store(args)
    try:
        session = resolve_session(store, args.session)
        profile = store.load_profile(session)
    except StoreError as exc:
        raise CliError(str(exc)) from None
    finally:
        store.close()
    size = write_export(profile, args.format, args.output)
    if args.json and args.output != "-":
        print_json(
            {
                "session": session,
                "format": args.format,
                "output": os.path.abspath(args.output),
                "bytes": size,
                "samples": profile.total_samples,
            }
        )
    elif args.output != "-":
        print(
            f"wrote {args.format} ({size} bytes, {profile.total_samples} samples) to {args.output}"
        )
    return 0
