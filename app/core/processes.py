"""Finding Python processes and telling whether this user may sample them."""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

_PYTHON_NAME_RE = re.compile(r"^(python|pypy)[0-9.]*[dmu]?$|^pythonw?[0-9.]*\.exe$", re.I)
CAP_SYS_PTRACE = 19


class TargetError(ValueError):
    """A PID that cannot be sampled; the message says why and what to do."""


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    name: str
    cmdline: str
    user: str
    cpu_percent: float
    python: bool
    attachable: bool
    reason: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def ptrace_scope() -> int | None:
    """kernel.yama.ptrace_scope, or None when Yama is not present."""
    try:
        return int(Path("/proc/sys/kernel/yama/ptrace_scope").read_text().strip())
    except (OSError, ValueError):
        return None


def has_cap(cap: int, pid: int | str = "self") -> bool:
    """Whether the process has capability ``cap`` in its effective set."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> cap & 1)
    except (OSError, ValueError, IndexError):
        pass
    return False


def is_python(proc: psutil.Process) -> bool:
    """Whether ``proc`` runs a CPython/PyPy interpreter (binary or libpython)."""
    try:
        names = [proc.name()]
        cmd = proc.cmdline()
        if cmd:
            names.append(os.path.basename(cmd[0]))
        with contextlib.suppress(psutil.AccessDenied, psutil.ZombieProcess, OSError):
            names.append(os.path.basename(proc.exe()))
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False
    except psutil.AccessDenied:
        return False
    if any(_PYTHON_NAME_RE.match(n) for n in names if n):
        return True
    try:
        with open(f"/proc/{proc.pid}/maps", encoding="utf-8", errors="replace") as fh:
            return any("libpython" in line for line in fh)
    except OSError:
        return False


def attach_problem(proc: psutil.Process) -> str:
    """Why this user cannot ptrace ``proc``, or "" when it can."""
    if proc.pid == os.getpid():
        return "this is sovprof itself"
    if os.geteuid() == 0 or has_cap(CAP_SYS_PTRACE):
        return ""
    try:
        uids = proc.uids()
    except psutil.AccessDenied:
        return "permission denied reading the process"
    except psutil.Error:
        return "not running"
    if uids.real != os.getuid() or uids.effective != os.geteuid():
        return (
            f"owned by another user (uid {uids.real}); run sovprof as that user, as root, "
            "or give py-spy CAP_SYS_PTRACE"
        )
    scope = ptrace_scope()
    if scope == 1 and not _is_descendant(proc):
        return (
            "kernel.yama.ptrace_scope=1 allows tracing only our own children; "
            "launch it with `sovprof record -- CMD`, or give py-spy CAP_SYS_PTRACE"
        )
    if scope == 2:
        return "kernel.yama.ptrace_scope=2 allows tracing only with CAP_SYS_PTRACE (or as root)"
    if scope == 3:
        return "kernel.yama.ptrace_scope=3 forbids ptrace entirely until reboot"
    return ""


def _is_descendant(proc: psutil.Process) -> bool:
    me = os.getpid()
    try:
        return any(p.pid == me for p in proc.parents())
    except psutil.Error:
        return False


def check_target(pid: int) -> psutil.Process:
    """The process for ``pid`` if it can be sampled; TargetError otherwise."""
    if pid <= 0:
        raise TargetError(f"PID {pid} is not a valid process id")
    try:
        proc = psutil.Process(pid)
        status = proc.status()
    except psutil.NoSuchProcess:
        raise TargetError(f"no process with PID {pid}; list candidates with `sovprof ps`") from None
    except psutil.AccessDenied:
        raise TargetError(f"permission denied inspecting PID {pid}") from None
    if status == psutil.STATUS_ZOMBIE:
        raise TargetError(f"PID {pid} has exited (zombie)")
    if pid == os.getpid():
        raise TargetError("sovprof cannot profile itself; give the PID of another process")
    problem = attach_problem(proc)
    if problem:
        raise TargetError(f"cannot trace PID {pid}: {problem}")
    if not is_python(proc):
        try:
            name = proc.name()
        except psutil.Error:
            name = "?"
        raise TargetError(
            f"PID {pid} ({name}) is not a Python process; list candidates with `sovprof ps`"
        )
    return proc


def python_processes(include_all: bool = False) -> list[ProcessInfo]:
    """Python processes on this machine, each with whether it can be attached."""
    procs = list(psutil.process_iter(["pid", "name", "cmdline", "username"]))
    for p in procs:
        with contextlib.suppress(psutil.Error):
            p.cpu_percent(None)
    psutil.cpu_percent(0.2)  # one shared interval for every process's CPU %
    out: list[ProcessInfo] = []
    me = os.getpid()
    for p in procs:
        if p.pid == me:
            continue
        try:
            py = is_python(p)
            if not py and not include_all:
                continue
            cmd = " ".join(p.info.get("cmdline") or []) or p.info.get("name") or ""
            cpu = p.cpu_percent(None)
            problem = attach_problem(p)
        except psutil.Error:
            continue
        out.append(
            ProcessInfo(
                pid=p.pid,
                name=p.info.get("name") or "",
                cmdline=cmd,
                user=p.info.get("username") or "",
                cpu_percent=cpu,
                python=py,
                attachable=not problem,
                reason=problem,
            )
        )
    out.sort(key=lambda i: (-i.cpu_percent, i.pid))
    return out
