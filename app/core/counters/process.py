"""Process counters from psutil: CPU time, memory, threads, context switches, I/O, files.

``ProcessSource(pid)`` (source ``"proc"``) reads, in one ``psutil`` ``oneshot()``:

========================  ======  =====  ==============================================
name                      unit    kind   what
========================  ======  =====  ==============================================
proc.cpu-user             s       delta  CPU time in user mode (all threads)
proc.cpu-system           s       delta  CPU time in kernel mode (all threads)
proc.rss                  bytes   gauge  resident set size
proc.uss                  bytes   gauge  unique set size (memory freed if it exited)
proc.threads              count   gauge  number of threads
proc.ctx-voluntary        count   delta  voluntary context switches (waits: I/O, locks)
proc.ctx-involuntary      count   delta  involuntary context switches (preemption)
proc.io-read              bytes   delta  bytes fetched from the storage layer
proc.io-write             bytes   delta  bytes sent to the storage layer
proc.io-read-chars        bytes   delta  bytes passed to read()-like calls (Linux rchar)
proc.io-write-chars       bytes   delta  bytes passed to write()-like calls (Linux wchar)
proc.open-files           count   gauge  regular files open
========================  ======  =====  ==============================================

CPU % per window is derived by the caller from the deltas:
``100 * Δproc.cpu-user / Δwall`` (may exceed 100 with several busy threads).

A counter that this platform, psutil or the permissions cannot give is listed by
``unsupported()`` with the reason: ``io_counters`` is absent on macOS and needs
ptrace-read permission on Linux; ``memory_full_info`` (USS) parses
``/proc/PID/smaps_rollup``, whose cost grows with the target's resident memory, so
it is measured when the source opens and left out when it costs more than
``uss_budget_s`` (2 ms by default) per read or is denied.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import psutil

from app.core.counters.base import CounterSpec, TargetGoneError, Unsupported

USS_BUDGET_S = 0.002
_SLOW_READS_BEFORE_DROP = 3


@dataclass(frozen=True)
class _Group:
    """psutil call(s) that produce some counters, with their specs."""

    key: str
    specs: tuple[CounterSpec, ...]


_CPU = _Group(
    "cpu",
    (
        CounterSpec("proc.cpu-user", "s", "delta", "CPU time spent in user mode, all threads"),
        CounterSpec("proc.cpu-system", "s", "delta", "CPU time spent in the kernel, all threads"),
    ),
)
_RSS = _Group("rss", (CounterSpec("proc.rss", "bytes", "gauge", "resident set size (RSS)"),))
_USS = _Group(
    "uss",
    (
        CounterSpec(
            "proc.uss",
            "bytes",
            "gauge",
            "unique set size: memory private to the process (freed if it exited)",
        ),
    ),
)
_THREADS = _Group("threads", (CounterSpec("proc.threads", "count", "gauge", "number of threads"),))
_CTX = _Group(
    "ctx",
    (
        CounterSpec(
            "proc.ctx-voluntary",
            "count",
            "delta",
            "voluntary context switches (the process waited: I/O, locks, sleep)",
        ),
        CounterSpec(
            "proc.ctx-involuntary",
            "count",
            "delta",
            "involuntary context switches (the scheduler preempted it)",
        ),
    ),
)
_IO = _Group(
    "io",
    (
        CounterSpec("proc.io-read", "bytes", "delta", "bytes read from the storage layer (disk)"),
        CounterSpec("proc.io-write", "bytes", "delta", "bytes written to the storage layer (disk)"),
    ),
)
_IO_CHARS = _Group(
    "io-chars",
    (
        CounterSpec(
            "proc.io-read-chars",
            "bytes",
            "delta",
            "bytes passed to read()-like calls, page cache and pipes included",
        ),
        CounterSpec(
            "proc.io-write-chars",
            "bytes",
            "delta",
            "bytes passed to write()-like calls, page cache and pipes included",
        ),
    ),
)
_FILES = _Group("files", (CounterSpec("proc.open-files", "count", "gauge", "regular files open"),))

_PTRACE_FIX = (
    "run sovprof as the target's user (or root), or grant it CAP_SYS_PTRACE; "
    "with Yama, kernel.yama.ptrace_scope must allow it"
)


def _gone(pid: int, why: str = "exited") -> TargetGoneError:
    return TargetGoneError(f"process {pid} is gone ({why}); its counters stop here")


class ProcessSource:
    """psutil counters of one process (see the module docstring for the names)."""

    source = "proc"

    def __init__(self, pid: int, *, uss_budget_s: float = USS_BUDGET_S) -> None:
        self.pid = pid
        self.uss_budget_s = uss_budget_s
        try:
            self._proc = psutil.Process(pid)
        except psutil.NoSuchProcess as exc:
            raise TargetGoneError(f"no process with PID {pid}") from exc
        except psutil.AccessDenied as exc:  # pragma: no cover - not on Linux
            raise PermissionError(f"not allowed to inspect PID {pid}: {_PTRACE_FIX}") from exc
        self._groups: list[_Group] = []
        self._unsupported: list[Unsupported] = []
        self._uss_slow = 0
        self.uss_cost_s: float | None = None  # measured at opening
        self._closed = False
        self._probe()

    # -- opening ------------------------------------------------------------------

    def _probe(self) -> None:
        """Try each group once; keep what works, explain what does not."""
        p = self._proc
        self._check_alive()
        probes: list[tuple[_Group, Callable[[], object]]] = [
            (_CPU, p.cpu_times),
            (_RSS, p.memory_info),
            (_THREADS, p.num_threads),
            (_CTX, p.num_ctx_switches),
        ]
        for group, call in probes:
            self._try(group, call)
        self._probe_io()
        self._probe_uss()
        self._try(_FILES, p.open_files)

    def _try(self, group: _Group, call: Callable[[], object]) -> object | None:
        try:
            value = call()
        except psutil.ZombieProcess as exc:
            raise _gone(self.pid, "zombie: it exited and waits to be reaped") from exc
        except psutil.NoSuchProcess as exc:
            raise _gone(self.pid) from exc
        except psutil.AccessDenied:
            self._deny(group, f"permission denied reading it for PID {self.pid}", _PTRACE_FIX)
            return None
        except (NotImplementedError, AttributeError) as exc:
            self._deny(group, f"not available on this platform ({exc or 'psutil'})", "")
            return None
        self._groups.append(group)
        return value

    def _deny(self, group: _Group, reason: str, fix: str) -> None:
        for spec in group.specs:
            self._unsupported.append(Unsupported(spec.name, reason, fix))

    def _probe_io(self) -> None:
        if not hasattr(self._proc, "io_counters"):
            self._deny(_IO, "psutil has no io_counters() on this platform", "")
            self._deny(_IO_CHARS, "psutil has no io_counters() on this platform", "")
            return
        io = self._try(_IO, self._proc.io_counters)
        if io is None:
            self._deny(_IO_CHARS, "io_counters() is not readable (see proc.io-read)", "")
        elif hasattr(io, "read_chars"):
            self._groups.append(_IO_CHARS)
        else:
            self._deny(_IO_CHARS, "only Linux reports rchar/wchar", "")

    def _probe_uss(self) -> None:
        p = self._proc
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            try:
                p.memory_full_info()
            except psutil.ZombieProcess as exc:
                raise _gone(self.pid, "zombie: it exited and waits to be reaped") from exc
            except psutil.NoSuchProcess as exc:
                raise _gone(self.pid) from exc
            except psutil.AccessDenied:
                self._deny(
                    _USS,
                    f"permission denied reading /proc/{self.pid}/smaps (memory_full_info)",
                    _PTRACE_FIX,
                )
                return
            except (NotImplementedError, AttributeError) as exc:
                self._deny(_USS, f"memory_full_info() not available here ({exc})", "")
                return
            best = min(best, time.perf_counter() - t0)
            if best > 10 * self.uss_budget_s:
                break  # clearly too slow: do not pay for it twice more
        self.uss_cost_s = best
        if best > self.uss_budget_s:
            self._deny(_USS, self._uss_too_slow(best), "pass a larger uss_budget_s to accept it")
            return
        self._groups.append(_USS)

    def _uss_too_slow(self, cost: float) -> str:
        return (
            f"memory_full_info() costs {cost * 1e3:.1f} ms per read "
            f"(> {self.uss_budget_s * 1e3:.1f} ms budget): it walks the whole address space"
        )

    # -- the protocol ---------------------------------------------------------------

    def specs(self) -> list[CounterSpec]:
        return [s for g in self._groups for s in g.specs]

    def unsupported(self) -> list[Unsupported]:
        return list(self._unsupported)

    def _check_alive(self) -> None:
        """Raise TargetGoneError for a vanished, reused or zombie PID."""
        try:
            if not self._proc.is_running():
                raise _gone(self.pid, "exited, or its PID now belongs to another process")
            if self._proc.status() == psutil.STATUS_ZOMBIE:
                raise _gone(self.pid, "zombie: it exited and waits to be reaped")
        except psutil.ZombieProcess as exc:
            raise _gone(self.pid, "zombie: it exited and waits to be reaped") from exc
        except psutil.NoSuchProcess as exc:
            raise _gone(self.pid) from exc

    def read(self) -> dict[str, float]:
        if self._closed:
            raise RuntimeError("ProcessSource is closed")
        out: dict[str, float] = {}
        p = self._proc
        try:
            with p.oneshot():
                self._check_alive()
                for group in list(self._groups):
                    if group is _IO_CHARS:
                        continue  # read along with _IO
                    try:
                        self._read_group(group, out)
                    except psutil.AccessDenied:
                        # Rights changed under us (setuid…): stop claiming this counter.
                        lost = [group, _IO_CHARS] if group is _IO else [group]
                        for g in lost:
                            if g in self._groups:
                                self._groups.remove(g)
                                self._deny(g, "permission denied since it opened", _PTRACE_FIX)
        except psutil.ZombieProcess as exc:
            raise _gone(self.pid, "zombie: it exited and waits to be reaped") from exc
        except psutil.NoSuchProcess as exc:
            raise _gone(self.pid) from exc
        return out

    def _read_group(self, group: _Group, out: dict[str, float]) -> None:
        p = self._proc
        key = group.key
        if key == "cpu":
            cpu = p.cpu_times()
            out["proc.cpu-user"] = float(cpu.user)
            out["proc.cpu-system"] = float(cpu.system)
        elif key == "rss":
            out["proc.rss"] = float(p.memory_info().rss)
        elif key == "uss":
            t0 = time.perf_counter()
            out["proc.uss"] = float(p.memory_full_info().uss)
            cost = time.perf_counter() - t0
            self._uss_slow = self._uss_slow + 1 if cost > self.uss_budget_s else 0
            if self._uss_slow >= _SLOW_READS_BEFORE_DROP:
                self._groups.remove(group)
                self._deny(group, self._uss_too_slow(cost) + " (it grew since opening)", "")
        elif key == "threads":
            out["proc.threads"] = float(p.num_threads())
        elif key == "ctx":
            ctx = p.num_ctx_switches()
            out["proc.ctx-voluntary"] = float(ctx.voluntary)
            out["proc.ctx-involuntary"] = float(ctx.involuntary)
        elif key == "io":
            io = p.io_counters()
            out["proc.io-read"] = float(io.read_bytes)
            out["proc.io-write"] = float(io.write_bytes)
            if _IO_CHARS in self._groups:
                out["proc.io-read-chars"] = float(io.read_chars)
                out["proc.io-write-chars"] = float(io.write_chars)
        elif key == "files":
            out["proc.open-files"] = float(len(p.open_files()))

    def close(self) -> None:
        self._closed = True
