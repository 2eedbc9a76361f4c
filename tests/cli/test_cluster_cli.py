"""``sovprof record --dask …`` through its real entry point, in a real process.

``run_cluster_cli`` runs the real ``sovprof record --dask …`` (``python -m app``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from app.core.model.workers import split_worker_thread
from app.core.store import Store
from sovprof_testing import ROOT, cli_env

pytest.importorskip("distributed")


def run_cluster_cli(
    *args: str, home: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", "record", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=cli_env(home),
        cwd=ROOT,
    )


@pytest.mark.pyspy
@pytest.mark.slow
def test_records_the_embedded_cluster_as_json(sovprof_home: Path) -> None:
    res = run_cluster_cli("--dask", "embedded", "--duration", "3", "--json", home=sovprof_home)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)  # stdout is exactly one JSON document
    for key in ("session", "samples", "windows", "lost_samples", "duration_s", "top", "workers"):
        assert key in doc, key
    assert doc["status"] == "complete" and doc["windows"] >= 2
    workers = doc["workers"]
    assert len(workers) == 2
    for w in workers:
        assert set(w) >= {"address", "host", "pid", "samples", "problem"}
        assert w["samples"] > 20 and w["problem"] is None and w["mode"] == "attach"
    assert sum(w["samples"] for w in workers) == doc["samples"]
    assert "crunch_numbers" in [r["function"] for r in doc["top"][:8]], doc["top"][:8]
    # the session in the store has the worker identity on every thread
    with Store(sovprof_home / "sessions.sqlite") as store:
        profile = store.load_profile(doc["session"])
        info = store.session_info(doc["session"])
    assert info.status == "complete" and profile.total_samples == doc["samples"]
    assert len(profile.windows) == doc["windows"]
    addresses = {p.address for t in profile.threads if (p := split_worker_thread(t.name))}
    assert addresses == {w["address"] for w in workers}
    assert profile.meta["options"]["dask"].startswith("tcp://127.0.0.1:")
    # the embedded cluster closed with the command
    time.sleep(0.5)
    assert not any(psutil.pid_exists(w["pid"]) for w in workers)


def test_unreachable_scheduler_is_one_line_and_exit_1(sovprof_home: Path) -> None:
    t0 = time.monotonic()
    res = run_cluster_cli("--dask", "tcp://127.0.0.1:9", "--duration", "2", home=sovprof_home)
    took = time.monotonic() - t0
    assert res.returncode == 1
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert lines == [
        "sovprof: error: cannot reach Dask scheduler tcp://127.0.0.1:9: connection refused"
    ]
    assert took < 8
    with Store(sovprof_home / "sessions.sqlite") as store:
        assert store.list_sessions() == []  # nothing half-made


def test_usage_errors_exit_2(sovprof_home: Path) -> None:
    res = run_cluster_cli("--dask", "embedded", "--rate", "0", home=sovprof_home)
    assert res.returncode == 2
    assert res.stderr.startswith("sovprof: error: --rate must be between")
    res = run_cluster_cli("--duration", "1", home=sovprof_home)
    assert res.returncode == 2 and "--dask" in res.stderr
