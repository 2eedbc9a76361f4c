"""Which system calls a process makes, how often and for how long: ``strace -c``.

``syscall_summary(pid, seconds)`` attaches ``strace -f -c -p PID`` (every thread, and
children it starts) for ``seconds``, stops it with SIGINT so that it prints its
summary table, and returns the parsed table: the top syscalls by count and by time.
When the target exits during the interval, strace prints the table on its own and the
summary covers the time up to the exit (``target_exited``).

strace and py-spy together
--------------------------
strace and py-spy's default (blocking) mode both use **ptrace**, and a thread can have
only one tracer.  Blocking py-spy attaches to every thread of the target for each
sample to pause it; while strace holds the threads, those attaches fail with EPERM.
What was observed here (strace 6.1, py-spy 0.4.3, Linux 6.x, running as root):

* blocking ``py-spy record`` started while strace traces the target fails at once:
  ``Error: Failed to suspend process … EPERM: Operation not permitted``, exit status 1,
  no output file;
* a blocking ``py-spy record`` already running when strace attaches keeps going but
  loses the samples of the traced stretch (``Samples: 208 Errors: 191``), and strace
  can lose the race instead (its attach gets EPERM if py-spy holds a thread just then);
* ``py-spy record --nonblocking`` works while strace traces the same target: it reads
  the target's memory with ``process_vm_readv`` and never attaches (199 samples in
  2 s at 100 Hz with ``--idle``, 0 errors).

So **while a syscall summary runs, the live sampler must use --nonblocking**
(``REQUIRES_NONBLOCKING_SAMPLER``): switch the sampler before calling
``syscall_summary`` and back after it returns.  A second effect: a thread stopped by
strace looks idle to py-spy (its state is "t", tracing stop, not "R"), so without
``--idle`` py-spy drops most samples of a syscall-heavy target during the trace (35
instead of 199 in the same 2 s).  ``SAMPLER_FLAGS_WHILE_TRACING`` lists the flags that
keep the sample count honest.  strace also slows every syscall of the target (a
context switch to strace on entry and exit): use short intervals.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Final, Literal

import psutil

from app.core.counters.base import TargetGoneError
from app.core.processes import ptrace_scope

REQUIRES_NONBLOCKING_SAMPLER: Final = True
"""strace takes the ptrace slot: py-spy must sample with --nonblocking meanwhile."""

SAMPLER_FLAGS_WHILE_TRACING: Final = ("--nonblocking", "--idle")
"""py-spy flags for windows that overlap a syscall summary (see the module docstring)."""

INSTALL_HINT: Final = "install strace (Debian: apt-get install strace)"
ATTACH_TIMEOUT_S: Final = 10.0
STOP_TIMEOUT_S: Final = 10.0

TimeKind = Literal["system", "wall"]


class SyscallTraceError(RuntimeError):
    """strace could not produce a summary; the message says why."""


class StraceMissingError(SyscallTraceError):
    """No strace executable."""


class StracePermissionError(SyscallTraceError):
    """ptrace was refused (other user, Yama, missing CAP_SYS_PTRACE, another tracer)."""


@dataclass(frozen=True)
class SyscallStat:
    """One row of strace's table (or the total row, ``name == "total"``)."""

    name: str
    calls: int
    errors: int = 0
    seconds: float = 0.0  # system time in the call (wall time with wall_clock=True)
    usecs_per_call: float | None = None
    percent_time: float | None = None
    min_seconds: float | None = None  # only when strace can print -U min-time
    max_seconds: float | None = None  # only when strace can print -U max-time


@dataclass(frozen=True)
class SyscallSummary:
    pid: int
    requested_s: float
    elapsed_s: float  # from strace's attach to its end
    target_exited: bool  # the target ended during the interval
    time_kind: TimeKind  # "system": CPU time in the kernel; "wall": latency (-w)
    rows: tuple[SyscallStat, ...]  # by time, then calls (largest first)
    total: SyscallStat
    strace_version: str
    command: tuple[str, ...]

    def top_by_count(self, n: int = 10) -> list[SyscallStat]:
        return sorted(self.rows, key=lambda r: (-r.calls, -r.seconds, r.name))[:n]

    def top_by_time(self, n: int = 10) -> list[SyscallStat]:
        return sorted(self.rows, key=lambda r: (-r.seconds, -r.calls, r.name))[:n]

    def as_dict(self) -> dict[str, object]:
        return {
            "pid": self.pid,
            "requested_s": self.requested_s,
            "elapsed_s": self.elapsed_s,
            "target_exited": self.target_exited,
            "time_kind": self.time_kind,
            "rows": [asdict(r) for r in self.rows],
            "total": asdict(self.total),
            "strace_version": self.strace_version,
            "command": list(self.command),
        }


# -- parsing ----------------------------------------------------------------------------

# strace's column headers (classic and -U) → SyscallStat fields
_COLUMNS: Final = {
    "% time": "percent_time",
    "seconds": "seconds",
    "usecs/call": "usecs_per_call",
    "calls": "calls",
    "errors": "errors",
    "syscall": "name",
    "shortest": "min_seconds",
    "longest": "max_seconds",
}
_DASHES = re.compile(r"^\s*-{3,}(\s+-{3,})+\s*$")
_ATTACH_FAILED = re.compile(r"^\S*strace: attach: .*$", re.M)
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+|nan|inf)$", re.I)


@dataclass(frozen=True)
class _Column:
    field: str | None  # None: a column this parser does not know (kept aligned)
    start: int
    end: int


def _columns(header: str, dashes: str) -> list[_Column]:
    cols = []
    for m in re.finditer(r"-+", dashes):
        label = " ".join(header[m.start() : m.end()].split())
        cols.append(_Column(_COLUMNS.get(label), m.start(), m.end()))
    return cols


def _assign(tokens: list[tuple[str, int]], cols: list[_Column]) -> list[tuple[str, _Column]]:
    """Pair numeric tokens (text, end offset) with numeric columns.

    Same count: in order.  Fewer tokens (strace leaves "errors" blank when 0, and the
    classic total row leaves "usecs/call" blank): numbers are right-aligned, so each
    token goes to the column whose right edge is nearest to its own, in order.
    """
    if len(tokens) == len(cols):
        return [(t, c) for (t, _), c in zip(tokens, cols, strict=True)]
    out = []
    nxt = 0
    for k, (text, end) in enumerate(tokens):
        last = len(cols) - (len(tokens) - k)  # leave a column for each later token
        options = range(nxt, last + 1)
        best = min(options, key=lambda c: abs(cols[c].end - end))
        out.append((text, cols[best]))
        nxt = best + 1
    return out


def _num(text: str) -> float | None:
    value = float(text)
    return None if math.isnan(value) else value


def _row(line: str, cols: list[_Column]) -> SyscallStat | None:
    found = [(m.group(), m.end()) for m in re.finditer(r"\S+", line)]
    names = [t for t, _ in found if not _NUMBER.match(t)]
    if len(names) != 1:
        return None  # not a table row (a message strace printed meanwhile)
    numeric = [(t, e) for t, e in found if _NUMBER.match(t)]
    numeric_cols = [c for c in cols if c.field != "name"]
    if len(numeric) > len(numeric_cols):
        return None
    values: dict[str, float | None] = {}
    for text, col in _assign(numeric, numeric_cols):
        if col.field is not None:
            values[col.field] = _num(text)
    calls = values.get("calls")
    if calls is None:
        return None
    return SyscallStat(
        name=names[0],
        calls=int(calls),
        errors=int(values.get("errors") or 0),
        seconds=values.get("seconds") or 0.0,
        usecs_per_call=values.get("usecs_per_call"),
        percent_time=values.get("percent_time"),
        min_seconds=values.get("min_seconds"),
        max_seconds=values.get("max_seconds"),
    )


def _merge(rows: Iterable[SyscallStat], name: str | None = None) -> SyscallStat:
    """Add rows up (several tables: one per personality, e.g. 64 and 32 bit)."""
    rows = list(rows)
    calls = sum(r.calls for r in rows)
    seconds = sum(r.seconds for r in rows)
    mins = [r.min_seconds for r in rows if r.min_seconds is not None]
    maxs = [r.max_seconds for r in rows if r.max_seconds is not None]
    return SyscallStat(
        name=name or rows[0].name,
        calls=calls,
        errors=sum(r.errors for r in rows),
        seconds=seconds,
        usecs_per_call=seconds / calls * 1e6 if calls else None,
        percent_time=None,
        min_seconds=min(mins) if mins else None,
        max_seconds=max(maxs) if maxs else None,
    )


def parse_strace_summary(text: str) -> tuple[list[SyscallStat], SyscallStat]:
    """The rows and the total of strace's ``-c`` table(s) in ``text``.

    Handles the classic table (strace ≤ 5.x: blank usecs/call in the total row), the
    newer one (6.x: the total row has usecs/call), tables with ``-U`` columns in any
    order, blank "errors" cells, "nan" percentages, several tables (one per syscall
    personality, merged by name), and lines strace prints around them.  Raises
    ValueError when ``text`` holds no table.
    """
    lines = text.splitlines()
    tables: list[tuple[list[SyscallStat], SyscallStat | None]] = []
    i = 0
    while i < len(lines):
        if not (_DASHES.match(lines[i]) and i > 0 and "calls" in lines[i - 1]):
            i += 1
            continue
        cols = _columns(lines[i - 1], lines[i])
        if not any(c.field == "name" for c in cols):
            i += 1
            continue
        rows: list[SyscallStat] = []
        total: SyscallStat | None = None
        i += 1
        while i < len(lines) and lines[i].strip():
            if _DASHES.match(lines[i]):
                if i + 1 < len(lines):
                    row = _row(lines[i + 1], cols)
                    if row is not None and row.name == "total":
                        total = row
                        i += 1
                i += 1
                break
            row = _row(lines[i], cols)
            if row is not None:
                rows.append(row)
            i += 1
        tables.append((rows, total))
    if not tables:
        raise ValueError("no strace -c summary table in the text")
    if len(tables) == 1:
        rows, total = tables[0]
        if total is None:
            total = _merge(rows, "total") if rows else SyscallStat("total", 0)
        return rows, total
    by_name: dict[str, list[SyscallStat]] = {}
    for rows, _ in tables:
        for r in rows:
            by_name.setdefault(r.name, []).append(r)
    merged = [_merge(rs) for rs in by_name.values()]
    total = _merge(merged, "total") if merged else SyscallStat("total", 0)
    if total.seconds > 0:
        merged = [replace(r, percent_time=100.0 * r.seconds / total.seconds) for r in merged]
        total = replace(total, percent_time=100.0)
    return merged, total


# -- running strace ---------------------------------------------------------------------


def find_strace(strace: str | None = None) -> str:
    """The strace executable to run, or StraceMissingError naming the package."""
    path = shutil.which(strace or "strace")
    if path is None:
        what = f"{strace!r} not found" if strace else "strace is not installed"
        raise StraceMissingError(f"{what}: {INSTALL_HINT}")
    return path


@functools.lru_cache(maxsize=8)
def _features(strace: str) -> tuple[str, bool]:
    """(version line, whether -U/--summary-columns exists: strace ≥ 5.18)."""
    try:
        version = subprocess.run(
            [strace, "-V"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
        helptext = subprocess.run(
            [strace, "-h"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SyscallTraceError(f"cannot run {strace}: {exc}") from exc
    first = version.splitlines()[0].strip() if version.strip() else "strace (unknown version)"
    return first, "--summary-columns" in helptext


def strace_command(
    strace: str, pid: int, *, wall_clock: bool = False, columns: bool = True
) -> list[str]:
    """The strace command line (``columns``: ask for max latency with -U when supported)."""
    cmd = [strace, "-f", "-c", "-S", "time"]
    if wall_clock:
        cmd.append("-w")
    if columns and _features(strace)[1]:
        cmd += ["-U", "time-percent,total-time,avg-time,max-time,calls,errors,name"]
    return [*cmd, "-p", str(pid)]


def _tracer_of(pid: int) -> tuple[int, str] | None:
    """(PID, name) of the process ptrace-attached to ``pid``, if any."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("TracerPid:"):
                tracer = int(line.split()[1])
                if tracer == 0:
                    return None
                try:
                    return tracer, psutil.Process(tracer).name()
                except psutil.Error:
                    return tracer, "?"
    except (OSError, ValueError, IndexError):
        pass
    return None


def _permission_message(pid: int, strace_said: str) -> str:
    tracer = _tracer_of(pid)
    if tracer is not None:
        return (
            f"PID {pid} is already traced by PID {tracer[0]} ({tracer[1]}): a thread can have "
            "only one ptrace tracer (a debugger, another strace, py-spy in its default "
            "blocking mode); stop it, or sample with py-spy --nonblocking"
        )
    scope = ptrace_scope()
    scope_s = "no Yama" if scope is None else f"now {scope}"
    return (
        f"not allowed to trace PID {pid} ({strace_said.strip()}). Fixes: run as the target's "
        "user or as root; allow ptrace with `sudo sysctl kernel.yama.ptrace_scope=0` "
        f"({scope_s}); or give strace CAP_SYS_PTRACE "
        "(`sudo setcap cap_sys_ptrace+ep $(command -v strace)`; in a container: "
        "--cap-add=SYS_PTRACE). Another tracer attached at that moment (a debugger, "
        "blocking py-spy) is refused the same way"
    )


def _check_pid(pid: int) -> None:
    if pid <= 0:
        raise SyscallTraceError(f"PID {pid} is not a valid process id")
    if pid == os.getpid():
        raise SyscallTraceError("sovprof cannot strace itself; give the PID of another process")
    try:
        status = psutil.Process(pid).status()
    except psutil.NoSuchProcess:
        raise TargetGoneError(f"no process with PID {pid}") from None
    except psutil.AccessDenied:  # pragma: no cover - status is world-readable on Linux
        return
    if status == psutil.STATUS_ZOMBIE:
        raise TargetGoneError(f"process {pid} has exited (zombie): nothing to trace")


def _failure(pid: int, rc: int | None, stderr: str) -> SyscallTraceError | TargetGoneError:
    said = [ln for ln in stderr.splitlines() if re.match(r"^\S*strace: ", ln)]
    first = said[0] if said else (stderr.strip().splitlines() or [f"exit status {rc}"])[-1]
    if "No such process" in stderr:
        return TargetGoneError(f"no process with PID {pid} (strace: {first})")
    if "Operation not permitted" in stderr or "Permission denied" in stderr:
        return StracePermissionError(_permission_message(pid, first))
    return SyscallTraceError(f"strace failed (exit status {rc}): {first}")


def syscall_summary(
    pid: int,
    seconds: float,
    *,
    wall_clock: bool = False,
    strace: str | None = None,
) -> SyscallSummary:
    """Trace ``pid`` (all threads and children) for ``seconds``; its syscall table.

    ``wall_clock``: time per call is latency (strace -w) instead of system CPU time.
    ``strace``: the executable (default: ``strace`` on PATH).

    Raises TargetGoneError (no such PID), StraceMissingError, StracePermissionError
    (with the ptrace fixes), SyscallTraceError (anything else strace reports).  While
    it runs, a py-spy sampler on the same PID must use --nonblocking
    (``REQUIRES_NONBLOCKING_SAMPLER``).
    """
    if seconds <= 0:
        raise ValueError("seconds must be positive")
    exe = find_strace(strace)
    _check_pid(pid)
    version, _ = _features(exe)
    cmd = strace_command(exe, pid, wall_clock=wall_clock)
    try:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
    except OSError as exc:
        raise SyscallTraceError(f"cannot run {exe}: {exc}") from exc
    assert proc.stderr is not None
    stderr_pipe = proc.stderr
    lines: list[str] = []
    attached = threading.Event()

    def pump() -> None:
        for line in stderr_pipe:
            lines.append(line)
            if " attached" in line:
                attached.set()

    reader = threading.Thread(target=pump, name=f"strace-{pid}", daemon=True)
    reader.start()
    spawned = time.monotonic()
    try:
        # the interval starts once strace has attached (its "Process N attached" line)
        while proc.poll() is None and not attached.is_set():
            if time.monotonic() - spawned > ATTACH_TIMEOUT_S:
                break
            attached.wait(0.005)
        started = time.monotonic()
        exited_by_itself = True
        try:
            proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            exited_by_itself = False
            proc.send_signal(signal.SIGINT)  # strace detaches and prints the table
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                raise SyscallTraceError(
                    f"strace did not stop within {STOP_TIMEOUT_S:g} s of SIGINT"
                ) from None
        ended = time.monotonic()
    except BaseException:
        if proc.poll() is None:
            proc.kill()  # the kernel detaches the tracees of a dead tracer
            proc.wait()
        raise
    finally:
        reader.join(timeout=5)
        with contextlib.suppress(OSError):
            stderr_pipe.close()
    stderr = "".join(lines)
    failed = _ATTACH_FAILED.search(stderr) is not None
    try:
        rows, total = parse_strace_summary(stderr)
    except ValueError:
        if failed or not attached.is_set():
            raise _failure(pid, proc.returncode, stderr) from None
        # strace 6 prints no table when no syscall completed while it was attached
        # (a target blocked in one long call, e.g. wait4 or a sleep): an empty summary
        rows, total = [], SyscallStat("total", 0)
    if failed and total.calls == 0:
        raise _failure(pid, proc.returncode, stderr)
    rows.sort(key=lambda r: (-r.seconds, -r.calls, r.name))
    return SyscallSummary(
        pid=pid,
        requested_s=seconds,
        elapsed_s=ended - started,
        target_exited=exited_by_itself,
        time_kind="wall" if wall_clock else "system",
        rows=tuple(rows),
        total=total,
        strace_version=version,
        command=tuple(cmd),
    )
