"""Run a suite: every (kernel, tier) in its own worker process, every size a cell.

A worker that crashes or hangs costs only the cell in flight: the cell is marked failed
with the reason, and a fresh worker takes the remaining sizes. Statistics are computed
here, from the raw samples the worker sends, so they can be compared with a baseline
later.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import IO, Any

from kernels import isa, stats, suite
from kernels.procs import python_path_env, signal_name, worker_command
from kernels.spec import KernelSpec

DEFAULT_CELL_TIMEOUT_S = 120.0
START_TIMEOUT_S = 120.0  # importing numba / pyopencl / dask and connecting


@dataclass
class Options:
    samples: int = 20
    warmup_s: float = 0.2
    min_sample_s: float = 0.002
    max_s_per_size: float = 2.0
    cell_timeout_s: float = DEFAULT_CELL_TIMEOUT_S
    timing: bool = True
    seed: int = 0
    #: workers running at once; 1 for measurements (they would disturb each other)
    jobs: int = 1

    def job(self) -> dict[str, Any]:
        return {
            "samples": self.samples,
            "warmup_s": self.warmup_s,
            "min_sample_s": self.min_sample_s,
            "max_s_per_size": self.max_s_per_size,
            "timing": self.timing,
            "seed": self.seed,
        }


@dataclass
class Cell:
    """One (kernel, tier, size) result. Times are seconds per call."""

    kernel: str
    tier: str
    size: int
    correct: bool = False
    error: str | None = None
    median_s: float | None = None
    ci_low_s: float | None = None
    ci_high_s: float | None = None
    mean_s: float | None = None
    std_s: float | None = None
    n_samples: int = 0
    iters: int = 0
    outliers: dict[str, int] = field(default_factory=dict)
    compile_s: float | None = None
    gflops: float | None = None
    gbps: float | None = None
    flops: float = 0.0
    bytes: float = 0.0
    effective_tier: str | None = None
    asm: dict[str, Any] | None = None
    phases: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    samples: list[float] = field(default_factory=list)
    roofline_pct: float | None = None
    bound: str | None = None
    comparison: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.correct and self.error is None and self.median_s is not None

    def as_dict(self, with_samples: bool = True) -> dict[str, Any]:
        d = asdict(self)
        if not with_samples:
            d.pop("samples")
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Cell:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in d.items() if k in names})


ProgressFn = Callable[[int, int, str], None]
CellFn = Callable[[Cell], None]


@dataclass
class Plan:
    kernels: list[str]
    tiers: list[str]
    sizes: dict[str, list[int]]

    @property
    def total(self) -> int:
        return sum(len(self.sizes[k]) for k in self.kernels) * len(self.tiers)


class PlanError(ValueError):
    pass


def make_plan(
    kernels: Sequence[str] | None,
    tiers: Sequence[str],
    sizes: Sequence[int] | None = None,
    quick: bool = False,
) -> Plan:
    names = list(kernels) if kernels else suite.names()
    specs: list[KernelSpec] = []
    for name in names:
        try:
            specs.append(suite.get(name))
        except suite.UnknownKernel as exc:
            raise PlanError(str(exc)) from None
    per: dict[str, list[int]] = {}
    for spec in specs:
        chosen = list(sizes) if sizes else list(spec.test_sizes if quick else spec.default_sizes)
        for n in chosen:
            if n <= 0:
                raise PlanError(f"size {n} is not positive")
            bad = spec.size_problem(n)
            if bad:
                raise PlanError(f"{spec.name}: {bad}")
        per[spec.name] = chosen
    if not tiers:
        raise PlanError("no tiers to run")
    return Plan([s.name for s in specs], list(tiers), per)


def tier_environment(tier: str) -> dict[str, str]:
    return isa.tier_env(tier)


class _Worker:
    """A worker process and a thread that turns its stdout into a queue of events."""

    def __init__(self, job: dict[str, Any], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            worker_command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=python_path_env(env),
            start_new_session=True,
        )
        self.events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.stderr: list[str] = []
        assert self.proc.stdin and self.proc.stdout and self.proc.stderr
        threading.Thread(target=self._pump, args=(self.proc.stdout,), daemon=True).start()
        threading.Thread(target=self._drain, args=(self.proc.stderr,), daemon=True).start()
        try:
            self.proc.stdin.write(json.dumps(job))
            self.proc.stdin.close()
        except OSError:
            pass

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            try:
                self.events.put(json.loads(line))
            except ValueError:
                continue
        self.events.put(None)

    def _drain(self, stream: IO[str]) -> None:
        for line in stream:
            self.stderr.append(line.rstrip())
            del self.stderr[:-20]

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
        self.proc.wait()

    def death(self) -> str:
        code = self.proc.wait()
        tail = next((ln for ln in reversed(self.stderr) if ln.strip()), "")
        why = f"worker crashed ({signal_name(code)})"
        return f"{why}: {tail}" if tail and code > 0 else why


def finish_cell(cell: Cell, spec: KernelSpec, row: dict[str, Any]) -> Cell:
    cell.correct = bool(row.get("correct"))
    cell.error = row.get("error")
    cell.compile_s = row.get("compile_s")
    cell.iters = int(row.get("iters", 0))
    cell.phases = dict(row.get("phases") or {})
    cell.info = dict(row.get("info") or {})
    cell.flops = float(spec.flops(cell.size))
    cell.bytes = float(spec.bytes_moved(cell.size))
    samples = [float(s) for s in row.get("samples") or []]
    if samples:
        s = stats.summarize(samples)
        cell.samples = samples
        cell.median_s, cell.ci_low_s, cell.ci_high_s = s.median, s.ci_low, s.ci_high
        cell.mean_s, cell.std_s, cell.n_samples = s.mean, s.std, s.n
        cell.outliers = asdict(s.outliers)
        if s.median > 0:
            cell.gflops = cell.flops / s.median / 1e9
            cell.gbps = cell.bytes / s.median / 1e9
    return cell


def _run_kernel_tier(
    spec: KernelSpec,
    tier: str,
    sizes: list[int],
    options: Options,
    extra: dict[str, Any],
    on_cell: CellFn,
    cancel: threading.Event,
) -> None:
    remaining = list(sizes)
    asm: dict[str, Any] | None = None
    while remaining and not cancel.is_set():
        job = {"kernel": spec.name, "tier": tier, "sizes": remaining, **options.job(), **extra}
        worker = _Worker(job, tier_environment(tier))
        current: int | None = None
        deadline = time.monotonic() + START_TIMEOUT_S + options.cell_timeout_s
        try:
            while True:
                if cancel.is_set():
                    return
                wait = min(0.25, max(0.0, deadline - time.monotonic()))
                try:
                    ev = worker.events.get(timeout=wait)
                except queue.Empty:
                    if time.monotonic() < deadline:
                        continue
                    n = current if current is not None else remaining[0]
                    what = "compiling/starting" if current is None else "running"
                    limit = options.cell_timeout_s
                    on_cell(
                        Cell(
                            spec.name,
                            tier,
                            n,
                            error=(f"timed out after {limit:g} s ({what}); worker killed"),
                        )
                    )
                    remaining.remove(n)
                    break
                if ev is None:  # the worker's stdout closed
                    why = worker.death()
                    if remaining:
                        n = current if current is not None else remaining[0]
                        on_cell(Cell(spec.name, tier, n, error=why))
                        remaining.remove(n)
                    break
                kind = ev.get("event")
                if kind == "size":
                    current = int(ev["size"])
                    deadline = time.monotonic() + options.cell_timeout_s
                elif kind == "result":
                    n = int(ev["size"])
                    cell = finish_cell(Cell(spec.name, tier, n), spec, ev)
                    if ev.get("asm") is not None:
                        asm = ev["asm"]
                    if asm is not None:
                        cell.asm = asm
                        cell.effective_tier = asm.get("effective_tier")
                    else:
                        cell.effective_tier = tier
                    if n in remaining:
                        remaining.remove(n)
                    current = None
                    on_cell(cell)
                elif kind == "fatal":
                    for n in list(remaining):
                        on_cell(Cell(spec.name, tier, n, error=str(ev.get("error"))))
                    remaining.clear()
                elif kind == "done":
                    for n in list(remaining):
                        on_cell(Cell(spec.name, tier, n, error="the worker skipped this size"))
                    remaining.clear()
        finally:
            worker.kill()


@contextmanager
def dask_scheduler(tiers: Sequence[str], scheduler: str | None) -> Iterator[str | None]:
    """The scheduler address for a suite: given, from the environment, or embedded."""
    if "dask" not in tiers:
        yield None
        return
    from kernels import dask_tier

    address = dask_tier.resolve_address(scheduler)
    if address is not None:
        yield address
        return
    with dask_tier.start_local_cluster() as cluster:
        yield cluster.address


def run_suite(
    plan: Plan,
    options: Options | None = None,
    scheduler: str | None = None,
    progress: ProgressFn | None = None,
    on_cell: CellFn | None = None,
    cancel: threading.Event | None = None,
) -> list[Cell]:
    """Run every cell of ``plan``; never raises for a failing cell."""
    options = options or Options()
    cancel = cancel or threading.Event()
    cells: list[Cell] = []
    lock = threading.Lock()
    total = plan.total

    def record(cell: Cell) -> None:
        with lock:
            cells.append(cell)
            done = len(cells)
        if on_cell is not None:
            on_cell(cell)
        if progress is not None:
            progress(done, total, f"{cell.kernel} · {cell.tier} · n={cell.size}")

    with dask_scheduler(plan.tiers, scheduler) as address:
        extra = {"scheduler": address} if address else {}
        units = [(suite.get(k), t) for k in plan.kernels for t in plan.tiers]
        if progress is not None:
            progress(0, total, "starting")
        if options.jobs <= 1:
            for spec, tier in units:
                _run_kernel_tier(spec, tier, plan.sizes[spec.name], options, extra, record, cancel)
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=options.jobs) as pool:
                futures = [
                    pool.submit(
                        _run_kernel_tier,
                        spec,
                        tier,
                        plan.sizes[spec.name],
                        options,
                        extra,
                        record,
                        cancel,
                    )
                    for spec, tier in units
                ]
                for f in futures:
                    f.result()
    order = {(k, t): i for i, (k, t) in enumerate((k, t) for k in plan.kernels for t in plan.tiers)}
    cells.sort(key=lambda c: (order.get((c.kernel, c.tier), 0), c.size))
    return cells
