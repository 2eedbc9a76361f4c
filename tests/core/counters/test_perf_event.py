"""perf_event counters of real processes, checked against psutil and the kernel.

Nothing is mocked: every test opens real perf_event counters on a real target
from tests/targets/.  Hardware events are checked both ways: where they open
(bare metal) they must count, where they do not (VMs such as this one) they must
be explained and never appear in a read.
"""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from app.core.counters.base import TargetGoneError
from app.core.counters.perf_event import (
    EVENTS,
    PERF_ATTR_SIZE_VER8,
    PerfEventAttr,
    PerfEventSource,
    make_attr,
    paranoid_level,
    probe,
)
from sovprof_testing import ROOT, TARGETS, SpawnTarget

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="perf_event is Linux")

HARDWARE = [e.name for e in EVENTS if e.hardware]
SOFTWARE = [e.name for e in EVENTS if not e.hardware]


def cpu_seconds(ps: psutil.Process) -> float:
    t = ps.cpu_times()
    return t.user + t.system


def measure(src: PerfEventSource, pid: int, seconds: float) -> tuple[dict[str, float], float]:
    """Counter deltas and psutil's CPU-time delta over the same interval."""
    ps = psutil.Process(pid)
    a = src.read()
    ca = cpu_seconds(ps)
    time.sleep(seconds)
    b = src.read()
    cb = cpu_seconds(ps)
    return {k: b[k] - a[k] for k in b if k in a}, cb - ca


def require_task_clock(src: PerfEventSource) -> None:
    names = {s.name for s in src.specs()}
    if "perf.task-clock" not in names:
        why = {u.name: u.reason for u in src.unsupported()}["perf.task-clock"]
        pytest.skip(f"perf_event unusable here: {why}")


def assert_close(perf_s: float, psutil_s: float, tol: float = 0.10) -> None:
    assert psutil_s > 0.3, f"target barely ran ({psutil_s:.3f} s CPU)"
    assert abs(perf_s - psutil_s) <= tol * psutil_s, (
        f"perf task-clock {perf_s:.3f} s vs psutil {psutil_s:.3f} s"
    )


# ------------------------------------------------------------------ task-clock


def test_task_clock_matches_psutil_for_busy_target(spawn_target: SpawnTarget) -> None:
    proc = spawn_target("counters_busy", "30")
    with PerfEventSource(proc.pid) as src:
        require_task_clock(src)
        d, cpu = measure(src, proc.pid, 1.5)
    assert_close(d["perf.task-clock"] / 1e9, cpu)


def test_task_clock_counts_every_thread(spawn_target: SpawnTarget) -> None:
    """Two hashing threads (GIL released) plus an idle main thread, all counted."""
    proc = spawn_target("counters_busy", "30", "2")
    with PerfEventSource(proc.pid) as src:
        require_task_clock(src)
        assert src.threads_at_attach == 3
        assert src.fd_count() == 3 * len(src.specs())
        d, cpu = measure(src, proc.pid, 1.5)
    # The main thread only waits: counting it alone would give about 0 s.
    assert d["perf.task-clock"] / 1e9 > 0.5 * 1.5
    assert_close(d["perf.task-clock"] / 1e9, cpu)


def test_threads_started_after_attach_are_counted_once(spawn_target: SpawnTarget) -> None:
    """Inherited counters follow new threads; opening more would count them twice."""
    proc = spawn_target("counters_busy", "30", "2", "0.3")
    with PerfEventSource(proc.pid) as src:
        require_task_clock(src)
        assert src.threads_at_attach == 1
        d, cpu = measure(src, proc.pid, 1.8)
        assert len(psutil.Process(proc.pid).threads()) == 3
    assert_close(d["perf.task-clock"] / 1e9, cpu)


def test_threads_that_exit_keep_their_counts(spawn_target: SpawnTarget) -> None:
    proc = spawn_target("counters_busy", "30", "2", "0", "0.7")
    with PerfEventSource(proc.pid) as src:
        require_task_clock(src)
        d, cpu = measure(src, proc.pid, 1.5)
        assert len(psutil.Process(proc.pid).threads()) == 1  # the workers are gone
    assert_close(d["perf.task-clock"] / 1e9, cpu)


def test_short_lived_threads_are_all_counted(spawn_target: SpawnTarget) -> None:
    """Threads that start and exit all the time, also during the attach."""
    proc = spawn_target("counters_churn", "30")
    with PerfEventSource(proc.pid) as src:
        require_task_clock(src)
        assert src.fd_count() > 0
        d, cpu = measure(src, proc.pid, 1.5)
    assert_close(d["perf.task-clock"] / 1e9, cpu)


# ------------------------------------------------------------- other software


def test_sleepy_target_context_switches(spawn_target: SpawnTarget) -> None:
    proc = spawn_target("counters_sleepy", "30")
    with PerfEventSource(proc.pid) as src:
        require_task_clock(src)
        if "perf.context-switches" not in {s.name for s in src.specs()}:
            why = {u.name: u for u in src.unsupported()}["perf.context-switches"]
            assert "perf_event_paranoid" in why.reason and why.fix
            pytest.skip(f"context switches not countable here: {why.reason}")
        d, cpu = measure(src, proc.pid, 1.0)
    assert d["perf.context-switches"] >= 20  # it wakes 100 times a second
    assert cpu < 0.5


def test_page_faults_rise_for_allocating_target(spawn_target: SpawnTarget) -> None:
    proc = spawn_target("counters_alloc", "30")

    def minflt() -> int:
        with open(f"/proc/{proc.pid}/stat") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[7])

    with PerfEventSource(proc.pid) as src:
        require_task_clock(src)
        a = src.read()
        fa = minflt()
        time.sleep(1.0)
        b = src.read()
        fb = minflt()
        user_only = src.user_only
    faults = b["perf.page-faults"] - a["perf.page-faults"]
    minor = b["perf.minor-faults"] - a["perf.minor-faults"]
    assert faults > 1000 and minor > 1000
    assert b["perf.major-faults"] >= a["perf.major-faults"] >= 0
    if not user_only:  # the kernel's own tally of minor faults for the same interval
        assert abs(minor - (fb - fa)) <= 0.10 * (fb - fa), (minor, fb - fa)


def test_read_of_software_events_is_parsed(spawn_target: SpawnTarget) -> None:
    proc = spawn_target("counters_busy", "30")
    with PerfEventSource(proc.pid) as src:
        require_task_clock(src)
        names = [s.name for s in src.specs()]
        first = src.read()
        time.sleep(0.3)
        second = src.read()
        coverage = dict(src.coverage)
    assert list(first) == names and list(second) == names
    for name in names:
        assert isinstance(second[name], float)
        assert second[name] >= first[name] >= 0
        assert coverage[name] == 1.0  # software events are never multiplexed
    spec = {s.name: s for s in src.specs()}["perf.task-clock"]
    assert (spec.unit, spec.kind) == ("ns", "delta")
    # 0.3 s of one spinning thread, in ns (generous: the machine may be busy)
    assert 0.05e9 < second["perf.task-clock"] - first["perf.task-clock"] < 0.6e9


def test_attr_layout_matches_the_kernel_abi() -> None:
    attr = make_attr(EVENTS[0], user_only=True)
    raw = bytes(attr)
    assert len(raw) == ctypes.sizeof(PerfEventAttr) == PERF_ATTR_SIZE_VER8 == 136
    assert PerfEventAttr.read_format.offset == 32
    assert PerfEventAttr.wakeup_events.offset == 48
    assert PerfEventAttr.config1.offset == 56
    assert PerfEventAttr.sample_regs_intr.offset == 96
    assert PerfEventAttr.config3.offset == 128
    flags = int.from_bytes(raw[40:48], sys.byteorder)
    # inherit (bit 1), exclude_kernel (5), exclude_hv (6), inherit_thread (35)
    assert flags == (1 << 1) | (1 << 5) | (1 << 6) | (1 << 35)
    assert int.from_bytes(raw[32:40], sys.byteorder) == 0b11  # TOTAL_TIME_ENABLED|RUNNING


# ------------------------------------------------------------------- hardware


def test_hardware_events_count_or_are_explained(spawn_target: SpawnTarget) -> None:
    proc = spawn_target("counters_busy", "30")
    with PerfEventSource(proc.pid) as src:
        supported = {s.name for s in src.specs()}
        unsupported = {u.name: u for u in src.unsupported()}
        d, _ = measure(src, proc.pid, 0.5)
        reads = [src.read() for _ in range(3)]
    assert supported.isdisjoint(unsupported)
    assert supported | set(unsupported) == {e.name for e in EVENTS}
    for name in HARDWARE:
        if name in supported:
            assert d[name] > 0, f"{name} opened but counted nothing for a busy target"
        else:
            assert unsupported[name].reason.strip(), name
            assert all(name not in r for r in reads)
    for name in unsupported:
        assert all(name not in r for r in reads)


def _core_pmu() -> bool:
    devices = Path("/sys/bus/event_source/devices")
    names = {p.name for p in devices.iterdir()} if devices.is_dir() else set()
    return bool(names & {"cpu", "cpu_core", "cpu_atom"}) or any(
        "armv" in n or n.startswith("arm_") or "pmu" in n for n in names
    )


@pytest.mark.skipif(_core_pmu(), reason="this machine has a hardware PMU")
def test_without_a_pmu_every_hardware_event_is_unsupported() -> None:
    specs, unsupported = probe()
    assert not {s.name for s in specs} & set(HARDWARE)
    why = {u.name: u for u in unsupported}
    for name in HARDWARE:
        assert "not supported by this CPU, VM or kernel" in why[name].reason
        if "virtual machine" in why[name].reason:
            assert "bare metal" in why[name].fix


def test_probe_lists_every_event_once() -> None:
    specs, unsupported = probe()
    names = [s.name for s in specs] + [u.name for u in unsupported]
    assert sorted(names) == sorted(e.name for e in EVENTS)
    assert all(u.reason for u in unsupported)
    assert all(s.kind == "delta" for s in specs)


# --------------------------------------------------------------- exits, errors


def test_target_exiting_mid_interval_keeps_its_final_counts(spawn_target: SpawnTarget) -> None:
    proc = spawn_target("counters_busy", "1.0", "2", "0", "0.6")
    with PerfEventSource(proc.pid) as src:
        require_task_clock(src)
        ps = psutil.Process(proc.pid)
        src.read()
        start_cpu = cpu_seconds(ps)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "done"
        while ps.status() != psutil.STATUS_ZOMBIE:
            time.sleep(0.02)
        final = src.read()  # the first read after the exit: final values, no error
        assert src.target_exited
        _, _, usage = os.wait4(proc.pid, 0)
        proc.returncode = 0
        with pytest.raises(TargetGoneError):
            src.read()
    total_cpu = usage.ru_utime + usage.ru_stime
    assert_close(final["perf.task-clock"] / 1e9, total_cpu - start_cpu + 0.0, tol=0.15)
    assert final["perf.task-clock"] / 1e9 >= 0.5  # the workers' counts are in it


def test_read_after_target_was_reaped(spawn_target: SpawnTarget) -> None:
    proc = spawn_target("counters_busy", "0.5")
    with PerfEventSource(proc.pid) as src:
        require_task_clock(src)
        proc.wait()
        assert not Path(f"/proc/{proc.pid}").exists()
        final = src.read()
        assert src.target_exited
        assert final["perf.task-clock"] > 0.2e9
        with pytest.raises(TargetGoneError, match=str(proc.pid)):
            src.read()


def test_open_on_missing_pid_raises_target_gone() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    with pytest.raises(TargetGoneError, match=rf"process {proc.pid} does not exist"):
        PerfEventSource(proc.pid)


def test_close_is_idempotent_and_read_after_close_fails(spawn_target: SpawnTarget) -> None:
    proc = spawn_target("counters_sleepy", "30")
    src = PerfEventSource(proc.pid)
    src.close()
    src.close()
    assert src.fd_count() == 0
    with pytest.raises(RuntimeError):
        src.read()


# ------------------------------------------------------------ unprivileged user

NOBODY = 65534
_CHILD = """
import json, sys
sys.path.insert(0, {root!r})
from app.core.counters.perf_event import PerfEventSource
src = PerfEventSource({pid})
print(json.dumps({{"user_only": src.user_only,
    "specs": [s.name for s in src.specs()], "read": sorted(src.read()),
    "unsupported": {{u.name: [u.reason, u.fix] for u in src.unsupported()}}}}))
"""


def _python_for_nobody() -> str | None:
    if os.geteuid() != 0:
        return None
    for py in (sys.executable, "/usr/bin/python3"):
        try:
            ok = subprocess.run(
                [py, "-c", "import sys; assert sys.version_info >= (3, 10); import ctypes"],
                user=NOBODY,
                group=NOBODY,
                capture_output=True,
                timeout=30,
            )
        except (OSError, subprocess.SubprocessError):
            continue
        if ok.returncode == 0:
            return py
    return None


def _as_nobody(py: str, pid: int) -> dict[str, object]:
    res = subprocess.run(
        [py, "-c", _CHILD.format(root=str(ROOT), pid=pid)],
        user=NOBODY,
        group=NOBODY,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    doc: dict[str, object] = json.loads(res.stdout)
    return doc


@pytest.fixture(scope="module")
def nobody_python() -> str:
    py = _python_for_nobody()
    if py is None:
        pytest.skip("needs root and a Python that user nobody can run")
    return py


def test_unprivileged_user_gets_honest_answers(nobody_python: str) -> None:
    """Counting its own process as an unprivileged user, per perf_event_paranoid."""
    level = paranoid_level()
    target = subprocess.Popen(
        [nobody_python, str(TARGETS / "counters_sleepy.py"), "30"],
        stdout=subprocess.PIPE,
        text=True,
        user=NOBODY,
        group=NOBODY,
    )
    try:
        assert target.stdout is not None and target.stdout.readline().strip() == "ready"
        doc = _as_nobody(nobody_python, target.pid)
    finally:
        target.kill()
        target.wait()
    specs = set(doc["specs"])  # type: ignore[arg-type]
    unsupported: dict[str, list[str]] = doc["unsupported"]  # type: ignore[assignment]
    assert set(doc["read"]) == specs  # type: ignore[arg-type]
    assert specs | set(unsupported) == {e.name for e in EVENTS}
    if level is not None and level <= 1:
        assert doc["user_only"] is False
        assert "perf.task-clock" in specs
    elif level == 2:
        assert doc["user_only"] is True
        assert "perf.task-clock" in specs
        for name in ("perf.context-switches", "perf.cpu-migrations"):
            reason, fix = unsupported[name]
            assert "perf_event_paranoid=2" in reason and "user space only" in reason
            assert "sysctl kernel.perf_event_paranoid=1" in fix and "CAP_PERFMON" in fix
    else:
        assert not specs
        reason, fix = unsupported["perf.task-clock"]
        assert f"perf_event_paranoid is {level}" in reason
        assert "sysctl kernel.perf_event_paranoid=1" in fix and "CAP_PERFMON" in fix


def test_unprivileged_user_on_another_users_process(nobody_python: str) -> None:
    doc = _as_nobody(nobody_python, os.getpid())  # this test process runs as root
    unsupported: dict[str, list[str]] = doc["unsupported"]  # type: ignore[assignment]
    assert doc["specs"] == [] and doc["read"] == []
    for name in SOFTWARE:
        reason, fix = unsupported[name]
        assert "permission denied" in reason
        assert f"process {os.getpid()} belongs to uid 0" in reason
        assert "perf_event_paranoid" in reason and "CAP_PERFMON" in fix
