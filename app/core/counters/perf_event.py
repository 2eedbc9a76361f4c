"""Hardware and software counters of one process through perf_event_open(2).

``PerfEventSource(pid)`` opens one counter per (event, thread) of the target,
each with ``inherit=1``, so every thread that exists at attach time is counted
and every thread started later is counted too: the kernel clones an inherited
counter into each new thread and folds its count into the parent counter (also
after the thread exits).  Where the kernel has ``inherit_thread`` (Linux ≥ 5.13)
only threads inherit, not child processes; on older kernels child processes
forked after attach are counted too (``counts_children`` says which).

Because of inheritance, ``read()`` must *not* open counters for threads it has
not seen before: those threads already feed the counter of the thread that
started them, and a second counter would count them twice.  The one gap would
be a thread started during the attach itself by a thread whose counter was not
open yet; the attach is therefore repeated until the thread list before it and
after it are the same.

Values are scaled for multiplexing as ``perf stat`` does: summed over threads,
then ``value * time_enabled / time_running``.  A counter with ``time_running ==
0`` while enabled was never on the PMU and has no estimate: it is left out of
that read and explained in ``notes``; ``coverage`` gives running/enabled.

When the target exits, its counters keep their final values.  The first
``read()`` that sees the target gone returns those final values and sets
``target_exited``; every later ``read()`` raises ``TargetGoneError``.  So
nothing counted is lost, and a reader loop stops on its own.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import platform
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass

from app.core.counters.base import CounterSpec, TargetGoneError, Unsupported

__all__ = ["EVENTS", "EventDef", "PerfEventAttr", "PerfEventSource", "probe"]

PERF_TYPE_HARDWARE = 0
PERF_TYPE_SOFTWARE = 1

PERF_FORMAT_TOTAL_TIME_ENABLED = 1 << 0
PERF_FORMAT_TOTAL_TIME_RUNNING = 1 << 1
PERF_FLAG_FD_CLOEXEC = 1 << 3

PERF_ATTR_SIZE_VER5 = 112
PERF_ATTR_SIZE_VER8 = 136

PARANOID_PATH = "/proc/sys/kernel/perf_event_paranoid"

# perf_event_open(2) per architecture (platform.machine() spelling).
SYSCALL_NR: dict[str, int] = {
    "x86_64": 298,
    "amd64": 298,
    "aarch64": 241,
    "arm64": 241,
    "riscv64": 241,
    "loongarch64": 241,
    "i386": 336,
    "i686": 336,
    "armv7l": 364,
    "armv6l": 364,
    "ppc64le": 319,
    "ppc64": 319,
    "s390x": 331,
}

_CAP_SYS_ADMIN = 21
_CAP_PERFMON = 38


@dataclass(frozen=True)
class EventDef:
    """One perf event: its counter name, perf type/config, unit and meaning."""

    name: str
    type: int
    config: int
    unit: str
    description: str
    kernel_only: bool = False  # happens only in kernel context: exclude_kernel reads 0

    @property
    def hardware(self) -> bool:
        return self.type == PERF_TYPE_HARDWARE

    def spec(self, note: str = "") -> CounterSpec:
        return CounterSpec(self.name, self.unit, "delta", self.description + note)


def _hw(event: str, config: int, description: str) -> EventDef:
    return EventDef(f"perf.{event}", PERF_TYPE_HARDWARE, config, "count", description)


def _sw(
    event: str, config: int, unit: str, description: str, kernel_only: bool = False
) -> EventDef:
    return EventDef(f"perf.{event}", PERF_TYPE_SOFTWARE, config, unit, description, kernel_only)


EVENTS: tuple[EventDef, ...] = (
    _hw("cycles", 0, "CPU cycles spent running the process"),
    _hw("instructions", 1, "instructions retired"),
    _hw("cache-references", 2, "last-level cache accesses"),
    _hw("cache-misses", 3, "last-level cache misses"),
    _hw("branch-instructions", 4, "branch instructions retired"),
    _hw("branch-misses", 5, "mispredicted branches"),
    _hw("stalled-cycles-frontend", 7, "cycles the front end delivered no instructions"),
    _hw("stalled-cycles-backend", 8, "cycles the back end could not accept instructions"),
    _sw("task-clock", 1, "ns", "CPU time of all the process's threads"),
    _sw("context-switches", 3, "count", "context switches (voluntary and involuntary)", True),
    _sw("cpu-migrations", 4, "count", "moves of a thread from one CPU to another", True),
    _sw("page-faults", 2, "count", "page faults (minor and major)"),
    _sw("minor-faults", 5, "count", "page faults served without I/O"),
    _sw("major-faults", 6, "count", "page faults that needed I/O"),
)

_EVENTS_BY_NAME = {e.name: e for e in EVENTS}


class PerfEventAttr(ctypes.Structure):
    """``struct perf_event_attr`` up to PERF_ATTR_SIZE_VER8 (136 bytes)."""

    _fields_ = [
        ("type", ctypes.c_uint32),
        ("size", ctypes.c_uint32),
        ("config", ctypes.c_uint64),
        ("sample_period", ctypes.c_uint64),
        ("sample_type", ctypes.c_uint64),
        ("read_format", ctypes.c_uint64),
        ("disabled", ctypes.c_uint64, 1),
        ("inherit", ctypes.c_uint64, 1),
        ("pinned", ctypes.c_uint64, 1),
        ("exclusive", ctypes.c_uint64, 1),
        ("exclude_user", ctypes.c_uint64, 1),
        ("exclude_kernel", ctypes.c_uint64, 1),
        ("exclude_hv", ctypes.c_uint64, 1),
        ("exclude_idle", ctypes.c_uint64, 1),
        ("mmap", ctypes.c_uint64, 1),
        ("comm", ctypes.c_uint64, 1),
        ("freq", ctypes.c_uint64, 1),
        ("inherit_stat", ctypes.c_uint64, 1),
        ("enable_on_exec", ctypes.c_uint64, 1),
        ("task", ctypes.c_uint64, 1),
        ("watermark", ctypes.c_uint64, 1),
        ("precise_ip", ctypes.c_uint64, 2),
        ("mmap_data", ctypes.c_uint64, 1),
        ("sample_id_all", ctypes.c_uint64, 1),
        ("exclude_host", ctypes.c_uint64, 1),
        ("exclude_guest", ctypes.c_uint64, 1),
        ("exclude_callchain_kernel", ctypes.c_uint64, 1),
        ("exclude_callchain_user", ctypes.c_uint64, 1),
        ("mmap2", ctypes.c_uint64, 1),
        ("comm_exec", ctypes.c_uint64, 1),
        ("use_clockid", ctypes.c_uint64, 1),
        ("context_switch", ctypes.c_uint64, 1),
        ("write_backward", ctypes.c_uint64, 1),
        ("namespaces", ctypes.c_uint64, 1),
        ("ksymbol", ctypes.c_uint64, 1),
        ("bpf_event", ctypes.c_uint64, 1),
        ("aux_output", ctypes.c_uint64, 1),
        ("cgroup", ctypes.c_uint64, 1),
        ("text_poke", ctypes.c_uint64, 1),
        ("build_id", ctypes.c_uint64, 1),
        ("inherit_thread", ctypes.c_uint64, 1),
        ("remove_on_exec", ctypes.c_uint64, 1),
        ("sigtrap", ctypes.c_uint64, 1),
        ("reserved_1", ctypes.c_uint64, 26),
        ("wakeup_events", ctypes.c_uint32),
        ("bp_type", ctypes.c_uint32),
        ("config1", ctypes.c_uint64),
        ("config2", ctypes.c_uint64),
        ("branch_sample_type", ctypes.c_uint64),
        ("sample_regs_user", ctypes.c_uint64),
        ("sample_stack_user", ctypes.c_uint32),
        ("clockid", ctypes.c_int32),
        ("sample_regs_intr", ctypes.c_uint64),
        ("aux_watermark", ctypes.c_uint32),
        ("sample_max_stack", ctypes.c_uint16),
        ("reserved_2", ctypes.c_uint16),
        ("aux_sample_size", ctypes.c_uint32),
        ("reserved_3", ctypes.c_uint32),
        ("sig_data", ctypes.c_uint64),
        ("config3", ctypes.c_uint64),
    ]


assert ctypes.sizeof(PerfEventAttr) == PERF_ATTR_SIZE_VER8

_READ = struct.Struct("=QQQ")  # value, time_enabled, time_running


class _Syscall:
    """perf_event_open through libc's syscall(2); None where it cannot exist."""

    def __init__(self) -> None:
        self.nr = SYSCALL_NR.get(platform.machine().lower())
        self.why_not = ""
        self._fn: Callable[..., int] | None = None
        if not sys.platform.startswith("linux"):
            self.why_not = f"perf_event_open is Linux only (this system is {sys.platform})"
            return
        if self.nr is None:
            self.why_not = (
                f"the perf_event_open syscall number for {platform.machine()} is not known"
            )
            return
        fn = ctypes.CDLL(None, use_errno=True).syscall
        fn.restype = ctypes.c_long
        fn.argtypes = [
            ctypes.c_long,
            ctypes.POINTER(PerfEventAttr),
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_ulong,
        ]
        self._fn = fn

    def open(self, attr: PerfEventAttr, tid: int) -> int:
        """One counter on ``tid`` (any CPU); raises OSError with the errno."""
        if self._fn is None or self.nr is None:
            raise OSError(errno.ENOSYS, self.why_not)
        fd = int(self._fn(self.nr, ctypes.byref(attr), tid, -1, -1, PERF_FLAG_FD_CLOEXEC))
        if fd < 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))
        return fd


_SYSCALL: _Syscall | None = None


def _syscall() -> _Syscall:
    global _SYSCALL
    if _SYSCALL is None:
        _SYSCALL = _Syscall()
    return _SYSCALL


def make_attr(
    event: EventDef, *, user_only: bool = False, inherit_thread: bool = True
) -> PerfEventAttr:
    """The attr for one counting (not sampling) event, enabled at once."""
    attr = PerfEventAttr()
    attr.type = event.type
    attr.size = ctypes.sizeof(PerfEventAttr)
    attr.config = event.config
    attr.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING
    attr.disabled = 0
    attr.inherit = 1
    attr.inherit_thread = 1 if inherit_thread else 0
    attr.exclude_kernel = 1 if user_only else 0
    attr.exclude_hv = 1 if user_only else 0
    return attr


# ---------------------------------------------------------------- the machine


def paranoid_level() -> int | None:
    """kernel.perf_event_paranoid, or None where it cannot be read."""
    try:
        with open(PARANOID_PATH) as fh:
            return int(fh.read().strip())
    except (OSError, ValueError):
        return None


def _has_capability(bit: int) -> bool:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("CapEff:"):
                    return bool(int(line.split()[1], 16) >> bit & 1)
    except (OSError, ValueError, IndexError):
        pass
    return False


def _privileged() -> bool:
    return os.geteuid() == 0 or _has_capability(_CAP_PERFMON) or _has_capability(_CAP_SYS_ADMIN)


def _virtual_machine() -> bool:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("flags") and " hypervisor" in line:
                    return True
    except OSError:
        pass
    return os.path.exists("/sys/hypervisor/type")


def _proc_owner(pid: int) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/PID/stat after the command name: [state, ppid, …]; None if absent."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            raw = fh.read()
    except OSError:
        return None
    return raw[raw.rfind(b")") + 2 :].decode("ascii", "replace").split()


def _tids(pid: int) -> list[int]:
    try:
        return sorted(int(t) for t in os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return []


_FIX_PERMISSION = (
    "sudo sysctl kernel.perf_event_paranoid=1, or give the profiler CAP_PERFMON "
    "(Linux ≥ 5.8) or CAP_SYS_ADMIN (e.g. sudo setcap cap_perfmon+ep on its Python)"
)
_FIX_PMU = "run on bare metal or enable PMU passthrough (e.g. KVM -cpu host)"


def explain(event: EventDef, err: int, pid: int, *, hw_opened: bool = False) -> Unsupported:
    """Why ``event`` cannot be counted on ``pid`` (errno ``err``), and the fix."""
    code = errno.errorcode.get(err, str(err))
    if err in (errno.ENOENT, errno.EOPNOTSUPP, errno.ENODEV):
        if event.hardware and hw_opened:
            return Unsupported(
                event.name,
                f"not supported by this CPU ({code}: its PMU has no generic "
                f"'{event.name[5:]}' event, though other hardware events work)",
                "",
            )
        if event.hardware:
            where = (
                "this machine is a virtual machine without a virtual PMU"
                if _virtual_machine()
                else "no hardware PMU driver is loaded for this CPU"
            )
            return Unsupported(
                event.name,
                f"not supported by this CPU, VM or kernel ({code}: {where})",
                _FIX_PMU,
            )
        return Unsupported(
            event.name,
            f"not supported by this CPU, VM or kernel ({code}: this kernel has no such "
            "software event)",
            "",
        )
    if err in (errno.EACCES, errno.EPERM):
        level = paranoid_level()
        owner = _proc_owner(pid)
        me = os.geteuid()
        if _privileged():
            return Unsupported(
                event.name,
                f"permission denied ({code}) although this process is privileged: a seccomp "
                "or security-module policy (a container's, SELinux, AppArmor) blocks "
                "perf_event_open",
                "allow perf_event_open in the sandbox (e.g. docker run --cap-add PERFMON "
                "with a seccomp profile that permits it)",
            )
        parts = [f"permission denied ({code})"]
        if level is None:
            parts.append(f"{PARANOID_PATH} cannot be read")
        else:
            meaning = {
                -1: "no restrictions",
                0: "no raw tracepoints for unprivileged users",
                1: "no CPU-wide events for unprivileged users",
                2: "unprivileged users may count only user space of their own processes",
            }.get(level, "perf events are forbidden to unprivileged users")
            parts.append(f"kernel.perf_event_paranoid is {level} ({PARANOID_PATH}: {meaning})")
        if owner is not None and owner != me:
            parts.append(f"process {pid} belongs to uid {owner}, not to you (uid {me})")
            fix = f"run as uid {owner} or as root; or {_FIX_PERMISSION}"
        else:
            fix = _FIX_PERMISSION
        return Unsupported(event.name, "; ".join(parts), fix)
    if err == errno.ENOSYS:
        return Unsupported(
            event.name,
            "perf_event_open is not available (kernel or seccomp): ENOSYS",
            "use a kernel built with CONFIG_PERF_EVENTS, or allow the syscall in the "
            "seccomp policy",
        )
    if err in (errno.EMFILE, errno.ENFILE):
        return Unsupported(
            event.name,
            f"too many open files ({code}): one counter per thread and event is needed",
            "raise the open-file limit (ulimit -n)",
        )
    if err == errno.EBUSY:
        return Unsupported(event.name, "the PMU is in exclusive use by another program (EBUSY)", "")
    return Unsupported(event.name, f"perf_event_open failed: {code} ({os.strerror(err)})", "")


def _kernel_only_unsupported(event: EventDef) -> Unsupported:
    level = paranoid_level()
    return Unsupported(
        event.name,
        f"{event.name[5:]} happen only in the kernel, and kernel.perf_event_paranoid="
        f"{'?' if level is None else level} ({PARANOID_PATH}) lets this user count user "
        "space only (kernel counting is EACCES), so it would always read 0",
        _FIX_PERMISSION,
    )


def _raise_nofile_limit() -> bool:
    """Raise the soft open-file limit to the hard one; True if it grew."""
    import resource  # Unix only; this module must import everywhere

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        new = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        except (OSError, ValueError):
            return False
        return new > soft
    return False


# ------------------------------------------------------------------- the source


class PerfEventSource:
    """perf_event counters of process ``pid`` and all its threads."""

    source = "perf"

    def __init__(self, pid: int, events: tuple[EventDef, ...] = EVENTS) -> None:
        self.pid = pid
        self.target_exited = False
        self.user_only = False  # counters exclude the kernel (paranoid=2, unprivileged)
        self.counts_children = False  # old kernel: no inherit_thread, forks inherit
        self.threads_at_attach = 0
        self.attach_tries = 0
        self.coverage: dict[str, float] = {}  # running/enabled per counter, last read
        self.notes: dict[str, str] = {}  # counters left out of the last read, and why
        self._events = events
        self._fds: dict[str, list[int]] = {}
        self._specs: list[CounterSpec] = []
        self._unsupported: list[Unsupported] = []
        self._inherit_thread = True
        self._user_mode = False
        self._closed = False

        self._starttime = ""
        sc = _syscall()
        self._available = not sc.why_not
        if not self._available:
            self._unsupported = [Unsupported(e.name, sc.why_not, "") for e in events]
            return
        stat = _stat_fields(pid)
        if stat is None:
            raise TargetGoneError(f"process {pid} does not exist")
        self._starttime = stat[19] if len(stat) > 19 else ""
        try:
            self._attach()
        except BaseException:
            self.close()
            raise

    # -- attach

    def _attach(self, tries: int = 5) -> None:
        for attempt in range(1, tries + 1):
            self.attach_tries = attempt
            before = _tids(self.pid)
            if not before:
                raise TargetGoneError(f"process {self.pid} does not exist (it has exited)")
            self._open_all(before)
            after = _tids(self.pid)
            if set(after) <= set(before) or not self._fds or attempt == tries:
                # On the last try with threads still churning, a thread started during
                # the attach by a not-yet-counted thread may be missed (microseconds).
                self.threads_at_attach = len(after)
                return
            # A thread appeared during the attach: it may have been started by a
            # thread whose counters were not open yet, so it may be uncounted.
            # Start again (closing the counters drops their inherited copies).
            self._close_fds()

    def _open_all(self, tids: list[int]) -> None:
        self._fds = {}
        self._specs = []
        self._unsupported = []
        hw_opened = False
        for event in self._events:
            fds, problem = self._open_event(event, tids, hw_opened)
            if problem is not None:
                self._unsupported.append(problem)
                continue
            self._fds[event.name] = fds
            hw_opened = hw_opened or event.hardware
            self._specs.append(event.spec(self._spec_note(event)))
        self.user_only = self._user_mode and bool(self._fds)
        if hw_opened:  # a hardware event may have failed before the first one opened
            self._unsupported = [
                explain(_EVENTS_BY_NAME[u.name], errno.ENOENT, self.pid, hw_opened=True)
                if u.name in _EVENTS_BY_NAME
                and _EVENTS_BY_NAME[u.name].hardware
                and u.reason.startswith("not supported")
                else u
                for u in self._unsupported
            ]

    def _spec_note(self, event: EventDef) -> str:
        if not self._user_mode or event.name == "perf.task-clock":
            return ""  # task-clock counts kernel time whatever exclude_kernel says
        return (
            f" (user space only: kernel.perf_event_paranoid={paranoid_level()} hides kernel "
            "activity from this user)"
        )

    def _open_one(self, event: EventDef, tid: int) -> int:
        """One fd; settles user_only / inherit_thread on the way."""
        while True:
            attr = make_attr(event, user_only=self._user_mode, inherit_thread=self._inherit_thread)
            try:
                return _syscall().open(attr, tid)
            except OSError as exc:
                err = exc.errno or 0
                if err in (errno.EACCES, errno.EPERM) and not self._user_mode and not _privileged():
                    # perf_event_paranoid >= 2: unprivileged users may count user space only.
                    self._user_mode = True
                    try:
                        return self._open_one(event, tid)
                    except OSError as again:
                        if again.errno in (errno.EACCES, errno.EPERM):
                            self._user_mode = False  # not the reason: report the first error
                            raise exc from None
                        raise
                if err == errno.EINVAL and self._inherit_thread:
                    self._inherit_thread = False  # kernel < 5.13 has no inherit_thread
                    self.counts_children = True
                    continue
                if err in (errno.EMFILE, errno.ENFILE) and _raise_nofile_limit():
                    continue
                raise

    def _open_event(
        self, event: EventDef, tids: list[int], hw_opened: bool
    ) -> tuple[list[int], Unsupported | None]:
        fds: list[int] = []
        live = 0
        for tid in tids:
            try:
                fds.append(self._open_one(event, tid))
                live += 1
            except OSError as exc:
                err = exc.errno or 0
                if err == errno.ESRCH:
                    continue  # that thread just exited
                for fd in fds:
                    os.close(fd)
                return [], explain(event, err, self.pid, hw_opened=hw_opened)
        if live == 0:
            raise TargetGoneError(f"process {self.pid} does not exist (it has exited)")
        if self._user_mode and event.kernel_only:
            for fd in fds:
                os.close(fd)
            return [], _kernel_only_unsupported(event)
        return fds, None

    # -- the protocol

    def specs(self) -> list[CounterSpec]:
        return list(self._specs)

    def unsupported(self) -> list[Unsupported]:
        return list(self._unsupported)

    def read(self) -> dict[str, float]:
        """Cumulative values since attach, scaled for multiplexing.

        The first read after the target has exited returns the final values and
        sets ``target_exited``; later reads raise TargetGoneError.
        """
        if self._closed:
            raise RuntimeError("read() on a closed PerfEventSource")
        if self.target_exited:
            self._gone_reported = True
            raise TargetGoneError(f"process {self.pid} has exited")
        if not self._available:
            return {}
        exited = not self._alive()  # before reading: then these are the final counts
        out: dict[str, float] = {}
        self.coverage = {}
        self.notes = {}
        unpack = _READ.unpack
        read = os.read
        for name, fds in self._fds.items():
            value = enabled = running = 0
            for fd in fds:
                raw = read(fd, 24)
                if len(raw) != 24:
                    continue  # event in error state: no value from that thread
                v, e, r = unpack(raw)
                value += v
                enabled += e
                running += r
            if running == enabled:
                out[name] = float(value)
                self.coverage[name] = 1.0
            elif running == 0:
                self.coverage[name] = 0.0
                self.notes[name] = (
                    "not counted: enabled but never scheduled on the PMU (time_running is 0; "
                    "too many events share the counters)"
                )
            else:
                out[name] = value * enabled / running
                self.coverage[name] = running / enabled
        if exited:
            self.target_exited = True
        return out

    def close(self) -> None:
        self._close_fds()
        self._closed = True

    # -- helpers

    def _close_fds(self) -> None:
        for fds in self._fds.values():
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._fds = {}

    def _alive(self) -> bool:
        stat = _stat_fields(self.pid)
        if stat is None or (len(stat) > 19 and stat[19] != self._starttime):
            return False  # gone (reaped), or the PID now belongs to another process
        if stat[0] not in ("Z", "X"):
            return True
        # The leader is a zombie: the process lives on while another thread runs.
        for tid in _tids(self.pid):
            if tid != self.pid:
                t = _stat_fields(tid)
                if t is not None and t[0] not in ("Z", "X"):
                    return True
        return False

    def fd_count(self) -> int:
        return sum(len(fds) for fds in self._fds.values())

    def __enter__(self) -> PerfEventSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            self._close_fds()


def probe(pid: int | None = None) -> tuple[list[CounterSpec], list[Unsupported]]:
    """What this machine can count, tried on ``pid`` (default: this process)."""
    with PerfEventSource(os.getpid() if pid is None else pid) as src:
        return src.specs(), src.unsupported()
