"""Profiling every worker of a Dask cluster into one live Profile.

:class:`ClusterSampler` connects a ``distributed.Client`` to a scheduler, asks each
worker who it is (``Client.run`` of :func:`~app.core.sampling.dask_remote.identify`:
pid, boot id, pid namespace, clock) and samples every worker in back-to-back windows,
one py-spy per worker per window:

- a worker on THIS machine (same boot id and pid namespace) gets a local py-spy
  attached to its pid, as :class:`~app.core.sampling.live.LiveSampler` does;
- a worker elsewhere runs py-spy on its own host, through Dask itself: ``Client.run``
  of :func:`~app.core.sampling.dask_remote.record_window`, which records the worker's
  own pid and returns the speedscope bytes (py-spy must be installed there, and allowed
  to trace; when not, that worker's ``problem`` says so and the others go on).

Each worker keeps its own window pipeline (the next window starts as the current one
stops; the gap is counted as lost, per worker, as the LiveSampler counts it).  Finished
windows are merged in rounds, one window per worker, into ONE window of the merged
Profile, whose threads carry the worker identity in their names
(:mod:`app.core.model.workers`), so the store's schema is unchanged.  Workers that join
are picked up within a second; workers that leave stop with a note in ``events``.
"""

from __future__ import annotations

import contextlib
import math
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import psutil

from app.core.model.delta import extract_window
from app.core.model.frames import Frame
from app.core.model.profile import Profile, ThreadInfo, Window
from app.core.model.workers import worker_thread_name
from app.core.sampling import dask_remote
from app.core.sampling.live import (
    STATUS_COMPLETE,
    STATUS_FAILED,
    STATUS_STOPPED,
    STATUS_TARGET_EXITED,
    SamplerStats,
    WindowCallback,
)
from app.core.sampling.pyspy import (
    PySpyMissingError,
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

if TYPE_CHECKING:
    from distributed import Client

MODE_AUTO = "auto"
MODE_ATTACH = "attach"
MODE_VIA_DASK = "via-dask"
MODES = (MODE_AUTO, MODE_ATTACH, MODE_VIA_DASK)

WORKER_SAMPLING = "sampling"
WORKER_LEFT = "left"
WORKER_FAILED = "failed"

_MAX_CONSECUTIVE_FAILURES = 3
_DISCOVERY_INTERVAL_S = 1.0
_REMOTE_GRACE_S = 30.0  # beyond the window: a remote call with no answer by then failed

EventCallback = Callable[[str], None]


@dataclass
class WorkerInfo:
    """One worker of the cluster, and how its sampling goes."""

    address: str
    host: str
    name: str
    pid: int
    mode: str  # MODE_ATTACH or MODE_VIA_DASK: how this worker is sampled
    local: bool  # on this machine, in this pid namespace
    state: str = WORKER_SAMPLING
    problem: str = ""
    windows: int = 0
    samples: int = 0
    expected: int = 0
    clock_offset_s: float = 0.0  # the worker's clock minus ours

    @property
    def lost_pct(self) -> float:
        lost = max(0, self.expected - self.samples)
        return 100.0 * lost / self.expected if self.expected else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "name": self.name,
            "host": self.host,
            "pid": self.pid,
            "mode": self.mode,
            "state": self.state,
            "windows": self.windows,
            "samples": self.samples,
            "lost_pct": round(self.lost_pct, 3),
            "problem": self.problem or None,
        }


class _Window(Protocol):
    """One py-spy window in flight: local (a py-spy child) or remote (a Client.run)."""

    spawned: float

    @property
    def started(self) -> float | None: ...

    def running(self) -> bool: ...

    def interrupt(self) -> None: ...

    def kill(self) -> None: ...

    def result(self) -> WindowResult: ...

    def problem(self) -> str: ...


class _LocalWindow:
    """A PySpyWindow on a worker's pid, its result kept once finished."""

    def __init__(self, pid: int, options: SamplerOptions, pyspy: str, workdir: str) -> None:
        self.pid = pid
        self.win = PySpyWindow(pid, options, pyspy, workdir, duration_s=options.window_s)
        self.spawned = self.win.spawned
        self._result: WindowResult | None = None

    @property
    def started(self) -> float | None:
        return self.win.started

    def running(self) -> bool:
        return self._result is None and self.win.running()

    def interrupt(self) -> None:
        self.win.interrupt()

    def kill(self) -> None:
        if self._result is None:
            self.win.kill()
            self.result()

    def result(self) -> WindowResult:
        if self._result is None:
            self._result = self.win.finish()
        return self._result

    def problem(self) -> str:
        return pyspy_error_message(self.pid, self.result().stderr)


class _RemoteWindow:
    """``record_window`` running inside a worker through ``Client.run``."""

    def __init__(
        self,
        pool: ThreadPoolExecutor,
        client: Client,
        worker: WorkerInfo,
        options: SamplerOptions,
    ) -> None:
        self.worker = worker
        self.window_s = options.window_s
        self.spawned = time.time()
        self._future: Future[Any] = pool.submit(
            client.run,
            dask_remote.record_window,
            options.window_s,
            options.flags(),
            options.window_s + 15.0,
            workers=[worker.address],
            on_error="return",
        )
        self._result: WindowResult | None = None
        self._problem = ""

    @property
    def started(self) -> float | None:
        return self.result().started if not self.running() else None

    def running(self) -> bool:
        if self._result is not None or self._future.done():
            return False
        return time.time() < self.spawned + self.window_s + _REMOTE_GRACE_S

    def interrupt(self) -> None:
        """A remote window cannot be cut short: it ends within ``window_s``."""

    def kill(self) -> None:
        if self._result is None:
            self._future.cancel()
            self._fail("abandoned")

    def problem(self) -> str:
        self.result()
        return self._problem or pyspy_error_message(self.worker.pid, self._result_text())

    def _result_text(self) -> str:
        return self._result.stderr if self._result is not None else ""

    def _fail(self, problem: str) -> WindowResult:
        self._problem = problem
        now = time.time()
        self._result = WindowResult(self.spawned, None, now, None, 0, 0, -1, False, problem)
        return self._result

    def result(self) -> WindowResult:
        if self._result is not None:
            return self._result
        if not self._future.done():
            return self._fail(f"no answer from the worker within {self.window_s + 30:g} s")
        try:
            answer = self._future.result().get(self.worker.address)
        except Exception as exc:
            return self._fail(f"cannot run py-spy through Dask: {_one_line(exc)}")
        if isinstance(answer, BaseException):
            return self._fail(f"py-spy failed there: {_one_line(answer)}")
        if not isinstance(answer, dict):
            return self._fail("the worker did not answer (it may have left)")
        if answer.get("error"):
            return self._fail(str(answer["error"]))
        off = self.worker.clock_offset_s
        started = answer.get("started")
        self._result = WindowResult(
            spawned=self.spawned,
            started=None if started is None else float(started) - off,
            ended=float(answer["ended"]) - off,
            data=answer.get("data"),
            samples=int(answer.get("samples", 0)),
            errors=int(answer.get("errors", 0)),
            returncode=int(answer.get("returncode", -1)),
            target_exited="process exited" in str(answer.get("output", "")),
            stderr=str(answer.get("output", "")),
        )
        return self._result


@dataclass
class _Slice:
    """One worker's finished window, ready to be merged into a round."""

    worker: WorkerInfo
    start: float
    end: float
    expected: int
    errors: int
    gap: float
    samples: tuple[tuple[ThreadInfo, tuple[Frame, ...], int], ...]
    queued_at: float = field(default_factory=time.time)


class _WorkerPipe:
    """Back-to-back windows on one worker, turned into slices in order."""

    def __init__(
        self, info: WorkerInfo, spawn: Callable[[], _Window], options: SamplerOptions
    ) -> None:
        self.info = info
        self._spawn = spawn
        self.window_s = options.window_s
        self.pending: deque[_Window] = deque()
        self.remote = info.mode == MODE_VIA_DASK
        self.lead_s = 0.3 if self.remote else 0.05
        self.failures = 0
        self.cpu_s = 0.0
        self._scratch = Profile()

    @property
    def active(self) -> bool:
        return self.info.state == WORKER_SAMPLING

    def due(self, now: float) -> bool:
        """Whether the next window should start now."""
        if not self.active:
            return False
        if not self.pending:
            return True
        last = self.pending[-1]
        started = last.started
        if started is None:
            if not last.running():
                return False  # failed to start: collect() retires it first
            if not self.remote:
                return False  # still attaching
            if sum(1 for w in self.pending if w.running()) > 1:
                return False  # two remote windows in flight are enough
            started = last.spawned + self.lead_s  # remote: known only once it answers
        return now >= started + self.window_s - self.lead_s

    def spawn(self) -> None:
        self.pending.append(self._spawn())

    def collect(self, final: bool) -> list[_Slice]:
        """Slices of the finished windows whose successor's start is known (all when final)."""
        out: list[_Slice] = []
        while self.pending and not self.pending[0].running():
            head = self.pending[0]
            res = head.result()
            if res.started is None:
                self.pending.popleft()
                self.cpu_s += res.cpu_s
                self._failed(head, res)
                continue
            self.failures = 0
            self._learn_lead(head)
            next_start: float | None = None
            if len(self.pending) > 1:
                nxt = self.pending[1]
                if nxt.started is None and nxt.running() and not final:
                    break
                if nxt.started is None and not nxt.running():
                    del self.pending[1]
                    self.cpu_s += nxt.result().cpu_s
                    self._failed(nxt, nxt.result())
                    continue
                next_start = nxt.started
            elif not final and self.active:
                break
            self.pending.popleft()
            self.cpu_s += res.cpu_s
            piece = self._slice(res, next_start)
            if piece is not None:
                out.append(piece)
        return out

    def _learn_lead(self, win: _Window) -> None:
        if win.started is not None:
            self.lead_s = min(0.5 if self.remote else 0.25, max(0.0, win.started - win.spawned))

    def _failed(self, win: _Window, res: WindowResult) -> None:
        self.failures += 1
        if not self.active:
            return
        if not self.remote and (res.target_exited or not _pid_alive(self.info.pid)):
            self.leave(WORKER_LEFT, "worker process exited")
        elif self.failures >= _MAX_CONSECUTIVE_FAILURES:
            self.leave(WORKER_FAILED, win.problem())

    def leave(self, state: str, problem: str) -> None:
        """Stop starting windows; the ones in flight are still collected."""
        if self.active:
            self.info.state = state
            self.info.problem = problem

    def interrupt(self) -> None:
        for w in self.pending:
            w.interrupt()

    def wait(self, until: float) -> None:
        while any(w.running() for w in self.pending) and time.time() < until:
            time.sleep(0.01)

    def kill(self) -> None:
        for w in self.pending:
            w.kill()
        self.pending.clear()

    def _slice(self, res: WindowResult, next_start: float | None) -> _Slice | None:
        """The window as a slice: samples by value, and its share of the lost time."""
        if res.data is None or res.started is None:
            return None
        # py-spy's --duration counts sampling intervals: on a busy machine a window runs
        # longer than window_s, so it covers up to when py-spy stopped, not start + window_s.
        covered_end = max(res.ended, res.started + 1e-3)
        if next_start is not None:
            covered_end = max(res.started, min(covered_end, next_start))
        covered = max(1e-3, covered_end - res.started)
        gap = 0.0 if next_start is None else max(0.0, next_start - covered_end)
        scratch = self._scratch
        try:
            idx = add_speedscope(
                scratch, res.data, res.started, covered_end, default_pid=self.info.pid
            )
        except SpeedscopeError:
            return None
        delta = extract_window(scratch, idx)
        # Only the tables are kept between windows: the samples live in the merged profile.
        scratch.windows.clear()
        scratch.counts.clear()
        received = delta.total
        expected = math.ceil(received * (covered + gap) / covered) + res.errors
        info = self.info
        info.windows += 1
        info.samples += received
        info.expected += expected
        return _Slice(info, res.started, covered_end, expected, res.errors, gap, delta.samples)


class ClusterSampler:
    """Samples every worker of the Dask cluster at ``address`` until stopped.

    The same shape as :class:`~app.core.sampling.live.LiveSampler`: ``run(on_window)``
    blocks and calls ``on_window(profile, index, stats)`` for every merged window;
    ``stop()`` may be called from any thread or a signal handler.  ``workers`` has
    per-worker figures and problems; ``events`` the joins, departures and failures
    (also passed to ``on_event`` as they happen).

    ``mode``: ``auto`` attaches to workers on this machine and runs py-spy through
    Dask on the others; ``attach`` only attaches (workers elsewhere are reported as a
    problem); ``via-dask`` runs py-spy through Dask on every worker, this machine's too.
    ``address`` may be changed until ``run`` starts (the GUI starts an embedded cluster
    on its worker thread).
    """

    def __init__(
        self,
        address: str,
        options: SamplerOptions | None = None,
        *,
        duration_s: float | None = None,
        mode: str = MODE_AUTO,
        profile: Profile | None = None,
        connect_timeout_s: float = 5.0,
        on_event: EventCallback | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.address = address
        self.options = options or SamplerOptions()
        self.duration_s = duration_s
        self.mode = mode
        self.profile = profile or Profile()
        self.profile.rate_hz = float(self.options.rate)
        self.connect_timeout_s = connect_timeout_s
        self.on_event = on_event
        self.stats = SamplerStats()
        self.status = ""
        self.message = ""
        self.events: list[str] = []
        self.pid = 0  # a cluster has no one pid; kept for callers written for LiveSampler
        self._stop = threading.Event()
        self._pyspy: str | None = None
        self._pyspy_problem = ""
        try:
            self._pyspy = find_pyspy()
        except PySpyMissingError as exc:  # only needed for the workers on this machine
            self._pyspy_problem = str(exc)
        self._pipes: dict[str, _WorkerPipe] = {}
        self._queues: dict[str, deque[_Slice]] = {}
        self._unknown: dict[str, str] = {}  # workers that could not be identified (why)
        self._client: Client | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._workdir = ""
        self._me = dask_remote.identify()
        self._stall_s = 2.0 * self.options.window_s + 1.5

    # -- control --------------------------------------------------------------

    def stop(self) -> None:
        """Stop after keeping what the windows in flight sampled so far."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    @property
    def workers(self) -> list[WorkerInfo]:
        """Every worker seen so far, by host and address."""
        return sorted((p.info for p in list(self._pipes.values())), key=_worker_key)

    # -- the loop -------------------------------------------------------------

    def run(self, on_window: WindowCallback | None = None) -> str:
        """Sample until the duration ends, ``stop`` is called or the cluster goes away.

        Returns the final status.  Raises SamplerError when the scheduler cannot be
        reached.
        """
        self._client = self._connect()
        self._workdir = make_workdir()
        self._pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="sovprof-dask")
        self.stats.started = time.time()
        deadline = None if self.duration_s is None else self.stats.started + self.duration_s
        next_discovery = 0.0
        try:
            while True:
                now = time.time()
                if self._stop.is_set():
                    self.status = STATUS_STOPPED
                    break
                if deadline is not None and now >= deadline - 0.005:
                    self.status = STATUS_COMPLETE
                    break
                if now >= next_discovery:
                    if not self._discover():
                        self.status = STATUS_TARGET_EXITED
                        self.message = f"the Dask scheduler {self.address} went away"
                        break
                    next_discovery = time.time() + _DISCOVERY_INTERVAL_S
                    if self._all_failed():
                        self.status = STATUS_FAILED
                        self.message = self._failure_message()
                        break
                for pipe in list(self._pipes.values()):
                    if pipe.due(time.time()):
                        pipe.spawn()
                self._collect(final=False)
                self._emit_rounds(on_window, final=False)
                wait = 0.01 if deadline is None else min(0.01, max(0.0, deadline - time.time()))
                self._stop.wait(wait)
            self._drain(on_window, cut=self.status in (STATUS_STOPPED, STATUS_COMPLETE))
        finally:
            for pipe in self._pipes.values():
                pipe.kill()
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._close_client()
            remove_workdir(self._workdir)
        return self.status

    def _connect(self) -> Client:
        from kernels.dask_tier import probe

        info = probe(self.address, timeout_s=self.connect_timeout_s)
        if "workers" not in info:  # not reached (a scheduler without workers is fine)
            raise SamplerError(str(info.get("problem") or f"cannot reach {self.address}"))
        from distributed import Client

        dask_remote.register()
        try:
            client: Client = Client(  # type: ignore[no-untyped-call]
                self.address, timeout=self.connect_timeout_s, set_as_default=False
            )
            return client
        except (OSError, TimeoutError) as exc:
            raise SamplerError(
                f"cannot connect to Dask scheduler {self.address}: {_one_line(exc)}"
            ) from None

    def _close_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.close(timeout=2)  # type: ignore[no-untyped-call]

    def _drain(self, on_window: WindowCallback | None, cut: bool) -> None:
        pipes = list(self._pipes.values())
        if cut:
            for pipe in pipes:
                pipe.interrupt()
        until = time.time() + self.options.window_s + 10.0
        for pipe in pipes:
            pipe.wait(until)
        self._collect(final=True)
        self._emit_rounds(on_window, final=True)

    # -- workers --------------------------------------------------------------

    def _discover(self) -> bool:
        """Pick up new workers and notice departed ones; False if the scheduler is gone."""
        client = self._client
        assert client is not None
        if client.status not in ("running", "connecting"):
            return False
        try:
            known = dict(client.scheduler_info(n_workers=-1).get("workers") or {})
        except Exception:
            return client.status in ("running", "connecting")
        for address, pipe in self._pipes.items():
            if pipe.active and address not in known:
                pipe.leave(WORKER_LEFT, "left the cluster")
                self._event(f"worker {address} left the cluster")
        new = [a for a in known if a not in self._pipes]
        if new:
            self._add_workers(client, new, known)
        return True

    def _add_workers(self, client: Client, new: list[str], known: dict[str, Any]) -> None:
        t0 = time.time()
        try:
            answers = client.run(dask_remote.identify, workers=new, on_error="return")
        except Exception as exc:
            for address in new:
                self._note_unknown(address, f"cannot ask it who it is: {_one_line(exc)}")
            return
        mid = (t0 + time.time()) / 2
        first = not self._pipes and not self._unknown
        for address in new:
            ident = answers.get(address)
            if not isinstance(ident, dict):
                why = _one_line(ident) if isinstance(ident, BaseException) else "no answer"
                self._note_unknown(address, f"cannot ask it who it is: {why}")
                continue
            self._unknown.pop(address, None)
            entry = known.get(address) or {}
            info = self._worker_info(address, entry, ident, mid)
            self._pipes[address] = _WorkerPipe(info, self._spawner(info), self.options)
            self._queues[address] = deque()
            if info.problem:
                self._event(f"worker {address}: {info.problem}")
            elif not first:
                self._event(f"worker {address} (host {info.host}, pid {info.pid}) joined")

    def _worker_info(
        self, address: str, entry: dict[str, Any], ident: dict[str, Any], mid: float
    ) -> WorkerInfo:
        local = _same_machine(self._me, ident)
        host = str(entry.get("host") or _host_of(address))
        name = str(entry.get("name", address))
        pid = int(ident["pid"])
        attach = self.mode == MODE_ATTACH or (self.mode == MODE_AUTO and local)
        mode = MODE_ATTACH if attach else MODE_VIA_DASK
        info = WorkerInfo(address, host, name, pid, mode, local)
        if not local:
            info.clock_offset_s = float(ident.get("time", mid)) - mid
        if mode == MODE_ATTACH and not local:
            info.state = WORKER_FAILED
            info.problem = (
                f"runs on {ident.get('hostname', host)}, not on this machine: cannot attach "
                "from here (use mode auto or via-dask)"
            )
        elif mode == MODE_ATTACH and self._pyspy is None:
            info.state = WORKER_FAILED
            info.problem = self._pyspy_problem
        return info

    def _note_unknown(self, address: str, why: str) -> None:
        if self._unknown.get(address) != why:
            self._unknown[address] = why
            self._event(f"worker {address}: {why}")

    def _spawner(self, info: WorkerInfo) -> Callable[[], _Window]:
        client, pool, pyspy = self._client, self._pool, self._pyspy
        if info.mode == MODE_ATTACH:
            return lambda: _LocalWindow(info.pid, self.options, pyspy or "py-spy", self._workdir)
        assert client is not None and pool is not None
        return lambda: _RemoteWindow(pool, client, info, self.options)

    def _all_failed(self) -> bool:
        infos = [p.info for p in self._pipes.values()]
        return bool(infos) and all(i.state == WORKER_FAILED for i in infos)

    def _failure_message(self) -> str:
        problems = [f"worker {i.address}: {i.problem}" for i in self.workers if i.problem]
        return "; ".join(problems) or "no worker could be sampled"

    def _event(self, text: str) -> None:
        self.events.append(text)
        if self.on_event is not None:
            self.on_event(text)

    # -- merging --------------------------------------------------------------

    def _collect(self, final: bool) -> None:
        for address, pipe in self._pipes.items():
            was_active = pipe.active
            for piece in pipe.collect(final):
                self._queues[address].append(piece)
            if was_active and not pipe.active:
                self._event(f"worker {address}: {pipe.info.problem}")
            self.stats.pyspy_cpu_s += pipe.cpu_s
            pipe.cpu_s = 0.0

    def _emit_rounds(self, on_window: WindowCallback | None, final: bool) -> None:
        """Merge one slice of every worker into one window, as soon as all have one.

        A worker that is late by more than two windows does not hold the others up:
        its slice goes into a later round.
        """
        while True:
            heads = [q for q in self._queues.values() if q]
            if not heads:
                return
            if not final:
                waiting = any(p.active and not self._queues[a] for a, p in self._pipes.items())
                oldest = min(q[0].queued_at for q in heads)
                if waiting and time.time() - oldest < self._stall_s:
                    return
            self._emit([q.popleft() for q in heads], on_window)

    def _emit(self, pieces: list[_Slice], on_window: WindowCallback | None) -> None:
        profile = self.profile
        window = Window(
            min(p.start for p in pieces),
            max(p.end for p in pieces),
            sum(p.expected for p in pieces),
            sum(p.errors for p in pieces),
        )
        idx = profile.add_window(window)
        intern_frame, intern_stack = profile.frames.intern, profile.stacks.intern
        cells: dict[int, dict[int, int]] = {}
        for piece in pieces:
            w = piece.worker
            for thread, stack, n in piece.samples:
                name = worker_thread_name(w.address, w.host, thread.name)
                t = profile.add_thread(thread.pid, thread.tid, name)
                sid = intern_stack(intern_frame(*f) for f in stack)
                cell = cells.setdefault(t, {})
                cell[sid] = cell.get(sid, 0) + n
        for t, cell in cells.items():
            profile.add_samples(idx, t, cell)
        received = sum(sum(c.values()) for c in cells.values())
        st = self.stats
        st.windows += 1
        st.samples += received
        st.expected += window.expected
        st.errors += window.errors
        st.last_gap_s = max(p.gap for p in pieces)
        st.max_gap_s = max(st.max_gap_s, st.last_gap_s)
        st.elapsed_s = time.time() - st.started
        if on_window is not None:
            on_window(profile, idx, st)


def _worker_key(info: WorkerInfo) -> tuple[str, str]:
    return info.host, info.address


def _same_machine(me: dict[str, Any], other: dict[str, Any]) -> bool:
    """Same kernel boot and pid namespace: the worker's pid means the same here."""
    if me.get("boot_id") and other.get("boot_id"):
        return bool(me["boot_id"] == other["boot_id"] and me.get("pidns") == other.get("pidns"))
    return bool(other.get("hostname") == socket.gethostname() and _pid_alive(int(other["pid"])))


def _host_of(address: str) -> str:
    loc = address.split("://", 1)[-1]
    return loc.rsplit(":", 1)[0] if ":" in loc else loc


def _pid_alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def _one_line(exc: object) -> str:
    text = " ".join(str(exc).split())
    if isinstance(exc, BaseException):
        return text[:200] or type(exc).__name__
    return text[:200]
