"""The cluster sampler against a REAL Dask LocalCluster: worker processes busy with a
real workload submitted by the test, sampled by the real py-spy (attached from here, or
run inside each worker through ``Client.run``).  Every cluster is closed and its worker
processes are checked gone."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterator

import psutil
import pytest

from app.core.model.calltree import top_functions
from app.core.model.profile import Profile, filter_threads
from app.core.model.workers import host_threads, split_worker_thread, worker_threads
from app.core.sampling.cluster import (
    MODE_ATTACH,
    MODE_VIA_DASK,
    WORKER_LEFT,
    ClusterSampler,
)
from app.core.sampling.live import STATUS_COMPLETE, STATUS_FAILED, STATUS_STOPPED
from app.core.sampling.pyspy import SamplerError, SamplerOptions
from app.demo.dask_workload import ClusterLoad

distributed = pytest.importorskip("distributed")
pytestmark = [pytest.mark.pyspy, pytest.mark.slow]

HOT = "crunch_numbers"


def _gone(pids: list[int], timeout: float = 15.0) -> bool:
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        if not any(psutil.pid_exists(p) for p in pids):
            return True
        time.sleep(0.1)
    return False


def _local_cluster(n_workers: int) -> distributed.LocalCluster:
    return distributed.LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
        silence_logs=40,
    )


class Busy:
    """A cluster of 2 worker processes, a client, and a load submitted from a thread."""

    def __init__(self) -> None:
        self.cluster = _local_cluster(2)
        self.address = str(self.cluster.scheduler_address)
        self.client = distributed.Client(self.address, set_as_default=False)
        self.pids: dict[str, int] = self.client.run(os.getpid)
        self.load = ClusterLoad(self.address).start()

    def close(self) -> None:
        self.load.stop()
        self.client.close()
        self.cluster.close()


@pytest.fixture(scope="module")
def busy() -> Iterator[Busy]:
    b = Busy()
    try:
        yield b
    finally:
        b.close()
    assert _gone(list(b.pids.values())), "worker processes left behind"


def _samples_by_pid(profile: Profile) -> Counter[int]:
    out: Counter[int] = Counter()
    for t, n in zip(profile.threads, profile.thread_totals(), strict=True):
        if n:
            out[t.pid] += n
    return out


def _hot_share(profile: Profile) -> float:
    rows = {r.function: r for r in top_functions(profile)}
    return rows[HOT].total_samples / profile.total_samples if HOT in rows else 0.0


def test_attaches_to_every_local_worker_and_merges_them(busy: Busy) -> None:
    sampler = ClusterSampler(busy.address, SamplerOptions(rate=100), duration_s=4)
    seen: list[int] = []
    status = sampler.run(lambda prof, idx, st: seen.append(idx))
    assert status == STATUS_COMPLETE, sampler.message
    workers = {w.address: w for w in sampler.workers}
    assert set(workers) == set(busy.pids)
    for address, w in workers.items():
        assert w.pid == busy.pids[address]
        assert w.mode == MODE_ATTACH and w.local and w.host == "127.0.0.1"
        assert w.problem == "" and w.windows >= 3 and w.samples > 50
    profile = sampler.profile
    assert seen == list(range(len(profile.windows))) and len(seen) >= 3
    by_pid = _samples_by_pid(profile)
    assert set(by_pid) == set(busy.pids.values()) and min(by_pid.values()) > 50
    # every thread carries its worker; filtering by worker keeps that worker's samples only
    assert all(split_worker_thread(t.name) is not None for t in profile.threads)
    for address, pid in busy.pids.items():
        only = filter_threads(profile, worker_threads(profile, address))
        assert set(_samples_by_pid(only)) == {pid}
        assert only.total_samples == workers[address].samples
        assert _hot_share(only) > 0.1, top_functions(only)[:5]
    host = filter_threads(profile, host_threads(profile, "127.0.0.1"))
    assert host.total_samples == profile.total_samples
    # lost samples are accounted per worker and add up in the merged windows
    assert profile.expected_samples == sum(w.expected for w in workers.values())
    assert profile.expected_samples >= profile.total_samples
    assert sampler.stats.samples == profile.total_samples


def test_runs_pyspy_inside_the_workers_through_dask(busy: Busy) -> None:
    sampler = ClusterSampler(
        busy.address, SamplerOptions(rate=100), duration_s=3, mode=MODE_VIA_DASK
    )
    status = sampler.run()
    assert status == STATUS_COMPLETE, sampler.message
    assert {w.mode for w in sampler.workers} == {MODE_VIA_DASK}
    assert {w.pid for w in sampler.workers} == set(busy.pids.values())
    profile = sampler.profile
    assert set(_samples_by_pid(profile)) == set(busy.pids.values())
    for address in busy.pids:
        only = filter_threads(profile, worker_threads(profile, address))
        assert only.total_samples > 50
        assert _hot_share(only) > 0.1, top_functions(only)[:5]


def test_pyspy_missing_on_the_workers_is_reported_per_worker(busy: Busy) -> None:
    def hide_pyspy() -> tuple[str, str | None, str | None]:
        import os
        import sys

        saved = (sys.executable, os.environ.get("PATH"), os.environ.pop("SOVPROF_PYSPY", None))
        sys.executable = "/nonexistent/bin/python"
        os.environ["PATH"] = "/nonexistent"
        return saved

    def restore(saved: tuple[str, str | None, str | None]) -> None:
        import os
        import sys

        sys.executable = saved[0]
        for key, value in (("PATH", saved[1]), ("SOVPROF_PYSPY", saved[2])):
            if value is not None:
                os.environ[key] = value

    saved = busy.client.run(hide_pyspy)
    try:
        sampler = ClusterSampler(
            busy.address, SamplerOptions(rate=100), duration_s=20, mode=MODE_VIA_DASK
        )
        t0 = time.monotonic()
        status = sampler.run()
        took = time.monotonic() - t0
    finally:
        for address, value in saved.items():
            busy.client.run(restore, value, workers=[address])
    assert status == STATUS_FAILED and took < 10
    assert "py-spy not installed there" in sampler.message
    for w in sampler.workers:
        assert "py-spy not installed there" in w.problem, w
        assert f"worker {w.address}: py-spy not installed there" in sampler.message
    assert sampler.profile.total_samples == 0


def test_unreachable_scheduler_fails_fast_in_one_line() -> None:
    t0 = time.monotonic()
    with pytest.raises(SamplerError, match="connection refused") as err:
        ClusterSampler("tcp://127.0.0.1:9", duration_s=5, connect_timeout_s=3).run()
    assert time.monotonic() - t0 < 5
    assert "\n" not in str(err.value)


def test_workers_joining_and_leaving_mid_session() -> None:
    cluster = _local_cluster(1)
    address = str(cluster.scheduler_address)
    client = distributed.Client(address, set_as_default=False)
    load = ClusterLoad(address).start()
    pids: list[int] = list(client.run(os.getpid).values())
    sampler = ClusterSampler(address, SamplerOptions(rate=100, idle=True))
    runner = threading.Thread(target=lambda: sampler.run(), daemon=True)
    try:
        runner.start()
        _wait(lambda: len(sampler.profile.windows) >= 1, "a first window")
        cluster.scale(2)
        _wait(
            lambda: len(sampler.workers) == 2 and min(w.samples for w in sampler.workers) > 0,
            "the new worker sampled",
        )
        pids = list(client.run(os.getpid).values())
        first = sampler.workers[0].address
        gone_pid = sampler.workers[0].pid
        client.retire_workers([first], close_workers=True)
        _wait(lambda: sampler.workers[0].state == WORKER_LEFT, "the worker marked as left")
        n = len(sampler.profile.windows)
        _wait(lambda: len(sampler.profile.windows) >= n + 2, "windows after it left")
    finally:
        sampler.stop()
        runner.join(20)
        load.stop()
        client.close()
        cluster.close()
    assert sampler.status == STATUS_STOPPED
    assert any("joined" in e for e in sampler.events), sampler.events
    left = sampler.workers[0]
    assert left.problem in ("left the cluster", "worker process exited"), left
    assert any(left.address in e and left.problem in e for e in sampler.events)
    assert sampler.workers[1].state == "sampling"
    assert set(_samples_by_pid(sampler.profile)) == {w.pid for w in sampler.workers}
    assert gone_pid in {w.pid for w in sampler.workers}
    assert _gone(pids), "worker processes left behind"


def _wait(condition: object, what: str, timeout: float = 30.0) -> None:
    assert callable(condition)
    give_up = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < give_up, f"timed out waiting for {what}"
        time.sleep(0.05)
