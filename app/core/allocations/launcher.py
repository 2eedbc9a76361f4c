"""Run a Python program under memray, with a clock that timestamps the capture.

Runs inside the target's own interpreter, started by file path (it imports nothing of
sovprof, only memray and the standard library)::

    python [interpreter options] launcher.py --output FILE [--native] [--follow-fork]
           [--interval S] -- (SCRIPT | -m MODULE | -c CODE) [ARGS ...]

memray stamps no time on allocations, only on its memory snapshots, so a clock does:
every ``--interval`` seconds (``setitimer``/SIGALRM, handled on the main thread) it
appends the wall-clock time to ``FILE.clock`` and makes one marker allocation from a
function of its own.  In the capture, the k-th marker separates the allocations before
line k of that file from the ones after it: allocations per second over time, exact to
the clock's resolution.  A signal rather than a thread: a clock thread waiting for the
GIL behind a busy main thread looks active to py-spy and would show in every profile.
A program that takes SIGALRM for itself stops the clock; its later allocations then
fall into one last, longer bin.

Pymalloc's small-object allocations are not traced (memray's default): the capture
sees the malloc family (``malloc``, ``calloc``, ``realloc``, ``mmap``…), which is what
large buffers, numpy arrays and pymalloc's own arenas use.  That keeps the overhead sane.
"""

from __future__ import annotations

import os
import pathlib
import runpy
import signal
import sys
import time
from types import FrameType
from typing import TextIO

CLOCK_SUFFIX = ".clock"
TICK_FUNCTION = "_sovprof_clock_tick"
CLOCK_FUNCTION = "_sovprof_clock"  # the SIGALRM handler (a method: memray gives its bare name)
TICK_BYTES = 4093  # above pymalloc's 512-byte limit: a real malloc that memray records

_USAGE = (
    "usage: launcher.py --output FILE [--native] [--follow-fork] [--interval S] -- "
    "(SCRIPT | -m MODULE | -c CODE) [ARGS ...]"
)


def _sovprof_clock_tick(out: TextIO) -> None:
    """Append the time, then make the marker allocation that stands for it in the capture."""
    out.write(f"{time.time():.6f}\n")
    out.flush()
    marker = bytearray(TICK_BYTES)
    del marker


class _Clock:
    """Ticks on SIGALRM while the program runs (where the platform has setitimer)."""

    def __init__(self, out: TextIO, interval: float) -> None:
        self.out = out
        self.interval = interval
        self.running = False

    def _sovprof_clock(self, signum: int, frame: FrameType | None) -> None:
        _sovprof_clock_tick(self.out)

    def start(self) -> None:
        _sovprof_clock_tick(self.out)
        if not hasattr(signal, "setitimer") or signal.getsignal(signal.SIGALRM) not in (
            signal.SIG_DFL,
            None,
        ):
            return
        signal.signal(signal.SIGALRM, self._sovprof_clock)
        signal.setitimer(signal.ITIMER_REAL, self.interval, self.interval)
        self.running = True

    def stop(self) -> None:
        if self.running:
            signal.setitimer(signal.ITIMER_REAL, 0.0)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            self.running = False
        _sovprof_clock_tick(self.out)


def _parse(argv: list[str]) -> tuple[dict[str, str | bool], list[str]]:
    opts: dict[str, str | bool] = {"native": False, "follow_fork": False, "interval": "0.1"}
    i = 0
    while i < len(argv) and argv[i] != "--":
        arg = argv[i]
        if arg in ("--output", "--interval") and i + 1 < len(argv):
            opts[arg[2:]] = argv[i + 1]
            i += 2
        elif arg in ("--native", "--follow-fork"):
            opts[arg[2:].replace("-", "_")] = True
            i += 1
        else:
            raise SystemExit(f"{_USAGE}\nunknown option {arg!r}")
    target = argv[i + 1 :]
    if "output" not in opts or not target or (target[0] in ("-m", "-c") and len(target) < 2):
        raise SystemExit(_USAGE)
    return opts, target


def _run_target(target: list[str]) -> None:
    """Run the program as ``python SCRIPT``, ``-m MODULE`` or ``-c CODE`` would."""
    modify_path = not sys.flags.isolated and not getattr(sys.flags, "safe_path", False)
    if target[0] == "-m":
        if modify_path:
            sys.path[0] = os.getcwd()
        sys.argv = ["", *target[2:]]
        runpy.run_module(target[1], run_name="__main__", alter_sys=True)
    elif target[0] == "-c":
        if modify_path:
            sys.path[0] = ""
        sys.argv = ["-c", *target[2:]]
        exec(compile(target[1], "<string>", "exec"), {"__name__": "__main__"})
    else:
        if modify_path:
            sys.path[0] = str(pathlib.Path(target[0]).resolve().parent)
        sys.argv = list(target)
        runpy.run_path(target[0], run_name="__main__")


def _exit_on_term(signum: int, frame: FrameType | None) -> None:
    # SystemExit unwinds through the program, so memray closes its file properly.
    raise SystemExit(128 + signum)


def main(argv: list[str]) -> int:
    opts, target = _parse(argv)
    import memray

    output = str(opts["output"])
    tracker = memray.Tracker(
        destination=memray.FileDestination(output, overwrite=True, compress_on_exit=False),
        native_traces=bool(opts["native"]),
        follow_fork=bool(opts["follow_fork"]),
    )
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _exit_on_term)
    with open(output + CLOCK_SUFFIX, "w", encoding="ascii") as out, tracker:
        clock = _Clock(out, float(str(opts["interval"])))
        clock.start()
        try:
            _run_target(target)
        finally:
            clock.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
