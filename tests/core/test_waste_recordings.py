"""The waste breakdown on real py-spy recordings of targets built to waste time one way."""

from __future__ import annotations

import pytest

from app.core.model.profile import Profile
from app.core.sampling.live import LiveSampler
from app.core.sampling.pyspy import SamplerOptions
from app.core.waste import COMPUTE, TRANSPORT, WAITING, waste_breakdown
from sovprof_testing import SpawnTarget

pytestmark = [pytest.mark.pyspy, pytest.mark.slow]


def _record(spawn_target: SpawnTarget, name: str, idle: bool, seconds: float = 2.5) -> Profile:
    target = spawn_target(name, "30")
    sampler = LiveSampler(target.pid, SamplerOptions(rate=100, idle=idle), duration_s=seconds)
    sampler.run()
    assert sampler.profile.total_samples > 100, sampler.message
    return sampler.profile


def test_sleeping_target_is_waiting(spawn_target: SpawnTarget) -> None:
    b = waste_breakdown(_record(spawn_target, "waste_sleep", idle=True))
    assert b.share(WAITING) > 0.6, b.as_dict()["shares"]
    assert b.causes[WAITING][0].why == "sleeping"
    assert {t.label.split(" ")[0] for t in b.threads} >= {"MainThread", "napper"}
    assert all(t.share(WAITING) > 0.6 for t in b.threads)


def test_lock_contention_is_waiting(spawn_target: SpawnTarget) -> None:
    b = waste_breakdown(_record(spawn_target, "waste_locks", idle=True))
    assert b.share(WAITING) > 0.6, b.as_dict()["shares"]
    whys = {c.why for c in b.causes[WAITING]}
    assert "entering a lock (`with lock:`)" in whys  # worker_with
    assert "waiting on a lock, event, condition or thread" in whys  # worker_acquire
    # the lock holder computes: each worker has both
    workers = [t for t in b.threads if t.label.startswith("worker-")]
    assert len(workers) == 4
    assert all(t.counts[WAITING] > 0 and t.counts[COMPUTE] > 0 for t in workers)
    assert b.causes[COMPUTE][0].function == "critical_work"


def test_array_copies_are_transport(spawn_target: SpawnTarget) -> None:
    b = waste_breakdown(_record(spawn_target, "waste_copies", idle=False))
    assert b.share(TRANSPORT) > 0.6, b.as_dict()["shares"]
    lines = {c.line for c in b.causes[TRANSPORT] if c.function == "shuffle_layouts"}
    assert {11, 12} <= lines  # np.ascontiguousarray of a transpose, .copy()
