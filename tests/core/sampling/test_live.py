"""The live sampler against real processes with the real py-spy."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from app.core.model.calltree import build_calltree, top_functions
from app.core.model.profile import Profile
from app.core.sampling.live import (
    STATUS_COMPLETE,
    STATUS_STOPPED,
    STATUS_TARGET_EXITED,
    LiveSampler,
    SamplerStats,
)
from app.core.sampling.pyspy import (
    PySpyMissingError,
    SamplerError,
    SamplerOptions,
    find_pyspy,
    pyspy_error_message,
)
from sovprof_testing import TARGETS, SpawnTarget

pytestmark = pytest.mark.pyspy


def shares(profile: Profile) -> dict[str, float]:
    total = profile.total_samples
    return {r.function: 100.0 * r.self_samples / total for r in top_functions(profile)}


def test_finds_the_pyspy_installed_with_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    path = find_pyspy()
    assert os.path.dirname(path) == os.path.dirname(sys.executable)
    monkeypatch.setenv("PATH", "/nonexistent")
    assert find_pyspy() == path  # PATH plays no part
    monkeypatch.setenv("SOVPROF_PYSPY", "/no/such/py-spy")
    with pytest.raises(PySpyMissingError, match="SOVPROF_PYSPY"):
        find_pyspy()


def test_70_30_split_within_5_points(spawn_target: SpawnTarget) -> None:
    target = spawn_target("ratio_70_30", "30")
    sampler = LiveSampler(target.pid, SamplerOptions(rate=200), duration_s=4)
    seen: list[int] = []
    status = sampler.run(lambda prof, idx, st: seen.append(idx))
    assert status == STATUS_COMPLETE
    p = sampler.profile
    assert p.total_samples > 500
    assert seen == list(range(len(p.windows))) and len(seen) >= 4
    got = shares(p)
    assert abs(got["seventy"] - 70) <= 5, got
    assert abs(got["thirty"] - 30) <= 5, got
    build_calltree(p).check(expected_total=p.total_samples)
    # back-to-back windows: little lost, and windows do not overlap
    assert p.lost_samples <= 0.05 * p.expected_samples
    for a, b in zip(p.windows, p.windows[1:], strict=False):
        assert a.start < a.end <= b.start


def test_each_thread_is_shown(spawn_target: SpawnTarget) -> None:
    target = spawn_target("threads", "30")
    sampler = LiveSampler(target.pid, SamplerOptions(rate=100), duration_s=2)
    sampler.run()
    p = sampler.profile
    names = {t.name for t in p.threads}
    assert {"alpha", "beta", "gamma"} <= names
    assert all(t.pid == target.pid for t in p.threads)
    per_thread = dict(zip([t.name for t in p.threads], p.thread_totals(), strict=True))
    for name in ("alpha", "beta", "gamma"):
        assert per_thread[name] > 10
    fns = {r.function for r in top_functions(p)}
    assert {"work_alpha", "work_beta", "work_gamma"} <= fns


def test_target_killed_mid_recording_keeps_every_window(spawn_target: SpawnTarget) -> None:
    target = spawn_target("ratio_70_30", "30")
    delivered: list[int] = []

    def on_window(profile: Profile, idx: int, st: SamplerStats) -> None:
        delivered.append(idx)

    threading.Timer(2.5, target.kill).start()
    sampler = LiveSampler(target.pid, SamplerOptions(rate=100), duration_s=20)
    t0 = time.monotonic()
    status = sampler.run(on_window)
    assert status == STATUS_TARGET_EXITED
    assert time.monotonic() - t0 < 8
    p = sampler.profile
    assert len(p.windows) >= 2 and delivered == list(range(len(p.windows)))
    assert p.duration >= 1.5  # the windows up to the kill, including the partial last
    assert p.total_samples >= 150


def test_stop_keeps_the_partial_window(spawn_target: SpawnTarget) -> None:
    target = spawn_target("ratio_70_30", "30")
    sampler = LiveSampler(target.pid, SamplerOptions(rate=100))
    threading.Timer(1.5, sampler.stop).start()
    assert sampler.run() == STATUS_STOPPED
    assert sampler.profile.total_samples >= 100
    assert len(sampler.profile.windows) == 2


def test_launch_mode_attaches_as_soon_as_the_interpreter_is_ready() -> None:
    child = subprocess.Popen(
        [sys.executable, str(TARGETS / "ratio_70_30.py"), "2"], stdout=subprocess.DEVNULL
    )
    sampler = LiveSampler(child.pid, SamplerOptions(rate=100), child=child)
    status = sampler.run()
    assert status == STATUS_TARGET_EXITED
    assert child.returncode == 0
    got = shares(sampler.profile)
    assert sampler.profile.total_samples > 100
    assert "seventy" in got and "thirty" in got


def test_not_python_and_not_running_are_refused() -> None:
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        with pytest.raises(SamplerError, match="Python"):
            LiveSampler(sleeper.pid, attach_timeout_s=5).run()
    finally:
        sleeper.kill()
        sleeper.wait()
    with pytest.raises(SamplerError, match="not running"):
        LiveSampler(sleeper.pid, attach_timeout_s=5).run()


def test_error_messages_name_the_fix() -> None:
    msg = pyspy_error_message(
        5, "Error: Failed to open process\n0: Permission denied (os error 13)"
    )
    assert "CAP_SYS_PTRACE" in msg and "\n" not in msg
    assert "not running" in pyspy_error_message(5, "Error: No such file or directory (os error 2)")


def test_pyspy_runs_in_its_own_session(spawn_target: SpawnTarget) -> None:
    """A terminal Ctrl-C reaches sovprof, which stops the windows itself."""
    import psutil

    target = spawn_target("ratio_70_30", "30")
    sampler = LiveSampler(target.pid, SamplerOptions(rate=100), duration_s=2.5)
    sessions: list[int] = []

    def on_window(profile: Profile, idx: int, st: SamplerStats) -> None:
        for child in psutil.Process().children():
            if "py-spy" in child.name():
                sessions.append(os.getsid(child.pid))

    assert sampler.run(on_window) == STATUS_COMPLETE
    assert sessions, "no py-spy window was running while a window was delivered"
    assert os.getsid(0) not in sessions


def test_subprocesses_are_followed(spawn_target: SpawnTarget) -> None:
    target = spawn_target("children", "30")
    sampler = LiveSampler(target.pid, SamplerOptions(rate=50, subprocesses=True), duration_s=2)
    sampler.run()
    p = sampler.profile
    pids = {t.pid for t in p.threads}
    assert target.pid in pids and len(pids) == 3
    fns = {r.function for r in top_functions(p)}
    assert {"parent_work", "child_work"} <= fns
