"""`sovprof counters` and counters recorded with a session, on real processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sovprof_testing import TARGETS, SpawnTarget, run_cli


def _check_honest(doc: dict[str, object]) -> None:
    counters = doc["counters"]
    unsupported = doc["unsupported"]
    assert isinstance(counters, dict) and isinstance(unsupported, list)
    names = {u["name"] for u in unsupported}
    assert not names & set(counters), "a counter is both read and unsupported"
    for u in unsupported:
        assert u["reason"].strip(), u
    for hw in ("perf.cycles", "perf.instructions"):
        if hw in counters:  # a machine with a PMU: then it must count
            assert counters[hw]["value"] > 0
        else:
            assert hw in names


def test_counters_of_a_busy_process(spawn_target: SpawnTarget) -> None:
    target = spawn_target("ratio_70_30", "30")
    res = run_cli("counters", "--pid", str(target.pid), "--duration", "2", "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    _check_honest(doc)
    clock = doc["counters"]["perf.task-clock"]
    assert clock["unit"] == "ns" and clock["kind"] == "delta"
    assert 0.7 * 2e9 <= clock["value"] <= 1.3 * 2e9  # one busy thread for ~2 s
    assert doc["counters"]["proc.rss"]["value"] > 1_000_000
    assert 0.7 <= doc["derived"]["derived.cpu-utilisation"] <= 1.3
    text = run_cli("counters", "--pid", str(target.pid), "--duration", "1")
    assert text.returncode == 0 and "perf.task-clock" in text.stdout
    assert "unsupported here" in text.stdout or "perf.cycles" in text.stdout


def test_counters_keep_what_was_counted_when_the_target_exits() -> None:
    proc = subprocess.Popen(
        [sys.executable, str(TARGETS / "ratio_70_30.py"), "1.5"], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    res = run_cli("counters", "--pid", str(proc.pid), "--duration", "6", "--json")
    proc.wait()
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["target_exited"] is True
    assert doc["duration_s"] < 5
    # what was counted before the exit is kept (the amount depends on the machine's load)
    assert doc["counters"]["perf.task-clock"]["value"] >= 0.2e9


def test_a_vanished_pid_is_one_line() -> None:
    res = run_cli("counters", "--pid", "999999", "--duration", "1")
    assert res.returncode == 1
    (line,) = res.stderr.strip().splitlines()
    assert line.startswith("sovprof: error: ") and "999999" in line


@pytest.mark.pyspy
def test_record_stores_counters_unless_told_not_to(
    spawn_target: SpawnTarget, sovprof_home: Path
) -> None:
    target = spawn_target("ratio_70_30", "30")
    res = run_cli(
        "record", "--pid", str(target.pid), "--duration", "2", "--json", home=sovprof_home
    )
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    totals = doc["counters"]["totals"]
    assert totals["perf.task-clock"]["value"] > 1e9
    assert all(u["reason"] for u in doc["counters"]["unsupported"])
    from app.core.store import Store

    with Store(sovprof_home / "sessions.sqlite") as store:
        series = store.load_counters(doc["session"])
    assert set(series.values) == set(range(doc["windows"]))  # one reading per window
    res = run_cli(
        "record", "--pid", str(target.pid), "--duration", "1", "--json", "--no-counters",
        home=sovprof_home,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "counters" not in json.loads(res.stdout)


def test_counters_with_a_syscall_summary(spawn_target: SpawnTarget) -> None:
    target = spawn_target("sys_io", "30")
    res = run_cli("counters", "--pid", str(target.pid), "--duration", "1.5", "--syscalls", "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    rows = {r["name"]: r for r in doc["syscalls"]["rows"]}
    assert rows["write"]["calls"] > 10 and rows["read"]["calls"] > 10
    assert doc["counters"]["perf.task-clock"]["value"] > 0
