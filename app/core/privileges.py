"""What this user may profile here, and the least-privileged ways to be allowed more.

Two different processes need permissions:

- **py-spy** reads the target's memory (``process_vm_readv``) and, unless
  ``--nonblocking``, pauses it with ``ptrace``.  The kernel checks py-spy's
  credentials: same user, or ``CAP_SYS_PTRACE``; then Yama
  (``kernel.yama.ptrace_scope``) may restrict even that: 1 allows only the
  tracer's descendants (or a tracee that declared the tracer with
  ``prctl(PR_SET_PTRACER)``), 2 only ``CAP_SYS_PTRACE``, 3 nobody.
- **sovprof itself** opens the perf_event counters, so ``perf_event_paranoid``
  and sovprof's own ``CAP_PERFMON`` / ``CAP_SYS_ADMIN`` decide those.

``gather()`` reads the facts (sysctls, capability sets, py-spy's file
capabilities, the PMUs, a live counter probe); ``assess()`` is a pure function
from those facts to a ``PrivilegeReport``: what works now and the options, in
order of least privilege.  The GUI is never to be run elevated: every option
elevates only py-spy, or changes one kernel setting.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "CAP_NAMES",
    "Ability",
    "Facts",
    "FileCaps",
    "Option",
    "PrivilegeReport",
    "TargetFacts",
    "allow_tracing_by",
    "assess",
    "cap_names",
    "gather",
    "hardware_pmus",
    "parse_getcap",
    "parse_status_caps",
    "parse_vfs_cap",
    "pyspy_file_caps",
    "report",
    "target_facts",
]

YAMA_PATH = "/proc/sys/kernel/yama/ptrace_scope"
PARANOID_PATH = "/proc/sys/kernel/perf_event_paranoid"
EVENT_SOURCES = "/sys/bus/event_source/devices"

CAP_SYS_PTRACE = 19
CAP_SYS_ADMIN = 21
CAP_PERFMON = 38

# linux/capability.h, in bit order.
CAP_NAMES: tuple[str, ...] = (
    "cap_chown",
    "cap_dac_override",
    "cap_dac_read_search",
    "cap_fowner",
    "cap_fsetid",
    "cap_kill",
    "cap_setgid",
    "cap_setuid",
    "cap_setpcap",
    "cap_linux_immutable",
    "cap_net_bind_service",
    "cap_net_broadcast",
    "cap_net_admin",
    "cap_net_raw",
    "cap_ipc_lock",
    "cap_ipc_owner",
    "cap_sys_module",
    "cap_sys_rawio",
    "cap_sys_chroot",
    "cap_sys_ptrace",
    "cap_sys_pacct",
    "cap_sys_admin",
    "cap_sys_boot",
    "cap_sys_nice",
    "cap_sys_resource",
    "cap_sys_time",
    "cap_sys_tty_config",
    "cap_mknod",
    "cap_lease",
    "cap_audit_write",
    "cap_audit_control",
    "cap_setfcap",
    "cap_mac_override",
    "cap_mac_admin",
    "cap_syslog",
    "cap_wake_alarm",
    "cap_block_suspend",
    "cap_audit_read",
    "cap_perfmon",
    "cap_bpf",
    "cap_checkpoint_restore",
)
_CAP_BITS = {name: bit for bit, name in enumerate(CAP_NAMES)}

# vfs_cap_data (linux/capability.h): a little-endian magic word, then
# (permitted, inheritable) 32-bit pairs; revision 3 appends the namespace root uid.
_VFS_CAP_REVISION_MASK = 0xFF000000
_VFS_CAP_FLAGS_EFFECTIVE = 0x000001
_VFS_CAP_REVISIONS = {0x01000000: 1, 0x02000000: 2, 0x03000000: 2}

PR_SET_PTRACER = 0x59616D61

# Event sources that are a CPU's hardware PMU (x86, hybrid x86, Arm, RISC-V).
_PMU_PREFIXES = ("cpu_", "armv", "arm_cortex", "riscv")


# -- parsers (pure) -----------------------------------------------------------


def cap_names(mask: int) -> list[str]:
    """The capability names set in ``mask`` (unknown bits as ``cap_N``)."""
    return [
        CAP_NAMES[bit] if bit < len(CAP_NAMES) else f"cap_{bit}"
        for bit in range(mask.bit_length())
        if mask >> bit & 1
    ]


def parse_status_caps(status: str) -> dict[str, int]:
    """The ``Cap*:`` masks of a ``/proc/PID/status`` text: {"CapEff": mask, …}."""
    out: dict[str, int] = {}
    for line in status.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.startswith("Cap"):
            try:
                out[key] = int(value.strip(), 16)
            except ValueError:
                continue
    return out


@dataclass(frozen=True)
class FileCaps:
    """File capabilities of an executable (``security.capability``)."""

    permitted: int = 0
    inheritable: int = 0
    effective: bool = False
    rootid: int | None = None

    def grants(self, cap: int) -> bool:
        """Whether executing the file raises ``cap`` into the effective set."""
        return self.effective and bool(self.permitted >> cap & 1)

    def text(self) -> str:
        """getcap's spelling, e.g. ``cap_sys_ptrace=ep``; "" when none."""
        names = cap_names(self.permitted | self.inheritable)
        if not names:
            return ""
        flags = ("e" if self.effective else "") + "p"
        if self.inheritable:
            flags += "i"
        return ",".join(names) + "=" + flags


def parse_vfs_cap(raw: bytes) -> FileCaps:
    """Decode a ``security.capability`` extended attribute (vfs_cap_data)."""
    if len(raw) < 4:
        raise ValueError("security.capability is shorter than its header")
    magic = int.from_bytes(raw[:4], "little")
    pairs = _VFS_CAP_REVISIONS.get(magic & _VFS_CAP_REVISION_MASK)
    if pairs is None:
        raise ValueError(f"unknown vfs_cap_data revision {magic & _VFS_CAP_REVISION_MASK:#x}")
    need = 4 + 8 * pairs
    if len(raw) < need:
        raise ValueError(f"security.capability has {len(raw)} bytes, needs {need}")
    permitted = inheritable = 0
    for i in range(pairs):
        off = 4 + 8 * i
        permitted |= int.from_bytes(raw[off : off + 4], "little") << (32 * i)
        inheritable |= int.from_bytes(raw[off + 4 : off + 8], "little") << (32 * i)
    rootid = None
    if magic & _VFS_CAP_REVISION_MASK == 0x03000000 and len(raw) >= need + 4:
        rootid = int.from_bytes(raw[need : need + 4], "little")
    return FileCaps(permitted, inheritable, bool(magic & _VFS_CAP_FLAGS_EFFECTIVE), rootid)


_CLAUSE_RE = re.compile(r"([a-z0-9_,]*)((?:[=+-][eip]*)+)")


def parse_getcap(line: str) -> FileCaps:
    """Parse one line of ``getcap FILE`` output, e.g. ``/x/py-spy cap_sys_ptrace=ep``.

    Accepts libcap's current format and the old ``FILE = caps+ep`` one; an empty
    output (no capabilities) gives an empty ``FileCaps``.
    """
    parts = line.strip().split(None, 1)
    if len(parts) < 2:
        return FileCaps()
    text = parts[1].strip()
    if text.startswith("= "):  # libcap < 2.30: "FILE = cap_x+ep"
        text = text[2:]
    sets = {"e": 0, "i": 0, "p": 0}
    for clause in text.split():
        m = _CLAUSE_RE.fullmatch(clause.lower())
        if not m:
            raise ValueError(f"cannot parse capability clause {clause!r}")
        names = [n for n in m.group(1).split(",") if n]
        mask = 0
        for name in names or ["all"]:
            if name == "all":
                mask |= (1 << len(CAP_NAMES)) - 1
            elif name in _CAP_BITS:
                mask |= 1 << _CAP_BITS[name]
            elif re.fullmatch(r"cap_\d+", name):
                mask |= 1 << int(name[4:])
            else:
                raise ValueError(f"unknown capability {name!r}")
        for op, flags in re.findall(r"([=+-])([eip]*)", m.group(2)):
            if op == "=":
                for f in sets:
                    sets[f] &= ~mask
            for f in flags:
                sets[f] = sets[f] & ~mask if op == "-" else sets[f] | mask
    return FileCaps(sets["p"], sets["i"], bool(sets["e"]))


# -- facts (read from the system) ---------------------------------------------


@dataclass(frozen=True)
class TargetFacts:
    """One process we might profile."""

    pid: int
    exists: bool
    uid: int | None = None
    descendant: bool = False  # started (directly or not) by this sovprof
    name: str = ""


@dataclass(frozen=True)
class Facts:
    """Everything ``assess`` needs, read once."""

    uid: int
    euid: int
    ptrace_scope: int | None  # None: no Yama LSM
    perf_event_paranoid: int | None
    cap_eff: int
    cap_bnd: int
    cap_amb: int
    pyspy: str | None
    pyspy_problem: str = ""
    pyspy_caps: FileCaps | None = None
    pyspy_caps_source: str = "none"  # "xattr", "getcap", "unreadable" or "none"
    pmus: tuple[str, ...] = ()
    counters_open: tuple[str, ...] = ()
    counters_unsupported: tuple[tuple[str, str], ...] = ()
    kernel: str = ""
    target: TargetFacts | None = None

    @property
    def root(self) -> bool:
        return self.euid == 0

    def self_has(self, cap: int) -> bool:
        """Whether this process (sovprof) has ``cap`` in effect."""
        return bool(self.cap_eff >> cap & 1)

    def pyspy_has(self, cap: int) -> bool:
        """Whether py-spy, started by this process, runs with ``cap`` in effect.

        Root's children get every capability of the bounding set; otherwise only
        file capabilities on py-spy or ambient capabilities cross ``execve``.
        """
        bounded = bool(self.cap_bnd >> cap & 1)
        if self.root:
            return bounded
        if self.pyspy_caps is not None and self.pyspy_caps.grants(cap) and bounded:
            return True
        return bool(self.cap_amb >> cap & 1)

    def perf_privileged(self) -> bool:
        return self.root or self.self_has(CAP_PERFMON) or self.self_has(CAP_SYS_ADMIN)


def read_int(path: str) -> int | None:
    try:
        return int(Path(path).read_text().strip())
    except (OSError, ValueError):
        return None


def pyspy_file_caps(path: str) -> tuple[FileCaps | None, str]:
    """py-spy's file capabilities and where they were read from."""
    getxattr = getattr(os, "getxattr", None)
    if getxattr is not None:
        try:
            return parse_vfs_cap(getxattr(path, "security.capability")), "xattr"
        except OSError as exc:
            if exc.errno == errno.ENODATA:
                return None, "xattr"
        except ValueError:
            pass
    getcap = shutil.which("getcap") or next(
        (p for p in ("/usr/sbin/getcap", "/sbin/getcap") if os.access(p, os.X_OK)), None
    )
    if getcap is None:
        return None, "unreadable"
    try:
        out = subprocess.run(
            [getcap, path], capture_output=True, text=True, timeout=5, check=False
        ).stdout
        caps = parse_getcap(out.strip().splitlines()[0]) if out.strip() else FileCaps()
    except (OSError, subprocess.SubprocessError, ValueError):
        return None, "unreadable"
    return (caps if caps.permitted or caps.inheritable else None), "getcap"


def hardware_pmus(root: str = EVENT_SOURCES) -> tuple[str, ...]:
    """The CPU PMUs the kernel exposes (``cpu``, ``cpu_core``, ``armv8_pmuv3_0``, …)."""
    try:
        names = sorted(os.listdir(root))
    except OSError:
        return ()
    return tuple(n for n in names if n == "cpu" or n.startswith(_PMU_PREFIXES))


def _probe_counters() -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Open every perf_event counter on this process: what opens, and why not."""
    try:
        from app.core.counters import perf_event

        specs, unsupported = perf_event.probe()
    except Exception as exc:  # a probe must never break the report
        return (), (("perf", f"probe failed: {type(exc).__name__}: {exc}"),)
    return tuple(s.name for s in specs), tuple((u.name, u.reason) for u in unsupported)


def target_facts(pid: int) -> TargetFacts:
    """Who owns ``pid`` and whether this process started it."""
    import psutil

    try:
        proc = psutil.Process(pid)
        uid = proc.uids().real
        name = proc.name()
        descendant = any(p.pid == os.getpid() for p in proc.parents())
    except psutil.NoSuchProcess:
        return TargetFacts(pid, False)
    except psutil.Error:
        return TargetFacts(pid, True)
    return TargetFacts(pid, True, uid, descendant, name)


def gather(pid: int | None = None) -> Facts:
    """Read the facts of this machine and process (and of ``pid``, if given)."""
    from app.core.sampling.pyspy import PySpyMissingError, find_pyspy

    try:
        caps = parse_status_caps(Path("/proc/self/status").read_text())
    except OSError:
        caps = {}
    pyspy: str | None
    try:
        pyspy, problem = os.path.realpath(find_pyspy()), ""
    except PySpyMissingError as exc:
        pyspy, problem = None, str(exc)
    fcaps, source = pyspy_file_caps(pyspy) if pyspy else (None, "none")
    opened, unsupported = _probe_counters()
    return Facts(
        uid=os.getuid(),
        euid=os.geteuid(),
        ptrace_scope=read_int(YAMA_PATH),
        perf_event_paranoid=read_int(PARANOID_PATH),
        cap_eff=caps.get("CapEff", 0),
        cap_bnd=caps.get("CapBnd", 0),
        cap_amb=caps.get("CapAmb", 0),
        pyspy=pyspy,
        pyspy_problem=problem,
        pyspy_caps=fcaps,
        pyspy_caps_source=source,
        pmus=hardware_pmus(),
        counters_open=opened,
        counters_unsupported=unsupported,
        kernel=platform.release(),
        target=target_facts(pid) if pid is not None else None,
    )


# -- assessment (pure) ---------------------------------------------------------


@dataclass(frozen=True)
class Ability:
    """One thing a user wants to do, and whether it works now."""

    key: str
    title: str
    works: bool
    why: str


@dataclass(frozen=True)
class Option:
    """One way to be allowed more, least privilege first."""

    key: str
    title: str
    privilege: str  # what it costs, in words
    explanation: str
    commands: tuple[str, ...]
    unlocks: tuple[str, ...]  # ability keys it can make work
    needed: bool  # whether something it unlocks does not work now


@dataclass(frozen=True)
class PrivilegeReport:
    facts: Facts
    abilities: tuple[Ability, ...]
    options: tuple[Option, ...]
    target: Ability | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def ability(self, key: str) -> Ability:
        return next(a for a in self.abilities if a.key == key)

    def as_dict(self) -> dict[str, Any]:
        f = self.facts
        facts: dict[str, Any] = {
            "uid": f.uid,
            "euid": f.euid,
            "root": f.root,
            "kernel": f.kernel,
            "ptrace_scope": f.ptrace_scope,
            "yama": f.ptrace_scope is not None,
            "perf_event_paranoid": f.perf_event_paranoid,
            "capabilities": {
                "effective": cap_names(f.cap_eff),
                "ambient": cap_names(f.cap_amb),
                "cap_sys_ptrace": f.self_has(CAP_SYS_PTRACE),
                "cap_perfmon": f.self_has(CAP_PERFMON),
                "cap_sys_admin": f.self_has(CAP_SYS_ADMIN),
            },
            "pyspy": {
                "path": f.pyspy,
                "problem": f.pyspy_problem or None,
                "file_caps": f.pyspy_caps.text() if f.pyspy_caps else "",
                "file_caps_source": f.pyspy_caps_source,
                "cap_sys_ptrace": f.pyspy_has(CAP_SYS_PTRACE),
            },
            "pmus": list(f.pmus),
            "counters": {
                "open": list(f.counters_open),
                "unsupported": [{"name": n, "reason": r} for n, r in f.counters_unsupported],
            },
        }
        out: dict[str, Any] = {
            "facts": facts,
            "abilities": [asdict(a) for a in self.abilities],
            "options": [{**asdict(o), "commands": list(o.commands)} for o in self.options],
            "notes": list(self.notes),
        }
        if f.target is not None:
            out["target"] = {**asdict(f.target), **(asdict(self.target) if self.target else {})}
        return out

    def text(self) -> str:
        """The report for a terminal (``sovprof doctor``)."""
        f = self.facts
        who = "root" if f.root else f"uid {f.uid}"
        yama = "no Yama LSM" if f.ptrace_scope is None else f"ptrace_scope={f.ptrace_scope}"
        lines = [
            f"sovprof runs as {who}; kernel {f.kernel}; {yama}; "
            f"perf_event_paranoid={_opt(f.perf_event_paranoid)}",
            f"py-spy: {f.pyspy or 'not found'}"
            + (f" (file caps: {f.pyspy_caps.text()})" if f.pyspy_caps else ""),
            "",
            "What works now:",
        ]
        rows = list(self.abilities) + ([self.target] if self.target else [])
        for a in rows:
            lines.append(f"  [{'yes' if a.works else ' no'}] {a.title}: {a.why}")
        lines += ["", "Options, least privilege first (never run the sovprof GUI with sudo):"]
        for n, o in enumerate(self.options, 1):
            mark = "" if o.needed else "  (not needed here)"
            lines.append(f"  {n}. {o.title} — {o.privilege}{mark}")
            lines.append(f"     {o.explanation}")
            lines += [f"       $ {c}" for c in o.commands]
        if self.notes:
            lines += ["", *self.notes]
        return "\n".join(lines)


def _opt(v: int | None) -> str:
    return "unreadable" if v is None else str(v)


def _ptrace(f: Facts, *, same_user: bool, ancestor: bool) -> tuple[bool, str]:
    """Whether py-spy may read a process, and the rule that decides it."""
    scope = f.ptrace_scope
    if scope is not None and scope >= 3:
        return False, "kernel.yama.ptrace_scope=3 forbids ptrace to everyone until reboot"
    privileged = f.pyspy_has(CAP_SYS_PTRACE)
    how = "as root" if f.root else "with CAP_SYS_PTRACE"
    if not same_user and not privileged:
        return False, "it belongs to another user: py-spy needs root or CAP_SYS_PTRACE"
    if privileged:
        return True, f"py-spy runs {how}" + (", which Yama allows" if scope else "")
    if scope is None or scope == 0:
        why = "no Yama LSM" if scope is None else "kernel.yama.ptrace_scope=0"
        return True, f"same user and {why}"
    if scope == 1:
        if ancestor:
            return True, (
                "kernel.yama.ptrace_scope=1 allows it: sovprof declares py-spy's parent "
                "as the tracer of programs it launches (PR_SET_PTRACER)"
            )
        return False, (
            "kernel.yama.ptrace_scope=1 lets py-spy trace only programs started under it, "
            "and this one was not"
        )
    return False, f"kernel.yama.ptrace_scope={scope} allows ptrace only with CAP_SYS_PTRACE"


def _hardware(f: Facts) -> tuple[bool, str]:
    hw = [n for n in f.counters_open if n in _HW_COUNTERS]
    if hw:
        return True, f"{len(hw)} hardware events open ({', '.join(hw[:3])}…)"
    denied = next((r for n, r in f.counters_unsupported if n in _HW_COUNTERS), "")
    if denied:
        return False, denied
    if not f.pmus:
        return False, "no hardware PMU is exposed (a virtual machine without a virtual PMU?)"
    return False, "no hardware event could be opened"


_HW_COUNTERS = {
    "perf.cycles",
    "perf.instructions",
    "perf.cache-references",
    "perf.cache-misses",
    "perf.branch-instructions",
    "perf.branch-misses",
    "perf.stalled-cycles-frontend",
    "perf.stalled-cycles-backend",
}


def _kernel_events(f: Facts) -> tuple[bool, str]:
    level = f.perf_event_paranoid
    if f.perf_privileged():
        how = "root" if f.root else "CAP_PERFMON" if f.self_has(CAP_PERFMON) else "CAP_SYS_ADMIN"
        return True, f"sovprof has {how}, so perf_event_paranoid does not apply"
    if level is None:
        return False, f"{PARANOID_PATH} cannot be read"
    if level <= 1:
        return True, f"perf_event_paranoid={level} lets users count kernel mode"
    return False, f"perf_event_paranoid={level} limits users to user-space counts"


def _user_counters(f: Facts) -> tuple[bool, str]:
    if f.counters_open:
        return True, f"{len(f.counters_open)} perf_event counters open on this process"
    reason = f.counters_unsupported[0][1] if f.counters_unsupported else "none could be opened"
    return False, reason


def assess(f: Facts) -> PrivilegeReport:
    """What works with these facts, and the options that would allow more."""
    own = _ptrace(f, same_user=True, ancestor=False)
    launched = _ptrace(f, same_user=True, ancestor=True)
    others = _ptrace(f, same_user=False, ancestor=False)
    counters = _user_counters(f)
    hardware = _hardware(f)
    kernel = _kernel_events(f)
    abilities = (
        Ability("launched", "Profile programs sovprof launches", *launched),
        Ability("own", "Attach to your own running processes", *own),
        Ability("other_users", "Attach to other users' processes", *others),
        Ability("counters", "Software counters (CPU time, faults, switches)", *counters),
        Ability("hardware_counters", "Hardware counters (cycles, instructions, caches)", *hardware),
        Ability("kernel_events", "Kernel-mode counts and events", *kernel),
    )
    works = {a.key: a.works for a in abilities}
    target = _target_ability(f)
    notes: list[str] = []
    if f.pyspy is None:
        notes.append(f"py-spy is missing: {f.pyspy_problem}")
    if f.ptrace_scope is not None and f.ptrace_scope >= 3:
        notes.append("ptrace_scope=3 cannot be lowered without a reboot; no option below helps.")
    return PrivilegeReport(f, abilities, _options(f, works), target, tuple(notes))


def _target_ability(f: Facts) -> Ability | None:
    t = f.target
    if t is None:
        return None
    title = f"Attach to PID {t.pid}" + (f" ({t.name})" if t.name else "")
    if not t.exists:
        return Ability("target", title, False, "no such process")
    same = t.uid is not None and t.uid == f.uid
    ok, why = _ptrace(f, same_user=same, ancestor=t.descendant)
    if t.uid is None:
        why = "its owner cannot be read; " + why
    return Ability("target", title, ok, why)


def _options(f: Facts, works: dict[str, bool]) -> tuple[Option, ...]:
    pyspy = f.pyspy or "$(command -v py-spy)"
    pid = str(f.target.pid) if f.target is not None else "PID"
    ptrace_missing = not (works["own"] and works["other_users"])
    opts = [
        Option(
            "launch",
            "Let sovprof launch the program",
            "no privilege",
            "The program runs as your child, which Yama's default scope (1) allows py-spy "
            "to read (in the app: File → Launch program…).",
            ("sovprof record -- python your_script.py --its-args",),
            ("launched",),
            not works["launched"],
        ),
        Option(
            "setcap_ptrace",
            "Give py-spy (only) CAP_SYS_PTRACE",
            "once, as root",
            "py-spy may then read any process, yours or other users' (even under "
            "ptrace_scope=2); sovprof and the GUI stay unprivileged. Anyone who can run this "
            "py-spy gets that power, so keep it where only you can execute it. Reinstalling "
            "py-spy drops the capability; undo with setcap -r.",
            (f"sudo setcap cap_sys_ptrace+ep {pyspy}", f"getcap {pyspy}"),
            ("own", "other_users"),
            ptrace_missing,
        ),
        Option(
            "elevate_pyspy",
            "Run only py-spy through sudo or pkexec",
            "each time, as root",
            "For one recording: let py-spy record with root rights, then import the file. "
            "For live windows, allow this one executable in sudoers (NOPASSWD) and point "
            "SOVPROF_PYSPY at a wrapper that runs it with `sudo -n`. Never start the sovprof "
            "GUI itself with sudo.",
            (
                f"pkexec {pyspy} record --pid {pid} --duration 30 --format speedscope "
                '-o "$PWD/profile.json" && sovprof import profile.json',
                f'echo "$USER ALL=(root) NOPASSWD: {pyspy}" | sudo tee '
                "/etc/sudoers.d/sovprof-py-spy && sudo chmod 0440 /etc/sudoers.d/sovprof-py-spy",
                f"printf '#!/bin/sh\\nexec sudo -n {pyspy} \"$@\"\\n' > ~/.local/bin/py-spy-sudo"
                " && chmod +x ~/.local/bin/py-spy-sudo && "
                "SOVPROF_PYSPY=~/.local/bin/py-spy-sudo sovprof",
            ),
            ("own", "other_users"),
            ptrace_missing,
        ),
        Option(
            "perf_paranoid",
            "Allow counters through kernel.perf_event_paranoid",
            "system-wide setting, as root",
            "2 lets every user count user space of their own processes; 1 adds kernel-mode "
            "counts; the file in /etc/sysctl.d keeps it after a reboot. Hardware counters "
            "also need a PMU (bare metal, or a VM with a virtual PMU).",
            (
                "sudo sysctl kernel.perf_event_paranoid=1",
                "echo kernel.perf_event_paranoid=1 | sudo tee /etc/sysctl.d/60-sovprof.conf",
            ),
            ("counters", "hardware_counters", "kernel_events"),
            not (works["counters"] and works["kernel_events"]),
        ),
        Option(
            "setcap_perfmon",
            "Give the interpreter that runs sovprof CAP_PERFMON",
            "once, as root; every program run by that interpreter gets it",
            "Counters are read by sovprof itself, so the capability must be on its "
            "interpreter (Linux ≥ 5.8). Prefer the sysctl above unless this interpreter "
            "is dedicated to sovprof.",
            ('sudo setcap cap_perfmon+ep "$(readlink -f "$(command -v python3)")"',),
            ("counters", "kernel_events"),
            not (works["counters"] and works["kernel_events"]),
        ),
        Option(
            "ptrace_scope",
            "Lower kernel.yama.ptrace_scope",
            "system-wide setting, as root; weakens every user's protection",
            "Lets any process of yours read your other processes (as before Yama). "
            "A last resort: the options above are narrower.",
            ("sudo sysctl kernel.yama.ptrace_scope=0",),
            ("own",),
            f.ptrace_scope in (1, 2) and not works["own"],
        ),
    ]
    if f.ptrace_scope is None:
        opts = [o for o in opts if o.key != "ptrace_scope"]
    return tuple(opts)


def report(pid: int | None = None) -> PrivilegeReport:
    """Gather and assess in one call."""
    return assess(gather(pid))


def allow_tracing_by(tracer_pid: int) -> Callable[[], None]:
    """A ``preexec_fn`` that lets ``tracer_pid`` and its descendants trace the child.

    Under ``kernel.yama.ptrace_scope=1`` py-spy may trace only its descendants,
    and a program sovprof launches is py-spy's sibling; the child therefore
    declares sovprof as its tracer (``prctl(PR_SET_PTRACER)``), which covers every
    py-spy that sovprof starts.  Without Yama the call fails harmlessly.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    prctl = libc.prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int

    def declare() -> None:
        prctl(PR_SET_PTRACER, tracer_pid, 0, 0, 0)  # -1 (EINVAL) without Yama: harmless

    return declare
