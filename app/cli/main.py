"""The ``sovprof`` command: one module per subcommand, errors → exit codes."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from app import __version__
from app.cli import (
    allocations,
    bench,
    calibrate,
    counters,
    diff,
    doctor,
    export,
    gui,
    importcmd,
    ps,
    record,
    report,
    select,
    sessions,
    tiers,
    waste,
)
from app.cli.errors import CliError, UsageError

COMMANDS: dict[str, ModuleType] = {
    "record": record,
    "sessions": sessions,
    "export": export,
    "import": importcmd,
    "ps": ps,
    "counters": counters,
    "gui": gui,
    "tiers": tiers,
    "bench": bench,
    "calibrate": calibrate,
    "select": select,
    "doctor": doctor,
    "report": report,
    "diff": diff,
    "allocations": allocations,
    "waste": waste,
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="sovprof",
        description="Sovereign Profiler: live py-spy profiles of Python programs.",
    )
    parser.add_argument("--version", action="version", version=f"sovprof {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, mod in COMMANDS.items():
        p = sub.add_parser(name, help=mod.HELP, description=mod.__doc__)
        p.add_argument(
            "--store",
            metavar="PATH",
            help="session store file (default: $SOVPROF_HOME or the user data dir)",
        )
        mod.add_arguments(p)
    return parser


def _split_command(argv: list[str]) -> tuple[list[str], list[str]]:
    """Split ``sovprof record [opts] -- CMD ...`` at the first ``--``."""
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1 :]
    return argv, []


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    own, target_cmd = _split_command(args_list)
    parser = build_parser()
    try:
        args = parser.parse_args(own)
        args.target_cmd = target_cmd
        if args.command is None:
            if target_cmd:
                raise UsageError(
                    "give a command before `--`, e.g. `sovprof record -- python app.py`"
                )
            args = parser.parse_args(["gui"])  # no arguments: the desktop app
            args.target_cmd = []
        if target_cmd and not getattr(COMMANDS[args.command], "TAKES_COMMAND", False):
            raise UsageError(f"`sovprof {args.command}` does not take a command after `--`")
        return int(COMMANDS[args.command].run(args))
    except CliError as exc:
        _fail(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        _fail("interrupted")
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:
        if os.environ.get("SOVPROF_DEBUG"):
            raise
        _fail(f"internal error: {type(exc).__name__}: {exc} (set SOVPROF_DEBUG=1 for details)")
        return 1


def _fail(message: str) -> None:
    first = " ".join(message.split("\n")).strip()
    sys.stderr.write(f"sovprof: error: {first}\n")
    sys.stderr.flush()
