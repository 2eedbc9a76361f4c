"""Faults of kernel workers: `sovprof bench` with a kernel that segfaults or hangs."""

from __future__ import annotations

import uuid
from pathlib import Path

import psutil
import pytest
from fault_support import json_doc

from sovprof_testing import TARGETS, cli_env, run_cli


def _leftovers(mark: str) -> list[psutil.Process]:
    """Processes still running with ``SOVPROF_FAULT_MARK=mark`` in their environment."""
    found = []
    for p in psutil.process_iter():
        try:
            if p.environ().get("SOVPROF_FAULT_MARK") == mark and p.status() != "zombie":
                found.append(p)
        except psutil.Error:
            continue
    return found


@pytest.mark.slow
def test_kernel_worker_segfaults_or_hangs(home: Path) -> None:
    """A kernel worker that segfaults, or hangs past `--timeout`, under `sovprof bench` →
    its cell fails with the reason ("worker crashed (SIGSEGV)", "timed out after 5 s …
    worker killed"), the other cells run and are correct, exit 0, every cell saved, no
    worker left behind."""
    mark = uuid.uuid4().hex
    env = cli_env(
        home,
        SOVPROF_EXTRA_KERNELS=str(TARGETS / "kernels_faulty.py"),
        SOVPROF_FAULT_MARK=mark,
    )
    res = run_cli(
        "bench", "--kernels", "crashy", "--tiers", "scalar", "--sizes", "100,666,777,1000",
        "--quick", "--timeout", "5", "--json", env=env, timeout=180,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    doc = json_doc(res)
    cells = {c["size"]: c for c in doc["results"]}
    assert sorted(cells) == [100, 666, 777, 1000]
    assert "worker crashed (SIGSEGV)" in cells[666]["error"]
    assert "timed out after 5 s" in cells[777]["error"] and "killed" in cells[777]["error"]
    for size in (666, 777):
        assert cells[size]["median_s"] is None
    for size in (100, 1000):
        assert cells[size]["correct"] and cells[size]["error"] is None
        assert cells[size]["median_s"] > 0
    (run,) = json_doc(run_cli("bench", "--list", "--json", home=home))["runs"]
    assert run["id"] == doc["run"] and run["cells"] == 4
    assert not _leftovers(mark)
