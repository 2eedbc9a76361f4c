"""The live sampler: back-to-back py-spy windows on one PID, parsed into a Profile.

Window k+1 is spawned so that it starts sampling as window k stops: py-spy's
start-up latency (spawn → "Sampling process") is measured per window and the
next spawn is brought forward by that much.  Time not covered by any window is
counted as lost: each window's ``expected`` is what it received scaled by
(covered time + the gap after it) / covered time, plus py-spy's own errors.  A
window that started sampling but gave nothing usable (py-spy killed or crashed)
adds its time to the next window's gap, and windows that could not start at the
end of a session add theirs to the last one: lost time is never silently dropped.
py-spy stops after rate × length samples, so a window it had to sample late (deep
stacks) covers the longer time it really took, and its samples stand for its length.
A window that cannot attach while the previous one's py-spy still holds the process
(one ptrace tracer at a time) is retried once that one ends, not counted as a failure.
"""

from __future__ import annotations

import math
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import psutil

from app.core.model.profile import Profile, Window
from app.core.processes import is_python
from app.core.sampling.pyspy import (
    PySpyWindow,
    SamplerError,
    SamplerOptions,
    WindowResult,
    find_pyspy,
    make_workdir,
    pyspy_error_message,
    remove_workdir,
)
from app.core.sampling.speedscope import SpeedscopeError, add_speedscope

STATUS_COMPLETE = "complete"
STATUS_STOPPED = "stopped"
STATUS_TARGET_EXITED = "target exited"
STATUS_FAILED = "failed"

_MAX_CONSECUTIVE_FAILURES = 3
# py-spy writing its file after a window takes milliseconds; a window that ends this much
# later than its length (or half its length) was sampled late.
_LAG_SLACK_S = 0.5


@dataclass
class SamplerStats:
    """Sampler health, updated after every window."""

    windows: int = 0
    samples: int = 0
    expected: int = 0
    errors: int = 0
    last_gap_s: float = 0.0
    max_gap_s: float = 0.0
    pyspy_cpu_s: float = 0.0
    started: float = 0.0
    elapsed_s: float = 0.0

    @property
    def lost(self) -> int:
        return max(0, self.expected - self.samples)

    @property
    def lost_pct(self) -> float:
        return 100.0 * self.lost / self.expected if self.expected else 0.0

    @property
    def pyspy_cpu_pct(self) -> float:
        return 100.0 * self.pyspy_cpu_s / self.elapsed_s if self.elapsed_s > 0 else 0.0


WindowCallback = Callable[[Profile, int, SamplerStats], None]


class LiveSampler:
    """Samples one process in back-to-back windows until stopped.

    ``run`` blocks; ``stop`` may be called from any thread (or a signal
    handler).  ``child`` is the Popen of a program we launched: it is polled for
    exit (and reaped) instead of probing the PID.
    """

    def __init__(
        self,
        pid: int,
        options: SamplerOptions | None = None,
        *,
        duration_s: float | None = None,
        child: subprocess.Popen[bytes] | None = None,
        profile: Profile | None = None,
        attach_timeout_s: float = 10.0,
    ) -> None:
        self.pid = pid
        self.options = options or SamplerOptions()
        self.duration_s = duration_s
        self.child = child
        self.profile = profile or Profile()
        self.profile.rate_hz = float(self.options.rate)
        self.attach_timeout_s = attach_timeout_s
        self.stats = SamplerStats()
        self.status = ""
        self.message = ""
        self._stop = threading.Event()
        self._pyspy = find_pyspy()
        self._lead_s = 0.05
        # Time covered by windows that were dropped, counted into the next window's gap.
        self._uncovered_s = 0.0

    # -- control --------------------------------------------------------------

    def stop(self) -> None:
        """Stop after keeping what the in-flight window sampled so far."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def target_alive(self) -> bool:
        if self.child is not None:
            return self.child.poll() is None
        try:
            proc = psutil.Process(self.pid)
            return bool(proc.status() != psutil.STATUS_ZOMBIE)
        except psutil.Error:
            return False

    # -- the loop -------------------------------------------------------------

    def run(self, on_window: WindowCallback | None = None) -> str:
        """Sample until the duration ends, ``stop`` is called or the target exits.

        Returns the final status.  Raises SamplerError when the very first
        window cannot attach (not Python, not permitted, not running).
        """
        workdir = make_workdir()
        pending: deque[PySpyWindow] = deque()
        self.stats.started = time.time()
        deadline = None if self.duration_s is None else self.stats.started + self.duration_s
        failures = 0
        last_error = ""
        waited_on: PySpyWindow | None = None
        try:
            first = self._attach(workdir)
            pending.append(first)
            while True:
                current = pending[-1]
                next_at = (current.started or time.time()) + self.options.window_s - self._lead_s
                self._deliver_until(
                    pending, next_at if deadline is None else min(next_at, deadline), on_window
                )
                if self._stop.is_set():
                    self.status = self.status or STATUS_STOPPED
                    break
                if not self.target_alive():
                    self.status = STATUS_TARGET_EXITED
                    break
                if deadline is not None and time.time() >= deadline - 0.005:
                    self.status = STATUS_COMPLETE
                    break
                win = self._spawn(workdir)
                if win.wait_started(5.0):
                    failures = 0
                    self._learn_lead(win)
                    pending.append(win)
                    continue
                result = win.finish()
                self._account_cpu(result)
                last_error = result.stderr
                if not self.target_alive() or result.target_exited:
                    self.status = STATUS_TARGET_EXITED
                    break
                if pending[-1] is not waited_on and self._wait_for(pending[-1]):
                    # A process has one ptrace tracer at a time: py-spy cannot attach while
                    # the previous window's py-spy holds it (long, on deep stacks), so that
                    # is no failure yet; try again once it is done.
                    waited_on = pending[-1]
                    continue
                failures += 1
                if failures >= _MAX_CONSECUTIVE_FAILURES:
                    self.status = STATUS_FAILED
                    break
            interrupt = self.status in (STATUS_STOPPED, STATUS_COMPLETE)
            tail_end: float | None = None
            if failures and self.status != STATUS_TARGET_EXITED:
                # The last windows could not start: the session did not cover its end,
                # whether the deadline or a stop came first; say why, count it as lost.
                self.status = STATUS_FAILED
                self.message = self._failure_message(last_error, attached=True)
                tail_end = time.time()
            self._drain(pending, on_window, interrupt=interrupt, tail_end=tail_end)
        finally:
            for w in pending:
                w.kill()
            remove_workdir(workdir)
        return self.status

    def _wait_for(self, win: PySpyWindow, limit_s: float = 15.0) -> bool:
        """Wait (up to ``limit_s``) for ``win``'s py-spy to end; False if it already had."""
        if not win.running():
            return False
        give_up = time.monotonic() + limit_s
        while win.running() and time.monotonic() < give_up and not self._stop.is_set():
            self._stop.wait(0.01)
        return True

    def _learn_lead(self, win: PySpyWindow) -> None:
        """py-spy's start-up time (spawn → sampling): the next window starts this early."""
        if win.started is not None:
            self._lead_s = min(0.25, max(0.0, win.started - win.spawned))

    def _spawn(self, workdir: str) -> PySpyWindow:
        return PySpyWindow(
            self.pid, self.options, self._pyspy, workdir, duration_s=self.options.window_s
        )

    def _attach(self, workdir: str) -> PySpyWindow:
        """Start the first window, retrying while a launched interpreter starts up."""
        give_up = time.time() + self.attach_timeout_s
        last_output = ""
        while True:
            if self._stop.is_set():
                raise SamplerError("stopped before py-spy could attach")
            win = self._spawn(workdir)
            if win.wait_started(self.attach_timeout_s):
                self._learn_lead(win)
                return win
            result = win.finish()
            last_output = result.stderr
            if self.child is None or not self.target_alive() or time.time() > give_up:
                break
            time.sleep(0.02)
        if self.child is not None and not self.target_alive():
            raise SamplerError(
                f"the program exited (status {self.child.returncode}) before py-spy could attach"
            )
        raise SamplerError(self._failure_message(last_output, attached=False))

    def _failure_message(self, output: str, *, attached: bool) -> str:
        """Why py-spy could not sample, in one line; ``attached``: it could before."""
        try:
            proc = psutil.Process(self.pid)
            stopped = _is_stopped(proc)
        except psutil.Error:
            return pyspy_error_message(self.pid, output)
        if stopped:
            return (
                f"PID {self.pid} is stopped (SIGSTOP, job control or a debugger) and py-spy "
                f"cannot sample a stopped process; resume it with `kill -CONT {self.pid}`"
            )
        if "python interpreter" in output.lower() and (attached or is_python(proc)):
            # A Python process whose stacks py-spy cannot walk: py-spy gives up on any
            # stack deeper than 4096 frames, and then does not find the interpreter.
            detail = next(
                (
                    ln[len("Error:") :].strip()
                    for ln in output.splitlines()
                    if ln.startswith("Error:")
                ),
                "no interpreter found",
            )
            return (
                f"py-spy cannot read the Python stacks of PID {self.pid} ({detail}); "
                "py-spy gives up on stacks deeper than 4096 frames (deep recursion)"
            )
        return pyspy_error_message(self.pid, output)

    def _deliver_until(
        self, pending: deque[PySpyWindow], until: float, on_window: WindowCallback | None
    ) -> None:
        """Hand over finished windows in order while waiting for ``until``."""
        while True:
            while len(pending) > 1 and not pending[0].running():
                self._deliver(pending.popleft(), pending[0].started, on_window)
            if len(pending) == 1 and not pending[0].running():
                return
            now = time.time()
            if now >= until or self._stop.is_set():
                return
            self._stop.wait(min(0.01, until - now))

    def _drain(
        self,
        pending: deque[PySpyWindow],
        on_window: WindowCallback | None,
        interrupt: bool,
        tail_end: float | None = None,
    ) -> None:
        """Deliver what is left; ``tail_end``: the uncovered time after the last window
        runs until then."""
        while pending:
            win = pending.popleft()
            if interrupt:
                win.interrupt()
            self._deliver(win, pending[0].started if pending else tail_end, on_window)

    def _deliver(
        self, win: PySpyWindow, next_start: float | None, on_window: WindowCallback | None
    ) -> None:
        result = win.finish()
        self._account_cpu(result)
        if not result.ok or result.data is None or result.started is None:
            self._drop(result, next_start)
            return
        window_s = self.options.window_s
        nominal_end = result.started + window_s
        # py-spy stops after rate × window_s samples, not after window_s: when reading
        # the stacks is slower than the rate (very deep stacks), it runs long and its
        # samples stand for window_s of the longer time it really covered.
        lagged = result.ended > nominal_end + max(_LAG_SLACK_S, 0.5 * window_s)
        covered_end = result.ended if lagged else min(result.ended, nominal_end)
        if next_start is not None:
            # py-spy may still be writing when the next window begins; windows
            # never overlap on the timeline.
            covered_end = max(result.started, min(covered_end, next_start))
        covered = max(1e-3, covered_end - result.started)
        gap = 0.0 if next_start is None else max(0.0, next_start - covered_end)
        try:
            idx = add_speedscope(
                self.profile,
                result.data,
                result.started,
                covered_end,
                default_pid=self.pid,
                errors=result.errors,
            )
        except SpeedscopeError:
            self._drop(result, next_start)
            return
        carried, self._uncovered_s = self._uncovered_s, 0.0
        received = self.profile.window_samples(idx)
        sampled = min(covered, window_s) if lagged else covered
        expected = math.ceil(received * (covered + gap + carried) / sampled) + result.errors
        self.profile.windows[idx] = Window(result.started, covered_end, expected, result.errors)
        st = self.stats
        st.windows += 1
        st.samples += received
        st.expected += expected
        st.errors += result.errors
        st.last_gap_s = gap
        st.max_gap_s = max(st.max_gap_s, gap, carried)
        st.elapsed_s = time.time() - st.started
        if on_window is not None:
            on_window(self.profile, idx, st)

    def _drop(self, result: WindowResult, next_start: float | None) -> None:
        """A window that sampled but gave nothing usable: its time is lost."""
        if result.started is not None:
            end = result.ended if next_start is None else next_start
            self._uncovered_s += max(0.0, end - result.started)

    def _account_cpu(self, result: WindowResult) -> None:
        self.stats.pyspy_cpu_s += result.cpu_s


def _is_stopped(proc: psutil.Process, look_s: float = 0.3) -> bool:
    """Whether ``proc`` is stopped.  A SIGSTOP that arrives while a py-spy holds the
    process takes effect only once py-spy lets go, so look for a moment."""
    give_up = time.monotonic() + look_s
    while True:
        if proc.status() == psutil.STATUS_STOPPED:
            return True
        if time.monotonic() >= give_up:
            return False
        time.sleep(0.02)
