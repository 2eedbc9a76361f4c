"""Open the desktop app, optionally straight into a live recording.

Examples:
  sovprof gui
  sovprof gui --pid 1234
  sovprof gui -- python my_script.py
  sovprof gui --demo --screenshot shot.png --after 5
"""

from __future__ import annotations

import argparse
import os
import sys

from app.cli.common import open_store, resolve_session, store_path
from app.cli.errors import CliError, UsageError

HELP = "open the desktop app (--pid PID, --demo, --session ID, or -- CMD ...)"
TAKES_COMMAND = True


def add_arguments(p: argparse.ArgumentParser) -> None:
    target = p.add_mutually_exclusive_group()
    target.add_argument("--pid", type=int, help="attach to this process and record live")
    target.add_argument("--demo", action="store_true", help="record the demo workload live")
    target.add_argument("--session", metavar="SESSION", help="open a saved session")
    target.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="record every worker of a Dask cluster live (ADDRESS or `embedded`)",
    )
    p.add_argument("--screenshot", metavar="FILE.png", help="save a grab of the window and exit")
    p.add_argument("--after", type=float, default=3.0, metavar="S", help="seconds before the grab")
    p.add_argument("--select", metavar="FUNCTION", help="select this function once it is sampled")


def has_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM", "").split(":")[0] in ("offscreen", "minimal", "vnc"):
        return True
    if sys.platform != "linux":
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run(args: argparse.Namespace) -> int:
    if args.pid is not None and args.target_cmd:
        raise UsageError("give either --pid or a command after --, not both")
    if args.screenshot and not has_display():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    if not has_display():
        raise CliError(
            "no display available (DISPLAY/WAYLAND_DISPLAY unset); for a headless profile run "
            "`sovprof record --demo`, or grab the app offscreen with "
            "`sovprof gui --demo --screenshot FILE.png`"
        )
    if args.after < 0:
        raise UsageError("--after must not be negative")
    session = None
    if args.session is not None:
        store = open_store(args)
        try:
            session = resolve_session(store, args.session)
        finally:
            store.close()
    else:
        open_store(args).close()  # a corrupt or future store is refused here, in one line
    try:
        from app.ui.app import GuiRequest
        from app.ui.app import run as run_gui
    except ImportError as exc:
        raise CliError(f"the desktop app needs PySide6 and pyqtgraph ({exc})") from None
    return run_gui(
        GuiRequest(
            store_path=store_path(args),
            pid=args.pid,
            demo=args.demo,
            dask=args.dask,
            command=list(args.target_cmd),
            session=session,
            screenshot=args.screenshot,
            after_s=args.after,
            select=args.select,
        )
    )
