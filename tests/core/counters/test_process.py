"""ProcessSource (psutil counters) against real processes."""

from __future__ import annotations

import json
import os
import subprocess
import time

import psutil
import pytest

from app.core.counters.base import CounterSource, TargetGoneError
from app.core.counters.process import ProcessSource
from sovprof_testing import SpawnTarget

ALL = {
    "proc.cpu-user",
    "proc.cpu-system",
    "proc.rss",
    "proc.uss",
    "proc.threads",
    "proc.ctx-voluntary",
    "proc.ctx-involuntary",
    "proc.io-read",
    "proc.io-write",
    "proc.io-read-chars",
    "proc.io-write-chars",
    "proc.open-files",
}


def test_reads_every_counter_of_a_busy_io_target(spawn_target: SpawnTarget) -> None:
    proc = spawn_target("sys_io", "30")
    src: CounterSource = ProcessSource(proc.pid, uss_budget_s=1.0)
    assert src.source == "proc"
    specs = {s.name: s for s in src.specs()}
    assert set(specs) == ALL, src.unsupported()
    assert src.unsupported() == []
    assert specs["proc.cpu-user"].kind == "delta" and specs["proc.cpu-user"].unit == "s"
    assert specs["proc.rss"].kind == "gauge" and specs["proc.rss"].unit == "bytes"

    first = src.read()
    t0 = time.monotonic()
    time.sleep(0.5)
    second = src.read()
    # on a loaded machine the target may need longer to make its calls
    while second["proc.io-write-chars"] - first["proc.io-write-chars"] < 100_000:
        assert time.monotonic() - t0 < 20, (first, second)
        time.sleep(0.1)
        second = src.read()
    wall = time.monotonic() - t0
    assert set(first) == set(second) == ALL
    cpu = (second["proc.cpu-user"] + second["proc.cpu-system"]) - (
        first["proc.cpu-user"] + first["proc.cpu-system"]
    )
    assert 0 < cpu <= wall + 0.05  # one busy thread: at most the wall time
    assert second["proc.rss"] > 1_000_000
    assert 0 < second["proc.uss"] <= second["proc.rss"]
    assert second["proc.threads"] >= 1
    # the target writes and reads 64 bytes in a loop: rchar grows along with wchar
    assert second["proc.io-read-chars"] - first["proc.io-read-chars"] > 50_000
    assert second["proc.io-write"] >= first["proc.io-write"]
    assert second["proc.open-files"] >= 1  # its temporary file
    for name in ("proc.ctx-voluntary", "proc.ctx-involuntary"):
        assert second[name] >= first[name] >= 0
    src.close()


def test_read_is_cheap(spawn_target: SpawnTarget) -> None:
    proc = spawn_target("ratio_70_30", "30")
    src = ProcessSource(proc.pid)
    src.read()
    t0 = time.perf_counter()
    for _ in range(20):
        src.read()
    per_read = (time.perf_counter() - t0) / 20
    assert per_read < 0.01, f"{per_read * 1e3:.2f} ms per read"
    assert src.uss_cost_s is not None


def test_slow_uss_is_unsupported_with_its_cost(spawn_target: SpawnTarget) -> None:
    proc = spawn_target("ratio_70_30", "30")
    src = ProcessSource(proc.pid, uss_budget_s=0.0)  # nothing is that fast
    names = {s.name for s in src.specs()}
    assert "proc.uss" not in names
    assert "proc.rss" in names
    (uss,) = [u for u in src.unsupported() if u.name == "proc.uss"]
    assert "memory_full_info() costs" in uss.reason and "ms" in uss.reason
    assert "proc.uss" not in src.read()


def test_missing_pid_is_target_gone() -> None:
    with pytest.raises(TargetGoneError, match="no process with PID 999999999"):
        ProcessSource(999_999_999)


def test_exit_and_zombie_are_target_gone(spawn_target: SpawnTarget) -> None:
    proc = spawn_target("ratio_70_30", "30")
    src = ProcessSource(proc.pid)
    src.read()
    proc.kill()
    # not reaped yet: the target is a zombie, which counts as gone
    deadline = time.monotonic() + 5
    while psutil.Process(proc.pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    with pytest.raises(TargetGoneError, match="zombie"):
        src.read()
    proc.wait()  # reaped: the PID vanishes
    with pytest.raises(TargetGoneError, match=f"process {proc.pid} is gone"):
        src.read()


def test_zombie_at_opening_is_target_gone(spawn_target: SpawnTarget) -> None:
    proc = spawn_target("ratio_70_30", "30")
    proc.kill()
    deadline = time.monotonic() + 5
    while psutil.Process(proc.pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    with pytest.raises(TargetGoneError, match="zombie"):
        ProcessSource(proc.pid)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop to another user")
def test_other_users_process_lists_denied_counters(spawn_target: SpawnTarget) -> None:
    """As ``nobody``, a root-owned target's io, smaps and fds are denied, not zero."""
    proc = spawn_target("ratio_70_30", "30")
    rfd, wfd = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the forked child
        try:
            os.close(rfd)
            os.setgroups([])
            os.setresgid(65534, 65534, 65534)
            os.setresuid(65534, 65534, 65534)
            src = ProcessSource(proc.pid)
            doc = {
                "specs": [s.name for s in src.specs()],
                "unsupported": {u.name: [u.reason, u.fix] for u in src.unsupported()},
                "read": src.read(),
            }
            os.write(wfd, json.dumps(doc).encode())
        finally:
            os._exit(0)
    os.close(wfd)
    with os.fdopen(rfd, "rb") as fh:
        raw = fh.read()
    os.waitpid(child, 0)
    doc = json.loads(raw)
    denied = doc["unsupported"]
    for name in ("proc.io-read", "proc.io-write", "proc.uss", "proc.open-files"):
        assert name in denied, denied
        assert "permission denied" in denied[name][0]
        assert "CAP_SYS_PTRACE" in denied[name][1]
        assert name not in doc["read"]
    assert {"proc.cpu-user", "proc.rss", "proc.threads"} <= set(doc["specs"])
    assert doc["read"]["proc.rss"] > 0


def test_non_python_process() -> None:
    """Works on a non-Python process too (psutil needs no interpreter)."""
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        src = ProcessSource(sleeper.pid)
        values = src.read()
        assert values["proc.threads"] == 1
        assert values["proc.rss"] > 0
    finally:
        sleeper.kill()
        sleeper.wait()
