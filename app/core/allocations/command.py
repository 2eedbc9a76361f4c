"""How a program is run under memray, or memray attached to it, and what that needs.

Launch mode rewrites ``python [options] (SCRIPT | -m MODULE | -c CODE) ARGS`` (or a
Python script with a ``#!`` line, such as a console-script wrapper) into the same
interpreter running :mod:`app.core.allocations.launcher` by path, so that the program
keeps its PID, its interpreter and its arguments, and py-spy attaches to it as usual.

Attach mode runs ``memray attach``, which injects the tracker with gdb or lldb.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from app.core.allocations import launcher

LAUNCHER_PATH = os.path.abspath(launcher.__file__)
DEBUGGERS = ("gdb", "lldb")

_PYTHON_RE = re.compile(r"^(python|pypy)(\d+(\.\d+)?)?[dmu]?(\.exe)?$", re.IGNORECASE)
_NO_ARG_FLAGS = set("bBdEIOPqsSuvx")
_ARG_OPTIONS = ("-W", "-X", "--check-hash-based-pycs")


class AllocationError(RuntimeError):
    """Allocation profiling cannot go ahead; the message is one line saying why and what to do."""


@dataclass(frozen=True)
class PythonCommand:
    """A command split into interpreter, interpreter options and what it runs."""

    interpreter: str
    options: tuple[str, ...]
    target: tuple[str, ...]  # (SCRIPT, ARGS...) or ("-m", MODULE, ARGS...) or ("-c", CODE, ...)


def _not_python(cmd: Sequence[str]) -> AllocationError:
    return AllocationError(
        "--allocations runs the program under memray, which needs a Python command "
        "(python script.py, python -m module, python -c code, or a Python script); "
        f"{cmd[0]!r} is not one"
    )


def split_python_command(cmd: Sequence[str]) -> PythonCommand:
    """Tell the interpreter, its options and the program apart; AllocationError if the
    command is not a Python program."""
    if not cmd:
        raise AllocationError("no command to run")
    if _PYTHON_RE.match(os.path.basename(cmd[0])):
        return _split_interpreter(cmd[0], list(cmd[1:]), cmd)
    path = shutil.which(cmd[0]) or cmd[0]
    shebang = _shebang(path)
    if shebang is None:
        raise _not_python(cmd)
    interpreter, *options = shebang
    return PythonCommand(interpreter, tuple(options), (path, *cmd[1:]))


def _split_interpreter(interpreter: str, rest: list[str], cmd: Sequence[str]) -> PythonCommand:
    options: list[str] = []
    i = 0
    while i < len(rest) and rest[i].startswith("-") and rest[i] != "-":
        arg = rest[i]
        if arg == "--":
            i += 1
            break
        if arg in ("-m", "-c"):
            if i + 1 >= len(rest):
                raise AllocationError(f"{arg} needs an argument in {shlex.join(cmd)!r}")
            return PythonCommand(interpreter, tuple(options), tuple(rest[i:]))
        if arg[:2] in ("-m", "-c"):  # -mpkg, -cCODE
            return PythonCommand(interpreter, tuple(options), (arg[:2], arg[2:], *rest[i + 1 :]))
        if arg in _ARG_OPTIONS:
            if i + 1 >= len(rest):
                raise AllocationError(f"{arg} needs an argument in {shlex.join(cmd)!r}")
            options += [arg, rest[i + 1]]
            i += 2
            continue
        if arg[:2] in ("-W", "-X") or (len(arg) > 1 and set(arg[1:]) <= _NO_ARG_FLAGS):
            options.append(arg)
            i += 1
            continue
        raise AllocationError(
            f"interpreter option {arg!r} cannot be used with --allocations "
            "(it needs a program to run: a script, -m module or -c code)"
        )
    if i >= len(rest) or rest[i] == "-":
        raise AllocationError(
            "--allocations needs a program to run (a script, -m module or -c code), "
            "not an interactive interpreter or stdin"
        )
    return PythonCommand(interpreter, tuple(options), tuple(rest[i:]))


def _shebang(path: str) -> list[str] | None:
    """The interpreter and options of a Python script's ``#!`` line, else None."""
    try:
        with open(path, "rb") as fh:
            first = fh.readline(512)
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    try:
        words = shlex.split(first[2:].decode("utf-8").strip())
    except (UnicodeDecodeError, ValueError):
        return None
    if words and os.path.basename(words[0]) == "env":
        words = words[1:]
        while words and (words[0].startswith("-") or "=" in words[0]):  # env's own options
            words.pop(0)
    if not words or not _PYTHON_RE.match(os.path.basename(words[0])):
        return None
    return words


def check_memray(interpreter: str) -> None:
    """AllocationError unless ``interpreter`` can import memray."""
    if os.path.abspath(shutil.which(interpreter) or interpreter) == os.path.abspath(sys.executable):
        if importlib.util.find_spec("memray") is None:
            raise AllocationError(
                "memray is not installed with sovprof; install it with "
                f"`{sys.executable} -m pip install memray`"
            )
        return
    try:
        res = subprocess.run(
            [interpreter, "-c", "import memray"],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise AllocationError(f"cannot run {interpreter!r} to check for memray ({exc})") from None
    if res.returncode != 0:
        raise AllocationError(
            f"{interpreter} cannot import memray; install it there "
            f"(`{interpreter} -m pip install memray`) to record allocations"
        )


def launch_command(
    cmd: Sequence[str],
    output: str,
    *,
    native: bool = False,
    follow_fork: bool = False,
    interval_s: float = 0.1,
) -> list[str]:
    """``cmd`` rewritten to run under memray (through the launcher), writing ``output``."""
    py = split_python_command(cmd)
    check_memray(py.interpreter)
    flags = ["--output", output, "--interval", f"{interval_s:g}"]
    if native:
        flags.append("--native")
    if follow_fork:
        flags.append("--follow-fork")
    return [py.interpreter, *py.options, LAUNCHER_PATH, *flags, "--", *py.target]


def find_debugger() -> tuple[str, str] | None:
    """(method, path) of the first debugger memray attach can use, or None."""
    for name in DEBUGGERS:
        path = shutil.which(name)
        if path:
            return name, path
    return None


def attach_command(
    pid: int, output: str, *, native: bool = False, follow_fork: bool = False
) -> list[str]:
    """``memray attach`` for ``pid``; AllocationError when no gdb or lldb is installed."""
    found = find_debugger()
    if found is None:
        raise AllocationError(
            f"recording the allocations of running PID {pid} needs `memray attach`, which "
            "injects its tracker with gdb or lldb, and neither is installed; install gdb "
            "(e.g. `apt install gdb`), or launch the program under sovprof instead: "
            "`sovprof record --allocations -- python your_script.py`"
        )
    cmd = [sys.executable, "-m", "memray", "attach", "--method", found[0], "-o", output]
    cmd += ["-f", "--no-compress"]
    if native:
        cmd.append("--native")
    if follow_fork:
        cmd.append("--follow-fork")
    return [*cmd, str(pid)]


def detach_command(pid: int) -> list[str]:
    found = find_debugger()
    method = found[0] if found else "gdb"
    return [sys.executable, "-m", "memray", "detach", "--method", method, str(pid)]
