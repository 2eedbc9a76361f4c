"""Live recording off the GUI thread.

A worker thread runs the LiveSampler (for a Dask cluster, the ClusterSampler) and
writes each window to the session store (its own Store connection).  Each window
crosses to the GUI thread as a frozen WindowDelta through a queued signal; the GUI
merges it into its own Profile, so the GUI never reads what the worker is writing.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from app.core.counters.base import TargetGoneError
from app.core.counters.recorder import CounterRecorder
from app.core.model.delta import extract_window
from app.core.model.profile import Profile
from app.core.privileges import allow_tracing_by
from app.core.processes import TargetError, check_target
from app.core.sampling.cluster import ClusterSampler
from app.core.sampling.live import LiveSampler, SamplerStats
from app.core.sampling.pyspy import PySpyMissingError, SamplerError, SamplerOptions, find_pyspy
from app.core.store import Store, StoreError
from app.demo.dask_workload import EmbeddedDemo


@dataclass(frozen=True)
class Health:
    """The sampler-health line, as a frozen snapshot."""

    samples: int
    lost_pct: float
    last_gap_ms: float
    pyspy_cpu_pct: float
    elapsed_s: float
    windows: int

    @classmethod
    def of(cls, st: SamplerStats) -> Health:
        return cls(
            st.samples,
            st.lost_pct,
            st.last_gap_s * 1000,
            st.pyspy_cpu_pct,
            st.elapsed_s,
            st.windows,
        )

    def text(self) -> str:
        return (
            f"{self.elapsed_s:5.0f} s · {self.samples} samples · lost {self.lost_pct:.1f}% · "
            f"gap {self.last_gap_ms:.0f} ms · py-spy CPU {self.pyspy_cpu_pct:.1f}%"
        )


EMBEDDED_CLUSTER = "embedded"


@dataclass(frozen=True)
class Target:
    """What to record: a PID, a command we launch, or every worker of a Dask cluster
    (``scheduler``: its address, or ``"embedded"`` for a local demo cluster)."""

    pid: int | None = None
    command: tuple[str, ...] = ()
    label: str = ""
    scheduler: str = ""

    @classmethod
    def demo(cls) -> Target:
        cmd = (sys.executable, "-m", "app.demo.workload")
        return cls(command=cmd, label="sovprof demo workload")

    @classmethod
    def cluster(cls, address: str) -> Target:
        address = address.strip()
        if address == EMBEDDED_CLUSTER:
            return cls(scheduler=address, label="embedded Dask demo cluster")
        return cls(scheduler=address, label=f"Dask cluster {address}")

    def describe(self) -> str:
        if self.label:
            return self.label
        return shlex.join(self.command) if self.command else f"PID {self.pid}"


class RecordingController(QObject):
    """Start / pause / resume / stop one live session."""

    windowReady = Signal(object, object, object)  # WindowDelta, Health, counters or None
    countersInfo = Signal(object, object)  # list[CounterSpec], list[Unsupported]
    stateChanged = Signal(str)  # "recording" | "paused" | final status
    failed = Signal(str)  # one-line message
    note = Signal(str)  # one-line news: a cluster worker joined, left or failed
    sessionCreated = Signal(int)

    def __init__(self, store_path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store_path = store_path
        self.session: int | None = None
        self.state = "idle"
        self._profile = Profile()
        self._sampler: LiveSampler | ClusterSampler | None = None
        self._thread: threading.Thread | None = None
        self._child: subprocess.Popen[bytes] | None = None
        self._target: Target | None = None
        self._options = SamplerOptions()
        self._paused = False
        self._demo_cluster: EmbeddedDemo | None = None
        self.with_counters = True

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, target: Target, options: SamplerOptions) -> None:
        """Begin a new session; errors arrive through ``failed``."""
        if self.running:
            raise RuntimeError("already recording")
        try:
            find_pyspy()
            if target.pid is not None:
                check_target(target.pid)
        except (PySpyMissingError, TargetError) as exc:
            self.failed.emit(str(exc))
            return
        if target.command:
            try:
                # Yama ptrace_scope=1: the program declares us (py-spy's parent) its tracer.
                self._child = subprocess.Popen(
                    list(target.command),
                    stdout=subprocess.DEVNULL,
                    preexec_fn=allow_tracing_by(os.getpid()),  # one prctl call, no locks
                )
            except OSError as exc:
                self.failed.emit(f"cannot run {target.command[0]!r}: {exc.strerror or exc}")
                return
        self._target = target
        self._options = options
        self._profile = Profile()
        self.session = None
        self._launch(new_session=True)

    def pause(self) -> None:
        """Stop sampling but keep the session open (resume appends to it)."""
        if self.running and self._sampler is not None:
            self._paused = True
            self._sampler.stop()

    def resume(self) -> None:
        if self._thread is not None:
            self._thread.join(5.0)  # the paused worker may still be closing its store
        if self.state == "paused" and not self.running:
            self._paused = False
            self._launch(new_session=False)

    def stop(self) -> None:
        self._paused = False
        if self.running and self._sampler is not None:
            self._sampler.stop()
        elif self.state == "paused":
            self._finish("stopped", None)

    def wait(self, timeout: float = 15.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def shutdown(self) -> None:
        """Stop everything (window closing)."""
        self.stop()
        self.wait()
        self._stop_child()

    # -- worker ----------------------------------------------------------------

    def _launch(self, new_session: bool) -> None:
        assert self._target is not None
        if self._target.scheduler:
            # the address of an embedded cluster is known once _work has started it
            self._sampler = ClusterSampler(
                self._target.scheduler,
                self._options,
                profile=self._profile,
                on_event=self.note.emit,
            )
        else:
            if self._target.pid is not None:
                pid = self._target.pid
            else:
                assert self._child is not None
                pid = self._child.pid
            self._sampler = LiveSampler(
                pid, self._options, child=self._child, profile=self._profile
            )
        self._thread = threading.Thread(
            target=self._work, args=(self._sampler, new_session), daemon=True, name="recorder"
        )
        self.state = "recording"
        self.stateChanged.emit(self.state)
        self._thread.start()

    def _work(self, sampler: LiveSampler | ClusterSampler, new_session: bool) -> None:
        assert self._target is not None
        try:
            store = Store(self.store_path)
        except StoreError as exc:
            self.failed.emit(str(exc))
            self._set_final("failed")
            return
        counters: CounterRecorder | None = None
        try:
            if isinstance(sampler, ClusterSampler) and not self._start_demo_cluster(sampler):
                return
            if new_session:
                options = self._options.as_dict()
                pid: int | None = sampler.pid
                if isinstance(sampler, ClusterSampler):
                    options.update(dask=sampler.address, dask_mode=sampler.mode)
                    pid = None  # many processes: the workers are in the thread names
                self.session = store.create_session(
                    name=self._target.describe(),
                    target=self._target.describe(),
                    pid=pid,
                    rate_hz=float(self._options.rate),
                    options=options,
                )
                self.sessionCreated.emit(self.session)
            session = self.session
            assert session is not None
            if not isinstance(sampler, ClusterSampler):
                counters = self._open_counters(store, session, sampler.pid)

            def on_window(profile: Profile, idx: int, st: SamplerStats) -> None:
                reading = counters.read_window() if counters is not None else None
                store.append_window(session, profile, idx, reading)
                self.windowReady.emit(extract_window(profile, idx), Health.of(st), reading)

            try:
                status = sampler.run(on_window)
            except SamplerError as exc:
                store.finish_session(session, "failed", str(exc))
                self.failed.emit(str(exc))
                self._set_final("failed")
                return
            if self._paused and status == "stopped":
                self.state = "paused"
                self.stateChanged.emit("paused")
                return
            store.finish_session(session, status, sampler.message or None)
            self._set_final(status)
        except StoreError as exc:
            sampler.stop()
            self.failed.emit(f"{exc} (windows recorded before this are kept)")
            self._set_final("failed")
        finally:
            if counters is not None:
                counters.close()
            store.close()

    def _start_demo_cluster(self, sampler: ClusterSampler) -> bool:
        """Start the embedded demo cluster (once: a resumed session keeps it)."""
        if sampler.address != EMBEDDED_CLUSTER:
            return True
        if self._demo_cluster is None:
            demo = EmbeddedDemo()
            try:
                demo.start()
            except Exception as exc:
                demo.close()
                self.failed.emit(f"cannot start the embedded Dask cluster: {exc}")
                self._set_final("failed")
                return False
            self._demo_cluster = demo
        sampler.address = self._demo_cluster.address
        return True

    def _open_counters(self, store: Store, session: int, pid: int) -> CounterRecorder | None:
        if not self.with_counters:
            return None
        try:
            recorder = CounterRecorder(pid)
        except TargetGoneError:
            return None
        store.set_counter_info(session, recorder.specs(), recorder.unsupported())
        self.countersInfo.emit(recorder.specs(), recorder.unsupported())
        return recorder

    def _finish(self, status: str, message: str | None) -> None:
        if self.session is not None:
            try:
                with Store(self.store_path) as store:
                    store.finish_session(self.session, status, message)
            except StoreError as exc:
                self.failed.emit(str(exc))
        self._set_final(status)

    def _set_final(self, status: str) -> None:
        self._stop_child()
        self.state = status
        self.stateChanged.emit(status)

    def _stop_child(self) -> None:
        demo, self._demo_cluster = self._demo_cluster, None
        if demo is not None:
            demo.close()
        child, self._child = self._child, None
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(3)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
