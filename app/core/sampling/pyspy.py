"""Running one py-spy ``record`` window and reading what it says.

py-spy writes its output file only when ``record`` ends, so live profiles are
built from back-to-back short windows.  Each window is one py-spy process; its
stdout tells when sampling really started ("Sampling process ...") and how many
samples and errors it had ("Samples: N Errors: E").
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PYSPY_ENV = "SOVPROF_PYSPY"
_WROTE_RE = re.compile(r"Samples: (\d+) Errors: (\d+)")


class PySpyMissingError(RuntimeError):
    """No usable py-spy executable was found."""


class SamplerError(RuntimeError):
    """py-spy could not sample the target; the message says why and what to do."""


def find_pyspy() -> str:
    """The py-spy installed with this package (next to this Python), not PATH's.

    ``SOVPROF_PYSPY`` overrides it.
    """
    override = os.environ.get(PYSPY_ENV)
    if override is not None:
        if os.path.isfile(override) and os.access(override, os.X_OK):
            return override
        raise PySpyMissingError(
            f"py-spy not found at {override!r} (from {PYSPY_ENV}); "
            f"point {PYSPY_ENV} at a py-spy executable or unset it"
        )
    exe = "py-spy.exe" if sys.platform == "win32" else "py-spy"
    candidates = [Path(sys.executable).parent / exe, Path(sysconfig.get_path("scripts")) / exe]
    bundle = getattr(sys, "_MEIPASS", None)  # a PyInstaller app bundles py-spy with its code
    if bundle is not None:
        candidates.insert(0, Path(bundle) / exe)
    user_scripts = sysconfig.get_path("scripts", f"{os.name}_user")
    if user_scripts:
        candidates.append(Path(user_scripts) / exe)
    for cand in candidates:
        if cand.is_file() and os.access(cand, os.X_OK):
            return str(cand)
    raise PySpyMissingError(
        "py-spy is not installed next to this Python "
        f"({Path(sys.executable).parent}); reinstall with `pip install sovprof` "
        f"or set {PYSPY_ENV} to a py-spy executable"
    )


@dataclass(frozen=True)
class SamplerOptions:
    """What is passed through to every py-spy window."""

    rate: int = 100
    idle: bool = False
    gil: bool = False
    native: bool = False
    subprocesses: bool = False
    nonblocking: bool = False
    window_s: int = 1

    def flags(self) -> list[str]:
        out = ["--rate", str(self.rate), "--full-filenames"]
        for flag, on in (
            ("--idle", self.idle),
            ("--gil", self.gil),
            ("--native", self.native),
            ("--subprocesses", self.subprocesses),
            ("--nonblocking", self.nonblocking),
        ):
            if on:
                out.append(flag)
        return out

    def as_dict(self) -> dict[str, object]:
        return {
            "rate": self.rate,
            "idle": self.idle,
            "gil": self.gil,
            "native": self.native,
            "subprocesses": self.subprocesses,
            "nonblocking": self.nonblocking,
            "window_s": self.window_s,
        }


@dataclass
class WindowResult:
    """What one finished py-spy window produced."""

    spawned: float
    started: float | None
    ended: float
    data: bytes | None
    samples: int
    errors: int
    returncode: int
    target_exited: bool
    stderr: str
    cpu_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.data is not None and self.started is not None


@dataclass
class PySpyWindow:
    """One running ``py-spy record`` process."""

    pid: int
    options: SamplerOptions
    pyspy: str
    workdir: str
    duration_s: int = 1
    proc: subprocess.Popen[bytes] = field(init=False)
    spawned: float = field(init=False)
    started: float | None = field(init=False, default=None)
    _started_evt: threading.Event = field(init=False, default_factory=threading.Event)
    _lines: list[str] = field(init=False, default_factory=list)
    _reader: threading.Thread = field(init=False)
    _out: str = field(init=False)
    _cpu_s: float | None = field(init=False, default=None)
    _stopped_at: float | None = field(init=False, default=None)
    _reaped_at: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        fd, self._out = tempfile.mkstemp(prefix="win-", suffix=".json", dir=self.workdir)
        os.close(fd)
        cmd = [
            self.pyspy,
            "record",
            "--pid",
            str(self.pid),
            "--duration",
            str(self.duration_s),
            "--format",
            "speedscope",
            "--output",
            self._out,
            *self.options.flags(),
        ]
        self.spawned = time.time()
        try:
            # Own session: a terminal Ctrl-C reaches us, and we stop windows cleanly.
            self.proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:  # not a program (ENOEXEC), vanished since find_pyspy, ...
            with contextlib.suppress(OSError):
                os.unlink(self._out)
            raise SamplerError(
                f"cannot run py-spy at {self.pyspy!r} ({exc.strerror or exc}); "
                f"point {PYSPY_ENV} at a py-spy executable or unset it"
            ) from exc
        self._reader = threading.Thread(target=self._read, daemon=True, name="py-spy-reader")
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            if not line:
                continue
            if self.started is None and "Sampling process" in line:
                self.started = time.time()
                self._started_evt.set()
            if self._stopped_at is None and ("Wrote " in line or "Stopped sampling" in line):
                self._stopped_at = time.time()
            self._lines.append(line)
        self._started_evt.set()

    def wait_started(self, timeout: float) -> bool:
        """Block until sampling began or py-spy ended; True if sampling began."""
        self._started_evt.wait(timeout)
        return self.started is not None

    def _reap(self, block_s: float = 0.0) -> bool:
        """Reap py-spy if it ended (waiting up to ``block_s``), keeping its rusage."""
        if self._cpu_s is not None:
            return True
        give_up = time.monotonic() + block_s
        while True:
            try:
                pid, status, ru = os.wait4(self.proc.pid, os.WNOHANG)
            except ChildProcessError:
                self._cpu_s = 0.0
                if self.proc.returncode is None:
                    self.proc.returncode = -1
                return True
            if pid:
                self._reaped_at = time.time()
                self.proc.returncode = os.waitstatus_to_exitcode(status)
                self._cpu_s = ru.ru_utime + ru.ru_stime
                return True
            if time.monotonic() >= give_up:
                return False
            time.sleep(0.005)

    def running(self) -> bool:
        return not self._reap()

    def interrupt(self) -> None:
        """Ask py-spy to stop now; it still writes what it sampled so far."""
        if self.running():
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGINT)

    def kill(self) -> None:
        if self.running():
            self.proc.kill()
            self._reap(5.0)

    def finish(self, timeout: float = 10.0) -> WindowResult:
        """Wait for py-spy to exit and collect its window."""
        if not self._reap(timeout):
            self.proc.kill()
            self._reap(5.0)
        rc = self.proc.returncode if self.proc.returncode is not None else -1
        self._reader.join(2.0)
        ended = self._stopped_at or self._reaped_at or time.time()
        text = "\n".join(self._lines)
        samples = errors = 0
        m = _WROTE_RE.search(text)
        if m:
            samples, errors = int(m.group(1)), int(m.group(2))
        data: bytes | None = None
        try:
            with open(self._out, "rb") as fh:
                data = fh.read() or None
        except OSError:
            data = None
        finally:
            with contextlib.suppress(OSError):
                os.unlink(self._out)
        if m is None:
            data = None  # py-spy did not finish writing; the file may be partial
        return WindowResult(
            spawned=self.spawned,
            started=self.started,
            ended=ended,
            data=data,
            samples=samples,
            errors=errors,
            returncode=rc,
            target_exited="process exited" in text,
            stderr=text,
            cpu_s=self._cpu_s or 0.0,
        )


def pyspy_error_message(pid: int, output: str) -> str:
    """A one-line explanation of why py-spy could not attach to ``pid``."""
    low = output.lower()
    detail = ""
    for line in output.splitlines():
        if line.startswith("Error:"):
            detail = line[len("Error:") :].strip()
            break
    if "permission denied" in low or "operation not permitted" in low:
        return (
            f"not permitted to trace PID {pid} ({detail or 'permission denied'}); "
            "run as the same user with ptrace allowed, launch it with `sovprof record -- CMD`, "
            "or grant py-spy CAP_SYS_PTRACE (see README, Permissions)"
        )
    if "python version" in low or "python interpreter" in low or "libpython" in low:
        return f"PID {pid} does not look like a Python process ({detail or 'no interpreter found'})"
    if (
        "no such file" in low
        or "no such process" in low
        or "check that the process is running" in low
    ):
        return f"PID {pid} is not running"
    last = (output.strip().splitlines() or ["no output"])[-1]
    return f"py-spy failed on PID {pid}: {detail or last}"


def make_workdir() -> str:
    return tempfile.mkdtemp(prefix="sovprof-")


def remove_workdir(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)
