"""A small busy Dask workload, for profiling a cluster end to end.

:class:`ClusterLoad` keeps every worker of a cluster busy with pure-Python tasks
(:func:`crunch_numbers`, with :func:`tally` under it), submitted from a background
thread until stopped.  :class:`EmbeddedDemo` starts a LocalCluster and the load on it:
what ``sovprof record --dask embedded`` and the GUI's "embedded demo" profile.
"""

from __future__ import annotations

import threading
from typing import Any

TASK_ITERATIONS = 200_000  # a few tens of milliseconds of pure Python per task


def tally(values: list[int]) -> int:
    total = 0
    for v in values:
        total = (total * 31 + v) % 1_000_003
    return total


def crunch_numbers(seed: int, n: int = TASK_ITERATIONS) -> int:
    """Pure Python work that holds the GIL: the hot function of the demo."""
    acc = seed
    values = []
    for i in range(n):
        acc = (acc * 1103515245 + 12345 + i) & 0x7FFFFFFF
        if acc % 3:
            values.append(acc % 97)
    return tally(values)


class ClusterLoad:
    """Submits :func:`crunch_numbers` tasks, a few per worker in flight, until stopped."""

    def __init__(self, address: str, per_worker: int = 2, n: int = TASK_ITERATIONS) -> None:
        self.address = address
        self.per_worker = per_worker
        self.n = n
        self.completed = 0
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> ClusterLoad:
        self._thread = threading.Thread(target=self._run, name="sovprof-dask-load", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        from distributed import Client, as_completed

        try:
            with Client(self.address, set_as_default=False, timeout=10) as client:
                seeds = iter(range(1 << 62))

                def submit() -> Any:
                    return client.submit(crunch_numbers, next(seeds), self.n, pure=False)

                workers = max(1, len(client.scheduler_info(n_workers=-1)["workers"]))
                flow = as_completed(
                    [submit() for _ in range(workers * self.per_worker)], loop=client.loop
                )
                for done in flow:
                    done.result()
                    self.completed += 1
                    if not self._stop.is_set():
                        flow.add(submit())  # else: let the ones in flight finish
        except BaseException as exc:  # reported by the owner, the thread just ends
            if not self._stop.is_set():
                self.error = exc


class EmbeddedDemo:
    """A LocalCluster of ``n_workers`` processes with :class:`ClusterLoad` running on it."""

    def __init__(self, n_workers: int = 2) -> None:
        self.n_workers = n_workers
        self.address = ""
        self._cluster: Any = None
        self._load: ClusterLoad | None = None

    def start(self) -> str:
        """Start the cluster and the load; returns the scheduler address."""
        from kernels.dask_tier import start_local_cluster

        self._cluster = start_local_cluster(self.n_workers)
        self.address = str(self._cluster.address)
        self._load = ClusterLoad(self.address).start()
        return self.address

    def close(self) -> None:
        load, self._load = self._load, None
        if load is not None:
            load.stop()
        cluster, self._cluster = self._cluster, None
        if cluster is not None:
            cluster.close()

    def __enter__(self) -> EmbeddedDemo:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
