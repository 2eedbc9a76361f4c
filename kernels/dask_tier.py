"""The distributed tier: the suite's kernels as dask.array graphs on a Dask cluster.

The scheduler is either an embedded :class:`distributed.LocalCluster` that the runner (a
parent process) starts once per suite with :func:`start_local_cluster` and keeps alive,
or an existing scheduler named by address (an argument, or ``SOVPROF_DASK_SCHEDULER``).
Each worker process (:mod:`kernels.worker`, tier ``"dask"``) connects one
:class:`distributed.Client` to it and calls :func:`setup_for`.

A call is END TO END from host numpy arrays, like the OpenCL tier's: the inputs are cut
into chunks (one per worker thread, never smaller than ``SOVPROF_DASK_MIN_CHUNK``
elements, default 2**18), the chunks are scattered straight to the workers (chunk ``i``
of every input on the same worker, so elementwise work needs no worker-to-worker
traffic) under the keys of dask arrays that look persisted (so the graph holds only the
kernel's own tasks), the kernel's dask.array graph is computed, and its result blocks are
gathered back and assembled into a numpy array here. The call records two phases:
``transfer_s`` (the scatter) and ``compute_s`` (graph, compute and gather).

Like the rest of :mod:`kernels`, this module imports dask and distributed lazily (the
runner imports it only to start a cluster) and never imports ``app`` or Qt. The block
functions below use numpy only and are pickled by value, so a remote cluster does not
need sovprof installed.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import math
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np

from kernels.spec import Arrays, Setup

if TYPE_CHECKING:
    from distributed import Client, LocalCluster

ENV_SCHEDULER = "SOVPROF_DASK_SCHEDULER"
#: Smallest chunk, in elements, a task gets (chunks are near-equal, one per worker thread,
#: fewer when the input is small). Tests lower it to exercise several chunks at small sizes.
ENV_MIN_CHUNK = "SOVPROF_DASK_MIN_CHUNK"
DEFAULT_MIN_CHUNK = 1 << 18  # 1 MiB of float32: a task's work outweighs its ~1 ms cost
CONNECT_TIMEOUT_S = 10.0
KERNELS = ("saxpy", "dot", "sum", "matmul", "softmax", "stencil", "histogram")

log = logging.getLogger(__name__)


# -- the scheduler ---------------------------------------------------------------------


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


class EmbeddedCluster:
    """A LocalCluster owned by this process: ``.address`` for the workers, ``.close()``."""

    def __init__(self, cluster: LocalCluster, n_workers: int) -> None:
        self._cluster: LocalCluster | None = cluster
        self.address: str = str(cluster.scheduler_address)
        self.n_workers = n_workers

    @property
    def closed(self) -> bool:
        return self._cluster is None

    def close(self) -> None:
        cluster, self._cluster = self._cluster, None
        if cluster is not None:
            _drop_client(self.address)
            cluster.close()

    def __enter__(self) -> EmbeddedCluster:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{self.n_workers} workers"
        return f"EmbeddedCluster({self.address}, {state})"


def start_local_cluster(n_workers: int | None = None) -> EmbeddedCluster:
    """Start a LocalCluster: worker processes with one thread each, no dashboard.

    ``n_workers`` defaults to the number of CPUs this process may use. Worker processes
    are spawned, so a script that calls this must guard its top level with
    ``if __name__ == "__main__":``.
    """
    from distributed import LocalCluster

    n = n_workers if n_workers is not None else _cpu_count()
    if n < 1:
        raise ValueError(f"n_workers must be at least 1, not {n}")
    cluster = LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        scheduler_port=0,
        dashboard_address=None,
        # no dashboard; its health routes on a free port, not on a busy 8787
        scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
        silence_logs=logging.ERROR,
    )
    return EmbeddedCluster(cluster, n)


def resolve_address(explicit: str | None) -> str | None:
    """The scheduler to use: ``explicit``, else ``SOVPROF_DASK_SCHEDULER``, else None
    (meaning: start an embedded cluster)."""
    for candidate in (explicit, os.environ.get(ENV_SCHEDULER)):
        if candidate and candidate.strip():
            return candidate.strip()
    return None


# -- probe -----------------------------------------------------------------------------


def _versions() -> dict[str, str]:
    import dask
    import distributed

    return {
        "python": ".".join(map(str, sys.version_info[:3])),
        "dask": str(dask.__version__),  # type: ignore[attr-defined]
        "distributed": str(distributed.__version__),  # type: ignore[attr-defined]
        "numpy": np.__version__,
    }


def _tcp_precheck(address: str, timeout_s: float) -> str | None:
    """Fail fast on a refused or unresolvable TCP address (distributed would retry until
    the timeout); None when the port answers or the address is not plain TCP/TLS."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, loc = parse_address(address)
        if scheme not in ("tcp", "tls"):
            return None
        host, port = parse_host_port(loc)
    except (ValueError, TypeError) as exc:
        return f"bad Dask scheduler address {address!r}: {exc}"
    try:
        with socket.create_connection((host, int(port)), timeout=timeout_s):
            return None
    except ConnectionRefusedError:
        return f"cannot reach Dask scheduler {address}: connection refused"
    except socket.gaierror as exc:
        return f"cannot reach Dask scheduler {address}: unknown host ({exc.strerror})"
    except TimeoutError:
        return f"cannot reach Dask scheduler {address} within {timeout_s:g} s"
    except OSError as exc:
        return f"cannot reach Dask scheduler {address}: {exc.strerror or exc}"


async def _ask_scheduler(address: str, timeout_s: float) -> tuple[dict[str, Any], Any]:
    from distributed.core import rpc
    from distributed.security import Security

    args = Security().get_connection_args("client")
    async with rpc(address, timeout=timeout_s, connection_args=args) as sched:
        identity = await sched.identity()
        try:
            versions = await sched.versions()
        except Exception:
            versions = None
    return identity, versions


def probe(address: str, timeout_s: float = 5) -> dict[str, Any]:
    """Evidence about the scheduler at ``address``; ``available`` False (with a one-line
    ``problem``) when it cannot be reached or has no workers, within ``timeout_s``."""
    t0 = time.monotonic()
    out: dict[str, Any] = {"scheduler": address, "available": False}
    try:
        out["versions"] = _versions()
    except ImportError as exc:
        out["problem"] = f"dask.distributed is not installed ({exc})"
        return out
    box: dict[str, Any] = {}

    def target() -> None:
        # everything that may block (DNS too) runs here, so the caller waits no longer
        # than the timeout whatever the network does
        try:
            problem = _tcp_precheck(address, timeout_s)
            if problem is not None:
                box["problem"] = problem
                return
            left = max(0.1, timeout_s - (time.monotonic() - t0))
            box["value"] = asyncio.run(asyncio.wait_for(_ask_scheduler(address, left), left))
        except BaseException as exc:  # reported as one line below
            box["error"] = exc

    thread = threading.Thread(target=target, name="sovprof-dask-probe", daemon=True)
    thread.start()
    thread.join(max(0.1, timeout_s - (time.monotonic() - t0)) + 0.25)
    error = box.get("error")
    if thread.is_alive() or isinstance(error, (TimeoutError, asyncio.TimeoutError)):
        out["problem"] = f"cannot reach Dask scheduler {address} within {timeout_s:g} s"
        return out
    if "problem" in box:
        out["problem"] = box["problem"]
        return out
    if error is not None:
        text = " ".join(str(error).split())[:160] or type(error).__name__
        out["problem"] = f"cannot talk to Dask scheduler {address}: {text}"
        return out
    identity, versions = box["value"]
    workers: dict[str, dict[str, Any]] = identity.get("workers") or {}
    threads = sorted({int(w.get("nthreads", 0)) for w in workers.values()})
    out.update(
        scheduler=identity.get("address", address),
        workers=len(workers),
        threads_per_worker=threads[0] if len(threads) == 1 else threads,
        total_threads=sum(int(w.get("nthreads", 0)) for w in workers.values()),
        total_memory=int(
            identity.get("total_memory")
            or sum(int(w.get("memory_limit") or 0) for w in workers.values())
        ),
        worker_hosts=sorted({str(w.get("host", "?")) for w in workers.values()}),
        probe_s=round(time.monotonic() - t0, 4),
    )
    if isinstance(versions, dict):
        packages = versions.get("packages") or {}
        out["scheduler_versions"] = {
            k: str(packages[k]) for k in ("python", "dask", "distributed", "numpy") if k in packages
        }
    if not workers:
        out["problem"] = f"Dask scheduler {address} has no workers"
        return out
    out["available"] = True
    return out


# -- one client per process ------------------------------------------------------------

_CLIENTS: dict[str, Client] = {}
_LOCK = threading.Lock()


def _client(address: str) -> Client:
    with _LOCK:
        client = _CLIENTS.get(address)
        if client is not None and client.status == "running":
            return client
        import cloudpickle
        from distributed import Client

        # the block functions travel by value: remote workers need no sovprof
        cloudpickle.register_pickle_by_value(sys.modules[__name__])
        client = Client(
            address,
            timeout=CONNECT_TIMEOUT_S,
            set_as_default=False,
            direct_to_workers=True,
        )
        if not _CLIENTS:
            atexit.register(_close_clients)
        _CLIENTS[address] = client
        return client


def _drop_client(address: str) -> None:
    with _LOCK:
        client = _CLIENTS.pop(address, None)
    if client is not None:
        try:
            client.close(timeout=2)
        except Exception:
            log.debug("closing the Dask client of %s failed", address, exc_info=True)


def _close_clients() -> None:
    for address in list(_CLIENTS):
        _drop_client(address)


def _worker_slots(client: Client, address: str) -> list[str]:
    """One entry per worker thread, worker addresses sorted (chunk i goes to slot i)."""
    info = client.scheduler_info(n_workers=-1)["workers"]
    slots: list[str] = []
    for addr in sorted(info):
        slots += [addr] * max(1, int(info[addr].get("nthreads", 1)))
    if not slots:
        raise RuntimeError(f"Dask scheduler {address} has no workers")
    return slots


def _min_chunk() -> int:
    raw = os.environ.get(ENV_MIN_CHUNK, "")
    try:
        return max(1, int(raw)) if raw.strip() else DEFAULT_MIN_CHUNK
    except ValueError:
        return DEFAULT_MIN_CHUNK


# -- the block functions (numpy only; pickled by value) --------------------------------


def _dot_partial(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.array([np.dot(x, y)], dtype=np.float64)


def _sum_partial(x: np.ndarray) -> np.ndarray:
    return np.array([np.sum(x)], dtype=np.float64)


def _softmax_rows(a: np.ndarray) -> np.ndarray:
    e = np.exp(a - a.max(axis=1, keepdims=True))
    out: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return out


def _stencil_block(u: np.ndarray, c0: Any, c1: Any) -> np.ndarray:
    """The stencil on one block with its ghost rows/columns: edges copied (the ghost
    ones are trimmed away afterwards, the grid's own boundary is the reference's)."""
    out: np.ndarray = u.copy()
    out[1:-1, 1:-1] = c0 * u[1:-1, 1:-1] + c1 * (
        u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:]
    )
    return out


def _histogram_partial(x: np.ndarray, bins: int, lo: float, hi: float) -> np.ndarray:
    counts, _ = np.histogram(x, bins=bins, range=(lo, hi))
    return counts.astype(np.int64)[np.newaxis, :]


# -- plans: how a kernel's inputs are cut, and the graph on the scattered chunks -------

Chunks = tuple[tuple[int, ...], ...]
Index = tuple[int, ...]


def split(n: int, parts: int, min_chunk: int) -> tuple[int, ...]:
    """``n`` elements in at most ``parts`` near-equal chunks of at least ``min_chunk``
    (one chunk when ``n`` is smaller)."""
    if n <= 0:
        return (0,)
    k = max(1, min(parts, n // max(1, min_chunk)))
    base, extra = divmod(n, k)
    return tuple(base + (1 if i < extra else 0) for i in range(k))


def _offsets(chunks: Sequence[int]) -> list[int]:
    out = [0]
    for c in chunks:
        out.append(out[-1] + c)
    return out


def _cut(x: np.ndarray, chunks: Chunks) -> dict[Index, np.ndarray]:
    """The blocks of ``x`` (C-contiguous copies, made once in setup) by block index."""
    offsets = [_offsets(c) for c in chunks]
    out: dict[Index, np.ndarray] = {}
    for idx in np.ndindex(*(len(c) for c in chunks)):
        where = tuple(slice(o[i], o[i + 1]) for o, i in zip(offsets, idx, strict=True))
        out[tuple(int(i) for i in idx)] = np.ascontiguousarray(x[where])
    return out


def _row_major(idx: Index, chunks: Chunks) -> int:
    flat = 0
    for i, c in zip(idx, chunks, strict=True):
        flat = flat * len(c) + i
    return flat


@dataclass
class Operand:
    """One host input, cut into blocks; ``home(idx)`` picks the worker slot of a block
    (blocks that meet in one task share a slot: no worker-to-worker transfer)."""

    blocks: dict[Index, np.ndarray]
    chunks: Chunks
    dtype: np.dtype[Any]
    home: Callable[[Index], int]


def operand(x: np.ndarray, chunks: Chunks, home: Callable[[Index], int] | None = None) -> Operand:
    return Operand(_cut(x, chunks), chunks, x.dtype, home or (lambda idx: _row_major(idx, chunks)))


@dataclass
class Plan:
    """A kernel's operands, and the dask collection it computes from them."""

    operands: list[Operand]
    #: dask arrays of the scattered operands -> the dask collection to compute
    build: Callable[..., Any]
    #: host post-processing of the gathered result
    finish: Callable[[Any], Any] = lambda r: r


def _plan_1d(inputs: Arrays, slots: int, min_chunk: int, graph: Callable[..., Any]) -> Plan:
    """Elementwise/reduction kernels: every input cut the same way along its length."""
    chunks = (split(int(inputs[0].shape[0]), slots, min_chunk),)
    return Plan([operand(x, chunks) for x in inputs], graph)


def _plan_saxpy(inputs: Arrays, slots: int, min_chunk: int) -> Plan:
    from kernels.suite.saxpy import ALPHA

    alpha = np.float32(ALPHA)
    return _plan_1d(inputs, slots, min_chunk, lambda x, y: alpha * x + y)


def _plan_dot(inputs: Arrays, slots: int, min_chunk: int) -> Plan:
    import dask.array as da

    def graph(x: Any, y: Any) -> Any:
        nb = len(x.chunks[0])
        return da.map_blocks(_dot_partial, x, y, chunks=((1,) * nb,), dtype=np.float64).sum()

    plan = _plan_1d(inputs, slots, min_chunk, graph)
    plan.finish = np.float32
    return plan


def _plan_sum(inputs: Arrays, slots: int, min_chunk: int) -> Plan:
    import dask.array as da

    def graph(x: Any) -> Any:
        nb = len(x.chunks[0])
        return da.map_blocks(_sum_partial, x, chunks=((1,) * nb,), dtype=np.float64).sum()

    plan = _plan_1d(inputs, slots, min_chunk, graph)
    plan.finish = np.float32
    return plan


def _plan_histogram(inputs: Arrays, slots: int, min_chunk: int) -> Plan:
    import dask.array as da

    from kernels.suite import histogram as mod

    bins = int(mod.BINS)
    lo, hi = (float(v) for v in getattr(mod, "RANGE", (0.0, 1.0)))

    def graph(x: Any) -> Any:
        nb = len(x.chunks[0])
        parts = da.map_blocks(
            _histogram_partial,
            x,
            bins=bins,
            lo=lo,
            hi=hi,
            chunks=((1,) * nb, (bins,)),
            new_axis=1,
            dtype=np.int64,
        )
        return parts.sum(axis=0, dtype=np.int64)

    return _plan_1d(inputs, slots, min_chunk, graph)


def _plan_matmul(inputs: Arrays, slots: int, min_chunk: int) -> Plan:
    a, b = inputs
    # blocks per side: about sqrt(workers), so the blocks² output blocks cover them
    per_side = max(1, math.ceil(math.sqrt(slots)))
    side = split(int(a.shape[0]), per_side, max(1, math.isqrt(min_chunk)))
    chunks = (side, side)
    # A[i, k] and B[k, j] on slot k: every block product is local, only sums travel
    return Plan(
        [operand(a, chunks, lambda idx: idx[1]), operand(b, chunks, lambda idx: idx[0])],
        lambda x, y: x @ y,
    )


def _plan_softmax(inputs: Arrays, slots: int, min_chunk: int) -> Plan:
    import dask.array as da

    (x,) = inputs
    shape = x.shape
    width = int(shape[-1]) if x.ndim == 2 else 256
    a = x.reshape(-1, width)
    chunks = (split(int(a.shape[0]), slots, max(1, min_chunk // width)), (width,))
    return Plan(
        [operand(a, chunks)],
        lambda m: da.map_blocks(_softmax_rows, m, dtype=a.dtype),
        finish=lambda r: r.reshape(shape),
    )


def _plan_stencil(inputs: Arrays, slots: int, min_chunk: int) -> Plan:
    import dask.array as da

    from kernels.suite import stencil as mod

    (u,) = inputs
    n_rows, n_cols = (int(s) for s in u.shape)
    c0 = u.dtype.type(mod.C0)
    c1 = u.dtype.type(mod.C1)
    # row strips of whole rows (only ghost rows to exchange), at least 2 rows each
    chunks = (split(n_rows, slots, max(2, min_chunk // max(1, n_cols))), (n_cols,))

    def graph(g: Any) -> Any:
        return da.map_overlap(
            _stencil_block, g, depth=1, boundary="none", dtype=u.dtype, c0=c0, c1=c1
        )

    return Plan([operand(u, chunks)], graph)


PLANS: dict[str, Callable[[Arrays, int, int], Plan]] = {
    "saxpy": _plan_saxpy,
    "dot": _plan_dot,
    "sum": _plan_sum,
    "matmul": _plan_matmul,
    "softmax": _plan_softmax,
    "stencil": _plan_stencil,
    "histogram": _plan_histogram,
}


# -- the timed call --------------------------------------------------------------------


def _graph_tasks(collection: Any) -> int:
    """Tasks the scheduler runs for ``collection``: its optimized graph, less the
    scattered blocks it reads (those are already in the workers' memory)."""
    import dask
    from distributed import Future

    (opt,) = dask.optimize(collection)  # type: ignore[attr-defined]
    return sum(not isinstance(v, Future) for v in dict(opt.__dask_graph__()).values())


class DaskCall:
    """``call()`` for one kernel and one set of inputs; ``phases()`` and ``info``."""

    def __init__(
        self, client: Client, address: str, kernel: str, plan: Plan, slots: list[str]
    ) -> None:
        self.client = client
        self.kernel = kernel
        self.plan = plan
        self.slots = slots
        self.direct = True
        self._phases: dict[str, list[float]] = {"transfer_s": [], "compute_s": []}
        # which worker gets which block: fixed for the inputs, like a data layout
        self._placement: dict[str, list[tuple[int, Index]]] = {}
        for k, op in enumerate(plan.operands):
            for idx in op.blocks:
                slot = slots[op.home(idx) % len(slots)]
                self._placement.setdefault(slot, []).append((k, idx))
        self.info: dict[str, Any] = {
            "scheduler": address,
            "workers": len(set(slots)),
            "threads": len(slots),
            "chunks": [list(c) for c in plan.operands[0].chunks],
            "blocks": sum(len(op.blocks) for op in plan.operands),
            "workers_used": len(self._placement),
            "min_chunk": _min_chunk(),
            "scatter": "direct to workers",
        }

    def _scatter(self) -> list[Any]:
        """Every block to its worker (all workers at once); the operands as dask arrays
        whose blocks are the scattered data, as if persisted."""
        import dask.array as da

        client, ops = self.client, self.plan.operands
        tag = uuid.uuid4().hex[:12]
        names = [f"sovprof-{self.kernel}-{k}-{tag}" for k in range(len(ops))]
        per_worker = {
            worker: {(names[k], *idx): ops[k].blocks[idx] for k, idx in where}
            for worker, where in self._placement.items()
        }

        async def scatter_all() -> list[Any]:
            coros = [
                client.scatter(
                    data, workers=[worker], hash=False, direct=self.direct, asynchronous=True
                )
                for worker, data in per_worker.items()
            ]
            return list(await asyncio.gather(*coros))

        try:
            results = client.sync(scatter_all)
        except (OSError, TimeoutError):
            if not self.direct:
                raise
            # workers not reachable from here (NAT, firewall): through the scheduler
            self.direct = False
            self.info["scatter"] = "via the scheduler"
            results = client.sync(scatter_all)
        futures: dict[Any, Any] = {}
        for part in results:
            futures.update(part)
        return [
            da.Array(
                {key: fut for key, fut in futures.items() if key[0] == name},
                name,
                op.chunks,
                dtype=op.dtype,
            )
            for name, op in zip(names, ops, strict=True)
        ]

    def _compute(self, collection: Any) -> Any:
        client = self.client
        if getattr(collection, "ndim", 0) == 0 or not hasattr(collection, "to_delayed"):
            return client.compute(collection).result()
        # gather the blocks and assemble them here: no concatenation on a worker
        grid = collection.to_delayed()
        futs = client.compute(list(grid.ravel()))
        parts = client.gather(futs, direct=self.direct)
        blocks = np.empty(grid.shape, dtype=object)
        for idx, part in zip(np.ndindex(*grid.shape), parts, strict=True):
            blocks[idx] = part
        if blocks.ndim == 1:
            return np.concatenate(list(blocks))
        return np.block(blocks.tolist())

    def __call__(self) -> Any:
        t0 = time.perf_counter()
        arrays = self._scatter()
        t1 = time.perf_counter()
        collection = self.plan.build(*arrays)
        result = self.plan.finish(self._compute(collection))
        t2 = time.perf_counter()
        self._phases["transfer_s"].append(t1 - t0)
        self._phases["compute_s"].append(t2 - t1)
        if "tasks" not in self.info:
            self.info["tasks"] = _graph_tasks(collection)
        return result

    def phases(self, reset: bool = False) -> dict[str, list[float]]:
        out = {k: list(v) for k, v in self._phases.items()}
        if reset:
            for v in self._phases.values():
                v.clear()
        return out


def setup_for(kernel_name: str, address: str) -> Setup:
    """``setup(inputs) -> call`` for ``kernel_name`` on the scheduler at ``address``
    (empty: ``SOVPROF_DASK_SCHEDULER``)."""
    plan_for = PLANS.get(kernel_name)
    if plan_for is None:
        raise ValueError(
            f"no Dask implementation of kernel {kernel_name!r} (have: {', '.join(PLANS)})"
        )
    resolved = resolve_address(address)
    if resolved is None:
        raise ValueError(
            f"no Dask scheduler: give the job a 'scheduler' address or set {ENV_SCHEDULER}"
        )
    client = _client(resolved)

    def setup(inputs: Arrays) -> Callable[[], Any]:
        slots = _worker_slots(client, resolved)
        plan = plan_for(tuple(inputs), len(slots), _min_chunk())
        return DaskCall(client, resolved, kernel_name, plan, slots)

    return setup


# -- calibration -----------------------------------------------------------------------


def _noop(i: int) -> int:
    return i


def calibrate(address: str) -> dict[str, float | int | str]:
    """What the cluster costs: per-task overhead, one-task round trip, transfer rate."""
    client = _client(address)
    slots = _worker_slots(client, address)
    workers = sorted(set(slots))
    # warm up: the function's first trip to each worker
    client.gather(client.map(_noop, range(2 * len(workers)), pure=False))

    trips: list[float] = []
    for _ in range(15):
        t = time.perf_counter()
        client.submit(_noop, 0, pure=False).result()
        trips.append(time.perf_counter() - t)

    n_tasks = 400
    t = time.perf_counter()
    client.gather(client.map(_noop, range(n_tasks), pure=False))
    per_task = (time.perf_counter() - t) / n_tasks

    data = np.ones(64 << 20, dtype=np.uint8)
    best_up = best_down = math.inf
    direct = True
    for _ in range(3):
        t = time.perf_counter()
        try:
            fut = client.scatter(data, workers=[workers[0]], hash=False, direct=direct)
        except (OSError, TimeoutError):
            if not direct:
                raise
            direct = False  # workers not reachable from here: through the scheduler
            continue
        t_up = time.perf_counter() - t
        t = time.perf_counter()
        back = client.gather(fut, direct=direct)
        t_down = time.perf_counter() - t
        if back.nbytes != data.nbytes:
            raise RuntimeError("calibration transfer came back short")
        del fut, back
        best_up, best_down = min(best_up, t_up), min(best_down, t_down)
    nbytes = float(data.nbytes)
    return {
        "scheduler": address,
        "workers": len(workers),
        "threads": len(slots),
        "scatter": "direct to workers" if direct else "via the scheduler",
        "round_trip_s": float(np.median(trips)),
        "task_overhead_s": per_task,
        "tasks_timed": n_tasks,
        "scatter_Bps": nbytes / best_up,
        "gather_Bps": nbytes / best_down,
        "transfer_Bps": 2 * nbytes / (best_up + best_down),
        "transfer_bytes": int(nbytes),
    }
