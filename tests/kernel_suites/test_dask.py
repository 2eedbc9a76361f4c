"""The Dask tier against a REAL LocalCluster (two worker processes, closed at the end).

Every kernel runs through the real worker process (``python -m kernels.worker``), exactly
as the runner starts it, with a small minimum chunk so that even the test sizes are cut
into several chunks (ghost rows, partial sums and per-chunk histograms all exercised).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from kernels import dask_tier
from sovprof_testing import ROOT, cli_env

pytest.importorskip("distributed")

#: every kernel with a Dask implementation, and the sizes it is checked at: big enough
#: for two chunks of MIN_CHUNK elements (rows for the grids), odd where allowed
SIZES: dict[str, list[int]] = {
    "saxpy": [1000, 4099],
    "dot": [1000, 70001],
    "sum": [4099, 70001],
    "matmul": [33, 96],
    "softmax": [256 * 9, 256 * 40],
    "stencil": [3, 67],
    "histogram": [1000, 70001],
}
MIN_CHUNK = 512


@pytest.fixture(scope="module")
def cluster() -> Iterator[dask_tier.EmbeddedCluster]:
    with dask_tier.start_local_cluster(n_workers=2) as embedded:
        yield embedded
    dask_tier._close_clients()


def run_worker(job: dict[str, Any], timeout: float = 90) -> list[dict[str, Any]]:
    env = cli_env(SOVPROF_DASK_MIN_CHUNK=str(MIN_CHUNK))
    env.pop(dask_tier.ENV_SCHEDULER, None)
    res = subprocess.run(
        [sys.executable, "-m", "kernels.worker"],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
    )
    events = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
    assert res.returncode == 0, f"worker failed: {events[-1:]} {res.stderr[-2000:]}"
    return events


def test_probe_gives_evidence(cluster: dask_tier.EmbeddedCluster) -> None:
    info = dask_tier.probe(cluster.address)
    assert info["available"] is True, info
    assert "problem" not in info
    assert info["scheduler"] == cluster.address
    assert info["workers"] == 2 and info["threads_per_worker"] == 1
    assert info["total_threads"] == 2
    assert info["total_memory"] > 0
    assert info["worker_hosts"] == ["127.0.0.1"]
    assert info["versions"]["dask"] and info["versions"]["distributed"]
    assert info["scheduler_versions"]["distributed"] == info["versions"]["distributed"]


@pytest.mark.parametrize(
    "address", ["tcp://127.0.0.1:9", "tcp://definitely-not-a-host.invalid:8786"]
)
def test_probe_unreachable_is_one_line(address: str) -> None:
    t0 = time.monotonic()
    info = dask_tier.probe(address, timeout_s=3)
    assert time.monotonic() - t0 < 4
    assert info["available"] is False
    problem = info["problem"]
    assert address in problem and "\n" not in problem and "Traceback" not in problem
    assert problem.startswith("cannot reach Dask scheduler")


def test_probe_respects_the_timeout() -> None:
    """A port that accepts and then says nothing: the probe gives up on time."""
    import socket

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
        t0 = time.monotonic()
        info = dask_tier.probe(address, timeout_s=1.5)
        assert time.monotonic() - t0 < 3
    assert info["available"] is False
    assert "\n" not in info["problem"] and address in info["problem"]


def test_resolve_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(dask_tier.ENV_SCHEDULER, raising=False)
    assert dask_tier.resolve_address(None) is None
    assert dask_tier.resolve_address(" ") is None
    monkeypatch.setenv(dask_tier.ENV_SCHEDULER, "tcp://10.0.0.1:8786")
    assert dask_tier.resolve_address(None) == "tcp://10.0.0.1:8786"
    assert dask_tier.resolve_address("tcp://h:1") == "tcp://h:1"


def test_split_respects_workers_and_min_chunk() -> None:
    assert dask_tier.split(1000, 2, 512) == (1000,)
    assert dask_tier.split(1025, 2, 512) == (513, 512)
    assert dask_tier.split(10**6, 4, 512) == (250000,) * 4
    assert dask_tier.split(5, 8, 1) == (1,) * 5
    assert sum(dask_tier.split(70001, 3, 512)) == 70001


def test_setup_for_refuses_unknown_kernel_and_missing_scheduler(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ValueError, match="no Dask implementation"):
        dask_tier.setup_for("nope", "tcp://127.0.0.1:9")
    monkeypatch.delenv(dask_tier.ENV_SCHEDULER, raising=False)
    with pytest.raises(ValueError, match="no Dask scheduler"):
        dask_tier.setup_for("saxpy", "")


def test_every_kernel_has_a_dask_implementation() -> None:
    assert set(dask_tier.PLANS) == set(dask_tier.KERNELS) == set(SIZES)


@pytest.mark.parametrize("kernel", list(SIZES))
def test_kernel_correct_through_the_worker(cluster: dask_tier.EmbeddedCluster, kernel: str) -> None:
    job = {
        "kernel": kernel,
        "tier": "dask",
        "scheduler": cluster.address,
        "sizes": SIZES[kernel],
        "samples": 3,
        "warmup_s": 0.01,
        "max_s_per_size": 0.05,
    }
    events = run_worker(job)
    assert events[0]["event"] == "start"
    assert events[-1]["event"] == "done"
    rows = [e for e in events if e["event"] == "result"]
    assert [r["size"] for r in rows] == SIZES[kernel]
    for row in rows:
        assert row.get("correct") is True, row
        assert len(row["samples"]) >= 3 and min(row["samples"]) > 0
        phases = row["phases"]
        assert phases["transfer_s"] > 0 and phases["compute_s"] > 0
        info = row["info"]
        assert info["scheduler"] == cluster.address
        assert info["workers"] == 2 and info["tasks"] >= 1
        assert info["scatter"] == "direct to workers"
    # the larger size is cut into one chunk per worker
    big = rows[-1]["info"]
    assert len(big["chunks"][0]) == 2, big


def test_calibrate_gives_positive_numbers(cluster: dask_tier.EmbeddedCluster) -> None:
    t0 = time.monotonic()
    cal = dask_tier.calibrate(cluster.address)
    assert time.monotonic() - t0 < 15
    assert cal["workers"] == 2
    for key in ("round_trip_s", "task_overhead_s", "transfer_Bps", "scatter_Bps", "gather_Bps"):
        value = cal[key]
        assert isinstance(value, float) and np.isfinite(value) and value > 0, (key, value)
    assert float(cal["round_trip_s"]) < 1.0


def test_importing_the_tier_does_not_import_dask() -> None:
    code = (
        "import sys, kernels.dask_tier; print(sorted({'dask', 'distributed'} & set(sys.modules)))"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert res.stdout.strip() == "[]"
