"""Derived metrics: plain arithmetic, None (never 0) when an input is missing or 0."""

from __future__ import annotations

import sys
import time

import pytest

from app.core.counters.derived import (
    BRANCH_MISS,
    CACHE_MISS,
    CPU_UTIL,
    DERIVED_SPECS,
    IPC,
    branch_miss_pct,
    cache_miss_pct,
    cpu_utilisation,
    deltas,
    derive,
    ipc,
)
from sovprof_testing import SpawnTarget

FULL = {
    "perf.cycles": 2_000.0,
    "perf.instructions": 3_000.0,
    "perf.cache-references": 400.0,
    "perf.cache-misses": 100.0,
    "perf.branch-instructions": 1_000.0,
    "perf.branch-misses": 20.0,
    "perf.task-clock": 1.5e9,
}


def test_each_metric_is_plain_arithmetic() -> None:
    assert ipc(FULL) == pytest.approx(1.5)
    assert cache_miss_pct(FULL) == pytest.approx(25.0)
    assert branch_miss_pct(FULL) == pytest.approx(2.0)
    assert cpu_utilisation(FULL, 0.5) == pytest.approx(3.0)  # three cores busy


def test_derive_returns_all_when_everything_is_there() -> None:
    assert derive(FULL, 1.0) == pytest.approx(
        {IPC: 1.5, CACHE_MISS: 25.0, BRANCH_MISS: 2.0, CPU_UTIL: 1.5}
    )
    assert {s.name for s in DERIVED_SPECS} == {IPC, CACHE_MISS, BRANCH_MISS, CPU_UTIL}


@pytest.mark.parametrize(
    ("missing", "gone"),
    [
        ("perf.cycles", IPC),
        ("perf.instructions", IPC),
        ("perf.cache-references", CACHE_MISS),
        ("perf.cache-misses", CACHE_MISS),
        ("perf.branch-instructions", BRANCH_MISS),
        ("perf.branch-misses", BRANCH_MISS),
        ("perf.task-clock", CPU_UTIL),
    ],
)
def test_missing_input_gives_none_not_zero(missing: str, gone: str) -> None:
    d = {k: v for k, v in FULL.items() if k != missing}
    out = derive(d, 1.0)
    assert gone not in out
    assert len(out) == 3
    fns = {
        IPC: ipc(d),
        CACHE_MISS: cache_miss_pct(d),
        BRANCH_MISS: branch_miss_pct(d),
        CPU_UTIL: cpu_utilisation(d, 1.0),
    }
    assert fns[gone] is None


@pytest.mark.parametrize(
    ("zero", "gone"),
    [
        ("perf.cycles", IPC),
        ("perf.cache-references", CACHE_MISS),
        ("perf.branch-instructions", BRANCH_MISS),
    ],
)
def test_zero_denominator_gives_none(zero: str, gone: str) -> None:
    d = dict(FULL, **{zero: 0.0})
    assert gone not in derive(d, 1.0)


def test_zero_numerator_is_a_real_zero() -> None:
    d = dict(FULL, **{"perf.cache-misses": 0.0, "perf.task-clock": 0.0})
    out = derive(d, 1.0)
    assert out[CACHE_MISS] == 0.0 and out[CPU_UTIL] == 0.0


def test_zero_or_negative_wall_time_gives_none() -> None:
    assert cpu_utilisation(FULL, 0.0) is None
    assert cpu_utilisation(FULL, -1.0) is None
    assert CPU_UTIL not in derive(FULL, 0.0)


def test_software_only_machine_derives_only_utilisation() -> None:
    sw = {"perf.task-clock": 0.25e9, "perf.context-switches": 10.0}
    assert derive(sw, 0.5) == pytest.approx({CPU_UTIL: 0.5})
    assert derive({}, 1.0) == {}


def test_deltas_keep_common_names_and_never_go_negative() -> None:
    prev = {"a": 10.0, "b": 5.0, "gone": 1.0}
    cur = {"a": 15.0, "b": 4.0, "new": 7.0}
    assert deltas(prev, cur) == {"a": 5.0, "b": 0.0}
    assert deltas({}, cur) == {}
    assert deltas(prev, {}) == {}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="perf_event is Linux")
def test_utilisation_of_a_real_busy_target(spawn_target: SpawnTarget) -> None:
    from app.core.counters.perf_event import PerfEventSource

    proc = spawn_target("counters_busy", "30")
    with PerfEventSource(proc.pid) as src:
        if "perf.task-clock" not in {s.name for s in src.specs()}:
            pytest.skip("perf_event task-clock unavailable here")
        a = src.read()
        t0 = time.monotonic()
        time.sleep(1.0)
        b = src.read()
        wall = time.monotonic() - t0
    out = derive(deltas(a, b), wall)
    assert 0.5 < out[CPU_UTIL] <= 1.1  # one spinning thread: about one core
    hw = {"perf.cycles", "perf.instructions"} <= set(b)
    assert (IPC in out) == hw
