"""The hook ``sovprof record --allocations`` drives: memray next to the live sampler.

Launch mode::

    alloc = AllocationRecording.launch(cmd, AllocationOptions(native=...))
    child = subprocess.Popen(alloc.command)          # py-spy samples child.pid as usual
    ... LiveSampler(child.pid, ...).run() ...
    summary = alloc.finish(sampler.profile, child=child, store=store, session=session)
    alloc.close()                                     # in a finally: temporary files

Attach mode: ``AllocationRecording.attach(pid, options)`` runs ``memray attach`` at once
(before py-spy starts: a process has one tracer at a time), and ``finish`` detaches.
``finish`` stops the program politely (SIGTERM, which the launcher turns into an
orderly exit so memray closes its file), reads the capture, finds the allocations in
hot loops, saves everything in the session, and returns the JSON summary.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.core.allocations.command import (
    AllocationError,
    attach_command,
    detach_command,
    launch_command,
)
from app.core.allocations.hotloops import HotLoopThresholds, hot_loop_allocations
from app.core.allocations.model import AllocationCapture, summary_dict
from app.core.allocations.reader import CaptureError, read_capture
from app.core.model.profile import Profile

CAPTURE_NAME = "allocations.bin"


class _AllocationSink(Protocol):
    def save_allocations(self, session_id: int, capture: AllocationCapture) -> None: ...


@dataclass(frozen=True)
class AllocationOptions:
    """How memray records: ``native`` adds C frames (slower); ``interval_s`` is the
    resolution of allocations per second over time (launch mode)."""

    native: bool = False
    follow_fork: bool = False
    interval_s: float = 0.1
    stop_timeout_s: float = 60.0
    thresholds: HotLoopThresholds = field(default_factory=HotLoopThresholds)


class AllocationRecording:
    """One memray capture beside one recording; see the module docstring."""

    def __init__(self, mode: str, options: AllocationOptions, workdir: str) -> None:
        self.mode = mode
        self.options = options
        self.workdir = workdir
        self.path = os.path.join(workdir, CAPTURE_NAME)
        self.command: list[str] | None = None
        self.pid: int | None = None
        self.capture: AllocationCapture | None = None

    # -- starting -------------------------------------------------------------------------

    @classmethod
    def launch(
        cls, cmd: Sequence[str], options: AllocationOptions | None = None
    ) -> AllocationRecording:
        """Prepare to launch ``cmd`` under memray; run ``.command`` instead of ``cmd``."""
        opts = options or AllocationOptions()
        rec = cls("launch", opts, tempfile.mkdtemp(prefix="sovprof-alloc-"))
        try:
            rec.command = launch_command(
                cmd,
                rec.path,
                native=opts.native,
                follow_fork=opts.follow_fork,
                interval_s=opts.interval_s,
            )
        except BaseException:
            rec.close()
            raise
        return rec

    @classmethod
    def attach(cls, pid: int, options: AllocationOptions | None = None) -> AllocationRecording:
        """Start memray in the running process ``pid`` (needs gdb or lldb)."""
        opts = options or AllocationOptions()
        rec = cls("attach", opts, tempfile.mkdtemp(prefix="sovprof-alloc-"))
        rec.pid = pid
        try:
            # The target writes the capture itself, possibly as another user.
            os.chmod(rec.workdir, 0o777)
            cmd = attach_command(pid, rec.path, native=opts.native, follow_fork=opts.follow_fork)
            _run_memray(cmd, f"memray could not attach to PID {pid}")
        except BaseException:
            rec.close()
            raise
        return rec

    # -- finishing ------------------------------------------------------------------------

    def finish(
        self,
        cpu_profile: Profile,
        *,
        child: subprocess.Popen[Any] | None = None,
        store: _AllocationSink | None = None,
        session: int | None = None,
    ) -> dict[str, Any]:
        """Stop memray, read the capture, find hot-loop allocations, save, summarize."""
        self.stop(child)
        try:
            capture = read_capture(self.path, mode=self.mode)
        except CaptureError as exc:
            raise AllocationError(str(exc)) from None
        capture.hot_loops = hot_loop_allocations(cpu_profile, capture, self.options.thresholds)
        capture.meta["hot_loop_thresholds"] = self.options.thresholds.as_dict()
        self.capture = capture
        if store is not None and session is not None:
            store.save_allocations(session, capture)
        return summary_dict(capture)

    def stop(self, child: subprocess.Popen[Any] | None = None) -> None:
        """End the capture: the launched program exits, or memray detaches."""
        if self.mode == "launch":
            if child is not None and child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    child.send_signal(signal.SIGTERM)
                try:
                    child.wait(self.options.stop_timeout_s)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
        elif self.pid is not None and _alive(self.pid):
            _run_memray(detach_command(self.pid), f"memray could not detach from PID {self.pid}")
        if not os.path.exists(self.path):
            raise AllocationError(
                "memray wrote no capture (the program may have exited before memray started, "
                "or could not write to the temporary folder)"
            )

    def close(self) -> None:
        """Remove the temporary capture files."""
        shutil.rmtree(self.workdir, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _run_memray(cmd: list[str], failure: str) -> None:
    try:
        res = subprocess.run(
            cmd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        raise AllocationError(f"{failure}: memray did not finish within 120 s") from None
    except OSError as exc:
        raise AllocationError(f"{failure}: {exc}") from None
    if res.returncode != 0:
        lines = [ln.strip() for ln in (res.stderr + "\n" + res.stdout).splitlines() if ln.strip()]
        detail = next((ln for ln in reversed(lines) if "rror" in ln), lines[-1] if lines else "")
        raise AllocationError(f"{failure}: {detail or f'exit status {res.returncode}'}")
