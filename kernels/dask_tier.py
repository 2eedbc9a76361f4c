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
traffic), a dask.array graph is built on the scattered futures, computed, and its result
gathered back and assembled into a numpy array. The call records two phases:
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np

from kernels.spec import Arrays, Setup

if TYPE_CHECKING:
    from distributed import Client, Future, LocalCluster

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
        "dask": str(dask.__version__),
        "distributed": str(distributed.__version__),
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


def _worker_slots(client: Client) -> list[str]:
    """One entry per worker thread, worker addresses sorted (chunk i goes to slot i)."""
    info = client.scheduler_info(n_workers=-1)["workers"]
    slots: list[str] = []
    for addr in sorted(info):
        slots += [addr] * max(1, int(info[addr].get("nthreads", 1)))
    if not slots:
        raise RuntimeError(f"Dask scheduler {client.scheduler.address} has no workers")
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
    return e / e.sum(axis=1, keepdims=True)


def _stencil_block(u: np.ndarray, c0: Any, c1: Any) -> np.ndarray:
    """The stencil on one block with its ghost rows/columns: edges copied (the ghost
    ones are trimmed away afterwards, the grid's own boundary is the reference's)."""
    out = u.copy()
    out[1:-1, 1:-1] = c0 * u[1:-1, 1:-1] + c1 * (
        u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:]
    )
    return out


def _histogram_partial(x: np.ndarray, bins: int, lo: float, hi: float) -> np.ndarray:
    counts, _ = np.histogram(x, bins=bins, range=(lo, hi))
    return counts.astype(np.int64)[np.newaxis, :]


# -- plans: how a kernel's inputs are cut, and the graph on the scattered chunks -------


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


@dataclass
class Plan:
    """Chunks of the host inputs, and the dask collection built on their futures."""

    #: per input, its chunks (C-contiguous), in block order (row-major for 2-D)
    pieces: list[list[np.ndarray]]
    #: futures (same layout as ``pieces``) -> dask collection
    build: Callable[[list[list[Future]]], Any]
    #: dask chunks of the main input, for the evidence
    chunks: tuple[tuple[int, ...], ...]
    #: host post-processing of the gathered result
    finish: Callable[[Any], Any] = lambda r: r


def _from_futures(
    futures: Sequence[Future], chunks: tuple[tuple[int, ...], ...], dtype: Any
) -> Any:
    """A dask array whose blocks (row-major) are the scattered ``futures``."""
    import dask.array as da

    shape = tuple(len(c) for c in chunks)
    blocks = np.empty(shape, dtype=object)
    for flat, idx in enumerate(np.ndindex(*shape)):
        block_shape = tuple(chunks[d][i] for d, i in enumerate(idx))
        blocks[idx] = da.from_delayed(futures[flat], block_shape, dtype=dtype)
    return da.block(blocks.tolist()) if blocks.size > 1 else blocks.flat[0]


def _cut1(x: np.ndarray, chunks: tuple[int, ...]) -> list[np.ndarray]:
    off = _offsets(chunks)
    return [np.ascontiguousarray(x[off[i] : off[i + 1]]) for i in range(len(chunks))]


def _cut2(a: np.ndarray, rows: tuple[int, ...], cols: tuple[int, ...]) -> list[np.ndarray]:
    r, c = _offsets(rows), _offsets(cols)
    return [
        np.ascontiguousarray(a[r[i] : r[i + 1], c[j] : c[j + 1]])
        for i in range(len(rows))
        for j in range(len(cols))
    ]


def _plan_1d(inputs: Arrays, slots: int, min_chunk: int, graph: Callable[..., Any]) -> Plan:
    """Elementwise/reduction kernels: every input cut the same way along its length."""
    chunks = split(int(inputs[0].shape[0]), slots, min_chunk)
    dtypes = [x.dtype for x in inputs]

    def build(futs: list[list[Future]]) -> Any:
        arrays = [_from_futures(f, (chunks,), dt) for f, dt in zip(futs, dtypes, strict=True)]
        return graph(*arrays)

    return Plan([_cut1(x, chunks) for x in inputs], build, (chunks,))


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
    plan.finish = lambda r: np.float32(r)
    return plan


def _plan_sum(inputs: Arrays, slots: int, min_chunk: int) -> Plan:
    import dask.array as da

    def graph(x: Any) -> Any:
        nb = len(x.chunks[0])
        return da.map_blocks(_sum_partial, x, chunks=((1,) * nb,), dtype=np.float64).sum()

    plan = _plan_1d(inputs, slots, min_chunk, graph)
    plan.finish = lambda r: np.float32(r)
    return plan


def _plan_histogram(inputs: Arrays, slots: int, min_chunk: int) -> Plan:
    import dask.array as da

    from kernels.suite import histogram as mod

    bins = int(getattr(mod, "BINS", 256))
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
    n = int(a.shape[0])
    # blocks per side: about sqrt(workers), so the n_blocks² output blocks cover them
    per_side = max(1, math.ceil(math.sqrt(slots)))
    side = split(n, per_side, max(1, math.isqrt(min_chunk)))
    chunks = (side, side)

    def build(futs: list[list[Future]]) -> Any:
        fa, fb = futs
        return _from_futures(fa, chunks, a.dtype) @ _from_futures(fb, chunks, b.dtype)

    return Plan([_cut2(a, side, side), _cut2(b, side, side)], build, chunks)


def _plan_softmax(inputs: Arrays, slots: int, min_chunk: int) -> Plan:
    import dask.array as da

    (x,) = inputs
    width = int(x.shape[-1]) if x.ndim == 2 else 256
    a = x.reshape(-1, width)
    rows = split(int(a.shape[0]), slots, max(1, min_chunk // width))
    chunks = (rows, (width,))

    def build(futs: list[list[Future]]) -> Any:
        arr = _from_futures(futs[0], chunks, a.dtype)
        return da.map_blocks(_softmax_rows, arr, dtype=a.dtype)

    shape = x.shape
    return Plan([_cut2(a, rows, (width,))], build, chunks, finish=lambda r: r.reshape(shape))


def _plan_stencil(inputs: Arrays, slots: int, min_chunk: int) -> Plan:
    import dask.array as da

    from kernels.suite import stencil as mod

    (u,) = inputs
    n_rows, n_cols = (int(s) for s in u.shape)
    c0 = u.dtype.type(mod.C0)
    c1 = u.dtype.type(mod.C1)
    # row strips (whole rows: no ghost columns to exchange), at least 2 rows each
    rows = split(n_rows, slots, max(2, min_chunk // max(1, n_cols)))
    chunks = (rows, (n_cols,))

    def build(futs: list[list[Future]]) -> Any:
        arr = _from_futures(futs[0], chunks, u.dtype)
        return da.map_overlap(
            _stencil_block, arr, depth=1, boundary="none", dtype=u.dtype, c0=c0, c1=c1
        )

    return Plan([_cut2(u, rows, (n_cols,))], build, chunks)


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


def _graph_tasks(collection: Any, n_futures: int) -> int:
    """Tasks the scheduler runs for ``collection`` (optimized graph, minus the scattered
    chunks it refers to)."""
    import dask

    (opt,) = dask.optimize(collection)
    return max(0, len(opt.__dask_graph__()) - n_futures)


class DaskCall:
    """``call()`` for one kernel and one set of inputs; ``phases()`` and ``info``."""

    def __init__(self, client: Client, kernel: str, plan: Plan, slots: list[str]) -> None:
        self.client = client
        self.kernel = kernel
        self.plan = plan
        self.slots = slots
        self.direct = True
        self._phases: dict[str, list[float]] = {"transfer_s": [], "compute_s": []}
        workers = sorted(set(slots))
        self.info: dict[str, Any] = {
            "scheduler": str(client.scheduler.address),
            "workers": len(workers),
            "threads": len(slots),
            "chunks": [list(c) for c in plan.chunks],
            "blocks": sum(len(p) for p in plan.pieces),
            "min_chunk": _min_chunk(),
            "scatter": "direct to workers",
        }

    def _scatter(self) -> list[list[Future]]:
        """Chunk ``i`` of every input to slot ``i mod threads``, all workers at once."""
        client, slots = self.client, self.slots
        per_worker: dict[str, list[tuple[int, int]]] = {}
        for k, pieces in enumerate(self.plan.pieces):
            for i in range(len(pieces)):
                per_worker.setdefault(slots[i % len(slots)], []).append((k, i))

        async def scatter_all() -> list[Any]:
            coros = [
                client.scatter(
                    [self.plan.pieces[k][i] for k, i in where],
                    workers=[worker],
                    hash=False,
                    direct=self.direct,
                    asynchronous=True,
                )
                for worker, where in per_worker.items()
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
        out: list[list[Any]] = [[None] * len(p) for p in self.plan.pieces]
        for (_, where), futs in zip(per_worker.items(), results, strict=True):
            for (k, i), fut in zip(where, futs, strict=True):
                out[k][i] = fut
        return out

    def _compute(self, collection: Any) -> Any:
        client = self.client
        ndim = getattr(collection, "ndim", 0)
        if ndim == 0 or not hasattr(collection, "to_delayed"):
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
        futures = self._scatter()
        t1 = time.perf_counter()
        collection = self.plan.build(futures)
        result = self.plan.finish(self._compute(collection))
        t2 = time.perf_counter()
        self._phases["transfer_s"].append(t1 - t0)
        self._phases["compute_s"].append(t2 - t1)
        if "tasks" not in self.info:
            self.info["tasks"] = _graph_tasks(collection, int(self.info["blocks"]))
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
        slots = _worker_slots(client)
        plan = plan_for(tuple(inputs), len(slots), _min_chunk())
        return DaskCall(client, kernel_name, plan, slots)

    return setup


# -- calibration -----------------------------------------------------------------------


def _noop(i: int) -> int:
    return i


def calibrate(address: str) -> dict[str, float | int | str]:
    """What the cluster costs: per-task overhead, one-task round trip, transfer rate."""
    client = _client(address)
    slots = _worker_slots(client)
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
    for _ in range(3):
        t = time.perf_counter()
        fut = client.scatter(data, workers=[workers[0]], hash=False, direct=True)
        t_up = time.perf_counter() - t
        t = time.perf_counter()
        back = client.gather(fut, direct=True)
        t_down = time.perf_counter() - t
        if back.nbytes != data.nbytes:
            raise RuntimeError("calibration transfer came back short")
        del fut, back
        best_up, best_down = min(best_up, t_up), min(best_down, t_down)
    nbytes = float(data.nbytes)
    return {
        "scheduler": str(client.scheduler.address),
        "workers": len(workers),
        "threads": len(slots),
        "round_trip_s": float(np.median(trips)),
        "task_overhead_s": per_task,
        "tasks_timed": n_tasks,
        "scatter_Bps": nbytes / best_up,
        "gather_Bps": nbytes / best_down,
        "transfer_Bps": 2 * nbytes / (best_up + best_down),
        "transfer_bytes": int(nbytes),
    }
