"""Allocations recorded for real: memray and py-spy on the same program, the findings,
the session store, and the `sovprof allocations` command."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.core.allocations.model import AllocationCapture, allocating_functions
from app.core.allocations.recorder import AllocationRecording
from app.core.model.calltree import build_calltree, top_functions
from app.core.model.profile import Profile
from app.core.sampling.live import LiveSampler
from app.core.sampling.pyspy import SamplerOptions
from app.core.store import Store
from sovprof_testing import ROOT, TARGETS, SpawnTarget, cli_env, run_cli

pytestmark = [pytest.mark.pyspy, pytest.mark.slow]

HOT_LOOP = TARGETS / "alloc_hot_loop.py"

# `sovprof allocations` as the app will run it once registered in app/cli/main.py.
_CLI = (
    "import sys\n"
    "from app.cli import allocations, main\n"
    "main.COMMANDS.setdefault('allocations', allocations)\n"
    "sys.exit(main.main(sys.argv[1:]))\n"
)


def _sovprof(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _CLI, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=cli_env(home),
        cwd=ROOT,
    )


def _sample(
    pid: int, child: subprocess.Popen[bytes] | None, store: Store, seconds: float
) -> tuple[Profile, int]:
    sampler = LiveSampler(pid, SamplerOptions(rate=100), duration_s=seconds, child=child)
    session = store.create_session("alloc test", "alloc_hot_loop", pid, 100.0, {})
    sampler.run(lambda p, idx, st: store.append_window(session, p, idx))
    store.finish_session(session, sampler.status)
    assert sampler.profile.total_samples > 100, sampler.message
    return sampler.profile, session


Launched = tuple[AllocationCapture, dict[str, Any], Store, int, Path]


@pytest.fixture(scope="module")
def launched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launched]:
    """One launch-mode recording of the hot-loop target, shared by the checks below."""
    home = tmp_path_factory.mktemp("home")
    alloc = AllocationRecording.launch([sys.executable, str(HOT_LOOP), "30"])
    assert alloc.command is not None
    child = subprocess.Popen(alloc.command, cwd=ROOT, stdout=subprocess.DEVNULL)
    store = Store(home / "sessions.sqlite")
    try:
        cpu, session = _sample(child.pid, child, store, 3.0)
        summary = alloc.finish(cpu, child=child, store=store, session=session)
        assert child.returncode is not None  # finish stopped the program
        assert alloc.capture is not None
        yield alloc.capture, summary, store, session, home
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        alloc.close()
        store.close()


def test_allocation_in_a_hot_loop_is_flagged(
    launched: Launched,
) -> None:
    capture, summary, _, _, _ = launched
    names = [f.function for f in capture.hot_loops]
    assert names[:1] == ["build_buffers"], [f.why for f in capture.hot_loops]
    assert "crunch" not in names  # hot, but allocates nothing big
    assert "cold_reserve" not in names  # allocates big blocks, but is not hot
    top = capture.hot_loops[0]
    assert top.file.endswith("alloc_hot_loop.py") and top.line in (17, 18, 19)
    assert top.allocations_per_s > 5_000 and top.cpu_total_share > 0.1
    assert "reuse the buffer" in top.why
    # cold_reserve does allocate heavily by bytes: it is in the top table, just not hot
    by_bytes = [r.function for r in allocating_functions(capture)[:3]]
    assert {"build_buffers", "cold_reserve"} <= set(by_bytes)
    assert summary["hot_loops"][0]["function"] == "build_buffers"


def test_capture_is_a_profile_the_views_understand(
    launched: Launched,
) -> None:
    capture, summary, _, _, _ = launched
    for prof in (capture.bytes_profile, capture.count_profile):
        tree = build_calltree(prof)
        tree.check(prof.total_samples)
        assert top_functions(prof)[0].function == "build_buffers"
    assert capture.count_profile.frames is capture.bytes_profile.frames
    assert [t.name for t in capture.bytes_profile.threads] == ["MainThread"]
    # no launcher or runpy frames at the root: the program's own <module> is
    roots = {
        capture.bytes_profile.frames.frames[capture.bytes_profile.stacks.frame[s]].function
        for s in range(len(capture.bytes_profile.stacks))
        if capture.bytes_profile.stacks.parent[s] == -1
    }
    assert "<module>" in roots and "_run_code" not in roots
    # allocations per second over time: one bin per clock tick, busy all along
    series = capture.series
    assert series.timed and len(series) >= 20
    busy = [r for r in series.rates()[1:-1] if r[1] - r[0] > 0.05]
    assert sum(1 for r in busy if r[2] > 5_000) >= 0.8 * len(busy)
    assert 2 <= len(capture.bytes_profile.windows) <= 5
    assert sum(series.allocations) == capture.total_allocations
    a_per_s, _ = series.rate_in(series.starts[0], series.ends[-1])
    assert a_per_s == pytest.approx(capture.total_allocations / capture.duration_s, rel=0.01)
    assert summary["total_allocations"] == capture.total_allocations


def test_allocations_are_stored_and_shown(launched: Launched) -> None:
    capture, summary, store, session, home = launched
    loaded = store.load_allocations(session)
    assert loaded is not None and store.has_allocations(session)
    assert loaded.total_bytes == capture.total_bytes
    assert loaded.total_allocations == capture.total_allocations
    assert loaded.hot_loops == capture.hot_loops
    assert loaded.series.allocations == capture.series.allocations
    assert top_functions(loaded.count_profile) == top_functions(capture.count_profile)
    assert loaded.meta["mode"] == "launch"
    res = _sovprof(home, "allocations", str(session), "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["session"] == session
    assert doc["hot_loops"] == summary["hot_loops"]
    assert doc["top_by_count"][0]["function"] == "build_buffers"
    assert doc["rate"] and doc["timed"] is True
    text = _sovprof(home, "allocations", "last")
    assert text.returncode == 0, text.stderr
    assert "allocations inside hot loops:" in text.stdout and "build_buffers" in text.stdout
    store.delete(session)  # the capture goes with its session
    assert store.load_allocations(session) is None


def test_a_session_without_allocations_says_how_to_get_them(sovprof_home: Path) -> None:
    with Store(sovprof_home / "sessions.sqlite") as store:
        session = store.create_session("plain", "x", None, 100.0, {})
    res = _sovprof(sovprof_home, "allocations", str(session))
    assert res.returncode == 1
    assert res.stderr.startswith("sovprof: error: session") and "record --allocations" in res.stderr


@pytest.mark.skipif(
    shutil.which("gdb") is None and shutil.which("lldb") is None,
    reason="memray attach needs gdb or lldb",
)
def test_attach_to_a_running_program(spawn_target: SpawnTarget, sovprof_home: Path) -> None:
    target = spawn_target("alloc_hot_loop", "30")
    alloc = AllocationRecording.attach(target.pid)
    try:
        with Store(sovprof_home / "sessions.sqlite") as store:
            cpu, session = _sample(target.pid, None, store, 2.0)
            summary = alloc.finish(cpu, store=store, session=session)
    finally:
        alloc.close()
    assert target.poll() is None  # detached: the program runs on
    assert alloc.capture is not None
    assert alloc.capture.meta["mode"] == "attach"
    assert not alloc.capture.series.timed and len(alloc.capture.series) == 1
    assert [f.function for f in alloc.capture.hot_loops][:1] == ["build_buffers"]
    assert summary["timed"] is False


def test_record_allocations_cli(sovprof_home: Path) -> None:
    if "--allocations" not in run_cli("record", "--help").stdout:
        pytest.skip("`sovprof record --allocations` is not wired into app/cli/record.py yet")
    res = run_cli(
        "record", "--allocations", "--duration", "3", "--json", "--",
        sys.executable, str(HOT_LOOP), "30", home=sovprof_home,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["allocations"]["hot_loops"][0]["function"] == "build_buffers"
    assert doc["top"][0]["function"] in ("build_buffers", "crunch")
